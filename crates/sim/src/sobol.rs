//! Global sensitivity: Sobol first-order and total indices from Saltelli sampling, with
//! bootstrap confidence intervals.
//!
//! Two independent `n × d` samples A and B on the unit cube, and for each input `i` the
//! matrix `AB_i` (A with column `i` from B): `n (d + 2)` evaluations. Estimators
//! (Saltelli et al., "Variance based sensitivity analysis of model output", Computer
//! Physics Communications 181, 2010, Table 2): first order
//! `S_i = mean(f(B) (f(AB_i) − f(A))) / V` (Saltelli 2010), total
//! `ST_i = mean((f(A) − f(AB_i))²) / (2V)` (Jansen 1999), with `V` the variance of f over
//! A and B together. Intervals: percentile bootstrap over the `n` rows.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::run::EngineKind;
use crate::sweep::{SpecText, SweepError, SweepOptions, evaluate};
use bulwark_spec::overrides::Override;

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
    let first = (0..d).map(|i| rows.iter().map(|&j| fb(j) * (fab(i, j) - fa(j))).sum::<f64>() / m / var).collect();
    let total =
        (0..d).map(|i| rows.iter().map(|&j| (fa(j) - fab(i, j)).powi(2)).sum::<f64>() / (2.0 * m) / var).collect();
    (first, total)
}

/// The indices from the outputs `y` of [`saltelli_design`] (same order), with
/// `resamples` bootstrap resamples drawn from `seed`.
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

/// One input of a global analysis: a spec field and its range.
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
}

/// Sobol indices of a market's mean bad debt and VaR 99 % over `inputs`, each uniform on
/// its range, with `n` base rows (`n (d + 2)` simulations of `opts.paths` paths, all on
/// common random numbers).
///
/// # Errors
/// [`SweepError`] if a point makes an invalid spec or the simulation fails.
pub fn sobol_of_spec(
    spec: &SpecText,
    inputs: &[Input],
    n: usize,
    opts: &SweepOptions,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<(SobolIndices, SobolIndices), SweepError> {
    let d = inputs.len();
    let design = saltelli_design(d, n, opts.seed);
    let protocols = design
        .iter()
        .map(|u| {
            let o: Vec<Override> = u
                .iter()
                .zip(inputs)
                .map(|(x, i)| {
                    let v = i.low + (i.high - i.low) * x;
                    Override::new(i.path.clone(), if i.duration { format!("\"{v}s\"") } else { format!("{v}") })
                })
                .collect();
            spec.protocol(&o)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let opts = SweepOptions { engine: EngineKind::Buckets, ..*opts };
    let (summaries, _) = evaluate(&protocols, &opts, progress)?;
    let mean: Vec<f64> = summaries.iter().map(|s| s.bad_debt.mean).collect();
    let var99: Vec<f64> = summaries.iter().map(|s| s.var99_usd).collect();
    Ok((sobol_indices(&mean, d, n, 200, opts.seed), sobol_indices(&var99, d, n, 200, opts.seed)))
}
