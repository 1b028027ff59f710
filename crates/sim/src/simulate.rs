//! A spec's scenario, simulated: the price model built from the spec and its data, one
//! Monte Carlo run per lending market, the worst paths re-run to tell their story, and
//! the series the report charts.

use bulwark_spec::Protocol;
use bulwark_spec::data::crises::{load_bars, load_gas};
use bulwark_spec::data::prices::{PriceSeries, load_price_csv};
use bulwark_spec::model::asset::VolatilitySource;
use bulwark_spec::model::scenario::PriceModel;
use serde::Serialize;

use crate::engine::Recorder;
use crate::process::{
    Bootstrap, Correlation, Gbm, Merton, PathModel, Pinned, Process, ProcessError, fit_garch, path_rng,
};
use crate::run::{EngineKind, Summary, replay, run, summarize};
use crate::world::{Liquidators, World};

/// Why a simulation could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The spec has no lending market to stress.
    #[error("the spec has no [[markets]]: nothing to simulate")]
    NoMarket,
    /// A process could not be built from the spec's figures or history.
    #[error("{asset}: {source}")]
    Process {
        /// The asset.
        asset: String,
        /// Why.
        source: ProcessError,
    },
    /// A history file named by the spec could not be read again.
    #[error("{0}")]
    Data(#[from] bulwark_spec::data::DataError),
}

/// What a run may override of the spec's scenario.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimOptions {
    /// Paths (default: the spec's).
    pub paths: Option<u64>,
    /// Seed (default: the spec's).
    pub seed: Option<u64>,
    /// Engine.
    pub engine: EngineKind,
    /// Worst paths re-run for their story.
    pub worst: usize,
    /// Paths drawn in the fan chart.
    pub fan_paths: u64,
}

impl Default for SimOptions {
    fn default() -> Self {
        Self { paths: None, seed: None, engine: EngineKind::Buckets, worst: 3, fan_paths: 200 }
    }
}

/// One market's stress test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimReport {
    /// The market.
    pub market: String,
    /// The bad-debt distribution and its companions.
    #[serde(flatten)]
    pub summary: Summary,
    /// How the world was modelled, in words.
    pub assumptions: Vec<String>,
    /// Histogram of bad debt over paths: `(lower edge in USD, paths)`; the first bin holds
    /// the paths without bad debt (edge 0), the others are powers of ten.
    pub bad_debt_histogram: Vec<(f64, u64)>,
    /// Mean USD liquidated per step, `(t_s, usd)`, at most about 300 points.
    pub liquidations_over_time: Vec<(f64, f64)>,
    /// The fan chart of the first collateral asset's market price.
    pub fan: Fan,
    /// The worst paths, step by step (about 150 points each).
    pub stories: Vec<Story>,
}

/// Quantiles of an asset's market price over time across paths, and the worst paths.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fan {
    /// The asset.
    pub asset: String,
    /// Times, seconds.
    pub t_s: Vec<f64>,
    /// 5, 25, 50, 75 and 95 % quantiles at each time, USD.
    pub quantiles: [Vec<f64>; 5],
    /// The worst paths' prices at the same times.
    pub worst: Vec<Vec<f64>>,
}

/// One path told step by step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Story {
    /// The path index.
    pub path: u64,
    /// The asset followed (the first collateral asset).
    pub asset: String,
    /// Sampled steps.
    pub steps: Vec<StoryStep>,
}

/// One sampled step of a story.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StoryStep {
    /// Time, seconds.
    pub t_s: f64,
    /// Market price of the asset, USD.
    pub market: f64,
    /// Oracle answer, USD.
    pub oracle: f64,
    /// Gap between market and reference caused by liquidation sales, as a fraction.
    pub slippage: f64,
    /// USD liquidated since the previous sample.
    pub liquidated_usd: f64,
    /// USD written off since the previous sample.
    pub bad_debt_usd: f64,
}

