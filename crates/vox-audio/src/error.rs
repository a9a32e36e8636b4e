/// What can go wrong with audio. The server turns these into OpenAI errors; the detail of an
/// undecodable file is for logs only.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AudioError {
    #[error("The audio file could not be decoded or its format is not supported.")]
    Undecodable { detail: String },
    #[error("The audio file is {bytes} bytes, more than the {limit}-byte limit.")]
    TooLarge { bytes: usize, limit: usize },
    #[error(
        "The audio is too large to decode: at {sample_rate} Hz it needs more memory than this \
         server decodes audio in. Send it at a lower sample rate (16 kHz is plenty for speech) \
         or in shorter pieces."
    )]
    TooLargeToDecode { sample_rate: u32 },
    #[error("The audio is longer than the {limit_secs}-second limit.")]
    TooLong { limit_secs: u64 },
    #[error("audio encoder failed: {0}")]
    Encoder(String),
}

impl AudioError {
    pub(crate) fn undecodable(detail: impl Into<String>) -> Self {
        Self::Undecodable {
            detail: detail.into(),
        }
    }
}
