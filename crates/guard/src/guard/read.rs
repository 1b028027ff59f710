//! Read access for the API and the dashboard: breakers, alerts, parameters, prices,
//! market status, counters and the audit trail.

use crate::alert::Alert;
use crate::breaker::{Action, Breaker, Scope};
use crate::config::GuardConfig;
use crate::controller::AdaptiveController;
use crate::event::TimeMs;
use crate::limiter::{ElasticLimiter, Erc7265Limiter};
use crate::outcome::{AuditEntry, MarketStatus, Metrics, PriceView};
use crate::params::ReserveParams;

use super::{Guard, OutflowState};

impl Guard {
    /// The latest event time seen, unix milliseconds.
    pub fn now_ms(&self) -> TimeMs {
        self.now_ms
    }

    /// The configuration.
    pub fn config(&self) -> &GuardConfig {
        &self.config
    }

    /// Every breaker, in a fixed order.
    pub fn breakers(&self) -> &[Breaker] {
        &self.breakers
    }

    /// The breaker with this name.
    pub fn breaker(&self, name: &str) -> Option<&Breaker> {
        self.breaker_index.get(name).map(|&b| &self.breakers[b])
    }

    /// The alerts whose condition still holds.
    pub fn active_alerts(&self) -> impl Iterator<Item = &Alert> {
        self.alerts.active()
    }

    /// The live parameters of every reserve.
    pub fn parameters(&self) -> impl Iterator<Item = &ReserveParams> {
        self.reserves.iter().map(|r| &r.params)
    }

    /// The live parameters of one reserve.
    pub fn reserve(&self, market: &str, asset: &str) -> Option<&ReserveParams> {
        self.reserve_index(market, asset).map(|r| &self.reserves[r].params)
    }

    /// The adaptive controller of one reserve (collateral reserves only).
    pub fn controller(&self, market: &str, asset: &str) -> Option<&AdaptiveController> {
        self.reserve_index(market, asset).and_then(|r| self.reserves[r].controller.as_ref())
    }

    /// Each asset's latest oracle and venue prices.
    pub fn prices(&self) -> impl Iterator<Item = PriceView> + '_ {
        self.assets.iter().map(|a| PriceView {
            asset: a.symbol.clone(),
            oracle: a.oracle.last_round(),
            venues: a.oracle.venues().to_vec(),
        })
    }

    /// The ERC-7265 limiter of an asset, if it has one.
    pub fn erc7265(&self, asset: &str) -> Option<&Erc7265Limiter> {
        match self.assets.get(*self.asset_index.get(asset)?)?.outflow.as_ref()? {
            OutflowState::Erc7265 { limiter, .. } => Some(limiter),
            OutflowState::Elastic { .. } => None,
        }
    }

    /// The buffer limiter of an asset, if it has one.
    pub fn elastic(&self, asset: &str) -> Option<&ElasticLimiter> {
        match self.assets.get(*self.asset_index.get(asset)?)?.outflow.as_ref()? {
            OutflowState::Elastic { limiter } => Some(limiter),
            OutflowState::Erc7265 { .. } => None,
        }
    }

    /// A lending market's status, from the breakers in force on it and its assets.
    pub fn market_status(&self, market: &str) -> Option<MarketStatus> {
        let m = &self.markets[*self.market_index.get(market)?];
        let mut status = MarketStatus::default();
        for b in &self.breakers {
            let applies = match &b.scope {
                Scope::Market { market: name } => *name == m.name,
                Scope::Asset { asset } => m.assets.iter().any(|&a| self.assets[a].symbol == *asset),
                _ => false,
            };
            if !(applies && b.state.in_force()) {
                continue;
            }
            match b.action {
                Action::PauseMarket => status.paused = true,
                Action::FreezeBorrowing => status.borrowing_frozen = true,
                Action::CapWithdrawals => status.withdrawals_capped = true,
                _ => {}
            }
        }
        Some(status)
    }

    /// Counters for monitoring.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The latest authorized (and manual) commands, oldest first, at most [`crate::AUDIT_LEN`].
    pub fn audit(&self) -> impl Iterator<Item = &AuditEntry> {
        self.audit.iter()
    }
}
