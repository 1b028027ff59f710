//! `bulwark serve [--spec SPEC] --data-dir DIR`: the guard service.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use bulwark_server::guard_machine::GuardMachine;
use bulwark_server::http::About;
use bulwark_server::nats::NatsOptions;
use bulwark_server::{EngineOptions, Limits, ServeOptions};
use clap::Args;

use crate::progress::Progress;
use crate::{EXIT_BAD_INPUT, Global, bundled};

/// Options of `bulwark serve`.
#[derive(Args)]
pub(crate) struct ServeArgs {
    /// The protocol spec (TOML). Without it, the bundled example.
    #[arg(long)]
    spec: Option<PathBuf>,
    /// Folder of the durable event log (created if missing). A folder belongs to one
    /// spec: the service refuses one written under another.
    #[arg(long)]
    data_dir: PathBuf,
    /// Address to listen on (port 0: any free port; the log says which).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// File holding the bearer token for POST /v1/events. Default: $BULWARK_TOKEN, else
    /// a token generated once and kept in DATA_DIR/token.
    #[arg(long)]
    token_file: Option<PathBuf>,
    /// File holding the bearer token for POST /v1/admin/events (unpausing, loosening).
    /// Default: $BULWARK_ADMIN_TOKEN; without either, admin commands are disabled.
    #[arg(long)]
    admin_token_file: Option<PathBuf>,
    /// Also ingest events from this NATS server, e.g. nats://127.0.0.1:4222.
    #[arg(long)]
    nats: Option<String>,
    /// The NATS subject to subscribe to.
    #[arg(long, default_value = "bulwark.events", requires = "nats")]
    subject: String,
    /// Largest write request body, bytes.
    #[arg(long, default_value_t = 8 << 20)]
    max_body_bytes: usize,
    /// Most events in one request.
    #[arg(long, default_value_t = 10_000)]
    max_events: usize,
    /// Write requests per second (sustained; bursts of twice as many pass).
    #[arg(long, default_value_t = 2_000.0)]
    rate_limit: f64,
    /// Write a snapshot of the state every this many events.
    #[arg(long, default_value_t = 10_000)]
    snapshot_every: u64,
}

pub(crate) fn run(global: &Global, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let progress = Progress::new(global);
    progress.stage("reading the spec and its data");
    let Some((protocol, label)) = bundled::load_spec(args.spec.as_deref(), &progress)? else {
        return Ok(ExitCode::from(EXIT_BAD_INPUT));
    };
    progress.finish();
    let machine =
        GuardMachine::from_protocol(&protocol).with_context(|| format!("configuring the guard from {label}"))?;
    let writer_token = match &args.token_file {
        Some(path) => read_token(path)?,
        None => match std::env::var("BULWARK_TOKEN") {
            Ok(token) if !token.trim().is_empty() => token.trim().to_string(),
            _ => bulwark_server::service::token_in(&args.data_dir)
                .with_context(|| format!("preparing the write token in {}", args.data_dir.display()))?,
        },
    };
    let admin_token = match &args.admin_token_file {
        Some(path) => Some(read_token(path)?),
        None => std::env::var("BULWARK_ADMIN_TOKEN").ok().map(|t| t.trim().to_string()).filter(|t| !t.is_empty()),
    };
    if !global.quiet {
        bulwark_server::init_tracing();
    }
    let options = ServeOptions {
        listen: args.listen,
        data_dir: args.data_dir.clone(),
        writer_token,
        admin_token,
        limits: Limits {
            max_body_bytes: args.max_body_bytes,
            max_events: args.max_events,
            requests_per_s: args.rate_limit,
            burst: args.rate_limit * 2.0,
        },
        engine: EngineOptions { snapshot_every: args.snapshot_every.max(1), ..EngineOptions::default() },
        nats: args.nats.as_ref().map(|url| NatsOptions { url: url.clone(), subject: args.subject.clone() }),
        about: About { protocol: protocol.name.clone(), spec: label },
        config_digest: machine.config_digest(),
    };
    bulwark_server::run_blocking(options, machine).context("serving")?;
    Ok(ExitCode::SUCCESS)
}

fn read_token(path: &Path) -> anyhow::Result<String> {
    let token = std::fs::read_to_string(path).with_context(|| format!("reading the token in {}", path.display()))?;
    let token = token.trim();
    anyhow::ensure!(token.len() >= 16, "the token in {} is shorter than 16 characters", path.display());
    Ok(token.to_string())
}
