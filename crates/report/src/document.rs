//! The report's content, laid out once as sections of notes, tables and charts, so
//! that the terminal, Markdown and HTML renderers show the same facts.

use bulwark_spec::data::validators::ValidatorSet;

use crate::ReportError;
use crate::assessment::{Assessment, LendingBook, StakeDistribution};
use crate::charts;
use crate::format::{pct, usd};

/// A titled part of the report.
pub(crate) struct Section {
    pub(crate) title: String,
    pub(crate) notes: Vec<String>,
    pub(crate) tables: Vec<Table>,
    pub(crate) charts: Vec<Chart>,
}

/// A table with a caption; the first column is left-aligned, the rest right-aligned.
pub(crate) struct Table {
    pub(crate) caption: String,
    pub(crate) headers: Vec<String>,
    pub(crate) rows: Vec<Vec<String>>,
}

/// A chart: an id for file names and anchors, a title, and its SVG.
pub(crate) struct Chart {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) svg: String,
}

fn strings<const N: usize>(cells: [&str; N]) -> Vec<String> {
    cells.iter().map(|s| s.to_string()).collect()
}

/// Lays out an assessment. Charts are drawn only when `with_charts` is set (the terminal
/// summary has no use for them).
pub(crate) fn layout(
    a: &Assessment,
    validators: Option<&ValidatorSet>,
    with_charts: bool,
    detail: bool,
) -> Result<Vec<Section>, ReportError> {
    let mut sections = vec![overview(a)];
    if let Some(attack) = &a.attack {
        sections.extend(crate::attack_section::sections(attack, validators, with_charts, detail)?);
    }
    sections.extend(crate::tail_risk::sections(&a.tail_risk, with_charts)?);
    if let Some(s) = &a.sensitivity {
        sections.extend(crate::sensitivity::sections(s, with_charts)?);
    }
    for (i, book) in a.lending.iter().enumerate() {
        sections.push(lending(book, i, with_charts)?);
    }
    if let Some(c) = &a.consensus {
        sections.push(consensus(c, with_charts)?);
    }
    Ok(sections)
}

fn overview(a: &Assessment) -> Section {
    let inv = &a.inventory;
    let mut notes = vec![format!("Spec: {}. Seed: {}. {}.", a.protocol.spec, a.seed, a.generator)];
    if let Some(d) = &a.protocol.description {
        notes.insert(0, d.clone());
    }
    if let Some(g) = &inv.governance {
        notes.push(format!("Governance: {g}."));
    }
    let mut tables = vec![Table {
        caption: "Assets".into(),
        headers: strings(["asset", "price", "daily vol", "volatility from"]),
        rows: inv
            .assets
            .iter()
            .map(|r| vec![r.symbol.clone(), usd(r.price_usd), pct(r.daily_volatility), r.volatility_source.clone()])
            .collect(),
    }];
    if !inv.venues.is_empty() {
        tables.push(Table {
            caption: "Venues (depth: what can be sold before the price falls 2 % or 10 %)".into(),
            headers: strings(["venue", "pair", "TVL", "depth 2 %", "depth 10 %"]),
            rows: inv
                .venues
                .iter()
                .map(|v| {
                    vec![v.name.clone(), v.pair.clone(), usd(v.tvl_usd), usd(v.depth_2pct_usd), usd(v.depth_10pct_usd)]
                })
                .collect(),
        });
    }
    if !inv.oracles.is_empty() {
        tables.push(Table {
            caption: "Oracles".into(),
            headers: strings(["asset", "update rule"]),
            rows: inv.oracles.iter().map(|o| vec![o.asset.clone(), o.rule.clone()]).collect(),
        });
    }
    if !inv.committees.is_empty() {
        tables.push(Table {
            caption: "Committees".into(),
            headers: strings(["committee", "threshold", "entities", "value secured"]),
            rows: inv
                .committees
                .iter()
                .map(|c| {
                    vec![
                        c.name.clone(),
                        c.threshold.clone(),
                        if c.entities == 0 { "?".into() } else { c.entities.to_string() },
                        usd(c.value_secured_usd),
                    ]
                })
                .collect(),
        });
    }
    Section { title: a.protocol.name.clone(), notes, tables, charts: Vec::new() }
}

