//! The constant-product curve x · y = k (Uniswap v2).

use serde::Serialize;

use crate::MarketError;

/// A constant-product pool of `base` and `quote` reserves with a fee on the input.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ConstantProduct {
    base: f64,
    quote: f64,
    fee: f64,
}

/// What moving the spot price by a factor costs, before arbitrage. Amounts in tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PriceMove {
    /// The factor k reached: the new spot over the old (the one asked for, unless the
    /// curve's price bounds stop the move first).
    pub factor: f64,
    /// Quote paid in, fee included (zero when the price is pushed down).
    pub quote_in: f64,
    /// Base paid in, fee included (zero when the price is pushed up).
    pub base_in: f64,
    /// Base received (zero when the price is pushed down).
    pub base_out: f64,
    /// Quote received (zero when the price is pushed up).
    pub quote_out: f64,
    /// The fee part of the input, valued at the old spot, in quote.
    pub fee_quote: f64,
    /// What the attacker gives back when arbitrage restores the price, valued at the
    /// old spot, before fees: L(k) = y(√k − 1)²/√k on a constant-product curve.
    pub arbitrage_loss_quote: f64,
    /// What the attacker loses by trading what it received back into the moved pool itself
    /// (both fees included), valued at the old spot, in quote: the cost of a manipulation
    /// that is undone within the same transaction.
    pub round_trip_loss_quote: f64,
}

impl ConstantProduct {
    /// A pool with these reserves and fee.
    ///
    /// # Errors
    /// [`MarketError`] for a non-positive or non-finite reserve, or a fee outside [0, 1).
    pub fn new(base: f64, quote: f64, fee: f64) -> Result<Self, MarketError> {
        if !(base.is_finite() && quote.is_finite() && base > 0.0 && quote > 0.0) {
            return Err(MarketError::BadReserves { base, quote });
        }
        if !(0.0..1.0).contains(&fee) {
            return Err(MarketError::BadFee(fee));
        }
        Ok(Self { base, quote, fee })
    }

    /// Reserves `(base, quote)`.
    pub fn reserves(&self) -> (f64, f64) {
        (self.base, self.quote)
    }

    /// Quote per base.
    pub fn spot_price(&self) -> f64 {
        self.quote / self.base
    }

    /// Quote received for selling `base_in`, fee taken on the input.
    ///
    /// # Formula
    /// out = y · a(1−f) / (x + a(1−f)), the Uniswap v2 `getAmountOut` in real numbers.
    pub fn quote_out(&self, base_in: f64) -> f64 {
        let a = base_in.max(0.0) * (1.0 - self.fee);
        self.quote * a / (self.base + a)
    }

    /// Quote to pay in, fee included, to take `base_out` out of the pool; `None` when the
    /// pool does not hold that much base.
    ///
    /// # Formula
    /// Δy = y · V / (x − V) / (1 − f), the Uniswap v2 `getAmountIn` in real numbers.
    pub fn quote_in_for_base_out(&self, base_out: f64) -> Option<f64> {
        if !(0.0..self.base).contains(&base_out) {
            return None;
        }
        Some(self.quote * base_out / (self.base - base_out) / (1.0 - self.fee))
    }

    /// The cost of moving the spot price by the factor `k` (k > 1 pushes it up).
    ///
    /// # Formula
    /// REFERENCES.md §4.1: pump Δy = y(√k − 1) for Δx = x(1 − 1/√k), dump Δx = x(1/√k − 1)
    /// for Δy = y(1 − √k), each input grossed up by 1/(1−f); arbitrage loss
    /// L(k) = y(√k − 1)²/√k, symmetric under k ↔ 1/k. The fee leaves the curve (as in v3; a
    /// v2 pair keeps it in its reserves, moving the price slightly further). The round trip
    /// sells the output back into the moved pool (x/√k, y√k) with the fee on that input too.
    pub fn cost_to_move(&self, k: f64) -> PriceMove {
        let (x, y, f) = (self.base, self.quote, self.fee);
        let r = k.max(f64::MIN_POSITIVE).sqrt();
        let gross = 1.0 / (1.0 - f);
        let p = y / x;
        let (x1, y1) = (x / r, y * r);
        if k >= 1.0 {
            let (quote_in, base_out) = (y * (r - 1.0) * gross, x * (1.0 - 1.0 / r));
            let a = base_out * (1.0 - f);
            let back = y1 * a / (x1 + a);
            PriceMove {
                factor: k,
                quote_in,
                base_in: 0.0,
                base_out,
                quote_out: 0.0,
                fee_quote: quote_in * f,
                arbitrage_loss_quote: y * (r - 1.0).powi(2) / r,
                round_trip_loss_quote: quote_in - back,
            }
        } else {
            let (base_in, quote_out) = (x * (1.0 / r - 1.0) * gross, y * (1.0 - r));
            let a = quote_out * (1.0 - f);
            let back = x1 * a / (y1 + a);
            PriceMove {
                factor: k,
                quote_in: 0.0,
                base_in,
                base_out: 0.0,
                quote_out,
                fee_quote: base_in * f * p,
                arbitrage_loss_quote: y * (r - 1.0).powi(2) / r,
                round_trip_loss_quote: (base_in - back) * p,
            }
        }
    }

