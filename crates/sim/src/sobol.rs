//! Global sensitivity: Sobol first-order and total indices from Saltelli sampling, with
//! bootstrap confidence intervals.
//!
//! Two independent `n × d` samples A and B on the unit cube, and for each input `i` the
//! matrix `AB_i` (A with column `i` from B): `n (d + 2)` evaluations. Estimators
//! (Saltelli et al., "Variance based sensitivity analysis of model output", Computer
//! Physics Communications 181, 2010, Table 2): first order
//! `S_i = mean((f(B) − f₀) (f(AB_i) − f(A))) / V` (Saltelli 2010), total
//! `ST_i = mean((f(A) − f(AB_i))²) / (2V)` (Jansen 1999), with `V` the variance of f over
//! A and B together and `f₀` their mean. Subtracting `f₀` leaves the first-order
//! estimator's expectation as it is (`E f(AB_i) = E f(A)`) and removes the error that
//! grows with the size of the mean against the spread (Sobol' 2001, "Global sensitivity
//! indices for nonlinear mathematical models and their Monte Carlo estimates",
//! Mathematics and Computers in Simulation 55): bad debt in dollars has a large mean.
//! Intervals: percentile bootstrap over the `n` rows.

use std::str::FromStr;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use crate::sweep::{Metrics, Range, SpecText, SweepError, SweepOptions, evaluate, split_vary};
use bulwark_spec::overrides::Override;

/// The most inputs [`sobol_of_spec`] takes: each adds `n` evaluations, and past a dozen
/// the indices of the few that matter are better found by fixing the rest.
pub const MAX_INPUTS: usize = 12;
/// The fewest base rows: the variance and the bootstrap need a handful.
pub const MIN_ROWS: usize = 4;
/// The most base rows, so that a typo cannot ask for billions of simulations.
pub const MAX_ROWS: usize = 100_000;
/// Bootstrap resamples behind every interval.
pub const RESAMPLES: usize = 1000;
/// Evaluations simulated together: points in one batch that share a price model share
/// each path's returns; the batch bounds the memory the markets take.
const BATCH: usize = 256;

/// An index with its bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// The estimate on all rows.
    pub value: f64,
    /// 2.5 % bootstrap quantile.
    pub low: f64,
    /// 97.5 % bootstrap quantile.
    pub high: f64,
}

/// Sobol indices of every input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SobolIndices {
    /// First-order index per input.
    pub first: Vec<Estimate>,
    /// Total index per input.
    pub total: Vec<Estimate>,
    /// Base rows `n`.
    pub rows: usize,
    /// Model evaluations, `n (d + 2)`.
    pub evaluations: usize,
}

/// The Saltelli design: A, B and every `AB_i`, as points of the unit cube, in the order
/// A (n rows), B (n rows), AB_0 (n rows), ..., AB_{d−1}.
pub fn saltelli_design(d: usize, n: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let a: Vec<Vec<f64>> = (0..n).map(|_| (0..d).map(|_| rng.random::<f64>()).collect()).collect();
    let b: Vec<Vec<f64>> = (0..n).map(|_| (0..d).map(|_| rng.random::<f64>()).collect()).collect();
    let mut out = a.clone();
    out.extend(b.iter().cloned());
    for i in 0..d {
        out.extend(a.iter().zip(&b).map(|(ra, rb)| {
            let mut r = ra.clone();
            r[i] = rb[i];
            r
        }));
    }
    out
}

fn indices(y: &[f64], d: usize, n: usize, rows: &[usize]) -> (Vec<f64>, Vec<f64>) {
    let fa = |j: usize| y[j];
    let fb = |j: usize| y[n + j];
    let fab = |i: usize, j: usize| y[(2 + i) * n + j];
    let m = rows.len() as f64;
    let mean = rows.iter().map(|&j| fa(j) + fb(j)).sum::<f64>() / (2.0 * m);
    let var = rows.iter().map(|&j| (fa(j) - mean).powi(2) + (fb(j) - mean).powi(2)).sum::<f64>() / (2.0 * m - 1.0);
    let var = var.max(f64::MIN_POSITIVE);
    // `+ 0.0` turns a −0 (an input that moves nothing, against a negative deviation) into 0.
    let first = (0..d)
        .map(|i| rows.iter().map(|&j| (fb(j) - mean) * (fab(i, j) - fa(j))).sum::<f64>() / m / var + 0.0)
        .collect();
    let total =
        (0..d).map(|i| rows.iter().map(|&j| (fa(j) - fab(i, j)).powi(2)).sum::<f64>() / (2.0 * m) / var).collect();
    (first, total)
}

