//! Circuit breakers: a state (armed, tripped, cooling down), the reason it last
//! tripped, and the action it takes while not armed.
//!
//! A breaker trips on its own when its condition holds. When the condition clears it
//! moves to cooling down, with its action still in force: only an authorized reset
//! re-arms it (the tighten-only rule), and without `force` only once the cooldown has
//! passed since the condition last held (ERC-7265: `overrideExpiredRateLimit` once
//! `rateLimitCooldownPeriod` has passed since `lastRateLimitTimestamp`). A condition
//! that returns while cooling down trips it again.

use serde::{Deserialize, Serialize};

use crate::authority::Authority;
use crate::event::TimeMs;

/// The state of a breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BreakerState {
    /// Watching; no action in force.
    Armed,
    /// The condition holds (or held and has not cleared); the action is in force.
    Tripped,
    /// The condition cleared; the action stays in force until an authorized reset,
    /// which needs no `force` from `until_ms` on.
    CoolingDown {
        /// When the cooldown ends, unix milliseconds.
        until_ms: TimeMs,
    },
}

impl BreakerState {
    /// The state's name.
    pub fn name(&self) -> &'static str {
        match self {
            BreakerState::Armed => "armed",
            BreakerState::Tripped => "tripped",
            BreakerState::CoolingDown { .. } => "cooling_down",
        }
    }

    /// Whether the breaker's action is in force.
    pub fn in_force(&self) -> bool {
        !matches!(self, BreakerState::Armed)
    }
}

/// What a breaker guards.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Scope {
    /// One asset, in every market that lists it.
    Asset {
        /// The symbol.
        asset: String,
    },
    /// One lending market.
    Market {
        /// Its name.
        market: String,
    },
    /// A trading market watched for order-flow anomalies (its asset's markets act).
    TradingMarket {
        /// Its name, e.g. `"ETH-USD"`.
        market: String,
    },
}

/// What a breaker does while tripped or cooling down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Action {
    /// Pause the market: no supply, borrow, withdrawal or liquidation.
    PauseMarket,
    /// Freeze borrowing against or of the asset.
    FreezeBorrowing,
    /// Raise collateral requirements: lower LTV by `ltv_cut_bps` basis points.
    RaiseCollateral {
        /// Basis points taken off LTV while in force.
        ltv_cut_bps: u32,
    },
    /// Cap withdrawals: outflows wait (are custodied) until the breaker re-arms.
    CapWithdrawals,
}

/// The kind of condition a breaker watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BreakerKind {
    /// ERC-7265 outflow rate limit.
    OutflowErc7265,
    /// Main + elastic buffer outflow limit.
    OutflowElastic,
    /// Oracle price against venue prices.
    OracleDeviation,
    /// No oracle round within heartbeat + tolerance.
    StaleOracle,
    /// Robust z-score of volume, trade size or price move.
    OrderFlowAnomaly,
    /// A sudden drop of TVL.
    TvlDrop,
    /// A pause asked by an operator.
    ManualPause,
}

/// Why a breaker tripped, with the numbers that made it trip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason {
    /// ERC-7265: `liqTotal + liqInPeriod < liqTotal * minLiqRetainedBps / 10000`.
    OutflowLimit {
        /// Settled liquidity (`liqTotal`).
        liq_total: f64,
        /// Net flow inside the window (`liqInPeriod`).
        liq_in_period: f64,
        /// The minimum to retain.
        min_liq: f64,
    },
    /// Main + elastic buffer: an outflow exceeded the capacity left.
    BufferOverflow {
        /// The outflow.
        amount: f64,
        /// Main + elastic buffer before it.
        capacity: f64,
    },
    /// The oracle deviated from the venues' median beyond the threshold for longer
    /// than the grace period.
    OracleDeviation {
        /// The oracle's last answer.
        oracle_price: f64,
        /// Median of the venues' latest prices.
        market_price: f64,
        /// `|oracle / market - 1|`.
        deviation: f64,
        /// Since when it has deviated, unix milliseconds.
        since_ms: TimeMs,
    },
    /// No oracle round for longer than heartbeat + tolerance.
    StaleOracle {
        /// The last round's time, unix milliseconds.
        last_round_ms: TimeMs,
        /// Its age now.
        age_ms: u64,
        /// Heartbeat + tolerance.
        limit_ms: u64,
    },
    /// A robust z-score beyond the threshold.
    Anomaly {
        /// Which measure.
        metric: crate::anomaly::Metric,
        /// The value observed.
        value: f64,
        /// The window's median.
        median: f64,
        /// The window's median absolute deviation.
        mad: f64,
        /// `0.6745 · (value − median) / MAD`.
        z: f64,
    },
    /// TVL fell by more than the threshold within the window.
    TvlDrop {
        /// The highest TVL in the window, USD.
        peak_usd: f64,
        /// TVL now, USD.
        now_usd: f64,
        /// `1 − now / peak`.
        drop: f64,
    },
    /// An operator paused.
    Manual {
        /// Who.
        principal: String,
    },
}

