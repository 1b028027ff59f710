//! Ethereum slashing evidence: attester slashings (double votes and surround votes) and
//! proposer slashings (double proposals), checked as the beacon chain's state transition
//! checks them.
//!
//! Source: ethereum/consensus-specs `specs/phase0/beacon-chain.md`:
//! `is_slashable_attestation_data`, `is_valid_indexed_attestation`,
//! `process_attester_slashing`, `process_proposer_slashing`, `is_slashable_validator`,
//! `get_domain`, `compute_signing_root`. These rules are unchanged through Electra.
//!
//! # Input
//! A JSON object with the chain context the state would supply and one piece of evidence
//! in the beacon-API encoding (integers as decimal strings, bytes as `0x` hex):
//!
//! ```json
//! { "genesis_validators_root": "0x…",
//!   "fork": { "previous_version": "0x04000000", "current_version": "0x05000000", "epoch": "364032" },
//!   "current_epoch": "364100",
//!   "validators": [ { "index": "1", "pubkey": "0x…", "effective_balance": "32000000000",
//!                     "slashed": false, "activation_epoch": "0", "withdrawable_epoch": "18446744073709551615" } ],
//!   "attester_slashing": { "attestation_1": { "attesting_indices": ["1"], "data": {…}, "signature": "0x…" },
//!                          "attestation_2": {…} } }
//! ```
//!
//! or `"proposer_slashing": { "signed_header_1": { "message": {…}, "signature": "0x…" }, "signed_header_2": {…} }`.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use super::EvidenceError;
use super::bls;
pub use super::ssz::{AttestationData, BeaconBlockHeader, Checkpoint, Root};
use super::ssz::{DOMAIN_BEACON_ATTESTER, DOMAIN_BEACON_PROPOSER, compute_domain, compute_signing_root};
use crate::json::{DocumentError, Obj};

/// `SLOTS_PER_EPOCH` (mainnet and minimal alike for the epoch of a slot: mainnet's 32).
pub const SLOTS_PER_EPOCH: u64 = 32;

/// One validator's record, as much of it as slashing reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validator {
    /// Index in the registry.
    pub index: u64,
    /// BLS public key (compressed G1).
    pub pubkey: [u8; 48],
    /// Effective balance, gwei.
    pub effective_balance_gwei: u64,
    /// Slashed already.
    pub slashed: bool,
    /// First epoch it is active.
    pub activation_epoch: u64,
    /// First epoch it may withdraw (after which it can no longer be slashed).
    pub withdrawable_epoch: u64,
}

impl Validator {
    /// `is_slashable_validator(validator, epoch)`: not slashed and
    /// `activation_epoch <= epoch < withdrawable_epoch`.
    pub fn is_slashable(&self, epoch: u64) -> bool {
        !self.slashed && self.activation_epoch <= epoch && epoch < self.withdrawable_epoch
    }
}

/// `state.fork`: the version before and after the last fork, and its epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForkVersions {
    /// Version before `epoch`.
    pub previous_version: [u8; 4],
    /// Version from `epoch` on.
    pub current_version: [u8; 4],
    /// The fork's epoch.
    pub epoch: u64,
}

/// What the beacon state supplies to the slashing checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainContext {
    /// `state.genesis_validators_root`.
    pub genesis_validators_root: Root,
    /// `state.fork`.
    pub fork: ForkVersions,
    /// `get_current_epoch(state)`.
    pub current_epoch: u64,
    /// The validators the evidence refers to, by index.
    pub validators: BTreeMap<u64, Validator>,
}

impl ChainContext {
    /// `get_domain(state, domain_type, epoch)`: the previous fork version before the
    /// fork's epoch, the current one from it on.
    pub fn domain(&self, domain_type: [u8; 4], epoch: u64) -> Root {
        let version = if epoch < self.fork.epoch { self.fork.previous_version } else { self.fork.current_version };
        compute_domain(domain_type, version, &self.genesis_validators_root)
    }

