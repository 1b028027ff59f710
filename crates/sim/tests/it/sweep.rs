//! Sweeps: axes as users write them, grid and one-at-a-time layouts, the tidy table, and
//! common random numbers (neighbouring points differ only by the parameter).

use std::path::PathBuf;

use bulwark_sim::run::EngineKind;
use bulwark_sim::sweep::{Axis, SpecText, SweepError, SweepMode, SweepOptions, evaluate, layout, sweep};

/// A small market that a test can simulate in a second: WETH against USDC, a 25 % crash
/// over an hour in a 6-hour horizon of 5-minute steps, a shallow pool, 2,000 positions.
pub(crate) const SMALL: &str = r#"
[protocol]
name = "small"
[assets.WETH]
price = 2000.0
volatility = { daily = 0.05 }
[assets.USDC]
price = 1.0
volatility = { daily = 0.001 }
[[venues]]
kind = "constant_product"
pair = ["WETH", "USDC"]
reserves = [20000.0, 40000000.0]
fee = 0.003
recovery_half_life = "30m"
[oracles.WETH]
kind = "push"
heartbeat = "1h"
deviation = 0.005
latency = "12s"
[[markets]]
name = "small market"
[markets.reserves.WETH]
ltv = 0.70
liquidation_threshold = 0.80
liquidation_bonus = 0.05
liquidation_protocol_fee = 0.1
[markets.reserves.USDC]
ltv = 0.0
liquidation_threshold = 0.0
liquidation_bonus = 0.0
[markets.positions]
count = 2000
total_debt = 5.0e7
health = { median = 1.6, min = 1.02, spread = 0.6 }
collateral = { WETH = 1.0 }
debt = { USDC = 1.0 }
seed = 3
[scenario]
horizon = "6h"
step = "5m"
seed = 7
shocks = [{ asset = "WETH", drop = 0.25, at = "1h", over = "1h" }]
liquidators = { capital = 5.0e6, latency = "12s", gas = 500000, gas_price = 50 }
"#;

pub(crate) fn small() -> SpecText {
    SpecText { text: SMALL.to_string(), file: PathBuf::from("small.toml"), base: PathBuf::from(".") }
}

fn opts(paths: u64) -> SweepOptions {
    SweepOptions { paths, seed: 7, engine: EngineKind::Buckets, market: 0 }
}

#[test]
fn axes_read_ranges_lists_durations_and_percentages() {
    let a: Axis = "markets[0].liquidation_threshold=0.70..0.90:9".parse().unwrap();
    assert_eq!(a.values.len(), 9);
    assert!((a.values[4].number - 0.80).abs() < 1e-12);
    assert_eq!(a.values[0].text, "0.7");
    let a: Axis = "oracles.WETH.latency=0s..1h:7".parse().unwrap();
    assert!(a.duration);
    assert_eq!(a.values[6].number, 3600.0);
    assert_eq!(a.values[1].text, "\"600s\"");
    let a: Axis = "markets[0].positions.count=100,200,400".parse().unwrap();
    assert_eq!(a.values[2].text, "400");
    let a: Axis = "markets[0].reserves.WETH.liquidation_bonus=4%,6%".parse().unwrap();
    assert!((a.values[1].number - 0.06).abs() < 1e-12);
    for bad in ["x", "a.b=1..2", "a.b=1..2:1", "a.b=1s..2:3", "a.b=fish", "a..b=1,2", "a.b=1s,2"] {
        assert!(bad.parse::<Axis>().is_err(), "{bad} should be rejected");
    }
}

#[test]
fn layouts_cover_the_grid_and_one_axis_at_a_time() {
    let a: Axis = "x.y=1..3:3".parse().unwrap();
    let b: Axis = "x.z=1,2".parse().unwrap();
    let grid = layout(&[a.clone(), b.clone()], SweepMode::Grid);
    assert_eq!(grid.len(), 6);
    assert_eq!(grid[1], vec![Some(0), Some(1)], "the last axis varies fastest");
    let oat = layout(&[a, b], SweepMode::OneAtATime);
    assert_eq!(oat.len(), 1 + 3 + 2);
    assert_eq!(oat[0], vec![None, None]);
}

