//! What of the model's text may leave now: stop sequences are cut (and text that might begin one
//! is held back until it cannot), and with tools on, a tool call is captured instead of shown.

/// The tag every prompt tells the model to wrap a call in (Qwen's own convention, which Vox also
/// teaches models whose template knows no tools).
pub const TOOL_CALL_OPEN: &str = "<tool_call>";
/// Small models also write their call as a Markdown code block (```json {...} ```): with tools
/// on, a fence is held back like the tag until the answer shows what it held.
pub const CODE_FENCE: &str = "```";
/// Where a captured tool call may begin.
const CALL_MARKERS: [&str; 2] = [TOOL_CALL_OPEN, CODE_FENCE];

#[derive(Debug)]
pub struct OutputFilter {
    stops: Vec<String>,
    tools: bool,
    held: String,
    emitted_any: bool,
    captured: Option<String>,
}

/// What is left when generation ends.
#[derive(Debug, PartialEq)]
pub struct FilterEnd {
    /// Text still to show (used when `tool_text` does not parse as a call).
    pub text: String,
    /// Text that should hold tool calls.
    pub tool_text: Option<String>,
}

impl OutputFilter {
    /// `prefill` is text already placed after the assistant header (a forced tool call start):
    /// the model continues it, so it counts as captured output.
    pub fn new(stops: Vec<String>, tools: bool, prefill: Option<String>) -> Self {
        let stops = stops.into_iter().filter(|s| !s.is_empty()).collect();
        Self {
            stops,
            tools,
            held: String::new(),
            emitted_any: false,
            captured: prefill,
        }
    }

    /// Takes new text; returns what may be shown now and whether a stop sequence ended the answer.
    pub fn push(&mut self, text: &str) -> (String, bool) {
        if let Some(captured) = &mut self.captured {
            captured.push_str(text);
            return (String::new(), false);
        }
        self.held.push_str(text);
        let stop_at = self.first_stop();
        let tool_at = self
            .tools
            .then(|| CALL_MARKERS.iter().filter_map(|m| self.held.find(m)).min())
            .flatten();
        match (stop_at, tool_at) {
            (Some(stop), tool) if tool.is_none_or(|t| stop < t) => {
                let shown = self.held[..stop].to_string();
                self.held.clear();
                (self.mark(shown), true)
            }
            (_, Some(tool)) => {
                let shown = self.held[..tool].to_string();
                self.captured = Some(self.held[tool..].to_string());
                self.held.clear();
                (self.mark(shown), false)
            }
            _ if self.may_be_bare_json_call() => (String::new(), false),
            _ => {
                let keep = self.undecided_suffix_len();
                let shown = self.held[..self.held.len() - keep].to_string();
                self.held.drain(..self.held.len() - keep);
                (self.mark(shown), false)
            }
        }
    }

    /// The text captured as a tool call so far.
    pub fn captured(&self) -> Option<&str> {
        self.captured.as_deref()
    }

    /// Text taken but not shown yet (held back or captured as a call).
    pub fn pending(&self) -> String {
        format!("{}{}", self.held, self.captured.as_deref().unwrap_or_default())
    }

    /// Whether any text has been let out.
    pub fn emitted_any(&self) -> bool {
        self.emitted_any
    }

    /// Forgets the captured call (the words before it stand as the answer).
    pub fn drop_capture(&mut self) {
        self.captured = None;
    }

    /// What is left; the filter is empty afterwards.
    pub fn finish(&mut self) -> FilterEnd {
        let held = std::mem::take(&mut self.held);
        match self.captured.take() {
            Some(captured) => FilterEnd {
                text: format!("{held}{captured}"),
                tool_text: Some(captured),
            },
            None if self.tools && !self.emitted_any && held.trim_start().starts_with('{') => FilterEnd {
                tool_text: Some(held.clone()),
                text: held,
            },
            None => FilterEnd {
                text: held,
                tool_text: None,
            },
        }
    }

    fn mark(&mut self, shown: String) -> String {
        self.emitted_any |= !shown.is_empty();
        shown
    }

    fn first_stop(&self) -> Option<usize> {
        self.stops
            .iter()
            .filter_map(|stop| self.held.find(stop.as_str()))
            .min()
    }

    /// Small models sometimes answer a tool request with the bare JSON object: until the answer is
    /// over, a reply that opens with `{` cannot be told apart from one.
    fn may_be_bare_json_call(&self) -> bool {
        self.tools && !self.emitted_any && {
            let start = self.held.trim_start();
            start.is_empty() || start.starts_with('{')
        }
    }

