//! Decoding one 30-second window, faster-whisper style: greedy at temperature 0, retried at
//! higher temperatures when the text repeats itself (compresses too well) or is improbable; a
//! window the model judges to be no speech yields nothing rather than invented words.

use std::io::Write;

use ct2rs::sys::{StorageView, Whisper, WhisperOptions};

use crate::WhisperError;

pub const TEMPERATURES: [f32; 6] = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0];
/// Text whose zlib ratio exceeds this is a loop ("the the the ...").
pub const COMPRESSION_RATIO_THRESHOLD: f64 = 2.4;
pub const LOG_PROB_THRESHOLD: f64 = -1.0;
pub const NO_SPEECH_THRESHOLD: f64 = 0.6;

#[derive(Debug, Clone)]
pub struct Decoded {
    /// Generated token ids, timestamps included, end-of-text excluded.
    pub ids: Vec<u32>,
    pub avg_logprob: f64,
    pub no_speech_prob: f64,
    pub compression_ratio: f64,
    pub temperature: f64,
    /// Decoded without the earlier text that the prompt carried (see `decode_with_fallback`).
    pub context_dropped: bool,
    /// Words that no timestamp ever closed: the model stopped following the audio's timing,
    /// typically to recite the earlier text it was prompted with (see `decode_with_fallback`).
    pub untimed: bool,
}

/// What decoding needs of the tokenizer.
pub struct Vocabulary<'a> {
    pub text: &'a dyn Fn(&[u32]) -> String,
    pub is_timestamp: &'a dyn Fn(u32) -> bool,
}

impl Decoded {
    /// The model's own verdict that the window holds no speech.
    pub fn is_silence(&self) -> bool {
        self.no_speech_prob > NO_SPEECH_THRESHOLD && self.avg_logprob < LOG_PROB_THRESHOLD
    }

    fn needs_fallback(&self) -> bool {
        self.compression_ratio > COMPRESSION_RATIO_THRESHOLD || self.avg_logprob < LOG_PROB_THRESHOLD
    }
}

/// Decodes `encoded` (one window's encoder output) with `prompt`, climbing the temperature
/// ladder until the result is plausible (or keeping the last try). The first `context` tokens of
/// `prompt` are earlier text: when the first try fails, the window is decoded again at the same
/// temperature without them and they stay out of the hotter tries, because text that led the
/// model into a loop ("He would have been made ... He would have been made ...") leads it back.
/// A try that is fine but `untimed` gets the same second chance without the earlier text: audio
/// that repeats what was said before (a chorus, a read-back, a recording played twice) otherwise
/// lets the model finish the sentence from its prompt past the end of the window, and the next
/// window then says the cut-off words again. `vocabulary` renders ids for the compression check
/// and finds timestamps; `check` fails once the caller has gone, and is asked before every try
/// after the first.
pub fn decode_with_fallback(
    whisper: &Whisper,
    encoded: &StorageView,
    prompt: &[String],
    context: usize,
    first_temperature: f32,
    vocabulary: &Vocabulary,
    check: &dyn Fn() -> Result<(), WhisperError>,
) -> Result<Decoded, WhisperError> {
    let mut ladder: Vec<(f32, bool)> = TEMPERATURES
        .iter()
        .filter(|&&t| t >= first_temperature)
        .enumerate()
        .map(|(i, &t)| (t, i == 0))
        .collect();
    if context > 0 && !ladder.is_empty() {
        ladder.insert(1, (ladder[0].0, false));
    }
    let mut last = None;
    for (temperature, with_context) in ladder {
        if last.is_some() {
            check()?;
        }
        let prompt = if with_context { prompt } else { &prompt[context..] };
        let mut decoded = decode_once(whisper, encoded, prompt, temperature, vocabulary)?;
        decoded.context_dropped = !with_context && context > 0;
        tracing::debug!(
            temperature,
            with_context,
            avg_logprob = decoded.avg_logprob,
            compression_ratio = decoded.compression_ratio,
            "whisper window decoded"
        );
        let recited = decoded.untimed && with_context && context > 0;
        // Silence is an answer too: do not sample words into it.
        if decoded.is_silence() || !(decoded.needs_fallback() || recited) {
            return Ok(decoded);
        }
        last = Some(decoded);
    }
    last.ok_or_else(|| WhisperError::Decode("no temperature to try".into()))
}

