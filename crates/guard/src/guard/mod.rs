//! The guard: events in, decisions out, deterministically and without I/O.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::alert::{AlertBook, AlertType, Finding, Severity};
use crate::anomaly::{Metric, OrderFlow, TvlWatch};
use crate::authority::Authority;
use crate::breaker::{Action, Breaker, BreakerKind, Reason, Scope};
use crate::config::{GuardConfig, OutflowConfig, to_base_units};
use crate::controller::{AdaptiveController, ProposedMove};
use crate::error::GuardError;
use crate::event::{Event, EventBody, Offence, TimeMs};
use crate::limiter::{ElasticLimiter, Erc7265Limiter, LimitStatus};
use crate::oracle::{DeviationCheck, OracleMonitor};
use crate::outcome::{AuditEntry, Cause, Decision, Metrics, Outcome, ParameterChange};
use crate::params::{Direction, Parameter, ReserveParams};

mod read;
mod validate;

/// How many authorized changes the guard remembers in its audit trail.
pub const AUDIT_LEN: usize = 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum OutflowState {
    Erc7265 { limiter: Erc7265Limiter, decimals: u32 },
    Elastic { limiter: ElasticLimiter },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct AssetState {
    symbol: String,
    oracle: OracleMonitor,
    outflow: Option<OutflowState>,
    outflow_breaker: Option<usize>,
    deviation_breaker: usize,
    stale_breaker: Option<usize>,
    /// Reserves (indices) of this asset.
    reserves: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ReserveState {
    params: ReserveParams,
    controller: Option<AdaptiveController>,
    /// The last loosening proposed per parameter, so that one is not repeated.
    proposed: [Option<u32>; 2],
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct MarketState {
    name: String,
    tvl: TvlWatch,
    tvl_breaker: usize,
    pause_breaker: usize,
    /// Assets listed (indices).
    assets: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct TradingState {
    flow: OrderFlow,
    /// Breakers for volume, trade size and price move.
    breakers: [usize; 3],
}

/// The guard's whole state. Serializable: a snapshot restored and fed the rest of a
/// stream ends where feeding the whole stream would.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Guard {
    config: GuardConfig,
    now_ms: TimeMs,
    start_ms: Option<TimeMs>,
    assets: Vec<AssetState>,
    asset_index: BTreeMap<String, usize>,
    breakers: Vec<Breaker>,
    breaker_index: BTreeMap<String, usize>,
    reserves: Vec<ReserveState>,
    markets: Vec<MarketState>,
    market_index: BTreeMap<String, usize>,
    trading: Vec<TradingState>,
    trading_index: BTreeMap<String, usize>,
    alerts: AlertBook,
    metrics: Metrics,
    audit: VecDeque<AuditEntry>,
}

fn alert_class(kind: BreakerKind) -> (Severity, AlertType) {
    match kind {
        BreakerKind::OutflowErc7265 | BreakerKind::OutflowElastic => (Severity::Critical, AlertType::Exploit),
        BreakerKind::OracleDeviation | BreakerKind::TvlDrop => (Severity::High, AlertType::Suspicious),
        BreakerKind::StaleOracle => (Severity::Medium, AlertType::Degraded),
        BreakerKind::OrderFlowAnomaly => (Severity::Medium, AlertType::Suspicious),
        BreakerKind::ManualPause => (Severity::Info, AlertType::Info),
    }
}

fn describe(name: &str, reason: &Reason) -> String {
    match reason {
        Reason::OutflowLimit { liq_total, liq_in_period, min_liq } => format!(
            "{name}: liquidity {liq_total} + net flow {liq_in_period} in the window is below the minimum {min_liq}"
        ),
        Reason::BufferOverflow { amount, capacity } => {
            format!("{name}: outflow {amount} exceeds the capacity left ({capacity})")
        }
        Reason::OracleDeviation { oracle_price, market_price, deviation, since_ms } => format!(
            "{name}: oracle {oracle_price} deviates {:.2} % from the venues' median {market_price} since {since_ms} ms",
            deviation * 100.0
        ),
        Reason::StaleOracle { last_round_ms, age_ms, limit_ms } => {
            format!("{name}: last round at {last_round_ms} ms is {age_ms} ms old (limit {limit_ms} ms)")
        }
        Reason::Anomaly { metric, value, median, mad, z } => {
            format!("{name}: {} = {value} has robust z = {z:.1} (median {median}, MAD {mad})", metric.name())
        }
        Reason::TvlDrop { peak_usd, now_usd, drop } => {
            format!("{name}: TVL fell {:.1} % from {peak_usd} to {now_usd} USD", drop * 100.0)
        }
        Reason::Manual { principal } => format!("{name}: paused by {principal}"),
    }
}

impl Guard {
    /// A guard for a protocol, from its spec (`[guard]` section or defaults).
    ///
    /// # Errors
    /// [`GuardError::Config`] for a setting the guard cannot use.
    pub fn new(protocol: &bulwark_spec::Protocol) -> Result<Self, GuardError> {
        Self::from_config(GuardConfig::from_protocol(protocol)?)
    }

    /// A guard from a resolved configuration.
    ///
    /// # Errors
    /// [`GuardError::Config`] for a limiter or controller setting out of range, or a
    /// reserve of an asset that is not configured.
    pub fn from_config(config: GuardConfig) -> Result<Self, GuardError> {
        let bad = |field: String, found: String, valid: &'static str| GuardError::Config { field, found, valid };
        let mut guard = Guard {
            now_ms: 0,
            start_ms: None,
            assets: Vec::new(),
            asset_index: BTreeMap::new(),
            breakers: Vec::new(),
            breaker_index: BTreeMap::new(),
            reserves: Vec::new(),
            markets: Vec::new(),
            market_index: BTreeMap::new(),
            trading: Vec::new(),
            trading_index: BTreeMap::new(),
            alerts: AlertBook::new(config.alert_cooldown_ms, config.alert_worsen),
            metrics: Metrics::default(),
            audit: VecDeque::new(),
            config: config.clone(),
        };
        for a in &config.assets {
            let asset_scope = Scope::Asset { asset: a.symbol.clone() };
            let (outflow, outflow_breaker) = match a.outflow {
                Some(OutflowConfig::Erc7265 { limiter, decimals }) => {
                    let l = Erc7265Limiter::new(limiter).ok_or_else(|| {
                        bad(
                            format!("outflow.assets.{}.min_retained", a.symbol),
                            limiter.min_liq_retained_bps.to_string(),
                            "in (0, 10000] basis points, with a positive tick",
                        )
                    })?;
                    let b = guard.add_breaker(
                        format!("outflow:{}", a.symbol),
                        BreakerKind::OutflowErc7265,
                        asset_scope.clone(),
                        Action::CapWithdrawals,
                        config.outflow_cooldown_ms,
                    )?;
                    (Some(OutflowState::Erc7265 { limiter: l, decimals }), Some(b))
                }
                Some(OutflowConfig::Elastic { limiter, tvl }) => {
                    let l = ElasticLimiter::new(limiter, tvl, 0).ok_or_else(|| {
                        bad(
                            format!("outflow.assets.{}.max_draw", a.symbol),
                            limiter.max_draw.to_string(),
                            "in (0, 1), with positive windows and TVL of zero or more",
                        )
                    })?;
                    let b = guard.add_breaker(
                        format!("outflow:{}", a.symbol),
                        BreakerKind::OutflowElastic,
                        asset_scope.clone(),
                        Action::CapWithdrawals,
                        config.outflow_cooldown_ms,
                    )?;
                    (Some(OutflowState::Elastic { limiter: l }), Some(b))
                }
                _ => (None, None),
            };
            let deviation_breaker = guard.add_breaker(
                format!("oracle_deviation:{}", a.symbol),
                BreakerKind::OracleDeviation,
                asset_scope.clone(),
                Action::FreezeBorrowing,
                config.cooldown_ms,
            )?;
            let stale_breaker = match a.oracle.heartbeat_ms {
                Some(_) => Some(guard.add_breaker(
                    format!("oracle_stale:{}", a.symbol),
                    BreakerKind::StaleOracle,
                    asset_scope,
                    Action::FreezeBorrowing,
                    config.cooldown_ms,
                )?),
                None => None,
            };
            guard.asset_index.insert(a.symbol.clone(), guard.assets.len());
            guard.assets.push(AssetState {
                symbol: a.symbol.clone(),
                oracle: OracleMonitor::new(a.oracle),
                outflow,
                outflow_breaker,
                deviation_breaker,
                stale_breaker,
                reserves: Vec::new(),
            });
        }
        for name in &config.markets {
            if guard.market_index.contains_key(name) {
                continue;
            }
            let scope = Scope::Market { market: name.clone() };
            let tvl_breaker = guard.add_breaker(
                format!("tvl_drop:{name}"),
                BreakerKind::TvlDrop,
                scope.clone(),
                Action::PauseMarket,
                config.cooldown_ms,
            )?;
            let pause_breaker =
                guard.add_breaker(format!("pause:{name}"), BreakerKind::ManualPause, scope, Action::PauseMarket, 0)?;
            guard.market_index.insert(name.clone(), guard.markets.len());
            guard.markets.push(MarketState {
                name: name.clone(),
                tvl: TvlWatch::new(config.anomaly.tvl_window_ms),
                tvl_breaker,
                pause_breaker,
                assets: Vec::new(),
            });
        }
        for r in &config.reserves {
            let asset = *guard.asset_index.get(&r.asset).ok_or_else(|| {
                bad(format!("reserve {} of {}", r.asset, r.market), r.asset.clone(), "an asset of the spec")
            })?;
            let market = *guard.market_index.get(&r.market).ok_or_else(|| {
                bad(format!("reserve {} of {}", r.asset, r.market), r.market.clone(), "a market of the spec")
            })?;
            let controller = match &r.controller {
                Some(c) => {
                    let mut controller = AdaptiveController::new(c.clone()).map_err(|(name, value, valid)| {
                        bad(format!("controller.{name} ({} {})", r.market, r.asset), value.to_string(), valid)
                    })?;
                    if let Some(l) = r.liquidity_usd {
                        controller.observe_liquidity(l);
                    }
                    Some(controller)
                }
                None => None,
            };
            let index = guard.reserves.len();
            guard.reserves.push(ReserveState {
                params: ReserveParams::new(&r.market, &r.asset, r.ltv_bps, r.liquidation_threshold_bps),
                controller,
                proposed: [None; 2],
            });
            guard.assets[asset].reserves.push(index);
            guard.markets[market].assets.push(asset);
        }
        Ok(guard)
    }

    fn add_breaker(
        &mut self,
        name: String,
        kind: BreakerKind,
        scope: Scope,
        action: Action,
        cooldown_ms: u64,
    ) -> Result<usize, GuardError> {
        if self.breaker_index.contains_key(&name) {
            return Err(GuardError::Config { field: name, found: "a second breaker".into(), valid: "a unique name" });
        }
        let index = self.breakers.len();
        self.breaker_index.insert(name.clone(), index);
        self.breakers.push(Breaker::new(name, kind, scope, action, cooldown_ms));
        Ok(index)
    }

    /// Applies one event and returns what it decided.
    ///
    /// Deterministic: the same events in the same order give the same decisions and
    /// the same state. The guard does not deduplicate by `id` (the caller's log
    /// must hand each event over once). An event refused with an error changes no
    /// state except the `rejected` counter, which is not part of the state (not
    /// serialized, ignored by equality).
    ///
    /// # Errors
    /// [`GuardError`] for an unknown asset, market or breaker, a number that is not
    /// finite or is negative, a loosening command without sufficient authority, or a
    /// reset of a breaker that is not ready without `force`.
    pub fn apply(&mut self, event: &Event) -> Result<Outcome, GuardError> {
        let mut outcome = Outcome::default();
        match self.apply_into(event, &mut outcome) {
            Ok(()) => Ok(outcome),
            Err(e) => Err(e),
        }
    }

    /// [`Guard::apply`], appending decisions to `outcome` (to reuse its allocation).
    ///
    /// # Errors
    /// As [`Guard::apply`]; on error `outcome` is left as it was.
    pub fn apply_into(&mut self, event: &Event, outcome: &mut Outcome) -> Result<(), GuardError> {
        if let Err(e) = self.validate(event) {
            self.metrics.rejected += 1;
            return Err(e);
        }
        if event.time_ms < self.now_ms {
            self.metrics.late += 1;
        }
        self.now_ms = self.now_ms.max(event.time_ms);
        self.start_ms.get_or_insert(event.time_ms);
        self.metrics.events += 1;
        match self.metrics.events_by_kind.get_mut(event.body.kind()) {
            Some(n) => *n += 1,
            None => {
                self.metrics.events_by_kind.insert(event.body.kind().to_string(), 1);
            }
        }
        let before = outcome.decisions.len();
        let out = &mut outcome.decisions;
        let now = self.now_ms;
        let id = event.id.as_str();
        match &event.body {
            EventBody::Outflow { asset, amount } => self.flow(asset, -amount, id, out),
            EventBody::Inflow { asset, amount } => self.flow(asset, *amount, id, out),
            EventBody::OracleRound { asset, price, round_time_ms } => {
                let a = self.asset(asset);
                self.assets[a].oracle.round(*price, *round_time_ms);
                let mut sampled = false;
                for &r in &self.assets[a].reserves {
                    if let Some(c) = self.reserves[r].controller.as_mut() {
                        sampled |= c.observe_price(*price, *round_time_ms);
                    }
                }
                if sampled {
                    let reserves = self.assets[a].reserves.clone();
                    for r in reserves {
                        self.control(r, out);
                    }
                }
            }
            EventBody::VenuePrice { asset, venue, price } => {
                let a = self.asset(asset);
                self.assets[a].oracle.venue_price(venue, *price, now);
            }
            EventBody::Trade { market, size, price } => self.trade(market, *size, *price, id, out)?,
            EventBody::Tvl { market, value_usd } => {
                let m = self.market_index.get(market.as_str()).copied().unwrap_or_default();
                let (peak_usd, drop) = self.markets[m].tvl.observe(*value_usd, now);
                let b = self.markets[m].tvl_breaker;
                let holds = drop > self.config.anomaly.tvl_drop;
                let reason = holds.then_some(Reason::TvlDrop { peak_usd, now_usd: *value_usd, drop });
                self.condition(b, reason, id, out);
            }
            EventBody::Liquidity { asset, depth_usd } => {
                let a = self.asset(asset);
                for &r in &self.assets[a].reserves {
                    if let Some(c) = self.reserves[r].controller.as_mut() {
                        c.observe_liquidity(*depth_usd);
                    }
                }
            }
            EventBody::Tick => {}
            EventBody::Recommendation { market, asset, ltv, liquidation_threshold } => {
                let r = self.reserve_index(market, asset).unwrap_or_default();
                if let Some(c) = self.reserves[r].controller.as_mut() {
                    c.recommend(
                        crate::params::fraction_to_bps(*ltv),
                        crate::params::fraction_to_bps(*liquidation_threshold),
                    );
                }
                self.control(r, out);
            }
            EventBody::Pause { market, authority } => {
                let m = self.market_index.get(market.as_str()).copied().unwrap_or_default();
                let b = self.markets[m].pause_breaker;
                self.record_audit(id, "pause", market, authority);
                self.condition(b, Some(Reason::Manual { principal: authority.principal.clone() }), id, out);
            }
            EventBody::Unpause { market, authority } => {
                let m = self.market_index.get(market.as_str()).copied().unwrap_or_default();
                self.record_audit(id, "unpause", market, authority);
                for b in [self.markets[m].pause_breaker, self.markets[m].tvl_breaker] {
                    self.reset(b, authority, id, out);
                }
            }
            EventBody::ResetBreaker { breaker, authority, .. } => {
                let b = self.breaker_index.get(breaker.as_str()).copied().unwrap_or_default();
                self.record_audit(id, "reset_breaker", breaker, authority);
                self.reset(b, authority, id, out);
            }
            EventBody::SetParameter { market, asset, parameter, value_bps, authority } => {
                let r = self.reserve_index(market, asset).unwrap_or_default();
                let params = &mut self.reserves[r].params;
                let from = params.get(*parameter);
                if from != *value_bps {
                    params.set(*parameter, *value_bps, now);
                    let direction =
                        if parameter.tightens(from, *value_bps) { Direction::Tighten } else { Direction::Loosen };
                    let target = format!("{market}/{asset}/{}", parameter.name());
                    self.record_audit(id, "set_parameter", &target, authority);
                    self.reserves[r].proposed = [None; 2];
                    self.metrics.parameter_changes += 1;
                    out.push(Decision::Parameter(ParameterChange {
                        market: market.clone(),
                        asset: asset.clone(),
                        parameter: *parameter,
                        from_bps: from,
                        to_bps: *value_bps,
                        direction,
                        at_ms: now,
                        cause: Cause::Command { authority: authority.clone(), event_id: id.to_string() },
                    }));
                }
            }
            EventBody::SlashingEvidence { chain, offence, validators, evidence } => {
                self.evidence(chain, *offence, validators, evidence, id, out);
            }
        }
        self.periodic(id, out);
        for d in &outcome.decisions[before..] {
            match d {
                Decision::Breaker(t) => {
                    self.metrics.transitions += 1;
                    if t.to == crate::BreakerState::Tripped {
                        self.metrics.trips += 1;
                    }
                }
                Decision::Alert(_) => self.metrics.alerts += 1,
                Decision::Parameter(_) | Decision::Proposal(_) => {}
            }
        }
        Ok(())
    }

    fn asset(&self, symbol: &str) -> usize {
        // Validated before: the symbol is known.
        self.asset_index.get(symbol).copied().unwrap_or_default()
    }

    fn reserve_index(&self, market: &str, asset: &str) -> Option<usize> {
        self.reserves.iter().position(|r| r.params.market == market && r.params.asset == asset)
    }

    fn record_audit(&mut self, event_id: &str, command: &str, target: &str, authority: &Authority) {
        if self.audit.len() == AUDIT_LEN {
            self.audit.pop_front();
        }
        self.audit.push_back(AuditEntry {
            event_id: event_id.to_string(),
            at_ms: self.now_ms,
            command: command.to_string(),
            target: target.to_string(),
            authority: authority.clone(),
        });
    }

    /// Reports a breaker's condition: `Some(reason)` holds, `None` does not.
    fn condition(&mut self, b: usize, reason: Option<Reason>, event_id: &str, out: &mut Vec<Decision>) {
        let now = self.now_ms;
        let breaker = &mut self.breakers[b];
        match reason {
            Some(reason) => {
                let score = reason.badness();
                let (severity, alert_type) = alert_class(breaker.kind);
                let text = || describe(&breaker.name, &reason);
                let finding = Finding { alert_id: &breaker.name, name: &breaker.name, severity, alert_type, score };
                let alert = self.alerts.holds(finding, now, event_id, text);
                if let Some(t) = breaker.trip(reason, now) {
                    out.push(Decision::Breaker(t));
                }
                if let Some(a) = alert {
                    out.push(Decision::Alert(a));
                }
            }
            None => {
                if let Some(t) = breaker.clear(now) {
                    out.push(Decision::Breaker(t));
                }
                if let Some(a) = self.alerts.recovered(&breaker.name, now, event_id) {
                    out.push(Decision::Alert(a));
                }
            }
        }
    }

    /// Verified slashing evidence: a critical alert per chain, offence and validators
    /// (the same conviction sent again is deduplicated by the alert book).
    fn evidence(
        &mut self,
        chain: &str,
        offence: Offence,
        validators: &[String],
        evidence: &str,
        event_id: &str,
        out: &mut Vec<Decision>,
    ) {
        const NAMED: usize = 8;
        let mut named = validators.iter().take(NAMED).cloned().collect::<Vec<_>>().join(",");
        if validators.len() > NAMED {
            named.push_str(&format!("+{}", validators.len() - NAMED));
        }
        let alert_id = format!("slashing:{chain}:{}:{named}", offence.name());
        let finding = Finding {
            alert_id: &alert_id,
            name: &alert_id,
            severity: Severity::Critical,
            alert_type: AlertType::Exploit,
            score: validators.len() as f64,
        };
        let describe = || {
            format!(
                "verified slashing evidence on {chain}: {} by validator{} {} (evidence {evidence})",
                offence.name().replace('_', " "),
                if validators.len() == 1 { "" } else { "s" },
                named.replace(',', ", "),
            )
        };
        if let Some(a) = self.alerts.holds(finding, self.now_ms, event_id, describe) {
            out.push(Decision::Alert(a));
        }
    }

    fn reset(&mut self, b: usize, authority: &Authority, event_id: &str, out: &mut Vec<Decision>) {
        let now = self.now_ms;
        if let Some(t) = self.breakers[b].reset(authority, event_id, now) {
            // ERC-7265's override syncs the limiter.
            for a in &mut self.assets {
                if a.outflow_breaker == Some(b)
                    && let Some(OutflowState::Erc7265 { limiter, .. }) = a.outflow.as_mut()
                {
                    limiter.sync(now, usize::MAX);
                }
            }
            out.push(Decision::Breaker(t));
            if let Some(a) = self.alerts.recovered(&self.breakers[b].name, now, event_id) {
                out.push(Decision::Alert(a));
            }
        }
    }

    fn flow(&mut self, symbol: &str, signed_amount: f64, event_id: &str, out: &mut Vec<Decision>) {
        let a = self.asset(symbol);
        let now = self.now_ms;
        let Some(b) = self.assets[a].outflow_breaker else { return };
        let reason = match self.assets[a].outflow.as_mut() {
            Some(OutflowState::Erc7265 { limiter, decimals }) => {
                limiter.record_change(to_base_units(signed_amount, *decimals), now);
                match limiter.status() {
                    LimitStatus::Triggered => {
                        let scale = 10f64.powi(i32::try_from(*decimals).unwrap_or(18));
                        Some(Reason::OutflowLimit {
                            liq_total: limiter.liq_total() as f64 / scale,
                            liq_in_period: limiter.liq_in_period() as f64 / scale,
                            min_liq: limiter.min_liq() as f64 / scale,
                        })
                    }
                    _ => None,
                }
            }
            Some(OutflowState::Elastic { limiter }) => {
                if signed_amount >= 0.0 {
                    limiter.inflow(signed_amount, now);
                    return;
                }
                let o = limiter.outflow(-signed_amount, now);
                if o.overflow > 0.0 {
                    Some(Reason::BufferOverflow { amount: -signed_amount, capacity: o.capacity })
                } else {
                    return;
                }
            }
            None => return,
        };
        self.condition(b, reason, event_id, out);
    }

    fn trade(
        &mut self,
        market: &str,
        size: f64,
        price: f64,
        event_id: &str,
        out: &mut Vec<Decision>,
    ) -> Result<(), GuardError> {
        let t = match self.trading_index.get(market) {
            Some(t) => *t,
            None => {
                let scope = Scope::TradingMarket { market: market.to_string() };
                let mut breakers = [0; 3];
                for (slot, metric) in breakers.iter_mut().zip([Metric::Volume, Metric::TradeSize, Metric::PriceMove]) {
                    *slot = self.add_breaker(
                        format!("anomaly:{}:{market}", metric.name()),
                        BreakerKind::OrderFlowAnomaly,
                        scope.clone(),
                        Action::FreezeBorrowing,
                        self.config.cooldown_ms,
                    )?;
                }
                let a = &self.config.anomaly;
                self.trading_index.insert(market.to_string(), self.trading.len());
                self.trading
                    .push(TradingState { flow: OrderFlow::new(a.window, a.min_samples, a.bucket_ms), breakers });
                self.trading.len() - 1
            }
        };
        let scores = self.trading[t].flow.trade(size, price, self.now_ms);
        let threshold = self.config.anomaly.z;
        for (metric, score) in scores.into_iter().flatten() {
            let slot = match metric {
                Metric::Volume => 0,
                Metric::TradeSize => 1,
                Metric::PriceMove => 2,
            };
            let b = self.trading[t].breakers[slot];
            let reason = (score.z.abs() > threshold).then_some(Reason::Anomaly {
                metric,
                value: score.value,
                median: score.median,
                mad: score.mad,
                z: score.z,
            });
            self.condition(b, reason, event_id, out);
        }
        Ok(())
    }

    /// Runs the adaptive controller of reserve `r`: tightenings apply, loosenings are proposed.
    fn control(&mut self, r: usize, out: &mut Vec<Decision>) {
        let now = self.now_ms;
        let state = &mut self.reserves[r];
        let Some(controller) = state.controller.as_mut() else { return };
        let moves: Vec<ProposedMove> = controller.propose(&state.params, now);
        for m in moves {
            let slot = usize::from(m.parameter == Parameter::LiquidationThreshold);
            let change = ParameterChange {
                market: state.params.market.clone(),
                asset: state.params.asset.clone(),
                parameter: m.parameter,
                from_bps: m.from_bps,
                to_bps: m.to_bps,
                direction: m.direction,
                at_ms: now,
                cause: Cause::Controller { volatility_daily: m.volatility_daily, target_bps: m.target_bps },
            };
            match m.direction {
                Direction::Tighten => {
                    state.params.set(m.parameter, m.to_bps, now);
                    state.proposed[slot] = None;
                    self.metrics.parameter_changes += 1;
                    out.push(Decision::Parameter(change));
                }
                Direction::Loosen => {
                    if state.proposed[slot] != Some(m.to_bps) {
                        state.proposed[slot] = Some(m.to_bps);
                        self.metrics.proposals += 1;
                        out.push(Decision::Proposal(change));
                    }
                }
            }
        }
    }

    /// Checks that depend on time alone: staleness, deviation grace, elastic refill.
    fn periodic(&mut self, event_id: &str, out: &mut Vec<Decision>) {
        let now = self.now_ms;
        let start = self.start_ms.unwrap_or(now);
        for a in 0..self.assets.len() {
            if let Some(b) = self.assets[a].stale_breaker {
                let reason = self.assets[a]
                    .oracle
                    .stale(now, start)
                    .map(|(last_round_ms, age_ms, limit_ms)| Reason::StaleOracle { last_round_ms, age_ms, limit_ms });
                if reason.is_some() || self.breakers[b].state == crate::BreakerState::Tripped {
                    self.condition(b, reason, event_id, out);
                }
            }
            let b = self.assets[a].deviation_breaker;
            let oracle = &mut self.assets[a].oracle;
            let tripped = self.breakers[b].state == crate::BreakerState::Tripped;
            // `None`: nothing to report; `Some(None)`: the condition cleared.
            let report = match oracle.check_deviation(now) {
                DeviationCheck::Breached { deviation, market_price, since_ms } => Some(Some(Reason::OracleDeviation {
                    oracle_price: oracle.last_round().map_or(0.0, |r| r.0),
                    market_price,
                    deviation,
                    since_ms,
                })),
                // Without fresh venue prices a tripped breaker stays tripped.
                DeviationCheck::Unknown => None,
                DeviationCheck::Within | DeviationCheck::InGrace { .. } => tripped.then_some(None),
            };
            if let Some(reason) = report {
                self.condition(b, reason, event_id, out);
            }
            // A tripped outflow limit clears once its outflows settle (ERC-7265: the
            // status after a sync) or the main buffer has refilled (elastic).
            if let (Some(b), Some(outflow)) = (self.assets[a].outflow_breaker, self.assets[a].outflow.as_ref())
                && self.breakers[b].state == crate::BreakerState::Tripped
            {
                let cleared = match outflow {
                    OutflowState::Erc7265 { limiter, .. } => limiter.status_at(now) != LimitStatus::Triggered,
                    OutflowState::Elastic { limiter } => {
                        limiter.buffers_at(now).0 >= limiter.tvl() * limiter.config().max_draw
                    }
                };
                if cleared {
                    self.condition(b, None, event_id, out);
                }
            }
        }
    }
}
