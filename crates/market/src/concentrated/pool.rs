//! The swap loop of `UniswapV3Pool.swap`, walking initialized ticks.

use std::collections::BTreeMap;

use alloy_primitives::{I256, U256};

use super::V3MathError;
use super::full_math::mul_div;
use super::sqrt_price_math::{get_amount0_delta, get_amount1_delta};
use super::swap_math::{PIPS, compute_swap_step};
use super::tick_math::{
    MAX_SQRT_RATIO, MAX_TICK, MIN_SQRT_RATIO, MIN_TICK, get_sqrt_ratio_at_tick, get_tick_at_sqrt_ratio,
};
use crate::MarketError;

/// The largest tick spacing the factory allows (`UniswapV3Factory.enableFeeAmount`: < 16384).
const MAX_TICK_SPACING: i32 = 16_384;

/// A Uniswap v3 pool's swap state: `slot0` price and tick, in-range liquidity, and the
/// initialized ticks with their `liquidityNet`. Fees are in pips (3000 is 0.3 %).
///
/// Built only through [`ConcentratedPool::new`], which checks that the state is one a
/// pool can be in, so that swaps never meet an inconsistent tick map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConcentratedPool {
    sqrt_price_x96: U256,
    tick: i32,
    liquidity: u128,
    tick_spacing: i32,
    ticks: BTreeMap<i32, i128>,
    fee_pips: u32,
}

/// The outcome of a swap, as `UniswapV3Pool.swap` computes it (protocol fee aside, which
/// only splits the LP fee and changes no amount).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwapResult {
    /// The pool's token-0 delta: positive when the pool receives token 0.
    pub amount0: I256,
    /// The pool's token-1 delta.
    pub amount1: I256,
    /// What the swapper pays in, fee included.
    pub amount_in: U256,
    /// What the swapper receives.
    pub amount_out: U256,
    /// The fee part of `amount_in`.
    pub fee: U256,
    /// Growth of the input token's `feeGrowthGlobalX128` (protocol fee off).
    pub fee_growth_global_x128: U256,
    /// `slot0.sqrtPriceX96` after the swap.
    pub sqrt_price_after: U256,
    /// `slot0.tick` after the swap.
    pub tick_after: i32,
    /// In-range liquidity after the swap.
    pub liquidity_after: u128,
    /// Initialized ticks crossed.
    pub ticks_crossed: u32,
}

impl ConcentratedPool {
    /// A pool at `sqrt_price_x96`, its tick derived as the contract's `initialize` does.
    ///
    /// `ticks` must list every initialized tick (a tick with zero `liquidityNet` but
    /// positions on it is initialized too): the swap loop stops at each, and a missing one
    /// changes rounding. When a downward swap ended exactly on an initialized tick, slot0's
    /// tick is one below the derived one; use [`ConcentratedPool::with_slot0_tick`].
    ///
    /// # Errors
    /// [`MarketError::BadTickSpacing`], [`MarketError::TickNotOnSpacing`],
    /// [`MarketError::BadFee`] for a fee of 1e6 pips or more, [`MarketError::Math`] for a
    /// price outside the ratio bounds or a tick outside the tick range, and
    /// [`MarketError::LiquidityInconsistent`] when crossing the listed ticks from the current
    /// one would take the liquidity below zero or past 2¹²⁸ − 1.
    pub fn new(
        sqrt_price_x96: U256,
        liquidity: u128,
        tick_spacing: i32,
        ticks: BTreeMap<i32, i128>,
        fee_pips: u32,
    ) -> Result<Self, MarketError> {
        let tick = get_tick_at_sqrt_ratio(sqrt_price_x96)?;
        if !(1..MAX_TICK_SPACING).contains(&tick_spacing) {
            return Err(MarketError::BadTickSpacing(tick_spacing));
        }
        if fee_pips >= PIPS {
            return Err(MarketError::BadFee(f64::from(fee_pips) / f64::from(PIPS)));
        }
        for &t in ticks.keys() {
            if !(MIN_TICK..=MAX_TICK).contains(&t) {
                return Err(V3MathError::TickOutOfRange { tick: t }.into());
            }
            if t % tick_spacing != 0 {
                return Err(MarketError::TickNotOnSpacing { tick: t, tick_spacing });
            }
        }
        let pool = Self { sqrt_price_x96, tick, liquidity, tick_spacing, ticks, fee_pips };
        pool.check_liquidity()?;
        Ok(pool)
    }

