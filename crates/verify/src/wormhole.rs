//! Wormhole VAAs (version 1): parsing, the double-keccak digest, and guardian-signature
//! verification that fails closed, following wormhole-foundation/wormhole
//! `ethereum/contracts/Messages.sol` (`verifyVMInternal`, `verifySignatures`) and
//! `sdk/vaa/structs.go`.
//!
//! Layout (big-endian): `version u8 | guardian_set_index u32 | n u8 |
//! n × (guardian_index u8 | r 32 | s 32 | recovery_id u8) | body`, and the body, which is
//! what guardians sign: `timestamp u32 | nonce u32 | emitter_chain u16 |
//! emitter_address 32 | sequence u64 | consistency_level u8 | payload`.

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use serde::Deserialize;

use crate::safe::ecrecover;

/// Bytes of one guardian signature: index, r, s, recovery id.
pub const SIGNATURE_LEN: usize = 66;
/// Bytes of the body before the payload.
pub const BODY_HEADER_LEN: usize = 51;
/// The shortest VAA: header with no signatures and a body with an empty payload
/// (`minVAALength` in `sdk/vaa/structs.go`).
pub const MIN_VAA_LEN: usize = 6 + BODY_HEADER_LEN;
/// Seconds an old guardian set stays valid after it is replaced (`Setters.sol`, 86400).
pub const GUARDIAN_SET_GRACE_S: u64 = 86_400;

/// Bytes that are not a version-1 VAA.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VaaParseError {
    /// The input ended inside a field.
    #[error("VAA ends at byte {len} inside {field} (bytes {offset}..{end})")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Its first byte.
        offset: usize,
        /// One past its last byte.
        end: usize,
        /// Length of the input.
        len: usize,
    },
    /// A version other than 1.
    #[error("VAA version {version} at byte 0 is not supported (expected 1)")]
    UnsupportedVersion {
        /// The version byte.
        version: u8,
    },
}

/// Why a well-formed VAA is rejected, in the order the checks run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VaaError {
    /// No guardian set is known under the VAA's index (or it has no keys).
    #[error("guardian set {index} is unknown or empty")]
    UnknownGuardianSet {
        /// The VAA's guardian set index.
        index: u32,
    },
    /// The VAA's set was replaced and its grace period has passed.
    #[error("guardian set {index} expired at {expiration_time}, before now = {now}")]
    ExpiredGuardianSet {
        /// The set index.
        index: u32,
        /// When it expired (unix seconds).
        expiration_time: u64,
        /// The time of verification.
        now: u64,
    },
    /// Fewer signatures than the quorum.
    #[error("{signatures} signatures, quorum of {guardians} guardians is {quorum}")]
    NoQuorum {
        /// Signatures in the VAA.
        signatures: usize,
        /// Guardians in the set.
        guardians: usize,
        /// `2n/3 + 1`.
        quorum: usize,
    },
    /// Guardian indices not strictly ascending (a repeat or a step back).
    #[error("signature {position}: guardian index {index} is not above {previous}")]
    IndicesNotAscending {
        /// Index of the signature in the VAA.
        position: usize,
        /// Its guardian index.
        index: u8,
        /// The previous guardian index.
        previous: u8,
    },
    /// A guardian index past the end of the set.
    #[error("signature {position}: guardian index {index} is out of range for {guardians} guardians")]
    IndexOutOfRange {
        /// Index of the signature in the VAA.
        position: usize,
        /// Its guardian index.
        index: u8,
        /// Guardians in the set.
        guardians: usize,
    },
    /// A signature that recovers no address (bad recovery id, r or s).
    #[error("signature {position}: does not recover an address")]
    Unrecoverable {
        /// Index of the signature in the VAA.
        position: usize,
    },
    /// A signature that recovers someone other than the guardian at its index.
    #[error("signature {position}: recovers {recovered}, but guardian {index} is {expected}")]
    WrongSigner {
        /// Index of the signature in the VAA.
        position: usize,
        /// Its guardian index.
        index: u8,
        /// The recovered address.
        recovered: Address,
        /// The guardian's key.
        expected: Address,
    },
}

