//! The sweep benchmark of issue 5: a two-axis sweep of the bundled example
//! (examples/aave-v3-ethereum.toml), 9 liquidation thresholds × 7 oracle latencies at
//! 2,000 paths each, with common random numbers: wall time and path-runs per second.
//!
//! The axes are those of the issue: every collateral reserve's liquidation threshold from
//! 0.70 to 0.90 (with every LTV set to 0.65 first, so that no point has an LTV above its
//! threshold) and the WETH oracle's latency from 0 s to 1 h.
//!
//! `cargo bench -p bulwark-sim --bench sweep` runs it in full (cargo passes `--bench`;
//! `BULWARK_BENCH=full` does the same from any command). Without either, as under
//! `cargo test --all-targets`, it runs 3 × 2 points at 20 paths so the test suite stays
//! fast. `BULWARK_BENCH_PATHS` changes the paths per point.

#![allow(clippy::print_stdout)] // a benchmark's output is its printout

use std::path::Path;
use std::time::Instant;

use bulwark_sim::run::EngineKind;
use bulwark_sim::sweep::{Axis, SpecText, SweepMode, SweepOptions, sweep};
use bulwark_spec::overrides::{Override, apply_overrides};

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let full = std::env::args().any(|a| a == "--bench") || std::env::var("BULWARK_BENCH").is_ok_and(|v| v == "full");
    let paths: u64 =
        std::env::var("BULWARK_BENCH_PATHS").ok().and_then(|v| v.parse().ok()).unwrap_or(if full { 2_000 } else { 20 });
    let threads = rayon::current_num_threads();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/aave-v3-ethereum.toml");
    let mut spec = SpecText::read(&file)?;
    spec.text = apply_overrides(&spec.text, &[Override::new("markets[0].ltv", "0.65")])?;
    let (lt, latency) = if full {
        ("markets[0].liquidation_threshold=0.70..0.90:9", "oracles.WETH.latency=0s..1h:7")
    } else {
        ("markets[0].liquidation_threshold=0.70..0.90:3", "oracles.WETH.latency=0s..1h:2")
    };
    let axes: Vec<Axis> = vec![lt.parse()?, latency.parse()?];
    let points: usize = axes.iter().map(|a| a.values.len()).product();
    println!(
        "bulwark-sim sweep benchmark ({}; {threads} threads): {points} points × {paths} paths, bundled example",
        if full { "full" } else { "tiny smoke run: pass --bench or BULWARK_BENCH=full for the real figures" }
    );
    println!("  --vary '{lt}' --vary '{latency}' (with markets[0].ltv=0.65)");
    let opts = SweepOptions { paths, seed: 7, engine: EngineKind::Buckets, market: 0 };
    let start = Instant::now();
    let result = sweep(&spec, &axes, SweepMode::Grid, &opts, &|_, _| {})?;
    let wall = start.elapsed().as_secs_f64();
    let runs = points as f64 * paths as f64;
    println!(
        "  wall {wall:.1} s; {runs:.0} path-runs, {:.0} path-runs/s; {} price model(s) shared by all points",
        runs / wall,
        result.price_models
    );
    if full {
        // The goal is for 9 × 7 points at 2,000 paths; with fewer paths, extrapolate.
        let at_goal = wall * 2_000.0 / paths as f64;
        println!(
            "  goal (9 × 7 points × 2,000 paths under 60 s): {} ({at_goal:.0} s{})",
            if at_goal < 60.0 { "met" } else { "NOT met on this machine" },
            if paths == 2_000 { "" } else { ", extrapolated linearly from this run" }
        );
    }
    let corner = |i: usize| result.points.get(i).map_or(f64::NAN, |p| p.metrics.bad_debt_mean_usd);
    println!(
        "  mean bad debt: first point {:.0} USD, last point {:.0} USD",
        corner(0),
        corner(result.points.len().saturating_sub(1))
    );
    Ok(())
}
