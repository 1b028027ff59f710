//! CometBFT duplicate-vote evidence: one validator signing two different blocks at the
//! same height, round and step, checked as a CometBFT node checks it before slashing.
//!
//! Source: cometbft/cometbft `types/evidence.go` (`DuplicateVoteEvidence.ValidateBasic`:
//! votes ordered by `BlockID.Key()`) and `evidence/verify.go` (`verify`: the age rule;
//! `VerifyDuplicateVote`: same height, round, type and validator, different block IDs,
//! the key matches the address, the recorded powers match the validator set, both
//! signatures valid over `VoteSignBytes(chainID, vote)`). Signatures are Ed25519 checked
//! under ZIP-215 rules (`ed25519-consensus`), as CometBFT does.
//!
//! # Input
//! ```json
//! { "chain_id": "test-chain",
//!   "duplicate_vote_evidence": { "vote_a": {…}, "vote_b": {…}, "total_voting_power": "100",
//!                                "validator_power": "10", "timestamp": "2024-01-01T00:00:00Z" },
//!   "validator": { "pub_key": "<base64 Ed25519 key>", "voting_power": "10" },
//!   "total_voting_power": "100",
//!   "evidence_block_time": "2024-01-01T00:00:00Z",
//!   "last_block": { "height": "1200", "time": "2024-01-02T00:00:00Z" },
//!   "max_age_num_blocks": "100000", "max_age_duration_ns": "172800000000000" }
//! ```
//! Votes are in CometBFT's JSON encoding (`type`, `height`, `round`, `block_id`,
//! `timestamp`, `validator_address`, `validator_index`, `signature`). `validator` and
//! `total_voting_power` are the validator set at the evidence's height; `last_block`
//! is the node's latest block; the two age limits default to CometBFT's 100000 blocks
//! and 48 hours; `evidence_block_time`, when given, must equal the evidence timestamp.

use ed25519_consensus::{Signature, VerificationKey};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tendermint::chain::Id as ChainId;
use tendermint::{Time, Vote};

use super::EvidenceError;
use crate::json::Obj;

/// CometBFT's default `EvidenceParams.MaxAgeNumBlocks`.
pub const DEFAULT_MAX_AGE_NUM_BLOCKS: u64 = 100_000;
/// CometBFT's default `EvidenceParams.MaxAgeDuration`: 48 hours, in nanoseconds.
pub const DEFAULT_MAX_AGE_DURATION_NS: u64 = 48 * 3600 * 1_000_000_000;

/// The evidence and what the node's state supplies to check it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateVoteCase {
    /// The chain's id, part of the sign bytes.
    pub chain_id: String,
    /// `vote_a`.
    pub vote_a: Vote,
    /// `vote_b`.
    pub vote_b: Vote,
    /// `TotalVotingPower` recorded in the evidence.
    pub evidence_total_voting_power: u64,
    /// `ValidatorPower` recorded in the evidence.
    pub evidence_validator_power: u64,
    /// `Timestamp` recorded in the evidence.
    pub timestamp: Time,
    /// The validator's Ed25519 key in the set at the evidence height.
    pub pub_key: [u8; 32],
    /// Its voting power in that set.
    pub validator_power: u64,
    /// That set's total voting power.
    pub total_voting_power: u64,
    /// Time of the block at the evidence height, when known.
    pub evidence_block_time: Option<Time>,
    /// Height of the node's latest block.
    pub last_block_height: u64,
    /// Time of the node's latest block.
    pub last_block_time: Time,
    /// `EvidenceParams.MaxAgeNumBlocks`.
    pub max_age_num_blocks: u64,
    /// `EvidenceParams.MaxAgeDuration`, nanoseconds.
    pub max_age_duration_ns: u64,
}

/// What valid evidence proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateVote {
    /// The validator's address: the first 20 bytes of SHA-256 of its key.
    pub validator_address: [u8; 20],
    /// Height of the votes.
    pub height: u64,
    /// Round of the votes.
    pub round: u32,
    /// `prevote` or `precommit`.
    pub vote_type: &'static str,
    /// The validator's voting power.
    pub validator_power: u64,
    /// The set's total voting power.
    pub total_voting_power: u64,
}

