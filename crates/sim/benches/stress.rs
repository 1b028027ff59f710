//! The stress benchmark of issue 4: one tail-risk simulation as a user runs it, with the
//! figures the issue sets goals for.
//!
//! - Stress scenario: 3 collateral assets (WETH, WBTC, wstETH) and 2 debt assets (USDC,
//!   USDT), 100,000 generated positions, 1,440 one-minute steps, 10,000 paths, a crash
//!   (WETH and wstETH −40 %, WBTC −30 % over 4 hours) laid over GBM correlated as the
//!   bundled Chainlink histories are: wall time, path-steps per second, peak memory, and
//!   the work behind them (liquidations priced against a venue per path, paid or not, and
//!   what each costs a thread).
//! - The floor: the time merely to draw the random numbers the scenario needs
//!   (`PathModel::fill` for every path, nothing else), and the engine's ratio to it.
//! - Scaling: cost against paths, steps and positions, with the liquidations priced per path.
//!
//! `cargo bench -p bulwark-sim --bench stress` runs it in full (cargo passes `--bench`;
//! `BULWARK_BENCH=full` does the same from any command). Without either, as under
//! `cargo test --all-targets`, it runs a tiny version so the test suite stays fast.

#![allow(clippy::print_stdout)] // a benchmark's output is its printout

use std::path::Path;
use std::time::Instant;

use bulwark_sim::process::{PathModel, path_rng};
use bulwark_sim::run::{EngineKind, run, summarize};
use bulwark_sim::simulate::{liquidators, path_model};
use bulwark_sim::world::World;
use bulwark_spec::Protocol;
use rayon::prelude::*;

type Error = Box<dyn std::error::Error>;

/// The scenario's seed, as in the bundled example.
const SEED: u64 = 7;

/// The stress scenario of the issue, with a position count and a horizon in one-minute
/// steps to scale. Prices, pools, oracles and risk parameters are those of
/// examples/aave-v3-ethereum.toml (its sources are cited there); volatility and
/// correlation come from the Chainlink hourly histories in data/prices.
fn spec(positions: u64, steps: usize) -> String {
    format!(
        r#"
[protocol]
name = "stress benchmark"
[assets.WETH]
price = 2_447.42
volatility = {{ history = "prices/chainlink_hourly/WETH_usd.csv" }}
[assets.WBTC]
price = 69_895.83
volatility = {{ history = "prices/chainlink_hourly/WBTC_usd.csv" }}
[assets.wstETH]
price = 2_897.11
volatility = {{ history = "prices/chainlink_hourly/wstETH_usd.csv" }}
[assets.USDC]
price = 1.0
volatility = {{ daily = 0.001 }}
[assets.USDT]
price = 1.0
volatility = {{ daily = 0.001 }}

[[venues]]
pair = ["WETH", "USDC"]
kind = "constant_product"
reserves = [64_000.0, 156_635_000.0]
fee = 0.0005
recovery_half_life = "20m"
[[venues]]
kind = "constant_product"
reserves = [215.0, 15_027_600.0]
pair = ["WBTC", "USDC"]
fee = 0.003
recovery_half_life = "30m"
[[venues]]
kind = "constant_product"
pair = ["wstETH", "WETH"]
reserves = [7_000.0, 8_267.0]
fee = 0.0001
recovery_half_life = "30m"

[oracles.WETH]
kind = "push"
heartbeat = "1h"
deviation = 0.005
latency = "12s"
[oracles.WBTC]
kind = "push"
heartbeat = "1h"
deviation = 0.005
latency = "12s"
[oracles.wstETH]
kind = "push"
heartbeat = "1h"
deviation = 0.005
latency = "12s"
[oracles.USDC]
kind = "push"
heartbeat = "1d"
deviation = 0.0025
latency = "12s"
[oracles.USDT]
kind = "push"
heartbeat = "1d"
deviation = 0.0025
latency = "12s"

[[markets]]
name = "stress"
[markets.reserves.WETH]
ltv = 0.805
liquidation_threshold = 0.83
liquidation_bonus = 0.05
liquidation_protocol_fee = 0.10
[markets.reserves.WBTC]
ltv = 0.73
liquidation_threshold = 0.78
liquidation_bonus = 0.05
liquidation_protocol_fee = 0.10
[markets.reserves.wstETH]
ltv = 0.785
liquidation_threshold = 0.81
liquidation_bonus = 0.06
liquidation_protocol_fee = 0.10
[markets.reserves.USDC]
ltv = 0.75
liquidation_threshold = 0.78
liquidation_bonus = 0.045
liquidation_protocol_fee = 0.20
[markets.reserves.USDT]
ltv = 0.75
liquidation_threshold = 0.78
liquidation_bonus = 0.045
liquidation_protocol_fee = 0.10
[markets.positions]
count = {positions}
total_debt = 2.5e9
health = {{ median = 1.6, min = 1.0, spread = 0.9 }}
collateral = {{ WETH = 0.5, WBTC = 0.2, wstETH = 0.3 }}
debt = {{ USDC = 0.55, USDT = 0.45 }}

[scenario]
horizon = "{steps}m"
step = "1m"
paths = 10_000
seed = {SEED}
model = "gbm"
shocks = [
    {{ asset = "WETH", drop = 0.40, at = "2h", over = "4h" }},
    {{ asset = "wstETH", drop = 0.40, at = "2h", over = "4h" }},
    {{ asset = "WBTC", drop = 0.30, at = "2h", over = "4h" }},
]
liquidators = {{ capital = 5.0e7, latency = "12s", gas = 500_000, gas_price = 100 }}
"#
    )
}

