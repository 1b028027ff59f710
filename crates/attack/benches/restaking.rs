//! The restaking checks at the sizes issue 3 sets: the exact check on 60 validators × 20
//! services (goal: under 10 s) and the γ* proxy on 10,000 validators × 200 services
//! (goal: under 1 s).
//!
//! `cargo bench -p bulwark-attack --bench restaking` prints, for each of a few seeds, the
//! exact check's time, nodes and result on a random 60 × 20 graph, then γ* and the
//! EigenLayer condition on a random 10,000 × 200 graph, and last the exact check on 60 × 20
//! graphs with near-uniform stakes (within one decade) under the default node budget, the
//! hard case: stakes within a factor of two or equal exhaust that budget (the search then
//! says so rather than answer). Without `--bench` (as `cargo test --all-targets` runs it) it checks the same code
//! on 20 × 8 and 1,000 × 40 instead.
//!
//! The graphs are deterministic (xorshift64*, seeds below). Stakes are USD with cents,
//! log-uniform over four decades (10⁴ to 10⁸ USD), as delegation to restaking operators is
//! concentrated. The exact graphs sit near the security boundary (γ_exact within about
//! ±0.2 of 0): each validator joins each service with probability 0.3, α is 1/3 or 2/3,
//! and each profit is 9 % to 30 % of α·σ_{N(s)}. The proxy graph gives each validator 1
//! to 20 services (operators opt into a handful of AVSs each), with profits of 1 % to 10 %
//! of the stake restaked to the service.

#![allow(clippy::print_stdout)] // A benchmark's output is its report.
#![allow(clippy::unwrap_used)] // Fixed, valid fractions: a failure should stop the run loudly.

use std::hint::black_box;
use std::time::Instant;

use bulwark_attack::restaking::{ExactLimits, RestakingGraph, eigenlayer_check, exact_check};
use bulwark_spec::model::restaking::{RestakedService, Restaking, RestakingValidator};
use bulwark_spec::units::Ratio;

const EXACT_SIZE: (usize, usize) = (60, 20);
const SMOKE_EXACT_SIZE: (usize, usize) = (20, 8);
const PROXY_SIZE: (usize, usize) = (10_000, 200);
const SMOKE_PROXY_SIZE: (usize, usize) = (1_000, 40);
const EXACT_GOAL_S: f64 = 10.0;
const PROXY_GOAL_S: f64 = 1.0;
const EXACT_SEEDS: [u64; 5] = [1, 2, 3, 4, 5];
const PROXY_SEED: u64 = 0x9E37_79B9_7F4A_7C15;

/// xorshift64* (Vigna, "An experimental exploration of Marsaglia's xorshift generators").
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// Decades of stake: 10⁴ to 10⁸ USD, and the near-uniform case, 10⁴ to 10⁵ USD.
const DECADES: f64 = 4.0;
const NEAR_UNIFORM_DECADES: f64 = 1.0;

/// Stake in cents: 10^(4 + decades·u) USD.
fn stake_cents(rng: &mut XorShift, decades: f64) -> u128 {
    (10f64.powf(4.0 + decades * rng.unit()) * 100.0) as u128
}

fn validators(rng: &mut XorShift, n: usize, decades: f64) -> Vec<RestakingValidator> {
    (0..n)
        .map(|i| RestakingValidator {
            id: format!("v{i:05}"),
            stake_usd: Ratio::new(stake_cents(rng, decades), 100).unwrap(),
        })
        .collect()
}

fn service(
    id: usize,
    members: Vec<usize>,
    vs: &[RestakingValidator],
    alpha: (u128, u128),
    pct: u128,
) -> RestakedService {
    // Cents restaked to the service; the profit is pct % of α of it, in cents.
    let restaked: u128 = members.iter().map(|&v| vs[v].stake_usd.numer() * (100 / vs[v].stake_usd.denom())).sum();
    RestakedService {
        id: format!("s{id:03}"),
        profit_usd: Ratio::new(restaked * alpha.0 * pct, alpha.1 * 100 * 100).unwrap(),
        threshold: Ratio::new(alpha.0, alpha.1).unwrap(),
        validators: members,
    }
}

fn exact_graph(seed: u64, (n, m): (usize, usize), decades: f64) -> Restaking {
    let mut rng = XorShift::new(seed);
    let vs = validators(&mut rng, n, decades);
    let services = (0..m)
        .map(|j| {
            let members: Vec<usize> = (0..n).filter(|_| rng.unit() < 0.3).collect();
            let alpha = if rng.below(2) == 0 { (1, 3) } else { (2, 3) };
            let pct = u128::from(9 + rng.below(22));
            service(j, members, &vs, alpha, pct)
        })
        .collect();
    Restaking { name: format!("random {n} × {m}, seed {seed}"), validators: vs, services }
}

