//! Token pieces are bytes, and one character can span tokens: text leaves only as whole UTF-8.
//! A character the last token leaves unfinished (`max_tokens` can stop inside an emoji) is never
//! shown: it goes with the assembler, as a U+FFFD in its place would be a character no token
//! produced, and one a voice cannot say.

#[derive(Debug, Default)]
pub struct Utf8Assembler {
    pending: Vec<u8>,
}

impl Utf8Assembler {
    /// Adds a token's bytes and returns the text that is now complete.
    pub fn push(&mut self, bytes: &[u8]) -> String {
        self.pending.extend_from_slice(bytes);
        let complete = match std::str::from_utf8(&self.pending) {
            Ok(_) => self.pending.len(),
            Err(err) if err.error_len().is_none() => err.valid_up_to(),
            // Invalid bytes (not merely unfinished) are replaced rather than held forever.
            Err(_) => return self.take_lossy(),
        };
        let rest = self.pending.split_off(complete);
        String::from_utf8(std::mem::replace(&mut self.pending, rest)).unwrap_or_default()
    }

    fn take_lossy(&mut self) -> String {
        let bytes = std::mem::take(&mut self.pending);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_character_split_across_tokens_leaves_whole() {
        let mut utf8 = Utf8Assembler::default();
        let euro = "€".as_bytes();
        assert_eq!(utf8.push(b"5 "), "5 ");
        assert_eq!(utf8.push(&euro[..1]), "");
        assert_eq!(utf8.push(&euro[1..2]), "");
        assert_eq!(utf8.push(&euro[2..]), "€");
        assert!(utf8.pending.is_empty());
    }

    #[test]
    fn an_unfinished_character_at_the_end_is_dropped() {
        let mut utf8 = Utf8Assembler::default();
        assert_eq!(utf8.push(b"Hi "), "Hi ");
        assert_eq!(utf8.push(&"✨".as_bytes()[..2]), "");
        // Held back, and dropped with the assembler when the generation ends.
        assert_eq!(utf8.pending.len(), 2);
    }

    #[test]
    fn invalid_bytes_do_not_block_the_stream() {
        let mut utf8 = Utf8Assembler::default();
        assert_eq!(utf8.push(&[b'a', 0xFF, b'b']), "a\u{FFFD}b");
    }
}