/// Records one asset's market price at every step.
struct PriceTrace {
    asset: usize,
    prices: Vec<f64>,
}

impl Recorder for PriceTrace {
    fn step(&mut self, _t: f64, _r: &[f64], market: &[f64], _o: &[f64], _l: f64, _b: f64) {
        self.prices.push(market[self.asset]);
    }
}

/// Records a story, one sample every `every` steps.
struct StoryTrace {
    asset: usize,
    every: usize,
    step: usize,
    pending: (f64, f64),
    steps: Vec<StoryStep>,
}

impl Recorder for StoryTrace {
    fn step(&mut self, t_s: f64, reference: &[f64], market: &[f64], oracle: &[f64], liquidated: f64, bad: f64) {
        self.pending.0 += liquidated;
        self.pending.1 += bad;
        self.step += 1;
        if self.step.is_multiple_of(self.every) {
            let a = self.asset;
            self.steps.push(StoryStep {
                t_s,
                market: market[a],
                oracle: oracle[a],
                slippage: 1.0 - market[a] / reference[a],
                liquidated_usd: self.pending.0,
                bad_debt_usd: self.pending.1,
            });
            self.pending = (0.0, 0.0);
        }
    }
}

/// Builds the price model of the spec's scenario: one process per asset, correlated
/// where the assets' histories allow, with the scenario's shocks pinned on top.
pub fn path_model(p: &Protocol) -> Result<(PathModel, Vec<String>), SimError> {
    let mut notes = Vec::new();
    let mut processes = Vec::with_capacity(p.assets.len());
    let mut histories = Vec::new();
    for (i, a) in p.assets.iter().enumerate() {
        let err = |source| SimError::Process { asset: a.symbol.clone(), source };
        let (history, file) = match &a.volatility.source {
            VolatilitySource::History { file, .. } => (Some(load_price_csv(file)?.0), Some(file.clone())),
            _ => (None, None),
        };
        let interval_days = history.as_ref().and_then(|h| {
            let span = h.points.last()?.timestamp_s - h.points.first()?.timestamp_s;
            Some(span as f64 / 86_400.0 / (h.points.len().saturating_sub(1).max(1)) as f64)
        });
        let returns = || history.as_ref().map(|h| h.log_returns().map(|(_, r)| r).collect::<Vec<f64>>());
        let gbm = || Gbm::new(0.0, a.volatility.daily).map(Process::from).map_err(err);
        let process = match (p.scenario.model, returns(), interval_days) {
            (PriceModel::Gbm, ..) => gbm()?,
            (PriceModel::Jump { intensity_per_day, mean, std }, ..) => {
                Merton::new(0.0, a.volatility.daily, intensity_per_day, mean, std).map(Process::from).map_err(err)?
            }
            (PriceModel::Garch, Some(r), Some(dt)) => {
                let fit = fit_garch(&r).map_err(err)?;
                notes.push(format!("{}: GARCH(1,1) fitted to {} returns", a.symbol, r.len()));
                Process::garch(fit.params, dt).map_err(err)?
            }
            (PriceModel::Bootstrap { mean_block }, Some(r), Some(dt)) => {
                notes.push(format!("{}: block bootstrap of {} returns", a.symbol, r.len()));
                Process::bootstrap(Bootstrap::new(r, mean_block).map_err(err)?, dt).map_err(err)?
            }
            _ => {
                notes.push(format!(
                    "{}: no price history, so geometric Brownian motion at its given volatility",
                    a.symbol
                ));
                gbm()?
            }
        };
        processes.push(process);
        if let (Some(h), Some(f)) = (history, file) {
            histories.push((i, f, h));
        }
    }
    let correlation = correlation(p.assets.len(), &histories, &mut notes);
    let mut model =
        PathModel::new(processes, correlation).map_err(|source| SimError::Process { asset: "all".into(), source })?;
    for replay in &p.scenario.replays {
        let Some(i) = p.assets.iter().position(|a| a.symbol == replay.asset) else { continue };
        let err = |source| SimError::Process { asset: replay.asset.clone(), source };
        let bars = load_bars(&replay.bars)?;
        model = model.with_pinned(Pinned::replay(i, &bars, replay.at_s / 86_400.0).map_err(err)?).map_err(err)?;
        notes.push(format!(
            "{} replays {} ({} bars) from {} s",
            replay.asset,
            replay.bars.display(),
            bars.len(),
            replay.at_s
        ));
    }
    for shock in &p.scenario.shocks {
        let Some(i) = p.assets.iter().position(|a| a.symbol == shock.asset) else { continue };
        let pinned = Pinned::from_shock(shock, i, p.assets[i].price_usd)
            .map_err(|source| SimError::Process { asset: shock.asset.clone(), source })?;
        model = model.with_pinned(pinned).map_err(|source| SimError::Process { asset: shock.asset.clone(), source })?;
        let what = match shock.kind {
            bulwark_spec::model::scenario::ShockKind::Drop { fraction } => format!("falls {:.0} %", fraction * 100.0),
            bulwark_spec::model::scenario::ShockKind::Depeg { to_usd } => format!("moves to {to_usd} USD"),
            _ => "moves".to_string(),
        };
        notes.push(format!(
            "shock: {} {what}, starting at {} and taking {}",
            shock.asset,
            bulwark_spec::units::format_duration(shock.at_s),
            bulwark_spec::units::format_duration(shock.over_s)
        ));
    }
    Ok((model, notes))
}

