//! Buckets parked for gas above the full-liquidation line, where only the close factor
//! may be repaid. They leave when they sink to the line (they may then be repaid in full)
//! or when their repayment at the close factor could pay the gas.

use super::{ByDebt, Parked};

/// The buckets above the line, in no order, their health factors at the initial prices
/// kept apart in `keys` (same order), with the lowest of them and the largest debt and
/// collateral per position: a step scans the keys only when the lowest has sunk to the
/// line, and the buckets only when the largest could pay. They are few (tens a pair), so
/// a scan of the keys costs less than keeping them in two orders.
pub(super) struct AboveLine {
    buckets: Vec<Parked<ByDebt>>,
    keys: Vec<f64>,
    min_key: f64,
    /// The largest debt and collateral per position (stale high after removals, which
    /// errs only toward a scan).
    max: (f64, f64),
}

/// Why a bucket leaves the line.
pub(super) enum Leaving {
    /// It sank to the line: it may now be repaid in full.
    Sunk,
    /// Its repayment at the close factor could pay the gas.
    Payable,
}

impl Default for AboveLine {
    fn default() -> Self {
        AboveLine { buckets: Vec::new(), keys: Vec::new(), min_key: f64::INFINITY, max: (0.0, 0.0) }
    }
}

impl AboveLine {
    pub(super) fn clear(&mut self) {
        self.buckets.clear();
        self.keys.clear();
        self.min_key = f64::INFINITY;
        self.max = (0.0, 0.0);
    }

    pub(super) fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    pub(super) fn push(&mut self, p: Parked<ByDebt>) {
        self.min_key = self.min_key.min(p.live.key);
        self.max = (self.max.0.max(p.debt_pp), self.max.1.max(p.coll_pp));
        self.keys.push(p.live.key);
        self.buckets.push(p);
    }

    /// Whether some bucket may have `sunk` (a test of its key) or its repayment per
    /// position, `min(debt, collateral · coll_to_debt)`, may `pay`. `sunk` must hold for
    /// every key below one it holds for, and `pays` for every repayment above one it pays,
    /// so the lowest key and the largest sizes settle it.
    pub(super) fn may_leave(
        &self,
        sunk: &impl Fn(f64) -> bool,
        pays: &impl Fn(f64) -> bool,
        coll_to_debt: f64,
    ) -> bool {
        !self.is_empty() && (sunk(self.min_key) || self.may_pay(pays, coll_to_debt))
    }

    fn may_pay(&self, pays: &impl Fn(f64) -> bool, coll_to_debt: f64) -> bool {
        pays(self.max.0.min(self.max.1 * coll_to_debt))
    }

    /// Hands to `out` the buckets whose key has `sunk`, then those whose repayment per
    /// position could `pay` (see [`Self::may_leave`]), each with why it leaves.
    pub(super) fn release(
        &mut self,
        sunk: &impl Fn(f64) -> bool,
        pays: &impl Fn(f64) -> bool,
        coll_to_debt: f64,
        mut out: impl FnMut(Parked<ByDebt>, Leaving),
    ) {
        // Decided before the sunk leave: the maxima are stale high after it anyway.
        let may_pay = self.may_pay(pays, coll_to_debt);
        // The lowest key and the largest sizes are taken after each scan, not within it: a
        // running minimum makes every step of the scan wait on the one before.
        if sunk(self.min_key) {
            let mut i = 0;
            while let Some(&key) = self.keys.get(i) {
                if sunk(key) {
                    self.keys.swap_remove(i);
                    out(self.buckets.swap_remove(i), Leaving::Sunk);
                } else {
                    i += 1;
                }
            }
            self.min_key = least(&self.keys);
        }
        if may_pay {
            let mut i = 0;
            while let Some(p) = self.buckets.get(i) {
                if pays(p.debt_pp.min(p.coll_pp * coll_to_debt)) {
                    self.keys.swap_remove(i);
                    out(self.buckets.swap_remove(i), Leaving::Payable);
                } else {
                    i += 1;
                }
            }
            self.max = largest_sizes(&self.buckets);
            self.min_key = least(&self.keys);
        }
        if self.buckets.is_empty() {
            self.max = (0.0, 0.0);
        }
    }

    /// Every bucket, in no order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &Parked<ByDebt>> {
        self.buckets.iter()
    }
}

/// The least of `keys` (infinity for none), in four independent running minima. Keys are
/// health factors, never NaN, so a plain comparison is `f64::min`.
fn least(keys: &[f64]) -> f64 {
    let mut lanes = [f64::INFINITY; 4];
    let chunks = keys.chunks_exact(4);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (lane, &key) in lanes.iter_mut().zip(chunk) {
            *lane = if key < *lane { key } else { *lane };
        }
    }
    let least = |a: f64, b: f64| if b < a { b } else { a };
    rest.iter().copied().fold(least(least(lanes[0], lanes[1]), least(lanes[2], lanes[3])), least)
}

/// The largest debt and collateral per position of `buckets` (zero for none), in two
/// independent pairs of running maxima (see [`least`]).
fn largest_sizes(buckets: &[Parked<ByDebt>]) -> (f64, f64) {
    let greater = |a: f64, b: f64| if b > a { b } else { a };
    let mut lanes = [(0.0, 0.0); 2];
    let chunks = buckets.chunks_exact(2);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (lane, p) in lanes.iter_mut().zip(chunk) {
            *lane = (greater(lane.0, p.debt_pp), greater(lane.1, p.coll_pp));
        }
    }
    let max = (greater(lanes[0].0, lanes[1].0), greater(lanes[0].1, lanes[1].1));
    rest.iter().fold(max, |m, p| (greater(m.0, p.debt_pp), greater(m.1, p.coll_pp)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Live;
    use std::marker::PhantomData;

    #[test]
    fn least_and_largest_sizes_agree_with_a_plain_fold_at_every_length() {
        let values: Vec<f64> = (0..11).map(|i| 1.0 + f64::from((i * 7) % 11) / 10.0).collect();
        for n in 0..=values.len() {
            let keys = &values[..n];
            assert_eq!(least(keys), keys.iter().copied().fold(f64::INFINITY, f64::min), "{n} keys");
            let buckets: Vec<Parked<ByDebt>> = keys
                .iter()
                .map(|&k| Parked { debt_pp: k, coll_pp: 3.0 - k, live: Live { key: k, slot: 0 }, order: PhantomData })
                .collect();
            let plain = buckets.iter().fold((0.0, 0.0), |m: (f64, f64), p| (m.0.max(p.debt_pp), m.1.max(p.coll_pp)));
            assert_eq!(largest_sizes(&buckets), plain, "{n} buckets");
        }
    }
}
