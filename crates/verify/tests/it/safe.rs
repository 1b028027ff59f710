//! Safe: SafeTx hashes and signatures against fixtures from eth-account 0.14.0 (hashes
//! also cross-checked with safe-eth-py 7.27.0 by the generator), and the rules of
//! `checkNSignatures`.

use alloy_primitives::{Address, B256, Bytes, U256, address};
use bulwark_verify::safe::{
    Multisig, SafeError, SafeTransaction, SafeVersion, SignatureKind, domain_separator, ecrecover, safe_tx_hash,
};
use k256::ecdsa::SigningKey;
use proptest::prelude::*;
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    owners: Vec<Address>,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    version: SafeVersion,
    chain_id: u64,
    safe: Address,
    tx: Tx,
    domain_separator: B256,
    safe_tx_hash: B256,
    safe_eth_py_checked: bool,
    signatures: Vec<Sig>,
    outsider: Sig,
}

/// The fixture writes 256-bit numbers as decimal strings.
#[derive(Deserialize)]
struct Tx {
    to: Address,
    value: String,
    data: Bytes,
    operation: u8,
    safe_tx_gas: String,
    base_gas: String,
    gas_price: String,
    gas_token: Address,
    refund_receiver: Address,
    nonce: String,
}

#[derive(Deserialize)]
struct Sig {
    owner: Address,
    #[serde(default)]
    kind: String,
    signature: Bytes,
}

fn dec(s: &str) -> U256 {
    U256::from_str_radix(s, 10).unwrap()
}

impl Tx {
    fn to_safe(&self) -> SafeTransaction {
        SafeTransaction {
            to: self.to,
            value: dec(&self.value),
            data: self.data.clone(),
            operation: self.operation.try_into().unwrap(),
            safe_tx_gas: dec(&self.safe_tx_gas),
            base_gas: dec(&self.base_gas),
            gas_price: dec(&self.gas_price),
            gas_token: self.gas_token,
            refund_receiver: self.refund_receiver,
            nonce: dec(&self.nonce),
        }
    }
}

