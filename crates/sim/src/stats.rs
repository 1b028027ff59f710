//! Estimates from per-path outcomes, each with its Monte Carlo standard error.

use serde::Serialize;

/// A figure and its Monte Carlo standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// The estimate.
    pub value: f64,
    /// Its standard error.
    pub std_error: f64,
}

/// z for a two-sided 95 % interval, used to read a quantile's spread off order statistics.
const Z95: f64 = 1.959_963_984_540_054;

/// The mean and its standard error s/√n.
pub fn mean(xs: &[f64]) -> Estimate {
    let n = xs.len() as f64;
    if xs.is_empty() {
        return Estimate { value: 0.0, std_error: 0.0 };
    }
    let m = xs.iter().sum::<f64>() / n;
    let var = if xs.len() > 1 { xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0) } else { 0.0 };
    Estimate { value: m, std_error: (var / n).sqrt() }
}

/// The share of `xs` for which `hit` holds, with the binomial standard error √(p(1−p)/n).
pub fn probability(xs: &[f64], hit: impl Fn(f64) -> bool) -> Estimate {
    let n = xs.len().max(1) as f64;
    let p = xs.iter().filter(|x| hit(**x)).count() as f64 / n;
    Estimate { value: p, std_error: (p * (1.0 - p) / n).sqrt() }
}

/// The q-quantile of sorted values, with a standard error read from the order statistics
/// that bound its 95 % binomial interval: (x₍ₖ₊₎ − x₍ₖ₋₎) / (2 · 1.96), k± = nq ± 1.96√(nq(1−q)).
pub fn quantile(sorted: &[f64], q: f64) -> Estimate {
    if sorted.is_empty() {
        return Estimate { value: 0.0, std_error: 0.0 };
    }
    let n = sorted.len() as f64;
    let at = |k: f64| sorted[(k.ceil() as usize).clamp(1, sorted.len()) - 1];
    let half = Z95 * (n * q * (1.0 - q)).sqrt();
    Estimate { value: at(n * q), std_error: (at(n * q + half) - at(n * q - half)) / (2.0 * Z95) }
}

/// The mean of the worst (1 − q) share of sorted values (expected shortfall), with the
/// standard error of that tail mean.
pub fn tail_mean(sorted: &[f64], q: f64) -> Estimate {
    let start = ((sorted.len() as f64) * q).floor() as usize;
    mean(&sorted[start.min(sorted.len())..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_on_a_known_sample() {
        let xs: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(mean(&xs).value, 50.5);
        // sd of 1..100 is 29.011...; se = sd/10.
        assert!((mean(&xs).std_error - 2.901_149_4).abs() < 1e-6);
        assert_eq!(quantile(&xs, 0.95).value, 95.0);
        assert_eq!(tail_mean(&xs, 0.99).value, 100.0);
        assert_eq!(probability(&xs, |x| x > 90.0).value, 0.1);
    }
}
