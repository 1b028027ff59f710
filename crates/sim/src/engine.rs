//! One Monte Carlo path through the world: prices move, oracles follow with their lag,
//! liquidators act on the oracle's health factors when it pays after slippage and gas,
//! their sales move the venues, and what collateral cannot cover becomes bad debt.
//!
//! Two engines share every rule: the bucket engine (positions aggregated by initial
//! health factor, cost independent of the number of positions) and the exact engine
//! (one row per account, any mix of assets). Both take their random log-returns from
//! the caller, so a path is the same whichever engine or thread runs it.

use crate::book::{Bucket, IndexedPosition};
use crate::liquidation::Liquidation;
use crate::oracle::PushFeed;
use crate::venue::PoolGap;
use crate::world::World;

/// A collateral position this small (in tokens, relative to its start) counts as gone.
const DUST: f64 = 1e-12;

/// What one path ends with.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PathOutcome {
    /// Debt left without collateral, plus the shortfall of positions still underwater at
    /// the horizon, in USD at market prices.
    pub bad_debt_usd: f64,
    /// The part of it written off when a position's collateral ran out.
    pub realized_bad_debt_usd: f64,
    /// Debt repaid by liquidators, in USD.
    pub liquidated_debt_usd: f64,
    /// Liquidation calls (a bucket liquidated once counts its positions).
    pub liquidations: f64,
    /// Seconds to the first debt written off, if any.
    pub first_bad_debt_s: Option<f64>,
    /// Debt in positions liquidatable at some step (at oracle prices), in USD at the start.
    pub debt_at_risk_usd: f64,
}

/// Observes a path step by step: the worst paths are re-run with a recorder to tell
/// their story. The run itself uses [`NoRecord`], which compiles to nothing.
pub trait Recorder {
    /// After each step: time, reference, market and oracle prices, and what the step
    /// liquidated and wrote off (USD).
    fn step(
        &mut self,
        _t_s: f64,
        _reference: &[f64],
        _market: &[f64],
        _oracle: &[f64],
        _liquidated_usd: f64,
        _bad_debt_usd: f64,
    ) {
    }
}

/// Records nothing.
pub struct NoRecord;
impl Recorder for NoRecord {}

/// Per-thread buffers, reused across paths so that the step loop never allocates.
#[derive(Default)]
pub struct Scratch {
    reference: Vec<f64>,
    market: Vec<f64>,
    oracle: Vec<f64>,
    lagged: Vec<f64>,
    history: Vec<f64>,
    feeds: Vec<PushFeed>,
    gaps: Vec<PoolGap>,
    frontier: Vec<usize>,
    twaps: Vec<TwapWindow>,
    heaps: Vec<std::collections::BinaryHeap<Live>>,
    retry: Vec<Live>,
    backoff: Vec<(usize, usize)>,
    accounts: Vec<IndexedPosition>,
}

/// The values inside one TWAP window: a ring of one value per step and their sum.
#[derive(Default)]
struct TwapWindow {
    values: Vec<f64>,
    sum: f64,
}

/// Prices and venues along one path, shared by both engines.
struct Markets<'w> {
    world: &'w World,
    t_s: f64,
    capital_left: f64,
    gas_usd: f64,
}

impl Markets<'_> {
    /// Tries to liquidate `(collateral, debt)` tokens of assets `(c, d)` held by
    /// `positions` positions at health factor `hf`: the largest repayment the close factor
    /// and the step's capital allow, else half, else a quarter, whichever first pays after
    /// slippage and gas. Sells the liquidator's collateral into the venue.
    #[allow(clippy::too_many_arguments)] // the state of one liquidation, passed flat to stay allocation-free
    fn liquidate(
        &mut self,
        s: &mut Scratch,
        c: usize,
        d: usize,
        collateral: f64,
        debt: f64,
        positions: f64,
        hf: f64,
    ) -> Option<Liquidation> {
        let w = self.world;
        let asset = &w.assets[c];
        let debt_price = s.market[d];
        let quote_price = asset.quote.map_or(1.0, |q| s.reference[q]);
        let cover_cap = self.capital_left / debt_price;
        for fraction in [1.0, 0.5, 0.25] {
            let want = debt * asset.terms.max_repay_share(hf) * fraction;
            let l = asset.terms.liquidate(collateral, debt, hf, want.min(cover_cap), s.oracle[c], s.oracle[d]);
            if l.debt_repaid <= 0.0 {
                return None;
            }
            let mut gap = s.gaps[c];
            let proceeds_quote = gap.sell(&asset.pool, s.reference[c] / quote_price, l.to_liquidator());
            let profit = proceeds_quote * quote_price - l.debt_repaid * debt_price - self.gas_usd * positions;
            if profit > 0.0 {
                s.gaps[c] = gap;
                self.capital_left -= l.debt_repaid * debt_price;
                return Some(l);
            }
        }
        None
    }
}

