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

mod in_play;
mod parked;
mod reference;
use in_play::InPlay;
use parked::ParkedBuckets;
pub use reference::ReferencePath;

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
    /// Liquidations priced against a venue, paid or not: the engine's unit of work (a
    /// bucket liquidated once is one attempt, whatever its positions).
    pub attempts: u64,
    /// Of them, those that paid: each a sale that moved its venue.
    pub sales: u64,
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
    /// Per asset, this step: `oracle` and `lagged` relative to the initial prices (a
    /// pair's price ratio is the quotient of two of them).
    oracle_rel: Vec<f64>,
    lagged_rel: Vec<f64>,
    history: Vec<f64>,
    feeds: Vec<PushFeed>,
    gaps: Vec<PoolGap>,
    /// Per asset, this step: √(reference price in the venue's quote asset), the scale a
    /// sale's price takes (see [`PoolGap::sell`]).
    root_reference: Vec<f64>,
    frontier: Vec<usize>,
    twaps: Vec<TwapWindow>,
    in_play: Vec<InPlay>,
    retry: Vec<Live>,
    /// Per pair, what each bucket in play holds, at its index in the pair's book: written
    /// when it enters play, so the heaps and lists move only a key and an index.
    holdings: Vec<Vec<Holding>>,
    /// Per pair, buckets too small for the gas when last tried (see [`ParkedBuckets`]).
    parked: Vec<ParkedBuckets>,
    at_risk: Vec<bool>,
    backoff: Vec<(usize, usize)>,
    accounts: Vec<IndexedPosition>,
    /// Per asset, fixed for the run: the factor a pool's gap shrinks by in one step, and
    /// the oracle's delay in steps (computed once per path, not once per step).
    decay: Vec<f64>,
    delay: Vec<usize>,
    /// The reference path of [`run_buckets`] and [`run_exact`], which fill it from returns.
    path: ReferencePath,
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
    /// Liquidations priced, and of them paid, so far on the path (see [`PathOutcome`]).
    attempts: u64,
    sales: u64,
}

impl<'w> Markets<'w> {
    fn new(world: &'w World) -> Self {
        Markets { world, t_s: 0.0, capital_left: 0.0, gas_usd: 0.0, attempts: 0, sales: 0 }
    }

    /// Moves prices, venues and oracles to `step` and gives the liquidators the step's
    /// capital and gas price.
    fn begin_step(&mut self, s: &mut Scratch, step: usize, path: &ReferencePath, p0: &[f64]) {
        let w = self.world;
        self.t_s = advance(w, s, step, path);
        self.capital_left = w.liquidators.capital_per_step_usd;
        self.gas_usd = w.liquidators.gas_usd_at(step, p0, &s.reference);
    }

    /// Tries to liquidate `(collateral, debt)` tokens of assets `(c, d)` held by
    /// `positions` positions at health factor `hf`: the largest repayment the close factor
    /// and the step's capital allow, else half, else a quarter, whichever first pays after
    /// slippage and gas. Sells the liquidator's collateral into the venue.
    #[allow(clippy::too_many_arguments)] // the state of one liquidation, passed flat to stay allocation-free
    #[inline(always)]
    fn liquidate(
        &mut self,
        s: &mut Scratch,
        c: usize,
        d: usize,
        collateral: f64,
        debt: f64,
        positions: f64,
        hf: f64,
    ) -> Attempt {
        self.attempts += 1;
        let w = self.world;
        let asset = &w.assets[c];
        let debt_price = s.market[d];
        let quote_price = asset.quote.map_or(1.0, |q| s.reference[q]);
        let root_reference = s.root_reference[c];
        let cover_cap = self.capital_left / debt_price;
        let gas_usd = self.gas_usd * positions;
        // What the seized collateral would fetch at the pool's price before the sale moves it.
        let spot_usd = s.gaps[c].price(s.reference[c]) * (1.0 - asset.pool.fee);
        let mut outcome = Attempt::Slippage;
        for fraction in [1.0, 0.5, 0.25] {
            let want = debt * asset.terms.max_repay_share(hf) * fraction;
            let l = asset.terms.liquidate(collateral, debt, hf, want.min(cover_cap), s.oracle[c], s.oracle[d]);
            if l.debt_repaid <= 0.0 {
                return Attempt::Pair;
            }
            // A sale into a constant-product pool fetches at most the pool's price less its
            // fee, so `margin` bounds the profit before gas from above. Its sign is the same
            // for every position of the pair (seizure and repayment scale together), so when
            // it is not positive nothing of the pair pays this step; when it is, but gas eats
            // it, only this position's size is at fault. A smaller fraction seizes no more,
            // so neither case improves by trying one. (The slack absorbs rounding at zero.)
            let repaid_usd = l.debt_repaid * debt_price;
            let margin = l.to_liquidator() * spot_usd - repaid_usd;
            if margin <= 1e-9 * repaid_usd {
                return Attempt::Pair;
            }
            if margin - gas_usd < -1e-9 * (repaid_usd + gas_usd) {
                // With the step's capital spent down, a full repayment might have paid.
                return if want > cover_cap { Attempt::Capital } else { Attempt::Gas };
            }
            let mut gap = s.gaps[c];
            let proceeds_quote = gap.sell(&asset.pool, root_reference, l.to_liquidator());
            let profit = proceeds_quote * quote_price - repaid_usd - gas_usd;
            if profit > 0.0 {
                s.gaps[c] = gap;
                self.capital_left -= repaid_usd;
                self.sales += 1;
                return Attempt::Done(l);
            }
            outcome = Attempt::Slippage;
        }
        outcome
    }
}

