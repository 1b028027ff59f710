//! `bulwark verify merkle FILE`: a Merkle inclusion proof, RFC 6962 or OpenZeppelin
//! (single proofs and multiproofs).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use bulwark_verify::merkle::ProofRequest;
use serde_json::json;

use super::read_input;
use super::safe_tx::verdict;
use crate::Global;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// JSON document with `scheme`: `rfc6962` (root, leaf or leaf_hash, index, size,
    /// proof), `openzeppelin` (root, leaf = abi.encode(values) or leaf_hash, proof) or
    /// `openzeppelin_multiproof` (root, leaves, proof, proof_flags). `-` reads stdin.
    file: PathBuf,
}

pub(crate) fn run(global: &Global, args: &Args) -> anyhow::Result<ExitCode> {
    let bytes = read_input(&args.file)?;
    let req: ProofRequest = serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: not a Merkle proof document", args.file.display()))?;
    let outcome = req.verify().with_context(|| format!("{}: malformed proof", args.file.display()))?;
    Ok(match outcome {
        Ok(()) => verdict(global, true, "the proof leads to the root", json!({})),
        Err(e) => verdict(global, false, &e.to_string(), json!({})),
    })
}