    /// Length of the longest end of `held` that could still grow into a stop or a tool tag.
    fn undecided_suffix_len(&self) -> usize {
        let markers = self
            .stops
            .iter()
            .map(String::as_str)
            .chain(CALL_MARKERS.iter().copied().filter(|_| self.tools));
        let mut longest = 0;
        for marker in markers {
            for (start, _) in self.held.char_indices() {
                let tail = &self.held[start..];
                if tail.len() < marker.len() && marker.starts_with(tail) {
                    longest = longest.max(tail.len());
                    break;
                }
            }
        }
        longest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(filter: &mut OutputFilter, pieces: &[&str]) -> (String, bool) {
        let mut shown = String::new();
        for piece in pieces {
            let (text, stopped) = filter.push(piece);
            shown.push_str(&text);
            if stopped {
                return (shown, true);
            }
        }
        (shown, false)
    }

    #[test]
    fn text_without_markers_passes_at_once() {
        let mut filter = OutputFilter::new(vec![], false, None);
        assert_eq!(filter.push("Hello"), ("Hello".to_string(), false));
    }

    #[test]
    fn a_stop_split_across_pieces_is_cut() {
        let mut filter = OutputFilter::new(vec!["END".into()], false, None);
        assert_eq!(
            feed(&mut filter, &["one two E", "N", "D three"]),
            ("one two ".into(), true)
        );
    }

    #[test]
    fn text_that_only_looked_like_a_stop_is_released() {
        let mut filter = OutputFilter::new(vec!["END".into()], false, None);
        assert_eq!(filter.push("the E"), ("the ".into(), false));
        assert_eq!(filter.push("ngland"), ("England".into(), false));
    }

    #[test]
    fn the_earliest_stop_wins() {
        let mut filter = OutputFilter::new(vec!["b".into(), "a".into()], false, None);
        assert_eq!(filter.push("xxaxxb"), ("xx".into(), true));
    }

    #[test]
    fn a_tool_call_is_captured_not_shown() {
        let mut filter = OutputFilter::new(vec![], true, None);
        let (shown, stopped) = feed(
            &mut filter,
            &["Sure. <tool", "_call>\n{\"name\": \"f\"}", "</tool_call>"],
        );
        assert_eq!(shown, "Sure. ");
        assert!(!stopped);
        let end = filter.finish();
        assert_eq!(
            end.tool_text.unwrap(),
            "<tool_call>\n{\"name\": \"f\"}</tool_call>"
        );
    }

    #[test]
    fn a_fenced_block_is_captured_with_tools_on() {
        let mut filter = OutputFilter::new(vec![], true, None);
        let (shown, _) = feed(&mut filter, &["Checking. `", "``json\n{\"name\": \"f\"}\n```"]);
        assert_eq!(shown, "Checking. ");
        assert_eq!(
            filter.finish().tool_text.unwrap(),
            "```json\n{\"name\": \"f\"}\n```"
        );
    }

    #[test]
    fn bare_json_is_held_until_the_end() {
        let mut filter = OutputFilter::new(vec![], true, None);
        assert_eq!(
            feed(&mut filter, &[" {\"name\"", ": \"f\"}"]),
            (String::new(), false)
        );
        let end = filter.finish();
        assert_eq!(end.tool_text.as_deref(), Some(" {\"name\": \"f\"}"));
    }

    #[test]
    fn without_tools_braces_are_plain_text() {
        let mut filter = OutputFilter::new(vec![], false, None);
        assert_eq!(filter.push("{x}"), ("{x}".into(), false));
        assert_eq!(filter.finish().tool_text, None);
    }

    #[test]
    fn a_prefilled_call_captures_everything() {
        let mut filter = OutputFilter::new(vec![], true, Some("<tool_call>\n{\"name\": \"".into()));
        assert_eq!(filter.push("f\"}"), (String::new(), false));
        assert_eq!(
            filter.finish().tool_text.unwrap(),
            "<tool_call>\n{\"name\": \"f\"}"
        );
    }

    #[test]
    fn multibyte_text_near_a_marker_is_safe() {
        let mut filter = OutputFilter::new(vec!["é!".into()], false, None);
        assert_eq!(filter.push("café"), ("caf".into(), false));
        assert_eq!(filter.push("?"), ("é?".into(), false));
    }
}
