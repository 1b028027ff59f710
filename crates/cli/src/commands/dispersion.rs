//! `bulwark dispersion FILE`: how concentrated a validator set is, along one dimension
//! or all of them.

#![allow(clippy::print_stdout)] // stdout is this command's output.

use std::path::Path;
use std::process::ExitCode;

use bulwark_attack::dispersion::{Dimension, correlated_failure, dispersion};
use bulwark_spec::data::validators::load_validators;
use serde_json::json;

use crate::{EXIT_BAD_INPUT, Global, OutputFormat};

/// `--by`: one dimension, or all that the file has.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum By {
    /// Each validator on its own.
    Validator,
    /// The operator or staking entity.
    Operator,
    /// Country.
    Country,
    /// Autonomous system or hosting provider.
    Asn,
    /// Data center.
    Datacenter,
    /// Consensus client.
    Client,
    /// Every dimension the file has.
    All,
}

impl By {
    fn dimensions(self) -> Vec<Dimension> {
        match self {
            By::Validator => vec![Dimension::Validator],
            By::Operator => vec![Dimension::Operator],
            By::Country => vec![Dimension::Country],
            By::Asn => vec![Dimension::Asn],
            By::Datacenter => vec![Dimension::Datacenter],
            By::Client => vec![Dimension::Client],
            By::All => Dimension::ALL.to_vec(),
        }
    }
}

pub(crate) fn run(global: &Global, file: &Path, by: By) -> anyhow::Result<ExitCode> {
    let set = match load_validators(file, None, None, 0) {
        Ok(set) => set,
        Err(e) => {
            crate::progress::error(&e.to_string());
            return Ok(ExitCode::from(EXIT_BAD_INPUT));
        }
    };
    let results: Vec<_> =
        by.dimensions().into_iter().filter_map(|d| Some((dispersion(&set, d)?, correlated_failure(&set, d)))).collect();
    if results.is_empty() {
        crate::progress::error(&format!(
            "{}: the file has no data along {}",
            file.display(),
            by.dimensions().iter().map(|d| d.name()).collect::<Vec<_>>().join(", ")
        ));
        return Ok(ExitCode::from(EXIT_BAD_INPUT));
    }
    match global.format {
        OutputFormat::Json => {
            let items: Vec<_> = results
                .iter()
                .map(|(d, f)| {
                    let mut v = serde_json::to_value(d).unwrap_or_default();
                    if let (Some(obj), Some(f)) = (v.as_object_mut(), f) {
                        obj.insert("correlated_failure".into(), serde_json::to_value(f).unwrap_or_default());
                    }
                    v
                })
                .collect();
            let doc = if by == By::All {
                json!({ "file": file, "format": set.format, "dimensions": items })
            } else {
                items.into_iter().next().unwrap_or_default()
            };
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
        _ => {
            println!(
                "{}: {} validators ({} active), {:?} format",
                file.display(),
                set.validators.len(),
                set.active().count(),
                set.format
            );
            println!();
            println!(
                "  {:<11} {:>9} {:>9} {:>9} {:>7} {:>8} {:>8} {:>7}  largest",
                "by", "entities", "NC >1/3", "NC >2/3", "Gini", "HHI", "H (bits)", "Theil"
            );
            for (d, _) in &results {
                let m = &d.metrics;
                let largest =
                    d.largest.first().map_or(String::new(), |h| format!("{} ({:.1} %)", h.name, h.share * 100.0));
                println!(
                    "  {:<11} {:>9} {:>9} {:>9} {:>7.3} {:>8.0} {:>8.2} {:>7.3}  {largest}",
                    d.dimension.name(),
                    d.entities,
                    m.nakamoto.one_third,
                    m.nakamoto.two_thirds,
                    m.gini,
                    m.hhi,
                    m.entropy_bits,
                    m.theil
                );
            }
            for f in results.iter().filter_map(|(_, f)| f.as_ref()) {
                let names = |v: &[(String, f64)]| {
                    v.iter().map(|(n, s)| format!("{n} ({:.1} %)", s * 100.0)).collect::<Vec<_>>().join(", ")
                };
                println!();
                println!("  correlated failure by {}:", f.dimension.name());
                println!(
                    "    halts liveness if lost (> 1/3): {}",
                    if f.halts_liveness.is_empty() { "none".into() } else { names(&f.halts_liveness) }
                );
                println!(
                    "    threatens safety (> 2/3):      {}",
                    if f.threatens_safety.is_empty() { "none".into() } else { names(&f.threatens_safety) }
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
