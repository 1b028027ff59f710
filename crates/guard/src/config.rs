//! The guard's configuration, resolved from a protocol spec: the assets with their
//! oracles, the reserves with their LTV and liquidation threshold, and the `[guard]`
//! section (or its defaults, `bulwark_spec::model::guard::GuardSpec::default`).

use bulwark_spec::Protocol;
use bulwark_spec::model::guard::{Authorization, GuardSpec, Limiter};
use bulwark_spec::model::oracle::OracleKind;
use bulwark_spec::model::venue::VenueKind;
use bulwark_spec::positions::PositionBook;
use serde::{Deserialize, Serialize};

use crate::authority::Requirement;
use crate::controller::ControllerConfig;
use crate::error::GuardError;
use crate::limiter::{ElasticConfig, Erc7265Config};
use crate::oracle::OracleConfig;
use crate::params::fraction_to_bps;
use crate::steward::StewardBound;

/// Seconds to milliseconds, rounded.
pub(crate) fn ms(seconds: f64) -> u64 {
    let x = (seconds * 1000.0).round();
    if x.is_finite() && x > 0.0 { x.min(u64::MAX as f64) as u64 } else { 0 }
}

/// Everything the guard needs, in milliseconds, basis points and tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuardConfig {
    /// What a loosening command must carry.
    pub requirement: Requirement,
    /// Cooldown of breakers after their condition clears, milliseconds.
    pub cooldown_ms: u64,
    /// Cooldown of outflow breakers (ERC-7265's `rateLimitCooldownPeriod`), milliseconds.
    pub outflow_cooldown_ms: u64,
    /// Shortest time between two alerts of one condition, milliseconds.
    pub alert_cooldown_ms: u64,
    /// Re-alert when the score exceeds the last alert's by this factor.
    pub alert_worsen: f64,
    /// The assets watched.
    pub assets: Vec<AssetConfig>,
    /// The lending markets' names.
    pub markets: Vec<String>,
    /// The reserves whose parameters the guard keeps.
    pub reserves: Vec<ReserveConfig>,
    /// Order-flow and TVL settings.
    pub anomaly: AnomalyConfig,
}

/// One asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssetConfig {
    /// The symbol.
    pub symbol: String,
    /// Its oracle monitor's settings.
    pub oracle: OracleConfig,
    /// Its outflow limiter, if limited.
    pub outflow: Option<OutflowConfig>,
}

/// An asset's outflow limiter.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum OutflowConfig {
    /// ERC-7265, counting amounts in base units of 10^-decimals tokens.
    Erc7265 {
        /// The limiter's parameters (threshold in base units).
        limiter: Erc7265Config,
        /// Decimals of the base unit.
        decimals: u32,
    },
    /// Main + elastic buffer.
    Elastic {
        /// The limiter's parameters.
        limiter: ElasticConfig,
        /// TVL when the guard starts, tokens.
        tvl: f64,
    },
}

/// A reserve of a lending market, with its controller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReserveConfig {
    /// The lending market.
    pub market: String,
    /// The asset.
    pub asset: String,
    /// LTV set by governance, basis points.
    pub ltv_bps: u32,
    /// Liquidation threshold set by governance, basis points.
    pub liquidation_threshold_bps: u32,
    /// The adaptive controller (collateral reserves only).
    pub controller: Option<ControllerConfig>,
    /// Liquidity at the venues within the liquidation bonus, USD, from the spec's venues.
    pub liquidity_usd: Option<f64>,
}

/// Order-flow anomaly and TVL settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AnomalyConfig {
    /// Values per window.
    pub window: usize,
    /// Values before scoring.
    pub min_samples: usize,
    /// |z| beyond which (strictly) a value is anomalous.
    pub z: f64,
    /// Volume bucket, milliseconds.
    pub bucket_ms: u64,
    /// TVL drop beyond which (strictly) a market pauses.
    pub tvl_drop: f64,
    /// TVL window, milliseconds.
    pub tvl_window_ms: u64,
    /// Most trading markets tracked.
    pub max_markets: usize,
}

