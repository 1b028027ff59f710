//! The cost-of-attack section: every vector's CoC against its PfC with the slack and
//! verdict, the breakdowns and assumptions, the validator set's dispersion along every
//! dimension, and two charts (CoC against PfC; Lorenz curves by dimension).

use bulwark_attack::dispersion::{Dimension, group};
use bulwark_attack::{AttackAssessment, CostKind, PfcBasis, Verdict};
use bulwark_spec::data::validators::ValidatorSet;

use crate::ReportError;
use crate::charts;
use crate::document::{Chart, Section, Table};
use crate::format::{pct, usd};

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

fn verdict(v: Verdict) -> &'static str {
    match v {
        Verdict::Secure => "secure",
        Verdict::AtRisk => "AT RISK",
        Verdict::Insecure => "INSECURE",
        Verdict::Unknown => "unknown (no PfC)",
    }
}

/// The cost-of-attack sections. `validators` draws the Lorenz curves by dimension.
/// With `detail`, the assumptions behind every vector are listed too (Markdown, HTML).
pub(crate) fn sections(
    a: &AttackAssessment,
    validators: Option<&ValidatorSet>,
    with_charts: bool,
    detail: bool,
) -> Result<Vec<Section>, ReportError> {
    let mut out = vec![vectors(a, with_charts, detail)?];
    if !a.dispersion.is_empty() {
        out.push(dispersion(a, validators, with_charts)?);
    }
    Ok(out)
}

