//! Dispersion of stake: how many entities, grouped along a dimension, it takes to
//! cross a threshold, how concentrated the distribution is, and which single country,
//! hosting provider or client could halt the chain (REFERENCES.md §2.2–2.3).
//!
//! [`group`] and [`nakamoto`] are the building blocks; [`dispersion`] reports every
//! metric of one dimension and [`correlated_failure`] its single points of failure.

mod failure;
mod grouping;
mod metrics;
mod reshape;

use std::collections::HashMap;

use bulwark_spec::data::validators::{Validator, ValidatorSet};
use bulwark_spec::units::Threshold;
use serde::Serialize;

pub use failure::{CorrelatedFailure, correlated_failure};
pub use grouping::Grouping;
pub use metrics::{ConcentrationRatios, Metrics, Nakamoto, tau_index};
pub use reshape::{Reshape, ReshapeError, Reshaped, entity_dimension};

/// How many of the largest entities a [`Dispersion`] lists.
pub const LARGEST_LISTED: usize = 10;

/// What validators are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Dimension {
    /// Each validator on its own.
    Validator,
    /// The operator or staking entity.
    Operator,
    /// The country of the node.
    Country,
    /// The autonomous system or hosting provider.
    Asn,
    /// The data center.
    Datacenter,
    /// The consensus client.
    Client,
}

impl Dimension {
    /// Every dimension, in report order.
    pub const ALL: [Dimension; 6] = [
        Dimension::Validator,
        Dimension::Operator,
        Dimension::Country,
        Dimension::Asn,
        Dimension::Datacenter,
        Dimension::Client,
    ];

    /// The dimension's name, as the CLI's `--by` writes it.
    pub fn name(self) -> &'static str {
        match self {
            Dimension::Validator => "validator",
            Dimension::Operator => "operator",
            Dimension::Country => "country",
            Dimension::Asn => "asn",
            Dimension::Datacenter => "datacenter",
            Dimension::Client => "client",
        }
    }

    /// The validator's label along this dimension, `None` where the data does not say.
    pub fn label(self, v: &Validator) -> Option<&str> {
        match self {
            Dimension::Validator => Some(v.id.as_str()),
            Dimension::Operator => v.operator.as_deref(),
            Dimension::Country => v.country.as_deref(),
            Dimension::Asn => v.asn.as_deref(),
            Dimension::Datacenter => v.datacenter.as_deref(),
            Dimension::Client => v.client.as_deref(),
        }
    }
}

/// Active stake grouped along a dimension, largest first (ties by name, so the order is
/// deterministic). Validators the data does not label along the dimension are kept
/// apart, each as its own group named `unknown:<id>`, so that missing data never
/// merges strangers into one entity. Returns `None` when no active validator has a
/// label along the dimension (the data lacks it).
pub fn group(set: &ValidatorSet, dimension: Dimension) -> Option<Vec<(String, u128)>> {
    let mut labelled = false;
    let mut groups: HashMap<String, u128> = HashMap::new();
    for v in set.active() {
        labelled |= dimension.label(v).is_some();
        let entry = groups.entry(group_key(v, dimension)).or_insert(0);
        *entry = entry.saturating_add(v.stake);
    }
    if !labelled {
        return None;
    }
    let mut out: Vec<(String, u128)> = groups.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Some(out)
}

/// The name of the group a validator falls in along `dimension`: its label, or
/// `unknown:<id>` for a validator without one (each on its own).
pub(super) fn group_key(v: &Validator, dimension: Dimension) -> String {
    match dimension.label(v) {
        Some(label) => label.to_string(),
        None => format!("unknown:{}", v.id),
    }
}

/// The Nakamoto coefficient: the fewest groups, largest first, whose stake reaches the
/// threshold under its own comparison. `stakes` must be sorted descending. `None` when
/// even all of them do not (an empty set, or a threshold of 1 with `>`).
pub fn nakamoto(stakes_desc: &[u128], threshold: Threshold) -> Option<usize> {
    let total = stakes_desc.iter().fold(0u128, |a, s| a.saturating_add(*s));
    let mut acc = 0u128;
    for (i, s) in stakes_desc.iter().enumerate() {
        acc = acc.saturating_add(*s);
        if threshold.is_reached_by(acc, total) {
            return Some(i + 1);
        }
    }
    None
}

