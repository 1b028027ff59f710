//! Correlated failure: stake that goes offline together when one country, hosting
//! provider or client fails (REFERENCES.md §2.2, "correlated-failure NC").

use serde::Serialize;

use bulwark_spec::data::validators::ValidatorSet;

use super::Dimension;
use super::grouping::Grouping;
use super::metrics::strictly_more_than;

/// Which categories of one dimension (a country, a hosting provider, a client) take
/// enough active stake offline, if each fails as one, to halt the chain.
///
/// Validators the data does not label (`unknown:<id>` in [`super::group`]) are not a
/// category: nothing says they fail together. Their stake stays in the total, so every
/// share is of all active stake, and [`CorrelatedFailure::unknown_share`] says how much
/// of it the figures cannot place.
///
/// The comparisons are strict, as Ethereum's: finality stalls when more than 1/3 is
/// withheld. Under CometBFT exactly 1/3 already halts (REFERENCES.md §2.1); a category
/// holding exactly 1/3 is not listed here.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CorrelatedFailure {
    /// What the categories are.
    pub dimension: Dimension,
    /// Categories holding `> 1/3` of active stake, largest first, with their share:
    /// losing any one of them stalls finality (REFERENCES.md §2.1). Includes those of
    /// [`Self::threatens_safety`].
    pub halts_liveness: Vec<(String, f64)>,
    /// Categories holding `> 2/3` of active stake, with their share: one such category,
    /// failing or compromised as one (a client bug, a seized provider), can finalize
    /// on its own.
    pub threatens_safety: Vec<(String, f64)>,
    /// Fewest categories, largest first, holding together `> 1/3` of active stake;
    /// `None` when all of them together do not.
    pub nakamoto_one_third: Option<usize>,
    /// Fewest categories holding together `> 2/3` of active stake; `None` when all of
    /// them together do not.
    pub nakamoto_two_thirds: Option<usize>,
    /// Share of active stake whose validators have no label along the dimension.
    pub unknown_share: f64,
}

/// The correlated failures of a validator set along `dimension`. `None` when no active
/// validator has a label along it (as [`super::group`]) or the active stake is zero.
///
/// # Formula
/// Category c halts liveness iff x_c / S > 1/3 and threatens safety iff x_c / S > 2/3,
/// decided exactly on integer stakes, S the active stake including unlabelled
/// validators; the correlated-failure NC is the smallest k with Σ_{i≤k} x_(i) / S > 1/3
/// (resp. 2/3) over the categories sorted descending (REFERENCES.md §2.2).
pub fn correlated_failure(set: &ValidatorSet, dimension: Dimension) -> Option<CorrelatedFailure> {
    Grouping::new(set, dimension)?.correlated_failure()
}

impl Grouping<'_> {
    /// The correlated failures of this grouping, in one pass over its sorted groups;
    /// see [`correlated_failure`].
    pub fn correlated_failure(&self) -> Option<CorrelatedFailure> {
        let total = self.total;
        if total == 0 {
            return None;
        }
        let (third, two_thirds) = (strictly_more_than(1, 3)?, strictly_more_than(2, 3)?);
        let share = |stake: u128| stake as f64 / total as f64;
        let (mut halts_liveness, mut threatens_safety) = (Vec::new(), Vec::new());
        let (mut nc_third, mut nc_two_thirds) = (None, None);
        let (mut categories, mut acc, mut unknown) = (0usize, 0u128, 0u128);
        // Largest first, so the categories' running sum gives their Nakamoto coefficients.
        for group in &self.groups {
            let stake = group.stake;
            if group.unknown {
                unknown = unknown.saturating_add(stake);
                continue;
            }
            categories += 1;
            acc = acc.saturating_add(stake);
            if nc_third.is_none() && third.is_reached_by(acc, total) {
                nc_third = Some(categories);
            }
            if nc_two_thirds.is_none() && two_thirds.is_reached_by(acc, total) {
                nc_two_thirds = Some(categories);
            }
            // Only the two largest categories can each hold more than 1/3, and only the
            // largest more than 2/3.
            if categories <= 2 && third.is_reached_by(stake, total) {
                halts_liveness.push((self.name(group), share(stake)));
            }
            if categories == 1 && two_thirds.is_reached_by(stake, total) {
                threatens_safety.push((self.name(group), share(stake)));
            }
        }
        Some(CorrelatedFailure {
            dimension: self.dimension,
            halts_liveness,
            threatens_safety,
            nakamoto_one_third: nc_third,
            nakamoto_two_thirds: nc_two_thirds,
            unknown_share: share(unknown),
        })
    }
}

#[cfg(test)]
mod tests {
    use bulwark_spec::data::validators::{StakeUnit, Validator, ValidatorFormat};

    use super::*;

    fn set(validators: &[(&str, u128, Option<&str>)]) -> ValidatorSet {
        let validators = validators
            .iter()
            .map(|&(id, stake, country)| Validator {
                id: id.to_owned(),
                stake,
                active: true,
                operator: None,
                country: country.map(str::to_owned),
                asn: None,
                datacenter: None,
                client: None,
            })
            .collect();
        ValidatorSet {
            format: ValidatorFormat::Columns,
            unit: StakeUnit { symbol: String::new(), decimals: 0 },
            validators,
        }
    }

    #[test]
    fn unlabelled_validators_are_no_category_but_count_in_the_total() {
        // unknown:b holds 5 of 7, yet nothing says it fails with anything else; X and Y
        // together hold 2 of 7, short of > 1/3.
        let f =
            correlated_failure(&set(&[("a", 1, Some("X")), ("b", 5, None), ("c", 1, Some("Y"))]), Dimension::Country)
                .unwrap();
        assert!(f.halts_liveness.is_empty() && f.threatens_safety.is_empty(), "{f:?}");
        assert_eq!((f.nakamoto_one_third, f.nakamoto_two_thirds), (None, None));
        assert!((f.unknown_share - 5.0 / 7.0).abs() < 1e-15);
    }

    #[test]
    fn exactly_a_third_does_not_halt_and_more_does() {
        // > 1/3 is strict: X holds exactly 1/3, Y a little more.
        let f = correlated_failure(
            &set(&[("a", 3, Some("X")), ("b", 3, Some("Z")), ("c", 3, Some("W"))]),
            Dimension::Country,
        )
        .unwrap();
        assert!(f.halts_liveness.is_empty(), "{f:?}");
        assert_eq!((f.nakamoto_one_third, f.nakamoto_two_thirds), (Some(2), Some(3)));
        let f =
            correlated_failure(&set(&[("a", 3, Some("X")), ("b", 4, Some("Y")), ("c", 2, None)]), Dimension::Country)
                .unwrap();
        assert_eq!(f.halts_liveness, vec![("Y".to_owned(), 4.0 / 9.0)]);
        assert!(f.threatens_safety.is_empty());
        // X + Y = 7 of 9 > 2/3.
        assert_eq!((f.nakamoto_one_third, f.nakamoto_two_thirds), (Some(1), Some(2)));
        assert_eq!(correlated_failure(&set(&[("a", 3, None)]), Dimension::Country), None);
        assert_eq!(correlated_failure(&set(&[("a", 0, Some("X"))]), Dimension::Country), None);
    }
}
