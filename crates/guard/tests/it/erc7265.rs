//! The scenarios of ERC-7265's reference tests (`vdaubry/DeFi-Circuit-Breaker-EIPs`,
//! `assets/eip-7265/test/core/user/CircuitBreakerUserOps.t.sol`), re-expressed over
//! the limiter and the guard, plus the boundaries that follow from the rule
//! `liqTotal + liqInPeriod < liqTotal · minLiqRetainedBps / 10000` (strict).
//!
//! The reference's setup: `AssetCircuitBreaker(3 days, 4 hours, 5 minutes, admin)`
//! (cooldown, withdrawal period, tick), assets registered with 7000 bps and a limit
//! threshold of 1000e18, and the clock warped to 1 hour. Times here are milliseconds.

use bulwark_guard::limiter::{Erc7265Config, Erc7265Limiter, LimitStatus};
use bulwark_guard::{Authority, BreakerState, Decision, Event, EventBody, Guard, GuardError};

const S: u64 = 1000;
const MIN: u64 = 60 * S;
const HOUR: u64 = 60 * MIN;
const DAY: u64 = 24 * HOUR;
const E18: i128 = 1_000_000_000_000_000_000;

fn limiter() -> Erc7265Limiter {
    Erc7265Limiter::new(Erc7265Config {
        withdrawal_period_ms: 4 * HOUR,
        tick_ms: 5 * MIN,
        min_liq_retained_bps: 7000,
        limit_begin_threshold: 1000 * E18,
    })
    .unwrap()
}

#[test]
fn zero_or_too_many_basis_points_are_refused() {
    let config = |bps| Erc7265Config {
        withdrawal_period_ms: HOUR,
        tick_ms: MIN,
        min_liq_retained_bps: bps,
        limit_begin_threshold: 0,
    };
    assert!(Erc7265Limiter::new(config(0)).is_none());
    assert!(Erc7265Limiter::new(config(10_001)).is_none());
    assert!(Erc7265Limiter::new(config(10_000)).is_some());
}

/// `test_deposit_shouldBeSuccessful`.
#[test]
fn deposits_settle_after_the_withdrawal_period() {
    let mut l = limiter();
    l.record_change(10 * E18, HOUR);
    assert_eq!(l.status(), LimitStatus::Inactive);
    let (head, tail) = l.head_tail().unwrap();
    assert_eq!(head, tail);
    assert_eq!((l.liq_total(), l.liq_in_period()), (0, 10 * E18));
    assert_eq!(l.nodes().collect::<Vec<_>>(), vec![(head, 10 * E18)]);
    l.record_change(110 * E18, HOUR);
    assert_eq!((l.liq_total(), l.liq_in_period()), (0, 120 * E18));
    // All previous deposits are out of the window and settled.
    l.record_change(10 * E18, 10 * HOUR);
    assert_ne!(l.status(), LimitStatus::Triggered);
    assert_eq!((l.liq_total(), l.liq_in_period()), (120 * E18, 10 * E18));
    assert_eq!(l.head_tail(), Some((10 * HOUR, 10 * HOUR)));
    assert_eq!((10 * HOUR) % (5 * MIN), 0);
}

/// `test_clearBacklog_shouldBeSuccessful`: a bounded sync keeps what is younger than
/// the window (deposits of 1 unit at 1 h ... 5 h, cleared at 6.5 h).
#[test]
fn clearing_the_backlog_keeps_the_window() {
    let mut l = limiter();
    for h in 1..=5 {
        l.record_change(1, h * HOUR);
    }
    l.sync(6 * HOUR + 30 * MIN, 10);
    assert_eq!((l.liq_in_period(), l.liq_total()), (3, 2));
    assert_eq!(l.head_tail(), Some((3 * HOUR, 5 * HOUR)));
}

/// `test_withdrawl_shouldBeSuccessful`: below the threshold nothing limits.
#[test]
fn withdrawal_below_the_threshold_is_inactive() {
    let mut l = limiter();
    l.record_change(100 * E18, HOUR);
    l.record_change(-60 * E18, HOUR);
    assert_eq!(l.status(), LimitStatus::Inactive);
    assert_eq!((l.liq_in_period(), l.liq_total()), (40 * E18, 0));
    l.record_change(10 * E18, 10 * HOUR);
    assert_eq!((l.liq_in_period(), l.liq_total()), (10 * E18, 40 * E18));
    assert_eq!(l.head_tail(), Some((10 * HOUR, 10 * HOUR)));
}

