//! The few SSZ hash-tree roots that signing needs: `Checkpoint`, `AttestationData`,
//! `BeaconBlockHeader`, `ForkData` and `SigningData`, plus `compute_domain` and
//! `compute_signing_root`.
//!
//! Source: ethereum/consensus-specs `ssz/simple-serialize.md` (merkleization of
//! containers of basic fields) and `specs/phase0/beacon-chain.md`.

use sha2::{Digest, Sha256};

/// A 32-byte chunk.
pub type Root = [u8; 32];

fn hash_pair(a: &Root, b: &Root) -> Root {
    let mut h = Sha256::new();
    h.update(a);
    h.update(b);
    h.finalize().into()
}

/// `merkleize` of at most 8 chunks, padded with zero chunks to the next power of two.
fn merkleize(chunks: &[Root]) -> Root {
    let width = chunks.len().next_power_of_two().max(1);
    let mut layer: Vec<Root> = chunks.to_vec();
    layer.resize(width, [0u8; 32]);
    while layer.len() > 1 {
        layer = layer.chunks(2).map(|p| hash_pair(&p[0], &p[1])).collect();
    }
    layer[0]
}

/// A `uint64` as its chunk: little-endian, right-padded with zeros.
fn uint64(x: u64) -> Root {
    let mut c = [0u8; 32];
    c[..8].copy_from_slice(&x.to_le_bytes());
    c
}

/// `Checkpoint { epoch, root }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Checkpoint {
    /// The epoch.
    pub epoch: u64,
    /// The block root of its first slot.
    pub root: Root,
}

impl Checkpoint {
    pub(crate) fn hash_tree_root(&self) -> Root {
        merkleize(&[uint64(self.epoch), self.root])
    }
}

/// `AttestationData`: what an attester votes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AttestationData {
    /// Slot of the attestation.
    pub slot: u64,
    /// Committee index (zero from Electra on).
    pub index: u64,
    /// The LMD GHOST vote.
    pub beacon_block_root: Root,
    /// The FFG source.
    pub source: Checkpoint,
    /// The FFG target.
    pub target: Checkpoint,
}

impl AttestationData {
    /// `hash_tree_root(AttestationData)`.
    pub fn hash_tree_root(&self) -> Root {
        merkleize(&[
            uint64(self.slot),
            uint64(self.index),
            self.beacon_block_root,
            self.source.hash_tree_root(),
            self.target.hash_tree_root(),
        ])
    }
}

/// `BeaconBlockHeader`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BeaconBlockHeader {
    /// Slot of the block.
    pub slot: u64,
    /// Index of its proposer.
    pub proposer_index: u64,
    /// Root of the parent block.
    pub parent_root: Root,
    /// Root of the post-state.
    pub state_root: Root,
    /// Root of the block body.
    pub body_root: Root,
}

impl BeaconBlockHeader {
    /// `hash_tree_root(BeaconBlockHeader)`.
    pub fn hash_tree_root(&self) -> Root {
        merkleize(&[uint64(self.slot), uint64(self.proposer_index), self.parent_root, self.state_root, self.body_root])
    }
}

/// `DOMAIN_BEACON_PROPOSER`.
pub(crate) const DOMAIN_BEACON_PROPOSER: [u8; 4] = [0, 0, 0, 0];
/// `DOMAIN_BEACON_ATTESTER`.
pub(crate) const DOMAIN_BEACON_ATTESTER: [u8; 4] = [1, 0, 0, 0];

/// `compute_domain(domain_type, fork_version, genesis_validators_root)`:
/// `domain_type ‖ hash_tree_root(ForkData{fork_version, genesis_validators_root})[:28]`.
pub(crate) fn compute_domain(domain_type: [u8; 4], fork_version: [u8; 4], genesis_validators_root: &Root) -> Root {
    let mut version = [0u8; 32];
    version[..4].copy_from_slice(&fork_version);
    let fork_data_root = merkleize(&[version, *genesis_validators_root]);
    let mut domain = [0u8; 32];
    domain[..4].copy_from_slice(&domain_type);
    domain[4..].copy_from_slice(&fork_data_root[..28]);
    domain
}

/// `compute_signing_root(object, domain)`: `hash_tree_root(SigningData{object_root, domain})`.
pub(crate) fn compute_signing_root(object_root: &Root, domain: &Root) -> Root {
    merkleize(&[*object_root, *domain])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_root_matches_remerkleable() {
        // remerkleable 0.1.24: Checkpoint(epoch=1).hash_tree_root()
        let want = "16abab341fb7f370e27e4dadcf81766dd0dfd0ae64469477bb2cf6614938b2af";
        assert_eq!(hex::encode(Checkpoint { epoch: 1, root: [0; 32] }.hash_tree_root()), want);
    }
}
