//! Pinned paths: deterministic moves laid over (or put in place of) the random ones.

use bulwark_spec::data::crises::Bar;
use bulwark_spec::model::scenario::{Shock, ShockKind};

use super::ProcessError;
use super::diffusion::{non_negative, positive};

const SECONDS_PER_DAY: f64 = 86_400.0;
/// A depeg to zero has no logarithm: it is taken as a fall to this fraction of the
/// starting price (a billionth: any position is worthless long before).
const DEPEG_FLOOR: f64 = 1e-9;

/// A deterministic path of one asset's log price.
///
/// - A ramp moves the log price linearly from 0 to `ln(factor)` over
///   `[at, at + over]` and is **added** to the random path (a shock "laid over" it).
/// - A replay follows a historical day and **replaces** the random path during the
///   steps it overlaps (a backtest of that day); before and after, the random path runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Pinned {
    asset: usize,
    shape: Shape,
}

#[derive(Debug, Clone, PartialEq)]
enum Shape {
    Ramp {
        log_move: f64,
        at_days: f64,
        over_days: f64,
    },
    /// Knots of the log price relative to the first, at days from the replay's start.
    Replay {
        at_days: f64,
        times_days: Vec<f64>,
        log_levels: Vec<f64>,
    },
}

impl Pinned {
    /// Asset `asset` moves by `factor` (0.5 halves it) linearly in log over
    /// `[at_days, at_days + over_days]`; `over_days = 0` is a jump within the step that
    /// holds `at_days`.
    ///
    /// # Formula
    /// The pinned log level is `X(t) = ln(factor)·clamp((t − at)/over, 0, 1)`; a step
    /// `[t_k, t_k + dt]` adds `X(t_k + dt) − X(t_k)`.
    ///
    /// # Errors
    /// [`ProcessError::OutOfRange`] for a factor that is not positive and finite, or a
    /// negative or non-finite time.
    pub fn ramp(asset: usize, factor: f64, at_days: f64, over_days: f64) -> Result<Self, ProcessError> {
        let log_move = positive("factor", factor)?.ln();
        let (at_days, over_days) = (non_negative("at_days", at_days)?, non_negative("over_days", over_days)?);
        Ok(Self { asset, shape: Shape::Ramp { log_move, at_days, over_days } })
    }

    /// The spec's `scenario.shocks` entry for asset `asset`, whose price is
    /// `start_price_usd` at the start: `Drop { fraction }` is a factor `1 − fraction`,
    /// `Depeg { to_usd }` a factor `to_usd / start_price_usd` (a depeg to zero falls to
    /// a billionth of the start instead: zero has no logarithm).
    ///
    /// # Errors
    /// Those of [`Pinned::ramp`], and [`ProcessError::OutOfRange`] for a starting price
    /// that is not positive or a shock kind this version does not know.
    pub fn from_shock(shock: &Shock, asset: usize, start_price_usd: f64) -> Result<Self, ProcessError> {
        let start = positive("start_price_usd", start_price_usd)?;
        let factor = match shock.kind {
            ShockKind::Drop { fraction } => 1.0 - fraction,
            ShockKind::Depeg { to_usd } => (non_negative("to_usd", to_usd)? / start).max(DEPEG_FLOOR),
            _ => {
                return Err(ProcessError::OutOfRange { name: "shock", value: f64::NAN, expected: "a drop or a depeg" });
            }
        };
        Self::ramp(asset, factor, shock.at_s / SECONDS_PER_DAY, shock.over_s / SECONDS_PER_DAY)
    }

    /// Replays `bars` (consecutive OHLC bars, e.g. the 10-minute ETH bars of 12 March
    /// 2020 from `load_bars`) for asset `asset`, starting `at_days` into the path.
    ///
    /// # Formula
    /// Knots: the first bar's open at its start, then each bar's close at its end (the
    /// next bar's start; the last bar lasts as long as the one before it). Between
    /// knots the log price is linear, so a step shorter than a bar takes its share of
    /// the bar's move and a longer one sums bars: `X(t_k + dt) − X(t_k)` with `X`
    /// the interpolated `ln(price / first open)`. Highs and lows inside a bar are not
    /// replayed.
    ///
    /// # Errors
    /// [`ProcessError::TooFew`] with fewer than two bars; [`ProcessError::BadBar`] for a
    /// price that is not positive or starts that do not increase;
    /// [`ProcessError::OutOfRange`] for a negative `at_days`.
    pub fn replay(asset: usize, bars: &[Bar], at_days: f64) -> Result<Self, ProcessError> {
        let at_days = non_negative("at_days", at_days)?;
        let (Some(first), Some(last), Some(before_last)) =
            (bars.first(), bars.last(), bars.len().checked_sub(2).and_then(|i| bars.get(i)))
        else {
            return Err(ProcessError::TooFew { what: "bars", found: bars.len(), needed: 2 });
        };
        for (index, bar) in bars.iter().enumerate() {
            if !(bar.open > 0.0 && bar.close > 0.0 && bar.open.is_finite() && bar.close.is_finite()) {
                return Err(ProcessError::BadBar { index, problem: "open and close must be positive and finite" });
            }
            if index > 0 && bar.start_s <= bars[index - 1].start_s {
                return Err(ProcessError::BadBar { index, problem: "starts no later than the bar before" });
            }
        }
        let open = first.open;
        let mut times_days = vec![0.0];
        let mut log_levels = vec![0.0];
        for (bar, next_start_s) in
            bars.iter().zip(bars.iter().skip(1).map(|b| b.start_s).chain([2 * last.start_s - before_last.start_s]))
        {
            times_days.push((next_start_s - first.start_s) as f64 / SECONDS_PER_DAY);
            log_levels.push((bar.close / open).ln());
        }
        Ok(Self { asset, shape: Shape::Replay { at_days, times_days, log_levels } })
    }

