//! EIP-3076 slashing-protection interchange: parse, import into a per-key history,
//! export, and the five conditions a signer must respect after importing.
//!
//! Source: ethereum/EIPs `EIPS/eip-3076.md` (format version 5). After importing `data`,
//! a signer must refuse:
//! 1. a block slashable against the recorded blocks (a record without `signing_root`
//!    makes any other block at that slot slashable);
//! 2. a block with `slot <= min(recorded slot)`, unless it repeats a recorded signing;
//! 3. an attestation slashable against the recorded ones (double vote or surround, either
//!    way round; a record without `signing_root` makes any other attestation with that
//!    target slashable);
//! 4. an attestation with `source < min(recorded source)`;
//! 5. an attestation with `target <= min(recorded target)`, unless it repeats a recorded
//!    signing.
//!
//! A signing root of 32 zero bytes is read as absent, as lighthouse's
//! `validator_client/slashing_protection` does: it can never identify a repeat.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde_json::{Value, json};

use super::EvidenceError;
use crate::json::{Obj, hex_bytes, hex32};

/// The only interchange version this module reads and writes.
pub const FORMAT_VERSION: &str = "5";

/// A validator's BLS public key (compressed G1).
pub type Pubkey = [u8; 48];

/// A recorded block signing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SignedBlock {
    /// Its slot.
    pub slot: u64,
    /// Its signing root, when known.
    pub signing_root: Option<[u8; 32]>,
}

/// A recorded attestation signing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SignedAttestation {
    /// Source epoch.
    pub source_epoch: u64,
    /// Target epoch.
    pub target_epoch: u64,
    /// Its signing root, when known.
    pub signing_root: Option<[u8; 32]>,
}

/// What one validator has signed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// Blocks, in the order recorded.
    pub blocks: Vec<SignedBlock>,
    /// Attestations, in the order recorded.
    pub attestations: Vec<SignedAttestation>,
}

/// A parsed interchange file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interchange {
    /// `metadata.genesis_validators_root`.
    pub genesis_validators_root: [u8; 32],
    /// `data`, one entry per record in file order (a key may appear more than once).
    pub data: Vec<(Pubkey, History)>,
}

/// Why an import is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The file is for another chain.
    #[error("the interchange is for genesis validators root {found}, the signer's is {expected}")]
    GenesisValidatorsRootMismatch {
        /// The signer's root, hex.
        expected: String,
        /// The file's root, hex.
        found: String,
    },
}

/// Why a signing is refused: the EIP-3076 condition it breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// Condition 1: another block at this slot is recorded (or the recorded one has no
    /// signing root).
    #[error("condition 1: a different block at slot {slot} is recorded (double proposal)")]
    DoubleBlockProposal {
        /// The slot.
        slot: u64,
    },
    /// Condition 2: the slot is at or below the lowest recorded slot.
    #[error("condition 2: slot {slot} is not above the lowest recorded slot {min_slot}")]
    SlotNotAboveMinimum {
        /// The slot asked for.
        slot: u64,
        /// The lowest recorded.
        min_slot: u64,
    },
    /// Condition 3: another attestation with this target is recorded.
    #[error("condition 3: a different attestation with target {target_epoch} is recorded (double vote)")]
    DoubleVote {
        /// The target epoch.
        target_epoch: u64,
    },
    /// Condition 3: the new attestation surrounds a recorded one.
    #[error("condition 3: ({source_epoch}, {target_epoch}) surrounds the recorded ({prev_source}, {prev_target})")]
    SurroundsRecorded {
        /// New source.
        source_epoch: u64,
        /// New target.
        target_epoch: u64,
        /// Recorded source.
        prev_source: u64,
        /// Recorded target.
        prev_target: u64,
    },
    /// Condition 3: a recorded attestation surrounds the new one.
    #[error(
        "condition 3: ({source_epoch}, {target_epoch}) is surrounded by the recorded ({prev_source}, {prev_target})"
    )]
    SurroundedByRecorded {
        /// New source.
        source_epoch: u64,
        /// New target.
        target_epoch: u64,
        /// Recorded source.
        prev_source: u64,
        /// Recorded target.
        prev_target: u64,
    },
    /// Condition 4: the source is below the lowest recorded source.
    #[error("condition 4: source {source_epoch} is below the lowest recorded source {min_source}")]
    SourceBelowMinimum {
        /// The source asked for.
        source_epoch: u64,
        /// The lowest recorded.
        min_source: u64,
    },
    /// Condition 5: the target is at or below the lowest recorded target.
    #[error("condition 5: target {target_epoch} is not above the lowest recorded target {min_target}")]
    TargetNotAboveMinimum {
        /// The target asked for.
        target_epoch: u64,
        /// The lowest recorded.
        min_target: u64,
    },
    /// Not a valid attestation at all: its source is after its target.
    #[error("source {source_epoch} is after target {target_epoch}")]
    SourceAfterTarget {
        /// The source asked for.
        source_epoch: u64,
        /// The target asked for.
        target_epoch: u64,
    },
}

