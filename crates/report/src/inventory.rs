//! What the spec alone gives, all of it computed from the spec and its data: the
//! inventory, the lending books' values and health factors, and the stake distribution.
//! Later analyses (cost of attack, tail risk) add their own sections.

use bulwark_spec::Protocol;
use bulwark_spec::model::asset::VolatilitySource;
use bulwark_spec::model::consensus::Consensus;
use bulwark_spec::model::market::Market;
use bulwark_spec::model::oracle::{OracleKind, TwapMean};
use bulwark_spec::positions::PositionBook;
use bulwark_spec::units::format_duration;

use crate::assessment::*;

/// Lower edges of the health-factor histogram's bins.
const HEALTH_BINS: &[f64] = &[0.0, 1.0, 1.05, 1.1, 1.15, 1.2, 1.3, 1.4, 1.5, 1.75, 2.0, 2.5, 3.0, 5.0];
/// Health factors at which the debt below is reported.
const HEALTH_MARKS: &[f64] = &[1.0, 1.05, 1.1, 1.25, 1.5];
/// Debt-weighted quantiles reported.
const QUANTILES: &[f64] = &[0.01, 0.05, 0.25, 0.5, 0.75, 0.95];
/// Points kept on a Lorenz curve: enough for a smooth chart, few enough for the JSON.
const LORENZ_POINTS: usize = 200;

/// Builds the assessment of what the spec gives. `spec` names where it came from.
pub fn assess_spec(protocol: &Protocol, spec: &str, seed: u64) -> Assessment {
    Assessment {
        schema_version: SCHEMA_VERSION,
        generator: format!("bulwark {}", env!("CARGO_PKG_VERSION")),
        protocol: ProtocolInfo {
            name: protocol.name.clone(),
            description: protocol.description.clone(),
            spec: spec.to_string(),
        },
        seed,
        inventory: inventory(protocol),
        lending: protocol.markets.iter().map(|m| lending_book(protocol, m, seed)).collect(),
        consensus: protocol.consensus.as_ref().map(stake_distribution),
        attack: None,
        sensitivity: None,
        tail_risk: Vec::new(),
    }
}

fn inventory(p: &Protocol) -> Inventory {
    let assets = p
        .assets
        .iter()
        .map(|a| AssetRow {
            symbol: a.symbol.clone(),
            price_usd: a.price_usd,
            daily_volatility: a.volatility.daily,
            volatility_source: match &a.volatility.source {
                VolatilitySource::Daily => "given (daily)".to_string(),
                VolatilitySource::Annual => "given (annual / √365)".to_string(),
                VolatilitySource::History { file, observations, .. } => {
                    format!(
                        "realized, {observations} prices in {}",
                        file.file_name()
                            .map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned())
                    )
                }
                _ => "other".to_string(),
            },
        })
        .collect();
    let venues = p
        .venues
        .iter()
        .filter_map(|v| {
            let curve = bulwark_market::venue_curve(v).ok()?;
            let base_usd = p.price_usd(&v.pair[0]);
            let quote_usd = p.price_usd(&v.pair[1]);
            // TVL at the pool's own price: 2 · quote reserve for x · y = k; for Uniswap v3,
            // what the listed ticks' liquidity holds at the current price.
            Some(VenueRow {
                name: v.name.clone(),
                pair: format!("{}/{}", v.pair[0], v.pair[1]),
                tvl_usd: curve.tvl_quote() * quote_usd,
                depth_2pct_usd: curve.base_depth(0.02).ok()? * base_usd,
                depth_10pct_usd: curve.base_depth(0.10).ok()? * base_usd,
            })
        })
        .collect();
    let oracles = p
        .oracles
        .iter()
        .map(|o| OracleRow {
            asset: o.asset.clone(),
            rule: match &o.kind {
                OracleKind::Push { heartbeat_s, deviation, latency_s } => format!(
                    "push: heartbeat {}, deviation {:.2} %, latency {}",
                    format_duration(*heartbeat_s),
                    deviation * 100.0,
                    format_duration(*latency_s)
                ),
                OracleKind::Twap { venue, window_s, mean } => format!(
                    "{} TWAP over {} on {}",
                    match mean {
                        TwapMean::Arithmetic => "arithmetic",
                        TwapMean::Geometric => "geometric",
                    },
                    format_duration(*window_s),
                    p.venues.get(*venue).map_or("?", |v| v.name.as_str())
                ),
                _ => "other".to_string(),
            },
        })
        .collect();
    let committees = p
        .committees
        .iter()
        .map(|c| CommitteeRow {
            name: c.name.clone(),
            threshold: format!("{}-of-{}", c.multisig.threshold, c.multisig.size),
            entities: c.signers.len(),
            value_secured_usd: c.value_secured_usd,
        })
        .collect();
    let governance = p.governance.as_ref().map(|g| {
        let guardian = g.guardian.map_or(String::new(), |m| format!(", guardian {}-of-{}", m.threshold, m.size));
        format!(
            "{} votes, quorum {} tokens, timelock {}{}{guardian}",
            g.token,
            g.quorum_votes,
            format_duration(g.timelock_s),
            if g.snapshot { ", weights snapshotted at proposal start" } else { ", no snapshot" }
        )
    });
    Inventory { assets, venues, oracles, committees, governance }
}

