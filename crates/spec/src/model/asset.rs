//! `[assets.SYMBOL]`: the tokens a protocol touches, with a price and a volatility.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::data::prices::load_price_csv;
use crate::error::ErrorKind;
use crate::reader::{Field, Table};

/// A token with its price and daily volatility.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Asset {
    /// The symbol, as the key of `[assets.SYMBOL]`.
    pub symbol: String,
    /// Price in USD.
    pub price_usd: f64,
    /// Daily volatility of log returns, and where it came from.
    pub volatility: Volatility,
}

/// A daily volatility with its provenance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Volatility {
    /// Standard deviation of daily log returns.
    pub daily: f64,
    /// Where the number came from.
    pub source: VolatilitySource,
}

/// Where a volatility came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum VolatilitySource {
    /// Written in the spec as a daily figure.
    Daily,
    /// Written in the spec as an annual figure and divided by √365 (crypto trades every day).
    Annual,
    /// Estimated from a price history: realized volatility over the file's returns.
    History {
        /// The price file.
        file: PathBuf,
        /// How many prices it held.
        observations: usize,
        /// First and last timestamps used (unix seconds).
        span_s: (i64, i64),
    },
}

pub(crate) const ASSET_KEYS: &[&str] = &["price", "volatility"];
pub(crate) const VOLATILITY_KEYS: &[&str] = &["daily", "annual", "history"];

/// Reads `[assets]`: one table per symbol.
pub(crate) fn parse_assets(assets: &Table<'_, '_>, base: &Path) -> Vec<Asset> {
    assets.entries().filter_map(|(symbol, field)| parse_asset(symbol, field, base)).collect()
}

fn parse_asset(symbol: &str, field: &Field<'_, '_>, base: &Path) -> Option<Asset> {
    let t = field.table(ASSET_KEYS)?;
    let price_usd = t
        .require("price", "the price in USD, e.g. price = 3000.0")
        .and_then(|f| f.number_where(|x| x > 0.0, "a positive price in USD"));
    let volatility = t
        .require("volatility", "a volatility: { daily = 0.045 }, { annual = 0.8 } or { history = \"prices.csv\" }")
        .and_then(|f| parse_volatility(f, base));
    Some(Asset { symbol: symbol.to_string(), price_usd: price_usd?, volatility: volatility? })
}

fn parse_volatility(field: &Field<'_, '_>, base: &Path) -> Option<Volatility> {
    let t = field.table(VOLATILITY_KEYS)?;
    let given: Vec<&str> = VOLATILITY_KEYS.iter().copied().filter(|k| t.get(k).is_some()).collect();
    if given.len() != 1 {
        t.error(ErrorKind::Inconsistent(format!(
            "must give exactly one of daily, annual or history (found {})",
            if given.is_empty() { "none".to_string() } else { given.join(" and ") }
        )));
        return None;
    }
    let valid = "a volatility above 0 and below 10 (a fraction: 0.045 is 4.5 %)";
    let positive = |x: f64| x > 0.0 && x < 10.0;
    if let Some(f) = t.get("daily") {
        return Some(Volatility { daily: f.number_where(positive, valid)?, source: VolatilitySource::Daily });
    }
    if let Some(f) = t.get("annual") {
        let annual = f.number_where(positive, valid)?;
        return Some(Volatility { daily: annual / 365f64.sqrt(), source: VolatilitySource::Annual });
    }
    let f = t.get("history")?;
    let file = f.file(base)?;
    match load_price_csv(&file) {
        Ok((series, _unit)) => match series.daily_volatility() {
            Some(daily) => {
                let first = series.points.first().map_or(0, |p| p.timestamp_s);
                let last = series.points.last().map_or(0, |p| p.timestamp_s);
                Some(Volatility {
                    daily,
                    source: VolatilitySource::History {
                        file,
                        observations: series.points.len(),
                        span_s: (first, last),
                    },
                })
            }
            None => {
                f.error(ErrorKind::Inconsistent(format!(
                    "names {} which holds fewer than two prices; a volatility needs at least two",
                    file.display()
                )));
                None
            }
        },
        Err(e) => {
            f.error(ErrorKind::Data(e));
            None
        }
    }
}
