//! Global sensitivity (`bulwark sweep --sobol`): each input's first-order and total Sobol
//! indices with their bootstrap intervals, as a table, a chart and a folder of files.

use std::path::{Path, PathBuf};

use bulwark_sim::sobol::{Estimate, Input, SobolAnalysis};
use bulwark_sim::sweep::csv_cell;

use crate::charts::{self, IndexBar};
use crate::document::{Chart, Section, Table};
use crate::format::{pct, usd};
use crate::{Format, ReportError, render, write_folder};

/// Intervals wider than this get a note: more rows would narrow them.
const WIDE_INTERVAL: f64 = 0.2;
/// How far an estimate may stray from `0 ≤ S ≤ ST ≤ 1` before a note calls it sampling
/// error (absolute, on shares of variance).
const DISORDER: f64 = 0.01;

/// Renders a Sobol analysis (`bulwark sweep --sobol`) as text or Markdown; JSON is the
/// analysis itself.
///
/// # Errors
/// [`ReportError`] if the JSON cannot be made.
pub fn render_sobol(a: &SobolAnalysis, format: Format) -> Result<String, ReportError> {
    Ok(match format {
        Format::Json => serde_json::to_string_pretty(a)? + "\n",
        Format::Text => render::text(&[section(a, false)?]),
        Format::Markdown => render::markdown(&[section(a, false)?]),
    })
}

/// Writes a Sobol analysis's folder: `sobol.csv` (one row per input), `sobol.json`,
/// `sobol.md`, `index.html` and the chart as `sobol.svg`.
///
/// # Errors
/// [`ReportError::Write`] naming the file that could not be written; [`ReportError::Chart`]
/// if the chart cannot be drawn.
pub fn write_sobol(dir: &Path, a: &SobolAnalysis) -> Result<Vec<PathBuf>, ReportError> {
    let json = serde_json::to_string_pretty(a)? + "\n";
    write_folder(dir, "sobol", "Sobol indices", Some(to_csv(a)), json, &[section(a, true)?])
}

/// One row per input: its range, then each index with its interval.
fn to_csv(a: &SobolAnalysis) -> String {
    let mut out = String::from("path,low,high,first,first_low,first_high,total,total_low,total_high\n");
    for i in &a.inputs {
        let (f, t) = (i.first, i.total);
        let path = csv_cell(&i.input.path);
        out.push_str(&format!(
            "{path},{},{},{},{},{},{},{},{}\n",
            i.input.low, i.input.high, f.value, f.low, f.high, t.value, t.low, t.high
        ));
    }
    out
}

fn figure(a: &SobolAnalysis, x: f64) -> String {
    if a.metric.is_usd() { usd(x) } else { pct(x) }
}

fn bound(i: &Input, x: f64) -> String {
    if i.duration { bulwark_spec::units::format_duration(x) } else { format!("{x}") }
}

fn index(x: f64) -> String {
    format!("{x:.3}")
}

fn interval(e: &Estimate) -> String {
    format!("[{:.3}, {:.3}]", e.low, e.high)
}

/// The analysis as a section: notes on what was run and how to read it, the table (the
/// largest total index first) and, with `with_charts`, the bar chart.
pub(crate) fn section(a: &SobolAnalysis, with_charts: bool) -> Result<Section, ReportError> {
    let d = a.inputs.len();
    let mut notes = vec![
        format!(
            "Market {}; {} base rows, {} simulations (n (d + 2) with d = {d}) of {} paths each; seed {} for the \
             design, every simulation (common random numbers) and the bootstrap.",
            a.market, a.rows, a.evaluations, a.paths, a.seed
        ),
        format!(
            "Each input is drawn uniformly from its range. S: the share of the variance of the {} that the input \
             explains alone; ST: with all its interactions. An ST near 0 means the input can be fixed anywhere in \
             its range. Intervals: 95 % percentile bootstrap over the rows ({} resamples).",
            a.metric.describe(),
            a.resamples
        ),
    ];
    if a.output_sd > 0.0 {
        let sum: f64 = a.inputs.iter().map(|i| i.first.value).sum();
        notes.push(format!(
            "Over these ranges the {} has mean {} and standard deviation {}. The first-order indices sum to {:.3}: \
             what falls short of 1 is the share of interactions; a sum above 1 is sampling error.",
            a.metric.describe(),
            figure(a, a.output_mean),
            figure(a, a.output_sd),
            sum
        ));
    } else {
        notes.push(format!(
            "The {} is {} at every simulation: it does not vary over these ranges, so the indices (0) say nothing \
             about the inputs. Widen the ranges, or pick a metric that moves (--metric).",
            a.metric.describe(),
            figure(a, a.output_mean)
        ));
    }
    let wide = a
        .inputs
        .iter()
        .any(|i| i.total.high - i.total.low > WIDE_INTERVAL || i.first.high - i.first.low > WIDE_INTERVAL);
    let disordered = a.inputs.iter().any(|i| {
        let (s, st) = (i.first.value, i.total.value);
        s < -DISORDER || st > 1.0 + DISORDER || s > st + DISORDER
    });
    if wide || disordered {
        notes.push(format!(
            "In theory 0 ≤ S ≤ ST ≤ 1; estimates out of that order, and intervals wider than {WIDE_INTERVAL}, are \
             sampling error, which shrinks as 1/√n: more base rows (--sobol) narrow it."
        ));
    }
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&x, &y| a.inputs[y].total.value.total_cmp(&a.inputs[x].total.value));
    let rows = order
        .iter()
        .map(|&k| {
            let i = &a.inputs[k];
            vec![
                i.input.path.clone(),
                format!("{} – {}", bound(&i.input, i.input.low), bound(&i.input, i.input.high)),
                index(i.first.value),
                interval(&i.first),
                index(i.total.value),
                interval(&i.total),
            ]
        })
        .collect();
    let headers = ["input", "range", "S (first order)", "95 % interval", "ST (total)", "95 % interval"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut charts = Vec::new();
    if with_charts {
        let title = format!("Sobol indices of the {}", a.metric.describe());
        let bars: Vec<IndexBar> = a
            .inputs
            .iter()
            .map(|i| IndexBar {
                label: i.input.path.clone(),
                first: (i.first.value, i.first.low, i.first.high),
                total: (i.total.value, i.total.low, i.total.high),
            })
            .collect();
        charts.push(Chart { id: "sobol".into(), title: title.clone(), svg: charts::sobol_indices(&title, &bars)? });
    }
    Ok(Section {
        title: format!("Sobol indices of the {}", a.metric.describe()),
        notes,
        tables: vec![Table { caption: "One row per input, the largest total index first".into(), headers, rows }],
        charts,
    })
}