/// One guardian's signature over the digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuardianSignature {
    /// Position of the guardian in its set.
    pub guardian_index: u8,
    /// ECDSA r.
    pub r: B256,
    /// ECDSA s.
    pub s: B256,
    /// Recovery id 0 or 1 (the EVM adds 27).
    pub recovery_id: u8,
}

/// The signed part of a VAA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    /// Observation time (unix seconds).
    pub timestamp: u32,
    /// Emitter-chosen nonce.
    pub nonce: u32,
    /// Wormhole chain id of the emitter.
    pub emitter_chain: u16,
    /// Emitter address, left-padded to 32 bytes.
    pub emitter_address: B256,
    /// Emitter sequence number: with chain and address, the message id.
    pub sequence: u64,
    /// Finality the emitter asked for (chain-specific).
    pub consistency_level: u8,
    /// The message, to the end of the VAA.
    pub payload: Vec<u8>,
}

impl Body {
    /// The body's bytes as signed.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(BODY_HEADER_LEN + self.payload.len());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.nonce.to_be_bytes());
        out.extend_from_slice(&self.emitter_chain.to_be_bytes());
        out.extend_from_slice(self.emitter_address.as_slice());
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.push(self.consistency_level);
        out.extend_from_slice(&self.payload);
        out
    }

    /// `keccak256(keccak256(body))`: what guardians sign, raw, and the replay key.
    #[must_use]
    pub fn digest(&self) -> B256 {
        keccak256(keccak256(self.to_bytes()))
    }
}

/// A parsed version-1 VAA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vaa {
    /// Index of the guardian set that signed it.
    pub guardian_set_index: u32,
    /// The signatures, in the order given.
    pub signatures: Vec<GuardianSignature>,
    /// The signed body.
    pub body: Body,
}

/// A cursor that names the field it failed in.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], VaaParseError> {
        let end = self.at.saturating_add(n);
        let out = self.bytes.get(self.at..end).ok_or(VaaParseError::Truncated {
            field,
            offset: self.at,
            end,
            len: self.bytes.len(),
        })?;
        self.at = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], VaaParseError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, field)?);
        Ok(out)
    }
}

impl Vaa {
    /// Parses a version-1 VAA.
    ///
    /// # Errors
    /// [`VaaParseError::UnsupportedVersion`] or [`VaaParseError::Truncated`] naming the field.
    pub fn parse(bytes: &[u8]) -> Result<Self, VaaParseError> {
        let mut r = Reader { bytes, at: 0 };
        let [version] = r.array::<1>("version")?;
        if version != 1 {
            return Err(VaaParseError::UnsupportedVersion { version });
        }
        let guardian_set_index = u32::from_be_bytes(r.array("guardian_set_index")?);
        let [n] = r.array::<1>("num_signatures")?;
        let mut signatures = Vec::with_capacity(usize::from(n));
        for _ in 0..n {
            let [guardian_index] = r.array::<1>("signature guardian_index")?;
            let rr = B256::from(r.array::<32>("signature r")?);
            let s = B256::from(r.array::<32>("signature s")?);
            let [recovery_id] = r.array::<1>("signature v")?;
            signatures.push(GuardianSignature { guardian_index, r: rr, s, recovery_id });
        }
        let body = Body::parse(&bytes[r.at..]).map_err(|e| match e {
            VaaParseError::Truncated { field, offset, end, .. } => {
                VaaParseError::Truncated { field, offset: offset + r.at, end: end + r.at, len: bytes.len() }
            }
            other => other,
        })?;
        Ok(Self { guardian_set_index, signatures, body })
    }