/// `test_tokenBreach` and `test_nativeBreach`, with the boundary the rule implies:
/// withdrawing exactly 30 % retains exactly 70 % and does not trigger.
#[test]
fn breach_is_strict_at_the_minimum() {
    for (deposit, limit) in [(1_000_000 * E18, 300_000 * E18), (10_000 * E18, 3_000 * E18)] {
        let mut at_limit = limiter();
        at_limit.record_change(deposit, HOUR);
        at_limit.record_change(-limit, 5 * HOUR);
        assert_eq!(at_limit.status(), LimitStatus::Ok, "retaining exactly the minimum does not trigger");
        assert_eq!(at_limit.liq_total() + at_limit.liq_in_period(), at_limit.min_liq());

        let mut l = limiter();
        l.record_change(deposit, HOUR);
        let withdrawal = limit + E18 / 1000 * 1000; // the reference's 300_001e18 and 3_001e18
        l.record_change(-withdrawal, 5 * HOUR);
        assert_eq!(l.status(), LimitStatus::Triggered);
        assert_eq!((l.liq_in_period(), l.liq_total()), (-withdrawal, deposit));
        // A further withdrawal an hour later: still limited, both in the period.
        let second = deposit / 100;
        l.record_change(-second, 6 * HOUR);
        assert_eq!(l.status(), LimitStatus::Triggered);
        assert_eq!((l.liq_in_period(), l.liq_total()), (-withdrawal - second, deposit));
        // One base unit over the limit triggers too.
        let mut by_one = limiter();
        by_one.record_change(deposit, HOUR);
        by_one.record_change(-limit - 1, 5 * HOUR);
        assert_eq!(by_one.status(), LimitStatus::Triggered);
    }
}

/// The minimum is truncated (Solidity's integer division): with 3 units settled and
/// 7000 bps, the minimum is ⌊2.1⌋ = 2, so retaining 2 does not trigger.
#[test]
fn minimum_is_truncated_like_solidity() {
    let mut l = Erc7265Limiter::new(Erc7265Config {
        withdrawal_period_ms: HOUR,
        tick_ms: MIN,
        min_liq_retained_bps: 7000,
        limit_begin_threshold: 0,
    })
    .unwrap();
    l.record_change(3, 0);
    l.record_change(-1, HOUR);
    assert_eq!((l.liq_total(), l.min_liq()), (3, 2));
    assert_eq!(l.status(), LimitStatus::Ok);
    l.record_change(-1, HOUR);
    assert_eq!(l.status(), LimitStatus::Triggered);
}

/// `test_depositsAndWithdrawlsInSameTickLength`: flows within one tick share a node.
#[test]
fn flows_in_one_tick_share_a_node() {
    let mut l = limiter();
    l.record_change(10 * E18, DAY);
    let (head, _) = l.head_tail().unwrap();
    assert_eq!(head % (5 * MIN), 0);
    l.record_change(10 * E18, DAY + MIN);
    l.record_change(-E18, DAY + MIN);
    assert_eq!(l.nodes().collect::<Vec<_>>(), vec![(head, 19 * E18)]);
    l.record_change(-E18, DAY + 6 * MIN);
    let next = DAY + 6 * MIN - (DAY + 6 * MIN) % (5 * MIN);
    assert_eq!(next % (5 * MIN), 0);
    assert_eq!(l.nodes().collect::<Vec<_>>(), vec![(head, 19 * E18), (next, -E18)]);
    assert_eq!(l.node(next), Some(-E18));
}

/// The reference's quirk, kept: a sync that empties the list at a time that is not a
/// tick boundary leaves head = tail = now, a zero node before the next tick's node.
#[test]
fn emptied_list_restarts_at_now_not_at_the_tick() {
    let mut l = limiter();
    l.record_change(5 * E18, HOUR);
    let now = 10 * HOUR + 2 * MIN + 7 * S;
    l.record_change(E18, now);
    let tick = now - now % (5 * MIN);
    assert_eq!(l.nodes().collect::<Vec<_>>(), vec![(now, 0), (tick, E18)]);
    assert_eq!((l.liq_total(), l.liq_in_period()), (5 * E18, E18));
    // The zero head keeps the tick's node in the window until now + period.
    l.sync(tick + 4 * HOUR, usize::MAX);
    assert_eq!(l.liq_in_period(), E18, "the node behind the zero head waits");
    l.sync(now + 4 * HOUR, usize::MAX);
    assert_eq!((l.liq_total(), l.liq_in_period()), (6 * E18, 0));
}

