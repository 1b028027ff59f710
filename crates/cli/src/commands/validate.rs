//! `bulwark validate SPEC`: check a spec and explain every error.

#![allow(clippy::print_stdout)] // stdout is this command's output.

use std::path::Path;
use std::process::ExitCode;

use serde_json::json;

use crate::progress::Progress;
use crate::{EXIT_BAD_INPUT, Global, OutputFormat};

pub(crate) fn run(global: &Global, spec: &Path) -> anyhow::Result<ExitCode> {
    let progress = Progress::new(global);
    progress.stage(&format!("reading {}", spec.display()));
    let result = bulwark_spec::load(spec);
    progress.finish();
    match (&result, global.format) {
        (Ok(p), OutputFormat::Json) => println!("{}", json!({ "spec": spec, "valid": true, "summary": summary(p) })),
        (Ok(p), _) => println!("{}: valid: {}", spec.display(), summary(p)),
        (Err(errors), OutputFormat::Json) => {
            let errors: Vec<_> = errors
                .iter()
                .map(|e| json!({ "file": e.location.file, "line": e.location.line, "column": e.location.column, "path": e.path, "message": e.kind.to_string() }))
                .collect();
            println!("{}", json!({ "spec": spec, "valid": false, "errors": errors }));
        }
        (Err(errors), _) => {
            println!("{errors}");
            println!("{} error{} in {}", errors.len(), if errors.len() == 1 { "" } else { "s" }, spec.display());
        }
    }
    Ok(if result.is_ok() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_BAD_INPUT) })
}

/// `3 assets, 1 venue, ...`, naming only the sections present.
fn summary(p: &bulwark_spec::Protocol) -> String {
    let count = |n: usize, what: &str| (n > 0).then(|| format!("{n} {what}{}", if n == 1 { "" } else { "s" }));
    let parts: Vec<String> = [
        count(p.assets.len(), "asset"),
        count(p.venues.len(), "venue"),
        count(p.oracles.len(), "oracle"),
        count(p.markets.len(), "market"),
        p.consensus.as_ref().map(|c| format!("{} validators", c.validators.validators.len())),
        p.governance.as_ref().map(|_| "governance".to_string()),
        count(p.committees.len(), "committee"),
        p.restaking
            .as_ref()
            .map(|r| format!("restaking graph of {} validators and {} services", r.validators.len(), r.services.len())),
    ]
    .into_iter()
    .flatten()
    .collect();
    format!("\"{}\" ({})", p.name, if parts.is_empty() { "no sections".to_string() } else { parts.join(", ") })
}