/// The dispersion of a validator set's active stake along one dimension.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dispersion {
    /// What the entities are.
    pub dimension: Dimension,
    /// Number of groups, unlabelled validators each counted apart (see [`group`]).
    pub entities: usize,
    /// Active stake, in whole tokens of [`Self::unit`].
    pub total_stake: f64,
    /// The token symbol (`SOL`, `ETH`, ...); empty when the set was read by a column map.
    pub unit: String,
    /// Nakamoto coefficients, Gini, HHI, entropy, Theil and concentration ratios.
    #[serde(flatten)]
    pub metrics: Metrics,
    /// The largest entities (at most [`LARGEST_LISTED`]), in [`group`]'s order.
    pub largest: Vec<Holder>,
}

/// One entity of a [`Dispersion`] and its part of the active stake.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Holder {
    /// Its name, as [`group`] gives it.
    pub name: String,
    /// Its active stake, in whole tokens.
    pub stake: f64,
    /// Its share of the active stake, in [0, 1].
    pub share: f64,
}

/// Every dispersion metric of a set's active stake grouped along `dimension`. `None`
/// when no active validator has a label along the dimension (as [`group`]), or when the
/// active stake is zero (there are no shares to measure). To report on several aspects
/// of one dimension, build its [`Grouping`] once and ask it.
///
/// # Formula
/// See [`Metrics`] (REFERENCES.md §2.3) and [`Nakamoto`] (§2.2).
pub fn dispersion(set: &ValidatorSet, dimension: Dimension) -> Option<Dispersion> {
    Grouping::new(set, dimension)?.dispersion()
}

impl Grouping<'_> {
    /// Every dispersion metric of this grouping, computed in one pass over the groups,
    /// which are already sorted ([`Metrics::of`]); see [`dispersion`].
    pub fn dispersion(&self) -> Option<Dispersion> {
        let metrics = Metrics::of_sorted(self.stakes_desc(), self.total)?;
        let decimals = self.set.unit.decimals;
        let largest = self.groups[..self.groups.len().min(LARGEST_LISTED)]
            .iter()
            .map(|group| Holder {
                name: self.name(group),
                stake: to_tokens(group.stake, decimals),
                share: group.stake as f64 / self.total as f64,
            })
            .collect();
        Some(Dispersion {
            dimension: self.dimension,
            entities: self.groups.len(),
            total_stake: to_tokens(self.total, decimals),
            unit: self.set.unit.symbol.clone(),
            metrics,
            largest,
        })
    }
}

/// Base units as whole tokens of `10^decimals` base units, the whole and fractional
/// parts converted apart so that a large stake keeps its fraction's precision.
fn to_tokens(base_units: u128, decimals: u32) -> f64 {
    match 10u128.checked_pow(decimals) {
        Some(scale) => (base_units / scale) as f64 + (base_units % scale) as f64 / scale as f64,
        // Past 10^38 base units per token: no real token, but still a finite answer.
        None => base_units as f64 / 10f64.powi(i32::try_from(decimals).unwrap_or(i32::MAX)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_comparison_decides_an_entity_holding_exactly_a_third() {
        // REFERENCES.md §2.2: an entity holding exactly 1/3 counts under >= 1/3, not under > 1/3.
        let stakes = [10, 10, 10];
        let ge = Threshold::parse(">= 1/3").unwrap();
        let gt = Threshold::parse("> 1/3").unwrap();
        assert_eq!(nakamoto(&stakes, ge), Some(1));
        assert_eq!(nakamoto(&stakes, gt), Some(2));
        assert_eq!(nakamoto(&[], gt), None);
    }

    #[test]
    fn stakes_convert_to_whole_tokens_without_losing_the_fraction() {
        assert_eq!(to_tokens(414_457_672_340_656_315, 9), 414_457_672.0 + 0.340_656_315);
        assert_eq!(to_tokens(1_500_000, 6), 1.5);
        assert_eq!(to_tokens(7, 0), 7.0);
        assert_eq!(to_tokens(10u128.pow(38), 40), 0.01);
    }
}
