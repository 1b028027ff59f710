//! Sensitivity: how the protocol's risk moves with its parameters. The risk-sensitivity
//! table of `assess` (validator dispersion, collateralization, oracle latency), sweeps
//! (`bulwark sweep`) and recommended parameters (`bulwark recommend`), laid out as
//! sections with their charts.

use bulwark_attack::consensus::{ConsensusSummary, is_aggregate};
use bulwark_attack::dispersion::{Dimension, Reshape, entity_dimension, group};
use bulwark_attack::{AttackOptions, VectorKind};
use bulwark_sim::recommend::{Lever, Recommendations};
use bulwark_sim::run::EngineKind;
use bulwark_sim::sweep::{Axis, SpecText, SweepError, SweepMode, SweepOptions, SweepResult, evaluate};
use bulwark_spec::Protocol;
use bulwark_spec::data::validators::ValidatorSet;
use bulwark_spec::overrides::Override;
use serde::Serialize;

use crate::ReportError;
use crate::charts::{self, Line};
use crate::document::{Chart, Section, Table};
use crate::format::{pct, usd};

/// The risk-sensitivity table of an assessment, with the recommendations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sensitivity {
    /// Paths per point (fewer than the tail-risk run: the table compares points, all on
    /// the same paths).
    pub paths: u64,
    /// The seed, the same at every point (common random numbers).
    pub seed: u64,
    /// One row per driver and setting.
    pub rows: Vec<SensitivityRow>,
    /// Recommended parameters, when searched.
    pub recommendations: Option<Recommendations>,
}

/// One setting of one risk driver and what it does.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SensitivityRow {
    /// `validator dispersion`, `stake price`, `collateralization` or `oracle latency`.
    pub driver: String,
    /// The spec field moved, as an override path (`consensus.validators` for the
    /// dispersion rows, whose sets are reshaped in memory).
    pub parameter: String,
    /// The setting, as written into the spec or as the reshaped validator set is described.
    pub setting: String,
    /// Whether this is the spec's own value.
    pub base: bool,
    /// Mean bad debt in the scenario, USD (when simulated).
    pub bad_debt_mean_usd: Option<f64>,
    /// 99th percentile of bad debt, USD (when simulated).
    pub var99_usd: Option<f64>,
    /// Probability of insolvency (when simulated).
    pub prob_insolvency: Option<f64>,
    /// The attack cost this driver moves, USD, and what it is (when priced).
    pub attack_cost_usd: Option<f64>,
    /// Which cost: the cheapest consensus attack or the cheapest oracle manipulation.
    pub attack_cost_of: Option<String>,
    /// The Nakamoto coefficient (liveness) of the validator set by entity (operator where
    /// the data names one, else validator), aggregates counted as the data has them, for
    /// the dispersion rows.
    pub nakamoto: Option<usize>,
    /// The same for the safety threshold.
    pub nakamoto_safety: Option<usize>,
    /// The fewest entities, aggregates such as `Other` left out, whose stake crosses the
    /// liveness threshold: the parties a censor must corrupt, for the dispersion rows.
    pub coalition_liveness: Option<usize>,
    /// The same for the safety threshold.
    pub coalition_safety: Option<usize>,
    /// For the oracle-latency rows of a push feed: how far its answer can lag the market
    /// with a working deviation trigger, δ + z·σ·√latency (a fraction of the price).
    pub oracle_lag_gap: Option<f64>,
}

/// One setting of a driver: the overrides it writes into the spec, or the validator set
/// it prices in place of the spec's.
struct Setting {
    label: String,
    overrides: Vec<Override>,
    validators: Option<ValidatorSet>,
    base: bool,
}

impl Setting {
    fn spec(label: String, overrides: Vec<Override>, base: bool) -> Self {
        Self { label, overrides, validators: None, base }
    }
}

/// A driver's settings, labelled.
struct Driver {
    name: &'static str,
    /// The asset the driver concerns (the oracle's, the stake's).
    asset: String,
    parameter: String,
    settings: Vec<Setting>,
    simulate: bool,
    attack: Option<VectorKind>,
    /// The dimension the Nakamoto coefficients are read along (dispersion rows only).
    entities: Option<Dimension>,
}