fn lending(book: &LendingBook, index: usize, with_charts: bool) -> Result<Section, ReportError> {
    let h = &book.health;
    let liquidatable = h.debt_below.first().map_or(0.0, |(_, d)| *d);
    let notes = vec![
        format!("Positions: {} ({}).", book.positions, book.source),
        format!(
            "Collateral {}, debt {}; {} of debt is liquidatable now (health factor below 1).",
            usd(book.collateral_usd),
            usd(book.debt_usd),
            usd(liquidatable)
        ),
    ];
    let reserves = Table {
        caption: "Reserves (Aave v3 parameters; cap use is supplied or borrowed over the cap)".into(),
        headers: strings([
            "reserve",
            "LTV",
            "liq. threshold",
            "liq. bonus",
            "collateral",
            "debt",
            "supply cap used",
            "borrow cap used",
        ]),
        rows: book
            .reserves
            .iter()
            .map(|r| {
                vec![
                    r.asset.clone(),
                    pct(r.ltv),
                    pct(r.liquidation_threshold),
                    pct(r.liquidation_bonus),
                    usd(r.collateral_usd),
                    usd(r.debt_usd),
                    r.supply_cap_used.map_or("—".into(), pct),
                    r.borrow_cap_used.map_or("—".into(), pct),
                ]
            })
            .collect(),
    };
    let total = book.debt_usd.max(f64::MIN_POSITIVE);
    let health = Table {
        caption: "Debt by health factor (debt-weighted)".into(),
        headers: strings(["health factor", "debt", "share", ""]),
        rows: h
            .histogram_edges
            .iter()
            .zip(&h.histogram_debt_usd)
            .enumerate()
            .map(|(i, (lo, d))| {
                let range =
                    h.histogram_edges.get(i + 1).map_or(format!("≥ {lo:.2}"), |hi| format!("{lo:.2}–{hi:.2}"));
                vec![range, usd(*d), pct(d / total), "█".repeat(((d / total) * 40.0).round() as usize)]
            })
            .collect(),
    };
    let quantiles = Table {
        caption: "Health-factor quantiles and debt below each mark".into(),
        headers: strings(["quantile of debt", "health factor", "mark", "debt below"]),
        rows: h
            .quantiles
            .iter()
            .map(Some)
            .chain(std::iter::repeat(None))
            .zip(h.debt_below.iter().map(Some).chain(std::iter::repeat(None)))
            .take(h.quantiles.len().max(h.debt_below.len()))
            .map(|(q, m)| {
                vec![
                    q.map_or(String::new(), |(q, _)| pct(*q)),
                    q.map_or(String::new(), |(_, v)| format!("{v:.3}")),
                    m.map_or(String::new(), |(mark, _)| format!("< {mark:.2}")),
                    m.map_or(String::new(), |(_, d)| usd(*d)),
                ]
            })
            .collect(),
    };
    let charts = if with_charts {
        vec![Chart {
            id: format!("health-{index}"),
            title: format!("{}: debt by health factor", book.market),
            svg: charts::health_histogram(&format!("{}: debt by health factor", book.market), h)?,
        }]
    } else {
        Vec::new()
    };
    Ok(Section {
        title: format!("Lending book: {}", book.market),
        notes,
        tables: vec![reserves, quantiles, health],
        charts,
    })
}

fn consensus(c: &StakeDistribution, with_charts: bool) -> Result<Section, ReportError> {
    let notes = vec![
        format!(
            "{} validators, {} active, holding {:.0} {} of active stake. Thresholds: liveness {}, safety {}.",
            c.validators, c.active, c.active_stake, c.unit, c.liveness, c.safety
        ),
        format!("Gini coefficient of active stake: {:.3}.", c.gini),
    ];
    let largest = Table {
        caption: "Largest active validators".into(),
        headers: strings(["validator", "share of stake"]),
        rows: c.largest.iter().map(|(id, s)| vec![id.clone(), pct(*s)]).collect(),
    };
    let charts = if with_charts {
        let title = format!("{}: Lorenz curve of stake", c.chain);
        vec![Chart { id: "lorenz".into(), svg: charts::lorenz_curve(&title, c)?, title }]
    } else {
        Vec::new()
    };
    Ok(Section { title: format!("Validator set: {}", c.chain), notes, tables: vec![largest], charts })
}
