//! The pool walk against what the contract itself returned: the 240 swaps of v3-core's
//! `test/UniswapV3Pool.swaps.spec.ts` (15 pools with one to three positions, 16 swaps
//! each: exact in, exact out, to a price, with and without limits, crossing ticks and
//! running past the last one), recorded in its jest snapshot and turned into
//! `fixtures/v3_core_swaps.json` by `fixtures/v3_core_swaps.py`.

use std::collections::BTreeMap;

use alloy_primitives::{I256, U256};
use bulwark_market::{ConcentratedPool, V3MathError};
use serde_json::Value;

use crate::fixture;

fn u256(v: &Value) -> U256 {
    U256::from_str_radix(v.as_str().unwrap(), 10).unwrap()
}

fn i256(v: &Value) -> I256 {
    I256::from_dec_str(v.as_str().unwrap()).unwrap()
}

/// The pool the test minted: liquidityNet +L at each lower tick, −L at each upper, and the
/// in-range liquidity of the positions containing the current tick.
fn pool(p: &Value) -> (ConcentratedPool, usize) {
    let sqrt_price = u256(&p["sqrt_price_x96"]);
    let spacing = i32::try_from(p["tick_spacing"].as_i64().unwrap()).unwrap();
    let fee = u32::try_from(p["fee_pips"].as_u64().unwrap()).unwrap();
    let tick = bulwark_market::concentrated::tick_math::get_tick_at_sqrt_ratio(sqrt_price).unwrap();
    let mut ticks: BTreeMap<i32, i128> = BTreeMap::new();
    let mut liquidity = 0u128;
    let positions = p["positions"].as_array().unwrap();
    for pos in positions {
        let lower = i32::try_from(pos[0].as_i64().unwrap()).unwrap();
        let upper = i32::try_from(pos[1].as_i64().unwrap()).unwrap();
        let l: u128 = pos[2].as_str().unwrap().parse().unwrap();
        *ticks.entry(lower).or_default() += i128::try_from(l).unwrap();
        *ticks.entry(upper).or_default() -= i128::try_from(l).unwrap();
        if lower <= tick && tick < upper {
            liquidity += l;
        }
    }
    (ConcentratedPool::new(sqrt_price, liquidity, spacing, ticks, fee).unwrap(), positions.len())
}

#[test]
fn every_recorded_contract_swap_is_reproduced_bit_for_bit() {
    let text = std::fs::read_to_string(fixture("v3_core_swaps.json")).unwrap();
    let fixture: Value = serde_json::from_str(&text).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    // Every snapshot entry is in the file (the generator refuses to skip one): all must run.
    assert_eq!(cases.len(), 240, "the fixture holds all 15 pools × 16 swaps");
    let (mut swaps, mut reverts, mut crossings) = (0, 0, 0);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let (pool, positions) = pool(&case["pool"]);
        let expected = &case["expected"];
        assert_eq!(i64::from(pool.tick()), expected["tick_before"].as_i64().unwrap(), "{name}: tick before");

        let swap = &case["swap"];
        let zfo = swap["zero_for_one"].as_bool().unwrap();
        let result = pool.swap(zfo, i256(&swap["amount_specified"]), u256(&swap["sqrt_price_limit_x96"]));
        if let Some(error) = expected.get("error") {
            assert_eq!(error.as_str(), Some("SPL"), "{name}: only price-limit reverts are recorded");
            assert!(matches!(result, Err(V3MathError::PriceLimit { .. })), "{name}: expected SPL, got {result:?}");
            reverts += 1;
            continue;
        }
        let r = result.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(r.amount0, i256(&expected["amount0"]), "{name}: amount0");
        assert_eq!(r.amount1, i256(&expected["amount1"]), "{name}: amount1");
        assert_eq!(i64::from(r.tick_after), expected["tick_after"].as_i64().unwrap(), "{name}: tick after");
        let growth = if zfo { &expected["fee_growth_global0_x128"] } else { &expected["fee_growth_global1_x128"] };
        assert_eq!(r.fee_growth_global_x128, u256(growth), "{name}: fee growth of the input token");

        // Pool balances: `mint` rounds up per position, we round up per range of constant
        // liquidity; they differ by at most one unit per rounding.
        let (a0, a1) = pool.token_amounts().unwrap();
        let slack = U256::from(positions + pool.ticks().len() + 1);
        for (ours, theirs) in [(a0, u256(&expected["balance0_before"])), (a1, u256(&expected["balance1_before"]))] {
            let gap = if ours > theirs { ours - theirs } else { theirs - ours };
            assert!(gap <= slack, "{name}: holdings {ours} vs minted {theirs}");
        }
        swaps += 1;
        crossings += r.ticks_crossed;
    }
    assert_eq!(swaps + reverts, 240);
    assert_eq!(reverts, 50);
    assert!(crossings > 0, "some recorded swaps cross initialized ticks");
}