fn fmt(x: f64) -> String {
    format!("{:.4}", x).trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The reshapes of the dispersion driver, most concentrated first: the three and the two
/// largest entities under one operator, then the largest split in two and in three.
const RESHAPES: [Reshape; 4] = [
    Reshape::MergeLargest { entities: 3 },
    Reshape::MergeLargest { entities: 2 },
    Reshape::SplitLargest { parts: 2 },
    Reshape::SplitLargest { parts: 3 },
];

/// The validator-dispersion settings: the spec's set, then every [`RESHAPES`] the set
/// allows (a set of two entities cannot merge three).
fn dispersion_settings(set: &ValidatorSet) -> Vec<Setting> {
    let dimension = entity_dimension(set);
    let total = set.total_active_stake().max(1) as f64;
    let (aggregates, entities): (Vec<_>, Vec<_>) =
        group(set, dimension).unwrap_or_default().into_iter().partition(|(name, _)| is_aggregate(name));
    let mut label = format!("spec's set: {} {}s", entities.len(), dimension.name());
    for (name, stake) in &aggregates {
        label.push_str(&format!(" + {name} ({})", pct(*stake as f64 / total)));
    }
    if let Some((name, stake)) = entities.first() {
        label.push_str(&format!(", largest {name} ({})", pct(*stake as f64 / total)));
    }
    let mut settings = vec![Setting::spec(label, Vec::new(), true)];
    for change in RESHAPES {
        let Ok(r) = change.apply(set) else { continue };
        let label = match change {
            Reshape::SplitLargest { parts } => {
                format!("{} split in {parts} ({} each)", r.entities.join(""), pct(r.share / parts as f64))
            }
            _ => format!("{} under one {} ({})", r.replaced_by.join(""), dimension.name(), pct(r.share)),
        };
        settings.push(Setting { label, overrides: Vec::new(), validators: Some(r.set), base: false });
    }
    settings
}

/// The drivers of the table, chosen from the spec: its largest collateral reserve, that
/// reserve's oracle, the validator set's dispersion and the stake asset's price.
fn drivers(p: &Protocol) -> Vec<Driver> {
    let mut out = Vec::new();
    let Some(m) = p.markets.first() else { return out };
    let debt_by = |asset: &str| match &m.positions {
        bulwark_spec::positions::PositionBook::Generated(g) => {
            g.collateral.iter().find(|(a, _)| a == asset).map_or(0.0, |(_, w)| *w)
        }
        _ => 0.0,
    };
    let main = m
        .reserves
        .iter()
        .filter(|r| r.liquidation_threshold > 0.0)
        .max_by(|a, b| debt_by(&a.asset).total_cmp(&debt_by(&b.asset)));
    if let Some(r) = main {
        let path = format!("markets[0].reserves.{}.liquidation_threshold", r.asset);
        let max_lt = (1.0 / (1.0 + r.liquidation_bonus) - 0.001).min(0.99);
        let mut settings = vec![Setting::spec(fmt(r.liquidation_threshold), Vec::new(), true)];
        for lt in [r.liquidation_threshold - 0.03, r.liquidation_threshold + 0.05] {
            if lt >= r.ltv && lt <= max_lt && lt > 0.0 {
                settings.push(Setting::spec(fmt(lt), vec![Override::new(&path, fmt(lt))], false));
            }
        }
        out.push(Driver {
            name: "collateralization",
            asset: r.asset.clone(),
            parameter: path,
            settings,
            simulate: true,
            attack: None,
            entities: None,
        });
        if let bulwark_spec::positions::PositionBook::Generated(g) = &m.positions {
            // LTV: borrowers may open positions up to it, so the book's lowest health is LT/LTV.
            let path = "markets[0].positions.health.min".to_string();
            let mut settings = vec![Setting::spec(
                format!("{} (LTV/LT {:.3})", fmt(g.health.min), 1.0 / g.health.min),
                Vec::new(),
                true,
            )];
            for shift in [0.05, 0.15] {
                // The whole distribution shifts up: every borrower a little further from liquidation.
                let h = g.health.min + shift;
                settings.push(Setting::spec(
                    format!("{} (LTV/LT {:.3})", fmt(h), 1.0 / h),
                    vec![
                        Override::new(&path, fmt(h)),
                        Override::new("markets[0].positions.health.median", fmt(g.health.median + shift)),
                    ],
                    false,
                ));
            }
            out.push(Driver {
                name: "collateralization",
                asset: r.asset.clone(),
                parameter: path,
                settings,
                simulate: true,
                attack: None,
                entities: None,
            });
        }
        if let Some(bulwark_spec::model::oracle::OracleKind::Push { latency_s, .. }) =
            p.oracle(&r.asset).map(|o| &o.kind)
        {
            let path = format!("oracles.{}.latency", r.asset);
            let mut settings = vec![Setting::spec(format!("{latency_s}s"), Vec::new(), true)];
            for s in [300.0, 3600.0] {
                if s > *latency_s {
                    settings.push(Setting::spec(
                        format!("{s}s"),
                        vec![Override::new(&path, format!("\"{s}s\""))],
                        false,
                    ));
                }
            }
            out.push(Driver {
                name: "oracle latency",
                asset: r.asset.clone(),
                parameter: path,
                settings,
                simulate: true,
                attack: Some(VectorKind::Oracle),
                entities: None,
            });
        }
    }
    if let Some(c) = p.consensus.as_ref() {
        out.push(Driver {
            name: "validator dispersion",
            asset: c.stake_asset.clone().unwrap_or_default(),
            parameter: "consensus.validators".into(),
            settings: dispersion_settings(&c.validators),
            simulate: false,
            attack: Some(VectorKind::Consensus),
            entities: Some(entity_dimension(&c.validators)),
        });
    }
    if let Some(asset) = p.consensus.as_ref().and_then(|c| c.stake_asset.clone()) {
        let price = p.price_usd(&asset);
        let path = format!("assets.{asset}.price");
        let mut settings = vec![Setting::spec(format!("{} (spec)", usd(price)), Vec::new(), true)];
        for f in [0.6, 0.3] {
            settings.push(Setting::spec(
                format!("{} ({:.0} % down)", usd(price * f), (1.0 - f) * 100.0),
                vec![Override::new(&path, format!("{}", price * f))],
                false,
            ));
        }
        out.push(Driver {
            name: "stake price",
            asset: asset.clone(),
            parameter: path,
            settings,
            simulate: false,
            attack: Some(VectorKind::Consensus),
            entities: None,
        });
    }
    out
}

/// Computes the risk-sensitivity table: each driver's settings simulated on the same
/// paths (one batch, common random numbers) and priced by the cost-of-attack engines.
///
/// # Errors
/// [`SweepError`] if a setting makes an invalid spec or the simulation cannot run.
pub fn risk_sensitivity(
    spec: &SpecText,
    paths: u64,
    seed: u64,
    attack: &AttackOptions,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<Sensitivity, SweepError> {
    let base = spec.protocol(&[])?;
    let drivers = drivers(&base);
    let simulated = |d: &Driver| d.simulate && !base.markets.is_empty();
    // Each setting's spec is built once: priced here, and kept for the simulation.
    let mut protocols = Vec::new();
    let mut assessments = Vec::new();
    for d in &drivers {
        for setting in &d.settings {
            let mut p = spec.protocol(&setting.overrides)?;
            if let (Some(c), Some(set)) = (p.consensus.as_mut(), &setting.validators) {
                c.validators = set.clone();
            }
            assessments.push(d.attack.map(|kind| (kind, bulwark_attack::assess(&p, attack))));
            if simulated(d) {
                protocols.push(p);
            }
        }
    }
    let opts = SweepOptions { paths, seed, engine: EngineKind::Buckets, market: 0 };
    let (summaries, _) = if protocols.is_empty() { (Vec::new(), 0) } else { evaluate(&protocols, &opts, progress)? };
    let mut summaries = summaries.iter();
    let mut assessments = assessments.into_iter();
    let mut rows = Vec::new();
    for d in &drivers {
        for setting in &d.settings {
            let s = if simulated(d) { summaries.next() } else { None };
            let priced = assessments.next().flatten();
            // The oracle's own figures: the cheapest route it reads, and its push window.
            let oracle = priced
                .as_ref()
                .filter(|(kind, _)| *kind == VectorKind::Oracle)
                .and_then(|(_, a)| a.oracles.iter().find(|o| o.asset == d.asset));
            let cost = match &priced {
                Some((VectorKind::Oracle, _)) => oracle.and_then(|o| o.cheapest.as_ref()).map(|r| r.coc_usd),
                Some((kind, a)) => a
                    .vectors
                    .iter()
                    .filter(|v| v.kind == *kind && v.coc_usd > 0.0)
                    .map(|v| v.coc_usd)
                    .fold(None, |m: Option<f64>, c| Some(m.map_or(c, |m| m.min(c)))),
                None => None,
            };
            let counts = match (d.entities, priced.as_ref().and_then(|(_, a)| a.consensus.as_ref())) {
                (Some(dimension), Some(c)) => entity_counts(c, dimension),
                _ => EntityCounts::default(),
            };
            rows.push(SensitivityRow {
                driver: d.name.to_string(),
                parameter: d.parameter.clone(),
                setting: setting.label.clone(),
                base: setting.base,
                bad_debt_mean_usd: s.map(|s| s.bad_debt.mean),
                var99_usd: s.map(|s| s.var99_usd),
                prob_insolvency: s.map(|s| s.prob_insolvency),
                attack_cost_usd: cost,
                attack_cost_of: d.attack.map(|k| {
                    match k {
                        VectorKind::Consensus => "cheapest consensus attack (censorship or halt)",
                        VectorKind::Oracle => "cheapest manipulation of a route the asset's oracle reads",
                        _ => "cheapest attack",
                    }
                    .to_string()
                }),
                nakamoto: counts.nakamoto[0],
                nakamoto_safety: counts.nakamoto[1],
                coalition_liveness: counts.coalition[0],
                coalition_safety: counts.coalition[1],
                oracle_lag_gap: oracle.and_then(|o| o.push_window).map(|w| w.gap_with_trigger),
            });
        }
    }
    Ok(Sensitivity { paths, seed, rows, recommendations: None })
}

/// Nakamoto coefficients and coalition sizes, liveness then safety.
#[derive(Default)]
struct EntityCounts {
    nakamoto: [Option<usize>; 2],
    coalition: [Option<usize>; 2],
}

/// The counts of a consensus summary along one dimension.
fn entity_counts(c: &ConsensusSummary, dimension: Dimension) -> EntityCounts {
    let row = c.nakamoto.iter().find(|r| r.dimension == dimension);
    let coalition = |threshold: &str| {
        c.coalitions.iter().find(|k| k.threshold == threshold && k.dimension == dimension).map(|k| k.members.len())
    };
    EntityCounts {
        nakamoto: [row.and_then(|r| r.liveness), row.and_then(|r| r.safety)],
        coalition: [coalition("liveness"), coalition("safety")],
    }
}

fn opt_usd(x: Option<f64>) -> String {
    x.map_or("—".into(), usd)
}

/// Two counts as `L / S`, `—` for a missing one and for the pair when both are.
fn pair(liveness: Option<usize>, safety: Option<usize>) -> String {
    let one = |n: Option<usize>| n.map_or("—".to_string(), |n| n.to_string());
    if liveness.is_none() && safety.is_none() { "—".into() } else { format!("{} / {}", one(liveness), one(safety)) }
}

/// The assessment's sensitivity section(s).
pub(crate) fn sections(s: &Sensitivity, with_charts: bool) -> Result<Vec<Section>, ReportError> {
    let notes = vec![format!(
        "Each driver moved alone, the others at the spec's values; {} paths per setting with seed {} on the same paths at every setting (common random numbers), so differences between settings are the parameter's, not noise. Fewer paths than the tail-risk run: compare the rows, do not read the tail of one row on its own.",
        s.paths, s.seed
    ),
    "Collateralization: a generated book keeps its health factors, so a higher liquidation threshold means less collateral per dollar of debt; a lower LTV shifts the book's health factors up (LTV/LT = 1/lowest health).".to_string(),
    "Oracle latency: the stale-price losses are the bad-debt columns; the attack cost is the cheapest manipulation of a route the oracle reads (— where it reads none the spec prices, as a push feed aggregating off-chain markets); the lag gap is how far a push feed's answer can trail the market with a working deviation trigger, δ + z·σ·√latency with z = 3 unless the attack options say otherwise (REFERENCES.md §4.3): what a borrower can take against a stale price, for free.".to_string(),
    "Validator dispersion: the spec's validator set against sets reshaped in memory, more concentrated (the three or the two largest entities under one operator: a merger, a takeover, collusion) and more dispersed (the largest entity split into two or three independent parts of equal stake). Entities are operators where the data names them, else validators; aggregates such as `Other` are many unrelated stakers and are never merged or split. Nakamoto L / S: the fewest entities whose stake crosses the liveness / safety threshold, aggregates counted as one entity, as the data has them; to corrupt L / S: the same with aggregates left out, the parties a censor must win over.".to_string(),
    "The cheapest consensus attack commits only the stake the threshold needs, and what that stake stands to lose (leak, slashing, or the stake itself) does not depend on how many parties hold it: dispersion moves how many independent parties must be corrupted, not the capital at stake, so its attack cost stays put. Stake price: the capital moves with the stake asset's price, which falls in the same crash that creates bad debt.".to_string()];
    let table = Table {
        caption: "Risk sensitivity (base rows marked *)".into(),
        headers: [
            "driver",
            "parameter",
            "setting",
            "mean bad debt",
            "VaR 99 %",
            "P(insolvency)",
            "attack cost",
            "lag gap",
            "Nakamoto L / S",
            "to corrupt L / S",
        ]
        .iter()
        .map(|h| h.to_string())
        .collect(),
        rows: s
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.driver.clone(),
                    r.parameter.clone(),
                    format!("{}{}", r.setting, if r.base { " *" } else { "" }),
                    opt_usd(r.bad_debt_mean_usd),
                    opt_usd(r.var99_usd),
                    r.prob_insolvency.map_or("—".into(), pct),
                    opt_usd(r.attack_cost_usd),
                    r.oracle_lag_gap.map_or("—".into(), pct),
                    pair(r.nakamoto, r.nakamoto_safety),
                    pair(r.coalition_liveness, r.coalition_safety),
                ]
            })
            .collect(),
    };
    let mut charts = Vec::new();
    if with_charts {
        let base = s.rows.iter().find(|r| r.base && r.var99_usd.is_some()).and_then(|r| r.var99_usd);
        if let Some(base) = base {
            let mut bars = Vec::new();
            for parameter in s.rows.iter().map(|r| &r.parameter).collect::<std::collections::BTreeSet<_>>() {
                let v: Vec<f64> =
                    s.rows.iter().filter(|r| &r.parameter == parameter).filter_map(|r| r.var99_usd).collect();
                if v.len() > 1 {
                    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    bars.push((parameter.clone(), lo / 1e6, hi / 1e6));
                }
            }
            let title = "VaR 99 % of bad debt across each driver's settings";
            charts.push(Chart {
                id: "sensitivity-tornado".into(),
                title: title.into(),
                svg: charts::tornado(title, base / 1e6, &bars, "VaR 99 % (USD millions)")?,
            });
        }
    }
    let mut out = vec![Section { title: "Risk sensitivity".into(), notes, tables: vec![table], charts }];
    if let Some(r) = &s.recommendations {
        out.push(recommendation_section(r, with_charts)?);
    }
    Ok(out)
}

