//! Which slot a request decodes in: the one whose cache already holds the longest start of its
//! prompt, without breaking the opening a living conversation keeps (see `ChatModel::prefill`)
//! while another slot will do, and otherwise the cache left alone longest.

use std::cmp::Reverse;
use std::time::Instant;

use llama_cpp_2::token::LlamaToken;

use crate::slot::Slot;

/// A slot as a home for one prompt; a larger `Fit` is better, field by field.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Fit {
    /// No conversation's kept opening is cut by placing the prompt here.
    keeps_openings: bool,
    /// Prompt tokens the slot holds or is reading already.
    shared: usize,
    /// Free, rather than reading an opening an answer would take over.
    free: bool,
    unused_since: Reverse<Instant>,
}

/// The chosen slot's index and how many prompt tokens it shares (cached or being read).
pub struct Choice {
    pub index: usize,
    pub shared: usize,
}

/// An answer may take a slot that is only reading an opening; a prefill takes free slots only.
pub fn choose(slots: &mut [Slot], prompt: &[LlamaToken], prefill: bool) -> Option<Choice> {
    slots
        .iter_mut()
        .enumerate()
        .filter(|(_, slot)| {
            if prefill {
                slot.request.is_none()
            } else {
                slot.is_available()
            }
        })
        .map(|(index, slot)| {
            let shared = shared_start(slot, prompt);
            let fit = Fit {
                keeps_openings: shared >= slot.kept_len(),
                shared,
                free: slot.request.is_none(),
                unused_since: Reverse(slot.last_used),
            };
            (fit, Choice { index, shared })
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, choice)| choice)
}

/// How many leading prompt tokens the slot's cache holds, counting those a prefill is still
/// reading into it.
fn shared_start(slot: &Slot, prompt: &[LlamaToken]) -> usize {
    let reading = slot
        .request
        .as_ref()
        .filter(|g| g.prefill_only)
        .map(|g| &g.to_prefill[..])
        .unwrap_or_default();
    slot.cached
        .iter()
        .chain(reading)
        .zip(prompt)
        .take_while(|(a, b)| a == b)
        .count()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::slot::{Keeper, Pin};

    fn tokens(ids: &[i32]) -> Vec<LlamaToken> {
        ids.iter().map(|&id| LlamaToken::new(id)).collect()
    }

    fn slot(seq: i32, cached: &[i32], used_ago_ms: u64) -> Slot {
        let mut slot = Slot::new(seq);
        slot.cached = tokens(cached);
        slot.last_used = Instant::now() - Duration::from_millis(used_ago_ms);
        slot
    }

    fn keeper() -> Arc<Keeper> {
        Arc::new(Keeper::new(tokio::sync::mpsc::unbounded_channel().1))
    }

    fn pin(slot: &mut Slot, keeper: &Arc<Keeper>, len: usize) {
        slot.pins.push(Pin {
            keeper: Arc::downgrade(keeper),
            len,
        });
    }

    #[test]
    fn the_slot_sharing_the_longest_start_wins() {
        let mut slots = [slot(0, &[1, 2], 10), slot(1, &[1, 2, 3, 4], 0), slot(2, &[], 99)];
        let choice = choose(&mut slots, &tokens(&[1, 2, 3, 4, 5]), false).unwrap();
        assert_eq!((choice.index, choice.shared), (1, 4));
    }

    #[test]
    fn among_equals_the_cache_left_alone_longest_goes() {
        let mut slots = [slot(0, &[7], 10), slot(1, &[8], 500), slot(2, &[9], 20)];
        let choice = choose(&mut slots, &tokens(&[1, 2]), false).unwrap();
        assert_eq!(choice.index, 1);
    }

    #[test]
    fn a_kept_opening_is_not_cut_while_another_slot_will_do() {
        // Slot 0 keeps a conversation's opening [1, 2, 3]; a stranger sharing only [1] goes to
        // slot 1 even though slot 0 shares more and slot 1 was used more recently.
        let kept = keeper();
        let mut slots = [slot(0, &[1, 2, 3], 500), slot(1, &[9], 0)];
        pin(&mut slots[0], &kept, 3);
        let stranger = choose(&mut slots, &tokens(&[1, 5]), false).unwrap();
        assert_eq!(stranger.index, 1);
        // The conversation's own turn, which starts with the whole opening, goes to slot 0.
        let own = choose(&mut slots, &tokens(&[1, 2, 3, 4]), false).unwrap();
        assert_eq!((own.index, own.shared), (0, 3));
    }

    #[test]
    fn a_kept_opening_gives_way_when_nothing_else_is_free_or_its_conversation_ended() {
        let kept = keeper();
        let mut slots = [slot(0, &[1, 2, 3], 0)];
        pin(&mut slots[0], &kept, 3);
        assert_eq!(choose(&mut slots, &tokens(&[4]), false).unwrap().index, 0);

        let mut slots = [slot(0, &[1, 2, 3], 0), slot(1, &[], 0)];
        pin(&mut slots[0], &kept, 3);
        drop(kept);
        // Unkept, slot 0 is an ordinary cache again, and shares the most.
        assert_eq!(choose(&mut slots, &tokens(&[1, 2, 9]), false).unwrap().index, 0);
        assert_eq!(slots[0].kept_len(), 0);
    }
}