/// Why a liquidation attempt did or did not happen.
enum Attempt {
    /// It paid and was done.
    Done(Liquidation),
    /// Nothing of this pair pays now: the venue sits too far below the oracle for the bonus
    /// to cover it, or there is nothing to repay.
    Pair,
    /// This position is too small for the gas: it pays only at a lower gas price, or once
    /// the venue's price rises against the oracle's.
    Gas,
    /// The step's remaining capital repays too little to cover the gas: the position
    /// would pay with more capital.
    Capital,
    /// The sale's slippage eats the bonus at every fraction tried: a smaller position might pay.
    Slippage,
}

/// Advances prices, venues and oracles by one step of `path`. Fills `oracle` (the answers
/// on chain now) and `lagged` (the answers the liquidators act on, older by their latency).
fn advance(w: &World, s: &mut Scratch, step: usize, path: &ReferencePath) -> f64 {
    let (prices, roots) = (path.prices(step), path.roots(step));
    let n = w.assets.len();
    let t_s = (step + 1) as f64 * w.step_s;
    // A delay line of the latest round of each feed: row `step % rows` is this step.
    let rows = s.history.len() / n.max(1);
    let row = step % rows;
    for (a, asset) in w.assets.iter().enumerate() {
        // A TWAP reads the venue's price as it stood before this step's move.
        let before = s.market[a];
        s.reference[a] = prices[a];
        // The step's decay is computed once per path.
        s.gaps[a].recover(s.decay[a]);
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
        let delay = s.delay[a];
        // `back` < `rows` (the line is one longer than the longest delay): step − back,
        // modulo rows, without a division.
        let at = |back: usize| {
            if back > step {
                asset.price0
            } else {
                s.history[(if back <= row { row - back } else { row + rows - back }) * n + a]
            }
        };
        s.oracle[a] = at(delay);
        s.lagged[a] = at(delay + w.liquidators.latency_steps);
        s.oracle_rel[a] = s.oracle[a] / asset.price0;
        s.lagged_rel[a] = s.lagged[a] / asset.price0;
        s.root_reference[a] = roots[a];
    }
    t_s
}

fn reset(w: &World, s: &mut Scratch) {
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
    s.decay.clear();
    s.decay.extend(w.assets.iter().map(|a| a.pool.decay(w.step_s)));
    s.root_reference.clear();
    s.root_reference.resize(n, 0.0);
    s.oracle_rel.clear();
    s.oracle_rel.resize(n, 1.0);
    s.lagged_rel.clear();
    s.lagged_rel.resize(n, 1.0);
    s.delay.clear();
    s.delay.extend(w.assets.iter().map(|a| a.oracle.delay_steps(w.step_s)));
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
    s.in_play.resize_with(w.pairs.len(), InPlay::default);
    for in_play in &mut s.in_play {
        in_play.clear();
    }
    s.retry.clear();
    // Every entry is written when its bucket enters play, before it is read.
    s.holdings.resize_with(w.pairs.len(), Vec::new);
    for (held, pair) in s.holdings.iter_mut().zip(&w.pairs) {
        held.resize(pair.buckets.len(), Holding::default());
    }
    s.parked.resize_with(w.pairs.len(), ParkedBuckets::default);
    for parked in &mut s.parked {
        parked.clear();
    }
    s.backoff.clear();
    s.backoff.resize(w.pairs.len(), (0, 1));
    s.accounts.clone_from(&w.accounts);
}

