#![doc = include_str!("../README.md")]

mod assessment;
mod attack_section;
mod backtest;
mod charts;
mod document;
mod format;
mod inventory;
mod render;
mod sensitivity;
mod sobol;
mod tail_risk;

use std::path::{Path, PathBuf};

use crate::document::Section;

pub use assessment::*;
pub use inventory::assess_spec;
pub use sensitivity::{Sensitivity, SensitivityRow, risk_sensitivity};
pub use sobol::{render_sobol, write_sobol};

/// Errors making a report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// plotters could not draw a chart.
    #[error("drawing a chart failed: {0}")]
    Chart(String),
    /// The assessment could not be serialized (a non-finite number, say).
    #[error("writing JSON failed: {0}")]
    Json(#[from] serde_json::Error),
    /// A report file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The formats an assessment renders to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// Aligned tables for a terminal.
    Text,
    /// `report.json`.
    Json,
    /// `report.md`.
    Markdown,
}

/// Renders an assessment as text, JSON or Markdown.
///
/// # Errors
/// [`ReportError`] if a chart or the JSON cannot be made.
pub fn render(a: &Assessment, format: Format) -> Result<String, ReportError> {
    Ok(match format {
        Format::Text => render::text(&document::layout(a, None, false, false)?),
        Format::Json => serde_json::to_string_pretty(a)? + "\n",
        Format::Markdown => render::markdown(&document::layout(a, None, false, true)?),
    })
}

/// Renders simulation reports (`bulwark simulate`) as text or Markdown; JSON is the
/// reports themselves.
///
/// # Errors
/// [`ReportError`] if a chart or the JSON cannot be made.
pub fn render_simulation(reports: &[bulwark_sim::simulate::SimReport], format: Format) -> Result<String, ReportError> {
    Ok(match format {
        Format::Json => {
            let first = reports.first().map(|r| &r.summary);
            let doc = serde_json::json!({
                "schema_version": SCHEMA_VERSION,
                "paths": first.map(|s| s.paths),
                "seed": first.map(|s| s.seed),
                "markets": reports,
            });
            serde_json::to_string_pretty(&doc)? + "\n"
        }
        Format::Text => render::text(&tail_risk::sections(reports, false)?),
        Format::Markdown => render::markdown(&tail_risk::sections(reports, false)?),
    })
}

/// Renders an attack assessment (`bulwark attack`) as text or Markdown; JSON is the
/// assessment itself. `validators` lets the Markdown and HTML draw Lorenz curves.
///
/// # Errors
/// [`ReportError`] if the JSON cannot be made.
pub fn render_attack(a: &bulwark_attack::AttackAssessment, format: Format) -> Result<String, ReportError> {
    Ok(match format {
        Format::Json => serde_json::to_string_pretty(a)? + "\n",
        Format::Text => render::text(&attack_section::sections(a, None, false, false)?),
        Format::Markdown => render::markdown(&attack_section::sections(a, None, false, true)?),
    })
}

/// Renders a sweep (`bulwark sweep`) as text or Markdown; JSON is the sweep itself.
///
/// # Errors
/// [`ReportError`] if the JSON cannot be made.
pub fn render_sweep(r: &bulwark_sim::sweep::SweepResult, format: Format) -> Result<String, ReportError> {
    Ok(match format {
        Format::Json => serde_json::to_string_pretty(r)? + "\n",
        Format::Text => render::text(&[sensitivity::sweep_section(r, false)?]),
        Format::Markdown => render::markdown(&[sensitivity::sweep_section(r, false)?]),
    })
}

/// Renders recommendations (`bulwark recommend`) as text or Markdown; JSON is the
/// recommendations themselves.
///
/// # Errors
/// [`ReportError`] if the JSON cannot be made.
pub fn render_recommendations(
    r: &bulwark_sim::recommend::Recommendations,
    format: Format,
) -> Result<String, ReportError> {
    Ok(match format {
        Format::Json => serde_json::to_string_pretty(r)? + "\n",
        Format::Text => render::text(&[sensitivity::recommendation_section(r, false)?]),
        Format::Markdown => render::markdown(&[sensitivity::recommendation_section(r, false)?]),
    })
}

