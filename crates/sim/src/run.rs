//! The Monte Carlo run: every path on its own random stream, in parallel, summarized
//! into the distribution of bad debt with a standard error beside every figure.

use rayon::prelude::*;
use serde::Serialize;

use crate::engine::{NoRecord, PathOutcome, Recorder, Scratch, run_buckets, run_exact};
use crate::stats::{mean, probability, quantile, tail_mean};
use crate::world::World;

/// Which engine runs the paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EngineKind {
    /// Positions aggregated into buckets: cost independent of the book's size.
    Buckets,
    /// One row per account.
    Exact,
}

/// Fills `steps × assets` log-returns for path `path` (row-major by step). It must
/// depend only on the path index, so that results do not depend on threads or order.
pub type ReturnSource<'a> = dyn Fn(u64, &mut [f64]) + Sync + 'a;

/// Runs one path with the chosen engine.
pub fn run_path(
    world: &World,
    engine: EngineKind,
    source: &ReturnSource<'_>,
    path: u64,
    scratch: &mut Scratch,
    returns: &mut Vec<f64>,
    rec: &mut impl Recorder,
) -> PathOutcome {
    returns.resize(world.steps * world.assets.len(), 0.0);
    source(path, returns);
    match engine {
        EngineKind::Buckets => run_buckets(world, scratch, returns, rec),
        EngineKind::Exact => run_exact(world, scratch, returns, rec),
    }
}

/// Sums liquidations and write-offs per step across paths.
struct Series<'a> {
    liquidated: &'a mut [f64],
    written_off: &'a mut [f64],
    step: usize,
}

impl Recorder for Series<'_> {
    fn step(&mut self, _t: f64, _r: &[f64], _m: &[f64], _o: &[f64], liquidated: f64, written_off: f64) {
        self.liquidated[self.step] += liquidated;
        self.written_off[self.step] += written_off;
        self.step += 1;
    }
}

/// Per-path outcomes, in path order, and per-step totals across paths.
pub struct RunOutput {
    /// One outcome per path, index = path.
    pub outcomes: Vec<PathOutcome>,
    /// Mean USD liquidated at each step.
    pub liquidated_per_step: Vec<f64>,
    /// Mean USD written off at each step.
    pub written_off_per_step: Vec<f64>,
}

/// Runs `paths` paths in parallel. `progress` is called with the count of finished paths
/// now and then (from worker threads).
pub fn run(
    world: &World,
    engine: EngineKind,
    paths: u64,
    source: &ReturnSource<'_>,
    progress: &(dyn Fn(u64) + Sync),
) -> RunOutput {
    const CHUNK: u64 = 64;
    let chunks: Vec<u64> = (0..paths.div_ceil(CHUNK)).collect();
    let done = std::sync::atomic::AtomicU64::new(0);
    let steps = world.steps;
    let parts: Vec<(Vec<PathOutcome>, Vec<f64>, Vec<f64>)> = chunks
        .par_iter()
        .map_init(
            || (Scratch::default(), Vec::new()),
            |(scratch, returns), &chunk| {
                let (mut liquidated, mut written_off) = (vec![0.0; steps], vec![0.0; steps]);
                let range = chunk * CHUNK..((chunk + 1) * CHUNK).min(paths);
                let outcomes = range
                    .map(|path| {
                        let mut series = Series { liquidated: &mut liquidated, written_off: &mut written_off, step: 0 };
                        run_path(world, engine, source, path, scratch, returns, &mut series)
                    })
                    .collect::<Vec<_>>();
                let finished =
                    done.fetch_add(outcomes.len() as u64, std::sync::atomic::Ordering::Relaxed) + outcomes.len() as u64;
                progress(finished);
                (outcomes, liquidated, written_off)
            },
        )
        .collect();
    let n = paths.max(1) as f64;
    let mut out = RunOutput {
        outcomes: Vec::with_capacity(paths as usize),
        liquidated_per_step: vec![0.0; steps],
        written_off_per_step: vec![0.0; steps],
    };
    for (outcomes, liquidated, written_off) in parts {
        out.outcomes.extend(outcomes);
        for (acc, x) in out.liquidated_per_step.iter_mut().zip(liquidated) {
            *acc += x / n;
        }
        for (acc, x) in out.written_off_per_step.iter_mut().zip(written_off) {
            *acc += x / n;
        }
    }
    out
}

/// The bad-debt distribution and the figures risk teams report. Every estimate's Monte
/// Carlo standard error is in `std_error` under the same name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Paths run.
    pub paths: u64,
    /// The seed.
    pub seed: u64,
    /// Engine used.
    pub engine: EngineKind,
    /// Total debt at the start, USD.
    pub total_debt_usd: f64,
    /// Bad debt at the horizon, USD: mean, quantiles and maximum.
    pub bad_debt: Distribution,
    /// 95th percentile of bad debt (Chaos Labs' VaR), USD.
    pub var95_usd: f64,
    /// 99th percentile of bad debt (extreme VaR), USD.
    pub var99_usd: f64,
    /// Mean bad debt in the worst 1 % of paths, USD.
    pub cvar99_usd: f64,
    /// Probability that bad debt exceeds 1 % of total debt (Gauntlet's failure).
    pub prob_insolvency: f64,
    /// Probability of any bad debt.
    pub prob_any_bad_debt: f64,
    /// 95th percentile of debt liquidated per path (Gauntlet's liquidations at risk), USD.
    pub liquidations_at_risk_usd: f64,
    /// Mean debt liquidated per path, USD.
    pub liquidated_volume: f64,
    /// Mean time to the first write-off over paths that have one, seconds.
    pub time_to_first_bad_debt_s: Option<f64>,
    /// The standard errors of the estimates above.
    pub std_error: StdErrors,
    /// The paths with the most bad debt, worst first.
    pub worst_paths: Vec<WorstPath>,
}

