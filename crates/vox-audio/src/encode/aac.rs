//! AAC-LC through ffmpeg's native encoder, run as a separate program.
//!
//! Why: the only free AAC encoders are ffmpeg's (LGPL, in Debian's GPL build) and FDK AAC is not
//! free software. Running the `ffmpeg` program keeps its licence at the process boundary and
//! needs no C bindings; the cost is one process per AAC response.

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::thread::JoinHandle;

use super::StreamEncoder;
use crate::AudioError;

const BITRATE: &str = "64k";

pub struct AacStream {
    child: Child,
    stdin: Option<ChildStdin>,
    output: Receiver<Vec<u8>>,
    reader: Option<JoinHandle<()>>,
}

impl AacStream {
    pub fn new(rate: u32) -> Result<Self, AudioError> {
        let rate = rate.to_string();
        let mut child = Command::new("ffmpeg")
            .args([
                "-hide_banner",
                "-loglevel",
                "error",
                "-f",
                "f32le",
                "-ar",
                &rate,
                "-ac",
                "1",
                "-i",
                "pipe:0",
            ])
            .args(["-c:a", "aac", "-b:a", BITRATE, "-f", "adts", "pipe:1"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| AudioError::Encoder(format!("AAC output needs the ffmpeg program: {e}")))?;
        let stdin = child.stdin.take();
        let mut stdout = child
            .stdout
            .take()
            .ok_or_else(|| AudioError::Encoder("ffmpeg has no stdout".into()))?;
        let (sender, output) = channel();
        // A reader thread keeps ffmpeg's output pipe drained, so writing its input never blocks
        // on a full pipe.
        let reader = std::thread::spawn(move || {
            let mut buffer = vec![0u8; 16 * 1024];
            while let Ok(n) = stdout.read(&mut buffer) {
                if n == 0 || sender.send(buffer[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Ok(Self {
            child,
            stdin,
            output,
            reader: Some(reader),
        })
    }

    fn ready_output(&self) -> Vec<u8> {
        self.output.try_iter().flatten().collect()
    }
}

impl StreamEncoder for AacStream {
    fn push(&mut self, samples: &[f32]) -> Result<Vec<u8>, AudioError> {
        let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| AudioError::Encoder("AAC stream already finished".into()))?;
        stdin
            .write_all(&bytes)
            .map_err(|e| AudioError::Encoder(format!("ffmpeg input: {e}")))?;
        Ok(self.ready_output())
    }

    fn finish(&mut self) -> Result<Vec<u8>, AudioError> {
        drop(self.stdin.take()); // end of input: ffmpeg flushes and exits
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        let status = self
            .child
            .wait()
            .map_err(|e| AudioError::Encoder(format!("ffmpeg: {e}")))?;
        if !status.success() {
            return Err(AudioError::Encoder(format!("ffmpeg exited with {status}")));
        }
        Ok(self.ready_output())
    }
}

impl Drop for AacStream {
    fn drop(&mut self) {
        // An abandoned stream (client gone) must not leave ffmpeg running.
        if self.reader.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
