//! Integration tests of bulwark-report: figures checked by hand, the report folder,
//! and the JSON schema.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test helpers: a failure should stop the test loudly.

use std::path::Path;

use bulwark_report::{Assessment, Format, assess_spec, render, write_report};

fn small() -> Assessment {
    let spec = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/fixtures/small.toml"));
    let protocol = bulwark_spec::load(spec).unwrap_or_else(|e| panic!("{e}"));
    assess_spec(&protocol, "small.toml", 1)
}

#[test]
fn health_factors_follow_aaves_formula() {
    let a = small();
    let book = &a.lending[0];
    assert_eq!(book.positions, 2);
    // Collateral 12 WETH · 3000 + 1000 USDC; debt 26,000 USDC.
    assert_eq!(book.collateral_usd, 37_000.0);
    assert_eq!(book.debt_usd, 26_000.0);
    // bob's 6,000 of debt sits at HF 0.96 (below 1), alice's 20,000 at 1.245.
    assert_eq!(book.health.debt_below[0], (1.0, 6_000.0));
    let median = book.health.quantiles.iter().find(|(q, _)| *q == 0.5).unwrap().1;
    assert!((median - 1.245).abs() < 1e-12, "{median}");
    let p5 = book.health.quantiles.iter().find(|(q, _)| *q == 0.05).unwrap().1;
    assert!((p5 - 0.96).abs() < 1e-12, "{p5}");
    // 12 WETH of a 100 WETH supply cap; 26,000 USDC of a 100,000 borrow cap.
    assert_eq!(book.reserves[0].supply_cap_used, Some(0.12));
    assert_eq!(book.reserves[1].borrow_cap_used, Some(0.26));
}

#[test]
fn gini_matches_the_worked_example() {
    // x ascending [3, 3, 6, 8], n = 4, S = 20: Σ (2i − n − 1) x_i = −9 − 3 + 6 + 24 = 18,
    // Gini = 18 / 80 = 0.225 (REFERENCES.md §2.3, the formula of its table).
    let c = small().consensus.unwrap();
    assert!((c.gini - 0.225).abs() < 1e-12, "{}", c.gini);
    assert_eq!(c.largest[0], ("a".to_string(), 0.4));
    assert_eq!(c.lorenz.first(), Some(&(0.0, 0.0)));
    assert_eq!(c.lorenz.last(), Some(&(1.0, 1.0)));
    // The smallest half of validators (c, d) holds 6 of 20.
    assert!(c.lorenz.contains(&(0.5, 0.3)), "{:?}", c.lorenz);
}

#[test]
fn the_report_folder_holds_every_file_and_the_json_reads_back() {
    let a = small();
    let dir = tempfile::tempdir().unwrap();
    let files = write_report(dir.path(), &a, None).unwrap();
    let names: Vec<String> = files.iter().map(|f| f.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["report.json", "report.md", "index.html", "health-0.svg", "lorenz.svg"]);
    let back: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(back, serde_json::to_value(&a).unwrap());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind");
}

#[test]
fn every_format_names_the_protocol() {
    let a = small();
    for format in [Format::Text, Format::Json, Format::Markdown] {
        assert!(render(&a, format).unwrap().contains("Hand-checked book"));
    }
}

/// The small book with every section filled: cost of attack and a short simulation.
fn complete() -> Assessment {
    let spec = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/fixtures/small.toml"));
    let protocol = bulwark_spec::load(spec).unwrap_or_else(|e| panic!("{e}"));
    let mut a = assess_spec(&protocol, "small.toml", 1);
    a.attack = Some(bulwark_attack::assess(&protocol, &bulwark_attack::AttackOptions::default()));
    let opts = bulwark_sim::simulate::SimOptions { paths: Some(50), fan_paths: 10, ..Default::default() };
    a.tail_risk = bulwark_sim::simulate::simulate(&protocol, &opts, &|_, _| {}).unwrap();
    a
}

#[test]
fn the_schema_document_lists_every_field() {
    // docs/report.md documents report.json; a field added without documentation fails here.
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/report.md")).unwrap();
    let json: serde_json::Value = serde_json::to_value(complete()).unwrap();
    let mut missing = Vec::new();
    collect_keys(&json, "", &mut missing, &doc);
    assert!(missing.is_empty(), "fields of report.json missing from docs/report.md: {missing:?}");
}

fn collect_keys(v: &serde_json::Value, prefix: &str, missing: &mut Vec<String>, doc: &str) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, child) in map {
                let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                if !doc.contains(&format!("`{path}`")) {
                    missing.push(path.clone());
                }
                collect_keys(child, &path, missing, doc);
            }
        }
        serde_json::Value::Array(items) => {
            if let Some(first) = items.first() {
                collect_keys(first, &format!("{prefix}[]"), missing, doc);
            }
        }
        _ => {}
    }
}
