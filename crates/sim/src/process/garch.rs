//! GARCH(1,1) and its Gaussian quasi-maximum-likelihood fit, matching the `arch` package.

use super::ProcessError;
use super::diffusion::{finite, non_negative, positive};
use super::optimize::{Stop, nelder_mead};

/// Fewer returns than this cannot separate `alpha` from `beta`.
const MIN_FIT_RETURNS: usize = 20;
/// arch's backcast: the first `min(75, n)` squared residuals...
const BACKCAST_OBSERVATIONS: usize = 75;
/// ... weighted by `0.94^k`, the RiskMetrics decay.
const BACKCAST_DECAY: f64 = 0.94;
const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// GARCH(1,1) with a constant mean, per observation interval, in the units of the
/// returns it describes.
///
/// # Formula
/// `r_t = mu + e_t`, `e_t = sqrt(h_t)·z_t`, `z_t ~ N(0, 1)`,
/// `h_t = omega + alpha·e_{t−1}² + beta·h_{t−1}`; with `alpha + beta < 1` the
/// stationary variance is `omega / (1 − alpha − beta)` (Bollerslev, "Generalized
/// autoregressive conditional heteroskedasticity", J. Econometrics 31, 1986).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Garch11 {
    mu: f64,
    omega: f64,
    alpha: f64,
    beta: f64,
}

impl Garch11 {
    /// A stationary GARCH(1,1).
    ///
    /// # Errors
    /// [`ProcessError::OutOfRange`] unless `mu` is finite, `omega > 0`, `alpha >= 0` and
    /// `beta >= 0`; [`ProcessError::NotStationary`] when `alpha + beta >= 1`.
    pub fn new(mu: f64, omega: f64, alpha: f64, beta: f64) -> Result<Self, ProcessError> {
        let (mu, omega) = (finite("mu", mu)?, positive("omega", omega)?);
        let (alpha, beta) = (non_negative("alpha", alpha)?, non_negative("beta", beta)?);
        if alpha + beta >= 1.0 {
            return Err(ProcessError::NotStationary { alpha, beta });
        }
        Ok(Self { mu, omega, alpha, beta })
    }

    /// The mean return per interval.
    pub fn mu(&self) -> f64 {
        self.mu
    }

    /// The constant of the variance recursion.
    pub fn omega(&self) -> f64 {
        self.omega
    }

    /// The weight of the last squared shock.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// The weight of the last variance.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// `alpha + beta`, below one.
    pub fn persistence(&self) -> f64 {
        self.alpha + self.beta
    }

    /// `omega / (1 − alpha − beta)`, the unconditional variance per interval.
    pub fn stationary_variance(&self) -> f64 {
        self.omega / (1.0 - self.persistence())
    }

    /// The same model for returns multiplied by `factor` (`0.01` turns a model of
    /// percent returns into one of fractions): `mu·factor`, `omega·factor²`.
    ///
    /// # Errors
    /// [`ProcessError::OutOfRange`] for a factor that is not positive and finite, or
    /// that makes `omega` underflow or overflow.
    pub fn rescaled(&self, factor: f64) -> Result<Self, ProcessError> {
        let factor = positive("factor", factor)?;
        Self::new(self.mu * factor, self.omega * factor * factor, self.alpha, self.beta)
    }
}

/// A fitted GARCH(1,1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GarchFit {
    /// The maximum-likelihood parameters.
    pub params: Garch11,
    /// The Gaussian log-likelihood at `params`, constants included (as arch reports it).
    pub log_likelihood: f64,
    /// Nelder–Mead iterations, over all restarts.
    pub iterations: usize,
    /// The variance that started the recursion ([`arch_backcast`]).
    pub backcast: f64,
    /// Whether the last Nelder–Mead run met its stopping rule (rather than its
    /// iteration limit).
    pub converged: bool,
}

/// arch's default backcast, the value of `e_{−1}²` and `h_{−1}` that start the recursion.
///
/// # Formula
/// `sum_{k < tau} w_k·e_k² / sum_{k < tau} w_k` with `w_k = 0.94^k` and
/// `tau = min(75, n)`: an exponentially weighted variance of the first residuals
/// (arch 8.0.0, `arch/univariate/volatility.py`, `VolatilityProcess.backcast`).
/// Residuals are taken around the sample mean, as arch's `fit` does (it computes them
/// once, at the mean model's starting values, and keeps the backcast fixed).
pub fn arch_backcast(residuals: &[f64]) -> f64 {
    ewma_backcast(residuals.iter().copied())
}

