use base64::Engine as _;
use vox_engine::EngineError;
use vox_engine::audio::AudioBuffer;
use vox_engine::chat::{ChatEvent, StopReason, ToolCall};
use vox_pipeline::{AnswerEvent, Ending, PipelineError, Summary};

use super::*;

fn summary(ending: Ending, transcript: &str) -> Summary {
    Summary {
        cached_tokens: 0,
        ending,
        prompt_tokens: 9,
        completion_tokens: 4,
        audio_secs: 0.0,
        transcript: transcript.into(),
        clauses: vec![],
        timings: Default::default(),
    }
}

fn tone(samples: usize) -> AnswerEvent {
    AnswerEvent::Audio(AudioBuffer {
        samples: vec![0.1; samples],
        sample_rate: vox_pipeline::OUTPUT_RATE,
    })
}

fn call() -> ToolCall {
    ToolCall {
        id: "call_1".into(),
        name: "get_weather".into(),
        arguments: r#"{"city":"Paris"}"#.into(),
    }
}

/// What each piece is, in a word, so a sequence reads as a line.
fn shape(pieces: &[Piece]) -> Vec<String> {
    pieces
        .iter()
        .map(|piece| match piece {
            Piece::Delta(delta) if delta.role.is_some() => "role".into(),
            Piece::Delta(delta) if delta.tool_calls.is_some() => "tool".into(),
            Piece::Delta(delta) => match &delta.audio {
                Some(audio) if audio.id.is_some() => "audio-id".into(),
                Some(audio) if audio.data.is_some() => "pcm".into(),
                Some(audio) if audio.expires_at.is_some() => "expires".into(),
                Some(audio) => format!("said:{}", audio.transcript.clone().unwrap_or_default()),
                None => format!("text:{}", delta.content.clone().flatten().unwrap_or_default()),
            },
            Piece::Finish(reason) => format!("finish:{reason:?}"),
            Piece::Usage(_) => "usage".into(),
            Piece::Error(_) => "error".into(),
            Piece::Done => "done".into(),
        })
        .collect()
}

fn sent(step: SpokenStep) -> Vec<Piece> {
    match step {
        SpokenStep::Send(pieces) => pieces,
        other => panic!("expected pieces to send, got {other:?}"),
    }
}

#[test]
fn a_spoken_answer_opens_with_its_id_and_says_each_clause_before_its_audio() {
    let mut map = SpokenChunks::new("audio_1".into(), true, 0.0).unwrap();
    let mut pieces = map.opening();
    pieces.extend(sent(map.event(Some(AnswerEvent::Text("Yes, ".into())))));
    pieces.extend(sent(map.event(Some(AnswerEvent::Clause("Yes, ".into())))));
    pieces.extend(sent(map.event(Some(tone(2400)))));
    pieces.extend(sent(map.event(Some(AnswerEvent::Clause("they are.".into())))));
    pieces.extend(sent(map.event(Some(tone(1200)))));
    let SpokenStep::Keep(done) = map.event(Some(AnswerEvent::Finished(summary(
        Ending::Completed(StopReason::Stop),
        "Yes, they are.",
    )))) else {
        panic!("a finished answer is kept");
    };
    pieces.extend(map.closing(&done, 1234));
    assert_eq!(
        shape(&pieces),
        [
            "role",
            "audio-id",
            "said:Yes, ",
            "pcm",
            "said:they are.",
            "pcm",
            "expires",
            "finish:Stop",
            "usage",
            "done"
        ]
    );
    let Piece::Delta(opening) = &pieces[1] else {
        unreachable!()
    };
    assert_eq!(opening.content, Some(None), "the audio opens with content: null");
    let Piece::Usage(usage) = &pieces[8] else {
        unreachable!()
    };
    assert_eq!(usage.prompt_tokens, 9);
    assert_eq!(usage.completion_tokens_details.text_tokens, 4);
    assert!(
        usage.completion_tokens_details.audio_tokens > 0,
        "the audio is billed"
    );
}

