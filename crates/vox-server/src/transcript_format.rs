//! A transcript in each `response_format` OpenAI offers: pure functions, tested without a model.

use vox_engine::transcribe::{Transcript, TranscriptionTask};
use vox_protocol::transcription::{TranscriptSegment, TranscriptWord, Transcription, VerboseTranscription};

pub fn json(transcript: &Transcript) -> Transcription {
    Transcription {
        text: transcript.text.clone(),
    }
}

pub fn verbose_json(transcript: &Transcript, task: TranscriptionTask, words: bool) -> VerboseTranscription {
    let segments = transcript
        .segments
        .iter()
        .enumerate()
        .map(|(id, s)| TranscriptSegment {
            id: id as u32,
            seek: (s.start * 100.0) as u32,
            start: round(s.start),
            end: round(s.end),
            text: s.text.clone(),
            tokens: s.tokens.clone(),
            temperature: s.temperature,
            avg_logprob: s.avg_logprob,
            compression_ratio: s.compression_ratio,
            no_speech_prob: s.no_speech_prob,
        })
        .collect();
    let words = words.then(|| {
        transcript
            .segments
            .iter()
            .flat_map(|s| &s.words)
            .map(|w| TranscriptWord {
                word: w.text.clone(),
                start: round(w.start),
                end: round(w.end),
            })
            .collect()
    });
    VerboseTranscription {
        task: match task {
            TranscriptionTask::Transcribe => "transcribe".into(),
            TranscriptionTask::Translate => "translate".into(),
        },
        language: language_name(&transcript.language).to_string(),
        duration: round(transcript.duration_secs),
        text: transcript.text.clone(),
        segments,
        words,
    }
}

pub fn text(transcript: &Transcript) -> String {
    format!("{}\n", transcript.text)
}

/// SubRip: numbered cues, `HH:MM:SS,mmm`.
pub fn srt(transcript: &Transcript) -> String {
    let mut out = String::new();
    for (i, s) in transcript.segments.iter().enumerate() {
        out += &format!(
            "{}\n{} --> {}\n{}\n\n",
            i + 1,
            clock(s.start, ','),
            clock(s.end, ','),
            s.text.trim()
        );
    }
    out
}

/// WebVTT: a header, then cues with `HH:MM:SS.mmm`.
pub fn vtt(transcript: &Transcript) -> String {
    let mut out = String::from("WEBVTT\n\n");
    for s in &transcript.segments {
        out += &format!(
            "{} --> {}\n{}\n\n",
            clock(s.start, '.'),
            clock(s.end, '.'),
            s.text.trim()
        );
    }
    out
}

fn clock(seconds: f64, separator: char) -> String {
    let millis = (seconds.max(0.0) * 1000.0).round() as u64;
    let (h, m, s, ms) = (
        millis / 3_600_000,
        millis / 60_000 % 60,
        millis / 1000 % 60,
        millis % 1000,
    );
    format!("{h:02}:{m:02}:{s:02}{separator}{ms:03}")
}

fn round(seconds: f64) -> f64 {
    (seconds * 100.0).round() / 100.0
}

/// verbose_json names the language in English, as OpenAI does ("english", not "en").
fn language_name(code: &str) -> &str {
    match code {
        "en" => "english",
        "fr" => "french",
        "de" => "german",
        "es" => "spanish",
        "it" => "italian",
        "pt" => "portuguese",
        "nl" => "dutch",
        "ja" => "japanese",
        "zh" => "chinese",
        "ru" => "russian",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vox_engine::transcribe::Segment;

    fn transcript() -> Transcript {
        let segment = |start, end, text: &str| Segment {
            start,
            end,
            text: text.into(),
            tokens: vec![1, 2],
            avg_logprob: -0.2,
            no_speech_prob: 0.01,
            temperature: 0.0,
            compression_ratio: 1.1,
            words: vec![],
        };
        Transcript {
            text: "Ten of clubs. Four queen of clubs.".into(),
            language: "en".into(),
            duration_secs: 3661.5,
            segments: vec![
                segment(0.0, 1.5, " Ten of clubs."),
                segment(3660.25, 3661.5, " Four queen of clubs."),
            ],
        }
    }

    #[test]
    fn srt_numbers_cues_with_comma_milliseconds() {
        assert_eq!(
            srt(&transcript()),
            "1\n00:00:00,000 --> 00:00:01,500\nTen of clubs.\n\n2\n01:01:00,250 --> 01:01:01,500\nFour queen of clubs.\n\n"
        );
    }

    #[test]
    fn vtt_has_a_header_and_dot_milliseconds() {
        let out = vtt(&transcript());
        assert!(out.starts_with("WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nTen of clubs.\n\n"));
        assert!(out.contains("01:01:00.250 --> 01:01:01.500\nFour queen of clubs."));
    }

    #[test]
    fn verbose_json_names_the_language_and_numbers_segments() {
        let verbose = verbose_json(&transcript(), TranscriptionTask::Transcribe, false);
        assert_eq!(
            (verbose.language.as_str(), verbose.task.as_str()),
            ("english", "transcribe")
        );
        assert_eq!(verbose.segments[1].id, 1);
        assert_eq!(verbose.segments[1].start, 3660.25);
        assert!(verbose.words.is_none());
        assert_eq!(text(&transcript()), "Ten of clubs. Four queen of clubs.\n");
    }
}
