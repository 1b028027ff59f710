//! `bulwark verify light-client FILE`: may a light client that trusts one Tendermint /
//! CometBFT header move its trust to a newer one? The input format is documented in
//! `bulwark_verify::tendermint`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use bulwark_verify::tendermint::{self, Verdict};
use serde_json::json;

use super::read_input;
use crate::{Global, OutputFormat};

/// Exit code when the update is well formed but must not be trusted.
const EXIT_INVALID: u8 = 1;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The update (JSON: trusted block, untrusted block, trusting period, now); `-` reads stdin.
    file: PathBuf,
}

pub(crate) fn run(global: &Global, args: &Args) -> anyhow::Result<ExitCode> {
    let bytes = read_input(&args.file)?;
    let verdict =
        tendermint::verify_json(&bytes).with_context(|| format!("{} is not a valid update", args.file.display()))?;
    let (valid, text, value) = match &verdict {
        Verdict::Valid { height } => (
            true,
            format!("valid: the header at height {height} may be trusted"),
            json!({ "valid": true, "verdict": "valid", "height": height }),
        ),
        Verdict::NotEnoughTrust { tallied, total } => (
            false,
            format!(
                "invalid: not enough trust: signers of the trusted validator set hold {tallied} of {total} voting power, \
                 not more than the trust level; verify an intermediate header first (bisection)"
            ),
            json!({ "valid": false, "verdict": "not_enough_trust", "tallied": tallied, "total": total }),
        ),
        Verdict::Invalid { rule, detail } => (
            false,
            format!("invalid: {rule:?}: {detail}"),
            json!({ "valid": false, "verdict": "invalid", "rule": format!("{rule:?}"), "detail": detail }),
        ),
        other => (false, format!("invalid: {other:?}"), json!({ "valid": false, "verdict": format!("{other:?}") })),
    };
    let out = match global.format {
        OutputFormat::Json => format!("{value:#}\n"),
        _ => format!("{text}\n"),
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes()).context("writing to stdout")?;
    stdout.flush().context("writing to stdout")?;
    Ok(if valid { ExitCode::SUCCESS } else { ExitCode::from(EXIT_INVALID) })
}
