//! The book of a lending market: positions read from a CSV, or generated from a
//! count, a total debt and a health-factor distribution.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal, StandardNormal};
use serde::Serialize;

use crate::data::prices::{column_index, csv_error, csv_reader, record_line};
use crate::data::{DataError, DataProblem};
use crate::model::market::Reserve;

/// Where a market's positions come from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum PositionBook {
    /// Read from a CSV file.
    Csv {
        /// The file.
        file: PathBuf,
        /// The positions, one per account.
        positions: Vec<Position>,
    },
    /// Generated on demand, deterministically from a seed.
    Generated(PositionGenerator),
}

/// One account: amounts of collateral and debt per asset, in tokens.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Position {
    /// The account's name or address.
    pub account: String,
    /// Collateral supplied, `(asset, tokens)`.
    pub collateral: Vec<(String, f64)>,
    /// Debt owed, `(asset, tokens)`.
    pub debt: Vec<(String, f64)>,
}

/// A generator calibrated by count, total debt and health-factor distribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PositionGenerator {
    /// How many positions.
    pub count: u64,
    /// Their total debt in USD.
    pub total_debt_usd: f64,
    /// How their health factors spread.
    pub health: HealthDistribution,
    /// Share of positions by collateral asset.
    pub collateral: Vec<(String, f64)>,
    /// Share of positions by debt asset.
    pub debt: Vec<(String, f64)>,
    /// A seed of the book's own, so that the book stays the same when the scenario
    /// seed changes; when absent, the scenario seed is used.
    pub seed: Option<u64>,
}

/// Health factors `min + (median − min) · exp(spread · Z)`, Z standard normal: the
/// median is `median`, nothing falls below `min`, and the right tail is long, as in
/// real books where most debt sits far from liquidation and a thin layer sits close.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HealthDistribution {
    /// The median health factor.
    pub median: f64,
    /// The lowest health factor.
    pub min: f64,
    /// The spread of the log excess over `min`.
    pub spread: f64,
}

/// The log-normal shape of debt sizes: σ = 1.5 puts about half the debt in the
/// largest 10 % of accounts, as is typical of lending books (a modelling choice,
/// not a fitted value).
const DEBT_SIZE_SIGMA: f64 = 1.5;

impl PositionGenerator {
    /// Generates the book. Prices are needed to turn USD into tokens; `lt` gives each
    /// collateral asset's liquidation threshold.
    pub fn generate(&self, seed: u64, price_usd: &dyn Fn(&str) -> f64, lt: &dyn Fn(&str) -> f64) -> Vec<Position> {
        let mut out = Vec::with_capacity(usize::try_from(self.count).unwrap_or(0));
        self.each(seed, price_usd, lt, |i, (coll, coll_tokens), (debt, debt_tokens)| {
            out.push(Position {
                account: format!("gen-{i}"),
                collateral: vec![(coll.to_string(), coll_tokens)],
                debt: vec![(debt.to_string(), debt_tokens)],
            });
        });
        out
    }

    /// The positions [`Self::generate`] makes, handed one at a time to `visit` as its
    /// index, `(collateral asset, tokens)` and `(debt asset, tokens)`, without building
    /// them: an engine that indexes the assets at once is spared five allocations a
    /// position (a sweep generates a book of tens of thousands for every point).
    pub fn each(
        &self,
        seed: u64,
        price_usd: &dyn Fn(&str) -> f64,
        lt: &dyn Fn(&str) -> f64,
        mut visit: impl FnMut(usize, (&str, f64), (&str, f64)),
    ) {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed.unwrap_or(seed));
        let count = usize::try_from(self.count).unwrap_or(usize::MAX);
        // LogNormal::new only fails for a negative or non-finite sigma; this one is a constant.
        let sizes = LogNormal::new(0.0, DEBT_SIZE_SIGMA)
            .map(|d| (0..count).map(|_| d.sample(&mut rng)).collect::<Vec<f64>>())
            .unwrap_or_default();
        let scale = self.total_debt_usd / sizes.iter().sum::<f64>().max(f64::MIN_POSITIVE);
        for (i, size) in sizes.iter().enumerate() {
            let debt_usd = size * scale;
            let z: f64 = StandardNormal.sample(&mut rng);
            let hf = self.health.min + (self.health.median - self.health.min) * (self.health.spread * z).exp();
            let coll = pick(&self.collateral, rng.random());
            let debt = pick(&self.debt, rng.random());
            // HF = collateral_usd · LT / debt_usd, so collateral_usd = HF · debt_usd / LT.
            let coll_usd = hf * debt_usd / lt(coll);
            visit(i, (coll, coll_usd / price_usd(coll)), (debt, debt_usd / price_usd(debt)));
        }
    }
}

