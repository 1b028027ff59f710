//! The guard's errors: bad configuration at construction, bad events at apply.

use crate::event::TimeMs;

/// What went wrong building or feeding the guard.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum GuardError {
    /// A configuration value out of range.
    #[error("guard configuration: {field} = {found} is out of range: must be {valid}")]
    Config {
        /// The setting, e.g. `outflow.USDC.min_retained`.
        field: String,
        /// The value found.
        found: String,
        /// What would be valid.
        valid: &'static str,
    },
    /// An event names an asset the guard does not know.
    #[error("event {event}: unknown asset {asset:?}")]
    UnknownAsset {
        /// The event's id.
        event: String,
        /// The symbol.
        asset: String,
    },
    /// An event names a lending market or reserve the guard does not know.
    #[error("event {event}: unknown market or reserve {market:?}")]
    UnknownMarket {
        /// The event's id.
        event: String,
        /// The market (and asset) named.
        market: String,
    },
    /// An event names a breaker that does not exist.
    #[error("event {event}: unknown breaker {breaker:?}")]
    UnknownBreaker {
        /// The event's id.
        event: String,
        /// The name given.
        breaker: String,
    },
    /// A number in an event that is not finite, or negative where it cannot be.
    #[error("event {event}: {field} = {found} must be {valid}")]
    BadValue {
        /// The event's id.
        event: String,
        /// The field.
        field: &'static str,
        /// The value.
        found: f64,
        /// What would be valid.
        valid: &'static str,
    },
    /// A loosening command whose authority does not meet the requirement.
    #[error("not authorized ({principal:?}): {problem}")]
    Unauthorized {
        /// The principal the command named.
        principal: String,
        /// What is missing.
        problem: String,
    },
    /// A reset asked of a breaker that is not ready (tripped, or cooling down until
    /// `until_ms`) without `force`.
    #[error(
        "breaker {breaker} is {state} until its condition clears and its cooldown passes (until {until_ms:?} ms); use force to override"
    )]
    NotReady {
        /// The breaker.
        breaker: String,
        /// Its state.
        state: &'static str,
        /// When it becomes ready, if known.
        until_ms: Option<TimeMs>,
    },
    /// A slashing-evidence event without the facts an alert needs.
    #[error("event {event}: slashing evidence {problem}")]
    BadEvidence {
        /// The event's id.
        event: String,
        /// What is missing.
        problem: String,
    },
    /// Too many distinct trading or lending markets seen (state is bounded).
    #[error("event {event}: more than {limit} distinct {what}; raise the limit in the configuration")]
    TooMany {
        /// The event's id.
        event: String,
        /// What was counted.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
}
