//! The breakers other than outflow limits, the tighten-only rule, and the event format.

use bulwark_guard::{
    AlertType, AuthMethod, Authority, BreakerState, Cause, Decision, Direction, Event, EventBody, Guard, GuardError,
    Parameter, Severity,
};

const MIN: u64 = 60_000;
const HOUR: u64 = 60 * MIN;
const T0: u64 = 1_700_000_000_000;

const MARKET: &str = r#"
[protocol]
name = "rules"
[assets.WETH]
price = 2000.0
volatility = { daily = 0.04 }
[assets.USDC]
price = 1.0
volatility = { daily = 0.001 }
[oracles.WETH]
kind = "push"
heartbeat = "1h"
deviation = 0.005
[[markets]]
name = "pool"
[markets.reserves.WETH]
ltv = 0.80
liquidation_threshold = 0.825
liquidation_bonus = 0.05
[markets.reserves.USDC]
ltv = 0.75
liquidation_threshold = 0.78
liquidation_bonus = 0.045
[markets.positions]
count = 10
total_debt = 1.0e6
health = { median = 1.5, min = 1.05 }
collateral = { WETH = 1.0 }
debt = { USDC = 1.0 }
"#;

fn guard(extra: &str) -> Guard {
    let text = format!("{MARKET}\n{extra}");
    let protocol = bulwark_spec::parse_str(&text, "spec.toml".as_ref(), ".".as_ref()).unwrap();
    Guard::new(&protocol).unwrap()
}

fn ev(id: &str, t: u64, body: EventBody) -> Event {
    Event::new(id, t, body)
}

fn round(price: f64, t: u64) -> EventBody {
    EventBody::OracleRound { asset: "WETH".into(), price, round_time_ms: t }
}

fn tripped(out: &bulwark_guard::Outcome, name: &str) -> bool {
    out.decisions
        .iter()
        .any(|d| matches!(d, Decision::Breaker(t) if t.breaker == name && t.to == BreakerState::Tripped))
}

/// Stale: no round within heartbeat (1 h) + tolerance (10 min); at exactly 70 minutes
/// the oracle is not yet stale.
#[test]
fn stale_oracle_trips_strictly_after_heartbeat_plus_tolerance() {
    let mut g = guard("[guard.oracle]\nstale_tolerance = \"10m\"");
    g.apply(&ev("r", T0, round(2000.0, T0))).unwrap();
    let out = g.apply(&ev("t1", T0 + 70 * MIN, EventBody::Tick)).unwrap();
    assert!(out.is_empty(), "{out:?}");
    let out = g.apply(&ev("t2", T0 + 70 * MIN + 1, EventBody::Tick)).unwrap();
    assert!(tripped(&out, "oracle_stale:WETH"), "{out:?}");
    let alert = out.decisions.iter().find_map(|d| if let Decision::Alert(a) = d { Some(a) } else { None }).unwrap();
    assert_eq!((alert.severity, alert.alert_type), (Severity::Medium, AlertType::Degraded));
    assert!(g.market_status("pool").unwrap().borrowing_frozen);
    // Ticks while stale are deduplicated: no new alert within the cooldown.
    assert!(g.apply(&ev("t3", T0 + 71 * MIN, EventBody::Tick)).unwrap().is_empty());
    // A fresh round clears the condition; the freeze stays until an authorized reset.
    let out = g.apply(&ev("r2", T0 + 72 * MIN, round(2000.0, T0 + 72 * MIN))).unwrap();
    assert!(
        out.decisions
            .iter()
            .any(|d| matches!(d, Decision::Breaker(t) if matches!(t.to, BreakerState::CoolingDown { .. })))
    );
    assert!(
        out.decisions
            .iter()
            .any(|d| matches!(d, Decision::Alert(a) if a.status == bulwark_guard::AlertStatus::Resolved))
    );
    assert!(g.market_status("pool").unwrap().borrowing_frozen);
}

