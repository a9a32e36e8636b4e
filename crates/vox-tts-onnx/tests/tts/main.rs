//! vox-tts-onnx's integration tests in one binary (one link of ONNX Runtime's loader and the
//! recogniser that hears the voices, instead of two).

#[path = "../../../vox-asr-whisper/tests/support/eval.rs"]
mod eval;

mod hibari;
mod voices;
