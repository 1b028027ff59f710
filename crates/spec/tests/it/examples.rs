//! Every shipped example validates.

use crate::repo;

#[test]
fn every_example_validates() {
    let dir = repo().join("examples");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("examples/ exists") {
        let path = entry.expect("readable entry").path();
        if path.extension().is_some_and(|x| x == "toml") {
            seen += 1;
            if let Err(e) = bulwark_spec::load(&path) {
                panic!("{} does not validate:\n{e}", path.display());
            }
        }
    }
    assert!(seen >= 5, "expected the Aave, Ethereum, Solana, Cosmos Hub and Sui examples, found {seen}");
}

#[test]
fn the_chain_examples_read_their_real_validator_sets() {
    // Counts from data/README.md: 963 Solana validators, 106 Sui, 387 Cosmos Hub (175
    // active), 68 Ethereum staking entities.
    for (file, total, active) in [
        ("solana.toml", 963, None),
        ("sui.toml", 106, Some(106)),
        ("cosmoshub.toml", 387, Some(175)),
        ("ethereum.toml", 68, Some(68)),
    ] {
        let p = bulwark_spec::load(&repo().join("examples").join(file)).expect("valid");
        let set = &p.consensus.expect("consensus").validators;
        assert_eq!(set.validators.len(), total, "{file}");
        if let Some(active) = active {
            assert_eq!(set.active().count(), active, "{file}");
        }
    }
}
