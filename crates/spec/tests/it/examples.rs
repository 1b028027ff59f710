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

#[test]
fn visiting_a_book_hands_over_the_positions_the_book_holds() {
    // The engines read books through `visit_book`; reports read `book`. They must agree,
    // for a generated book and for one read from a file.
    let p = bulwark_spec::load(&repo().join("examples/aave-v3-ethereum.toml")).expect("valid");
    let price = |a: &str| p.price_usd(a);
    let mut market = p.markets[0].clone();
    let owned = |holdings: &[(&str, f64)]| holdings.iter().map(|(a, n)| ((*a).to_string(), *n)).collect::<Vec<_>>();
    for kind in ["generated", "csv"] {
        let book = market.book(7, &price).into_owned();
        assert!(book.len() > 1_000, "{kind}: the bundled book has {} positions", book.len());
        let mut visited = Vec::new();
        market.visit_book(7, &price, |collateral, debt| visited.push((owned(collateral), owned(debt))));
        let expected: Vec<_> = book.iter().map(|pos| (pos.collateral.clone(), pos.debt.clone())).collect();
        assert_eq!(visited, expected, "{kind}");
        market.positions = bulwark_spec::positions::PositionBook::Csv { file: "book.csv".into(), positions: book };
    }
}