    /// The asset it pins.
    pub fn asset(&self) -> usize {
        self.asset
    }

    /// The pinned log level `X(t)` at `t_days` from the path's start, relative to the
    /// start (0 before the pin begins, its full move after it ends).
    pub fn log_level(&self, t_days: f64) -> f64 {
        match &self.shape {
            Shape::Ramp { log_move, at_days, over_days } => {
                let share = if *over_days > 0.0 {
                    ((t_days - at_days) / over_days).clamp(0.0, 1.0)
                } else {
                    f64::from(u8::from(t_days > *at_days))
                };
                log_move * share
            }
            Shape::Replay { at_days, times_days, log_levels } => {
                let t = t_days - at_days;
                let after = times_days.partition_point(|knot| *knot <= t);
                match (after.checked_sub(1), times_days.get(after)) {
                    (None, _) => 0.0,
                    (Some(k), None) => log_levels[k],
                    (Some(k), Some(next)) => {
                        let w = (t - times_days[k]) / (next - times_days[k]);
                        log_levels[k] + w * (log_levels[k + 1] - log_levels[k])
                    }
                }
            }
        }
    }

    /// Lays the pin onto a path of `assets` assets, row-major by step, with steps of
    /// `dt_days`: a ramp adds its increments, a replay overwrites the steps it overlaps.
    /// The caller has checked that the asset exists and `out` is whole rows.
    pub(super) fn apply(&self, dt_days: f64, assets: usize, out: &mut [f64]) {
        let (start, end) = match &self.shape {
            Shape::Ramp { at_days, over_days, .. } => (*at_days, at_days + over_days),
            Shape::Replay { at_days, times_days, .. } => {
                (*at_days, at_days + times_days.last().copied().unwrap_or(0.0))
            }
        };
        let replace = matches!(self.shape, Shape::Replay { .. });
        for (k, row) in out.chunks_exact_mut(assets).enumerate() {
            let (t0, t1) = (k as f64 * dt_days, (k + 1) as f64 * dt_days);
            // A jump at `at` lands in the step with t0 <= at < t1.
            if t1 <= start || t0 > end || (t0 == end && end > start) {
                continue;
            }
            let increment = self.log_level(t1) - self.log_level(t0);
            let cell = &mut row[self.asset];
            *cell = if replace { increment } else { *cell + increment };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(start_s: i64, open: f64, close: f64) -> Bar {
        Bar { start_s, open, high: open.max(close), low: open.min(close), close, volume: 1.0, trades: 1 }
    }

    #[test]
    fn a_ramp_spreads_its_move_evenly_and_sums_to_it() {
        let pin = Pinned::ramp(1, 0.5, 1.0, 2.0).unwrap();
        let mut out = vec![0.0; 2 * 8];
        pin.apply(0.5, 2, &mut out);
        let column: Vec<f64> = out.chunks(2).map(|r| r[1]).collect();
        let q = 0.5_f64.ln() / 4.0;
        let expected = [0.0, 0.0, q, q, q, q, 0.0, 0.0];
        assert!(column.iter().zip(expected).all(|(a, b)| (a - b).abs() < 1e-15), "{column:?}");
        assert!(out.chunks(2).all(|r| r[0] == 0.0));
    }

    #[test]
    fn a_jump_lands_in_the_step_that_holds_it() {
        let pin = Pinned::ramp(0, 0.8, 0.25, 0.0).unwrap();
        let mut out = vec![0.0; 4];
        pin.apply(0.25, 1, &mut out);
        assert_eq!(out, vec![0.0, 0.8_f64.ln(), 0.0, 0.0]);
        let at_zero = Pinned::ramp(0, 0.8, 0.0, 0.0).unwrap();
        let mut out = vec![0.0; 2];
        at_zero.apply(0.25, 1, &mut out);
        assert_eq!(out, vec![0.8_f64.ln(), 0.0]);
    }

    #[test]
    fn replay_interpolates_bars_and_replaces_the_random_path() {
        // Bars of 10 minutes: 100 -> 110 -> 99.
        let bars = [bar(0, 100.0, 110.0), bar(600, 110.0, 99.0)];
        let pin = Pinned::replay(0, &bars, 0.0).unwrap();
        let five_min = 300.0 / SECONDS_PER_DAY;
        let mut out = vec![7.0; 6];
        pin.apply(five_min, 1, &mut out);
        let half = |a: f64, b: f64| 0.5 * (b / a).ln();
        let expected = [half(100.0, 110.0), half(100.0, 110.0), half(110.0, 99.0), half(110.0, 99.0), 7.0, 7.0];
        assert!(out.iter().zip(expected).all(|(a, b)| (a - b).abs() < 1e-12), "{out:?}");
        assert!((pin.log_level(1.0) - 0.99_f64.ln()).abs() < 1e-15);
    }

    #[test]
    fn bad_bars_and_factors_are_refused() {
        assert!(matches!(Pinned::replay(0, &[bar(0, 1.0, 1.0)], 0.0), Err(ProcessError::TooFew { .. })));
        let backwards = [bar(600, 1.0, 1.0), bar(0, 1.0, 1.0)];
        assert!(matches!(Pinned::replay(0, &backwards, 0.0), Err(ProcessError::BadBar { index: 1, .. })));
        assert!(matches!(Pinned::ramp(0, 0.0, 0.0, 1.0), Err(ProcessError::OutOfRange { name: "factor", .. })));
    }
}