    /// The same pool with slot0's tick one below the derived one: the state a downward
    /// swap leaves when it ends exactly on the price of an initialized tick.
    ///
    /// # Errors
    /// [`MarketError::TickInconsistent`] unless the price is exactly that of the tick above,
    /// and [`MarketError::LiquidityInconsistent`] as in [`ConcentratedPool::new`].
    pub fn with_slot0_tick(mut self, tick: i32) -> Result<Self, MarketError> {
        if tick != self.tick {
            let on_boundary = tick == self.tick - 1 && get_sqrt_ratio_at_tick(self.tick)? == self.sqrt_price_x96;
            if !on_boundary {
                return Err(MarketError::TickInconsistent { tick, sqrt_price_x96: self.sqrt_price_x96 });
            }
            self.tick = tick;
            self.check_liquidity()?;
        }
        Ok(self)
    }

    /// Crossing every listed tick from the current one keeps the liquidity in `u128`.
    fn check_liquidity(&self) -> Result<(), MarketError> {
        let mut down = self.liquidity;
        for (&t, &net) in self.ticks.range(..=self.tick).rev() {
            down = add_delta(down, net.checked_neg().ok_or(MarketError::LiquidityInconsistent { tick: t })?)
                .map_err(|_| MarketError::LiquidityInconsistent { tick: t })?;
        }
        let mut up = self.liquidity;
        for (&t, &net) in self.ticks.range(self.tick + 1..) {
            up = add_delta(up, net).map_err(|_| MarketError::LiquidityInconsistent { tick: t })?;
        }
        Ok(())
    }

    /// `slot0.sqrtPriceX96`.
    pub fn sqrt_price_x96(&self) -> U256 {
        self.sqrt_price_x96
    }
    /// `slot0.tick`.
    pub fn tick(&self) -> i32 {
        self.tick
    }
    /// In-range liquidity.
    pub fn liquidity(&self) -> u128 {
        self.liquidity
    }
    /// Tick spacing.
    pub fn tick_spacing(&self) -> i32 {
        self.tick_spacing
    }
    /// Initialized ticks and their `liquidityNet`.
    pub fn ticks(&self) -> &BTreeMap<i32, i128> {
        &self.ticks
    }
    /// Fee in pips.
    pub fn fee_pips(&self) -> u32 {
        self.fee_pips
    }

    /// The pool as the swap left it.
    pub fn after(&self, swap: &SwapResult) -> Self {
        Self {
            sqrt_price_x96: swap.sqrt_price_after,
            tick: swap.tick_after,
            liquidity: swap.liquidity_after,
            ..self.clone()
        }
    }

    /// Swaps until the price reaches `sqrt_price_limit_x96`: the contract's swap with
    /// `amountSpecified = type(int256).max`, as `TestUniswapV3Callee.swapToLowerSqrtPrice`.
    ///
    /// # Errors
    /// As [`ConcentratedPool::swap`].
    pub fn swap_to_price(&self, zero_for_one: bool, sqrt_price_limit_x96: U256) -> Result<SwapResult, V3MathError> {
        self.swap(zero_for_one, I256::MAX, sqrt_price_limit_x96)
    }

    /// Swaps exactly `amount_in` (fee included) with no price limit other than the ratio
    /// bounds (`MIN_SQRT_RATIO + 1`, `MAX_SQRT_RATIO − 1`, as routers pass).
    ///
    /// # Errors
    /// [`V3MathError::Overflow`] for an amount of 2²⁵⁵ or more; as [`ConcentratedPool::swap`].
    pub fn swap_exact_in(&self, zero_for_one: bool, amount_in: U256) -> Result<SwapResult, V3MathError> {
        let amount = I256::try_from(amount_in).map_err(|_| V3MathError::Overflow)?;
        self.swap(zero_for_one, amount, default_limit(zero_for_one))
    }

