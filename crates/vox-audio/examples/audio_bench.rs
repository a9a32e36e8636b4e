//! Audio I/O speed, in times real time (audio seconds processed per wall-clock second).
//!
//! cargo run --release -p vox-audio --example audio_bench [SECONDS]

use std::time::Instant;

use vox_audio::{DecodeLimits, OUTPUT_RATE, OutputFormat, decode_at, encode, resample, stream_encoder};

/// Repeats keep short measurements above timer noise; the best run is reported.
const RUNS: usize = 5;

fn signal(seconds: f64, rate: u32) -> Vec<f32> {
    let n = (seconds * f64::from(rate)) as usize;
    (0..n)
        .map(|i| {
            let t = i as f32 / rate as f32;
            let swell = 0.6 + 0.4 * (std::f32::consts::PI * t).sin();
            swell * (0.25 * (1382.3 * t).sin() + 0.12 * (4146.9 * t).sin() + 0.06 * (7854.0 * t).sin())
        })
        .collect()
}

fn best_secs(mut work: impl FnMut()) -> f64 {
    (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed().as_secs_f64()
        })
        .fold(f64::MAX, f64::min)
}

fn main() {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(30.0);
    let audio = signal(seconds, OUTPUT_RATE);
    println!("Vox audio I/O on {seconds} s of audio, best of {RUNS} runs, x real time (higher is faster)\n");
    println!(
        "{:<8} {:>14} {:>14} {:>22} {:>10}",
        "format", "encode", "stream encode", "decode + resample 16k", "bytes"
    );
    for format in OutputFormat::ALL {
        let encoded = encode(format, &audio).expect("encode");
        let encode_secs = best_secs(|| {
            encode(format, &audio).expect("encode");
        });
        let stream_secs = best_secs(|| {
            let mut encoder = stream_encoder(format).expect("encoder");
            for piece in audio.chunks(OUTPUT_RATE as usize / 5) {
                encoder.push(piece).expect("push");
            }
            encoder.finish().expect("finish");
        });
        let decode = match format {
            // Raw pcm16 has no container to decode: it is read as samples directly.
            OutputFormat::Pcm16 => "-".to_string(),
            _ => {
                let secs = best_secs(|| {
                    decode_at(
                        &encoded,
                        &DecodeLimits::up_to(20 << 20, std::time::Duration::from_secs(1800)),
                        16_000,
                    )
                    .expect("decode");
                });
                format!("{:.0}x", seconds / secs)
            }
        };
        println!(
            "{:<8} {:>13.0}x {:>13.0}x {:>22} {:>10}",
            format!("{format:?}").to_lowercase(),
            seconds / encode_secs,
            seconds / stream_secs,
            decode,
            encoded.len()
        );
    }
    let at_44k = signal(seconds, 44_100);
    let resample_secs = best_secs(|| {
        resample(&at_44k, 44_100, 16_000).expect("resample");
    });
    println!(
        "\nresample 44.1 kHz -> 16 kHz alone: {:.0}x real time",
        seconds / resample_secs
    );
}
