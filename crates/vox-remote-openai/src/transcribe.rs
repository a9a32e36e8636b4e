//! Remote speech recognition: `/audio/transcriptions` (or `/audio/translations`), the audio
//! sent as 16 kHz WAV, `verbose_json` asked for so that the language and segments come back
//! (servers that answer only `{"text"}` are read too).

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;
use vox_engine::audio::AudioBuffer;
use vox_engine::transcribe::{Segment, Transcriber, Transcript, TranscriptionJob, TranscriptionTask};
use vox_engine::{EngineError, EngineStatus};

use crate::Endpoint;
use crate::client::Upstream;

/// The rate audio is sent at: every recogniser takes it, and it is a third of 48 kHz's bytes.
const RATE: u32 = 16_000;

pub struct RemoteTranscriber {
    upstream: Arc<Upstream>,
}

impl RemoteTranscriber {
    pub fn new(endpoint: Endpoint) -> Result<Self, EngineError> {
        Ok(Self {
            upstream: Arc::new(Upstream::new("speech recognition", endpoint)?),
        })
    }
}

#[async_trait]
impl Transcriber for RemoteTranscriber {
    fn sample_rate(&self) -> u32 {
        RATE
    }

    async fn transcribe(&self, job: TranscriptionJob) -> Result<Transcript, EngineError> {
        let route = match job.task {
            TranscriptionTask::Transcribe => "audio/transcriptions",
            TranscriptionTask::Translate => "audio/translations",
        };
        let file = reqwest::multipart::Part::bytes(wav(&job.audio))
            .file_name("audio.wav")
            .mime_str("audio/wav")
            .map_err(|err| EngineError::Internal(err.to_string()))?;
        let mut form = reqwest::multipart::Form::new()
            .part("file", file)
            .text("model", self.upstream.endpoint.model.clone())
            .text("response_format", "verbose_json")
            .text("temperature", job.temperature.to_string());
        if let (Some(language), TranscriptionTask::Transcribe) = (&job.language, job.task) {
            form = form.text("language", language.clone());
        }
        if let Some(prompt) = &job.prompt {
            form = form.text("prompt", prompt.clone());
        }
        let response = self
            .upstream
            .send(self.upstream.post(route).multipart(form))
            .await?;
        let body: Value = response
            .json()
            .await
            .map_err(|_| self.upstream.malformed("the transcription is not JSON"))?;
        transcript_of(&body, &job).ok_or_else(|| self.upstream.malformed("the transcription has no text"))
    }
}

impl EngineStatus for RemoteTranscriber {}

/// `verbose_json` (text, language, duration, segments) or plain `json` (text only).
fn transcript_of(body: &Value, job: &TranscriptionJob) -> Option<Transcript> {
    let text = body.get("text")?.as_str()?.trim().to_string();
    let duration_secs = body
        .get("duration")
        .and_then(Value::as_f64)
        .unwrap_or_else(|| job.audio.duration_secs());
    let language = body
        .get("language")
        .and_then(Value::as_str)
        .map(language_code)
        .or_else(|| job.language.clone())
        .unwrap_or_else(|| "en".into());
    let mut segments: Vec<Segment> = body
        .get("segments")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(segment_of).collect())
        .unwrap_or_default();
    if segments.is_empty() && !text.is_empty() {
        segments.push(plain_segment(&text, duration_secs));
    }
    Some(Transcript {
        text,
        language,
        duration_secs,
        segments,
    })
}

fn segment_of(value: &Value) -> Option<Segment> {
    let number = |name: &str| value.get(name).and_then(Value::as_f64);
    Some(Segment {
        start: number("start")?,
        end: number("end")?,
        text: value.get("text")?.as_str()?.to_string(),
        tokens: Vec::new(),
        avg_logprob: number("avg_logprob").unwrap_or(0.0),
        no_speech_prob: number("no_speech_prob").unwrap_or(0.0),
        temperature: number("temperature").unwrap_or(0.0),
        compression_ratio: number("compression_ratio").unwrap_or(1.0),
        words: Vec::new(),
    })
}

fn plain_segment(text: &str, duration_secs: f64) -> Segment {
    Segment {
        start: 0.0,
        end: duration_secs,
        text: text.to_string(),
        tokens: Vec::new(),
        avg_logprob: 0.0,
        no_speech_prob: 0.0,
        temperature: 0.0,
        compression_ratio: 1.0,
        words: Vec::new(),
    }
}

/// OpenAI's verbose_json names the language (`english`); Vox speaks in codes (`en`).
fn language_code(name: &str) -> String {
    const NAMES: [(&str, &str); 10] = [
        ("english", "en"),
        ("french", "fr"),
        ("spanish", "es"),
        ("german", "de"),
        ("italian", "it"),
        ("portuguese", "pt"),
        ("japanese", "ja"),
        ("chinese", "zh"),
        ("dutch", "nl"),
        ("hindi", "hi"),
    ];
    let lower = name.to_ascii_lowercase();
    NAMES
        .iter()
        .find(|(long, _)| *long == lower)
        .map_or(lower.clone(), |(_, code)| code.to_string())
}

/// Mono 16-bit WAV of `audio` (already at [`RATE`]: the server resamples to `sample_rate()`).
fn wav(audio: &AudioBuffer) -> Vec<u8> {
    let data_len = (audio.samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&audio.sample_rate.to_le_bytes());
    out.extend_from_slice(&(audio.sample_rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for sample in &audio.samples {
        out.extend_from_slice(&((sample.clamp(-1.0, 1.0) * 32767.0) as i16).to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn job(language: Option<&str>) -> TranscriptionJob {
        TranscriptionJob {
            audio: AudioBuffer {
                samples: vec![0.0; 32_000],
                sample_rate: RATE,
            },
            task: TranscriptionTask::Transcribe,
            language: language.map(str::to_string),
            prompt: None,
            temperature: 0.0,
            word_timestamps: false,
        }
    }

    #[test]
    fn verbose_json_gives_language_and_segments() {
        let body = json!({"text": " Hello there.", "language": "english", "duration": 1.5,
            "segments": [{"start": 0.0, "end": 1.5, "text": " Hello there.", "avg_logprob": -0.2}]});
        let transcript = transcript_of(&body, &job(None)).unwrap();
        assert_eq!(
            (transcript.text.as_str(), transcript.language.as_str()),
            ("Hello there.", "en")
        );
        assert_eq!(transcript.duration_secs, 1.5);
        assert_eq!(transcript.segments.len(), 1);
    }

    #[test]
    fn a_text_only_answer_is_one_segment_over_the_audio() {
        let transcript = transcript_of(&json!({"text": "Bonjour."}), &job(Some("fr"))).unwrap();
        assert_eq!(transcript.language, "fr");
        assert_eq!(transcript.duration_secs, 2.0);
        assert_eq!(transcript.segments[0].end, 2.0);
        assert!(transcript_of(&json!({"transcript": "x"}), &job(None)).is_none());
    }

    #[test]
    fn the_wav_is_mono_16_bit_at_the_audio_rate() {
        let bytes = wav(&AudioBuffer {
            samples: vec![0.5, -0.5],
            sample_rate: RATE,
        });
        assert_eq!(&bytes[..4], b"RIFF");
        assert_eq!(u32::from_le_bytes(bytes[24..28].try_into().unwrap()), RATE);
        assert_eq!(bytes.len(), 48);
        assert_eq!(i16::from_le_bytes([bytes[44], bytes[45]]), 16383);
    }
}