/// The rule that well-formed evidence fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// `BlockID.Key()` of `vote_a` is not below that of `vote_b`.
    #[error("duplicate votes in invalid order: vote_a's BlockID key must sort below vote_b's")]
    InvalidOrder,
    /// Older than both age limits.
    #[error(
        "evidence is too old: {age_blocks} blocks (limit {max_blocks}) and {age_ns} ns (limit {max_ns}), both exceeded"
    )]
    Expired {
        /// Blocks since the evidence.
        age_blocks: u64,
        /// `MaxAgeNumBlocks`.
        max_blocks: u64,
        /// Nanoseconds since the evidence's block.
        age_ns: u128,
        /// `MaxAgeDuration`, nanoseconds.
        max_ns: u64,
    },
    /// The evidence timestamp is not the time of its block.
    #[error("the evidence timestamp {evidence} differs from the block time {block}")]
    TimeMismatch {
        /// Evidence timestamp.
        evidence: String,
        /// Block time.
        block: String,
    },
    /// Height, round or type differ.
    #[error("height/round/type do not match: {a} vs {b}")]
    HeightRoundTypeMismatch {
        /// Of vote_a.
        a: String,
        /// Of vote_b.
        b: String,
    },
    /// The votes are by different validators.
    #[error("the votes are by different validators")]
    DifferentValidators,
    /// Both votes are for the same block.
    #[error("block IDs are the same: not a real duplicate vote")]
    SameBlockId,
    /// The key does not hash to the vote's validator address.
    #[error("the validator's key does not match the address {address}")]
    AddressMismatch {
        /// The votes' address, hex.
        address: String,
    },
    /// The evidence's validator power is not the set's.
    #[error("validator power from evidence and our validator set does not match ({evidence} != {state})")]
    ValidatorPowerMismatch {
        /// In the evidence.
        evidence: u64,
        /// In the set.
        state: u64,
    },
    /// The evidence's total power is not the set's.
    #[error("total voting power from the evidence and our validator set does not match ({evidence} != {state})")]
    TotalPowerMismatch {
        /// In the evidence.
        evidence: u64,
        /// In the set.
        state: u64,
    },
    /// A signature does not verify over the vote's sign bytes.
    #[error("the signature of {which} does not verify")]
    BadSignature {
        /// `vote_a` or `vote_b`.
        which: &'static str,
    },
}

/// The outcome of checking well-formed evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// The evidence proves a duplicate vote.
    Valid(DuplicateVote),
    /// It fails a rule.
    Rejected(Rejection),
}

/// `BlockID.Key()`: the hash followed by the protobuf encoding of the part-set header.
pub fn block_id_key(vote: &Vote) -> Vec<u8> {
    let Some(id) = vote.block_id else { return Vec::new() };
    let mut key = id.hash.as_bytes().to_vec();
    let total = u64::from(id.part_set_header.total);
    if total != 0 {
        key.push(0x08);
        push_varint(&mut key, total);
    }
    let h = id.part_set_header.hash.as_bytes();
    if !h.is_empty() {
        key.push(0x12);
        push_varint(&mut key, h.len() as u64);
        key.extend_from_slice(h);
    }
    key
}

fn push_varint(out: &mut Vec<u8>, mut x: u64) {
    while x >= 0x80 {
        out.push((x as u8) | 0x80);
        x >>= 7;
    }
    out.push(x as u8);
}

/// `VoteSignBytes(chainID, vote)`: the length-delimited protobuf `CanonicalVote`.
pub fn vote_sign_bytes(chain_id: &str, vote: &Vote) -> Result<Vec<u8>, EvidenceError> {
    let id = ChainId::try_from(chain_id.to_owned())
        .map_err(|e| EvidenceError::field("chain_id", format!("not a valid chain id: {e}")))?;
    Ok(vote.clone().into_signable_vec(id))
}

