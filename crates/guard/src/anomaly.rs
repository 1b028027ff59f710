//! Order-flow anomalies: robust z-scores against a sliding window, and sudden drops
//! of TVL.
//!
//! # Formula
//! The robust z-score of `x` against a window with median `m` and median absolute
//! deviation `MAD` is `0.6745 · (x − m) / MAD` (Iglewicz and Hoaglin's modified
//! z-score: 0.6745 is the 75th percentile of the standard normal, so that the score
//! matches an ordinary z-score for normal data). A value is scored against the window
//! before it enters it, so that an outlier does not mask itself. With `MAD = 0` (a
//! window of equal values) no score is given.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::event::TimeMs;

/// `Φ⁻¹(0.75)`, the consistency constant of the modified z-score.
pub const MAD_SCALE: f64 = 0.6745;

/// A reusable buffer that is not part of the state: skipped by serde, equal to any other.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scratch(pub(crate) Vec<f64>);

impl PartialEq for Scratch {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Which order-flow measure a score is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Metric {
    /// Volume traded per bucket.
    Volume,
    /// Size of one trade.
    TradeSize,
    /// Log return between consecutive trades.
    PriceMove,
}

impl Metric {
    /// The name used in breaker names.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Volume => "volume",
            Metric::TradeSize => "trade_size",
            Metric::PriceMove => "price_move",
        }
    }
}

/// The median of `values`, reordering them. `values` must not be empty.
pub fn median_in_place(values: &mut [f64]) -> f64 {
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    let mid = n / 2;
    let (lower, upper, _) = values.select_nth_unstable_by(mid, f64::total_cmp);
    let upper = *upper;
    if n % 2 == 1 {
        upper
    } else {
        let below = lower.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (below + upper) / 2.0
    }
}

/// A score with what it was computed from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// The value scored.
    pub value: f64,
    /// The window's median.
    pub median: f64,
    /// The window's MAD.
    pub mad: f64,
    /// The robust z-score.
    pub z: f64,
}

/// A sliding window of the last `capacity` values, scored robustly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RobustWindow {
    capacity: usize,
    min_samples: usize,
    values: VecDeque<f64>,
    #[serde(skip)]
    scratch: Scratch,
}

impl RobustWindow {
    /// A window of `capacity` values that scores once it holds `min_samples`.
    pub fn new(capacity: usize, min_samples: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            capacity,
            min_samples: min_samples.clamp(1, capacity),
            values: VecDeque::with_capacity(capacity),
            scratch: Scratch(Vec::with_capacity(capacity)),
        }
    }

    /// How many values it holds.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Scores `value` against the window (if it holds enough values and a nonzero
    /// MAD), then adds it, dropping the oldest when full.
    pub fn score_and_push(&mut self, value: f64) -> Option<Score> {
        let score = self.score(value);
        if self.values.len() == self.capacity {
            self.values.pop_front();
        }
        self.values.push_back(value);
        score
    }

    /// Scores `value` against the window without adding it.
    pub fn score(&mut self, value: f64) -> Option<Score> {
        if self.values.len() < self.min_samples {
            return None;
        }
        let scratch = &mut self.scratch.0;
        scratch.clear();
        scratch.extend(self.values.iter().copied());
        let median = median_in_place(scratch);
        for v in scratch.iter_mut() {
            *v = (*v - median).abs();
        }
        let mad = median_in_place(scratch);
        if mad.is_nan() || mad <= 0.0 {
            return None;
        }
        Some(Score { value, median, mad, z: MAD_SCALE * (value - median) / mad })
    }
}

/// Order-flow state of one trading market: a window per metric and the bucket being filled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderFlow {
    bucket_ms: u64,
    /// Start of the volume bucket being filled, and its volume so far.
    bucket: Option<(TimeMs, f64)>,
    last_price: Option<f64>,
    volume: RobustWindow,
    trade_size: RobustWindow,
    price_move: RobustWindow,
}

