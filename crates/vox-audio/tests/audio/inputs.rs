//! Every input container decodes to the expected duration; broken files give the error.

use std::path::{Path, PathBuf};

use crate::common::*;
use vox_audio::{AudioError, DecodeLimits, decode, decode_at, encode};

/// Generous limits: these tests are about decoding, not about refusing.
const LIMITS: DecodeLimits = DecodeLimits::up_to(20 << 20, std::time::Duration::from_secs(1800));

const SECONDS: f32 = 5.0;
const SOURCE_RATE: u32 = 44_100;

/// A 44.1 kHz stereo WAV written by ffmpeg from our signal, and every other format made from it.
fn fixtures(dir: &Path) -> Vec<(String, PathBuf)> {
    let mono = dir.join("mono.wav");
    std::fs::write(
        &mono,
        encode(vox_audio::OutputFormat::Wav, &signal(SECONDS, RATE)).unwrap(),
    )
    .unwrap();
    let cases: [(&str, &[&str]); 13] = [
        ("pcm_u8.wav", &["-ar", "44100", "-c:a", "pcm_u8"]),
        ("pcm_s16.wav", &["-ar", "44100", "-c:a", "pcm_s16le"]),
        ("pcm_s24.wav", &["-ar", "44100", "-c:a", "pcm_s24le"]),
        ("pcm_s32.wav", &["-ar", "44100", "-c:a", "pcm_s32le"]),
        ("pcm_f32.wav", &["-ar", "44100", "-c:a", "pcm_f32le"]),
        (
            "stereo_48k.wav",
            &["-ar", "48000", "-ac", "2", "-c:a", "pcm_s16le"],
        ),
        (
            "speech.mp3",
            &["-ar", "44100", "-c:a", "libmp3lame", "-b:a", "96k"],
        ),
        ("speech.flac", &["-ar", "44100", "-c:a", "flac"]),
        ("speech.ogg", &["-ar", "44100", "-ac", "2", "-c:a", "libvorbis"]),
        ("speech.opus", &["-c:a", "libopus", "-b:a", "48k"]),
        ("speech.webm", &["-c:a", "libopus", "-b:a", "48k"]),
        ("speech.m4a", &["-ar", "44100", "-c:a", "aac", "-b:a", "96k"]),
        (
            "speech.aac",
            &["-ar", "44100", "-c:a", "aac", "-b:a", "96k", "-f", "adts"],
        ),
    ];
    cases
        .iter()
        .map(|(name, args)| {
            let path = dir.join(name);
            ffmpeg_encode(&mono, args, &path);
            (name.to_string(), path)
        })
        .collect()
}

#[test]
fn every_input_format_decodes_to_the_expected_duration() {
    let dir = tempfile::tempdir().unwrap();
    let expected = (SECONDS * 16_000.0) as usize;
    for (name, path) in fixtures(dir.path()) {
        let bytes = std::fs::read(&path).unwrap();
        let decoded = decode_at(&bytes, &LIMITS, 16_000).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(decoded.sample_rate, 16_000);
        let error = duration_error(expected, decoded.samples.len());
        assert!(
            error < 0.01,
            "{name}: {} samples for {expected} ({:.2}%)",
            decoded.samples.len(),
            error * 100.0
        );
        let reference = vox_audio::resample(&signal(SECONDS, RATE), RATE, 16_000).unwrap();
        let snr = snr_db(&reference, &decoded.samples, 2000);
        assert!(
            snr > 12.0,
            "{name}: decoded audio does not match the source (SNR {snr:.1} dB)"
        );
    }
    let native = decode(&std::fs::read(dir.path().join("pcm_s16.wav")).unwrap(), &LIMITS).unwrap();
    assert_eq!(native.sample_rate, SOURCE_RATE);
}

fn is_undecodable(result: Result<vox_audio::AudioBuffer, AudioError>) -> bool {
    matches!(result, Err(AudioError::Undecodable { .. }))
}

#[test]
fn truncated_and_corrupted_files_give_the_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    for (name, path) in fixtures(dir.path()) {
        let bytes = std::fs::read(&path).unwrap();
        // Cut inside the header: nothing decodable is left.
        assert!(
            is_undecodable(decode(&bytes[..12.min(bytes.len())], &LIMITS)),
            "{name} cut to 12 bytes"
        );
        // Cut anywhere else, or damaged: an error or the audio that survived, never a panic.
        for fraction in [0.1, 0.33, 0.5, 0.9] {
            let cut = (bytes.len() as f64 * fraction) as usize;
            let _ = decode(&bytes[..cut], &LIMITS);
        }
        let mut damaged = bytes.clone();
        let mut state = 0x2545_f491_u32;
        for _ in 0..64 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let at = 16 + state as usize % (damaged.len() - 16);
            damaged[at] ^= (state >> 24) as u8 | 1;
        }
        let _ = decode(&damaged, &LIMITS);
    }
    assert!(is_undecodable(decode(b"this is not audio at all", &LIMITS)));
    assert!(is_undecodable(decode(&[], &LIMITS)));
}

#[test]
fn limits_are_checked_before_decoding() {
    let bytes = encode(vox_audio::OutputFormat::Wav, &signal(3.0, RATE)).unwrap();
    let small = DecodeLimits {
        max_bytes: 1000,
        ..LIMITS
    };
    assert_eq!(
        decode(&bytes, &small),
        Err(AudioError::TooLarge {
            bytes: bytes.len(),
            limit: 1000
        })
    );
    let short = DecodeLimits {
        max_duration: std::time::Duration::from_secs(2),
        ..LIMITS
    };
    assert_eq!(decode(&bytes, &short), Err(AudioError::TooLong { limit_secs: 2 }));
    let mp3 = encode(vox_audio::OutputFormat::Mp3, &signal(3.0, RATE)).unwrap();
    assert_eq!(decode(&mp3, &short), Err(AudioError::TooLong { limit_secs: 2 }));
}

#[test]
fn a_wav_that_claims_an_absurd_size_is_read_for_what_it_holds() {
    let mut bytes = encode(vox_audio::OutputFormat::Wav, &signal(0.5, RATE)).unwrap();
    bytes[40..44].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes()); // data chunk claims ~4 GB
    let decoded = decode(&bytes, &LIMITS).unwrap();
    assert_eq!(decoded.samples.len(), RATE as usize / 2);
    bytes[24..28].copy_from_slice(&1u32.to_le_bytes()); // 1 Hz: 12000 s of audio
    assert!(decode(&bytes, &LIMITS).is_err());
}

/// Inputs the fuzzer found panicking inside symphonia (crates/vox-audio/fuzz): each must come
/// back as a result, and any audio it yields must be finite and within the limits.
#[test]
fn fuzzer_findings_return_instead_of_crashing() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz-regressions");
    let limits = DecodeLimits {
        max_duration: std::time::Duration::from_secs(60),
        ..LIMITS
    };
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        match decode(&std::fs::read(&path).unwrap(), &limits) {
            Err(AudioError::Undecodable { .. }) => {}
            Ok(audio) => {
                assert!(
                    audio.samples.len() as u64 <= limits.max_frames(audio.sample_rate),
                    "{}",
                    path.display()
                );
                assert!(audio.samples.iter().all(|s| s.is_finite()), "{}", path.display());
            }
            Err(other) => panic!("{}: {other:?}", path.display()),
        }
        checked += 1;
    }
    assert!(checked >= 3);
}
