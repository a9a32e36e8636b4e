//! The engine on a real GGUF (the `test` profile's SmolLM2-135M): sampling controls, tools,
//! cancellation and concurrent requests.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures::StreamExt;
use vox_engine::EngineError;
use vox_engine::chat::{
    ChatEvent, ChatJob, ChatModel, ChatRole, ChatTurn, SamplingParams, StopReason, ToolCall, ToolPolicy,
    ToolSpec,
};
use vox_llm_llama::{LlamaConfig, LlamaEngine};

fn model_path() -> PathBuf {
    let dir = std::env::var_os("VOX_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../target/vox-test-models"
            ))
        });
    dir.join("smollm2-135m-instruct/model.gguf")
}

fn config(slots: usize, queue_depth: usize) -> LlamaConfig {
    LlamaConfig {
        model_path: model_path(),
        threads: 2,
        slots,
        context_per_slot: 1024,
        queue_depth,
        batch_size: 256,
        turns: vox_engine::turns::SpeechTurns::new(),
    }
}

/// One engine shared by the tests that do not depend on slot counts.
fn shared() -> Arc<LlamaEngine> {
    static ENGINE: OnceLock<Arc<LlamaEngine>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            Arc::new(
                LlamaEngine::start(config(4, 16)).unwrap_or_else(|e| {
                    panic!("{e}: pull the test profile (`vox models pull --profile test`)")
                }),
            )
        })
        .clone()
}

fn user(text: &str) -> ChatTurn {
    ChatTurn {
        role: ChatRole::User,
        text: text.into(),
        tool_calls: vec![],
        tool_call_id: None,
    }
}

fn greedy(text: &str, max_tokens: u32) -> ChatJob {
    ChatJob {
        turns: vec![user(text)],
        sampling: SamplingParams {
            temperature: Some(0.0),
            max_tokens: Some(max_tokens),
            ..Default::default()
        },
        tools: vec![],
        tool_policy: ToolPolicy::Auto,
    }
}

#[derive(Debug, Default)]
struct Answer {
    text: String,
    pieces: usize,
    calls: Vec<ToolCall>,
    reason: Option<StopReason>,
    prompt_tokens: u64,
    /// Prompt tokens the engine found already read.
    cached_tokens: Option<u64>,
    completion_tokens: u64,
    /// The usage each `Progress` reported, in order.
    progress: Vec<(u64, u64)>,
}

async fn run(engine: &LlamaEngine, job: ChatJob) -> Result<Answer, EngineError> {
    let mut stream = engine.generate(job);
    let mut answer = Answer::default();
    while let Some(event) = stream.next().await {
        match event? {
            ChatEvent::Cached(tokens) => answer.cached_tokens = Some(tokens),
            ChatEvent::Text(text) => {
                answer.text.push_str(&text);
                answer.pieces += 1;
            }
            ChatEvent::Progress {
                prompt_tokens,
                completion_tokens,
            } => answer.progress.push((prompt_tokens, completion_tokens)),
            ChatEvent::ToolCall(call) => answer.calls.push(call),
            ChatEvent::Finished {
                reason,
                prompt_tokens,
                completion_tokens,
            } => {
                answer.reason = Some(reason);
                answer.prompt_tokens = prompt_tokens;
                answer.completion_tokens = completion_tokens;
            }
        }
    }
    Ok(answer)
}

#[tokio::test]
async fn greedy_answers_repeat_exactly_and_arrive_in_pieces() {
    let engine = shared();
    let job = greedy("Write one sentence about the sea.", 40);
    let first = run(&engine, job.clone()).await.unwrap();
    let second = run(&engine, job).await.unwrap();
    assert!(!first.text.trim().is_empty());
    assert_eq!(first.text, second.text);
    assert!(
        first.pieces > 3,
        "text should stream token by token, got {} pieces",
        first.pieces
    );
    assert!(first.prompt_tokens > 5);
    assert!(first.completion_tokens > 0 && first.completion_tokens <= 40);
}

#[tokio::test]
async fn max_tokens_ends_with_length() {
    let answer = run(&shared(), greedy("Count from one to one hundred in words.", 5))
        .await
        .unwrap();
    assert_eq!(answer.reason, Some(StopReason::Length));
    assert_eq!(answer.completion_tokens, 5);
    // Usage is told token by token while it writes, up to what the end reports.
    let told: Vec<u64> = answer
        .progress
        .iter()
        .map(|(_, completion)| *completion)
        .collect();
    assert_eq!(told, [1, 2, 3, 4, 5]);
    assert!(
        answer
            .progress
            .iter()
            .all(|(prompt, _)| *prompt == answer.prompt_tokens)
    );
}

