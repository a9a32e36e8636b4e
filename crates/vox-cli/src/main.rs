//! `vox`: the one place where configuration, the store and concrete engines are wired together.

mod auth_config;
mod client;
mod config;
mod docs_links;
mod door_config;
mod engines;
mod models;
mod profiles_config;
mod remote_engines;
mod serve;
mod settings_table;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "vox",
    version,
    about = "OpenAI-compatible audio chat completions on local models"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve(Box<serve::ServeArgs>),
    #[command(flatten)]
    Client(client::ClientCommand),
    /// Install, verify, list and remove model weights.
    Models(models::ModelsArgs),
    /// Decode one audio file from stdin for a `vox serve` parent (internal).
    #[command(hide = true)]
    InternalDecodeAudio,
    /// Run speech recognition for a `vox serve` parent over stdin/stdout (internal).
    #[command(hide = true)]
    InternalRecognize { model_dir: PathBuf, threads: usize },
    /// Inspect configuration files.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Make API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Print a new random key and the `[[auth.keys]]` entry (its SHA-256) that admits it.
    Add { name: String },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Check a TOML configuration file and print the configuration it results in (keys redacted).
    Check { file: PathBuf },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Client(command) = cli.command {
        return client::run(command);
    }
    let outcome = match cli.command {
        Command::Client(_) => unreachable!("handled above"),
        Command::Serve(args) => serve::with_passive_openmp().and_then(|()| serve::run(*args)),
        Command::Models(args) => models::run(args),
        Command::InternalDecodeAudio => vox_audio::run_child().map_err(Into::into),
        Command::InternalRecognize { model_dir, threads } => {
            vox_asr_whisper::run_child(&model_dir, threads).map_err(Into::into)
        }
        Command::Config(ConfigCommand::Check { file }) => config::check_file(&file),
        Command::Keys(KeysCommand::Add { name }) => {
            auth_config::new_key(&name).map(|printed| print!("{printed}"))
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("vox: {err:#}");
            ExitCode::FAILURE
        }
    }
}
