//! Active stake summed per group along a dimension, without copying a name per
//! validator: a group remembers the first validator in it, and its name is built only
//! for the few groups a report shows.
//!
//! Two ways to the same groups. Few distinct labels (countries, providers, clients):
//! a hash map from label to group. Mostly distinct keys (grouping by validator): a hash
//! map of a million entries is a million cache misses, so hash every key into a flat
//! array, sort it and merge runs of equal hash instead, which is about twice as fast.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasher, Hash, Hasher, RandomState};

use bulwark_spec::data::validators::{Validator, ValidatorSet};

use super::Dimension;

/// The first `1/SAMPLE_DIVISOR` of the validators tells whether keys are mostly distinct.
const SAMPLE_DIVISOR: usize = 16;

/// What names the group of validators the data does not label.
const UNKNOWN_PREFIX: &str = "unknown:";

/// A group's name, borrowed: a label, or `unknown:<id>` for a validator without one.
///
/// A label that itself starts with `unknown:` is stored as `Unknown` of its rest, so
/// two keys are equal exactly when their names ([`super::group`]'s strings) are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Key<'a> {
    /// A label from the data.
    Label(&'a str),
    /// `unknown:` followed by this.
    Unknown(&'a str),
}

impl<'a> Key<'a> {
    /// The key of a validator along a dimension.
    fn of(v: &'a Validator, dimension: Dimension) -> Self {
        match dimension.label(v) {
            Some(label) => Key::label(label),
            None => Key::Unknown(v.id.as_str()),
        }
    }

    fn label(label: &'a str) -> Self {
        match label.strip_prefix(UNKNOWN_PREFIX) {
            Some(rest) => Key::Unknown(rest),
            None => Key::Label(label),
        }
    }

    /// Whether the data gave no label (the group is one validator on its own).
    fn is_unknown(self) -> bool {
        matches!(self, Key::Unknown(_))
    }

    /// The name, as [`super::group`] writes it.
    fn name(self) -> String {
        match self {
            Key::Label(label) => label.to_owned(),
            Key::Unknown(id) => format!("{UNKNOWN_PREFIX}{id}"),
        }
    }

    /// Orders keys as their names order, without building them.
    fn cmp_name(self, other: Self) -> Ordering {
        let bytes = |key: Self| {
            let (prefix, rest) = match key {
                Key::Label(label) => ("", label),
                Key::Unknown(id) => (UNKNOWN_PREFIX, id),
            };
            prefix.bytes().chain(rest.bytes())
        };
        bytes(self).cmp(bytes(other))
    }
}

impl Hash for Key<'_> {
    // One write of the bytes and one of the variant, rather than the derived three:
    // hashing is much of the cost of grouping a million validators.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let (text, variant) = match self {
            Key::Label(label) => (label, 0),
            Key::Unknown(id) => (id, 1),
        };
        state.write(text.as_bytes());
        state.write_u8(variant);
    }
}

/// One group: its active stake, and the first of its validators, which names it.
///
/// `first` comes from enumerating the set's validators, so indexing them with it is
/// always in range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Group {
    /// Active stake in base units (saturating).
    pub(super) stake: u128,
    /// Index in [`ValidatorSet::validators`] of its first validator.
    first: usize,
    /// Whether the data gave no label: `unknown:<id>`, a validator on its own.
    pub(super) unknown: bool,
}

/// A validator set's active stake grouped along one dimension, once, for every report
/// on it: [`Grouping::dispersion`] and [`Grouping::correlated_failure`] share it.
///
/// The groups are [`super::group`]'s, in its order, but their names borrow from the set
/// and are built only for the groups a report lists.
#[derive(Debug, Clone)]
pub struct Grouping<'a> {
    pub(super) set: &'a ValidatorSet,
    pub(super) dimension: Dimension,
    /// Each group once, larger stake first, then by name.
    pub(super) groups: Vec<Group>,
    /// Sum of the groups' stake (saturating, as [`ValidatorSet::total_active_stake`]).
    pub(super) total: u128,
}

impl<'a> Grouping<'a> {
    /// Groups the active validators as [`super::group`] does; `None` when none of them
    /// has a label along the dimension.
    pub fn new(set: &'a ValidatorSet, dimension: Dimension) -> Option<Self> {
        // A cheap scan first, so that a dimension the data lacks costs no hashing.
        if !set.active().any(|v| dimension.label(v).is_some()) {
            return None;
        }
        let sample = set.validators.len() / SAMPLE_DIVISOR;
        let mut groups = by_hash_map(set, dimension, sample).unwrap_or_else(|| by_sorting(set, dimension));
        // Names are compared only between groups of equal stake.
        let key = |g: &Group| Key::of(&set.validators[g.first], dimension);
        groups.sort_unstable_by(|a, b| b.stake.cmp(&a.stake).then_with(|| key(a).cmp_name(key(b))));
        let total = groups.iter().fold(0u128, |total, g| total.saturating_add(g.stake));
        Some(Self { set, dimension, groups, total })
    }

    /// What the groups are.
    pub fn dimension(&self) -> Dimension {
        self.dimension
    }

