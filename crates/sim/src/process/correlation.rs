//! Correlation matrices: validated, factored, or estimated from aligned price histories.

use bulwark_spec::data::prices::PriceSeries;

use super::ProcessError;
use super::diffusion::non_negative;
use super::tolerance::{CORRELATION_ENTRY, PIVOT};

const SECONDS_PER_DAY: f64 = 86_400.0;

/// A correlation matrix, symmetric with a unit diagonal and positive semi-definite,
/// with a pivoted Cholesky factor `B` (`B·Bᵀ` is the matrix).
///
/// A singular matrix (an asset that is a combination of others, correlation ±1) is
/// accepted: its factor has zero columns where the pivots vanish.
#[derive(Debug, Clone, PartialEq)]
pub struct Correlation {
    size: usize,
    /// Row-major, `size × size`, exactly symmetric (the mean of the two halves given).
    matrix: Vec<f64>,
    /// Row-major, rows in asset order; lower triangular once rows are put in `order`.
    factor: Vec<f64>,
    /// The pivot order: row `order[k]` of `factor` is zero past column `k`.
    order: Vec<usize>,
}

impl Correlation {
    /// `size` independent assets.
    pub fn identity(size: usize) -> Self {
        let mut matrix = vec![0.0; size * size];
        for i in 0..size {
            matrix[i * size + i] = 1.0;
        }
        Self { size, factor: matrix.clone(), matrix, order: (0..size).collect() }
    }

    /// Validates and factors the matrix given row by row.
    ///
    /// # Formula
    /// Cholesky with diagonal pivoting (Higham, "Analysis of the Cholesky decomposition
    /// of a semi-definite matrix", 1990; LAPACK `dpstrf`): at step `k` the largest
    /// diagonal entry of the Schur complement `S` left so far is the pivot `p`; column
    /// `k` of `B` is `S[·][p] / sqrt(S[p][p])` and `S` loses its outer product. When the
    /// largest pivot is at most 1e-10 the rest of `S` is the zero eigen-space: every
    /// entry of it must be within 1e-10 of zero, or the matrix is indefinite there. (Without
    /// pivoting, a small but accepted pivot amplifies rounding into large false negative
    /// pivots further on: a rank-2 Gram matrix of nearly parallel vectors showed −5e-9.)
    ///
    /// # Errors
    /// [`ProcessError::NotSquare`], [`ProcessError::EntryOutOfRange`] (not finite, or
    /// outside [-1, 1]), [`ProcessError::NotSymmetric`], [`ProcessError::DiagonalNotOne`],
    /// and [`ProcessError::NotPositiveSemiDefinite`] naming the entry where the
    /// factorization failed.
    pub fn new<R: AsRef<[f64]>>(rows: &[R]) -> Result<Self, ProcessError> {
        let size = rows.len();
        let mut matrix = Vec::with_capacity(size * size);
        for (row, values) in rows.iter().enumerate() {
            let values = values.as_ref();
            if values.len() != size {
                return Err(ProcessError::NotSquare { row, len: values.len(), size });
            }
            for (col, &value) in values.iter().enumerate() {
                if value.is_nan() || value.abs() > 1.0 + CORRELATION_ENTRY {
                    return Err(ProcessError::EntryOutOfRange { row, col, value });
                }
            }
            matrix.extend_from_slice(values);
        }
        for i in 0..size {
            let value = matrix[i * size + i];
            if (value - 1.0).abs() > CORRELATION_ENTRY {
                return Err(ProcessError::DiagonalNotOne { index: i, value });
            }
            matrix[i * size + i] = 1.0;
            for j in 0..i {
                let (upper, lower) = (matrix[i * size + j], matrix[j * size + i]);
                if (upper - lower).abs() > CORRELATION_ENTRY {
                    return Err(ProcessError::NotSymmetric { row: i, col: j, upper, lower });
                }
                let mean = 0.5 * (upper + lower);
                matrix[i * size + j] = mean;
                matrix[j * size + i] = mean;
            }
        }
        let (factor, order) = cholesky(&matrix, size)?;
        Ok(Self { size, matrix, factor, order })
    }

