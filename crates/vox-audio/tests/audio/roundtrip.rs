//! Every output format, encoded by Vox and decoded both by Vox and by ffmpeg.

use crate::common::*;
use vox_audio::{DecodeLimits, OutputFormat, decode, encode, stream_encoder};

/// Generous limits: these tests are about decoding, not about refusing.
const LIMITS: DecodeLimits = DecodeLimits::up_to(20 << 20, std::time::Duration::from_secs(1800));

/// Long enough that AAC's fixed overhead (1024 priming samples that ADTS cannot declare, plus
/// end padding: about 1400 samples) stays well under 1 %.
const SECONDS: f32 = 10.0;

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn f32s(samples: &[i16]) -> Vec<f32> {
    samples.iter().map(|&s| f32::from(s) / 32768.0).collect()
}

#[test]
fn lossless_formats_are_bit_exact_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let input = signal(SECONDS, RATE);
    let expected = quantised(&input);
    for (format, name) in [(OutputFormat::Wav, "a.wav"), (OutputFormat::Flac, "a.flac")] {
        let bytes = encode(format, &input).unwrap();
        let ours = decode(&bytes, &LIMITS).unwrap();
        assert_eq!(ours.sample_rate, RATE);
        assert_eq!(to_i16(&ours.samples), expected, "{format:?} decoded by Vox");
        let theirs = ffmpeg_decode(&write(&dir, name, &bytes), &[], RATE);
        assert_eq!(theirs, expected, "{format:?} decoded by ffmpeg");
    }
    let pcm = encode(OutputFormat::Pcm16, &input).unwrap();
    assert_eq!(pcm.len(), expected.len() * 2);
    let theirs = ffmpeg_decode(
        &write(&dir, "a.pcm", &pcm),
        &["-f", "s16le", "-ar", "24000", "-ac", "1"],
        RATE,
    );
    assert_eq!(theirs, expected, "pcm16 decoded by ffmpeg");
}

#[test]
fn lossy_formats_keep_duration_and_a_signal_to_noise_floor() {
    let dir = tempfile::tempdir().unwrap();
    let input = signal(SECONDS, RATE);
    // (format, file name, SNR floor in dB). Measured on this signal: MP3 26 dB, Opus 34 dB,
    // AAC 38 dB; the floors sit 6-8 dB under, so a broken encoder or a misaligned decoder fails.
    for (format, name, floor) in [
        (OutputFormat::Mp3, "a.mp3", 20.0),
        (OutputFormat::Opus, "a.opus", 28.0),
        (OutputFormat::Aac, "a.aac", 30.0),
    ] {
        let bytes = encode(format, &input).unwrap();
        let ours = decode(&bytes, &LIMITS).unwrap();
        let ours_24k = vox_audio::resample(&ours.samples, ours.sample_rate, RATE).unwrap();
        let theirs = f32s(&ffmpeg_decode(&write(&dir, name, &bytes), &[], RATE));
        for (who, decoded) in [("Vox", &ours_24k), ("ffmpeg", &theirs)] {
            let error = duration_error(input.len(), decoded.len());
            assert!(
                error < 0.01,
                "{format:?} by {who}: {} samples for {} ({:.2}%)",
                decoded.len(),
                input.len(),
                error * 100.0
            );
            let snr = snr_db(&input, decoded, 2500);
            assert!(
                snr > floor,
                "{format:?} by {who}: SNR {snr:.1} dB under {floor} dB"
            );
        }
    }
}

#[test]
fn streamed_files_decode_like_whole_ones() {
    let dir = tempfile::tempdir().unwrap();
    let input = signal(3.0, RATE);
    for format in OutputFormat::ALL {
        let mut encoder = stream_encoder(format).unwrap();
        let mut bytes = Vec::new();
        for piece in input.chunks(1234) {
            let chunk = encoder.push(piece).unwrap();
            if format == OutputFormat::Pcm16 {
                assert_eq!(chunk.len() % 6, 0, "pcm16 chunks are whole 3-sample groups");
            }
            bytes.extend(chunk);
        }
        bytes.extend(encoder.finish().unwrap());
        if format == OutputFormat::Wav {
            assert_eq!(&bytes[4..8], &[0xFF; 4], "streamed WAV has an unknown RIFF size");
            assert_eq!(
                &bytes[40..44],
                &[0xFF; 4],
                "streamed WAV has an unknown data size"
            );
        }
        let (name, args): (&str, &[&str]) = match format {
            OutputFormat::Pcm16 => ("s.pcm", &["-f", "s16le", "-ar", "24000", "-ac", "1"]),
            OutputFormat::Wav => ("s.wav", &[]),
            OutputFormat::Flac => ("s.flac", &[]),
            OutputFormat::Mp3 => ("s.mp3", &[]),
            OutputFormat::Opus => ("s.opus", &[]),
            OutputFormat::Aac => ("s.aac", &[]),
        };
        let theirs = ffmpeg_decode(&write(&dir, name, &bytes), args, RATE);
        // Streams cannot carry gapless metadata (MP3, AAC): allow the codec's priming frames.
        let slack = match format {
            OutputFormat::Mp3 | OutputFormat::Aac => 2400,
            _ => 3,
        };
        assert!(
            theirs.len().abs_diff(input.len()) <= slack,
            "{format:?}: {} vs {}",
            theirs.len(),
            input.len()
        );
        if format != OutputFormat::Pcm16 {
            let ours = decode(&bytes, &LIMITS).unwrap();
            assert!(!ours.samples.is_empty(), "{format:?} decoded by Vox");
        }
    }
}
