//! The spoken answer with scripted engines: event order, output rate, cancel with what was
//! said, a voice that refuses mid-answer, tool calls, and a reader that goes away.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use vox_engine::EngineError;
use vox_engine::chat::{ChatJob, ChatModel, SamplingParams, StopReason, ToolCall, ToolPolicy};
use vox_engine::voices::VoiceCatalog;
use vox_pipeline::{AnswerEvent, Ending, OUTPUT_RATE, PipelineError, SpokenAnswer, Summary, Voice};
use vox_scripted::{ScriptedChat, ToneVoice};

const SAID: &str = "Yes, golden retrievers are gentle. They love children and learn fast.";

fn job() -> ChatJob {
    ChatJob {
        turns: vec![],
        sampling: SamplingParams::default(),
        tools: vec![],
        tool_policy: ToolPolicy::Auto,
    }
}

fn voice(synthesizer: Arc<ToneVoice>) -> Voice {
    let profile = synthesizer.list().remove(0);
    Voice {
        synthesizer,
        profile,
        language: Some("en".into()),
        heard_live: true,
        in_flight: None,
        asked_at: std::time::Instant::now(),
    }
}

fn start(chat: ScriptedChat, tone: Arc<ToneVoice>) -> SpokenAnswer {
    SpokenAnswer::start(chat.generate(job()), voice(tone))
}

/// Every event until the last, bounded so a pipeline that never ends fails instead of hangs.
async fn drain(answer: &mut SpokenAnswer) -> Vec<AnswerEvent> {
    let mut events = Vec::new();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), answer.next())
            .await
            .expect("the answer ends");
        match event {
            Some(event) => events.push(event),
            None => return events,
        }
    }
}

fn last_summary(events: &[AnswerEvent]) -> &Summary {
    match events.last() {
        Some(AnswerEvent::Finished(summary)) | Some(AnswerEvent::Failed { summary, .. }) => summary,
        other => panic!("the last event is the end, got {other:?}"),
    }
}

