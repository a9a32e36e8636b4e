//! One streamed chat exchange: the transcript printed as it arrives, the audio written as it
//! arrives, a spinner until the first word.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use super::api;
use super::audio_file::{AnswerWriter, output_format};
use super::endpoint::Endpoint;
use super::failure::Failure;

pub struct Answer {
    pub transcript: String,
    /// The spoken answer's id, for later turns (absent for text-only answers).
    pub audio_id: Option<String>,
}

/// Asks `messages`; with `audio` (voice, output file, format) the answer is spoken into the file.
pub fn exchange(
    endpoint: &Endpoint,
    messages: &[Value],
    audio: Option<(&str, &Path, Option<&str>)>,
    max_tokens: Option<u32>,
) -> Result<Answer, Failure> {
    let mut body = json!({"model": endpoint.model, "messages": messages, "stream": true});
    if let Some(max_tokens) = max_tokens {
        body["max_completion_tokens"] = json!(max_tokens);
    }
    let mut writer = match audio {
        Some((voice, path, format)) => {
            body["modalities"] = json!(["text", "audio"]);
            // Streams carry pcm16 only; the file is encoded here in the format asked for.
            body["audio"] = json!({"voice": voice, "format": "pcm16"});
            Some(AnswerWriter::create(path, output_format(path, format)?)?)
        }
        None => None,
    };
    let spinner = Spinner::start();
    let mut answer = Answer {
        transcript: String::new(),
        audio_id: None,
    };
    let mut stdout = std::io::stdout();
    api::post_events(endpoint, "chat/completions", &body, |event| {
        let delta = &event["choices"][0]["delta"];
        let text = delta["audio"]["transcript"]
            .as_str()
            .or(delta["content"].as_str())
            .unwrap_or_default();
        if !text.is_empty() {
            spinner.stop();
            answer.transcript.push_str(text);
            let _ = write!(stdout, "{text}");
            let _ = stdout.flush();
        }
        if let Some(id) = delta["audio"]["id"].as_str() {
            answer.audio_id = Some(id.to_string());
        }
        if let (Some(data), Some(writer)) = (delta["audio"]["data"].as_str(), writer.as_mut()) {
            writer.push_base64_pcm16(data)?;
        }
        Ok(())
    })?;
    spinner.stop();
    println!();
    if let Some(writer) = writer {
        writer.finish()?;
    }
    Ok(answer)
}

/// A spinner on stderr while waiting, only when a person is watching.
pub struct Spinner(Option<indicatif::ProgressBar>);

impl Spinner {
    pub fn start() -> Self {
        if !std::io::stderr().is_terminal() {
            return Self(None);
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message("waiting for the answer");
        bar.enable_steady_tick(Duration::from_millis(100));
        Self(Some(bar))
    }

    pub fn stop(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// Plays a file with the first system player found; says so if there is none.
pub fn play(path: &Path) {
    let players: [(&str, &[&str]); 4] = [
        ("ffplay", &["-nodisp", "-autoexit", "-loglevel", "quiet"]),
        ("paplay", &[]),
        ("aplay", &["-q"]),
        ("afplay", &[]),
    ];
    for (player, args) in players {
        let status = std::process::Command::new(player).args(args).arg(path).status();
        if let Ok(status) = status {
            if !status.success() {
                eprintln!("vox: {player} could not play {}", path.display());
            }
            return;
        }
    }
    eprintln!(
        "vox: no audio player found (ffplay, paplay, aplay, afplay); the answer is in {}",
        path.display()
    );
}