#[tokio::test]
async fn a_stop_sequence_cuts_the_answer_before_it() {
    let engine = shared();
    let free = run(&engine, greedy("List three colours, one per line.", 40))
        .await
        .unwrap();
    let words: Vec<&str> = free.text.split_whitespace().collect();
    assert!(
        words.len() >= 4,
        "need a few words to pick a stop from: {:?}",
        free.text
    );
    let stop = words[3].to_string();
    let cut_at = free.text.find(&stop).unwrap();
    let mut job = greedy("List three colours, one per line.", 40);
    job.sampling.stop = vec![stop.clone()];
    let stopped = run(&engine, job).await.unwrap();
    assert_eq!(stopped.text, free.text[..cut_at], "stop {stop:?}");
    assert_eq!(stopped.reason, Some(StopReason::Stop));
}

fn weather_tool() -> ToolSpec {
    ToolSpec {
        name: "get_weather".into(),
        description: Some("Current weather in a city".into()),
        parameters_json: Some(
            r#"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#.into(),
        ),
    }
}

#[tokio::test]
async fn a_forced_tool_call_comes_back_as_a_parsed_call() {
    for policy in [ToolPolicy::Named("get_weather".into()), ToolPolicy::Required] {
        let mut job = greedy("What is the weather in Paris?", 60);
        job.tools = vec![weather_tool()];
        job.tool_policy = policy.clone();
        let answer = run(&shared(), job).await.unwrap();
        assert_eq!(
            answer.reason,
            Some(StopReason::ToolCalls),
            "{policy:?}: {answer:?}"
        );
        assert_eq!(answer.calls.len(), 1);
        assert_eq!(answer.calls[0].name, "get_weather");
        let arguments: serde_json::Value = serde_json::from_str(&answer.calls[0].arguments).unwrap();
        assert!(arguments.is_object(), "{arguments}");
        assert_eq!(answer.text, "", "a forced call shows no text");
    }
}

/// A schema with a required property, an enum and an integer: the arguments of a forced call
/// keep to it even from a 135M model, at a high temperature, every time.
#[tokio::test]
async fn a_forced_call_is_held_to_its_tools_schema() {
    let tool = ToolSpec {
        name: "book_table".into(),
        description: Some("Book a restaurant table".into()),
        parameters_json: Some(
            r#"{"type":"object","properties":{"city":{"type":"string","minLength":1},
                "seats":{"type":"integer"},"time":{"type":"string","enum":["lunch","dinner"]}},
                "required":["city","seats","time"],"additionalProperties":false}"#
                .into(),
        ),
    };
    for seed in 0..4 {
        let mut job = greedy("Book a table for two in Rome tonight.", 80);
        job.sampling.temperature = Some(1.3);
        job.sampling.seed = Some(seed);
        job.tools = vec![tool.clone(), weather_tool()];
        job.tool_policy = ToolPolicy::Named("book_table".into());
        let answer = run(&shared(), job).await.unwrap();
        assert_eq!(answer.calls.len(), 1, "seed {seed}: {answer:?}");
        let arguments: serde_json::Value = serde_json::from_str(&answer.calls[0].arguments).unwrap();
        let object = arguments.as_object().unwrap();
        let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["city", "seats", "time"], "seed {seed}: {arguments}");
        assert!(object["seats"].is_i64(), "{arguments}");
        assert!(
            ["lunch", "dinner"].contains(&object["time"].as_str().unwrap()),
            "{arguments}"
        );
        assert!(!object["city"].as_str().unwrap().is_empty());
    }
}

/// With tools in `auto` mode the answer is text or a well-formed call of a declared tool,
/// whatever the sampling draws, and never call markup left in the text.
#[tokio::test]
async fn an_auto_answer_is_words_or_a_well_formed_call() {
    for seed in 0..4 {
        let mut job = greedy("What is the weather in Paris? Use the tool.", 60);
        job.sampling.temperature = Some(1.0);
        job.sampling.seed = Some(seed);
        job.tools = vec![weather_tool()];
        let answer = run(&shared(), job).await.unwrap();
        for call in &answer.calls {
            assert_eq!(call.name, "get_weather");
            let arguments: serde_json::Value = serde_json::from_str(&call.arguments).unwrap();
            assert!(arguments["city"].is_string(), "{arguments}");
        }
        assert!(
            !answer.text.contains("<tool_call>"),
            "seed {seed}: {:?}",
            answer.text
        );
    }
}

