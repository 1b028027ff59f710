//! The simulated world, built once from a spec: assets with their oracles and venues,
//! one lending market's rules, the liquidators, and the book.

use bulwark_spec::Protocol;
use bulwark_spec::model::market::Market;
use bulwark_spec::model::oracle::OracleKind;
use bulwark_spec::model::venue::VenueKind;

use crate::book::{IndexedPosition, PairBook, bucketize};
use crate::liquidation::LiquidationTerms;
use crate::oracle::{PushRules, Twap};
use crate::venue::PoolShape;

/// Who liquidates, and at what cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Liquidators {
    /// USD of debt all liquidators together can repay in one step.
    pub capital_per_step_usd: f64,
    /// Gas of one liquidation call, in USD, at the gas asset's initial price and the
    /// first gas price.
    pub gas_usd: f64,
    /// Steps between a position becoming liquidatable and a liquidator acting on it.
    pub latency_steps: usize,
    /// Gas price per step relative to the first (a gas series), empty for a constant price.
    pub gas_by_step: Vec<f64>,
    /// The asset gas is paid in (its price scales the USD cost), if the spec has it.
    pub gas_asset: Option<usize>,
}

impl Default for Liquidators {
    /// $50M per step, 500,000 gas at 30 gwei and ETH at 3,000 USD (= 45 USD), no latency:
    /// assumptions of the bundled scenario, stated in its report.
    fn default() -> Self {
        Self { capital_per_step_usd: 5.0e7, gas_usd: 45.0, latency_steps: 0, gas_by_step: Vec::new(), gas_asset: None }
    }
}

impl Liquidators {
    /// Gas of one liquidation call at `step`, in USD, with `reference` prices.
    pub fn gas_usd_at(&self, step: usize, price0: &[f64], reference: &[f64]) -> f64 {
        let price = self.gas_asset.map_or(1.0, |a| reference[a] / price0[a]);
        let gas = self.gas_by_step.get(step).copied().unwrap_or(1.0);
        self.gas_usd * gas * price
    }
}

/// One asset as the engine sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct AssetModel {
    /// Symbol.
    pub symbol: String,
    /// Initial price, USD.
    pub price0: f64,
    /// Liquidation threshold as collateral in the market (0: not collateral).
    pub lt: f64,
    /// Liquidation terms when this asset is the collateral seized.
    pub terms: LiquidationTerms,
    /// Its oracle, when it is a push feed (a TWAP has `PushRules::PERFECT` here).
    pub oracle: PushRules,
    /// Its TWAP, when the oracle averages the venue's price instead.
    pub twap: Option<Twap>,
    /// Where its seized collateral is sold.
    pub pool: PoolShape,
    /// Index of the venue's quote asset (proceeds are valued at its price).
    pub quote: Option<usize>,
}

/// Everything one Monte Carlo run needs, fixed for the run.
#[derive(Debug, Clone, PartialEq)]
pub struct World {
    /// Assets, in spec order.
    pub assets: Vec<AssetModel>,
    /// Single-pair positions, bucketed.
    pub pairs: Vec<PairBook>,
    /// Multi-asset accounts, for the exact engine.
    pub accounts: Vec<IndexedPosition>,
    /// Step, in seconds.
    pub step_s: f64,
    /// Steps in the horizon.
    pub steps: usize,
    /// The liquidators.
    pub liquidators: Liquidators,
    /// Total debt at the start, USD.
    pub total_debt_usd: f64,
}

impl World {
    /// Builds the world of one market of a protocol. The positions come from the spec
    /// (CSV, or generated from `seed`), bucketed for the bucket engine.
    pub fn new(p: &Protocol, market: &Market, seed: u64, liquidators: Liquidators) -> Self {
        Self::with_engine(p, market, seed, liquidators, true)
    }

    /// As [`World::new`], with every account kept on its own when `bucket` is false (the
    /// exact engine reads only those).
    pub fn with_engine(p: &Protocol, market: &Market, seed: u64, liquidators: Liquidators, bucket: bool) -> Self {
        let price = |a: &str| p.price_usd(a);
        let index = |s: &str| p.assets.iter().position(|a| a.symbol == s);
        let index_holdings =
            |holdings: &[(&str, f64)]| holdings.iter().filter_map(|(a, n)| Some((index(a)?, *n))).collect();
        let mut indexed = Vec::new();
        market.visit_book(seed, &price, |collateral, debt| {
            indexed.push(IndexedPosition { collateral: index_holdings(collateral), debt: index_holdings(debt) });
        });
        Self::from_positions(p, market, indexed, liquidators, bucket)
    }

