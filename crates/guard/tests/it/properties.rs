//! Properties over arbitrary event sequences on the bundled example: the guard only
//! tightens without sufficient authority, and a snapshot restored and fed the rest of
//! a stream ends where feeding the whole stream would.

use std::sync::OnceLock;

use bulwark_guard::{Authority, BreakerState, Decision, Direction, Event, EventBody, Guard, Parameter, Requirement};
use proptest::prelude::*;

use crate::repo;

const ASSETS: [&str; 5] = ["WETH", "WBTC", "wstETH", "USDC", "USDT"];
const PRICES: [f64; 5] = [2447.42, 69_895.83, 2897.11, 1.0, 1.0];
const MARKET: &str = "Aave v3 Ethereum (Core)";
const T0: u64 = 1_700_000_000_000;

/// The bundled example under a multisig requirement: admin tokens cannot loosen.
fn base() -> &'static Guard {
    static GUARD: OnceLock<Guard> = OnceLock::new();
    GUARD.get_or_init(|| {
        let protocol = bulwark_spec::load(&repo().join("examples/aave-v3-ethereum.toml")).unwrap();
        let mut config = bulwark_guard::GuardConfig::from_protocol(&protocol).unwrap();
        config.requirement = Requirement::Multisig { threshold: 4, timelock_ms: 86_400_000 };
        Guard::from_config(config).unwrap()
    })
}

#[derive(Debug, Clone)]
enum Step {
    Flow(usize, f64, bool),
    Round(usize, f64),
    Venue(usize, usize, f64),
    Trade(f64, f64),
    Tvl(f64),
    Tick,
    Recommend(f64),
    Pause,
    Unpause,
    Reset(usize, bool),
    Set(bool, u32),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..5usize, 0.0..3.0e6f64, any::<bool>()).prop_map(|(a, x, out)| Step::Flow(a, x, out)),
        (0..5usize, 0.5..1.5f64).prop_map(|(a, f)| Step::Round(a, f)),
        (0..5usize, 0..3usize, 0.5..1.5f64).prop_map(|(a, v, f)| Step::Venue(a, v, f)),
        (0.0..100.0f64, 0.8..1.2f64).prop_map(|(s, f)| Step::Trade(s, f)),
        (1.0e8..1.0e10f64).prop_map(Step::Tvl),
        Just(Step::Tick),
        (0.3..0.8f64).prop_map(Step::Recommend),
        Just(Step::Pause),
        Just(Step::Unpause),
        (0..40usize, any::<bool>()).prop_map(|(b, f)| Step::Reset(b, f)),
        (any::<bool>(), 5000..9000u32).prop_map(|(lt, v)| Step::Set(lt, v)),
    ]
}

fn events(steps: &[(u64, Step)]) -> Vec<Event> {
    let admin = || Authority::admin("ops");
    let names: Vec<String> = base().breakers().iter().map(|b| b.name.clone()).collect();
    let mut t = T0;
    steps
        .iter()
        .enumerate()
        .map(|(i, (dt, s))| {
            t += dt;
            let body = match s.clone() {
                Step::Flow(a, amount, true) => EventBody::Outflow { asset: ASSETS[a].into(), amount },
                Step::Flow(a, amount, false) => EventBody::Inflow { asset: ASSETS[a].into(), amount },
                Step::Round(a, f) => {
                    EventBody::OracleRound { asset: ASSETS[a].into(), price: PRICES[a] * f, round_time_ms: t }
                }
                Step::Venue(a, v, f) => {
                    EventBody::VenuePrice { asset: ASSETS[a].into(), venue: format!("v{v}"), price: PRICES[a] * f }
                }
                Step::Trade(size, f) => EventBody::Trade { market: "ETH-USD".into(), size, price: PRICES[0] * f },
                Step::Tvl(v) => EventBody::Tvl { market: MARKET.into(), value_usd: v },
                Step::Tick => EventBody::Tick,
                Step::Recommend(ltv) => EventBody::Recommendation {
                    market: MARKET.into(),
                    asset: "WETH".into(),
                    ltv,
                    liquidation_threshold: ltv + 0.02,
                },
                Step::Pause => EventBody::Pause { market: MARKET.into(), authority: admin() },
                Step::Unpause => EventBody::Unpause { market: MARKET.into(), authority: admin() },
                Step::Reset(b, force) => {
                    EventBody::ResetBreaker { breaker: names[b % names.len()].clone(), force, authority: admin() }
                }
                Step::Set(lt, value_bps) => EventBody::SetParameter {
                    market: MARKET.into(),
                    asset: "WETH".into(),
                    parameter: if lt { Parameter::LiquidationThreshold } else { Parameter::Ltv },
                    value_bps,
                    authority: admin(),
                },
            };
            Event::new(format!("e{i}"), t, body)
        })
        .collect()
}

