//! `[[markets]]`: lending markets with Aave v3's risk parameters and a book of
//! positions (REFERENCES.md §6.1).

use std::borrow::Cow;
use std::path::Path;

use serde::Serialize;

use crate::error::ErrorKind;
use crate::positions::{HealthDistribution, Position, PositionBook, PositionGenerator, load_positions_csv};
use crate::reader::Field;

/// A lending pool: reserves with their risk parameters, and the positions in it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Market {
    /// A name for reports.
    pub name: String,
    /// Share of a reserve's debt one liquidation may repay while the health factor is
    /// above `full_liquidation_health` (Aave v3.0: 0.5).
    pub close_factor: f64,
    /// At or below this health factor, the whole debt may be repaid (Aave v3.0: 0.95).
    pub full_liquidation_health: f64,
    /// The reserves, in the order written.
    pub reserves: Vec<Reserve>,
    /// The positions.
    pub positions: PositionBook,
}

impl Market {
    /// The reserve of an asset, if the market lists it.
    pub fn reserve(&self, asset: &str) -> Option<&Reserve> {
        self.reserves.iter().find(|r| r.asset == asset)
    }

    /// The positions: read from the CSV, or generated from `seed` (the generator's own
    /// seed wins when it has one) at the given prices.
    pub fn book(&self, seed: u64, price_usd: &dyn Fn(&str) -> f64) -> Cow<'_, [Position]> {
        match &self.positions {
            PositionBook::Csv { positions, .. } => Cow::Borrowed(positions),
            PositionBook::Generated(g) => Cow::Owned(g.generate(seed, price_usd, &|a| self.generator_lt(a))),
        }
    }

    /// Hands each position of [`Self::book`] to `visit` as its collateral and its debt,
    /// `(asset, tokens)` each, without building a generated book's positions.
    pub fn visit_book(
        &self,
        seed: u64,
        price_usd: &dyn Fn(&str) -> f64,
        mut visit: impl FnMut(&[(&str, f64)], &[(&str, f64)]),
    ) {
        match &self.positions {
            PositionBook::Csv { positions, .. } => {
                let (mut collateral, mut debt) = (Vec::new(), Vec::new());
                for p in positions {
                    collateral.clear();
                    collateral.extend(p.collateral.iter().map(|(a, n)| (a.as_str(), *n)));
                    debt.clear();
                    debt.extend(p.debt.iter().map(|(a, n)| (a.as_str(), *n)));
                    visit(&collateral, &debt);
                }
            }
            PositionBook::Generated(g) => {
                g.each(seed, price_usd, &|a| self.generator_lt(a), |_, collateral, debt| visit(&[collateral], &[debt]));
            }
        }
    }

    /// The liquidation threshold a generated book sizes an asset's collateral by: the
    /// reserve's, or 1 for an asset the market does not list.
    fn generator_lt(&self, asset: &str) -> f64 {
        self.reserve(asset).map_or(1.0, |r| r.liquidation_threshold)
    }

    /// Collateral value weighted by liquidation thresholds, and debt value, in USD.
    pub fn weighted_collateral_and_debt_usd(&self, p: &Position, price_usd: &dyn Fn(&str) -> f64) -> (f64, f64) {
        let collateral = p
            .collateral
            .iter()
            .map(|(a, n)| n * price_usd(a) * self.reserve(a).map_or(0.0, |r| r.liquidation_threshold))
            .sum();
        let debt = p.debt.iter().map(|(a, n)| n * price_usd(a)).sum();
        (collateral, debt)
    }

    /// Aave v3's health factor: Σ collateral · price · LT / Σ debt · price; infinite with
    /// no debt. A position is liquidatable when it is below 1 (REFERENCES.md §6.1).
    pub fn health_factor(&self, p: &Position, price_usd: &dyn Fn(&str) -> f64) -> f64 {
        let (collateral, debt) = self.weighted_collateral_and_debt_usd(p, price_usd);
        if debt > 0.0 { collateral / debt } else { f64::INFINITY }
    }
}

/// One reserve of a market, with Aave v3's configuration fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reserve {
    /// The asset.
    pub asset: String,
    /// Loan to value: the most a position may borrow against this collateral, as a fraction.
    pub ltv: f64,
    /// Liquidation threshold, as a fraction; zero means not usable as collateral.
    pub liquidation_threshold: f64,
    /// Liquidation bonus, as a fraction above par (0.05: the liquidator receives 105 %).
    pub liquidation_bonus: f64,
    /// Share of the bonus sent to the treasury (Aave's `liquidationProtocolFee`).
    pub liquidation_protocol_fee: f64,
    /// Supply cap in tokens, if any.
    pub supply_cap: Option<f64>,
    /// Borrow cap in tokens, if any.
    pub borrow_cap: Option<f64>,
    /// Whether the asset may be borrowed.
    pub borrowing_enabled: bool,
}

impl Reserve {
    /// Whether the reserve counts as collateral.
    pub fn is_collateral(&self) -> bool {
        self.liquidation_threshold > 0.0
    }
}

