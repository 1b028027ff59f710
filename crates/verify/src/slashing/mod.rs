//! Slashing evidence and slashing protection.
//!
//! - [`ethereum`]: attester slashings (double and surround votes) and proposer slashings
//!   (double proposals), checked as `process_attester_slashing` and
//!   `process_proposer_slashing` do, BLS signatures included.
//! - [`cometbft`]: CometBFT duplicate-vote evidence, with its age limit.
//! - [`interchange`]: the EIP-3076 slashing-protection interchange format and the five
//!   signing conditions a signer must respect after importing it.
//!
//! Each verifier returns `Ok(verdict)` for well-formed input, the verdict saying whether
//! the evidence proves an offence and, if not, which rule it fails; `Err` is kept for
//! input that does not parse, with the place named. The verdicts are plain data so that
//! the guard can turn them into alerts.

pub mod cometbft;
pub mod ethereum;
pub mod interchange;

mod bls;
mod ssz;

use serde_json::Value;

use crate::json::DocumentError;

/// Input that does not parse: the place (a JSON path or a byte offset) and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EvidenceError {
    /// The document is not JSON, or a field is missing or malformed.
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// A validator index that the evidence refers to is not in the `validators` list.
    #[error("validator {index} (in `{path}`) is not in `validators`")]
    UnknownValidator {
        /// JSON path of the reference.
        path: String,
        /// The index.
        index: u64,
    },
    /// The document is none of the formats this module reads.
    #[error(
        "unrecognised evidence: expected an object with `attester_slashing`, `proposer_slashing`, \
         `duplicate_vote_evidence`, or an EIP-3076 interchange (`metadata` and `data`)"
    )]
    UnknownFormat,
}

impl EvidenceError {
    pub(crate) fn field(path: impl Into<String>, problem: impl Into<String>) -> Self {
        EvidenceError::Document(DocumentError::field(path, problem))
    }
}

impl From<serde_json::Error> for EvidenceError {
    fn from(e: serde_json::Error) -> Self {
        EvidenceError::Document(e.into())
    }
}

/// Which kind of slashing document a JSON text holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DocumentKind {
    /// Ethereum attester or proposer slashing ([`ethereum::verify_json`]).
    Ethereum,
    /// CometBFT duplicate-vote evidence ([`cometbft::verify_json`]).
    CometBft,
    /// EIP-3076 slashing-protection interchange ([`interchange::Interchange::parse`]).
    Interchange,
}

/// Tells the format of a slashing document from its top-level keys.
///
/// # Errors
/// [`EvidenceError::Json`] when the bytes are not JSON, [`EvidenceError::UnknownFormat`]
/// when no format's keys are present.
pub fn detect(bytes: &[u8]) -> Result<DocumentKind, EvidenceError> {
    let v: Value = serde_json::from_slice(bytes)?;
    let Some(obj) = v.as_object() else { return Err(EvidenceError::UnknownFormat) };
    if obj.contains_key("attester_slashing") || obj.contains_key("proposer_slashing") {
        Ok(DocumentKind::Ethereum)
    } else if obj.contains_key("duplicate_vote_evidence") {
        Ok(DocumentKind::CometBft)
    } else if obj.contains_key("metadata") && obj.contains_key("data") {
        Ok(DocumentKind::Interchange)
    } else {
        Err(EvidenceError::UnknownFormat)
    }
}
