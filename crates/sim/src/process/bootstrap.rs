//! The stationary bootstrap of historical returns (Politis and Romano, 1994).

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::ProcessError;
use super::diffusion::finite;

/// Historical log returns, one per interval, resampled in blocks of random length.
///
/// # Formula
/// Politis and Romano, "The stationary bootstrap", JASA 89 (1994): the first index is
/// uniform on `0..n`; after each return, with probability `p = 1/mean_block_len` a new
/// block starts at a uniform index, otherwise the next index follows,
/// `(i + 1) mod n` (the history wraps around). Block lengths are geometric with mean
/// `mean_block_len`, every index is equally likely at every step, so the resampled
/// series is stationary and its mean is the sample mean.
#[derive(Debug, Clone, PartialEq)]
pub struct Bootstrap {
    returns: Vec<f64>,
    mean_block_len: f64,
}

impl Bootstrap {
    /// Resamples `returns` with blocks of `mean_block_len` returns on average
    /// (1 is the i.i.d. bootstrap).
    ///
    /// # Errors
    /// [`ProcessError::TooFew`] without returns, [`ProcessError::NotFinite`] for a
    /// return that is not finite, [`ProcessError::OutOfRange`] for a mean block length
    /// below one or not finite.
    pub fn new(returns: Vec<f64>, mean_block_len: f64) -> Result<Self, ProcessError> {
        if returns.is_empty() {
            return Err(ProcessError::TooFew { what: "bootstrap returns", found: 0, needed: 1 });
        }
        if let Some((index, &value)) = returns.iter().enumerate().find(|(_, r)| !r.is_finite()) {
            return Err(ProcessError::NotFinite { what: "returns", index, value });
        }
        let mean_block_len = finite("mean_block_len", mean_block_len)?;
        if mean_block_len < 1.0 {
            let expected = "at least 1 return";
            return Err(ProcessError::OutOfRange { name: "mean_block_len", value: mean_block_len, expected });
        }
        Ok(Self { returns, mean_block_len })
    }

    /// The historical returns.
    pub fn returns(&self) -> &[f64] {
        &self.returns
    }

    /// The mean block length, in returns.
    pub fn mean_block_len(&self) -> f64 {
        self.mean_block_len
    }

    /// The probability that a block ends after any return.
    pub(super) fn new_block_probability(&self) -> f64 {
        1.0 / self.mean_block_len
    }
}

/// Where a path is in the resampled history: shared by every bootstrap asset of a
/// path, so that all of them replay the same historical intervals.
#[derive(Debug, Clone, Copy)]
pub(super) struct Cursor {
    index: usize,
    /// The fraction of the current return not yet used, in intervals.
    remaining: f64,
    len: usize,
    new_block_probability: f64,
}

impl Cursor {
    /// A fresh cursor at a uniform index (consumes one draw).
    pub(super) fn start(rng: &mut ChaCha8Rng, len: usize, new_block_probability: f64) -> Self {
        Self { index: rng.random_range(0..len), remaining: 1.0, len, new_block_probability }
    }

    fn advance(&mut self, rng: &mut ChaCha8Rng) {
        // One uniform decides; a new block draws its start. With p = 1 every step is new.
        self.index = if rng.random::<f64>() < self.new_block_probability {
            rng.random_range(0..self.len)
        } else {
            (self.index + 1) % self.len
        };
        self.remaining = 1.0;
    }

    /// Covers the next `fraction` of an interval, calling `take(index, weight)` for each
    /// historical return it overlaps: the return at `index` contributes `weight` of
    /// itself (a step of a quarter interval takes a quarter of the return; a step of
    /// three intervals takes three whole returns).
    pub(super) fn step(&mut self, rng: &mut ChaCha8Rng, fraction: f64, mut take: impl FnMut(usize, f64)) {
        let mut need = fraction;
        while need > self.remaining {
            take(self.index, self.remaining);
            need -= self.remaining;
            self.advance(rng);
        }
        take(self.index, need);
        self.remaining -= need;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::path_rng;

    #[test]
    fn bad_histories_are_refused() {
        assert!(matches!(Bootstrap::new(vec![], 5.0), Err(ProcessError::TooFew { .. })));
        assert!(matches!(Bootstrap::new(vec![0.1, f64::NAN], 5.0), Err(ProcessError::NotFinite { index: 1, .. })));
        assert!(matches!(Bootstrap::new(vec![0.1], 0.5), Err(ProcessError::OutOfRange { .. })));
    }

    #[test]
    fn quarter_steps_take_each_return_in_four_quarters() {
        let mut rng = path_rng(1, 0);
        let mut cursor = Cursor::start(&mut rng, 10, 0.0); // p = 0: one endless block
        let first = cursor.index;
        let mut taken = Vec::new();
        for _ in 0..8 {
            cursor.step(&mut rng, 0.25, |i, w| taken.push((i, w)));
        }
        let weight_of = |i: usize| taken.iter().filter(|(j, _)| *j == i).map(|(_, w)| w).sum::<f64>();
        assert!((weight_of(first) - 1.0).abs() < 1e-12);
        assert!((weight_of((first + 1) % 10) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn long_steps_sum_whole_returns_and_wrap_around() {
        let mut rng = path_rng(1, 0);
        let mut cursor = Cursor::start(&mut rng, 4, 0.0);
        let first = cursor.index;
        let mut indices = Vec::new();
        cursor.step(&mut rng, 6.0, |i, w| {
            if w > 0.0 {
                indices.push(i);
            }
        });
        let expected: Vec<usize> = (0..6).map(|k| (first + k) % 4).collect();
        assert_eq!(indices, expected);
    }
}
