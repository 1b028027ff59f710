//! Throughput of `Guard::apply` on one core over a burst of mixed events against the
//! bundled example spec: `cargo bench -p bulwark-guard --bench apply`. Prints events
//! per second and latency quantiles of single applies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, missing_docs)]

use std::path::Path;
use std::time::Instant;

use bulwark_guard::{Event, EventBody, Guard};

fn events(n: usize) -> Vec<Event> {
    let assets = ["WETH", "WBTC", "wstETH", "USDC", "USDT"];
    let prices = [2447.42, 69_895.83, 2897.11, 1.0, 1.0];
    let mut state: u64 = 7;
    let mut next = || {
        // xorshift64: deterministic noise without a dependency.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|i| {
            let t = 1_700_000_000_000 + i as u64 * 20; // 50,000 events a second
            let a = i % assets.len();
            let noise = 1.0 + (next() - 0.5) * 0.002;
            let body = match i % 6 {
                0 => EventBody::Outflow { asset: assets[a].into(), amount: 10.0 * next() },
                1 => EventBody::Inflow { asset: assets[a].into(), amount: 10.0 * next() },
                2 => EventBody::OracleRound { asset: assets[a].into(), price: prices[a] * noise, round_time_ms: t },
                3 => EventBody::VenuePrice { asset: assets[a].into(), venue: "cex".into(), price: prices[a] * noise },
                4 => EventBody::Trade { market: "ETH-USD".into(), size: next(), price: prices[0] * noise },
                _ => EventBody::Tick,
            };
            Event::new(format!("e{i}"), t, body)
        })
        .collect()
}

fn main() {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/aave-v3-ethereum.toml");
    let protocol = bulwark_spec::load(&spec).unwrap();
    let n = 1_000_000;
    let events = events(n);
    let mut guard = Guard::new(&protocol).unwrap();
    let start = Instant::now();
    let mut decisions = 0;
    for e in &events {
        decisions += guard.apply(e).map_or(0, |o| o.decisions.len());
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!("apply: {n} events in {elapsed:.3} s = {:.0} events/s ({decisions} decisions)", n as f64 / elapsed);

    let mut guard = Guard::new(&protocol).unwrap();
    let mut latencies: Vec<f64> = events
        .iter()
        .map(|e| {
            let t = Instant::now();
            let _ = guard.apply(e);
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    let q = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize];
    println!("latency per apply: p50 {:.2} µs, p99 {:.2} µs, max {:.1} µs", q(0.5), q(0.99), q(1.0));
}
