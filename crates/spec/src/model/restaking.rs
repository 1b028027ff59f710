//! `[restaking]`: a restaking network as Durvasula and Roughgarden model it
//! (REFERENCES.md §3): validators with stake, services with a profit from corruption
//! and the fraction of their restaked stake that corrupts them, and the edges between
//! them.
//!
//! Every amount is kept as an exact rational, read from the text as written
//! (`1000.5` is 2001/2, never the nearest `f64`): REFERENCES.md §3 edge case 3 asks
//! for exact rationals, because the published vectors sit exactly on the boundary
//! (σ_B = π_A) where rounding decides the verdict.

use serde::Serialize;

use crate::error::ErrorKind;
use crate::reader::{Field, Table, closest};
use crate::units::Ratio;

/// A restaking graph G = (S, V, E, π, σ, α).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Restaking {
    /// Its name, for reports.
    pub name: String,
    /// V: the validators (operators), in the order written.
    pub validators: Vec<RestakingValidator>,
    /// S: the services (AVSs), in the order written.
    pub services: Vec<RestakedService>,
}

/// One validator (an operator with the stake restaked to it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RestakingValidator {
    /// Its name, unique among validators.
    pub id: String,
    /// σ_v ≥ 0: the stake it can lose to slashing, in USD, exact.
    pub stake_usd: Ratio,
}

/// One service secured by restaked stake.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RestakedService {
    /// Its name, unique among services.
    pub id: String,
    /// π_s ≥ 0: what corrupting it yields, in USD, exact (an input with provenance,
    /// REFERENCES.md §1 rule 1).
    pub profit_usd: Ratio,
    /// α_s ∈ (0, 1]: the fraction of the stake restaked to it that corrupts it,
    /// reached with `≥` (1/3 for liveness, 2/3 for safety).
    pub threshold: Ratio,
    /// N(s): indices into [`Restaking::validators`], distinct, in the order written.
    /// Empty for a service that no validator secures.
    pub validators: Vec<usize>,
}

pub(crate) const RESTAKING_KEYS: &[&str] = &["name", "validators", "services"];
pub(crate) const RESTAKING_VALIDATOR_KEYS: &[&str] = &["id", "stake"];
pub(crate) const RESTAKING_SERVICE_KEYS: &[&str] = &["id", "profit", "threshold", "validators"];

/// How many declared names an unknown-validator error lists before it stops.
const NAMES_LISTED: usize = 20;

/// Reads `[restaking]`.
pub(crate) fn parse_restaking(t: &Table<'_, '_>) -> Option<Restaking> {
    let name = t.get("name").map_or(Some("restaking network".to_string()), |f| f.string());
    let validators = t
        .require("validators", "the validators, e.g. validators = [{ id = \"v1\", stake = 1000.0 }]")
        .and_then(parse_validators);
    // When the validators could not be read, the services' references are not resolved:
    // each would fail for the same reason, already reported.
    let ids: Option<Vec<String>> = validators.as_ref().map(|vs| vs.iter().map(|v| v.id.clone()).collect());
    let services = t
        .require(
            "services",
            "the services, e.g. services = [{ id = \"oracle\", profit = 5.0e5, threshold = \"1/3\", validators = [\"v1\"] }]",
        )
        .and_then(|f| parse_services(f, ids.as_deref()));
    Some(Restaking { name: name?, validators: validators?, services: services? })
}

/// An amount of USD, zero or more, as the exact rational the text writes.
fn usd(f: &Field<'_, '_>) -> Option<Ratio> {
    f.number_where(|x| x >= 0.0, "zero or more USD")?;
    f.ratio()
}

fn parse_validators(field: &Field<'_, '_>) -> Option<Vec<RestakingValidator>> {
    let mut out = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut ok = true;
    for element in field.elements()? {
        let Some(t) = element.table(RESTAKING_VALIDATOR_KEYS) else {
            ok = false;
            continue;
        };
        let id = t.require("id", "the validator's name, e.g. id = \"v1\"").and_then(|f| f.string());
        ok &= id.as_ref().is_none_or(|id| unique(&element, id, &mut seen));
        let stake = t.require("stake", "its restaked stake in USD, e.g. stake = 1000.0").and_then(usd);
        match (id, stake) {
            (Some(id), Some(stake_usd)) => out.push(RestakingValidator { id, stake_usd }),
            _ => ok = false,
        }
    }
    ok.then_some(out)
}

/// Records `id` as seen; a duplicate is an error at `element`.
fn unique(element: &Field<'_, '_>, id: &str, seen: &mut Vec<String>) -> bool {
    if seen.iter().any(|s| s == id) {
        element.error(ErrorKind::Duplicate(id.to_string()));
        return false;
    }
    seen.push(id.to_string());
    true
}

fn parse_services(field: &Field<'_, '_>, ids: Option<&[String]>) -> Option<Vec<RestakedService>> {
    let elements = field.elements()?;
    if elements.is_empty() {
        field.out_of_range("at least one service");
        return None;
    }
    let mut out = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut ok = true;
    for element in elements {
        let Some(t) = element.table(RESTAKING_SERVICE_KEYS) else {
            ok = false;
            continue;
        };
        let id = t.require("id", "the service's name, e.g. id = \"oracle-avs\"").and_then(|f| f.string());
        ok &= id.as_ref().is_none_or(|id| unique(&element, id, &mut seen));
        let profit = t.require("profit", "the USD corrupting it yields, e.g. profit = 5.0e5").and_then(usd);
        let threshold = t
            .require("threshold", "the fraction of its stake that corrupts it, e.g. threshold = \"1/3\"")
            .and_then(|f| {
                let r = f.ratio()?;
                if r.numer() == 0 || r.numer() > r.denom() {
                    f.out_of_range("a fraction in (0, 1], such as \"1/3\" or \"2/3\"");
                    return None;
                }
                Some(r)
            });
        let validators = t
            .require("validators", "the validators restaked to it, e.g. validators = [\"v1\", \"v2\"] (may be empty)")
            .and_then(|f| validator_refs(f, ids));
        match (id, profit, threshold, validators) {
            (Some(id), Some(profit_usd), Some(threshold), Some(validators)) => {
                out.push(RestakedService { id, profit_usd, threshold, validators });
            }
            _ => ok = false,
        }
    }
    ok.then_some(out)
}

/// A service's list of validator names, resolved to indices (`None` for `ids` when the
/// validators could not be read: the names are then only checked to be strings).
fn validator_refs(field: &Field<'_, '_>, ids: Option<&[String]>) -> Option<Vec<usize>> {
    let mut out: Vec<usize> = Vec::new();
    let mut ok = true;
    for element in field.elements()? {
        let Some(name) = element.string() else {
            ok = false;
            continue;
        };
        let Some(ids) = ids else {
            ok = false;
            continue;
        };
        match ids.iter().position(|id| *id == name) {
            Some(i) if out.contains(&i) => {
                element.error(ErrorKind::Duplicate(name));
                ok = false;
            }
            Some(i) => out.push(i),
            None => {
                let mut known: Vec<String> = ids.iter().take(NAMES_LISTED).cloned().collect();
                if ids.len() > NAMES_LISTED {
                    known.push(format!("… ({} more)", ids.len() - NAMES_LISTED));
                }
                element.error(ErrorKind::UnknownReference {
                    what: "validator",
                    suggestion: closest(&name, ids.iter().map(String::as_str)),
                    name,
                    known,
                });
                ok = false;
            }
        }
    }
    ok.then_some(out)
}
