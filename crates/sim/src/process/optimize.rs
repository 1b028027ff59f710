//! Nelder–Mead simplex minimization, derivative free, for small unconstrained problems.

/// When to stop.
#[derive(Debug, Clone, Copy)]
pub(super) struct Stop {
    /// Stop when the objective differs across the simplex by at most this (absolute)...
    pub(super) f_spread: f64,
    /// ... and every vertex lies within this of the best in every coordinate.
    pub(super) x_spread: f64,
    /// Or after this many iterations.
    pub(super) max_iterations: usize,
}

/// The best point found.
#[derive(Debug, Clone, Copy)]
pub(super) struct Minimum<const N: usize> {
    pub(super) x: [f64; N],
    pub(super) f: f64,
    pub(super) iterations: usize,
    pub(super) converged: bool,
}

/// Minimizes `f` from `start`, the initial simplex being `start` and `start + step_i·e_i`.
///
/// Non-finite objective values count as `+inf`, so the simplex walks away from them.
///
/// # Formula
/// Reflection 1, expansion 2, contraction 1/2, shrink 1/2, inside and outside
/// contractions (Nelder and Mead, "A simplex method for function minimization",
/// Computer Journal 7, 1965; the variant of Lagarias et al., SIAM J. Optim. 9, 1998).
pub(super) fn nelder_mead<const N: usize>(
    mut f: impl FnMut(&[f64; N]) -> f64,
    start: [f64; N],
    step: [f64; N],
    stop: Stop,
) -> Minimum<N> {
    let mut eval = |x: &[f64; N]| {
        let value = f(x);
        if value.is_nan() { f64::INFINITY } else { value }
    };
    // N + 1 vertices; kept sorted best first.
    let mut xs: Vec<[f64; N]> = Vec::with_capacity(N + 1);
    xs.push(start);
    for i in 0..N {
        let mut x = start;
        x[i] += step[i];
        xs.push(x);
    }
    let mut fs: Vec<f64> = xs.iter().map(&mut eval).collect();
    let mut iterations = 0;
    let mut converged = false;
    while iterations < stop.max_iterations {
        sort(&mut xs, &mut fs);
        let (best, worst) = (fs[0], fs[N]);
        let x_spread = xs.iter().flat_map(|x| x.iter().zip(&xs[0]).map(|(a, b)| (a - b).abs())).fold(0.0, f64::max);
        if (worst - best).abs() <= stop.f_spread && x_spread <= stop.x_spread {
            converged = true;
            break;
        }
        iterations += 1;
        let mut centroid = [0.0; N];
        for x in &xs[..N] {
            for (c, v) in centroid.iter_mut().zip(x) {
                *c += v / N as f64;
            }
        }
        let toward = |t: f64| -> [f64; N] {
            let mut p = [0.0; N];
            for i in 0..N {
                p[i] = centroid[i] + t * (xs[N][i] - centroid[i]);
            }
            p
        };
        let reflected = toward(-1.0);
        let f_reflected = eval(&reflected);
        if f_reflected < fs[0] {
            let expanded = toward(-2.0);
            let f_expanded = eval(&expanded);
            (xs[N], fs[N]) = if f_expanded < f_reflected { (expanded, f_expanded) } else { (reflected, f_reflected) };
            continue;
        }
        if f_reflected < fs[N - 1] {
            (xs[N], fs[N]) = (reflected, f_reflected);
            continue;
        }
        let (contracted, bound) = if f_reflected < fs[N] { (toward(-0.5), f_reflected) } else { (toward(0.5), fs[N]) };
        let f_contracted = eval(&contracted);
        if f_contracted < bound {
            (xs[N], fs[N]) = (contracted, f_contracted);
            continue;
        }
        let best_x = xs[0];
        for (x, fx) in xs.iter_mut().zip(fs.iter_mut()).skip(1) {
            for i in 0..N {
                x[i] = best_x[i] + 0.5 * (x[i] - best_x[i]);
            }
            *fx = eval(x);
        }
    }
    sort(&mut xs, &mut fs);
    Minimum { x: xs[0], f: fs[0], iterations, converged }
}

/// Sorts vertices by objective, best first (insertion sort: N is tiny and the simplex
/// is nearly sorted after one step).
fn sort<const N: usize>(xs: &mut [[f64; N]], fs: &mut [f64]) {
    for i in 1..fs.len() {
        let mut j = i;
        while j > 0 && fs[j] < fs[j - 1] {
            fs.swap(j, j - 1);
            xs.swap(j, j - 1);
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STOP: Stop = Stop { f_spread: 1e-14, x_spread: 1e-8, max_iterations: 10_000 };

    #[test]
    fn finds_the_minimum_of_rosenbrock() {
        let rosenbrock = |x: &[f64; 2]| 100.0 * (x[1] - x[0] * x[0]).powi(2) + (1.0 - x[0]).powi(2);
        let min = nelder_mead(rosenbrock, [-1.2, 1.0], [0.5, 0.5], STOP);
        assert!(min.converged);
        assert!((min.x[0] - 1.0).abs() < 1e-6 && (min.x[1] - 1.0).abs() < 1e-6, "{min:?}");
    }

    #[test]
    fn walks_away_from_nan() {
        // Undefined for x < 0; minimum at x = 2.
        let f = |x: &[f64; 1]| if x[0] < 0.0 { f64::NAN } else { (x[0] - 2.0).powi(2) };
        let min = nelder_mead(f, [0.1], [-1.0], STOP);
        assert!((min.x[0] - 2.0).abs() < 1e-6, "{min:?}");
    }
}
