//! A request's prompt, rendered and counted before it reaches the model thread: size before
//! cost. The model thread decodes for everyone, so a prompt it cannot hold must be refused
//! without it: a 25 MB prompt tokenized there once froze every answer for half a minute.
//!
//! The work here is bounded and stops when the client leaves:
//! 1. A prompt longer in bytes than the context times the vocabulary's longest token cannot
//!    fit; it is refused without tokenizing anything.
//! 2. Anything shorter is counted piece by piece, checking between pieces whether the client is
//!    still there, and refused as soon as the count passes the context.
//! 3. Only a prompt whose count fits is tokenized whole, for the model.

use std::sync::Arc;

use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;
use vox_engine::EngineError;
use vox_engine::chat::ChatJob;

use crate::prompt::{Prompt, PromptTemplate};

/// Bytes counted between two looks at whether the client left (a few milliseconds of work).
const PIECE_BYTES: usize = 16 * 1024;
/// Tokens a cut between pieces may add or save (a word split in two), per cut.
const TOKENS_PER_CUT: usize = 2;

/// A prompt ready for the model: its text (for the answer's prefill) and its tokens.
pub struct Measured {
    pub prompt: Prompt,
    pub tokens: Vec<LlamaToken>,
}

/// Why a prompt did not reach the model.
#[derive(Debug)]
pub enum NotMeasured {
    /// The client left; nobody is waiting for an answer.
    Abandoned,
    Refused(EngineError),
}

impl From<EngineError> for NotMeasured {
    fn from(err: EngineError) -> Self {
        Self::Refused(err)
    }
}

/// Shared by every request's preparation, on any thread.
pub struct PromptMeasure {
    model: Arc<LlamaModel>,
    template: PromptTemplate,
    context_tokens: usize,
    longest_token_bytes: usize,
}

impl PromptMeasure {
    pub fn new(model: Arc<LlamaModel>, template: PromptTemplate, context_tokens: usize) -> Self {
        let longest_token_bytes = longest_token_bytes(&model);
        Self {
            model,
            template,
            context_tokens,
            longest_token_bytes,
        }
    }

    /// Renders and counts `job`'s prompt (only its opening, without the answer's start, for a
    /// prefill); `left` says whether its client has gone.
    pub fn measure(
        &self,
        job: &ChatJob,
        opening_only: bool,
        left: impl Fn() -> bool,
    ) -> Result<Measured, NotMeasured> {
        // The texts alone, before the template copies them.
        let texts: usize = job.turns.iter().map(|t| t.text.len()).sum();
        self.check_bytes(texts)?;
        let prompt = match opening_only {
            true => self.template.render_opening(job),
            false => self.template.render(job),
        }
        .map_err(EngineError::InvalidInput)?;
        tracing::trace!(prompt = %prompt.text, "prompt");
        self.check_bytes(prompt.text.len())?;
        self.count_by_pieces(&prompt.text, left)?;
        // A template that writes the BOS token itself must not get a second one.
        let add_special = !self.template.starts_with_bos(&prompt.text);
        let tokens = self
            .model
            .vocab()
            .tokenize(prompt.text.as_bytes(), add_special, true);
        if tokens.is_empty() {
            return Err(
                EngineError::InvalidInput("The conversation renders to an empty prompt.".into()).into(),
            );
        }
        // One token of room is needed for even the shortest answer.
        if tokens.len() >= self.context_tokens {
            return Err(self.too_long(tokens.len()).into());
        }
        Ok(Measured { prompt, tokens })
    }

    fn check_bytes(&self, bytes: usize) -> Result<(), EngineError> {
        if bytes <= self.context_tokens.saturating_mul(self.longest_token_bytes) {
            return Ok(());
        }
        Err(EngineError::PromptTooLong {
            limit: self.context_tokens as u64,
            bytes: bytes as u64,
        })
    }

    /// Counts the prompt a piece at a time; refuses it once the count cannot fit even allowing
    /// for the cuts.
    fn count_by_pieces(&self, text: &str, left: impl Fn() -> bool) -> Result<(), NotMeasured> {
        // One piece would be tokenized twice: the whole tokenization that follows counts it.
        if text.len() <= PIECE_BYTES {
            return Ok(());
        }
        let vocab = self.model.vocab();
        let mut counted = 0;
        for (cuts, piece) in pieces(text, PIECE_BYTES).enumerate() {
            if left() {
                return Err(NotMeasured::Abandoned);
            }
            counted += vocab.tokenize(piece.as_bytes(), false, true).len();
            if counted > self.context_tokens + cuts * TOKENS_PER_CUT {
                return Err(self.too_long(counted).into());
            }
        }
        Ok(())
    }

    fn too_long(&self, tokens: usize) -> EngineError {
        EngineError::ContextLengthExceeded {
            limit: self.context_tokens as u64,
            requested: tokens as u64,
        }
    }
}

/// The most bytes any one token stands for: a prompt longer than the context times this cannot
/// fit, whatever it says.
fn longest_token_bytes(model: &LlamaModel) -> usize {
    let vocab = model.vocab();
    (0..vocab.n_tokens())
        .map(|id| vocab.token_to_piece(LlamaToken::new(id), true, None).len())
        .max()
        .unwrap_or(1)
        .max(1)
}

/// `text` in pieces of about `size` bytes, each cut before a space or a line break where one is
/// near (so few words are split), always on a character boundary.
fn pieces(text: &str, size: usize) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let cut = cut_near(rest, size);
        let (piece, after) = rest.split_at(cut);
        rest = after;
        Some(piece)
    })
}

fn cut_near(text: &str, size: usize) -> usize {
    if text.len() <= size {
        return text.len();
    }
    let mut end = size;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let window = &text[..end];
    match window.rfind([' ', '\n']) {
        Some(space) if space > end / 2 => space,
        _ => end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_cover_the_text_in_order_on_character_boundaries() {
        let text = "é word ".repeat(5000) + "ünïcödé";
        let parts: Vec<&str> = pieces(&text, 1000).collect();
        assert!(parts.len() > 30);
        assert!(parts.iter().all(|p| p.len() <= 1000 && !p.is_empty()));
        assert_eq!(parts.concat(), text);
        // Cut before a space where one is near: words stay whole.
        assert!(parts[1].starts_with(' '));
    }

    #[test]
    fn a_text_without_spaces_is_still_cut() {
        let text = "ж".repeat(10_000);
        let parts: Vec<&str> = pieces(&text, 999).collect();
        assert_eq!(parts.concat(), text);
        assert!(parts.iter().all(|p| p.len() <= 999));
    }
}
