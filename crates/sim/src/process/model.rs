//! One process per asset, correlated shocks, pinned overlays: the paths the engine runs.

use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson, PoissonError, StandardNormal};

use super::bootstrap::{Bootstrap, Cursor};
use super::correlation::Correlation;
use super::diffusion::{Gbm, Merton, positive};
use super::garch::Garch11;
use super::pinned::Pinned;
use super::tolerance::INTERVAL_FRACTION;
use super::{MAX_ASSETS, ProcessError};

/// The price process of one asset.
#[derive(Debug, Clone, PartialEq)]
pub struct Process(Kind);

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Gbm(Gbm),
    Merton(Merton),
    Garch { params: Garch11, interval_days: f64 },
    Bootstrap { history: Bootstrap, interval_days: f64 },
}

impl From<Gbm> for Process {
    fn from(p: Gbm) -> Self {
        Self(Kind::Gbm(p))
    }
}

impl From<Merton> for Process {
    fn from(p: Merton) -> Self {
        Self(Kind::Merton(p))
    }
}

impl Process {
    /// GARCH(1,1) whose parameters hold per interval of `interval_days` (the spacing of
    /// the returns it was fitted to: `1/24` for hourly data). Paths start at the
    /// stationary variance.
    ///
    /// # Formula
    /// Steps shorter than the interval split it: a step of `f = dt/interval` of it
    /// returns `mu·f + sqrt(h·f)·z`; once the steps add up to an interval, `h` is
    /// updated with the interval's summed shock `e`, as `omega + alpha·e²/f_sum +
    /// beta·h` (`f_sum`, the fractions summed, is 1 when the interval is a whole
    /// number of steps; otherwise the overshoot counts toward the next interval).
    /// At the interval itself this is [`Garch11`]'s recursion exactly.
    ///
    /// # Errors
    /// [`ProcessError::OutOfRange`] for an interval that is not positive and finite.
    pub fn garch(params: Garch11, interval_days: f64) -> Result<Self, ProcessError> {
        Ok(Self(Kind::Garch { params, interval_days: positive("interval_days", interval_days)? }))
    }

    /// The stationary bootstrap of returns spaced `interval_days` apart.
    ///
    /// A step of `f = dt/interval` intervals takes the next `f` of the resampled
    /// history: a share `f` of one return (linear in log within an interval) when the
    /// step is shorter, several whole returns when it is longer.
    ///
    /// # Errors
    /// [`ProcessError::OutOfRange`] for an interval that is not positive and finite.
    pub fn bootstrap(history: Bootstrap, interval_days: f64) -> Result<Self, ProcessError> {
        Ok(Self(Kind::Bootstrap { history, interval_days: positive("interval_days", interval_days)? }))
    }
}

/// What the bootstrap assets of a model share: one history length and block law.
#[derive(Debug, Clone, PartialEq)]
struct SharedBootstrap {
    assets: Vec<usize>,
    len: usize,
    new_block_probability: f64,
    interval_days: f64,
}

/// Several assets' processes, their correlation and any pinned moves.
///
/// Gaussian shocks are correlated through the (pivoted) Cholesky factor `B` of the
/// correlation: `z = B·u` with `u` independent standard normals, drawn fresh each step,
/// has covariance `B·Bᵀ` (Glasserman 2003, §2.3.3). Jump times and sizes of [`Merton`] assets are independent across
/// assets. Bootstrap assets draw no Gaussian shock: all of them replay the same
/// resampled historical indices, so they keep the co-movement of their aligned
/// histories (build them from one [`super::AlignedReturns`]); their correlation with
/// the other assets must be 0.
#[derive(Debug, Clone, PartialEq)]
pub struct PathModel {
    processes: Vec<Process>,
    correlation: Correlation,
    independent: bool,
    bootstrap: Option<SharedBootstrap>,
    pinned: Vec<Pinned>,
}