/// The indices from the outputs `y` of [`saltelli_design`] (same order), with
/// `resamples` bootstrap resamples drawn from `seed`. An output that does not vary gives
/// indices of 0.
pub fn sobol_indices(y: &[f64], d: usize, n: usize, resamples: usize, seed: u64) -> SobolIndices {
    let all: Vec<usize> = (0..n).collect();
    let (first, total) = indices(y, d, n, &all);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_b007);
    let mut boot_first = vec![Vec::with_capacity(resamples); d];
    let mut boot_total = vec![Vec::with_capacity(resamples); d];
    for _ in 0..resamples {
        let rows: Vec<usize> = (0..n).map(|_| rng.random_range(0..n.max(1))).collect();
        let (f, t) = indices(y, d, n, &rows);
        for i in 0..d {
            boot_first[i].push(f[i]);
            boot_total[i].push(t[i]);
        }
    }
    let interval = |value: f64, mut v: Vec<f64>| {
        if v.is_empty() {
            return Estimate { value, low: value, high: value };
        }
        v.sort_by(f64::total_cmp);
        let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
        Estimate { value, low: q(0.025), high: q(0.975) }
    };
    SobolIndices {
        first: first.iter().zip(boot_first).map(|(v, b)| interval(*v, b)).collect(),
        total: total.iter().zip(boot_total).map(|(v, b)| interval(*v, b)).collect(),
        rows: n,
        evaluations: n * (d + 2),
    }
}

/// One input of a global analysis: a spec field drawn uniformly from a range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Input {
    /// The key path.
    pub path: String,
    /// Lowest value.
    pub low: f64,
    /// Highest value.
    pub high: f64,
    /// Whether the values are durations (written as seconds).
    pub duration: bool,
    /// Whether both ends were written as whole numbers: the values drawn are rounded and
    /// written as integers (counts, caps).
    pub integer: bool,
}

impl Input {
    /// The value at `u` in [0, 1] (`low` at 0, `high` at 1) and the override writing it.
    pub fn at(&self, u: f64) -> (f64, Override) {
        let range = Range { low: self.low, high: self.high, duration: self.duration, integer: self.integer };
        let (x, text) = range.value(self.low + (self.high - self.low) * u);
        (x, Override::new(self.path.clone(), text))
    }
}

impl FromStr for Input {
    type Err = SweepError;

    /// Reads `path=lo..hi`: numbers, durations (`0s..1h`) or percentages (`5%..20%`).
    /// A `:count` after the range, as a grid sweep takes, is accepted and ignored (the
    /// values are drawn, not spaced), so a grid's `--vary` works unchanged. A list of
    /// values is refused: it has no range to draw from.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |problem: &str| SweepError::Axis { input: s.to_string(), problem: problem.to_string() };
        let (path, spec) = split_vary(
            s,
            "expected path=lo..hi, e.g. markets[0].reserves.WETH.liquidation_threshold=0.72..0.88",
            &bad,
        )?;
        let range = match spec.split_once(':') {
            Some((range, count)) => {
                count.trim().parse::<usize>().map_err(|_| bad("the count after `:` is a whole number, e.g. :9"))?;
                range
            }
            None => spec,
        };
        let r = Range::parse(
            range,
            "Sobol indices draw each input uniformly from a range: write path=lo..hi, not a list of values",
            &bad,
        )?;
        if r.low >= r.high {
            return Err(bad("the range is lo..hi with lo below hi"));
        }
        Ok(Self { path: path.to_string(), low: r.low, high: r.high, duration: r.duration, integer: r.integer })
    }
}

/// The simulated figure whose variance a global analysis apportions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SobolMetric {
    /// Mean bad debt, USD.
    BadDebtMean,
    /// 99th percentile of bad debt, USD.
    Var99,
    /// Mean of the worst 1 % of bad debt, USD.
    Cvar99,
    /// Probability that bad debt exceeds 1 % of debt.
    ProbInsolvency,
}

impl SobolMetric {
    /// The figure at one point.
    pub fn of(self, m: &Metrics) -> f64 {
        match self {
            Self::BadDebtMean => m.bad_debt_mean_usd,
            Self::Var99 => m.var99_usd,
            Self::Cvar99 => m.cvar99_usd,
            Self::ProbInsolvency => m.prob_insolvency,
        }
    }

    /// What it is, in words, for tables.
    pub fn describe(self) -> &'static str {
        match self {
            Self::BadDebtMean => "mean bad debt",
            Self::Var99 => "VaR 99 % of bad debt",
            Self::Cvar99 => "CVaR 99 % of bad debt",
            Self::ProbInsolvency => "probability of insolvency (bad debt over 1 % of debt)",
        }
    }

    /// Whether it is in USD (else a probability).
    pub fn is_usd(self) -> bool {
        !matches!(self, Self::ProbInsolvency)
    }
}

/// Why a global analysis could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SobolError {
    /// No input to vary.
    #[error("Sobol indices need at least one input (--vary PATH=LO..HI)")]
    NoInputs,
    /// More inputs than [`MAX_INPUTS`].
    #[error(
        "{count} inputs: Sobol indices take at most {max} (each adds n evaluations); fix the others with --set PATH=VALUE"
    )]
    TooManyInputs {
        /// How many were given.
        count: usize,
        /// The most allowed.
        max: usize,
    },
    /// The same field twice.
    #[error("{path} is varied twice")]
    DuplicateInput {
        /// The field.
        path: String,
    },
    /// Base rows outside [`MIN_ROWS`]..=[`MAX_ROWS`].
    #[error("{rows} base rows: between {min} and {max}")]
    Rows {
        /// How many were asked for.
        rows: usize,
        /// The fewest allowed.
        min: usize,
        /// The most allowed.
        max: usize,
    },
    /// A point could not be built or simulated.
    #[error(transparent)]
    Sweep(#[from] SweepError),
}