    /// How much base can be sold before the marginal price falls by `drop` (0.02 is
    /// 2 %), fee included: the depth a liquidator sees at that slippage.
    ///
    /// # Formula
    /// The spot after selling a' = a(1−f) is y·x/(x+a')², so it falls by `drop` when
    /// a' = x(1/√(1−drop) − 1).
    pub fn base_depth(&self, drop: f64) -> f64 {
        let d = drop.clamp(0.0, 1.0 - f64::EPSILON);
        self.base * (1.0 / (1.0 - d).sqrt() - 1.0) / (1.0 - self.fee)
    }

    /// Total value locked, in quote.
    pub fn tvl_quote(&self) -> f64 {
        2.0 * self.quote
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> ConstantProduct {
        // Reserves chosen so that every quantity below is a round number.
        ConstantProduct::new(100.0, 10_000.0, 0.0).unwrap()
    }

    #[test]
    fn pumping_four_times_costs_the_quote_reserve() {
        // k = 4: √k − 1 = 1, so Δy = y; L = y(1)²/2 = y/2 (REFERENCES.md §4.1).
        let m = pool().cost_to_move(4.0);
        assert_eq!(m.quote_in, 10_000.0);
        assert_eq!(m.arbitrage_loss_quote, 5_000.0);
    }

    #[test]
    fn arbitrage_loss_is_symmetric_in_k_and_its_inverse() {
        let p = pool();
        let up = p.cost_to_move(2.25).arbitrage_loss_quote;
        let down = p.cost_to_move(1.0 / 2.25).arbitrage_loss_quote;
        assert!((up - down).abs() < 1e-9 * up);
    }

    #[test]
    fn a_trade_of_the_computed_depth_moves_the_price_by_exactly_the_drop() {
        let p = ConstantProduct::new(40_000.0, 120_000_000.0, 0.003).unwrap();
        let a = p.base_depth(0.02);
        let a_net = a * (1.0 - 0.003);
        let after = p.quote * p.base / (p.base + a_net).powi(2);
        assert!((after / p.spot_price() - 0.98).abs() < 1e-12);
    }

    #[test]
    fn buying_back_what_was_sold_costs_the_fees_twice() {
        let p = ConstantProduct::new(1_000.0, 3_000_000.0, 0.003).unwrap();
        let out = p.quote_out(10.0);
        let net_sold = ConstantProduct { base: p.base + 10.0, quote: p.quote - out, fee: p.fee };
        let back = net_sold.quote_in_for_base_out(10.0).unwrap();
        assert!(back > out, "a round trip loses the fees");
        assert!(p.quote_in_for_base_out(1_000.0).is_none(), "the pool cannot give all its base");
        // Without a fee, buying V from (x, y) costs y·V/(x − V): 3,000,000 · 10 / 990.
        let free = ConstantProduct::new(1_000.0, 3_000_000.0, 0.0).unwrap();
        assert!((free.quote_in_for_base_out(10.0).unwrap() - 30_000_000.0 / 990.0).abs() < 1e-6);
    }

    #[test]
    fn selling_never_returns_more_than_the_reserve() {
        let p = pool();
        assert!(p.quote_out(1e12) < 10_000.0);
        assert_eq!(p.quote_out(0.0), 0.0);
    }

    #[test]
    fn bad_reserves_and_fees_are_refused() {
        assert!(ConstantProduct::new(0.0, 1.0, 0.0).is_err());
        assert!(ConstantProduct::new(1.0, f64::NAN, 0.0).is_err());
        assert!(ConstantProduct::new(1.0, 1.0, 1.0).is_err());
    }
}
