//! `SqrtPriceMath`: token amounts between two square-root prices, and the price a
//! given amount moves to.
//!
//! Ported from `Uniswap/v3-core`, `contracts/libraries/SqrtPriceMath.sol` (commit
//! d8b1c635). Square-root prices are Q64.96 `uint160` values in the contract; here they are
//! [`U256`]s, and a value above 2¹⁶⁰ − 1 is refused with [`V3MathError::NotUint160`] rather
//! than silently truncated by an ABI decoder. Rounding directions are the contract's:
//! amounts owed to the pool round up, amounts paid out round down.

use alloy_primitives::U256;

use super::V3MathError;
use super::full_math::{div_rounding_up, mul_div, mul_div_rounding_up};

/// Bits of the Q64.96 fraction (`FixedPoint96.RESOLUTION`).
const RESOLUTION: usize = 96;

/// 2¹⁶⁰ − 1, the largest `uint160`.
fn u160_max() -> U256 {
    (U256::from(1u8) << 160usize) - U256::from(1u8)
}

fn check_u160(x: U256) -> Result<U256, V3MathError> {
    if x > u160_max() { Err(V3MathError::NotUint160 { value: x }) } else { Ok(x) }
}

/// The square-root price after adding (`add`) or removing `amount` of token 0, rounded up.
///
/// # Formula
/// √P' = L·√P / (L ± Δx·√P), computed as `mulDivRoundingUp(L·2⁹⁶, √P, L·2⁹⁶ ± Δx·√P)`; when
/// adding overflows, the less precise `L·2⁹⁶ / (L·2⁹⁶/√P + Δx)` rounded up.
/// `SqrtPriceMath.getNextSqrtPriceFromAmount0RoundingUp`.
///
/// # Errors
/// [`V3MathError::PriceOutOfBounds`] when removing more token 0 than the range holds (the
/// contract's bare `require`), [`V3MathError::DivisionByZero`] for a zero price, and the
/// errors of [`mul_div_rounding_up`].
pub fn get_next_sqrt_price_from_amount0_rounding_up(
    sqrt_price_x96: U256,
    liquidity: u128,
    amount: U256,
    add: bool,
) -> Result<U256, V3MathError> {
    let sqrt_p = check_u160(sqrt_price_x96)?;
    // Short circuit: otherwise the result is not guaranteed to equal the input price.
    if amount.is_zero() {
        return Ok(sqrt_p);
    }
    let numerator1 = U256::from(liquidity) << RESOLUTION;
    let product = amount.wrapping_mul(sqrt_p);
    let product_exact = product / amount == sqrt_p;
    if add {
        if product_exact {
            let denominator = numerator1.wrapping_add(product);
            if denominator >= numerator1 {
                // Always fits in 160 bits (the contract's comment); `uint160(...)` truncates.
                return Ok(mul_div_rounding_up(numerator1, sqrt_p, denominator)? & u160_max());
            }
        }
        if sqrt_p.is_zero() {
            return Err(V3MathError::DivisionByZero);
        }
        // `LowGasSafeMath.add` reverts on overflow.
        let divisor = (numerator1 / sqrt_p).checked_add(amount).ok_or(V3MathError::Overflow)?;
        Ok(div_rounding_up(numerator1, divisor) & u160_max())
    } else {
        // If the product overflows, the denominator underflows.
        if !(product_exact && numerator1 > product) {
            return Err(V3MathError::PriceOutOfBounds);
        }
        let denominator = numerator1 - product;
        check_u160(mul_div_rounding_up(numerator1, sqrt_p, denominator)?)
    }
}

