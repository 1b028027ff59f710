//! `bulwark sweep [SPEC] --vary PATH=RANGE ...`: the risk across a grid of parameter
//! values (or one at a time), or its Sobol indices over ranges (`--sobol`), on common
//! random numbers, as a tidy table and charts.

#![allow(clippy::print_stdout)] // stdout is this command's output.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use bulwark_report::{render_sobol, render_sweep, write_sobol, write_sweep};
use bulwark_sim::run::EngineKind;
use bulwark_sim::sobol::{Input, SobolMetric, check_design, sobol_of_spec};
use bulwark_sim::sweep::{Axis, SpecText, SweepMode, SweepOptions, sweep};
use bulwark_spec::overrides::{Override, apply_overrides};
use clap::{Args, ValueEnum};

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
    /// `markets[0].liquidation_threshold` sets every collateral reserve's. With --sobol:
    /// `PATH=LO..HI`, drawn uniformly (a `:COUNT` is ignored; a list is refused).
    #[arg(long = "vary", required = true, value_name = "PATH=VALUES")]
    vary: Vec<String>,
    /// A field fixed at every point, `PATH=VALUE`, applied before the axes.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// One axis at a time, the others at the spec's values (a tornado), instead of the grid.
    #[arg(long)]
    tornado: bool,
    /// Global sensitivity instead of a grid: Sobol indices from ROWS base rows.
    ///
    /// Sobol indices split the variance of the risk (--metric) among the inputs: the
    /// first-order index S is the share an input explains alone, the total index ST the
    /// share with all its interactions (ST near 0: the input does not matter over its
    /// range). Each --vary PATH=LO..HI is drawn uniformly from its range (a `:COUNT` is
    /// ignored, a list is refused); at most 12 inputs, each distinct.
    ///
    /// Cost: ROWS × (d + 2) simulations of --paths paths each, d the number of inputs
    /// (Saltelli sampling), all on the same seed: --sobol 64 with 4 inputs and 1,000
    /// paths is 384 simulations, 384,000 path-runs. Each index comes with a 95 %
    /// bootstrap interval, which narrows as 1/√ROWS. Writes sobol.csv, sobol.json,
    /// sobol.md, index.html and sobol.svg (default folder bulwark-sobol).
    #[arg(long, value_name = "ROWS", conflicts_with = "tornado")]
    sobol: Option<usize>,
    /// With --sobol: the figure whose variance the indices apportion.
    #[arg(long, value_enum, default_value_t = MetricArg::BadDebtMean, requires = "sobol")]
    metric: MetricArg,
    /// Paths per point (default: the spec's `scenario.paths`).
    #[arg(long)]
    paths: Option<u64>,
    /// Which market (index in the spec's [[markets]]).
    #[arg(long, default_value_t = 0)]
    market: usize,
    /// Folder for the tables and charts: sweep.csv, sweep.json, sweep.md, index.html and
    /// the chart (default bulwark-sweep); with --sobol, the sobol.* files (default
    /// bulwark-sobol).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the table only; write no folder.
    #[arg(long, conflicts_with = "out")]
    no_files: bool,
}

/// The figures `--metric` offers.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MetricArg {
    /// Mean bad debt (USD).
    #[value(name = "bad_debt_mean")]
    BadDebtMean,
    /// 99th percentile of bad debt (USD).
    #[value(name = "var99")]
    Var99,
    /// Mean of the worst 1 % of bad debt (USD).
    #[value(name = "cvar99")]
    Cvar99,
    /// Probability that bad debt exceeds 1 % of debt.
    #[value(name = "prob_insolvency")]
    ProbInsolvency,
}

impl From<MetricArg> for SobolMetric {
    fn from(m: MetricArg) -> Self {
        match m {
            MetricArg::BadDebtMean => Self::BadDebtMean,
            MetricArg::Var99 => Self::Var99,
            MetricArg::Cvar99 => Self::Cvar99,
            MetricArg::ProbInsolvency => Self::ProbInsolvency,
        }
    }
}