#[cfg(test)]
mod tests {
    use bulwark_sim::sobol::{InputIndices, SobolMetric};

    use super::*;

    fn estimate(value: f64, low: f64, high: f64) -> Estimate {
        Estimate { value, low, high }
    }

    fn analysis(output_sd: f64) -> SobolAnalysis {
        let input = |path: &str, low: f64, high: f64, duration: bool| Input {
            path: path.into(),
            low,
            high,
            duration,
            integer: false,
        };
        SobolAnalysis {
            market: "m".into(),
            metric: SobolMetric::ProbInsolvency,
            rows: 16,
            evaluations: 64,
            paths: 10,
            seed: 3,
            resamples: 1000,
            output_mean: 0.25,
            output_sd,
            inputs: vec![
                InputIndices {
                    input: input("oracles.WETH.latency", 0.0, 3600.0, true),
                    first: estimate(0.1, 0.05, 0.15),
                    total: estimate(0.2, 0.15, 0.25),
                },
                InputIndices {
                    input: input("markets[0].liquidation_threshold", 0.7, 0.9, false),
                    first: estimate(0.6, 0.5, 0.7),
                    total: estimate(0.8, 0.75, 0.85),
                },
            ],
        }
    }

    #[test]
    fn the_table_puts_the_largest_total_index_first_and_says_how_to_read_it() {
        let text = render_sobol(&analysis(0.1), Format::Text).unwrap();
        let threshold = text.find("markets[0].liquidation_threshold").unwrap();
        let latency = text.find("oracles.WETH.latency").unwrap();
        assert!(threshold < latency, "{text}");
        assert!(text.contains("0s – 1h") && text.contains("0.7 – 0.9"), "ranges in their units: {text}");
        assert!(text.contains("[0.750, 0.850]") && text.contains("0.800"), "{text}");
        assert!(text.contains("64 simulations") && text.contains("seed 3"), "{text}");
        assert!(text.contains("mean 25.0 %") && text.contains("sum to 0.700"), "{text}");
        assert!(!text.contains("does not vary") && !text.contains("0 ≤ S ≤ ST ≤ 1"), "{text}");
        let md = render_sobol(&analysis(0.1), Format::Markdown).unwrap();
        assert!(md.contains("| input | range | S (first order) |"), "{md}");
    }

    #[test]
    fn a_first_order_index_above_the_total_is_called_sampling_error() {
        let mut a = analysis(0.1);
        a.inputs[0].first = estimate(0.3, 0.25, 0.35);
        let text = render_sobol(&a, Format::Text).unwrap();
        assert!(text.contains("0 ≤ S ≤ ST ≤ 1") && text.contains("sampling error"), "{text}");
    }

    #[test]
    fn a_metric_that_does_not_vary_is_named_as_such() {
        let text = render_sobol(&analysis(0.0), Format::Text).unwrap();
        assert!(text.contains("does not vary over these ranges"), "{text}");
    }

    #[test]
    fn the_csv_and_the_chart_carry_every_input() {
        let a = analysis(0.1);
        let csv = to_csv(&a);
        assert_eq!(csv.lines().count(), 3, "{csv}");
        assert!(csv.contains("\noracles.WETH.latency,0,3600,0.1,0.05,0.15,0.2,0.15,0.25\n"), "{csv}");
        let s = section(&a, true).unwrap();
        let svg = &s.charts[0].svg;
        assert!(svg.contains("oracles.WETH.latency") && svg.contains("markets[0].liquidation_threshold"));
        // One bar of each colour per input, and one in the legend.
        assert_eq!(svg.matches("fill=\"#C0392B\"").count(), 2 + 1, "total-index bars: {svg}");
        assert_eq!(svg.matches("fill=\"#2B6CB0\"").count(), 2 + 1, "first-order bars: {svg}");
    }
}
