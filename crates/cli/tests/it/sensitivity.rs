//! `bulwark sweep`, `recommend`, `backtest` and the sensitivity section of `assess`.

use std::path::Path;

use crate::{bulwark, repo, stderr, stdout};

/// A small market the commands run in seconds: WETH against USDC, a 25 % crash over an
/// hour in a 6-hour horizon of 5-minute steps.
const SMALL: &str = r#"
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
[scenario]
horizon = "6h"
step = "5m"
paths = 32
seed = 7
shocks = [{ asset = "WETH", drop = 0.25, at = "1h", over = "1h" }]
liquidators = { capital = 5.0e6, latency = "12s", gas = 500000, gas_price = 50 }
"#;

fn small(dir: &Path) -> String {
    let path = dir.join("small.toml");
    std::fs::write(&path, SMALL).unwrap();
    path.display().to_string()
}

#[test]
fn a_two_axis_sweep_writes_a_tidy_table_and_a_heatmap() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = small(tmp.path());
    let out = tmp.path().join("sweep");
    let o = bulwark(
        tmp.path(),
        &[
            "sweep",
            &spec,
            "--vary",
            "markets[0].reserves.WETH.liquidation_threshold=0.72..0.88:3",
            "--vary",
            "oracles.WETH.latency=0s..1h:2",
            "--paths",
            "24",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 6, "{csv}");
    assert!(csv.starts_with("markets[0].reserves.WETH.liquidation_threshold,oracles.WETH.latency,total_debt_usd"));
    let svg = std::fs::read_to_string(out.join("sweep-heatmap.svg")).unwrap();
    assert!(svg.contains("<rect"), "the heatmap draws cells");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(json["points"].as_array().unwrap().len(), 6);
    assert!(stdout(&o).contains("mean bad debt"));
}