/// The recommendations as a section: one table of bounds with intervals, SmartLTV beside
/// them and why they differ.
pub(crate) fn recommendation_section(r: &Recommendations, with_charts: bool) -> Result<Section, ReportError> {
    let mut notes = vec![format!(
        "Target: {}. Market: {}. {} paths per evaluation, seed {} at every evaluation (common random numbers); intervals at ±{} standard errors, the bisection's resolution included.",
        r.target, r.market, r.paths, r.seed, r.z
    )];
    let mut bounds = Table {
        caption: "Bounds that meet the target, per reserve (interval: conservative to optimistic)".into(),
        headers: ["parameter", "asset", "spec", "bound", "interval", "spec meets target"]
            .iter()
            .map(|h| h.to_string())
            .collect(),
        rows: Vec::new(),
    };
    for l in &r.levers {
        if let Some(n) = &l.note {
            notes.push(format!("{}: {n}.", l.coordinate));
        }
        if l.values.is_empty() {
            bounds.rows.push(vec![
                l.coordinate.clone(),
                "—".into(),
                "—".into(),
                "none found".into(),
                "—".into(),
                if l.spec_meets { "yes" } else { "no" }.into(),
            ]);
        }
        for v in &l.values {
            let f = |x: f64| match l.lever {
                Lever::Caps => format!("{x:.0}"),
                _ => format!("{x:.4}"),
            };
            bounds.rows.push(vec![
                v.parameter.clone(),
                v.asset.clone(),
                v.spec.map_or("none".into(), f),
                f(v.value),
                format!("{} to {}", f(v.low), f(v.high)),
                if l.spec_meets { "yes" } else { "no" }.into(),
            ]);
        }
    }
    let smart = Table {
        caption: "SmartLTV (REFERENCES.md §6.4): LTV = exp(−c·σ/√(l/d)) − β".into(),
        headers: ["asset", "σ", "l (depth at β)", "d (debt)", "β", "c", "SmartLTV", "spec LTV"]
            .iter()
            .map(|h| h.to_string())
            .collect(),
        rows: r
            .smart_ltv
            .iter()
            .map(|s| {
                vec![
                    s.asset.clone(),
                    format!("{:.4}", s.sigma),
                    usd(s.liquidity_usd),
                    usd(s.debt_usd),
                    format!("{:.3}", s.bonus),
                    format!("{:.2}", s.c),
                    format!("{:.4}", s.ltv),
                    format!("{:.4}", s.spec_ltv),
                ]
            })
            .collect(),
    };
    notes.extend(r.comparison.iter().cloned());
    let mut charts = Vec::new();
    if with_charts {
        for l in r.levers.iter().filter(|l| l.evaluations.len() > 2) {
            let mut pts: Vec<(f64, f64)> = l.evaluations.iter().map(|e| (e.x, e.figure)).collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            pts.dedup_by(|a, b| a.0 == b.0);
            let limit = vec![(pts[0].0, bound_of(r)), (pts[pts.len() - 1].0, bound_of(r))];
            let id = format!(
                "recommend-{}",
                serde_json::to_value(l.lever).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
            );
            let title = format!("{}: the target's figure against {}", r.market, l.coordinate);
            charts.push(Chart {
                id,
                svg: charts::line_chart(
                    &title,
                    &[Line { label: "estimate".into(), points: pts }, Line { label: "target".into(), points: limit }],
                    &l.coordinate,
                    &r.target,
                )?,
                title,
            });
        }
    }
    Ok(Section { title: "Recommended parameters".into(), notes, tables: vec![bounds, smart], charts })
}

