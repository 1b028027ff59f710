//! Every ported function against the `uniswap_v3_math` crate (0.6.2, alloy `U256` as
//! ours), bit for bit: exhaustively over all ticks for `TickMath`, by property tests over
//! random prices, liquidities and amounts elsewhere, with the boundaries (MIN/MAX tick
//! and ratio, zero liquidity, zero amounts, 2²⁵⁶ − 1) drawn often.
//!
//! Where the two disagree, the Solidity source decides (see each test's comment).

use std::panic::{AssertUnwindSafe, catch_unwind};

use alloy_primitives::{I256, U256};
use bulwark_market::concentrated::full_math::{mul_div, mul_div_rounding_up};
use bulwark_market::concentrated::sqrt_price_math::{
    get_amount0_delta, get_amount1_delta, get_next_sqrt_price_from_input, get_next_sqrt_price_from_output,
};
use bulwark_market::concentrated::swap_math::compute_swap_step;
use bulwark_market::concentrated::tick_math::{
    MAX_SQRT_RATIO, MAX_TICK, MIN_SQRT_RATIO, MIN_TICK, get_sqrt_ratio_at_tick, get_tick_at_sqrt_ratio,
};
use proptest::prelude::*;
use uniswap_v3_math as reference;

/// Cases per property: enough to hit every rounding branch many times over.
const CASES: u32 = 20_000;

/// The reference's result, or `None` for an error or a panic (ruint panics on a division
/// by zero where the EVM returns zero or reverts).
fn theirs<T, E>(f: impl FnOnce() -> Result<T, E>) -> Option<T> {
    catch_unwind(AssertUnwindSafe(f)).ok().and_then(Result::ok)
}

/// Any 256-bit value, its bit length uniform so that small and huge values are both common.
fn u256_any() -> impl Strategy<Value = U256> {
    prop_oneof![
        8 => (any::<[u64; 4]>(), 0usize..=256)
            .prop_map(|(l, bits)| if bits == 0 { U256::ZERO } else { U256::from_limbs(l) >> (256 - bits) }),
        1 => Just(U256::ZERO),
        1 => Just(U256::MAX),
    ]
}

/// A square-root price in [MIN_SQRT_RATIO, MAX_SQRT_RATIO): a tick's exact ratio, one off
/// it, or any value between the bounds.
fn sqrt_price() -> impl Strategy<Value = U256> {
    let one = U256::from(1u8);
    prop_oneof![
        4 => (MIN_TICK..=MAX_TICK, -1i8..=1).prop_map(move |(t, d)| {
            let r = get_sqrt_ratio_at_tick(t).unwrap();
            let r = match d { -1 => r.saturating_sub(one), 1 => r + one, _ => r };
            r.clamp(MIN_SQRT_RATIO, MAX_SQRT_RATIO - one)
        }),
        4 => (any::<[u64; 4]>(), 33usize..=160)
            .prop_map(move |(l, bits)| (U256::from_limbs(l) >> (256 - bits)).clamp(MIN_SQRT_RATIO, MAX_SQRT_RATIO - one)),
        1 => Just(MIN_SQRT_RATIO),
        1 => Just(MAX_SQRT_RATIO - one),
    ]
}

/// A liquidity, zero and u128::MAX included.
fn liquidity() -> impl Strategy<Value = u128> {
    prop_oneof![
        8 => (any::<u128>(), 1u32..=128).prop_map(|(x, b)| x >> (128 - b)),
        1 => Just(0u128),
        1 => Just(u128::MAX),
    ]
}

fn fee_pips() -> impl Strategy<Value = u32> {
    prop_oneof![Just(0u32), Just(100), Just(500), Just(3000), Just(10_000), 0u32..1_000_000]
}

