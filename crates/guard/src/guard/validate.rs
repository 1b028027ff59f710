//! Checking an event before it changes anything: known names, finite numbers, and
//! the authority a command needs.

use crate::authority::Requirement;
use crate::error::GuardError;
use crate::event::{Event, EventBody};
use crate::params::Parameter;

use super::Guard;

/// The most validators one slashing-evidence event may name: the consensus specs bound an
/// Electra `IndexedAttestation` at `MAX_VALIDATORS_PER_COMMITTEE` (2048) ×
/// `MAX_COMMITTEES_PER_SLOT` (64) indices, and an attester slashing convicts at most that many.
pub(crate) const MAX_EVIDENCE_VALIDATORS: usize = 2048 * 64;

impl Guard {
    /// Checks an event against the configuration and the authorization rules, before
    /// anything changes.
    pub(super) fn validate(&self, event: &Event) -> Result<(), GuardError> {
        let id = || event.id.clone();
        let now = self.now_ms.max(event.time_ms);
        let bad_value = |field: &'static str, found: f64, valid: &'static str| GuardError::BadValue {
            event: id(),
            field,
            found,
            valid,
        };
        let non_negative = |field, x: f64| {
            if x.is_finite() && x >= 0.0 { Ok(()) } else { Err(bad_value(field, x, "a finite number, zero or more")) }
        };
        let positive = |field, x: f64| {
            if x.is_finite() && x > 0.0 { Ok(()) } else { Err(bad_value(field, x, "a finite positive number")) }
        };
        let asset = |symbol: &str| {
            if self.asset_index.contains_key(symbol) {
                Ok(())
            } else {
                Err(GuardError::UnknownAsset { event: id(), asset: symbol.to_string() })
            }
        };
        let market = |name: &str| {
            if self.market_index.contains_key(name) {
                Ok(())
            } else {
                Err(GuardError::UnknownMarket { event: id(), market: name.to_string() })
            }
        };
        let reserve = |m: &str, a: &str| match self.reserve_index(m, a) {
            Some(r) => Ok(r),
            None => Err(GuardError::UnknownMarket { event: id(), market: format!("{m}/{a}") }),
        };
        match &event.body {
            EventBody::Outflow { asset: a, amount } | EventBody::Inflow { asset: a, amount } => {
                asset(a)?;
                non_negative("amount", *amount)
            }
            EventBody::OracleRound { asset: a, price, .. } | EventBody::VenuePrice { asset: a, price, .. } => {
                asset(a)?;
                positive("price", *price)
            }
            EventBody::Trade { market, size, price } => {
                non_negative("size", *size)?;
                positive("price", *price)?;
                let limit = self.config.anomaly.max_markets;
                if !self.trading_index.contains_key(market.as_str()) && self.trading.len() >= limit {
                    return Err(GuardError::TooMany { event: id(), what: "trading markets", limit });
                }
                Ok(())
            }
            EventBody::Tvl { market: m, value_usd } => {
                market(m)?;
                non_negative("value_usd", *value_usd)
            }
            EventBody::Liquidity { asset: a, depth_usd } => {
                asset(a)?;
                non_negative("depth_usd", *depth_usd)
            }
            EventBody::Tick => Ok(()),
            EventBody::Recommendation { market: m, asset: a, ltv, liquidation_threshold } => {
                reserve(m, a)?;
                positive("ltv", *ltv)?;
                positive("liquidation_threshold", *liquidation_threshold)?;
                if *ltv > *liquidation_threshold || *liquidation_threshold > 1.0 {
                    return Err(bad_value("ltv", *ltv, "at most the liquidation threshold, which is at most 1"));
                }
                Ok(())
            }
            EventBody::Pause { market: m, authority } => {
                market(m)?;
                Requirement::check_named(authority)
            }
            EventBody::Unpause { market: m, authority } => {
                market(m)?;
                self.config.requirement.check(authority, now)
            }
            EventBody::ResetBreaker { breaker, force, authority } => {
                let b = self
                    .breaker_index
                    .get(breaker.as_str())
                    .ok_or_else(|| GuardError::UnknownBreaker { event: id(), breaker: breaker.clone() })?;
                self.config.requirement.check(authority, now)?;
                let b = &self.breakers[*b];
                if !force && !b.ready_to_reset(now) {
                    let until_ms = match b.state {
                        crate::BreakerState::CoolingDown { until_ms } => Some(until_ms),
                        _ => None,
                    };
                    return Err(GuardError::NotReady { breaker: b.name.clone(), state: b.state.name(), until_ms });
                }
                Ok(())
            }
            EventBody::SlashingEvidence { chain, validators, evidence, .. } => {
                let bad = |problem: &str| GuardError::BadEvidence { event: id(), problem: problem.to_string() };
                if chain.trim().is_empty() {
                    return Err(bad("names no chain"));
                }
                if validators.is_empty() || validators.iter().any(|v| v.trim().is_empty()) {
                    return Err(bad("names no validator, or an empty one"));
                }
                if validators.len() > MAX_EVIDENCE_VALIDATORS {
                    return Err(bad("names more validators than the guard keeps in one alert"));
                }
                if evidence.trim().is_empty() {
                    return Err(bad("carries no digest of the evidence"));
                }
                Ok(())
            }
            EventBody::SetParameter { market: m, asset: a, parameter, value_bps, authority } => {
                let r = &self.reserves[reserve(m, a)?].params;
                let value = f64::from(*value_bps);
                if *value_bps == 0 || *value_bps > 10_000 {
                    return Err(bad_value("value_bps", value, "in [1, 10000] basis points"));
                }
                let keeps_order = match parameter {
                    Parameter::Ltv => *value_bps <= r.liquidation_threshold_bps,
                    Parameter::LiquidationThreshold => *value_bps >= r.ltv_bps,
                };
                if !keeps_order {
                    return Err(bad_value("value_bps", value, "LTV at most the liquidation threshold"));
                }
                if parameter.tightens(r.get(*parameter), *value_bps) {
                    Requirement::check_named(authority)
                } else {
                    self.config.requirement.check(authority, now)
                }
            }
        }
    }
}
