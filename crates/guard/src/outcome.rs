//! What the guard reports: decisions per event, the audit trail, counters and views.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::alert::Alert;
use crate::authority::Authority;
use crate::breaker::Transition;
use crate::event::TimeMs;
use crate::params::{Direction, Parameter};

/// What one event decided.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Outcome {
    /// The decisions, in the order they were taken.
    pub decisions: Vec<Decision>,
}

impl Outcome {
    /// Whether nothing was decided.
    pub fn is_empty(&self) -> bool {
        self.decisions.is_empty()
    }
}

/// One decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Decision {
    /// A breaker changed state.
    Breaker(Transition),
    /// An alert was raised, re-raised or resolved.
    Alert(Alert),
    /// A parameter changed (a tightening by the controller, or an authorized command).
    Parameter(ParameterChange),
    /// The controller proposes a loosening; it takes effect only through an authorized
    /// `set_parameter` command.
    Proposal(ParameterChange),
}

/// A change of one parameter of one reserve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParameterChange {
    /// The lending market.
    pub market: String,
    /// The reserve's asset.
    pub asset: String,
    /// Which parameter.
    pub parameter: Parameter,
    /// The value before, basis points.
    pub from_bps: u32,
    /// The value after, basis points.
    pub to_bps: u32,
    /// Tighten or loosen.
    pub direction: Direction,
    /// When, unix milliseconds.
    pub at_ms: TimeMs,
    /// Why.
    pub cause: Cause,
}

/// Why a parameter changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Cause {
    /// The adaptive controller.
    Controller {
        /// The daily volatility it acted on.
        volatility_daily: f64,
        /// The value it moves toward, basis points.
        target_bps: u32,
    },
    /// An authorized command.
    Command {
        /// Who authorized it.
        authority: Authority,
        /// The command's event id.
        event_id: String,
    },
}

/// One loosening (or manual) action and who authorized it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// The command's event id.
    pub event_id: String,
    /// When, unix milliseconds.
    pub at_ms: TimeMs,
    /// The command's kind (`unpause`, `reset_breaker`, `set_parameter`, `pause`).
    pub command: String,
    /// What it acted on (a market, a breaker, `market/asset/parameter`).
    pub target: String,
    /// Who authorized it.
    pub authority: Authority,
}

/// Counters for monitoring. Equality ignores `rejected`, which is not state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Metrics {
    /// Events applied.
    pub events: u64,
    /// Events applied, by kind (`EventBody::kind`).
    pub events_by_kind: BTreeMap<String, u64>,
    /// Events refused with an error by this instance. Not part of the state: it is not
    /// serialized (a snapshot restores it to 0), since a log replay never sees refused
    /// events and must rebuild the same state.
    #[serde(skip)]
    pub rejected: u64,
    /// Events older than the latest time seen (applied at that time).
    pub late: u64,
    /// Breaker transitions.
    pub transitions: u64,
    /// Trips (transitions into tripped).
    pub trips: u64,
    /// Alerts published.
    pub alerts: u64,
    /// Parameter changes applied.
    pub parameter_changes: u64,
    /// Loosening proposals made.
    pub proposals: u64,
}

impl PartialEq for Metrics {
    fn eq(&self, other: &Self) -> bool {
        let Metrics {
            events,
            events_by_kind,
            rejected: _,
            late,
            transitions,
            trips,
            alerts,
            parameter_changes,
            proposals,
        } = self;
        *events == other.events
            && *events_by_kind == other.events_by_kind
            && *late == other.late
            && *transitions == other.transitions
            && *trips == other.trips
            && *alerts == other.alerts
            && *parameter_changes == other.parameter_changes
            && *proposals == other.proposals
    }
}

/// A market's enforcement status, derived from the breakers in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MarketStatus {
    /// Paused.
    pub paused: bool,
    /// Borrowing frozen for at least one of its assets.
    pub borrowing_frozen: bool,
    /// Withdrawals capped for at least one of its assets.
    pub withdrawals_capped: bool,
}

/// An asset's latest prices, for charts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceView {
    /// The asset.
    pub asset: String,
    /// The oracle's last answer and its round time.
    pub oracle: Option<(f64, TimeMs)>,
    /// The venues' latest quotes.
    pub venues: Vec<crate::oracle::VenueQuote>,
}
