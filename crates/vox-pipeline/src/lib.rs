//! The voice pipeline every front door drives (chat completions, realtime, the playground, the
//! client commands): speech heard as text, the language model's text cut into clauses while it
//! streams, each clause spoken while the next is written, all audio at the output rate.
//!
//! It knows engines (`vox-engine`) and audio (`vox-audio`), never HTTP or OpenAI's wire types:
//! a front door translates its requests into these calls and these events back into its own
//! shapes.

pub mod clauses;
pub mod error;
pub mod for_the_ear;
pub mod hearing;
pub mod output_rate;
pub mod spoken;
pub mod spoken_style;
pub mod turn_detection;
pub mod turn_words;

pub use error::PipelineError;
pub use for_the_ear::{ForTheEar, for_the_ear};
pub use hearing::{Heard, hear};
pub use output_rate::{OUTPUT_RATE, ToOutputRate};
pub use spoken::{AnswerEvent, Ending, SpokenAnswer, SpokenClause, Summary, Timings, Voice};
pub use spoken_style::{DEFAULT_SPOKEN_STYLE, tell_it_is_speaking};
pub use turn_detection::{TurnDetector, TurnEnding, TurnEvent, TurnSettings};
