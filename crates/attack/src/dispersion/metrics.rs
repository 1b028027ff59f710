//! Concentration of a stake distribution: the τ-index, Nakamoto coefficients, Gini,
//! HHI, Shannon entropy, Theil T and concentration ratios (REFERENCES.md §2.2–2.3).
//!
//! Thresholds are decided exactly on the integer stakes; the real-valued metrics are
//! `f64`, computed together in one pass over the sorted stakes.

use bulwark_spec::units::{Comparison, Ratio, Threshold};
use serde::Serialize;

/// How concentrated a set of stakes is. Built by [`Metrics::of`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Metrics {
    /// Nakamoto coefficients at `> 1/3` and `> 2/3` of the stake.
    pub nakamoto: Nakamoto,
    /// Gini coefficient, in [0, 1): 0 when every entity holds the same stake.
    ///
    /// # Formula
    /// Σ_{i=1..n} (2i − n − 1)·x_(i) / (n·S), x ascending, zero stakes counted in n
    /// (REFERENCES.md §2.3).
    pub gini: f64,
    /// Herfindahl–Hirschman index, in (0, 10 000]: 10 000 for a single holder.
    ///
    /// # Formula
    /// Σ (100·p_i)², p_i = x_i / S (REFERENCES.md §2.3; DOJ bands: < 1500 competitive,
    /// 1500–2500 moderate, ≥ 2500 highly concentrated).
    pub hhi: f64,
    /// Shannon entropy of the shares, in bits.
    ///
    /// # Formula
    /// H = −Σ_{p_i > 0} p_i·log₂ p_i (REFERENCES.md §2.3).
    pub entropy_bits: f64,
    /// Entropy as a percentage of its maximum for as many holders, in [0, 100]; `None`
    /// with fewer than two entities holding stake (the maximum is then zero).
    ///
    /// # Formula
    /// 100 · H / log₂ m, m = #entities with x_i > 0 (REFERENCES.md §2.3).
    pub entropy_pct: Option<f64>,
    /// Theil T index, in [0, ln n]: 0 when every entity holds the same stake.
    ///
    /// # Formula
    /// (1/n)·Σ (x_i/μ)·ln(x_i/μ), μ = S/n, 0·ln 0 := 0, zero stakes counted in n
    /// (REFERENCES.md §2.3); computed as Σ_{p_i > 0} p_i·ln(n·p_i).
    pub theil: f64,
    /// Shares of the largest one, five and ten entities.
    pub cr: ConcentrationRatios,
}

/// The fewest entities, largest first, whose combined stake is **strictly more** than a
/// fraction of the total (REFERENCES.md §2.2: the comparison is part of the definition).
///
/// On Ethereum, withholding `> 1/3` stalls finality and `> 2/3` finalizes alone
/// (REFERENCES.md §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Nakamoto {
    /// Fewest entities holding `> 1/3` of the stake.
    pub one_third: usize,
    /// Fewest entities holding `> 2/3` of the stake.
    pub two_thirds: usize,
}

/// Concentration ratios CR_k: the combined share of the k largest entities, in (0, 1]
/// (all of the stake when there are fewer than k).
///
/// # Formula
/// CR_k = Σ_{i ≤ k} p_(i), p descending (REFERENCES.md §2.3); CR_1 is the max power ratio.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ConcentrationRatios {
    /// Share of the largest entity.
    pub cr_1: f64,
    /// Share of the five largest.
    pub cr_5: f64,
    /// Share of the ten largest.
    pub cr_10: f64,
}

/// `> num/den`, exactly.
pub(super) fn strictly_more_than(num: u128, den: u128) -> Option<Threshold> {
    Ratio::new(num, den).map(|fraction| Threshold { fraction, cmp: Comparison::Gt })
}

/// The τ-index: the fewest entities, largest first, whose combined share is at least τ.
/// `stakes_desc` must be sorted descending. `Some(0)` for τ = 0; `None` when the total
/// stake is zero or τ > 1.
///
/// The comparison is `≥`, as the τ-index is defined; for a Nakamoto coefficient with
/// another comparison use [`super::nakamoto`]. The Nakamoto coefficient of
/// Blockchain-Technology-Lab/consensus-decentralization is the τ-index at 1/2.
///
/// # Formula
/// smallest k with Σ_{i≤k} p_(i) ≥ τ, p descending (REFERENCES.md §2.3), decided exactly:
/// Σ_{i≤k} x_(i) · den(τ) ≥ S · num(τ).
pub fn tau_index(stakes_desc: &[u128], tau: Ratio) -> Option<usize> {
    let total = stakes_desc.iter().fold(0u128, |total, s| total.saturating_add(*s));
    if total == 0 {
        return None;
    }
    let mut acc = 0u128;
    for k in 0..=stakes_desc.len() {
        if tau.is_reached_by(acc, total, Comparison::Ge) {
            return Some(k);
        }
        if let Some(stake) = stakes_desc.get(k) {
            acc = acc.saturating_add(*stake);
        }
    }
    None
}

impl Metrics {
    /// Every metric of a stake distribution, in one pass. `stakes_desc` must be sorted
    /// descending (the order [`super::group`] returns); zero stakes count as entities.
    /// `None` when the total stake is zero (no shares to measure). Sums saturate, as
    /// [`bulwark_spec::data::validators::ValidatorSet::total_active_stake`] does.
    pub fn of(stakes_desc: &[u128]) -> Option<Self> {
        let total = stakes_desc.iter().fold(0u128, |total, s| total.saturating_add(*s));
        Self::of_sorted(stakes_desc.iter().copied(), total)
    }