fn lending_book(p: &Protocol, m: &Market, seed: u64) -> LendingBook {
    let price = |a: &str| p.price_usd(a);
    let book = m.book(seed, &price);
    let mut rows: Vec<ReserveRow> = m
        .reserves
        .iter()
        .map(|r| ReserveRow {
            asset: r.asset.clone(),
            ltv: r.ltv,
            liquidation_threshold: r.liquidation_threshold,
            liquidation_bonus: r.liquidation_bonus,
            collateral_usd: 0.0,
            debt_usd: 0.0,
            supply_cap_used: None,
            borrow_cap_used: None,
        })
        .collect();
    let mut by_health: Vec<(f64, f64)> = Vec::with_capacity(book.len());
    for position in book.iter() {
        for (asset, n) in &position.collateral {
            if let Some(row) = rows.iter_mut().find(|r| r.asset == *asset) {
                row.collateral_usd += n * price(asset);
            }
        }
        for (asset, n) in &position.debt {
            if let Some(row) = rows.iter_mut().find(|r| r.asset == *asset) {
                row.debt_usd += n * price(asset);
            }
        }
        let (_, debt_usd) = m.weighted_collateral_and_debt_usd(position, &price);
        if debt_usd > 0.0 {
            by_health.push((m.health_factor(position, &price), debt_usd));
        }
    }
    for (row, reserve) in rows.iter_mut().zip(&m.reserves) {
        let tokens = |usd: f64| usd / price(&reserve.asset);
        row.supply_cap_used = reserve.supply_cap.filter(|c| *c > 0.0).map(|c| tokens(row.collateral_usd) / c);
        row.borrow_cap_used = reserve.borrow_cap.filter(|c| *c > 0.0).map(|c| tokens(row.debt_usd) / c);
    }
    let source = match &m.positions {
        PositionBook::Csv { file, .. } => format!("CSV {}", file.display()),
        PositionBook::Generated(g) => format!(
            "generated: {} positions, median health {}, min {}, seed {}",
            g.count,
            g.health.median,
            g.health.min,
            g.seed.unwrap_or(seed)
        ),
        _ => "other".to_string(),
    };
    LendingBook {
        market: m.name.clone(),
        source,
        positions: book.len(),
        collateral_usd: rows.iter().map(|r| r.collateral_usd).sum(),
        debt_usd: rows.iter().map(|r| r.debt_usd).sum(),
        reserves: rows,
        health: health_summary(by_health),
    }
}