/// Resets the scratch for a new path and takes out its account rows (copies of the
/// world's accounts) with their flags of having been at risk, all false.
fn start(w: &World, s: &mut Scratch) -> (Vec<IndexedPosition>, Vec<bool>) {
    reset(w, s);
    let accounts = std::mem::take(&mut s.accounts);
    let mut at_risk = std::mem::take(&mut s.at_risk);
    at_risk.clear();
    at_risk.resize(accounts.len(), false);
    (accounts, at_risk)
}

/// At the horizon: the accounts' shortfall at market prices and the debt written off
/// join the bad debt, the path's work is booked, and the account rows go back to the
/// scratch.
fn finish(
    s: &mut Scratch,
    m: &Markets<'_>,
    accounts: Vec<IndexedPosition>,
    at_risk: Vec<bool>,
    mut out: PathOutcome,
) -> PathOutcome {
    out.bad_debt_usd += underwater(s, &accounts);
    out.bad_debt_usd += out.realized_bad_debt_usd;
    (out.attempts, out.sales) = (m.attempts, m.sales);
    s.accounts = accounts;
    s.at_risk = at_risk;
    out
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
    on_own_path(w, s, returns, |s, path| run_buckets_on(w, s, path, rec))
}

/// Fills the scratch's own reference path from `returns` and runs `engine` along it.
fn on_own_path(
    w: &World,
    s: &mut Scratch,
    returns: &[f64],
    engine: impl FnOnce(&mut Scratch, &ReferencePath) -> PathOutcome,
) -> PathOutcome {
    let mut path = std::mem::take(&mut s.path);
    path.fill(w, returns);
    let out = engine(s, &path);
    s.path = path;
    out
}

