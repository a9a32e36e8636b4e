//! The one audio shape engines exchange; `vox-audio` decodes into it and encodes from it.

/// Mono samples in [-1, 1] at a known rate: the only audio shape engines exchange.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioBuffer {
    pub samples: Vec<f32>,
    pub sample_rate: u32,
}

impl AudioBuffer {
    pub fn duration_secs(&self) -> f64 {
        if self.sample_rate == 0 {
            return 0.0;
        }
        self.samples.len() as f64 / f64::from(self.sample_rate)
    }
}