#[test]
fn a_two_axis_grid_gives_a_tidy_table_and_shares_one_price_model() {
    let axes: Vec<Axis> = vec![
        "markets[0].reserves.WETH.liquidation_threshold=0.72..0.88:3".parse().unwrap(),
        "oracles.WETH.latency=0s..1h:2".parse().unwrap(),
    ];
    let r = sweep(&small(), &axes, SweepMode::Grid, &opts(64), &|_, _| {}).unwrap();
    assert_eq!(r.points.len(), 6);
    assert_eq!(r.price_models, 1, "neither axis touches the prices");
    let csv = r.to_csv();
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("markets[0].reserves.WETH.liquidation_threshold,oracles.WETH.latency,"));
    assert_eq!(lines.count(), 6);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["points"][5]["values"][1], 3600.0);
    // Risk grows with the threshold (less collateral per dollar at the same health) at both latencies.
    for lat in 0..2 {
        let col: Vec<f64> = (0..3).map(|i| r.points[i * 2 + lat].metrics.bad_debt_mean_usd).collect();
        assert!(col.windows(2).all(|w| w[0] <= w[1]), "{col:?}");
    }
    // A volatility axis changes the price model: one model per value.
    let vol: Vec<Axis> = vec!["assets.WETH.volatility.daily=0.03,0.06".parse().unwrap()];
    let r = sweep(&small(), &vol, SweepMode::Grid, &opts(16), &|_, _| {}).unwrap();
    assert_eq!(r.price_models, 2);
}

/// Sample variance.
fn variance(x: &[f64]) -> f64 {
    let m = x.iter().sum::<f64>() / x.len() as f64;
    x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64
}

#[test]
fn common_random_numbers_make_neighbouring_points_differ_smoothly() {
    let axis: Axis = "markets[0].reserves.WETH.liquidation_threshold=0.78,0.80".parse().unwrap();
    let spec = small();
    let protocols: Vec<_> = (0..2).map(|i| spec.protocol(&[axis.at(i).unwrap()]).unwrap()).collect();
    let mean = |p: usize, seed: u64| {
        let o = SweepOptions { seed, ..opts(100) };
        evaluate(std::slice::from_ref(&protocols[p]), &o, &|_, _| {}).unwrap().0[0].bad_debt.mean
    };
    // The difference between neighbours, over 6 replications: with the same seed at both
    // points (CRN), and with a seed of its own at each point.
    let crn: Vec<f64> = (0..6).map(|r| mean(1, 100 + r) - mean(0, 100 + r)).collect();
    let independent: Vec<f64> = (0..6).map(|r| mean(1, 200 + 2 * r) - mean(0, 201 + 2 * r)).collect();
    assert!(crn.iter().all(|d| *d >= 0.0), "with CRN a higher threshold never lowers bad debt: {crn:?}");
    assert!(
        variance(&crn) < 0.1 * variance(&independent),
        "variance of the neighbour difference: CRN {} vs independent {} ({crn:?} / {independent:?})",
        variance(&crn),
        variance(&independent)
    );
    // Batched or alone, a point gives the same figures: the draws per path do not depend on
    // the other points.
    let (batched, models) = evaluate(&protocols, &SweepOptions { seed: 100, ..opts(100) }, &|_, _| {}).unwrap();
    assert_eq!(models, 1);
    assert_eq!(batched[1].bad_debt.mean, mean(1, 100));
}

#[test]
fn an_invalid_point_is_named() {
    let axes: Vec<Axis> = vec!["markets[0].reserves.WETH.liquidation_threshold=0.60,0.80".parse().unwrap()];
    let err = sweep(&small(), &axes, SweepMode::Grid, &opts(8), &|_, _| {}).unwrap_err();
    assert!(matches!(err, SweepError::Point { .. }), "{err}");
    assert!(err.to_string().contains("liquidation_threshold=0.6"), "{err}");
    let axes: Vec<Axis> = vec!["oracles.WBTC.latency=1s,2s".parse().unwrap()];
    let err = sweep(&small(), &axes, SweepMode::Grid, &opts(8), &|_, _| {}).unwrap_err();
    assert!(err.to_string().contains("oracles.WBTC") && err.to_string().contains("WETH"), "{err}");
}

