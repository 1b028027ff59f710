//! The engines against hand-checked scenarios, and against each other.

use std::path::Path;

use bulwark_sim::book::IndexedPosition;
use bulwark_sim::engine::{NoRecord, ReferencePath, Scratch, run_buckets, run_buckets_on, run_exact};
use bulwark_sim::world::{Liquidators, World};

/// WETH (index 0) and USDC (index 1); WETH LT 0.8, bonus 5 %, 10 % protocol fee.
fn protocol(oracle: &str, venue: &str, horizon: &str) -> bulwark_spec::Protocol {
    let text = format!(
        r#"
[protocol]
name = "test"
[assets.WETH]
price = 1000.0
volatility = {{ daily = 0.04 }}
[assets.USDC]
price = 1.0
volatility = {{ daily = 0.001 }}
{venue}
{oracle}
[[markets]]
[markets.reserves.WETH]
ltv = 0.75
liquidation_threshold = 0.8
liquidation_bonus = 0.05
liquidation_protocol_fee = 0.1
[markets.reserves.USDC]
ltv = 0.75
liquidation_threshold = 0.78
liquidation_bonus = 0.045
[markets.positions]
count = 1
total_debt = 700.0
health = {{ median = 1.2, min = 1.1 }}
collateral = {{ WETH = 1.0 }}
debt = {{ USDC = 1.0 }}
[scenario]
horizon = "{horizon}"
step = "1m"
"#
    );
    bulwark_spec::parse_str(&text, Path::new("test.toml"), Path::new(".")).unwrap_or_else(|e| panic!("{e}"))
}

fn one_position(coll: f64, debt: f64) -> Vec<IndexedPosition> {
    vec![IndexedPosition { collateral: vec![(0, coll)], debt: vec![(1, debt)] }]
}

fn free_liquidators() -> Liquidators {
    Liquidators { capital_per_step_usd: f64::INFINITY, gas_usd: 0.0, latency_steps: 0, ..Liquidators::default() }
}

/// Log-returns: WETH moves by `ln(factor)` at `at_step`, nothing else moves.
fn gap_down(world: &World, at_step: usize, factor: f64) -> Vec<f64> {
    let n = world.assets.len();
    let mut r = vec![0.0; world.steps * n];
    r[at_step * n] = factor.ln();
    r
}

#[test]
fn one_position_through_a_gap_down_leaves_the_closed_form_bad_debt() {
    // 1 WETH at 1,000 against 700 USDC (HF 1.143). WETH gaps to 500: HF 0.571 ≤ 0.95, so the
    // whole debt may be repaid, but the collateral covers only 500 / 1.05 = 476.19 of it.
    // Bad debt = 700 − 500/1.05 = 223.8095... (REFERENCES.md §6.1, seizure capped by the balance).
    let p = protocol("", "", "10m");
    let world = World::from_positions(&p, &p.markets[0], one_position(1.0, 700.0), free_liquidators(), true);
    let returns = gap_down(&world, 2, 0.5);
    for outcome in [
        run_buckets(&world, &mut Scratch::default(), &returns, &mut NoRecord),
        run_exact(
            &World::from_positions(&p, &p.markets[0], one_position(1.0, 700.0), free_liquidators(), false),
            &mut Scratch::default(),
            &returns,
            &mut NoRecord,
        ),
    ] {
        let expected = 700.0 - 500.0 / 1.05;
        assert!((outcome.bad_debt_usd - expected).abs() < 1e-9, "{outcome:?}");
        assert!((outcome.realized_bad_debt_usd - expected).abs() < 1e-9);
        assert_eq!(outcome.first_bad_debt_s, Some(180.0));
        assert_eq!((outcome.attempts, outcome.sales), (1, 1), "one liquidation, which took everything");
    }
}

#[test]
fn a_sale_too_large_for_the_pool_is_priced_every_step_and_never_made() {
    // 20 WETH against 14,000 USDC (HF 1.143) gaps to HF 0.571 at step 2. Even a quarter of
    // the debt seizes 3,500 / 500 · 1.05 = 7.35 WETH, whose sale into a 60-WETH pool loses
    // more than the 5 % bonus, so every step from the gap on prices an attempt and none
    // pays: 8 attempts in a 10-step horizon, no sale.
    let p = protocol("", SHALLOW_POOL, "10m");
    for bucketed in [true, false] {
        let world =
            World::from_positions(&p, &p.markets[0], one_position(20.0, 14_000.0), free_liquidators(), bucketed);
        let returns = gap_down(&world, 2, 0.5);
        let run = if bucketed { run_buckets } else { run_exact };
        let outcome = run(&world, &mut Scratch::default(), &returns, &mut NoRecord);
        assert_eq!((outcome.attempts, outcome.sales), (8, 0), "bucketed {bucketed}: {outcome:?}");
        assert_eq!(outcome.liquidated_debt_usd, 0.0, "bucketed {bucketed}");
    }
}

