//! Decoding untrusted containers in a child process.
//!
//! symphonia sizes some allocations from header fields (MP4 sample tables, Matroska element
//! sizes, FLAC picture blocks): a 4 KB file can ask for 40 GB, and a failed allocation aborts
//! the process, which no `catch_unwind` can stop. So compressed containers are decoded in a
//! short-lived child (the `vox` binary itself, under a hidden subcommand) with an address-space
//! limit and a deadline; if it dies, the input was undecodable and the server lives on. WAV is
//! parsed by Vox's own bounded code and stays in process.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::AudioBuffer;

use crate::sniff::{Container, sniff};
use crate::{AudioError, DecodeLimits};

/// Where decoding runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodePlace {
    /// In this process: for tests and tools that handle trusted input.
    InProcess,
    /// In a child running `program args...`, which must call [`run_child`].
    Isolated { program: PathBuf, args: Vec<String> },
}

/// Address space a decoding child may use beyond the input itself.
const CHILD_MEMORY_BASE: u64 = 1 << 30;
/// Wall-clock limit per decode: 30 minutes of audio decode in well under this.
const CHILD_DEADLINE: Duration = Duration::from_secs(60);

/// Marks where the reply begins, so that anything a wrapper prints first is skipped.
const MAGIC: &[u8] = b"\0vox-decode-reply\0";
const OK: &[u8; 2] = b"OK";
const ERROR: &[u8; 2] = b"ER";

/// Decodes `bytes` to mono at its own rate, in the place chosen.
pub fn decode_in(
    place: &DecodePlace,
    bytes: &[u8],
    limits: &DecodeLimits,
) -> Result<AudioBuffer, AudioError> {
    match (place, sniff(bytes)) {
        (DecodePlace::Isolated { program, args }, Some(container)) if container != Container::Wav => {
            decode_in_child(program, args, bytes, limits)
        }
        _ => crate::decode(bytes, limits),
    }
}

fn decode_in_child(
    program: &PathBuf,
    args: &[String],
    bytes: &[u8],
    limits: &DecodeLimits,
) -> Result<AudioBuffer, AudioError> {
    if bytes.len() > limits.max_bytes {
        return Err(AudioError::TooLarge {
            bytes: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    limit_memory(&mut command, CHILD_MEMORY_BASE + 8 * bytes.len() as u64);
    let mut child = command
        .spawn()
        .map_err(|e| AudioError::undecodable(format!("cannot start decoder: {e}")))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| AudioError::undecodable("decoder has no stdin"))?;
    let mut stdout = child
        .stdout
        .take()
        .ok_or_else(|| AudioError::undecodable("decoder has no stdout"))?;
    // The child reads all its input before writing anything, so writing first cannot deadlock.
    let wrote = stdin
        .write_all(&limits_header(limits))
        .and_then(|()| stdin.write_all(bytes));
    drop(stdin);
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        stdout.read_to_end(&mut out).map(|_| out)
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() > CHILD_DEADLINE => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(_) => break None,
        }
    };
    let output = reader.join().ok().and_then(Result::ok).unwrap_or_default();
    match status {
        Some(status) if status.success() && wrote.is_ok() => parse_reply(after_magic(&output)),
        Some(status) => Err(AudioError::undecodable(format!(
            "decoder process failed: {status}"
        ))),
        None => Err(AudioError::undecodable("decoder process timed out")),
    }
}

#[cfg(unix)]
fn limit_memory(command: &mut Command, bytes: u64) {
    use std::os::unix::process::CommandExt;
    // SAFETY: setrlimit is async-signal-safe, as pre_exec requires.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            libc::setrlimit(libc::RLIMIT_AS, &limit);
            Ok(())
        });
    }
}

#[cfg(not(unix))]
fn limit_memory(_command: &mut Command, _bytes: u64) {}

/// The limits travel ahead of the file on stdin, so the child needs no arguments of its own.
fn limits_header(limits: &DecodeLimits) -> [u8; 16] {
    let mut header = [0u8; 16];
    header[..8].copy_from_slice(&(limits.max_bytes as u64).to_le_bytes());
    header[8..].copy_from_slice(&limits.max_duration.as_secs().to_le_bytes());
    header
}

/// The child's side: read the limits and the file from stdin, decode, write the reply to stdout.
pub fn run_child() -> std::io::Result<()> {
    let mut stdin = std::io::stdin().lock();
    let mut header = [0u8; 16];
    stdin.read_exact(&mut header)?;
    let limits = DecodeLimits {
        max_bytes: u64::from_le_bytes(header[..8].try_into().unwrap_or_default()) as usize,
        max_duration: Duration::from_secs(u64::from_le_bytes(header[8..].try_into().unwrap_or_default())),
        max_decoded_bytes: None,
    };
    let mut bytes = Vec::new();
    stdin.take(limits.max_bytes as u64 + 1).read_to_end(&mut bytes)?;
    let limits = DecodeLimits {
        max_decoded_bytes: decoding_memory(bytes.len()),
        ..limits
    };
    let result = crate::decode(&bytes, &limits);
    drop(bytes);
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    write_reply(&mut stdout, result)?;
    stdout.flush()
}