/// [`run_buckets`] on a reference path already computed, as for every point of a sweep;
/// `path` must [fit](ReferencePath::fits) the world.
pub fn run_buckets_on(w: &World, s: &mut Scratch, path: &ReferencePath, rec: &mut impl Recorder) -> PathOutcome {
    debug_assert!(path.fits(w), "a reference path filled for another world");
    let (mut accounts, mut at_risk) = start(w, s);
    let p0 = w.price0();
    let mut out = PathOutcome::default();
    let mut m = Markets::new(w);
    for step in 0..w.steps {
        m.begin_step(s, step, path, &p0);
        let mut flows = Flows::default();
        for (pi, pair) in w.pairs.iter().enumerate() {
            let (c, d) = (pair.collateral, pair.debt);
            let ratio_seen = s.lagged_rel[c] / s.lagged_rel[d];
            let ratio_now = s.oracle_rel[c] / s.oracle_rel[d];
            // Buckets whose health factor fell below 1 join the heap, or, when the venue as
            // it stands cannot pay their gas, are parked at once: popped, they would be
            // parked for it, since the step's sales only lower the venue's price.
            let terms = &w.assets[c].terms;
            let mut bound = None;
            while let Some(b) = pair.buckets.get(s.frontier[pi]).filter(|b| b.hf0 * ratio_seen < 1.0) {
                out.debt_at_risk_usd += b.debt * p0[d];
                let held = Holding::from(b);
                let live = Live { key: b.hf0, slot: s.frontier[pi] as u32 };
                s.holdings[pi][live.slot as usize] = held;
                let hf_now = b.hf0 * ratio_now;
                let bound = bound.get_or_insert_with(|| GasBound::now(&m, s, c, d));
                if hf_now >= 1.0 || bound.pays(bound.repay_pp(&held, terms.max_repay_share(hf_now))) {
                    s.in_play[pi].enter(live);
                } else {
                    s.parked[pi].park_for_gas(live, &held, hf_now > terms.full_below);
                }
                s.frontier[pi] += 1;
            }
            let (next_try, wait) = s.backoff[pi];
            if step < next_try {
                s.in_play[pi].settle();
                continue;
            }
            let ratios = Ratios { seen: ratio_seen, now: ratio_now };
            let mut tally = Tally::default();
            // Parked buckets sit below the full-liquidation line: worse than most in play,
            // so they go first, as liquidators after the largest bonus would take them.
            work_parked(&mut m, s, pi, ratios, &mut tally, &mut flows);
            if !tally.pair_stuck {
                work_heap(&mut m, s, pi, ratios, &mut tally, &mut flows);
            }
            // A pair that gave up waits 1, 2, 4 steps before the next try; any success resets
            // the wait.
            s.backoff[pi] = if tally.succeeded || tally.failures < GIVE_UP_AFTER {
                (0, 1)
            } else {
                (step + wait, (wait * 2).min(MAX_BACKOFF_STEPS))
            };
            s.in_play[pi].settle();
            let retry = std::mem::take(&mut s.retry);
            s.in_play[pi].extend(retry.iter().copied());
            s.retry = retry;
            s.retry.clear();
        }
        out.liquidations += flows.liquidations;
        let (mut liquidated, mut written_off) = (flows.liquidated_usd, flows.written_off_usd);
        liquidate_accounts(&mut m, s, &mut accounts, &mut at_risk, &mut out, &mut liquidated, &mut written_off);
        book_step(&mut out, m.t_s, liquidated, written_off);
        rec.step(m.t_s, &s.reference, &s.market, &s.oracle, liquidated, written_off);
    }
    // At the horizon, whatever is underwater at market prices is bad debt too: buckets
    // in play, and untouched ones the market (not the oracle) has sunk.
    for (pi, pair) in w.pairs.iter().enumerate() {
        let (c, d) = (pair.collateral, pair.debt);
        for l in s.in_play[pi].iter().chain(s.parked[pi].iter()) {
            let b = &s.holdings[pi][l.slot as usize];
            out.bad_debt_usd += (b.debt * s.market[d] - b.collateral * s.market[c]).max(0.0);
        }
        let ratio = (s.market[c] / p0[c]) / (s.market[d] / p0[d]);
        let lt = w.assets[c].lt;
        for b in pair.buckets[s.frontier[pi]..].iter().take_while(|b| b.hf0 * ratio < lt) {
            out.bad_debt_usd += (b.debt * s.market[d] - b.collateral * s.market[c]).max(0.0);
        }
    }
    finish(s, &m, accounts, at_risk, out)
}

/// A bucket's health factor at the initial prices: its key in the heap (its health
/// factor now is this times the pair's price ratio).
fn key(w: &World, pi: usize, b: &Holding) -> f64 {
    let pair = &w.pairs[pi];
    let (c, d) = (pair.collateral, pair.debt);
    b.collateral * w.assets[c].price0 * w.assets[c].lt / (b.debt * w.assets[d].price0)
}

/// A pair's price ratio (collateral over debt, relative to the start) at the oracle the
/// liquidators read (`seen`, older by their latency) and at the oracle on chain (`now`).
#[derive(Clone, Copy)]
struct Ratios {
    seen: f64,
    now: f64,
}

/// How one pair's attempts went this step.
#[derive(Default)]
struct Tally {
    /// Unpaid attempts in a row.
    failures: usize,
    /// Whether any liquidation paid.
    succeeded: bool,
    /// Whether the venue sits too far below the oracle for anything of the pair to pay.
    pair_stuck: bool,
}

/// What one step liquidated and wrote off, over all pairs.
#[derive(Default)]
struct Flows {
    liquidated_usd: f64,
    written_off_usd: f64,
    liquidations: f64,
}

impl Flows {
    /// Books a liquidation of bucket `b` (already reduced by it) of pair `pi`; returns the
    /// bucket if it still has debt and collateral.
    fn book(&mut self, w: &World, s: &Scratch, pi: usize, b: Holding, l: &Liquidation) -> Option<Holding> {
        let d = w.pairs[pi].debt;
        self.liquidated_usd += l.debt_repaid * s.market[d];
        self.liquidations += b.positions;
        if b.collateral <= DUST * b.positions {
            self.written_off_usd += b.debt.max(0.0) * s.market[d];
            None
        } else {
            (b.debt > 0.0).then_some(b)
        }
    }
}

