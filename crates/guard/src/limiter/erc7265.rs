//! ERC-7265's rate limiter with the reference implementation's semantics
//! (`vdaubry/DeFi-Circuit-Breaker-EIPs`, `assets/eip-7265/src/utils/LimiterLib.sol`;
//! REFERENCES.md §7.1), re-expressed over exact integers.
//!
//! Flows are bucketed by tick (`t − t % tickLength`) into a list of nodes and summed
//! into `liqInPeriod`; when the head node is a withdrawal period old, expired nodes
//! move into `liqTotal`. The status is, in order: `Inactive` if
//! `limitBeginThreshold > liqTotal`; `Triggered` iff
//! `liqTotal + liqInPeriod < liqTotal · minLiqRetainedBps / 10000` (strict, with
//! Solidity's truncating division); else `Ok`. Retaining exactly the minimum does not
//! trigger.
//!
//! Kept from the reference: when a sync empties the list, head and tail are set to
//! the current time (not the tick), which leaves a zero node in front of the next
//! tick's node. Not kept: the no-op `listNodes[head];` (expired nodes are dropped
//! here), the unrestricted `setLimiterOverriden`, and the zero timestamp as the
//! empty-list sentinel (an explicit flag here).
//!
//! Amounts are integers in the asset's base units; times are milliseconds, so a
//! reference scenario in seconds maps over by multiplying times by 1000.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::event::TimeMs;

/// Serializes base-unit amounts as decimal strings: JSON readers often hold numbers
/// as doubles (exact only to 2^53), and a 128-bit integer cannot pass through serde's
/// buffered (tagged) content.
mod decimal {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(super) fn serialize<S: Serializer>(x: &i128, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(x)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i128, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(|_| D::Error::custom(format!("{text:?} is not a whole number of base units")))
    }
}

/// Basis-point denominator (`BPS_DENOMINATOR`).
pub const BPS_DENOMINATOR: i128 = 10_000;

/// `LimitStatus` of the reference, without `Uninitialized` (a configuration with
/// zero basis points is refused at construction).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitStatus {
    /// Less liquidity than `limit_begin_threshold`: nothing can trigger.
    Inactive,
    /// Within the limit.
    Ok,
    /// The minimum liquidity would not be retained.
    Triggered,
}

/// The limiter's parameters: the global window and tick, and the asset's thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Erc7265Config {
    /// `WITHDRAWAL_PERIOD`, milliseconds.
    pub withdrawal_period_ms: u64,
    /// `TICK_LENGTH`, milliseconds (positive).
    pub tick_ms: u64,
    /// `minLiqRetainedBps`, in (0, 10000].
    pub min_liq_retained_bps: u32,
    /// `limitBeginThreshold`, base units (a decimal string in JSON).
    #[serde(with = "decimal")]
    pub limit_begin_threshold: i128,
}

/// One tick's net flow (`LiqChangeNode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Node {
    tick_ms: TimeMs,
    #[serde(with = "decimal")]
    amount: i128,
}

/// The state of one asset's limiter (`Limiter`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Erc7265Limiter {
    config: Erc7265Config,
    #[serde(with = "decimal")]
    liq_total: i128,
    #[serde(with = "decimal")]
    liq_in_period: i128,
    /// The list from head (front) to tail (back); empty before the first flow.
    nodes: VecDeque<Node>,
}

impl Erc7265Limiter {
    /// A limiter with no history. `None` when `min_liq_retained_bps` is outside
    /// (0, 10000] or `tick_ms` is zero (`InvalidMinimumLiquidityThreshold`).
    pub fn new(config: Erc7265Config) -> Option<Self> {
        let bps_ok = config.min_liq_retained_bps > 0 && i128::from(config.min_liq_retained_bps) <= BPS_DENOMINATOR;
        (bps_ok && config.tick_ms > 0).then(|| Self { config, liq_total: 0, liq_in_period: 0, nodes: VecDeque::new() })
    }

    /// The parameters.
    pub fn config(&self) -> &Erc7265Config {
        &self.config
    }

    /// `liqTotal`: settled liquidity.
    pub fn liq_total(&self) -> i128 {
        self.liq_total
    }

    /// `liqInPeriod`: net flow still inside the window.
    pub fn liq_in_period(&self) -> i128 {
        self.liq_in_period
    }