/// Deviation: beyond 1/32 (strictly) for longer than 5 minutes (strictly).
#[test]
fn deviation_trips_only_after_the_grace_period() {
    let extra = "[guard.oracle]\ndeviation = 0.03125\ngrace = \"5m\"";
    let venue = |p| EventBody::VenuePrice { asset: "WETH".into(), venue: "cex".into(), price: p };
    // Exactly 1/32 away: never beyond.
    let mut g = guard(extra);
    g.apply(&ev("v", T0, venue(100.0))).unwrap();
    g.apply(&ev("r", T0, round(103.125, T0))).unwrap();
    assert!(g.apply(&ev("t", T0 + HOUR / 2, EventBody::Tick)).unwrap().is_empty());
    // Beyond: trips one millisecond after the grace period, not at its end.
    let mut g = guard(extra);
    g.apply(&ev("v", T0, venue(100.0))).unwrap();
    g.apply(&ev("r", T0, round(103.2, T0))).unwrap();
    assert!(!tripped(&g.apply(&ev("t1", T0 + 5 * MIN, venue(100.0))).unwrap(), "oracle_deviation:WETH"));
    let out = g.apply(&ev("t2", T0 + 5 * MIN + 1, venue(100.0))).unwrap();
    assert!(tripped(&out, "oracle_deviation:WETH"), "{out:?}");
    // The venue comes back to the oracle: the condition clears.
    let out = g.apply(&ev("t3", T0 + 6 * MIN, venue(103.0))).unwrap();
    assert!(!out.is_empty());
    assert!(matches!(g.breaker("oracle_deviation:WETH").unwrap().state, BreakerState::CoolingDown { .. }));
}

#[test]
fn tvl_drop_beyond_the_threshold_pauses() {
    let mut g = guard("[guard.anomaly]\ntvl_drop = 0.25\ntvl_window = \"1h\"");
    let tvl = |v| EventBody::Tvl { market: "pool".into(), value_usd: v };
    g.apply(&ev("a", T0, tvl(100.0))).unwrap();
    assert!(g.apply(&ev("b", T0 + MIN, tvl(75.0))).unwrap().is_empty(), "exactly 25 % is not beyond");
    assert!(tripped(&g.apply(&ev("c", T0 + 2 * MIN, tvl(74.9))).unwrap(), "tvl_drop:pool"));
    assert!(g.market_status("pool").unwrap().paused);
}

#[test]
fn trade_size_outlier_trips_and_recovers() {
    let mut g = guard("[guard.anomaly]\nwindow = 60\nmin_samples = 30\nz = 10");
    let trade = |size| EventBody::Trade { market: "ETH-USD".into(), size, price: 2000.0 };
    for i in 0..40 {
        let out = g.apply(&ev("t", T0 + i * 1000, trade([1.0, 2.0, 3.0][i as usize % 3]))).unwrap();
        assert!(out.is_empty(), "{out:?}");
    }
    // Median 2, MAD 1: z(1000) = 0.6745 · 998 ≈ 673.
    let out = g.apply(&ev("big", T0 + 41_000, trade(1000.0))).unwrap();
    assert!(tripped(&out, "anomaly:trade_size:ETH-USD"), "{out:?}");
    let reason = g.breaker("anomaly:trade_size:ETH-USD").unwrap().reason.clone().unwrap();
    let bulwark_guard::Reason::Anomaly { z, median, mad, .. } = reason else { panic!() };
    assert_eq!((median, mad), (2.0, 1.0));
    assert!((z - 0.6745 * 998.0).abs() < 1e-9);
    g.apply(&ev("small", T0 + 42_000, trade(2.0))).unwrap();
    assert!(matches!(g.breaker("anomaly:trade_size:ETH-USD").unwrap().state, BreakerState::CoolingDown { .. }));
}

fn multisig(signers: &[&str], queued_ms: u64) -> Authority {
    Authority {
        principal: "0xSafe".into(),
        method: AuthMethod::Multisig { signers: signers.iter().map(|s| s.to_string()).collect(), queued_ms },
    }
}