fn fixture() -> Fixture {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/safe/safe_tx.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Signatures of the given owners (by fixture index), sorted by owner ascending.
fn blob(case: &Case, which: &[usize]) -> Vec<u8> {
    let mut sigs: Vec<&Sig> = which.iter().map(|&i| &case.signatures[i]).collect();
    sigs.sort_by_key(|s| s.owner);
    sigs.iter().flat_map(|s| s.signature.to_vec()).collect()
}

#[test]
fn hashes_match_eth_account_for_every_version_and_chain() {
    let f = fixture();
    assert_eq!(f.cases.len(), 30, "5 versions x 2 chains x 3 transactions");
    for case in &f.cases {
        let tx = case.tx.to_safe();
        assert_eq!(domain_separator(case.version, case.chain_id, case.safe), case.domain_separator, "{}", case.version);
        assert_eq!(safe_tx_hash(case.version, case.chain_id, case.safe, &tx), case.safe_tx_hash, "{}", case.version);
        assert!(case.safe_eth_py_checked, "the generator cross-checked with safe-eth-py");
    }
    // Without chainId in the domain (<= 1.2.0) the chain does not change the hash; with it, it does.
    let by = |v: SafeVersion, chain: u64| {
        f.cases.iter().find(|c| c.version == v && c.chain_id == chain).map(|c| c.safe_tx_hash).unwrap()
    };
    assert_eq!(by(SafeVersion::V1_2_0, 1), by(SafeVersion::V1_2_0, 100));
    assert_ne!(by(SafeVersion::V1_3_0, 1), by(SafeVersion::V1_3_0, 100));
}

#[test]
fn every_fixture_signature_recovers_its_owner() {
    let f = fixture();
    for case in &f.cases {
        let ms = Multisig::new(case.safe, case.chain_id, case.version, &f.owners, 1).unwrap();
        for sig in &case.signatures {
            let approval = ms.verify(&case.tx.to_safe(), &sig.signature, None).unwrap();
            assert_eq!(approval.approvers(), vec![sig.owner]);
            let kind = &approval.signatures[0].kind;
            match sig.kind.as_str() {
                "ecdsa" => assert_eq!(kind, &SignatureKind::Ecdsa),
                "eth_sign" => assert_eq!(kind, &SignatureKind::EthSign),
                other => panic!("unknown kind {other}"),
            }
        }
    }
}

#[test]
fn three_of_five_accepts_sorted_owners_and_reports_them() {
    let f = fixture();
    for case in &f.cases {
        let ms = Multisig::new(case.safe, case.chain_id, case.version, &f.owners, 3).unwrap();
        let approval = ms.verify(&case.tx.to_safe(), &blob(case, &[4, 0, 2]), None).unwrap();
        assert!(approval.is_fully_verified());
        let mut expected = vec![f.owners[0], f.owners[2], f.owners[4]];
        expected.sort();
        assert_eq!(approval.approvers(), expected);
        assert_eq!(approval.safe_tx_hash, case.safe_tx_hash);
    }
}

#[test]
fn rules_of_check_n_signatures() {
    let f = fixture();
    let case = &f.cases[9]; // 1.3.0-style domains come later; any case will do for the rules.
    let tx = case.tx.to_safe();
    let ms = Multisig::new(case.safe, case.chain_id, case.version, &f.owners, 2).unwrap();
    let sorted = blob(case, &[0, 1]);

    // GS020: fewer than threshold * 65 bytes.
    let err = ms.verify(&tx, &sorted[..129], None).unwrap_err();
    assert_eq!(err, SafeError::SignaturesTooShort { len: 129, threshold: 2, needed: 130 });
    assert_eq!(err.code(), "GS020");

    // GS026: descending order.
    let mut reversed = sorted[65..].to_vec();
    reversed.extend_from_slice(&sorted[..65]);
    assert!(matches!(ms.verify(&tx, &reversed, None), Err(SafeError::NotAscending { position: 1, .. })));

    // GS026: the same owner twice.
    let mut twice = sorted[..65].to_vec();
    twice.extend_from_slice(&sorted[..65]);
    let err = ms.verify(&tx, &twice, None).unwrap_err();
    assert!(matches!(err, SafeError::DuplicateSigner { position: 1, .. }), "{err}");
    assert_eq!(err.code(), "GS026");

    // GS026: a signer who is not an owner (the outsider sorts wherever it sorts; use it alone).
    let one = Multisig::new(case.safe, case.chain_id, case.version, &f.owners, 1).unwrap();
    assert_eq!(
        one.verify(&tx, &case.outsider.signature, None),
        Err(SafeError::NotOwner { position: 0, signer: case.outsider.owner })
    );

    // Only the first `threshold` items count: extra items and trailing bytes are ignored.
    let mut extra = sorted.clone();
    extra.extend_from_slice(&case.outsider.signature);
    extra.extend_from_slice(b"trailing");
    assert!(ms.verify(&tx, &extra, None).is_ok());

    // A signature over another transaction recovers someone else: not an owner.
    let mut other = tx.clone();
    other.nonce += U256::from(1);
    assert!(matches!(one.verify(&other, &case.signatures[0].signature, None), Err(SafeError::NotOwner { .. })));

    // v outside 27/28 and <= 30: ecrecover fails.
    let mut bad_v = case.signatures[0].signature.to_vec();
    bad_v[64] = 29;
    assert_eq!(one.verify(&tx, &bad_v, None), Err(SafeError::Unrecoverable { position: 0, v: 29 }));
}

#[test]
fn setup_rules_reject_bad_owner_lists() {
    let owners = [address!("1000000000000000000000000000000000000001")];
    let safe = address!("5afe000000000000000000000000000000000000");
    let v = SafeVersion::V1_4_1;
    assert_eq!(Multisig::new(safe, 1, v, &owners, 0), Err(SafeError::ThresholdZero));
    assert_eq!(Multisig::new(safe, 1, v, &owners, 2), Err(SafeError::ThresholdAboveOwners { threshold: 2, owners: 1 }));
    for bad in [Address::ZERO, address!("0000000000000000000000000000000000000001"), safe] {
        assert_eq!(Multisig::new(safe, 1, v, &[bad], 1), Err(SafeError::InvalidOwner { owner: bad }));
    }
    assert_eq!(
        Multisig::new(safe, 1, v, &[owners[0], owners[0]], 1),
        Err(SafeError::DuplicateOwner { owner: owners[0] })
    );
}

/// Builds `r ‖ s ‖ v` for an approved-hash (v = 1) or contract (v = 0) item.
fn owner_item(owner: Address, s: U256, v: u8) -> Vec<u8> {
    let mut item = owner.into_word().to_vec();
    item.extend_from_slice(&s.to_be_bytes::<32>());
    item.push(v);
    item
}

#[test]
fn approved_hash_and_contract_signatures_need_the_chain() {
    let f = fixture();
    let case = &f.cases[27];
    let tx = case.tx.to_safe();
    let mut owners = f.owners.clone();
    owners.sort();
    let ms = Multisig::new(case.safe, case.chain_id, case.version, &owners, 2).unwrap();

    // owners[0] approved on chain (v = 1); owners[1] is a contract (v = 0) whose signature
    // data sits after the two static items.
    let mut sigs = owner_item(owners[0], U256::ZERO, 1);
    sigs.extend(owner_item(owners[1], U256::from(130), 0));
    sigs.extend_from_slice(&U256::from(3).to_be_bytes::<32>());
    sigs.extend_from_slice(&[0xaa, 0xbb, 0xcc]);
    let approval = ms.verify(&tx, &sigs, None).unwrap();
    assert!(!approval.is_fully_verified());
    assert_eq!(approval.needs_on_chain_check().len(), 2);
    assert_eq!(approval.signatures[1].kind, SignatureKind::Contract { signature: Bytes::from(vec![0xaa, 0xbb, 0xcc]) });

    // The executor's own approval needs no chain read.
    let approval = ms.verify(&tx, &sigs, Some(owners[0])).unwrap();
    assert_eq!(approval.signatures[0].kind, SignatureKind::ApprovedHash { verified: true });

    // GS021: offset inside the static part.
    let mut inside = sigs.clone();
    inside[65 + 32..65 + 64].copy_from_slice(&U256::from(64).to_be_bytes::<32>());
    assert_eq!(ms.verify(&tx, &inside, None).unwrap_err().code(), "GS021");
    // GS022: length word past the end.
    let mut past = sigs.clone();
    past[65 + 32..65 + 64].copy_from_slice(&U256::from(200).to_be_bytes::<32>());
    assert_eq!(ms.verify(&tx, &past, None).unwrap_err().code(), "GS022");
    // GS023: data past the end.
    let mut long = sigs.clone();
    long[130..162].copy_from_slice(&U256::from(4).to_be_bytes::<32>());
    assert_eq!(ms.verify(&tx, &long, None).unwrap_err().code(), "GS023");
    // A huge offset does not overflow.
    let mut huge = sigs;
    huge[65 + 32..65 + 64].copy_from_slice(&[0xff; 32]);
    assert_eq!(ms.verify(&tx, &huge, None).unwrap_err().code(), "GS022");
}

#[test]
fn high_s_is_accepted_as_ecrecover_accepts_it() {
    // Safe does not enforce low s (REFERENCES 8.1); the precompile recovers (r, n - s, v ^ 1)
    // to the same key.
    let f = fixture();
    let case = &f.cases[0];
    let sig = &case.signatures[0];
    assert_eq!(sig.kind, "ecdsa");
    let n = U256::from_str_radix("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", 16).unwrap();
    let r = U256::from_be_slice(&sig.signature[..32]);
    let s = U256::from_be_slice(&sig.signature[32..64]);
    let v = sig.signature[64];
    let flipped = if v == 27 { 28 } else { 27 };
    assert_eq!(ecrecover(case.safe_tx_hash, flipped, r, n - s), Some(sig.owner));
    assert_eq!(ecrecover(case.safe_tx_hash, v, r, U256::ZERO), None);
    assert_eq!(ecrecover(case.safe_tx_hash, v, n, s), None);
}

fn keys(n: usize) -> Vec<SigningKey> {
    (1..=n as u8).map(|i| SigningKey::from_slice(&[i; 32]).unwrap()).collect()
}

fn address_of(k: &SigningKey) -> Address {
    Address::from_public_key(k.verifying_key())
}

fn sign(k: &SigningKey, hash: B256) -> Vec<u8> {
    let (sig, recid) = k.sign_prehash_recoverable(hash.as_slice()).unwrap();
    let mut out = sig.to_bytes().to_vec();
    out.push(27 + recid.to_byte());
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Build, verify, tamper with any byte, reject: a changed byte in the first
    /// `threshold` items either fails or (in `v`, moving 27 to 28) recovers a non-owner.
    #[test]
    fn tampering_with_any_signature_byte_is_rejected(byte in 0usize..130, flip in 1u8..=255, nonce in any::<u64>()) {
        let ks = keys(3);
        let owners: Vec<Address> = ks.iter().map(address_of).collect();
        let ms = Multisig::new(address!("5afe00000000000000000000000000000000cafe"), 1, SafeVersion::V1_3_0, &owners, 2).unwrap();
        let tx = SafeTransaction {
            to: Address::repeat_byte(7), value: U256::ZERO, data: Bytes::new(),
            operation: 0u8.try_into().unwrap(), safe_tx_gas: U256::ZERO, base_gas: U256::ZERO, gas_price: U256::ZERO,
            gas_token: Address::ZERO, refund_receiver: Address::ZERO, nonce: U256::from(nonce),
        };
        let hash = ms.safe_tx_hash(&tx);
        let mut signers: Vec<&SigningKey> = ks.iter().take(2).collect();
        signers.sort_by_key(|k| address_of(k));
        let mut sigs: Vec<u8> = signers.iter().flat_map(|k| sign(k, hash)).collect();
        prop_assert!(ms.verify(&tx, &sigs, None).is_ok());
        sigs[byte] ^= flip;
        let outcome = ms.verify(&tx, &sigs, None);
        prop_assert!(outcome.is_err(), "tampered byte {byte} accepted: {outcome:?}");
    }

    /// Arbitrary bytes as a signature blob never panic.
    #[test]
    fn arbitrary_signature_bytes_do_not_panic(blob in proptest::collection::vec(any::<u8>(), 0..400), threshold in 1usize..4) {
        let ks = keys(3);
        let owners: Vec<Address> = ks.iter().map(address_of).collect();
        let ms = Multisig::new(Address::repeat_byte(0x5a), 1, SafeVersion::V1_4_1, &owners, threshold).unwrap();
        let _ = ms.check_signatures(B256::repeat_byte(1), &blob, None);
    }
}
