//! `bulwark verify vaa FILE`: a Wormhole VAA against the guardian set of its own index,
//! failing closed.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use bulwark_verify::wormhole::{Vaa, VaaRequest};
use serde_json::json;

use super::read_input;
use super::safe_tx::verdict;
use crate::Global;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// JSON document: `vaa` (hex), `guardian_sets` ([{index, keys, expiration_time}]),
    /// optional `current_index` (default: the highest) and `now` (unix seconds; default:
    /// this machine's clock). `-` reads stdin.
    file: PathBuf,
}

pub(crate) fn run(global: &Global, args: &Args) -> anyhow::Result<ExitCode> {
    let bytes = read_input(&args.file)?;
    let req: VaaRequest =
        serde_json::from_slice(&bytes).with_context(|| format!("{}: not a VAA document", args.file.display()))?;
    let vaa = Vaa::parse(&req.vaa).with_context(|| format!("{}: malformed VAA", args.file.display()))?;
    let now = match req.now {
        Some(t) => t,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .context("the clock is before 1970")?
            .as_secs(),
    };
    let digest = vaa.digest();
    let b = &vaa.body;
    let details = json!({
        "digest": digest.to_string(),
        "guardian_set_index": vaa.guardian_set_index,
        "signatures": vaa.signatures.len(),
        "emitter_chain": b.emitter_chain,
        "emitter_address": b.emitter_address.to_string(),
        "sequence": b.sequence,
    });
    Ok(match vaa.verify(&req.guardian_sets(), now) {
        Ok(signers) => {
            let text = format!(
                "{} guardians of set {} signed {digest} (emitter {}/{}, sequence {})",
                signers.len(),
                vaa.guardian_set_index,
                b.emitter_chain,
                b.emitter_address,
                b.sequence
            );
            verdict(global, true, &text, details)
        }
        Err(e) => verdict(global, false, &e.to_string(), details),
    })
}
