//! `[scenario]`: the stress a simulation runs: horizon, step, paths, seed and shocks.

use serde::Serialize;

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
}

impl Default for Scenario {
    fn default() -> Self {
        Self { horizon_s: 86_400.0, step_s: 60.0, paths: 10_000, seed: 7, shocks: Vec::new() }
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

pub(crate) const SCENARIO_KEYS: &[&str] = &["horizon", "step", "paths", "seed", "shocks"];
pub(crate) const SHOCK_KEYS: &[&str] = &["asset", "drop", "to", "at", "over"];

/// Reads `[scenario]`; `asset_known` checks shock assets against `[assets]`.
pub(crate) fn parse_scenario(
    t: &Table<'_, '_>,
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
    let (horizon, step) = (horizon?, step?);
    if step > horizon {
        t.out_of_range_at("step", format!("at most the horizon ({horizon} s)"));
        return None;
    }
    if horizon / step > 1_000_000.0 {
        t.out_of_range_at("step", "at least horizon / 1,000,000");
        return None;
    }
    Some(Scenario { horizon_s: horizon, step_s: step, paths: paths?, seed: seed?, shocks: shocks? })
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
            t.error(crate::error::ErrorKind::Inconsistent(
                "must give exactly one of drop (a fraction) or to (a price in USD)".into(),
            ));
            None
        }
    };
    let at = t.get("at").map_or(Some(0.0), |f| f.duration_s());
    let over = t.get("over").map_or(Some(3600.0), |f| f.duration_s());
    Some(Shock { asset: asset?, kind: kind?, at_s: at?, over_s: over? })
}
