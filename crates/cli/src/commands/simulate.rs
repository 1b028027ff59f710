//! `bulwark simulate [SPEC]`: the tail-risk Monte Carlo of every lending market.

#![allow(clippy::print_stdout)] // stdout is this command's output.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use bulwark_report::render_simulation;
use bulwark_sim::run::EngineKind;
use bulwark_sim::simulate::{SimOptions, simulate};

use crate::progress::Progress;
use crate::{EXIT_BAD_INPUT, Global, bundled, output_format};

pub(crate) fn run(global: &Global, spec: Option<&Path>, paths: Option<u64>, exact: bool) -> anyhow::Result<ExitCode> {
    let progress = Progress::new(global);
    progress.stage("reading the spec and its data");
    let Some((protocol, _label)) = bundled::load_spec(spec, &progress)? else {
        return Ok(ExitCode::from(EXIT_BAD_INPUT));
    };
    let seed = global.seed.unwrap_or(protocol.scenario.seed);
    let paths = paths.unwrap_or(protocol.scenario.paths);
    let opts = SimOptions {
        paths: Some(paths),
        seed: Some(seed),
        engine: if exact { EngineKind::Exact } else { EngineKind::Buckets },
        ..SimOptions::default()
    };
    progress.begin_count(paths * protocol.markets.len().max(1) as u64, "paths");
    let reports = simulate(&protocol, &opts, &|done, _total| progress.set_count(done)).context("simulating")?;
    progress.finish();
    let text = render_simulation(&reports, output_format(global))?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes()).context("writing to stdout")?;
    stdout.flush().context("writing to stdout")?;
    progress.info(&format!("seed: {seed}"));
    Ok(ExitCode::SUCCESS)
}
