//! End-of-turn engine of Vox: smart-turn v3.2 (Pipecat, BSD-2, 8.7 MB int8 ONNX) on ONNX
//! Runtime. It hears the last 8 s of a caller's turn as Whisper's log-mel spectrogram and says
//! how likely the turn is complete, from the words and from how they were said.
//!
//! One call costs about 50 ms on one thread; it runs once per pause, not per frame.

mod features;

use std::path::Path;
use std::sync::Mutex;

use ort::session::Session;
use ort::value::Tensor;
use vox_engine::EngineError;
use vox_engine::vad::TurnEnd;
use vox_mel::MelBank;

pub use features::{CONTEXT_SAMPLES, FRAMES};

pub const MODEL_FILE: &str = "smart-turn-v3.2-cpu.onnx";
const INPUT: &str = "input_features";

pub struct SmartTurn {
    session: Mutex<Session>,
    bank: MelBank,
}

impl SmartTurn {
    /// Loads the model from `dir` on the ONNX Runtime library `onnx_runtime`.
    pub fn open(onnx_runtime: &Path, dir: &Path) -> Result<Self, String> {
        let session = vox_onnx::session(onnx_runtime, &dir.join(MODEL_FILE), 1)?;
        let inputs: Vec<&str> = session.inputs().iter().map(|i| i.name()).collect();
        if inputs != [INPUT] {
            return Err(format!(
                "smart-turn: expected the input {INPUT}, found {inputs:?}"
            ));
        }
        Ok(Self {
            session: Mutex::new(session),
            bank: MelBank::new(),
        })
    }
}

impl TurnEnd for SmartTurn {
    fn sample_rate(&self) -> u32 {
        vox_mel::SAMPLE_RATE
    }

    fn context_samples(&self) -> usize {
        CONTEXT_SAMPLES
    }

    fn finished(&self, audio: &[f32]) -> Result<f32, EngineError> {
        let failed = |e: ort::Error| EngineError::Internal(format!("smart-turn: {e}"));
        let input = features::of_last_seconds(&self.bank, audio);
        let input = Tensor::from_array(([1usize, vox_mel::N_MELS, FRAMES], input)).map_err(failed)?;
        let mut session = self
            .session
            .lock()
            .map_err(|_| EngineError::Internal("smart-turn: a caller panicked".into()))?;
        let outputs = session.run(ort::inputs![INPUT => input]).map_err(failed)?;
        let (_, probability) = outputs[0].try_extract_tensor::<f32>().map_err(failed)?;
        probability
            .first()
            .copied()
            .filter(|p| p.is_finite())
            .ok_or_else(|| EngineError::Internal("smart-turn: no probability out".into()))
    }
}
