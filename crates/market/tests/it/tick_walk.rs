//! Multi-tick swaps against an independent walk assembled from the `uniswap_v3_math`
//! crate: its tick bitmap (`flip_tick`, `next_initialized_tick_within_one_word`), its
//! `compute_swap_step`, tick math and `add_delta`, in the loop of `UniswapV3Pool.swap`.
//! Random pools of up to eight positions; random exact-in, exact-out and to-price swaps.

use std::collections::{BTreeMap, HashMap};

use alloy_primitives::{I256, U256};
use bulwark_market::concentrated::tick_math::{MAX_SQRT_RATIO, MAX_TICK, MIN_SQRT_RATIO, MIN_TICK};
use bulwark_market::{ConcentratedPool, SwapResult};
use proptest::prelude::*;
use uniswap_v3_math as reference;

#[derive(Debug)]
struct Spec {
    spacing: i32,
    fee: u32,
    sqrt_price: U256,
    positions: Vec<(i32, i32, u128)>,
}

/// Our pool, and the reference's bitmap and liquidityNet map for the same positions.
fn build(spec: &Spec) -> (ConcentratedPool, HashMap<i16, U256>, BTreeMap<i32, i128>, u128) {
    let tick = reference::tick_math::get_tick_at_sqrt_ratio(spec.sqrt_price).unwrap();
    let mut net: BTreeMap<i32, i128> = BTreeMap::new();
    let mut liquidity = 0u128;
    for &(lo, hi, l) in &spec.positions {
        *net.entry(lo).or_default() += l as i128;
        *net.entry(hi).or_default() -= l as i128;
        if lo <= tick && tick < hi {
            liquidity += l;
        }
    }
    let mut bitmap = HashMap::new();
    for &t in net.keys() {
        reference::tick_bitmap::flip_tick(&mut bitmap, t, spec.spacing).unwrap();
    }
    let pool = ConcentratedPool::new(spec.sqrt_price, liquidity, spec.spacing, net.clone(), spec.fee).unwrap();
    (pool, bitmap, net, liquidity)
}

/// `UniswapV3Pool.swap` from the crate's parts: (amount0, amount1, price, tick, liquidity).
#[allow(clippy::too_many_arguments)]
fn reference_swap(
    spec: &Spec,
    bitmap: &HashMap<i16, U256>,
    net: &BTreeMap<i32, i128>,
    liquidity: u128,
    zfo: bool,
    specified: I256,
    limit: U256,
) -> Option<(I256, I256, U256, i32, u128)> {
    let mut sqrt = spec.sqrt_price;
    let mut tick = reference::tick_math::get_tick_at_sqrt_ratio(sqrt).ok()?;
    let mut l = liquidity;
    let exact_in = specified > I256::ZERO;
    let (mut remaining, mut calculated) = (specified, I256::ZERO);
    while !remaining.is_zero() && sqrt != limit {
        let start = sqrt;
        let (next, initialized) =
            reference::tick_bitmap::next_initialized_tick_within_one_word(bitmap, tick, spec.spacing, zfo).ok()?;
        let next = next.clamp(MIN_TICK, MAX_TICK);
        let sqrt_next = reference::tick_math::get_sqrt_ratio_at_tick(next).ok()?;
        let target = if (zfo && sqrt_next < limit) || (!zfo && sqrt_next > limit) { limit } else { sqrt_next };
        let (s, a_in, a_out, fee) =
            reference::swap_math::compute_swap_step(sqrt, target, l, remaining, spec.fee).ok()?;
        sqrt = s;
        let paid = I256::from_raw(a_in + fee);
        let got = I256::from_raw(a_out);
        if exact_in {
            remaining -= paid;
            calculated -= got;
        } else {
            remaining += got;
            calculated += paid;
        }
        if sqrt == sqrt_next {
            if initialized {
                let n = net[&next];
                l = reference::liquidity_math::add_delta(l, if zfo { -n } else { n }).ok()?;
            }
            tick = if zfo { next - 1 } else { next };
        } else if sqrt != start {
            tick = reference::tick_math::get_tick_at_sqrt_ratio(sqrt).ok()?;
        }
    }
    let used = specified - remaining;
    let (a0, a1) = if zfo == exact_in { (used, calculated) } else { (calculated, used) };
    Some((a0, a1, sqrt, tick, l))
}

