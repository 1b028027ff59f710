//! `bulwark recommend [SPEC] --target '...'`: the largest thresholds, LTVs and caps, and
//! the liquidation bonus, that meet a risk target, with confidence intervals, and
//! SmartLTV beside them.

#![allow(clippy::print_stdout)] // stdout is this command's output.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use bulwark_report::render_recommendations;
use bulwark_sim::recommend::{RecommendOptions, Target, recommend};
use clap::Args;

use crate::progress::Progress;
use crate::{Global, bundled, output_format};

/// What `bulwark recommend` takes.
#[derive(Args)]
pub(crate) struct RecommendArgs {
    /// The protocol spec (TOML); the bundled example without one.
    spec: Option<PathBuf>,
    /// The target: `FIGURE < LIMIT`, e.g. `p99 bad debt < 0.5% of debt`,
    /// `P(insolvency) < 1%`, `mean bad debt < $1000000`.
    #[arg(long, default_value = "p99 bad debt < 0.5% of debt")]
    target: String,
    /// Paths per evaluation.
    #[arg(long, default_value_t = 500)]
    paths: u64,
    /// Bisection steps per parameter.
    #[arg(long, default_value_t = 6)]
    iterations: u32,
    /// Which market (index in the spec's [[markets]]).
    #[arg(long, default_value_t = 0)]
    market: usize,
}

pub(crate) fn run(global: &Global, args: &RecommendArgs) -> anyhow::Result<ExitCode> {
    let progress = Progress::new(global);
    let target: Target = args.target.parse()?;
    progress.stage("reading the spec and its data");
    let spec = bundled::spec_text(args.spec.as_deref()).context("reading the spec")?;
    let base = spec.protocol(&[])?;
    let seed = global.seed.unwrap_or(base.scenario.seed);
    let opts = RecommendOptions {
        paths: args.paths,
        seed,
        market: args.market,
        iterations: args.iterations,
        ..RecommendOptions::default()
    };
    let r = recommend(&spec, &target, &opts, &|lever| progress.stage(&format!("searching the {lever}")))?;
    progress.finish();
    let text = render_recommendations(&r, output_format(global))?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes()).context("writing to stdout")?;
    stdout.flush().context("writing to stdout")?;
    progress.info(&format!("seed: {seed}; {} paths per evaluation", args.paths));
    Ok(ExitCode::SUCCESS)
}
