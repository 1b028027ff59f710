#![doc = include_str!("../README.md")]

mod constant_product;

pub use constant_product::{ConstantProduct, PriceMove};

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
}

/// The liquidity curve of a spec venue, ready for price-impact questions.
///
/// # Errors
/// Never for a validated spec; kept fallible because the constructors check their input.
pub fn curve(venue: &Venue) -> Result<ConstantProduct, MarketError> {
    match venue.kind {
        VenueKind::ConstantProduct { reserves: [base, quote] } => ConstantProduct::new(base, quote, venue.fee),
        #[allow(unreachable_patterns)] // VenueKind is non_exhaustive: future curves land here.
        _ => Err(MarketError::BadFee(venue.fee)),
    }
}