/// The square-root price after adding (`add`) or removing `amount` of token 1, rounded down.
///
/// # Formula
/// √P' = √P ± Δy/L, with Δy·2⁹⁶/L rounded down when adding and up when removing.
/// `SqrtPriceMath.getNextSqrtPriceFromAmount1RoundingDown`.
///
/// # Errors
/// [`V3MathError::DivisionByZero`] for zero liquidity when adding,
/// [`V3MathError::PriceOutOfBounds`] when removing as much token 1 as the price allows, and
/// [`V3MathError::NotUint160`] when the new price passes 2¹⁶⁰.
pub fn get_next_sqrt_price_from_amount1_rounding_down(
    sqrt_price_x96: U256,
    liquidity: u128,
    amount: U256,
    add: bool,
) -> Result<U256, V3MathError> {
    let sqrt_p = check_u160(sqrt_price_x96)?;
    let liquidity = U256::from(liquidity);
    let small = amount <= u160_max();
    if add {
        let quotient = if small {
            if liquidity.is_zero() {
                return Err(V3MathError::DivisionByZero);
            }
            (amount << RESOLUTION) / liquidity
        } else {
            mul_div(amount, U256::from(1u8) << RESOLUTION, liquidity)?
        };
        check_u160(sqrt_p.checked_add(quotient).ok_or(V3MathError::Overflow)?)
    } else {
        let quotient = if small {
            div_rounding_up(amount << RESOLUTION, liquidity)
        } else {
            mul_div_rounding_up(amount, U256::from(1u8) << RESOLUTION, liquidity)?
        };
        if sqrt_p <= quotient {
            return Err(V3MathError::PriceOutOfBounds);
        }
        Ok(sqrt_p - quotient)
    }
}

/// The square-root price after `amount_in` of token 0 (`zero_for_one`) or token 1 goes in,
/// rounded so as not to pass the target.
///
/// # Formula
/// Token 0 in: [`get_next_sqrt_price_from_amount0_rounding_up`] adding; token 1 in:
/// [`get_next_sqrt_price_from_amount1_rounding_down`] adding.
/// `SqrtPriceMath.getNextSqrtPriceFromInput`.
///
/// # Errors
/// [`V3MathError::ZeroPrice`] or [`V3MathError::ZeroLiquidity`], then those of the callee.
pub fn get_next_sqrt_price_from_input(
    sqrt_price_x96: U256,
    liquidity: u128,
    amount_in: U256,
    zero_for_one: bool,
) -> Result<U256, V3MathError> {
    if sqrt_price_x96.is_zero() {
        return Err(V3MathError::ZeroPrice);
    }
    if liquidity == 0 {
        return Err(V3MathError::ZeroLiquidity);
    }
    if zero_for_one {
        get_next_sqrt_price_from_amount0_rounding_up(sqrt_price_x96, liquidity, amount_in, true)
    } else {
        get_next_sqrt_price_from_amount1_rounding_down(sqrt_price_x96, liquidity, amount_in, true)
    }
}

/// The square-root price after `amount_out` of token 1 (`zero_for_one`) or token 0 goes
/// out, rounded so as to pass the target.
///
/// # Formula
/// Token 1 out: [`get_next_sqrt_price_from_amount1_rounding_down`] removing; token 0 out:
/// [`get_next_sqrt_price_from_amount0_rounding_up`] removing.
/// `SqrtPriceMath.getNextSqrtPriceFromOutput`.
///
/// # Errors
/// [`V3MathError::ZeroPrice`] or [`V3MathError::ZeroLiquidity`], then those of the callee.
pub fn get_next_sqrt_price_from_output(
    sqrt_price_x96: U256,
    liquidity: u128,
    amount_out: U256,
    zero_for_one: bool,
) -> Result<U256, V3MathError> {
    if sqrt_price_x96.is_zero() {
        return Err(V3MathError::ZeroPrice);
    }
    if liquidity == 0 {
        return Err(V3MathError::ZeroLiquidity);
    }
    if zero_for_one {
        get_next_sqrt_price_from_amount1_rounding_down(sqrt_price_x96, liquidity, amount_out, false)
    } else {
        get_next_sqrt_price_from_amount0_rounding_up(sqrt_price_x96, liquidity, amount_out, false)
    }
}

