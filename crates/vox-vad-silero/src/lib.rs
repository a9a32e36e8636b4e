//! Voice activity engine of Vox: Silero VAD v6 (2.3 MB, MIT) on ONNX Runtime. It reads 32 ms
//! frames at 16 kHz and carries a small recurrent state from frame to frame, so each audio
//! stream gets its own [`SileroDetector`]; the model itself is shared.
//!
//! One frame costs a fraction of a millisecond on one thread, so it runs where the audio
//! arrives rather than on a thread of its own.

use std::path::Path;
use std::sync::{Arc, Mutex};

use ort::session::Session;
use ort::value::Tensor;
use vox_engine::EngineError;
use vox_engine::vad::{SpeechDetector, VoiceActivity};

pub const SAMPLE_RATE: u32 = 16_000;
/// Samples per frame at 16 kHz (32 ms).
pub const FRAME_LEN: usize = 512;
/// The samples of the previous frame the model sees before each new one.
const CONTEXT_LEN: usize = 64;
/// The recurrent state: [2, batch 1, 128].
const STATE_LEN: usize = 2 * 128;
const INPUTS: [&str; 3] = ["input", "state", "sr"];

pub struct SileroVad {
    session: Arc<Mutex<Session>>,
}

impl SileroVad {
    /// Loads `silero_vad.onnx` from `dir` on the ONNX Runtime library `onnx_runtime`.
    pub fn open(onnx_runtime: &Path, dir: &Path) -> Result<Self, String> {
        let session = vox_onnx::session(onnx_runtime, &dir.join("silero_vad.onnx"), 1)?;
        let inputs: Vec<&str> = session.inputs().iter().map(|i| i.name()).collect();
        if inputs != INPUTS {
            return Err(format!(
                "silero vad: expected inputs {INPUTS:?}, found {inputs:?}"
            ));
        }
        Ok(Self {
            session: Arc::new(Mutex::new(session)),
        })
    }
}

impl VoiceActivity for SileroVad {
    fn sample_rate(&self) -> u32 {
        SAMPLE_RATE
    }

    fn frame_len(&self) -> usize {
        FRAME_LEN
    }

    fn detector(&self) -> Box<dyn SpeechDetector> {
        Box::new(SileroDetector {
            session: self.session.clone(),
            state: vec![0.0; STATE_LEN],
            context: vec![0.0; CONTEXT_LEN],
        })
    }
}

/// One stream's state.
pub struct SileroDetector {
    session: Arc<Mutex<Session>>,
    state: Vec<f32>,
    context: Vec<f32>,
}

impl SpeechDetector for SileroDetector {
    fn speech_probability(&mut self, frame: &[f32]) -> Result<f32, EngineError> {
        if frame.len() != FRAME_LEN {
            return Err(EngineError::Internal(format!(
                "silero vad takes frames of {FRAME_LEN} samples, got {}",
                frame.len()
            )));
        }
        let failed = |e: ort::Error| EngineError::Internal(format!("silero vad: {e}"));
        let mut input = Vec::with_capacity(CONTEXT_LEN + FRAME_LEN);
        input.extend_from_slice(&self.context);
        input.extend_from_slice(frame);
        let input = Tensor::from_array(([1usize, CONTEXT_LEN + FRAME_LEN], input)).map_err(failed)?;
        let state = Tensor::from_array(([2usize, 1, 128], self.state.clone())).map_err(failed)?;
        let rate = Tensor::from_array(((), vec![i64::from(SAMPLE_RATE)])).map_err(failed)?;
        let mut session = self
            .session
            .lock()
            .map_err(|_| EngineError::Internal("silero vad: a detector panicked".into()))?;
        let outputs = session
            .run(ort::inputs!["input" => input, "state" => state, "sr" => rate])
            .map_err(failed)?;
        let (_, probability) = outputs["output"].try_extract_tensor::<f32>().map_err(failed)?;
        let (_, next_state) = outputs["stateN"].try_extract_tensor::<f32>().map_err(failed)?;
        if next_state.len() != STATE_LEN || probability.is_empty() {
            return Err(EngineError::Internal(
                "silero vad: unexpected output shapes".into(),
            ));
        }
        self.state.copy_from_slice(next_state);
        self.context.copy_from_slice(&frame[FRAME_LEN - CONTEXT_LEN..]);
        Ok(probability[0])
    }
}