/// One scenario, ready to run.
struct Scenario {
    protocol: Protocol,
    model: PathModel,
    world: World,
}

impl Scenario {
    fn build(positions: u64, steps: usize) -> Result<Self, Error> {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
        let protocol = bulwark_spec::parse_str(&spec(positions, steps), Path::new("stress.toml"), &data)?;
        let (model, _) = path_model(&protocol)?;
        let (liq, _) = liquidators(&protocol)?;
        let world = World::new(&protocol, &protocol.markets[0], SEED, liq);
        Ok(Self { protocol, model, world })
    }

    fn dt_days(&self) -> f64 {
        self.protocol.scenario.step_s / 86_400.0
    }

    /// Runs `paths` paths with the bucket engine; returns the wall time, the summary and
    /// the work done.
    fn run(&self, paths: u64) -> (f64, bulwark_sim::run::Summary, Work) {
        let dt_days = self.dt_days();
        let source = |path: u64, out: &mut [f64]| {
            if self.model.fill(&mut path_rng(SEED, path), dt_days, out).is_err() {
                out.fill(0.0);
            }
        };
        let start = Instant::now();
        let output = run(&self.world, EngineKind::Buckets, paths, &source, &|_| {});
        let seconds = start.elapsed().as_secs_f64();
        let n = paths.max(1) as f64;
        let work = Work {
            attempts: output.outcomes.iter().map(|o| o.attempts as f64).sum::<f64>() / n,
            sales: output.outcomes.iter().map(|o| o.sales as f64).sum::<f64>() / n,
        };
        (seconds, summarize(&self.world, EngineKind::Buckets, SEED, &output, 0), work)
    }

    /// The floor: the same paths' random numbers drawn in parallel, and nothing else.
    fn floor(&self, paths: u64) -> f64 {
        let dt_days = self.dt_days();
        let width = self.world.steps * self.world.assets.len();
        let start = Instant::now();
        let checksum: f64 = (0..paths)
            .into_par_iter()
            .map_init(
                || vec![0.0; width],
                |out, path| {
                    if self.model.fill(&mut path_rng(SEED, path), dt_days, out).is_err() {
                        return 0.0;
                    }
                    out[width - 1]
                },
            )
            .sum();
        let seconds = start.elapsed().as_secs_f64();
        std::hint::black_box(checksum);
        seconds
    }

    fn buckets(&self) -> usize {
        self.world.pairs.iter().map(|p| p.buckets.len()).sum()
    }
}

/// The engine's work per path: liquidations priced against a venue, and of them those
/// that paid (see `PathOutcome::attempts`).
#[derive(Clone, Copy)]
struct Work {
    attempts: f64,
    sales: f64,
}

