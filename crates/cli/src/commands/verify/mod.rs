//! `bulwark verify ...`: check governance signatures, cross-chain messages, Merkle
//! proofs and slashing evidence, from files or stdin.
//!
//! Exit codes: 0 valid; 1 invalid, with the rule that failed; 2 malformed input.

mod light_client;
mod merkle;
mod safe_tx;
mod slashing;
mod vaa;

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use crate::Global;

/// What to verify.
#[derive(Subcommand)]
pub(crate) enum Verify {
    /// A Safe multi-signature transaction: its EIP-712 hash and its signatures.
    SafeTx(safe_tx::Args),
    /// A Wormhole VAA against a guardian set.
    Vaa(vaa::Args),
    /// A Merkle inclusion proof (OpenZeppelin sorted pairs or RFC 6962).
    Merkle(merkle::Args),
    /// A Tendermint / CometBFT header against a trusted one (light-client rules).
    LightClient(light_client::Args),
    /// Slashing evidence (Ethereum double and surround votes, double proposals,
    /// CometBFT duplicate votes) or an EIP-3076 slashing-protection interchange file.
    Slashing(slashing::Args),
}

pub(crate) fn run(global: &Global, what: &Verify) -> anyhow::Result<ExitCode> {
    match what {
        Verify::SafeTx(args) => safe_tx::run(global, args),
        Verify::Vaa(args) => vaa::run(global, args),
        Verify::Merkle(args) => merkle::run(global, args),
        Verify::LightClient(args) => light_client::run(global, args),
        Verify::Slashing(args) => slashing::run(global, args),
    }
}

/// Reads a file, or stdin for `-`.
fn read_input(path: &Path) -> anyhow::Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf).context("cannot read stdin")?;
        Ok(buf)
    } else {
        std::fs::read(path).with_context(|| format!("{}: cannot be read", path.display()))
    }
}
