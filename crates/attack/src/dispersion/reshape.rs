//! What-if changes to how concentrated a validator set is, applied in memory: the
//! largest entities merge (a takeover, a merger, or collusion under one operator), or
//! the largest entity splits into independent parts (a self-limit, or a protocol that
//! spreads its stake over more operators). The risk-sensitivity table prices each
//! reshaped set as it prices the spec's own.
//!
//! An entity is a group along [`entity_dimension`]: the operator where the data names
//! operators, else the validator itself. Aggregates such as the Ethereum data's `Other`
//! ([`AGGREGATE_LABELS`](crate::consensus::AGGREGATE_LABELS)) are many unrelated stakers, never one party: they are neither
//! merged nor split, and stay in the total.

use bulwark_spec::data::validators::{Validator, ValidatorSet};
use serde::Serialize;

use super::{Dimension, group, group_key};
use crate::consensus::is_aggregate;

/// A change to who holds a validator set's active stake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reshape {
    /// The `entities` largest entities come under one operator: their stake then acts as
    /// one, and the set is more concentrated.
    MergeLargest {
        /// How many of the largest entities merge (at least 2).
        entities: usize,
    },
    /// The largest entity splits into `parts` independent entities of equal stake: the
    /// set is more dispersed.
    SplitLargest {
        /// How many parts (at least 2).
        parts: usize,
    },
}

/// A reshaped validator set and what was done to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reshaped {
    /// The set after the change; the input set is left as it was.
    #[serde(skip)]
    pub set: ValidatorSet,
    /// What the entities are grouped by ([`entity_dimension`] of the input set).
    pub dimension: Dimension,
    /// The entities that merged or split, largest first, as [`group`] names them.
    pub entities: Vec<String>,
    /// Their combined share of active stake, in [0, 1] (unchanged by the reshape).
    pub share: f64,
    /// The entities that took their place: the merged one, or the parts.
    pub replaced_by: Vec<String>,
}

/// Why a set cannot be reshaped as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReshapeError {
    /// A merge of fewer than two entities or a split into fewer than two parts changes nothing.
    #[error("a reshape needs at least 2 entities to merge or 2 parts to split into, not {count}")]
    CountBelowTwo {
        /// The count asked for.
        count: usize,
    },
    /// The set has fewer entities with stake than the merge asks for.
    #[error(
        "merging the {wanted} largest entities needs that many with active stake; the set has {found} \
         (aggregates such as `Other` excluded)"
    )]
    TooFewEntities {
        /// Entities asked for.
        wanted: usize,
        /// Entities there are.
        found: usize,
    },
    /// The largest entity's stake does not divide into that many non-empty parts.
    #[error("{entity} holds {stake} base units of active stake, too little to split into {parts} parts")]
    TooLittleStake {
        /// The entity.
        entity: String,
        /// Its active stake in base units.
        stake: u128,
        /// The parts asked for.
        parts: usize,
    },
}

/// What an entity is in this set: [`Dimension::Operator`] when any active validator
/// names its operator (validators without one are then each their own entity, as
/// [`group`] keeps them), else [`Dimension::Validator`].
pub fn entity_dimension(set: &ValidatorSet) -> Dimension {
    if set.active().any(|v| v.operator.is_some()) { Dimension::Operator } else { Dimension::Validator }
}

