//! Long audio, window by window: each window starts where the last complete segment ended, so
//! no word is cut at a seam or said twice.

use std::path::Path;

use ct2rs::sys::{ComputeType, Config, StorageView, Whisper};
use tokenizers::Tokenizer;
use vox_engine::transcribe::{Segment, Transcript, TranscriptionJob, TranscriptionTask, Word};

use crate::WhisperError;
use crate::features::{HOP, LogMel, N_MELS, SAMPLE_RATE, WINDOW_FRAMES, encoder_frames};
use crate::tokens::{LANGUAGES, SpecialTokens};
use crate::window::{Decoded, Vocabulary, decode_with_fallback};

/// Frames per timestamp step (0.02 s at 100 frames/s).
const FRAMES_PER_TIMESTAMP: usize = 2;
/// Conditioning on earlier text stops after a window needed a high temperature (it was
/// probably wrong, and would mislead the next one).
const PROMPT_RESET_TEMPERATURE: f64 = 0.5;
/// Whisper's decoder takes at most 448 tokens; half may be spent on the previous text.
const MAX_PROMPT_TOKENS: usize = 223;
const SAMPLING_SEED: u32 = 0x5EED;
/// Smoothing of the attention weights before alignment, as Whisper's reference uses.
const MEDIAN_FILTER_WIDTH: i64 = 7;
/// The encoder halves the 10 ms mel frame rate.
const ENCODER_FRAME_SECS: f64 = 0.02;

pub struct WhisperModel {
    whisper: Whisper,
    tokenizer: Tokenizer,
    special: SpecialTokens,
    mel: LogMel,
}

impl WhisperModel {
    /// Loads a CTranslate2 Whisper folder (model.bin, config.json, tokenizer.json), int8.
    pub fn load(dir: &Path, threads: usize) -> Result<Self, WhisperError> {
        let config = Config {
            compute_type: ComputeType::INT8,
            num_threads_per_replica: threads,
            ..Default::default()
        };
        let whisper =
            Whisper::new(dir, config).map_err(|e| WhisperError::Load(format!("{}: {e}", dir.display())))?;
        let tokenizer = Tokenizer::from_file(dir.join("tokenizer.json"))
            .map_err(|e| WhisperError::Load(format!("tokenizer.json: {e}")))?;
        let special = SpecialTokens::new(&tokenizer)?;
        Ok(Self {
            whisper,
            tokenizer,
            special,
            mel: LogMel::new(),
        })
    }

    pub fn transcribe(&self, job: &TranscriptionJob) -> Result<Transcript, WhisperError> {
        self.transcribe_unless(job, &|| false)
    }

    /// As `transcribe`, giving up with `Cancelled` between the steps of a window (features,
    /// encoder, language, each decoding try) once `cancelled` says the caller has gone:
    /// CTranslate2 cannot stop inside a step, so a step is the latency of a disconnect.
    pub fn transcribe_unless(
        &self,
        job: &TranscriptionJob,
        cancelled: &dyn Fn() -> bool,
    ) -> Result<Transcript, WhisperError> {
        let check = || {
            if cancelled() {
                Err(WhisperError::Cancelled)
            } else {
                Ok(())
            }
        };
        // Sampling at fallback temperatures draws random numbers: a fixed seed per job makes the
        // same audio give the same transcript.
        ct2rs::set_random_seed(SAMPLING_SEED);
        let samples = &job.audio.samples;
        let duration_secs = samples.len() as f64 / f64::from(SAMPLE_RATE);
        let spectrogram = self.mel.compute(samples);
        let content_frames = samples.len() / HOP;
        let mut language = self.known_language(job)?;
        let mut segments = Vec::new();
        let mut previous: Vec<u32> = self.prompt_ids(job.prompt.as_deref());
        let mut seek = 0usize;
        while seek < content_frames {
            let remaining = content_frames - seek;
            let window_frames = WINDOW_FRAMES.min(remaining);
            // Whisper says "you" or "Thank you" to silence with confidence; a window that holds
            // next to no energy is not worth asking.
            if is_quiet(&samples[seek * HOP..((seek + window_frames) * HOP).min(samples.len())]) {
                seek += window_frames;
                continue;
            }
            check()?;
            let length = encoder_frames(remaining);
            let mut features = spectrogram.window(seek, length);
            let shape = [1, N_MELS, length];
            let view = StorageView::new(&shape, &mut features, Default::default()).map_err(decode_error)?;
            let encoded = self.whisper.encode(&view, false).map_err(decode_error)?;
            check()?;
            // Detected on the first window with sound, from its encoding (no second encoder pass).
            let language: &str = match &mut language {
                Some(known) => known,
                None => language.insert(self.detect_language(&encoded)?),
            };
            check()?;
            let (prompt, context) = self.prompt(&previous, language, job.task);
            let vocabulary = Vocabulary {
                text: &|ids| self.text(ids),
                is_timestamp: &|id| self.special.is_timestamp(id),
            };
            let decoded = decode_with_fallback(
                &self.whisper,
                &encoded,
                &prompt,
                context,
                job.temperature as f32,
                &vocabulary,
                &check,
            )?;
            let offset = seek as f64 * HOP as f64 / f64::from(SAMPLE_RATE);
            let window_secs = window_frames as f64 * HOP as f64 / f64::from(SAMPLE_RATE);
            if decoded.is_silence() {
                seek += window_frames;
                continue;
            }
            let (mut window_segments, consumed) = self.split(&decoded, offset, window_secs, window_frames);
            if job.word_timestamps {
                let words = self.words(&encoded, language, job.task, &decoded, window_frames, offset)?;
                attach_words(&mut window_segments, words);
            }
            if decoded.temperature > PROMPT_RESET_TEMPERATURE || decoded.context_dropped {
                previous.clear();
            } else {
                previous.extend(decoded.ids.iter().filter(|&&id| !self.special.is_timestamp(id)));
            }
            for segment in window_segments.into_iter().filter(|s| !s.text.trim().is_empty()) {
                if !is_third_repeat(&segments, &segment) {
                    segments.push(segment);
                }
            }
            seek += consumed.max(1);
        }
        let text = segments
            .iter()
            .map(|s| s.text.trim())
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        Ok(Transcript {
            text,
            // Audio with no sound anywhere was never asked about: report English.
            language: language.unwrap_or_else(|| "en".into()),
            duration_secs,
            segments,
        })
    }

