//! Helpers shared by the audio tests: a test signal and ffmpeg as the independent codec.

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

pub const RATE: u32 = 24_000;

/// Speech-band tones with a slow swell, at a level well inside [-1, 1].
pub fn signal(seconds: f32, rate: u32) -> Vec<f32> {
    let n = (seconds * rate as f32) as usize;
    (0..n)
        .map(|i| {
            let t = i as f32 / rate as f32;
            let swell = 0.6 + 0.4 * (2.0 * std::f32::consts::PI * 0.5 * t).sin();
            let tone = |f: f32, a: f32| a * (2.0 * std::f32::consts::PI * f * t).sin();
            swell * (tone(220.0, 0.25) + tone(660.0, 0.12) + tone(1250.0, 0.06))
        })
        .collect()
}

/// The signal as 16-bit values, as it must come back from lossless formats.
pub fn quantised(samples: &[f32]) -> Vec<i16> {
    samples
        .iter()
        .map(|&s| (s * 32768.0).round().clamp(-32768.0, 32767.0) as i16)
        .collect()
}

pub fn to_i16(samples: &[f32]) -> Vec<i16> {
    quantised(samples)
}

/// ffmpeg decodes `path` to mono 16-bit at `rate`; `input_args` describe headerless input.
pub fn ffmpeg_decode(path: &Path, input_args: &[&str], rate: u32) -> Vec<i16> {
    let output = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error"])
        .args(input_args)
        .arg("-i")
        .arg(path)
        .args(["-f", "s16le", "-ac", "1", "-ar", &rate.to_string(), "-"])
        .output()
        .expect("ffmpeg runs (Debian package ffmpeg)");
    assert!(
        output.status.success(),
        "ffmpeg failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    output
        .stdout
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// ffmpeg encodes a 16-bit mono WAV at `source` with `codec_args` into `target`.
pub fn ffmpeg_encode(source: &Path, codec_args: &[&str], target: &Path) {
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(source)
        .args(codec_args)
        .arg(target)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg could not make {}", target.display());
}

/// Signal-to-noise ratio in dB of `decoded` against `reference`, at the best alignment within
/// `max_lag` samples (lossy codecs may add delay) and the best gain (channel mixing may scale).
pub fn snr_db(reference: &[f32], decoded: &[f32], max_lag: usize) -> f32 {
    let margin = max_lag + 1;
    // Two seconds are plenty to measure, and keep the lag search cheap.
    let len = reference
        .len()
        .min(decoded.len())
        .saturating_sub(2 * margin)
        .min(2 * RATE as usize);
    let window = margin..margin + len;
    let mut best = f32::MIN;
    for lag in -(max_lag as isize)..=(max_lag as isize) {
        let (mut rr, mut rd, mut dd) = (0f64, 0f64, 0f64);
        for i in window.clone() {
            let j = (i as isize + lag) as usize;
            let (r, d) = (reference[i] as f64, decoded.get(j).copied().unwrap_or(0.0) as f64);
            rr += r * r;
            rd += r * d;
            dd += d * d;
        }
        // Residual energy after scaling `decoded` by the least-squares gain rd / dd.
        let noise = (rr - rd * rd / dd.max(1e-12)).max(1e-12);
        best = best.max((10.0 * (rr / noise).log10()) as f32);
    }
    best
}

pub fn duration_error(expected: usize, actual: usize) -> f64 {
    (actual as f64 - expected as f64).abs() / expected as f64
}
