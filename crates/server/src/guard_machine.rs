//! The guard as the service's state machine: events in, decisions out, snapshots by
//! serde, and the view the API and the dashboard read.
//!
//! Commands (`pause`, `unpause`, `reset_breaker`, `set_parameter`) carry an authority.
//! Through `POST /v1/admin/events` the service admits them with the admin token and the
//! `admin_token` method only. Multisig and guardian authorities are never taken from a
//! client: the service builds them itself after verifying signatures
//! ([`crate::governance`]), and verified slashing evidence enters only through
//! `POST /v1/evidence` ([`crate::evidence`]).
//!
//! The log holds [`ServiceEvent`]s: the guard's events as they were, and governance
//! requests (kinds `governance_*`), each with its decision.

use std::collections::{BTreeMap, VecDeque};

use bulwark_guard::{AuthMethod, Event, EventBody, Guard, GuardConfig, GuardError, Outcome};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::governance::{Governance, GovernanceConfig, GovernanceDecision, GovernanceEvent, GovernanceState};
use crate::machine::{Channel, Machine, View};

/// What the service's log holds: a guard event, or a governance request.
///
/// In JSON both are flat objects with `id`, `time_ms` and `kind`; governance kinds start
/// with `governance_`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ServiceEvent {
    /// An observation or command for the guard.
    Guard(Event),
    /// A governance request, stamped with the service's clock.
    Governance(GovernanceEvent),
}

impl ServiceEvent {
    /// The event's id.
    pub fn id(&self) -> &str {
        match self {
            ServiceEvent::Guard(e) => &e.id,
            ServiceEvent::Governance(e) => &e.id,
        }
    }
}

impl From<Event> for ServiceEvent {
    fn from(e: Event) -> Self {
        ServiceEvent::Guard(e)
    }
}

impl Serialize for ServiceEvent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ServiceEvent::Guard(e) => e.serialize(s),
            ServiceEvent::Governance(e) => e.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for ServiceEvent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        let governance = value.get("kind").and_then(Value::as_str).is_some_and(|k| k.starts_with("governance_"));
        if governance {
            GovernanceEvent::deserialize(value).map(ServiceEvent::Governance).map_err(serde::de::Error::custom)
        } else {
            Event::deserialize(value).map(ServiceEvent::Guard).map_err(serde::de::Error::custom)
        }
    }
}

/// What the service decided for one logged event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum ServiceDecision {
    /// About a governance request (tagged `governance`).
    Governance(GovernanceDecision),
    /// The guard's decisions about its event (`{"decisions": [...]}`).
    Guard(Outcome),
}

/// Points kept per chart series.
const SERIES_POINTS: usize = 300;
/// Series kept per chart (the guard refuses unknown assets, so this only bounds venues).
const SERIES_MAX: usize = 24;

/// The guard plus the recent prices and flows the dashboard charts.
#[derive(Debug, Clone)]
pub struct GuardMachine {
    guard: Guard,
    governance: Option<Governance>,
    prices: Series,
    flows: Series,
    net_outflow: BTreeMap<String, f64>,
}

/// Bounded time series by name: `(time_ms, value)` points, oldest first.
#[derive(Debug, Clone, Default)]
struct Series(BTreeMap<String, VecDeque<(u64, f64)>>);

impl Series {
    fn push(&mut self, name: &str, time_ms: u64, value: f64) {
        if !self.0.contains_key(name) && self.0.len() >= SERIES_MAX {
            return;
        }
        let points = self.0.entry(name.to_string()).or_default();
        if points.len() == SERIES_POINTS {
            points.pop_front();
        }
        points.push_back((time_ms, value));
    }

    fn to_json(&self) -> Value {
        Value::Object(
            self.0
                .iter()
                .map(|(name, points)| {
                    (name.clone(), json!(points.iter().map(|&(t, v)| json!([t, v])).collect::<Vec<_>>()))
                })
                .collect(),
        )
    }
}

impl GuardMachine {
    /// The guard of a protocol, configured from its spec.
    ///
    /// # Errors
    /// [`GuardError`] for a configuration the guard cannot use.
    /// A `[guard.governance]` the service cannot use is a [`GuardError::Config`].
    pub fn from_protocol(protocol: &bulwark_spec::Protocol) -> Result<Self, GuardError> {
        let guard = Guard::new(protocol)?;
        let governance = match protocol.guard.as_ref().and_then(|g| g.governance.as_ref()) {
            Some(spec) => {
                let config_error = |e: crate::governance::GovernanceConfigError| GuardError::Config {
                    field: format!("governance.{}", e.field),
                    found: e.problem,
                    valid: "a Safe configuration the Safe contract accepts",
                };
                let config = GovernanceConfig::from_spec(spec).map_err(config_error)?;
                Some(Governance::new(config).map_err(config_error)?)
            }
            None => None,
        };
        Ok(Self { governance, ..Self::new(guard) })
    }

