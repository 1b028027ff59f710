#![doc = include_str!("../README.md")]

pub mod concentrated;
mod constant_product;
mod curve;

pub use concentrated::{ConcentratedPool, SwapResult, V3MathError};
pub use constant_product::{ConstantProduct, PriceMove};
pub use curve::{ConcentratedVenue, Curve};

use bulwark_spec::model::venue::{Venue, VenueKind};

/// Errors building a venue.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MarketError {
    /// Reserves must be positive and finite.
    #[error("reserves must be positive and finite, found [{base}, {quote}]")]
    BadReserves {
        /// Base reserve.
        base: f64,
        /// Quote reserve.
        quote: f64,
    },
    /// The fee must lie in [0, 1).
    #[error("fee must be in [0, 1), found {0}")]
    BadFee(f64),
    /// The venue is not a constant-product pool (from [`curve`]; use [`venue_curve`]).
    #[error("venue {0} is not a constant-product pool")]
    NotConstantProduct(String),
    /// A decimal-string integer of a concentrated-liquidity venue does not parse into its
    /// type (`uint160` price, `uint128` liquidity, `int128` liquidityNet).
    #[error("{field} = {value:?} is not an integer of the field's type")]
    BadInteger {
        /// The field.
        field: &'static str,
        /// The text found.
        value: String,
    },
    /// A tick is listed twice.
    #[error("tick {0} is listed twice")]
    DuplicateTick(i32),
    /// The tick spacing must lie in [1, 16384).
    #[error("tick spacing must be in [1, 16384), found {0}")]
    BadTickSpacing(i32),
    /// An initialized tick that is not a multiple of the tick spacing.
    #[error("tick {tick} is not a multiple of the tick spacing {tick_spacing}")]
    TickNotOnSpacing {
        /// The tick.
        tick: i32,
        /// The spacing.
        tick_spacing: i32,
    },
    /// A slot0 tick that does not go with the price.
    #[error("tick {tick} does not go with sqrtPriceX96 {sqrt_price_x96}")]
    TickInconsistent {
        /// The tick.
        tick: i32,
        /// The price.
        sqrt_price_x96: alloy_primitives::U256,
    },
    /// Crossing this listed tick from the current one takes the liquidity below zero or
    /// past 2¹²⁸ − 1: the in-range liquidity and the ticks' liquidityNet disagree.
    #[error("crossing tick {tick} takes the liquidity out of range: liquidity and liquidityNet disagree")]
    LiquidityInconsistent {
        /// The tick.
        tick: i32,
    },
    /// A price move factor that is not positive and finite.
    #[error("a price move factor must be positive and finite, found {0}")]
    BadMove(f64),
    /// The Uniswap v3 math reverted.
    #[error("Uniswap v3 math: {0}")]
    Math(#[from] V3MathError),
}

/// The constant-product curve of a spec venue.
///
/// # Errors
/// [`MarketError::NotConstantProduct`] for any other kind of venue (see [`venue_curve`]);
/// never for a validated constant-product venue.
pub fn curve(venue: &Venue) -> Result<ConstantProduct, MarketError> {
    match venue.kind {
        VenueKind::ConstantProduct { reserves: [base, quote] } => ConstantProduct::new(base, quote, venue.fee),
        _ => Err(MarketError::NotConstantProduct(venue.name.clone())),
    }
}

/// The liquidity curve of any spec venue, ready for price-impact questions.
///
/// # Errors
/// Those of [`ConstantProduct::new`] and [`ConcentratedVenue::from_spec`]: never for a
/// constant-product venue of a validated spec; for a concentrated one, when its integers
/// do not fit their types or its liquidity disagrees with its ticks.
pub fn venue_curve(venue: &Venue) -> Result<Curve, MarketError> {
    match &venue.kind {
        VenueKind::ConstantProduct { reserves: [base, quote] } => {
            ConstantProduct::new(*base, *quote, venue.fee).map(Curve::ConstantProduct)
        }
        VenueKind::ConcentratedLiquidity { sqrt_price_x96, liquidity, tick_spacing, ticks, decimals } => {
            ConcentratedVenue::from_spec(sqrt_price_x96, liquidity, *tick_spacing, ticks, *decimals, venue.fee)
                .map(Curve::Concentrated)
        }
        #[allow(unreachable_patterns)] // VenueKind is non_exhaustive.
        _ => Err(MarketError::NotConstantProduct(venue.name.clone())),
    }
}
