//! The risk parameters the guard watches over (LTV and liquidation threshold per
//! reserve), in basis points as Aave stores them, and which way a change goes.

use serde::{Deserialize, Serialize};

use crate::event::TimeMs;

/// A reserve parameter the guard may move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Parameter {
    /// Loan to value.
    Ltv,
    /// Liquidation threshold.
    LiquidationThreshold,
}

impl Parameter {
    /// Whether `to` is stricter than `from`: for LTV and liquidation threshold, lower is stricter.
    pub fn tightens(self, from_bps: u32, to_bps: u32) -> bool {
        match self {
            Parameter::Ltv | Parameter::LiquidationThreshold => to_bps < from_bps,
        }
    }

    /// The name used in events and views.
    pub fn name(self) -> &'static str {
        match self {
            Parameter::Ltv => "ltv",
            Parameter::LiquidationThreshold => "liquidation_threshold",
        }
    }
}

/// Which way a change goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Stricter: applied by the guard on its own.
    Tighten,
    /// Looser: only through an authorized command.
    Loosen,
}

/// The live parameters of one reserve of one lending market.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReserveParams {
    /// The lending market.
    pub market: String,
    /// The reserve's asset.
    pub asset: String,
    /// Loan to value, basis points.
    pub ltv_bps: u32,
    /// Liquidation threshold, basis points.
    pub liquidation_threshold_bps: u32,
    /// The values governance set (the spec's): the adaptive controller never proposes
    /// going above them.
    pub baseline_ltv_bps: u32,
    /// Baseline liquidation threshold, basis points.
    pub baseline_liquidation_threshold_bps: u32,
    /// When LTV last changed (the steward's `lastUpdated`), if ever.
    pub ltv_updated_ms: Option<TimeMs>,
    /// When the liquidation threshold last changed, if ever.
    pub liquidation_threshold_updated_ms: Option<TimeMs>,
}

impl ReserveParams {
    /// A reserve at its governance values (which are also its baseline), never updated.
    pub fn new(
        market: impl Into<String>,
        asset: impl Into<String>,
        ltv_bps: u32,
        liquidation_threshold_bps: u32,
    ) -> Self {
        Self {
            market: market.into(),
            asset: asset.into(),
            ltv_bps,
            liquidation_threshold_bps,
            baseline_ltv_bps: ltv_bps,
            baseline_liquidation_threshold_bps: liquidation_threshold_bps,
            ltv_updated_ms: None,
            liquidation_threshold_updated_ms: None,
        }
    }

    /// The current value of a parameter, in basis points.
    pub fn get(&self, parameter: Parameter) -> u32 {
        match parameter {
            Parameter::Ltv => self.ltv_bps,
            Parameter::LiquidationThreshold => self.liquidation_threshold_bps,
        }
    }

    /// When a parameter last changed.
    pub fn updated_ms(&self, parameter: Parameter) -> Option<TimeMs> {
        match parameter {
            Parameter::Ltv => self.ltv_updated_ms,
            Parameter::LiquidationThreshold => self.liquidation_threshold_updated_ms,
        }
    }

    /// Sets a parameter and its update time. Crate-private: the only callers are the
    /// tighten path and the authorized-command path of [`crate::Guard`].
    pub(crate) fn set(&mut self, parameter: Parameter, value_bps: u32, now_ms: TimeMs) {
        match parameter {
            Parameter::Ltv => {
                self.ltv_bps = value_bps;
                self.ltv_updated_ms = Some(now_ms);
            }
            Parameter::LiquidationThreshold => {
                self.liquidation_threshold_bps = value_bps;
                self.liquidation_threshold_updated_ms = Some(now_ms);
            }
        }
    }
}

/// Converts a fraction (0.805) to basis points (8050), rounding to nearest.
pub fn fraction_to_bps(fraction: f64) -> u32 {
    let bps = (fraction * 10_000.0).round();
    if bps.is_finite() && bps > 0.0 { bps.min(u32::MAX as f64) as u32 } else { 0 }
}