    /// How many groups there are.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Whether there are no groups (never, for a grouping [`Grouping::new`] built).
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Active stake of all groups, in base units.
    pub fn total_stake(&self) -> u128 {
        self.total
    }

    /// Each group's stake in base units, largest first.
    pub(super) fn stakes_desc(&self) -> impl ExactSizeIterator<Item = u128> + '_ {
        self.groups.iter().map(|g| g.stake)
    }

    /// A group's name, as [`super::group`] writes it.
    pub(super) fn name(&self, group: &Group) -> String {
        Key::of(&self.set.validators[group.first], self.dimension).name()
    }
}

/// Groups through a map from key to group; `None` as soon as the first `sample` active
/// validators show mostly distinct keys.
fn by_hash_map(set: &ValidatorSet, dimension: Dimension, sample: usize) -> Option<Vec<Group>> {
    let mut index: HashMap<Key<'_>, usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    for (seen, (i, v)) in set.validators.iter().enumerate().filter(|(_, v)| v.active).enumerate() {
        if seen == sample && sample > 0 && groups.len() > seen / 2 {
            return None;
        }
        let key = Key::of(v, dimension);
        match index.entry(key) {
            Entry::Occupied(at) => {
                if let Some(group) = groups.get_mut(*at.get()) {
                    group.stake = group.stake.saturating_add(v.stake);
                }
            }
            Entry::Vacant(at) => {
                at.insert(groups.len());
                groups.push(Group { stake: v.stake, first: i, unknown: key.is_unknown() });
            }
        }
    }
    Some(groups)
}

/// Groups by sorting `(hash, validator, stake)` by hash and merging runs of equal
/// hash, comparing keys only within a run (rare collisions of the keyed SipHash, or
/// repeated keys). The hash's lowest bit is replaced by whether the key is unknown:
/// equal keys have equal bits, so runs are unchanged, and no validator is read again.
fn by_sorting(set: &ValidatorSet, dimension: Dimension) -> Vec<Group> {
    let state = RandomState::new();
    let mut hashed: Vec<(u64, usize, u128)> = set
        .validators
        .iter()
        .enumerate()
        .filter(|(_, v)| v.active)
        .map(|(i, v)| {
            let key = Key::of(v, dimension);
            ((state.hash_one(key) & !1) | u64::from(key.is_unknown()), i, v.stake)
        })
        .collect();
    hashed.sort_unstable_by_key(|&(hash, _, _)| hash);
    let key = |i: usize| Key::of(&set.validators[i], dimension);
    let mut groups: Vec<Group> = Vec::with_capacity(hashed.len());
    for run in hashed.chunk_by(|a, b| a.0 == b.0) {
        let start = groups.len();
        for &(hash, i, stake) in run {
            // Only a run of more than one reads validators again.
            match groups[start..].iter_mut().find(|g| key(g.first) == key(i)) {
                Some(group) => {
                    group.stake = group.stake.saturating_add(stake);
                    group.first = group.first.min(i);
                }
                None => groups.push(Group { stake, first: i, unknown: hash & 1 == 1 }),
            }
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use bulwark_spec::data::validators::{StakeUnit, ValidatorFormat};

    use super::*;

    #[test]
    fn keys_order_and_compare_as_their_names() {
        let names = ["", "a", "b", "unknown:", "unknown:a", "unknown:b", "unknowo", "v"];
        for a in names {
            for b in names {
                let (ka, kb) = (Key::label(a), Key::label(b));
                assert_eq!(ka.cmp_name(kb), a.cmp(b), "{a:?} vs {b:?}");
                assert_eq!(ka == kb, a == b, "{a:?} vs {b:?}");
                assert_eq!(ka.name(), a);
            }
        }
        // A validator without a label is the same group as a label spelling its name.
        assert_eq!(Key::Unknown("x"), Key::label("unknown:x"));
        assert!(Key::label("unknown:x").is_unknown());
    }

    #[test]
    fn hashing_and_sorting_make_the_same_groups() {
        // Repeated labels, unlabelled validators, a label spelling `unknown:<id>`, inactive
        // validators and zero stakes.
        let validators = (0..400u32)
            .map(|i| Validator {
                id: format!("v{}", i % 350),
                stake: u128::from(i % 7) * 1_000 + u128::from(i),
                active: i % 11 != 0,
                operator: None,
                country: match i % 5 {
                    0 => None,
                    1 => Some("unknown:v1".to_owned()),
                    _ => Some(format!("C{}", i % 13)),
                },
                asn: None,
                datacenter: None,
                client: None,
            })
            .collect();
        let set = ValidatorSet {
            format: ValidatorFormat::Columns,
            unit: StakeUnit { symbol: String::new(), decimals: 0 },
            validators,
        };
        for dimension in [Dimension::Validator, Dimension::Country] {
            let sorted = |mut groups: Vec<Group>| {
                groups.sort_unstable_by_key(|g| g.first);
                groups
            };
            let by_map = sorted(by_hash_map(&set, dimension, usize::MAX).unwrap());
            assert_eq!(by_map, sorted(by_sorting(&set, dimension)), "{dimension:?}");
        }
    }
}