fn bound_of(r: &Recommendations) -> f64 {
    r.target.parse::<bulwark_sim::recommend::Target>().map_or(0.0, |t| t.bound())
}

/// A sweep as a section: the tidy table and its chart (lines for one axis, a heatmap
/// for two, a tornado for one-at-a-time).
pub(crate) fn sweep_section(r: &SweepResult, with_charts: bool) -> Result<Section, ReportError> {
    let notes = vec![format!(
        "Market {}; {} paths per point, seed {} at every point (common random numbers); {} price model(s).",
        r.market, r.paths, r.seed, r.price_models
    )];
    let mut headers: Vec<String> = r.axes.iter().map(|a| a.path.clone()).collect();
    headers.extend(
        ["mean bad debt", "± s.e.", "VaR 99 %", "VaR 99 % / debt", "P(insolvency)", "liquidated"]
            .iter()
            .map(|s| s.to_string()),
    );
    let rows = r
        .points
        .iter()
        .map(|p| {
            let mut row: Vec<String> =
                p.values.iter().zip(&r.axes).map(|(v, a)| v.map_or("spec".into(), |x| axis_label(a, x))).collect();
            let m = &p.metrics;
            row.extend([
                usd(m.bad_debt_mean_usd),
                usd(m.bad_debt_mean_se),
                usd(m.var99_usd),
                pct(m.var99_share),
                pct(m.prob_insolvency),
                usd(m.liquidated_mean_usd),
            ]);
            row
        })
        .collect();
    let mut charts = Vec::new();
    if with_charts {
        charts.push(sweep_chart(r)?);
    }
    Ok(Section {
        title: "Sweep".into(),
        notes,
        tables: vec![Table { caption: "One row per point".into(), headers, rows }],
        charts,
    })
}

