//! RFC 6962 Merkle trees (Certificate Transparency; RFC 9162 section 2.1; CometBFT
//! `crypto/merkle`): `leaf = SHA-256(0x00 ‖ data)`, `node = SHA-256(0x01 ‖ left ‖ right)`,
//! a tree of n > 1 leaves split at k, the largest power of two below n.

use alloy_primitives::B256;
use sha2::{Digest, Sha256};

use super::MerkleError;

/// Prefix of a leaf hash.
pub const LEAF_PREFIX: u8 = 0x00;
/// Prefix of an inner-node hash.
pub const NODE_PREFIX: u8 = 0x01;

/// `SHA-256(0x00 ‖ data)`.
#[must_use]
pub fn leaf_hash(data: &[u8]) -> B256 {
    let mut h = Sha256::new();
    h.update([LEAF_PREFIX]);
    h.update(data);
    B256::from(<[u8; 32]>::from(h.finalize()))
}

/// `SHA-256(0x01 ‖ left ‖ right)`.
#[must_use]
pub fn node_hash(left: &B256, right: &B256) -> B256 {
    let mut h = Sha256::new();
    h.update([NODE_PREFIX]);
    h.update(left);
    h.update(right);
    B256::from(<[u8; 32]>::from(h.finalize()))
}

/// The root of the empty tree, `SHA-256("")`.
#[must_use]
pub fn empty_root() -> B256 {
    B256::from(<[u8; 32]>::from(Sha256::digest([])))
}

/// The largest power of two strictly below `n` (for `n >= 2`).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// `MTH(D[n])`, from the leaf hashes.
#[must_use]
pub fn root(leaf_hashes: &[B256]) -> B256 {
    match leaf_hashes {
        [] => empty_root(),
        [one] => *one,
        _ => {
            let k = split(leaf_hashes.len());
            node_hash(&root(&leaf_hashes[..k]), &root(&leaf_hashes[k..]))
        }
    }
}

/// `PATH(m, D[n])`: the inclusion proof of leaf `index`, nearest sibling first.
///
/// # Errors
/// [`MerkleError::IndexOutOfRange`] when `index >= leaf_hashes.len()`.
pub fn inclusion_proof(leaf_hashes: &[B256], index: usize) -> Result<Vec<B256>, MerkleError> {
    if index >= leaf_hashes.len() {
        return Err(MerkleError::IndexOutOfRange { index: index as u64, size: leaf_hashes.len() as u64 });
    }
    let mut proof = Vec::new();
    path(leaf_hashes, index, &mut proof);
    Ok(proof)
}

fn path(leaves: &[B256], m: usize, out: &mut Vec<B256>) {
    if leaves.len() <= 1 {
        return;
    }
    let k = split(leaves.len());
    if m < k {
        path(&leaves[..k], m, out);
        out.push(root(&leaves[k..]));
    } else {
        path(&leaves[k..], m - k, out);
        out.push(root(&leaves[..k]));
    }
}

/// The root that `proof` leads to from `leaf_hash` at `index` in a tree of `size`
/// (RFC 9162 2.1.3.2, in the decomposition of transparency-dev/merkle `proof/verify.go`).
///
/// # Errors
/// [`MerkleError::IndexOutOfRange`] or [`MerkleError::WrongProofLength`].
pub fn root_from_proof(leaf_hash: B256, index: u64, size: u64, proof: &[B256]) -> Result<B256, MerkleError> {
    if index >= size {
        return Err(MerkleError::IndexOutOfRange { index, size });
    }
    // Levels where the path to the leaf and the path to the last leaf differ are "inner";
    // above them the leaf is on the right border and every sibling is to its left.
    let inner = (u64::BITS - (index ^ (size - 1)).leading_zeros()) as usize;
    let border = index.checked_shr(inner as u32).unwrap_or(0).count_ones() as usize;
    if proof.len() != inner + border {
        return Err(MerkleError::WrongProofLength { index, size, expected: inner + border, got: proof.len() });
    }
    let mut seed = leaf_hash;
    for (level, sibling) in proof[..inner].iter().enumerate() {
        seed = if (index >> level) & 1 == 0 { node_hash(&seed, sibling) } else { node_hash(sibling, &seed) };
    }
    for sibling in &proof[inner..] {
        seed = node_hash(sibling, &seed);
    }
    Ok(seed)
}

/// Checks that `leaf_hash` is leaf `index` of the tree of `size` leaves with root `root`.
///
/// # Errors
/// [`MerkleError::RootMismatch`] or an error of [`root_from_proof`].
pub fn verify_inclusion(leaf_hash: B256, index: u64, size: u64, proof: &[B256], root: B256) -> Result<(), MerkleError> {
    let computed = root_from_proof(leaf_hash, index, size, proof)?;
    if computed == root { Ok(()) } else { Err(MerkleError::RootMismatch { computed, expected: root }) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_the_largest_power_of_two_below_n() {
        for (n, k) in [(2, 1), (3, 2), (4, 2), (5, 4), (8, 4), (9, 8), (1000, 512)] {
            assert_eq!(split(n), k, "n = {n}");
        }
    }

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        // SHA-256("") (FIPS 180-4 example; RFC 6962 MTH({})).
        assert_eq!(empty_root().to_string(), "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
}
