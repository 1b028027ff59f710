//! Dispersion and correlated failure of 1,000,000 synthetic validators, per dimension.
//!
//! `cargo bench -p bulwark-attack --bench dispersion` prints the wall time of
//! `dispersion` + `correlated_failure` for each dimension and their sum, against the
//! goal of under one second in release mode: once as the two free functions (each
//! groups the set), once from one shared `Grouping` (what a report on both does). Without `--bench` (as `cargo test
//! --all-targets` runs it) it checks the same code on 10,000 validators instead.
//!
//! The set is deterministic (xorshift64*, seed below): stakes log-normal-ish, 50
//! countries, 200 hosting providers and 5 clients with skewed popularity, 1 % of
//! validators without a hosting provider, 1 % inactive.

#![allow(clippy::print_stdout)] // A benchmark's output is its report.

use std::hint::black_box;
use std::time::Instant;

use bulwark_attack::dispersion::{Dimension, Grouping, correlated_failure, dispersion};
use bulwark_spec::data::validators::{StakeUnit, Validator, ValidatorFormat, ValidatorSet};

/// Validators in the benchmark proper.
const VALIDATORS: usize = 1_000_000;
/// Validators in the smoke run under `cargo test`.
const SMOKE_VALIDATORS: usize = 10_000;
/// The goal for all dimensions together, in seconds.
const GOAL_S: f64 = 1.0;
const SEED: u64 = 0x9E37_79B9_7F4A_7C15;
const COUNTRIES: u64 = 50;
const PROVIDERS: u64 = 200;
const CLIENTS: u64 = 5;

/// xorshift64* (Vigna, "An experimental exploration of Marsaglia's xorshift generators").
struct XorShift(u64);

impl XorShift {
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

    /// Roughly standard normal: the sum of 12 uniforms less 6 (Irwin–Hall).
    fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.unit()).sum::<f64>() - 6.0
    }

    /// An index in `0..n`, small ones far likelier (u³ skew), like real hosting shares.
    fn skewed(&mut self, n: u64) -> u64 {
        let u = self.unit();
        ((u * u * u) * n as f64) as u64
    }
}

fn synthetic_set(count: usize) -> ValidatorSet {
    let mut rng = XorShift(SEED);
    let validators = (0..count)
        .map(|i| {
            // ~ e^(N(0, 1.5)) × 10,000 tokens of 10^9 base units.
            let stake_tokens = 10_000.0 * (1.5 * rng.normal()).exp();
            let provider = rng.skewed(PROVIDERS);
            Validator {
                id: format!("validator-{i:07}"),
                stake: (stake_tokens * 1e9) as u128,
                active: !rng.next_u64().is_multiple_of(100),
                operator: None,
                country: Some(format!("C{:02}", rng.skewed(COUNTRIES))),
                asn: (!rng.next_u64().is_multiple_of(100)).then(|| format!("AS{}", 10_000 + provider)),
                datacenter: None,
                client: Some(format!("client-{}", rng.skewed(CLIENTS))),
            }
        })
        .collect();
    ValidatorSet {
        format: ValidatorFormat::Columns,
        unit: StakeUnit { symbol: "SYN".to_owned(), decimals: 9 },
        validators,
    }
}

fn main() {
    let benchmarking = std::env::args().any(|arg| arg == "--bench");
    let count = if benchmarking { VALIDATORS } else { SMOKE_VALIDATORS };
    let set = synthetic_set(count);
    println!("{count} synthetic validators (seed {SEED:#x}); per dimension, dispersion + correlated_failure:");
    println!("  {:<10} {:>9} {:>9}   result", "dimension", "apart", "shared");
    let (mut apart_s, mut shared_s) = (0.0, 0.0);
    for dimension in Dimension::ALL {
        // As two calls, each grouping the set.
        let start = Instant::now();
        let report = black_box(dispersion(black_box(&set), dimension));
        let failure = black_box(correlated_failure(black_box(&set), dimension));
        let apart = start.elapsed().as_secs_f64();
        // Grouped once, both reports from the one grouping.
        let start = Instant::now();
        let grouping = Grouping::new(black_box(&set), dimension);
        let both = black_box(grouping.map(|g| (g.dispersion(), g.correlated_failure())));
        let shared = start.elapsed().as_secs_f64();
        (apart_s, shared_s) = (apart_s + apart, shared_s + shared);
        assert_eq!(both, Some((report.clone(), failure.clone())).filter(|_| report.is_some()));
        let result = match (report, failure) {
            (Some(d), Some(f)) => format!(
                "entities {:>7}  NC > 1/3 {:>5}  gini {:.3}  hhi {:>7.1}  halts liveness {:?}",
                d.entities,
                d.metrics.nakamoto.one_third,
                d.metrics.gini,
                d.metrics.hhi,
                f.halts_liveness.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>(),
            ),
            _ => "no labels along this dimension".to_owned(),
        };
        println!("  {:<10} {apart:>7.3} s {shared:>7.3} s   {result}", dimension.name());
    }
    println!("dispersion of {count} validators: {apart_s:.2} s (goal: under {GOAL_S} s)");
    println!("dispersion of {count} validators, grouped once per dimension: {shared_s:.2} s (goal: under {GOAL_S} s)");
}