#[test]
fn pcm_comes_in_whole_six_byte_groups() {
    let mut map = SpokenChunks::new("audio_1".into(), false, 0.0).unwrap();
    let mut bytes = 0;
    for samples in [1, 2, 4, 7, 2400, 5] {
        for piece in sent(map.event(Some(tone(samples)))) {
            let Piece::Delta(delta) = piece else {
                unreachable!()
            };
            let data = delta.audio.unwrap().data.unwrap();
            let decoded = base64::engine::general_purpose::STANDARD.decode(&data).unwrap();
            assert_eq!(decoded.len() % 6, 0, "{} bytes", decoded.len());
            assert!(!data.ends_with('='), "no base64 padding mid-stream");
            bytes += decoded.len();
        }
    }
    let done = summary(Ending::Completed(StopReason::Stop), "x");
    for piece in map.closing(&done, 1) {
        if let Piece::Delta(ChunkDelta {
            audio: Some(audio), ..
        }) = piece
            && let Some(data) = audio.data
        {
            bytes += base64::engine::general_purpose::STANDARD
                .decode(&data)
                .unwrap()
                .len();
        }
    }
    // Every sample comes out, two bytes each, by the end: the last group padded whole.
    let samples: usize = 1 + 2 + 4 + 7 + 2400 + 5;
    assert_eq!(bytes, 2 * samples.div_ceil(3) * 3);
}

#[test]
fn tool_calls_are_numbered_and_a_bare_call_bills_no_audio() {
    let mut map = SpokenChunks::new("audio_1".into(), true, 0.0).unwrap();
    let first = sent(map.event(Some(AnswerEvent::ToolCall(call()))));
    let second = sent(map.event(Some(AnswerEvent::ToolCall(call()))));
    for (expected, pieces) in [(0, first), (1, second)] {
        let Piece::Delta(delta) = &pieces[0] else {
            unreachable!()
        };
        let calls = delta.tool_calls.as_ref().unwrap();
        assert_eq!(calls[0].index, expected);
        assert_eq!(calls[0].function.as_ref().unwrap().name, "get_weather");
    }
    let done = summary(Ending::Completed(StopReason::ToolCalls), "");
    let closing = map.closing(&done, 1);
    assert_eq!(shape(&closing), ["expires", "finish:ToolCalls", "usage", "done"]);
    let Piece::Usage(usage) = &closing[2] else {
        unreachable!()
    };
    assert_eq!(usage.completion_tokens_details.audio_tokens, 0);
}

#[test]
fn a_failure_mid_answer_ends_with_one_error_event() {
    let mut map = SpokenChunks::new("audio_1".into(), true, 0.0).unwrap();
    let failed = AnswerEvent::Failed {
        error: PipelineError::Engine(EngineError::Busy {
            retry_after: std::time::Duration::from_secs(2),
        }),
        summary: summary(Ending::Failed, ""),
    };
    let SpokenStep::End(pieces) = map.event(Some(failed)) else {
        panic!("a failure ends the stream");
    };
    assert_eq!(shape(&pieces), ["error"]);
    let SpokenStep::End(pieces) = map.event(None) else {
        panic!("an answer that stops short ends the stream");
    };
    assert_eq!(shape(&pieces), ["error"]);
}

#[test]
fn a_text_answer_streams_content_then_finish_usage_done() {
    let mut map = TextChunks::new(true, 0.0);
    let mut pieces = map.opening();
    assert!(map.event(Some(Ok(ChatEvent::Cached(2)))).is_empty());
    pieces.extend(map.event(Some(Ok(ChatEvent::Text("Hi".into())))));
    pieces.extend(map.event(Some(Ok(ChatEvent::Progress {
        prompt_tokens: 3,
        completion_tokens: 1,
    }))));
    pieces.extend(map.event(Some(Ok(ChatEvent::ToolCall(call())))));
    pieces.extend(map.event(Some(Ok(ChatEvent::Finished {
        reason: StopReason::Stop,
        prompt_tokens: 3,
        completion_tokens: 1,
    }))));
    assert_eq!(
        shape(&pieces),
        ["role", "text:Hi", "tool", "finish:Stop", "usage", "done"]
    );
    let usage = pieces.iter().find_map(|p| match p {
        Piece::Usage(usage) => Some(usage),
        _ => None,
    });
    assert_eq!(usage.unwrap().prompt_tokens_details.cached_tokens, 2);
    let without_usage = TextChunks::new(false, 0.0).event(Some(Ok(ChatEvent::Finished {
        reason: StopReason::Length,
        prompt_tokens: 3,
        completion_tokens: 1,
    })));
    assert_eq!(shape(&without_usage), ["finish:Length", "done"]);
    let failed = map.event(Some(Err(EngineError::Internal("boom".into()))));
    assert_eq!(shape(&failed), ["error"]);
}