/// Liquidates the pair's buckets in play, worst health factor first, until the capital
/// is spent, nothing of the pair pays, or [`GIVE_UP_AFTER`] attempts in a row fail.
/// Buckets too small for the gas below the full-liquidation line are parked.
fn work_heap(m: &mut Markets<'_>, s: &mut Scratch, pi: usize, ratios: Ratios, tally: &mut Tally, flows: &mut Flows) {
    let w = m.world;
    let (c, d) = (w.pairs[pi].collateral, w.pairs[pi].debt);
    while m.capital_left > 0.0 && tally.failures < GIVE_UP_AFTER {
        let Some(top) = s.in_play[pi].peek().filter(|l| l.key * ratios.seen < 1.0) else { break };
        s.in_play[pi].pop();
        let hf_now = top.key * ratios.now;
        if hf_now >= 1.0 {
            s.retry.push(top);
            continue;
        }
        let mut b = s.holdings[pi][top.slot as usize];
        match m.liquidate(s, c, d, b.collateral, b.debt, b.positions, hf_now) {
            Attempt::Done(l) => {
                tally.failures = 0;
                tally.succeeded = true;
                b.collateral -= l.collateral_seized;
                b.debt -= l.debt_repaid;
                s.holdings[pi][top.slot as usize] = b;
                if let Some(b) = flows.book(w, s, pi, b, &l) {
                    s.retry.push(Live { key: key(w, pi, &b), slot: top.slot });
                }
            }
            Attempt::Pair => {
                // Nothing of this pair pays this step: no need to try the rest.
                s.retry.push(top);
                tally.pair_stuck = true;
                break;
            }
            Attempt::Gas => {
                // Parked, not retried every step.
                s.parked[pi].park_for_gas(top, &b, hf_now > w.assets[c].terms.full_below);
            }
            Attempt::Slippage | Attempt::Capital => {
                tally.failures += 1;
                s.retry.push(top);
            }
        }
    }
}

/// Tries the pair's parked buckets (too small for the gas when last tried) whose margin
/// could now cover the gas, largest debt per position first.
///
/// # Formula
/// A liquidation repaying `r` debt tokens hands the liquidator `r · (1 + b − f·b) · Pd/Pc`
/// collateral tokens (bonus b, protocol fee f on the bonus), which sell for at most the
/// venue price less its fee, so its margin before gas is `r · u` with
/// `u = (1 + b − f·b) · (1 − fee) · Pd_oracle · (P_venue / Pc_oracle) − Pd_market`, and
/// `r ≤ min(debt, collateral · Pc/Pd / (1 + b))` per position. Where that bound stays
/// below the gas per position the bucket cannot pay, and, the list being sorted by debt
/// per position, neither can any bucket after the first whose debt alone falls short.
/// The bound errs only toward trying, so parking never hides a liquidation that pays.
fn work_parked(m: &mut Markets<'_>, s: &mut Scratch, pi: usize, ratios: Ratios, tally: &mut Tally, flows: &mut Flows) {
    let w = m.world;
    let (c, d) = (w.pairs[pi].collateral, w.pairs[pi].debt);
    let t = &w.assets[c].terms;
    if s.parked[pi].is_empty() {
        return;
    }
    // The venue's price now, and after each sale: the smallest repayment per position
    // that could pay the gas.
    let mut bound = GasBound::now(m, s, c, d);
    // Most steps nothing parked can pay yet: leave at once.
    let tries = m.capital_left > 0.0 && tally.failures < GIVE_UP_AFTER && bound.unit > 0.0;
    if s.parked[pi].idle(
        tries.then_some(|repay_pp: f64| bound.exceeds_least(repay_pp)),
        bound.coll_to_debt,
        |key| key * ratios.now <= t.full_below,
        |repay_pp| bound.pays(t.close_factor * repay_pp),
    ) {
        return;
    }
    let mut parked = std::mem::take(&mut s.parked[pi]);
    // Unpaid attempts in a row: parked buckets are tried largest first, and when the largest
    // keep failing (the venue too thin for them this step), the smaller ones are left too.
    let mut unpaid = 0;
    while m.capital_left > 0.0 && tally.failures < GIVE_UP_AFTER && unpaid < GIVE_UP_AFTER {
        if bound.unit <= 0.0 {
            break;
        }
        let Some(top) = parked.next_payable(bound.least_repay(), bound.coll_to_debt) else { break };
        let live = top.live;
        let hf_now = live.key * ratios.now;
        if live.key * ratios.seen >= 1.0 || hf_now > t.full_below {
            // Prices recovered: back in play with the rest.
            s.retry.push(live);
            continue;
        }
        let mut b = s.holdings[pi][live.slot as usize];
        match m.liquidate(s, c, d, b.collateral, b.debt, b.positions, hf_now) {
            Attempt::Done(l) => {
                tally.failures = 0;
                unpaid = 0;
                tally.succeeded = true;
                b.collateral -= l.collateral_seized;
                b.debt -= l.debt_repaid;
                s.holdings[pi][live.slot as usize] = b;
                if let Some(b) = flows.book(w, s, pi, b, &l) {
                    s.retry.push(Live { key: key(w, pi, &b), slot: live.slot });
                }
                bound = GasBound::now(m, s, c, d);
            }
            Attempt::Pair => {
                parked.hold(top);
                tally.pair_stuck = true;
                break;
            }
            Attempt::Gas => {
                unpaid += 1;
                parked.hold(top);
            }
            Attempt::Slippage | Attempt::Capital => {
                unpaid += 1;
                tally.failures += 1;
                parked.hold(top);
            }
        }
    }
    parked.release_held();
    // Buckets parked above the full-liquidation line that could now pay, at the close
    // factor or, once sunk below the line, in full, return to the heap, tried after this.
    // Released after the parked buckets' sales, not before: the sales lower the venue's
    // price, and a bucket released before them would often fail on gas again.
    let in_play = &mut s.in_play[pi];
    parked.release_above(
        ratios.now,
        t.full_below,
        |repay_pp| bound.pays(t.close_factor * repay_pp),
        |repay_pp| bound.pays(repay_pp),
        bound.coll_to_debt,
        |live| in_play.push(live),
    );
    s.parked[pi] = parked;
}