fn vectors(a: &AttackAssessment, with_charts: bool, detail: bool) -> Result<Section, ReportError> {
    let mut notes = vec![format!(
        "For each vector: the cost of corruption (CoC), the profit from corruption (PfC), the slack γ = CoC/PfC − 1 (floored), and a verdict: insecure when CoC ≤ PfC, at risk when γ < {}.",
        a.at_risk_below
    )];
    match (&a.weakest_vector, a.minimum_slack) {
        (Some(v), Some(g)) => notes.push(format!("Weakest vector: {v} (γ = {g:.3}).")),
        _ => notes.push("No vector has a PfC to compare with: verdicts are unknown.".into()),
    }
    let table = Table {
        caption: "Attack vectors".into(),
        headers: row(&["vector", "CoC", "PfC", "γ", "verdict"]),
        rows: a
            .vectors
            .iter()
            .map(|v| {
                vec![
                    v.vector.clone(),
                    usd(v.coc_usd),
                    v.pfc_usd.map_or("—".into(), usd),
                    v.slack.map_or("—".into(), |g| format!("{g:.3}")),
                    verdict(v.verdict).to_string(),
                ]
            })
            .collect(),
    };
    let breakdown = Table {
        caption: "What each CoC is made of".into(),
        headers: row(&["vector", "part", "kind", "USD"]),
        rows: a
            .vectors
            .iter()
            .flat_map(|v| {
                v.breakdown.iter().map(move |item| {
                    vec![
                        short(&v.vector),
                        item.label.clone(),
                        match item.kind {
                            CostKind::Acquired => "acquired",
                            CostKind::Destroyed => "destroyed",
                            CostKind::Time => "time",
                        }
                        .to_string(),
                        usd(item.usd),
                    ]
                })
            })
            .collect(),
    };
    let pfc = Table {
        caption: "Where each PfC comes from".into(),
        headers: row(&["vector", "PfC basis"]),
        rows: a
            .vectors
            .iter()
            .map(|v| {
                let basis = match &v.pfc_basis {
                    PfcBasis::Input(s) => format!("input: {s}"),
                    PfcBasis::Estimate(s) => format!("estimate: {s}"),
                    PfcBasis::Unknown(s) => format!("unknown: {s}"),
                };
                vec![short(&v.vector), basis]
            })
            .collect(),
    };
    let mut tables = vec![table, breakdown, pfc];
    if detail {
        tables.push(Table {
            caption: "Assumptions behind each vector".into(),
            headers: row(&["vector", "assumption"]),
            rows: a
                .vectors
                .iter()
                .flat_map(|v| {
                    v.assumptions.iter().map(move |x| vec![short(&v.vector), x.trim_end_matches('.').to_string()])
                })
                .collect(),
        });
    } else {
        notes.push("Assumptions behind each vector: --format md, or report.md.".into());
    }
    if !a.committees.is_empty() {
        tables.push(Table {
            caption: "Committees, keys merged by entity".into(),
            headers: row(&[
                "committee",
                "k-of-n",
                "entities to forge",
                "entities to halt",
                "cost to forge",
                "cost to halt",
            ]),
            rows: a
                .committees
                .iter()
                .map(|c| {
                    let n = |x: Option<usize>| x.map_or("?".into(), |x| x.to_string());
                    let cost = |x: Option<f64>| x.map_or("?".into(), usd);
                    vec![
                        c.name.clone(),
                        format!("{}-of-{}", c.threshold, c.size),
                        n(c.entities_to_forge),
                        n(c.entities_to_halt),
                        cost(c.forge_cost_usd),
                        cost(c.halt_cost_usd),
                    ]
                })
                .collect(),
        });
    }
    if !a.oracles.is_empty() {
        let route = |r: &Option<bulwark_attack::oracle::RouteAt>| {
            r.as_ref().map_or("none".to_string(), |r| {
                format!("×{:.3} via {} (CoC {}, PfC {})", r.factor, r.route, usd(r.coc_usd), usd(r.pfc_usd))
            })
        };
        tables.push(Table {
            caption: "Oracle manipulation per asset: the cheapest route at a 10 % move and the smallest move that pays"
                .into(),
            headers: row(&[
                "asset",
                "oracle",
                "cheapest (routes it reads)",
                "smallest profitable move",
                "smallest, if it read every venue",
            ]),
            rows: a
                .oracles
                .iter()
                .map(|m| {
                    vec![
                        m.asset.clone(),
                        m.oracle.clone(),
                        route(&m.cheapest),
                        route(&m.smallest_profitable_move),
                        route(&m.smallest_profitable_move_if_read),
                    ]
                })
                .collect(),
        });
    }
    if let Some(r) = &a.restaking {
        let g = |x: Option<f64>| x.map_or("—".into(), |g| format!("{g:.3}"));
        tables.push(Table {
            caption: format!(
                "Restaking: {} ({} validators, {} services; Durvasula and Roughgarden)",
                r.name, r.validators, r.services
            ),
            headers: row(&["check", "result"]),
            rows: vec![
                row(&[
                    "EigenLayer condition (Eq. 3) for every validator",
                    &r.eigenlayer_condition_holds.map_or("—".into(), |h| {
                        if h { "holds".into() } else { format!("fails for {}", r.eigenlayer_violators.join(", ")) }
                    }),
                ]),
                row(&["γ* (polynomial proxy)", &g(r.gamma_star)]),
                row(&["γ exact (most profitable or binding attack)", &g(r.gamma_exact)]),
                row(&[
                    "secure (no attack with π_A > σ_B)",
                    match r.secure {
                        Some(true) => "yes",
                        Some(false) => "NO",
                        None => "not decided",
                    },
                ]),
                row(&[
                    "cascade bound R_ψ < k·ψ (Theorem 1)",
                    &r.cascade_bound_per_psi.map_or("none (γ ≤ 0)".into(), |k| format!("k = {k:.3}")),
                ]),
                row(&[
                    "services with profit and no stake",
                    &if r.unguarded_services.is_empty() { "none".into() } else { r.unguarded_services.join(", ") },
                ]),
            ],
        });
    }
    let charts = if with_charts && !a.vectors.is_empty() {
        let bars: Vec<(String, f64, Option<f64>)> =
            a.vectors.iter().map(|v| (short(&v.vector), v.coc_usd, v.pfc_usd)).collect();
        vec![Chart {
            id: "coc-pfc".into(),
            title: "Cost of corruption against profit from corruption".into(),
            svg: charts::coc_against_pfc("CoC (blue) against PfC (red), log scale", &bars)?,
        }]
    } else {
        Vec::new()
    };
    Ok(Section { title: "Cost of attack".into(), notes, tables, charts })
}