/// The correlation of assets with histories, estimated on their common timestamps.
/// Histories from one source (one folder) share timestamps; across sources they rarely
/// overlap, so each source's assets are estimated together and the blocks are put on the
/// diagonal (block-diagonal stays positive semi-definite). Assets without history, and
/// assets of different sources, move independently; the report says so.
fn correlation(
    n: usize,
    histories: &[(usize, std::path::PathBuf, PriceSeries)],
    notes: &mut Vec<String>,
) -> Correlation {
    let mut rows = vec![vec![0.0; n]; n];
    for (i, row) in rows.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    let mut folders: Vec<&std::path::Path> = histories.iter().filter_map(|(_, f, _)| f.parent()).collect();
    folders.sort();
    folders.dedup();
    for folder in folders {
        let group: Vec<&(usize, std::path::PathBuf, PriceSeries)> =
            histories.iter().filter(|(_, f, _)| f.parent() == Some(folder)).collect();
        if group.len() < 2 {
            continue;
        }
        let series: Vec<PriceSeries> = group.iter().map(|(_, _, h)| h.clone()).collect();
        // Observations count as simultaneous within 10 minutes (hourly reads drift by seconds).
        match Correlation::estimate(&series, 600.0) {
            Ok(sub) => {
                for (a, (i, _, _)) in group.iter().enumerate() {
                    for (b, (j, _, _)) in group.iter().enumerate() {
                        rows[*i][*j] = sub.get(a, b).unwrap_or(if a == b { 1.0 } else { 0.0 });
                    }
                }
                let name = folder
                    .file_name()
                    .map_or_else(|| folder.display().to_string(), |n| n.to_string_lossy().into_owned());
                notes.push(format!(
                    "correlation estimated among the {} assets whose histories share the source {name}",
                    group.len()
                ));
            }
            Err(e) => notes.push(format!("correlation could not be estimated in {} ({e})", folder.display())),
        }
    }
    Correlation::new(&rows).unwrap_or_else(|e| {
        notes.push(format!("the estimated correlation could not be used ({e}); assets move independently"));
        Correlation::identity(n)
    })
}