/// The address of an Ed25519 key: the first 20 bytes of its SHA-256.
pub fn address(pub_key: &[u8; 32]) -> [u8; 20] {
    let digest: [u8; 32] = Sha256::digest(pub_key).into();
    let mut a = [0u8; 20];
    a.copy_from_slice(&digest[..20]);
    a
}

fn vote_type(v: &Vote) -> &'static str {
    if v.is_prevote() { "prevote" } else { "precommit" }
}

fn nanos(t: Time) -> i128 {
    t.unix_timestamp_nanos()
}

/// Parses and checks evidence in the JSON form of the module docs.
///
/// # Errors
/// [`EvidenceError`] when the input does not parse.
pub fn verify_json(bytes: &[u8]) -> Result<Verdict, EvidenceError> {
    verify(&parse(bytes)?)
}

/// Checks duplicate-vote evidence as a CometBFT node does before committing it.
///
/// # Errors
/// [`DocumentError::Field`](crate::DocumentError::Field) when the chain id is not a valid one.
pub fn verify(c: &DuplicateVoteCase) -> Result<Verdict, EvidenceError> {
    let (a, b) = (&c.vote_a, &c.vote_b);
    // ValidateBasic: the order of the votes.
    if block_id_key(a) >= block_id_key(b) {
        return Ok(Verdict::Rejected(Rejection::InvalidOrder));
    }
    // verify: the evidence's time is its block's, and it has not expired.
    if let Some(block) = c.evidence_block_time
        && block != c.timestamp
    {
        return Ok(Verdict::Rejected(Rejection::TimeMismatch {
            evidence: c.timestamp.to_rfc3339(),
            block: block.to_rfc3339(),
        }));
    }
    let height = a.height.value();
    let age_blocks = c.last_block_height.saturating_sub(height);
    let age_ns = nanos(c.last_block_time) - nanos(c.timestamp);
    if age_ns > i128::from(c.max_age_duration_ns) && age_blocks > c.max_age_num_blocks {
        return Ok(Verdict::Rejected(Rejection::Expired {
            age_blocks,
            max_blocks: c.max_age_num_blocks,
            age_ns: age_ns.unsigned_abs(),
            max_ns: c.max_age_duration_ns,
        }));
    }
    // VerifyDuplicateVote.
    if a.height != b.height || a.round != b.round || a.vote_type != b.vote_type {
        let hrs = |v: &Vote| format!("{}/{}/{}", v.height, v.round.value(), vote_type(v));
        return Ok(Verdict::Rejected(Rejection::HeightRoundTypeMismatch { a: hrs(a), b: hrs(b) }));
    }
    if a.validator_address != b.validator_address {
        return Ok(Verdict::Rejected(Rejection::DifferentValidators));
    }
    if a.block_id == b.block_id {
        return Ok(Verdict::Rejected(Rejection::SameBlockId));
    }
    let addr = address(&c.pub_key);
    if a.validator_address.as_bytes() != addr {
        return Ok(Verdict::Rejected(Rejection::AddressMismatch {
            address: hex::encode_upper(a.validator_address.as_bytes()),
        }));
    }
    if c.validator_power != c.evidence_validator_power {
        return Ok(Verdict::Rejected(Rejection::ValidatorPowerMismatch {
            evidence: c.evidence_validator_power,
            state: c.validator_power,
        }));
    }
    if c.total_voting_power != c.evidence_total_voting_power {
        return Ok(Verdict::Rejected(Rejection::TotalPowerMismatch {
            evidence: c.evidence_total_voting_power,
            state: c.total_voting_power,
        }));
    }
    let Ok(key) = VerificationKey::try_from(c.pub_key) else {
        return Ok(Verdict::Rejected(Rejection::BadSignature { which: "vote_a" }));
    };
    for (which, v) in [("vote_a", a), ("vote_b", b)] {
        let sign_bytes = vote_sign_bytes(&c.chain_id, v)?;
        let ok = v
            .signature
            .as_ref()
            .and_then(|s| <[u8; 64]>::try_from(s.as_bytes()).ok())
            .is_some_and(|s| key.verify(&Signature::from(s), &sign_bytes).is_ok());
        if !ok {
            return Ok(Verdict::Rejected(Rejection::BadSignature { which }));
        }
    }
    Ok(Verdict::Valid(DuplicateVote {
        validator_address: addr,
        height,
        round: a.round.value(),
        vote_type: vote_type(a),
        validator_power: c.validator_power,
        total_voting_power: c.total_voting_power,
    }))
}

