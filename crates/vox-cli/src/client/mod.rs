//! The quickstarts as one-liners: `vox say`, `vox ask`, `vox chat`, `vox transcribe` and
//! `vox speak`, against local Vox, Azure OpenAI or OpenAI.

mod api;
mod audio_file;
mod endpoint;
mod failure;
mod spoken;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

pub use endpoint::EndpointArgs;
use failure::Failure;

/// The model text-only turns go to on Vox and OpenAI.
const TEXT_MODEL: &str = "gpt-4o-mini";

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Ask in text; print the answer and write it spoken to a file.
    Say(SayArgs),
    /// Ask with a spoken prompt (and optional text); print the answer and write it spoken.
    Ask(AskArgs),
    /// Talk turn by turn: type text, or `@file.wav` to speak; earlier answers are referenced by id.
    Chat(ChatArgs),
    /// Speech to text.
    Transcribe(TranscribeArgs),
    /// Text to speech (the speech API, no language model).
    Speak(SpeakArgs),
}

#[derive(Debug, Args)]
pub struct Output {
    /// Where the spoken answer goes; its extension picks the format unless --format is given.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// wav, mp3, flac, opus, aac or pcm.
    #[arg(long)]
    pub format: Option<String>,
    /// alloy, ash, ballad, coral, echo, fable, nova, onyx, sage, shimmer, verse, marin, cedar.
    #[arg(long, default_value = "alloy")]
    pub voice: String,
    /// Play the answer through a system player when done.
    #[arg(long)]
    pub play: bool,
    /// The longest answer, in tokens.
    #[arg(long)]
    pub max_tokens: Option<u32>,
}

#[derive(Debug, Args)]
pub struct SayArgs {
    pub text: String,
    #[command(flatten)]
    pub output: Output,
    #[command(flatten)]
    pub endpoint: EndpointArgs,
}

#[derive(Debug, Args)]
pub struct AskArgs {
    /// The spoken prompt (wav or mp3; other formats are converted).
    pub audio: PathBuf,
    /// Text to go with it.
    pub prompt: Option<String>,
    #[command(flatten)]
    pub output: Output,
    #[command(flatten)]
    pub endpoint: EndpointArgs,
}

#[derive(Debug, Args)]
pub struct ChatArgs {
    /// Answers in text only.
    #[arg(long)]
    pub no_audio: bool,
    #[arg(long, default_value = "alloy")]
    pub voice: String,
    /// Spoken answers are written as PREFIX-1.wav, PREFIX-2.wav, ...
    #[arg(long, default_value = "vox-chat", value_name = "PREFIX")]
    pub save_as: String,
    #[arg(long)]
    pub play: bool,
    /// The longest answer, in tokens.
    #[arg(long)]
    pub max_tokens: Option<u32>,
    #[command(flatten)]
    pub endpoint: EndpointArgs,
}

#[derive(Debug, Args)]
pub struct TranscribeArgs {
    pub file: PathBuf,
    /// text, json, srt, vtt or verbose_json.
    #[arg(long, default_value = "text")]
    pub format: String,
    #[command(flatten)]
    pub endpoint: EndpointArgs,
}

#[derive(Debug, Args)]
pub struct SpeakArgs {
    pub text: String,
    #[command(flatten)]
    pub output: Output,
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    #[command(flatten)]
    pub endpoint: EndpointArgs,
}

pub fn run(command: ClientCommand) -> ExitCode {
    let outcome = match command {
        ClientCommand::Say(args) => say(args),
        ClientCommand::Ask(args) => ask(args),
        ClientCommand::Chat(args) => chat(args),
        ClientCommand::Transcribe(args) => transcribe(args),
        ClientCommand::Speak(args) => speak(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("vox: {failure}");
            failure.exit_code()
        }
    }
}

fn spoken_to(output: &Output) -> Option<(&str, &Path, Option<&str>)> {
    Some((
        output.voice.as_str(),
        output.output.as_path(),
        output.format.as_deref(),
    ))
}

fn finish(output: &Output) {
    eprintln!("vox: spoken answer in {}", output.output.display());
    if output.play {
        spoken::play(&output.output);
    }
}

fn say(args: SayArgs) -> Result<(), Failure> {
    let messages = [json!({"role": "user", "content": args.text})];
    answer_aloud(&args.endpoint, &messages, &args.output)
}