impl PathModel {
    /// Asset `i` follows `processes[i]`; row and column `i` of `correlation` are its.
    ///
    /// # Errors
    /// [`ProcessError::AssetCount`] when sizes differ, [`ProcessError::TooFew`] with no
    /// asset, [`ProcessError::TooManyAssets`] past [`MAX_ASSETS`],
    /// [`ProcessError::BootstrapMisaligned`] for bootstrap assets with different history
    /// lengths, block lengths or intervals, [`ProcessError::BootstrapCorrelated`] for a
    /// non-zero correlation between a bootstrap asset and another one.
    pub fn new(processes: Vec<Process>, correlation: Correlation) -> Result<Self, ProcessError> {
        let n = processes.len();
        if n != correlation.size() {
            return Err(ProcessError::AssetCount { processes: n, correlation: correlation.size() });
        }
        if n == 0 {
            return Err(ProcessError::TooFew { what: "assets", found: 0, needed: 1 });
        }
        if n > MAX_ASSETS {
            return Err(ProcessError::TooManyAssets { found: n, max: MAX_ASSETS });
        }
        let mut bootstrap: Option<(usize, SharedBootstrap)> = None;
        for (asset, process) in processes.iter().enumerate() {
            let Kind::Bootstrap { history, interval_days } = &process.0 else { continue };
            for other in (0..n).filter(|o| *o != asset) {
                let value = correlation.get(asset, other).unwrap_or(0.0);
                if value != 0.0 {
                    return Err(ProcessError::BootstrapCorrelated { row: asset, col: other, value });
                }
            }
            let this = SharedBootstrap {
                assets: vec![asset],
                len: history.returns().len(),
                new_block_probability: history.new_block_probability(),
                interval_days: *interval_days,
            };
            match &mut bootstrap {
                None => bootstrap = Some((asset, this)),
                Some((first, shared)) => {
                    let problem = if shared.len != this.len {
                        Some("has a history of another length")
                    } else if shared.new_block_probability != this.new_block_probability {
                        Some("has another mean block length")
                    } else if shared.interval_days != this.interval_days {
                        Some("has another interval")
                    } else {
                        None
                    };
                    if let Some(problem) = problem {
                        return Err(ProcessError::BootstrapMisaligned { first: *first, asset, problem });
                    }
                    shared.assets.push(asset);
                }
            }
        }
        let independent = correlation.is_identity();
        Ok(Self { processes, correlation, independent, bootstrap: bootstrap.map(|(_, b)| b), pinned: Vec::new() })
    }

    /// Adds a pinned move, applied after the random draws, in the order added.
    ///
    /// # Errors
    /// [`ProcessError::NoSuchAsset`] when the pin's asset is not in the model.
    pub fn with_pinned(mut self, pinned: Pinned) -> Result<Self, ProcessError> {
        if pinned.asset() >= self.processes.len() {
            return Err(ProcessError::NoSuchAsset { asset: pinned.asset(), assets: self.processes.len() });
        }
        self.pinned.push(pinned);
        Ok(self)
    }

    /// The number of assets.
    pub fn assets(&self) -> usize {
        self.processes.len()
    }

    /// The correlation of the Gaussian shocks.
    pub fn correlation(&self) -> &Correlation {
        &self.correlation
    }

    /// Writes one path of log returns: `out[k·assets + i]` is asset `i`'s
    /// `ln(S_{k+1}/S_k)` over step `k` of `dt_days`, for `out.len() / assets` steps.
    ///
    /// No allocation: per-asset state lives on the stack. Each step draws, in this order,
    /// one standard normal per asset, the bootstrap's uniforms, then each Merton asset's
    /// jump count (and one normal when it jumps); the path is a function of the
    /// generator's state alone (see [`super::path_rng`]).
    ///
    /// # Errors
    /// [`ProcessError::OutOfRange`] for a step that is not positive and finite,
    /// [`ProcessError::OutputLength`] when `out` is not whole steps,
    /// [`ProcessError::StepLongerThanInterval`] for a GARCH asset stepped past its
    /// interval. Nothing is drawn or written then.
    pub fn fill(&self, rng: &mut ChaCha8Rng, dt_days: f64, out: &mut [f64]) -> Result<(), ProcessError> {
        let dt_days = positive("dt_days", dt_days)?;
        let n = self.processes.len();
        if !out.len().is_multiple_of(n) {
            return Err(ProcessError::OutputLength { len: out.len(), assets: n });
        }
        let mut steps = [Step::Drawn; MAX_ASSETS];
        for (asset, (step, process)) in steps.iter_mut().zip(&self.processes).enumerate() {
            *step = Step::prepare(asset, process, dt_days)?;
        }
        let steps = &mut steps[..n];
        let mut cursor = self.bootstrap.as_ref().map(|b| (Cursor::start(rng, b.len, b.new_block_probability), b));
        let (factor, order) = (self.correlation.factor(), self.correlation.pivot_order());
        let mut draws = [0.0; MAX_ASSETS];
        let draws = &mut draws[..n];
        for row in out.chunks_exact_mut(n) {
            if self.independent {
                for u in row.iter_mut() {
                    *u = StandardNormal.sample(rng);
                }
            } else {
                for u in draws.iter_mut() {
                    *u = StandardNormal.sample(rng);
                }
                // z = B·u, row `order[k]` of B being zero past column k.
                for (k, &asset) in order.iter().enumerate() {
                    let b = &factor[asset * n..=asset * n + k];
                    row[asset] = b.iter().zip(&draws[..=k]).map(|(b, u)| b * u).sum();
                }
            }
            if let Some((cursor, shared)) = &mut cursor {
                for &asset in &shared.assets {
                    row[asset] = 0.0;
                }
                cursor.step(rng, dt_days / shared.interval_days, |index, weight| {
                    for &asset in &shared.assets {
                        if let Kind::Bootstrap { history, .. } = &self.processes[asset].0 {
                            row[asset] += weight * history.returns()[index];
                        }
                    }
                });
            }
            for (x, step) in row.iter_mut().zip(steps.iter_mut()) {
                *x = step.advance(*x, rng);
            }
        }
        for pin in &self.pinned {
            pin.apply(dt_days, n, out);
        }
        Ok(())
    }
}

