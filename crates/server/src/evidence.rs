//! Slashing evidence: the document `bulwark verify slashing` reads, verified here
//! (BLS or Ed25519 signatures and the slashing rules, by `bulwark-verify`) and, when it
//! proves an offence, turned into a guard event carrying the facts. The guard raises a
//! critical alert from them; it never sees the signatures.

use bulwark_guard::{EventBody, Offence};
use bulwark_verify::slashing::{self, DocumentKind, cometbft, ethereum};
use sha2::{Digest, Sha256};

/// Why evidence was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EvidenceRefusal {
    /// The document does not parse (with the place).
    #[error("the evidence does not parse: {0}")]
    Malformed(String),
    /// Well-formed evidence that proves nothing: the rule it fails.
    #[error("the evidence proves no offence: {0}")]
    Unproven(String),
    /// A slashing-protection interchange file, which records signing, not offences.
    #[error("an EIP-3076 interchange file is not evidence of an offence")]
    NotEvidence,
}

/// `sha256:` and the hex SHA-256 of the document: the evidence's digest and, shortened,
/// its event id (so the same document sent twice is one event).
pub fn digest(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    format!("sha256:{}", d.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// Verifies a slashing document and returns the guard event body it justifies.
///
/// # Errors
/// [`EvidenceRefusal`] for a document that does not parse, evidence that fails a rule
/// (a bad signature, no slashable pair, an expired age), or an interchange file.
pub fn verify(bytes: &[u8]) -> Result<EventBody, EvidenceRefusal> {
    let malformed = |e: slashing::EvidenceError| EvidenceRefusal::Malformed(e.to_string());
    let evidence = digest(bytes);
    match slashing::detect(bytes).map_err(malformed)? {
        DocumentKind::Ethereum => match ethereum::verify_json(bytes).map_err(malformed)? {
            ethereum::Verdict::Slashable(s) => {
                let offence = match s.offence {
                    ethereum::OffenceKind::DoubleVote => Offence::DoubleVote,
                    ethereum::OffenceKind::SurroundVote => Offence::SurroundVote,
                    ethereum::OffenceKind::DoubleProposal => Offence::DoubleProposal,
                    other => return Err(EvidenceRefusal::Unproven(format!("unsupported offence {other}"))),
                };
                Ok(EventBody::SlashingEvidence {
                    chain: "ethereum".into(),
                    offence,
                    validators: s.slashed.iter().map(|v| v.index.to_string()).collect(),
                    evidence,
                })
            }
            ethereum::Verdict::Rejected(r) => Err(EvidenceRefusal::Unproven(r.to_string())),
            _ => Err(EvidenceRefusal::Unproven("an unknown verdict".into())),
        },
        DocumentKind::CometBft => {
            let chain_id = serde_json::from_slice::<serde_json::Value>(bytes)
                .ok()
                .and_then(|v| v.pointer("/chain_id").and_then(|c| c.as_str()).map(str::to_string));
            match cometbft::verify_json(bytes).map_err(malformed)? {
                cometbft::Verdict::Valid(d) => Ok(EventBody::SlashingEvidence {
                    chain: chain_id.map_or_else(|| "cometbft".to_string(), |c| format!("cometbft:{c}")),
                    offence: Offence::DuplicateVote,
                    validators: vec![d.validator_address.iter().map(|b| format!("{b:02X}")).collect::<String>()],
                    evidence,
                }),
                cometbft::Verdict::Rejected(r) => Err(EvidenceRefusal::Unproven(r.to_string())),
                _ => Err(EvidenceRefusal::Unproven("an unknown verdict".into())),
            }
        }
        DocumentKind::Interchange => Err(EvidenceRefusal::NotEvidence),
        _ => Err(EvidenceRefusal::NotEvidence),
    }
}