    /// `UniswapV3Pool.swap`: positive `amount_specified` is an exact input, negative an exact
    /// output; the loop steps to the next initialized tick or word boundary of the tick
    /// bitmap, the price limit, or the end of the amount, crossing ticks as it goes.
    ///
    /// # Formula
    /// Each step is [`compute_swap_step`] within constant liquidity; reaching an initialized
    /// tick adds its `liquidityNet` (subtracts it moving down); the tick becomes
    /// `tickNext − 1` moving down, `tickNext` moving up, or `getTickAtSqrtRatio` inside a range.
    ///
    /// # Errors
    /// [`V3MathError::ZeroAmount`] (`'AS'`), [`V3MathError::PriceLimit`] (`'SPL'`), and any
    /// error of the step math or of crossing a tick.
    pub fn swap(
        &self,
        zero_for_one: bool,
        amount_specified: I256,
        sqrt_price_limit_x96: U256,
    ) -> Result<SwapResult, V3MathError> {
        let limit = sqrt_price_limit_x96;
        if amount_specified.is_zero() {
            return Err(V3MathError::ZeroAmount);
        }
        let limit_ok = if zero_for_one {
            limit < self.sqrt_price_x96 && limit > MIN_SQRT_RATIO
        } else {
            limit > self.sqrt_price_x96 && limit < MAX_SQRT_RATIO
        };
        if !limit_ok {
            return Err(V3MathError::PriceLimit { limit });
        }
        let exact_input = amount_specified > I256::ZERO;
        let mut remaining = amount_specified;
        let mut calculated = I256::ZERO;
        let mut sqrt_price = self.sqrt_price_x96;
        let mut tick = self.tick;
        let mut liquidity = self.liquidity;
        let mut fee_total = U256::ZERO;
        let mut fee_growth = U256::ZERO;
        let mut crossed = 0u32;

        while !remaining.is_zero() && sqrt_price != limit {
            let start = sqrt_price;
            let (next, initialized) = self.next_initialized_tick_within_one_word(tick, zero_for_one);
            let tick_next = next.clamp(MIN_TICK, MAX_TICK);
            let sqrt_next = get_sqrt_ratio_at_tick(tick_next)?;
            let beyond_limit = if zero_for_one { sqrt_next < limit } else { sqrt_next > limit };
            let target = if beyond_limit { limit } else { sqrt_next };
            let step = compute_swap_step(sqrt_price, target, liquidity, remaining, self.fee_pips)?;
            sqrt_price = step.sqrt_ratio_next_x96;

            let paid = to_int256(step.amount_in.checked_add(step.fee_amount).ok_or(V3MathError::Overflow)?)?;
            let received = to_int256(step.amount_out)?;
            if exact_input {
                remaining = remaining.checked_sub(paid).ok_or(V3MathError::Overflow)?;
                calculated = calculated.checked_sub(received).ok_or(V3MathError::Overflow)?;
            } else {
                remaining = remaining.checked_add(received).ok_or(V3MathError::Overflow)?;
                calculated = calculated.checked_add(paid).ok_or(V3MathError::Overflow)?;
            }
            fee_total = fee_total.checked_add(step.fee_amount).ok_or(V3MathError::Overflow)?;
            if liquidity > 0 {
                // Overflow is acceptable in the contract.
                fee_growth = fee_growth.wrapping_add(mul_div(
                    step.fee_amount,
                    U256::from(1u8) << 128usize,
                    U256::from(liquidity),
                )?);
            }

            if sqrt_price == sqrt_next {
                if initialized {
                    let net = self.ticks.get(&tick_next).copied().unwrap_or(0);
                    // Moving left, liquidityNet counts the other way (never int128.min).
                    let net = if zero_for_one { net.checked_neg().ok_or(V3MathError::Overflow)? } else { net };
                    liquidity =
                        add_delta(liquidity, net).map_err(|()| V3MathError::LiquidityOutOfRange { tick: tick_next })?;
                    crossed += 1;
                }
                tick = if zero_for_one { tick_next - 1 } else { tick_next };
            } else if sqrt_price != start {
                // Recompute unless on a lower tick boundary already transitioned.
                tick = get_tick_at_sqrt_ratio(sqrt_price)?;
            }
        }

        let used = amount_specified.checked_sub(remaining).ok_or(V3MathError::Overflow)?;
        let (amount0, amount1) = if zero_for_one == exact_input { (used, calculated) } else { (calculated, used) };
        let (pay, get) = if zero_for_one { (amount0, amount1) } else { (amount1, amount0) };
        Ok(SwapResult {
            amount0,
            amount1,
            amount_in: pay.into_raw(),
            amount_out: get.wrapping_neg().into_raw(),
            fee: fee_total,
            fee_growth_global_x128: fee_growth,
            sqrt_price_after: sqrt_price,
            tick_after: tick,
            liquidity_after: liquidity,
            ticks_crossed: crossed,
        })
    }

