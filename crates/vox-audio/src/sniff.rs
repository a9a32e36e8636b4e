//! What container a byte string holds, from its first bytes (the declared format is only a hint).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Wav,
    Flac,
    /// Ogg Vorbis, Ogg Opus or Ogg FLAC.
    Ogg,
    Mp3,
    /// Raw AAC in ADTS frames.
    Adts,
    /// MP4 / M4A.
    Mp4,
    /// Matroska / WebM.
    Matroska,
}

impl Container {
    /// The extension symphonia's probe understands for this container.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Wav => "wav",
            Self::Flac => "flac",
            Self::Ogg => "ogg",
            Self::Mp3 => "mp3",
            Self::Adts => "aac",
            Self::Mp4 => "m4a",
            Self::Matroska => "webm",
        }
    }
}

pub fn sniff(bytes: &[u8]) -> Option<Container> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(b"RIFF") && bytes.get(8..12) == Some(b"WAVE") {
        return Some(Container::Wav);
    }
    if starts(b"fLaC") {
        return Some(Container::Flac);
    }
    if starts(b"OggS") {
        return Some(Container::Ogg);
    }
    if starts(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Some(Container::Matroska);
    }
    if bytes.get(4..8) == Some(b"ftyp") {
        return Some(Container::Mp4);
    }
    if starts(b"ID3") {
        return Some(Container::Mp3);
    }
    mpeg_frame_sync(bytes)
}

/// An MPEG audio frame header: 11 sync bits, then the layer tells MP3 (layer III) from ADTS AAC
/// (layer bits 00).
fn mpeg_frame_sync(bytes: &[u8]) -> Option<Container> {
    let (&b0, &b1) = (bytes.first()?, bytes.get(1)?);
    if b0 != 0xFF || b1 & 0xE0 != 0xE0 {
        return None;
    }
    match (b1 >> 1) & 0b11 {
        0b00 if b1 & 0xF6 == 0xF0 => Some(Container::Adts),
        0b00 => None,
        _ => Some(Container::Mp3),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_magic_numbers() {
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt "), Some(Container::Wav));
        assert_eq!(sniff(b"fLaC\0"), Some(Container::Flac));
        assert_eq!(sniff(b"OggS\0"), Some(Container::Ogg));
        assert_eq!(sniff(&[0x1A, 0x45, 0xDF, 0xA3, 1]), Some(Container::Matroska));
        assert_eq!(sniff(b"\0\0\0\x20ftypM4A "), Some(Container::Mp4));
        assert_eq!(sniff(b"ID3\x04"), Some(Container::Mp3));
        assert_eq!(sniff(&[0xFF, 0xFB, 0x90]), Some(Container::Mp3));
        assert_eq!(sniff(&[0xFF, 0xF1, 0x50]), Some(Container::Adts));
        assert_eq!(sniff(b"RIFF\0\0\0\0AVI "), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"hello world"), None);
    }
}