fn summary(r: &SwapResult) -> (I256, I256, U256, i32, u128) {
    (r.amount0, r.amount1, r.sqrt_price_after, r.tick_after, r.liquidity_after)
}

fn pool_spec() -> impl Strategy<Value = Spec> {
    (prop_oneof![Just(1i32), Just(10), Just(60), Just(200)], prop_oneof![Just(100u32), Just(500), Just(3000), Just(10_000)])
        .prop_flat_map(|(spacing, fee)| {
            let lo = MIN_TICK / spacing;
            let hi = MAX_TICK / spacing;
            // Positions clustered near the price (±3,000 spacings) so that swaps cross them,
            // plus the occasional full-range one.
            let position = prop_oneof![
                3 => (-3000i32..3000, 1i32..600, 1u128..(1u128 << 90))
                    .prop_map(move |(a, w, l)| ((a * spacing).max(lo * spacing), ((a + w) * spacing).min(hi * spacing), l)),
                1 => (1u128..(1u128 << 90)).prop_map(move |l| (lo * spacing, hi * spacing, l)),
            ];
            (Just(spacing), Just(fee), -3000 * spacing..3000 * spacing, proptest::collection::vec(position, 1..8))
        })
        .prop_map(|(spacing, fee, t, positions)| Spec {
            spacing,
            fee,
            sqrt_price: reference::tick_math::get_sqrt_ratio_at_tick(t).unwrap() + U256::from(12_345u32),
            positions,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    #[test]
    fn random_multi_tick_swaps_match_the_reference_walk(
        spec in pool_spec(),
        zfo in any::<bool>(),
        kind in 0u8..3,
        amount in (1u32..=60).prop_flat_map(|bits| (Just(bits), any::<u64>())).prop_map(|(bits, x)| {
            U256::from(x) << (bits as usize) | U256::from(1u8)
        }),
        limit_ticks in 1i32..50_000,
    ) {
        let (pool, bitmap, net, liquidity) = build(&spec);
        let start_tick = pool.tick();
        let limit_tick = if zfo { start_tick - limit_ticks } else { start_tick + limit_ticks }.clamp(MIN_TICK + 1, MAX_TICK - 1);
        let limit = reference::tick_math::get_sqrt_ratio_at_tick(limit_tick).unwrap()
            .clamp(MIN_SQRT_RATIO + U256::from(1u8), MAX_SQRT_RATIO - U256::from(1u8));
        let specified = match kind {
            0 => I256::from_raw(amount),
            1 => -I256::from_raw(amount),
            _ => I256::MAX,
        };
        let ours = pool.swap(zfo, specified, limit);
        let reference = reference_swap(&spec, &bitmap, &net, liquidity, zfo, specified, limit);
        match (ours, reference) {
            (Ok(r), Some(expected)) => prop_assert_eq!(summary(&r), expected),
            (Err(_), None) => {}
            (ours, reference) => prop_assert!(false, "ours {:?} vs reference {:?}", ours, reference),
        }
    }
}

#[test]
fn a_swap_across_several_ticks_crosses_them_all() {
    // Five nested positions around tick 0, spacing 60: pushing the price past all of them
    // crosses the five upper ticks, each removing its liquidity.
    let positions: Vec<(i32, i32, u128)> =
        (1..=5).map(|i| (-600 * i, 600 * i, 1_000_000_000_000_000_000u128 * i as u128)).collect();
    let spec = Spec { spacing: 60, fee: 3000, sqrt_price: U256::from(1u8) << 96, positions };
    let (pool, bitmap, net, liquidity) = build(&spec);
    let limit = reference::tick_math::get_sqrt_ratio_at_tick(4000).unwrap();
    let r = pool.swap_to_price(false, limit).unwrap();
    assert_eq!(r.ticks_crossed, 5);
    assert_eq!(r.liquidity_after, 0);
    assert_eq!(r.tick_after, 4000);
    let expected = reference_swap(&spec, &bitmap, &net, liquidity, false, I256::MAX, limit).unwrap();
    assert_eq!(summary(&r), expected);
    // Going back down re-crosses them and restores the liquidity.
    let back = pool.after(&r).swap_exact_in(true, r.amount_out).unwrap();
    assert_eq!(back.liquidity_after, pool.liquidity());
    // Only the input net of the fee moves the price: the way back stops short of the start.
    assert!(back.sqrt_price_after > pool.sqrt_price_x96());
}
