//! `bulwark verify slashing FILE`: Ethereum attester and proposer slashings, CometBFT
//! duplicate votes, or an EIP-3076 slashing-protection interchange file (told apart by
//! their keys; formats documented in `bulwark_verify::slashing`).
//!
//! For valid Ethereum evidence it prices the slashing of each validator with the exact
//! gwei model of `bulwark_attack::slashing` (initial penalty, and with
//! `--total-active-balance-gwei` the correlation penalty).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use bulwark_attack::slashing::{Fork, correlation_penalty_gwei, effective_balance_update, initial_slashing};
use bulwark_verify::slashing::ethereum::{self, Slashing};
use bulwark_verify::slashing::interchange::{Interchange, SlashingProtection};
use bulwark_verify::slashing::{DocumentKind, cometbft, detect};
use serde_json::{Value, json};

use super::read_input;
use crate::{Global, OutputFormat};

/// Exit code when the evidence is well formed but proves nothing, or a signing is refused.
const EXIT_INVALID: u8 = 1;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The evidence or interchange file (JSON); `-` reads stdin.
    file: PathBuf,
    /// Ethereum: the fork whose penalties apply (phase0 … electra). Default: read from the
    /// evidence's mainnet fork version, else electra.
    #[arg(long)]
    fork: Option<String>,
    /// Ethereum: total active balance in gwei, for the correlation penalty of `process_slashings`.
    #[arg(long)]
    total_active_balance_gwei: Option<u64>,
    /// Ethereum: effective balance slashed in the same 8192-epoch window by other evidence, gwei.
    #[arg(long, default_value_t = 0)]
    other_slashed_in_window_gwei: u64,
    /// Interchange: the validator key (0x hex, 48 bytes) for `--block` or `--attestation`.
    #[arg(long)]
    pubkey: Option<String>,
    /// Interchange: check a block proposal at this slot against the signing conditions.
    #[arg(long, conflicts_with = "attestation")]
    block: Option<u64>,
    /// Interchange: check an attestation `SOURCE:TARGET` (epochs) against the signing conditions.
    #[arg(long)]
    attestation: Option<String>,
    /// Interchange: the signing root of the block or attestation to check (0x hex, 32 bytes).
    #[arg(long)]
    signing_root: Option<String>,
    /// Interchange: the signer's genesis validators root; the import is refused if the file's differs.
    #[arg(long)]
    genesis_validators_root: Option<String>,
}

/// A finding: valid or not, a line of text and its JSON form.
struct Report {
    valid: bool,
    text: String,
    json: Value,
}

pub(crate) fn run(global: &Global, args: &Args) -> anyhow::Result<ExitCode> {
    let bytes = read_input(&args.file)?;
    let name = args.file.display().to_string();
    let report = match detect(&bytes).with_context(|| format!("{name} is not slashing evidence"))? {
        DocumentKind::Ethereum => ethereum_report(&bytes, args).with_context(|| name.clone())?,
        DocumentKind::CometBft => cometbft_report(&bytes).with_context(|| name.clone())?,
        DocumentKind::Interchange => interchange_report(&bytes, args).with_context(|| name.clone())?,
        _ => bail!("{name}: unsupported document"),
    };
    let out = match global.format {
        OutputFormat::Json => format!("{:#}\n", report.json),
        _ => report.text,
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes()).context("writing to stdout")?;
    stdout.flush().context("writing to stdout")?;
    Ok(if report.valid { ExitCode::SUCCESS } else { ExitCode::from(EXIT_INVALID) })
}

/// The fork of a mainnet fork version (`config/mainnet.yaml`: `*_FORK_VERSION`).
fn mainnet_fork(version: [u8; 4]) -> Option<Fork> {
    Some(match version {
        [0, 0, 0, 0] => Fork::Phase0,
        [1, 0, 0, 0] => Fork::Altair,
        [2, 0, 0, 0] => Fork::Bellatrix,
        [3, 0, 0, 0] => Fork::Capella,
        [4, 0, 0, 0] => Fork::Deneb,
        [5, 0, 0, 0] => Fork::Electra,
        _ => return None,
    })
}

