//! `bulwark verify safe-tx FILE`: a Safe transaction's EIP-712 hash and the first
//! `threshold` signatures, checked as Safe's `checkNSignatures` checks them.

#![allow(clippy::print_stdout)] // stdout is this command's output.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use bulwark_verify::safe::{Multisig, SafeTxRequest, SignatureKind};
use serde_json::json;

use super::read_input;
use crate::{Global, OutputFormat};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// JSON document: `safe`, `chain_id`, `version` (1.0.0 to 1.4.1), `owners`,
    /// `threshold`, `tx` (to, value, data, operation, safe_tx_gas, base_gas, gas_price,
    /// gas_token, refund_receiver, nonce), `signatures` (hex), optional `executor` and
    /// `safe_tx_hash`. `-` reads stdin.
    file: PathBuf,
}

/// Prints the verdict and returns exit code 0 (valid) or 1 (invalid).
pub(super) fn verdict(global: &Global, valid: bool, text: &str, mut details: serde_json::Value) -> ExitCode {
    if global.format == OutputFormat::Json {
        details["valid"] = json!(valid);
        if !valid {
            details["reason"] = json!(text);
        }
        println!("{details}");
    } else {
        println!("{}: {text}", if valid { "valid" } else { "invalid" });
    }
    if valid { ExitCode::SUCCESS } else { ExitCode::from(crate::EXIT_FINDING) }
}

pub(crate) fn run(global: &Global, args: &Args) -> anyhow::Result<ExitCode> {
    let bytes = read_input(&args.file)?;
    let req: SafeTxRequest = serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: not a Safe transaction document", args.file.display()))?;
    let safe = Multisig::new(req.safe, req.chain_id, req.version, &req.owners, req.threshold)
        .with_context(|| format!("{}: not a valid Safe configuration", args.file.display()))?;
    let hash = safe.safe_tx_hash(&req.tx);
    let mut details = json!({ "safe_tx_hash": hash.to_string(), "version": req.version.as_str() });
    if let Some(expected) = req.safe_tx_hash
        && expected != hash
    {
        let text = format!("safeTxHash is {hash}, not the {expected} given");
        return Ok(verdict(global, false, &text, details));
    }
    let approval = match safe.check_signatures(hash, &req.signatures, req.executor) {
        Ok(a) => a,
        Err(e) => {
            details["code"] = json!(e.code());
            return Ok(verdict(global, false, &e.to_string(), details));
        }
    };
    let describe = |kind: &SignatureKind| match kind {
        SignatureKind::Ecdsa => "ecdsa",
        SignatureKind::EthSign => "eth_sign",
        SignatureKind::ApprovedHash { .. } => "approved_hash",
        SignatureKind::Contract { .. } => "contract (EIP-1271)",
        _ => "other",
    };
    details["approvals"] = approval
        .signatures
        .iter()
        .map(|s| json!({ "owner": s.owner.to_string(), "kind": describe(&s.kind), "verified": s.is_verified() }))
        .collect();
    let pending = approval.needs_on_chain_check();
    if pending.is_empty() {
        let owners: Vec<String> = approval.approvers().iter().map(ToString::to_string).collect();
        let text = format!("{} of {} owners approved {hash}: {}", owners.len(), req.owners.len(), owners.join(", "));
        Ok(verdict(global, true, &text, details))
    } else {
        let list: Vec<String> = pending.iter().map(|s| format!("{} ({})", s.owner, describe(&s.kind))).collect();
        let text = format!("{} approval(s) need an on-chain check: {}", pending.len(), list.join(", "));
        Ok(verdict(global, false, &text, details))
    }
}