    /// The signing root of an attestation: `DOMAIN_BEACON_ATTESTER` at its target epoch.
    pub fn attestation_signing_root(&self, data: &AttestationData) -> Root {
        compute_signing_root(&data.hash_tree_root(), &self.domain(DOMAIN_BEACON_ATTESTER, data.target.epoch))
    }

    /// The signing root of a block header: `DOMAIN_BEACON_PROPOSER` at its slot's epoch.
    pub fn header_signing_root(&self, header: &BeaconBlockHeader) -> Root {
        compute_signing_root(
            &header.hash_tree_root(),
            &self.domain(DOMAIN_BEACON_PROPOSER, header.slot / SLOTS_PER_EPOCH),
        )
    }

    fn validator(&self, index: u64, path: &str) -> Result<&Validator, EvidenceError> {
        self.validators.get(&index).ok_or_else(|| EvidenceError::UnknownValidator { path: path.to_owned(), index })
    }
}

/// `IndexedAttestation`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedAttestation {
    /// Indices of the validators that signed, sorted and unique when valid.
    pub attesting_indices: Vec<u64>,
    /// What they signed.
    pub data: AttestationData,
    /// The aggregate BLS signature (compressed G2).
    pub signature: [u8; 96],
}

/// `SignedBeaconBlockHeader`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedBeaconBlockHeader {
    /// The header.
    pub message: BeaconBlockHeader,
    /// The proposer's BLS signature (compressed G2).
    pub signature: [u8; 96],
}

/// One piece of Ethereum slashing evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Offence {
    /// `AttesterSlashing`: two indexed attestations.
    Attester {
        /// `attestation_1`.
        attestation_1: IndexedAttestation,
        /// `attestation_2`.
        attestation_2: IndexedAttestation,
    },
    /// `ProposerSlashing`: two signed headers.
    Proposer {
        /// `signed_header_1`.
        signed_header_1: SignedBeaconBlockHeader,
        /// `signed_header_2`.
        signed_header_2: SignedBeaconBlockHeader,
    },
}

/// Evidence with the context it is checked in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// What the beacon state supplies.
    pub context: ChainContext,
    /// The evidence itself.
    pub offence: Offence,
}

/// The kind of offence that valid evidence proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OffenceKind {
    /// Two different attestations with the same target epoch.
    DoubleVote,
    /// `attestation_1` surrounds `attestation_2`.
    SurroundVote,
    /// Two different headers for one slot by one proposer.
    DoubleProposal,
}

impl OffenceKind {
    /// Its snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            OffenceKind::DoubleVote => "double_vote",
            OffenceKind::SurroundVote => "surround_vote",
            OffenceKind::DoubleProposal => "double_proposal",
        }
    }
}

impl fmt::Display for OffenceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A validator that valid evidence slashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlashedValidator {
    /// Registry index.
    pub index: u64,
    /// Effective balance before slashing, gwei: what the penalties are computed from.
    pub effective_balance_gwei: u64,
}

/// What valid evidence proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slashing {
    /// The offence.
    pub offence: OffenceKind,
    /// The validators slashed, by increasing index.
    pub slashed: Vec<SlashedValidator>,
    /// The epoch of the offence: the target epoch of `attestation_1`, or the header's
    /// slot's epoch.
    pub epoch: u64,
}