/// The texts of the events `kind` picks (the model's text, or the clauses), joined.
fn joined(events: &[AnswerEvent], kind: fn(&AnswerEvent) -> bool) -> String {
    events
        .iter()
        .filter(|e| kind(e))
        .filter_map(|e| match e {
            AnswerEvent::Text(text) | AnswerEvent::Clause(text) => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

fn audio_secs(events: &[AnswerEvent]) -> f64 {
    events
        .iter()
        .map(|event| match event {
            AnswerEvent::Audio(chunk) => {
                assert_eq!(chunk.sample_rate, OUTPUT_RATE);
                chunk.samples.len() as f64 / f64::from(OUTPUT_RATE)
            }
            _ => 0.0,
        })
        .sum()
}

#[tokio::test]
async fn each_clause_comes_before_its_audio_and_the_end_sums_it_up() {
    let tone = Arc::new(ToneVoice::default());
    let mut answer = start(ScriptedChat::saying(SAID), tone.clone());
    let events = drain(&mut answer).await;

    let mut clauses = Vec::new();
    let mut audio_since_clause = true;
    for event in &events {
        match event {
            AnswerEvent::Clause(text) => {
                assert!(audio_since_clause, "a clause without audio before {text:?}");
                clauses.push(text.clone());
                audio_since_clause = false;
            }
            AnswerEvent::Audio(_) => {
                assert!(!clauses.is_empty(), "audio before any clause");
                audio_since_clause = true;
            }
            _ => {}
        }
    }
    assert!(clauses.len() >= 2, "{clauses:?}");
    assert_eq!(clauses.concat(), SAID);
    assert_eq!(joined(&events, |e| matches!(e, AnswerEvent::Text(_))), SAID);

    let summary = last_summary(&events);
    assert_eq!(summary.ending, Ending::Completed(StopReason::Stop));
    assert_eq!(summary.transcript, SAID);
    assert_eq!(summary.prompt_tokens, 12);
    assert_eq!(
        summary.completion_tokens,
        SAID.split_inclusive(' ').count() as u64
    );
    let produced = audio_secs(&events);
    assert!((summary.audio_secs - produced).abs() < 1e-9);
    // The tone is 50 ms per character, resampled to 24 kHz without losing time.
    let expected = SAID.chars().count() as f64 * 0.05;
    assert!((produced - expected).abs() < 0.05, "{produced} vs {expected}");
    assert_eq!(summary.clauses.len(), clauses.len());
    assert_eq!(summary.clauses[1].start_secs, summary.clauses[0].secs);
}

#[tokio::test]
async fn cancel_stops_the_model_and_reports_exactly_what_was_said() {
    let tone = Arc::new(ToneVoice::default());
    let chat = ScriptedChat::saying(SAID).with_delay(Duration::from_millis(40));
    let mut answer = start(chat, tone.clone());
    let mut events = Vec::new();
    while let Some(event) = answer.next().await {
        let heard = matches!(event, AnswerEvent::Audio(_));
        events.push(event);
        if heard {
            break;
        }
    }
    answer.cancel();
    answer.cancel();
    events.extend(drain(&mut answer).await);

    let summary = last_summary(&events).clone();
    assert_eq!(summary.ending, Ending::Cancelled);
    assert!(summary.transcript.len() < SAID.len(), "{:?}", summary.transcript);
    assert!(SAID.starts_with(&summary.transcript));
    let said = joined(&events, |e| matches!(e, AnswerEvent::Clause(_)));
    assert!(said.starts_with(&summary.transcript));
    assert!((summary.audio_secs - audio_secs(&events)).abs() < 1e-9);
    assert!(summary.audio_secs > 0.0);
    let written = SAID.split_inclusive(' ').count() as u64;
    assert!(
        summary.completion_tokens > 0 && summary.completion_tokens < written,
        "{}",
        summary.completion_tokens
    );
    // The model stopped: no more clauses reach the voice.
    let jobs = tone.jobs.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(tone.jobs.load(Ordering::SeqCst), jobs);
}

#[tokio::test]
async fn dropping_the_answer_stops_it() {
    let tone = Arc::new(ToneVoice::default());
    let chat = ScriptedChat::saying(SAID).with_delay(Duration::from_millis(40));
    let mut answer = start(chat, tone.clone());
    while let Some(event) = answer.next().await {
        if matches!(event, AnswerEvent::Audio(_)) {
            break;
        }
    }
    drop(answer);
    let jobs = tone.jobs.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        tone.jobs.load(Ordering::SeqCst),
        jobs,
        "the voice kept speaking for nobody"
    );
}

#[tokio::test]
async fn a_voice_refusing_mid_answer_fails_it_with_what_was_said() {
    let tone = Arc::new(ToneVoice::busy_at(1));
    let mut answer = start(ScriptedChat::saying(SAID), tone);
    let events = drain(&mut answer).await;
    let Some(AnswerEvent::Failed { error, summary }) = events.last() else {
        panic!("the answer fails: {:?}", events.last());
    };
    assert!(
        matches!(error, PipelineError::Engine(EngineError::Busy { .. })),
        "{error:?}"
    );
    assert_eq!(summary.ending, Ending::Failed);
    assert_eq!(summary.clauses.len(), 1, "only the first clause had a voice");
    assert!(summary.audio_secs > 0.0);
}

#[tokio::test]
async fn tool_calls_come_after_the_audio_and_before_the_end() {
    let call = ToolCall {
        id: "call_1".into(),
        name: "get_weather".into(),
        arguments: r#"{"city":"Paris"}"#.into(),
    };
    let chat = ScriptedChat::saying("Let me check. ").calling(call.clone());
    let mut answer = start(chat, Arc::new(ToneVoice::default()));
    let events = drain(&mut answer).await;
    let position = |wanted: fn(&AnswerEvent) -> bool| events.iter().rposition(wanted).unwrap();
    let tool = position(|e| matches!(e, AnswerEvent::ToolCall(_)));
    let audio = position(|e| matches!(e, AnswerEvent::Audio(_)));
    assert!(audio < tool && tool == events.len() - 2);
    assert!(matches!(&events[tool], AnswerEvent::ToolCall(c) if *c == call));
    assert_eq!(
        last_summary(&events).ending,
        Ending::Completed(StopReason::ToolCalls)
    );
}

#[tokio::test]
async fn a_model_that_is_busy_fails_the_answer_at_once() {
    let mut answer = start(
        ScriptedChat::busy(Duration::from_secs(4)),
        Arc::new(ToneVoice::default()),
    );
    let events = drain(&mut answer).await;
    assert_eq!(events.len(), 1);
    let Some(AnswerEvent::Failed { error, summary }) = events.last() else {
        panic!("{:?}", events.last());
    };
    assert!(
        matches!(error, PipelineError::Engine(EngineError::Busy { retry_after }) if retry_after.as_secs() == 4)
    );
    assert_eq!(summary.audio_secs, 0.0);
}

#[tokio::test]
async fn hearing_resamples_and_trims_what_was_heard() {
    let heard = vox_pipeline::hear(
        &vox_scripted::ScriptedTranscriber::hearing(" Bonjour. ", "fr"),
        vox_engine::audio::AudioBuffer {
            samples: vec![0.0; 44_100],
            sample_rate: 44_100,
        },
    )
    .await
    .unwrap();
    assert_eq!(heard.text, "Bonjour.");
    assert_eq!(heard.language, "fr");
    assert!((heard.secs - 1.0).abs() < 0.01);
}
