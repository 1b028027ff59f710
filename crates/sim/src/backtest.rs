//! Backtests: real price history replayed through a lending market, with the spec's
//! static parameters and with a parameter policy (the adaptive controller), side by side.
//!
//! The book starts at the spec's prices and lives through the window's relative moves: each
//! asset with a series follows its real log returns, interpolated to the spec's step;
//! assets without one stay flat. The spec's own shocks and replays are removed, since
//! the window is the stress.
//!
//! The policy sees the main collateral's real prices, from a warm-up month before the
//! window to its end, and sets that reserve's LTV and liquidation threshold over time.
//! The engine runs one set of parameters per path, so the adaptive run applies the
//! threshold the policy had set when the window's steepest 24-hour fall began (the one
//! the crash meets) to the existing book; its LTV path gives the borrowing capacity
//! forgone: the time average of collateral value × (static LTV − policy LTV).

use bulwark_spec::data::prices::PriceSeries;
use bulwark_spec::overrides::Override;
use serde::Serialize;

use crate::book::IndexedPosition;
use crate::engine::{PathOutcome, Recorder, Scratch, run_buckets};
use crate::simulate::liquidators;
use crate::sweep::{SpecText, SweepError};
use crate::world::World;

/// A crisis window in the bundled data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CrisisWindow {
    /// Short name.
    pub name: &'static str,
    /// What happened.
    pub about: &'static str,
    /// Start, unix seconds.
    pub start_s: i64,
    /// End, unix seconds.
    pub end_s: i64,
}

/// The crisis windows of data/README.md.
pub const CRISES: [CrisisWindow; 5] = [
    CrisisWindow {
        name: "2021-05 crash",
        about: "ETH −45 % intraday on 19 May 2021",
        start_s: 1_620_777_600, // 2021-05-12
        end_s: 1_622_073_600,   // 2021-05-27
    },
    CrisisWindow {
        name: "2022-05 UST collapse",
        about: "UST loses its peg; ETH and BTC fall",
        start_s: 1_651_708_800, // 2022-05-05
        end_s: 1_653_004_800,   // 2022-05-20
    },
    CrisisWindow {
        name: "2022-06 stETH discount",
        about: "stETH trades at a discount to ETH; Celsius and 3AC unwind",
        start_s: 1_654_646_400, // 2022-06-08
        end_s: 1_655_942_400,   // 2022-06-23
    },
    CrisisWindow {
        name: "2022-11 FTX",
        about: "FTX fails; ETH −25 % in three days",
        start_s: 1_667_606_400, // 2022-11-05
        end_s: 1_668_556_800,   // 2022-11-16
    },
    CrisisWindow {
        name: "2023-03 USDC depeg",
        about: "SVB fails; USDC trades near 0.88",
        start_s: 1_678_233_600, // 2023-03-08
        end_s: 1_678_924_800,   // 2023-03-16
    },
];

/// Sets a reserve's LTV and liquidation threshold from the prices it observes.
pub trait ParameterPolicy {
    /// Observes the collateral's price at `t_ms` and returns the LTV and liquidation
    /// threshold in force after it, as fractions.
    fn observe(&mut self, t_ms: u64, price: f64) -> (f64, f64);
}

/// Settings of a backtest.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BacktestOptions {
    /// Step of the replay, seconds (the spec's step is often a minute; hourly data
    /// interpolated to ten minutes loses nothing).
    pub step_s: f64,
    /// Seed of the generated book.
    pub seed: u64,
    /// The market.
    pub market: usize,
}

impl Default for BacktestOptions {
    fn default() -> Self {
        Self { step_s: 600.0, seed: 7, market: 0 }
    }
}