/// An upper bound on what liquidating a position of a pair could earn before gas, with
/// the venue where it stands now (see [`work_parked`]'s formula), against the gas.
struct GasBound {
    /// Margin before gas per debt token repaid (`u`).
    unit: f64,
    /// Debt tokens per collateral token a liquidation can repay (oracle prices, bonus).
    coll_to_debt: f64,
    /// The gas per position, less the rounding slack of [`Markets::liquidate`]'s gas test
    /// made generous.
    gas_floor: f64,
}

impl GasBound {
    #[inline(always)]
    fn now(m: &Markets<'_>, s: &Scratch, c: usize, d: usize) -> Self {
        let asset = &m.world.assets[c];
        let t = &asset.terms;
        let lb = 1.0 + t.bonus;
        let venue_over_oracle = s.gaps[c].price(s.reference[c]) / s.oracle[c];
        GasBound {
            unit: (lb - t.protocol_fee * t.bonus) * (1.0 - asset.pool.fee) * s.oracle[d] * venue_over_oracle
                - s.market[d],
            coll_to_debt: s.oracle[c] / (s.oracle[d] * lb),
            gas_floor: m.gas_usd * (1.0 - 1e-6),
        }
    }

    /// Whether repaying `repay_pp` debt tokens per position could pay the gas.
    fn pays(&self, repay_pp: f64) -> bool {
        repay_pp * self.unit > self.gas_floor
    }

    /// The most a bucket may repay per position at `share` of its debt: its debt, or
    /// what its collateral covers with the bonus.
    fn repay_pp(&self, b: &Holding, share: f64) -> f64 {
        (share * b.debt).min(b.collateral * self.coll_to_debt) / b.positions
    }

    /// The smallest repayment per position that could pay the gas (`unit` > 0).
    fn least_repay(&self) -> f64 {
        self.gas_floor / self.unit
    }

    /// Whether `repay_pp > least_repay()` (`unit` > 0), the division taken only when a
    /// product does not settle it: short of the floor by far more than rounding, it cannot
    /// pass. Most parked buckets fall short most steps.
    fn exceeds_least(&self, repay_pp: f64) -> bool {
        repay_pp * self.unit >= self.gas_floor * (1.0 - 1e-9) && repay_pp > self.least_repay()
    }
}