    /// The VAA's bytes.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![1];
        out.extend_from_slice(&self.guardian_set_index.to_be_bytes());
        // Signatures beyond 255 cannot be encoded; callers build VAAs from parsed ones or
        // from at most 255 guardians (the index is a u8).
        out.push(u8::try_from(self.signatures.len()).unwrap_or(u8::MAX));
        for sig in self.signatures.iter().take(usize::from(u8::MAX)) {
            out.push(sig.guardian_index);
            out.extend_from_slice(sig.r.as_slice());
            out.extend_from_slice(sig.s.as_slice());
            out.push(sig.recovery_id);
        }
        out.extend_from_slice(&self.body.to_bytes());
        out
    }

    /// The signed digest, `keccak256(keccak256(body))`.
    #[must_use]
    pub fn digest(&self) -> B256 {
        self.body.digest()
    }

    /// Verifies the VAA against the guardian set named by its own index, failing closed in
    /// the order of `verifyVMInternal`: the set exists and has keys; a non-current set has
    /// not expired (`expiration_time >= now`); signatures reach the quorum; indices are
    /// strictly ascending and in range; each signature recovers the key at its index.
    /// Returns the guardians that signed.
    ///
    /// # Errors
    /// The first failing rule as a [`VaaError`].
    pub fn verify(&self, sets: &GuardianSets, now: u64) -> Result<Vec<Address>, VaaError> {
        let index = self.guardian_set_index;
        let set = sets.get(index).filter(|s| !s.keys.is_empty()).ok_or(VaaError::UnknownGuardianSet { index })?;
        if index != sets.current_index() && set.expiration_time < now {
            return Err(VaaError::ExpiredGuardianSet { index, expiration_time: set.expiration_time, now });
        }
        let guardians = set.keys.len();
        let quorum = quorum(guardians);
        if self.signatures.len() < quorum {
            return Err(VaaError::NoQuorum { signatures: self.signatures.len(), guardians, quorum });
        }
        let digest = self.digest();
        let mut signers = Vec::with_capacity(self.signatures.len());
        let mut previous = 0u8;
        for (position, sig) in self.signatures.iter().enumerate() {
            let recovered = sig
                .recovery_id
                .checked_add(27)
                .and_then(|v| ecrecover(digest, v, U256::from_be_bytes(sig.r.0), U256::from_be_bytes(sig.s.0)))
                .ok_or(VaaError::Unrecoverable { position })?;
            if position > 0 && sig.guardian_index <= previous {
                return Err(VaaError::IndicesNotAscending { position, index: sig.guardian_index, previous });
            }
            previous = sig.guardian_index;
            let expected = *set.keys.get(usize::from(sig.guardian_index)).ok_or(VaaError::IndexOutOfRange {
                position,
                index: sig.guardian_index,
                guardians,
            })?;
            if recovered != expected {
                return Err(VaaError::WrongSigner { position, index: sig.guardian_index, recovered, expected });
            }
            signers.push(recovered);
        }
        Ok(signers)
    }
}

impl Body {
    /// Parses a body (the signed part of a VAA).
    ///
    /// # Errors
    /// [`VaaParseError::Truncated`] naming the field, with offsets inside the body.
    pub fn parse(bytes: &[u8]) -> Result<Self, VaaParseError> {
        let mut r = Reader { bytes, at: 0 };
        let timestamp = u32::from_be_bytes(r.array("timestamp")?);
        let nonce = u32::from_be_bytes(r.array("nonce")?);
        let emitter_chain = u16::from_be_bytes(r.array("emitter_chain")?);
        let emitter_address = B256::from(r.array::<32>("emitter_address")?);
        let sequence = u64::from_be_bytes(r.array("sequence")?);
        let [consistency_level] = r.array::<1>("consistency_level")?;
        let payload = bytes[r.at..].to_vec();
        Ok(Self { timestamp, nonce, emitter_chain, emitter_address, sequence, consistency_level, payload })
    }
}

/// Signatures needed from `guardians` guardians: `guardians * 2 / 3 + 1`, integer division
/// (`sdk/vaa/quorum.go`, `Messages.sol` `quorum`); 13 of 19 on mainnet.
#[must_use]
pub fn quorum(guardians: usize) -> usize {
    guardians * 2 / 3 + 1
}