fn proxy_graph(seed: u64, (n, m): (usize, usize)) -> Restaking {
    let mut rng = XorShift::new(seed);
    let vs = validators(&mut rng, n, DECADES);
    let mut members = vec![Vec::new(); m];
    for v in 0..n {
        let k = 1 + rng.below(20.min(m as u64)) as usize;
        let mut chosen = Vec::with_capacity(k);
        while chosen.len() < k {
            let s = rng.below(m as u64) as usize;
            if !chosen.contains(&s) {
                chosen.push(s);
            }
        }
        for s in chosen {
            members[s].push(v);
        }
    }
    let services = members
        .into_iter()
        .enumerate()
        .map(|(j, ms)| {
            let alpha = if rng.below(2) == 0 { (1, 3) } else { (2, 3) };
            // 1 % to 10 % of the stake restaked: pct of α·σ_N is that over α.
            let pct = u128::from(1 + rng.below(10)) * alpha.1 / alpha.0;
            service(j, ms, &vs, alpha, pct)
        })
        .collect();
    Restaking { name: format!("random {n} × {m}, seed {seed:#x}"), validators: vs, services }
}

fn main() {
    let benchmarking = std::env::args().any(|arg| arg == "--bench");
    let exact_size = if benchmarking { EXACT_SIZE } else { SMOKE_EXACT_SIZE };
    let proxy_size = if benchmarking { PROXY_SIZE } else { SMOKE_PROXY_SIZE };

    println!("exact check, {} validators × {} services, stakes over {DECADES} decades:", exact_size.0, exact_size.1);
    let mut worst_s: f64 = 0.0;
    let unlimited = ExactLimits { max_nodes: u64::MAX, ..ExactLimits::default() };
    for seed in EXACT_SEEDS {
        worst_s = worst_s.max(run_exact(&exact_graph(seed, exact_size, DECADES), seed, &unlimited));
    }
    println!(
        "exact check of {} × {}: slowest of {} graphs {worst_s:.3} s (goal: under {EXACT_GOAL_S} s)",
        exact_size.0,
        exact_size.1,
        EXACT_SEEDS.len()
    );

    let r = proxy_graph(PROXY_SEED, proxy_size);
    let Ok(g) = RestakingGraph::from_spec(&r) else {
        println!("the proxy graph does not fit exact arithmetic");
        return;
    };
    let start = Instant::now();
    let el = black_box(eigenlayer_check(black_box(&g)));
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "γ* of {} × {} (|E| = {}): {elapsed:.3} s (goal: under {PROXY_GOAL_S} s)  γ* = {:+.4}  EigenLayer condition holds: {} ({} violators)",
        proxy_size.0,
        proxy_size.1,
        g.edge_count(),
        el.gamma_star.as_ref().map_or(f64::NAN, |m| m.gamma_f64()),
        el.holds,
        el.violators.len(),
    );

    println!(
        "exact check, {} × {}, near-uniform stakes (10^4 to 10^5 USD), default budget of {} nodes:",
        exact_size.0,
        exact_size.1,
        ExactLimits::default().max_nodes
    );
    for seed in EXACT_SEEDS {
        run_exact(&exact_graph(seed, exact_size, NEAR_UNIFORM_DECADES), seed, &ExactLimits::default());
    }
}

/// Runs and prints one exact check; its time in seconds.
fn run_exact(r: &Restaking, seed: u64, limits: &ExactLimits) -> f64 {
    let Ok(g) = RestakingGraph::from_spec(r) else {
        println!("  seed {seed}: the graph does not fit exact arithmetic");
        return 0.0;
    };
    let start = Instant::now();
    let result = black_box(exact_check(black_box(&g), limits));
    let elapsed = start.elapsed().as_secs_f64();
    match result {
        Ok(e) => println!(
            "  seed {seed}: {elapsed:>7.3} s  {:>10} nodes  |E| = {:>4}  secure: {:<5}  γ_exact = {:+.4}  best gain = {}",
            e.nodes,
            g.edge_count(),
            e.secure,
            e.gamma_exact.as_ref().map_or(f64::NAN, |m| m.gamma_f64()),
            e.most_profitable
                .as_ref()
                .map_or("none (secure)".to_string(), |a| format!("${:.0}", g.usd(a.profit) - g.usd(a.stake))),
        ),
        Err(e) => println!("  seed {seed}: {elapsed:>7.3} s  {e}"),
    }
    elapsed
}