fn short(vector: &str) -> String {
    let s: String = vector.chars().take(60).collect();
    if vector.chars().count() > 60 { format!("{s}…") } else { s }
}

fn dispersion(
    a: &AttackAssessment,
    validators: Option<&ValidatorSet>,
    with_charts: bool,
) -> Result<Section, ReportError> {
    let table = Table {
        caption: "Dispersion of active stake by dimension (Nakamoto: fewest entities holding more than 1/3 and 2/3)"
            .into(),
        headers: row(&[
            "dimension",
            "entities",
            "NC > 1/3",
            "NC > 2/3",
            "Gini",
            "HHI",
            "entropy (bits)",
            "Theil",
            "largest",
        ]),
        rows: a
            .dispersion
            .iter()
            .map(|d| {
                vec![
                    Dimension::name(d.dimension).to_string(),
                    d.entities.to_string(),
                    d.metrics.nakamoto.one_third.to_string(),
                    d.metrics.nakamoto.two_thirds.to_string(),
                    format!("{:.3}", d.metrics.gini),
                    format!("{:.0}", d.metrics.hhi),
                    format!("{:.2}", d.metrics.entropy_bits),
                    format!("{:.3}", d.metrics.theil),
                    d.largest.first().map_or(String::new(), |h| format!("{} ({})", h.name, pct(h.share))),
                ]
            })
            .collect(),
    };
    let mut notes = Vec::new();
    for f in &a.correlated_failure {
        let names =
            |v: &[(String, f64)]| v.iter().map(|(n, s)| format!("{n} ({})", pct(*s))).collect::<Vec<_>>().join(", ");
        let line = match (f.halts_liveness.is_empty(), f.threatens_safety.is_empty()) {
            (true, _) => format!("No single {} holds more than 1/3 of stake", Dimension::name(f.dimension)),
            (false, true) => {
                format!("Losing one {} halts liveness: {}", Dimension::name(f.dimension), names(&f.halts_liveness))
            }
            (false, false) => format!(
                "Losing one {} halts liveness ({}), and a bug in {} threatens safety",
                Dimension::name(f.dimension),
                names(&f.halts_liveness),
                names(&f.threatens_safety)
            ),
        };
        notes.push(format!(
            "{line}; fewest {}s past 1/3: {}, past 2/3: {}.",
            Dimension::name(f.dimension),
            opt(f.nakamoto_one_third),
            opt(f.nakamoto_two_thirds)
        ));
    }
    let charts = match (with_charts, validators) {
        (true, Some(set)) => {
            let curves: Vec<(String, Vec<(f64, f64)>)> = Dimension::ALL
                .iter()
                .filter_map(|d| Some((Dimension::name(*d).to_string(), lorenz(&group(set, *d)?))))
                .collect();
            vec![Chart {
                id: "lorenz-dimensions".into(),
                title: "Lorenz curves of stake by dimension".into(),
                svg: charts::lorenz_curves("Lorenz curves of active stake by dimension", &curves)?,
            }]
        }
        _ => Vec::new(),
    };
    Ok(Section { title: "Validator dispersion".into(), notes, tables: vec![table], charts })
}

fn opt(x: Option<usize>) -> String {
    x.map_or("not reached".into(), |x| x.to_string())
}

/// The Lorenz curve of grouped stakes (sorted descending), at most about 200 points.
fn lorenz(groups: &[(String, u128)]) -> Vec<(f64, f64)> {
    let n = groups.len();
    let total: f64 = groups.iter().map(|(_, s)| *s as f64).sum();
    let stride = n.div_ceil(200).max(1);
    let mut points = vec![(0.0, 0.0)];
    let mut acc = 0.0;
    for (i, (_, s)) in groups.iter().rev().enumerate() {
        acc += *s as f64;
        if (i + 1) % stride == 0 || i + 1 == n {
            points.push(((i + 1) as f64 / n as f64, if total > 0.0 { acc / total } else { 0.0 }));
        }
    }
    points
}