    /// The Pearson correlation of the columns of aligned returns.
    ///
    /// # Errors
    /// [`ProcessError::TooFew`] with fewer than three returns per asset,
    /// [`ProcessError::Constant`] for an asset whose returns never vary, and those of
    /// [`Correlation::new`] (rounding can only leave a zero pivot, which is accepted).
    pub fn from_returns(aligned: &AlignedReturns) -> Result<Self, ProcessError> {
        let columns = &aligned.returns;
        let n = columns.first().map_or(0, Vec::len);
        if n < 3 {
            return Err(ProcessError::TooFew { what: "aligned returns", found: n, needed: 3 });
        }
        let centered: Vec<Vec<f64>> = columns
            .iter()
            .map(|c| {
                let mean = c.iter().sum::<f64>() / n as f64;
                c.iter().map(|r| r - mean).collect()
            })
            .collect();
        let norms: Vec<f64> = centered.iter().map(|c| c.iter().map(|x| x * x).sum::<f64>().sqrt()).collect();
        if let Some(asset) = norms.iter().position(|s| s.is_nan() || *s <= 0.0) {
            return Err(ProcessError::Constant { what: format!("asset {asset}") });
        }
        let rows: Vec<Vec<f64>> = (0..columns.len())
            .map(|i| {
                (0..columns.len())
                    .map(|j| {
                        let dot: f64 = centered[i].iter().zip(&centered[j]).map(|(a, b)| a * b).sum();
                        if i == j { 1.0 } else { (dot / (norms[i] * norms[j])).clamp(-1.0, 1.0) }
                    })
                    .collect()
            })
            .collect();
        Self::new(&rows)
    }

    /// [`align_returns`] then [`Correlation::from_returns`].
    ///
    /// # Errors
    /// Those of both.
    pub fn estimate(series: &[PriceSeries], max_skew_s: f64) -> Result<Self, ProcessError> {
        Self::from_returns(&align_returns(series, max_skew_s)?)
    }

    /// The number of assets.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The entry at `(row, col)`; `None` outside the matrix.
    pub fn get(&self, row: usize, col: usize) -> Option<f64> {
        (row < self.size && col < self.size).then(|| self.matrix[row * self.size + col])
    }

    /// The Cholesky factor `B`, row-major `size × size`, rows in asset order, with
    /// `B·Bᵀ` the matrix: lower triangular once its rows are taken in [`Self::pivot_order`].
    pub fn factor(&self) -> &[f64] {
        &self.factor
    }

    /// The pivot order: row `pivot_order()[k]` of [`Self::factor`] is zero past column `k`.
    pub fn pivot_order(&self) -> &[usize] {
        &self.order
    }

    /// Whether the matrix is the identity (the assets are independent).
    pub fn is_identity(&self) -> bool {
        (0..self.size).all(|i| (0..self.size).all(|j| self.matrix[i * self.size + j] == f64::from(u8::from(i == j))))
    }
}

/// Pivoted Cholesky of a correlation matrix: `B` (row-major, rows in asset order) with
/// `B·Bᵀ = a`, and the pivot order; row `order[k]` of `B` is zero past column `k`.
fn cholesky(a: &[f64], n: usize) -> Result<(Vec<f64>, Vec<usize>), ProcessError> {
    // The Schur complement still to eliminate, in original indices.
    let mut s = a.to_vec();
    let mut b = vec![0.0; n * n];
    let mut order: Vec<usize> = (0..n).collect();
    for k in 0..n {
        // The largest remaining pivot (the first on ties, so the order is deterministic).
        let mut best = k;
        for m in k + 1..n {
            if s[order[m] * n + order[m]] > s[order[best] * n + order[best]] {
                best = m;
            }
        }
        order.swap(k, best);
        let p = order[k];
        let pivot = s[p * n + p];
        if pivot <= PIVOT {
            // Everything left must be zero: a PSD remainder has |s_ij| <= max s_ii.
            for &i in &order[k..] {
                for &j in &order[k..] {
                    let residual = s[i * n + j];
                    if residual.abs() > PIVOT {
                        let (row, col) = (i.max(j), i.min(j));
                        return Err(ProcessError::NotPositiveSemiDefinite { row, col, residual });
                    }
                }
            }
            break;
        }
        let root = pivot.sqrt();
        for &i in &order[k..] {
            b[i * n + k] = s[i * n + p] / root;
        }
        for &i in &order[k + 1..] {
            for &j in &order[k + 1..] {
                s[i * n + j] -= b[i * n + k] * b[j * n + k];
            }
        }
    }
    Ok((b, order))
}