#[test]
fn a_slow_decline_with_a_perfect_oracle_and_deep_liquidity_leaves_no_bad_debt() {
    // WETH falls 0.2 % a minute for a day (−94 %): every step is far smaller than the 5 %
    // bonus, so liquidations keep each position solvent.
    let p = protocol("", "", "24h");
    let positions: Vec<IndexedPosition> =
        (0..50).map(|i| one_position(1.0, 600.0 + 4.0 * f64::from(i)).remove(0)).collect();
    let world = World::from_positions(&p, &p.markets[0], positions, free_liquidators(), true);
    let n = world.assets.len();
    let mut returns = vec![0.0; world.steps * n];
    for s in 0..world.steps {
        returns[s * n] = (0.998f64).ln();
    }
    let outcome = run_buckets(&world, &mut Scratch::default(), &returns, &mut NoRecord);
    assert_eq!(outcome.bad_debt_usd, 0.0, "{outcome:?}");
    assert!(outcome.liquidated_debt_usd > 0.0);
}

fn bad_debt(p: &bulwark_spec::Protocol, factor: f64, liquidators: Liquidators) -> f64 {
    let positions: Vec<IndexedPosition> =
        (0..200).map(|i| one_position(1.0, 500.0 + 1.5 * f64::from(i)).remove(0)).collect();
    let world = World::from_positions(p, &p.markets[0], positions, liquidators, true);
    // A fall to `factor` spread evenly over the first hour.
    let n = world.assets.len();
    let mut returns = vec![0.0; world.steps * n];
    for s in 0..60.min(world.steps) {
        returns[s * n] = factor.ln() / 60.0;
    }
    run_buckets(&world, &mut Scratch::default(), &returns, &mut NoRecord).bad_debt_usd
}

const SHALLOW_POOL: &str = r#"
[[venues]]
kind = "constant_product"
pair = ["WETH", "USDC"]
reserves = [60.0, 60000.0]
fee = 0.003
recovery_half_life = "30m"
"#;

#[test]
fn bad_debt_grows_with_the_shock() {
    let p = protocol("", SHALLOW_POOL, "2h");
    let shocks = [0.8, 0.6, 0.45, 0.3];
    let losses: Vec<f64> = shocks.iter().map(|f| bad_debt(&p, *f, free_liquidators())).collect();
    assert!(losses.windows(2).all(|w| w[0] <= w[1]), "{losses:?}");
    assert!(losses[3] > losses[0], "{losses:?}");
}

#[test]
fn bad_debt_grows_with_oracle_latency_and_with_debt_relative_to_liquidity() {
    let deep = r#"
[[venues]]
kind = "constant_product"
pair = ["WETH", "USDC"]
reserves = [6000.0, 6000000.0]
fee = 0.003
recovery_half_life = "30m"
"#;
    let oracle = |latency: &str| {
        format!("[oracles.WETH]\nkind = \"push\"\nheartbeat = \"1h\"\ndeviation = 0.005\nlatency = \"{latency}\"\n")
    };
    // Latency, on a deep pool: a lagging oracle lets positions sink before anyone may act.
    // Once the lag exceeds the price move the bonus covers, liquidating at the stale
    // price stops paying and every position waits for the oracle: bad debt plateaus, so
    // the check allows 1 % of noise on the plateau.
    let latencies = ["1m", "2m", "3m", "5m", "20m"];
    let by_latency: Vec<f64> =
        latencies.iter().map(|l| bad_debt(&protocol(&oracle(l), deep, "2h"), 0.5, free_liquidators())).collect();
    assert!(by_latency.windows(2).all(|w| w[0] <= w[1] * 1.01), "{by_latency:?}");
    assert!(by_latency[3] > by_latency[0], "{by_latency:?}");
    // Liquidity, with a fresh oracle: the same sales move a shallow pool further.
    let shallow = bad_debt(&protocol(&oracle("1m"), SHALLOW_POOL, "2h"), 0.5, free_liquidators());
    let deep = bad_debt(&protocol(&oracle("1m"), deep, "2h"), 0.5, free_liquidators());
    assert!(shallow > deep, "liquidity: shallow {shallow} vs deep {deep}");
}

