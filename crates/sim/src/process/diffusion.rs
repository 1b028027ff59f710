//! Continuous-time diffusions: geometric Brownian motion and Merton's jump diffusion.

use super::ProcessError;

/// Jump intensities above this many per day are refused: a million jumps a day is
/// no longer a jump process, and the Poisson sampler needs a bounded mean.
const MAX_JUMPS_PER_DAY: f64 = 1e6;

pub(super) fn finite(name: &'static str, value: f64) -> Result<f64, ProcessError> {
    if value.is_finite() { Ok(value) } else { Err(ProcessError::OutOfRange { name, value, expected: "finite" }) }
}

pub(super) fn non_negative(name: &'static str, value: f64) -> Result<f64, ProcessError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(ProcessError::OutOfRange { name, value, expected: "finite and at least 0" })
    }
}

pub(super) fn positive(name: &'static str, value: f64) -> Result<f64, ProcessError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(ProcessError::OutOfRange { name, value, expected: "finite and above 0" })
    }
}

/// Geometric Brownian motion: `dS = mu·S·dt + sigma·S·dW`, time in days.
///
/// # Formula
/// Over a step of `dt` days the log return is exactly Gaussian:
/// `ln(S_{t+dt}/S_t) ~ N((mu − sigma²/2)·dt, sigma²·dt)`, so `E[S_t] = S_0·e^{mu·t}`
/// (Glasserman, *Monte Carlo Methods in Financial Engineering*, 2003, §3.2.1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gbm {
    drift_per_day: f64,
    vol_per_day: f64,
}

impl Gbm {
    /// `drift_per_day` is `mu`, the expected growth rate of the price (not of its log);
    /// `vol_per_day` is `sigma`, the standard deviation of the log return over one day.
    ///
    /// # Errors
    /// [`ProcessError::OutOfRange`] for a drift that is not finite or a volatility
    /// that is negative or not finite. Zero volatility is allowed (a deterministic path).
    pub fn new(drift_per_day: f64, vol_per_day: f64) -> Result<Self, ProcessError> {
        Ok(Self {
            drift_per_day: finite("drift_per_day", drift_per_day)?,
            vol_per_day: non_negative("vol_per_day", vol_per_day)?,
        })
    }

    /// `mu`, per day.
    pub fn drift_per_day(&self) -> f64 {
        self.drift_per_day
    }

    /// `sigma`, per square-root day.
    pub fn vol_per_day(&self) -> f64 {
        self.vol_per_day
    }

    /// Mean and variance of the log return over `dt_days`: `((mu − sigma²/2)·dt, sigma²·dt)`.
    pub fn log_return_moments(&self, dt_days: f64) -> (f64, f64) {
        let var_per_day = self.vol_per_day * self.vol_per_day;
        ((self.drift_per_day - 0.5 * var_per_day) * dt_days, var_per_day * dt_days)
    }
}

/// Merton's jump diffusion: GBM plus Poisson jumps whose log sizes are Gaussian.
///
/// # Formula
/// `dS/S_- = (mu − lambda·kappa)·dt + sigma·dW + (e^Y − 1)·dN`, with `N` Poisson of
/// intensity `lambda` per day, `Y ~ N(m, s²)` and `kappa = E[e^Y − 1] = e^{m + s²/2} − 1`.
/// The compensator `lambda·kappa` keeps `E[S_t] = S_0·e^{mu·t}`. Over `dt` days:
/// `ln(S_{t+dt}/S_t) = (mu − sigma²/2 − lambda·kappa)·dt + sigma·sqrt(dt)·Z + Σ_{i≤N} Y_i`,
/// `N ~ Poisson(lambda·dt)`, whose sum is `N·m + s·sqrt(N)·Z'` given `N`.
/// Mean `(mu − sigma²/2 − lambda·kappa + lambda·m)·dt`, variance
/// `(sigma² + lambda·(m² + s²))·dt` (Merton, "Option pricing when underlying stock
/// returns are discontinuous", J. Financial Economics 3, 1976; Glasserman 2003, §3.5.1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Merton {
    diffusion: Gbm,
    jump_intensity_per_day: f64,
    jump_mean: f64,
    jump_std: f64,
}

