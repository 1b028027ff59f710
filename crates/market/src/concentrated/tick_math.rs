//! `TickMath`: ticks to Q64.96 square-root prices and back.
//!
//! Ported from `Uniswap/v3-core`, `contracts/libraries/TickMath.sol` (commit d8b1c635),
//! constant for constant and step for step, so that every result is the contract's.

use alloy_primitives::{I256, U256, uint};

use super::V3MathError;

/// The least tick: ⌈log₁.₀₀₀₁ 2⁻¹²⁸⌉.
pub const MIN_TICK: i32 = -887_272;
/// The greatest tick: −[`MIN_TICK`].
pub const MAX_TICK: i32 = -MIN_TICK;
/// `getSqrtRatioAtTick(MIN_TICK)`.
pub const MIN_SQRT_RATIO: U256 = uint!(4295128739_U256);
/// `getSqrtRatioAtTick(MAX_TICK)`.
pub const MAX_SQRT_RATIO: U256 = uint!(1461446703485210103287273052203988822378723970342_U256);

/// `√(1.0001^(−2^i))` in Q128.128 for bit i of |tick|, i = 1..19 (bit 0 is the start value).
const RATIO_FACTORS: [u128; 19] = [
    0xfff97272373d413259a46990580e213a,
    0xfff2e50f5f656932ef12357cf3c7fdcc,
    0xffe5caca7e10e4e61c3624eaa0941cd0,
    0xffcb9843d60f6159c9db58835c926644,
    0xff973b41fa98c081472e6896dfb254c0,
    0xff2ea16466c96a3843ec78b326b52861,
    0xfe5dee046a99a2a811c461f1969c3053,
    0xfcbe86c7900a88aedcffc83b479aa3a4,
    0xf987a7253ac413176f2b074cf7815e54,
    0xf3392b0822b70005940c7a398e4b70f3,
    0xe7159475a2c29b7443b29c7fa6e889d9,
    0xd097f3bdfd2022b8845ad8f792aa5825,
    0xa9f746462d870fdf8a65dc1f90e061e5,
    0x70d869a156d2a1b890bb3df62baf32f7,
    0x31be135f97d08fd981231505542fcfa6,
    0x9aa508b5b7a84e1c677de54f3e99bc9,
    0x5d6af8dedb81196699c329225ee604,
    0x2216e584f5fa1ea926041bedfe98,
    0x48a170391f7dc42444e8fa2,
];

/// √(1.0001^tick) · 2⁹⁶, rounded up.
///
/// # Formula
/// The product of the precomputed `√(1.0001^(−2^i))` over the set bits i of |tick|, in
/// Q128.128 with a right shift after each factor; inverted as `(2²⁵⁶ − 1) / ratio` for a
/// positive tick; then Q128.128 → Q64.96 by a division by 2³² rounded up.
/// `TickMath.getSqrtRatioAtTick`.
///
/// # Errors
/// [`V3MathError::TickOutOfRange`] when |tick| > [`MAX_TICK`] (the contract's `'T'`).
pub fn get_sqrt_ratio_at_tick(tick: i32) -> Result<U256, V3MathError> {
    let abs_tick = tick.unsigned_abs();
    if abs_tick > MAX_TICK.unsigned_abs() {
        return Err(V3MathError::TickOutOfRange { tick });
    }
    let mut ratio =
        if abs_tick & 1 != 0 { U256::from(0xfffcb933bd6fad37aa2d162d1a594001_u128) } else { U256::from(1u8) << 128 };
    for (i, factor) in RATIO_FACTORS.iter().enumerate() {
        if abs_tick & (2 << i) != 0 {
            // ratio ≤ 2¹²⁸ and factor < 2¹²⁸: the product fits in 256 bits.
            ratio = ratio.wrapping_mul(U256::from(*factor)) >> 128usize;
        }
    }
    if tick > 0 {
        ratio = U256::MAX / ratio;
    }
    let round_up = !(ratio % (U256::from(1u8) << 32usize)).is_zero();
    Ok((ratio >> 32usize) + U256::from(round_up))
}

