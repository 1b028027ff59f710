//! The adaptive collateral controller: volatility estimated online, liquidity read
//! from the venues, a target LTV and liquidation threshold, and moves bounded as
//! Aave's risk stewards bound them. Tightening moves come at once (as soon as the
//! steward's debounce allows, by up to its largest step); loosening moves come only
//! after the target has stayed looser for a hold time, by a smaller step, and the
//! guard applies them only through an authorized command.
//!
//! It is a pure value: observations in, proposed moves out, no clock and no I/O, so a
//! backtest can run it over a price history:
//!
//! ```
//! use bulwark_guard::controller::{AdaptiveController, ControllerConfig};
//! use bulwark_guard::params::{Parameter, ReserveParams};
//!
//! let config = ControllerConfig::for_daily_volatility(0.045);
//! let mut controller = AdaptiveController::new(config).unwrap();
//! let mut params = ReserveParams::new("pool", "WETH", 8050, 8300);
//! let hour = 3_600_000;
//! for (i, price) in [3000.0, 2900.0, 2500.0, 2000.0, 1900.0].into_iter().enumerate() {
//!     controller.observe_price(price, i as u64 * hour);
//!     for change in controller.propose(&params, i as u64 * hour) {
//!         params.ltv_bps = if change.parameter == Parameter::Ltv { change.to_bps } else { params.ltv_bps };
//!     }
//! }
//! assert!(controller.volatility().daily > 0.045);
//! ```

mod volatility;

pub use volatility::{Ewma, Garch};

use serde::{Deserialize, Serialize};

use crate::event::TimeMs;
use crate::params::{Direction, Parameter, ReserveParams};
use crate::steward::StewardBound;

const DAY_MS: f64 = 86_400_000.0;

/// The controller's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ControllerConfig {
    /// Returns are taken between samples this far apart, milliseconds.
    pub sample_ms: u64,
    /// EWMA decay per sample.
    pub ewma_lambda: f64,
    /// GARCH α.
    pub garch_alpha: f64,
    /// GARCH β.
    pub garch_beta: f64,
    /// Long-run daily volatility (the spec's), which seeds both estimators and anchors GARCH.
    pub long_run_daily: f64,
    /// SmartLTV's confidence factor `c` (REFERENCES.md §6.4: `c = 1/r`, `r` the risk appetite).
    pub confidence: f64,
    /// SmartLTV's `β`: the liquidation bonus, as a fraction.
    pub liquidation_bonus: f64,
    /// SmartLTV's `d`: the debt the collateral backs, USD; `None` reads `l/d` as 1.
    pub debt_usd: Option<f64>,
    /// The lowest LTV it will target, basis points.
    pub floor_ltv_bps: u32,
    /// The steward's bound on LTV.
    pub ltv_bound: StewardBound,
    /// The steward's bound on the liquidation threshold.
    pub lt_bound: StewardBound,
    /// How long the target must stay looser before a loosening is proposed, milliseconds.
    pub loosen_hold_ms: u64,
    /// Largest loosening step, basis points (at most the steward's bound).
    pub loosen_step_bps: u32,
}

impl ControllerConfig {
    /// Defaults around a daily volatility: hourly samples, λ = 0.94, GARCH α = 0.10 and
    /// β = 0.85, `c = 1/5` (blue-chip risk appetite), a 5 % bonus, LTV floor 0, and
    /// steward bounds of 50 basis points per 3 days (assumptions, the order of Aave's
    /// LTV/LT steward configuration), loosening after 1 day by 25 basis points.
    pub fn for_daily_volatility(daily: f64) -> Self {
        let bound = StewardBound { min_delay_ms: 3 * 86_400_000, max_change_bps: 50, relative: false };
        Self {
            sample_ms: 3_600_000,
            ewma_lambda: 0.94,
            garch_alpha: 0.10,
            garch_beta: 0.85,
            long_run_daily: daily,
            confidence: 0.2,
            liquidation_bonus: 0.05,
            debt_usd: None,
            floor_ltv_bps: 0,
            ltv_bound: bound,
            lt_bound: bound,
            loosen_hold_ms: 86_400_000,
            loosen_step_bps: 25,
        }
    }

