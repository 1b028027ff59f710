//! The book as the engines hold it. Single-pair positions (one collateral, one debt
//! asset) are aggregated into buckets by initial health factor and size, so the
//! engine's cost does not grow with the number of positions; accounts with several
//! assets keep their own rows for the exact engine.
//!
//! Why buckets are exact up to their width: for a position with one collateral and one
//! debt asset, HF(t) = HF(0) · (Pc(t)/Pc(0)) / (Pd(t)/Pd(0)). Every position of a pair
//! with the same HF(0) crosses 1 at the same prices, and a liquidation scales each of
//! them by the same factor, so a bucket of equal HF(0) behaves as one position. Sizes
//! are bucketed too, because gas is paid per position: small positions may not be worth
//! liquidating.

use std::collections::BTreeMap;

/// Relative width of a health-factor bucket: positions whose HF(0) differ by less than
/// this share a bucket. 0.25 % of HF is a 0.25 % price move.
pub const HF_BUCKET_WIDTH: f64 = 0.0025;
/// Size classes are powers of this factor of debt in USD.
const SIZE_CLASS_FACTOR: f64 = 4.0;

/// Positions of one pair that share a health-factor and size bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// Initial health factor at the initial oracle prices.
    pub hf0: f64,
    /// Collateral, in tokens.
    pub collateral: f64,
    /// Debt, in tokens.
    pub debt: f64,
    /// How many positions it holds (gas is paid per position).
    pub positions: f64,
}

/// The buckets of one (collateral, debt) pair, sorted by initial health factor.
#[derive(Debug, Clone, PartialEq)]
pub struct PairBook {
    /// Collateral asset index.
    pub collateral: usize,
    /// Debt asset index.
    pub debt: usize,
    /// Sorted by `hf0`, ascending.
    pub buckets: Vec<Bucket>,
}

/// A position reduced to asset indices: the engines' input.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedPosition {
    /// `(asset index, tokens)` of collateral.
    pub collateral: Vec<(usize, f64)>,
    /// `(asset index, tokens)` of debt.
    pub debt: Vec<(usize, f64)>,
}

/// Aggregates single-pair positions into buckets. `lt[a]` is asset a's liquidation
/// threshold and `price0[a]` its initial price. Positions with several assets, or none,
/// are returned apart (the exact engine takes them).
pub fn bucketize(positions: &[IndexedPosition], lt: &[f64], price0: &[f64]) -> (Vec<PairBook>, Vec<IndexedPosition>) {
    let mut pairs: BTreeMap<(usize, usize), BTreeMap<(i64, i64), Bucket>> = BTreeMap::new();
    let mut rest = Vec::new();
    for p in positions {
        let (&[(c, coll)], &[(d, debt)]) = (p.collateral.as_slice(), p.debt.as_slice()) else {
            if !p.debt.is_empty() {
                rest.push(p.clone());
            }
            continue;
        };
        if debt <= 0.0 {
            continue;
        }
        let debt_usd = debt * price0[d];
        let hf0 = coll * price0[c] * lt[c] / debt_usd;
        let hf_key = (hf0.ln() / HF_BUCKET_WIDTH).floor() as i64;
        let size_key = (debt_usd.max(1.0).ln() / SIZE_CLASS_FACTOR.ln()).floor() as i64;
        let bucket = pairs.entry((c, d)).or_default().entry((hf_key, size_key)).or_insert(Bucket {
            hf0: 0.0,
            collateral: 0.0,
            debt: 0.0,
            positions: 0.0,
        });
        bucket.collateral += coll;
        bucket.debt += debt;
        bucket.positions += 1.0;
    }
    let books = pairs
        .into_iter()
        .map(|((c, d), buckets)| {
            let mut buckets: Vec<Bucket> = buckets
                .into_values()
                .map(|mut b| {
                    // The merged bucket's own HF: its positions' HF(0) lie within one width of it.
                    b.hf0 = b.collateral * price0[c] * lt[c] / (b.debt * price0[d]);
                    b
                })
                .collect();
            buckets.sort_by(|a, b| a.hf0.total_cmp(&b.hf0));
            PairBook { collateral: c, debt: d, buckets }
        })
        .collect();
    (books, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single(c: usize, coll: f64, d: usize, debt: f64) -> IndexedPosition {
        IndexedPosition { collateral: vec![(c, coll)], debt: vec![(d, debt)] }
    }

    #[test]
    fn equal_health_and_size_share_a_bucket_and_keep_their_totals() {
        // Two positions at HF = 1 · 100 · 0.8 / 50 = 1.6, one at 3.2.
        let positions = vec![single(0, 1.0, 1, 50.0), single(0, 1.0, 1, 50.0), single(0, 2.0, 1, 50.0)];
        let (books, rest) = bucketize(&positions, &[0.8, 0.0], &[100.0, 1.0]);
        assert!(rest.is_empty());
        assert_eq!(books.len(), 1);
        let b = &books[0].buckets;
        assert_eq!(b.len(), 2);
        assert_eq!((b[0].positions, b[0].collateral, b[0].debt), (2.0, 2.0, 100.0));
        assert!((b[0].hf0 - 1.6).abs() < 1e-12 && (b[1].hf0 - 3.2).abs() < 1e-12);
    }

    #[test]
    fn multi_asset_accounts_go_to_the_exact_engine() {
        let multi = IndexedPosition { collateral: vec![(0, 1.0), (2, 1.0)], debt: vec![(1, 10.0)] };
        let (books, rest) = bucketize(std::slice::from_ref(&multi), &[0.8, 0.0, 0.7], &[100.0, 1.0, 50.0]);
        assert!(books.is_empty());
        assert_eq!(rest, vec![multi]);
    }
}