    /// Wraps a guard (without governance).
    pub fn new(guard: Guard) -> Self {
        Self {
            guard,
            governance: None,
            prices: Series::default(),
            flows: Series::default(),
            net_outflow: BTreeMap::new(),
        }
    }

    /// The guard.
    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    /// Governance, when the spec configures it.
    pub fn governance(&self) -> Option<&Governance> {
        self.governance.as_ref()
    }

    /// A digest of the configuration (the guard's, and governance's when configured): a
    /// data folder belongs to one configuration.
    pub fn config_digest(&self) -> String {
        match &self.governance {
            None => config_digest(self.guard.config()),
            Some(g) => {
                let both = json!({ "guard": self.guard.config(), "governance": g.config().to_json() });
                let bytes = serde_json::to_vec(&both).unwrap_or_default();
                Sha256::digest(&bytes).iter().take(16).map(|b| format!("{b:02x}")).collect()
            }
        }
    }

    fn observe(&mut self, event: &Event) {
        match &event.body {
            EventBody::OracleRound { asset, price, .. } => {
                self.prices.push(&format!("{asset} oracle"), event.time_ms, *price)
            }
            EventBody::VenuePrice { asset, venue, price } => {
                self.prices.push(&format!("{asset} @ {venue}"), event.time_ms, *price)
            }
            EventBody::Outflow { asset, amount } => self.flow(asset, *amount, event.time_ms),
            EventBody::Inflow { asset, amount } => self.flow(asset, -*amount, event.time_ms),
            _ => {}
        }
    }

    fn flow(&mut self, asset: &str, net_outflow: f64, time_ms: u64) {
        let total = self.net_outflow.entry(asset.to_string()).or_default();
        *total += net_outflow;
        let total = *total;
        self.flows.push(asset, time_ms, total);
    }
}

/// SHA-256 of the configuration's JSON, hex, shortened to 32 characters.
pub fn config_digest(config: &GuardConfig) -> String {
    let bytes = serde_json::to_vec(config).unwrap_or_default();
    Sha256::digest(&bytes).iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// The snapshot: the guard and the governance state.
#[derive(Serialize)]
struct SnapshotRef<'a> {
    guard: &'a Guard,
    governance: Option<&'a GovernanceState>,
}

#[derive(Deserialize)]
struct SnapshotOwned {
    guard: Guard,
    governance: Option<GovernanceState>,
}

impl Machine for GuardMachine {
    type Event = ServiceEvent;
    type Decision = ServiceDecision;

    fn event_id(event: &ServiceEvent) -> &str {
        event.id()
    }

    fn apply(&mut self, event: &ServiceEvent) -> Result<ServiceDecision, String> {
        match event {
            ServiceEvent::Guard(event) => {
                let outcome = self.guard.apply(event).map_err(|e| e.to_string())?;
                self.observe(event);
                Ok(ServiceDecision::Guard(outcome))
            }
            ServiceEvent::Governance(event) => Ok(ServiceDecision::Governance(match self.governance.as_mut() {
                Some(g) => g.apply(event, &mut self.guard),
                None => GovernanceDecision::Refused {
                    code: crate::governance::Refusal::NotConfigured,
                    message: "the spec has no [guard.governance]".into(),
                    ready_ms: None,
                },
            })),
        }
    }

    fn snapshot(&self) -> Result<Vec<u8>, String> {
        let snapshot = SnapshotRef { guard: &self.guard, governance: self.governance.as_ref().map(Governance::state) };
        serde_json::to_vec(&snapshot).map_err(|e| e.to_string())
    }

    fn restore(fresh: &Self, bytes: &[u8]) -> Result<Self, String> {
        // Snapshots before governance held the guard alone.
        let SnapshotOwned { guard, governance } = serde_json::from_slice::<SnapshotOwned>(bytes)
            .or_else(|_| serde_json::from_slice::<Guard>(bytes).map(|guard| SnapshotOwned { guard, governance: None }))
            .map_err(|e| format!("not a guard snapshot: {e}"))?;
        if guard.config() != fresh.guard.config() {
            return Err("the snapshot was taken under another guard configuration".into());
        }
        let governance = match (&fresh.governance, governance) {
            (Some(g), state) => Some(Governance::restore(g.config().clone(), state.unwrap_or_default())?),
            (None, Some(_)) => return Err("the snapshot holds governance state, the configuration none".into()),
            (None, None) => None,
        };
        Ok(Self { governance, ..Self::new(guard) })
    }

