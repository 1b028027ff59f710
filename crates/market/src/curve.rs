//! Any venue's curve behind one interface, in tokens: spot price, depth, and the cost of
//! moving the price. Concentrated liquidity is walked in raw integer units and converted
//! by the tokens' decimals at the edge.

use std::collections::BTreeMap;

use alloy_primitives::U256;

use crate::concentrated::full_math::mul_div;
use crate::concentrated::tick_math::{MAX_SQRT_RATIO, MIN_SQRT_RATIO};
use crate::concentrated::{ConcentratedPool, SwapResult};
use crate::{ConstantProduct, MarketError, PriceMove};

/// A liquidity curve: constant product or Uniswap v3 ticks.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Curve {
    /// x · y = k.
    ConstantProduct(ConstantProduct),
    /// Uniswap v3 concentrated liquidity.
    Concentrated(ConcentratedVenue),
}

/// A Uniswap v3 pool with its tokens' decimals; token 0 is the base, token 1 the quote.
#[derive(Debug, Clone, PartialEq)]
pub struct ConcentratedVenue {
    pool: ConcentratedPool,
    decimals: [u8; 2],
    /// Tokens held by the listed liquidity, `[base, quote]`, computed once.
    holdings: [f64; 2],
}

impl ConcentratedVenue {
    /// A venue over `pool` with the decimals of `[base, quote]`.
    ///
    /// # Errors
    /// [`MarketError::Math`] if the pool's holdings cannot be computed (not for a pool built
    /// by [`ConcentratedPool::new`]).
    pub fn new(pool: ConcentratedPool, decimals: [u8; 2]) -> Result<Self, MarketError> {
        let (a0, a1) = pool.token_amounts()?;
        let holdings = [tokens(a0, decimals[0]), tokens(a1, decimals[1])];
        Ok(Self { pool, decimals, holdings })
    }

    /// From the spec's decimal strings and fee fraction: fee pips = round(fee · 1e6).
    ///
    /// # Errors
    /// [`MarketError::BadInteger`] for a string that is not an integer of the field's type,
    /// [`MarketError::BadFee`], and those of [`ConcentratedPool::new`].
    pub fn from_spec(
        sqrt_price_x96: &str,
        liquidity: &str,
        tick_spacing: i32,
        ticks: &[(i32, String)],
        decimals: [u8; 2],
        fee: f64,
    ) -> Result<Self, MarketError> {
        let bad = |field: &'static str, value: &str| MarketError::BadInteger { field, value: value.to_string() };
        let sqrt_price = U256::from_str_radix(sqrt_price_x96, 10).map_err(|_| bad("sqrt_price_x96", sqrt_price_x96))?;
        let liquidity_raw = liquidity.parse::<u128>().map_err(|_| bad("liquidity", liquidity))?;
        let mut map = BTreeMap::new();
        for (tick, net) in ticks {
            let net_raw = net.parse::<i128>().map_err(|_| bad("ticks", net))?;
            if map.insert(*tick, net_raw).is_some() {
                return Err(MarketError::DuplicateTick(*tick));
            }
        }
        if !(fee.is_finite() && (0.0..1.0).contains(&fee)) {
            return Err(MarketError::BadFee(fee));
        }
        // The fee lies in [0, 1): the rounded pips fit in a u32 (checked below 1e6 by the pool).
        let fee_pips = (fee * 1e6).round() as u32;
        let pool = ConcentratedPool::new(sqrt_price, liquidity_raw, tick_spacing, map, fee_pips)?;
        Self::new(pool, decimals)
    }

    /// The pool.
    pub fn pool(&self) -> &ConcentratedPool {
        &self.pool
    }

    /// Decimals of `[base, quote]`.
    pub fn decimals(&self) -> [u8; 2] {
        self.decimals
    }

    /// Quote per base, in tokens.
    ///
    /// # Formula
    /// P = (√P_X96 / 2⁹⁶)² · 10^(d_base − d_quote).
    pub fn spot_price(&self) -> f64 {
        let s = f64::from(self.pool.sqrt_price_x96()) / 2f64.powi(96);
        s * s * 10f64.powi(i32::from(self.decimals[0]) - i32::from(self.decimals[1]))
    }

    /// Tokens the listed liquidity holds, `(base, quote)`.
    pub fn reserves(&self) -> (f64, f64) {
        (self.holdings[0], self.holdings[1])
    }

    /// The square-root price limit for a move by `k`, kept strictly inside the ratio bounds.
    fn limit(&self, k: f64) -> Result<U256, MarketError> {
        if !(k.is_finite() && k > 0.0) {
            return Err(MarketError::BadMove(k));
        }
        let scale = 2f64.powi(64);
        // √k · 2⁶⁴ as an integer: k ∈ (0, ∞) finite, the cast saturates at the ends.
        let factor = U256::from((k.sqrt() * scale) as u128);
        let target = mul_div(self.pool.sqrt_price_x96(), factor, U256::from(1u8) << 64usize)?;
        let one = U256::from(1u8);
        Ok(target.clamp(MIN_SQRT_RATIO + one, MAX_SQRT_RATIO - one))
    }