/// Why well-formed evidence proves nothing: the rule of the spec it fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// `is_slashable_attestation_data(attestation_1.data, attestation_2.data)` is false:
    /// neither a double vote nor `attestation_1` surrounding `attestation_2`.
    #[error("the attestations are neither a double vote nor a surround vote (attestation_1 surrounding attestation_2)")]
    NotSlashableData,
    /// An indexed attestation without indices.
    #[error("`{which}.attesting_indices` is empty")]
    EmptyIndices {
        /// `attestation_1` or `attestation_2`.
        which: &'static str,
    },
    /// Indices not strictly increasing.
    #[error("`{which}.attesting_indices` is not sorted and unique (at position {position})")]
    IndicesNotSortedUnique {
        /// `attestation_1` or `attestation_2`.
        which: &'static str,
        /// First position whose index is not greater than the one before.
        position: usize,
    },
    /// A signature that does not verify.
    #[error("the signature of `{which}` does not verify")]
    BadSignature {
        /// Which attestation or header.
        which: &'static str,
    },
    /// No validator in both attestations is slashable now.
    #[error("no validator in both attestations is slashable (slashed already, not active or withdrawable)")]
    NoSlashableValidator,
    /// Headers of different slots.
    #[error("the headers are for different slots ({slot_1} and {slot_2})")]
    DifferentSlots {
        /// Slot of header 1.
        slot_1: u64,
        /// Slot of header 2.
        slot_2: u64,
    },
    /// Headers by different proposers.
    #[error("the headers have different proposers ({proposer_1} and {proposer_2})")]
    DifferentProposers {
        /// Proposer of header 1.
        proposer_1: u64,
        /// Proposer of header 2.
        proposer_2: u64,
    },
    /// The same header twice.
    #[error("the two headers are the same")]
    SameHeader,
    /// The proposer is slashed already, not active, or withdrawable.
    #[error("proposer {index} is not slashable (slashed already, not active or withdrawable)")]
    ProposerNotSlashable {
        /// The proposer.
        index: u64,
    },
}

/// The outcome of checking well-formed evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// The evidence proves the offence; these validators would be slashed.
    Slashable(Slashing),
    /// The evidence fails a rule.
    Rejected(Rejection),
}

/// `is_slashable_attestation_data(d1, d2)`: a double vote (`d1 != d2`, same target epoch)
/// or a surround vote in this direction (`d1.source < d2.source` and `d2.target < d1.target`).
pub fn is_slashable_attestation_data(d1: &AttestationData, d2: &AttestationData) -> bool {
    (d1 != d2 && d1.target.epoch == d2.target.epoch)
        || (d1.source.epoch < d2.source.epoch && d2.target.epoch < d1.target.epoch)
}

/// Parses and checks evidence in the JSON form of the module docs.
///
/// # Errors
/// [`EvidenceError`] when the input does not parse, names a validator absent from
/// `validators`, or holds a public key that is not a valid BLS key.
pub fn verify_json(bytes: &[u8]) -> Result<Verdict, EvidenceError> {
    verify(&parse(bytes)?)
}

/// Checks evidence as `process_attester_slashing` / `process_proposer_slashing` would.
///
/// # Errors
/// [`EvidenceError::UnknownValidator`] when the evidence names a validator the context
/// lacks; [`DocumentError::Field`](crate::DocumentError::Field) when a needed public key is not a valid BLS key.
pub fn verify(e: &Evidence) -> Result<Verdict, EvidenceError> {
    match &e.offence {
        Offence::Attester { attestation_1, attestation_2 } => verify_attester(&e.context, attestation_1, attestation_2),
        Offence::Proposer { signed_header_1, signed_header_2 } => {
            verify_proposer(&e.context, signed_header_1, signed_header_2)
        }
    }
}

fn verify_attester(
    ctx: &ChainContext,
    a1: &IndexedAttestation,
    a2: &IndexedAttestation,
) -> Result<Verdict, EvidenceError> {
    if !is_slashable_attestation_data(&a1.data, &a2.data) {
        return Ok(Verdict::Rejected(Rejection::NotSlashableData));
    }
    for (which, a) in [("attestation_1", a1), ("attestation_2", a2)] {
        if let Some(r) = check_indexed(ctx, which, a)? {
            return Ok(Verdict::Rejected(r));
        }
    }
    let second: std::collections::BTreeSet<u64> = a2.attesting_indices.iter().copied().collect();
    let mut slashed = Vec::new();
    for &i in a1.attesting_indices.iter().filter(|i| second.contains(i)) {
        let v = ctx.validator(i, "attestation_1.attesting_indices")?;
        if v.is_slashable(ctx.current_epoch) {
            slashed.push(SlashedValidator { index: i, effective_balance_gwei: v.effective_balance_gwei });
        }
    }
    if slashed.is_empty() {
        return Ok(Verdict::Rejected(Rejection::NoSlashableValidator));
    }
    let offence =
        if a1.data.target.epoch == a2.data.target.epoch { OffenceKind::DoubleVote } else { OffenceKind::SurroundVote };
    Ok(Verdict::Slashable(Slashing { offence, slashed, epoch: a1.data.target.epoch }))
}