/// The liquidators of the spec, with gas priced at the first of WETH or ETH (3,000 USD
/// when the spec has neither, an assumption stated in the report) and, with a gas
/// series, a gas price that follows it (its 10-minute averages, one per step of the
/// series' own spacing, held between rows).
///
/// # Errors
/// [`SimError::Data`] if the gas series cannot be read again.
pub fn liquidators(p: &Protocol) -> Result<(Liquidators, String), SimError> {
    let l = &p.scenario.liquidators;
    let gas_asset = p.assets.iter().position(|a| a.symbol == "WETH" || a.symbol == "ETH");
    let eth = gas_asset.map_or(3000.0, |a| p.assets[a].price_usd);
    let steps = p.scenario.steps().max(1) as usize;
    let (gwei0, gas_by_step, gas_note) = match &l.gas_series {
        Some(file) => {
            let rows = load_gas(file)?;
            let first = rows.first().map_or(0, |r| r.timestamp_s);
            let first_gwei = rows.first().map_or(1.0, |r| r.average_gwei).max(f64::MIN_POSITIVE);
            let by_step = (0..steps)
                .map(|i| {
                    let t = first + ((i + 1) as f64 * p.scenario.step_s) as i64;
                    let row = rows.partition_point(|r| r.timestamp_s <= t).saturating_sub(1);
                    rows[row].average_gwei / first_gwei
                })
                .collect::<Vec<f64>>();
            let peak = by_step.iter().copied().fold(0.0, f64::max) * first_gwei;
            (
                first_gwei,
                by_step,
                format!("gas from {} ({first_gwei:.0} gwei at the start, {peak:.0} at the peak)", file.display()),
            )
        }
        None => (l.gas_price_gwei, Vec::new(), format!("{} gwei", l.gas_price_gwei)),
    };
    let gas_usd = l.gas * gwei0 * 1e-9 * eth;
    let latency_steps = (l.latency_s / p.scenario.step_s).round() as usize;
    let note = format!(
        "liquidators: ${:.0} of debt per step, {:.0} gas at {gas_note} (${gas_usd:.2} a call at the start), latency {} s (= {latency_steps} steps)",
        l.capital_per_step_usd, l.gas, l.latency_s
    );
    Ok((
        Liquidators { capital_per_step_usd: l.capital_per_step_usd, gas_usd, latency_steps, gas_by_step, gas_asset },
        note,
    ))
}