fn usdc_guard() -> Guard {
    let spec = r#"
[protocol]
name = "erc7265"
[assets.USDC]
price = 1.0
volatility = { daily = 0.001 }
[assets.DAI]
price = 1.0
volatility = { daily = 0.001 }
[guard.outflow]
withdrawal_period = "4h"
tick = "5m"
cooldown = "3d"
[guard.outflow.assets.USDC]
kind = "erc7265"
min_retained = 0.7
limit_begin = 1000
decimals = 0
"#;
    let protocol = bulwark_spec::parse_str(spec, "spec.toml".as_ref(), ".".as_ref()).unwrap();
    Guard::new(&protocol).unwrap()
}

fn ev(id: &str, t: u64, body: EventBody) -> Event {
    Event::new(id, t, body)
}

fn outflow(asset: &str, amount: f64) -> EventBody {
    EventBody::Outflow { asset: asset.into(), amount }
}

fn inflow(asset: &str, amount: f64) -> EventBody {
    EventBody::Inflow { asset: asset.into(), amount }
}

/// `test_deposit_withDrawNoLimitTokenShouldBeSuccessful`: an asset without a limit is
/// never limited.
#[test]
fn unlimited_asset_is_never_limited() {
    let mut g = usdc_guard();
    assert!(g.apply(&ev("d", HOUR, inflow("DAI", 10_000.0))).unwrap().is_empty());
    assert!(g.apply(&ev("w", HOUR, outflow("DAI", 10_000.0))).unwrap().is_empty());
    assert!(g.breaker("outflow:DAI").is_none());
}

/// `test_breachAndLimitExpired`, through the guard: the breach trips the breaker; the
/// limit may be lifted without override once the cooldown (3 days) has passed since
/// it last held, and not a millisecond before.
#[test]
fn breach_trips_and_expires_after_the_cooldown() {
    let mut g = usdc_guard();
    g.apply(&ev("d", HOUR, inflow("USDC", 1_000_000.0))).unwrap();
    let out = g.apply(&ev("w", 5 * HOUR, outflow("USDC", 300_001.0))).unwrap();
    let Decision::Breaker(t) = &out.decisions[0] else { panic!("{out:?}") };
    assert_eq!((t.breaker.as_str(), t.to), ("outflow:USDC", BreakerState::Tripped));
    assert!(matches!(&out.decisions[1], Decision::Alert(a) if a.severity == bulwark_guard::Severity::Critical));
    // The outflow settles 4 hours later (at the 5 h tick + 4 h): the condition clears.
    let out = g.apply(&ev("t", 9 * HOUR, EventBody::Tick)).unwrap();
    let until = 5 * HOUR + 3 * DAY;
    assert!(
        matches!(&out.decisions[0], Decision::Breaker(t) if t.to == BreakerState::CoolingDown { until_ms: until }),
        "{out:?}"
    );
    let reset = |force| EventBody::ResetBreaker {
        breaker: "outflow:USDC".into(),
        force,
        authority: Authority::admin("anyone"),
    };
    let early = g.apply(&ev("r1", until - 1, reset(false)));
    assert!(matches!(early, Err(GuardError::NotReady { until_ms: Some(u), .. }) if u == until), "{early:?}");
    let out = g.apply(&ev("r2", until, reset(false))).unwrap();
    assert!(matches!(&out.decisions[0], Decision::Breaker(t) if t.to == BreakerState::Armed));
    assert_eq!(g.breaker("outflow:USDC").unwrap().state, BreakerState::Armed);
}

/// ERC-7265's admin override (`overrideRateLimit`): any time, with authority and
/// force; it syncs the limiter.
#[test]
fn override_needs_force_while_tripped() {
    let mut g = usdc_guard();
    g.apply(&ev("d", HOUR, inflow("USDC", 1_000_000.0))).unwrap();
    g.apply(&ev("w", 5 * HOUR, outflow("USDC", 300_001.0))).unwrap();
    let reset =
        |force| EventBody::ResetBreaker { breaker: "outflow:USDC".into(), force, authority: Authority::admin("ops") };
    assert!(matches!(g.apply(&ev("r1", 6 * HOUR, reset(false))), Err(GuardError::NotReady { state: "tripped", .. })));
    g.apply(&ev("r2", 6 * HOUR, reset(true))).unwrap();
    assert_eq!(g.breaker("outflow:USDC").unwrap().state, BreakerState::Armed);
    let l = g.erc7265("USDC").unwrap();
    assert_eq!((l.liq_total(), l.liq_in_period()), (1_000_000, -300_001));
}