#[tokio::test]
async fn a_tool_result_is_accepted_in_the_next_turn() {
    let mut job = greedy("What is the weather in Paris?", 30);
    job.tools = vec![weather_tool()];
    job.turns.push(ChatTurn {
        role: ChatRole::Assistant,
        text: String::new(),
        tool_calls: vec![ToolCall {
            id: "call_1".into(),
            name: "get_weather".into(),
            arguments: r#"{"city":"Paris"}"#.into(),
        }],
        tool_call_id: None,
    });
    job.turns.push(ChatTurn {
        role: ChatRole::Tool,
        text: r#"{"temperature_c": 21, "sky": "clear"}"#.into(),
        tool_calls: vec![],
        tool_call_id: Some("call_1".into()),
    });
    job.tool_policy = ToolPolicy::None;
    let answer = run(&shared(), job).await.unwrap();
    assert!(!answer.text.trim().is_empty());
    assert!(answer.calls.is_empty());
}

#[tokio::test]
async fn a_prompt_over_the_context_is_refused() {
    let long = "word ".repeat(3000);
    match run(&shared(), greedy(&long, 10)).await {
        Err(EngineError::ContextLengthExceeded { limit, requested }) => {
            assert_eq!(limit, 1024);
            assert!(requested > 1024);
        }
        other => panic!("expected a context error, got {other:?}"),
    }
}

