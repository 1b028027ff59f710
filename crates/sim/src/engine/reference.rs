//! The reference prices of one path: each asset's price before any venue's gap, step by
//! step, and its square root in the asset's venue quote. They follow from the initial
//! prices and the path's log-returns alone, so every world run on the same returns (the
//! points of a sweep) reads the same ones; computed once a path, they spare each world an
//! exponential, a division and a square root per asset and step.

use crate::world::World;

/// One path's reference prices (see the module's doc), row-major by step.
#[derive(Debug, Default, Clone)]
pub struct ReferencePath {
    /// Assets per step.
    assets: usize,
    /// Reference price of each asset after each step.
    prices: Vec<f64>,
    /// √(reference price / reference price of its venue's quote asset), likewise.
    roots: Vec<f64>,
    /// What the path was filled for: the initial prices and each asset's quote asset.
    price0: Vec<f64>,
    quotes: Vec<Option<usize>>,
}

impl ReferencePath {
    /// The path of `returns` (`steps × assets` log-returns, row-major by step) in world `w`.
    pub fn new(w: &World, returns: &[f64]) -> Self {
        let mut path = Self::default();
        path.fill(w, returns);
        path
    }

    /// Refills the path from `returns` for world `w`, reusing its buffers.
    pub fn fill(&mut self, w: &World, returns: &[f64]) {
        let n = w.assets.len();
        self.assets = n;
        self.price0.clear();
        self.price0.extend(w.assets.iter().map(|a| a.price0));
        self.quotes.clear();
        self.quotes.extend(w.assets.iter().map(|a| a.quote));
        let cells = w.steps * n;
        self.prices.clear();
        self.prices.resize(cells, 0.0);
        self.roots.clear();
        self.roots.resize(cells, 0.0);
        for step in 0..w.steps {
            let row = step * n;
            for a in 0..n {
                let before = if step == 0 { self.price0[a] } else { self.prices[row - n + a] };
                self.prices[row + a] = before * returns.get(row + a).copied().unwrap_or(0.0).exp();
            }
            for a in 0..n {
                let quote_price = self.quotes[a].map_or(1.0, |q| self.prices[row + q]);
                self.roots[row + a] = (self.prices[row + a] / quote_price).sqrt();
            }
        }
    }

    /// Whether world `w` reads this path: the same steps, initial prices and quote assets
    /// as the world it was filled for.
    pub fn fits(&self, w: &World) -> bool {
        self.assets == w.assets.len()
            && self.prices.len() == w.steps * self.assets
            && w.assets.iter().zip(&self.price0).all(|(a, p)| a.price0 == *p)
            && w.assets.iter().zip(&self.quotes).all(|(a, q)| a.quote == *q)
    }

    /// The reference prices after `step`, one per asset.
    pub(super) fn prices(&self, step: usize) -> &[f64] {
        &self.prices[step * self.assets..(step + 1) * self.assets]
    }

    /// √(reference / quote reference) after `step`, one per asset.
    pub(super) fn roots(&self, step: usize) -> &[f64] {
        &self.roots[step * self.assets..(step + 1) * self.assets]
    }
}
