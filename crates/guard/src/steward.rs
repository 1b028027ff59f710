//! Aave's risk-steward bounds on a parameter update (REFERENCES.md §7.4,
//! `aave-dao/aave-v3-risk-stewards`, `src/contracts/RiskSteward.sol`).
//!
//! ```text
//! if now - lastUpdated < minDelay: revert DebounceNotRespected     # '>= minDelay' passes
//! diff = |from - to|
//! maxDiff = isChangeRelative ? maxPercentChange * from / 10_000 : maxPercentChange
//! if diff > maxDiff: revert UpdateNotInRange
//! ```
//! LTV and liquidation threshold are absolute (basis points); caps are relative. A
//! no-op update and a relative change from zero are rejected, as on chain.

use serde::{Deserialize, Serialize};

use crate::event::TimeMs;

/// A steward's bound on one parameter (`RiskParamConfig`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StewardBound {
    /// Minimum time between two updates, milliseconds (`minDelay`).
    pub min_delay_ms: u64,
    /// Largest change per update (`maxPercentChange`): basis points of the value when
    /// `relative`, absolute basis points otherwise.
    pub max_change_bps: u32,
    /// Whether the change is relative to the current value (caps) or absolute (LTV, LT).
    pub relative: bool,
}

/// Why a steward would reject an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum StewardRejection {
    /// `DebounceNotRespected`: less than `min_delay` since the last update.
    #[error("only {elapsed_ms} ms since the last update, {min_delay_ms} ms required")]
    Debounce {
        /// Time since the last update.
        elapsed_ms: u64,
        /// The minimum delay.
        min_delay_ms: u64,
    },
    /// `UpdateNotInRange`: the change exceeds the bound.
    #[error("a change of {diff} exceeds the bound of {max_diff}")]
    NotInRange {
        /// `|from - to|`.
        diff: u64,
        /// The largest allowed.
        max_diff: u64,
    },
    /// A no-op, or a value of zero (`InvalidUpdateToZero`), or a relative change from zero.
    #[error("an update from {from} to {to} is not allowed")]
    Invalid {
        /// Current value.
        from: u64,
        /// Proposed value.
        to: u64,
    },
}

impl StewardBound {
    /// Checks an update from `from` to `to` at `now_ms`, last updated at `last_ms`.
    ///
    /// # Errors
    /// The [`StewardRejection`] the on-chain steward would revert with.
    pub fn check(&self, from: u64, to: u64, last_ms: Option<TimeMs>, now_ms: TimeMs) -> Result<(), StewardRejection> {
        if from == to || to == 0 || (self.relative && from == 0) {
            return Err(StewardRejection::Invalid { from, to });
        }
        if let Some(last) = last_ms {
            let elapsed_ms = now_ms.saturating_sub(last);
            if elapsed_ms < self.min_delay_ms {
                return Err(StewardRejection::Debounce { elapsed_ms, min_delay_ms: self.min_delay_ms });
            }
        }
        let diff = from.abs_diff(to);
        let max_diff = self.max_diff(from);
        if diff > max_diff {
            return Err(StewardRejection::NotInRange { diff, max_diff });
        }
        Ok(())
    }

    /// The largest change allowed from `from`, floor-divided for relative bounds as in Solidity.
    pub fn max_diff(&self, from: u64) -> u64 {
        if self.relative {
            (u128::from(self.max_change_bps) * u128::from(from) / 10_000) as u64
        } else {
            u64::from(self.max_change_bps)
        }
    }

    /// Whether the debounce allows an update at `now_ms`.
    pub fn ready(&self, last_ms: Option<TimeMs>, now_ms: TimeMs) -> bool {
        last_ms.is_none_or(|last| now_ms.saturating_sub(last) >= self.min_delay_ms)
    }

    /// The value closest to `target` reachable in one update from `from`.
    pub fn step_toward(&self, from: u64, target: u64) -> u64 {
        let max = self.max_diff(from);
        if target >= from { from.saturating_add(max).min(target) } else { from.saturating_sub(max).max(target) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Boundaries derived from the rule above: `>= minDelay` passes, `diff == maxDiff` passes.
    #[test]
    fn absolute_bound_boundaries() {
        let b = StewardBound { min_delay_ms: 3 * 86_400_000, max_change_bps: 50, relative: false };
        let day3 = 3 * 86_400_000;
        assert!(b.check(8050, 8000, Some(0), day3).is_ok());
        assert_eq!(
            b.check(8050, 8000, Some(1), day3),
            Err(StewardRejection::Debounce { elapsed_ms: day3 - 1, min_delay_ms: day3 })
        );
        assert_eq!(b.check(8050, 7999, Some(0), day3), Err(StewardRejection::NotInRange { diff: 51, max_diff: 50 }));
        assert!(b.check(8050, 8100, None, 0).is_ok());
        assert!(matches!(b.check(8050, 8050, None, 0), Err(StewardRejection::Invalid { .. })));
        assert!(matches!(b.check(8050, 0, None, 0), Err(StewardRejection::Invalid { .. })));
    }

    #[test]
    fn relative_bound_floors_and_refuses_zero() {
        let b = StewardBound { min_delay_ms: 0, max_change_bps: 1000, relative: true };
        assert_eq!(b.max_diff(1005), 100); // 1000 * 1005 / 10000 = 100.5, floored
        assert!(b.check(1005, 1105, None, 0).is_ok());
        assert!(b.check(1005, 1106, None, 0).is_err());
        assert!(matches!(b.check(0, 5, None, 0), Err(StewardRejection::Invalid { .. })));
        assert_eq!(b.step_toward(1005, 2000), 1105);
        assert_eq!(b.step_toward(1005, 1000), 1000);
    }
}
