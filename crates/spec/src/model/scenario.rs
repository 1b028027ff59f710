//! `[scenario]`: the stress a simulation runs: horizon, step, paths, seed and shocks.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::data::crises::{load_bars, load_gas};
use crate::error::ErrorKind;

use crate::reader::{Field, Table};

/// What a simulation runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    /// How far ahead, in seconds.
    pub horizon_s: f64,
    /// The step, in seconds.
    pub step_s: f64,
    /// Monte Carlo paths.
    pub paths: u64,
    /// The seed every random stream derives from.
    pub seed: u64,
    /// Shocks laid over the random paths.
    pub shocks: Vec<Shock>,
    /// The price process of every asset.
    pub model: PriceModel,
    /// Who liquidates, with what capital, latency and gas.
    pub liquidators: LiquidatorSpec,
    /// Historical days replayed in place of an asset's random path.
    pub replays: Vec<Replay>,
}

/// A historical day replayed for one asset: its 10-minute bars drive the price.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Replay {
    /// The asset.
    pub asset: String,
    /// The bars file (the crisis-day JSON of `data/crises/eth_10min`).
    pub bars: PathBuf,
    /// When the replay starts, in seconds from the start.
    pub at_s: f64,
}

/// The random process prices follow.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum PriceModel {
    /// Geometric Brownian motion at each asset's volatility, no drift.
    Gbm,
    /// Merton jump diffusion: GBM plus log-normal jumps.
    Jump {
        /// Expected jumps per day.
        intensity_per_day: f64,
        /// Mean log size of a jump.
        mean: f64,
        /// Standard deviation of the log size of a jump.
        std: f64,
    },
    /// GARCH(1,1) fitted by maximum likelihood to each asset's price history.
    Garch,
    /// Stationary block bootstrap of each asset's historical returns.
    Bootstrap {
        /// Mean block length, in returns of the history.
        mean_block: f64,
    },
}

/// The liquidators of a simulation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiquidatorSpec {
    /// USD of debt all liquidators together can repay in one step.
    pub capital_per_step_usd: f64,
    /// Delay between a position becoming liquidatable and a liquidator acting, in seconds.
    pub latency_s: f64,
    /// Gas of one liquidation call, in gas units.
    pub gas: f64,
    /// Gas price, in gwei.
    pub gas_price_gwei: f64,
    /// A gas-price series replacing `gas_price_gwei` (the crisis-day tables of
    /// `data/crises/gas`: the average gas price of each 10 minutes).
    pub gas_series: Option<PathBuf>,
}

impl Default for LiquidatorSpec {
    /// $50M a step, one block of latency, 500,000 gas at 30 gwei: assumptions, stated as such.
    fn default() -> Self {
        Self { capital_per_step_usd: 5.0e7, latency_s: 12.0, gas: 500_000.0, gas_price_gwei: 30.0, gas_series: None }
    }
}

impl Default for Scenario {
    fn default() -> Self {
        Self {
            horizon_s: 86_400.0,
            step_s: 60.0,
            paths: 10_000,
            seed: 7,
            shocks: Vec::new(),
            model: PriceModel::Gbm,
            liquidators: LiquidatorSpec::default(),
            replays: Vec::new(),
        }
    }
}

impl Scenario {
    /// Steps in the horizon.
    pub fn steps(&self) -> u64 {
        (self.horizon_s / self.step_s).round() as u64
    }
}

/// A pinned move of one asset's price.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shock {
    /// The asset.
    pub asset: String,
    /// What happens to it.
    pub kind: ShockKind,
    /// When it starts, in seconds from the start.
    pub at_s: f64,
    /// How long it takes, in seconds.
    pub over_s: f64,
}

/// The shape of a shock.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum ShockKind {
    /// The price falls by this fraction.
    Drop {
        /// 0.5 halves the price.
        fraction: f64,
    },
    /// The price moves to this level (a depeg).
    Depeg {
        /// The level, in USD.
        to_usd: f64,
    },
}

pub(crate) const SCENARIO_KEYS: &[&str] =
    &["horizon", "step", "paths", "seed", "shocks", "model", "jumps", "block", "liquidators", "replay"];
pub(crate) const REPLAY_KEYS: &[&str] = &["asset", "bars", "at"];
pub(crate) const JUMP_KEYS: &[&str] = &["intensity", "mean", "std"];
pub(crate) const LIQUIDATOR_KEYS: &[&str] = &["capital", "latency", "gas", "gas_price", "gas_series"];
pub(crate) const SHOCK_KEYS: &[&str] = &["asset", "drop", "to", "at", "over"];