/// Advances prices, venues and oracles by one step; `returns` holds the step's
/// log-returns per asset. Fills `oracle` (the answers on chain now) and `lagged` (the
/// answers the liquidators act on, older by their latency).
fn advance(w: &World, s: &mut Scratch, step: usize, returns: &[f64]) -> f64 {
    let n = w.assets.len();
    let t_s = (step + 1) as f64 * w.step_s;
    // A delay line of the latest round of each feed: row `step % rows` is this step.
    let rows = s.history.len() / n.max(1);
    let row = step % rows;
    for (a, asset) in w.assets.iter().enumerate() {
        // A TWAP reads the venue's price as it stood before this step's move.
        let before = s.market[a];
        s.reference[a] *= returns[a].exp();
        s.gaps[a].recover(&asset.pool, w.step_s);
        s.market[a] = s.gaps[a].price(s.reference[a]);
        s.history[row * n + a] = match &asset.twap {
            Some(twap) => {
                let window = &mut s.twaps[a];
                let slot = step % twap.window_steps;
                let entering = twap.value(before);
                window.sum += entering - window.values[slot];
                window.values[slot] = entering;
                twap.price(window.sum / twap.window_steps as f64)
            }
            None => s.feeds[a].update(&asset.oracle, t_s, s.market[a]),
        };
    }
    for (a, asset) in w.assets.iter().enumerate() {
        let delay = asset.oracle.delay_steps(w.step_s);
        let at = |back: usize| if back > step { w.assets[a].price0 } else { s.history[((step - back) % rows) * n + a] };
        s.oracle[a] = at(delay);
        s.lagged[a] = at(delay + w.liquidators.latency_steps);
    }
    t_s
}

fn reset(w: &World, s: &mut Scratch, exact: bool) {
    let n = w.assets.len();
    let p0 = w.price0();
    s.reference.clone_from(&p0);
    s.market.clone_from(&p0);
    s.oracle.clone_from(&p0);
    s.lagged.clone_from(&p0);
    let longest =
        w.assets.iter().map(|a| a.oracle.delay_steps(w.step_s)).max().unwrap_or(0) + w.liquidators.latency_steps;
    s.history.clear();
    for _ in 0..=longest {
        s.history.extend_from_slice(&p0);
    }
    s.feeds.clear();
    s.feeds.extend(p0.iter().map(|p| PushFeed::new(*p)));
    s.gaps.clear();
    s.gaps.resize(n, PoolGap::default());
    s.frontier.clear();
    s.frontier.resize(w.pairs.len(), 0);
    s.twaps.resize_with(n, TwapWindow::default);
    for (window, asset) in s.twaps.iter_mut().zip(&w.assets) {
        let steps = asset.twap.map_or(0, |t| t.window_steps);
        let value = asset.twap.map_or(0.0, |t| t.value(asset.price0));
        window.values.clear();
        window.values.resize(steps, value);
        window.sum = value * steps as f64;
    }
    s.heaps.resize_with(w.pairs.len(), Default::default);
    for heap in &mut s.heaps {
        heap.clear();
    }
    s.retry.clear();
    s.backoff.clear();
    s.backoff.resize(w.pairs.len(), (0, 1));
    if exact {
        s.accounts.clone_from(&w.accounts);
    }
}

