//! Files generated at install time for engines that load another layout. Each generator is a
//! pure function of its inputs, so its output hash can be recorded in the manifest.

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Generator {
    /// `preprocessor_config.json` for a CTranslate2 Whisper folder: the feature-extractor
    /// settings every Whisper model shares (80 mel bins, 25 ms windows every 10 ms, 30 s).
    WhisperPreprocessorConfig,
}

impl Generator {
    pub fn generate(self) -> Vec<u8> {
        match self {
            Self::WhisperPreprocessorConfig => whisper_preprocessor_config(),
        }
    }
}

fn whisper_preprocessor_config() -> Vec<u8> {
    const SAMPLE_RATE: u32 = 16_000;
    const CHUNK_SECONDS: u32 = 30;
    const HOP: u32 = 160;
    let text = format!(
        concat!(
            "{{\n",
            "  \"chunk_length\": {chunk},\n",
            "  \"feature_extractor_type\": \"WhisperFeatureExtractor\",\n",
            "  \"feature_size\": 80,\n",
            "  \"hop_length\": {hop},\n",
            "  \"n_fft\": 400,\n",
            "  \"n_samples\": {samples},\n",
            "  \"nb_max_frames\": {frames},\n",
            "  \"padding_side\": \"right\",\n",
            "  \"padding_value\": 0.0,\n",
            "  \"processor_class\": \"WhisperProcessor\",\n",
            "  \"return_attention_mask\": false,\n",
            "  \"sampling_rate\": {rate}\n",
            "}}\n"
        ),
        chunk = CHUNK_SECONDS,
        hop = HOP,
        samples = SAMPLE_RATE * CHUNK_SECONDS,
        frames = SAMPLE_RATE * CHUNK_SECONDS / HOP,
        rate = SAMPLE_RATE,
    );
    text.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whisper_config_is_valid_json_with_consistent_sizes() {
        let bytes = Generator::WhisperPreprocessorConfig.generate();
        let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(json["n_samples"], 480_000);
        assert_eq!(json["nb_max_frames"], 3000);
        assert_eq!(
            bytes,
            Generator::WhisperPreprocessorConfig.generate(),
            "reproducible"
        );
    }
}