#[test]
fn a_tornado_sweep_draws_a_tornado_and_a_bad_axis_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = small(tmp.path());
    let out = tmp.path().join("t");
    let o = bulwark(
        tmp.path(),
        &[
            "sweep",
            &spec,
            "--tornado",
            "--vary",
            "markets[0].reserves.WETH.liquidation_threshold=0.75,0.85",
            "--vary",
            "assets.WETH.volatility.daily=0.02,0.08",
            "--paths",
            "16",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.join("sweep-tornado.svg").exists());
    let o = bulwark(tmp.path(), &["sweep", &spec, "--vary", "oracles.WBTC.latency=1s,2s", "--no-files"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("oracles.WBTC") && stderr(&o).contains("WETH"), "{}", stderr(&o));
    // A point that makes an invalid spec is named with its reason, said once.
    let o = bulwark(
        tmp.path(),
        &["sweep", &spec, "--vary", "markets[0].reserves.WETH.liquidation_threshold=0.85,0.99", "--no-files"],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("=0.99") && err.matches("must not exceed 1").count() == 1, "{err}");
}

#[test]
fn recommend_is_reproducible_and_names_its_target() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = small(tmp.path());
    let args = [
        "recommend",
        spec.as_str(),
        "--target",
        "mean bad debt < 0.2% of debt",
        "--paths",
        "24",
        "--iterations",
        "3",
        "--format",
        "json",
    ];
    let a = bulwark(tmp.path(), &args);
    assert!(a.status.success(), "{}", stderr(&a));
    let b = bulwark(tmp.path(), &args);
    assert_eq!(stdout(&a), stdout(&b), "the same seed gives the same recommendations");
    let json: serde_json::Value = serde_json::from_str(&stdout(&a)).unwrap();
    assert_eq!(json["target"], "mean bad debt < 0.2% of debt");
    assert_eq!(json["levers"].as_array().unwrap().len(), 4);
    assert!(json["smart_ltv"][0]["ltv"].is_number());
    let o = bulwark(tmp.path(), &["recommend", &spec, "--target", "p98 bad debt < 1% of debt"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("p99 bad debt"), "{}", stderr(&o));
}

#[test]
fn the_backtest_prints_a_side_by_side_table_for_every_crisis_window() {
    let tmp = tempfile::tempdir().unwrap();
    let o = bulwark(tmp.path(), &["backtest", "--no-files"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    for window in
        ["2021-05 crash", "2022-05 UST collapse", "2022-06 stETH discount", "2022-11 FTX", "2023-03 USDC depeg"]
    {
        assert!(text.contains(&format!("{window}: static against adaptive parameters")), "{window} missing:\n{text}");
    }
    assert!(text.contains("borrowing capacity forgone"));
    let _ = repo();
}

#[test]
fn assess_carries_the_sensitivity_section_and_the_recommendations() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = small(tmp.path());
    let out = tmp.path().join("report");
    let o = bulwark(
        tmp.path(),
        &["assess", &spec, "--paths", "16", "--sensitivity-paths", "16", "--out", out.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("Risk sensitivity") && text.contains("Recommended parameters"), "{text}");
    assert!(text.contains("16 paths per setting"), "the section states its paths");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let rows = json["sensitivity"]["rows"].as_array().unwrap();
    assert!(rows.iter().any(|r| r["driver"] == "collateralization"));
    // The push feed's lag gap at each latency: δ + 3σ√(latency / 1 day) with the small
    // market's δ = 0.5 % and σ = 5 % a day (REFERENCES.md §4.3), 12 s, 300 s and 3600 s.
    let gaps: Vec<f64> = rows
        .iter()
        .filter(|r| r["driver"] == "oracle latency")
        .map(|r| r["oracle_lag_gap"].as_f64().unwrap())
        .collect();
    let expected: Vec<f64> =
        [12.0_f64, 300.0, 3600.0].iter().map(|s| 0.005 + 3.0 * 0.05 * (s / 86_400.0).sqrt()).collect();
    assert_eq!(gaps.len(), 3, "{gaps:?}");
    for (g, e) in gaps.iter().zip(&expected) {
        assert!((g - e).abs() < 1e-12, "lag gaps {gaps:?}, expected {expected:?}");
    }
    assert!(out.join("sensitivity-tornado.svg").exists());
    let o = bulwark(tmp.path(), &["assess", &spec, "--paths", "16", "--no-sensitivity", "--no-report"]);
    assert!(o.status.success());
    assert!(!stdout(&o).contains("Risk sensitivity"));
}

/// Regression: the dispersion driver once moved only the stake price, so every row had
/// the same Nakamoto coefficient. Now it reshapes the bundled example's validator set.
#[test]
fn the_dispersion_rows_of_the_bundled_example_move_the_nakamoto_coefficient() {
    let tmp = tempfile::tempdir().unwrap();
    let args = ["assess", "--format", "json", "--no-report", "--paths", "16", "--sensitivity-paths", "8"];
    let o = bulwark(tmp.path(), &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let rows = json["sensitivity"]["rows"].as_array().unwrap();
    let dispersion: Vec<&serde_json::Value> = rows.iter().filter(|r| r["driver"] == "validator dispersion").collect();
    let distinct: std::collections::BTreeSet<u64> =
        dispersion.iter().map(|r| r["nakamoto"].as_u64().unwrap()).collect();
    assert!(distinct.len() >= 2, "one Nakamoto coefficient in every dispersion row: {dispersion:?}");
    let row = |setting: &str| {
        let r = dispersion.iter().find(|r| r["setting"].as_str().unwrap().starts_with(setting));
        let r = r.unwrap_or_else(|| panic!("no row {setting} in {dispersion:?}"));
        let n = |k: &str| r[k].as_u64().unwrap();
        (n("nakamoto"), n("nakamoto_safety"), n("coalition_liveness"), n("coalition_safety"))
    };
    // Shares from data/validators/ethereum_staking_entities_2023-04-19.csv, worked by hand.
    // Liveness > 1/3: Lido 30.89 % + Other 22.60 % (aggregate counted) or + Coinbase 12.61 %
    // (aggregate left out) = 2. Safety >= 2/3: Lido, Other, Coinbase = 66.10 %, + Kraken 6.66 %
    // = 4; without Other, Lido to RocketPool (Minipool) reach 66.73 % = 8.
    assert_eq!(row("spec's set"), (2, 4, 2, 8));
    // Lido + Coinbase = 43.50 % > 1/3 alone; with Other 66.10 %, + Kraken = 3; without Other, 7.
    assert_eq!(row("Lido + Coinbase under one operator"), (1, 3, 1, 7));
    // Lido in two halves of 15.45 %: Other + one half = 38.05 % = 2, but the censor now needs
    // both halves and Coinbase (43.50 %) = 3.
    assert_eq!(row("Lido split in 2"), (2, 5, 3, 9));
    assert_eq!(dispersion.iter().filter(|r| r["base"] == true).count(), 1);
    // The cheapest consensus attack commits the stake the threshold needs, whoever holds it;
    // the stake price moves it in proportion (the leak's loss is ETH lost times the price).
    let cost = |r: &serde_json::Value| r["attack_cost_usd"].as_f64().unwrap();
    assert!(dispersion.iter().all(|r| cost(r) == cost(dispersion[0])), "{dispersion:?}");
    let price: Vec<f64> = rows.iter().filter(|r| r["driver"] == "stake price").map(cost).collect();
    assert_eq!(price.len(), 3);
    assert_eq!(price[0], cost(dispersion[0]));
    assert!((price[1] / price[0] - 0.6).abs() < 1e-9 && (price[2] / price[0] - 0.3).abs() < 1e-9, "{price:?}");
}

/// The liquidation threshold of the collateral, and the liquidation bonus of a reserve
/// no position holds as collateral: a field that cannot enter the simulation.
const SOBOL_INPUTS: [&str; 4] = [
    "--vary",
    "markets[0].reserves.WETH.liquidation_threshold=0.72..0.88",
    "--vary",
    "markets[0].reserves.USDC.liquidation_bonus=0..0.1:5",
];

fn sobol_json(dir: &Path, spec: &str, seed: &str) -> (String, serde_json::Value) {
    let mut args =
        vec!["sweep", spec, "--sobol", "32", "--paths", "8", "--seed", seed, "--format", "json", "--no-files"];
    args.extend(SOBOL_INPUTS);
    let o = bulwark(dir, &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let json = serde_json::from_str(&text).unwrap();
    (text, json)
}

#[test]
fn a_sobol_sweep_gives_each_input_its_indices_with_intervals() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = small(tmp.path());
    let (_, json) = sobol_json(tmp.path(), &spec, "7");
    for key in ["market", "metric", "rows", "evaluations", "paths", "seed", "resamples", "output_mean", "output_sd"] {
        assert!(!json[key].is_null(), "{key} missing: {json}");
    }
    assert_eq!(json["metric"], "bad_debt_mean");
    assert_eq!((json["rows"].as_u64(), json["evaluations"].as_u64()), (Some(32), Some(32 * (2 + 2))));
    assert_eq!((json["paths"].as_u64(), json["seed"].as_u64()), (Some(8), Some(7)));
    let inputs = json["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 2);
    assert_eq!(inputs[0]["path"], "markets[0].reserves.WETH.liquidation_threshold");
    assert_eq!((inputs[0]["low"].as_f64(), inputs[0]["high"].as_f64()), (Some(0.72), Some(0.88)));
    for input in inputs {
        for index in ["first", "total"] {
            let e = &input[index];
            let (v, lo, hi) = (e["value"].as_f64().unwrap(), e["low"].as_f64().unwrap(), e["high"].as_f64().unwrap());
            assert!(v.is_finite() && lo <= v && v <= hi, "{}: {index} {e}", input["path"]);
        }
    }
}

#[test]
fn a_field_that_does_not_enter_the_simulation_gets_a_total_index_of_zero() {
    // On common random numbers the metric is a fixed function of the inputs: moving the
    // bonus of a reserve that backs no position changes no path, so its indices are 0
    // exactly, and the threshold alone moves the metric, so its indices are 1 (Sobol'
    // indices of a function of one input). With 32 rows, seeds 1 to 12 gave ST of the
    // threshold 0.64 to 1.10, every interval covering 1.
    let tmp = tempfile::tempdir().unwrap();
    let spec = small(tmp.path());
    let (_, json) = sobol_json(tmp.path(), &spec, "7");
    let inputs = json["inputs"].as_array().unwrap();
    let (threshold, bonus) = (&inputs[0], &inputs[1]);
    for index in ["first", "total"] {
        for bound in ["value", "low", "high"] {
            assert_eq!(bonus[index][bound].as_f64(), Some(0.0), "{bonus}");
        }
    }
    let total = &threshold["total"];
    assert!(total["value"].as_f64().unwrap() > 0.5, "{threshold}");
    assert!(total["low"].as_f64().unwrap() <= 1.0 && 1.0 <= total["high"].as_f64().unwrap(), "{threshold}");
}

#[test]
fn a_sobol_sweep_is_reproducible_from_its_seed_and_writes_its_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = small(tmp.path());
    let (a, _) = sobol_json(tmp.path(), &spec, "11");
    let (b, _) = sobol_json(tmp.path(), &spec, "11");
    assert_eq!(a, b, "the same seed gives the same indices");
    let (c, _) = sobol_json(tmp.path(), &spec, "12");
    assert_ne!(a, c, "another seed draws another design");
    let out = tmp.path().join("sobol");
    let mut args = vec!["sweep", spec.as_str(), "--sobol", "32", "--paths", "8", "--seed", "11", "--out"];
    args.push(out.to_str().unwrap());
    args.extend(SOBOL_INPUTS);
    let o = bulwark(tmp.path(), &args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("S (first order)") && stdout(&o).contains("ST (total)"), "{}", stdout(&o));
    assert_eq!(std::fs::read_to_string(out.join("sobol.json")).unwrap(), a, "the folder holds what stdout printed");
    let csv = std::fs::read_to_string(out.join("sobol.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 2, "{csv}");
    assert!(csv.starts_with("path,low,high,first,first_low,first_high,total,total_low,total_high\n"), "{csv}");
    let svg = std::fs::read_to_string(out.join("sobol.svg")).unwrap();
    assert!(svg.contains("<rect") && svg.contains("markets[0].reserves.USDC.liquidation_bonus"), "bars and labels");
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("Sobol indices"));
    assert!(std::fs::read_to_string(out.join("sobol.md")).unwrap().contains("| input | range |"));
}

#[test]
fn a_sobol_sweep_refuses_lists_too_many_inputs_and_the_tornado() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = small(tmp.path());
    let list = ["sweep", &spec, "--sobol", "8", "--vary", "markets[0].reserves.WETH.ltv=0.7,0.75", "--no-files"];
    let o = bulwark(tmp.path(), &list);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a list of values"), "{}", stderr(&o));
    let mut many = vec!["sweep".to_string(), spec.clone(), "--sobol".into(), "8".into(), "--no-files".into()];
    for k in 0..13 {
        many.extend(["--vary".to_string(), format!("assets.WETH.field{k}=1..2")]);
    }
    let o = bulwark(tmp.path(), &many.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("13 inputs") && stderr(&o).contains("at most 12"), "{}", stderr(&o));
    let tornado = ["sweep", &spec, "--sobol", "8", "--tornado", "--vary", "markets[0].reserves.WETH.ltv=0.7..0.75"];
    let o = bulwark(tmp.path(), &tornado);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--tornado") && stderr(&o).contains("--sobol"), "{}", stderr(&o));
    let metric = ["sweep", &spec, "--metric", "var99", "--vary", "markets[0].reserves.WETH.ltv=0.7..0.75:2"];
    let o = bulwark(tmp.path(), &metric);
    assert_eq!(o.status.code(), Some(2), "--metric belongs to --sobol");
}