/// What one run of a window did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacktestRun {
    /// `static` or the policy's name.
    pub parameters: String,
    /// Bad debt at the window's end, USD.
    pub bad_debt_usd: f64,
    /// Debt repaid by liquidators, USD.
    pub liquidated_usd: f64,
    /// Liquidation calls.
    pub liquidations: f64,
    /// Time average of collateral value × (static LTV − this run's LTV), USD.
    pub capacity_forgone_usd: f64,
    /// The liquidation threshold the engine applied.
    pub liquidation_threshold: f64,
    /// `(days from the window's start, LTV)` whenever it changed, with the first.
    pub ltv_path: Vec<(f64, f64)>,
    /// `(days, liquidation threshold)` likewise.
    pub lt_path: Vec<(f64, f64)>,
}

/// One window's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowResult {
    /// The window.
    pub window: CrisisWindow,
    /// The main collateral, whose parameters the policy sets.
    pub asset: String,
    /// Assets that followed real prices (and the series' symbol when they differ).
    pub replayed: Vec<String>,
    /// The main collateral's real price, `(days, USD)`, hourly.
    pub price: Vec<(f64, f64)>,
    /// The worst 24-hour fall of that price in the window, as a fraction.
    pub worst_day_fall: f64,
    /// The static run.
    pub static_run: BacktestRun,
    /// The policy's run, when a policy is given.
    pub adaptive_run: Option<BacktestRun>,
}

/// Why a backtest could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BacktestError {
    /// The spec could not be built for the window.
    #[error("{0}")]
    Spec(#[from] SweepError),
    /// No series covers the window for any collateral of the market.
    #[error("{window}: no price series covers it for a collateral asset of the market (series given: {given})")]
    NoData {
        /// The window.
        window: String,
        /// The symbols of the series given.
        given: String,
    },
}

/// The spec's symbol a series stands for: the same symbol, `ETH` for `WETH`, `stETH`
/// for `wstETH` (its returns; wstETH accrues staking yield on top, a few basis points a
/// week).
fn matches(spec_symbol: &str, series_symbol: &str) -> bool {
    let s = series_symbol.trim();
    spec_symbol.eq_ignore_ascii_case(s)
        || (spec_symbol == "WETH" && s.eq_ignore_ascii_case("ETH"))
        || (spec_symbol == "wstETH" && s.eq_ignore_ascii_case("stETH"))
}

/// Log price at `t` by linear interpolation in log space; `None` outside the series.
fn log_price_at(points: &[(i64, f64)], t: i64) -> Option<f64> {
    let i = points.partition_point(|p| p.0 <= t);
    if i == 0 || i > points.len() {
        return None;
    }
    let (t0, y0) = points[i - 1];
    match points.get(i) {
        Some(&(t1, y1)) => Some(y0 + (y1 - y0) * (t - t0) as f64 / (t1 - t0).max(1) as f64),
        None => (t == t0).then_some(y0),
    }
}

/// Counts nothing: the outcome already holds the totals.
struct Quiet;
impl Recorder for Quiet {}