/// Pausing needs only a name; unpausing needs the quorum and the timelock; an admin
/// token cannot unpause under a multisig requirement, and a refused command changes
/// nothing.
#[test]
fn loosening_needs_the_configured_authority() {
    let mut g = guard("[guard]\nauthorization = \"multisig\"\nthreshold = 2\ntimelock = \"1h\"");
    let pause = EventBody::Pause { market: "pool".into(), authority: Authority::admin("ops") };
    assert!(tripped(&g.apply(&ev("p", T0, pause)).unwrap(), "pause:pool"));
    let unpause = |authority| EventBody::Unpause { market: "pool".into(), authority };
    let before = g.clone();
    let refused = g.apply(&ev("u1", T0 + 2 * HOUR, unpause(Authority::admin("ops"))));
    assert!(matches!(refused, Err(GuardError::Unauthorized { .. })), "{refused:?}");
    let refused = g.apply(&ev("u2", T0 + 2 * HOUR, unpause(multisig(&["a", "b"], T0 + HOUR + 1))));
    assert!(matches!(refused, Err(GuardError::Unauthorized { .. })), "timelock still running");
    let refused = g.apply(&ev("u3", T0 + 2 * HOUR, unpause(multisig(&["a", "a"], T0))));
    assert!(matches!(refused, Err(GuardError::Unauthorized { .. })), "one signer twice");
    assert_eq!(g.breakers(), before.breakers(), "refused commands change nothing");
    assert!(g.market_status("pool").unwrap().paused);
    let out = g.apply(&ev("u4", T0 + 2 * HOUR, unpause(multisig(&["a", "b"], T0 + HOUR)))).unwrap();
    assert!(
        out.decisions
            .iter()
            .any(|d| matches!(d, Decision::Breaker(t) if t.to == BreakerState::Armed && t.authority.is_some()))
    );
    assert!(!g.market_status("pool").unwrap().paused);
    let audit: Vec<_> = g.audit().map(|a| (a.command.as_str(), a.authority.principal.as_str())).collect();
    assert_eq!(audit, vec![("pause", "ops"), ("unpause", "0xSafe")]);
}

#[test]
fn raising_a_parameter_needs_authority_lowering_does_not() {
    let mut g = guard("[guard]\nauthorization = \"multisig\"\nthreshold = 2\ntimelock = \"0s\"");
    let set = |value_bps, authority| EventBody::SetParameter {
        market: "pool".into(),
        asset: "WETH".into(),
        parameter: Parameter::Ltv,
        value_bps,
        authority,
    };
    let out = g.apply(&ev("down", T0, set(7900, Authority::admin("ops")))).unwrap();
    assert!(matches!(&out.decisions[0], Decision::Parameter(c) if c.direction == Direction::Tighten));
    assert!(matches!(g.apply(&ev("up", T0, set(8000, Authority::admin("ops")))), Err(GuardError::Unauthorized { .. })));
    assert_eq!(g.reserve("pool", "WETH").unwrap().ltv_bps, 7900);
    let out = g.apply(&ev("up2", T0, set(8000, multisig(&["a", "b"], T0)))).unwrap();
    let Decision::Parameter(c) = &out.decisions[0] else { panic!("{out:?}") };
    assert_eq!((c.from_bps, c.to_bps, c.direction), (7900, 8000, Direction::Loosen));
    assert!(
        matches!(&c.cause, Cause::Command { authority, event_id } if authority.principal == "0xSafe" && event_id == "up2")
    );
    // LTV may not pass the liquidation threshold (8250).
    assert!(matches!(g.apply(&ev("x", T0, set(8300, multisig(&["a", "b"], T0)))), Err(GuardError::BadValue { .. })));
}