fn axis_label(a: &Axis, x: f64) -> String {
    if a.duration { bulwark_spec::units::format_duration(x) } else { fmt(x) }
}

fn sweep_chart(r: &SweepResult) -> Result<Chart, ReportError> {
    let var = |p: &bulwark_sim::sweep::SweepPoint| p.metrics.var99_usd / 1e6;
    let (id, title, svg) = match (r.mode, r.axes.as_slice()) {
        (SweepMode::Grid, [a]) => {
            let title = format!("Bad debt against {}", a.path);
            let pts = |f: &dyn Fn(&bulwark_sim::sweep::SweepPoint) -> f64| {
                r.points.iter().map(|p| (p.values[0].unwrap_or(f64::NAN), f(p))).collect::<Vec<_>>()
            };
            let lines = [
                Line { label: "VaR 99 %".into(), points: pts(&var) },
                Line { label: "mean".into(), points: pts(&|p| p.metrics.bad_debt_mean_usd / 1e6) },
            ];
            ("sweep-lines", title.clone(), charts::line_chart(&title, &lines, &a.path, "bad debt (USD millions)")?)
        }
        (SweepMode::Grid, [a, b]) => {
            let title = format!("VaR 99 % of bad debt (USD millions) over {} × {}", a.path, b.path);
            let nb = b.values.len();
            let z: Vec<Vec<f64>> = (0..a.values.len())
                .map(|i| (0..nb).map(|j| r.points.get(i * nb + j).map_or(f64::NAN, var)).collect())
                .collect();
            let xs: Vec<String> = a.values.iter().map(|v| axis_label(a, v.number)).collect();
            let ys: Vec<String> = b.values.iter().map(|v| axis_label(b, v.number)).collect();
            (
                "sweep-heatmap",
                title.clone(),
                charts::heatmap(&title, &xs, &ys, &z, (&a.path, &b.path), &|v| format!("{v:.1}"))?,
            )
        }
        _ => {
            let title = "VaR 99 % of bad debt, one parameter at a time (USD millions)".to_string();
            let base = r.points.first().map_or(0.0, var);
            let bars: Vec<(String, f64, f64)> = r
                .axes
                .iter()
                .enumerate()
                .map(|(k, a)| {
                    let v: Vec<f64> = r.points.iter().filter(|p| p.values[k].is_some()).map(var).collect();
                    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    (a.path.clone(), lo, hi)
                })
                .collect();
            ("sweep-tornado", title.clone(), charts::tornado(&title, base, &bars, "VaR 99 % (USD millions)")?)
        }
    };
    Ok(Chart { id: id.into(), title, svg })
}
