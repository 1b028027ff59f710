//! `SwapMath`: one step of a swap, inside one range of constant liquidity.
//!
//! Ported from `Uniswap/v3-core`, `contracts/libraries/SwapMath.sol` (commit d8b1c635).

use alloy_primitives::{I256, U256};

use super::V3MathError;
use super::full_math::{mul_div, mul_div_rounding_up};
use super::sqrt_price_math::{
    get_amount0_delta, get_amount1_delta, get_next_sqrt_price_from_input, get_next_sqrt_price_from_output,
};

/// Fees are in pips: hundredths of a basis point, 1e6 is 100 %.
pub const PIPS: u32 = 1_000_000;

/// The result of [`compute_swap_step`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwapStep {
    /// The square-root price after the step, never past the target.
    pub sqrt_ratio_next_x96: U256,
    /// Input taken by the curve, fee excluded.
    pub amount_in: U256,
    /// Output paid.
    pub amount_out: U256,
    /// Fee taken on the input.
    pub fee_amount: U256,
}

/// Swaps within one range: from `sqrt_ratio_current_x96` toward `sqrt_ratio_target_x96`
/// (which also gives the direction) until the target or the amount runs out.
/// `amount_remaining` is positive for an exact input, negative for an exact output.
///
/// # Formula
/// Exact input: the input less the fee, `mulDiv(amount, 1e6 − fee, 1e6)`, is compared with the
/// amount needed to reach the target; if short, the next price is
/// [`get_next_sqrt_price_from_input`]. Amounts are then re-derived from the prices reached
/// (input rounded up, output down), and the fee is the rest of the input when the target is
/// not reached, else `mulDivRoundingUp(amountIn, fee, 1e6 − fee)`.
/// `SwapMath.computeSwapStep`.
///
/// # Errors
/// [`V3MathError::FeeOutOfRange`] for a fee of 100 % or more (a `uint24` fee tier is below
/// 1e6 in every deployed pool), and the errors of the price and amount functions.
pub fn compute_swap_step(
    sqrt_ratio_current_x96: U256,
    sqrt_ratio_target_x96: U256,
    liquidity: u128,
    amount_remaining: I256,
    fee_pips: u32,
) -> Result<SwapStep, V3MathError> {
    if fee_pips >= PIPS {
        return Err(V3MathError::FeeOutOfRange { fee_pips });
    }
    let (current, target) = (sqrt_ratio_current_x96, sqrt_ratio_target_x96);
    let zero_for_one = current >= target;
    let exact_in = amount_remaining >= I256::ZERO;
    let pips = U256::from(PIPS);
    let fee = U256::from(fee_pips);
    // `uint256(-amountRemaining)`: two's complement, so int256.min stays 2²⁵⁵.
    let remaining_out = amount_remaining.wrapping_neg().into_raw();

    let mut amount_in = U256::ZERO;
    let mut amount_out = U256::ZERO;
    let next;
    if exact_in {
        let less_fee = mul_div(amount_remaining.into_raw(), pips - fee, pips)?;
        amount_in = if zero_for_one {
            get_amount0_delta(target, current, liquidity, true)?
        } else {
            get_amount1_delta(current, target, liquidity, true)?
        };
        next = if less_fee >= amount_in {
            target
        } else {
            get_next_sqrt_price_from_input(current, liquidity, less_fee, zero_for_one)?
        };
    } else {
        amount_out = if zero_for_one {
            get_amount1_delta(target, current, liquidity, false)?
        } else {
            get_amount0_delta(current, target, liquidity, false)?
        };
        next = if remaining_out >= amount_out {
            target
        } else {
            get_next_sqrt_price_from_output(current, liquidity, remaining_out, zero_for_one)?
        };
    }

    let max = target == next;
    // `max && exactIn ? amountIn : ...` and `max && !exactIn ? amountOut : ...`.
    let (keep_in, keep_out) = (max && exact_in, max && !exact_in);
    if zero_for_one {
        if !keep_in {
            amount_in = get_amount0_delta(next, current, liquidity, true)?;
        }
        if !keep_out {
            amount_out = get_amount1_delta(next, current, liquidity, false)?;
        }
    } else {
        if !keep_in {
            amount_in = get_amount1_delta(current, next, liquidity, true)?;
        }
        if !keep_out {
            amount_out = get_amount0_delta(current, next, liquidity, false)?;
        }
    }

    // Cap the output at what remains to be paid out.
    if !exact_in && amount_out > remaining_out {
        amount_out = remaining_out;
    }

    let fee_amount = if exact_in && next != target {
        // Target not reached: the rest of the maximum input is the fee (unchecked in 0.7).
        amount_remaining.into_raw().wrapping_sub(amount_in)
    } else {
        mul_div_rounding_up(amount_in, fee, pips - fee)?
    };
    Ok(SwapStep { sqrt_ratio_next_x96: next, amount_in, amount_out, fee_amount })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Pinned vectors: Uniswap/v3-core @ d8b1c635, test/SwapMath.spec.ts. The prices are
    // that file's encodePriceSqrt(1, 1), (101, 100) and (1000, 100), recomputed as bignumber.js
    // does (40 decimal places, then floor).
    const PRICE_1: u128 = 79228162514264337593543950336;
    const PRICE_1_01: u128 = 79623317895830914510639640423;
    const PRICE_10: u128 = 250541448375047931186413801569;
    const TWO_E18: u128 = 2_000_000_000_000_000_000;

    #[test]
    fn exact_amount_in_capped_at_the_price_target_matches_the_contract_test() {
        let amount = I256::try_from(1_000_000_000_000_000_000i128).unwrap();
        let step = compute_swap_step(U256::from(PRICE_1), U256::from(PRICE_1_01), TWO_E18, amount, 600).unwrap();
        assert_eq!(step.amount_in, U256::from(9975124224178055u128));
        assert_eq!(step.fee_amount, U256::from(5988667735148u128));
        assert_eq!(step.amount_out, U256::from(9925619580021728u128));
        assert_eq!(step.sqrt_ratio_next_x96, U256::from(PRICE_1_01));
    }

    #[test]
    fn exact_amount_in_fully_spent_matches_the_contract_test() {
        let amount = I256::try_from(1_000_000_000_000_000_000i128).unwrap();
        let step = compute_swap_step(U256::from(PRICE_1), U256::from(PRICE_10), TWO_E18, amount, 600).unwrap();
        assert_eq!(step.amount_in, U256::from(999400000000000000u128));
        assert_eq!(step.fee_amount, U256::from(600000000000000u128));
        assert_eq!(step.amount_out, U256::from(666399946655997866u128));
        assert!(step.sqrt_ratio_next_x96 < U256::from(PRICE_10));
    }

    #[test]
    fn a_full_fee_is_refused() {
        let p = U256::from(1u8) << 96usize;
        assert_eq!(compute_swap_step(p, p, 1, I256::ONE, PIPS), Err(V3MathError::FeeOutOfRange { fee_pips: PIPS }));
    }
}
