//! Oracle vectors: PfC against hand algebra, TWAP and spot routes on small specs, the
//! invariants (PfC monotone in the move, CoC linear in liquidity), and the Aave example.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failure should stop loudly.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use bulwark_attack::Verdict;
use bulwark_attack::oracle::{BorrowLiquidity, Exposure, OracleOptions, oracle_assessment, oracle_vectors};
use bulwark_market::venue_curve;
use bulwark_spec::Protocol;
use proptest::prelude::*;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn aave() -> Protocol {
    bulwark_spec::load(&repo().join("examples/aave-v3-ethereum.toml")).unwrap()
}

/// A spec from text, its data files written beside it in a fresh temporary folder.
fn spec(name: &str, text: &str, files: &[(&str, &str)]) -> Protocol {
    let dir = std::env::temp_dir().join(format!("bulwark-oracle-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (file, body) in files {
        std::fs::write(dir.join(file), body).unwrap();
    }
    let p = bulwark_spec::parse_str(text, &dir.join("spec.toml"), &dir).unwrap();
    // The positions are read during parsing: the folder is no longer needed.
    std::fs::remove_dir_all(&dir).ok();
    p
}

/// One account: 100 A (price 1, LT 0.85, bonus 5 %, protocol fee 10 %) against 80 B of
/// debt, HF = 85/80 = 1.0625. A: LTV 0.8, supply cap 1,000. B: borrow cap 500.
fn hand_spec() -> Protocol {
    let text = r#"
[protocol]
name = "hand"
[assets.A]
price = 1.0
volatility = { daily = 0.01 }
[assets.B]
price = 1.0
volatility = { daily = 0.001 }
[[markets]]
name = "m"
[markets.reserves.A]
ltv = 0.8
liquidation_threshold = 0.85
liquidation_bonus = 0.05
liquidation_protocol_fee = 0.1
supply_cap = 1000
[markets.reserves.B]
ltv = 0.0
liquidation_threshold = 0.0
liquidation_bonus = 0.0
borrow_cap = 500
[markets.positions]
csv = "positions.csv"
"#;
    spec("hand", text, &[("positions.csv", "account,asset,collateral,debt\nacc,A,100,\nacc,B,,80\n")])
}

#[test]
fn pfc_of_borrowing_at_an_inflated_price_is_ltv_k_minus_one_times_the_collateral() {
    let e = Exposure::new(&hand_spec(), "A", 0, BorrowLiquidity::CapHeadroom);
    // k = 2: LTV·k = 1.6; C = min(900 supply headroom, 420 lendable / 1.6) = 262.5;
    // PfC = (1.6 − 1)·262.5 = 157.5.
    let p = e.pfc_usd(2.0);
    assert!((p.borrow_usd - 157.5).abs() < 1e-9, "{p:?}");
    assert_eq!(p.liquidation_usd, 0.0, "A up raises the account's health");
    // k = 1.3: LTV·k = 1.04; C = 420/1.04; PfC = 0.04·420/1.04.
    assert!((e.pfc_usd(1.3).borrow_usd - 0.04 * 420.0 / 1.04).abs() < 1e-9);
    // Below the LTV slack (k ≤ 1/0.8 = 1.25) borrowing at the false price does not pay.
    assert_eq!(e.pfc_usd(1.2).total_usd(), 0.0);
    // The book's own liquidity instead of the cap: supplied − borrowed of B is 0.
    assert_eq!(Exposure::new(&hand_spec(), "A", 0, BorrowLiquidity::Book).pfc_usd(2.0).borrow_usd, 0.0);
}

#[test]
fn pfc_of_liquidating_follows_the_aave_close_factor_bonus_and_fee() {
    let e = Exposure::new(&hand_spec(), "A", 0, BorrowLiquidity::CapHeadroom);
    // k = 0.9: HF = 76.5/80 = 0.956 > 0.95, close factor 50 %: repay 40, receive
    // 40·(1 + 0.05·0.9) read-dollars of A, worth /0.9 at the true price.
    let p = e.pfc_usd(0.9);
    assert!((p.liquidation_usd - 40.0 * (1.045 / 0.9 - 1.0)).abs() < 1e-9, "{p:?}");
    assert_eq!(p.borrow_usd, 0.0, "B is no collateral: nothing to borrow A against");
    // k = 0.8: HF = 0.85 ≤ 0.95, all the debt; the collateral (80 read) caps it at 80/1.05.
    let p = e.pfc_usd(0.8);
    assert!((p.liquidation_usd - 80.0 / 1.05 * (1.045 / 0.8 - 1.0)).abs() < 1e-9, "{p:?}");
    // k = 0.95: HF = 1.0094, still safe.
    assert_eq!(e.pfc_usd(0.95).total_usd(), 0.0);
}

/// WETH against USDC on a v2 pool (10,000 WETH, $30M) with the given oracle block.
fn twap_spec(name: &str, reserves: [f64; 2], oracle: &str) -> Protocol {
    let text = format!(
        r#"
[protocol]
name = "twap"
[assets.WETH]
price = 3000.0
volatility = {{ daily = 0.04 }}
[assets.USDC]
price = 1.0
volatility = {{ daily = 0.001 }}
[[venues]]
name = "v2 WETH/USDC"
kind = "constant_product"
pair = ["WETH", "USDC"]
reserves = [{}, {}]
fee = 0.003
{oracle}
[[markets]]
name = "m"
[markets.reserves.WETH]
ltv = 0.8
liquidation_threshold = 0.825
liquidation_bonus = 0.05
supply_cap = 100000
[markets.reserves.USDC]
ltv = 0.75
liquidation_threshold = 0.78
liquidation_bonus = 0.045
borrow_cap = 1e9
[markets.positions]
count = 2000
total_debt = 5e7
health = {{ median = 1.5, min = 1.0, spread = 0.9 }}
collateral = {{ WETH = 1.0 }}
debt = {{ USDC = 1.0 }}
seed = 11
"#,
        reserves[0], reserves[1]
    );
    spec(name, &text, &[])
}

const TWAP_V2: &str =
    "[oracles.WETH]\nkind = \"twap\"\nvenue = \"v2 WETH/USDC\"\nwindow = \"5m\"\nmean = \"arithmetic\"";

#[test]
fn a_v2_twap_costs_the_cheapest_m_times_l_plus_fee_at_its_break_even() {
    let p = twap_spec("v2", [10_000.0, 30_000_000.0], TWAP_V2);
    let a = oracle_assessment(&p, &OracleOptions::default());
    let weth = a.assets.iter().find(|s| s.asset == "WETH").unwrap();
    let star = weth.smallest_profitable_move.clone().expect("a thin pool's TWAP can be moved at a profit");
    assert!(star.reads && star.route.contains("TWAP"), "{star:?}");
    // By hand: 5 min = 25 blocks; m blocks at q = 1 + 25(k − 1)/m cost m·(fee + L(q)).
    let pool = bulwark_market::ConstantProduct::new(10_000.0, 30_000_000.0, 0.003).unwrap();
    let k = star.factor;
    let by_hand = (1..=25)
        .filter_map(|m| {
            let q = 1.0 + 25.0 * (k - 1.0) / f64::from(m);
            (q > 0.0).then(|| {
                let mv = pool.cost_to_move(q);
                f64::from(m) * (mv.fee_quote + mv.arbitrage_loss_quote)
            })
        })
        .fold(f64::INFINITY, f64::min);
    assert!((star.coc_usd - by_hand).abs() <= 1e-9 * by_hand, "{} vs {by_hand}", star.coc_usd);
    assert!(star.pfc_usd > star.coc_usd);
    let v = a.vectors.iter().find(|v| v.vector.contains("TWAP")).unwrap();
    assert_eq!(v.verdict, Verdict::Insecure);
    assert_eq!(v.time_s.unwrap() % 12.0, 0.0, "whole blocks of 12 s");
    assert!(v.assumptions.iter().any(|s| s.contains("consecutive slots")), "{:?}", v.assumptions);
    // The spot route on the same venue is not what a TWAP oracle reads.
    assert!(a.vectors.iter().any(|v| v.vector.contains("spot on v2") && v.pfc_usd == Some(0.0)));
}

#[test]
fn cost_of_a_twap_attack_is_linear_in_the_pool_s_liquidity() {
    // CoC is monotone in liquidity (STYLE invariant): x · y = k costs scale with reserves.
    let opts = OracleOptions::default();
    let cheapest = |r: [f64; 2]| {
        let a = oracle_assessment(&twap_spec(&format!("lin{}", r[0]), r, TWAP_V2), &opts);
        a.assets.iter().find(|s| s.asset == "WETH").unwrap().cheapest.clone().unwrap()
    };
    let (thin, thick) = (cheapest([10_000.0, 3e7]), cheapest([20_000.0, 6e7]));
    assert!(thin.route.contains("TWAP") && thin.route == thick.route, "{thin:?}");
    assert!((thick.coc_usd / thin.coc_usd - 2.0).abs() < 1e-9);
}

#[test]
fn without_an_oracle_the_spot_is_assumed_read_and_the_atomic_attack_pays() {
    let p = twap_spec("none", [10_000.0, 30_000_000.0], "");
    let v = oracle_vectors(&p, &OracleOptions::default());
    let spot = v.iter().find(|v| v.vector.contains("WETH") && v.vector.contains("spot")).unwrap();
    assert_eq!(spot.verdict, Verdict::Insecure, "{spot:?}");
    assert!(spot.assumptions.iter().any(|s| s.contains("no oracle")));
    assert_eq!(spot.time_s, Some(12.0));
}

#[test]
fn a_geometric_twap_on_a_narrow_v3_range_is_priced_by_the_tick_walk() {
    // The docs/spec.md pool: 3,000 USDC per WETH, all liquidity between ≈2,061 and ≈3,771.
    let venue = r#"
[[venues]]
name = "v3 WETH/USDC"
kind = "concentrated_liquidity"
pair = ["WETH", "USDC"]
fee = 0.0005
sqrt_price_x96 = "4339505179874779489431521"
liquidity = "20000000000000000000"
tick_spacing = 10
ticks = [[-200000, "20000000000000000000"], [-194000, "-20000000000000000000"]]
decimals = [18, 6]
[oracles.WETH]
kind = "twap"
venue = "v3 WETH/USDC"
window = "2m"
mean = "geometric"
"#;
    let p = twap_spec("v3", [10_000.0, 30_000_000.0], venue);
    let a = oracle_assessment(&p, &OracleOptions::default());
    let star = a.assets.iter().find(|s| s.asset == "WETH").unwrap().smallest_profitable_move.clone().unwrap();
    assert!(star.route.contains("geometric TWAP"), "{star:?}");
    // By hand, 10 blocks: q = k^(10/m), each block the exact walk's fee + L.
    let curve = venue_curve(p.venues.iter().find(|v| v.name == "v3 WETH/USDC").unwrap()).unwrap();
    let k = star.factor;
    let by_hand = (1..=10)
        .filter_map(|m| {
            let q = k.powf(10.0 / f64::from(m));
            let mv = curve.cost_to_move(q).ok()?;
            ((mv.factor / q).ln().abs() < 1e-6).then(|| f64::from(m) * (mv.fee_quote + mv.arbitrage_loss_quote))
        })
        .fold(f64::INFINITY, f64::min);
    assert!((star.coc_usd - by_hand).abs() <= 1e-9 * by_hand, "{} vs {by_hand}", star.coc_usd);
}

#[test]
fn aave_example_reads_push_feeds_so_no_route_pays_but_the_counterfactual_is_reported() {
    let p = aave();
    let a = oracle_assessment(&p, &OracleOptions::default());
    let listed: Vec<&str> = a.assets.iter().map(|s| s.asset.as_str()).collect();
    assert_eq!(listed, ["WETH", "WBTC", "wstETH", "USDC", "USDT"]);
    for v in &a.vectors {
        // Gaps of a few percent stay far inside the LTV slack (1/0.805 − 1 = 24 % for WETH).
        assert_eq!(v.verdict, Verdict::Secure, "{}", v.vector);
        assert_eq!(v.pfc_usd, Some(0.0), "{}", v.vector);
        assert!(v.vector.contains("push feed") || v.vector.contains("(not read)"), "{}", v.vector);
    }
    for s in &a.assets {
        assert!(s.smallest_profitable_move.is_none() && s.cheapest.is_none(), "{}: push feeds only", s.asset);
    }
    // USDT trades on no venue: no manipulation route at all.
    assert!(a.assets.iter().find(|s| s.asset == "USDT").unwrap().cheapest_if_read.is_none());
    // Were WETH read from a venue's spot, a one-block move of a few percent would pay.
    let weth = a.assets.iter().find(|s| s.asset == "WETH").unwrap().smallest_profitable_move_if_read.clone().unwrap();
    assert!(weth.factor > 0.5 && weth.factor < 2.0 && weth.coc_usd < weth.pfc_usd, "{weth:?}");
    assert_eq!(oracle_assessment(&p, &OracleOptions::default()), a, "deterministic");
}

/// The Aave example's exposure to WETH and to USDC, built once for the property below.
fn aave_exposures() -> &'static [Exposure; 2] {
    static CELL: OnceLock<[Exposure; 2]> = OnceLock::new();
    CELL.get_or_init(|| {
        let p = aave();
        ["WETH", "USDC"].map(|a| Exposure::new(&p, a, 7, BorrowLiquidity::CapHeadroom))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn pfc_grows_with_the_move_in_each_direction(k1 in 1.0001f64..10.0, k2 in 1.0001f64..10.0) {
        // Generated books never hold one asset on both sides, where monotonicity holds.
        let (lo, hi) = if k1 < k2 { (k1, k2) } else { (k2, k1) };
        for e in aave_exposures() {
            prop_assert!(e.pfc_usd(lo).total_usd() <= e.pfc_usd(hi).total_usd() * (1.0 + 1e-12));
            prop_assert!(e.pfc_usd(1.0 / lo).total_usd() <= e.pfc_usd(1.0 / hi).total_usd() * (1.0 + 1e-12));
        }
    }
}