impl Reshape {
    /// Applies the change to a copy of `set`.
    ///
    /// Merge: along the operator dimension, every validator of the merged operators
    /// (inactive ones too) is relabelled to the merged operator `A + B`, and keeps its own
    /// id and where it runs. Along the validator dimension (no operators in the data),
    /// the merged validators' active stake becomes one validator `A + B`, which keeps a
    /// location, provider or client only where all of them share it.
    ///
    /// Split: each active validator of the largest entity is divided into `parts`
    /// validators `id (i/n)` of equal stake (the indivisible remainder of base units goes
    /// to the first), which keep where it runs; along the operator dimension, part `i`
    /// is operated by `operator (i/n)`. Each part then holds 1/n of the entity's stake,
    /// spread over its countries, providers and clients as the entity's was.
    ///
    /// Total active stake is unchanged in both.
    ///
    /// # Errors
    /// [`ReshapeError::CountBelowTwo`] for a count below 2; [`ReshapeError::TooFewEntities`]
    /// when the set has fewer entities with stake (aggregates excluded) than the merge
    /// asks for; [`ReshapeError::TooLittleStake`] when the largest entity's validators
    /// hold fewer base units than the parts.
    pub fn apply(self, set: &ValidatorSet) -> Result<Reshaped, ReshapeError> {
        let count = match self {
            Reshape::MergeLargest { entities } => entities,
            Reshape::SplitLargest { parts } => parts,
        };
        if count < 2 {
            return Err(ReshapeError::CountBelowTwo { count });
        }
        let dimension = entity_dimension(set);
        let entities: Vec<(String, u128)> = group(set, dimension)
            .unwrap_or_default()
            .into_iter()
            .filter(|(name, stake)| *stake > 0 && !is_aggregate(name))
            .collect();
        let total = set.total_active_stake();
        let share_of = |chosen: &[(String, u128)]| {
            chosen.iter().fold(0u128, |a, e| a.saturating_add(e.1)) as f64 / total.max(1) as f64
        };
        match self {
            Reshape::MergeLargest { entities: wanted } => {
                let chosen =
                    entities.get(..wanted).ok_or(ReshapeError::TooFewEntities { wanted, found: entities.len() })?;
                let names: Vec<String> = chosen.iter().map(|e| e.0.clone()).collect();
                let merged = names.join(" + ");
                Ok(Reshaped {
                    set: merge(set, dimension, &names, &merged),
                    dimension,
                    share: share_of(chosen),
                    entities: names,
                    replaced_by: vec![merged],
                })
            }
            Reshape::SplitLargest { parts } => {
                let Some(largest) = entities.first() else {
                    return Err(ReshapeError::TooFewEntities { wanted: 1, found: 0 });
                };
                let name = largest.0.clone();
                let members = || set.active().filter(|v| group_key(v, dimension) == name);
                if members().all(|v| v.stake < parts as u128) {
                    return Err(ReshapeError::TooLittleStake { entity: name, stake: largest.1, parts });
                }
                let reshaped = split(set, dimension, &name, parts);
                Ok(Reshaped {
                    set: reshaped,
                    dimension,
                    share: share_of(std::slice::from_ref(largest)),
                    replaced_by: (1..=parts).map(|i| part_name(&name, i, parts)).collect(),
                    entities: vec![name],
                })
            }
        }
    }
}

fn part_name(name: &str, i: usize, parts: usize) -> String {
    format!("{name} ({i}/{parts})")
}

fn merge(set: &ValidatorSet, dimension: Dimension, names: &[String], merged: &str) -> ValidatorSet {
    let chosen = |v: &Validator| names.contains(&group_key(v, dimension));
    let mut out = set.clone();
    if dimension != Dimension::Validator {
        for v in out.validators.iter_mut().filter(|v| chosen(v)) {
            v.operator = Some(merged.to_string());
        }
        return out;
    }
    let members: Vec<&Validator> = set.active().filter(|v| chosen(v)).collect();
    let common = |f: fn(&Validator) -> &Option<String>| {
        let first = members.first().and_then(|v| f(v).clone());
        first.filter(|x| members.iter().all(|v| f(v).as_ref() == Some(x)))
    };
    let one = Validator {
        id: merged.to_string(),
        stake: members.iter().fold(0u128, |a, v| a.saturating_add(v.stake)),
        active: true,
        operator: None,
        country: common(|v| &v.country),
        asn: common(|v| &v.asn),
        datacenter: common(|v| &v.datacenter),
        client: common(|v| &v.client),
    };
    let at = set.validators.iter().position(|v| v.active && chosen(v)).unwrap_or(0);
    out.validators = set.validators.iter().filter(|v| !(v.active && chosen(v))).cloned().collect();
    out.validators.insert(at.min(out.validators.len()), one);
    out
}

