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
/// Exit code for a finding over the threshold the user chose with `--fail-on`.
const EXIT_FINDING: u8 = 1;

/// `--fail-on`: which verdict makes the command exit 1.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    /// Any vector whose CoC does not exceed its PfC.
    Insecure,
    /// Any vector insecure or at risk.
    AtRisk,
}

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
        /// Paths of the tail-risk simulation (default: the spec's `scenario.paths`).
        #[arg(long)]
        paths: Option<u64>,
        #[command(flatten)]
        attack: commands::attack::AttackArgs,
        /// Exit 1 when a vector is insecure (or at risk).
        #[arg(long, value_enum)]
        fail_on: Option<FailOn>,
        #[command(flatten)]
        sensitivity: commands::assess::SensitivityArgs,
    },
    /// Price every attack vector: consensus stake, oracle manipulation, governance,
    /// committees. For each: the cost of corruption and its breakdown, the profit from
    /// corruption and its basis, the slack and a verdict.
    ///
    /// With no SPEC, prices the bundled example.
    Attack {
        /// The protocol spec (TOML).
        spec: Option<PathBuf>,
        #[command(flatten)]
        attack: commands::attack::AttackArgs,
        /// Exit 1 when a vector is insecure (or at risk).
        #[arg(long, value_enum)]
        fail_on: Option<FailOn>,
    },
    /// Measure how concentrated a validator set is: Nakamoto coefficients (more than
    /// 1/3 and 2/3 of active stake), Gini, HHI, entropy, Theil, and which single
    /// country, hosting provider or client would halt the chain if lost.
    ///
    /// Recognizes the Solana, Sui, Cosmos Hub and Ethereum staking-entity files by shape.
    Dispersion {
        /// The validator file (JSON or CSV).
        file: PathBuf,
        /// What to group validators by.
        #[arg(long, value_enum, default_value_t = commands::dispersion::By::Validator)]
        by: commands::dispersion::By,
    },
    /// Simulate the tail risk of every lending market: Monte Carlo paths of prices,
    /// lagging oracles, Aave v3 liquidations with finite liquidity and cascades; prints the
    /// bad-debt distribution with a standard error beside every figure.
    ///
    /// With no SPEC, simulates the bundled example.
    Simulate {
        /// The protocol spec (TOML).
        spec: Option<PathBuf>,
        /// Paths to run (default: the spec's `scenario.paths`).
        #[arg(long)]
        paths: Option<u64>,
        /// Run the exact per-account engine instead of the bucketed one (slower; for
        /// small books and multi-asset accounts).
        #[arg(long)]
        exact: bool,
    },
    /// Check a spec and explain every error, with its file, line, column and key path.
    /// Exits 2 if there is any error.
    Validate {
        /// The protocol spec (TOML).
        spec: PathBuf,
    },
    /// Verify governance signatures, cross-chain messages, Merkle proofs and slashing
    /// evidence, byte for byte as the chains do. Reads a file, or stdin when the file is
    /// `-`. Exits 0 when valid, 1 when invalid (with the reason), 2 when malformed.
    #[command(subcommand)]
    Verify(commands::verify::Verify),
    /// Run the guard service: an HTTP API (POST /v1/events, GET /v1/status, breakers,
    /// alerts, parameters, events, /metrics), a durable event log, optional NATS
    /// ingestion, and a live dashboard at /.
    ///
    /// With no --spec, guards the bundled example. Stops on Ctrl-C or SIGTERM.
    Serve(commands::serve::ServeArgs),
    /// Sweep spec fields over ranges (a grid, or one at a time with --tornado) on common
    /// random numbers: a tidy table (CSV, JSON) and charts (lines, heatmap, tornado); or
    /// each field's Sobol indices over its range with --sobol.
    ///
    /// With no SPEC, sweeps the bundled example.
    Sweep(commands::sweep::SweepArgs),
    /// Recommend the largest liquidation thresholds, LTVs and caps, and the liquidation
    /// bonus, that meet a risk target, found by bisection over the simulation, with
    /// confidence intervals; SmartLTV's closed form beside them.
    ///
    /// With no SPEC, works on the bundled example.
    Recommend(commands::recommend::RecommendArgs),
    /// Replay real crises (May 2021, May and June 2022, November 2022, March 2023) with
    /// the spec's static parameters and with the adaptive controller, side by side.
    ///
    /// With no SPEC, replays the bundled example.
    Backtest(commands::backtest::BacktestArgs),
}

/// The report format of the global `--format`.
fn output_format(global: &Global) -> bulwark_report::Format {
    match global.format {
        OutputFormat::Text => bulwark_report::Format::Text,
        OutputFormat::Json => bulwark_report::Format::Json,
        OutputFormat::Md => bulwark_report::Format::Markdown,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Assess { spec, out, no_report, paths, attack, fail_on, sensitivity } => commands::assess::run(
            &cli.global,
            spec.as_deref(),
            (!no_report).then_some(out.as_path()),
            paths,
            &attack,
            fail_on,
            &sensitivity,
        ),
        Command::Attack { spec, attack, fail_on } => {
            commands::attack::run(&cli.global, spec.as_deref(), &attack, fail_on)
        }
        Command::Dispersion { file, by } => commands::dispersion::run(&cli.global, &file, by),
        Command::Simulate { spec, paths, exact } => commands::simulate::run(&cli.global, spec.as_deref(), paths, exact),
        Command::Validate { spec } => commands::validate::run(&cli.global, &spec),
        Command::Verify(what) => commands::verify::run(&cli.global, &what),
        Command::Serve(args) => commands::serve::run(&cli.global, &args),
        Command::Sweep(args) => commands::sweep::run(&cli.global, &args),
        Command::Recommend(args) => commands::recommend::run(&cli.global, &args),
        Command::Backtest(args) => commands::backtest::run(&cli.global, &args),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            progress::error(&describe(&e));
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

/// The error and its causes, joined by ": ", each said once: the library errors name
/// their cause in their own message (so that they read whole wherever they are shown),
/// and the chain would repeat it.
fn describe(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}