/// Replays one window.
///
/// # Errors
/// [`BacktestError`] if the spec cannot be built or no series covers the window.
pub fn backtest_window(
    spec: &SpecText,
    series: &[PriceSeries],
    window: &CrisisWindow,
    opts: &BacktestOptions,
    policy: Option<(&str, &mut dyn ParameterPolicy)>,
) -> Result<WindowResult, BacktestError> {
    let horizon = (window.end_s - window.start_s) as f64;
    let mut overrides = vec![
        Override::new("scenario.horizon", format!("\"{horizon}s\"")),
        Override::new("scenario.step", format!("\"{}s\"", opts.step_s)),
    ];
    let base = spec.protocol(&[])?;
    if !base.scenario.shocks.is_empty() {
        overrides.push(Override::new("scenario.shocks", "[]"));
    }
    if !base.scenario.replays.is_empty() {
        overrides.push(Override::new("scenario.replay", "[]"));
    }
    let p = spec.protocol(&overrides)?;
    let market = p.markets.get(opts.market).ok_or(SweepError::Market { index: opts.market, count: p.markets.len() })?;
    let covering = |s: &PriceSeries| {
        let first = s.points.first().map_or(i64::MAX, |q| q.timestamp_s);
        let last = s.points.last().map_or(i64::MIN, |q| q.timestamp_s);
        first <= window.start_s && last >= window.end_s
    };
    // Per spec asset: the series that covers the window.
    let followed: Vec<Option<&PriceSeries>> =
        p.assets.iter().map(|a| series.iter().find(|s| matches(&a.symbol, &s.symbol) && covering(s))).collect();
    // The main collateral: the collateral with the most debt behind it that has a series.
    let price0 = |a: &str| p.price_usd(a);
    let positions = market.book(opts.seed, &price0);
    let backing = |asset: &str| -> f64 {
        positions
            .iter()
            .filter(|pos| pos.collateral.iter().any(|(a, _)| a == asset))
            .flat_map(|pos| pos.debt.iter().map(|(a, n)| n * price0(a)))
            .sum()
    };
    let main = p
        .assets
        .iter()
        .enumerate()
        .filter(|(i, a)| {
            followed[*i].is_some() && market.reserve(&a.symbol).is_some_and(|r| r.liquidation_threshold > 0.0)
        })
        .max_by(|(_, a), (_, b)| backing(&a.symbol).total_cmp(&backing(&b.symbol)))
        .map(|(i, _)| i)
        .ok_or_else(|| BacktestError::NoData {
            window: window.name.to_string(),
            given: series.iter().map(|s| s.symbol.clone()).collect::<Vec<_>>().join(", "),
        })?;
    let logs: Vec<Option<Vec<(i64, f64)>>> = followed
        .iter()
        .map(|s| {
            s.map(|s| {
                s.points.iter().filter(|q| q.price_usd > 0.0).map(|q| (q.timestamp_s, q.price_usd.ln())).collect()
            })
        })
        .collect();
    let (liq, _) = liquidators(&p).map_err(SweepError::from)?;
    let steps = p.scenario.steps().max(1) as usize;
    let n = p.assets.len();
    let mut returns = vec![0.0; steps * n];
    for (a, log) in logs.iter().enumerate() {
        let Some(log) = log else { continue };
        let at = |s: usize| log_price_at(log, window.start_s + (s as f64 * p.scenario.step_s) as i64);
        for s in 0..steps {
            if let (Some(x0), Some(x1)) = (at(s), at(s + 1)) {
                returns[s * n + a] = x1 - x0;
            }
        }
    }
    let main_log = logs[main].as_deref().unwrap_or(&[]);
    let in_window: Vec<(i64, f64)> =
        main_log.iter().copied().filter(|(t, _)| (window.start_s..=window.end_s).contains(t)).collect();
    let days = |t: i64| (t - window.start_s) as f64 / 86_400.0;
    let price: Vec<(f64, f64)> = in_window.iter().map(|(t, y)| (days(*t), y.exp())).collect();
    // The steepest 24-hour fall: its start and size.
    let (mut worst_start, mut worst_fall) = (window.start_s, 0.0);
    for &(t, y) in &in_window {
        if let Some(y1) = log_price_at(main_log, t + 86_400) {
            let fall = 1.0 - (y1 - y).exp();
            if fall > worst_fall {
                worst_fall = fall;
                worst_start = t;
            }
        }
    }
    let index = |s: &str| p.assets.iter().position(|a| a.symbol == s);
    let indexed: Vec<IndexedPosition> = positions
        .iter()
        .map(|pos| IndexedPosition {
            collateral: pos.collateral.iter().filter_map(|(a, n)| Some((index(a)?, *n))).collect(),
            debt: pos.debt.iter().filter_map(|(a, n)| Some((index(a)?, *n))).collect(),
        })
        .collect();
    let symbol = p.assets[main].symbol.clone();
    let reserve = market.reserve(&symbol).cloned();
    let (ltv0, lt0) = reserve.as_ref().map_or((0.0, 0.0), |r| (r.ltv, r.liquidation_threshold));
    let tokens: f64 =
        positions.iter().flat_map(|pos| pos.collateral.iter()).filter(|(a, _)| *a == symbol).map(|(_, n)| n).sum();
    let run = |lt: f64| -> Result<PathOutcome, BacktestError> {
        let overridden;
        let (proto, mkt) = if (lt - lt0).abs() > 1e-12 {
            let path = format!("markets[{}].reserves.{symbol}.liquidation_threshold", opts.market);
            let mut o = overrides.clone();
            o.push(Override::new(path, format!("{lt:.6}")));
            if ltv0 > lt {
                o.push(Override::new(format!("markets[{}].reserves.{symbol}.ltv", opts.market), format!("{lt:.6}")));
            }
            overridden = spec.protocol(&o)?;
            (&overridden, &overridden.markets[opts.market])
        } else {
            (&p, market)
        };
        let world = World::from_positions(proto, mkt, indexed.clone(), liq.clone(), true);
        Ok(run_buckets(&world, &mut Scratch::default(), &returns, &mut Quiet))
    };
    let static_out = run(lt0)?;
    let static_run = BacktestRun {
        parameters: "static".into(),
        bad_debt_usd: static_out.bad_debt_usd,
        liquidated_usd: static_out.liquidated_debt_usd,
        liquidations: static_out.liquidations,
        capacity_forgone_usd: 0.0,
        liquidation_threshold: lt0,
        ltv_path: vec![(0.0, ltv0)],
        lt_path: vec![(0.0, lt0)],
    };
    let adaptive_run = match policy {
        None => None,
        Some((name, policy)) => {
            let warmup = window.start_s - 30 * 86_400;
            let (mut ltv_path, mut lt_path) = (Vec::new(), Vec::new());
            let (mut forgone, mut samples) = (0.0, 0usize);
            let mut lt_at_crash = lt0;
            let y_start = main_log_at_start(main_log, window.start_s);
            for &(t, y) in main_log.iter().filter(|(t, _)| (warmup..=window.end_s).contains(t)) {
                let (ltv, lt) = policy.observe(u64::try_from(t).unwrap_or(0) * 1000, y.exp());
                if t < window.start_s {
                    continue;
                }
                if t <= worst_start {
                    lt_at_crash = lt;
                }
                if ltv_path.last().is_none_or(|&(_, v)| v != ltv) {
                    ltv_path.push((days(t), ltv));
                }
                if lt_path.last().is_none_or(|&(_, v)| v != lt) {
                    lt_path.push((days(t), lt));
                }
                let value = tokens * p.assets[main].price_usd * (y - y_start).exp();
                forgone += value * (ltv0 - ltv).max(0.0);
                samples += 1;
            }
            let out = run(lt_at_crash)?;
            Some(BacktestRun {
                parameters: name.to_string(),
                bad_debt_usd: out.bad_debt_usd,
                liquidated_usd: out.liquidated_debt_usd,
                liquidations: out.liquidations,
                capacity_forgone_usd: if samples > 0 { forgone / samples as f64 } else { 0.0 },
                liquidation_threshold: lt_at_crash,
                ltv_path,
                lt_path,
            })
        }
    };
    let replayed = p
        .assets
        .iter()
        .zip(&followed)
        .filter_map(|(a, s)| {
            s.map(|s| if s.symbol == a.symbol { a.symbol.clone() } else { format!("{} (from {})", a.symbol, s.symbol) })
        })
        .collect();
    Ok(WindowResult {
        window: *window,
        asset: symbol,
        replayed,
        price,
        worst_day_fall: worst_fall,
        static_run,
        adaptive_run,
    })
}

fn main_log_at_start(log: &[(i64, f64)], start: i64) -> f64 {
    log_price_at(log, start).unwrap_or_else(|| log.first().map_or(0.0, |p| p.1))
}