/// A signing the conditions allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Allowed {
    /// New: record it and sign.
    Fresh,
    /// The same signing root as a recorded signing: signing again is safe.
    Repeat,
}

impl fmt::Display for Allowed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Allowed::Fresh => "safe to sign",
            Allowed::Repeat => "safe to sign (a repeat of a recorded signing)",
        })
    }
}

fn nonzero(root: Option<[u8; 32]>) -> Option<[u8; 32]> {
    root.filter(|r| r != &[0u8; 32])
}

impl Interchange {
    /// Parses an interchange file (format version 5).
    ///
    /// # Errors
    /// [`EvidenceError`] naming the JSON path of the first problem: a missing field, a
    /// version other than `"5"`, an integer that is not a decimal string, hex of the
    /// wrong length.
    pub fn parse(bytes: &[u8]) -> Result<Self, EvidenceError> {
        let v: Value = serde_json::from_slice(bytes)?;
        let top = Obj::new(&v, "")?;
        let meta = top.obj("metadata")?;
        let version = meta.str("interchange_format_version")?;
        if version != FORMAT_VERSION {
            return Err(EvidenceError::field(
                "metadata.interchange_format_version",
                format!("version `{version}` is not supported: expected \"5\""),
            ));
        }
        let genesis_validators_root = meta.hex::<32>("genesis_validators_root")?;
        let mut data = Vec::new();
        for (i, rec) in top.array("data")?.iter().enumerate() {
            let o = Obj::new(rec, format!("data[{i}]"))?;
            let pubkey = o.hex::<48>("pubkey")?;
            let mut h = History::default();
            for (j, b) in o.array("signed_blocks")?.iter().enumerate() {
                let b = Obj::new(b, format!("data[{i}].signed_blocks[{j}]"))?;
                h.blocks.push(SignedBlock { slot: b.u64_str("slot")?, signing_root: opt_root(&b)? });
            }
            for (j, a) in o.array("signed_attestations")?.iter().enumerate() {
                let a = Obj::new(a, format!("data[{i}].signed_attestations[{j}]"))?;
                h.attestations.push(SignedAttestation {
                    source_epoch: a.u64_str("source_epoch")?,
                    target_epoch: a.u64_str("target_epoch")?,
                    signing_root: opt_root(&a)?,
                });
            }
            data.push((pubkey, h));
        }
        Ok(Interchange { genesis_validators_root, data })
    }

    /// Writes the interchange as JSON (integers as decimal strings, absent roots omitted).
    pub fn to_json(&self) -> Value {
        let data: Vec<Value> = self
            .data
            .iter()
            .map(|(pk, h)| {
                let blocks: Vec<Value> = h
                    .blocks
                    .iter()
                    .map(|b| {
                        let mut o = json!({ "slot": b.slot.to_string() });
                        if let Some(r) = b.signing_root {
                            o["signing_root"] = json!(hex32(&r));
                        }
                        o
                    })
                    .collect();
                let atts: Vec<Value> = h
                    .attestations
                    .iter()
                    .map(|a| {
                        let mut o = json!({
                            "source_epoch": a.source_epoch.to_string(),
                            "target_epoch": a.target_epoch.to_string(),
                        });
                        if let Some(r) = a.signing_root {
                            o["signing_root"] = json!(hex32(&r));
                        }
                        o
                    })
                    .collect();
                json!({
                    "pubkey": format!("0x{}", hex::encode(pk)),
                    "signed_blocks": blocks,
                    "signed_attestations": atts,
                })
            })
            .collect();
        json!({
            "metadata": {
                "interchange_format_version": FORMAT_VERSION,
                "genesis_validators_root": hex32(&self.genesis_validators_root),
            },
            "data": data,
        })
    }
}

fn opt_root(o: &Obj<'_>) -> Result<Option<[u8; 32]>, EvidenceError> {
    match o.opt("signing_root") {
        None => Ok(None),
        Some(v) => {
            let path = o.child_path("signing_root");
            let s = v.as_str().ok_or_else(|| EvidenceError::field(&path, "expected 0x-prefixed hex of 32 bytes"))?;
            Ok(Some(hex_bytes::<32>(s, &path)?))
        }
    }
}