impl Reason {
    /// A measure of how bad the condition is, larger is worse (for re-alerting when it worsens).
    pub fn badness(&self) -> f64 {
        match self {
            Reason::OutflowLimit { liq_total, liq_in_period, .. } => {
                if *liq_total > 0.0 {
                    -liq_in_period / liq_total
                } else {
                    -liq_in_period
                }
            }
            Reason::BufferOverflow { amount, capacity } => amount - capacity,
            Reason::OracleDeviation { deviation, .. } => *deviation,
            Reason::StaleOracle { age_ms, .. } => *age_ms as f64,
            Reason::Anomaly { z, .. } => z.abs(),
            Reason::TvlDrop { drop, .. } => *drop,
            Reason::Manual { .. } => 0.0,
        }
    }
}

/// One circuit breaker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breaker {
    /// Unique name, `kind:scope` (e.g. `outflow:USDC`, `oracle_deviation:WETH`).
    pub name: String,
    /// What it watches.
    pub kind: BreakerKind,
    /// What it guards.
    pub scope: Scope,
    /// What it does when not armed.
    pub action: Action,
    /// Its state.
    pub state: BreakerState,
    /// Why it last tripped.
    pub reason: Option<Reason>,
    /// When the state last changed, unix milliseconds (construction time: 0).
    pub since_ms: TimeMs,
    /// How long it cools down after its condition last held, milliseconds.
    pub cooldown_ms: u64,
    /// When its condition last held, unix milliseconds.
    pub last_held_ms: Option<TimeMs>,
    /// How many times it tripped.
    pub trips: u64,
    /// Who last re-armed it, and with which event.
    pub last_reset: Option<(Authority, String)>,
}

/// A change of a breaker's state, as reported in an [`crate::Outcome`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// The breaker's name.
    pub breaker: String,
    /// What it guards.
    pub scope: Scope,
    /// Its state before.
    pub from: BreakerState,
    /// Its state after.
    pub to: BreakerState,
    /// Why (the trip's reason; for a reset, the reason it had).
    pub reason: Option<Reason>,
    /// The action that comes into or out of force.
    pub action: Action,
    /// When, unix milliseconds.
    pub at_ms: TimeMs,
    /// Who authorized it (resets only).
    pub authority: Option<Authority>,
}

impl Breaker {
    /// An armed breaker.
    pub fn new(name: String, kind: BreakerKind, scope: Scope, action: Action, cooldown_ms: u64) -> Self {
        Self {
            name,
            kind,
            scope,
            action,
            state: BreakerState::Armed,
            reason: None,
            since_ms: 0,
            cooldown_ms,
            last_held_ms: None,
            trips: 0,
            last_reset: None,
        }
    }

    fn transition(&mut self, to: BreakerState, now_ms: TimeMs, authority: Option<Authority>) -> Transition {
        let from = self.state;
        self.state = to;
        self.since_ms = now_ms;
        Transition {
            breaker: self.name.clone(),
            scope: self.scope.clone(),
            from,
            to,
            reason: self.reason.clone(),
            action: self.action,
            at_ms: now_ms,
            authority,
        }
    }

    /// The condition holds: trips an armed or cooling breaker; a tripped one keeps its
    /// state and takes the newer reason.
    pub(crate) fn trip(&mut self, reason: Reason, now_ms: TimeMs) -> Option<Transition> {
        self.reason = Some(reason);
        self.last_held_ms = Some(now_ms);
        if self.state == BreakerState::Tripped {
            return None;
        }
        self.trips += 1;
        Some(self.transition(BreakerState::Tripped, now_ms, None))
    }

    /// The condition no longer holds: a tripped breaker starts cooling down, until the
    /// cooldown has passed since the condition last held.
    pub(crate) fn clear(&mut self, now_ms: TimeMs) -> Option<Transition> {
        if self.state != BreakerState::Tripped {
            return None;
        }
        let until_ms = self.last_held_ms.unwrap_or(now_ms).saturating_add(self.cooldown_ms);
        Some(self.transition(BreakerState::CoolingDown { until_ms }, now_ms, None))
    }

    /// Whether a reset without `force` is allowed at `now_ms`.
    pub fn ready_to_reset(&self, now_ms: TimeMs) -> bool {
        match self.state {
            BreakerState::Armed => true,
            BreakerState::Tripped => false,
            BreakerState::CoolingDown { until_ms } => now_ms >= until_ms,
        }
    }

    /// Re-arms the breaker. Crate-private: reached only from an authorized command.
    pub(crate) fn reset(&mut self, authority: &Authority, event_id: &str, now_ms: TimeMs) -> Option<Transition> {
        if self.state == BreakerState::Armed {
            return None;
        }
        self.last_reset = Some((authority.clone(), event_id.to_string()));
        Some(self.transition(BreakerState::Armed, now_ms, Some(authority.clone())))
    }
}
