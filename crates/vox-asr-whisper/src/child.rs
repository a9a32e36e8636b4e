//! Recognition in a killable unit. CTranslate2 cannot stop inside an encoder pass or a
//! window's decoding (each a few hundred milliseconds), so a caller who hangs up would keep a
//! core busy until the step ends. Run in a child process (the `vox` binary under a hidden
//! subcommand), the model stops the moment its caller leaves: the child is killed, and a new
//! one loads (a fraction of a second) when the next job comes.
//!
//! The pipes carry frames: a little-endian u64 length, then the bytes. A job is a JSON frame
//! of its options and a frame of f32 samples; a reply is one JSON frame.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use vox_engine::audio::AudioBuffer;
use vox_engine::transcribe::{Transcript, TranscriptionJob, TranscriptionTask};

use crate::WhisperError;
use crate::transcriber::WhisperModel;

/// How often the parent looks whether the caller is still there while the child works.
const CANCEL_POLL: Duration = Duration::from_millis(10);
/// What a child writes once its model is loaded; anything a wrapper prints first is skipped.
const READY: &[u8] = b"\0vox-recognizer-ready\0";
/// The largest frame either side accepts: an hour of 16 kHz samples.
const MAX_FRAME: u64 = 4 * 16_000 * 3600 + 1024;

/// A recognizer process, started on first use and after every kill.
pub struct ChildRecognizer {
    program: PathBuf,
    args: Vec<String>,
    running: Option<Running>,
}

struct Running {
    child: Child,
    stdin: BufWriter<ChildStdin>,
    replies: Receiver<Result<Vec<u8>, String>>,
}

impl ChildRecognizer {
    /// `program args... DIR THREADS` must end in [`run_child`]. Loads one child now, so that a
    /// model that cannot load fails at start-up.
    pub fn start(
        program: PathBuf,
        args: Vec<String>,
        dir: &Path,
        threads: usize,
    ) -> Result<Self, WhisperError> {
        let mut args = args;
        args.push(dir.display().to_string());
        args.push(threads.to_string());
        let mut recognizer = Self {
            program,
            args,
            running: None,
        };
        recognizer.running = Some(recognizer.spawn()?);
        Ok(recognizer)
    }

    fn spawn(&self) -> Result<Running, WhisperError> {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        die_with_parent(&mut command);
        let mut child = command
            .spawn()
            .map_err(|e| WhisperError::Load(format!("cannot start the recognizer process: {e}")))?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| WhisperError::Load("recognizer has no stdin".into()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| WhisperError::Load("recognizer has no stdout".into()))?;
        let (ready_tx, ready_rx) = channel();
        let (replies_tx, replies) = channel();
        std::thread::Builder::new()
            .name("whisper-pipe".into())
            .spawn(move || {
                let mut stdout = BufReader::new(stdout);
                let loaded = skip_to_ready(&mut stdout);
                let _ = ready_tx.send(loaded);
                if !loaded {
                    return;
                }
                loop {
                    let frame = read_frame(&mut stdout).map_err(|e| e.to_string());
                    let ended = frame.is_err();
                    if replies_tx.send(frame).is_err() || ended {
                        return;
                    }
                }
            })
            .map_err(|e| WhisperError::Load(format!("cannot start the recognizer pipe: {e}")))?;
        if !ready_rx.recv().unwrap_or(false) {
            let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
            return Err(WhisperError::Load(format!(
                "the recognizer process failed to load ({status})"
            )));
        }
        Ok(Running {
            child,
            stdin: BufWriter::new(stdin),
            replies,
        })
    }