    /// `TickBitmap.nextInitializedTickWithinOneWord` over the tick map: the next initialized
    /// tick at or left of `tick` (`lte`) or right of it, within the same 256-tick bitmap word
    /// of compressed ticks; the word's edge, uninitialized, when there is none.
    fn next_initialized_tick_within_one_word(&self, tick: i32, lte: bool) -> (i32, bool) {
        let s = self.tick_spacing;
        // Round toward −∞, as the contract's `compressed--` for negative remainders.
        let compressed = tick.div_euclid(s);
        if lte {
            let word_start = compressed - compressed.rem_euclid(256);
            match self.ticks.range(word_start * s..=compressed * s).next_back() {
                Some((&t, _)) => (t, true),
                None => (word_start * s, false),
            }
        } else {
            let c = compressed + 1;
            let word_end = c + (255 - c.rem_euclid(256));
            match self.ticks.range(c * s..=word_end * s).next() {
                Some((&t, _)) => (t, true),
                None => (word_end * s, false),
            }
        }
    }

    /// Tokens the listed liquidity holds at the current price, rounded up per range as
    /// `mint` charges them: `(amount0, amount1)` in raw units, uncollected fees excluded.
    ///
    /// # Formula
    /// Per range [a, b) of constant liquidity L: all token 0 when tick < a, all token 1 when
    /// tick ≥ b, else Δx from √P to √P_b and Δy from √P_a to √P (`_modifyPosition`).
    ///
    /// # Errors
    /// Those of the amount functions (none for a pool built by [`ConcentratedPool::new`]).
    pub fn token_amounts(&self) -> Result<(U256, U256), V3MathError> {
        // Liquidity below the lowest listed tick: undo every crossing at or below the tick.
        let mut l = self.liquidity;
        for (&t, &net) in self.ticks.range(..=self.tick).rev() {
            let undo = net.checked_neg().ok_or(V3MathError::LiquidityOutOfRange { tick: t })?;
            l = add_delta(l, undo).map_err(|()| V3MathError::LiquidityOutOfRange { tick: t })?;
        }
        let (mut amount0, mut amount1) = (U256::ZERO, U256::ZERO);
        let mut range = |a: i32, b: i32, l: u128| -> Result<(), V3MathError> {
            if l == 0 || a >= b {
                return Ok(());
            }
            let (pa, pb) = (get_sqrt_ratio_at_tick(a)?, get_sqrt_ratio_at_tick(b)?);
            let (d0, d1) = if self.tick < a {
                (get_amount0_delta(pa, pb, l, true)?, U256::ZERO)
            } else if self.tick < b {
                (
                    get_amount0_delta(self.sqrt_price_x96, pb, l, true)?,
                    get_amount1_delta(pa, self.sqrt_price_x96, l, true)?,
                )
            } else {
                (U256::ZERO, get_amount1_delta(pa, pb, l, true)?)
            };
            amount0 = amount0.checked_add(d0).ok_or(V3MathError::Overflow)?;
            amount1 = amount1.checked_add(d1).ok_or(V3MathError::Overflow)?;
            Ok(())
        };
        let mut lower = MIN_TICK;
        for (&t, &net) in &self.ticks {
            range(lower, t, l)?;
            l = add_delta(l, net).map_err(|()| V3MathError::LiquidityOutOfRange { tick: t })?;
            lower = t;
        }
        range(lower, MAX_TICK, l)?;
        Ok((amount0, amount1))
    }
}

/// The price limit routers pass for "no limit".
pub(crate) fn default_limit(zero_for_one: bool) -> U256 {
    if zero_for_one { MIN_SQRT_RATIO + U256::from(1u8) } else { MAX_SQRT_RATIO - U256::from(1u8) }
}

/// `LiquidityMath.addDelta`: `'LS'` below zero, `'LA'` past 2¹²⁸ − 1.
fn add_delta(x: u128, y: i128) -> Result<u128, ()> {
    if y < 0 { x.checked_sub(y.unsigned_abs()).ok_or(()) } else { x.checked_add(y.unsigned_abs()).ok_or(()) }
}

/// `SafeCast.toInt256`: below 2²⁵⁵.
fn to_int256(x: U256) -> Result<I256, V3MathError> {
    I256::try_from(x).map_err(|_| V3MathError::Overflow)
}
