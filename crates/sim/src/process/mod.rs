//! Price processes: what the log price of each asset does from one step to the next.
//!
//! - [`Gbm`]: geometric Brownian motion.
//! - [`Merton`]: Merton's jump diffusion, log-normal jumps, drift compensated.
//! - [`Garch11`]: GARCH(1,1) with Gaussian innovations, fitted to history by
//!   [`fit_garch`] (Gaussian quasi-likelihood, matched against the `arch` package).
//! - [`Bootstrap`]: the Politis–Romano stationary bootstrap of historical returns.
//! - [`Correlation`]: a validated correlation matrix and its Cholesky factor, given or
//!   estimated from aligned price histories ([`align_returns`]).
//! - [`Pinned`]: deterministic overlays: a shock (a fall, a depeg) or the replay of a
//!   historical day.
//! - [`PathModel`]: one process per asset plus the correlation; [`PathModel::fill`]
//!   writes a path of log returns, step-major, without allocating.
//!
//! Every path draws from its own stream, [`path_rng`]`(seed, path)`, so a path is the
//! same whichever thread draws it and in whichever order.

mod bootstrap;
mod correlation;
mod diffusion;
mod garch;
mod model;
mod optimize;
mod pinned;

pub use bootstrap::Bootstrap;
pub use correlation::{AlignedReturns, Correlation, align_returns};
pub use diffusion::{Gbm, Merton};
pub use garch::{Garch11, GarchFit, arch_backcast, fit_garch, garch_log_likelihood};
pub use model::{PathModel, Process};
pub use pinned::Pinned;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The most assets a [`PathModel`] holds: its per-step state lives on the stack.
pub const MAX_ASSETS: usize = 32;

/// The random stream of one Monte Carlo path.
///
/// ChaCha8 keyed by `seed` (expanded to 256 bits by [`SeedableRng::seed_from_u64`]),
/// on stream (nonce) `path`: 2^64 streams per seed, each of 2^68 words, that never
/// overlap. A path's numbers depend on `(seed, path)` only, not on which thread draws
/// it, how many threads there are, or which paths were drawn before.
pub fn path_rng(seed: u64, path: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(path);
    rng
}

/// Tolerances of this module, each with why it has its size.
///
/// All are absolute: they compare correlations and fractions of one interval, of order one.
pub mod tolerance {
    /// A correlation matrix may differ from its transpose, and its diagonal from one, by
    /// this much: entries typed with a few decimals are exact, estimated ones are
    /// symmetric by construction, so only rounding is forgiven.
    pub const CORRELATION_ENTRY: f64 = 1e-9;
    /// When the largest Cholesky pivot left (diagonal of the Schur complement) is at or
    /// below this, the rest is the matrix's null space and each of its entries must be
    /// within this of zero. Pivoted Cholesky is backward stable for semi-definite
    /// matrices (Higham 1990): rounding leaves about `n·eps` = 7e-15 at 32 assets, so
    /// the margin is wide; LAPACK's `dpstrf` stops at that `n·eps` itself.
    pub const PIVOT: f64 = 1e-10;
    /// A step of a history-based process that lies within this fraction of an interval
    /// of the interval's end completes it (sixty one-minute steps make one hour).
    pub const INTERVAL_FRACTION: f64 = 1e-9;
}

