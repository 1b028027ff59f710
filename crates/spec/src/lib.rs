#![doc = include_str!("../README.md")]

pub mod data;
pub mod error;
pub mod model;
pub mod overrides;
pub mod positions;
pub mod tolerance;
pub mod units;

mod protocol;
mod reader;

use std::path::Path;

pub use error::{ErrorKind, Location, SpecError, SpecErrors};
pub use protocol::Protocol;

/// Reads and validates a spec file. Relative data paths resolve against its folder.
///
/// # Errors
/// Every problem in the file at once, each with its place.
pub fn load(path: &Path) -> Result<Protocol, SpecErrors> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            let source = reader::Source::new(path.to_path_buf(), String::new());
            let problem =
                if e.kind() == std::io::ErrorKind::NotFound { "no such file".to_string() } else { e.to_string() };
            return Err(SpecErrors(vec![SpecError {
                location: source.location(0),
                path: String::new(),
                kind: ErrorKind::Unreadable(problem),
            }]));
        }
    };
    let base = path.parent().unwrap_or_else(|| Path::new("."));
    parse_str(&text, path, base)
}

/// Validates spec text that did not come from a file on its own (an embedded spec, a
/// test). `file` names it in messages; relative data paths resolve against `base`.
///
/// # Errors
/// Every problem in the text at once, each with its place.
pub fn parse_str(text: &str, file: &Path, base: &Path) -> Result<Protocol, SpecErrors> {
    let source = reader::Source::new(file.to_path_buf(), text.to_string());
    protocol::parse(&source, base).map_err(SpecErrors)
}

/// Applies `key.path=value` overrides to spec text, then validates it as
/// [`parse_str`] does. Sweeps and searches build every variant of a spec this way.
///
/// # Errors
/// [`OverriddenSpecError::Override`] naming the path that cannot be written, or
/// [`OverriddenSpecError::Spec`] with every validation problem of the result.
pub fn parse_with_overrides(
    text: &str,
    file: &Path,
    base: &Path,
    overrides: &[overrides::Override],
) -> Result<Protocol, OverriddenSpecError> {
    let text = overrides::apply_overrides(text, overrides)?;
    parse_str(&text, file, base).map_err(OverriddenSpecError::Spec)
}

/// Why a spec with overrides could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OverriddenSpecError {
    /// An override could not be applied.
    #[error("{0}")]
    Override(#[from] overrides::OverrideError),
    /// The spec, once overridden, does not validate.
    #[error("{0}")]
    Spec(SpecErrors),
}

/// The keys the spec accepts, section by section, for documentation checks.
pub fn known_keys() -> Vec<(&'static str, &'static [&'static str])> {
    use model::*;
    vec![
        ("", protocol::ROOT_KEYS),
        ("protocol", protocol::PROTOCOL_KEYS),
        ("assets.SYMBOL", asset::ASSET_KEYS),
        ("assets.SYMBOL.volatility", asset::VOLATILITY_KEYS),
        ("venues[]", venue::VENUE_KEYS),
        ("oracles.SYMBOL", oracle::ORACLE_KEYS),
        ("markets[]", market::MARKET_KEYS),
        ("markets[].reserves.SYMBOL", market::RESERVE_KEYS),
        ("markets[].positions", market::POSITIONS_KEYS),
        ("markets[].positions.health", market::HEALTH_KEYS),
        ("consensus", consensus::CONSENSUS_KEYS),
        ("consensus.validators (file)", consensus::VALIDATOR_FILE_KEYS),
        ("consensus.validators.columns", consensus::COLUMN_KEYS),
        ("consensus.validators[] (inline)", consensus::VALIDATOR_KEYS),
        ("governance", governance::GOVERNANCE_KEYS),
        ("governance.guardian", governance::MULTISIG_KEYS),
        ("committees[]", governance::COMMITTEE_KEYS),
        ("committees[].signers[]", governance::SIGNER_KEYS),
        ("restaking", restaking::RESTAKING_KEYS),
        ("restaking.validators[]", restaking::RESTAKING_VALIDATOR_KEYS),
        ("restaking.services[]", restaking::RESTAKING_SERVICE_KEYS),
        ("scenario", scenario::SCENARIO_KEYS),
        ("scenario.jumps", scenario::JUMP_KEYS),
        ("scenario.liquidators", scenario::LIQUIDATOR_KEYS),
        ("scenario.replay[]", scenario::REPLAY_KEYS),
        ("scenario.shocks[]", scenario::SHOCK_KEYS),
        ("guard", guard::GUARD_KEYS),
        ("guard.outflow", guard::OUTFLOW_KEYS),
        ("guard.outflow.assets.SYMBOL", guard::OUTFLOW_ASSET_KEYS),
        ("guard.oracle", guard::ORACLE_GUARD_KEYS),
        ("guard.anomaly", guard::ANOMALY_KEYS),
        ("guard.controller", guard::CONTROLLER_KEYS),
        ("guard.governance", guard::GOVERNANCE_KEYS),
    ]
}