/// The process's peak resident memory (`VmHWM` of /proc/self/status), in bytes.
fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Sizes of one run of the benchmark.
struct Size {
    positions: u64,
    steps: usize,
    paths: u64,
    scale_paths: [u64; 3],
    scale_steps: [usize; 3],
    scale_positions: [u64; 4],
    /// Paths of the step and position scaling rows.
    scale_base_paths: u64,
    /// Runs of the main scenario (engine and floor), whose medians are reported.
    repeats: usize,
}

/// The issue's figures.
const FULL: Size = Size {
    positions: 100_000,
    steps: 1_440,
    paths: 10_000,
    scale_paths: [250, 500, 1_000],
    scale_steps: [360, 720, 1_440],
    scale_positions: [1_000, 10_000, 100_000, 1_000_000],
    scale_base_paths: 250,
    repeats: 1,
};

/// A smoke run for `cargo test --all-targets`: every line printed, in well under a second.
const TINY: Size = Size {
    positions: 1_000,
    steps: 60,
    paths: 64,
    scale_paths: [16, 32, 64],
    scale_steps: [15, 30, 60],
    scale_positions: [100, 1_000, 10_000, 20_000],
    scale_base_paths: 16,
    repeats: 1,
};

fn median(xs: &[f64]) -> f64 {
    let mut sorted = xs.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}