/// The controller tightens on its own as volatility rises (one steward step per
/// minimum delay), and only proposes loosening when it falls. A thin venue (about
/// $5k sellable within the 5 % bonus against $1M of debt: `l/d` ≈ 0.005) makes
/// SmartLTV sensitive: about 0.85 at the spec's 4 % daily volatility (above the 0.80
/// baseline, so no move), far lower once the swings start.
#[test]
fn controller_tightens_alone_and_proposes_loosening() {
    let extra = "[[venues]]\nname = \"thin\"\nkind = \"constant_product\"\npair = [\"WETH\", \"USDC\"]\nreserves = [100.0, 200_000.0]\nfee = 0.003\nrecovery_half_life = \"10m\"\n[guard.controller]\nsample = \"1h\"\nmin_delay = \"1h\"\nmax_change = 50\nloosen_hold = \"6h\"\nloosen_step = 25";
    let mut g = guard(extra);
    let mut price = 2000.0;
    let mut tightened = Vec::new();
    let mut proposals = 0;
    for h in 0..96u64 {
        // Twelve hours of 8 % hourly swings, then calm.
        if (6..18).contains(&h) {
            price *= if h % 2 == 0 { 0.92 } else { 1.08 };
        }
        let t = T0 + h * HOUR;
        for d in g.apply(&ev("r", t, round(price, t))).unwrap().decisions {
            match d {
                Decision::Parameter(c) => {
                    assert_eq!(c.direction, Direction::Tighten);
                    assert!(c.from_bps - c.to_bps <= 50, "{c:?}");
                    tightened.push((h, c.parameter, c.to_bps));
                }
                Decision::Proposal(c) => {
                    assert_eq!(c.direction, Direction::Loosen);
                    assert!(c.to_bps - c.from_bps <= 25);
                    proposals += 1;
                }
                _ => {}
            }
        }
    }
    assert!(!tightened.is_empty(), "volatility should have tightened LTV");
    assert!(tightened.iter().all(|(h, _, _)| *h >= 6), "no move before the swings: {tightened:?}");
    assert!(proposals > 0, "calm returns: loosening proposed");
    let r = g.reserve("pool", "WETH").unwrap();
    let lowest = tightened.iter().filter(|m| m.1 == Parameter::Ltv).map(|m| m.2).min().unwrap();
    assert_eq!(r.ltv_bps, lowest, "proposals are not applied");
    assert!(r.ltv_bps < 8000 && r.ltv_bps <= r.liquidation_threshold_bps);
    let v = g.controller("pool", "WETH").unwrap().volatility();
    assert_eq!(v.samples, 95);
    assert!(v.daily < 0.04, "calm again after three days: {v:?}");
}