#[test]
fn tick_math_matches_the_reference_at_every_tick() {
    // 1,774,545 ticks; getTickAtSqrtRatio at each ratio and one unit either side.
    let one = U256::from(1u8);
    let mut checked = 0u64;
    for t in MIN_TICK..=MAX_TICK {
        let ours = get_sqrt_ratio_at_tick(t).unwrap();
        assert_eq!(Some(ours), theirs(|| reference::tick_math::get_sqrt_ratio_at_tick(t)), "tick {t}");
        for r in [ours - one, ours, ours + one] {
            let mine = get_tick_at_sqrt_ratio(r).ok();
            assert_eq!(mine, theirs(|| reference::tick_math::get_tick_at_sqrt_ratio(r)), "ratio {r}");
            checked += 1;
        }
    }
    assert_eq!(checked, 3 * 1_774_545);
    assert!(get_sqrt_ratio_at_tick(MAX_TICK + 1).is_err());
    assert!(theirs(|| reference::tick_math::get_sqrt_ratio_at_tick(MAX_TICK + 1)).is_none());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn mul_div_matches_the_reference(a in u256_any(), b in u256_any(), d in u256_any()) {
        prop_assert_eq!(mul_div(a, b, d).ok(), theirs(|| reference::full_math::mul_div(a, b, d)));
        prop_assert_eq!(
            mul_div_rounding_up(a, b, d).ok(),
            theirs(|| reference::full_math::mul_div_rounding_up(a, b, d))
        );
    }

    #[test]
    fn amount_deltas_match_the_reference(a in sqrt_price(), b in sqrt_price(), l in liquidity(), up in any::<bool>()) {
        prop_assert_eq!(
            get_amount0_delta(a, b, l, up).ok(),
            theirs(|| reference::sqrt_price_math::_get_amount_0_delta(a, b, l, up))
        );
        prop_assert_eq!(
            get_amount1_delta(a, b, l, up).ok(),
            theirs(|| reference::sqrt_price_math::_get_amount_1_delta(a, b, l, up))
        );
    }

    #[test]
    fn next_prices_match_the_reference(p in sqrt_price(), l in liquidity(), amount in u256_any(), zfo in any::<bool>()) {
        let pairs = [
            (
                get_next_sqrt_price_from_input(p, l, amount, zfo).ok(),
                theirs(|| reference::sqrt_price_math::get_next_sqrt_price_from_input(p, l, amount, zfo)),
            ),
            (
                get_next_sqrt_price_from_output(p, l, amount, zfo).ok(),
                theirs(|| reference::sqrt_price_math::get_next_sqrt_price_from_output(p, l, amount, zfo)),
            ),
        ];
        let u160_max = (U256::from(1u8) << 160) - U256::from(1u8);
        for (ours, reference) in pairs {
            match (ours, reference) {
                (Some(x), Some(y)) => prop_assert_eq!(x, y),
                (None, None) => {}
                // The Solidity reverts where the crate goes on: `toUint160` on a price past
                // 2¹⁶⁰ (the crate skips that cast when removing token 0) and `LowGasSafeMath.add`
                // on an overflowing divisor (the crate wraps). Only those may differ.
                (None, Some(y)) => prop_assert!(y > u160_max || amount > u160_max, "ours reverted, crate gave {}", y),
                (Some(x), None) => prop_assert!(false, "crate failed where ours gave {}", x),
            }
        }
    }

    #[test]
    fn swap_steps_match_the_reference(
        current in sqrt_price(),
        target in sqrt_price(),
        l in liquidity(),
        amount in (any::<[u64; 4]>(), 0usize..=255, any::<bool>()).prop_map(|(limbs, bits, negative)| {
            let magnitude = if bits == 0 { U256::ZERO } else { U256::from_limbs(limbs) >> (256 - bits) };
            let x = I256::from_raw(magnitude);
            if negative { -x } else { x }
        }),
        fee in fee_pips(),
    ) {
        let ours = compute_swap_step(current, target, l, amount, fee).ok()
            .map(|s| (s.sqrt_ratio_next_x96, s.amount_in, s.amount_out, s.fee_amount));
        let reference = theirs(|| reference::swap_math::compute_swap_step(current, target, l, amount, fee));
        match (ours, reference) {
            (Some(x), Some(y)) => prop_assert_eq!(x, y),
            (None, None) => {}
            // As above: only a next price past 2¹⁶⁰ may separate the two.
            (None, Some(y)) => prop_assert!(y.0 > (U256::from(1u8) << 160) - U256::from(1u8), "ours reverted, crate gave {:?}", y),
            (Some(x), None) => prop_assert!(false, "crate failed where ours gave {:?}", x),
        }
    }
}

#[test]
fn boundaries_agree_with_the_reference() {
    let one = U256::from(1u8);
    let prices = [MIN_SQRT_RATIO, MIN_SQRT_RATIO + one, U256::from(1u8) << 96, MAX_SQRT_RATIO - one];
    let liquidities = [0u128, 1, 1 << 64, u128::MAX];
    let amounts = [U256::ZERO, one, U256::from(u128::MAX), (one << 160) - one, one << 160, U256::MAX];
    for &a in &prices {
        for &b in &prices {
            for &l in &liquidities {
                for up in [false, true] {
                    assert_eq!(
                        get_amount0_delta(a, b, l, up).ok(),
                        theirs(|| reference::sqrt_price_math::_get_amount_0_delta(a, b, l, up))
                    );
                    assert_eq!(
                        get_amount1_delta(a, b, l, up).ok(),
                        theirs(|| reference::sqrt_price_math::_get_amount_1_delta(a, b, l, up))
                    );
                }
                for &amount in &amounts {
                    for zfo in [false, true] {
                        let ours = get_next_sqrt_price_from_input(a, l, amount, zfo).ok();
                        let crate_ =
                            theirs(|| reference::sqrt_price_math::get_next_sqrt_price_from_input(a, l, amount, zfo));
                        if ours.is_some() {
                            assert_eq!(ours, crate_, "input p={a} l={l} amount={amount} zfo={zfo}");
                        }
                    }
                }
            }
        }
    }
}
