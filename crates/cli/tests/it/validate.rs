//! `bulwark validate`.

use crate::{bulwark, repo, stdout};

#[test]
fn every_example_passes_validate() {
    let dir = repo().join("examples");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "toml") {
            let out = bulwark(&dir, &["validate", path.to_str().unwrap()]);
            assert!(out.status.success(), "{}: {}", path.display(), stdout(&out));
            assert!(stdout(&out).contains(": valid: "), "{}", stdout(&out));
        }
    }
}

#[test]
fn validate_exits_2_and_lists_every_error() {
    let dir = repo().join("crates/spec/tests/it/broken");
    let out = bulwark(&dir, &["validate", "24-many-errors-at-once.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(text.contains("24-many-errors-at-once.toml:4:9: assets.WETH.price = -1"), "{text}");
    assert!(text.contains("did you mean `paths`?"), "{text}");
    assert!(text.contains("3 errors in 24-many-errors-at-once.toml"), "{text}");
}

#[test]
fn validate_json_lists_errors_with_places() {
    let dir = repo().join("crates/spec/tests/it/broken");
    let out = bulwark(&dir, &["validate", "01-ltv-above-threshold.toml", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["errors"][0]["line"], 13);
    assert_eq!(v["errors"][0]["path"], "markets[0].reserves.WETH.ltv");
}

#[test]
fn a_missing_spec_file_is_bad_input() {
    let out = bulwark(&repo(), &["validate", "no/such/spec.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).contains("no/such/spec.toml:1:1: cannot be read: no such file"), "{}", stdout(&out));
}