    /// The first setting out of range, as `(name, value, valid range)`.
    pub fn invalid(&self) -> Option<(&'static str, f64, &'static str)> {
        let checks = [
            ("sample", self.sample_ms as f64, self.sample_ms > 0, "a positive duration"),
            ("ewma_lambda", self.ewma_lambda, self.ewma_lambda > 0.0 && self.ewma_lambda < 1.0, "in (0, 1)"),
            ("garch_alpha", self.garch_alpha, self.garch_alpha >= 0.0, "zero or more"),
            ("garch_beta", self.garch_beta, self.garch_beta >= 0.0, "zero or more"),
            (
                "garch_alpha + garch_beta",
                self.garch_alpha + self.garch_beta,
                self.garch_alpha + self.garch_beta < 1.0,
                "below 1 (a stationary GARCH)",
            ),
            ("long_run_daily", self.long_run_daily, self.long_run_daily > 0.0, "positive"),
            ("confidence", self.confidence, self.confidence > 0.0, "positive"),
            ("liquidation_bonus", self.liquidation_bonus, (0.0..1.0).contains(&self.liquidation_bonus), "in [0, 1)"),
            ("debt_usd", self.debt_usd.unwrap_or(1.0), self.debt_usd.is_none_or(|d| d > 0.0), "positive"),
            ("floor_ltv", f64::from(self.floor_ltv_bps), self.floor_ltv_bps <= 10_000, "at most 10000 bps"),
        ];
        checks.into_iter().find(|c| !(c.2 && c.1.is_finite())).map(|(name, value, _, valid)| (name, value, valid))
    }
}

/// The volatility estimates, daily.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct VolatilityEstimate {
    /// EWMA, daily standard deviation.
    pub ewma_daily: f64,
    /// GARCH(1,1) forecast over the next day, daily standard deviation.
    pub garch_daily: f64,
    /// The one used: the larger of the two.
    pub daily: f64,
    /// Returns seen.
    pub samples: u64,
}

/// Where a target came from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// Target LTV, basis points.
    pub ltv_bps: u32,
    /// Target liquidation threshold, basis points.
    pub liquidation_threshold_bps: u32,
    /// SmartLTV's LTV before bounds, as a fraction.
    pub smart_ltv: f64,
    /// The recommendation's LTV, if one was given, basis points.
    pub recommended_ltv_bps: Option<u32>,
}

/// One proposed move of one parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposedMove {
    /// The parameter.
    pub parameter: Parameter,
    /// Its current value, basis points.
    pub from_bps: u32,
    /// The proposed value, basis points (within the steward's bound of `from_bps`).
    pub to_bps: u32,
    /// Tighten or loosen.
    pub direction: Direction,
    /// The target it moves toward, basis points.
    pub target_bps: u32,
    /// The daily volatility behind it.
    pub volatility_daily: f64,
}

/// The controller's state for one reserve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdaptiveController {
    config: ControllerConfig,
    ewma: Ewma,
    garch: Garch,
    /// The last sample: `(time, price)`.
    last_sample: Option<(TimeMs, f64)>,
    samples: u64,
    liquidity_usd: Option<f64>,
    recommendation: Option<(u32, u32)>,
    /// Since when the target has been looser than the current LTV.
    looser_since: Option<TimeMs>,
}

impl AdaptiveController {
    /// A controller seeded at the long-run volatility.
    ///
    /// # Errors
    /// The name, value and valid range of the first bad setting.
    pub fn new(config: ControllerConfig) -> Result<Self, (&'static str, f64, &'static str)> {
        if let Some(bad) = config.invalid() {
            return Err(bad);
        }
        let per_sample = config.long_run_daily.powi(2) * config.sample_ms as f64 / DAY_MS;
        Ok(Self {
            ewma: Ewma { lambda: config.ewma_lambda, variance: per_sample },
            garch: Garch {
                alpha: config.garch_alpha,
                beta: config.garch_beta,
                long_run: per_sample,
                variance: per_sample,
            },
            config,
            last_sample: None,
            samples: 0,
            liquidity_usd: None,
            recommendation: None,
            looser_since: None,
        })
    }

    /// The settings.
    pub fn config(&self) -> &ControllerConfig {
        &self.config
    }

    /// Feeds a price at `now_ms`. A return is taken once a sample interval has passed
    /// since the last sample (a gap of several intervals counts as one return, scaled
    /// to one interval's variance). Returns whether a sample was taken.
    pub fn observe_price(&mut self, price: f64, now_ms: TimeMs) -> bool {
        if !(price > 0.0 && price.is_finite()) {
            return false;
        }
        let Some((last_ms, last_price)) = self.last_sample else {
            self.last_sample = Some((now_ms, price));
            return false;
        };
        let elapsed = now_ms.saturating_sub(last_ms);
        if elapsed < self.config.sample_ms {
            return false;
        }
        let r = (price / last_price).ln() * (self.config.sample_ms as f64 / elapsed as f64).sqrt();
        self.ewma.update(r);
        self.garch.update(r);
        self.samples += 1;
        self.last_sample = Some((now_ms, price));
        true
    }

    /// Feeds the liquidity at the venues: USD sellable within the liquidation bonus (`l`).
    pub fn observe_liquidity(&mut self, depth_usd: f64) {
        if depth_usd.is_finite() && depth_usd >= 0.0 {
            self.liquidity_usd = Some(depth_usd);
        }
    }

