//! `bulwark assess`.

use crate::{bulwark, repo, stderr, stdout};

#[test]
fn assess_with_no_argument_runs_the_bundled_example_from_any_folder() {
    let cwd = tempfile::tempdir().unwrap();
    let out = bulwark(cwd.path(), &["assess", "--paths", "200"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Lending market modeled on Aave v3 Ethereum"), "{text}");
    assert!(text.contains("Lending book: Aave v3 Ethereum (Core)"), "{text}");
    assert!(text.contains("Validator set: Ethereum"), "{text}");
    assert!(stderr(&out).contains("seed: 7"), "the seed used is printed: {}", stderr(&out));
    for file in [
        "report.json",
        "report.md",
        "index.html",
        "health-0.svg",
        "lorenz.svg",
        "coc-pfc.svg",
        "fan-0.svg",
        "bad-debt-0.svg",
    ] {
        assert!(cwd.path().join("bulwark-report").join(file).is_file(), "{file} was not written");
    }
}

#[test]
fn assess_json_is_valid_json_with_schema_version_and_the_seed() {
    let cwd = tempfile::tempdir().unwrap();
    let out = bulwark(cwd.path(), &["assess", "--format", "json", "--seed", "42", "--no-report", "--paths", "200"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("stdout is JSON");
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["seed"], 42);
    assert!(v["lending"][0]["debt_usd"].as_f64().unwrap() > 1e9);
    assert!(!cwd.path().join("bulwark-report").exists(), "--no-report writes nothing");
}

#[test]
fn the_seed_decides_the_generated_book() {
    let cwd = tempfile::tempdir().unwrap();
    let run = |seed: &str| {
        let out = bulwark(cwd.path(), &["assess", "--format", "json", "--seed", seed, "--no-report", "--paths", "100"]);
        let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        v["lending"][0]["health"]["quantiles"].clone()
    };
    assert_eq!(run("1"), run("1"), "same seed, same book");
    assert_ne!(run("1"), run("2"), "another seed, another book");
}

#[test]
fn assess_markdown_has_the_tables() {
    let cwd = tempfile::tempdir().unwrap();
    let out = bulwark(cwd.path(), &["assess", "--format", "md", "--no-report", "--paths", "100"]);
    assert!(out.status.success());
    let md = stdout(&out);
    assert!(md.starts_with("# Lending market modeled on Aave v3 Ethereum"), "{md}");
    assert!(md.contains("| reserve | LTV |"), "{md}");
}

#[test]
fn every_chain_example_assesses() {
    let cwd = tempfile::tempdir().unwrap();
    for example in ["ethereum.toml", "solana.toml", "cosmoshub.toml", "sui.toml"] {
        let spec = repo().join("examples").join(example);
        let out = bulwark(cwd.path(), &["assess", spec.to_str().unwrap(), "--no-report", "-q"]);
        assert!(out.status.success(), "{example}: {}", stderr(&out));
        assert!(stdout(&out).contains("Lorenz") || stdout(&out).contains("Gini"), "{example}");
    }
}

#[test]
fn a_broken_spec_exits_2_with_its_errors_on_stderr() {
    let cwd = tempfile::tempdir().unwrap();
    let spec = cwd.path().join("bad.toml");
    std::fs::write(&spec, "[protocol]\nname = \"x\"\n[assets.WETH]\nprice = -1\nvolatility = { daily = 0.04 }\n")
        .unwrap();
    let out = bulwark(cwd.path(), &["assess", "bad.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bad.toml:4:9: assets.WETH.price = -1 is out of range"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty(), "nothing on stdout for a failed run");
}

#[test]
fn an_unwritable_report_folder_is_bad_input() {
    let cwd = tempfile::tempdir().unwrap();
    std::fs::write(cwd.path().join("taken"), "a file, not a folder").unwrap();
    let out = bulwark(cwd.path(), &["assess", "--out", "taken", "--paths", "10"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("taken"), "{}", stderr(&out));
}
