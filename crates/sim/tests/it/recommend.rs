//! Recommendations: reproducible from the seed, intervals that shrink with more paths,
//! and SmartLTV beside them.

use bulwark_sim::recommend::{Lever, RecommendOptions, Target, recommend, smart_ltv};

use crate::sweep::small;

fn options(paths: u64, levers: Vec<Lever>) -> RecommendOptions {
    RecommendOptions { paths, seed: 7, iterations: 6, levers, ..RecommendOptions::default() }
}

#[test]
fn recommend_is_reproducible_from_the_seed() {
    let target: Target = "mean bad debt < 0.2% of debt".parse().unwrap();
    let o = options(64, vec![Lever::LiquidationThreshold, Lever::LiquidationBonus]);
    let a = recommend(&small(), &target, &o, &|_| {}).unwrap();
    let b = recommend(&small(), &target, &o, &|_| {}).unwrap();
    assert_eq!(a, b);
    let c = recommend(&small(), &target, &RecommendOptions { seed: 8, ..o }, &|_| {}).unwrap();
    assert_ne!(a.levers[0].evaluations, c.levers[0].evaluations, "another seed draws other paths");
}

#[test]
fn confidence_intervals_shrink_with_more_paths() {
    let target: Target = "mean bad debt < 0.2% of debt".parse().unwrap();
    let width = |paths| {
        let o = RecommendOptions { iterations: 9, ..options(paths, vec![Lever::LiquidationThreshold]) };
        let r = recommend(&small(), &target, &o, &|_| {}).unwrap();
        let lever = &r.levers[0];
        let (lo, hi) = lever.interval.unwrap_or_else(|| panic!("no bound found: {lever:?}"));
        let x = lever.x.unwrap();
        assert!(lo <= x && x <= hi, "{lo} {x} {hi}");
        assert!(lever.range.0 < lo && hi < lever.range.1, "the bound must lie inside the range: {lever:?}");
        #[allow(clippy::print_stdout)]
        {
            println!("{paths} paths: bound {x:.4}, interval {lo:.4} to {hi:.4}");
        }
        hi - lo
    };
    let (few, many) = (width(50), width(800));
    assert!(many < 0.6 * few, "interval width {few} with 50 paths, {many} with 800");
}

#[test]
fn caps_and_ltv_bounds_come_with_per_reserve_values() {
    let target: Target = "P(insolvency) < 5%".parse().unwrap();
    let r = recommend(&small(), &target, &options(48, vec![Lever::Ltv, Lever::Caps]), &|_| {}).unwrap();
    let caps = &r.levers[1];
    assert!(caps.values.iter().any(|v| v.parameter == "supply_cap" && v.asset == "WETH"), "{caps:?}");
    assert!(caps.values.iter().any(|v| v.parameter == "borrow_cap" && v.asset == "USDC"), "{caps:?}");
    // Bigger books against the same pool are riskier: the evaluations say so at the ends.
    let at = |x: f64| caps.evaluations.iter().find(|e| (e.x - x).abs() < 1e-9).unwrap().figure;
    assert!(at(10.0) >= at(0.1), "{:?}", caps.evaluations);
}

#[test]
fn smart_ltv_follows_its_formula_on_the_spec_s_figures() {
    let p = small().protocol(&[]).unwrap();
    let s = smart_ltv(&p, &p.markets[0], 7);
    assert_eq!(s.len(), 1);
    let w = &s[0];
    // σ = 0.05 (no history); l = the pool's x(1/√(1−β) − 1) WETH at 2,000 USD, β = 0.05,
    // with the pool's 0.3 % fee on the input (bulwark-market's base_depth); d = 5e7.
    let l = 20000.0 * (1.0 / (0.95f64).sqrt() - 1.0) / (1.0 - 0.003) * 2000.0;
    assert!((w.liquidity_usd - l).abs() / l < 1e-9, "{} vs {l}", w.liquidity_usd);
    assert!((w.debt_usd - 5.0e7).abs() < 1.0);
    let expected = (-0.2 * 0.05 / (l / 5.0e7f64).sqrt()).exp() - 0.05;
    assert!((w.ltv - expected).abs() < 1e-12, "{} vs {expected}", w.ltv);
}
