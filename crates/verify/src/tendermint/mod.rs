//! Tendermint / CometBFT light-client header verification: may a light client that
//! trusts one header move its trust to a newer one?
//!
//! The rules are those of `tendermint-light-client-verifier` (`verify_update_header`),
//! which this module calls:
//! 1. validator sets match the header (`validators_hash`, `next_validators_hash`) and the
//!    commit is for this header;
//! 2. the trusted header is within the trusting period, the new one is later, on the same
//!    chain, and (when adjacent) its validators are the trusted next validators;
//! 3. the new header is not from the future (`time < now + clock_drift`);
//! 4. signers hold more than 2/3 of the new set's power, and, when not adjacent (skipping),
//!    signers from the trusted next set hold more than the trust level (default 1/3) of
//!    that set. Ed25519 signatures over the canonical vote sign bytes, ZIP-215 rules.
//!
//! Source: informalsystems/tendermint-rs `light-client-verifier/src/verifier.rs`,
//! `predicates.rs`, `operations/voting_power.rs`; REFERENCES.md §9.2.
//!
//! # Input
//! ```json
//! { "trusted":   { "signed_header": {…}, "next_validator_set": {…} },
//!   "untrusted": { "signed_header": {…}, "validator_set": {…}, "next_validator_set": {…} },
//!   "trusting_period_ns": "1209600000000000",
//!   "clock_drift_ns": "10000000000",
//!   "trust_threshold": { "numerator": "1", "denominator": "3" },
//!   "now": "2024-01-01T00:00:00Z" }
//! ```
//! Headers, commits and validator sets are in CometBFT's RPC JSON encoding (the
//! `/commit` and `/validators` responses). `clock_drift_ns` defaults to 0 and
//! `trust_threshold` to 1/3.

mod parse;

use std::time::Duration;

use tendermint::block::Height;
use tendermint_light_client_verifier::errors::VerificationErrorDetail;
use tendermint_light_client_verifier::options::Options;
use tendermint_light_client_verifier::types::{LightBlock, PeerId, SignedHeader, Time, TrustThreshold, ValidatorSet};
use tendermint_light_client_verifier::{ProdVerifier, Verdict as TmVerdict, Verifier};

pub use parse::parse;

/// Input that does not parse, with the place named: the crate's [`DocumentError`](crate::DocumentError).
pub use crate::json::DocumentError as LightClientError;

/// A trusted block: its header and the validators it says come next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trusted {
    /// The header and its commit.
    pub signed_header: SignedHeader,
    /// The validator set of the next height (`next_validators_hash`).
    pub next_validators: ValidatorSet,
}

/// A block to verify: header, commit and both validator sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untrusted {
    /// The header and its commit.
    pub signed_header: SignedHeader,
    /// The validators of its height.
    pub validators: ValidatorSet,
    /// The validators of the next height.
    pub next_validators: ValidatorSet,
}

/// One light-client step: a trusted block, a new one, and the options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    /// What the client trusts.
    pub trusted: Trusted,
    /// What it is asked to trust.
    pub untrusted: Untrusted,
    /// How long a trusted header stays trusted (below the unbonding period).
    pub trusting_period: Duration,
    /// Tolerated clock drift.
    pub clock_drift: Duration,
    /// Share of the trusted next set that must sign a skipping update (above 1/3).
    pub trust_threshold: TrustThreshold,
    /// Current time.
    pub now: Time,
}

/// The rule an invalid update fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// The header's time is not before `now + clock_drift`.
    HeaderFromTheFuture,
    /// The trusted header is older than the trusting period.
    NotWithinTrustPeriod,
    /// The new header is not above the trusted one.
    NonIncreasingHeight,
    /// The new header is not later than the trusted one.
    NonMonotonicBftTime,
    /// Different chain ids.
    ChainIdMismatch,
    /// `validators_hash` does not match the validator set (or, adjacent, the trusted
    /// next set).
    InvalidValidatorSet,
    /// `next_validators_hash` does not match the next validator set.
    InvalidNextValidatorSet,
    /// The commit is not for this header, or malformed.
    InvalidCommit,
    /// A signature does not verify.
    InvalidSignature,
    /// Signers of the new set hold no more than 2/3 of its power.
    InsufficientSignersOverlap,
    /// A validator appears twice.
    DuplicateValidator,
    /// Another rule; see the detail.
    Other,
}

/// The outcome of one light-client step.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// The new header may be trusted.
    Valid {
        /// Its height.
        height: u64,
    },
    /// The new block is well signed, but too few of the trusted validators signed it to
    /// skip to it; a client would bisect.
    NotEnoughTrust {
        /// Power of the trusted next set that signed.
        tallied: u64,
        /// That set's total power.
        total: u64,
    },
    /// A rule fails.
    Invalid {
        /// Which.
        rule: Rule,
        /// The verifier's words.
        detail: String,
    },
}

fn rule_of(e: &VerificationErrorDetail) -> Rule {
    use VerificationErrorDetail as D;
    match e {
        D::HeaderFromTheFuture(_) => Rule::HeaderFromTheFuture,
        D::NotWithinTrustPeriod(_) => Rule::NotWithinTrustPeriod,
        D::NonIncreasingHeight(_) => Rule::NonIncreasingHeight,
        D::NonMonotonicBftTime(_) => Rule::NonMonotonicBftTime,
        D::ChainIdMismatch(_) => Rule::ChainIdMismatch,
        D::InvalidValidatorSet(_) => Rule::InvalidValidatorSet,
        D::InvalidNextValidatorSet(_) => Rule::InvalidNextValidatorSet,
        D::InvalidCommitValue(_)
        | D::MissingSignature(_)
        | D::NoSignatureForCommit(_)
        | D::MismatchPreCommitLength(_) => Rule::InvalidCommit,
        D::InvalidSignature(_) | D::FaultySigner(_) => Rule::InvalidSignature,
        D::InsufficientSignersOverlap(_) => Rule::InsufficientSignersOverlap,
        D::DuplicateValidator(_) => Rule::DuplicateValidator,
        _ => Rule::Other,
    }
}

/// Verifies one step with `tendermint-light-client-verifier`'s production verifier.
pub fn verify(u: &Update) -> Verdict {
    let trusted = LightBlock::new(
        u.trusted.signed_header.clone(),
        u.trusted.next_validators.clone(),
        u.trusted.next_validators.clone(),
        PeerId::new([0; 20]),
    );
    let untrusted = LightBlock::new(
        u.untrusted.signed_header.clone(),
        u.untrusted.validators.clone(),
        u.untrusted.next_validators.clone(),
        PeerId::new([0; 20]),
    );
    let options =
        Options { trust_threshold: u.trust_threshold, trusting_period: u.trusting_period, clock_drift: u.clock_drift };
    match ProdVerifier::default().verify_update_header(
        untrusted.as_untrusted_state(),
        trusted.as_trusted_state(),
        &options,
        u.now,
    ) {
        TmVerdict::Success => Verdict::Valid { height: height(u.untrusted.signed_header.header.height) },
        TmVerdict::NotEnoughTrust(t) => Verdict::NotEnoughTrust { tallied: t.tallied, total: t.total },
        TmVerdict::Invalid(e) => Verdict::Invalid { rule: rule_of(&e), detail: e.to_string() },
    }
}

fn height(h: Height) -> u64 {
    h.value()
}

/// Parses and verifies an update in the JSON form of the module docs.
///
/// # Errors
/// [`LightClientError`] when the input does not parse.
pub fn verify_json(bytes: &[u8]) -> Result<Verdict, LightClientError> {
    Ok(verify(&parse(bytes)?))
}