/// Ishigami's function, `sin x1 + a sin² x2 + b x3⁴ sin x1` on [−π, π]³ (Ishigami and
/// Homma, 1990), the standard test of Sobol estimators.
fn ishigami(x: &[f64], a: f64, b: f64) -> f64 {
    x[0].sin() + a * x[1].sin().powi(2) + b * x[2].powi(4) * x[0].sin()
}

#[test]
fn sobol_indices_of_the_ishigami_function_match_the_analytic_values() {
    use bulwark_sim::sobol::{saltelli_design, sobol_indices};
    use std::f64::consts::PI;
    let (a, b) = (7.0, 0.1);
    // Analytic variances (Saltelli et al., "Global Sensitivity Analysis. The Primer",
    // Wiley 2008, §4.9; also Sobol' and Levitan 1999): V1 = ½(1 + bπ⁴/5)², V2 = a²/8,
    // V3 = 0, V13 = b²π⁸(1/18 − 1/50), V = V1 + V2 + V13. With a = 7, b = 0.1:
    // S = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437).
    let v1 = 0.5 * (1.0 + b * PI.powi(4) / 5.0).powi(2);
    let v2 = a * a / 8.0;
    let v13 = b * b * PI.powi(8) * (1.0 / 18.0 - 1.0 / 50.0);
    let v = v1 + v2 + v13;
    let first = [v1 / v, v2 / v, 0.0];
    let total = [(v1 + v13) / v, v2 / v, v13 / v];
    assert!((first[0] - 0.3139).abs() < 1e-4 && (total[2] - 0.2437).abs() < 1e-4, "{first:?} {total:?}");
    let n = 20_000;
    let design = saltelli_design(3, n, 11);
    let y: Vec<f64> =
        design.iter().map(|u| ishigami(&u.iter().map(|x| -PI + 2.0 * PI * x).collect::<Vec<_>>(), a, b)).collect();
    let s = sobol_indices(&y, 3, n, 100, 11);
    assert_eq!(s.evaluations, 5 * n);
    for i in 0..3 {
        let (f, t) = (s.first[i], s.total[i]);
        assert!((f.value - first[i]).abs() < 0.03, "S{} = {} vs {}", i + 1, f.value, first[i]);
        assert!((t.value - total[i]).abs() < 0.03, "ST{} = {} vs {}", i + 1, t.value, total[i]);
        assert!(f.low <= f.value && f.value <= f.high && t.low <= t.value && t.value <= t.high);
        // The 95 % intervals cover the analytic values (widened by the estimate's own error).
        assert!(f.low - 0.01 <= first[i] && first[i] <= f.high + 0.01, "S{}: {f:?} vs {}", i + 1, first[i]);
        assert!(t.low - 0.01 <= total[i] && total[i] <= t.high + 0.01, "ST{}: {t:?} vs {}", i + 1, total[i]);
    }
}

