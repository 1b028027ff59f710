//! Crisis replays: the 10-minute ETH/USD bars of 12 March 2020 and 19 May 2021
//! (`data/crises/eth_10min`, BerkeleyBlockchain/stablesims) fed to the guard of the
//! bundled example as events.
//!
//! Each bar becomes, at its close (start + 10 min): a venue price at the close (and,
//! in 2021, a second venue, the Uniswap v2 ETH/DAI pool's price from
//! `data/crises/uniswap_v2_eth_dai`), a trade of the bar's volume at the close, an
//! oracle round when the oracle would publish one, and a clock tick.
//!
//! The oracles differ as the protocols of each day did. In 2020 the price is Maker's
//! Oracle Security Module: once an hour it publishes the price of an hour before
//! (REFERENCES.md §6.6: "the OSM oracle lags 1 h"). In 2021 it is a Chainlink push
//! feed as the example configures it: a round when the price moves more than 0.5 %
//! from the last answer, or an hour has passed.

use std::path::PathBuf;

use bulwark_guard::{BreakerState, Decision, Event, EventBody, Guard, Parameter, Reason};
use bulwark_spec::data::crises::{Bar, load_bars};

use crate::repo;

const TEN_MIN_MS: u64 = 600_000;
const HOUR_MS: u64 = 3_600_000;

#[derive(Clone, Copy, PartialEq)]
enum Oracle {
    /// Publishes, on each hour, the price of one hour before.
    Osm,
    /// Publishes when the price deviates more than 0.5 % or an hour has passed.
    Chainlink,
}

fn day(name: &str) -> PathBuf {
    repo().join("data/crises/eth_10min").join(format!("{name}.json"))
}

fn events(name: &str, oracle: Oracle) -> Vec<Event> {
    let bars: Vec<Bar> = load_bars(&day(name)).unwrap();
    let mut out = Vec::new();
    let mut last_answer: Option<(f64, u64)> = None;
    let mut hourly_closes: Vec<(u64, f64)> = vec![(bars[0].start_s as u64 * 1000, bars[0].open)];
    for (i, bar) in bars.iter().enumerate() {
        let t = bar.start_s as u64 * 1000 + TEN_MIN_MS;
        let id = |what: &str| format!("{name}/{i}/{what}");
        out.push(Event::new(
            id("venue"),
            t,
            EventBody::VenuePrice { asset: "WETH".into(), venue: "cex".into(), price: bar.close },
        ));
        out.push(Event::new(
            id("trade"),
            t,
            EventBody::Trade { market: "ETH-USD".into(), size: bar.volume, price: bar.close },
        ));
        let publish = match oracle {
            Oracle::Osm => {
                if t.is_multiple_of(HOUR_MS) {
                    hourly_closes.push((t, bar.close));
                    // The price as of one hour before this one.
                    hourly_closes.iter().rev().find(|(ht, _)| *ht + HOUR_MS <= t).map(|(_, p)| *p)
                } else {
                    None
                }
            }
            Oracle::Chainlink => match last_answer {
                Some((p, at)) if (bar.close / p - 1.0).abs() <= 0.005 && t - at < HOUR_MS => None,
                _ => Some(bar.close),
            },
        };
        if let Some(price) = publish {
            last_answer = Some((price, t));
            out.push(Event::new(
                id("round"),
                t,
                EventBody::OracleRound { asset: "WETH".into(), price, round_time_ms: t },
            ));
        }
        out.push(Event::new(id("tick"), t, EventBody::Tick));
    }
    out
}

const MARKET: &str = "Aave v3 Ethereum (Core)";

/// Every decision with the bar it came at: `(bar index, "HH:MM" of the bar's close, decision)`.
fn replay(name: &str, oracle: Oracle) -> (Guard, Vec<(usize, String, Decision)>) {
    let protocol = bulwark_spec::load(&repo().join("examples/aave-v3-ethereum.toml")).unwrap();
    let mut guard = Guard::new(&protocol).unwrap();
    let mut decisions = Vec::new();
    for e in events(name, oracle) {
        let bar: usize = e.id.split('/').nth(1).unwrap().parse().unwrap();
        let close_s = (e.time_ms / 1000) % 86_400;
        let clock = format!("{:02}:{:02}", close_s / 3600, (close_s % 3600) / 60);
        for d in guard.apply(&e).unwrap().decisions {
            decisions.push((bar, clock.clone(), d));
        }
        // The bundled calibration never moves WETH's parameters on these days (below).
        let target = guard.controller(MARKET, "WETH").unwrap().target(guard.reserve(MARKET, "WETH").unwrap());
        assert_eq!(target.ltv_bps, 8050, "{name} bar {bar}: SmartLTV {}", target.smart_ltv);
    }
    (guard, decisions)
}

/// The trips, `(bar, close time, breaker)`, in order.
fn trips(decisions: &[(usize, String, Decision)]) -> Vec<(usize, &str, &str)> {
    decisions
        .iter()
        .filter_map(|(bar, clock, d)| match d {
            Decision::Breaker(t) if t.to == BreakerState::Tripped => Some((*bar, clock.as_str(), t.breaker.as_str())),
            _ => None,
        })
        .collect()
}