/// Token 0 held by `liquidity` between two square-root prices (in either order).
///
/// # Formula
/// Δx = L·2⁹⁶·(√P_b − √P_a) / √P_b / √P_a, each division rounded up when `round_up`
/// (REFERENCES.md §4.1: Δx = L(1/√p − 1/√q)). `SqrtPriceMath.getAmount0Delta`.
///
/// # Errors
/// [`V3MathError::ZeroPrice`] when the lower price is zero, and those of [`mul_div`].
pub fn get_amount0_delta(
    sqrt_ratio_a_x96: U256,
    sqrt_ratio_b_x96: U256,
    liquidity: u128,
    round_up: bool,
) -> Result<U256, V3MathError> {
    let (a, b) = ordered(check_u160(sqrt_ratio_a_x96)?, check_u160(sqrt_ratio_b_x96)?);
    let numerator1 = U256::from(liquidity) << RESOLUTION;
    let numerator2 = b - a;
    if a.is_zero() {
        return Err(V3MathError::ZeroPrice);
    }
    if round_up {
        Ok(div_rounding_up(mul_div_rounding_up(numerator1, numerator2, b)?, a))
    } else {
        Ok(mul_div(numerator1, numerator2, b)? / a)
    }
}

/// Token 1 held by `liquidity` between two square-root prices (in either order).
///
/// # Formula
/// Δy = L·(√P_b − √P_a) / 2⁹⁶, rounded up when `round_up` (REFERENCES.md §4.1:
/// Δy = L(√q − √p)). `SqrtPriceMath.getAmount1Delta`.
///
/// # Errors
/// Those of [`mul_div`] (none for 160-bit prices and 128-bit liquidity).
pub fn get_amount1_delta(
    sqrt_ratio_a_x96: U256,
    sqrt_ratio_b_x96: U256,
    liquidity: u128,
    round_up: bool,
) -> Result<U256, V3MathError> {
    let (a, b) = ordered(check_u160(sqrt_ratio_a_x96)?, check_u160(sqrt_ratio_b_x96)?);
    let q96 = U256::from(1u8) << RESOLUTION;
    if round_up {
        mul_div_rounding_up(U256::from(liquidity), b - a, q96)
    } else {
        mul_div(U256::from(liquidity), b - a, q96)
    }
}

fn ordered(a: U256, b: U256) -> (U256, U256) {
    if a > b { (b, a) } else { (a, b) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q96() -> U256 {
        U256::from(1u8) << 96
    }

    #[test]
    fn amounts_between_price_one_and_four_are_exact() {
        // √P from 1 to 2 with L = 1e18: Δy = L(2 − 1) = 1e18, Δx = L(1 − 1/2) = 5e17.
        let l = 1_000_000_000_000_000_000u128;
        let two = q96() * U256::from(2u8);
        assert_eq!(get_amount1_delta(q96(), two, l, false), Ok(U256::from(l)));
        assert_eq!(get_amount0_delta(two, q96(), l, true), Ok(U256::from(l / 2)));
    }

    #[test]
    fn zero_amount_leaves_the_price_and_zero_liquidity_is_refused() {
        assert_eq!(get_next_sqrt_price_from_input(q96(), 1, U256::ZERO, true), Ok(q96()));
        assert_eq!(get_next_sqrt_price_from_input(q96(), 0, U256::from(1u8), true), Err(V3MathError::ZeroLiquidity));
        assert_eq!(get_next_sqrt_price_from_input(U256::ZERO, 1, U256::from(1u8), true), Err(V3MathError::ZeroPrice));
    }

    #[test]
    fn output_beyond_the_virtual_reserve_is_refused() {
        // With L = 1 and √P = 1, the virtual token-1 reserve is L·√P = 1: taking 1 leaves 0.
        assert_eq!(
            get_next_sqrt_price_from_output(q96(), 1, U256::from(1u8), true),
            Err(V3MathError::PriceOutOfBounds)
        );
    }
}