/// A signer's slashing-protection record: the complete history of every key, for one chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlashingProtection {
    genesis_validators_root: [u8; 32],
    keys: BTreeMap<Pubkey, History>,
}

impl SlashingProtection {
    /// An empty record for the chain with this genesis validators root.
    pub fn new(genesis_validators_root: [u8; 32]) -> Self {
        SlashingProtection { genesis_validators_root, keys: BTreeMap::new() }
    }

    /// The chain's genesis validators root.
    pub fn genesis_validators_root(&self) -> [u8; 32] {
        self.genesis_validators_root
    }

    /// The history of one key, if any.
    pub fn history(&self, pubkey: &Pubkey) -> Option<&History> {
        self.keys.get(pubkey)
    }

    /// The keys recorded.
    pub fn pubkeys(&self) -> impl Iterator<Item = &Pubkey> {
        self.keys.keys()
    }

    /// Imports an interchange: every record is added to its key's history (records
    /// already present are not duplicated).
    ///
    /// # Errors
    /// [`ImportError::GenesisValidatorsRootMismatch`] when the file is for another chain;
    /// nothing is imported then.
    pub fn import(&mut self, file: &Interchange) -> Result<(), ImportError> {
        if file.genesis_validators_root != self.genesis_validators_root {
            return Err(ImportError::GenesisValidatorsRootMismatch {
                expected: hex32(&self.genesis_validators_root),
                found: hex32(&file.genesis_validators_root),
            });
        }
        for (pk, h) in &file.data {
            let entry = self.keys.entry(*pk).or_default();
            let mut blocks: HashSet<SignedBlock> = entry.blocks.iter().copied().collect();
            for b in &h.blocks {
                if blocks.insert(*b) {
                    entry.blocks.push(*b);
                }
            }
            let mut atts: HashSet<SignedAttestation> = entry.attestations.iter().copied().collect();
            for a in &h.attestations {
                if atts.insert(*a) {
                    entry.attestations.push(*a);
                }
            }
        }
        Ok(())
    }

    /// Exports the whole record (keys in byte order, signings sorted).
    pub fn export(&self) -> Interchange {
        let data = self
            .keys
            .iter()
            .map(|(pk, h)| {
                let mut h = h.clone();
                h.blocks.sort();
                h.attestations.sort();
                (*pk, h)
            })
            .collect();
        Interchange { genesis_validators_root: self.genesis_validators_root, data }
    }

    /// Conditions 1 and 2 for a block proposal by `pubkey` at `slot`.
    ///
    /// # Errors
    /// The [`Refusal`] naming the condition broken.
    pub fn check_block(&self, pubkey: &Pubkey, slot: u64, signing_root: Option<[u8; 32]>) -> Result<Allowed, Refusal> {
        let Some(h) = self.keys.get(pubkey) else { return Ok(Allowed::Fresh) };
        let root = nonzero(signing_root);
        if let Some(prev) = h.blocks.iter().find(|b| b.slot == slot) {
            return match (nonzero(prev.signing_root), root) {
                (Some(p), Some(r)) if p == r => Ok(Allowed::Repeat),
                _ => Err(Refusal::DoubleBlockProposal { slot }),
            };
        }
        if let Some(min_slot) = h.blocks.iter().map(|b| b.slot).min()
            && slot <= min_slot
        {
            return Err(Refusal::SlotNotAboveMinimum { slot, min_slot });
        }
        Ok(Allowed::Fresh)
    }

    /// Conditions 3, 4 and 5 for an attestation by `pubkey`.
    ///
    /// # Errors
    /// The [`Refusal`] naming the condition broken.
    pub fn check_attestation(
        &self,
        pubkey: &Pubkey,
        source_epoch: u64,
        target_epoch: u64,
        signing_root: Option<[u8; 32]>,
    ) -> Result<Allowed, Refusal> {
        if source_epoch > target_epoch {
            return Err(Refusal::SourceAfterTarget { source_epoch, target_epoch });
        }
        let Some(h) = self.keys.get(pubkey) else { return Ok(Allowed::Fresh) };
        let root = nonzero(signing_root);
        if let Some(prev) = h.attestations.iter().find(|a| a.target_epoch == target_epoch) {
            return match (nonzero(prev.signing_root), root) {
                (Some(p), Some(r)) if p == r => Ok(Allowed::Repeat),
                _ => Err(Refusal::DoubleVote { target_epoch }),
            };
        }
        for prev in &h.attestations {
            let (ps, pt) = (prev.source_epoch, prev.target_epoch);
            if source_epoch < ps && pt < target_epoch {
                return Err(Refusal::SurroundsRecorded {
                    source_epoch,
                    target_epoch,
                    prev_source: ps,
                    prev_target: pt,
                });
            }
            if ps < source_epoch && target_epoch < pt {
                return Err(Refusal::SurroundedByRecorded {
                    source_epoch,
                    target_epoch,
                    prev_source: ps,
                    prev_target: pt,
                });
            }
        }
        if let Some(min_source) = h.attestations.iter().map(|a| a.source_epoch).min()
            && source_epoch < min_source
        {
            return Err(Refusal::SourceBelowMinimum { source_epoch, min_source });
        }
        if let Some(min_target) = h.attestations.iter().map(|a| a.target_epoch).min()
            && target_epoch <= min_target
        {
            return Err(Refusal::TargetNotAboveMinimum { target_epoch, min_target });
        }
        Ok(Allowed::Fresh)
    }

