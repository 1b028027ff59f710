//! Buckets parked because they were too small for the gas when last tried: kept out of
//! the pair's heap so that a step touches only those whose margin could now pay.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::marker::PhantomData;

use super::{Holding, Live};

mod above;
use above::{AboveLine, Leaving};

/// The longest the list of buckets tried in earlier steps grows before its smaller half
/// goes to the heap.
const TRIED_MAX: usize = 64;

/// The buckets of a pair parked for gas, in two max-heaps by what bounds a liquidation's
/// repayment per position: the debt (`by_debt`), or, once the collateral no longer
/// covers the debt plus the bonus, the collateral (`by_collateral`, which converts to debt
/// at the oracle by a factor common to the pair). A step pops only buckets whose bound
/// could pay the gas; one whose other bound falls short moves to the other heap, where
/// it stays below the line, so each step touches only the buckets it tries.
#[derive(Default)]
pub(super) struct ParkedBuckets {
    by_debt: BinaryHeap<Parked<ByDebt>>,
    by_collateral: BinaryHeap<Parked<ByCollateral>>,
    /// Tried this step and still parked; out of reach until the step's end.
    held: Vec<Parked<ByDebt>>,
    /// Tried in an earlier step and still parked, by debt per position, largest last: with
    /// `by_debt`, one order by debt. They are the largest parked and are tried again first,
    /// often each step in a thin venue, so they wait here rather than go through the heap.
    tried: Vec<Parked<ByDebt>>,
    /// Parked above the full-liquidation line.
    above: AboveLine,
}

impl ParkedBuckets {
    pub(super) fn clear(&mut self) {
        self.by_debt.clear();
        self.by_collateral.clear();
        self.held.clear();
        self.tried.clear();
        self.above.clear();
    }

    /// Whether no bucket is parked.
    pub(super) fn is_empty(&self) -> bool {
        self.by_debt.is_empty()
            && self.by_collateral.is_empty()
            && self.held.is_empty()
            && self.tried.is_empty()
            && self.above.is_empty()
    }

    /// Whether a step's parked pass would leave every bucket where it is: no bucket's
    /// bound `exceeds_least` (the least repayment that could pay the gas) at the top of the
    /// heaps below the line (`None`: no liquidation is tried), and above the line none has
    /// `sunk` and the maxima cannot `pay` at the close factor. The tests are those of
    /// [`Self::next_payable`]'s first look and of [`Self::release_above`], so skipping the
    /// pass changes nothing.
    pub(super) fn idle(
        &self,
        exceeds_least: Option<impl Fn(f64) -> bool>,
        coll_to_debt: f64,
        sunk: impl Fn(f64) -> bool,
        pays: impl Fn(f64) -> bool,
    ) -> bool {
        let below_idle = exceeds_least.is_none_or(|exceeds| {
            !self.largest_by_debt().is_some_and(|p| exceeds(p.debt_pp))
                && !self.by_collateral.peek().is_some_and(|p| exceeds(p.coll_pp * coll_to_debt))
        });
        below_idle && self.held.is_empty() && !self.above.may_leave(&sunk, &pays, coll_to_debt)
    }

    /// Parks a bucket too small for the gas. Above the full-liquidation line it waits
    /// apart: it may pay twice as much once it sinks below that line.
    pub(super) fn park_for_gas(&mut self, live: Live, held: &Holding, above_line: bool) {
        let p = Parked::new(live, held);
        if above_line { self.above.push(p) } else { self.park(p) }
    }

    fn park(&mut self, p: Parked<ByDebt>) {
        self.by_debt.push(p);
    }

    /// Hands back (to `back`) the buckets parked above the full-liquidation line whose
    /// repayment per position, `min(debt, collateral · coll_to_debt)`, could pay: at the
    /// close factor (`pays`), or in full (`pays_in_full`) for those that have sunk to the
    /// line at the pair's price ratio `ratio_now`. Sunk buckets that still could not pay
    /// are parked below the line, where the same bound brings them back. The lowest health
    /// factor and the maxima of debt and collateral per position bound every bucket's, so
    /// the keys are scanned only when one has sunk, and the buckets only when the maxima
    /// could pay.
    pub(super) fn release_above(
        &mut self,
        ratio_now: f64,
        full_below: f64,
        pays: impl Fn(f64) -> bool,
        pays_in_full: impl Fn(f64) -> bool,
        coll_to_debt: f64,
        mut back: impl FnMut(Live),
    ) {
        let sunk = |key: f64| key * ratio_now <= full_below;
        if !self.above.may_leave(&sunk, &pays, coll_to_debt) {
            return;
        }
        let repay_pp = |p: &Parked<ByDebt>| p.debt_pp.min(p.coll_pp * coll_to_debt);
        let by_debt = &mut self.by_debt;
        self.above.release(&sunk, &pays, coll_to_debt, |p, why| match why {
            Leaving::Sunk if !pays_in_full(repay_pp(&p)) => by_debt.push(p),
            Leaving::Sunk | Leaving::Payable => back(p.live),
        });
    }

