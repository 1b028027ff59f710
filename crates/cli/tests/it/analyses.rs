//! `bulwark attack`, `bulwark dispersion` and `bulwark simulate`.

use crate::{bulwark, repo, stderr, stdout};

fn json(args: &[&str]) -> serde_json::Value {
    let out = bulwark(&repo(), args);
    assert!(out.status.success() || out.status.code() == Some(1), "{args:?}: {}", stderr(&out));
    serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("{args:?}: stdout is not JSON ({e}): {}", stdout(&out)))
}

#[test]
fn attack_prints_the_vector_table_for_every_example_as_json() {
    for example in [
        "aave-v3-ethereum.toml",
        "ethereum.toml",
        "solana.toml",
        "cosmoshub.toml",
        "sui.toml",
        "ronin-bridge.toml",
        "restaking.toml",
        "maker-black-thursday.toml",
    ] {
        let path = format!("examples/{example}");
        let v = json(&["attack", &path, "--format", "json"]);
        let vectors = v["vectors"].as_array().unwrap_or_else(|| panic!("{example}: no vectors[]"));
        assert!(!vectors.is_empty(), "{example}: no vector");
        for vector in vectors {
            for key in ["vector", "coc_usd", "pfc_usd", "slack", "verdict", "breakdown", "assumptions"] {
                assert!(vector.get(key).is_some(), "{example}: a vector lacks `{key}`");
            }
        }
    }
}

#[test]
fn attack_text_names_the_weakest_vector() {
    let out = bulwark(&repo(), &["attack", "examples/ronin-bridge.toml"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("committee: forge a message of Ronin bridge validators"), "{}", stdout(&out));
    assert!(stdout(&out).contains("INSECURE"), "{}", stdout(&out));
}

#[test]
fn fail_on_exits_1_only_when_a_vector_meets_it() {
    // Ronin: $1M to corrupt Sky Mavis against $624M secured.
    assert_eq!(
        bulwark(&repo(), &["attack", "examples/ronin-bridge.toml", "--fail-on", "insecure", "-q"]).status.code(),
        Some(1)
    );
    // Ethereum alone: no PfC, every verdict unknown.
    assert_eq!(
        bulwark(&repo(), &["attack", "examples/ethereum.toml", "--fail-on", "at-risk", "-q"]).status.code(),
        Some(0)
    );
}

#[test]
fn dispersion_works_on_every_validator_file() {
    let dir = repo().join("data/validators");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let v = json(&["dispersion", path.to_str().unwrap(), "--format", "json"]);
        for key in ["entities", "gini", "hhi", "entropy_bits"] {
            assert!(v.get(key).is_some(), "{}: no `{key}`", path.display());
        }
        assert!(
            v["nakamoto"]["one_third"].as_u64().is_some() && v["nakamoto"]["two_thirds"].as_u64().is_some(),
            "{}",
            path.display()
        );
        seen += 1;
    }
    assert_eq!(seen, 4);
}

#[test]
fn dispersion_by_client_finds_solanas_dominant_client() {
    // JitoLabs runs 70.6 % of Solana's active stake at epoch 860: losing it halts liveness.
    let out = bulwark(&repo(), &["dispersion", "data/validators/solana_epoch860.json", "--by", "client"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("halts liveness if lost (> 1/3): JitoLabs"), "{}", stdout(&out));
}

#[test]
fn dispersion_of_a_file_that_is_not_a_validator_set_is_bad_input() {
    let out = bulwark(&repo(), &["dispersion", "data/prices/chainlink_hourly/WETH_usd.csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("WETH_usd.csv"), "{}", stderr(&out));
}

#[test]
fn simulate_json_carries_the_summary_keys_and_the_seed() {
    let v = json(&["simulate", "--format", "json", "--paths", "300", "--seed", "3"]);
    assert_eq!(v["seed"], 3);
    assert_eq!(v["paths"], 300);
    let m = &v["markets"][0];
    for key in [
        "paths",
        "seed",
        "var95_usd",
        "var99_usd",
        "cvar99_usd",
        "prob_insolvency",
        "prob_any_bad_debt",
        "liquidations_at_risk_usd",
        "liquidated_volume",
        "std_error",
        "worst_paths",
    ] {
        assert!(m.get(key).is_some(), "simulate JSON lacks `{key}`");
    }
    for key in ["mean", "p50", "p95", "p99", "max"] {
        assert!(m["bad_debt"][key].as_f64().is_some(), "bad_debt lacks `{key}`");
    }
}

#[test]
fn simulate_is_reproducible_from_the_seed() {
    let run =
        || json(&["simulate", "--format", "json", "--paths", "200", "--seed", "11"])["markets"][0]["bad_debt"].clone();
    assert_eq!(run(), run());
}
