//! Engines that follow a script, so the pipeline and the server can be tested without models.
//! Only ever a dev-dependency: nothing here is reachable from the `vox` binary.

mod chat;
mod transcriber;
mod vad;
mod voice;

pub use chat::ScriptedChat;
pub use transcriber::ScriptedTranscriber;
pub use vad::{LoudnessVad, ScriptedTurnEnd};
pub use voice::{TONE_RATE, ToneVoice};
