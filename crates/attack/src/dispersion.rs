//! Dispersion of stake: how many entities, grouped along a dimension, it takes to
//! cross a threshold, and how concentrated the distribution is (REFERENCES.md §2.2–2.3).

use std::collections::HashMap;

use bulwark_spec::data::validators::{Validator, ValidatorSet};
use bulwark_spec::units::Threshold;
use serde::Serialize;

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
        let key = match dimension.label(v) {
            Some(label) => {
                labelled = true;
                label.to_string()
            }
            None => format!("unknown:{}", v.id),
        };
        let entry = groups.entry(key).or_insert(0);
        *entry = entry.saturating_add(v.stake);
    }
    if !labelled {
        return None;
    }
    let mut out: Vec<(String, u128)> = groups.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Some(out)
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
}