fn seconds_list(xs: &[f64]) -> String {
    xs.iter().map(|x| format!("{x:.2}")).collect::<Vec<_>>().join(", ")
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

fn main() -> Result<(), Error> {
    let full = std::env::args().any(|a| a == "--bench") || std::env::var("BULWARK_BENCH").is_ok_and(|v| v == "full");
    let size = if full { FULL } else { TINY };
    let threads = rayon::current_num_threads();
    println!(
        "bulwark-sim stress benchmark ({}; {threads} threads; release figures come from `cargo bench -p bulwark-sim --bench stress`)",
        if full { "full" } else { "tiny smoke run: pass --bench or BULWARK_BENCH=full for the real figures" }
    );

    let start = Instant::now();
    let s = Scenario::build(size.positions, size.steps)?;
    let setup_s = start.elapsed().as_secs_f64();
    // Engine and floor alternate, so that a burst of load on the machine hits both; the
    // figures are the medians.
    let (mut engine_runs, mut floor_runs, mut summary) = (Vec::new(), Vec::new(), None);
    for _ in 0..size.repeats {
        let (seconds, sum, work) = s.run(size.paths);
        engine_runs.push(seconds);
        summary = Some((sum, work));
        floor_runs.push(s.floor(size.paths));
    }
    let peak = peak_memory_bytes();
    let (engine_s, floor_s) = (median(&engine_runs), median(&floor_runs));
    let (summary, work) = summary.ok_or("no run")?;
    let path_steps = size.paths as f64 * size.steps as f64;
    let draws = path_steps * s.world.assets.len() as f64;
    let ratio = engine_s / floor_s;
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);

    println!();
    println!(
        "stress scenario: 3 collateral assets (WETH, WBTC, wstETH), 2 debt assets (USDC, USDT), {} positions in {} buckets,",
        size.positions,
        s.buckets()
    );
    println!(
        "  {} one-minute steps, {} paths, crash (WETH and wstETH -40 %, WBTC -30 % over 4 h from 2 h) over correlated GBM",
        size.steps, size.paths
    );
    println!("  setup (spec, histories, correlation, book of {} positions, buckets) {setup_s:>8.2} s", size.positions);
    println!(
        "  engine wall time                      {engine_s:>8.2} s      goal: under 10 s          {}   (median of {})",
        verdict(engine_s < 10.0),
        seconds_list(&engine_runs)
    );
    println!(
        "  setup + engine                        {:>8.2} s      goal: under 10 s          {}",
        setup_s + engine_s,
        verdict(setup_s + engine_s < 10.0)
    );
    println!("  path-steps per second                 {:>8.2} M", path_steps / engine_s / 1e6);
    match peak {
        Some(b) => println!(
            "  peak memory (VmHWM)                   {:>8.0} MiB    goal: under 1 GiB         {}",
            mib(b),
            verdict(b < 1 << 30)
        ),
        None => println!("  peak memory (VmHWM)                   unavailable (no /proc/self/status)"),
    }
    println!(
        "  floor: PathModel::fill, every path    {floor_s:>8.2} s      ({:.0} M log-returns, {:.0} M/s; median of {})",
        draws / 1e6,
        draws / floor_s / 1e6,
        seconds_list(&floor_runs)
    );
    println!(
        "  engine / floor                        {ratio:>8.1} x      goal: within 10x of the floor {}",
        verdict(ratio <= 10.0)
    );
    // Thread-seconds per attempt: what one liquidation priced costs, its heap moves included.
    let per_attempt = if work.attempts > 0.0 {
        format!("{:.0} ns of a thread each", engine_s * threads as f64 * 1e9 / (size.paths as f64 * work.attempts))
    } else {
        "none in this horizon".into()
    };
    println!(
        "  work per path                         {:>8.0} liquidations priced against a venue ({:.0} paid), {per_attempt}",
        work.attempts, work.sales
    );
    println!(
        "  (result: mean bad debt {:.0} USD ± {:.0}, p99 {:.0}, mean liquidated {:.0} USD)",
        summary.bad_debt.mean, summary.std_error.bad_debt_mean, summary.bad_debt.p99, summary.liquidated_volume
    );

    println!();
    println!(
        "scaling (bucket engine; 'per unit' is the cost per path-step relative to the first row of its group; total debt stays 2.5e9 USD)"
    );
    println!(
        "  {:<10} {:>10} {:>8} {:>7} {:>7} {:>9} {:>9} {:>12} {:>9} {:>13} {:>15}",
        "vary",
        "positions",
        "buckets",
        "steps",
        "paths",
        "setup s",
        "wall s",
        "ns/path-step",
        "per unit",
        "priced/path",
        "liquidated USD"
    );
    let group = |name: &str, rows: Vec<(u64, usize, u64)>, goal: &str| -> Result<(), Error> {
        let mut first: Option<f64> = None;
        let mut built: Option<(u64, usize, Scenario)> = None;
        for (positions, steps, paths) in rows {
            let start = Instant::now();
            let scenario = match built.take() {
                Some((p, st, sc)) if p == positions && st == steps => sc,
                _ => Scenario::build(positions, steps)?,
            };
            let setup_s = start.elapsed().as_secs_f64();
            let (seconds, summary, work) = scenario.run(paths);
            let ns = seconds * 1e9 / (paths as f64 * steps as f64);
            let base = *first.get_or_insert(ns);
            println!(
                "  {name:<10} {positions:>10} {:>8} {steps:>7} {paths:>7} {setup_s:>9.2} {seconds:>9.3} {ns:>12.1} {:>9.2} {:>13.0} {:>15.3e}",
                scenario.buckets(),
                ns / base,
                work.attempts,
                summary.liquidated_volume
            );
            built = Some((positions, steps, scenario));
        }
        println!("  {:<10} goal: {goal}", "");
        Ok(())
    };
    let p0 = size.scale_base_paths;
    group(
        "paths",
        size.scale_paths.iter().map(|&n| (size.positions, size.steps, n)).collect(),
        "linear in paths (per unit ≈ 1)",
    )?;
    group(
        "steps",
        size.scale_steps.iter().map(|&n| (size.positions, n, p0)).collect(),
        "linear in steps (per unit ≈ 1); the crash (2 h to 6 h) is inside every horizon, so its liquidations are a fixed cost",
    )?;
    group(
        "positions",
        size.scale_positions.iter().map(|&n| (n, size.steps, p0)).collect(),
        "flat from 1,000 to 1,000,000 positions (per unit ≈ 1); the work follows the buckets liquidated, not the positions",
    )?;
    if let Some(b) = peak_memory_bytes() {
        println!("peak memory over the whole benchmark, the largest book included: {:.0} MiB", mib(b));
    }
    Ok(())
}
