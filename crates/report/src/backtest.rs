//! Backtests laid out: per crisis window, static and adaptive parameters side by side,
//! and the parameter over time against the price.

use bulwark_sim::backtest::{BacktestRun, WindowResult};

use crate::ReportError;
use crate::charts::{self, Line};
use crate::document::{Chart, Section, Table};
use crate::format::{pct, usd};

/// One section per window; skipped windows are named in the first.
pub(crate) fn sections(
    results: &[WindowResult],
    skipped: &[&str],
    with_charts: bool,
) -> Result<Vec<Section>, ReportError> {
    let mut out = Vec::new();
    let mut notes = vec![
        "Each window replays real hourly prices, interpolated to 10-minute steps, through the spec's book from the spec's prices (relative moves); assets without a series stay flat; the spec's own shocks are removed. The adaptive run applies the controller's liquidation threshold in force when the window's steepest 24-hour fall began to the existing book (the engine holds one threshold per path); capacity forgone is the time average of collateral value × (static LTV − adaptive LTV). The controller (crate guard: EWMA and GARCH volatility, SmartLTV target, steward-bounded moves, tightening at once, loosening after a hold) is calibrated so that its SmartLTV at the spec's long-run volatility equals the spec's LTV; it warms up on the month before each window.".to_string(),
    ];
    if !skipped.is_empty() {
        notes.push(format!("No price series covers these windows for a collateral asset: {}.", skipped.join(", ")));
    }
    out.push(Section { title: "Backtests".into(), notes, tables: Vec::new(), charts: Vec::new() });
    for (i, r) in results.iter().enumerate() {
        out.push(window(r, i, with_charts)?);
    }
    Ok(out)
}

fn window(r: &WindowResult, index: usize, with_charts: bool) -> Result<Section, ReportError> {
    let runs: Vec<&BacktestRun> = std::iter::once(&r.static_run).chain(r.adaptive_run.as_ref()).collect();
    let mut headers = vec!["figure".to_string()];
    headers.extend(runs.iter().map(|x| x.parameters.clone()));
    let row = |name: &str, f: &dyn Fn(&BacktestRun) -> String| {
        let mut v = vec![name.to_string()];
        v.extend(runs.iter().map(|x| f(x)));
        v
    };
    let table = Table {
        caption: format!("{}: static against adaptive parameters", r.window.name),
        headers,
        rows: vec![
            row("bad debt", &|x| usd(x.bad_debt_usd)),
            row("debt liquidated", &|x| usd(x.liquidated_usd)),
            row("liquidation calls", &|x| format!("{:.0}", x.liquidations)),
            row("borrowing capacity forgone (mean)", &|x| usd(x.capacity_forgone_usd)),
            row(&format!("{} liquidation threshold applied", r.asset), &|x| format!("{:.4}", x.liquidation_threshold)),
            row(&format!("{} lowest LTV in the window", r.asset), &|x| {
                format!("{:.4}", x.ltv_path.iter().map(|p| p.1).fold(f64::INFINITY, f64::min))
            }),
        ],
    };
    let notes = vec![format!(
        "{}. Replayed: {}. Worst 24-hour fall of {}: {}.",
        r.window.about,
        r.replayed.join(", "),
        r.asset,
        pct(r.worst_day_fall)
    )];
    let mut charts = Vec::new();
    if with_charts && !r.price.is_empty() {
        let end = r.price.last().map_or(0.0, |p| p.0);
        let extend = |path: &[(f64, f64)]| {
            let mut v = path.to_vec();
            if let Some(&(_, last)) = v.last() {
                v.push((end, last));
            }
            v
        };
        let mut lines = Vec::new();
        for x in &runs {
            lines.push(Line { label: format!("LTV, {}", x.parameters), points: extend(&x.ltv_path) });
            lines.push(Line { label: format!("LT, {}", x.parameters), points: extend(&x.lt_path) });
        }
        let title = format!("{}: {} parameters against its price", r.window.name, r.asset);
        charts.push(Chart {
            id: format!("backtest-{index}"),
            svg: charts::parameter_against_price(&title, &r.price, &lines, &format!("{} (USD)", r.asset), "fraction")?,
            title,
        });
    }
    Ok(Section { title: format!("Backtest: {}", r.window.name), notes, tables: vec![table], charts })
}