    /// The hint if given; English for English-only models; otherwise `None` (to be detected).
    fn known_language(&self, job: &TranscriptionJob) -> Result<Option<String>, WhisperError> {
        if let Some(language) = &job.language {
            if !LANGUAGES.contains(&language.as_str()) {
                return Err(WhisperError::Input(format!(
                    "Whisper does not know the language '{language}'."
                )));
            }
            return Ok(Some(language.clone()));
        }
        Ok((!self.whisper.is_multilingual()).then(|| "en".to_string()))
    }

    /// CTranslate2 takes an already encoded window here as well as features.
    fn detect_language(&self, encoded: &StorageView) -> Result<String, WhisperError> {
        let detected = self.whisper.detect_language(encoded).map_err(decode_error)?;
        // ct2rs keeps the fields private; its Debug output names the best language first.
        let debug = format!("{:?}", detected.first().and_then(|d| d.first()));
        let code = debug
            .split("<|")
            .nth(1)
            .and_then(|s| s.split("|>").next())
            .unwrap_or("en");
        Ok(code.to_string())
    }

    /// The decoder's prompt, and how many of its leading tokens are earlier text (context).
    fn prompt(&self, previous: &[u32], language: &str, task: TranscriptionTask) -> (Vec<String>, usize) {
        let mut prompt = Vec::new();
        if !previous.is_empty() {
            prompt.push("<|startofprev|>".to_string());
            let start = previous.len().saturating_sub(MAX_PROMPT_TOKENS);
            prompt.extend(
                previous[start..]
                    .iter()
                    .filter_map(|&id| self.tokenizer.id_to_token(id)),
            );
        }
        let context = prompt.len();
        prompt.push("<|startoftranscript|>".into());
        if self.whisper.is_multilingual() {
            prompt.push(format!("<|{language}|>"));
            prompt.push(match task {
                TranscriptionTask::Transcribe => "<|transcribe|>".into(),
                TranscriptionTask::Translate => "<|translate|>".into(),
            });
        }
        (prompt, context)
    }

    /// Word times from the decoder's cross-attention (CTranslate2's DTW alignment): a word starts
    /// where the alignment path reaches its first token.
    fn words(
        &self,
        encoded: &StorageView,
        language: &str,
        task: TranscriptionTask,
        decoded: &Decoded,
        window_frames: usize,
        offset: f64,
    ) -> Result<Vec<Word>, WhisperError> {
        let text: Vec<u32> = decoded
            .ids
            .iter()
            .copied()
            .filter(|&id| id < self.special.end_of_text)
            .collect();
        if text.is_empty() {
            return Ok(Vec::new());
        }
        let start: Vec<usize> = self
            .prompt(&[], language, task)
            .0
            .iter()
            .filter_map(|t| self.tokenizer.token_to_id(t).map(|id| id as usize))
            .collect();
        let tokens: Vec<usize> = text.iter().map(|&id| id as usize).collect();
        let aligned = self
            .whisper
            .align(
                encoded,
                &start,
                std::slice::from_ref(&tokens),
                &[window_frames],
                MEDIAN_FILTER_WIDTH,
            )
            .map_err(decode_error)?;
        let Some(alignment) = aligned.first() else {
            return Ok(Vec::new());
        };
        // The time each token is first reached on the path, in encoder frames (20 ms each).
        let mut token_start = vec![None; text.len() + 1];
        for step in &alignment.alignments {
            if let Some(slot) = usize::try_from(step.token_x)
                .ok()
                .and_then(|i| token_start.get_mut(i))
            {
                slot.get_or_insert(step.frame_x.max(0) as f64 * ENCODER_FRAME_SECS);
            }
        }
        let window_end = window_frames as f64 * HOP as f64 / f64::from(SAMPLE_RATE);
        let time = |i: usize| token_start.get(i).copied().flatten();
        let mut words = Vec::new();
        let mut first = 0;
        for i in 1..=text.len() {
            let starts_word = i == text.len()
                || self
                    .tokenizer
                    .id_to_token(text[i])
                    .is_some_and(|t| t.starts_with('\u{120}') || t.starts_with(' '));
            if !starts_word {
                continue;
            }
            let word = self.text(&text[first..i]).trim().to_string();
            let begin = time(first).unwrap_or(0.0);
            let end = time(i).unwrap_or(window_end).max(begin);
            if !word.is_empty() {
                words.push(Word {
                    text: word,
                    start: offset + begin,
                    end: offset + end,
                });
            }
            first = i;
        }
        Ok(words)
    }