fn split(set: &ValidatorSet, dimension: Dimension, name: &str, parts: usize) -> ValidatorSet {
    let mut out = set.clone();
    out.validators = Vec::with_capacity(set.validators.len() + parts);
    // `parts` fits in u128 on every platform Rust supports (usize is at most 64 bits).
    let n = parts as u128;
    for v in &set.validators {
        if !(v.active && group_key(v, dimension) == name) {
            out.validators.push(v.clone());
            continue;
        }
        for i in 1..=parts {
            let mut p = v.clone();
            p.id = part_name(&v.id, i, parts);
            p.stake = v.stake / n + if i == 1 { v.stake % n } else { 0 };
            if dimension != Dimension::Validator {
                p.operator = Some(part_name(name, i, parts));
            }
            out.validators.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::consensus::{ConsensusOptions, consensus_summary, consensus_vectors};
    use crate::dispersion::nakamoto;
    use bulwark_spec::units::Threshold;

    /// Five entities of 30, 25, 20, 15 and 10 tokens on a chain with no slashing model,
    /// priced at 2 USD, with no venue: every figure can be worked by hand.
    fn five() -> bulwark_spec::Protocol {
        let text = r#"
[protocol]
name = "five"
[assets.TOK]
price = 2.0
volatility = { daily = 0.05 }
[consensus]
chain = "Testchain"
liveness = "> 1/3"
safety = ">= 2/3"
stake_asset = "TOK"
validators = [
  { id = "a", stake = 30, country = "DE" },
  { id = "b", stake = 25, country = "DE" },
  { id = "c", stake = 20, country = "US" },
  { id = "d", stake = 15 },
  { id = "e", stake = 10 },
]
"#;
        bulwark_spec::parse_str(text, Path::new("five.toml"), Path::new(".")).unwrap()
    }

    fn stakes(set: &ValidatorSet, dimension: Dimension) -> Vec<u128> {
        group(set, dimension).unwrap().into_iter().map(|g| g.1).collect()
    }

    fn nc(set: &ValidatorSet, dimension: Dimension, t: &str) -> Option<usize> {
        nakamoto(&stakes(set, dimension), Threshold::parse(t).unwrap())
    }

    const TOKEN: u128 = 1_000_000_000; // inline stakes are held in units of 10⁻⁹

    #[test]
    fn merging_the_two_largest_makes_one_entity_cross_a_third() {
        let p = five();
        let set = &p.consensus.as_ref().unwrap().validators;
        assert_eq!(entity_dimension(set), Dimension::Validator);
        // 30 + 25 = 55 > 100/3: two entities halt it; 30 + 25 + 20 = 75 ≥ 200/3: three finalize.
        assert_eq!(
            (nc(set, Dimension::Validator, "> 1/3"), nc(set, Dimension::Validator, ">= 2/3")),
            (Some(2), Some(3))
        );
        let r = Reshape::MergeLargest { entities: 2 }.apply(set).unwrap();
        assert_eq!(
            (r.entities.clone(), r.replaced_by.clone()),
            (vec!["a".to_string(), "b".into()], vec!["a + b".into()])
        );
        assert!((r.share - 0.55).abs() < 1e-12);
        // Stakes 55, 20, 15, 10: 55 alone halts it, 55 + 20 = 75 finalizes.
        assert_eq!(stakes(&r.set, Dimension::Validator), [55 * TOKEN, 20 * TOKEN, 15 * TOKEN, 10 * TOKEN]);
        assert_eq!(
            (nc(&r.set, Dimension::Validator, "> 1/3"), nc(&r.set, Dimension::Validator, ">= 2/3")),
            (Some(1), Some(2))
        );
        assert_eq!(r.set.total_active_stake(), set.total_active_stake());
        // Both ran in Germany: the merged validator keeps the country; c, d and e are untouched.
        assert_eq!(r.set.validators[0].country.as_deref(), Some("DE"));
        assert_eq!(&r.set.validators[1..], &set.validators[2..]);
        let three = Reshape::MergeLargest { entities: 3 }.apply(set).unwrap();
        assert_eq!(three.set.validators[0].country, None, "DE and US do not merge into one country");
    }

    #[test]
    fn splitting_the_largest_spreads_its_stake_in_equal_parts() {
        let p = five();
        let set = &p.consensus.as_ref().unwrap().validators;
        let r = Reshape::SplitLargest { parts: 3 }.apply(set).unwrap();
        assert_eq!(r.replaced_by, ["a (1/3)", "a (2/3)", "a (3/3)"]);
        // 30 tokens in three parts of 10 each: stakes 25, 20, 15, 10, 10, 10, 10; 25 + 20 = 45 halts it,
        // 25 + 20 + 15 + 10 = 70 finalizes.
        assert_eq!(stakes(&r.set, Dimension::Validator), [25, 20, 15, 10, 10, 10, 10].map(|s| s * TOKEN));
        assert_eq!(
            (nc(&r.set, Dimension::Validator, "> 1/3"), nc(&r.set, Dimension::Validator, ">= 2/3")),
            (Some(2), Some(4))
        );
        assert!(r.set.validators[..3].iter().all(|v| v.country.as_deref() == Some("DE")), "parts keep where they run");
        // 7 base units in 2 parts: 4 and 3, nothing lost.
        let mut tiny = set.clone();
        tiny.validators.truncate(1);
        tiny.validators[0].stake = 7;
        let r = Reshape::SplitLargest { parts: 2 }.apply(&tiny).unwrap();
        assert_eq!(r.set.validators.iter().map(|v| v.stake).collect::<Vec<_>>(), [4, 3]);
        assert_eq!(
            Reshape::SplitLargest { parts: 8 }.apply(&tiny),
            Err(ReshapeError::TooLittleStake { entity: "a".into(), stake: 7, parts: 8 })
        );
    }

    #[test]
    fn operators_are_relabelled_and_aggregates_never_merge() {
        let mut set = five().consensus.unwrap().validators;
        // Two operators over five validators, and the unclaimed rest as `Other`:
        // x: a + d = 45, y: b = 25, Other: c + e = 30.
        for (v, op) in set.validators.iter_mut().zip(["x", "y", "Other", "x", "Other"]) {
            v.operator = Some(op.to_string());
        }
        assert_eq!(entity_dimension(&set), Dimension::Operator);
        let r = Reshape::MergeLargest { entities: 2 }.apply(&set).unwrap();
        assert_eq!(r.entities, ["x", "y"], "Other is larger than y but is no party");
        let ops: Vec<_> = r.set.validators.iter().map(|v| v.operator.as_deref().unwrap()).collect();
        assert_eq!(ops, ["x + y", "x + y", "Other", "x + y", "Other"]);
        assert_eq!(r.set.validators.len(), 5, "validators keep their ids under the merged operator");
        assert_eq!(
            Reshape::MergeLargest { entities: 3 }.apply(&set),
            Err(ReshapeError::TooFewEntities { wanted: 3, found: 2 })
        );
        let s = Reshape::SplitLargest { parts: 2 }.apply(&set).unwrap();
        // x's validators a (30) and d (15) each split in two: x (1/2) and x (2/2) hold 22.5 each.
        assert_eq!(stakes(&s.set, Dimension::Operator), [30 * TOKEN, 25 * TOKEN, 22_500_000_000, 22_500_000_000]);
        assert_eq!(Reshape::MergeLargest { entities: 1 }.apply(&set), Err(ReshapeError::CountBelowTwo { count: 1 }));
    }

    #[test]
    fn the_cost_of_corruption_depends_on_the_stake_needed_not_on_who_holds_it() {
        let base = five();
        let mut merged = base.clone();
        let c = merged.consensus.as_mut().unwrap();
        c.validators = Reshape::MergeLargest { entities: 2 }.apply(&c.validators).unwrap().set;
        let opts = ConsensusOptions::default();
        let cheapest = |p: &bulwark_spec::Protocol| {
            consensus_vectors(p, &opts).iter().map(|v| v.coc_usd).fold(f64::INFINITY, f64::min)
        };
        // Halting needs > 1/3 of T = 100 tokens: ⌊100·10⁹/3⌋ + 1 base units committed and
        // assumed lost at 2 USD (no slashing model); buying needs X > T/2 (X ≥ θT/(1 − θ),
        // REFERENCES.md §2.1), 100 USD. The cheapest is corrupting, before and after the merge.
        let halt = (100 * TOKEN / 3 + 1) as f64 / TOKEN as f64 * 2.0;
        for p in [&base, &merged] {
            assert!((cheapest(p) - halt).abs() < 1e-9, "{} against {halt}", cheapest(p));
        }
        let nc = |p: &bulwark_spec::Protocol| {
            let s = consensus_summary(p).unwrap();
            let row = s.nakamoto.iter().find(|r| r.dimension == Dimension::Validator).unwrap();
            let coalition = s.coalitions.iter().find(|c| c.threshold == "liveness").unwrap();
            (row.liveness, coalition.members.len())
        };
        assert_eq!(nc(&base), (Some(2), 2));
        assert_eq!(nc(&merged), (Some(1), 1));
    }
}