    /// Recognises `job` in the child; kills it as soon as `cancelled` says the caller left.
    pub fn transcribe_unless(
        &mut self,
        job: &TranscriptionJob,
        cancelled: &dyn Fn() -> bool,
    ) -> Result<Transcript, WhisperError> {
        if self.running.is_none() {
            self.running = Some(self.spawn()?);
        }
        let Some(running) = self.running.as_mut() else {
            return Err(WhisperError::Decode("no recognizer process".into()));
        };
        if let Err(err) = send_job(&mut running.stdin, job) {
            self.stop();
            return Err(WhisperError::Decode(format!(
                "sending audio to the recognizer: {err}"
            )));
        }
        loop {
            match running.replies.recv_timeout(CANCEL_POLL) {
                Ok(Ok(reply)) => return decode_reply(&reply),
                Ok(Err(err)) => {
                    self.stop();
                    return Err(WhisperError::Decode(format!(
                        "the recognizer process died: {err}"
                    )));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.stop();
                    return Err(WhisperError::Decode("the recognizer process died".into()));
                }
                Err(RecvTimeoutError::Timeout) if cancelled() => {
                    self.stop();
                    return Err(WhisperError::Cancelled);
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
    }

    fn stop(&mut self) {
        if let Some(mut running) = self.running.take() {
            let _ = running.child.kill();
            let _ = running.child.wait();
        }
    }
}

impl Drop for ChildRecognizer {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(target_os = "linux")]
fn die_with_parent(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe, as pre_exec requires.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_command: &mut Command) {}

/// The child's side: load the model, say ready, answer jobs until stdin closes.
pub fn run_child(dir: &Path, threads: usize) -> std::io::Result<()> {
    let model = WhisperModel::load(dir, threads).map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut stdout = BufWriter::new(std::io::stdout().lock());
    stdout.write_all(READY)?;
    stdout.flush()?;
    let mut stdin = BufReader::new(std::io::stdin().lock());
    loop {
        let job = match receive_job(&mut stdin) {
            Ok(job) => job,
            Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(err) => return Err(err),
        };
        let reply = match model.transcribe(&job) {
            Ok(transcript) => WireReply::Ok(transcript),
            Err(WhisperError::Input(message)) => WireReply::Input(message),
            Err(other) => WireReply::Failed(other.to_string()),
        };
        write_frame(
            &mut stdout,
            &serde_json::to_vec(&reply).map_err(std::io::Error::other)?,
        )?;
        stdout.flush()?;
    }
}

/// Reads until the ready marker; false if the child ended (or said too much) before it.
fn skip_to_ready(stdout: &mut impl Read) -> bool {
    const MOST_NOISE: usize = 64 * 1024;
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while seen.len() < MOST_NOISE && stdout.read_exact(&mut byte).is_ok() {
        seen.push(byte[0]);
        if seen.ends_with(READY) {
            return true;
        }
    }
    false
}

fn send_job(stdin: &mut BufWriter<ChildStdin>, job: &TranscriptionJob) -> std::io::Result<()> {
    let options = WireJob {
        sample_rate: job.audio.sample_rate,
        translate: job.task == TranscriptionTask::Translate,
        language: job.language.clone(),
        prompt: job.prompt.clone(),
        temperature: job.temperature,
        word_timestamps: job.word_timestamps,
    };
    write_frame(
        stdin,
        &serde_json::to_vec(&options).map_err(std::io::Error::other)?,
    )?;
    let samples: Vec<u8> = job.audio.samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    write_frame(stdin, &samples)?;
    stdin.flush()
}

fn receive_job(stdin: &mut impl Read) -> std::io::Result<TranscriptionJob> {
    let options: WireJob = serde_json::from_slice(&read_frame(stdin)?).map_err(std::io::Error::other)?;
    let samples = read_frame(stdin)?
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    Ok(TranscriptionJob {
        audio: AudioBuffer {
            samples,
            sample_rate: options.sample_rate,
        },
        task: if options.translate {
            TranscriptionTask::Translate
        } else {
            TranscriptionTask::Transcribe
        },
        language: options.language,
        prompt: options.prompt,
        temperature: options.temperature,
        word_timestamps: options.word_timestamps,
    })
}

fn decode_reply(reply: &[u8]) -> Result<Transcript, WhisperError> {
    match serde_json::from_slice::<WireReply>(reply) {
        Ok(WireReply::Ok(transcript)) => Ok(transcript),
        Ok(WireReply::Input(message)) => Err(WhisperError::Input(message)),
        Ok(WireReply::Failed(message)) => Err(WhisperError::Decode(message)),
        Err(err) => Err(WhisperError::Decode(format!(
            "unreadable recognizer reply: {err}"
        ))),
    }
}

fn write_frame(out: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    out.write_all(&(bytes.len() as u64).to_le_bytes())?;
    out.write_all(bytes)
}

fn read_frame(input: &mut impl Read) -> std::io::Result<Vec<u8>> {
    let mut length = [0u8; 8];
    input.read_exact(&mut length)?;
    let length = u64::from_le_bytes(length);
    if length > MAX_FRAME {
        return Err(std::io::Error::other(format!(
            "a {length}-byte frame is too large"
        )));
    }
    let mut bytes = vec![0u8; length as usize];
    input.read_exact(&mut bytes)?;
    Ok(bytes)
}

#[derive(Serialize, Deserialize)]
struct WireJob {
    sample_rate: u32,
    translate: bool,
    language: Option<String>,
    prompt: Option<String>,
    temperature: f64,
    word_timestamps: bool,
}

#[derive(Serialize, Deserialize)]
enum WireReply {
    Ok(Transcript),
    Input(String),
    Failed(String),
}