impl Merton {
    /// `drift_per_day` (`mu`) is the expected growth rate of the price, jumps included;
    /// `vol_per_day` (`sigma`) that of the diffusion; `jump_intensity_per_day`
    /// (`lambda`) the expected jumps per day; `jump_mean` (`m`) and `jump_std` (`s`) the
    /// mean and standard deviation of the log of one jump's factor (`m = ln 0.8` is a
    /// typical 20 % fall).
    ///
    /// # Errors
    /// [`ProcessError::OutOfRange`] for non-finite values, a negative volatility, jump
    /// standard deviation or intensity, or an intensity above a million per day.
    pub fn new(
        drift_per_day: f64,
        vol_per_day: f64,
        jump_intensity_per_day: f64,
        jump_mean: f64,
        jump_std: f64,
    ) -> Result<Self, ProcessError> {
        let intensity = non_negative("jump_intensity_per_day", jump_intensity_per_day)?;
        if intensity > MAX_JUMPS_PER_DAY {
            let expected = "at most 1e6 jumps per day";
            return Err(ProcessError::OutOfRange { name: "jump_intensity_per_day", value: intensity, expected });
        }
        Ok(Self {
            diffusion: Gbm::new(drift_per_day, vol_per_day)?,
            jump_intensity_per_day: intensity,
            jump_mean: finite("jump_mean", jump_mean)?,
            jump_std: non_negative("jump_std", jump_std)?,
        })
    }

    /// The diffusive part, with the same `mu` and `sigma`.
    pub fn diffusion(&self) -> Gbm {
        self.diffusion
    }

    /// `lambda`, expected jumps per day.
    pub fn jump_intensity_per_day(&self) -> f64 {
        self.jump_intensity_per_day
    }

    /// `m`, the mean log jump.
    pub fn jump_mean(&self) -> f64 {
        self.jump_mean
    }

    /// `s`, the standard deviation of the log jump.
    pub fn jump_std(&self) -> f64 {
        self.jump_std
    }

    /// `kappa = e^{m + s²/2} − 1`, the expected relative size of one jump.
    pub fn kappa(&self) -> f64 {
        (self.jump_mean + 0.5 * self.jump_std * self.jump_std).exp_m1()
    }

    /// Drift of the log price per day, before jumps: `mu − sigma²/2 − lambda·kappa`.
    pub(super) fn log_drift_per_day(&self) -> f64 {
        let (mean, _) = self.diffusion.log_return_moments(1.0);
        mean - self.jump_intensity_per_day * self.kappa()
    }

    /// Mean and variance of the log return over `dt_days` (see the type's formula).
    pub fn log_return_moments(&self, dt_days: f64) -> (f64, f64) {
        let (m, s, lambda) = (self.jump_mean, self.jump_std, self.jump_intensity_per_day);
        let (_, diffusion_var) = self.diffusion.log_return_moments(dt_days);
        let mean = (self.log_drift_per_day() + lambda * m) * dt_days;
        (mean, diffusion_var + lambda * (m * m + s * s) * dt_days)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbm_refuses_negative_or_non_finite_volatility() {
        assert!(matches!(Gbm::new(0.0, -0.1), Err(ProcessError::OutOfRange { name: "vol_per_day", .. })));
        assert!(matches!(Gbm::new(f64::NAN, 0.1), Err(ProcessError::OutOfRange { name: "drift_per_day", .. })));
        assert!(Gbm::new(0.0, 0.0).is_ok());
    }

    #[test]
    fn merton_refuses_bad_jumps() {
        let bad = |r: Result<Merton, ProcessError>| match r {
            Err(ProcessError::OutOfRange { name, .. }) => name,
            other => panic!("{other:?}"),
        };
        assert_eq!(bad(Merton::new(0.0, 0.1, -1.0, 0.0, 0.1)), "jump_intensity_per_day");
        assert_eq!(bad(Merton::new(0.0, 0.1, 2e6, 0.0, 0.1)), "jump_intensity_per_day");
        assert_eq!(bad(Merton::new(0.0, 0.1, 1.0, f64::INFINITY, 0.1)), "jump_mean");
        assert_eq!(bad(Merton::new(0.0, 0.1, 1.0, 0.0, -0.1)), "jump_std");
    }

    #[test]
    fn merton_without_jumps_has_the_moments_of_its_diffusion() {
        let merton = Merton::new(0.01, 0.05, 0.0, -0.2, 0.1).unwrap();
        assert_eq!(merton.log_return_moments(2.0), merton.diffusion().log_return_moments(2.0));
    }

    #[test]
    fn compensated_drift_keeps_the_expected_price() {
        // E[S_t/S_0] = exp(mean + var/2) is exp(mu t) only for Gaussian log returns, so
        // check the compensator directly: drift of ln S plus sigma²/2 plus lambda·kappa is mu.
        let merton = Merton::new(0.003, 0.04, 0.5, -0.1, 0.05).unwrap();
        let mu = merton.log_drift_per_day() + 0.5 * 0.04 * 0.04 + 0.5 * merton.kappa();
        assert!((mu - 0.003).abs() < 1e-15, "{mu}");
    }
}