/// Runs one path with the bucket engine. `returns` holds `steps × assets` log-returns.
///
/// Buckets enter play when their health factor first falls below 1 at the oracle the
/// liquidators read (a pointer over each pair's buckets, sorted by initial health).
/// From then on each lives in its pair's min-heap, keyed by its health factor at the
/// initial prices, so a step only looks at the buckets that are liquidatable now: worst
/// first, until the step's capital is spent or [`GIVE_UP_AFTER`] attempts in a row do
/// not pay. Cost per step is proportional to liquidatable buckets, not to the book.
pub fn run_buckets(w: &World, s: &mut Scratch, returns: &[f64], rec: &mut impl Recorder) -> PathOutcome {
    reset(w, s, false);
    let n = w.assets.len();
    let p0 = w.price0();
    let mut out = PathOutcome::default();
    let mut m = Markets { world: w, t_s: 0.0, capital_left: 0.0, gas_usd: 0.0 };
    let key = |pi: usize, b: &Bucket| {
        let pair = &w.pairs[pi];
        b.collateral * p0[pair.collateral] * w.assets[pair.collateral].lt / (b.debt * p0[pair.debt])
    };
    for step in 0..w.steps {
        m.t_s = advance(w, s, step, &returns[step * n..(step + 1) * n]);
        m.capital_left = w.liquidators.capital_per_step_usd;
        m.gas_usd = w.liquidators.gas_usd_at(step, &p0, &s.reference);
        let (mut liquidated, mut written_off) = (0.0, 0.0);
        for (pi, pair) in w.pairs.iter().enumerate() {
            let (c, d) = (pair.collateral, pair.debt);
            let ratio_seen = (s.lagged[c] / p0[c]) / (s.lagged[d] / p0[d]);
            let ratio_now = (s.oracle[c] / p0[c]) / (s.oracle[d] / p0[d]);
            // Buckets whose health factor fell below 1 join the heap.
            while let Some(b) = pair.buckets.get(s.frontier[pi]).filter(|b| b.hf0 * ratio_seen < 1.0) {
                out.debt_at_risk_usd += b.debt * p0[d];
                s.heaps[pi].push(Live { key: b.hf0, bucket: *b });
                s.frontier[pi] += 1;
            }
            let mut failures = 0;
            let (next_try, wait) = s.backoff[pi];
            if step < next_try {
                continue;
            }
            let mut succeeded = false;
            while m.capital_left > 0.0 && failures < GIVE_UP_AFTER {
                let Some(top) = s.heaps[pi].peek().copied().filter(|l| l.key * ratio_seen < 1.0) else { break };
                s.heaps[pi].pop();
                let hf_now = top.key * ratio_now;
                if hf_now >= 1.0 {
                    s.retry.push(top);
                    continue;
                }
                let mut b = top.bucket;
                match m.liquidate(s, c, d, b.collateral, b.debt, b.positions, hf_now) {
                    Some(l) => {
                        failures = 0;
                        succeeded = true;
                        b.collateral -= l.collateral_seized;
                        b.debt -= l.debt_repaid;
                        liquidated += l.debt_repaid * s.market[d];
                        out.liquidations += b.positions;
                        if b.collateral <= DUST * b.positions {
                            written_off += b.debt.max(0.0) * s.market[d];
                        } else if b.debt > 0.0 {
                            s.retry.push(Live { key: key(pi, &b), bucket: b });
                        }
                    }
                    None => {
                        failures += 1;
                        s.retry.push(top);
                    }
                }
            }
            // A pair that did not pay at all waits 1, 2, 4, ... up to 64 steps before the
            // next try; any success resets the wait.
            s.backoff[pi] = if succeeded || failures < GIVE_UP_AFTER {
                (0, 1)
            } else {
                (step + wait, (wait * 2).min(MAX_BACKOFF_STEPS))
            };
            let retry = std::mem::take(&mut s.retry);
            s.heaps[pi].extend(retry.iter().copied());
            s.retry = retry;
            s.retry.clear();
        }
        book_step(&mut out, m.t_s, liquidated, written_off);
        rec.step(m.t_s, &s.reference, &s.market, &s.oracle, liquidated, written_off);
    }
    // At the horizon, whatever is underwater at market prices is bad debt too: buckets
    // in play, and untouched ones the market (not the oracle) has sunk.
    for (pi, pair) in w.pairs.iter().enumerate() {
        let (c, d) = (pair.collateral, pair.debt);
        for l in s.heaps[pi].iter() {
            out.bad_debt_usd += (l.bucket.debt * s.market[d] - l.bucket.collateral * s.market[c]).max(0.0);
        }
        let ratio = (s.market[c] / p0[c]) / (s.market[d] / p0[d]);
        let lt = w.assets[c].lt;
        for b in pair.buckets[s.frontier[pi]..].iter().take_while(|b| b.hf0 * ratio < lt) {
            out.bad_debt_usd += (b.debt * s.market[d] - b.collateral * s.market[c]).max(0.0);
        }
    }
    out.bad_debt_usd += out.realized_bad_debt_usd;
    out
}

/// Liquidators stop working a pair for the step after this many unprofitable attempts in
/// a row: the venue is too thin or the positions too small for the gas, and the next
/// bucket, healthier than the last, is no more likely to pay.
pub const GIVE_UP_AFTER: usize = 8;

/// The longest a pair that does not pay is left alone, in steps: liquidators keep
/// watching, but a position that did not pay a minute ago rarely pays the next.
pub const MAX_BACKOFF_STEPS: usize = 64;

