//! Server-sent events as bytes arrive: the `data:` payload of each event, in order.

#[derive(Default)]
pub struct SseLines {
    buffered: Vec<u8>,
    data: Vec<String>,
}

impl SseLines {
    /// Feeds `bytes`; returns the payloads of the events they complete.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        self.buffered.extend_from_slice(bytes);
        let mut events = Vec::new();
        while let Some(end) = self.buffered.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.buffered.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                // A blank line ends an event.
                if !self.data.is_empty() {
                    events.push(self.data.join("\n"));
                    self.data.clear();
                }
            } else if let Some(value) = line.strip_prefix("data:") {
                self.data
                    .push(value.strip_prefix(' ').unwrap_or(value).to_string());
            }
            // Comments (`: keep-alive`), `event:` and `id:` lines carry nothing Vox needs.
        }
        events
    }

    /// What the body's end completes: a last event without its blank line.
    pub fn finish(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.buffered);
        let mut tail = self.push(&rest);
        if !rest.ends_with(b"\n") {
            let line = String::from_utf8_lossy(&rest).to_string();
            if let Some(value) = line.strip_prefix("data:") {
                self.data.push(value.trim_start().to_string());
            }
        }
        if !self.data.is_empty() {
            tail.push(self.data.join("\n"));
            self.data.clear();
        }
        tail.pop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_anywhere_are_joined() {
        let mut lines = SseLines::default();
        let body = b"data: {\"a\":1}\n\n: keep-alive\n\ndata: {\"b\"\r\n\r\ndata: [DONE]\n\n";
        let mut events = Vec::new();
        for piece in body.chunks(3) {
            events.extend(lines.push(piece));
        }
        assert_eq!(events, vec!["{\"a\":1}", "{\"b\"", "[DONE]"]);
        assert_eq!(lines.finish(), None);
    }

    #[test]
    fn a_last_event_without_its_blank_line_still_counts() {
        let mut lines = SseLines::default();
        assert!(lines.push(b"data: {\"x\":2}").is_empty());
        assert_eq!(lines.finish().as_deref(), Some("{\"x\":2}"));
    }
}