    fn prompt_ids(&self, prompt: Option<&str>) -> Vec<u32> {
        let Some(text) = prompt.filter(|p| !p.trim().is_empty()) else {
            return Vec::new();
        };
        self.tokenizer
            .encode(format!(" {}", text.trim()), false)
            .map(|encoding| encoding.get_ids().to_vec())
            .unwrap_or_default()
    }

    fn text(&self, ids: &[u32]) -> String {
        let words: Vec<u32> = ids
            .iter()
            .copied()
            .filter(|&id| id < self.special.end_of_text)
            .collect();
        self.tokenizer.decode(&words, true).unwrap_or_default()
    }

    /// Segments between timestamp pairs, and how many frames of the window they account for.
    fn split(
        &self,
        decoded: &Decoded,
        offset: f64,
        window_secs: f64,
        window_frames: usize,
    ) -> (Vec<Segment>, usize) {
        let ids = &decoded.ids;
        let is_ts = |i: usize| ids.get(i).is_some_and(|&id| self.special.is_timestamp(id));
        let single_timestamp_ending = ids.len() >= 2 && is_ts(ids.len() - 1) && !is_ts(ids.len() - 2);
        let boundaries: Vec<usize> = (1..ids.len()).filter(|&i| is_ts(i) && is_ts(i - 1)).collect();
        let make = |slice: &[u32], start: f64, end: f64| Segment {
            start,
            end,
            text: self.text(slice),
            tokens: slice.to_vec(),
            avg_logprob: decoded.avg_logprob,
            no_speech_prob: decoded.no_speech_prob,
            temperature: decoded.temperature,
            compression_ratio: decoded.compression_ratio,
            words: Vec::new(),
        };
        if boundaries.is_empty() {
            let end = ids
                .iter()
                .rev()
                .find(|&&id| self.special.is_timestamp(id))
                .map(|&id| self.special.seconds(id));
            let end = end.filter(|&e| e > 0.0).unwrap_or(window_secs);
            return (vec![make(ids, offset, offset + end)], window_frames);
        }
        let mut segments = Vec::new();
        let mut last = 0;
        for &boundary in &boundaries {
            let slice = &ids[last..boundary];
            if let (Some(&first), Some(&end)) = (slice.first(), slice.last()) {
                let start = if self.special.is_timestamp(first) {
                    self.special.seconds(first)
                } else {
                    0.0
                };
                segments.push(make(slice, offset + start, offset + self.special.seconds(end)));
            }
            last = boundary;
        }
        if single_timestamp_ending {
            let tail = &ids[last..];
            if let Some(&first) = tail.first() {
                let end = self.special.seconds(*tail.last().unwrap_or(&first));
                segments.push(make(tail, offset + self.special.seconds(first), offset + end));
            }
            return (segments, window_frames);
        }
        // The text after the last complete segment is cut off: decode it again in the next window.
        let resume = ids[last - 1];
        let consumed = (resume - self.special.timestamp_begin) as usize * FRAMES_PER_TIMESTAMP;
        (segments, consumed.min(window_frames))
    }
}

/// A segment saying exactly what the two before it said is a decoding loop ("Seven of clubs.
/// Seven of clubs. Seven of clubs."), not speech; a real double ("Five. Five.") survives.
fn is_third_repeat(kept: &[Segment], next: &Segment) -> bool {
    let text = next.text.trim();
    kept.len() >= 2 && kept[kept.len() - 2..].iter().all(|s| s.text.trim() == text)
}

/// Each word goes to the segment it starts in (or the last one before it).
fn attach_words(segments: &mut [Segment], words: Vec<Word>) {
    for word in words {
        let index = segments
            .iter()
            .rposition(|s| s.start <= word.start + 0.01)
            .unwrap_or(0);
        if let Some(segment) = segments.get_mut(index) {
            segment.words.push(word);
        }
    }
}

/// Below -60 dBFS RMS: digital silence or the hiss of an empty room, never speech.
const QUIET_RMS: f32 = 1e-3;

fn is_quiet(samples: &[f32]) -> bool {
    let energy: f32 = samples.iter().map(|s| s * s).sum::<f32>() / samples.len().max(1) as f32;
    energy.sqrt() < QUIET_RMS
}

fn decode_error(err: impl std::fmt::Display) -> WhisperError {
    WhisperError::Decode(err.to_string())
}