/// `is_valid_indexed_attestation`: `None` when valid.
fn check_indexed(
    ctx: &ChainContext,
    which: &'static str,
    a: &IndexedAttestation,
) -> Result<Option<Rejection>, EvidenceError> {
    let idx = &a.attesting_indices;
    if idx.is_empty() {
        return Ok(Some(Rejection::EmptyIndices { which }));
    }
    if let Some(p) = idx.windows(2).position(|w| w[0] >= w[1]) {
        return Ok(Some(Rejection::IndicesNotSortedUnique { which, position: p + 1 }));
    }
    let path = format!("{which}.attesting_indices");
    let mut keys = Vec::with_capacity(idx.len());
    for &i in idx {
        keys.push(public_key(ctx.validator(i, &path)?)?);
    }
    let refs: Vec<_> = keys.iter().collect();
    let root = ctx.attestation_signing_root(&a.data);
    Ok((!bls::fast_aggregate_verify(&refs, &root, &a.signature)).then_some(Rejection::BadSignature { which }))
}

fn public_key(v: &Validator) -> Result<blst::min_pk::PublicKey, EvidenceError> {
    bls::public_key(&v.pubkey).map_err(|e| {
        EvidenceError::field(
            format!("validators[index {}].pubkey", v.index),
            format!("not a valid BLS public key ({e:?})"),
        )
    })
}

fn verify_proposer(
    ctx: &ChainContext,
    s1: &SignedBeaconBlockHeader,
    s2: &SignedBeaconBlockHeader,
) -> Result<Verdict, EvidenceError> {
    let (h1, h2) = (&s1.message, &s2.message);
    if h1.slot != h2.slot {
        return Ok(Verdict::Rejected(Rejection::DifferentSlots { slot_1: h1.slot, slot_2: h2.slot }));
    }
    if h1.proposer_index != h2.proposer_index {
        return Ok(Verdict::Rejected(Rejection::DifferentProposers {
            proposer_1: h1.proposer_index,
            proposer_2: h2.proposer_index,
        }));
    }
    if h1 == h2 {
        return Ok(Verdict::Rejected(Rejection::SameHeader));
    }
    let v = ctx.validator(h1.proposer_index, "signed_header_1.message.proposer_index")?;
    if !v.is_slashable(ctx.current_epoch) {
        return Ok(Verdict::Rejected(Rejection::ProposerNotSlashable { index: v.index }));
    }
    let pk = public_key(v)?;
    for (which, s) in [("signed_header_1", s1), ("signed_header_2", s2)] {
        if !bls::verify(&pk, &ctx.header_signing_root(&s.message), &s.signature) {
            return Ok(Verdict::Rejected(Rejection::BadSignature { which }));
        }
    }
    Ok(Verdict::Slashable(Slashing {
        offence: OffenceKind::DoubleProposal,
        slashed: vec![SlashedValidator { index: v.index, effective_balance_gwei: v.effective_balance_gwei }],
        epoch: h1.slot / SLOTS_PER_EPOCH,
    }))
}