/// One guardian set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardianSet {
    /// Its index.
    pub index: u32,
    /// Guardian addresses, in index order.
    pub keys: Vec<Address>,
    /// Unix time after which a replaced set stops being valid (0 while current).
    pub expiration_time: u64,
}

/// The guardian sets a verifier knows, and which is current. A VAA is always checked
/// against the set of its own index; there is no fallback to the current set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuardianSets {
    sets: BTreeMap<u32, GuardianSet>,
    current: u32,
}

impl GuardianSets {
    /// No sets: every VAA is rejected.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `set` as the current one; the previous current set expires
    /// `GUARDIAN_SET_GRACE_S` after `now`, as `Setters.sol` `expireGuardianSet` does.
    pub fn rotate(&mut self, set: GuardianSet, now: u64) {
        if let Some(old) = self.sets.get_mut(&self.current)
            && old.index != set.index
        {
            old.expiration_time = now.saturating_add(GUARDIAN_SET_GRACE_S);
        }
        self.current = set.index;
        self.sets.insert(set.index, set);
    }

    /// Adds a set as it is stored (e.g. an old set with its expiry), without changing
    /// which is current.
    pub fn insert(&mut self, set: GuardianSet) {
        self.sets.insert(set.index, set);
    }

    /// Sets which index is current.
    pub fn set_current(&mut self, index: u32) {
        self.current = index;
    }

    /// The set under `index`.
    #[must_use]
    pub fn get(&self, index: u32) -> Option<&GuardianSet> {
        self.sets.get(&index)
    }

    /// The current index.
    #[must_use]
    pub fn current_index(&self) -> u32 {
        self.current
    }
}

/// A VAA and the guardian sets to check it against, as one JSON document (what
/// `bulwark verify vaa` reads).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaaRequest {
    /// The VAA, `0x` hex.
    pub vaa: Bytes,
    /// The known guardian sets.
    pub guardian_sets: Vec<GuardianSetEntry>,
    /// Which set is current; the highest index when absent.
    #[serde(default)]
    pub current_index: Option<u32>,
    /// Unix time of the check; the caller's clock when absent.
    #[serde(default)]
    pub now: Option<u64>,
}

/// One guardian set in a [`VaaRequest`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardianSetEntry {
    /// Its index.
    pub index: u32,
    /// Guardian addresses in index order.
    pub keys: Vec<Address>,
    /// When a replaced set stops being valid (unix seconds); 0 or absent while current.
    #[serde(default)]
    pub expiration_time: u64,
}

impl VaaRequest {
    /// The sets as a [`GuardianSets`], with the current index applied.
    #[must_use]
    pub fn guardian_sets(&self) -> GuardianSets {
        let mut sets = GuardianSets::new();
        for e in &self.guardian_sets {
            sets.insert(GuardianSet { index: e.index, keys: e.keys.clone(), expiration_time: e.expiration_time });
        }
        let current = self.current_index.or_else(|| self.guardian_sets.iter().map(|e| e.index).max());
        sets.set_current(current.unwrap_or(0));
        sets
    }
}

/// The `Core` governance module name, right-aligned in 32 bytes.
pub const CORE_MODULE: B256 = B256::new({
    let mut m = [0u8; 32];
    m[28] = b'C';
    m[29] = b'o';
    m[30] = b'r';
    m[31] = b'e';
    m
});

/// A `Core` governance payload, action 2: replace the guardian set
/// (`ethereum/contracts/GovernanceStructs.sol` `parseGuardianSetUpgrade`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardianSetUpgrade {
    /// Target chain; 0 for all.
    pub chain: u16,
    /// Index of the new set.
    pub new_index: u32,
    /// The new guardians.
    pub keys: Vec<Address>,
}

/// A payload that is not a guardian-set upgrade.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UpgradeParseError {
    /// Too short for its fields.
    #[error("guardian set upgrade ends at byte {len} inside {field}")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Length of the payload.
        len: usize,
    },
    /// Not module `Core`, action 2.
    #[error("payload is not a Core guardian-set upgrade (module {module}, action {action})")]
    NotAnUpgrade {
        /// The module word.
        module: B256,
        /// The action byte.
        action: u8,
    },
    /// Bytes after the last key.
    #[error("{extra} bytes after the guardian keys")]
    TrailingBytes {
        /// How many.
        extra: usize,
    },
}

