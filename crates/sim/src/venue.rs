//! Where liquidators sell seized collateral: a constant-product pool around the asset's
//! reference price. A sale pushes the pool's price below the reference; arbitrage closes
//! the gap with a half-life. The pool's price is the market price everyone sees next.

/// A pool's shape, fixed for a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoolShape {
    /// √(base · quote) of the pool, in √(tokens · quote tokens): its depth.
    pub liquidity: f64,
    /// Swap fee on the input.
    pub fee: f64,
    /// Half-life of the gap between pool and reference, in seconds.
    pub half_life_s: f64,
}

/// A pool's gap from the reference price along one path: log(pool / reference).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PoolGap {
    /// log(pool price / reference price), at most 0 after sales.
    pub log_gap: f64,
}

impl PoolShape {
    /// Infinite depth: sales move nothing.
    pub const INFINITE: PoolShape = PoolShape { liquidity: f64::INFINITY, fee: 0.0, half_life_s: 1.0 };
}

impl PoolGap {
    /// Lets arbitrage close the gap for `dt_s` seconds.
    pub fn recover(&mut self, shape: &PoolShape, dt_s: f64) {
        // gap · 2^(−dt / half-life)
        self.log_gap *= (-dt_s / shape.half_life_s).exp2();
    }

    /// Sells `base_in` into the pool at reference price `reference`; returns the quote
    /// received and moves the gap.
    ///
    /// # Formula
    /// With x = L/√p and y = L·√p at pool price p: out = y · a / (x + a), a = base_in · (1 − f);
    /// the new price is (y − out) / (x + a) (REFERENCES.md §4.1, Uniswap v2 `getAmountOut`).
    pub fn sell(&mut self, shape: &PoolShape, reference: f64, base_in: f64) -> f64 {
        let p = self.price(reference);
        if !shape.liquidity.is_finite() {
            return base_in * p * (1.0 - shape.fee);
        }
        let sqrt_p = p.sqrt();
        let (x, y) = (shape.liquidity / sqrt_p, shape.liquidity * sqrt_p);
        let a = base_in * (1.0 - shape.fee);
        let out = y * a / (x + a);
        let new_p = (y - out) / (x + a);
        self.log_gap += (new_p / p).ln();
        out
    }

    /// The pool's price.
    pub fn price(&self, reference: f64) -> f64 {
        reference * self.log_gap.exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sale_receives_the_constant_product_amount() {
        // L = √(100 · 10,000) = 1,000 at p = 100: x = 100, y = 10,000. Selling 100 (no fee)
        // returns 10,000 · 100 / 200 = 5,000 and leaves the price at 5,000 / 200 = 25.
        let shape = PoolShape { liquidity: 1_000.0, fee: 0.0, half_life_s: 600.0 };
        let mut gap = PoolGap::default();
        let out = gap.sell(&shape, 100.0, 100.0);
        assert!((out - 5_000.0).abs() < 1e-9);
        assert!((gap.price(100.0) - 25.0).abs() < 1e-9);
    }

    #[test]
    fn the_gap_halves_every_half_life() {
        let shape = PoolShape { liquidity: 1_000.0, fee: 0.0, half_life_s: 600.0 };
        let mut gap = PoolGap { log_gap: -0.4 };
        gap.recover(&shape, 600.0);
        assert!((gap.log_gap + 0.2).abs() < 1e-12);
    }
}