/// Reads `[scenario]`; `asset_known` checks shock assets against `[assets]`.
pub(crate) fn parse_scenario(
    t: &Table<'_, '_>,
    base: &Path,
    asset_known: &dyn Fn(&Field<'_, '_>, &str) -> bool,
) -> Option<Scenario> {
    let d = Scenario::default();
    let positive = |f: &Field<'_, '_>| f.duration_where(|d| d > 0.0, "a positive duration");
    let horizon = t.get("horizon").map_or(Some(d.horizon_s), positive);
    let step = t.get("step").map_or(Some(d.step_s), positive);
    let paths = t
        .get("paths")
        .map_or(Some(d.paths), |f| f.count_where(|n| (1..=100_000_000).contains(&n), "between 1 and 100,000,000"));
    let seed = t.get("seed").map_or(Some(d.seed), |f| f.count());
    let shocks = t.get("shocks").map_or(Some(Vec::new()), |f| {
        let mut out = Vec::new();
        let mut ok = true;
        for e in f.elements()? {
            match parse_shock(&e, asset_known) {
                Some(s) => out.push(s),
                None => ok = false,
            }
        }
        ok.then_some(out)
    });
    let model = parse_model(t);
    let liquidators = t.get("liquidators").map_or(Some(LiquidatorSpec::default()), |f| parse_liquidators(f, base));
    let replays = t.get("replay").map_or(Some(Vec::new()), |f| {
        let mut out = Vec::new();
        let mut ok = true;
        for e in f.elements()? {
            match parse_replay(&e, base, asset_known) {
                Some(r) => out.push(r),
                None => ok = false,
            }
        }
        ok.then_some(out)
    });
    let (horizon, step) = (horizon?, step?);
    if step > horizon {
        t.out_of_range_at("step", format!("at most the horizon ({horizon} s)"));
        return None;
    }
    if horizon / step > 1_000_000.0 {
        t.out_of_range_at("step", "at least horizon / 1,000,000");
        return None;
    }
    Some(Scenario {
        horizon_s: horizon,
        step_s: step,
        paths: paths?,
        seed: seed?,
        shocks: shocks?,
        model: model?,
        liquidators: liquidators?,
        replays: replays?,
    })
}

#[derive(Clone, Copy)]
enum ModelName {
    Gbm,
    Jump,
    Garch,
    Bootstrap,
}

fn parse_model(t: &Table<'_, '_>) -> Option<PriceModel> {
    let name = t.get("model").map_or(Some(ModelName::Gbm), |f| {
        f.choice(&[
            ("gbm", ModelName::Gbm),
            ("jump", ModelName::Jump),
            ("garch", ModelName::Garch),
            ("bootstrap", ModelName::Bootstrap),
        ])
    })?;
    let misplaced = |key: &str, model: &str| {
        t.error_at(key, ErrorKind::Inconsistent(format!("applies only to model = \"{model}\"")));
    };
    if t.get("jumps").is_some() && !matches!(name, ModelName::Jump) {
        misplaced("jumps", "jump");
        return None;
    }
    if t.get("block").is_some() && !matches!(name, ModelName::Bootstrap) {
        misplaced("block", "bootstrap");
        return None;
    }
    match name {
        ModelName::Gbm => Some(PriceModel::Gbm),
        ModelName::Garch => Some(PriceModel::Garch),
        ModelName::Bootstrap => {
            let block = t
                .get("block")
                .map_or(Some(24.0), |f| f.number_where(|x| x >= 1.0, "a mean block length of at least 1 return"));
            Some(PriceModel::Bootstrap { mean_block: block? })
        }
        ModelName::Jump => {
            let f = t.require(
                "jumps",
                "the jumps: jumps = { intensity = 0.1, mean = -0.05, std = 0.08 } (per day, log sizes)",
            )?;
            let j = f.table(JUMP_KEYS)?;
            let intensity = j
                .require("intensity", "expected jumps per day")
                .and_then(|f| f.number_where(|x| x >= 0.0, "zero or more jumps per day"));
            let mean = j
                .require("mean", "the mean log jump size, e.g. mean = -0.05")
                .and_then(|f| f.number_where(|x| x.abs() < 5.0, "a log size in (-5, 5)"));
            let std = j
                .require("std", "the std of log jump sizes, e.g. std = 0.08")
                .and_then(|f| f.number_where(|x| (0.0..5.0).contains(&x), "in [0, 5)"));
            Some(PriceModel::Jump { intensity_per_day: intensity?, mean: mean?, std: std? })
        }
    }
}