/// Debt-weighted distribution of `(health factor, debt_usd)` pairs.
fn health_summary(mut by_health: Vec<(f64, f64)>) -> HealthSummary {
    by_health.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = by_health.iter().map(|(_, d)| d).sum();
    let quantiles = QUANTILES
        .iter()
        .map(|&q| {
            let target = q * total;
            let mut acc = 0.0;
            let hf = by_health.iter().find(|(_, d)| {
                acc += d;
                acc >= target
            });
            (q, hf.map_or(f64::NAN, |(h, _)| *h))
        })
        .filter(|(_, h)| h.is_finite())
        .collect();
    let debt_below = HEALTH_MARKS
        .iter()
        .map(|&mark| (mark, by_health.iter().take_while(|(h, _)| *h < mark).map(|(_, d)| d).sum()))
        .collect();
    let mut histogram = vec![0.0; HEALTH_BINS.len()];
    for (h, d) in &by_health {
        let bin = HEALTH_BINS.partition_point(|edge| edge <= h).saturating_sub(1);
        histogram[bin] += d;
    }
    HealthSummary { quantiles, debt_below, histogram_edges: HEALTH_BINS.to_vec(), histogram_debt_usd: histogram }
}

fn stake_distribution(c: &Consensus) -> StakeDistribution {
    let set = &c.validators;
    let scale = 10f64.powi(i32::try_from(set.unit.decimals).unwrap_or(0));
    let mut active: Vec<(&str, u128)> =
        set.validators.iter().filter(|v| v.active).map(|v| (v.id.as_str(), v.stake)).collect();
    active.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let total: u128 = active.iter().map(|(_, s)| s).sum();
    let share = |s: u128| if total == 0 { 0.0 } else { s as f64 / total as f64 };
    let largest = active.iter().take(10).map(|(id, s)| (id.to_string(), share(*s))).collect();

    let ascending: Vec<f64> = active.iter().rev().map(|(_, s)| *s as f64).collect();
    let n = ascending.len();
    let sum: f64 = ascending.iter().sum();
    // Gini = Σ (2i − n − 1) x_(i) / (n S), x ascending, i from 1 (REFERENCES.md §2.3).
    let gini = if n == 0 || sum == 0.0 {
        0.0
    } else {
        ascending.iter().enumerate().map(|(i, x)| (2.0 * (i as f64 + 1.0) - n as f64 - 1.0) * x).sum::<f64>()
            / (n as f64 * sum)
    };
    let mut lorenz = vec![(0.0, 0.0)];
    let stride = n.div_ceil(LORENZ_POINTS).max(1);
    let mut acc = 0.0;
    for (i, x) in ascending.iter().enumerate() {
        acc += x;
        if (i + 1) % stride == 0 || i + 1 == n {
            lorenz.push(((i + 1) as f64 / n as f64, if sum > 0.0 { acc / sum } else { 0.0 }));
        }
    }
    StakeDistribution {
        chain: c.chain.clone(),
        validators: set.validators.len(),
        active: n,
        active_stake: total as f64 / scale,
        unit: set.unit.symbol.clone(),
        liveness: c.liveness.to_string(),
        safety: c.safety.to_string(),
        largest,
        lorenz,
        gini,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_summary_weights_by_debt() {
        // 10 USD at HF 0.9, 90 USD at HF 2.0: the 5 % quantile is 0.9, the median 2.0.
        let s = health_summary(vec![(2.0, 90.0), (0.9, 10.0)]);
        assert_eq!(s.quantiles.iter().find(|(q, _)| *q == 0.05).map(|x| x.1), Some(0.9));
        assert_eq!(s.quantiles.iter().find(|(q, _)| *q == 0.5).map(|x| x.1), Some(2.0));
        assert_eq!(s.debt_below[0], (1.0, 10.0));
        assert_eq!(s.histogram_debt_usd[0], 10.0);
        assert_eq!(s.histogram_debt_usd.iter().sum::<f64>(), 100.0);
    }
}
