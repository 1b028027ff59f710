//! Merkle inclusion proofs in two schemes, each with leaves and inner nodes hashed apart
//! so that an inner node can never pass for a leaf:
//!
//! - [`rfc6962`]: Certificate Transparency (RFC 6962 / RFC 9162, CometBFT `crypto/merkle`):
//!   SHA-256, `0x00` before a leaf, `0x01` before a pair, ordered pairs, split at the
//!   largest power of two below the size.
//! - [`openzeppelin`]: OpenZeppelin `MerkleProof` and `StandardMerkleTree`: keccak-256,
//!   double-hashed leaves, sorted (commutative) pairs, and multiproofs.

pub mod openzeppelin;
pub mod rfc6962;

use alloy_primitives::{B256, Bytes};
use serde::Deserialize;

/// A Merkle proof to check, as one JSON document (what `bulwark verify merkle` reads),
/// tagged by `scheme`. A leaf is given either as its data (`leaf`, hashed by the scheme:
/// RFC 6962 leaf data, or OpenZeppelin `abi.encode(values)`) or as `leaf_hash`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "scheme", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum ProofRequest {
    /// RFC 6962 inclusion proof.
    Rfc6962 {
        /// The trusted root.
        root: B256,
        /// Leaf data.
        #[serde(default)]
        leaf: Option<Bytes>,
        /// Or the leaf hash.
        #[serde(default)]
        leaf_hash: Option<B256>,
        /// Leaf index.
        index: u64,
        /// Tree size.
        size: u64,
        /// Sibling hashes, nearest first.
        proof: Vec<B256>,
    },
    /// OpenZeppelin `MerkleProof.verify` with a StandardMerkleTree leaf.
    Openzeppelin {
        /// The trusted root.
        root: B256,
        /// `abi.encode(values)` of the leaf.
        #[serde(default)]
        leaf: Option<Bytes>,
        /// Or the leaf hash (already double-hashed).
        #[serde(default)]
        leaf_hash: Option<B256>,
        /// Sibling hashes, nearest first.
        proof: Vec<B256>,
    },
    /// OpenZeppelin `MerkleProof.multiProofVerify`.
    OpenzeppelinMultiproof {
        /// The trusted root.
        root: B256,
        /// Leaf hashes, in the order of the multiproof.
        leaves: Vec<B256>,
        /// Proof hashes.
        proof: Vec<B256>,
        /// `proofFlags`.
        proof_flags: Vec<bool>,
    },
}

/// A [`ProofRequest`] that names its leaf twice or not at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("give exactly one of `leaf` and `leaf_hash`")]
pub struct LeafUnspecified;

impl ProofRequest {
    /// Checks the proof. The outer error is malformed input; the inner one the proof's
    /// rejection.
    ///
    /// # Errors
    /// [`LeafUnspecified`] when the leaf is given twice or not at all.
    pub fn verify(&self) -> Result<Result<(), MerkleError>, LeafUnspecified> {
        let pick = |leaf: &Option<Bytes>, hash: &Option<B256>, h: fn(&[u8]) -> B256| match (leaf, hash) {
            (Some(l), None) => Ok(h(l)),
            (None, Some(x)) => Ok(*x),
            _ => Err(LeafUnspecified),
        };
        Ok(match self {
            Self::Rfc6962 { root, leaf, leaf_hash, index, size, proof } => {
                let lh = pick(leaf, leaf_hash, rfc6962::leaf_hash)?;
                rfc6962::verify_inclusion(lh, *index, *size, proof, *root)
            }
            Self::Openzeppelin { root, leaf, leaf_hash, proof } => {
                let lh = pick(leaf, leaf_hash, openzeppelin::leaf_hash)?;
                openzeppelin::verify(proof, *root, lh)
            }
            Self::OpenzeppelinMultiproof { root, leaves, proof, proof_flags } => {
                openzeppelin::verify_multiproof(proof, proof_flags, *root, leaves)
            }
        })
    }
}

/// Why a proof is rejected, or could not be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MerkleError {
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is not below the tree size {size}")]
    IndexOutOfRange {
        /// The leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The proof has a different number of hashes than the path from leaf to root.
    #[error("proof has {got} hashes; leaf {index} of a tree of {size} needs {expected}")]
    WrongProofLength {
        /// The leaf index.
        index: u64,
        /// The tree size.
        size: u64,
        /// Hashes on the path.
        expected: usize,
        /// Hashes given.
        got: usize,
    },
    /// The proof leads to a different root.
    #[error("proof leads to root {computed}, not {expected}")]
    RootMismatch {
        /// The root computed from the leaf and proof.
        computed: alloy_primitives::B256,
        /// The trusted root.
        expected: alloy_primitives::B256,
    },
    /// A multiproof whose counts do not fit together (`leaves + proof = flags + 1`), or
    /// that uses more hashes than it has.
    #[error("multiproof is inconsistent: {leaves} leaves, {proof} proof hashes, {flags} flags ({reason})")]
    InvalidMultiproof {
        /// Leaves given.
        leaves: usize,
        /// Proof hashes given.
        proof: usize,
        /// Flags given.
        flags: usize,
        /// What does not fit.
        reason: &'static str,
    },
}