/// Size before cost: a prompt far over the context is refused off the model thread, and a
/// short request sent meanwhile is answered as fast as alone (once it took 29 s instead of 0.4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_text_is_refused_without_stalling_anyone() {
    let engine = shared();
    let huge = "lorem ipsum dolor sit amet ".repeat(1_000_000);
    let flood = tokio::spawn({
        let engine = engine.clone();
        async move { run(&engine, greedy(&huge, 10)).await }
    });
    let started = Instant::now();
    let short = run(&engine, greedy("Say hello.", 4)).await.unwrap();
    let short_took = started.elapsed();
    assert!(!short.text.is_empty());
    match flood.await.unwrap() {
        Err(EngineError::PromptTooLong { limit, bytes }) => {
            assert_eq!(limit, 1024);
            assert!(bytes >= 27_000_000);
        }
        other => panic!("expected the flood refused by its size, got {other:?}"),
    }
    // Bounded, not timed to the millisecond: tokenizing the flood took about 30 s.
    assert!(short_took < Duration::from_secs(10), "{short_took:?}");
    // Over the context but under the byte bound: counted piece by piece, refused with a count.
    let long = "word ".repeat(5_000);
    match run(&engine, greedy(&long, 10)).await {
        Err(EngineError::ContextLengthExceeded { limit, requested }) => {
            assert_eq!(limit, 1024);
            assert!(requested > 1024 && requested <= 5_000, "{requested}");
        }
        other => panic!("expected a context error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_dropped_stream_frees_its_slot_for_the_next_request() {
    // One slot, nothing queued: the second request can only run once the first is released.
    let engine = LlamaEngine::start(config(1, 1)).unwrap();
    let mut endless = engine.generate(greedy("Count from one to ten thousand in words.", 1000));
    assert!(matches!(endless.next().await, Some(Ok(ChatEvent::Cached(0)))));
    assert!(matches!(endless.next().await, Some(Ok(ChatEvent::Text(_)))));
    drop(endless);
    let started = Instant::now();
    let answer = run(&engine, greedy("Say hello.", 8)).await.unwrap();
    assert!(answer.reason.is_some());
    // Not a speed target: 1000 tokens of the dropped answer would take several seconds more.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_full_queue_answers_busy() {
    let engine = LlamaEngine::start(config(1, 1)).unwrap();
    let mut running = engine.generate(greedy("Count from one to ten thousand in words.", 1000));
    assert!(matches!(running.next().await, Some(Ok(ChatEvent::Cached(0)))));
    assert!(matches!(running.next().await, Some(Ok(ChatEvent::Text(_)))));
    let _queued = engine.generate(greedy("Say hello.", 8));
    let mut refused = engine.generate(greedy("Say hello.", 8));
    assert!(matches!(
        refused.next().await,
        Some(Err(EngineError::Busy { .. }))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_concurrent_requests_each_get_their_own_answer() {
    // Eight requests on four slots: half decode together, half wait in the queue. Batched
    // arithmetic is not bit-identical to solo decoding, so each answer is checked for being about
    // its own topic (and the same prompt length), not for equal text.
    let engine = shared();
    // Topics far apart in meaning: an answer about rain may rightly speak of snow.
    let topics = ["cat", "rain", "bread", "music", "train", "shoe", "book", "coffee"];
    let tasks: Vec<_> = topics
        .iter()
        .map(|topic| {
            let engine = engine.clone();
            let job = greedy(&format!("Write one sentence about {topic}s."), 24);
            tokio::spawn(async move { run(&engine, job).await.unwrap() })
        })
        .collect();
    for (task, topic) in tasks.into_iter().zip(topics) {
        let together = task.await.unwrap();
        let alone = run(
            &engine,
            greedy(&format!("Write one sentence about {topic}s."), 24),
        )
        .await
        .unwrap();
        assert_eq!(together.prompt_tokens, alone.prompt_tokens);
        assert!(mentions(&together.text, topic), "{topic}: {:?}", together.text);
        for other in topics.iter().filter(|t| **t != topic) {
            assert!(
                !mentions(&together.text, other),
                "{topic} answer mentions {other}: {:?}",
                together.text
            );
        }
    }
}

/// A word of `text` starts with `topic` ("cats" for "cat", not "communicate").
fn mentions(text: &str, topic: &str) -> bool {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .any(|word| word.starts_with(topic))
}

fn system(text: &str) -> ChatTurn {
    ChatTurn {
        role: ChatRole::System,
        ..user(text)
    }
}

/// An agent's opening: long instructions and a tool, as the Agents SDK sends them.
fn agent_opening() -> ChatJob {
    let instructions = format!(
        "You are the front desk of the Harbour Hotel, speaking with Ada Lovelace. {}",
        "Keep answers short and friendly; offer to book a table or a taxi when it helps. ".repeat(12)
    );
    ChatJob {
        turns: vec![system(&instructions)],
        tools: vec![ToolSpec {
            name: "book_taxi".into(),
            description: Some("Books a taxi to an address.".into()),
            parameters_json: Some(
                r#"{"type":"object","properties":{"address":{"type":"string"}},"required":["address"]}"#
                    .into(),
            ),
        }],
        ..greedy("", 24)
    }
}

fn agent_turn(question: &str) -> ChatJob {
    let mut job = agent_opening();
    job.turns.push(user(question));
    job
}

#[tokio::test]
async fn a_prefilled_opening_is_found_read_and_the_answer_is_the_same() {
    // Two slots: the stranger's answer must not take the slot that keeps the opening.
    let engine = LlamaEngine::start(config(2, 4)).unwrap();
    let opening = agent_opening();
    let cold = run(&engine, agent_turn("Can you book me a taxi?")).await.unwrap();
    assert_eq!(cold.cached_tokens, Some(0), "a fresh engine has nothing read");

    let engine = LlamaEngine::start(config(2, 4)).unwrap();
    let mut prefilled = engine.prefill(opening.clone());
    assert!(prefilled.read().await, "the opening is read");
    let stranger = run(&engine, greedy("Say hello.", 4)).await.unwrap();
    assert!(stranger.cached_tokens.unwrap() < 10, "{stranger:?}");
    let warm = run(&engine, agent_turn("Can you book me a taxi?")).await.unwrap();
    let read = warm.cached_tokens.unwrap();
    // All of the opening (instructions and tool schema) was read before the turn came.
    assert!(read > 150, "{read} of {}", warm.prompt_tokens);
    assert!(warm.prompt_tokens - read < 30, "{read} of {}", warm.prompt_tokens);
    assert_eq!(warm.prompt_tokens, cold.prompt_tokens);
    assert_eq!((&warm.text, &warm.calls), (&cold.text, &cold.calls));
    drop(prefilled);
}

#[tokio::test]
async fn an_answer_takes_over_a_slot_reading_an_opening_and_nothing_is_busy() {
    // One slot, one queue place: the prefill reads on the only slot, yet the answer neither
    // waits for it nor finds the engine busy.
    let engine = LlamaEngine::start(config(1, 1)).unwrap();
    let mut prefilled = engine.prefill(agent_opening());
    let answer = run(&engine, greedy("Say hello.", 4)).await.unwrap();
    assert!(answer.reason.is_some(), "{answer:?}");
    // Either the opening was read before the answer came, or the answer took its slot.
    let _ = prefilled.read().await;
    let again = run(&engine, greedy("Say hello.", 4)).await.unwrap();
    assert_eq!(again.text, answer.text);
}