fn ethereum_report(bytes: &[u8], args: &Args) -> anyhow::Result<Report> {
    let evidence = ethereum::parse(bytes)?;
    let verdict = ethereum::verify(&evidence)?;
    let slashing = match verdict {
        ethereum::Verdict::Slashable(s) => s,
        ethereum::Verdict::Rejected(r) => {
            return Ok(Report {
                valid: false,
                text: format!("invalid: Ethereum slashing evidence rejected: {r}\n"),
                json: json!({ "kind": "ethereum", "valid": false, "reason": r.to_string() }),
            });
        }
        other => bail!("unexpected verdict {other:?}"),
    };
    let fork = match &args.fork {
        Some(f) => f.parse::<Fork>()?,
        None => mainnet_fork(evidence.context.fork.current_version).unwrap_or(Fork::Electra),
    };
    Ok(price(&slashing, fork, args))
}

/// Penalties of each slashed validator, as `slash_validator` and `process_slashings` give them.
fn price(s: &Slashing, fork: Fork, args: &Args) -> Report {
    let window: u64 =
        s.slashed.iter().map(|v| v.effective_balance_gwei).fold(args.other_slashed_in_window_gwei, u64::saturating_add);
    let mut rows = Vec::new();
    let mut text = format!(
        "valid: {} ({} validator{} slashed, epoch {}); penalties under {fork}\n",
        s.offence,
        s.slashed.len(),
        if s.slashed.len() == 1 { "" } else { "s" },
        s.epoch
    );
    let mut total_loss: u128 = 0;
    for v in &s.slashed {
        let eb = v.effective_balance_gwei;
        let initial = initial_slashing(fork, eb);
        let balance = eb - initial.penalty_gwei.min(eb);
        let corr = args.total_active_balance_gwei.map(|total| {
            let eb_after = effective_balance_update(fork, balance, eb);
            correlation_penalty_gwei(fork, eb_after, total, window).min(balance)
        });
        let loss = initial.penalty_gwei.min(eb) + corr.unwrap_or(0);
        total_loss += u128::from(loss);
        text.push_str(&format!(
            "  validator {}: effective balance {} gwei, initial penalty {} gwei, correlation penalty {}, whistleblower reward {} gwei\n",
            v.index,
            eb,
            initial.penalty_gwei,
            corr.map_or_else(|| "not computed".to_owned(), |c| format!("{c} gwei")),
            initial.whistleblower_reward_gwei
        ));
        rows.push(json!({
            "index": v.index,
            "effective_balance_gwei": eb,
            "initial_penalty_gwei": initial.penalty_gwei,
            "correlation_penalty_gwei": corr,
            "loss_gwei": loss,
            "whistleblower_reward_gwei": initial.whistleblower_reward_gwei,
            "proposer_reward_gwei": initial.proposer_reward_gwei,
        }));
    }
    if args.total_active_balance_gwei.is_none() {
        text.push_str("  (pass --total-active-balance-gwei for the correlation penalty of process_slashings)\n");
    }
    text.push_str(&format!("  total loss: {total_loss} gwei\n"));
    Report {
        valid: true,
        text,
        json: json!({
            "kind": "ethereum",
            "valid": true,
            "offence": s.offence.name(),
            "epoch": s.epoch,
            "fork": fork.name(),
            "total_active_balance_gwei": args.total_active_balance_gwei,
            "slashed_in_window_gwei": window,
            "slashed": rows,
            "total_loss_gwei": total_loss.to_string(),
        }),
    }
}

