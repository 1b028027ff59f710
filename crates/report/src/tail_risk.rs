//! The tail-risk section: the bad-debt distribution of each market under the spec's
//! scenario, with standard errors, the worst paths' stories and three charts.

use bulwark_sim::simulate::SimReport;

use crate::ReportError;
use crate::charts;
use crate::document::{Chart, Section, Table};
use crate::format::{pct, usd};

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

/// One section per simulated market.
pub(crate) fn sections(reports: &[SimReport], with_charts: bool) -> Result<Vec<Section>, ReportError> {
    reports.iter().enumerate().map(|(i, r)| section(r, i, with_charts)).collect()
}

fn section(r: &SimReport, index: usize, with_charts: bool) -> Result<Section, ReportError> {
    let s = &r.summary;
    let e = &s.std_error;
    let pm = |v: f64, se: f64| format!("{} ± {}", usd(v), usd(se));
    let pp = |v: f64, se: f64| format!("{} ± {}", pct(v), pct(se));
    let mut notes = vec![format!(
        "{} paths, seed {}, {} engine; total debt {}. Bad debt is debt left without collateral plus the shortfall of positions underwater at the horizon, at market prices.",
        s.paths,
        s.seed,
        match s.engine {
            bulwark_sim::run::EngineKind::Buckets => "bucket",
            bulwark_sim::run::EngineKind::Exact => "exact",
        },
        usd(s.total_debt_usd)
    )];
    notes.extend(r.assumptions.iter().map(|a| format!("Model: {a}.")));
    let estimates = Table {
        caption: "Bad debt at the horizon (± one Monte Carlo standard error)".into(),
        headers: row(&["figure", "estimate", "note"]),
        rows: vec![
            row(&["mean bad debt", &pm(s.bad_debt.mean, e.bad_debt_mean), ""]),
            row(&["median", &pm(s.bad_debt.p50, e.bad_debt_p50), ""]),
            row(&["VaR 95 %", &pm(s.var95_usd, e.var95_usd), "95th percentile (Chaos Labs' VaR)"]),
            row(&["VaR 99 %", &pm(s.var99_usd, e.var99_usd), "99th percentile (extreme VaR)"]),
            row(&["CVaR 99 %", &pm(s.cvar99_usd, e.cvar99_usd), "mean of the worst 1 %"]),
            row(&["max", &usd(s.bad_debt.max), ""]),
            row(&["P(insolvency)", &pp(s.prob_insolvency, e.prob_insolvency), "bad debt above 1 % of debt (Gauntlet)"]),
            row(&["P(any bad debt)", &pp(s.prob_any_bad_debt, e.prob_any_bad_debt), ""]),
            row(&[
                "liquidations at risk",
                &pm(s.liquidations_at_risk_usd, e.liquidations_at_risk_usd),
                "95th percentile of debt liquidated",
            ]),
            row(&["liquidated volume", &pm(s.liquidated_volume, e.liquidated_volume), "mean debt liquidated per path"]),
            row(&[
                "time to first bad debt",
                &s.time_to_first_bad_debt_s.map_or("none".into(), |t| format!("{:.1} h", t / 3600.0)),
                "mean over paths with bad debt",
            ]),
        ],
    };
    let worst = Table {
        caption: "Worst paths (re-run any with --seed and its index)".into(),
        headers: row(&["path", "bad debt", "liquidated", "first bad debt"]),
        rows: s
            .worst_paths
            .iter()
            .map(|w| {
                vec![
                    w.path.to_string(),
                    usd(w.bad_debt_usd),
                    usd(w.liquidated_usd),
                    w.first_bad_debt_s.map_or("—".into(), |t| format!("{:.1} h", t / 3600.0)),
                ]
            })
            .collect(),
    };
    let mut tables = vec![estimates, worst];
    if let Some(story) = r.stories.first() {
        let notable: Vec<_> =
            story.steps.iter().filter(|st| st.liquidated_usd > 0.0 || st.bad_debt_usd > 0.0).take(12).collect();
        tables.push(Table {
            caption: format!("The worst path (#{}), {}: when it liquidated and wrote off", story.path, story.asset),
            headers: row(&["time", "market", "oracle", "slippage", "liquidated", "written off"]),
            rows: notable
                .iter()
                .map(|st| {
                    vec![
                        format!("{:.2} h", st.t_s / 3600.0),
                        usd(st.market),
                        usd(st.oracle),
                        pct(st.slippage),
                        usd(st.liquidated_usd),
                        usd(st.bad_debt_usd),
                    ]
                })
                .collect(),
        });
    }
    let charts = if with_charts {
        vec![
            Chart {
                id: format!("bad-debt-{index}"),
                title: format!("{}: paths by bad debt", r.market),
                svg: charts::bad_debt_histogram(&format!("{}: paths by bad debt", r.market), &r.bad_debt_histogram)?,
            },
            Chart {
                id: format!("fan-{index}"),
                title: format!("{}: {} price, 5–95 % of paths, worst paths in red", r.market, r.fan.asset),
                svg: charts::fan_chart(&format!("{} market price across paths", r.fan.asset), &r.fan)?,
            },
            Chart {
                id: format!("liquidations-{index}"),
                title: format!("{}: mean debt liquidated over time", r.market),
                svg: charts::liquidations_over_time(
                    &format!("{}: mean debt liquidated per interval", r.market),
                    &r.liquidations_over_time,
                )?,
            },
        ]
    } else {
        Vec::new()
    };
    Ok(Section { title: format!("Tail risk: {}", r.market), notes, tables, charts })
}