#[test]
fn sobol_on_the_small_market_gives_finite_indices_with_intervals() {
    use bulwark_sim::sobol::{Input, SobolMetric, sobol_of_spec};
    let inputs: Vec<Input> = [
        "markets[0].reserves.WETH.liquidation_threshold=0.72..0.90",
        "scenario.liquidators.capital=1_000_000..20_000_000",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    assert!(inputs[1].integer && !inputs[0].integer);
    let a = sobol_of_spec(&small(), &inputs, 24, SobolMetric::BadDebtMean, &opts(24), &|_, _| {}).unwrap();
    assert_eq!(a.evaluations, 24 * 4);
    assert_eq!(a.market, "small market");
    for i in &a.inputs {
        for e in [i.first, i.total] {
            assert!(e.value.is_finite() && e.low <= e.value && e.value <= e.high, "{}: {e:?}", i.input.path);
        }
    }
    let b = sobol_of_spec(&small(), &inputs, 24, SobolMetric::BadDebtMean, &opts(24), &|_, _| {}).unwrap();
    assert_eq!(a, b, "the same seed gives the same indices");
}

#[test]
fn sobol_inputs_read_ranges_and_refuse_lists() {
    use bulwark_sim::sobol::{Input, SobolError, check_design};
    let i: Input = "oracles.WETH.latency=0s..1h:7".parse().unwrap();
    assert!(i.duration && i.low == 0.0 && i.high == 3600.0, "{i:?}");
    assert_eq!(i.at(0.5).1.to_string(), "oracles.WETH.latency=\"1800s\"");
    let i: Input = "markets[0].reserves.WETH.ltv=5%..20%".parse().unwrap();
    assert!((i.low - 0.05).abs() < 1e-12 && (i.high - 0.2).abs() < 1e-12 && !i.integer);
    let i: Input = "markets[0].positions.count=100..200".parse().unwrap();
    assert_eq!(i.at(0.333).1.to_string(), "markets[0].positions.count=133");
    for (bad, says) in [
        ("markets[0].reserves.WETH.ltv=0.7,0.8", "not a list"),
        ("markets[0].reserves.WETH.ltv=0.8..0.7", "lo below hi"),
        ("markets[0].reserves.WETH.ltv=0s..0.7", "durations"),
        ("markets[0].reserves.WETH.ltv", "path=lo..hi"),
    ] {
        let err = bad.parse::<Input>().unwrap_err().to_string();
        assert!(err.contains(says), "{bad}: {err}");
    }
    let many: Vec<Input> = (0..13).map(|k| format!("assets.A{k}.price=1..2").parse().unwrap()).collect();
    assert!(matches!(check_design(&many, 8), Err(SobolError::TooManyInputs { count: 13, max: 12 })));
    assert!(check_design(&many[..12], 8).is_ok());
    assert!(matches!(check_design(&many[..2], 2), Err(SobolError::Rows { rows: 2, .. })));
    assert!(matches!(check_design(&[], 8), Err(SobolError::NoInputs)));
    let twice = vec![many[0].clone(), many[0].clone()];
    assert!(matches!(check_design(&twice, 8), Err(SobolError::DuplicateInput { .. })));
}

#[test]
fn sobol_in_batches_gives_the_indices_of_one_evaluation_of_every_point() {
    // 64 rows × (3 + 2) = 320 evaluations: more than one batch of 256.
    use bulwark_sim::sobol::{Input, RESAMPLES, SobolMetric, saltelli_design, sobol_indices, sobol_of_spec};
    use bulwark_sim::sweep::Metrics;
    let inputs: Vec<Input> = [
        "markets[0].reserves.WETH.liquidation_threshold=0.72..0.90",
        "oracles.WETH.latency=0s..30m",
        "assets.WETH.volatility.daily=0.02..0.08",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    let (n, o) = (64, opts(4));
    let done = std::sync::atomic::AtomicU64::new(0);
    let a = sobol_of_spec(&small(), &inputs, n, SobolMetric::Var99, &o, &|d, total| {
        assert_eq!(total, 320 * 4);
        done.fetch_max(d, std::sync::atomic::Ordering::Relaxed);
    })
    .unwrap();
    assert_eq!(done.into_inner(), 320 * 4, "the progress counts every path-run");
    let protocols = saltelli_design(3, n, o.seed)
        .iter()
        .map(|u| small().protocol(&u.iter().zip(&inputs).map(|(x, i)| i.at(*x).1).collect::<Vec<_>>()).unwrap())
        .collect::<Vec<_>>();
    let (summaries, _) = evaluate(&protocols, &o, &|_, _| {}).unwrap();
    let y: Vec<f64> = summaries.iter().map(|s| Metrics::of(s).var99_usd).collect();
    let s = sobol_indices(&y, 3, n, RESAMPLES, o.seed);
    assert_eq!(a.inputs.iter().map(|i| i.first).collect::<Vec<_>>(), s.first);
    assert_eq!(a.inputs.iter().map(|i| i.total).collect::<Vec<_>>(), s.total);
}