fn time(o: &Obj<'_>, key: &str) -> Result<Time, EvidenceError> {
    let s = o.str(key)?;
    Time::parse_from_rfc3339(s)
        .map_err(|e| EvidenceError::field(o.child_path(key), format!("`{s}` is not an RFC 3339 time: {e}")))
}

fn vote(o: &Obj<'_>, key: &str) -> Result<Vote, EvidenceError> {
    let v = o.get(key)?;
    serde_json::from_value::<Vote>(v.clone())
        .map_err(|e| EvidenceError::field(o.child_path(key), format!("not a CometBFT vote: {e}")))
}

/// Parses evidence in the JSON form of the module docs.
///
/// # Errors
/// [`EvidenceError`] naming the JSON path of the first field that is missing or malformed.
pub fn parse(bytes: &[u8]) -> Result<DuplicateVoteCase, EvidenceError> {
    let v: Value = serde_json::from_slice(bytes)?;
    let top = Obj::new(&v, "")?;
    let ev = top.obj("duplicate_vote_evidence")?;
    let val = top.obj("validator")?;
    let key_b64 = val.str("pub_key")?;
    let key = base64_decode(key_b64)
        .and_then(|k| <[u8; 32]>::try_from(k).ok())
        .ok_or_else(|| EvidenceError::field(val.child_path("pub_key"), "expected a base64 Ed25519 key of 32 bytes"))?;
    let last = top.obj("last_block")?;
    let chain_id = top.str("chain_id")?.to_owned();
    ChainId::try_from(chain_id.clone())
        .map_err(|e| EvidenceError::field("chain_id", format!("not a valid chain id: {e}")))?;
    Ok(DuplicateVoteCase {
        chain_id,
        vote_a: vote(&ev, "vote_a")?,
        vote_b: vote(&ev, "vote_b")?,
        evidence_total_voting_power: ev.u64_str("total_voting_power")?,
        evidence_validator_power: ev.u64_str("validator_power")?,
        timestamp: time(&ev, "timestamp")?,
        pub_key: key,
        validator_power: val.u64_str("voting_power")?,
        total_voting_power: top.u64_str("total_voting_power")?,
        evidence_block_time: match top.opt("evidence_block_time") {
            Some(_) => Some(time(&top, "evidence_block_time")?),
            None => None,
        },
        last_block_height: last.u64_str("height")?,
        last_block_time: time(&last, "time")?,
        max_age_num_blocks: match top.opt("max_age_num_blocks") {
            Some(_) => top.u64_str("max_age_num_blocks")?,
            None => DEFAULT_MAX_AGE_NUM_BLOCKS,
        },
        max_age_duration_ns: match top.opt("max_age_duration_ns") {
            Some(_) => top.u64_str("max_age_duration_ns")?,
            None => DEFAULT_MAX_AGE_DURATION_NS,
        },
    })
}

/// Standard base64 with padding, as CometBFT's JSON writes keys and signatures.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let bytes = s.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for (i, chunk) in bytes.chunks(4).enumerate() {
        let last = i + 1 == bytes.len() / 4;
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for &c in &chunk[..4 - pad] {
            n = (n << 6) | val(c)?;
        }
        n <<= 6 * pad as u32;
        let b = n.to_be_bytes();
        out.extend_from_slice(&b[1..4 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_known_values() {
        // RFC 4648 §10 test vectors.
        for (plain, enc) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foobar", "Zm9vYmFy")] {
            assert_eq!(base64_decode(enc).unwrap(), plain.as_bytes());
        }
        assert!(base64_decode("Zg=").is_none());
        assert!(base64_decode("Z===").is_none());
    }
}