fn ask(args: AskArgs) -> Result<(), Failure> {
    let mut content = Vec::new();
    if let Some(prompt) = &args.prompt {
        content.push(json!({"type": "text", "text": prompt}));
    }
    content.push(audio_file::input_audio(&args.audio)?);
    let messages = [json!({"role": "user", "content": content})];
    answer_aloud(&args.endpoint, &messages, &args.output)
}

/// One question, its answer printed and spoken into the output file.
fn answer_aloud(endpoint: &EndpointArgs, messages: &[Value], output: &Output) -> Result<(), Failure> {
    let endpoint = endpoint.resolve()?;
    spoken::exchange(&endpoint, messages, spoken_to(output), output.max_tokens)?;
    finish(output);
    Ok(())
}

fn chat(args: ChatArgs) -> Result<(), Failure> {
    let mut endpoint = args.endpoint.resolve()?;
    if args.no_audio && args.endpoint.model.is_none() && !args.endpoint.azure {
        // gpt-4o-audio-preview refuses text-only turns; its text sibling answers them.
        endpoint.model = TEXT_MODEL.into();
    }
    let mut history: Vec<Value> = Vec::new();
    let stdin = std::io::stdin();
    eprintln!("vox chat: type a message, or @file.wav to speak one; an empty line or Ctrl-D ends.");
    for (turn, line) in stdin.lock().lines().enumerate() {
        let line = line.map_err(|e| Failure::config(e.to_string()))?;
        let line = line.trim();
        if line.is_empty() {
            break;
        }
        let user = match line.strip_prefix('@') {
            Some(path) => json!({"role": "user", "content": [audio_file::input_audio(Path::new(path))?]}),
            None => json!({"role": "user", "content": line}),
        };
        history.push(user);
        let file = PathBuf::from(format!("{}-{}.wav", args.save_as, turn + 1));
        let audio = (!args.no_audio).then_some((args.voice.as_str(), file.as_path(), None));
        match spoken::exchange(&endpoint, &history, audio, args.max_tokens) {
            Ok(answer) => {
                history.push(match answer.audio_id {
                    // The spoken answer is referenced by id, as OpenAI's multi-turn examples do.
                    Some(id) => json!({"role": "assistant", "audio": {"id": id}}),
                    None => json!({"role": "assistant", "content": answer.transcript}),
                });
                if !args.no_audio {
                    eprintln!("vox: spoken answer in {}", file.display());
                    if args.play {
                        spoken::play(&file);
                    }
                }
            }
            Err(failure) => {
                // A failed turn is reported and forgotten; the conversation goes on.
                history.pop();
                eprintln!("vox: {failure}");
            }
        }
    }
    Ok(())
}

fn transcribe(args: TranscribeArgs) -> Result<(), Failure> {
    let endpoint = args.endpoint.resolve()?;
    let bytes =
        std::fs::read(&args.file).map_err(|e| Failure::config(format!("{}: {e}", args.file.display())))?;
    let name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "audio".into());
    let model = args.endpoint.model_or(&endpoint, "whisper-1");
    let fields = [
        ("model", model.as_str()),
        ("response_format", args.format.as_str()),
    ];
    let text = api::post_multipart(&endpoint, "audio/transcriptions", &name, &bytes, &fields)?;
    println!("{}", text.trim_end());
    Ok(())
}

fn speak(args: SpeakArgs) -> Result<(), Failure> {
    let endpoint = args.endpoint.resolve()?;
    let format = audio_file::output_format(&args.output.output, args.output.format.as_deref())?;
    let name = match format {
        vox_audio::OutputFormat::Pcm16 => "pcm",
        vox_audio::OutputFormat::Wav => "wav",
        vox_audio::OutputFormat::Mp3 => "mp3",
        vox_audio::OutputFormat::Flac => "flac",
        vox_audio::OutputFormat::Opus => "opus",
        vox_audio::OutputFormat::Aac => "aac",
    };
    let model = args.endpoint.model_or(&endpoint, "tts-1");
    let body = json!({"model": model, "input": args.text, "voice": args.output.voice, "response_format": name, "speed": args.speed});
    let spinner = spoken::Spinner::start();
    let mut audio = api::post_bytes(&endpoint, "audio/speech", &body)?;
    let mut file = std::fs::File::create(&args.output.output)
        .map_err(|e| Failure::config(format!("{}: {e}", args.output.output.display())))?;
    std::io::copy(&mut audio, &mut file)
        .map_err(|e| Failure::network(format!("the audio broke off: {e}")))?;
    spinner.stop();
    finish(&args.output);
    Ok(())
}
