//! Merkle proofs: RFC 6962 against certificate-transparency / transparency-dev vectors,
//! OpenZeppelin StandardMerkleTree against `@openzeppelin/merkle-tree` 1.0.8, and
//! build-verify-tamper-reject properties for both.

use std::path::{Path, PathBuf};

use alloy_primitives::{Address, B256, U256, hex};
use alloy_sol_types::SolValue;
use bulwark_verify::merkle::{MerkleError, openzeppelin, rfc6962};
use proptest::prelude::*;
use serde::Deserialize;

fn fixtures() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/merkle"))
}

/// Standard base64 (RFC 4648 section 4), as Go's encoding/json writes `[]byte`.
fn base64(s: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => u32::from(c - b'A'),
        b'a'..=b'z' => u32::from(c - b'a') + 26,
        b'0'..=b'9' => u32::from(c - b'0') + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|&c| c != b'=') {
        acc = (acc << 6) | value(c);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

fn b256(v: &[u8]) -> B256 {
    B256::from_slice(v)
}

/// The eight leaves of certificate-transparency's merkle tree tests, as in
/// transparency-dev/merkle `testonly/constants.go` `LeafInputs`.
const LEAVES: [&str; 8] =
    ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];

/// Roots of the trees of the first n of `LEAVES`, n = 1..=8 (`RootHashes`, same file).
const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn ct_leaf_hashes() -> Vec<B256> {
    LEAVES.iter().map(|l| rfc6962::leaf_hash(&hex::decode(l).unwrap())).collect()
}

