//! A small dense simplex, in floating point, that only *suggests*: it finds near-optimal
//! Lagrange multipliers and a fractional point for the exact search to branch on. No
//! decision rests on it: the search evaluates its bound with the suggested multipliers in
//! exact integers (any multipliers ≥ 0 give a valid bound), so a rounding error here can
//! only cost pruning, never correctness.
//!
//! The problem: maximize c·x subject to A·x ≤ 0 and 0 ≤ x_j ≤ 1, with A's rows
//! normalized by the caller. Bounded-variable primal simplex from the all-slack basis
//! (feasible because the right-hand side is zero), Dantzig's rule, switching to Bland's
//! rule after a run of degenerate pivots so that it cannot cycle, and an iteration cap.

/// Feasibility and optimality tolerance on normalized data.
const TOL: f64 = 1e-9;
/// Smallest pivot accepted.
const PIVOT_TOL: f64 = 1e-9;
/// Degenerate pivots in a row before Bland's rule takes over.
const DEGENERATE_RUN: usize = 20;

/// An optimal (or best-found) point and the multipliers of the rows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LpSolution {
    /// x, one per column.
    pub(crate) x: Vec<f64>,
    /// y ≥ 0, one per row: the simplex multipliers of A·x ≤ 0.
    pub(crate) y: Vec<f64>,
}

/// Solves max c·x, A·x ≤ 0, 0 ≤ x ≤ 1 (`a` is row-major, `rows` × `c.len()`); `None` if
/// the iteration cap is reached first.
pub(crate) fn solve(a: &[f64], rows: usize, c: &[f64], max_iterations: usize) -> Option<LpSolution> {
    let n = c.len();
    let width = n + rows;
    // Tableau B⁻¹·[A | I], basic values, reduced costs.
    let mut t = vec![0.0; rows * width];
    for i in 0..rows {
        t[i * width..i * width + n].copy_from_slice(&a[i * n..(i + 1) * n]);
        t[i * width + n + i] = 1.0;
    }
    let mut basis: Vec<usize> = (n..width).collect();
    let mut beta = vec![0.0; rows];
    let mut at_upper = vec![false; width];
    let mut d: Vec<f64> = c.iter().copied().chain(std::iter::repeat_n(0.0, rows)).collect();
    let upper = |j: usize| if j < n { 1.0 } else { f64::INFINITY };
    let mut is_basic = vec![false; width];
    for &b in &basis {
        is_basic[b] = true;
    }
    let mut degenerate = 0usize;
    for _ in 0..max_iterations {
        // Entering column: improves the objective from its bound.
        let improves = |j: usize| !is_basic[j] && ((!at_upper[j] && d[j] > TOL) || (at_upper[j] && d[j] < -TOL));
        let entering = if degenerate >= DEGENERATE_RUN {
            (0..width).find(|&j| improves(j))
        } else {
            (0..width).filter(|&j| improves(j)).max_by(|&i, &j| d[i].abs().total_cmp(&d[j].abs()))
        };
        let Some(e) = entering else {
            let mut x = vec![0.0; n];
            for j in 0..n {
                if at_upper[j] {
                    x[j] = 1.0;
                }
            }
            for (i, &b) in basis.iter().enumerate() {
                if b < n {
                    x[b] = beta[i];
                }
            }
            let y = (0..rows).map(|i| if is_basic[n + i] { 0.0 } else { (-d[n + i]).max(0.0) }).collect();
            return Some(LpSolution { x, y });
        };
        let dir = if at_upper[e] { -1.0 } else { 1.0 };
        // Ratio test: the entering variable moves by dir·θ, basic i by −t[i][e]·dir·θ.
        let mut theta = upper(e);
        let mut leave: Option<usize> = None;
        for i in 0..rows {
            let rate = -t[i * width + e] * dir;
            if rate < -PIVOT_TOL {
                let limit = beta[i].max(0.0) / -rate;
                if limit < theta || (limit == theta && leave.is_some_and(|r| basis[i] < basis[r])) {
                    theta = limit;
                    leave = Some(i);
                }
            } else if rate > PIVOT_TOL {
                let ub = upper(basis[i]);
                if ub.is_finite() {
                    let limit = (ub - beta[i]).max(0.0) / rate;
                    if limit < theta || (limit == theta && leave.is_some_and(|r| basis[i] < basis[r])) {
                        theta = limit;
                        leave = Some(i);
                    }
                }
            }
        }
        if !theta.is_finite() {
            return None;
        }
        degenerate = if theta <= TOL { degenerate + 1 } else { 0 };
        for i in 0..rows {
            beta[i] -= t[i * width + e] * dir * theta;
        }
        let Some(r) = leave else {
            // The entering variable reaches its other bound first: no pivot.
            at_upper[e] = !at_upper[e];
            continue;
        };
        let entering_value = if at_upper[e] { 1.0 - theta } else { theta };
        let old = basis[r];
        at_upper[old] = t[r * width + e] * dir < 0.0 && upper(old).is_finite();
        is_basic[old] = false;
        is_basic[e] = true;
        at_upper[e] = false;
        basis[r] = e;
        beta[r] = entering_value;
        let pivot = t[r * width + e];
        for j in 0..width {
            t[r * width + j] /= pivot;
        }
        for i in 0..rows {
            if i != r {
                let f = t[i * width + e];
                if f != 0.0 {
                    for j in 0..width {
                        t[i * width + j] -= f * t[r * width + j];
                    }
                }
            }
        }
        let f = d[e];
        for j in 0..width {
            d[j] -= f * t[r * width + j];
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_covering_lp_finds_its_multiplier() {
        // max 3a − x1 − x2 subject to 2a − x1 − x2 ≤ 0: a = 1, x1 = x2 = 1, value 1. Any
        // y in [1, 3/2] is optimal: a = 1 needs 3 − 2y ≥ 0, x = 1 needs y − 1 ≥ 0.
        let sol = solve(&[2.0, -1.0, -1.0], 1, &[3.0, -1.0, -1.0], 100).unwrap();
        assert!((sol.x[0] - 1.0).abs() < 1e-9 && (sol.x[1] + sol.x[2] - 2.0).abs() < 1e-9, "{sol:?}");
        assert!(sol.y[0] >= 1.0 - 1e-9 && sol.y[0] <= 1.5 + 1e-9, "{sol:?}");
    }

    #[test]
    fn an_unprofitable_row_stays_at_zero() {
        // max a − x subject to 2a − x ≤ 0: covering costs 2 per unit of profit.
        let sol = solve(&[2.0, -1.0], 1, &[1.0, -1.0], 100).unwrap();
        assert!(sol.x.iter().all(|x| x.abs() < 1e-9), "{sol:?}");
    }
}
