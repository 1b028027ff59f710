#![doc = include_str!("../README.md")]

mod assessment;
mod charts;
mod document;
mod format;
mod inventory;
mod render;

use std::path::{Path, PathBuf};

pub use assessment::*;
pub use inventory::assess_spec;

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
        Format::Text => render::text(&document::layout(a, false)?),
        Format::Json => serde_json::to_string_pretty(a)? + "\n",
        Format::Markdown => render::markdown(&document::layout(a, false)?),
    })
}

/// Writes the report folder: `report.json`, `report.md`, `index.html` and one SVG per
/// chart. Each file is written to a temporary name and renamed, so a reader never sees
/// half a report file.
///
/// # Errors
/// [`ReportError::Write`] naming the file that could not be written.
pub fn write_report(dir: &Path, a: &Assessment) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Write { path: dir.to_path_buf(), source })?;
    let sections = document::layout(a, true)?;
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