#[cfg(not(unix))]
fn decoding_memory(_input_bytes: usize) -> Option<u64> {
    None
}

/// What the child's address-space limit leaves for decoded samples: the input is held twice
/// (read, and in symphonia's source), and the program itself with its codecs' buffers needs
/// the rest (the reply is written out in pieces, never held whole).
#[cfg(unix)]
fn decoding_memory(input_bytes: usize) -> Option<u64> {
    const PROGRAM_RESERVE: u64 = 384 << 20;
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct passed to it.
    if unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut limit) } != 0 || limit.rlim_cur == libc::RLIM_INFINITY {
        return None;
    }
    let left = limit
        .rlim_cur
        .saturating_sub(2 * input_bytes as u64 + PROGRAM_RESERVE);
    Some(left)
}

fn after_magic(output: &[u8]) -> &[u8] {
    match output.windows(MAGIC.len()).position(|w| w == MAGIC) {
        Some(at) => &output[at + MAGIC.len()..],
        None => &[],
    }
}

#[cfg(test)]
fn encode_reply(result: Result<AudioBuffer, AudioError>) -> Vec<u8> {
    let mut out = Vec::new();
    write_reply(&mut out, result).unwrap_or_default();
    out
}

/// The reply after its marker; samples go out a block at a time so that they are never held
/// twice (as floats and as bytes).
fn write_reply(out: &mut impl Write, result: Result<AudioBuffer, AudioError>) -> std::io::Result<()> {
    out.write_all(MAGIC)?;
    match result {
        Ok(audio) => {
            out.write_all(OK)?;
            out.write_all(&audio.sample_rate.to_le_bytes())?;
            let mut block = Vec::with_capacity(64 * 1024);
            for samples in audio.samples.chunks(16 * 1024) {
                block.clear();
                block.extend(samples.iter().flat_map(|s| s.to_le_bytes()));
                out.write_all(&block)?;
            }
            Ok(())
        }
        Err(err) => {
            let (kind, detail) = match &err {
                AudioError::TooLarge { .. } => (b'B', String::new()),
                AudioError::TooLong { limit_secs } => (b'L', limit_secs.to_string()),
                AudioError::TooLargeToDecode { sample_rate } => (b'M', sample_rate.to_string()),
                AudioError::Undecodable { detail } | AudioError::Encoder(detail) => (b'U', detail.clone()),
            };
            out.write_all(ERROR)?;
            out.write_all(&[kind])?;
            out.write_all(detail.as_bytes())
        }
    }
}

fn parse_reply(reply: &[u8]) -> Result<AudioBuffer, AudioError> {
    match reply {
        [b'O', b'K', r0, r1, r2, r3, samples @ ..] if samples.len() % 4 == 0 => Ok(AudioBuffer {
            sample_rate: u32::from_le_bytes([*r0, *r1, *r2, *r3]),
            samples: samples
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
        }),
        [b'E', b'R', b'L', secs @ ..] => Err(AudioError::TooLong {
            limit_secs: String::from_utf8_lossy(secs).parse().unwrap_or_default(),
        }),
        [b'E', b'R', b'M', rate @ ..] => Err(AudioError::TooLargeToDecode {
            sample_rate: String::from_utf8_lossy(rate).parse().unwrap_or_default(),
        }),
        [b'E', b'R', _, detail @ ..] => Err(AudioError::undecodable(
            String::from_utf8_lossy(detail).to_string(),
        )),
        _ => Err(AudioError::undecodable("decoder process gave no reply")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_round_trip() {
        let audio = AudioBuffer {
            samples: vec![0.5, -0.25],
            sample_rate: 16_000,
        };
        let mut noisy = b"running 1 test\n".to_vec();
        noisy.extend(encode_reply(Ok(audio.clone())));
        assert_eq!(parse_reply(after_magic(&noisy)), Ok(audio));
        assert_eq!(
            parse_reply(after_magic(&encode_reply(Err(AudioError::TooLong {
                limit_secs: 9
            })))),
            Err(AudioError::TooLong { limit_secs: 9 })
        );
        let too_large = AudioError::TooLargeToDecode { sample_rate: 384_000 };
        assert_eq!(
            parse_reply(after_magic(&encode_reply(Err(too_large.clone())))),
            Err(too_large)
        );
        assert!(matches!(parse_reply(b""), Err(AudioError::Undecodable { .. })));
        assert!(matches!(
            parse_reply(b"OK\x01"),
            Err(AudioError::Undecodable { .. })
        ));
    }
}