#[test]
fn events_read_from_json() {
    let e: Event =
        serde_json::from_str(r#"{"id":"e1","time_ms":5,"kind":"outflow","asset":"USDC","amount":5.0}"#).unwrap();
    assert_eq!(e.body, EventBody::Outflow { asset: "USDC".into(), amount: 5.0 });
    let e: Event = serde_json::from_str(
        r#"{"id":"e2","time_ms":6,"kind":"reset_breaker","breaker":"outflow:USDC",
            "authority":{"principal":"ops","method":{"method":"admin_token"}}}"#,
    )
    .unwrap();
    assert!(matches!(e.body, EventBody::ResetBreaker { force: false, .. }));
    let e: Event = serde_json::from_str(r#"{"id":"e3","time_ms":7,"kind":"tick"}"#).unwrap();
    assert_eq!(e.body, EventBody::Tick);
    assert_eq!(serde_json::to_string(&e).unwrap(), r#"{"id":"e3","time_ms":7,"kind":"tick"}"#);
}

#[test]
fn bad_events_are_named() {
    let mut g = guard("");
    let bad = g.apply(&ev("n", T0, EventBody::Outflow { asset: "WETH".into(), amount: f64::NAN }));
    assert!(matches!(bad, Err(GuardError::BadValue { field: "amount", .. })), "{bad:?}");
    let bad = g.apply(&ev("u", T0, EventBody::Outflow { asset: "DOGE".into(), amount: 1.0 }));
    assert!(matches!(bad, Err(GuardError::UnknownAsset { .. })));
    let bad = g.apply(&ev("m", T0, EventBody::Tvl { market: "nope".into(), value_usd: 1.0 }));
    assert!(matches!(bad, Err(GuardError::UnknownMarket { .. })));
    assert_eq!(g.metrics().rejected, 3);
    assert_eq!(g.metrics().events, 0);
}

/// Decisions as the service publishes them: tagged JSON that reads back the same.
#[test]
fn decisions_serialize_tagged() {
    let mut g = guard("");
    let pause = EventBody::Pause { market: "pool".into(), authority: Authority::admin("ops") };
    let out = g.apply(&ev("p", T0, pause)).unwrap();
    let json = serde_json::to_value(&out).unwrap();
    assert_eq!(json["decisions"][0]["decision"], "breaker");
    assert_eq!(json["decisions"][0]["breaker"], "pause:pool");
    assert_eq!(json["decisions"][0]["to"]["state"], "tripped");
    assert_eq!(json["decisions"][0]["action"]["action"], "pause_market");
    assert_eq!(json["decisions"][1]["decision"], "alert");
    assert_eq!(json["decisions"][1]["type"], "info");
    let back: bulwark_guard::Outcome = serde_json::from_value(json).unwrap();
    assert_eq!(back, out);
}

/// A multisig requirement takes the governance guardian's threshold and the timelock.
#[test]
fn multisig_requirement_defaults_to_the_guardian() {
    let text = r#"
[protocol]
name = "gov"
[assets.AAVE]
price = 150.0
volatility = { daily = 0.05 }
[governance]
token = "AAVE"
quorum = 320_000
timelock = "1d"
guardian = { size = 7, threshold = 4 }
[guard]
authorization = "multisig"
"#;
    let protocol = bulwark_spec::parse_str(text, "spec.toml".as_ref(), ".".as_ref()).unwrap();
    let config = bulwark_guard::GuardConfig::from_protocol(&protocol).unwrap();
    assert_eq!(config.requirement, bulwark_guard::Requirement::Multisig { threshold: 4, timelock_ms: 86_400_000 });
    let absent = bulwark_spec::parse_str("[protocol]\nname = \"x\"", "spec.toml".as_ref(), ".".as_ref()).unwrap();
    let config = bulwark_guard::GuardConfig::from_protocol(&absent).unwrap();
    assert_eq!(config.requirement, bulwark_guard::Requirement::AdminToken, "the default without [guard]");
}

/// The `[guard]` section's errors name their place.
#[test]
fn guard_section_errors_are_placed() {
    let errors = |extra: &str| {
        let text =
            format!("[protocol]\nname = \"x\"\n[assets.USDC]\nprice = 1.0\nvolatility = {{ daily = 0.001 }}\n{extra}");
        bulwark_spec::parse_str(&text, "spec.toml".as_ref(), ".".as_ref()).unwrap_err().to_string()
    };
    let e = errors("[guard.outflow.assets.USDC]\nkind = \"erc7265\"\nmin_retained = 0.7\nmax_draw = 0.05");
    assert!(e.contains("spec.toml:9:12: guard.outflow.assets.USDC.max_draw"), "{e}");
    let e = errors("[guard.outflow]\nwithdrawal_period = \"1h\"\ntick = \"2h\"");
    assert!(e.contains("guard.outflow.tick = \"2h\" is out of range: must be at most the withdrawal period"), "{e}");
    let e = errors("[guard.outflow.assets.DAI]\nkind = \"elastic\"\nmax_draw = 0.05");
    assert!(e.contains("guard.outflow.assets.DAI"), "{e}");
    let e = errors("[guard.controller]\ngarch_alpha = 0.2\ngarch_beta = 0.85");
    assert!(e.contains("guard.controller.garch_beta = 0.85 is out of range"), "{e}");
    let e = errors("[guard]\ncooldwn = \"1h\"");
    assert!(e.contains("did you mean `cooldown`?"), "{e}");
}

/// Verified slashing evidence raises one critical exploit alert naming the validators and
/// the offence; the same conviction again is deduplicated; evidence without facts is refused.
#[test]
fn slashing_evidence_raises_a_critical_alert() {
    use bulwark_guard::Offence;
    let mut g = guard("");
    let body = |validators: Vec<&str>| EventBody::SlashingEvidence {
        chain: "ethereum".into(),
        offence: Offence::DoubleVote,
        validators: validators.into_iter().map(String::from).collect(),
        evidence: "sha256:00ff".into(),
    };
    let out = g.apply(&ev("s1", T0, body(vec!["5", "9"]))).unwrap();
    let alerts: Vec<_> = out
        .decisions
        .iter()
        .filter_map(|d| match d {
            Decision::Alert(a) => Some(a),
            _ => None,
        })
        .collect();
    assert_eq!(alerts.len(), 1, "{out:?}");
    let a = alerts[0];
    assert_eq!((a.severity, a.alert_type), (Severity::Critical, AlertType::Exploit));
    assert_eq!(a.alert_id, "slashing:ethereum:double_vote:5,9");
    assert!(a.description.contains("double vote by validators 5, 9"), "{}", a.description);
    assert!(g.active_alerts().any(|x| x.alert_id == a.alert_id));
    let again = g.apply(&ev("s2", T0 + 1, body(vec!["5", "9"]))).unwrap();
    assert!(!again.decisions.iter().any(|d| matches!(d, Decision::Alert(_))), "deduplicated: {again:?}");
    let bad = g.apply(&ev("s3", T0 + 2, body(vec![])));
    assert!(matches!(bad, Err(GuardError::BadEvidence { .. })), "{bad:?}");
    let json = serde_json::to_value(ev("s4", T0, body(vec!["1"]))).unwrap();
    assert_eq!(json["kind"], "slashing_evidence");
    assert_eq!(json["offence"], "double_vote");
}

/// `[guard.governance]`: its errors name their place, and under `authorization =
/// "multisig"` the requirement takes the Safe's threshold and the timelock's delay.
#[test]
fn governance_section_sets_the_requirement_and_its_errors_are_placed() {
    const GOV: &str = "[guard.governance]\nsafe = \"0x5afe5afe5afe5afe5afe5afe5afe5afe5afe5afe\"\nchain_id = 1\n\
        owners = [\"0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf\", \"0x2B5AD5c4795c026514f8317c7a215E218DcCD6cF\"]\n\
        timelock_address = \"0x7100000000000000000000000000000000000001\"\n\
        guard_address = \"0x6a00000000000000000000000000000000000001\"\n";
    let parse = |guard: &str, gov: &str| {
        let text = format!("[protocol]\nname = \"x\"\n[guard]\n{guard}\n{GOV}{gov}");
        bulwark_spec::parse_str(&text, "spec.toml".as_ref(), ".".as_ref()).map_err(|e| e.to_string())
    };
    let p = parse("authorization = \"multisig\"", "threshold = 2\ndelay = \"2d\"\nmin_delay = \"1d\"").unwrap();
    let config = bulwark_guard::GuardConfig::from_protocol(&p).unwrap();
    assert_eq!(config.requirement, bulwark_guard::Requirement::Multisig { threshold: 2, timelock_ms: 2 * 86_400_000 });
    let gov = p.guard.unwrap().governance.unwrap();
    assert_eq!(gov.owners[0], "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf", "lowercased");
    assert_eq!((gov.safe_version.as_str(), gov.min_delay_s), ("1.3.0", 86_400.0));

    let e = parse("", "threshold = 3\ndelay = \"2d\"").unwrap_err();
    assert!(e.contains("guard.governance.threshold = 3 is out of range: must be at most the 2 owners"), "{e}");
    let e = parse("", "threshold = 1\ndelay = \"1h\"\nmin_delay = \"1d\"").unwrap_err();
    assert!(e.contains("guard.governance.delay = \"1h\" is out of range: must be at least min_delay"), "{e}");
    let e = parse("authorization = \"multisig\"\nthreshold = 1", "threshold = 2\ndelay = \"2d\"").unwrap_err();
    assert!(
        e.contains("spec.toml:5:13: guard.threshold") && e.contains("differs from guard.governance.threshold"),
        "{e}"
    );
    let e = parse("", "threshold = 1\ndelay = \"2d\"\nguardians = [\"0x01\"]").unwrap_err();
    assert!(e.contains("guard.governance.guardians[0] = \"0x01\" is out of range: must be an address"), "{e}");
    let e = parse("", "threshold = 1\ndelay = \"2d\"\nsafe_version = \"1.5.0\"").unwrap_err();
    assert!(e.contains("guard.governance.safe_version"), "{e}");
    let e = parse("", "delay = \"2d\"").unwrap_err();
    assert!(e.contains("guard.governance.threshold is missing"), "{e}");
}
