//! Wormhole VAAs: the real mainnet guardian-set chain from genesis, a real mainnet VAA
//! signed by 13 of the 19 guardians of set 3, the cases of wormhole's
//! `sdk/vaa/structs_test.go` (`TestVerifySignatures`, `TestUnmarshalBody`), expiry, and
//! build-verify-tamper-reject properties.

use alloy_primitives::{Address, B256, address, hex};
use bulwark_verify::wormhole::{
    Body, GuardianSet, GuardianSetUpgrade, GuardianSets, GuardianSignature, QuorumPolicy, Vaa, VaaError, VaaParseError,
};
use k256::ecdsa::SigningKey;
use proptest::prelude::*;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/fixtures/wormhole/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Rows `name,hex` of a fixture CSV.
fn rows(name: &str) -> Vec<(String, Vec<u8>)> {
    fixture(name)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (n, h) = l.rsplit_once(',').unwrap();
            (n.to_string(), hex::decode(h.trim()).unwrap())
        })
        .collect()
}

/// Genesis guardian set 0: `INIT_SIGNERS` of `ethereum/env/.env.ethereum.mainnet`.
const GENESIS_GUARDIAN: Address = address!("58CC3AE5C097b213cE3c81979e1B9f9570746AA5");

/// Walks the mainnet upgrades from genesis, verifying each against the set before it.
fn mainnet_sets() -> (GuardianSets, Vec<GuardianSet>) {
    let mut sets = GuardianSets::new();
    sets.rotate(GuardianSet { index: 0, keys: vec![GENESIS_GUARDIAN], expiration_time: 0 }, 0);
    let mut all = vec![sets.get(0).unwrap().clone()];
    for (n, (name, bytes)) in rows("mainnet_guardian_set_upgrades.csv").into_iter().enumerate() {
        let vaa = Vaa::parse(&bytes).unwrap();
        assert_eq!(vaa.to_bytes(), bytes, "{name} re-encodes byte for byte");
        assert_eq!(vaa.guardian_set_index as usize, n, "{name} is signed by set {n}");
        // Governance emitter: chain 1 (Solana), address 0x…04.
        assert_eq!(vaa.body.emitter_chain, 1);
        assert_eq!(vaa.body.emitter_address, B256::with_last_byte(4));
        let signers = vaa.verify(&sets, u64::from(vaa.body.timestamp)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(QuorumPolicy::wormhole(&sets.get(vaa.guardian_set_index).unwrap().keys).is_met(&signers));
        let upgrade = GuardianSetUpgrade::parse(&vaa.body.payload).unwrap();
        assert_eq!(upgrade.new_index as usize, n + 1);
        let set = GuardianSet { index: upgrade.new_index, keys: upgrade.keys, expiration_time: 0 };
        all.push(set.clone());
        sets.rotate(set, u64::from(vaa.body.timestamp));
    }
    (sets, all)
}

#[test]
fn mainnet_guardian_sets_chain_from_genesis_to_set_7() {
    let (sets, all) = mainnet_sets();
    assert_eq!(sets.current_index(), 7);
    assert_eq!(all.len(), 8);
    for set in &all[1..] {
        assert_eq!(set.keys.len(), 19, "set {}", set.index);
    }
    // guardianset/mainnetv2/canonical_sets/v3.prototxt lists set 3: Certus One first,
    // Staking Facilities last.
    let set3 = &all[3].keys;
    assert_eq!(set3[0], GENESIS_GUARDIAN);
    assert_eq!(set3[1], address!("fF6CB952589BDE862c25Ef4392132fb9D4A42157"));
    assert_eq!(set3[18], address!("6FbEBc898F403E4773E95feB15E80C9A99c8348d"));
}

#[test]
fn real_mainnet_vaa_verifies_against_guardian_set_3() {
    let (_, all) = mainnet_sets();
    let (name, bytes) = rows("mainnet_token_bridge_registration.csv").remove(0);
    assert_eq!(name, "Terra (3) Token Bridge");
    let vaa = Vaa::parse(&bytes).unwrap();
    assert_eq!(vaa.to_bytes(), bytes);
    assert_eq!(vaa.guardian_set_index, 3);
    assert_eq!(vaa.signatures.len(), 13, "13 of 19: exactly the quorum");
    // Verify with set 3 current (as when it was signed).
    let mut sets = GuardianSets::new();
    sets.rotate(all[3].clone(), 0);
    let signers = vaa.verify(&sets, u64::from(vaa.body.timestamp)).unwrap();
    assert_eq!(signers.len(), 13);
    for (sig, signer) in vaa.signatures.iter().zip(&signers) {
        assert_eq!(all[3].keys[usize::from(sig.guardian_index)], *signer);
    }
    // Against set 4 the index still names set 3: no fallback to the newest set.
    let mut only_new = GuardianSets::new();
    only_new.rotate(all[4].clone(), 0);
    assert_eq!(vaa.verify(&only_new, 0), Err(VaaError::UnknownGuardianSet { index: 3 }));
    // Set 3 replaced at t: valid until t + 86400, rejected after.
    let mut rotated = GuardianSets::new();
    rotated.rotate(all[3].clone(), 0);
    rotated.rotate(all[4].clone(), 1_000_000);
    assert!(vaa.verify(&rotated, 1_086_400).is_ok());
    assert_eq!(
        vaa.verify(&rotated, 1_086_401),
        Err(VaaError::ExpiredGuardianSet { index: 3, expiration_time: 1_086_400, now: 1_086_401 })
    );
    // Dropping one signature loses the quorum.
    let mut short = vaa.clone();
    short.signatures.pop();
    assert_eq!(short.verify(&sets, 0), Err(VaaError::NoQuorum { signatures: 12, guardians: 19, quorum: 13 }));
}

fn key(i: u8) -> SigningKey {
    SigningKey::from_slice(&[i + 1; 32]).unwrap()
}

fn addr(k: &SigningKey) -> Address {
    Address::from_public_key(k.verifying_key())
}

/// `getVaa()` of structs_test.go: version 1, set 1, Solana governance emitter, nonce 1,
/// sequence 1, consistency 32, payload "aaaaaa".
fn go_vaa() -> Vaa {
    Vaa {
        guardian_set_index: 1,
        signatures: vec![],
        body: Body {
            timestamp: 0,
            nonce: 1,
            emitter_chain: 1,
            emitter_address: B256::with_last_byte(4),
            sequence: 1,
            consistency_level: 32,
            payload: b"aaaaaa".to_vec(),
        },
    }
}

fn signature(vaa: &Vaa, k: &SigningKey, index: u8) -> GuardianSignature {
    let (sig, recid) = k.sign_prehash_recoverable(vaa.digest().as_slice()).unwrap();
    let bytes = sig.to_bytes();
    GuardianSignature {
        guardian_index: index,
        r: B256::from_slice(&bytes[..32]),
        s: B256::from_slice(&bytes[32..]),
        recovery_id: recid.to_byte(),
    }
}

fn add_signature(vaa: &mut Vaa, k: &SigningKey, index: u8) {
    let sig = signature(vaa, k, index);
    vaa.signatures.push(sig);
}

fn sets_of(keys: &[SigningKey], index: u32) -> GuardianSets {
    let mut sets = GuardianSets::new();
    sets.rotate(GuardianSet { index, keys: keys.iter().map(addr).collect(), expiration_time: 0 }, 0);
    sets
}

#[test]
fn verify_signatures_cases_of_the_go_sdk() {
    // structs_test.go TestVerifySignatures: three trusted keys (1, 2, 3), a rogue key 4.
    // The Go function checks signatures only; quorum(3) = 3 here, so cases with fewer
    // signatures fail on quorum, as Messages.sol would.
    let keys: Vec<SigningKey> = (0..4).map(key).collect();
    let sets = sets_of(&keys[..3], 1);
    let cases: &[(&str, &[usize], &[u8], bool)] = &[
        ("NoSignerZero", &[], &[0], false),
        ("SingleZero", &[0], &[0], false),
        ("RogueSingleZero", &[3], &[0], false),
        ("MultiUniqSignerMonotonicIndex", &[0, 1, 2], &[0, 1, 2], true),
        ("MultiMisOrderedSignerMonotonicIndex", &[2, 1, 0], &[0, 1, 2], false),
        ("MultiUniqSignerNonMonotonic", &[0, 1, 2], &[0, 2, 1], false),
        ("MultiUniqSignerFullSameIndex0", &[0, 1, 2], &[0, 0, 0], false),
        ("MultiUniqSignerPartialSameIndex", &[0, 1, 2], &[0, 1, 1], false),
        ("MultiSameSignerPartialSameIndex", &[0, 1, 1], &[0, 1, 1], false),
        ("MultiSameSignerNonMonotonic", &[0, 1, 1], &[0, 2, 1], false),
        ("MultiSameSignerFullSameIndex", &[0, 0, 0], &[0, 0, 0], false),
        ("MultiSameSignerMonotonic", &[0, 0, 0], &[0, 1, 2], false),
        ("RogueInPlaceOfTrusted", &[0, 1, 3], &[0, 1, 2], false),
        ("IndexOutOfRange", &[0, 1, 2], &[0, 1, 3], false),
    ];
    for &(label, signers, indices, valid) in cases {
        let mut vaa = go_vaa();
        for (&k, &i) in signers.iter().zip(indices) {
            add_signature(&mut vaa, &keys[k], i);
        }
        assert_eq!(vaa.verify(&sets, 0).is_ok(), valid, "{label}: {:?}", vaa.verify(&sets, 0));
    }
    // The singles of the Go table, with a one-guardian set (quorum 1).
    let one = sets_of(&keys[..1], 1);
    for (label, signer, valid) in [("SingleOne", 0usize, true), ("RogueSingleOne", 3, false)] {
        let mut vaa = go_vaa();
        add_signature(&mut vaa, &keys[signer], 0);
        assert_eq!(vaa.verify(&one, 0).is_ok(), valid, "{label}");
    }
}

#[test]
fn verify_signatures_fuzz_table_of_the_go_sdk() {
    // structs_test.go TestVerifySignaturesFuzz: every 0-3 key sequence from 6 keys (3
    // trusted) with every index sequence of the same length from 0..6; only the seven
    // allow-listed pairs pass the signature rules. With the quorum of 3 enforced, only the
    // full 3-of-3 is valid, and the other allow-listed pairs fail on quorum alone.
    let keys: Vec<SigningKey> = (0..6).map(key).collect();
    let sets = sets_of(&keys[..3], 1);
    let allows: [&[usize]; 7] = [&[0], &[1], &[2], &[0, 1], &[0, 2], &[1, 2], &[0, 1, 2]];
    let mut seqs: Vec<Vec<usize>> = vec![vec![]];
    for len in 1..=3 {
        let mut next = Vec::new();
        for s in seqs.iter().filter(|s| s.len() == len - 1) {
            for k in 0..6 {
                let mut t = s.clone();
                t.push(k);
                next.push(t);
            }
        }
        seqs.extend(next);
    }
    // The digest is the same in every case: sign once per key, set the index per case.
    let signed: Vec<GuardianSignature> = keys.iter().map(|k| signature(&go_vaa(), k, 0)).collect();
    let mut checked = 0;
    for ks in &seqs {
        for is in seqs.iter().filter(|i| i.len() == ks.len()) {
            let mut vaa = go_vaa();
            for (&k, &i) in ks.iter().zip(is) {
                vaa.signatures.push(GuardianSignature { guardian_index: i as u8, ..signed[k] });
            }
            let allowed = ks == is && allows.contains(&ks.as_slice());
            let outcome = vaa.verify(&sets, 0);
            if allowed && ks.len() == 3 {
                assert!(outcome.is_ok(), "{ks:?} {is:?}");
            } else if allowed {
                assert!(matches!(outcome, Err(VaaError::NoQuorum { .. })), "{ks:?} {is:?}: {outcome:?}");
            } else {
                assert!(outcome.is_err(), "{ks:?} {is:?} accepted");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 1 + 36 + 36 * 36 + 216 * 216);
}

#[test]
fn fails_closed_without_signatures_or_sets() {
    let keys: Vec<SigningKey> = (0..3).map(key).collect();
    let vaa = go_vaa();
    // No signatures: verifySignatures alone would say true; quorum says no.
    assert!(matches!(vaa.verify(&sets_of(&keys, 1), 0), Err(VaaError::NoQuorum { signatures: 0, .. })));
    // No sets, a set under another index, an empty set.
    assert_eq!(vaa.verify(&GuardianSets::new(), 0), Err(VaaError::UnknownGuardianSet { index: 1 }));
    assert_eq!(vaa.verify(&sets_of(&keys, 2), 0), Err(VaaError::UnknownGuardianSet { index: 1 }));
    assert_eq!(vaa.verify(&sets_of(&[], 1), 0), Err(VaaError::UnknownGuardianSet { index: 1 }));
}

#[test]
fn unmarshal_cases_of_the_go_sdk() {
    // TestUnmarshalNoPayload: the 57-byte VAA of getEmptyPayloadVaa().
    let hex57 =
        ["01", "00000001", "00", "00000000", "00000001", "0001", &"00".repeat(31), "04", "0000000000000001", "20"];
    let bytes = hex::decode(hex57.concat()).unwrap();
    assert_eq!(bytes.len(), 57);
    let vaa = Vaa::parse(&bytes).unwrap();
    assert_eq!(vaa, Vaa { body: Body { payload: vec![], ..go_vaa().body }, ..go_vaa() });
    // TestUnmarshalBody: each truncation names its field.
    let body = Body {
        timestamp: 0,
        nonce: 123,
        emitter_chain: 4,
        emitter_address: B256::repeat_byte(2),
        sequence: 42,
        consistency_level: 1,
        payload: b"Hi".to_vec(),
    }
    .to_bytes();
    for (len, field) in [
        (2, "timestamp"),
        (4, "nonce"),
        (8, "emitter_chain"),
        (10, "emitter_address"),
        (42, "sequence"),
        (50, "consistency_level"),
    ] {
        assert!(
            matches!(Body::parse(&body[..len]), Err(VaaParseError::Truncated { field: f, .. }) if f == field),
            "{len}"
        );
    }
    assert_eq!(Body::parse(&body[..51]).unwrap().payload, b"");
    assert_eq!(Body::parse(&body).unwrap().payload, b"Hi");
    // Version 2 and a truncated signature.
    let mut v2 = bytes.clone();
    v2[0] = 2;
    assert_eq!(Vaa::parse(&v2), Err(VaaParseError::UnsupportedVersion { version: 2 }));
    let mut one_sig = bytes[..6].to_vec();
    one_sig[5] = 1;
    one_sig.extend_from_slice(&[0; 40]);
    assert!(matches!(Vaa::parse(&one_sig), Err(VaaParseError::Truncated { field: "signature s", offset: 39, .. })));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Build a 4-of-5 VAA, verify, flip any byte of it, and the result is malformed or rejected.
    #[test]
    fn tampering_with_any_byte_is_rejected(payload in proptest::collection::vec(any::<u8>(), 0..40), pick in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let keys: Vec<SigningKey> = (0..5).map(key).collect();
        let sets = sets_of(&keys, 9);
        let mut vaa = go_vaa();
        vaa.guardian_set_index = 9;
        vaa.body.payload = payload;
        for i in [0u8, 1, 3, 4] {
            add_signature(&mut vaa, &keys[usize::from(i)], i);
        }
        prop_assert!(vaa.verify(&sets, 0).is_ok());
        let mut bytes = vaa.to_bytes();
        let at = pick.index(bytes.len());
        bytes[at] ^= flip;
        if let Ok(parsed) = Vaa::parse(&bytes) {
            prop_assert!(parsed.verify(&sets, 0).is_err(), "byte {at} flipped and accepted");
        }
    }

    /// Arbitrary bytes never panic the parser (nor verification of what parses).
    #[test]
    fn arbitrary_bytes_do_not_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let keys: Vec<SigningKey> = (0..2).map(key).collect();
        if let Ok(vaa) = Vaa::parse(&bytes) {
            let _ = vaa.verify(&sets_of(&keys, vaa.guardian_set_index), 0);
        }
        let _ = GuardianSetUpgrade::parse(&bytes);
    }
}
