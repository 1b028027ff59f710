//! `bulwark assess [SPEC]`: the main job.

#![allow(clippy::print_stdout)] // stdout is this command's output.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use bulwark_report::{Format, assess_spec, render, write_report};

use crate::progress::Progress;
use crate::{EXIT_BAD_INPUT, Global, OutputFormat, bundled};

pub(crate) fn run(global: &Global, spec: Option<&Path>, out: Option<&Path>) -> anyhow::Result<ExitCode> {
    let progress = Progress::new(global);
    progress.stage("reading the spec and its data");
    let (loaded, label) = match spec {
        Some(path) => (bulwark_spec::load(path), path.display().to_string()),
        None => {
            let (protocol, label) = bundled::load().context("preparing the bundled example")?;
            (protocol, label)
        }
    };
    let protocol = match loaded {
        Ok(p) => p,
        Err(errors) => {
            progress.finish();
            crate::progress::error(&format!("{label} is not a valid spec:\n{errors}"));
            return Ok(ExitCode::from(EXIT_BAD_INPUT));
        }
    };
    let seed = global.seed.unwrap_or(protocol.scenario.seed);
    progress.stage("building the lending books and the stake distribution");
    let assessment = assess_spec(&protocol, &label, seed);
    let format = match global.format {
        OutputFormat::Text => Format::Text,
        OutputFormat::Json => Format::Json,
        OutputFormat::Md => Format::Markdown,
    };
    progress.stage("rendering");
    let summary = render(&assessment, format)?;
    let written = match out {
        Some(dir) => {
            progress.stage(&format!("writing the report to {}", dir.display()));
            Some(
                write_report(dir, &assessment)
                    .with_context(|| format!("writing the report folder {}", dir.display()))?,
            )
        }
        None => None,
    };
    progress.finish();
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(summary.as_bytes()).context("writing to stdout")?;
    stdout.flush().context("writing to stdout")?;
    progress.info(&format!("seed: {seed}"));
    if let (Some(dir), Some(files)) = (out, written) {
        progress.info(&format!(
            "report: {} ({} files; open {})",
            dir.display(),
            files.len(),
            dir.join("index.html").display()
        ));
    }
    Ok(ExitCode::SUCCESS)
}