    /// Sets a recommended LTV and liquidation threshold (e.g. from a sweep), basis points.
    pub fn recommend(&mut self, ltv_bps: u32, liquidation_threshold_bps: u32) {
        self.recommendation = Some((ltv_bps, liquidation_threshold_bps));
    }

    /// The volatility estimates.
    pub fn volatility(&self) -> VolatilityEstimate {
        let per_day = DAY_MS / self.config.sample_ms as f64;
        let ewma_daily = (self.ewma.variance * per_day).sqrt();
        let garch_daily = self.garch.forecast_sum(per_day).sqrt();
        VolatilityEstimate { ewma_daily, garch_daily, daily: ewma_daily.max(garch_daily), samples: self.samples }
    }

    /// SmartLTV at volatility `sigma_daily`.
    ///
    /// # Formula
    /// `LTV = exp(−c·σ/√(l/d)) − β` (Velner, "A Smart Contract Formula for LTV ratio";
    /// `backstop-protocol/smart-ltv`, `SmartLTV.sol`; REFERENCES.md §6.4), with `l/d`
    /// read as 1 when the liquidity or the debt is unknown.
    pub fn smart_ltv(&self, sigma_daily: f64) -> f64 {
        let ratio = match (self.liquidity_usd, self.config.debt_usd) {
            (Some(l), Some(d)) if d > 0.0 => l / d,
            _ => 1.0,
        };
        if ratio <= 0.0 {
            return 0.0;
        }
        ((-self.config.confidence * sigma_daily / ratio.sqrt()).exp() - self.config.liquidation_bonus).max(0.0)
    }

    /// The target for a reserve: SmartLTV, lowered to a recommendation if one is
    /// lower, kept between the floor and the baseline; the liquidation threshold keeps
    /// the baseline's gap above LTV and never exceeds its own baseline.
    pub fn target(&self, params: &ReserveParams) -> Target {
        let smart_ltv = self.smart_ltv(self.volatility().daily);
        let mut ltv = crate::params::fraction_to_bps(smart_ltv);
        if let Some((rec, _)) = self.recommendation {
            ltv = ltv.min(rec);
        }
        let ltv = ltv.clamp(self.config.floor_ltv_bps.min(params.baseline_ltv_bps), params.baseline_ltv_bps);
        let gap = params.baseline_liquidation_threshold_bps.saturating_sub(params.baseline_ltv_bps);
        let mut lt = ltv.saturating_add(gap).min(params.baseline_liquidation_threshold_bps);
        if let Some((_, rec_lt)) = self.recommendation {
            lt = lt.min(rec_lt.max(ltv));
        }
        Target {
            ltv_bps: ltv,
            liquidation_threshold_bps: lt,
            smart_ltv,
            recommended_ltv_bps: self.recommendation.map(|r| r.0),
        }
    }

    /// The moves to make at `now_ms` for a reserve with these parameters: each within
    /// the steward's bounds and debounce. Tightening moves should be applied at once;
    /// loosening moves need authorization. The liquidation threshold never goes below
    /// the LTV that results.
    pub fn propose(&mut self, params: &ReserveParams, now_ms: TimeMs) -> Vec<ProposedMove> {
        let target = self.target(params);
        let volatility_daily = self.volatility().daily;
        if target.ltv_bps > params.ltv_bps {
            self.looser_since.get_or_insert(now_ms);
        } else {
            self.looser_since = None;
        }
        let loosen_ready =
            self.looser_since.is_some_and(|since| now_ms.saturating_sub(since) >= self.config.loosen_hold_ms);
        let mut moves = Vec::new();
        let mut new_ltv = params.ltv_bps;
        for (parameter, bound, target_bps) in [
            (Parameter::Ltv, self.config.ltv_bound, target.ltv_bps),
            (Parameter::LiquidationThreshold, self.config.lt_bound, target.liquidation_threshold_bps),
        ] {
            let from = params.get(parameter);
            if target_bps == from || !bound.ready(params.updated_ms(parameter), now_ms) {
                continue;
            }
            let mut to = bound.step_toward(u64::from(from), u64::from(target_bps)) as u32;
            let direction = if to < from { Direction::Tighten } else { Direction::Loosen };
            if direction == Direction::Loosen {
                if !loosen_ready {
                    continue;
                }
                to = to.min(from.saturating_add(self.config.loosen_step_bps));
            }
            if parameter == Parameter::LiquidationThreshold {
                to = to.max(new_ltv);
            }
            if to == from || to == 0 {
                continue;
            }
            if parameter == Parameter::Ltv {
                new_ltv = to;
            }
            moves.push(ProposedMove { parameter, from_bps: from, to_bps: to, direction, target_bps, volatility_daily });
        }
        moves
    }
}