fn first_reason<'a>(decisions: &'a [(usize, String, Decision)], breaker: &str) -> &'a Reason {
    decisions
        .iter()
        .find_map(|(_, _, d)| match d {
            Decision::Breaker(t) if t.breaker == breaker && t.to == BreakerState::Tripped => t.reason.as_ref(),
            _ => None,
        })
        .unwrap()
}

/// 12 March 2020, with Maker's one-hour-delayed OSM price as the oracle.
///
/// - 01:30 (bar 8): `oracle_stale:WBTC` and `oracle_stale:wstETH`. The replay feeds
///   no rounds for them; their limit is the 1 h heartbeat + 10 min, counted from the
///   first event at 00:10, and 01:20 is not beyond it (strict), so the first event
///   after, 01:30, trips. WETH's OSM publishes hourly and never goes stale.
/// - 01:50 (bar 10): `oracle_deviation:WETH`. From the 01:40 close the market is more
///   than 3 % below the OSM's 195.21 (the 00:00 price, published at 01:00); at the
///   01:50 close (188.57, 3.5 % below) that has lasted past the 5-minute grace.
/// - 06:40 (bar 39): the first selloff. 2,655 ETH traded in the bar, robust z 15.4
///   against the morning's median 169 ETH (MAD 109): `anomaly:trade_size`; the
///   10-minute volume bucket closes one bar later, 06:50.
/// - 10:30 to 11:00, the crash: the deviation trips again at 10:30 (bar 62) and
///   reaches 26.6 % at 11:00; the 10,790 ETH bar trips trade size at 10:40 (z 43.5);
///   the −14.6 % ten-minute move of the 10:50–11:00 bar trips `anomaly:price_move`
///   at 11:00 (z −17.44, as `replay_scores.py` computes independently).
/// - 23:20 to 23:40: the evening's second leg (−8.5 % in the 23:10–23:20 bar, 7,059
///   ETH) trips the deviation and the trade size again.
#[test]
fn twelve_march_2020_trips_where_the_crash_is() {
    let (guard, decisions) = replay("03-12-2020", Oracle::Osm);
    let expected = vec![
        (8, "01:30", "oracle_stale:WBTC"),
        (8, "01:30", "oracle_stale:wstETH"),
        (10, "01:50", "oracle_deviation:WETH"),
        (39, "06:40", "oracle_deviation:WETH"),
        (39, "06:40", "anomaly:trade_size:ETH-USD"),
        (40, "06:50", "anomaly:volume:ETH-USD"),
        (42, "07:10", "anomaly:trade_size:ETH-USD"),
        (43, "07:20", "anomaly:volume:ETH-USD"),
        (62, "10:30", "oracle_deviation:WETH"),
        (63, "10:40", "anomaly:trade_size:ETH-USD"),
        (64, "10:50", "anomaly:volume:ETH-USD"),
        (65, "11:00", "anomaly:price_move:ETH-USD"),
        (67, "11:20", "anomaly:trade_size:ETH-USD"),
        (68, "11:30", "anomaly:volume:ETH-USD"),
        (74, "12:30", "oracle_deviation:WETH"),
        (82, "13:50", "oracle_deviation:WETH"),
        (88, "14:50", "oracle_deviation:WETH"),
        (90, "15:10", "oracle_deviation:WETH"),
        (123, "20:40", "oracle_deviation:WETH"),
        (139, "23:20", "oracle_deviation:WETH"),
        (140, "23:30", "anomaly:trade_size:ETH-USD"),
        (141, "23:40", "anomaly:volume:ETH-USD"),
    ];
    assert_eq!(trips(&decisions), expected);
    let Reason::OracleDeviation { oracle_price, market_price, .. } = first_reason(&decisions, "oracle_deviation:WETH")
    else {
        panic!()
    };
    assert_eq!((*oracle_price, *market_price), (195.21, 188.57));
    let Reason::Anomaly { z, .. } = first_reason(&decisions, "anomaly:price_move:ETH-USD") else { panic!() };
    assert!((z - -17.44032999795134).abs() < 1e-9, "{z}"); // replay_scores.py
    let worst = decisions
        .iter()
        .filter_map(|(_, _, d)| match d {
            Decision::Alert(a) if a.alert_id == "oracle_deviation:WETH" => Some(a.score),
            _ => None,
        })
        .fold(0.0, f64::max);
    assert!((worst - 0.26594392523364485).abs() < 1e-12, "169.32 against 133.75 at 11:00: {worst}");
    assert!(guard.market_status(MARKET).unwrap().borrowing_frozen, "nothing re-arms without a command");
    assert!(decisions.iter().all(|(_, _, d)| !matches!(d, Decision::Parameter(_) | Decision::Proposal(_))));
    let v = guard.controller(MARKET, "WETH").unwrap().volatility();
    assert_eq!(v.samples, 23);
    assert!(v.daily > 0.2, "{v:?}");
}

