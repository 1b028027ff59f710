//! OpenZeppelin Merkle trees: `MerkleProof.sol` (sorted, commutative pairs, multiproofs)
//! and `@openzeppelin/merkle-tree` `StandardMerkleTree` (double-hashed leaves).
//!
//! A leaf is `keccak256(keccak256(abi.encode(values)))`: 32-byte node hashes are not
//! 64-byte preimages of that form, so an inner node cannot be presented as a leaf.
//! A node is `keccak256(min(a, b) ‖ max(a, b))`.

use alloy_primitives::{B256, keccak256};

use super::MerkleError;

/// `keccak256(keccak256(encoded))`, the `StandardMerkleTree` leaf of `abi.encode(values)`.
#[must_use]
pub fn leaf_hash(abi_encoded: &[u8]) -> B256 {
    keccak256(keccak256(abi_encoded))
}

/// `keccak256(min ‖ max)`: OpenZeppelin `Hashes.commutativeKeccak256`.
#[must_use]
pub fn hash_pair(a: &B256, b: &B256) -> B256 {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(lo.as_slice());
    buf[32..].copy_from_slice(hi.as_slice());
    keccak256(buf)
}

/// `MerkleProof.processProof`: the root that `proof` leads to from `leaf`.
#[must_use]
pub fn process_proof(leaf: B256, proof: &[B256]) -> B256 {
    proof.iter().fold(leaf, |acc, sibling| hash_pair(&acc, sibling))
}

/// `MerkleProof.verify`.
///
/// # Errors
/// [`MerkleError::RootMismatch`].
pub fn verify(proof: &[B256], root: B256, leaf: B256) -> Result<(), MerkleError> {
    let computed = process_proof(leaf, proof);
    if computed == root { Ok(()) } else { Err(MerkleError::RootMismatch { computed, expected: root }) }
}

/// `MerkleProof.processMultiProof`: the root that `leaves`, `proof` and `flags` lead to.
/// The leaves must be in the order the tree's `getMultiProof` returns them.
///
/// # Errors
/// [`MerkleError::InvalidMultiproof`] when the counts do not fit or a hash is used that
/// is not there (where the contract reverts).
pub fn process_multiproof(leaves: &[B256], proof: &[B256], flags: &[bool]) -> Result<B256, MerkleError> {
    let bad = |reason| MerkleError::InvalidMultiproof {
        leaves: leaves.len(),
        proof: proof.len(),
        flags: flags.len(),
        reason,
    };
    if leaves.len() + proof.len() != flags.len() + 1 {
        return Err(bad("leaves + proof != flags + 1"));
    }
    let mut hashes: Vec<B256> = Vec::with_capacity(flags.len());
    let (mut leaf_pos, mut hash_pos, mut proof_pos) = (0, 0, 0);
    let next_known = |hashes: &[B256], leaf_pos: &mut usize, hash_pos: &mut usize| {
        if *leaf_pos < leaves.len() {
            *leaf_pos += 1;
            Ok(leaves[*leaf_pos - 1])
        } else {
            let h = hashes.get(*hash_pos).copied().ok_or(bad("uses a hash before it is computed"))?;
            *hash_pos += 1;
            Ok(h)
        }
    };
    for &flag in flags {
        let a = next_known(&hashes, &mut leaf_pos, &mut hash_pos)?;
        let b = if flag {
            next_known(&hashes, &mut leaf_pos, &mut hash_pos)?
        } else {
            let p = proof.get(proof_pos).copied().ok_or(bad("runs out of proof hashes"))?;
            proof_pos += 1;
            p
        };
        hashes.push(hash_pair(&a, &b));
    }
    if let Some(last) = hashes.last() {
        if proof_pos != proof.len() {
            return Err(bad("leaves proof hashes unused"));
        }
        Ok(*last)
    } else if let Some(first) = leaves.first() {
        Ok(*first)
    } else {
        proof.first().copied().ok_or(bad("is empty"))
    }
}

/// `MerkleProof.multiProofVerify`.
///
/// # Errors
/// [`MerkleError::RootMismatch`] or an error of [`process_multiproof`].
pub fn verify_multiproof(proof: &[B256], flags: &[bool], root: B256, leaves: &[B256]) -> Result<(), MerkleError> {
    let computed = process_multiproof(leaves, proof, flags)?;
    if computed == root { Ok(()) } else { Err(MerkleError::RootMismatch { computed, expected: root }) }
}

/// A tree laid out as `@openzeppelin/merkle-tree` `makeMerkleTree` lays it out: a complete
/// binary tree in an array of `2n − 1` nodes, leaf `i` at position `2n − 2 − i`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortedPairTree {
    nodes: Vec<B256>,
    leaves: usize,
}

impl SortedPairTree {
    /// Builds the tree over `leaf_hashes` in the order given (`StandardMerkleTree.of`
    /// sorts them by hash first; do the same to reproduce its root). `None` for no leaves.
    #[must_use]
    pub fn new(leaf_hashes: &[B256]) -> Option<Self> {
        let n = leaf_hashes.len();
        if n == 0 {
            return None;
        }
        let mut nodes = vec![B256::ZERO; 2 * n - 1];
        for (i, leaf) in leaf_hashes.iter().enumerate() {
            nodes[2 * n - 2 - i] = *leaf;
        }
        for i in (0..n - 1).rev() {
            nodes[i] = hash_pair(&nodes[2 * i + 1], &nodes[2 * i + 2]);
        }
        Some(Self { nodes, leaves: n })
    }

    /// The root.
    #[must_use]
    pub fn root(&self) -> B256 {
        self.nodes[0]
    }

    /// The proof of leaf `index` (in the order given to [`SortedPairTree::new`]).
    ///
    /// # Errors
    /// [`MerkleError::IndexOutOfRange`].
    pub fn proof(&self, index: usize) -> Result<Vec<B256>, MerkleError> {
        if index >= self.leaves {
            return Err(MerkleError::IndexOutOfRange { index: index as u64, size: self.leaves as u64 });
        }
        let mut at = self.nodes.len() - 1 - index;
        let mut proof = Vec::new();
        while at > 0 {
            let sibling = if at % 2 == 1 { at + 1 } else { at - 1 };
            proof.push(self.nodes[sibling]);
            at = (at - 1) / 2;
        }
        Ok(proof)
    }
}