/// The greatest tick whose ratio is at most `sqrt_price_x96`.
///
/// # Formula
/// log₂ of the Q128.128 ratio: the integer part from the most significant bit, 14 fraction
/// bits by repeated squaring; times `255738958999603826347141` (2⁶⁴ / log₂ √1.0001) gives
/// log_√1.0001 in Q128.128; the two candidate ticks from the error bounds are told apart
/// with [`get_sqrt_ratio_at_tick`]. `TickMath.getTickAtSqrtRatio`.
///
/// # Errors
/// [`V3MathError::SqrtRatioOutOfRange`] outside [`MIN_SQRT_RATIO`, `MAX_SQRT_RATIO`) (the
/// contract's `'R'`).
pub fn get_tick_at_sqrt_ratio(sqrt_price_x96: U256) -> Result<i32, V3MathError> {
    if !(sqrt_price_x96 >= MIN_SQRT_RATIO && sqrt_price_x96 < MAX_SQRT_RATIO) {
        return Err(V3MathError::SqrtRatioOutOfRange { sqrt_price_x96 });
    }
    let ratio = sqrt_price_x96 << 32usize;

    // Most significant bit by binary search, as the contract's assembly blocks.
    let mut r = ratio;
    let mut msb = 0usize;
    for (shift, threshold) in [
        (7, U256::from(u128::MAX)),
        (6, U256::from(u64::MAX)),
        (5, U256::from(u32::MAX)),
        (4, U256::from(0xFFFFu32)),
        (3, U256::from(0xFFu32)),
        (2, U256::from(0xFu32)),
        (1, U256::from(0x3u32)),
    ] {
        let f = usize::from(r > threshold) << shift;
        msb |= f;
        r >>= f;
    }
    msb |= usize::from(r > U256::from(1u8));

    r = if msb >= 128 { ratio >> (msb - 127) } else { ratio << (127 - msb) };

    // (msb − 128) · 2⁶⁴ fits in an i128; the Q64.64 log₂ lives in an int256 as in Solidity.
    let mut log_2 = I256::try_from((msb as i128 - 128) << 64).map_err(|_| V3MathError::Overflow)?;
    for bit in (50..=63).rev() {
        // r < 2¹²⁸ here, so r² fits in 256 bits.
        r = r.wrapping_mul(r) >> 127usize;
        let f = r >> 128usize;
        log_2 |= I256::from_raw(f << bit);
        r >>= usize::from(!f.is_zero());
    }

    let log_sqrt10001 = log_2.wrapping_mul(I256::from_raw(uint!(255738958999603826347141_U256)));
    let low_offset = I256::from_raw(uint!(3402992956809132418596140100660247210_U256));
    let high_offset = I256::from_raw(uint!(291339464771989622907027621153398088495_U256));
    let tick_low = int24(log_sqrt10001.wrapping_sub(low_offset).asr(128));
    let tick_high = int24(log_sqrt10001.wrapping_add(high_offset).asr(128));

    Ok(if tick_low == tick_high {
        tick_low
    } else if get_sqrt_ratio_at_tick(tick_high)? <= sqrt_price_x96 {
        tick_high
    } else {
        tick_low
    })
}

/// Solidity's `int24(x)`: the low 24 bits, sign-extended.
fn int24(x: I256) -> i32 {
    (x.low_i32() << 8) >> 8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_match_the_contract_constants() {
        assert_eq!(get_sqrt_ratio_at_tick(MIN_TICK), Ok(MIN_SQRT_RATIO));
        assert_eq!(get_sqrt_ratio_at_tick(MAX_TICK), Ok(MAX_SQRT_RATIO));
        assert_eq!(get_sqrt_ratio_at_tick(MIN_TICK - 1), Err(V3MathError::TickOutOfRange { tick: MIN_TICK - 1 }));
        assert_eq!(get_tick_at_sqrt_ratio(MIN_SQRT_RATIO), Ok(MIN_TICK));
        assert_eq!(get_tick_at_sqrt_ratio(MAX_SQRT_RATIO - U256::from(1u8)), Ok(MAX_TICK - 1));
        assert!(get_tick_at_sqrt_ratio(MAX_SQRT_RATIO).is_err());
        assert!(get_tick_at_sqrt_ratio(MIN_SQRT_RATIO - U256::from(1u8)).is_err());
    }

    #[test]
    fn tick_zero_is_price_one() {
        assert_eq!(get_sqrt_ratio_at_tick(0), Ok(U256::from(1u8) << 96usize));
        assert_eq!(get_tick_at_sqrt_ratio(U256::from(1u8) << 96usize), Ok(0));
    }
}