/// Monte Carlo standard errors, named as the estimates they belong to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StdErrors {
    /// Of `bad_debt.mean`.
    pub bad_debt_mean: f64,
    /// Of `bad_debt.p50`.
    pub bad_debt_p50: f64,
    /// Of `bad_debt.p95` and `var95_usd`.
    pub var95_usd: f64,
    /// Of `bad_debt.p99` and `var99_usd`.
    pub var99_usd: f64,
    /// Of `cvar99_usd`.
    pub cvar99_usd: f64,
    /// Of `prob_insolvency`.
    pub prob_insolvency: f64,
    /// Of `prob_any_bad_debt`.
    pub prob_any_bad_debt: f64,
    /// Of `liquidations_at_risk_usd`.
    pub liquidations_at_risk_usd: f64,
    /// Of `liquidated_volume`.
    pub liquidated_volume: f64,
    /// Of `time_to_first_bad_debt_s`.
    pub time_to_first_bad_debt_s: Option<f64>,
}

/// Mean, quantiles and maximum of a per-path figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Distribution {
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

/// One of the worst paths, with what happened on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorstPath {
    /// Its index: `--seed` and this index reproduce it.
    pub path: u64,
    /// Bad debt, USD.
    pub bad_debt_usd: f64,
    /// Debt liquidated, USD.
    pub liquidated_usd: f64,
    /// First write-off, seconds.
    pub first_bad_debt_s: Option<f64>,
}

/// Summarizes a run.
pub fn summarize(world: &World, engine: EngineKind, seed: u64, out: &RunOutput, worst: usize) -> Summary {
    let bad: Vec<f64> = out.outcomes.iter().map(|o| o.bad_debt_usd).collect();
    let mut sorted = bad.clone();
    sorted.sort_by(f64::total_cmp);
    let mut liquidated: Vec<f64> = out.outcomes.iter().map(|o| o.liquidated_debt_usd).collect();
    let liquidated_mean = mean(&liquidated);
    liquidated.sort_by(f64::total_cmp);
    let firsts: Vec<f64> = out.outcomes.iter().filter_map(|o| o.first_bad_debt_s).collect();
    let mut order: Vec<usize> = (0..out.outcomes.len()).collect();
    order.sort_by(|a, b| bad[*b].total_cmp(&bad[*a]).then(a.cmp(b)));
    let threshold = 0.01 * world.total_debt_usd;
    let bad_mean = mean(&bad);
    let (p50, p95, p99) = (quantile(&sorted, 0.5), quantile(&sorted, 0.95), quantile(&sorted, 0.99));
    let cvar = tail_mean(&sorted, 0.99);
    let (insolvent, any) = (probability(&bad, |x| x > threshold), probability(&bad, |x| x > 0.0));
    let lar = quantile(&liquidated, 0.95);
    let first = (!firsts.is_empty()).then(|| mean(&firsts));
    Summary {
        paths: out.outcomes.len() as u64,
        seed,
        engine,
        total_debt_usd: world.total_debt_usd,
        bad_debt: Distribution {
            mean: bad_mean.value,
            p50: p50.value,
            p95: p95.value,
            p99: p99.value,
            max: sorted.last().copied().unwrap_or(0.0),
        },
        var95_usd: p95.value,
        var99_usd: p99.value,
        cvar99_usd: cvar.value,
        prob_insolvency: insolvent.value,
        prob_any_bad_debt: any.value,
        liquidations_at_risk_usd: lar.value,
        liquidated_volume: liquidated_mean.value,
        time_to_first_bad_debt_s: first.map(|e| e.value),
        std_error: StdErrors {
            bad_debt_mean: bad_mean.std_error,
            bad_debt_p50: p50.std_error,
            var95_usd: p95.std_error,
            var99_usd: p99.std_error,
            cvar99_usd: cvar.std_error,
            prob_insolvency: insolvent.std_error,
            prob_any_bad_debt: any.std_error,
            liquidations_at_risk_usd: lar.std_error,
            liquidated_volume: liquidated_mean.std_error,
            time_to_first_bad_debt_s: first.map(|e| e.std_error),
        },
        worst_paths: order
            .iter()
            .take(worst)
            .map(|&i| WorstPath {
                path: i as u64,
                bad_debt_usd: bad[i],
                liquidated_usd: out.outcomes[i].liquidated_debt_usd,
                first_bad_debt_s: out.outcomes[i].first_bad_debt_s,
            })
            .collect(),
    }
}

/// Re-runs one path with a recorder (the worst paths' stories, the fan chart).
pub fn replay(
    world: &World,
    engine: EngineKind,
    source: &ReturnSource<'_>,
    path: u64,
    rec: &mut impl Recorder,
) -> PathOutcome {
    let mut scratch = Scratch::default();
    let mut returns = Vec::new();
    run_path(world, engine, source, path, &mut scratch, &mut returns, rec)
}

/// Runs without recording, for callers that only want outcomes.
pub fn run_one(world: &World, engine: EngineKind, source: &ReturnSource<'_>, path: u64) -> PathOutcome {
    replay(world, engine, source, path, &mut NoRecord)
}