    /// Keeps a bucket tried this step parked, out of this step's reach.
    pub(super) fn hold(&mut self, p: Parked<ByDebt>) {
        self.held.push(p);
    }

    /// Returns the held buckets to the order by debt, for the next step.
    pub(super) fn release_held(&mut self) {
        if self.held.is_empty() {
            return;
        }
        // Two sorted runs (the list, then the held buckets once sorted): a stable sort
        // merges them, in place for lists this short.
        self.held.sort_unstable_by(|a, b| a.debt_pp.total_cmp(&b.debt_pp));
        self.tried.append(&mut self.held);
        self.tried.sort_by(|a, b| a.debt_pp.total_cmp(&b.debt_pp));
        // Buckets that stay in the list (the gas bound moved above them) would make each
        // merge longer: past a few tens, the smaller ones go to the heap.
        if self.tried.len() > TRIED_MAX {
            let smaller = self.tried.len() - TRIED_MAX / 2;
            self.by_debt.extend(self.tried.drain(..smaller));
        }
    }

    /// Whether the tried list's last bucket, not the heap's top, is the parked bucket of
    /// largest debt per position.
    fn tried_leads(&self) -> bool {
        match (self.by_debt.peek(), self.tried.last()) {
            (Some(h), Some(t)) => t.debt_pp > h.debt_pp,
            (h, t) => h.is_none() && t.is_some(),
        }
    }

    /// The parked bucket of largest debt per position, of the heap and the tried list.
    fn largest_by_debt(&self) -> Option<&Parked<ByDebt>> {
        if self.tried_leads() { self.tried.last() } else { self.by_debt.peek() }
    }

    /// Takes the bucket [`Self::largest_by_debt`] names.
    fn pop_largest_by_debt(&mut self) -> Option<Parked<ByDebt>> {
        if self.tried_leads() { self.tried.pop() } else { self.by_debt.pop() }
    }

    /// Every parked bucket, in no order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &Live> {
        let debt = self.by_debt.iter().map(|p| &p.live);
        let collateral = self.by_collateral.iter().map(|p| &p.live);
        let waiting = self.held.iter().chain(&self.tried).map(|p| &p.live);
        debt.chain(collateral).chain(waiting).chain(self.above.iter().map(|p| &p.live))
    }

    /// Pops a bucket whose repayment per position, `min(debt, collateral · coll_to_debt)`,
    /// exceeds `min_repay`; buckets found short on their other bound change heaps.
    pub(super) fn next_payable(&mut self, min_repay: f64, coll_to_debt: f64) -> Option<Parked<ByDebt>> {
        loop {
            if self.largest_by_debt().is_some_and(|p| p.debt_pp > min_repay) {
                let p = self.pop_largest_by_debt()?;
                if p.coll_pp * coll_to_debt > min_repay {
                    return Some(p);
                }
                self.by_collateral.push(p.rekey());
            } else if self.by_collateral.peek().is_some_and(|p| p.coll_pp * coll_to_debt > min_repay) {
                let p = self.by_collateral.pop()?.rekey();
                if p.debt_pp > min_repay {
                    return Some(p);
                }
                self.by_debt.push(p);
            } else {
                return None;
            }
        }
    }
}

/// Heap order of parked buckets: by debt per position.
#[derive(Debug, Clone, Copy)]
pub(super) struct ByDebt;
/// Heap order of parked buckets: by collateral per position.
#[derive(Debug, Clone, Copy)]
pub(super) struct ByCollateral;

/// A parked bucket with its debt and collateral per position; `K` picks the heap order.
#[derive(Debug, Clone, Copy)]
pub(super) struct Parked<K> {
    debt_pp: f64,
    coll_pp: f64,
    pub(super) live: Live,
    order: PhantomData<K>,
}

impl Parked<ByDebt> {
    fn new(live: Live, b: &Holding) -> Self {
        Parked { debt_pp: b.debt / b.positions, coll_pp: b.collateral / b.positions, live, order: PhantomData }
    }
}

impl<K> Parked<K> {
    fn rekey<L>(self) -> Parked<L> {
        Parked { debt_pp: self.debt_pp, coll_pp: self.coll_pp, live: self.live, order: PhantomData }
    }
}

/// The field a heap orders parked buckets by.
pub(super) trait ParkOrder {
    fn key<K>(p: &Parked<K>) -> f64;
}

impl ParkOrder for ByDebt {
    fn key<K>(p: &Parked<K>) -> f64 {
        p.debt_pp
    }
}

impl ParkOrder for ByCollateral {
    fn key<K>(p: &Parked<K>) -> f64 {
        p.coll_pp
    }
}

impl<K: ParkOrder> PartialEq for Parked<K> {
    fn eq(&self, other: &Self) -> bool {
        K::key(self).total_cmp(&K::key(other)).is_eq()
    }
}

impl<K: ParkOrder> Eq for Parked<K> {}

impl<K: ParkOrder> PartialOrd for Parked<K> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<K: ParkOrder> Ord for Parked<K> {
    fn cmp(&self, other: &Self) -> Ordering {
        K::key(self).total_cmp(&K::key(other))
    }
}