pub(crate) const MARKET_KEYS: &[&str] = &["name", "close_factor", "full_liquidation_health", "reserves", "positions"];
pub(crate) const RESERVE_KEYS: &[&str] = &[
    "ltv",
    "liquidation_threshold",
    "liquidation_bonus",
    "liquidation_protocol_fee",
    "supply_cap",
    "borrow_cap",
    "borrowing_enabled",
];
pub(crate) const POSITIONS_KEYS: &[&str] = &["csv", "count", "total_debt", "health", "collateral", "debt", "seed"];
pub(crate) const HEALTH_KEYS: &[&str] = &["median", "min", "spread"];

/// Reads one `[[markets]]` entry; `asset_known` checks a name against `[assets]`.
pub(crate) fn parse_market(
    field: &Field<'_, '_>,
    base: &Path,
    asset_known: &dyn Fn(&Field<'_, '_>, &str) -> bool,
) -> Option<Market> {
    let t = field.table(MARKET_KEYS)?;
    let name = t.get("name").map_or(Some(String::new()), |f| f.string());
    let close_factor =
        t.get("close_factor").map_or(Some(0.5), |f| f.fraction_where(|x| x > 0.0 && x <= 1.0, "a fraction in (0, 1]"));
    let full = t
        .get("full_liquidation_health")
        .map_or(Some(0.95), |f| f.number_where(|x| x > 0.0 && x < 1.0, "a health factor in (0, 1)"));
    let reserve_table = t
        .require(
            "reserves",
            "the reserves, e.g. [markets.reserves.WETH] with ltv, liquidation_threshold and liquidation_bonus",
        )
        .and_then(|f| f.table(&["*"]));
    let declared: Vec<String> =
        reserve_table.as_ref().map(|rt| rt.entries().map(|(k, _)| k.to_string()).collect()).unwrap_or_default();
    let reserves = reserve_table
        .map(|rt| rt.entries().filter_map(|(asset, f)| parse_reserve(asset, f, asset_known)).collect::<Vec<_>>());
    // Positions are checked only against reserves that parsed; one that was declared but
    // failed has its own error already, and is not reported again through the book.
    let positions = match (
        t.require(
            "positions",
            "the book: { csv = \"positions.csv\" } or a generator { count, total_debt, health, collateral, debt }",
        ),
        &reserves,
    ) {
        (Some(f), Some(reserves)) => parse_positions(f, base, reserves, &declared),
        _ => None,
    };
    let reserves = reserves?;
    let name = name?;
    let name = if name.is_empty() { format!("market {}", field.path) } else { name };
    Some(Market { name, close_factor: close_factor?, full_liquidation_health: full?, reserves, positions: positions? })
}

fn parse_reserve(
    asset: &str,
    field: &Field<'_, '_>,
    asset_known: &dyn Fn(&Field<'_, '_>, &str) -> bool,
) -> Option<Reserve> {
    let t = field.table(RESERVE_KEYS)?;
    let known = asset_known(field, asset);
    let fraction = |key: &str, what: &str| {
        t.require(key, what).and_then(|f| f.fraction_where(|x| (0.0..1.0).contains(&x), "a fraction in [0, 1)"))
    };
    let ltv = fraction("ltv", "the loan to value, e.g. ltv = 0.805");
    let lt = fraction("liquidation_threshold", "the liquidation threshold, e.g. liquidation_threshold = 0.83");
    let lb = fraction("liquidation_bonus", "the liquidation bonus above par, e.g. liquidation_bonus = 0.05");
    let fee = t
        .get("liquidation_protocol_fee")
        .map_or(Some(0.1), |f| f.fraction_where(|x| (0.0..=1.0).contains(&x), "a fraction in [0, 1]"));
    let cap = |key: &str| {
        t.get(key).map_or(Some(None), |f| f.number_where(|x| x >= 0.0, "zero or a positive amount of tokens").map(Some))
    };
    let supply_cap = cap("supply_cap");
    let borrow_cap = cap("borrow_cap");
    let borrowing_enabled = t.get("borrowing_enabled").map_or(Some(true), |f| f.boolean());

    let (ltv, lt, lb) = (ltv?, lt?, lb?);
    // Aave v3 configurator invariants (ReserveConfiguration / PoolConfigurator).
    let mut consistent = true;
    if ltv > lt {
        if let Some(f) = t.get("ltv") {
            f.error(ErrorKind::LtvAboveThreshold { ltv, threshold: lt });
        }
        consistent = false;
    }
    if lt > 0.0 && lt * (1.0 + lb) > 1.0 {
        if let Some(f) = t.get("liquidation_bonus") {
            f.error(ErrorKind::BonusTooLarge { bonus: lb, threshold: lt, product: lt * (1.0 + lb) });
        }
        consistent = false;
    }
    if lt > 0.0 && lb == 0.0 {
        if let Some(f) = t.get("liquidation_bonus") {
            f.out_of_range("above 0 when liquidation_threshold is above 0 (liquidators need an incentive)");
        }
        consistent = false;
    }
    if !(known && consistent) {
        return None;
    }
    Some(Reserve {
        asset: asset.to_string(),
        ltv,
        liquidation_threshold: lt,
        liquidation_bonus: lb,
        liquidation_protocol_fee: fee?,
        supply_cap: supply_cap?,
        borrow_cap: borrow_cap?,
        borrowing_enabled: borrowing_enabled?,
    })
}

