//! Online volatility: an exponentially weighted moving average of squared returns,
//! and a GARCH(1,1) forecast.

use serde::{Deserialize, Serialize};

/// RiskMetrics' EWMA variance.
///
/// # Formula
/// `v' = λ·v + (1 − λ)·r²` per sample (J.P. Morgan/Reuters, RiskMetrics Technical
/// Document, 1996, §5.2.1; λ = 0.94 for daily data there).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Ewma {
    /// The decay λ, in (0, 1).
    pub lambda: f64,
    /// The variance per sample.
    pub variance: f64,
}

impl Ewma {
    /// Updates with one return.
    pub fn update(&mut self, r: f64) {
        self.variance = self.lambda * self.variance + (1.0 - self.lambda) * r * r;
    }
}

/// GARCH(1,1) with variance targeting.
///
/// # Formula
/// `h' = ω + α·r² + β·h` with `ω = (1 − α − β)·h̄` (Bollerslev 1986; variance
/// targeting: Engle and Mezrich 1996). The forecast of the variance summed over the
/// next `n` samples, with `φ = α + β`, is
/// `n·h̄ + (h' − h̄)·(1 − φⁿ)/(1 − φ)` (Hull, *Options, Futures and Other
/// Derivatives*, the term structure of GARCH(1,1) volatility).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Garch {
    /// α, the weight of the last squared return.
    pub alpha: f64,
    /// β, the weight of the last variance.
    pub beta: f64,
    /// h̄, the long-run variance per sample.
    pub long_run: f64,
    /// h, the variance forecast for the next sample.
    pub variance: f64,
}

impl Garch {
    /// Updates with one return.
    pub fn update(&mut self, r: f64) {
        let omega = (1.0 - self.alpha - self.beta) * self.long_run;
        self.variance = omega + self.alpha * r * r + self.beta * self.variance;
    }

    /// The variance summed over the next `n` samples.
    pub fn forecast_sum(&self, n: f64) -> f64 {
        let phi = self.alpha + self.beta;
        let excess = self.variance - self.long_run;
        let decay = if (1.0 - phi).abs() < f64::EPSILON { n } else { (1.0 - phi.powf(n)) / (1.0 - phi) };
        (n * self.long_run + excess * decay).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garch_forecast_matches_the_sum_of_step_forecasts() {
        let g = Garch { alpha: 0.1, beta: 0.85, long_run: 1e-4, variance: 4e-4 };
        // E[h_{t+k}] = h̄ + φ^(k−1)·(h_{t+1} − h̄), summed for k = 1..=n.
        let n = 24;
        let by_steps: f64 = (0..n).map(|k| 1e-4 + 0.95f64.powi(k) * 3e-4).sum();
        assert!((g.forecast_sum(f64::from(n)) - by_steps).abs() < 1e-15);
        let mut e = Ewma { lambda: 0.94, variance: 1e-4 };
        e.update(0.02);
        assert!((e.variance - (0.94e-4 + 0.06 * 4e-4)).abs() < 1e-18);
    }
}
