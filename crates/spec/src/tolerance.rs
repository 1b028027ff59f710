//! Named tolerances, in one place, each with why it has its size.
//!
//! Comparisons here are absolute: the quantities compared (weights, fractions) are of
//! order one, where absolute and relative error coincide.

/// Weights written by hand with a few decimals (0.333, 0.333, 0.334) must sum to one
/// within this much.
pub const WEIGHT_SUM: f64 = 1e-6;