fn parse_positions(
    field: &Field<'_, '_>,
    base: &Path,
    reserves: &[Reserve],
    declared: &[String],
) -> Option<PositionBook> {
    let t = field.table(POSITIONS_KEYS)?;
    if let Some(csv) = t.get("csv") {
        let generator_keys: Vec<&str> = ["count", "total_debt", "health", "collateral", "debt"]
            .into_iter()
            .filter(|k| t.get(k).is_some())
            .collect();
        if !generator_keys.is_empty() {
            t.error(ErrorKind::Inconsistent(format!(
                "gives both a CSV and generator keys ({}); give one or the other",
                generator_keys.join(", ")
            )));
            return None;
        }
        let file = csv.file(base)?;
        if reserves.len() < declared.len() {
            return None; // a reserve failed; its error stands, and rows naming it would only echo it
        }
        return match load_positions_csv(&file, reserves) {
            Ok(book) => Some(book),
            Err(e) => {
                csv.error(ErrorKind::Data(e));
                None
            }
        };
    }
    let count = t.require("count", "how many positions to generate, e.g. count = 100_000").and_then(|f| {
        f.count_where(|n| (1..=1_000_000).contains(&n), "between 1 and 1,000,000 (a larger book belongs in a CSV)")
    });
    let total_debt = t
        .require("total_debt", "the book's total debt in USD, e.g. total_debt = 2.0e9")
        .and_then(|f| f.number_where(|x| x > 0.0, "a positive amount in USD"));
    let health = t
        .require("health", "the health-factor distribution, e.g. health = { median = 1.6, min = 1.01 }")
        .and_then(parse_health);
    let collateral = t
        .require("collateral", "collateral weights, e.g. collateral = { WETH = 0.6, WBTC = 0.4 }")
        .and_then(|f| weights(f, reserves, declared, true));
    let debt = t
        .require("debt", "debt weights, e.g. debt = { USDC = 0.6, USDT = 0.4 }")
        .and_then(|f| weights(f, reserves, declared, false));
    let seed = t.get("seed").map_or(Some(None), |f| f.count().map(Some));
    Some(PositionBook::Generated(PositionGenerator {
        count: count?,
        total_debt_usd: total_debt?,
        health: health?,
        collateral: collateral?,
        debt: debt?,
        seed: seed?,
    }))
}

fn parse_health(field: &Field<'_, '_>) -> Option<HealthDistribution> {
    let t = field.table(HEALTH_KEYS)?;
    let median = t
        .require("median", "the median health factor, e.g. median = 1.6")
        .and_then(|f| f.number_where(|x| x > 0.0, "a positive health factor"));
    let min = t
        .require("min", "the lowest health factor, e.g. min = 1.01")
        .and_then(|f| f.number_where(|x| x > 0.0, "a positive health factor"));
    let spread =
        t.get("spread").map_or(Some(0.5), |f| f.number_where(|x| x > 0.0 && x <= 5.0, "a log-scale spread in (0, 5]"));
    let (median, min) = (median?, min?);
    if min >= median {
        if let Some(f) = t.get("min") {
            f.out_of_range(format!("below median = {median}"));
        }
        return None;
    }
    Some(HealthDistribution { median, min, spread: spread? })
}

/// `{ ASSET = weight, ... }` over reserves usable as collateral (or borrowable), summing to 1.
fn weights(
    field: &Field<'_, '_>,
    reserves: &[Reserve],
    declared: &[String],
    collateral: bool,
) -> Option<Vec<(String, f64)>> {
    let t = field.table(&["*"])?;
    let mut out = Vec::new();
    let mut ok = true;
    for (asset, f) in t.entries() {
        let w = f.fraction_where(|x| x > 0.0 && x <= 1.0, "a weight in (0, 1]");
        let usable = match reserves.iter().find(|r| r.asset == asset) {
            Some(r) if collateral && !r.is_collateral() => {
                Some("is not usable as collateral (its liquidation_threshold is 0)")
            }
            Some(r) if !collateral && !r.borrowing_enabled => Some("is not borrowable (borrowing_enabled = false)"),
            Some(_) => None,
            None if declared.iter().any(|d| d == asset) => {
                ok = false; // declared but invalid: its own error stands
                None
            }
            None => Some("is not a reserve of this market"),
        };
        if let Some(why) = usable {
            f.error(ErrorKind::Inconsistent(format!("names {asset}, which {why}")));
            ok = false;
        }
        match w {
            Some(w) => out.push((asset.to_string(), w)),
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    let sum: f64 = out.iter().map(|(_, w)| w).sum();
    if out.is_empty() || (sum - 1.0).abs() > crate::tolerance::WEIGHT_SUM {
        t.error(ErrorKind::Inconsistent(format!("weights must sum to 1 (they sum to {sum})")));
        return None;
    }
    Some(out)
}
