//! `bulwark attack [SPEC]`: the cost of attack of every vector.

#![allow(clippy::print_stdout)] // stdout is this command's output.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use bulwark_attack::slashing::Fork;
use bulwark_attack::{AttackOptions, Verdict, assess};
use bulwark_report::render_attack;

use crate::progress::Progress;
use crate::{EXIT_BAD_INPUT, EXIT_FINDING, FailOn, Global, bundled, output_format};

/// What `attack` and `assess` share: the fork, the margin and the failure rule.
#[derive(clap::Args, Clone)]
pub(crate) struct AttackArgs {
    /// Ethereum fork whose slashing and churn rules apply.
    #[arg(long, default_value = "electra", value_parser = ["phase0", "altair", "bellatrix", "capella", "deneb", "electra"])]
    pub(crate) fork: String,
    /// Report a vector at risk when its slack γ = CoC/PfC − 1 is below this.
    #[arg(long, default_value_t = bulwark_attack::vector::DEFAULT_AT_RISK_BELOW)]
    pub(crate) at_risk_below: f64,
}

impl AttackArgs {
    pub(crate) fn options(&self) -> anyhow::Result<AttackOptions> {
        let mut opts = AttackOptions { at_risk_below: Some(self.at_risk_below), ..AttackOptions::default() };
        opts.consensus.fork = self.fork.parse::<Fork>().map_err(|e| anyhow::anyhow!("--fork {}: {e}", self.fork))?;
        Ok(opts)
    }
}

/// Exit 1 when `--fail-on` was given and a vector meets it.
pub(crate) fn verdict_code(a: &bulwark_attack::AttackAssessment, fail_on: Option<FailOn>) -> ExitCode {
    let rule = fail_on.map(|f| match f {
        FailOn::Insecure => Verdict::Insecure,
        FailOn::AtRisk => Verdict::AtRisk,
    });
    if rule.is_some_and(|r| a.fails(r)) { ExitCode::from(EXIT_FINDING) } else { ExitCode::SUCCESS }
}

pub(crate) fn run(
    global: &Global,
    spec: Option<&Path>,
    args: &AttackArgs,
    fail_on: Option<FailOn>,
) -> anyhow::Result<ExitCode> {
    let progress = Progress::new(global);
    progress.stage("reading the spec and its data");
    let Some((protocol, _label)) = bundled::load_spec(spec, &progress)? else {
        return Ok(ExitCode::from(EXIT_BAD_INPUT));
    };
    progress.stage("pricing every vector");
    let assessment = assess(&protocol, &args.options()?);
    progress.finish();
    let text = render_attack(&assessment, output_format(global))?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes()).context("writing to stdout")?;
    stdout.flush().context("writing to stdout")?;
    Ok(verdict_code(&assessment, fail_on))
}