/// Checks a design before any simulation: between one and [`MAX_INPUTS`] distinct
/// inputs, and [`MIN_ROWS`] to [`MAX_ROWS`] base rows.
///
/// # Errors
/// The [`SobolError`] naming what is out of bounds.
pub fn check_design(inputs: &[Input], rows: usize) -> Result<(), SobolError> {
    if inputs.is_empty() {
        return Err(SobolError::NoInputs);
    }
    if inputs.len() > MAX_INPUTS {
        return Err(SobolError::TooManyInputs { count: inputs.len(), max: MAX_INPUTS });
    }
    for (k, i) in inputs.iter().enumerate() {
        if inputs[..k].iter().any(|j| j.path == i.path) {
            return Err(SobolError::DuplicateInput { path: i.path.clone() });
        }
    }
    if !(MIN_ROWS..=MAX_ROWS).contains(&rows) {
        return Err(SobolError::Rows { rows, min: MIN_ROWS, max: MAX_ROWS });
    }
    Ok(())
}

/// One input's indices.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputIndices {
    /// The input and its range.
    #[serde(flatten)]
    pub input: Input,
    /// First-order index `S_i`: the share of the metric's variance the input explains
    /// alone.
    pub first: Estimate,
    /// Total index `ST_i`: the share it explains with all its interactions; near 0, the
    /// input can be fixed anywhere in its range.
    pub total: Estimate,
}

/// A global sensitivity analysis of one market's risk.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SobolAnalysis {
    /// The market stressed.
    pub market: String,
    /// The metric apportioned.
    pub metric: SobolMetric,
    /// Base rows `n`.
    pub rows: usize,
    /// Simulations run, `n (d + 2)`.
    pub evaluations: usize,
    /// Paths per simulation.
    pub paths: u64,
    /// The seed: of the design, of every simulation (common random numbers) and of the
    /// bootstrap.
    pub seed: u64,
    /// Bootstrap resamples behind each interval.
    pub resamples: usize,
    /// The metric's mean over the A and B samples (its mean over the input ranges).
    pub output_mean: f64,
    /// Its standard deviation there: the spread the indices apportion.
    pub output_sd: f64,
    /// Each input's indices, in the order given.
    pub inputs: Vec<InputIndices>,
}

/// Sobol indices of one market's `metric` over `inputs`, each uniform on its range, with
/// `n` base rows: `n (d + 2)` simulations of `opts.paths` paths with `opts.engine`, all
/// on common random numbers (path `k` draws from `(opts.seed, k)` at every point), so
/// the metric is a fixed function of the inputs and an input that does not enter the
/// simulation gets indices of exactly 0. `progress(done, total)` counts path-runs.
///
/// # Errors
/// [`SobolError`] if the design is out of bounds ([`check_design`]), a point makes an
/// invalid spec or the simulation fails.
pub fn sobol_of_spec(
    spec: &SpecText,
    inputs: &[Input],
    n: usize,
    metric: SobolMetric,
    opts: &SweepOptions,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<SobolAnalysis, SobolError> {
    check_design(inputs, n)?;
    let d = inputs.len();
    let design = saltelli_design(d, n, opts.seed);
    let total = design.len() as u64 * opts.paths;
    let mut y = Vec::with_capacity(design.len());
    let mut market = String::new();
    for (b, batch) in design.chunks(BATCH).enumerate() {
        // Built in parallel (each reads the spec's data files), checked in order so the
        // error named is the first point's.
        let protocols = batch
            .par_iter()
            .map(|u| spec.protocol(&u.iter().zip(inputs).map(|(x, i)| i.at(*x).1).collect::<Vec<_>>()))
            .collect::<Vec<_>>()
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?;
        if market.is_empty() {
            market =
                protocols.first().and_then(|p| p.markets.get(opts.market)).map_or_else(String::new, |m| m.name.clone());
        }
        let offset = (b * BATCH) as u64 * opts.paths;
        let (summaries, _) = evaluate(&protocols, opts, &|done, _| progress(offset + done, total))?;
        y.extend(summaries.iter().map(|s| metric.of(&Metrics::of(s))));
    }
    let s = sobol_indices(&y, d, n, RESAMPLES, opts.seed);
    let ab = &y[..2 * n];
    let output_mean = ab.iter().sum::<f64>() / ab.len() as f64;
    let output_sd =
        (ab.iter().map(|v| (v - output_mean).powi(2)).sum::<f64>() / (ab.len() as f64 - 1.0).max(1.0)).sqrt();
    Ok(SobolAnalysis {
        market,
        metric,
        rows: n,
        evaluations: s.evaluations,
        paths: opts.paths,
        seed: opts.seed,
        resamples: RESAMPLES,
        output_mean,
        output_sd,
        inputs: inputs
            .iter()
            .zip(s.first.iter().zip(&s.total))
            .map(|(i, (f, t))| InputIndices { input: i.clone(), first: *f, total: *t })
            .collect(),
    })
}