fn pick(weights: &[(String, f64)], u: f64) -> &str {
    let mut acc = 0.0;
    for (name, w) in weights {
        acc += w;
        if u < acc {
            return name;
        }
    }
    weights.last().map_or("", |(n, _)| n.as_str())
}

/// Reads a positions CSV in long form: `account,asset,collateral,debt`, one row per
/// account and asset, amounts in tokens. Rows of one account are merged.
///
/// # Errors
/// A [`DataError`] naming the file and row: a missing file, a missing column, an asset
/// the market does not list, a negative or unreadable amount, or a truncated row.
pub fn load_positions_csv(file: &Path, reserves: &[Reserve]) -> Result<PositionBook, DataError> {
    let mut reader = csv_reader(file)?;
    let headers = reader.headers().map_err(|e| csv_error(file, &e))?.clone();
    let (c_account, c_asset, c_coll, c_debt) = (
        column_index(file, &headers, "account")?,
        column_index(file, &headers, "asset")?,
        column_index(file, &headers, "collateral")?,
        column_index(file, &headers, "debt")?,
    );
    let mut accounts: BTreeMap<String, Position> = BTreeMap::new();
    let mut order = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(file, &e))?;
        let row = record_line(&record);
        let field = |i: usize| record.get(i).unwrap_or("").trim();
        let bad = |column: &str, found: &str, expected: &'static str| {
            DataError::row(file, row, DataProblem::BadValue { column: column.into(), found: found.into(), expected })
        };
        let asset = field(c_asset);
        let reserve = reserves
            .iter()
            .find(|r| r.asset == asset)
            .ok_or_else(|| bad("asset", asset, "an asset listed in the market's reserves"))?;
        let amount = |i: usize, column: &str| -> Result<f64, DataError> {
            let text = field(i);
            if text.is_empty() {
                return Ok(0.0);
            }
            text.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x >= 0.0)
                .ok_or_else(|| bad(column, text, "zero or a positive amount of tokens"))
        };
        let (coll, debt) = (amount(c_coll, "collateral")?, amount(c_debt, "debt")?);
        if coll > 0.0 && !reserve.is_collateral() {
            return Err(bad("collateral", field(c_coll), "zero: the asset is not usable as collateral"));
        }
        if debt > 0.0 && !reserve.borrowing_enabled {
            return Err(bad("debt", field(c_debt), "zero: borrowing the asset is not enabled"));
        }
        let account = field(c_account).to_string();
        let entry = accounts.entry(account.clone()).or_insert_with(|| {
            order.push(account.clone());
            Position { account, collateral: Vec::new(), debt: Vec::new() }
        });
        if coll > 0.0 {
            entry.collateral.push((asset.to_string(), coll));
        }
        if debt > 0.0 {
            entry.debt.push((asset.to_string(), debt));
        }
    }
    if accounts.is_empty() {
        return Err(DataError::file(file, DataProblem::Empty));
    }
    let positions = order.into_iter().filter_map(|a| accounts.remove(&a)).collect();
    Ok(PositionBook::Csv { file: file.to_path_buf(), positions })
}