/// Writes a sweep's folder: `sweep.csv` (the tidy table), `sweep.json`, `sweep.md`,
/// `index.html` and the chart as SVG.
///
/// # Errors
/// [`ReportError::Write`] naming the file that could not be written.
pub fn write_sweep(dir: &Path, r: &bulwark_sim::sweep::SweepResult) -> Result<Vec<PathBuf>, ReportError> {
    let section = sensitivity::sweep_section(r, true)?;
    write_folder(dir, "sweep", "Sweep", Some(r.to_csv()), serde_json::to_string_pretty(r)? + "\n", &[section])
}

/// Renders backtests (`bulwark backtest`) as text, Markdown or JSON; `skipped` names the
/// windows no series covers.
///
/// # Errors
/// [`ReportError`] if the JSON cannot be made.
pub fn render_backtest(
    results: &[bulwark_sim::backtest::WindowResult],
    skipped: &[&str],
    format: Format,
) -> Result<String, ReportError> {
    Ok(match format {
        Format::Json => {
            serde_json::to_string_pretty(&serde_json::json!({ "windows": results, "skipped": skipped }))? + "\n"
        }
        Format::Text => render::text(&backtest::sections(results, skipped, false)?),
        Format::Markdown => render::markdown(&backtest::sections(results, skipped, false)?),
    })
}

/// Writes a backtest's folder: `backtest.json`, `backtest.md`, `index.html` and one chart
/// per window (the parameters over time against the price).
///
/// # Errors
/// [`ReportError::Write`] naming the file that could not be written.
pub fn write_backtest(
    dir: &Path,
    results: &[bulwark_sim::backtest::WindowResult],
    skipped: &[&str],
) -> Result<Vec<PathBuf>, ReportError> {
    let sections = backtest::sections(results, skipped, true)?;
    write_folder(dir, "backtest", "Backtests", None, render_backtest(results, skipped, Format::Json)?, &sections)
}

/// Writes a command's folder: `{stem}.csv` (when given), `{stem}.json`, `{stem}.md`,
/// `index.html` titled `title`, and one SVG per chart of `sections`.
fn write_folder(
    dir: &Path,
    stem: &str,
    title: &str,
    csv: Option<String>,
    json: String,
    sections: &[Section],
) -> Result<Vec<PathBuf>, ReportError> {
    let mut files = Vec::new();
    if let Some(csv) = csv {
        files.push((format!("{stem}.csv"), csv));
    }
    files.push((format!("{stem}.json"), json));
    files.push((format!("{stem}.md"), render::markdown(sections)));
    files.push(("index.html".to_string(), render::html(title, sections)));
    for c in sections.iter().flat_map(|s| &s.charts) {
        files.push((format!("{}.svg", c.id), c.svg.clone()));
    }
    write_files(dir, files)
}

/// Writes `(name, body)` files into `dir`, each through a temporary name.
fn write_files(dir: &Path, files: Vec<(String, String)>) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Write { path: dir.to_path_buf(), source })?;
    let mut written = Vec::new();
    for (name, body) in files {
        let path = dir.join(&name);
        let tmp = dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, body)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|source| ReportError::Write { path: path.clone(), source })?;
        written.push(path);
    }
    Ok(written)
}

/// Writes the report folder: `report.json`, `report.md`, `index.html` and one SVG per
/// chart. Each file is written to a temporary name and renamed, so a reader never sees
/// half a report file.
///
/// # Errors
/// [`ReportError::Write`] naming the file that could not be written.
/// `validators`, when given, draws the Lorenz curves of stake by dimension.
pub fn write_report(
    dir: &Path,
    a: &Assessment,
    validators: Option<&bulwark_spec::data::validators::ValidatorSet>,
) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Write { path: dir.to_path_buf(), source })?;
    let sections = document::layout(a, validators, true, true)?;
    let mut files = vec![
        ("report.json".to_string(), serde_json::to_string_pretty(a)? + "\n"),
        ("report.md".to_string(), render::markdown(&sections)),
        ("index.html".to_string(), render::html(&a.protocol.name, &sections)),
    ];
    for s in &sections {
        for c in &s.charts {
            files.push((format!("{}.svg", c.id), c.svg.clone()));
        }
    }
    let mut written = Vec::new();
    for (name, body) in files {
        let path = dir.join(&name);
        let tmp = dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, body)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|source| ReportError::Write { path: path.clone(), source })?;
        written.push(path);
    }
    Ok(written)
}
