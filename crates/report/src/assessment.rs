//! The [`Assessment`]: one serde value that every analysis fills in and every
//! renderer reads. Its JSON form is `report.json`, documented in `docs/report.md`.

use serde::Serialize;

/// Version of the JSON schema; raised whenever a field changes meaning or is removed.
/// Adding a field does not raise it.
pub const SCHEMA_VERSION: u32 = 1;

/// Everything bulwark concluded about one protocol.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// [`SCHEMA_VERSION`] of this document.
    pub schema_version: u32,
    /// The bulwark version that produced it.
    pub generator: String,
    /// The protocol assessed.
    pub protocol: ProtocolInfo,
    /// The seed every random stream derived from.
    pub seed: u64,
    /// What the spec lists, with values in USD.
    pub inventory: Inventory,
    /// One entry per lending market.
    pub lending: Vec<LendingBook>,
    /// The validator set, when the spec describes one.
    pub consensus: Option<StakeDistribution>,
    /// The cost of attack of every vector, when assessed.
    pub attack: Option<bulwark_attack::AttackAssessment>,
    /// The tail-risk simulation of each lending market, when run.
    pub tail_risk: Vec<bulwark_sim::simulate::SimReport>,
    /// How the risk moves with its drivers, and the recommended parameters, when computed.
    pub sensitivity: Option<crate::Sensitivity>,
}

/// The protocol's identity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProtocolInfo {
    /// Its name.
    pub name: String,
    /// What it models.
    pub description: Option<String>,
    /// The spec file, or `<embedded>` for the bundled default.
    pub spec: String,
}

/// What the spec lists.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inventory {
    /// Assets with price and volatility.
    pub assets: Vec<AssetRow>,
    /// Venues with their depth.
    pub venues: Vec<VenueRow>,
    /// Oracles, in words.
    pub oracles: Vec<OracleRow>,
    /// Committees with their thresholds.
    pub committees: Vec<CommitteeRow>,
    /// Governance, in words.
    pub governance: Option<String>,
}

/// One asset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssetRow {
    /// Symbol.
    pub symbol: String,
    /// Price in USD.
    pub price_usd: f64,
    /// Daily volatility of log returns.
    pub daily_volatility: f64,
    /// Where the volatility came from, in words.
    pub volatility_source: String,
}

/// One venue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VenueRow {
    /// Name.
    pub name: String,
    /// `BASE/QUOTE`.
    pub pair: String,
    /// Total value locked in USD.
    pub tvl_usd: f64,
    /// Base that can be sold before the price falls 2 %, in USD at spot.
    pub depth_2pct_usd: f64,
    /// Base that can be sold before the price falls 10 %, in USD at spot.
    pub depth_10pct_usd: f64,
}

/// One oracle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OracleRow {
    /// The asset priced.
    pub asset: String,
    /// Its update rule, in words.
    pub rule: String,
}

/// One committee.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommitteeRow {
    /// Name.
    pub name: String,
    /// `k-of-n`.
    pub threshold: String,
    /// Distinct entities holding keys (0 when the spec does not say).
    pub entities: usize,
    /// Value its signatures release, in USD.
    pub value_secured_usd: f64,
}

/// A lending market's book as the spec gives it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LendingBook {
    /// Market name.
    pub market: String,
    /// Where the positions came from, in words.
    pub source: String,
    /// How many positions.
    pub positions: usize,
    /// Collateral value in USD (not weighted by liquidation thresholds).
    pub collateral_usd: f64,
    /// Debt value in USD.
    pub debt_usd: f64,
    /// Per reserve: parameters and amounts.
    pub reserves: Vec<ReserveRow>,
    /// The health-factor distribution, weighted by debt.
    pub health: HealthSummary,
}

/// One reserve of a market.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReserveRow {
    /// Asset.
    pub asset: String,
    /// Loan to value.
    pub ltv: f64,
    /// Liquidation threshold.
    pub liquidation_threshold: f64,
    /// Liquidation bonus above par.
    pub liquidation_bonus: f64,
    /// Collateral supplied, in USD.
    pub collateral_usd: f64,
    /// Debt borrowed, in USD.
    pub debt_usd: f64,
    /// Supplied tokens over the supply cap, when there is one.
    pub supply_cap_used: Option<f64>,
    /// Borrowed tokens over the borrow cap, when there is one.
    pub borrow_cap_used: Option<f64>,
}

/// Health factors of a book, weighted by each position's debt.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthSummary {
    /// Debt-weighted quantiles `(q, health factor)` for q in 1, 5, 25, 50, 75, 95 %.
    pub quantiles: Vec<(f64, f64)>,
    /// Debt in USD of positions below each health factor `(hf, debt_usd)`: how much
    /// becomes liquidatable as prices fall.
    pub debt_below: Vec<(f64, f64)>,
    /// Histogram of debt by health factor: the lower edge of each bin; bin i covers
    /// `[edges[i], edges[i + 1])` and the last bin everything from its edge up.
    pub histogram_edges: Vec<f64>,
    /// USD of debt per bin.
    pub histogram_debt_usd: Vec<f64>,
}

/// A validator set's stake distribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StakeDistribution {
    /// Chain name.
    pub chain: String,
    /// Validators in the file or spec.
    pub validators: usize,
    /// Active validators (Solana: not delinquent; Cosmos Hub: the top 175).
    pub active: usize,
    /// Active stake, in whole tokens.
    pub active_stake: f64,
    /// The stake unit (SOL, ATOM, SUI, ETH).
    pub unit: String,
    /// The liveness threshold, e.g. `> 1/3`.
    pub liveness: String,
    /// The safety threshold, e.g. `>= 2/3`.
    pub safety: String,
    /// The largest active validators `(id, share of active stake)`, up to ten.
    pub largest: Vec<(String, f64)>,
    /// Lorenz curve of active stake: `(share of validators, share of stake)`, ascending,
    /// from (0, 0) to (1, 1).
    pub lorenz: Vec<(f64, f64)>,
    /// Gini coefficient of active stake, from the Lorenz curve's definition.
    pub gini: f64,
}