    /// Checks a block and records it when allowed (a repeat is not recorded twice).
    ///
    /// # Errors
    /// The [`Refusal`]; nothing is recorded then.
    pub fn sign_block(
        &mut self,
        pubkey: &Pubkey,
        slot: u64,
        signing_root: Option<[u8; 32]>,
    ) -> Result<Allowed, Refusal> {
        let allowed = self.check_block(pubkey, slot, signing_root)?;
        if allowed == Allowed::Fresh {
            self.keys.entry(*pubkey).or_default().blocks.push(SignedBlock { slot, signing_root });
        }
        Ok(allowed)
    }

    /// Checks an attestation and records it when allowed.
    ///
    /// # Errors
    /// The [`Refusal`]; nothing is recorded then.
    pub fn sign_attestation(
        &mut self,
        pubkey: &Pubkey,
        source_epoch: u64,
        target_epoch: u64,
        signing_root: Option<[u8; 32]>,
    ) -> Result<Allowed, Refusal> {
        let allowed = self.check_attestation(pubkey, source_epoch, target_epoch, signing_root)?;
        if allowed == Allowed::Fresh {
            self.keys.entry(*pubkey).or_default().attestations.push(SignedAttestation {
                source_epoch,
                target_epoch,
                signing_root,
            });
        }
        Ok(allowed)
    }

    /// Pairs of recorded signings of one key that are slashable against each other.
    /// An interchange may hold such pairs (EIP-3076 lets a signer import them); they are
    /// worth reporting. For each offending signing one partner is named. Runs in
    /// O(n log n) per key, so large files are no hang.
    pub fn slashable_pairs(&self) -> Vec<(Pubkey, String)> {
        let mut out = Vec::new();
        for (pk, h) in &self.keys {
            let mut by_slot: BTreeMap<u64, Vec<Option<[u8; 32]>>> = BTreeMap::new();
            for b in &h.blocks {
                by_slot.entry(b.slot).or_default().push(nonzero(b.signing_root));
            }
            for (slot, roots) in by_slot {
                if roots.len() > 1 && (roots.iter().any(Option::is_none) || roots.windows(2).any(|w| w[0] != w[1])) {
                    out.push((*pk, format!("two blocks at slot {slot}")));
                }
            }
            let mut by_target: BTreeMap<u64, Vec<&SignedAttestation>> = BTreeMap::new();
            for a in &h.attestations {
                by_target.entry(a.target_epoch).or_default().push(a);
            }
            for (target, atts) in &by_target {
                let differ = atts.windows(2).any(|w| w[0] != w[1] || nonzero(w[0].signing_root).is_none());
                if atts.len() > 1 && differ {
                    out.push((*pk, format!("two attestations with target {target}")));
                }
            }
            // Surrounds: sweep by increasing source, keeping the largest target among
            // strictly smaller sources; a later attestation with a smaller target is surrounded.
            let mut by_source: BTreeMap<u64, Vec<&SignedAttestation>> = BTreeMap::new();
            for a in &h.attestations {
                by_source.entry(a.source_epoch).or_default().push(a);
            }
            let mut widest: Option<&SignedAttestation> = None;
            for group in by_source.values() {
                if let Some(w) = widest {
                    for b in group.iter().filter(|b| b.target_epoch < w.target_epoch) {
                        out.push((
                            *pk,
                            format!(
                                "attestation ({}, {}) surrounds ({}, {})",
                                w.source_epoch, w.target_epoch, b.source_epoch, b.target_epoch
                            ),
                        ));
                    }
                }
                if let Some(m) = group.iter().max_by_key(|a| a.target_epoch)
                    && widest.is_none_or(|w| m.target_epoch > w.target_epoch)
                {
                    widest = Some(m);
                }
            }
        }
        out
    }
}
