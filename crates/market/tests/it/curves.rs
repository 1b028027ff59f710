//! Curves from spec venues against the closed forms of REFERENCES.md §4.1.

use alloy_primitives::U256;
use bulwark_market::concentrated::tick_math::get_sqrt_ratio_at_tick;
use bulwark_market::{ConcentratedVenue, ConstantProduct, Curve, MarketError, PriceMove, venue_curve};
use bulwark_spec::model::venue::{Venue, VenueKind};

/// Relative agreement asked of the full-range pool against x · y = k (REFERENCES.md §4.1,
/// last line); integer rounding of 1 wei on 1e20-wei reserves is far below it.
const FULL_RANGE_REL: f64 = 1e-9;

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300)
}

fn concentrated(sqrt_price: &str, liquidity: &str, spacing: i32, ticks: &[(i32, &str)], fee: f64) -> Venue {
    Venue {
        name: "test pool".into(),
        pair: ["WETH".into(), "USDC".into()],
        fee,
        recovery_half_life_s: 1200.0,
        kind: VenueKind::ConcentratedLiquidity {
            sqrt_price_x96: sqrt_price.into(),
            liquidity: liquidity.into(),
            tick_spacing: spacing,
            ticks: ticks.iter().map(|(t, n)| (*t, (*n).to_string())).collect(),
            decimals: [18, 18],
        },
    }
}

/// x = 100, y = 10,000 (p = 100) in 18-decimal tokens as a full-range v3 position:
/// L = √(x·y) = 1e21 wei, √P = 10 · 2⁹⁶.
fn full_range(fee: f64) -> Curve {
    let sqrt_price = (U256::from(10u8) << 96usize).to_string();
    let l = "1000000000000000000000";
    let neg = "-1000000000000000000000";
    venue_curve(&concentrated(&sqrt_price, l, 60, &[(-887_220, l), (887_220, neg)], fee)).unwrap()
}

fn fields(m: &PriceMove) -> [f64; 7] {
    [m.quote_in, m.base_in, m.base_out, m.quote_out, m.fee_quote, m.arbitrage_loss_quote, m.round_trip_loss_quote]
}

#[test]
fn full_range_liquidity_reproduces_the_constant_product_cost() {
    for fee in [0.0, 0.0005, 0.003, 0.01] {
        let v3 = full_range(fee);
        let v2 = ConstantProduct::new(100.0, 10_000.0, fee).unwrap();
        assert!(close(v3.spot_price(), 100.0, 1e-15));
        for k in [4.0, 2.25, 1.5, 1.01, 1.0001, 1.0 / 1.0001, 0.99, 1.0 / 1.5, 0.25, 0.01] {
            let (a, b) = (v3.cost_to_move(k).unwrap(), v2.cost_to_move(k));
            assert!(close(a.factor, k, 1e-12), "fee {fee} k {k}: factor {}", a.factor);
            // A field that is zero in exact arithmetic (the round trip without a fee) is
            // compared to the trade's size instead: the float closed form leaves ~1e-12 of it.
            let trade = b.quote_in + b.base_in * 100.0;
            for (i, (x, y)) in fields(&a).into_iter().zip(fields(&b)).enumerate() {
                let ok = close(x, y, FULL_RANGE_REL) || (x - y).abs() <= FULL_RANGE_REL * trade;
                assert!(ok, "fee {fee} k {k} field {i}: v3 {x} vs x·y=k {y}");
            }
        }
    }
}

#[test]
fn pumping_four_times_costs_the_quote_reserve_on_v3_too() {
    // REFERENCES.md §4.1 with k = 4: Δy = y(√4 − 1) = y, L(4) = y/2, on x = 100, y = 10,000.
    let m = full_range(0.0).cost_to_move(4.0).unwrap();
    assert!(close(m.quote_in, 10_000.0, 1e-12));
    assert!(close(m.base_out, 50.0, 1e-12));
    assert!(close(m.arbitrage_loss_quote, 5_000.0, 1e-12));
}

/// The example of docs/spec.md: 3000 USDC per WETH, L = 2e19 between ticks −200000 and
/// −194000 (prices ≈ 2,061 and ≈ 3,771).
fn spec_example() -> Venue {
    let mut v = concentrated(
        "4339505179874779489431521",
        "20000000000000000000",
        10,
        &[(-200_000, "20000000000000000000"), (-194_000, "-20000000000000000000")],
        0.0005,
    );
    if let VenueKind::ConcentratedLiquidity { decimals, .. } = &mut v.kind {
        *decimals = [18, 6];
    }
    v
}

