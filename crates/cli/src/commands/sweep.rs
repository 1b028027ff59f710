//! `bulwark sweep [SPEC] --vary PATH=RANGE ...`: the risk across a grid of parameter
//! values (or one at a time), on common random numbers, as a tidy table and charts.

#![allow(clippy::print_stdout)] // stdout is this command's output.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use bulwark_report::{render_sweep, write_sweep};
use bulwark_sim::run::EngineKind;
use bulwark_sim::sweep::{Axis, SweepMode, SweepOptions, sweep};
use bulwark_spec::overrides::{Override, apply_overrides};
use clap::Args;

use crate::progress::Progress;
use crate::{Global, bundled, output_format};

/// What `bulwark sweep` takes.
#[derive(Args)]
pub(crate) struct SweepArgs {
    /// The protocol spec (TOML); the bundled example without one.
    spec: Option<PathBuf>,
    /// A field to vary: `PATH=LO..HI:COUNT` (evenly spaced, ends included) or
    /// `PATH=A,B,C`. Numbers, durations (`0s..1h:7`) or percentages. Repeat for more
    /// axes. Paths as in validation errors, e.g. `markets[0].reserves.WETH.ltv`;
    /// `markets[0].liquidation_threshold` sets every collateral reserve's.
    #[arg(long = "vary", required = true, value_name = "PATH=VALUES")]
    vary: Vec<String>,
    /// A field fixed at every point, `PATH=VALUE`, applied before the axes.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// One axis at a time, the others at the spec's values (a tornado), instead of the grid.
    #[arg(long)]
    tornado: bool,
    /// Paths per point (default: the spec's `scenario.paths`).
    #[arg(long)]
    paths: Option<u64>,
    /// Which market (index in the spec's [[markets]]).
    #[arg(long, default_value_t = 0)]
    market: usize,
    /// Folder for sweep.csv, sweep.json, sweep.md, index.html and the chart.
    #[arg(long, default_value = "bulwark-sweep")]
    out: PathBuf,
    /// Print the table only; write no folder.
    #[arg(long, conflicts_with = "out")]
    no_files: bool,
}

pub(crate) fn run(global: &Global, args: &SweepArgs) -> anyhow::Result<ExitCode> {
    let progress = Progress::new(global);
    progress.stage("reading the spec and its data");
    let mut spec = bundled::spec_text(args.spec.as_deref()).context("reading the spec")?;
    let set = args.set.iter().map(|s| s.parse::<Override>()).collect::<Result<Vec<_>, _>>()?;
    spec.text = apply_overrides(&spec.text, &set)?;
    let base = spec.protocol(&[])?;
    let axes = args.vary.iter().map(|s| s.parse::<Axis>()).collect::<Result<Vec<_>, _>>()?;
    let seed = global.seed.unwrap_or(base.scenario.seed);
    let paths = args.paths.unwrap_or(base.scenario.paths);
    let mode = if args.tornado { SweepMode::OneAtATime } else { SweepMode::Grid };
    let points = bulwark_sim::sweep::layout(&axes, mode).len() as u64;
    let opts = SweepOptions { paths, seed, engine: EngineKind::Buckets, market: args.market };
    progress.begin_count(points * paths, "path-runs");
    let start = std::time::Instant::now();
    let result = sweep(&spec, &axes, mode, &opts, &|done, _| progress.set_count(done))?;
    progress.finish();
    let summary = render_sweep(&result, output_format(global))?;
    let written = if args.no_files { None } else { Some(write_folder(&args.out, &result)?) };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(summary.as_bytes()).context("writing to stdout")?;
    stdout.flush().context("writing to stdout")?;
    progress.info(&format!(
        "{points} points × {paths} paths in {:.1} s; seed {seed} at every point",
        start.elapsed().as_secs_f64()
    ));
    if let Some(files) = written {
        progress.info(&format!("sweep: {} ({} files)", args.out.display(), files));
    }
    Ok(ExitCode::SUCCESS)
}

fn write_folder(dir: &Path, result: &bulwark_sim::sweep::SweepResult) -> anyhow::Result<usize> {
    Ok(write_sweep(dir, result).with_context(|| format!("writing {}", dir.display()))?.len())
}
