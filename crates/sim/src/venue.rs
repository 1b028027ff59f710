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

/// A pool's gap from the reference price along one path, kept as √(pool / reference):
/// a constant-product sale then needs one division and no logarithm or square root,
/// which matters because the engine prices thousands of sales per path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoolGap {
    /// √(pool price / reference price): 1 at the reference, below 1 after sales.
    root: f64,
    /// ln `root` as of the last recovery: arbitrage shrinks the gap in the log.
    log_root: f64,
    /// Whether a sale moved `root` since the last recovery (`log_root` is then stale).
    sold: bool,
}

impl Default for PoolGap {
    /// A pool at the reference price.
    fn default() -> Self {
        Self { root: 1.0, log_root: 0.0, sold: false }
    }
}

impl PoolShape {
    /// Infinite depth: sales move nothing.
    pub const INFINITE: PoolShape = PoolShape { liquidity: f64::INFINITY, fee: 0.0, half_life_s: 1.0 };

    /// The factor the log-gap shrinks by in `dt_s` seconds of arbitrage: 2^(−dt / half-life).
    pub fn decay(&self, dt_s: f64) -> f64 {
        (-dt_s / self.half_life_s).exp2()
    }
}

impl PoolGap {
    /// Lets arbitrage close the gap for one interval whose [`PoolShape::decay`] is `decay`:
    /// the log-gap shrinks by that factor.
    pub fn recover(&mut self, decay: f64) {
        if self.sold {
            self.log_root = self.root.ln();
            self.sold = false;
        }
        if self.log_root != 0.0 {
            self.log_root *= decay;
            self.root = self.log_root.exp();
            if self.root == 1.0 {
                // Back at the reference to the last bit: no more work until the next sale.
                self.log_root = 0.0;
            }
        }
    }

    /// Sells `base_in` into the pool; `root_reference` is √(reference price), in quote
    /// tokens per base token. Returns the quote received and moves the gap.
    ///
    /// # Formula
    /// With x = L/√p and y = L·√p at pool price p: out = y · a / (x + a), a = base_in · (1 − f);
    /// the new price is (y − out) / (x + a) (REFERENCES.md §4.1, Uniswap v2 `getAmountOut`).
    /// Both simplify with k = L / (L + a·√p): out = p · a · k and √p' = √p · k.
    pub fn sell(&mut self, shape: &PoolShape, root_reference: f64, base_in: f64) -> f64 {
        let root_p = root_reference * self.root;
        let p = root_p * root_p;
        if !shape.liquidity.is_finite() {
            return base_in * p * (1.0 - shape.fee);
        }
        let a = base_in * (1.0 - shape.fee);
        let k = shape.liquidity / (shape.liquidity + a * root_p);
        self.root *= k;
        self.sold = true;
        p * a * k
    }

    /// The pool's price at reference price `reference`.
    pub fn price(&self, reference: f64) -> f64 {
        reference * self.root * self.root
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
        let out = gap.sell(&shape, 10.0, 100.0);
        assert!((out - 5_000.0).abs() < 1e-9);
        assert!((gap.price(100.0) - 25.0).abs() < 1e-9);
    }

    #[test]
    fn the_gap_halves_every_half_life() {
        let shape = PoolShape { liquidity: 1_000.0, fee: 0.0, half_life_s: 600.0 };
        // √(pool / reference) = e^−0.2 is a log-gap of −0.4; one half-life leaves −0.2.
        let mut gap = PoolGap { root: (-0.2_f64).exp(), log_root: -0.2, sold: true };
        gap.recover(shape.decay(600.0));
        assert!((2.0 * gap.root.ln() + 0.2).abs() < 1e-12);
    }
}