fn steps() -> impl Strategy<Value = Vec<(u64, Step)>> {
    prop::collection::vec((0..3_600_000u64, step()), 1..120)
}

/// The tighten-only property is not vacuous: the same generator, under a requirement
/// that the admin token meets, does re-arm breakers and raise parameters.
#[test]
fn the_generator_reaches_loosening_when_authority_suffices() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let protocol = bulwark_spec::load(&repo().join("examples/aave-v3-ethereum.toml")).unwrap();
    let admin = Guard::new(&protocol).unwrap();
    let (mut rearmed, mut raised) = (0, 0);
    for _ in 0..64 {
        let steps = steps().new_tree(&mut runner).unwrap().current();
        let mut g = admin.clone();
        for e in events(&steps) {
            if let Ok(out) = g.apply(&e) {
                for d in out.decisions {
                    match d {
                        Decision::Breaker(t) if t.to == BreakerState::Armed => rearmed += 1,
                        Decision::Parameter(c) if c.direction == Direction::Loosen => raised += 1,
                        _ => {}
                    }
                }
            }
        }
    }
    assert!(rearmed > 0 && raised > 0, "re-armed {rearmed}, raised {raised}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Without an authority meeting the requirement, no event raises a parameter or
    /// takes a breaker out of force; every parameter change is a tightening.
    #[test]
    fn guard_only_tightens_without_authority(steps in steps()) {
        let mut g = base().clone();
        for e in events(&steps) {
            let before = g.clone();
            let result = g.apply(&e);
            for (old, new) in before.parameters().zip(g.parameters()) {
                prop_assert!(new.ltv_bps <= old.ltv_bps, "{e:?} raised LTV");
                prop_assert!(new.liquidation_threshold_bps <= old.liquidation_threshold_bps, "{e:?} raised LT");
            }
            for (old, new) in before.breakers().iter().zip(g.breakers()) {
                prop_assert!(!(old.state.in_force() && new.state == BreakerState::Armed), "{e:?} re-armed {}", new.name);
            }
            if let Ok(out) = result {
                for d in &out.decisions {
                    if let Decision::Parameter(c) = d {
                        prop_assert_eq!(c.direction, Direction::Tighten);
                    }
                }
            }
        }
    }

    /// Snapshot → restore (through JSON) → apply the rest equals applying everything:
    /// the same outcomes and the same final state.
    #[test]
    fn snapshot_restore_continue_equals_continuing(steps in steps(), cut in 0.0..1.0f64) {
        let events = events(&steps);
        let k = ((events.len() as f64) * cut) as usize;
        let mut whole = base().clone();
        let mut split = base().clone();
        for e in &events[..k] {
            let _ = whole.apply(e);
            let _ = split.apply(e);
        }
        let snapshot = serde_json::to_string(&split).unwrap();
        let mut restored: Guard = serde_json::from_str(&snapshot).unwrap();
        prop_assert!(restored == split);
        for e in &events[k..] {
            prop_assert_eq!(whole.apply(e), restored.apply(e));
        }
        prop_assert!(whole == restored);
        prop_assert_eq!(serde_json::to_string(&whole).unwrap(), serde_json::to_string(&restored).unwrap());
    }
}