fn ewma_backcast(residuals: impl Iterator<Item = f64>) -> f64 {
    let (mut weight, mut sum, mut total) = (1.0, 0.0, 0.0);
    for e in residuals.take(BACKCAST_OBSERVATIONS) {
        sum += weight * e * e;
        total += weight;
        weight *= BACKCAST_DECAY;
    }
    if total > 0.0 { sum / total } else { 0.0 }
}

/// The Gaussian log-likelihood of `returns` under `params`, started at arch's
/// backcast of the residuals around the sample mean.
///
/// # Formula
/// `sum_t −(ln 2π + ln h_t + e_t²/h_t)/2`, `e_t = r_t − mu`,
/// `h_0 = omega + (alpha + beta)·backcast`.
/// Unlike arch, conditional variances are not clipped to arch's loose bounds
/// (`ewma/1e6` to `ewma·1e6`, `arch.univariate.volatility.variance_bounds`): they bind
/// only far from any optimum, and do not at the reference fits.
///
/// # Errors
/// [`ProcessError::TooFew`] without two returns, [`ProcessError::NotFinite`] for a
/// return that is not finite.
pub fn garch_log_likelihood(returns: &[f64], params: &Garch11) -> Result<f64, ProcessError> {
    let data = Sample::new(returns, 2)?;
    Ok(data.log_likelihood(params.mu, params.omega, params.alpha, params.beta))
}

/// Fits GARCH(1,1) to `returns` (one per interval, oldest first) by Gaussian
/// quasi-maximum likelihood, as `arch_model(r, mean='Constant', vol='GARCH', p=1, q=1,
/// dist='normal').fit()` does.
///
/// Same as arch: the likelihood and backcast of [`garch_log_likelihood`], the mean
/// estimated jointly, starting values from arch's grid (`alpha` in {0.01, 0.05, 0.1,
/// 0.2}, `alpha + beta` in {0.5, 0.7, 0.9, 0.98}, `omega` targeting the sample
/// variance), the best grid point chosen by likelihood.
/// Different: arch runs SLSQP with `alpha, beta >= 0`, `alpha + beta <= 1` as
/// constraints; this runs Nelder–Mead (restarted until it stops improving) on an
/// unconstrained reparameterization that enforces them strictly:
/// `mu = mean + sd·x0`, `omega = var·e^{x1}`, `alpha + beta = logistic(x2)`,
/// `alpha / (alpha + beta) = logistic(x3)`. A boundary optimum (`alpha = 0` or
/// `alpha + beta = 1`) is approached, not reached.
///
/// Any units: the parameters come back in those of `returns` (fit percent returns and
/// [`Garch11::rescaled`] by 0.01 to simulate fractions, or fit fractions directly:
/// the reparameterization is scale free).
///
/// # Errors
/// [`ProcessError::TooFew`] with fewer than 20 returns, [`ProcessError::NotFinite`],
/// [`ProcessError::Constant`] when the returns never vary.
pub fn fit_garch(returns: &[f64]) -> Result<GarchFit, ProcessError> {
    let data = Sample::new(returns, MIN_FIT_RETURNS)?;
    let (mean, var) = (data.mean, data.variance);
    if var <= 0.0 || returns.iter().all(|r| *r == returns[0]) {
        return Err(ProcessError::Constant { what: "returns".into() });
    }
    let sd = var.sqrt();
    let unpack = |x: &[f64; 4]| {
        let persistence = logistic(x[2]);
        let share = logistic(x[3]);
        (mean + sd * x[0], var * x[1].exp(), persistence * share, persistence * (1.0 - share))
    };
    let n = returns.len() as f64;
    let objective = |x: &[f64; 4]| {
        let (mu, omega, alpha, beta) = unpack(x);
        -data.log_likelihood(mu, omega, alpha, beta) / n
    };

    let mut start = [0.0; 4];
    let mut best = f64::INFINITY;
    for alpha in [0.01, 0.05, 0.1, 0.2] {
        for persistence in [0.5, 0.7, 0.9, 0.98_f64] {
            let omega = (1.0 - persistence) * var;
            let x = [0.0, (omega / var).ln(), logit(persistence), logit(alpha / persistence)];
            let f = objective(&x);
            if f < best {
                (start, best) = (x, f);
            }
        }
    }
    // Per-observation log-likelihood to 1e-13 is the whole likelihood to ~2e-9 at n = 20,000.
    let stop = Stop { f_spread: 1e-13, x_spread: 1e-7, max_iterations: 20_000 };
    let step = [0.1, 0.5, 0.5, 0.5];
    let mut iterations = 0;
    let mut x = start;
    let mut converged = false;
    for _ in 0..10 {
        let min = nelder_mead(objective, x, step, stop);
        iterations += min.iterations;
        converged = min.converged;
        let improved = best - min.f;
        (x, best) = (min.x, min.f.min(best));
        if improved <= 1e-13 {
            break;
        }
    }
    let (mu, omega, alpha, beta) = unpack(&x);
    let params = Garch11::new(mu, omega, alpha, beta)?;
    let log_likelihood = data.log_likelihood(mu, omega, alpha, beta);
    Ok(GarchFit { params, log_likelihood, iterations, backcast: data.backcast, converged })
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// Returns checked once, with the statistics every likelihood evaluation reuses.
struct Sample<'a> {
    returns: &'a [f64],
    mean: f64,
    variance: f64,
    backcast: f64,
}