/// 19 May 2021, with a Chainlink-like feed that follows the market within 0.5 %: the
/// oracle never deviates, and the order-flow breakers carry the day.
///
/// - 01:30 (bar 8): the unfed WBTC and wstETH feeds go stale, as on 12 March.
/// - 11:30 (bar 68): 3,945 ETH in the 11:20–11:30 bar, the day's largest, trips
///   `anomaly:trade_size`; the volume bucket closes at 11:40.
/// - 13:10 (bar 78): the 13:00–13:10 bar closes at 1,944.91, −17.6 % in ten minutes
///   (z −14.81 against the day's median move −0.41 %, MAD 0.78 %: `replay_scores.py`):
///   `anomaly:price_move`. The −7.2 % bar at 12:50 scores only −6.0 and does not trip.
#[test]
fn nineteen_may_2021_trips_on_order_flow() {
    let (guard, decisions) = replay("05-19-2021", Oracle::Chainlink);
    let expected = vec![
        (8, "01:30", "oracle_stale:WBTC"),
        (8, "01:30", "oracle_stale:wstETH"),
        (68, "11:30", "anomaly:trade_size:ETH-USD"),
        (69, "11:40", "anomaly:volume:ETH-USD"),
        (78, "13:10", "anomaly:price_move:ETH-USD"),
    ];
    assert_eq!(trips(&decisions), expected);
    let Reason::Anomaly { z, median, mad, .. } = first_reason(&decisions, "anomaly:price_move:ETH-USD") else {
        panic!()
    };
    // replay_scores.py: -14.810083827475315, median -0.004063168062149751, MAD 0.007831066402131041.
    assert!((z - -14.810083827475315).abs() < 1e-9, "{z}");
    assert!((median - -0.004063168062149751).abs() < 1e-15 && (mad - 0.007831066402131041).abs() < 1e-15);
    assert!(guard.breaker("oracle_deviation:WETH").unwrap().state == BreakerState::Armed);
    assert!(guard.breaker("oracle_stale:WETH").unwrap().state == BreakerState::Armed);
    assert!(decisions.iter().all(|(_, _, d)| !matches!(d, Decision::Parameter(c) if c.parameter == Parameter::Ltv)));
}

/// The adaptive controller on both days, calibrated for a riskier asset (`r = 3`,
/// `c = 1/3`) with an hourly debounce; everything else as the bundled example (50 bps
/// per move; `l/d` = $260M of depth within the 5 % bonus against $1.25B of debt
/// backed by WETH, √(l/d) = 0.456).
///
/// 12 March 2020: at 12:00 the OSM publishes 133.75 (the 11:00 price) after 169.32,
/// an hourly return of −23.6 %; the EWMA's daily volatility jumps to 0.278 and
/// SmartLTV to exp(−0.278/(3·0.456)) − 0.05 = 0.766. LTV and LT then tighten on their
/// own by one steward step (50 bps) an hour, 12:00 to 15:00, and reach the target
/// (78.04 %, LT 80.54 %) at 16:00. No loosening is proposed the same day (the target
/// must stay looser for a day). 19 May 2021: the Chainlink feed's hourly returns keep
/// SmartLTV above 80.5 %: no move.
#[test]
fn controller_tightens_on_12_march_2020_with_a_riskier_calibration() {
    let mut moves = Vec::new();
    for (name, oracle) in [("03-12-2020", Oracle::Osm), ("05-19-2021", Oracle::Chainlink)] {
        let protocol = bulwark_spec::load(&repo().join("examples/aave-v3-ethereum.toml")).unwrap();
        let mut config = bulwark_guard::GuardConfig::from_protocol(&protocol).unwrap();
        for c in config.reserves.iter_mut().filter_map(|r| r.controller.as_mut()) {
            c.confidence = 1.0 / 3.0;
            c.ltv_bound.min_delay_ms = HOUR_MS;
            c.lt_bound.min_delay_ms = HOUR_MS;
        }
        let mut guard = Guard::from_config(config).unwrap();
        for e in events(name, oracle) {
            for d in guard.apply(&e).unwrap().decisions {
                match d {
                    Decision::Parameter(c) if c.asset == "WETH" => {
                        let s = (c.at_ms / 1000) % 86_400;
                        moves.push((name, format!("{:02}:{:02}", s / 3600, s % 3600 / 60), c.parameter, c.to_bps));
                        assert_eq!(c.direction, bulwark_guard::Direction::Tighten);
                    }
                    Decision::Proposal(c) => panic!("{c:?}"),
                    _ => {}
                }
            }
        }
    }
    let day = "03-12-2020";
    let expected: Vec<_> = [("12:00", 8000, 8250), ("13:00", 7950, 8200), ("14:00", 7900, 8150), ("15:00", 7850, 8100)]
        .into_iter()
        .chain([("16:00", 7804, 8054)])
        .flat_map(|(at, ltv, lt)| {
            [(day, at.to_string(), Parameter::Ltv, ltv), (day, at.to_string(), Parameter::LiquidationThreshold, lt)]
        })
        .collect();
    assert_eq!(moves, expected);
}