    /// `listHead` and `listTail`, if the list has started.
    pub fn head_tail(&self) -> Option<(TimeMs, TimeMs)> {
        Some((self.nodes.front()?.tick_ms, self.nodes.back()?.tick_ms))
    }

    /// The net amount recorded for the node at `tick_ms` (`liquidityChanges`), if any.
    pub fn node(&self, tick_ms: TimeMs) -> Option<i128> {
        self.nodes.iter().find(|n| n.tick_ms == tick_ms).map(|n| n.amount)
    }

    /// The nodes from head to tail, `(tick, amount)`.
    pub fn nodes(&self) -> impl Iterator<Item = (TimeMs, i128)> + '_ {
        self.nodes.iter().map(|n| (n.tick_ms, n.amount))
    }

    /// `recordChange`: adds a flow (positive in, negative out) at `now_ms`.
    pub fn record_change(&mut self, amount: i128, now_ms: TimeMs) {
        let tick = now_ms - now_ms % self.config.tick_ms;
        self.liq_in_period = self.liq_in_period.saturating_add(amount);
        let Some(head) = self.nodes.front().map(|n| n.tick_ms) else {
            self.nodes.push_back(Node { tick_ms: tick, amount });
            return;
        };
        if now_ms.saturating_sub(head) >= self.config.withdrawal_period_ms {
            self.sync(now_ms, usize::MAX);
        }
        match self.nodes.back_mut() {
            Some(tail) if tail.tick_ms == tick => tail.amount = tail.amount.saturating_add(amount),
            _ => self.nodes.push_back(Node { tick_ms: tick, amount }),
        }
    }

    /// `sync`: moves up to `max_iters` expired nodes (a withdrawal period old at
    /// `now_ms`) from `liqInPeriod` into `liqTotal` (`clearBackLog` with a bound).
    pub fn sync(&mut self, now_ms: TimeMs, max_iters: usize) {
        if self.nodes.is_empty() {
            return;
        }
        let mut total_change: i128 = 0;
        let mut iters = 0;
        while iters < max_iters {
            match self.nodes.front() {
                Some(n) if now_ms.saturating_sub(n.tick_ms) >= self.config.withdrawal_period_ms => {
                    total_change = total_change.saturating_add(n.amount);
                    self.nodes.pop_front();
                    iters += 1;
                }
                _ => break,
            }
        }
        if self.nodes.is_empty() {
            // The reference sets head = tail = block.timestamp: a zero node at `now`.
            self.nodes.push_back(Node { tick_ms: now_ms, amount: 0 });
        }
        self.liq_total = self.liq_total.saturating_add(total_change);
        self.liq_in_period = self.liq_in_period.saturating_sub(total_change);
    }

    /// `status`, from the state as it stands (the reference's view function).
    pub fn status(&self) -> LimitStatus {
        self.status_of(self.liq_total, self.liq_in_period)
    }

    /// The status the limiter would report after syncing at `now_ms`, without
    /// changing it (for clock ticks: a limit clears once the outflow settles).
    pub fn status_at(&self, now_ms: TimeMs) -> LimitStatus {
        let expired: i128 = self
            .nodes
            .iter()
            .take_while(|n| now_ms.saturating_sub(n.tick_ms) >= self.config.withdrawal_period_ms)
            .map(|n| n.amount)
            .sum();
        self.status_of(self.liq_total.saturating_add(expired), self.liq_in_period.saturating_sub(expired))
    }

    /// The minimum liquidity to retain: `liqTotal · bps / 10000`, truncated toward zero.
    pub fn min_liq(&self) -> i128 {
        self.liq_total.saturating_mul(i128::from(self.config.min_liq_retained_bps)) / BPS_DENOMINATOR
    }

    fn status_of(&self, liq_total: i128, liq_in_period: i128) -> LimitStatus {
        // `limitBeginThreshold > uint256(currentLiq)`: a negative total reads as huge.
        if liq_total >= 0 && self.config.limit_begin_threshold > liq_total {
            return LimitStatus::Inactive;
        }
        let future = liq_total.saturating_add(liq_in_period);
        let min_liq = liq_total.saturating_mul(i128::from(self.config.min_liq_retained_bps)) / BPS_DENOMINATOR;
        if future < min_liq { LimitStatus::Triggered } else { LimitStatus::Ok }
    }
}