impl OrderFlow {
    /// Windows of `capacity` values scoring from `min_samples`; volume in buckets of `bucket_ms`.
    pub fn new(capacity: usize, min_samples: usize, bucket_ms: u64) -> Self {
        Self {
            bucket_ms: bucket_ms.max(1),
            bucket: None,
            last_price: None,
            volume: RobustWindow::new(capacity, min_samples),
            trade_size: RobustWindow::new(capacity, min_samples),
            price_move: RobustWindow::new(capacity, min_samples),
        }
    }

    /// Records a trade; returns the scores it produced: its size, its price move, and
    /// the volume of any bucket it closed (in that order of [`Metric`]).
    pub fn trade(&mut self, size: f64, price: f64, now_ms: TimeMs) -> [Option<(Metric, Score)>; 3] {
        let bucket_start = now_ms - now_ms % self.bucket_ms;
        let mut closed = None;
        match &mut self.bucket {
            Some((start, volume)) if *start == bucket_start => *volume += size,
            Some((start, volume)) if *start < bucket_start => {
                closed = Some(*volume);
                self.bucket = Some((bucket_start, size));
            }
            Some(_) => {} // a late trade for a closed bucket: left out of the volume
            None => self.bucket = Some((bucket_start, size)),
        }
        let volume = closed.and_then(|v| self.volume.score_and_push(v)).map(|s| (Metric::Volume, s));
        let size_score = self.trade_size.score_and_push(size).map(|s| (Metric::TradeSize, s));
        let move_score = match self.last_price {
            Some(last) if last > 0.0 && price > 0.0 => {
                self.price_move.score_and_push((price / last).ln()).map(|s| (Metric::PriceMove, s))
            }
            _ => None,
        };
        self.last_price = Some(price);
        [size_score, move_score, volume]
    }
}

/// TVL of one lending market over a window, for sudden drops.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TvlWatch {
    window_ms: u64,
    /// `(time, value)` with values strictly decreasing from front to back: the front
    /// is the window's peak (a monotonic queue).
    peaks: VecDeque<(TimeMs, f64)>,
    last_usd: Option<f64>,
}

impl TvlWatch {
    /// A watch over `window_ms`.
    pub fn new(window_ms: u64) -> Self {
        Self { window_ms, peaks: VecDeque::new(), last_usd: None }
    }

    /// The latest TVL, USD.
    pub fn last_usd(&self) -> Option<f64> {
        self.last_usd
    }

    /// Records a TVL reading; returns `(peak in the window, drop = 1 − now/peak)`.
    pub fn observe(&mut self, value_usd: f64, now_ms: TimeMs) -> (f64, f64) {
        while self.peaks.front().is_some_and(|(t, _)| now_ms.saturating_sub(*t) > self.window_ms) {
            self.peaks.pop_front();
        }
        while self.peaks.back().is_some_and(|(_, v)| *v <= value_usd) {
            self.peaks.pop_back();
        }
        self.peaks.push_back((now_ms, value_usd));
        self.last_usd = Some(value_usd);
        let peak = self.peaks.front().map_or(value_usd, |(_, v)| *v);
        let drop = if peak > 0.0 { 1.0 - value_usd / peak } else { 0.0 };
        (peak, drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_mad_by_hand() {
        assert_eq!(median_in_place(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median_in_place(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        // Window 1..=5: median 3, deviations 2,1,0,1,2 → MAD 1; z(10) = 0.6745 · 7.
        let mut w = RobustWindow::new(5, 5);
        for x in [1.0, 2.0, 3.0, 4.0, 5.0] {
            assert!(w.score_and_push(x).is_none() || w.len() == 5);
        }
        let s = w.score(10.0).unwrap();
        assert_eq!((s.median, s.mad), (3.0, 1.0));
        assert!((s.z - 0.6745 * 7.0).abs() < 1e-12);
    }

    #[test]
    fn tvl_peak_leaves_the_window() {
        let mut w = TvlWatch::new(1000);
        assert_eq!(w.observe(100.0, 0), (100.0, 0.0));
        assert_eq!(w.observe(80.0, 500), (100.0, 0.19999999999999996));
        assert_eq!(w.observe(70.0, 1000).0, 100.0, "at exactly the window's length the peak still counts");
        assert_eq!(w.observe(70.0, 1001).0, 80.0);
    }
}