impl<'a> Sample<'a> {
    fn new(returns: &'a [f64], needed: usize) -> Result<Self, ProcessError> {
        if returns.len() < needed {
            return Err(ProcessError::TooFew { what: "GARCH returns", found: returns.len(), needed });
        }
        if let Some((index, &value)) = returns.iter().enumerate().find(|(_, r)| !r.is_finite()) {
            return Err(ProcessError::NotFinite { what: "returns", index, value });
        }
        let n = returns.len() as f64;
        let mean = returns.iter().sum::<f64>() / n;
        let variance = returns.iter().map(|r| (r - mean) * (r - mean)).sum::<f64>() / n;
        let backcast = ewma_backcast(returns.iter().map(|r| r - mean));
        Ok(Self { returns, mean, variance, backcast })
    }

    /// See [`garch_log_likelihood`]; `-inf` where a variance is not positive.
    fn log_likelihood(&self, mu: f64, omega: f64, alpha: f64, beta: f64) -> f64 {
        let (mut e2_prev, mut h_prev) = (self.backcast, self.backcast);
        let mut sum = 0.0;
        for r in self.returns {
            let h = omega + alpha * e2_prev + beta * h_prev;
            if h.is_nan() || h <= 0.0 {
                return f64::NEG_INFINITY;
            }
            let e = r - mu;
            sum += h.ln() + e * e / h;
            (e2_prev, h_prev) = (e * e, h);
        }
        -0.5 * (sum + LN_2PI * self.returns.len() as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_outside_the_domain_are_refused() {
        assert!(matches!(Garch11::new(0.0, 0.0, 0.1, 0.8), Err(ProcessError::OutOfRange { name: "omega", .. })));
        assert!(matches!(Garch11::new(0.0, 1.0, -0.1, 0.8), Err(ProcessError::OutOfRange { name: "alpha", .. })));
        assert_eq!(Garch11::new(0.0, 1.0, 0.3, 0.7), Err(ProcessError::NotStationary { alpha: 0.3, beta: 0.7 }));
        let g = Garch11::new(0.1, 0.2, 0.1, 0.8).unwrap();
        assert!((g.stationary_variance() - 2.0).abs() < 1e-12);
    }

    #[test]
    fn backcast_weights_decay_like_riskmetrics() {
        // Two residuals: (1·1 + 0.94·4) / (1 + 0.94).
        assert!((arch_backcast(&[1.0, -2.0]) - 4.76 / 1.94).abs() < 1e-15);
        // Only the first 75 count.
        let mut long = vec![1.0; 75];
        long.push(100.0);
        assert!((arch_backcast(&long) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn log_likelihood_of_white_noise_at_its_own_variance() {
        // alpha = 0 makes h_t = omega: the i.i.d. Gaussian log-likelihood.
        let r = [0.5, -1.0, 1.5, -0.5, 0.0];
        let params = Garch11::new(0.1, 2.0, 0.0, 0.0).unwrap();
        let expected: f64 = r.iter().map(|x| -0.5 * (LN_2PI + 2.0_f64.ln() + (x - 0.1) * (x - 0.1) / 2.0)).sum();
        assert!((garch_log_likelihood(&r, &params).unwrap() - expected).abs() < 1e-12);
    }

    #[test]
    fn fit_refuses_short_constant_or_broken_series() {
        assert!(matches!(fit_garch(&[0.1; 5]), Err(ProcessError::TooFew { found: 5, needed: 20, .. })));
        assert!(matches!(fit_garch(&[0.1; 30]), Err(ProcessError::Constant { .. })));
        let mut r = vec![0.1; 30];
        r[7] = f64::NAN;
        assert!(matches!(fit_garch(&r), Err(ProcessError::NotFinite { index: 7, .. })));
    }
}