/// Simulates every lending market of the spec. `progress(done, total)` reports paths.
pub fn simulate(
    p: &Protocol,
    opts: &SimOptions,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<Vec<SimReport>, SimError> {
    if p.markets.is_empty() {
        return Err(SimError::NoMarket);
    }
    let seed = opts.seed.unwrap_or(p.scenario.seed);
    let paths = opts.paths.unwrap_or(p.scenario.paths);
    let (model, model_notes) = path_model(p)?;
    let (liq, liq_note) = liquidators(p)?;
    let dt_days = p.scenario.step_s / 86_400.0;
    let source = |path: u64, out: &mut [f64]| {
        // Validated when the model was built: fill only fails on a bad step or length,
        // which the engine never passes; a failure leaves the returns at zero.
        if model.fill(&mut path_rng(seed, path), dt_days, out).is_err() {
            out.fill(0.0);
        }
    };
    let mut reports = Vec::new();
    for market in &p.markets {
        let world = World::with_engine(p, market, seed, liq.clone(), opts.engine == EngineKind::Buckets);
        let output = run(&world, opts.engine, paths, &source, &|done| progress(done, paths));
        let summary = summarize(&world, opts.engine, seed, &output, opts.worst);
        let followed = world
            .pairs
            .first()
            .map_or_else(|| world.assets.iter().position(|a| a.lt > 0.0).unwrap_or(0), |pb| pb.collateral);
        let fan = fan(&world, opts, &source, followed, &summary);
        let stories = summary
            .worst_paths
            .iter()
            .map(|w| {
                let mut trace = StoryTrace {
                    asset: followed,
                    every: (world.steps / 150).max(1),
                    step: 0,
                    pending: (0.0, 0.0),
                    steps: Vec::new(),
                };
                replay(&world, opts.engine, &source, w.path, &mut trace);
                Story { path: w.path, asset: world.assets[followed].symbol.clone(), steps: trace.steps }
            })
            .collect();
        let every = (world.steps / 300).max(1);
        let liquidations_over_time = output
            .liquidated_per_step
            .chunks(every)
            .enumerate()
            .map(|(i, c)| (((i + 1) * every) as f64 * world.step_s, c.iter().sum()))
            .collect();
        let mut assumptions = model_notes.clone();
        assumptions.push(liq_note.clone());
        assumptions.push(format!(
            "{} positions in {} buckets and {} multi-asset accounts; total debt ${:.0}",
            world.pairs.iter().map(|pb| pb.buckets.iter().map(|b| b.positions).sum::<f64>()).sum::<f64>()
                + world.accounts.len() as f64,
            world.pairs.iter().map(|pb| pb.buckets.len()).sum::<usize>(),
            world.accounts.len(),
            world.total_debt_usd
        ));
        let bad_debt_histogram = histogram(output.outcomes.iter().map(|o| o.bad_debt_usd));
        reports.push(SimReport {
            market: market.name.clone(),
            summary,
            assumptions,
            bad_debt_histogram,
            liquidations_over_time,
            fan,
            stories,
        });
    }
    Ok(reports)
}

/// Paths by bad debt: none, then one bin per power of ten of USD.
fn histogram(values: impl Iterator<Item = f64>) -> Vec<(f64, u64)> {
    let mut bins: Vec<(f64, u64)> = vec![(0.0, 0)];
    for x in values {
        if x <= 0.0 {
            bins[0].1 += 1;
            continue;
        }
        let edge = 10f64.powi(x.log10().floor() as i32);
        match bins.iter_mut().find(|(e, _)| *e == edge) {
            Some(bin) => bin.1 += 1,
            None => bins.push((edge, 1)),
        }
    }
    bins.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Fill empty decades between the first and last, so the chart's axis has no holes.
    let mut filled: Vec<(f64, u64)> = vec![bins[0]];
    for pair in bins[1..].windows(1) {
        let (edge, count) = pair[0];
        while let Some(&(last, _)) = filled.last().filter(|(e, _)| *e > 0.0 && edge / *e > 10.5) {
            filled.push((last * 10.0, 0));
        }
        filled.push((edge, count));
    }
    filled
}

fn fan(
    world: &World,
    opts: &SimOptions,
    source: &crate::run::ReturnSource<'_>,
    asset: usize,
    summary: &Summary,
) -> Fan {
    let trace = |path: u64| {
        let mut t = PriceTrace { asset, prices: Vec::with_capacity(world.steps) };
        replay(world, opts.engine, source, path, &mut t);
        t.prices
    };
    let every = (world.steps / 150).max(1);
    let sample = |prices: &[f64]| prices.iter().skip(every - 1).step_by(every).copied().collect::<Vec<f64>>();
    let traces: Vec<Vec<f64>> = (0..opts.fan_paths.min(summary.paths)).map(|p| sample(&trace(p))).collect();
    let points = traces.first().map_or(0, Vec::len);
    let mut quantiles: [Vec<f64>; 5] = Default::default();
    let mut column = Vec::with_capacity(traces.len());
    for i in 0..points {
        column.clear();
        column.extend(traces.iter().map(|t| t[i]));
        column.sort_by(f64::total_cmp);
        for (q, out) in [0.05, 0.25, 0.5, 0.75, 0.95].iter().zip(quantiles.iter_mut()) {
            out.push(column[((column.len() as f64 - 1.0) * q).round() as usize]);
        }
    }
    Fan {
        asset: world.assets[asset].symbol.clone(),
        t_s: (0..points).map(|i| ((i + 1) * every) as f64 * world.step_s).collect(),
        quantiles,
        worst: summary.worst_paths.iter().map(|w| sample(&trace(w.path))).collect(),
    }
}
