//! The main + elastic buffer limiter (`DeFi-Circuit-Breaker/erc7265`,
//! `docs/Decrease-Limiter.md`): refill, decay, the strict overflow rule, and the
//! flash-loan round trip that cannot exhaust it. Numbers are chosen exactly
//! representable in binary (a 1/16 draw), so that boundaries are exact.

use bulwark_guard::limiter::{ElasticConfig, ElasticLimiter};
use bulwark_guard::{BreakerState, Decision, Event, EventBody, Guard};

const MIN: u64 = 60_000;
const HOUR: u64 = 60 * MIN;

fn limiter(tvl: f64) -> ElasticLimiter {
    let config = ElasticConfig { max_draw: 0.0625, main_window_ms: 16 * HOUR, elastic_window_ms: 16 * MIN };
    ElasticLimiter::new(config, tvl, 0).unwrap()
}

#[test]
fn outflow_of_exactly_the_capacity_passes() {
    let mut l = limiter(1_000_000.0);
    assert_eq!(l.capacity_at(0), 62_500.0);
    let o = l.outflow(62_500.0, 0);
    assert_eq!((o.capacity, o.overflow), (62_500.0, 0.0), "equal to the capacity: no overflow");
    let mut l = limiter(1_000_000.0);
    let o = l.outflow(62_500.5, 0);
    assert_eq!(o.overflow, 0.5, "beyond it by half a token");
}

#[test]
fn main_buffer_refills_linearly_and_elastic_decays_proportionally() {
    let mut l = limiter(1_000_000.0);
    l.outflow(62_500.0, 0);
    // After a quarter of the main window: a quarter of the cap of the new TVL.
    let (main, elastic) = l.buffers_at(4 * HOUR);
    assert_eq!((main, elastic), (937_500.0 * 0.0625 / 4.0, 0.0));
    // Buffers are kept relative to TVL (4096 / 1,004,096 here), so they come back
    // within rounding of the absolute figures.
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b;
    let mut l = limiter(1_000_000.0);
    l.inflow(4096.0, 0);
    assert!(close(l.buffers_at(0).1, 4096.0));
    assert!(close(l.buffers_at(4 * MIN).1, 3072.0), "a quarter of the decay window: 1 − 1/4");
    assert_eq!(l.buffers_at(16 * MIN).1, 0.0);
    assert_eq!(l.buffers_at(20 * MIN).1, 0.0, "never below zero");
}

/// The design note's table: 10M TVL with a 5 % draw (main 0.5M); a 1.2M deposit adds
/// 1.2M of elastic buffer (1.7M short-term capacity); half the decay window later
/// 0.6M is left (1.1M); a full window later none (0.5M). Main refill is made
/// negligible here, as the note ignores it.
#[test]
fn design_note_table() {
    let config = ElasticConfig { max_draw: 0.05, main_window_ms: u64::MAX / 4, elastic_window_ms: 10 * MIN };
    let mut l = ElasticLimiter::new(config, 10_000_000.0, 0).unwrap();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b;
    assert!(close(l.capacity_at(0), 500_000.0));
    l.inflow(1_200_000.0, 0);
    assert!(close(l.capacity_at(0), 1_700_000.0), "{}", l.capacity_at(0));
    assert!(close(l.capacity_at(5 * MIN), 1_100_000.0), "{}", l.capacity_at(5 * MIN));
    assert!(close(l.capacity_at(15 * MIN), 500_000.0), "{}", l.capacity_at(15 * MIN));
}

/// A flash loan borrowed from the protocol and repaid in the same block is an inflow
/// and an outflow of the same size: it cancels in the elastic buffer, so a thousand
/// of them leave the main buffer as it was. Without the elastic buffer (an outflow
/// first, as a drain-then-refund would be) the same amount empties it.
#[test]
fn flash_loan_round_trips_cannot_exhaust_the_limit() {
    let mut l = limiter(1_000_000.0);
    let main_before = l.buffers_at(0).0;
    for i in 0..1000 {
        let t = i * 12_000;
        l.inflow(50_000.0, t);
        let o = l.outflow(50_000.0, t);
        assert_eq!(o.overflow, 0.0);
    }
    assert_eq!(l.buffers_at(1000 * 12_000).0, main_before, "main buffer untouched");
    let mut drained = limiter(1_000_000.0);
    let o = drained.outflow(62_500.0, 0);
    assert_eq!(o.overflow, 0.0);
    drained.inflow(62_500.0, 0);
    assert!(drained.outflow(1.0, 0).overflow == 0.0, "the refund went to the elastic buffer");
    assert_eq!(drained.buffers_at(0).0, 0.0, "but the main buffer was spent");
}

#[test]
fn guard_trips_on_overflow_and_clears_after_refill() {
    let spec = r#"
[protocol]
name = "elastic"
[assets.WETH]
price = 2000.0
volatility = { daily = 0.04 }
[guard.outflow.assets.WETH]
kind = "elastic"
max_draw = 0.0625
main_window = "16h"
elastic_window = "16m"
tvl = 1_000_000
"#;
    let protocol = bulwark_spec::parse_str(spec, "spec.toml".as_ref(), ".".as_ref()).unwrap();
    let mut g = Guard::new(&protocol).unwrap();
    let ev = |id: &str, t, body| Event::new(id, t, body);
    let flow = |amount| EventBody::Outflow { asset: "WETH".into(), amount };
    assert!(g.apply(&ev("a", 0, flow(62_500.0))).unwrap().is_empty(), "exactly the capacity passes");
    let out = g.apply(&ev("b", 0, flow(1.0))).unwrap();
    assert!(matches!(&out.decisions[0], Decision::Breaker(t) if t.to == BreakerState::Tripped), "{out:?}");
    // The main buffer refills over 16 h; the condition clears then, not before.
    g.apply(&ev("c", 16 * HOUR - 1, EventBody::Tick)).unwrap();
    assert_eq!(g.breaker("outflow:WETH").unwrap().state, BreakerState::Tripped);
    let out = g.apply(&ev("d", 16 * HOUR, EventBody::Tick)).unwrap();
    assert!(matches!(&out.decisions[0], Decision::Breaker(t) if matches!(t.to, BreakerState::CoolingDown { .. })));
}
