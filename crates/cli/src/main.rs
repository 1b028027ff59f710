//! `bulwark`: measures and enforces the economic security of DeFi protocols.
//!
//! This crate only parses arguments, shows progress and maps outcomes to exit codes;
//! the work happens in the library crates.

mod bundled;
mod commands;
mod progress;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Exit code for bad input: a spec or data file that fails validation, an unreadable
/// or unwritable path.
const EXIT_BAD_INPUT: u8 = 2;

#[derive(Parser)]
#[command(
    name = "bulwark",
    version,
    about = "Measure and enforce the economic security of DeFi protocols",
    long_about = "bulwark reads a protocol spec (TOML) and reports what it costs to attack the protocol and \
what bad debt it faces under stress.\n\nStart with `bulwark assess`: with no SPEC it runs the bundled example, \
a lending market modeled on Aave v3 Ethereum with real price and validator data.",
    after_help = "Exit codes: 0 success; 1 a finding over the threshold given with --fail-on; 2 bad input.\n\
Docs: docs/spec.md (the spec format), docs/report.md (report.json)."
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Options every command takes.
#[derive(Args, Clone)]
struct Global {
    /// Output format on stdout.
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    /// Seed for every random stream; overrides the spec's `scenario.seed`. The seed
    /// used is printed and recorded in every output.
    #[arg(long, global = true)]
    seed: Option<u64>,
    /// Print nothing on stderr but errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Print what is read and how long each stage takes.
    #[arg(short, long, global = true)]
    verbose: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    /// Aligned tables.
    Text,
    /// JSON (the schema of report.json).
    Json,
    /// Markdown.
    Md,
}

#[derive(Subcommand)]
enum Command {
    /// Assess a protocol: the summary on stdout and a report folder (report.md,
    /// report.json, index.html with charts).
    ///
    /// With no SPEC, assesses the bundled example: a lending market modeled on Aave v3
    /// Ethereum (WETH, WBTC and wstETH collateral against USDC and USDT debt) on
    /// Ethereum's staking entities.
    Assess {
        /// The protocol spec (TOML). See docs/spec.md.
        spec: Option<PathBuf>,
        /// Folder for the report files.
        #[arg(long, default_value = "bulwark-report")]
        out: PathBuf,
        /// Print the summary only; write no report folder.
        #[arg(long, conflicts_with = "out")]
        no_report: bool,
    },
    /// Check a spec and explain every error, with its file, line, column and key path.
    /// Exits 2 if there is any error.
    Validate {
        /// The protocol spec (TOML).
        spec: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Assess { spec, out, no_report } => {
            commands::assess::run(&cli.global, spec.as_deref(), (!no_report).then_some(out.as_path()))
        }
        Command::Validate { spec } => commands::validate::run(&cli.global, &spec),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            progress::error(&format!("{e:#}"));
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}