    fn checkpoint(&self) -> Self {
        self.clone()
    }

    fn view(&self, last_seq: u64) -> View {
        let g = &self.guard;
        let markets: BTreeMap<&str, Value> =
            g.config().markets.iter().map(|m| (m.as_str(), json!(g.market_status(m).unwrap_or_default()))).collect();
        let breakers: Vec<Value> = g
            .breakers()
            .iter()
            .map(|b| {
                json!({
                    "name": b.name,
                    "kind": b.kind,
                    "scope": compact(&json!(b.scope), "scope"),
                    "action": compact(&json!(b.action), "action"),
                    "state": b.state.name(),
                    "in_force": b.state.in_force(),
                    "until_ms": match b.state { bulwark_guard::BreakerState::CoolingDown { until_ms } => Some(until_ms), _ => None },
                    "reason": b.reason.as_ref().map(|r| compact(&json!(r), "reason")),
                    "since_ms": b.since_ms,
                    "trips": b.trips,
                })
            })
            .collect();
        let tripped = breakers.iter().filter(|b| b["in_force"] == true).count();
        let parameters: Vec<Value> = g
            .parameters()
            .map(|p| {
                let paused = g.market_status(&p.market).is_some_and(|s| s.paused);
                let mut v = json!(p);
                v["paused"] = json!(paused);
                v
            })
            .collect();
        View {
            status: json!({
                "now_ms": g.now_ms(),
                "last_seq": last_seq,
                "breakers_in_force": tripped,
                "markets": markets,
                "guard": g.metrics(),
            }),
            breakers: Value::Array(breakers),
            alerts: json!(g.active_alerts().collect::<Vec<_>>()),
            parameters: Value::Array(parameters),
            series: json!({ "prices": self.prices.to_json(), "flows": self.flows.to_json() }),
            governance: json!({
                "governance": self.governance.as_ref().map(Governance::to_json),
                "audit": g.audit().collect::<Vec<_>>(),
            }),
        }
    }

    fn admit(event: &mut ServiceEvent, channel: Channel) -> Result<(), String> {
        let event = match event {
            ServiceEvent::Guard(event) => event,
            ServiceEvent::Governance(_) => {
                return Err("governance requests are built by the service from signed requests: \
                            use POST /v1/governance/proposals or /v1/governance/pause"
                    .into());
            }
        };
        if let EventBody::SlashingEvidence { .. } = event.body {
            return Err("slashing evidence must be verified: send the evidence document to POST /v1/evidence".into());
        }
        let authority = event.body.authority();
        // A command kind the guard may add later is recognised by its JSON too.
        let command =
            authority.is_some() || serde_json::to_value(&event.body).is_ok_and(|v| v.get("authority").is_some());
        if !command {
            return Ok(());
        }
        match channel {
            Channel::Writer => Err(format!(
                "a {} command needs the admin endpoint (POST /v1/admin/events) and the admin token",
                event.body.kind()
            )),
            Channel::Admin => match authority.map(|a| &a.method) {
                Some(AuthMethod::AdminToken) => Ok(()),
                Some(_) => Err("multisig and guardian authorities are built by the service from verified \
                                signatures (POST /v1/governance/...); here use \"method\": \
                                {\"method\": \"admin_token\"} with the admin token"
                    .into()),
                None => Err(format!("the service does not know how to authorize a {} command", event.body.kind())),
            },
        }
    }

    fn routes(state: crate::http::AppState<Self>) -> axum::Router {
        crate::governance::http::routes(state)
    }

    fn breakers_tripped(&self) -> u64 {
        self.guard.breakers().iter().filter(|b| b.state.in_force()).count() as u64
    }
}

/// A tagged enum's JSON as one short line, the tag first:
/// `{"scope":"market","market":"X"}` becomes `market market=X`.
fn compact(value: &Value, tag: &str) -> String {
    let Value::Object(map) = value else {
        return value.as_str().map_or_else(|| value.to_string(), str::to_string);
    };
    let mut parts: Vec<String> = map.get(tag).and_then(Value::as_str).map(str::to_string).into_iter().collect();
    for (key, v) in map.iter().filter(|(k, _)| k.as_str() != tag) {
        match v {
            Value::String(s) => parts.push(format!("{key}={s}")),
            Value::Number(n) => parts.push(format!("{key}={}", n.as_f64().map_or_else(|| n.to_string(), short))),
            other => parts.push(format!("{key}={other}")),
        }
    }
    parts.join(" ")
}

/// A number in a few significant digits.
fn short(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x:.6}").trim_end_matches('0').to_string()
    }
}