    /// Builds the world from indexed positions; with `bucket` false every account stays
    /// on its own (the exact engine's input).
    pub fn from_positions(
        p: &Protocol,
        market: &Market,
        positions: Vec<IndexedPosition>,
        liquidators: Liquidators,
        bucket: bool,
    ) -> Self {
        let assets: Vec<AssetModel> = p.assets.iter().map(|a| asset_model(p, market, &a.symbol, a.price_usd)).collect();
        let lt: Vec<f64> = assets.iter().map(|a| a.lt).collect();
        let price0: Vec<f64> = assets.iter().map(|a| a.price0).collect();
        let total_debt_usd = positions.iter().flat_map(|pos| pos.debt.iter()).map(|(a, n)| n * price0[*a]).sum();
        let (pairs, accounts) = if bucket { bucketize(&positions, &lt, &price0) } else { (Vec::new(), positions) };
        let steps = p.scenario.steps().max(1) as usize;
        Self { assets, pairs, accounts, step_s: p.scenario.step_s, steps, liquidators, total_debt_usd }
    }

    /// Initial prices.
    pub fn price0(&self) -> Vec<f64> {
        self.assets.iter().map(|a| a.price0).collect()
    }
}

fn asset_model(p: &Protocol, market: &Market, symbol: &str, price0: f64) -> AssetModel {
    let reserve = market.reserve(symbol);
    let terms = LiquidationTerms {
        bonus: reserve.map_or(0.0, |r| r.liquidation_bonus),
        protocol_fee: reserve.map_or(0.0, |r| r.liquidation_protocol_fee),
        close_factor: market.close_factor,
        full_below: market.full_liquidation_health,
    };
    let oracle = match p.oracle(symbol).map(|o| &o.kind) {
        Some(OracleKind::Push { heartbeat_s, deviation, latency_s }) => {
            PushRules { heartbeat_s: *heartbeat_s, deviation: *deviation, latency_s: *latency_s }
        }
        _ => PushRules::PERFECT,
    };
    let twap = match p.oracle(symbol).map(|o| &o.kind) {
        Some(OracleKind::Twap { window_s, mean, .. }) => Some(Twap {
            window_steps: ((window_s / p.scenario.step_s).round() as usize).max(1),
            geometric: matches!(mean, bulwark_spec::model::oracle::TwapMean::Geometric),
        }),
        _ => None,
    };
    // Liquidators route to the deepest venue of the asset (depth at a 2 % fall).
    let depth = |v: &&bulwark_spec::model::venue::Venue| {
        bulwark_market::venue_curve(v).ok().and_then(|c| c.base_depth(0.02).ok()).unwrap_or(0.0)
    };
    let venue = p.venues.iter().filter(|v| v.pair[0] == symbol).max_by(|a, b| depth(a).total_cmp(&depth(b)));
    let (pool, quote) = match venue.map(|v| (&v.kind, v)) {
        Some((VenueKind::ConstantProduct { reserves: [x, y] }, v)) => (
            PoolShape { liquidity: (x * y).sqrt(), fee: v.fee, half_life_s: v.recovery_half_life_s },
            p.assets.iter().position(|a| a.symbol == v.pair[1]),
        ),
        // Other curves (Uniswap v3 ticks) as the constant product with the same depth at a
        // 2 % move: x' = depth · (1 − f) / (1/√0.98 − 1), L = x' · √p.
        Some((_, v)) => {
            match bulwark_market::venue_curve(v).ok().and_then(|c| Some((c.base_depth(0.02).ok()?, c.spot_price()))) {
                Some((depth, spot)) if depth > 0.0 && spot > 0.0 => {
                    let x = depth * (1.0 - v.fee) / (1.0 / 0.98f64.sqrt() - 1.0);
                    (
                        PoolShape { liquidity: x * spot.sqrt(), fee: v.fee, half_life_s: v.recovery_half_life_s },
                        p.assets.iter().position(|a| a.symbol == v.pair[1]),
                    )
                }
                _ => (PoolShape::INFINITE, None),
            }
        }
        None => (PoolShape::INFINITE, None),
    };
    AssetModel {
        symbol: symbol.to_string(),
        price0,
        lt: reserve.map_or(0.0, |r| r.liquidation_threshold),
        terms,
        oracle,
        twap,
        pool,
        quote,
    }
}
