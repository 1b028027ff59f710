//! A pair's buckets in play, lowest health factor first.

use std::collections::BinaryHeap;

use super::Live;

/// The buckets of a pair in play: a heap, and beside it the buckets that entered play
/// this step. Those arrive in order (the book is sorted by initial health factor, which
/// is their key) and most are liquidated in the step they enter, so they wait in a list
/// and are taken in turn with the heap's top: a push and a pop through the heap for each
/// cost more (on the sweep benchmark a third of the pops were of buckets that had just
/// entered). What is left of them at the step's end joins the heap.
#[derive(Default)]
pub(super) struct InPlay {
    heap: BinaryHeap<Live>,
    /// Entered this step, ascending by key; those before `next` have been taken.
    entered: Vec<Live>,
    next: usize,
}

impl InPlay {
    pub(super) fn clear(&mut self) {
        self.heap.clear();
        self.entered.clear();
        self.next = 0;
    }

    /// A bucket entering play this step; buckets enter in ascending order of key.
    pub(super) fn enter(&mut self, live: Live) {
        debug_assert!(self.entered.last().is_none_or(|l| l.key <= live.key), "buckets enter in order");
        self.entered.push(live);
    }

    /// A bucket back in play.
    pub(super) fn push(&mut self, live: Live) {
        self.heap.push(live);
    }

    /// Whether the next bucket entered this step, not the heap's top, has the lowest key.
    fn entered_leads(&self) -> bool {
        match (self.heap.peek(), self.entered.get(self.next)) {
            (Some(h), Some(e)) => e.key < h.key,
            (h, e) => h.is_none() && e.is_some(),
        }
    }

    /// The bucket of lowest key, of the heap and of those entered this step.
    pub(super) fn peek(&self) -> Option<Live> {
        if self.entered_leads() { self.entered.get(self.next).copied() } else { self.heap.peek().copied() }
    }

    /// Takes the bucket [`Self::peek`] names.
    pub(super) fn pop(&mut self) -> Option<Live> {
        if self.entered_leads() {
            let entered = self.entered.get(self.next).copied();
            self.next += 1;
            entered
        } else {
            self.heap.pop()
        }
    }

    /// At the step's end: the buckets that entered and were not taken join the heap.
    pub(super) fn settle(&mut self) {
        for live in self.entered.drain(self.next..) {
            self.heap.push(live);
        }
        self.entered.clear();
        self.next = 0;
    }

    /// Every bucket in play, in no order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &Live> {
        self.heap.iter().chain(&self.entered[self.next..])
    }
}

impl Extend<Live> for InPlay {
    /// Pushes one by one: `BinaryHeap::extend` weighs a rebuild of the whole heap on every
    /// call, which costs more than the few pushes a step brings (most steps, none).
    fn extend<I: IntoIterator<Item = Live>>(&mut self, lives: I) {
        for live in lives {
            self.heap.push(live);
        }
    }
}