    /// The swap that moves the price by `k`, or `None` when it does not move it at all.
    fn swap_by(&self, k: f64) -> Result<Option<SwapResult>, MarketError> {
        let limit = self.limit(k)?;
        let current = self.pool.sqrt_price_x96();
        if limit == current {
            return Ok(None);
        }
        Ok(Some(self.pool.swap_to_price(limit < current, limit)?))
    }

    /// Base that can be sold, fee included, before the price falls by `drop`: the exact tick
    /// walk to √(1 − drop) · √P.
    ///
    /// # Errors
    /// [`MarketError::Math`] if the swap reverts (not for a valid pool).
    pub fn base_depth(&self, drop: f64) -> Result<f64, MarketError> {
        let d = drop.clamp(0.0, 1.0 - f64::EPSILON);
        Ok(self.swap_by(1.0 - d)?.map_or(0.0, |s| tokens(s.amount_in, self.decimals[0])))
    }

    /// The cost of moving the spot price by `k`, by the exact tick walk.
    ///
    /// # Formula
    /// REFERENCES.md §4.1 summed across ticks: the swap to √k · √P (bit-exact), amounts in
    /// tokens; arbitrage loss = input net of fee − output, both valued at the old spot; the
    /// round trip swaps the output back into the moved pool.
    ///
    /// # Errors
    /// [`MarketError::BadMove`] for k not positive and finite; [`MarketError::Math`] if a
    /// swap reverts (not for a valid pool).
    pub fn cost_to_move(&self, k: f64) -> Result<PriceMove, MarketError> {
        let [d0, d1] = self.decimals;
        let p = self.spot_price();
        let Some(s) = self.swap_by(k)? else {
            return Ok(PriceMove {
                factor: 1.0,
                quote_in: 0.0,
                base_in: 0.0,
                base_out: 0.0,
                quote_out: 0.0,
                fee_quote: 0.0,
                arbitrage_loss_quote: 0.0,
                round_trip_loss_quote: 0.0,
            });
        };
        let ratio = f64::from(s.sqrt_price_after) / f64::from(self.pool.sqrt_price_x96());
        let up = s.sqrt_price_after > self.pool.sqrt_price_x96();
        let (din, dout) = if up { (d1, d0) } else { (d0, d1) };
        let paid = tokens(s.amount_in, din);
        let fee = tokens(s.fee, din);
        let got = tokens(s.amount_out, dout);
        let back = if s.amount_out.is_zero() {
            0.0
        } else {
            tokens(self.pool.after(&s).swap_exact_in(up, s.amount_out)?.amount_out, din)
        };
        // Value in quote at the old spot: quote as is, base times p.
        let (v_in, v_out) = if up { (1.0, p) } else { (p, 1.0) };
        Ok(PriceMove {
            factor: ratio * ratio,
            quote_in: if up { paid } else { 0.0 },
            base_in: if up { 0.0 } else { paid },
            base_out: if up { got } else { 0.0 },
            quote_out: if up { 0.0 } else { got },
            fee_quote: fee * v_in,
            arbitrage_loss_quote: (paid - fee) * v_in - got * v_out,
            round_trip_loss_quote: (paid - back) * v_in,
        })
    }
}

/// Raw units to tokens.
fn tokens(raw: U256, decimals: u8) -> f64 {
    f64::from(raw) / 10f64.powi(i32::from(decimals))
}

impl Curve {
    /// Quote per base.
    pub fn spot_price(&self) -> f64 {
        match self {
            Curve::ConstantProduct(c) => c.spot_price(),
            Curve::Concentrated(c) => c.spot_price(),
        }
    }

    /// Tokens in the venue, `(base, quote)`: the reserves of a constant-product pool; what
    /// the listed liquidity of a concentrated pool holds at the current price.
    pub fn reserves(&self) -> (f64, f64) {
        match self {
            Curve::ConstantProduct(c) => c.reserves(),
            Curve::Concentrated(c) => c.reserves(),
        }
    }

    /// Total value of [`Curve::reserves`] in quote at the spot price.
    pub fn tvl_quote(&self) -> f64 {
        match self {
            Curve::ConstantProduct(c) => c.tvl_quote(),
            Curve::Concentrated(c) => {
                let (b, q) = c.reserves();
                b * c.spot_price() + q
            }
        }
    }

    /// Base that can be sold, fee included, before the price falls by `drop`.
    ///
    /// # Errors
    /// As [`ConcentratedVenue::base_depth`]; never for constant product.
    pub fn base_depth(&self, drop: f64) -> Result<f64, MarketError> {
        match self {
            Curve::ConstantProduct(c) => Ok(c.base_depth(drop)),
            Curve::Concentrated(c) => c.base_depth(drop),
        }
    }

    /// The cost of moving the spot price by `k`.
    ///
    /// # Errors
    /// [`MarketError::BadMove`] for k not positive and finite; as
    /// [`ConcentratedVenue::cost_to_move`].
    pub fn cost_to_move(&self, k: f64) -> Result<PriceMove, MarketError> {
        if !(k.is_finite() && k > 0.0) {
            return Err(MarketError::BadMove(k));
        }
        match self {
            Curve::ConstantProduct(c) => Ok(c.cost_to_move(k)),
            Curve::Concentrated(c) => c.cost_to_move(k),
        }
    }
}
