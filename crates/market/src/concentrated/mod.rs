//! Uniswap v3 concentrated liquidity, bit-exact with the contracts.
//!
//! Every function here is a port of `Uniswap/v3-core` (commit d8b1c635) in 256-bit integer
//! arithmetic: [`tick_math`] (`TickMath.sol`), [`full_math`] (`FullMath.sol`),
//! [`sqrt_price_math`] (`SqrtPriceMath.sol`), [`swap_math`] (`SwapMath.sol`) and the swap
//! loop of `UniswapV3Pool.swap` in [`ConcentratedPool`]. Where the contract reverts, the
//! port returns a [`V3MathError`] naming the `require` that failed.
//!
//! Checked against the `uniswap_v3_math` crate by property tests and against the swap
//! results the v3-core test suite recorded from the contract itself
//! (`test/__snapshots__/UniswapV3Pool.swaps.spec.ts.snap`), in `tests/it/`.

pub mod full_math;
pub mod sqrt_price_math;
pub mod swap_math;
pub mod tick_math;

mod pool;

pub use pool::{ConcentratedPool, SwapResult};

use alloy_primitives::U256;

/// A `require` of the Uniswap v3 libraries that failed, or an input the contract's types
/// could not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum V3MathError {
    /// `TickMath`: |tick| above `MAX_TICK` (`'T'`).
    #[error("tick {tick} is outside [-887272, 887272]")]
    TickOutOfRange {
        /// The tick.
        tick: i32,
    },
    /// `TickMath`: a square-root price outside [`MIN_SQRT_RATIO`, `MAX_SQRT_RATIO`) (`'R'`).
    ///
    /// [`MIN_SQRT_RATIO`]: tick_math::MIN_SQRT_RATIO
    /// [`MAX_SQRT_RATIO`]: tick_math::MAX_SQRT_RATIO
    #[error("sqrtPriceX96 {sqrt_price_x96} is outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO)")]
    SqrtRatioOutOfRange {
        /// The price.
        sqrt_price_x96: U256,
    },
    /// `FullMath`: a division by zero.
    #[error("division by zero")]
    DivisionByZero,
    /// `FullMath`: the quotient does not fit in 256 bits.
    #[error("mulDiv result overflows 256 bits")]
    MulDivOverflow,
    /// A checked addition or cast overflowed (`LowGasSafeMath`, `SafeCast`).
    #[error("arithmetic overflow")]
    Overflow,
    /// A value that must be a `uint160` (a square-root price) is larger.
    #[error("{value} does not fit in a uint160")]
    NotUint160 {
        /// The value.
        value: U256,
    },
    /// `SqrtPriceMath`: the price is zero.
    #[error("the price is zero")]
    ZeroPrice,
    /// `SqrtPriceMath`: the liquidity is zero.
    #[error("the liquidity is zero")]
    ZeroLiquidity,
    /// `SqrtPriceMath`: an output would take the price to zero or below.
    #[error("the output exhausts the range's virtual reserve")]
    PriceOutOfBounds,
    /// `SwapMath`: a fee of 100 % or more.
    #[error("fee of {fee_pips} pips is not below 1,000,000")]
    FeeOutOfRange {
        /// The fee, in pips.
        fee_pips: u32,
    },
    /// `LiquidityMath.addDelta`: crossing a tick takes the liquidity below zero (`'LS'`) or
    /// past 2¹²⁸ − 1 (`'LA'`).
    #[error("crossing tick {tick} takes the liquidity out of range")]
    LiquidityOutOfRange {
        /// The tick crossed.
        tick: i32,
    },
    /// `UniswapV3Pool.swap`: a zero amount (`'AS'`).
    #[error("the swap amount is zero")]
    ZeroAmount,
    /// `UniswapV3Pool.swap`: the price limit is on the wrong side of the price or outside
    /// the ratio bounds (`'SPL'`).
    #[error("price limit {limit} is not strictly between the price and the ratio bound")]
    PriceLimit {
        /// The limit.
        limit: U256,
    },
}