fn cometbft_report(bytes: &[u8]) -> anyhow::Result<Report> {
    Ok(match cometbft::verify_json(bytes)? {
        cometbft::Verdict::Valid(d) => {
            let addr = to_hex(&d.validator_address).to_uppercase();
            Report {
                valid: true,
                text: format!(
                    "valid: CometBFT duplicate {} by {addr} at height {} round {} (power {} of {})\n",
                    d.vote_type, d.height, d.round, d.validator_power, d.total_voting_power
                ),
                json: json!({
                    "kind": "cometbft", "valid": true, "validator_address": addr, "height": d.height,
                    "round": d.round, "vote_type": d.vote_type, "validator_power": d.validator_power,
                    "total_voting_power": d.total_voting_power,
                }),
            }
        }
        cometbft::Verdict::Rejected(r) => Report {
            valid: false,
            text: format!("invalid: CometBFT duplicate-vote evidence rejected: {r}\n"),
            json: json!({ "kind": "cometbft", "valid": false, "reason": r.to_string() }),
        },
        other => bail!("unexpected verdict {other:?}"),
    })
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_arg<const N: usize>(flag: &str, s: &str) -> anyhow::Result<[u8; N]> {
    let digits = s.strip_prefix("0x").unwrap_or(s).as_bytes();
    let bad = || anyhow::anyhow!("--{flag}: expected 0x-prefixed hex of {N} bytes");
    if digits.len() != 2 * N || !digits.iter().all(u8::is_ascii_hexdigit) {
        return Err(bad());
    }
    let mut out = [0u8; N];
    for (o, pair) in out.iter_mut().zip(digits.chunks(2)) {
        let text = std::str::from_utf8(pair).map_err(|_| bad())?;
        *o = u8::from_str_radix(text, 16).map_err(|_| bad())?;
    }
    Ok(out)
}

fn interchange_report(bytes: &[u8], args: &Args) -> anyhow::Result<Report> {
    let file = Interchange::parse(bytes)?;
    let gvr = match &args.genesis_validators_root {
        Some(s) => hex_arg::<32>("genesis-validators-root", s)?,
        None => file.genesis_validators_root,
    };
    let mut db = SlashingProtection::new(gvr);
    if let Err(e) = db.import(&file) {
        return Ok(Report {
            valid: false,
            text: format!("invalid: import refused: {e}\n"),
            json: json!({ "kind": "interchange", "valid": false, "reason": e.to_string() }),
        });
    }
    let keys = db.pubkeys().count();
    let (blocks, atts) = db
        .pubkeys()
        .filter_map(|k| db.history(k))
        .fold((0, 0), |(b, a), h| (b + h.blocks.len(), a + h.attestations.len()));
    let pairs = db.slashable_pairs();
    let mut text = format!("EIP-3076 interchange (version 5): {keys} keys, {blocks} blocks, {atts} attestations\n");
    for (pk, what) in &pairs {
        text.push_str(&format!("  note: 0x{} recorded slashable signings: {what}\n", to_hex(pk)));
    }
    let mut json = json!({
        "kind": "interchange", "keys": keys, "signed_blocks": blocks, "signed_attestations": atts,
        "slashable_records": pairs.iter().map(|(pk, w)| json!({ "pubkey": format!("0x{}", to_hex(pk)), "what": w })).collect::<Vec<_>>(),
    });
    let root = args.signing_root.as_deref().map(|s| hex_arg::<32>("signing-root", s)).transpose()?;
    let check = match (&args.pubkey, args.block, &args.attestation) {
        (None, None, None) => None,
        (None, _, _) => bail!("--block and --attestation need --pubkey"),
        (Some(_), None, None) => bail!("--pubkey needs --block SLOT or --attestation SOURCE:TARGET"),
        (Some(pk), Some(slot), _) => {
            let pk = hex_arg::<48>("pubkey", pk)?;
            Some((format!("block at slot {slot}"), db.check_block(&pk, slot, root)))
        }
        (Some(pk), None, Some(att)) => {
            let pk = hex_arg::<48>("pubkey", pk)?;
            let (s, t) = att.split_once(':').context("--attestation: expected SOURCE:TARGET")?;
            let s: u64 = s.trim().parse().context("--attestation: SOURCE is not an epoch")?;
            let t: u64 = t.trim().parse().context("--attestation: TARGET is not an epoch")?;
            Some((format!("attestation ({s}, {t})"), db.check_attestation(&pk, s, t, root)))
        }
    };
    let valid = match check {
        None => {
            text.push_str("valid: the file imports\n");
            true
        }
        Some((what, Ok(allowed))) => {
            text.push_str(&format!("valid: {what}: {allowed}\n"));
            json["check"] = json!({ "what": what, "allowed": true, "detail": allowed.to_string() });
            true
        }
        Some((what, Err(refusal))) => {
            text.push_str(&format!("invalid: {what} refused: {refusal}\n"));
            json["check"] = json!({ "what": what, "allowed": false, "detail": refusal.to_string() });
            false
        }
    };
    json["valid"] = json!(valid);
    Ok(Report { valid, text, json })
}
