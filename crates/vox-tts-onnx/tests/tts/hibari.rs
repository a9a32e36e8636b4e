//! hibari's Rust vocoder against its own Python implementation (PyPI hibari-tts, in the test
//! venv `scripts/test` installs): the same phoneme ids through the same weights must give audio
//! of the same length whose spectrum and loudness contour follow the reference. The noise
//! branch is random on both sides, so the comparison is statistical, not sample by sample.

use crate::eval;

use std::path::{Path, PathBuf};
use std::process::Command;

use ort::session::RunOptions;
use rustfft::FftPlanner;
use rustfft::num_complex::Complex32;
use vox_tts_onnx::hibari::HibariModel;

/// "Yes, golden retrievers are great family dogs." in Kokoro's ids, as hibari's own G2P
/// writes it (`jˈɛs, ɡˈOldən ɹətɹˈivəɹz ɑɹ ɡɹˈAt fˈæmᵊli dˈɔɡz.`).
const IDS: [i64; 50] = [
    0, 52, 156, 86, 61, 3, 16, 92, 156, 31, 54, 46, 83, 56, 16, 123, 83, 62, 123, 156, 51, 64, 83, 123, 68,
    16, 69, 123, 16, 92, 123, 156, 24, 62, 16, 48, 156, 72, 55, 42, 54, 51, 16, 46, 156, 76, 92, 68, 4, 0,
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn model_dir() -> PathBuf {
    eval::models_dir().join("hibari-heart-int8")
}

fn reference() -> Vec<f32> {
    let python = std::env::var_os("VOX_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv/bin/python"));
    let ids = serde_json::to_string(&IDS[..]).unwrap();
    let output = Command::new(&python)
        .arg(root().join("tests/reference/hibari_reference.py"))
        .arg(model_dir().join("hibari.onnx"))
        .arg(ids)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e} (scripts/test installs the venv)", python.display()));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
        .stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

fn ours() -> Vec<f32> {
    let runtime = eval::models_dir().join("onnxruntime/libonnxruntime.so.1.32.0");
    let mut model = HibariModel::open(&runtime, &model_dir(), 1).expect("pull hibari-heart-int8");
    model
        .speak_ids(IDS.to_vec(), "heart", 1.0, &RunOptions::new().unwrap())
        .unwrap()
}

/// Mean log-magnitude spectrum over 1024-sample frames (hop 512), in 513 bins.
fn average_spectrum(samples: &[f32]) -> Vec<f64> {
    let fft = FftPlanner::new().plan_fft_forward(1024);
    let mut sum = vec![0.0f64; 513];
    let mut frames = 0;
    for frame in samples.windows(1024).step_by(512) {
        let mut buffer: Vec<Complex32> = frame.iter().map(|&s| Complex32::new(s, 0.0)).collect();
        fft.process(&mut buffer);
        for (total, bin) in sum.iter_mut().zip(&buffer) {
            *total += (bin.norm() as f64 + 1e-6).ln();
        }
        frames += 1;
    }
    sum.iter().map(|s| s / frames as f64).collect()
}

/// RMS per 12.5 ms frame, in dB.
fn loudness(samples: &[f32]) -> Vec<f64> {
    samples
        .chunks(300)
        .map(|c| 10.0 * ((c.iter().map(|s| (s * s) as f64).sum::<f64>() / c.len() as f64) + 1e-10).log10())
        .collect()
}

fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
    let (ma, mb) = (mean(a), mean(b));
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let var = |x: &[f64], m: f64| x.iter().map(|v| (v - m).powi(2)).sum::<f64>();
    cov / (var(a, ma) * var(b, mb)).sqrt()
}

#[test]
fn the_rust_vocoder_matches_hibaris_python_reference() {
    let (reference, ours) = (reference(), ours());
    assert!(
        reference.len() > 24_000,
        "the reference is {} samples",
        reference.len()
    );
    assert_eq!(ours.len(), reference.len(), "same frames, same hop");
    let spectrum = correlation(&average_spectrum(&ours), &average_spectrum(&reference));
    let contour = correlation(&loudness(&ours), &loudness(&reference));
    let rms = |x: &[f32]| (x.iter().map(|s| s * s).sum::<f32>() / x.len() as f32).sqrt();
    let level = rms(&ours) / rms(&reference);
    println!("spectrum correlation {spectrum:.4}, loudness contour {contour:.4}, level ratio {level:.3}");
    assert!(spectrum > 0.98, "spectrum correlation {spectrum:.4}");
    assert!(contour > 0.95, "loudness contour correlation {contour:.4}");
    assert!((0.9..1.1).contains(&level), "level ratio {level:.3}");
}