    /// [`Metrics::of`] over stakes already summed into `total`.
    pub(super) fn of_sorted(stakes_desc: impl ExactSizeIterator<Item = u128>, total: u128) -> Option<Self> {
        if total == 0 {
            return None;
        }
        let (third, two_thirds) = (strictly_more_than(1, 3)?, strictly_more_than(2, 3)?);
        let total_f = total as f64;
        let n = stakes_desc.len() as f64;
        let (mut nc_third, mut nc_two_thirds) = (None, None);
        let (mut cr_1, mut cr_5, mut cr_10) = (None, None, None);
        let (mut acc, mut holders) = (0u128, 0usize);
        let (mut gini_sum, mut squares, mut entropy_nats, mut theil) = (0.0, 0.0, 0.0, 0.0);
        for (i, stake) in stakes_desc.enumerate() {
            let k = i + 1;
            acc = acc.saturating_add(stake);
            if nc_third.is_none() && third.is_reached_by(acc, total) {
                nc_third = Some(k);
            }
            if nc_two_thirds.is_none() && two_thirds.is_reached_by(acc, total) {
                nc_two_thirds = Some(k);
            }
            match k {
                1 => cr_1 = Some(acc),
                5 => cr_5 = Some(acc),
                10 => cr_10 = Some(acc),
                _ => {}
            }
            let x = stake as f64;
            let p = x / total_f;
            // Rank k descending is rank n + 1 − k ascending: 2(n + 1 − k) − n − 1 = n + 1 − 2k.
            gini_sum += (n + 1.0 - 2.0 * k as f64) * p;
            squares += x * x;
            if stake > 0 {
                holders += 1;
                let ln_p = p.ln();
                entropy_nats -= p * ln_p;
                theil += p * (n.ln() + ln_p);
            }
        }
        let share = |part: Option<u128>| part.unwrap_or(total) as f64 / total_f;
        let entropy_bits = entropy_nats / std::f64::consts::LN_2;
        Some(Self {
            nakamoto: Nakamoto { one_third: nc_third?, two_thirds: nc_two_thirds? },
            gini: gini_sum / n,
            // 10⁴·Σx²/S² rather than Σ(100·p)²: exact when the stakes are small integers.
            hhi: 10_000.0 * squares / (total_f * total_f),
            entropy_bits,
            entropy_pct: (holders > 1).then(|| 100.0 * entropy_bits / (holders as f64).log2()),
            theil,
            cr: ConcentrationRatios { cr_1: share(cr_1), cr_5: share(cr_5), cr_10: share(cr_10) },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ratio(num: u128, den: u128) -> Ratio {
        Ratio::new(num, den).unwrap()
    }

    #[test]
    fn hhi_of_the_worked_example_is_exactly_2950() {
        // REFERENCES.md §2.3 worked example: shares 40/30/15/15 %, HHI = 1600 + 900 + 225 + 225.
        let m = Metrics::of(&[8, 6, 3, 3]).unwrap();
        assert_eq!(m.hhi, 2950.0);
        assert_eq!(m.cr.cr_1, 0.4);
        assert_eq!(m.cr.cr_5, 1.0);
        // 8 of 20 > 1/3; 14 of 20 > 2/3.
        assert_eq!(m.nakamoto, Nakamoto { one_third: 1, two_thirds: 2 });
    }

    #[test]
    fn equal_stakes_are_perfectly_dispersed() {
        let m = Metrics::of(&[5; 8]).unwrap();
        assert!(m.gini.abs() < 1e-12 && m.theil.abs() < 1e-12, "{m:?}");
        assert!((m.entropy_bits - 3.0).abs() < 1e-12, "{m:?}");
        assert_eq!(m.entropy_pct.map(|pct| (pct - 100.0).abs() < 1e-9), Some(true));
        assert!((m.hhi - 1250.0).abs() < 1e-9);
        // > 1/3 of 8 equal holders: 3/8; > 2/3: 6/8.
        assert_eq!(m.nakamoto, Nakamoto { one_third: 3, two_thirds: 6 });
    }

    #[test]
    fn one_holder_among_zeros_is_fully_concentrated() {
        // Zeros count in n (REFERENCES.md §2.3): Gini (n−1)/n, Theil ln n.
        let m = Metrics::of(&[7, 0, 0, 0]).unwrap();
        assert!((m.gini - 0.75).abs() < 1e-12, "{m:?}");
        assert!((m.theil - 4f64.ln()).abs() < 1e-12, "{m:?}");
        assert_eq!((m.hhi, m.entropy_bits, m.entropy_pct), (10_000.0, 0.0, None));
        assert_eq!(m.nakamoto, Nakamoto { one_third: 1, two_thirds: 1 });
        assert_eq!(Metrics::of(&[0, 0]), None);
        assert_eq!(Metrics::of(&[]), None);
    }

    #[test]
    fn tau_index_uses_at_least() {
        // Exactly half is reached by the first of [1, 1] under ≥ (REFERENCES.md §2.3).
        assert_eq!(tau_index(&[1, 1], ratio(1, 2)), Some(1));
        assert_eq!(tau_index(&[10, 10, 10], ratio(1, 3)), Some(1));
        assert_eq!(tau_index(&[10, 10, 10], ratio(2, 3)), Some(2));
        assert_eq!(tau_index(&[10, 10, 10], ratio(1, 1)), Some(3));
        assert_eq!(tau_index(&[10, 10, 10], ratio(0, 1)), Some(0));
        assert_eq!(tau_index(&[10, 10, 10], ratio(4, 3)), None);
        assert_eq!(tau_index(&[0, 0], ratio(1, 2)), None);
    }
}