/// Records WETH's oracle answer at every step.
struct OracleTrace(Vec<f64>);

impl bulwark_sim::engine::Recorder for OracleTrace {
    fn step(&mut self, _t: f64, _r: &[f64], _m: &[f64], oracle: &[f64], _l: f64, _b: f64) {
        self.0.push(oracle[0]);
    }
}

#[test]
fn a_twap_oracle_averages_the_venue_price_over_its_window() {
    // A 10-minute window of one-minute steps. WETH gaps from 1,000 to 500 at step 2; the
    // price set at a step counts from the next (pre-trade reserves, REFERENCES.md §4.2).
    // Five steps later the arithmetic mean holds 5 × 500 and 5 × 1,000: 750; the
    // geometric mean is √(500 · 1000) = 707.1.
    for (mean, expected) in [("arithmetic", 750.0), ("geometric", (500.0f64 * 1000.0).sqrt())] {
        let venue = "[[venues]]\nname = \"pool\"\nkind = \"constant_product\"\npair = [\"WETH\", \"USDC\"]\nreserves = [1.0e9, 1.0e12]\n";
        let oracle =
            format!("[oracles.WETH]\nkind = \"twap\"\nvenue = \"pool\"\nwindow = \"10m\"\nmean = \"{mean}\"\n");
        let p = protocol(&oracle, venue, "30m");
        let world = World::from_positions(&p, &p.markets[0], one_position(1.0, 100.0), free_liquidators(), true);
        let returns = gap_down(&world, 2, 0.5);
        let mut trace = OracleTrace(Vec::new());
        run_buckets(&world, &mut Scratch::default(), &returns, &mut trace);
        assert!((trace.0[2] - 1000.0).abs() < 1e-9, "the step of the gap still reads the old price");
        assert!((trace.0[7] - expected).abs() < 1e-6 * expected, "{mean}: {:?}", &trace.0[..14]);
        assert!((trace.0[13] - 500.0).abs() < 1e-6, "after a full window the TWAP is the new price");
    }
}

/// Records the reference prices at every step.
struct ReferenceTrace(Vec<Vec<f64>>);

impl bulwark_sim::engine::Recorder for ReferenceTrace {
    fn step(&mut self, _t: f64, reference: &[f64], _m: &[f64], _o: &[f64], _l: f64, _b: f64) {
        self.0.push(reference.to_vec());
    }
}

#[test]
fn a_shared_reference_path_gives_what_each_run_computes_for_itself() {
    // Two worlds on the same prices, one with a shallow pool and one with a deep one, run
    // as a sweep runs them (one path filled once) and each on its own returns.
    let deep = SHALLOW_POOL.replace("[60.0, 60000.0]", "[6000.0, 6000000.0]");
    let worlds: Vec<World> = [SHALLOW_POOL, deep.as_str()]
        .iter()
        .map(|venue| {
            let p = protocol("", venue, "2h");
            let positions = (0..50).map(|i| one_position(1.0, 600.0 + 5.0 * f64::from(i)).remove(0)).collect();
            World::from_positions(&p, &p.markets[0], positions, free_liquidators(), true)
        })
        .collect();
    let n = worlds[0].assets.len();
    let mut returns = vec![0.0; worlds[0].steps * n];
    for s in 0..60 {
        returns[s * n] = 0.6f64.ln() / 60.0;
        returns[s * n + 1] = 0.99f64.ln() / 60.0;
    }
    let shared = ReferencePath::new(&worlds[0], &returns);
    let mut scratch = Scratch::default();
    for w in &worlds {
        assert!(shared.fits(w));
        let (mut alone, mut along) = (ReferenceTrace(Vec::new()), ReferenceTrace(Vec::new()));
        let a = run_buckets(w, &mut scratch, &returns, &mut alone);
        let b = run_buckets_on(w, &mut scratch, &shared, &mut along);
        assert!(a.liquidated_debt_usd > 0.0, "the fall liquidates: {a:?}");
        assert_eq!(a, b);
        assert_eq!(alone.0, along.0);
        // The reference compounds the returns: WETH at 1,000 · 0.6 after the hour.
        assert!((along.0[59][0] - 600.0).abs() < 1e-9, "{}", along.0[59][0]);
    }
    // A world whose initial prices differ reads a path of its own.
    let p = protocol("", SHALLOW_POOL, "2h");
    let mut moved = World::from_positions(&p, &p.markets[0], one_position(1.0, 600.0), free_liquidators(), true);
    moved.assets[0].price0 = 2_000.0;
    assert!(!shared.fits(&moved));
}