pub(crate) fn run(global: &Global, args: &SweepArgs) -> anyhow::Result<ExitCode> {
    let progress = Progress::new(global);
    progress.stage("reading the spec and its data");
    let mut spec = bundled::spec_text(args.spec.as_deref()).context("reading the spec")?;
    let set = args.set.iter().map(|s| s.parse::<Override>()).collect::<Result<Vec<_>, _>>()?;
    spec.text = apply_overrides(&spec.text, &set)?;
    let base = spec.protocol(&[])?;
    let seed = global.seed.unwrap_or(base.scenario.seed);
    let paths = args.paths.unwrap_or(base.scenario.paths);
    let opts = SweepOptions { paths, seed, engine: EngineKind::Buckets, market: args.market };
    match args.sobol {
        Some(rows) => run_sobol(global, args, &progress, &spec, rows, &opts),
        None => run_grid(global, args, &progress, &spec, &opts),
    }
}

/// The grid or the tornado.
fn run_grid(
    global: &Global,
    args: &SweepArgs,
    progress: &Progress,
    spec: &SpecText,
    opts: &SweepOptions,
) -> anyhow::Result<ExitCode> {
    let axes = args.vary.iter().map(|s| s.parse::<Axis>()).collect::<Result<Vec<_>, _>>()?;
    let mode = if args.tornado { SweepMode::OneAtATime } else { SweepMode::Grid };
    let points = bulwark_sim::sweep::layout(&axes, mode).len() as u64;
    progress.begin_count(points * opts.paths, "path-runs");
    let start = std::time::Instant::now();
    let result = sweep(spec, &axes, mode, opts, &|done, _| progress.set_count(done))?;
    progress.finish();
    let summary = render_sweep(&result, output_format(global))?;
    let ran = format!(
        "{points} points × {} paths in {:.1} s; seed {} at every point",
        opts.paths,
        start.elapsed().as_secs_f64(),
        opts.seed
    );
    deliver(args, progress, &summary, &ran, "sweep", |dir| write_sweep(dir, &result))
}

/// Sobol indices over the ranges.
fn run_sobol(
    global: &Global,
    args: &SweepArgs,
    progress: &Progress,
    spec: &SpecText,
    rows: usize,
    opts: &SweepOptions,
) -> anyhow::Result<ExitCode> {
    let inputs = args.vary.iter().map(|s| s.parse::<Input>()).collect::<Result<Vec<_>, _>>()?;
    check_design(&inputs, rows)?;
    let evaluations = (rows * (inputs.len() + 2)) as u64;
    progress.begin_count(evaluations * opts.paths, "path-runs");
    let start = std::time::Instant::now();
    let analysis = sobol_of_spec(spec, &inputs, rows, args.metric.into(), opts, &|done, _| progress.set_count(done))?;
    progress.finish();
    let summary = render_sobol(&analysis, output_format(global))?;
    let ran = format!(
        "{evaluations} simulations ({rows} rows × ({} inputs + 2)) × {} paths in {:.1} s; seed {} at every simulation",
        inputs.len(),
        opts.paths,
        start.elapsed().as_secs_f64(),
        opts.seed
    );
    deliver(args, progress, &summary, &ran, "sobol", |dir| write_sobol(dir, &analysis))
}

/// Writes the results folder (`--out`, else `bulwark-KIND`) unless `--no-files`, prints
/// the summary, and says what ran and where its files went.
fn deliver<E: std::error::Error + Send + Sync + 'static>(
    args: &SweepArgs,
    progress: &Progress,
    summary: &str,
    ran: &str,
    kind: &str,
    write: impl FnOnce(&Path) -> Result<Vec<PathBuf>, E>,
) -> anyhow::Result<ExitCode> {
    let out = (!args.no_files).then(|| args.out.clone().unwrap_or_else(|| PathBuf::from(format!("bulwark-{kind}"))));
    let written = match &out {
        Some(dir) => Some(write(dir).with_context(|| format!("writing {}", dir.display()))?.len()),
        None => None,
    };
    print(summary)?;
    progress.info(ran);
    if let (Some(dir), Some(files)) = (out, written) {
        progress.info(&format!("{kind}: {} ({files} files)", dir.display()));
    }
    Ok(ExitCode::SUCCESS)
}

fn print(summary: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(summary.as_bytes()).context("writing to stdout")?;
    stdout.flush().context("writing to stdout")
}