impl GuardianSetUpgrade {
    /// Parses `module 32 | action u8 = 2 | chain u16 | new_index u32 | n u8 | n × key 20`.
    ///
    /// # Errors
    /// An [`UpgradeParseError`].
    pub fn parse(payload: &[u8]) -> Result<Self, UpgradeParseError> {
        let len = payload.len();
        let get = |from: usize, n: usize, field: &'static str| {
            payload.get(from..from + n).ok_or(UpgradeParseError::Truncated { field, len })
        };
        let module = B256::from_slice(get(0, 32, "module")?);
        let action = get(32, 1, "action")?[0];
        if module != CORE_MODULE || action != 2 {
            return Err(UpgradeParseError::NotAnUpgrade { module, action });
        }
        let chain = u16::from_be_bytes([get(33, 1, "chain")?[0], get(34, 1, "chain")?[0]]);
        let idx = get(35, 4, "new_index")?;
        let new_index = u32::from_be_bytes([idx[0], idx[1], idx[2], idx[3]]);
        let n = usize::from(get(39, 1, "num_keys")?[0]);
        let keys = (0..n).map(|i| get(40 + 20 * i, 20, "key").map(Address::from_slice)).collect::<Result<_, _>>()?;
        let extra = len - (40 + 20 * n);
        if extra > 0 {
            return Err(UpgradeParseError::TrailingBytes { extra });
        }
        Ok(Self { chain, new_index, keys })
    }
}

/// A quorum rule over named attesters, generalising LayerZero V2's DVN rule
/// (`ReceiveUlnBase._checkVerifiable`): every `required` attester must have attested,
/// and at least `optional_threshold` of `optional` ones. Wormhole's rule is the case with
/// no required attesters, the guardians optional and threshold `quorum(n)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumPolicy {
    /// Attesters who must all attest.
    pub required: BTreeSet<Address>,
    /// Attesters of whom `optional_threshold` must attest.
    pub optional: BTreeSet<Address>,
    /// How many optional attesters are needed.
    pub optional_threshold: usize,
}

impl QuorumPolicy {
    /// Wormhole's rule for a guardian set: `2n/3 + 1` of the keys.
    #[must_use]
    pub fn wormhole(keys: &[Address]) -> Self {
        Self {
            required: BTreeSet::new(),
            optional: keys.iter().copied().collect(),
            optional_threshold: quorum(keys.len()),
        }
    }

    /// Whether the distinct `attesters` satisfy the rule; attesters outside the policy do
    /// not count, and an attester listed twice counts once.
    #[must_use]
    pub fn is_met(&self, attesters: &[Address]) -> bool {
        let seen: BTreeSet<Address> = attesters.iter().copied().collect();
        self.required.is_subset(&seen) && self.optional.intersection(&seen).count() >= self.optional_threshold
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quorum_matches_the_sdk_table() {
        // sdk/vaa/quorum_test.go TestCalculateQuorum, the positive cases.
        let table = [
            (0, 1),
            (1, 1),
            (2, 2),
            (3, 3),
            (4, 3),
            (5, 4),
            (6, 5),
            (7, 5),
            (8, 6),
            (9, 7),
            (10, 7),
            (11, 8),
            (12, 9),
            (13, 9),
            (14, 10),
            (15, 11),
            (16, 11),
            (17, 12),
            (18, 13),
            (19, 13),
            (50, 34),
            (100, 67),
            (1000, 667),
        ];
        for (n, q) in table {
            assert_eq!(quorum(n), q, "n = {n}");
        }
    }

    #[test]
    fn minimum_length_is_57() {
        // sdk/vaa/structs_test.go TestMinVAALength.
        assert_eq!(MIN_VAA_LEN, 57);
    }
}