/// Liquidators stop working a pair for the step after this many unprofitable attempts in
/// a row: the venue is too thin or the positions too small for the gas, and the next
/// bucket, healthier than the last, is no more likely to pay.
pub const GIVE_UP_AFTER: usize = 8;

/// The longest a pair whose sales do not pay is left alone, in steps: short, because the
/// venue recovers with its half-life and the next minutes may pay (a longer wait biased
/// bad debt downward against the exact engine).
pub const MAX_BACKOFF_STEPS: usize = 4;

/// A bucket in play: its health factor at the initial prices (the heap's key; its health
/// factor now is this times the pair's price ratio) and its index in the pair's book,
/// where [`Scratch`] keeps its [`Holding`]. 16 bytes: the heaps move these on every push
/// and pop, and a smaller entry is a shallower walk through memory.
#[derive(Debug, Clone, Copy)]
pub(super) struct Live {
    key: f64,
    slot: u32,
}

/// What a bucket in play holds: its collateral and debt in tokens and its positions
/// (its initial health factor, fixed in the book, is no longer its key once liquidated).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Holding {
    collateral: f64,
    debt: f64,
    positions: f64,
}

impl From<&Bucket> for Holding {
    fn from(b: &Bucket) -> Self {
        Holding { collateral: b.collateral, debt: b.debt, positions: b.positions }
    }
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
    on_own_path(w, s, returns, |s, path| run_exact_on(w, s, path, rec))
}

/// [`run_exact`] on a reference path already computed; `path` must
/// [fit](ReferencePath::fits) the world.
pub fn run_exact_on(w: &World, s: &mut Scratch, path: &ReferencePath, rec: &mut impl Recorder) -> PathOutcome {
    debug_assert!(path.fits(w), "a reference path filled for another world");
    let (mut accounts, mut at_risk) = start(w, s);
    let p0 = w.price0();
    let mut out = PathOutcome::default();
    let mut m = Markets::new(w);
    for step in 0..w.steps {
        m.begin_step(s, step, path, &p0);
        let (mut liquidated, mut written_off) = (0.0, 0.0);
        liquidate_accounts(&mut m, s, &mut accounts, &mut at_risk, &mut out, &mut liquidated, &mut written_off);
        book_step(&mut out, m.t_s, liquidated, written_off);
        rec.step(m.t_s, &s.reference, &s.market, &s.oracle, liquidated, written_off);
    }
    finish(s, &m, accounts, at_risk, out)
}

/// One step of the exact engine over `accounts`: each account liquidatable at the lagged
/// oracle (and still at the current one) loses its largest collateral against its largest
/// debt, as a liquidator after the biggest bonus would take them.
#[allow(clippy::too_many_arguments)] // one step's state, passed flat to stay allocation-free
fn liquidate_accounts(
    m: &mut Markets<'_>,
    s: &mut Scratch,
    accounts: &mut [IndexedPosition],
    at_risk: &mut [bool],
    out: &mut PathOutcome,
    liquidated: &mut f64,
    written_off: &mut f64,
) {
    let w = m.world;
    for (i, acct) in accounts.iter_mut().enumerate() {
        if m.capital_left <= 0.0 {
            return;
        }
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
        if let Attempt::Done(l) = m.liquidate(s, c, d, coll, debt, 1.0, hf_now) {
            acct.collateral[ci].1 -= l.collateral_seized;
            acct.debt[di].1 -= l.debt_repaid;
            *liquidated += l.debt_repaid * s.market[d];
            out.liquidations += 1.0;
            if acct.collateral.iter().all(|(_, x)| *x <= DUST) {
                for (a, x) in acct.debt.iter_mut() {
                    *written_off += *x * s.market[*a];
                    *x = 0.0;
                }
            }
        }
    }
}

/// The shortfall of accounts underwater at market prices.
fn underwater(s: &Scratch, accounts: &[IndexedPosition]) -> f64 {
    accounts
        .iter()
        .map(|acct| {
            let debt: f64 = acct.debt.iter().map(|(a, x)| x * s.market[*a]).sum();
            let coll: f64 = acct.collateral.iter().map(|(a, x)| x * s.market[*a]).sum();
            (debt - coll).max(0.0)
        })
        .sum()
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