impl GuardConfig {
    /// Resolves the configuration of a protocol: its `[guard]` section, or the defaults.
    ///
    /// # Errors
    /// [`GuardError::Config`] for a value the spec accepts but the guard cannot use
    /// (a bad controller setting derived from an asset's volatility).
    pub fn from_protocol(protocol: &Protocol) -> Result<Self, GuardError> {
        let default = GuardSpec::default();
        let spec = protocol.guard.as_ref().unwrap_or(&default);
        let requirement = match spec.authorization {
            Authorization::Multisig { threshold, timelock_s } => Requirement::Multisig {
                threshold: u32::try_from(threshold).unwrap_or(u32::MAX),
                timelock_ms: ms(timelock_s),
            },
            _ => Requirement::AdminToken,
        };
        let o = &spec.oracle;
        let assets = protocol
            .assets
            .iter()
            .map(|a| {
                let heartbeat_ms = protocol.oracle(&a.symbol).and_then(|oracle| match oracle.kind {
                    OracleKind::Push { heartbeat_s, .. } => Some(ms(heartbeat_s)),
                    _ => None,
                });
                let outflow = spec.outflow.assets.iter().find(|l| l.asset == a.symbol).and_then(|l| match l.limiter {
                    Limiter::Erc7265 { min_retained_bps, limit_begin, decimals } => Some(OutflowConfig::Erc7265 {
                        limiter: Erc7265Config {
                            withdrawal_period_ms: ms(spec.outflow.withdrawal_period_s),
                            tick_ms: ms(spec.outflow.tick_s).max(1),
                            min_liq_retained_bps: min_retained_bps,
                            limit_begin_threshold: to_base_units(limit_begin, decimals),
                        },
                        decimals,
                    }),
                    Limiter::Elastic { max_draw, main_window_s, elastic_window_s, tvl } => {
                        Some(OutflowConfig::Elastic {
                            limiter: ElasticConfig {
                                max_draw,
                                main_window_ms: ms(main_window_s).max(1),
                                elastic_window_ms: ms(elastic_window_s).max(1),
                            },
                            tvl,
                        })
                    }
                    _ => None,
                });
                AssetConfig {
                    symbol: a.symbol.clone(),
                    oracle: OracleConfig {
                        heartbeat_ms,
                        stale_tolerance_ms: ms(o.stale_tolerance_s),
                        deviation: o.deviation,
                        grace_ms: ms(o.grace_s),
                        venue_max_age_ms: ms(o.venue_max_age_s),
                        min_venues: usize::try_from(o.min_venues).unwrap_or(usize::MAX),
                    },
                    outflow,
                }
            })
            .collect();
        let c = &spec.controller;
        let bound = StewardBound { min_delay_ms: ms(c.min_delay_s), max_change_bps: c.max_change_bps, relative: false };
        let mut reserves = Vec::new();
        for market in &protocol.markets {
            for r in &market.reserves {
                let controller = if r.is_collateral() {
                    let daily = protocol.asset(&r.asset).map_or(0.0, |a| a.volatility.daily);
                    let config = ControllerConfig {
                        sample_ms: ms(c.sample_s).max(1),
                        ewma_lambda: c.ewma_lambda,
                        garch_alpha: c.garch_alpha,
                        garch_beta: c.garch_beta,
                        long_run_daily: daily,
                        confidence: 1.0 / c.risk_appetite,
                        liquidation_bonus: r.liquidation_bonus,
                        debt_usd: debt_backed_usd(&market.positions, &r.asset),
                        floor_ltv_bps: fraction_to_bps(c.floor_ltv),
                        ltv_bound: bound,
                        lt_bound: bound,
                        loosen_hold_ms: ms(c.loosen_hold_s),
                        loosen_step_bps: c.loosen_step_bps,
                    };
                    if let Some((name, value, valid)) = config.invalid() {
                        return Err(GuardError::Config {
                            field: format!("controller.{name} ({} {})", market.name, r.asset),
                            found: value.to_string(),
                            valid,
                        });
                    }
                    Some(config)
                } else {
                    None
                };
                reserves.push(ReserveConfig {
                    market: market.name.clone(),
                    asset: r.asset.clone(),
                    ltv_bps: fraction_to_bps(r.ltv),
                    liquidation_threshold_bps: fraction_to_bps(r.liquidation_threshold),
                    controller,
                    liquidity_usd: depth_within_usd(protocol, &r.asset, r.liquidation_bonus),
                });
            }
        }
        let a = &spec.anomaly;
        Ok(Self {
            requirement,
            cooldown_ms: ms(spec.cooldown_s),
            outflow_cooldown_ms: ms(spec.outflow.cooldown_s),
            alert_cooldown_ms: ms(spec.alert_cooldown_s),
            alert_worsen: spec.alert_worsen,
            assets,
            markets: protocol.markets.iter().map(|m| m.name.clone()).collect(),
            reserves,
            anomaly: AnomalyConfig {
                window: usize::try_from(a.window).unwrap_or(usize::MAX),
                min_samples: usize::try_from(a.min_samples).unwrap_or(usize::MAX),
                z: a.z,
                bucket_ms: ms(a.bucket_s).max(1),
                tvl_drop: a.tvl_drop,
                tvl_window_ms: ms(a.tvl_window_s),
                max_markets: usize::try_from(a.max_markets).unwrap_or(usize::MAX),
            },
        })
    }
}

/// Tokens to base units of 10^-decimals, rounded to nearest.
pub(crate) fn to_base_units(tokens: f64, decimals: u32) -> i128 {
    let x = (tokens * 10f64.powi(i32::try_from(decimals).unwrap_or(18))).round();
    if x.is_finite() { x.clamp(i128::MIN as f64, i128::MAX as f64) as i128 } else { 0 }
}

/// USD of `asset` sellable within a price fall of `bonus` into the spec's
/// constant-product venues that quote it as the base: `x·(1/√(1−β) − 1)` tokens per
/// venue at the asset's price (REFERENCES.md §6.4 measures `l` at the liquidation bonus).
fn depth_within_usd(protocol: &Protocol, asset: &str, bonus: f64) -> Option<f64> {
    if !(bonus > 0.0 && bonus < 1.0) {
        return None;
    }
    let price = protocol.price_usd(asset);
    let tokens: f64 = protocol
        .venues
        .iter()
        .filter(|v| v.pair[0] == asset)
        .filter_map(|v| match v.kind {
            VenueKind::ConstantProduct { reserves } => Some(reserves[0] * (1.0 / (1.0 - bonus).sqrt() - 1.0)),
            _ => None,
        })
        .sum();
    (tokens > 0.0).then_some(tokens * price)
}

/// The debt backed by `asset` in a generated book: total debt times the asset's share
/// of positions (an assumption: positions of each collateral carry equal debt on
/// average). `None` for a book read from a file.
fn debt_backed_usd(book: &PositionBook, asset: &str) -> Option<f64> {
    match book {
        PositionBook::Generated(g) => {
            let total: f64 = g.collateral.iter().map(|(_, w)| w).sum();
            let share = g.collateral.iter().find(|(a, _)| a == asset).map_or(0.0, |(_, w)| *w);
            (total > 0.0 && share > 0.0).then(|| g.total_debt_usd * share / total)
        }
        _ => None,
    }
}
