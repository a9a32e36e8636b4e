//! Decoding in a child process: inputs that make symphonia abort the process (allocations sized
//! from forged headers) cost the child, never the caller.

use std::time::Duration;

use crate::common::*;
use vox_audio::{AudioError, DecodeLimits, DecodePlace, OutputFormat, decode_in, encode};

/// Generous limits: these tests are about decoding, not about refusing.
const LIMITS: DecodeLimits = DecodeLimits::up_to(20 << 20, std::time::Duration::from_secs(1800));

/// This test binary doubles as the decoding child (see `decoding_child`).
fn isolated() -> DecodePlace {
    DecodePlace::Isolated {
        program: std::env::current_exe().unwrap(),
        args: [
            "isolation::decoding_child",
            "--exact",
            "--ignored",
            "--quiet",
            "--test-threads=1",
        ]
        .map(String::from)
        .to_vec(),
    }
}

/// Not a test: the child side, run by `isolated()`. libtest prints a line before the body runs;
/// the reply's framing lets the parent skip it.
#[test]
#[ignore = "child process of the isolation tests"]
fn decoding_child() {
    vox_audio::run_child().unwrap();
    std::process::exit(0);
}

#[test]
fn isolated_decoding_returns_the_same_audio() {
    let input = signal(2.0, RATE);
    for format in [
        OutputFormat::Mp3,
        OutputFormat::Flac,
        OutputFormat::Opus,
        OutputFormat::Wav,
    ] {
        let bytes = encode(format, &input).unwrap();
        let here = decode_in(&DecodePlace::InProcess, &bytes, &LIMITS).unwrap();
        let there = decode_in(&isolated(), &bytes, &LIMITS).unwrap();
        assert_eq!(here, there, "{format:?}");
    }
}

#[test]
fn an_input_that_aborts_the_decoder_is_just_undecodable() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz-regressions-abort");
    for entry in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let result = decode_in(&isolated(), &bytes, &LIMITS);
        assert!(
            matches!(result, Err(AudioError::Undecodable { .. })),
            "{result:?}"
        );
    }
}

#[test]
fn limits_reach_the_child() {
    let bytes = encode(OutputFormat::Flac, &signal(3.0, RATE)).unwrap();
    let short = DecodeLimits {
        max_duration: Duration::from_secs(2),
        ..LIMITS
    };
    assert_eq!(
        decode_in(&isolated(), &bytes, &short),
        Err(AudioError::TooLong { limit_secs: 2 })
    );
}

#[test]
fn audio_beyond_the_decoding_memory_is_too_large_not_undecodable() {
    let bytes = encode(OutputFormat::Flac, &signal(30.0, RATE)).unwrap();
    // 30 s at 24 kHz is 2.9 MB of samples; the bound allows one.
    let tight = DecodeLimits {
        max_decoded_bytes: Some(1 << 20),
        ..LIMITS
    };
    assert_eq!(
        vox_audio::decode(&bytes, &tight),
        Err(AudioError::TooLargeToDecode { sample_rate: RATE })
    );
    let roomy = DecodeLimits {
        max_decoded_bytes: Some(8 << 20),
        ..LIMITS
    };
    assert_eq!(
        vox_audio::decode(&bytes, &roomy).unwrap().samples.len(),
        30 * RATE as usize
    );
}