/// Log returns of several assets over the same intervals.
#[derive(Debug, Clone, PartialEq)]
pub struct AlignedReturns {
    /// The kept times, unix seconds, of the first series; one more than returns.
    pub timestamps_s: Vec<i64>,
    /// One column per series, in the order given: `ln(p_{k+1}/p_k)` between kept times.
    pub returns: Vec<Vec<f64>>,
}

impl AlignedReturns {
    /// The mean time between kept points, in days: the interval a bootstrap of these
    /// returns or a GARCH fitted to them stands for.
    pub fn mean_interval_days(&self) -> Option<f64> {
        let (first, last) = (self.timestamps_s.first()?, self.timestamps_s.last()?);
        let intervals = self.timestamps_s.len().checked_sub(1).filter(|n| *n > 0)?;
        Some((last - first) as f64 / SECONDS_PER_DAY / intervals as f64)
    }
}

/// Puts several price histories on common times.
///
/// # Alignment rule
/// The first series sets the clock. A time `t` of it is kept when every other series
/// has a point within `max_skew_s` seconds of `t` (its nearest one, ties to the
/// earlier) that is later than the point it matched at the previous kept time. Returns
/// are log ratios between consecutive kept points of each series, so every asset's
/// return spans the same interval, up to the skew. `max_skew_s = 0` keeps exactly the
/// timestamps present in every series (the Chainlink files read in the same blocks:
/// WETH, WBTC and wstETH share 3,191; CoinGecko files need a skew of minutes).
///
/// # Errors
/// [`ProcessError::TooFew`] with no series or fewer than two kept times,
/// [`ProcessError::OutOfRange`] for a negative or non-finite skew.
pub fn align_returns(series: &[PriceSeries], max_skew_s: f64) -> Result<AlignedReturns, ProcessError> {
    let max_skew_s = non_negative("max_skew_s", max_skew_s)?;
    let Some(clock) = series.first() else {
        return Err(ProcessError::TooFew { what: "price series", found: 0, needed: 1 });
    };
    let mut cursors = vec![0usize; series.len()];
    let mut last_used: Vec<Option<usize>> = vec![None; series.len()];
    let mut kept: Vec<Vec<f64>> = vec![Vec::new(); series.len()];
    let mut timestamps_s = Vec::new();
    let mut chosen = vec![0usize; series.len()];
    'times: for (index, point) in clock.points.iter().enumerate() {
        let t = point.timestamp_s;
        chosen[0] = index;
        for (s, other) in series.iter().enumerate().skip(1) {
            let points = &other.points;
            // Advance to the last point at or before t; the nearest is it or the next.
            while cursors[s] + 1 < points.len() && points[cursors[s] + 1].timestamp_s <= t {
                cursors[s] += 1;
            }
            let Some(here) = points.get(cursors[s]) else { continue 'times };
            let mut best = cursors[s];
            if let Some(next) = points.get(cursors[s] + 1)
                && (next.timestamp_s - t).abs() < (here.timestamp_s - t).abs()
            {
                best += 1;
            }
            let skew = (points[best].timestamp_s - t).abs() as f64;
            if skew > max_skew_s || last_used[s].is_some_and(|u| best <= u) {
                continue 'times;
            }
            chosen[s] = best;
        }
        for (s, other) in series.iter().enumerate() {
            last_used[s] = Some(chosen[s]);
            kept[s].push(other.points[chosen[s]].price_usd);
        }
        timestamps_s.push(t);
    }
    if timestamps_s.len() < 2 {
        return Err(ProcessError::TooFew { what: "common timestamps", found: timestamps_s.len(), needed: 2 });
    }
    let returns = kept.iter().map(|prices| prices.windows(2).map(|w| (w[1] / w[0]).ln()).collect()).collect();
    Ok(AlignedReturns { timestamps_s, returns })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bulwark_spec::data::prices::PricePoint;

    fn series(points: &[(i64, f64)]) -> PriceSeries {
        let points = points.iter().map(|&(timestamp_s, price_usd)| PricePoint { timestamp_s, price_usd }).collect();
        PriceSeries { symbol: "X".into(), points }
    }

    #[test]
    fn factor_of_a_two_by_two() {
        let c = Correlation::new(&[[1.0, 0.6], [0.6, 1.0]]).unwrap();
        let l = c.factor();
        assert_eq!(&l[..3], &[1.0, 0.0, 0.6]);
        assert!((l[3] - 0.8).abs() < 1e-15);
        assert_eq!(c.pivot_order(), &[0, 1]);
    }

    #[test]
    fn perfectly_correlated_assets_are_accepted_with_a_zero_column() {
        let c = Correlation::new(&[[1.0, 1.0, 0.5], [1.0, 1.0, 0.5], [0.5, 0.5, 1.0]]).unwrap();
        // Pivots 0, then 2 (0.75 left), then 1 with nothing left: column 2 is zero.
        assert_eq!(c.pivot_order(), &[0, 2, 1]);
        assert!((0..3).all(|i| c.factor()[i * 3 + 2] == 0.0));
    }

    #[test]
    fn shape_range_symmetry_and_diagonal_are_checked() {
        let e = |rows: &[Vec<f64>]| Correlation::new(rows).unwrap_err();
        assert_eq!(e(&[vec![1.0, 0.1], vec![0.1]]), ProcessError::NotSquare { row: 1, len: 1, size: 2 });
        assert_eq!(e(&[vec![1.0, 1.5], vec![1.5, 1.0]]), ProcessError::EntryOutOfRange { row: 0, col: 1, value: 1.5 });
        let asymmetric = ProcessError::NotSymmetric { row: 1, col: 0, upper: 0.2, lower: 0.1 };
        assert_eq!(e(&[vec![1.0, 0.1], vec![0.2, 1.0]]), asymmetric);
        assert_eq!(e(&[vec![0.9, 0.1], vec![0.1, 1.0]]), ProcessError::DiagonalNotOne { index: 0, value: 0.9 });
        assert!(matches!(e(&[vec![f64::NAN]]), ProcessError::EntryOutOfRange { .. }));
    }

    #[test]
    fn exact_alignment_keeps_common_times_only() {
        let a = series(&[(0, 1.0), (10, 2.0), (20, 4.0), (30, 8.0)]);
        let b = series(&[(0, 1.0), (20, 3.0), (25, 5.0), (30, 6.0)]);
        let aligned = align_returns(&[a, b], 0.0).unwrap();
        assert_eq!(aligned.timestamps_s, vec![0, 20, 30]);
        let ln = f64::ln;
        assert_eq!(aligned.returns, vec![vec![ln(4.0), ln(2.0)], vec![ln(3.0), ln(2.0)]]);
    }

    #[test]
    fn skewed_alignment_takes_the_nearest_point_once() {
        let a = series(&[(0, 1.0), (100, 2.0), (101, 4.0), (200, 8.0)]);
        let b = series(&[(3, 1.0), (98, 3.0), (205, 6.0)]);
        let aligned = align_returns(&[a, b], 5.0).unwrap();
        // 101 would reuse b's point at 98, already matched to 100.
        assert_eq!(aligned.timestamps_s, vec![0, 100, 200]);
        assert!(align_returns(&[], 0.0).is_err());
    }
}
