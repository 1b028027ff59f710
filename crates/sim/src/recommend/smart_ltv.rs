//! SmartLTV's closed form (REFERENCES.md §6.4; Velner, "A Smart Contract Formula for LTV
//! ratio", Risk DAO): `LTV = exp(−c·σ/√(l/d)) − β`, set beside the simulated bound.

use bulwark_spec::Protocol;
use bulwark_spec::data::prices::load_price_csv;
use bulwark_spec::model::asset::VolatilitySource;
use bulwark_spec::model::market::Market;
use serde::Serialize;

/// The risk appetite `r` of blue-chip collateral in the published calibration
/// (REFERENCES.md §6.4, secondary source): `c = 1/r`.
pub const BLUE_CHIP_APPETITE: f64 = 5.0;

/// SmartLTV for one collateral reserve, with its inputs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SmartLtv {
    /// The collateral asset.
    pub asset: String,
    /// σ: the worst one-day log fall in the asset's history when the spec names one
    /// (the published calibration), else its daily volatility.
    pub sigma: f64,
    /// Where σ came from, in words.
    pub sigma_source: String,
    /// l: what can be sold on the asset's deepest venue before its price falls by β, USD.
    pub liquidity_usd: f64,
    /// d: the debt backed by this collateral in the book, USD.
    pub debt_usd: f64,
    /// β: the liquidation bonus.
    pub bonus: f64,
    /// c = 1/r.
    pub c: f64,
    /// The formula's LTV (may be negative: no safe LTV).
    pub ltv: f64,
    /// The spec's LTV for the reserve.
    pub spec_ltv: f64,
}

/// SmartLTV of every collateral reserve of `market` that backs debt in its book.
pub fn smart_ltv(p: &Protocol, market: &Market, seed: u64) -> Vec<SmartLtv> {
    let price = |a: &str| p.price_usd(a);
    let book = market.book(seed, &price);
    let c = 1.0 / BLUE_CHIP_APPETITE;
    let mut out = Vec::new();
    for r in market.reserves.iter().filter(|r| r.liquidation_threshold > 0.0) {
        // Debt backed by this collateral: each position's debt split by collateral value.
        let debt_usd: f64 = book
            .iter()
            .map(|pos| {
                let total: f64 = pos.collateral.iter().map(|(a, n)| n * price(a)).sum();
                let mine: f64 = pos.collateral.iter().filter(|(a, _)| *a == r.asset).map(|(a, n)| n * price(a)).sum();
                let debt: f64 = pos.debt.iter().map(|(a, n)| n * price(a)).sum();
                if total > 0.0 { debt * mine / total } else { 0.0 }
            })
            .sum();
        if debt_usd <= 0.0 {
            continue;
        }
        let Some(asset) = p.asset(&r.asset) else { continue };
        let (sigma, sigma_source) = match &asset.volatility.source {
            VolatilitySource::History { file, .. } => match worst_daily_fall(file) {
                Some(s) => (s, format!("worst 24 h log fall in {}", file.display())),
                None => (asset.volatility.daily, "daily volatility (history too short)".to_string()),
            },
            _ => (asset.volatility.daily, "daily volatility from the spec".to_string()),
        };
        let beta = r.liquidation_bonus;
        let liquidity_usd = p
            .venues
            .iter()
            .filter(|v| v.pair[0] == r.asset)
            .filter_map(|v| bulwark_market::venue_curve(v).ok()?.base_depth(beta).ok())
            .fold(0.0, f64::max)
            * asset.price_usd;
        let ltv =
            if liquidity_usd > 0.0 { (-c * sigma / (liquidity_usd / debt_usd).sqrt()).exp() - beta } else { -beta };
        out.push(SmartLtv {
            asset: r.asset.clone(),
            sigma,
            sigma_source,
            liquidity_usd,
            debt_usd,
            bonus: beta,
            c,
            ltv,
            spec_ltv: r.ltv,
        });
    }
    out
}

/// The largest fall of the log price over any 24 hours of the history, as a positive
/// number; `None` without a day of data.
fn worst_daily_fall(file: &std::path::Path) -> Option<f64> {
    let (series, _) = load_price_csv(file).ok()?;
    let pts = &series.points;
    let mut worst: Option<f64> = None;
    let mut j = 0;
    for i in 0..pts.len() {
        while j < pts.len() && pts[j].timestamp_s < pts[i].timestamp_s + 86_400 {
            j += 1;
        }
        if j >= pts.len() {
            break;
        }
        let fall = -(pts[j].price_usd / pts[i].price_usd).ln();
        worst = Some(worst.map_or(fall, |w: f64| w.max(fall)));
    }
    worst.map(|w| w.max(0.0))
}
