//! `FullMath`: a × b ÷ d with a 512-bit intermediate, as Uniswap v3 computes it.
//!
//! Ported from `Uniswap/v3-core`, `contracts/libraries/FullMath.sol` (Remco Bloemen's
//! mulDiv, MIT) and `UnsafeMath.sol`, keeping the EVM's wrapping arithmetic step by step
//! so that every result, rounding included, is the contract's.

use alloy_primitives::U256;

use super::V3MathError;

/// ⌊a·b / d⌋ with full precision.
///
/// # Formula
/// The 512-bit product `[prod1 prod0]` is rebuilt from `a·b mod 2²⁵⁶` and
/// `a·b mod (2²⁵⁶ − 1)` (Chinese remainder theorem); the remainder is subtracted so that the
/// division is exact, powers of two are factored out of `d`, and the rest is divided by
/// multiplying with `d⁻¹ mod 2²⁵⁶` from six Newton–Raphson steps. `FullMath.mulDiv`.
///
/// # Errors
/// [`V3MathError::DivisionByZero`] for `d = 0` and [`V3MathError::MulDivOverflow`] when the
/// quotient does not fit in 256 bits (the contract's bare `require`s).
pub fn mul_div(a: U256, b: U256, denominator: U256) -> Result<U256, V3MathError> {
    let one = U256::from(1u8);
    let mm = a.mul_mod(b, U256::MAX);
    let mut prod0 = a.wrapping_mul(b);
    let mut prod1 = mm.wrapping_sub(prod0).wrapping_sub(U256::from(mm < prod0));

    if prod1.is_zero() {
        if denominator.is_zero() {
            return Err(V3MathError::DivisionByZero);
        }
        return Ok(prod0 / denominator);
    }
    // `require(denominator > prod1)`: the result fits in 256 bits (and d ≠ 0).
    if denominator <= prod1 {
        return Err(V3MathError::MulDivOverflow);
    }

    let remainder = a.mul_mod(b, denominator);
    prod1 = prod1.wrapping_sub(U256::from(remainder > prod0));
    prod0 = prod0.wrapping_sub(remainder);

    // The largest power of two dividing the denominator; at least one since d ≠ 0.
    let mut twos = denominator.wrapping_neg() & denominator;
    let denominator = denominator / twos;
    prod0 /= twos;
    // 2²⁵⁶ / twos, which wraps to zero when twos = 1.
    twos = (U256::ZERO.wrapping_sub(twos) / twos).wrapping_add(one);
    prod0 |= prod1.wrapping_mul(twos);

    // Inverse of the (now odd) denominator modulo 2²⁵⁶: correct to 4 bits, then doubled
    // six times to 8, 16, 32, 64, 128 and 256 bits.
    let two = U256::from(2u8);
    let mut inv = U256::from(3u8).wrapping_mul(denominator) ^ two;
    for _ in 0..6 {
        inv = inv.wrapping_mul(two.wrapping_sub(denominator.wrapping_mul(inv)));
    }
    Ok(prod0.wrapping_mul(inv))
}

/// ⌈a·b / d⌉ with full precision.
///
/// # Formula
/// `mulDiv(a, b, d)`, plus one when `mulmod(a, b, d) > 0`. `FullMath.mulDivRoundingUp`.
///
/// # Errors
/// As [`mul_div`], and [`V3MathError::MulDivOverflow`] when rounding up passes 2²⁵⁶ − 1.
pub fn mul_div_rounding_up(a: U256, b: U256, denominator: U256) -> Result<U256, V3MathError> {
    let result = mul_div(a, b, denominator)?;
    if a.mul_mod(b, denominator).is_zero() {
        return Ok(result);
    }
    result.checked_add(U256::from(1u8)).ok_or(V3MathError::MulDivOverflow)
}

/// ⌈x / y⌉ with the EVM's division: zero when `y = 0`, as `UnsafeMath.divRoundingUp` (whose
/// callers check `y` first).
pub(crate) fn div_rounding_up(x: U256, y: U256) -> U256 {
    if y.is_zero() {
        return U256::ZERO;
    }
    let q = x / y;
    if (x % y).is_zero() { q } else { q.wrapping_add(U256::from(1u8)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phantom_overflow_is_resolved_exactly() {
        // (2²⁵⁵ · 6) / 3 = 2²⁵⁶ overflows; (2²⁵⁵ · 3) / 6 = 2²⁵⁴ does not, though a·b does.
        let a = U256::from(1u8) << 255usize;
        assert_eq!(mul_div(a, U256::from(3u8), U256::from(6u8)), Ok(U256::from(1u8) << 254usize));
        assert_eq!(mul_div(a, U256::from(6u8), U256::from(3u8)), Err(V3MathError::MulDivOverflow));
        assert_eq!(mul_div(U256::MAX, U256::MAX, U256::MAX), Ok(U256::MAX));
    }

    #[test]
    fn rounding_up_adds_one_only_with_a_remainder() {
        let (seven, two) = (U256::from(7u8), U256::from(2u8));
        assert_eq!(mul_div(seven, U256::from(1u8), two), Ok(U256::from(3u8)));
        assert_eq!(mul_div_rounding_up(seven, U256::from(1u8), two), Ok(U256::from(4u8)));
        assert_eq!(mul_div_rounding_up(seven, two, two), Ok(seven));
        assert_eq!(mul_div(seven, two, U256::ZERO), Err(V3MathError::DivisionByZero));
        // ⌈(2²⁵⁶ − 1)² / (2²⁵⁶ − 2)⌉ would be 2²⁵⁶: the contract reverts.
        assert_eq!(
            mul_div_rounding_up(U256::MAX, U256::MAX, U256::MAX - U256::from(1u8)),
            Err(V3MathError::MulDivOverflow)
        );
    }

    #[test]
    fn unsafe_division_by_zero_is_zero_as_in_the_evm() {
        assert_eq!(div_rounding_up(U256::from(5u8), U256::ZERO), U256::ZERO);
        assert_eq!(div_rounding_up(U256::from(5u8), U256::from(2u8)), U256::from(3u8));
    }
}