#[test]
fn the_spec_example_prices_3000_and_its_range_ends_where_the_ticks_say() {
    let curve = venue_curve(&spec_example()).unwrap();
    assert!(close(curve.spot_price(), 3000.0, 1e-9), "{}", curve.spot_price());
    // Within range: Δy = L(√q − √p) / (1 − f), raw units, to the upper tick.
    let q96 = 2f64.powi(96);
    let sqrt_p = 4339505179874779489431521f64 / q96;
    let sqrt_b = f64::from(get_sqrt_ratio_at_tick(-194_000).unwrap()) / q96;
    let to_top = 2e19 * (sqrt_b - sqrt_p) / (1.0 - 0.0005) / 1e6;
    let m = curve.cost_to_move(1.3).unwrap(); // 3,900: past the top of the range
    assert!(close(m.quote_in, to_top, 1e-9), "{} vs {to_top}", m.quote_in);
    // Beyond the last tick there is no liquidity: any further push is free.
    let m2 = curve.cost_to_move(2.0).unwrap();
    assert_eq!(m2.quote_in, m.quote_in);
    assert!(close(m2.factor, 2.0, 1e-12));
    // Holdings: all in range, x = L(1/√p − 1/√b), y = L(√p − √a).
    let sqrt_a = f64::from(get_sqrt_ratio_at_tick(-200_000).unwrap()) / q96;
    let (base, quote) = curve.reserves();
    assert!(close(base, 2e19 * (1.0 / sqrt_p - 1.0 / sqrt_b) / 1e18, 1e-9));
    assert!(close(quote, 2e19 * (sqrt_p - sqrt_a) / 1e6, 1e-9));
    assert!(close(curve.tvl_quote(), base * 3000.0 + quote, 1e-9));
}

#[test]
fn depth_is_the_in_range_amount_to_the_lower_price() {
    let curve = venue_curve(&spec_example()).unwrap();
    let q96 = 2f64.powi(96);
    let sqrt_p = 4339505179874779489431521f64 / q96;
    let sqrt_q = sqrt_p * 0.98f64.sqrt();
    let expected = 2e19 * (1.0 / sqrt_q - 1.0 / sqrt_p) / (1.0 - 0.0005) / 1e18;
    assert!(close(curve.base_depth(0.02).unwrap(), expected, 1e-9));
    assert_eq!(curve.base_depth(0.0).unwrap(), 0.0);
}

#[test]
fn cost_rises_with_the_move_and_with_liquidity() {
    // CoC is monotone in liquidity (STYLE invariant): doubling L doubles every amount.
    let thin = full_range(0.003);
    let l2 = "2000000000000000000000";
    let n2 = "-2000000000000000000000";
    let sqrt_price = (U256::from(10u8) << 96usize).to_string();
    let thick = venue_curve(&concentrated(&sqrt_price, l2, 60, &[(-887_220, l2), (887_220, n2)], 0.003)).unwrap();
    let mut last = 0.0;
    for k in [1.001, 1.01, 1.1, 1.5, 2.0, 5.0] {
        let c = thin.cost_to_move(k).unwrap().quote_in;
        assert!(c > last);
        last = c;
        assert!(close(thick.cost_to_move(k).unwrap().quote_in, 2.0 * c, 1e-12));
    }
}

#[test]
fn constant_product_venues_give_the_same_curve_both_ways() {
    let v = Venue {
        name: "v2".into(),
        pair: ["WETH".into(), "USDC".into()],
        fee: 0.003,
        recovery_half_life_s: 1200.0,
        kind: VenueKind::ConstantProduct { reserves: [40_000.0, 1.2e8] },
    };
    let Curve::ConstantProduct(c) = venue_curve(&v).unwrap() else { panic!("constant product") };
    assert_eq!(c, bulwark_market::curve(&v).unwrap());
    assert_eq!(bulwark_market::curve(&spec_example()), Err(MarketError::NotConstantProduct("test pool".into())));
}

#[test]
fn bad_concentrated_venues_are_refused_with_their_reason() {
    let l = "1000";
    let build = |price: &str, liq: &str, ticks: &[(i32, String)]| {
        ConcentratedVenue::from_spec(price, liq, 60, ticks, [18, 18], 0.003)
    };
    let price = (U256::from(1u8) << 96usize).to_string();
    assert!(matches!(build("12x", l, &[]), Err(MarketError::BadInteger { field: "sqrt_price_x96", .. })));
    assert!(matches!(build(&price, "-5", &[]), Err(MarketError::BadInteger { field: "liquidity", .. })));
    assert_eq!(
        build(&price, l, &[(61, "5".into())]),
        Err(MarketError::TickNotOnSpacing { tick: 61, tick_spacing: 60 })
    );
    // Crossing tick −60 downward removes 5000 from a liquidity of 1000.
    assert_eq!(build(&price, l, &[(-60, "5000".into())]), Err(MarketError::LiquidityInconsistent { tick: -60 }));
    assert!(matches!(build("1", l, &[]), Err(MarketError::Math(_))));
    assert_eq!(ConcentratedVenue::from_spec(&price, l, 60, &[], [18, 18], 1.0), Err(MarketError::BadFee(1.0)));
    assert_eq!(full_range(0.0).cost_to_move(0.0), Err(MarketError::BadMove(0.0)));
    assert!(full_range(0.0).cost_to_move(f64::NAN).unwrap_err().to_string().contains("positive"));
}
