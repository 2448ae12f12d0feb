//! `openid`: the openid-rs command-line tool.
//!
//! ```text
//! openid discover IDENTIFIER        the endpoints discovery finds, in the order used
//! openid associate ENDPOINT         an association with a provider (never its key)
//! openid login IDENTIFIER           a whole login: browser (or --auto), then verification
//! openid store check URL            the store conformance suite against a live store
//! openid store bench URL            nonce and association throughput of a store
//! ```
//!
//! Human tables by default, one JSON document with `--json`. Exit codes: 0 done (a login:
//! verified), 1 a login not verified or a store case failed, 2 a usage or setup error,
//! printed as one line on stderr.

mod associate;
mod callback;
mod discover;
mod error;
mod login;
mod network;
mod output;
mod store_bench;
mod store_check;
mod stores;

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{Parser, Subcommand};

use crate::error::CliError;
use crate::network::NetworkArgs;
use crate::output::Format;

/// The openid-rs command-line tool: discovery, associations, logins and stores.
#[derive(Debug, Parser)]
#[command(name = "openid", version, arg_required_else_help = true)]
struct Cli {
    /// Print one JSON document instead of tables.
    #[arg(long, global = true)]
    json: bool,
    #[command(flatten)]
    network: NetworkArgs,
    #[command(subcommand)]
    command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Discover an identifier's OpenID endpoints (Yadis/XRDS, HTML links or XRI).
    Discover(discover::Args),
    /// Associate with an OpenID provider endpoint and show what was negotiated.
    Associate(associate::Args),
    /// Log in with an identifier: open the printed URL, or `--auto` for providers that
    /// answer without a human.
    Login(login::Args),
    /// Check or benchmark an association and nonce store, by URL.
    #[command(subcommand)]
    Store(StoreCommand),
}

/// `openid store ...`.
#[derive(Debug, Subcommand)]
enum StoreCommand {
    /// Run the store conformance suite against the store at URL.
    Check(store_check::Args),
    /// Measure the nonce and association throughput of the store at URL.
    Bench(store_bench::Args),
}

fn main() -> ExitCode {
    // The library logs through `tracing`; show it only when asked, on stderr.
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    let format = if cli.json { Format::Json } else { Format::Human };
    let result = match cli.command {
        Command::Discover(args) => discover::run(&args, &cli.network, format),
        Command::Associate(args) => associate::run(&args, &cli.network, format),
        Command::Login(args) => login::run(&args, &cli.network, format),
        Command::Store(StoreCommand::Check(args)) => store_check::run(&args, format),
        Command::Store(StoreCommand::Bench(args)) => store_bench::run(&args, format),
    };
    result.unwrap_or_else(|error| fail(&error))
}

/// Prints a setup error as one line and gives exit code 2.
fn fail(error: &CliError) -> ExitCode {
    output::status(&format!("openid: {}", error::one_line(error)));
    ExitCode::from(EXIT_ERROR)
}

/// Help and version go to stdout with code 0; a usage mistake is one line (clap's message
/// without its usage block) with code 2, like every other error of the tool.
fn usage_error(error: &clap::Error) -> ExitCode {
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = error.print();
            ExitCode::SUCCESS
        }
        // `openid` alone: the help is the most useful answer, still an error.
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = error.print();
            ExitCode::from(EXIT_ERROR)
        }
        _ => {
            let rendered = error.render().to_string();
            // clap's first paragraph is the message; the rest is tips and usage.
            let message = rendered.split("\n\n").next().unwrap_or_default();
            let message = message.trim().trim_start_matches("error:").trim();
            output::status(&format!("openid: {} (see openid --help)", error::collapse(message)));
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// The exit code of usage and setup errors.
const EXIT_ERROR: u8 = 2;