/// One asset's per-step constants and state for one `fill`.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// The value already in the row is the return (bootstrap assets).
    Drawn,
    Gaussian {
        drift: f64,
        scale: f64,
    },
    Jump {
        drift: f64,
        scale: f64,
        jumps: Poisson<f64>,
        jump_mean: f64,
        jump_std: f64,
    },
    Garch {
        mu: f64,
        fraction: f64,
        params: Garch11,
        variance: f64,
        shock_sum: f64,
        elapsed: f64,
    },
}

impl Step {
    fn prepare(asset: usize, process: &Process, dt_days: f64) -> Result<Self, ProcessError> {
        Ok(match &process.0 {
            Kind::Gbm(p) => {
                let (drift, var) = p.log_return_moments(dt_days);
                Self::Gaussian { drift, scale: var.sqrt() }
            }
            Kind::Merton(p) => {
                let (drift, scale) = (p.log_drift_per_day() * dt_days, p.diffusion().vol_per_day() * dt_days.sqrt());
                let expected_jumps = p.jump_intensity_per_day() * dt_days;
                match Poisson::new(expected_jumps) {
                    Ok(jumps) => Self::Jump { drift, scale, jumps, jump_mean: p.jump_mean(), jump_std: p.jump_std() },
                    // Zero intensity, or a mean that underflowed to zero: no jumps.
                    Err(PoissonError::ShapeTooSmall) => Self::Gaussian { drift, scale },
                    Err(_) => {
                        let expected = "short enough that the expected jumps per step stay below 1.8e19";
                        return Err(ProcessError::OutOfRange { name: "dt_days", value: dt_days, expected });
                    }
                }
            }
            Kind::Garch { params, interval_days } => {
                let fraction = dt_days / interval_days;
                if fraction > 1.0 + INTERVAL_FRACTION {
                    return Err(ProcessError::StepLongerThanInterval { asset, dt_days, interval_days: *interval_days });
                }
                let variance = params.stationary_variance();
                Self::Garch {
                    mu: params.mu() * fraction,
                    fraction,
                    params: *params,
                    variance,
                    shock_sum: 0.0,
                    elapsed: 0.0,
                }
            }
            Kind::Bootstrap { .. } => Self::Drawn,
        })
    }

    /// The step's log return, from the correlated standard normal `z`.
    #[inline]
    fn advance(&mut self, z: f64, rng: &mut ChaCha8Rng) -> f64 {
        match self {
            Self::Drawn => z,
            Self::Gaussian { drift, scale } => *drift + *scale * z,
            Self::Jump { drift, scale, jumps, jump_mean, jump_std } => {
                let count: f64 = jumps.sample(rng);
                let mut r = *drift + *scale * z;
                if count > 0.0 {
                    let size: f64 = StandardNormal.sample(rng);
                    r += count * *jump_mean + *jump_std * count.sqrt() * size;
                }
                r
            }
            Self::Garch { mu, fraction, params, variance, shock_sum, elapsed } => {
                let shock = (*variance * *fraction).sqrt() * z;
                *shock_sum += shock;
                *elapsed += *fraction;
                if *elapsed >= 1.0 - INTERVAL_FRACTION {
                    let squared = *shock_sum * *shock_sum / *elapsed;
                    *variance = params.omega() + params.alpha() * squared + params.beta() * *variance;
                    *shock_sum = 0.0;
                    *elapsed = (*elapsed - 1.0).max(0.0);
                }
                *mu + shock
            }
        }
    }
}