#[test]
fn rfc6962_roots_match_certificate_transparency() {
    let hashes = ct_leaf_hashes();
    for (n, root) in ROOTS.iter().enumerate() {
        assert_eq!(hex::encode(rfc6962::root(&hashes[..=n])), *root, "tree of {} leaves", n + 1);
    }
    // Every proof from the tree verifies, and only at its own index.
    for n in 1..=8 {
        let root = rfc6962::root(&hashes[..n]);
        for i in 0..n {
            let proof = rfc6962::inclusion_proof(&hashes[..n], i).unwrap();
            rfc6962::verify_inclusion(hashes[i], i as u64, n as u64, &proof, root).unwrap();
            for j in (0..n).filter(|&j| j != i) {
                assert!(rfc6962::verify_inclusion(hashes[i], j as u64, n as u64, &proof, root).is_err());
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InclusionVector {
    leaf_idx: i128,
    tree_size: i128,
    root: Option<String>,
    leaf_hash: Option<String>,
    proof: Option<Vec<String>>,
    desc: String,
    want_err: bool,
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

#[test]
fn rfc6962_inclusion_vectors_of_transparency_dev() {
    let mut files = Vec::new();
    json_files(&fixtures().join("rfc6962-transparency-dev"), &mut files);
    // The vendored directory holds 98 files; fail if some were never read.
    assert_eq!(files.len(), 98);
    let (mut accepted, mut rejected) = (0, 0);
    for file in &files {
        let v: InclusionVector = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let decode = |s: &Option<String>| s.as_deref().map(base64).unwrap_or_default();
        let (root, leaf) = (decode(&v.root), decode(&v.leaf_hash));
        let proof: Vec<Vec<u8>> = v.proof.iter().flatten().map(|p| base64(p)).collect();
        let outcome = if root.len() != 32 || leaf.len() != 32 || proof.iter().any(|p| p.len() != 32) {
            Err("not 32-byte hashes")
        } else if !(0..=i128::from(u64::MAX)).contains(&v.leaf_idx)
            || !(0..=i128::from(u64::MAX)).contains(&v.tree_size)
        {
            Err("out of u64 range")
        } else {
            let proof: Vec<B256> = proof.iter().map(|p| b256(p)).collect();
            rfc6962::verify_inclusion(b256(&leaf), v.leaf_idx as u64, v.tree_size as u64, &proof, b256(&root))
                .map_err(|_| "rejected")
        };
        assert_eq!(outcome.is_err(), v.want_err, "{}: {} ({outcome:?})", file.display(), v.desc);
        if v.want_err { rejected += 1 } else { accepted += 1 }
    }
    assert!(accepted >= 5 && rejected >= 50, "{accepted} accepted, {rejected} rejected");
}

#[test]
fn rfc6962_leaf_and_node_domains_differ() {
    // An inner node's preimage presented as a leaf hashes differently (0x00 vs 0x01).
    let hashes = ct_leaf_hashes();
    let node = rfc6962::node_hash(&hashes[0], &hashes[1]);
    let mut as_leaf = hashes[0].to_vec();
    as_leaf.extend_from_slice(hashes[1].as_slice());
    assert_ne!(rfc6962::leaf_hash(&as_leaf), node);
}

#[derive(Deserialize)]
struct OzFixture {
    trees: Vec<OzTree>,
}

#[derive(Deserialize)]
struct OzTree {
    size: usize,
    root: B256,
    leaves: Vec<OzLeaf>,
    multiproofs: Vec<OzMultiproof>,
}

#[derive(Deserialize)]
struct OzLeaf {
    index: usize,
    value: (Address, String),
    leaf_hash: B256,
    proof: Vec<B256>,
}

#[derive(Deserialize)]
struct OzMultiproof {
    leaves: Vec<B256>,
    proof: Vec<B256>,
    proof_flags: Vec<bool>,
}

fn oz() -> OzFixture {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("openzeppelin/standard_merkle_tree.json")).unwrap())
        .unwrap()
}

#[test]
fn standard_merkle_tree_matches_openzeppelin() {
    let f = oz();
    assert_eq!(f.trees.len(), 9);
    for tree in &f.trees {
        assert_eq!(tree.leaves.len(), tree.size);
        let mut hashes = Vec::new();
        for leaf in &tree.leaves {
            // abi.encode(address, uint256), hashed twice.
            let amount = U256::from_str_radix(&leaf.value.1, 10).unwrap();
            let encoded = (leaf.value.0, amount).abi_encode_params();
            assert_eq!(openzeppelin::leaf_hash(&encoded), leaf.leaf_hash);
            openzeppelin::verify(&leaf.proof, tree.root, leaf.leaf_hash).unwrap();
            hashes.push(leaf.leaf_hash);
        }
        // StandardMerkleTree.of sorts leaves by hash, then lays out the tree.
        hashes.sort();
        let built = openzeppelin::SortedPairTree::new(&hashes).unwrap();
        assert_eq!(built.root(), tree.root, "tree of {}", tree.size);
        for leaf in &tree.leaves {
            let position = hashes.iter().position(|h| *h == leaf.leaf_hash).unwrap();
            assert_eq!(built.proof(position).unwrap(), leaf.proof, "leaf {}", leaf.index);
        }
        for mp in &tree.multiproofs {
            openzeppelin::verify_multiproof(&mp.proof, &mp.proof_flags, tree.root, &mp.leaves).unwrap();
            // Tamper: flip a flag, drop a proof hash, change a leaf.
            if let Some(first) = mp.proof_flags.first() {
                let mut flags = mp.proof_flags.clone();
                flags[0] = !first;
                assert!(openzeppelin::verify_multiproof(&mp.proof, &flags, tree.root, &mp.leaves).is_err());
            }
            if !mp.proof.is_empty() {
                let short = &mp.proof[1..];
                assert!(matches!(
                    openzeppelin::verify_multiproof(short, &mp.proof_flags, tree.root, &mp.leaves),
                    Err(MerkleError::InvalidMultiproof { .. })
                ));
            }
            let mut leaves = mp.leaves.clone();
            leaves[0].0[0] ^= 1;
            assert!(openzeppelin::verify_multiproof(&mp.proof, &mp.proof_flags, tree.root, &leaves).is_err());
        }
    }
}

#[test]
fn an_inner_node_is_not_a_standard_leaf() {
    // Second-preimage guard: the 64-byte preimage of an inner node, double-hashed as a
    // leaf, is not that node.
    let f = oz();
    let tree = f.trees.iter().find(|t| t.size == 4).unwrap();
    let (a, b) = (tree.leaves[0].leaf_hash, tree.leaves[1].leaf_hash);
    let node = openzeppelin::hash_pair(&a, &b);
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let preimage = [lo.as_slice(), hi.as_slice()].concat();
    assert_ne!(openzeppelin::leaf_hash(&preimage), node);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// RFC 6962: build a tree, prove a leaf, tamper with any byte of leaf, proof or root,
    /// or with the index or size, and the proof is rejected.
    #[test]
    fn rfc6962_tamper_is_rejected(n in 1usize..40, pick in any::<prop::sample::Index>(), which in 0usize..3, byte in 0usize..32, flip in 1u8..=255) {
        let hashes: Vec<B256> = (0..n).map(|i| rfc6962::leaf_hash(&(i as u64).to_be_bytes())).collect();
        let i = pick.index(n);
        let root = rfc6962::root(&hashes);
        let mut proof = rfc6962::inclusion_proof(&hashes, i).unwrap();
        prop_assert!(rfc6962::verify_inclusion(hashes[i], i as u64, n as u64, &proof, root).is_ok());
        let (mut leaf, mut root2) = (hashes[i], root);
        match which {
            0 => leaf.0[byte] ^= flip,
            1 if !proof.is_empty() => { let k = byte % proof.len(); proof[k].0[byte] ^= flip }
            _ => root2.0[byte] ^= flip,
        }
        prop_assert!(rfc6962::verify_inclusion(leaf, i as u64, n as u64, &proof, root2).is_err());
        // The same proof at another index fails. (The size is bound only through the root:
        // leaf 0 of 5 and of 6 have proofs of the same shape, so size alone is not tampered.)
        let proof = rfc6962::inclusion_proof(&hashes, i).unwrap();
        if n > 1 {
            let j = (i + 1) % n;
            prop_assert!(rfc6962::verify_inclusion(hashes[i], j as u64, n as u64, &proof, root).is_err());
        }
    }

    /// OpenZeppelin: the same for sorted-pair trees.
    #[test]
    fn openzeppelin_tamper_is_rejected(n in 1usize..40, pick in any::<prop::sample::Index>(), which in 0usize..3, byte in 0usize..32, flip in 1u8..=255) {
        let hashes: Vec<B256> = (0..n).map(|i| openzeppelin::leaf_hash(&U256::from(i).abi_encode())).collect();
        let tree = openzeppelin::SortedPairTree::new(&hashes).unwrap();
        let i = pick.index(n);
        let mut proof = tree.proof(i).unwrap();
        prop_assert!(openzeppelin::verify(&proof, tree.root(), hashes[i]).is_ok());
        let (mut leaf, mut root) = (hashes[i], tree.root());
        match which {
            0 => leaf.0[byte] ^= flip,
            1 if !proof.is_empty() => { let k = byte % proof.len(); proof[k].0[byte] ^= flip }
            _ => root.0[byte] ^= flip,
        }
        prop_assert!(openzeppelin::verify(&proof, root, leaf).is_err());
    }

    /// Arbitrary proofs, flags, indices and sizes never panic.
    #[test]
    fn arbitrary_inputs_do_not_panic(
        leaves in proptest::collection::vec(any::<[u8; 32]>(), 0..6),
        proof in proptest::collection::vec(any::<[u8; 32]>(), 0..6),
        flags in proptest::collection::vec(any::<bool>(), 0..12),
        index in any::<u64>(), size in any::<u64>(),
    ) {
        let leaves: Vec<B256> = leaves.into_iter().map(B256::from).collect();
        let proof: Vec<B256> = proof.into_iter().map(B256::from).collect();
        let _ = openzeppelin::process_multiproof(&leaves, &proof, &flags);
        let _ = rfc6962::root_from_proof(B256::ZERO, index, size, &proof);
        let _ = rfc6962::root_from_proof(B256::ZERO, index % 64, size % 64, &proof);
    }
}