fn parse_replay(
    field: &Field<'_, '_>,
    base: &Path,
    asset_known: &dyn Fn(&Field<'_, '_>, &str) -> bool,
) -> Option<Replay> {
    let t = field.table(REPLAY_KEYS)?;
    let asset = t.require("asset", "the asset replayed, e.g. asset = \"WETH\"").and_then(|f| {
        let s = f.string()?;
        asset_known(f, &s).then_some(s)
    });
    let bars =
        t.require("bars", "the bars file, e.g. bars = \"../data/crises/eth_10min/03-12-2020.json\"").and_then(|f| {
            let file = f.file(base)?;
            match load_bars(&file) {
                Ok(b) if b.len() >= 2 => Some(file),
                Ok(_) => {
                    f.error(ErrorKind::Inconsistent(format!(
                        "names {}, which holds fewer than two bars",
                        file.display()
                    )));
                    None
                }
                Err(e) => {
                    f.error(ErrorKind::Data(e));
                    None
                }
            }
        });
    let at = t.get("at").map_or(Some(0.0), |f| f.duration_where(|x| x >= 0.0, "zero or a positive duration"));
    Some(Replay { asset: asset?, bars: bars?, at_s: at? })
}

fn parse_liquidators(field: &Field<'_, '_>, base: &Path) -> Option<LiquidatorSpec> {
    let t = field.table(LIQUIDATOR_KEYS)?;
    let d = LiquidatorSpec::default();
    let capital = t
        .get("capital")
        .map_or(Some(d.capital_per_step_usd), |f| f.number_where(|x| x > 0.0, "a positive amount in USD per step"));
    let latency =
        t.get("latency").map_or(Some(d.latency_s), |f| f.duration_where(|x| x >= 0.0, "zero or a positive duration"));
    let gas = t.get("gas").map_or(Some(d.gas), |f| f.number_where(|x| x >= 0.0, "zero or more gas units"));
    let price =
        t.get("gas_price").map_or(Some(d.gas_price_gwei), |f| f.number_where(|x| x >= 0.0, "zero or more gwei"));
    let gas_series = t.get("gas_series").map_or(Some(None), |f| {
        let file = f.file(base)?;
        match load_gas(&file) {
            Ok(rows) if !rows.is_empty() => Some(Some(file)),
            Ok(_) => {
                f.error(ErrorKind::Inconsistent(format!("names {}, which holds no gas prices", file.display())));
                None
            }
            Err(e) => {
                f.error(ErrorKind::Data(e));
                None
            }
        }
    });
    if t.get("gas_series").is_some() && t.get("gas_price").is_some() {
        t.error_at("gas_price", ErrorKind::Inconsistent("and gas_series are both given; give one".into()));
        return None;
    }
    Some(LiquidatorSpec {
        capital_per_step_usd: capital?,
        latency_s: latency?,
        gas: gas?,
        gas_price_gwei: price?,
        gas_series: gas_series?,
    })
}

fn parse_shock(field: &Field<'_, '_>, asset_known: &dyn Fn(&Field<'_, '_>, &str) -> bool) -> Option<Shock> {
    let t = field.table(SHOCK_KEYS)?;
    let asset = t.require("asset", "the asset shocked, e.g. asset = \"WETH\"").and_then(|f| {
        let s = f.string()?;
        asset_known(f, &s).then_some(s)
    });
    let kind = match (t.get("drop"), t.get("to")) {
        (Some(f), None) => f
            .fraction_where(|x| x > 0.0 && x < 1.0, "a fraction in (0, 1)")
            .map(|fraction| ShockKind::Drop { fraction }),
        (None, Some(f)) => {
            f.number_where(|x| x >= 0.0, "zero or a positive price in USD").map(|to_usd| ShockKind::Depeg { to_usd })
        }
        _ => {
            t.error(ErrorKind::Inconsistent(
                "must give exactly one of drop (a fraction) or to (a price in USD)".into(),
            ));
            None
        }
    };
    let at = t.get("at").map_or(Some(0.0), |f| f.duration_s());
    let over = t.get("over").map_or(Some(3600.0), |f| f.duration_s());
    Some(Shock { asset: asset?, kind: kind?, at_s: at?, over_s: over? })
}