/// Parses evidence in the JSON form of the module docs.
///
/// # Errors
/// [`EvidenceError`] naming the JSON path of the first field that is missing or malformed.
pub fn parse(bytes: &[u8]) -> Result<Evidence, EvidenceError> {
    let v: Value = serde_json::from_slice(bytes)?;
    let top = Obj::new(&v, "")?;
    let context = parse_context(&top)?;
    let offence = match (top.opt("attester_slashing"), top.opt("proposer_slashing")) {
        (Some(_), None) => {
            let s = top.obj("attester_slashing")?;
            Offence::Attester {
                attestation_1: parse_indexed(&s.obj("attestation_1")?)?,
                attestation_2: parse_indexed(&s.obj("attestation_2")?)?,
            }
        }
        (None, Some(_)) => {
            let s = top.obj("proposer_slashing")?;
            Offence::Proposer {
                signed_header_1: parse_signed_header(&s.obj("signed_header_1")?)?,
                signed_header_2: parse_signed_header(&s.obj("signed_header_2")?)?,
            }
        }
        (Some(_), Some(_)) => {
            return Err(EvidenceError::field(
                "attester_slashing",
                "give one of attester_slashing and proposer_slashing",
            ));
        }
        (None, None) => {
            return Err(DocumentError::Missing { path: "attester_slashing or proposer_slashing".into() }.into());
        }
    };
    Ok(Evidence { context, offence })
}

fn parse_context(top: &Obj<'_>) -> Result<ChainContext, EvidenceError> {
    let fork = top.obj("fork")?;
    let mut validators = BTreeMap::new();
    for (i, v) in top.array("validators")?.iter().enumerate() {
        let o = Obj::new(v, format!("validators[{i}]"))?;
        let val = Validator {
            index: o.u64_str("index")?,
            pubkey: o.hex::<48>("pubkey")?,
            effective_balance_gwei: o.u64_str("effective_balance")?,
            slashed: o.bool("slashed")?,
            activation_epoch: o.u64_str("activation_epoch")?,
            withdrawable_epoch: o.u64_str("withdrawable_epoch")?,
        };
        if validators.insert(val.index, val).is_some() {
            return Err(EvidenceError::field(o.child_path("index"), "the same index appears twice"));
        }
    }
    Ok(ChainContext {
        genesis_validators_root: top.hex::<32>("genesis_validators_root")?,
        fork: ForkVersions {
            previous_version: fork.hex::<4>("previous_version")?,
            current_version: fork.hex::<4>("current_version")?,
            epoch: fork.u64_str("epoch")?,
        },
        current_epoch: top.u64_str("current_epoch")?,
        validators,
    })
}

fn parse_checkpoint(o: &Obj<'_>) -> Result<Checkpoint, EvidenceError> {
    Ok(Checkpoint { epoch: o.u64_str("epoch")?, root: o.hex::<32>("root")? })
}

fn parse_indexed(o: &Obj<'_>) -> Result<IndexedAttestation, EvidenceError> {
    let path = o.child_path("attesting_indices");
    let attesting_indices = o
        .array("attesting_indices")?
        .iter()
        .enumerate()
        .map(|(i, v)| crate::json::decimal_u64(v, &format!("{path}[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let d = o.obj("data")?;
    let data = AttestationData {
        slot: d.u64_str("slot")?,
        index: d.u64_str("index")?,
        beacon_block_root: d.hex::<32>("beacon_block_root")?,
        source: parse_checkpoint(&d.obj("source")?)?,
        target: parse_checkpoint(&d.obj("target")?)?,
    };
    Ok(IndexedAttestation { attesting_indices, data, signature: o.hex::<96>("signature")? })
}

fn parse_signed_header(o: &Obj<'_>) -> Result<SignedBeaconBlockHeader, EvidenceError> {
    let m = o.obj("message")?;
    Ok(SignedBeaconBlockHeader {
        message: BeaconBlockHeader {
            slot: m.u64_str("slot")?,
            proposer_index: m.u64_str("proposer_index")?,
            parent_root: m.hex::<32>("parent_root")?,
            state_root: m.hex::<32>("state_root")?,
            body_root: m.hex::<32>("body_root")?,
        },
        signature: o.hex::<96>("signature")?,
    })
}