/// Why a process, a correlation, a fit or a path could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ProcessError {
    /// A scalar parameter outside its domain.
    #[error("{name} = {value} is not {expected}")]
    OutOfRange {
        /// The parameter.
        name: &'static str,
        /// The value given.
        value: f64,
        /// What would be valid.
        expected: &'static str,
    },
    /// GARCH(1,1) with `alpha + beta >= 1` has no stationary variance.
    #[error("GARCH alpha + beta = {alpha} + {beta} is not below 1 (no stationary variance)")]
    NotStationary {
        /// The ARCH coefficient.
        alpha: f64,
        /// The GARCH coefficient.
        beta: f64,
    },
    /// Fewer data than the estimate or process needs.
    #[error("{what}: {found} values where at least {needed} are needed")]
    TooFew {
        /// What was short.
        what: &'static str,
        /// How many were given.
        found: usize,
        /// How many are needed.
        needed: usize,
    },
    /// A value in a data series is not a finite number.
    #[error("{what}[{index}] = {value} is not finite")]
    NotFinite {
        /// The series.
        what: &'static str,
        /// Its 0-based index.
        index: usize,
        /// The value.
        value: f64,
    },
    /// A series that never moves: its variance is zero.
    #[error("{what} has zero variance")]
    Constant {
        /// The series (`returns`, `asset 2`, ...).
        what: String,
    },
    /// A correlation matrix whose row has the wrong length.
    #[error("correlation row {row} has {len} entries in a {size} × {size} matrix")]
    NotSquare {
        /// The 0-based row.
        row: usize,
        /// Its length.
        len: usize,
        /// The number of rows.
        size: usize,
    },
    /// A correlation entry outside [-1, 1] or not finite.
    #[error("correlation[{row}][{col}] = {value} is not in [-1, 1]")]
    EntryOutOfRange {
        /// The 0-based row.
        row: usize,
        /// The 0-based column.
        col: usize,
        /// The entry.
        value: f64,
    },
    /// `m[row][col] != m[col][row]`.
    #[error("correlation[{row}][{col}] = {upper} but correlation[{col}][{row}] = {lower}")]
    NotSymmetric {
        /// The 0-based row, below the column.
        row: usize,
        /// The 0-based column.
        col: usize,
        /// `m[row][col]`.
        upper: f64,
        /// `m[col][row]`.
        lower: f64,
    },
    /// A diagonal entry that is not one.
    #[error("correlation[{index}][{index}] = {value} is not 1")]
    DiagonalNotOne {
        /// The 0-based index.
        index: usize,
        /// The entry.
        value: f64,
    },
    /// The pivoted Cholesky factorization found the matrix not positive semi-definite:
    /// once every positive pivot was eliminated, this entry of what remained (the Schur
    /// complement) was not zero: negative on the diagonal, or off it beside zero pivots.
    #[error(
        "correlation is not positive semi-definite: entry [{row}][{col}] leaves {residual} \
         after eliminating every positive pivot"
    )]
    NotPositiveSemiDefinite {
        /// The 0-based row.
        row: usize,
        /// The 0-based column.
        col: usize,
        /// What remained there.
        residual: f64,
    },
    /// Processes and correlation disagree on the number of assets.
    #[error("{processes} processes but a {correlation} × {correlation} correlation")]
    AssetCount {
        /// Processes given.
        processes: usize,
        /// Size of the correlation.
        correlation: usize,
    },
    /// More assets than [`MAX_ASSETS`].
    #[error("{found} assets; at most {max} are supported")]
    TooManyAssets {
        /// Assets given.
        found: usize,
        /// [`MAX_ASSETS`].
        max: usize,
    },
    /// Bootstrap assets that do not share one aligned history.
    #[error("bootstrap of asset {asset} {problem}, unlike asset {first}")]
    BootstrapMisaligned {
        /// The first bootstrap asset.
        first: usize,
        /// The asset that differs from it.
        asset: usize,
        /// How it differs.
        problem: &'static str,
    },
    /// A non-zero correlation between a bootstrap asset and another asset: bootstrap
    /// assets draw no Gaussian shocks, they take their co-movement from history.
    #[error("correlation[{row}][{col}] = {value} involves a bootstrap asset and must be 0")]
    BootstrapCorrelated {
        /// The 0-based row.
        row: usize,
        /// The 0-based column.
        col: usize,
        /// The entry.
        value: f64,
    },
    /// A step longer than the interval a GARCH model was fitted at.
    #[error("asset {asset}: step of {dt_days} days is longer than the GARCH interval of {interval_days} days")]
    StepLongerThanInterval {
        /// The asset.
        asset: usize,
        /// The step asked for.
        dt_days: f64,
        /// The model's interval.
        interval_days: f64,
    },
    /// An output buffer that is not whole steps of every asset.
    #[error("output of {len} values is not a whole number of steps of {assets} assets")]
    OutputLength {
        /// The buffer's length.
        len: usize,
        /// Assets per step.
        assets: usize,
    },
    /// An asset index past the model's assets.
    #[error("asset {asset} does not exist: the model has {assets}")]
    NoSuchAsset {
        /// The index given.
        asset: usize,
        /// Assets in the model.
        assets: usize,
    },
    /// Historical bars that cannot be replayed.
    #[error("bar {index}: {problem}")]
    BadBar {
        /// The 0-based bar.
        index: usize,
        /// What is wrong.
        problem: &'static str,
    },
}
