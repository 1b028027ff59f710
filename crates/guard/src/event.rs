//! What the guard is fed: observations of the world and authorized commands.
//!
//! Every event carries a caller-chosen `id` and a time in unix milliseconds. The guard
//! never reads a clock: its notion of now is the latest event time it has seen. It also
//! does not deduplicate by `id`: applying the same event twice applies it twice, so the
//! caller (the service's durable log) must hand each event over exactly once.

use serde::{Deserialize, Serialize};

use crate::authority::Authority;
use crate::params::Parameter;

/// Unix time in milliseconds.
pub type TimeMs = u64;

/// One event: an id, a time, and what happened.
///
/// In JSON the body is flattened and tagged by `kind`:
/// `{"id": "e1", "time_ms": 1700000000000, "kind": "outflow", "asset": "USDC", "amount": 5.0}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Chosen by the caller; recorded in decisions so that each can be traced to its cause.
    pub id: String,
    /// When it happened, unix milliseconds. An event older than one already applied is
    /// applied at the latest time seen (time never runs backwards inside the guard).
    pub time_ms: TimeMs,
    /// What happened.
    #[serde(flatten)]
    pub body: EventBody,
}

impl Event {
    /// An event with this id, time and body.
    pub fn new(id: impl Into<String>, time_ms: TimeMs, body: EventBody) -> Self {
        Self { id: id.into(), time_ms, body }
    }
}

/// What happened, by `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventBody {
    /// Tokens left the protocol (a withdrawal, a borrow).
    Outflow {
        /// The asset's symbol.
        asset: String,
        /// Tokens, positive.
        amount: f64,
    },
    /// Tokens entered the protocol (a deposit, a repayment).
    Inflow {
        /// The asset's symbol.
        asset: String,
        /// Tokens, positive.
        amount: f64,
    },
    /// A new oracle round was published.
    OracleRound {
        /// The asset priced.
        asset: String,
        /// The answer, USD.
        price: f64,
        /// The round's own update time (Chainlink `updatedAt`), unix milliseconds.
        round_time_ms: TimeMs,
    },
    /// A market price seen at one venue (an exchange, a pool).
    VenuePrice {
        /// The asset priced.
        asset: String,
        /// The venue's name.
        venue: String,
        /// Its price, USD.
        price: f64,
    },
    /// A trade (or an aggregate of trades over a bar) in a trading market.
    Trade {
        /// The trading market, e.g. `"ETH-USD"`.
        market: String,
        /// Size of the trade, in base tokens (for a bar: its volume).
        size: f64,
        /// Its price.
        price: f64,
    },
    /// The total value locked of a lending market.
    Tvl {
        /// The lending market's name.
        market: String,
        /// Its value, USD.
        value_usd: f64,
    },
    /// Liquidity of an asset at the venues: USD that can be sold within the asset's
    /// liquidation bonus of price impact (SmartLTV's `l`).
    Liquidity {
        /// The asset.
        asset: String,
        /// USD sellable within the liquidation bonus.
        depth_usd: f64,
    },
    /// The clock moved on with nothing else to report (staleness and grace periods
    /// are checked on every event, ticks included).
    Tick,
    /// A risk recommendation (e.g. from a sweep) for the adaptive controller's targets.
    Recommendation {
        /// The lending market.
        market: String,
        /// The reserve's asset.
        asset: String,
        /// Recommended loan to value, as a fraction.
        ltv: f64,
        /// Recommended liquidation threshold, as a fraction.
        liquidation_threshold: f64,
    },
    /// A manual pause of a lending market (a tightening: any named authority may ask).
    Pause {
        /// The lending market.
        market: String,
        /// Who asked.
        authority: Authority,
    },
    /// Lifts a pause: clears manual pauses and resets every pausing breaker of the
    /// market. A loosening: needs an authority meeting the configured requirement.
    Unpause {
        /// The lending market.
        market: String,
        /// Who authorized it.
        authority: Authority,
    },
    /// Re-arms a breaker. A loosening: needs an authority meeting the requirement;
    /// `force` allows it before the breaker's condition cleared and its cooldown
    /// passed (ERC-7265's admin `overrideRateLimit`).
    ResetBreaker {
        /// The breaker's name, as in [`crate::Breaker::name`].
        breaker: String,
        /// Reset even while tripped or cooling down.
        #[serde(default)]
        force: bool,
        /// Who authorized it.
        authority: Authority,
    },
    /// Sets a risk parameter. Tightening passes with any named authority; loosening
    /// needs an authority meeting the requirement.
    SetParameter {
        /// The lending market.
        market: String,
        /// The reserve's asset.
        asset: String,
        /// Which parameter.
        parameter: Parameter,
        /// The new value, in basis points.
        value_bps: u32,
        /// Who authorized it.
        authority: Authority,
    },
    /// Slashing evidence that the service has verified (signatures and slashing rules
    /// checked before logging; the guard holds no crypto and trusts the facts given).
    /// Raises a critical alert naming the validators and the offence.
    SlashingEvidence {
        /// The chain: `"ethereum"`, or `"cometbft:<chain id>"`.
        chain: String,
        /// What the evidence proves.
        offence: Offence,
        /// The validators it convicts (registry indices or consensus addresses).
        validators: Vec<String>,
        /// A digest of the evidence document, to trace the alert to it.
        evidence: String,
    },
}

/// An offence that verified slashing evidence proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Offence {
    /// Ethereum: two different attestations for one target epoch.
    DoubleVote,
    /// Ethereum: an attestation surrounding another.
    SurroundVote,
    /// Ethereum: two different block headers for one slot.
    DoubleProposal,
    /// CometBFT: two different votes for one height, round and step.
    DuplicateVote,
}

impl Offence {
    /// Its snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Offence::DoubleVote => "double_vote",
            Offence::SurroundVote => "surround_vote",
            Offence::DoubleProposal => "double_proposal",
            Offence::DuplicateVote => "duplicate_vote",
        }
    }
}

impl EventBody {
    /// The authority a command carries; `None` for an observation. The service uses it
    /// to tell commands (which loosen or pause) from observations.
    pub fn authority(&self) -> Option<&Authority> {
        match self {
            EventBody::Pause { authority, .. }
            | EventBody::Unpause { authority, .. }
            | EventBody::ResetBreaker { authority, .. }
            | EventBody::SetParameter { authority, .. } => Some(authority),
            EventBody::Outflow { .. }
            | EventBody::Inflow { .. }
            | EventBody::OracleRound { .. }
            | EventBody::VenuePrice { .. }
            | EventBody::Trade { .. }
            | EventBody::Tvl { .. }
            | EventBody::Liquidity { .. }
            | EventBody::Tick
            | EventBody::Recommendation { .. }
            | EventBody::SlashingEvidence { .. } => None,
        }
    }

    /// The `kind` tag, for counters and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            EventBody::Outflow { .. } => "outflow",
            EventBody::Inflow { .. } => "inflow",
            EventBody::OracleRound { .. } => "oracle_round",
            EventBody::VenuePrice { .. } => "venue_price",
            EventBody::Trade { .. } => "trade",
            EventBody::Tvl { .. } => "tvl",
            EventBody::Liquidity { .. } => "liquidity",
            EventBody::Tick => "tick",
            EventBody::Recommendation { .. } => "recommendation",
            EventBody::Pause { .. } => "pause",
            EventBody::Unpause { .. } => "unpause",
            EventBody::ResetBreaker { .. } => "reset_breaker",
            EventBody::SetParameter { .. } => "set_parameter",
            EventBody::SlashingEvidence { .. } => "slashing_evidence",
        }
    }
}