/// A bucket in play: its health factor at the initial prices (the heap's key; its health
/// factor now is this times the pair's price ratio) and its state.
#[derive(Debug, Clone, Copy)]
struct Live {
    key: f64,
    bucket: Bucket,
}

impl PartialEq for Live {
    fn eq(&self, other: &Self) -> bool {
        self.key.total_cmp(&other.key).is_eq()
    }
}

impl Eq for Live {}

impl PartialOrd for Live {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Live {
    /// Reversed, so that `BinaryHeap` pops the lowest health factor first.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.key.total_cmp(&self.key)
    }
}

/// Runs one path with the exact engine: one row per account, any mix of assets. Each
/// liquidation takes the account's largest collateral and largest debt, as a liquidator
/// after the biggest bonus would.
pub fn run_exact(w: &World, s: &mut Scratch, returns: &[f64], rec: &mut impl Recorder) -> PathOutcome {
    reset(w, s, true);
    let n = w.assets.len();
    let p0 = w.price0();
    let mut out = PathOutcome::default();
    let mut at_risk = vec![false; s.accounts.len()];
    let mut m = Markets { world: w, t_s: 0.0, capital_left: 0.0, gas_usd: 0.0 };
    let mut accounts = std::mem::take(&mut s.accounts);
    for step in 0..w.steps {
        m.t_s = advance(w, s, step, &returns[step * n..(step + 1) * n]);
        m.capital_left = w.liquidators.capital_per_step_usd;
        m.gas_usd = w.liquidators.gas_usd_at(step, &p0, &s.reference);
        let (mut liquidated, mut written_off) = (0.0, 0.0);
        for (i, acct) in accounts.iter_mut().enumerate() {
            let Some(hf_seen) = health(w, acct, &s.lagged) else { continue };
            if hf_seen >= 1.0 {
                continue;
            }
            if !at_risk[i] {
                at_risk[i] = true;
                out.debt_at_risk_usd += acct.debt.iter().map(|(a, x)| x * w.assets[*a].price0).sum::<f64>();
            }
            let Some(hf_now) = health(w, acct, &s.oracle).filter(|h| *h < 1.0) else { continue };
            let (Some(ci), Some(di)) = (largest(&acct.collateral, &s.oracle), largest(&acct.debt, &s.oracle)) else {
                continue;
            };
            let ((c, coll), (d, debt)) = (acct.collateral[ci], acct.debt[di]);
            if let Some(l) = m.liquidate(s, c, d, coll, debt, 1.0, hf_now) {
                acct.collateral[ci].1 -= l.collateral_seized;
                acct.debt[di].1 -= l.debt_repaid;
                liquidated += l.debt_repaid * s.market[d];
                out.liquidations += 1.0;
                if acct.collateral.iter().all(|(_, x)| *x <= DUST) {
                    for (a, x) in acct.debt.iter_mut() {
                        written_off += *x * s.market[*a];
                        *x = 0.0;
                    }
                }
            }
        }
        book_step(&mut out, m.t_s, liquidated, written_off);
        rec.step(m.t_s, &s.reference, &s.market, &s.oracle, liquidated, written_off);
    }
    for acct in &accounts {
        let debt: f64 = acct.debt.iter().map(|(a, x)| x * s.market[*a]).sum();
        let coll: f64 = acct.collateral.iter().map(|(a, x)| x * s.market[*a]).sum();
        out.bad_debt_usd += (debt - coll).max(0.0);
    }
    s.accounts = accounts;
    out.bad_debt_usd += out.realized_bad_debt_usd;
    out
}

fn book_step(out: &mut PathOutcome, t_s: f64, liquidated: f64, written_off: f64) {
    out.liquidated_debt_usd += liquidated;
    if written_off > 0.0 {
        out.realized_bad_debt_usd += written_off;
        out.first_bad_debt_s.get_or_insert(t_s);
    }
}

/// Aave's health factor at `prices`; `None` without debt.
fn health(w: &World, acct: &IndexedPosition, prices: &[f64]) -> Option<f64> {
    let debt: f64 = acct.debt.iter().map(|(a, x)| x * prices[*a]).sum();
    if debt <= 0.0 {
        return None;
    }
    let coll: f64 = acct.collateral.iter().map(|(a, x)| x * prices[*a] * w.assets[*a].lt).sum();
    Some(coll / debt)
}

fn largest(holdings: &[(usize, f64)], prices: &[f64]) -> Option<usize> {
    holdings
        .iter()
        .enumerate()
        .filter(|(_, (_, x))| *x > DUST)
        .max_by(|a, b| (a.1.1 * prices[a.1.0]).total_cmp(&(b.1.1 * prices[b.1.0])))
        .map(|(i, _)| i)
}
