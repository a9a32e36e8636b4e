//! The audio shape engines exchange, defined with the codecs in `vox-audio`.

pub use vox_audio::AudioBuffer;
