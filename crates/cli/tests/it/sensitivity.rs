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
    assert!(rows.iter().any(|r| r["driver"] == "oracle latency"));
    assert!(rows.iter().any(|r| r["driver"] == "collateralization"));
    assert!(out.join("sensitivity-tornado.svg").exists());
    let o = bulwark(tmp.path(), &["assess", &spec, "--paths", "16", "--no-sensitivity", "--no-report"]);
    assert!(o.status.success());
    assert!(!stdout(&o).contains("Risk sensitivity"));
}
