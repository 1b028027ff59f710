//! `bulwark assess [SPEC]`: the main job: cost of attack, tail risk and what the spec
//! alone gives, on stdout and in a report folder.

#![allow(clippy::print_stdout)] // stdout is this command's output.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use bulwark_report::{assess_spec, render, write_report};
use bulwark_sim::simulate::{SimError, SimOptions, simulate};

use crate::commands::attack::{AttackArgs, verdict_code};
use crate::progress::Progress;
use crate::{EXIT_BAD_INPUT, FailOn, Global, bundled, output_format};
use bulwark_sim::recommend::{RecommendOptions, Target, recommend};

/// The sensitivity section's settings.
#[derive(clap::Args, Clone)]
pub(crate) struct SensitivityArgs {
    /// Paths per setting in the sensitivity section and per evaluation of the
    /// recommendations (fewer than the tail-risk run: the settings share their paths).
    #[arg(long, default_value_t = 48)]
    sensitivity_paths: u64,
    /// The target the recommendations meet, e.g. `p99 bad debt < 0.5% of debt` or
    /// `P(insolvency) < 1%`.
    #[arg(long, default_value = "p99 bad debt < 0.5% of debt")]
    target: String,
    /// Skip the sensitivity section and the recommendations.
    #[arg(long)]
    no_sensitivity: bool,
}

pub(crate) fn run(
    global: &Global,
    spec: Option<&Path>,
    out: Option<&Path>,
    paths: Option<u64>,
    attack: &AttackArgs,
    fail_on: Option<FailOn>,
    sensitivity: &SensitivityArgs,
) -> anyhow::Result<ExitCode> {
    let progress = Progress::new(global);
    progress.stage("reading the spec and its data");
    let Some((protocol, label)) = bundled::load_spec(spec, &progress)? else {
        return Ok(ExitCode::from(EXIT_BAD_INPUT));
    };
    let seed = global.seed.unwrap_or(protocol.scenario.seed);
    progress.stage("building the lending books and the stake distribution");
    let mut assessment = assess_spec(&protocol, &label, seed);
    progress.stage("pricing every attack vector");
    let attack_assessment = bulwark_attack::assess(&protocol, &attack.options()?);
    let code = verdict_code(&attack_assessment, fail_on);
    assessment.attack = Some(attack_assessment);
    let paths = paths.unwrap_or(protocol.scenario.paths);
    let opts = SimOptions { paths: Some(paths), seed: Some(seed), ..SimOptions::default() };
    progress.begin_count(paths * protocol.markets.len() as u64, "paths");
    assessment.tail_risk = match simulate(&protocol, &opts, &|done, _| progress.set_count(done)) {
        Ok(reports) => reports,
        Err(SimError::NoMarket) => Vec::new(),
        Err(e) => return Err(e).context("simulating the tail risk"),
    };
    if !sensitivity.no_sensitivity && !protocol.markets.is_empty() {
        let target: Target = sensitivity.target.parse()?;
        let text = bundled::spec_text(spec).context("reading the spec")?;
        let n = sensitivity.sensitivity_paths;
        progress.stage(&format!("sensitivity: each driver's settings on {n} common paths"));
        let mut s = bulwark_report::risk_sensitivity(&text, n, seed, &attack.options()?, &|_, _| {})
            .context("computing the risk sensitivity")?;
        let opts = RecommendOptions {
            paths: n,
            seed,
            iterations: 3,
            bonuses: vec![0.03, 0.05, 0.08, 0.12],
            ..RecommendOptions::default()
        };
        s.recommendations = Some(
            recommend(&text, &target, &opts, &|lever| progress.stage(&format!("recommending: {lever}")))
                .context("searching the recommended parameters")?,
        );
        assessment.sensitivity = Some(s);
    }
    progress.stage("rendering");
    let summary = render(&assessment, output_format(global))?;
    let validators = protocol.consensus.as_ref().map(|c| &c.validators);
    let written = match out {
        Some(dir) => {
            progress.stage(&format!("writing the report to {}", dir.display()));
            Some(
                write_report(dir, &assessment, validators)
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
    Ok(code)
}