fn decode_once(
    whisper: &Whisper,
    encoded: &StorageView,
    prompt: &[String],
    temperature: f32,
    vocabulary: &Vocabulary,
) -> Result<Decoded, WhisperError> {
    let options = WhisperOptions {
        beam_size: 1,
        sampling_topk: if temperature > 0.0 { 0 } else { 1 },
        sampling_temperature: temperature.max(f32::EPSILON),
        return_scores: true,
        return_no_speech_prob: true,
        ..Default::default()
    };
    let results = whisper
        .generate(encoded, std::slice::from_ref(&prompt.to_vec()), &options)
        .map_err(|e| WhisperError::Decode(e.to_string()))?;
    let result = results
        .into_iter()
        .next()
        .ok_or_else(|| WhisperError::Decode("no result".into()))?;
    let ids: Vec<u32> = result
        .sequences_ids
        .first()
        .map(|s| s.iter().map(|&i| i as u32).collect())
        .unwrap_or_default();
    let score = f64::from(result.scores.first().copied().unwrap_or(f32::MIN));
    // CTranslate2 scores are log probabilities divided by the length; count the end token too,
    // as faster-whisper does.
    let length = ids.len() as f64;
    let avg_logprob = score * length / (length + 1.0);
    let text = (vocabulary.text)(&ids);
    Ok(Decoded {
        compression_ratio: compression_ratio(&text),
        untimed: !text.trim().is_empty() && !closes_a_segment(&ids, vocabulary.is_timestamp),
        ids,
        avg_logprob,
        no_speech_prob: f64::from(result.no_speech_prob),
        temperature: f64::from(temperature),
        context_dropped: false,
    })
}

/// Whether a timestamp ever ends a segment: a pair of them between segments, or one at the end.
fn closes_a_segment(ids: &[u32], is_timestamp: &dyn Fn(u32) -> bool) -> bool {
    ids.last().is_some_and(|&id| is_timestamp(id))
        || ids.windows(2).any(|w| w.iter().all(|&id| is_timestamp(id)))
}

/// Bytes of text per byte of its zlib compression: loops compress far better than speech.
pub fn compression_ratio(text: &str) -> f64 {
    if text.is_empty() {
        return 0.0;
    }
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let compressed = encoder
        .write_all(text.as_bytes())
        .and_then(|()| encoder.finish())
        .map(|c| c.len())
        .unwrap_or(1);
    text.len() as f64 / compressed.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loops_compress_better_than_speech() {
        let speech =
            "He was not an ill disposed young man, unless to be rather cold hearted is to be ill disposed.";
        let looping =
            "the the the the the the the the the the the the the the the the the the the the the the";
        assert!(compression_ratio(speech) < COMPRESSION_RATIO_THRESHOLD);
        assert!(compression_ratio(looping) > COMPRESSION_RATIO_THRESHOLD);
        assert_eq!(compression_ratio(""), 0.0);
    }

    #[test]
    fn a_segment_is_closed_by_a_timestamp_pair_or_a_final_one() {
        // Timestamps are the ids from 100 on in this toy vocabulary.
        let is_timestamp = |id: u32| id >= 100;
        assert!(closes_a_segment(&[100, 1, 2, 150], &is_timestamp));
        assert!(closes_a_segment(&[100, 1, 150, 150, 3], &is_timestamp));
        assert!(!closes_a_segment(&[100, 1, 2, 3], &is_timestamp));
        assert!(!closes_a_segment(&[1, 2, 3], &is_timestamp));
        assert!(!closes_a_segment(&[], &is_timestamp));
    }
}
