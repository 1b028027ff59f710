//! The exact check: the most profitable valid attack, or a proof that none exists, and
//! the exact slack γ_exact, by branch and bound; and the plain 2^|V| enumeration that
//! serves as its test oracle.
//!
//! # Why searching validator sets with a profit bound is exact
//!
//! Write c(A) for the least stake of a validator set B that attacks every service of A
//! (σ_{B∩N(s)} ≥ α_s·σ_{N(s)} for all s ∈ A), B*(A) for such a cheapest set, and
//! A(B) = {s : σ_{B∩N(s)} ≥ α_s·σ_{N(s)}} for the services B attacks. Then
//!
//! min_{B : π_{A(B)}>0} σ_B/π_{A(B)} = min_{A : π_A>0} c(A)/π_A.
//!
//! (≤) For any A with π_A > 0, B*(A) attacks A, so A(B*(A)) ⊇ A and, profits being
//! non-negative, π_{A(B*(A))} ≥ π_A > 0; hence σ_{B*(A)}/π_{A(B*(A))} ≤ c(A)/π_A.
//! (≥) For any B with π_{A(B)} > 0, B attacks A(B), so c(A(B)) ≤ σ_B and
//! c(A(B))/π_{A(B)} ≤ σ_B/π_{A(B)}. The same two steps give
//! max_{(A,B) attacking} (π_A − σ_B) = max_B (π_{A(B)} − σ_B) = max_A (π_A − c(A)).
//! So γ_exact = min_A c(A)/π_A − 1 may be computed over B, where A(B) comes for free.
//!
//! # The search
//!
//! Both questions are "is there a B with p·π_{A(B)} − q·σ_B above a target?": the most
//! profitable attack with p = q, and the smallest ratio with p/q = the best ratio found so
//! far (Dinkelbach's parametric form: at p/q = σ*/π* the incumbent scores exactly 0, and a
//! subtree that cannot score above 0 holds no smaller ratio; since a subtree that cannot
//! beat ratio r cannot beat any smaller one, r may shrink during the search). The search
//! branches on validators (include or exclude), carrying for each service the stake already
//! included (`got`) and still undecided (`rem`). A service is covered once got ≥ need,
//! dead once got + rem < need, and open otherwise; only undecided validators in some open
//! service are branched on (including any other one only costs).
//!
//! A node is pruned with a Lagrangian bound, the EigenLayer sum made local: for any
//! multipliers y_s ≥ 0 on the open services, with r_s = need_s − got_s their residual
//! need and U the undecided validators, every completion B = B_in ∪ X (X ⊆ U) satisfies
//!
//! p·π_{A(B)} − q·σ_B ≤ p·π_covered − q·σ_{B_in} + Σ_{s open} (p·π_s − y_s·r_s)⁺
//!                        + Σ_{v∈U} σ_v·(Σ_{s open ∋ v} y_s − q)⁺,
//!
//! since an open service s that X covers has σ_{X∩N(s)} ≥ r_s, so
//! p·π_s ≤ (p·π_s − y_s·r_s) + y_s·σ_{X∩N(s)}, and summing the last terms over services
//! regroups them by validator. With y_s = p·π_s/r_s the service terms vanish and the bound
//! at the root is Σ_v σ_v·(q·T_v − q)⁺: zero exactly when the EigenLayer condition holds.
//! The best y is the dual of the node's LP relaxation; the bound is tried with the parent's
//! multipliers, then the two closed forms y_s = ⌊p·π_s/r_s⌋ and min(⌊p·π_s/r_s⌋, q), then
//! the multipliers a small floating-point simplex suggests ([`super::lp`]), whose point,
//! rounded up, is also a candidate attack. The search branches on the undecided validator
//! with the largest stake, first on the side its LP value leans to (largest-stake-first
//! beat most-fractional-first by two to three orders of magnitude in nodes on the
//! benchmark's graphs). The bound itself is always evaluated in integers (`i128`, checked; on overflow
//! a node is simply not pruned): any y ≥ 0 gives a valid bound, so floats, floors and caps
//! cost pruning power, never exactness, and every incumbent is an actual validator set
//! evaluated exactly.
//!
//! The worst case is exponential (the problem is (co)NP-hard, REFERENCES.md §3). Heavy-
//! tailed stakes, as restaking delegation is, prune well (the benchmark's 60 × 20 graphs:
//! milliseconds); stakes within one decade take up to seconds; stakes within a factor of
//! two, or equal, leave the LP bound loose over very many near-optimal covers and exhaust
//! the default budget. So the search has a node budget and reports
//! [`RestakingError::BudgetExceeded`] rather than an answer it has not proven.

use alloy_primitives::U256;

use super::graph::{Margin, RestakingError, RestakingGraph};
use super::lp;

/// A validator set B and the services A(B) it corrupts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attack {
    /// A(B): every service whose threshold B reaches, by index.
    pub services: Vec<usize>,
    /// B, by index.
    pub validators: Vec<usize>,
    /// π_{A(B)}, in the graph's integer units.
    pub profit: u128,
    /// σ_B, in the graph's integer units.
    pub stake: u128,
}

impl Attack {
    /// Whether the attack is valid (π_A > σ_B: it pays).
    pub fn is_valid(&self) -> bool {
        self.profit > self.stake
    }

    fn from_validators(g: &RestakingGraph, mut validators: Vec<usize>) -> Self {
        validators.sort_unstable();
        let services = g.attacked_by(&validators);
        Attack {
            profit: services.iter().map(|&s| g.profit[s]).sum(),
            stake: validators.iter().map(|&v| g.stake[v]).sum(),
            services,
            validators,
        }
    }
}

/// The result of an exact check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExactCheck {
    /// No valid attack exists (DR24: every attacking coalition has π_A ≤ σ_B).
    pub secure: bool,
    /// The valid attack with the largest π_A − σ_B; `None` when secure.
    pub most_profitable: Option<Attack>,
    /// An attack with the smallest σ_B/π_A (it sets γ_exact); `None` when no service has
    /// a profit.
    pub binding: Option<Attack>,
    /// 1 + γ_exact = σ_B/π_A of [`ExactCheck::binding`].
    pub gamma_exact: Option<Margin>,
    /// Nodes the search visited (sets enumerated, for the brute force).
    pub nodes: u64,
}

/// Bounds on the exact search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExactLimits {
    /// Validators with stake the search accepts.
    pub max_validators: usize,
    /// Services with a profit the search accepts.
    pub max_services: usize,
    /// Nodes before it gives up.
    pub max_nodes: u64,
}

impl Default for ExactLimits {
    fn default() -> Self {
        Self { max_validators: 512, max_services: 256, max_nodes: 500_000 }
    }
}

/// 2^20: the fixed-point unit of the bound's multipliers (y_s is floored to multiples of
/// 1/Q of a USD per USD, a relative loss of pruning power of about 10⁻⁶).
const Q: i128 = 1 << 20;

/// The exact check by branch and bound (see the module documentation).
///
/// # Errors
/// [`RestakingError::TooLarge`] beyond `limits`, [`RestakingError::BudgetExceeded`] when
/// the node budget runs out before a proof.
pub fn exact_check(g: &RestakingGraph, limits: &ExactLimits) -> Result<ExactCheck, RestakingError> {
    let p = Problem::new(g);
    if p.stake.len() > limits.max_validators {
        return Err(RestakingError::TooLarge {
            check: "the exact check",
            what: "validators with stake",
            found: p.stake.len(),
            limit: limits.max_validators,
        });
    }
    if p.profit.len() > limits.max_services {
        return Err(RestakingError::TooLarge {
            check: "the exact check",
            what: "services with a profit",
            found: p.profit.len(),
            limit: limits.max_services,
        });
    }
    let total_profit = p.free_profit + p.profit.iter().sum::<u128>();
    if total_profit == 0 {
        return Ok(ExactCheck { secure: true, most_profitable: None, binding: None, gamma_exact: None, nodes: 0 });
    }
    let mut search = Search::new(&p, limits.max_nodes);

    // Smallest ratio. B = ∅ when a service is unguarded (ratio 0); otherwise start from
    // B = every validator with stake, which attacks every service.
    let (binding_mask, ratio) = if p.free_profit > 0 {
        (vec![false; p.stake.len()], (0, p.free_profit))
    } else {
        search.mode = Mode::Ratio;
        search.best_mask = vec![true; p.stake.len()];
        search.best_ratio = (p.stake.iter().sum(), total_profit);
        search.run()?;
        (search.best_mask.clone(), search.best_ratio)
    };
    let binding = Attack::from_validators(g, p.original(&binding_mask));
    let secure = ratio.0 >= ratio.1;

    // Most profitable, only when some attack pays; the binding one is the incumbent.
    let most_profitable = if secure {
        None
    } else {
        search.mode = Mode::Gain;
        search.best_mask = binding_mask;
        search.best_gain = i128::try_from(ratio.1 - ratio.0).unwrap_or(i128::MAX);
        search.run()?;
        Some(Attack::from_validators(g, p.original(&search.best_mask)))
    };
    Ok(ExactCheck {
        secure,
        most_profitable,
        gamma_exact: Some(Margin::from_u128(binding.stake, binding.profit)),
        binding: Some(binding),
        nodes: search.nodes,
    })
}

/// The services and validators that matter to the search, validators sorted by stake.
struct Problem {
    /// Original index of each local validator.
    vid: Vec<usize>,
    stake: Vec<u128>,
    /// For each local validator, the local services it is in.
    v_services: Vec<Vec<u32>>,
    /// Profits and needs of the local services (π_s > 0, need_s > 0).
    profit: Vec<u128>,
    need: Vec<u128>,
    /// Σ π_s over services with a profit and no stake: every B attacks them.
    free_profit: u128,
}

impl Problem {
    fn new(g: &RestakingGraph) -> Self {
        let mut order: Vec<usize> = (0..g.validator_count()).filter(|&v| g.stake[v] > 0).collect();
        order.sort_by(|&a, &b| g.stake[b].cmp(&g.stake[a]).then(a.cmp(&b)));
        let mut local = vec![u32::MAX; g.validator_count()];
        for (i, &v) in order.iter().enumerate() {
            local[v] = i as u32;
        }
        let mut v_services = vec![Vec::new(); order.len()];
        let (mut profit, mut need, mut free_profit) = (Vec::new(), Vec::new(), 0u128);
        for s in 0..g.service_count() {
            if g.profit[s] == 0 {
                continue;
            }
            if g.need[s] == 0 {
                free_profit += g.profit[s];
                continue;
            }
            let id = profit.len() as u32;
            profit.push(g.profit[s]);
            need.push(g.need[s]);
            for &v in &g.members[s] {
                let l = local[v as usize];
                if l != u32::MAX {
                    v_services[l as usize].push(id);
                }
            }
        }
        Self { stake: order.iter().map(|&v| g.stake[v]).collect(), vid: order, v_services, profit, need, free_profit }
    }

    fn original(&self, mask: &[bool]) -> Vec<usize> {
        mask.iter().enumerate().filter(|(_, in_b)| **in_b).map(|(i, _)| self.vid[i]).collect()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Minimize σ_B/π_{A(B)}.
    Ratio,
    /// Maximize π_{A(B)} − σ_B.
    Gain,
}

/// A validator not yet decided, in B, or out of B.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Undecided,
    In,
    Out,
}

/// Iterations the simplex may take at one node before its suggestion is dropped.
const LP_ITERATIONS: usize = 500;

/// The largest multiplier the bound uses (any y ≥ 0 is valid; this keeps products in
/// `i128`).
const Y_MAX: f64 = (1u128 << 100) as f64;

struct Search<'p> {
    p: &'p Problem,
    mode: Mode,
    got: Vec<u128>,
    rem: Vec<u128>,
    state: Vec<State>,
    stake_in: u128,
    /// π of the local services covered by the validators in B.
    profit_in: u128,
    /// Incumbent of either mode: its set, and (σ, π) for the ratio or π − σ for the gain.
    best_mask: Vec<bool>,
    best_ratio: (u128, u128),
    best_gain: i128,
    nodes: u64,
    max_nodes: u64,
}

/// The objective p·π − q·σ and the value a subtree must beat.
#[derive(Clone, Copy)]
struct Target {
    p: i128,
    q: i128,
    threshold: i128,
}

impl<'p> Search<'p> {
    fn new(p: &'p Problem, max_nodes: u64) -> Self {
        let mut rem = vec![0u128; p.profit.len()];
        for (v, services) in p.v_services.iter().enumerate() {
            for &s in services {
                rem[s as usize] += p.stake[v];
            }
        }
        Self {
            p,
            mode: Mode::Ratio,
            got: vec![0; p.profit.len()],
            rem,
            state: vec![State::Undecided; p.stake.len()],
            stake_in: 0,
            profit_in: 0,
            best_mask: Vec::new(),
            best_ratio: (0, 0),
            best_gain: 0,
            nodes: 0,
            max_nodes,
        }
    }

    fn run(&mut self) -> Result<(), RestakingError> {
        let root = self.target().map(|t| self.heuristic_y(t, false)).unwrap_or_default();
        self.dfs(&root)
    }

    fn is_open(&self, s: usize) -> bool {
        self.got[s] < self.p.need[s] && self.got[s] + self.rem[s] >= self.p.need[s]
    }

    /// Records B_in ∪ `extra` if it beats the incumbent.
    fn consider(&mut self, extra: &[usize]) {
        let (mut stake, mut profit) = (self.stake_in, self.p.free_profit + self.profit_in);
        if !extra.is_empty() {
            let mut got = self.got.clone();
            for &v in extra {
                stake += self.p.stake[v];
                for &s in &self.p.v_services[v] {
                    let s = s as usize;
                    let was = got[s] >= self.p.need[s];
                    got[s] += self.p.stake[v];
                    if !was && got[s] >= self.p.need[s] {
                        profit += self.p.profit[s];
                    }
                }
            }
        }
        let better = match self.mode {
            // σ/π < σ*/π*  ⟺  σ·π* < σ*·π (256-bit products).
            Mode::Ratio => {
                let (bs, bp) = self.best_ratio;
                profit > 0 && U256::from(stake) * U256::from(bp) < U256::from(bs) * U256::from(profit)
            }
            // Totals are below 2^100 (checked when the graph was built).
            Mode::Gain => profit as i128 - stake as i128 > self.best_gain,
        };
        if better {
            match self.mode {
                Mode::Ratio => self.best_ratio = (stake, profit),
                Mode::Gain => self.best_gain = profit as i128 - stake as i128,
            }
            self.best_mask = self.state.iter().map(|s| *s == State::In).collect();
            for &v in extra {
                self.best_mask[v] = true;
            }
        }
    }

    /// The objective and threshold: a subtree whose bound on p·π − q·σ is at most the
    /// threshold holds nothing better than the incumbent. `None` on overflow.
    fn target(&self) -> Option<Target> {
        match self.mode {
            // p/q = σ*/π* exactly, so the incumbent itself scores 0: a subtree bounded by 0
            // holds no smaller ratio. Both are scaled up by 2^k (k ≤ 20) where that fits,
            // so that the floored multipliers keep their precision.
            Mode::Ratio => {
                let (bs, bp) = self.best_ratio;
                let g = gcd(bs, bp).max(1);
                let (p, q) = (bs / g, bp / g);
                let max_profit = self.p.profit.iter().copied().max().unwrap_or(0).max(self.p.free_profit);
                let total_stake: u128 = self.p.stake.iter().sum();
                let bits = |x: u128| 128 - x.leading_zeros();
                let used = (bits(p) + bits(max_profit)).max(bits(q) + bits(total_stake));
                let k = 110u32.saturating_sub(used).min(20);
                Some(Target {
                    p: i128::try_from(p.checked_shl(k)?).ok()?,
                    q: i128::try_from(q.checked_shl(k)?).ok()?,
                    threshold: 0,
                })
            }
            Mode::Gain => Some(Target { p: Q, q: Q, threshold: self.best_gain.checked_mul(Q)? }),
        }
    }

    /// Multipliers y_s = ⌊p·π_s/r_s⌋ on the open services, capped at q if `cap`; the
    /// first choice zeroes every service term of the bound.
    fn heuristic_y(&self, t: Target, cap: bool) -> Vec<i128> {
        (0..self.p.profit.len())
            .map(|s| {
                if !self.is_open(s) {
                    return 0;
                }
                let r = (self.p.need[s] - self.got[s]) as f64;
                let y = (t.p as f64 * self.p.profit[s] as f64 / r).floor().clamp(0.0, Y_MAX) as i128;
                if cap { y.min(t.q) } else { y }
            })
            .collect()
    }

    /// The Lagrangian bound of the module documentation with multipliers `y`, exact;
    /// `None` on overflow (no pruning).
    fn bound(&self, t: Target, y: &[i128]) -> Option<i128> {
        let pr = self.p;
        let mut ub =
            t.p.checked_mul(i128::try_from(pr.free_profit + self.profit_in).ok()?)?
                .checked_sub(t.q.checked_mul(i128::try_from(self.stake_in).ok()?)?)?;
        for (s, &y_s) in y.iter().enumerate() {
            if self.is_open(s) {
                let r = i128::try_from(pr.need[s] - self.got[s]).ok()?;
                let term = t.p.checked_mul(i128::try_from(pr.profit[s]).ok()?)?.checked_sub(y_s.checked_mul(r)?)?;
                ub = ub.checked_add(term.max(0))?;
            }
        }
        for (v, state) in self.state.iter().enumerate() {
            if *state != State::Undecided {
                continue;
            }
            let mut yv: i128 = 0;
            for &s in &pr.v_services[v] {
                if self.is_open(s as usize) {
                    yv = yv.checked_add(y[s as usize])?;
                }
            }
            if yv > t.q {
                ub = ub.checked_add(i128::try_from(pr.stake[v]).ok()?.checked_mul(yv - t.q)?)?;
            }
        }
        Some(ub)
    }

    /// The LP relaxation at this node, in floating point: its multipliers (floored to
    /// integers) and its value of x for each candidate.
    fn relax(&self, t: Target, open: &[usize], candidates: &[usize]) -> Option<(Vec<i128>, Vec<f64>)> {
        let (rows, cols) = (open.len(), open.len() + candidates.len());
        let mut row_of = vec![usize::MAX; self.p.profit.len()];
        for (i, &s) in open.iter().enumerate() {
            row_of[s] = i;
        }
        let mut c = vec![0.0; cols];
        for (i, &s) in open.iter().enumerate() {
            c[i] = t.p as f64 * self.p.profit[s] as f64;
        }
        for (j, &v) in candidates.iter().enumerate() {
            c[rows + j] = -(t.q as f64) * self.p.stake[v] as f64;
        }
        let scale = c.iter().fold(0.0f64, |m, x| m.max(x.abs())).max(f64::MIN_POSITIVE);
        c.iter_mut().for_each(|x| *x /= scale);
        // Row s, divided by r_s: a_s − Σ_{v∈N(s)} (σ_v/r_s)·x_v ≤ 0.
        let residual: Vec<f64> = open.iter().map(|&s| (self.p.need[s] - self.got[s]) as f64).collect();
        let mut a = vec![0.0; rows * cols];
        for i in 0..rows {
            a[i * cols + i] = 1.0;
        }
        for (j, &v) in candidates.iter().enumerate() {
            for &s in &self.p.v_services[v] {
                let i = row_of[s as usize];
                if i != usize::MAX {
                    a[i * cols + rows + j] = -(self.p.stake[v] as f64) / residual[i];
                }
            }
        }
        let sol = lp::solve(&a, rows, &c, LP_ITERATIONS)?;
        let mut y = vec![0i128; self.p.profit.len()];
        for (i, &s) in open.iter().enumerate() {
            let value = sol.y[i] * scale / residual[i];
            y[s] = if value.is_finite() { value.floor().clamp(0.0, Y_MAX) as i128 } else { 0 };
        }
        Some((y, sol.x[rows..].to_vec()))
    }

    fn include(&mut self, v: usize) {
        let stake = self.p.stake[v];
        for &s in &self.p.v_services[v] {
            let s = s as usize;
            let was = self.got[s] >= self.p.need[s];
            self.got[s] += stake;
            self.rem[s] -= stake;
            if !was && self.got[s] >= self.p.need[s] {
                self.profit_in += self.p.profit[s];
            }
        }
        self.stake_in += stake;
        self.state[v] = State::In;
    }

    fn undo_include(&mut self, v: usize) {
        let stake = self.p.stake[v];
        for &s in &self.p.v_services[v] {
            let s = s as usize;
            let was = self.got[s] >= self.p.need[s];
            self.got[s] -= stake;
            self.rem[s] += stake;
            if was && self.got[s] < self.p.need[s] {
                self.profit_in -= self.p.profit[s];
            }
        }
        self.stake_in -= stake;
        self.state[v] = State::Undecided;
    }

    fn exclude(&mut self, v: usize) {
        for &s in &self.p.v_services[v] {
            self.rem[s as usize] -= self.p.stake[v];
        }
        self.state[v] = State::Out;
    }

    fn undo_exclude(&mut self, v: usize) {
        for &s in &self.p.v_services[v] {
            self.rem[s as usize] += self.p.stake[v];
        }
        self.state[v] = State::Undecided;
    }

    fn pruned(&self, y: &[i128]) -> bool {
        self.target().is_some_and(|t| self.bound(t, y).is_some_and(|ub| ub <= t.threshold))
    }

    fn dfs(&mut self, y_parent: &[i128]) -> Result<(), RestakingError> {
        self.nodes += 1;
        if self.nodes > self.max_nodes {
            return Err(RestakingError::BudgetExceeded { nodes: self.max_nodes });
        }
        self.consider(&[]);
        let open: Vec<usize> = (0..self.p.profit.len()).filter(|&s| self.is_open(s)).collect();
        // Undecided validators in some open service; any other only adds cost.
        let candidates: Vec<usize> = (0..self.p.stake.len())
            .filter(|&v| {
                self.state[v] == State::Undecided && self.p.v_services[v].iter().any(|&s| self.is_open(s as usize))
            })
            .collect();
        if open.is_empty() || candidates.is_empty() {
            return Ok(());
        }
        // Cheap multipliers first (the parent's, then the two closed forms), the LP's last.
        if self.pruned(y_parent) {
            return Ok(());
        }
        if let Some(t) = self.target()
            && (self.pruned(&self.heuristic_y(t, false)) || self.pruned(&self.heuristic_y(t, true)))
        {
            return Ok(());
        }
        let relaxed = self.target().and_then(|t| self.relax(t, &open, &candidates));
        let (y, branch, include_first) = match relaxed {
            Some((y, x)) => {
                // Rounding up the LP point gives a set that covers what it covered: a cheap
                // incumbent.
                let rounded: Vec<usize> =
                    candidates.iter().zip(&x).filter(|(_, x)| **x > 1e-6).map(|(v, _)| *v).collect();
                self.consider(&rounded);
                if self.pruned(&y) {
                    return Ok(());
                }
                // Branch on the largest stake (candidates are sorted by stake), the side the
                // LP point leans to first.
                (y, candidates[0], x[0] >= 0.5)
            }
            // The candidates are sorted by stake, largest first.
            None => (y_parent.to_vec(), candidates[0], true),
        };
        for include in if include_first { [true, false] } else { [false, true] } {
            if include {
                self.include(branch);
                let r = self.dfs(&y);
                self.undo_include(branch);
                r?;
            } else {
                self.exclude(branch);
                let r = self.dfs(&y);
                self.undo_exclude(branch);
                r?;
            }
        }
        Ok(())
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The most validators with stake [`brute_force`] enumerates.
pub const BRUTE_FORCE_MAX_VALIDATORS: usize = 20;

/// The exact check by plain enumeration of every B ⊆ V with stake: the test oracle of
/// REFERENCES.md §3 ("Exact brute force"), O(2^|V|·|E|).
///
/// # Formula
/// Secure ⟺ ∀ B: π_{A(B)} ≤ σ_B; γ_exact = min_{B: π_{A(B)}>0} σ_B/π_{A(B)} − 1, with
/// A(B) = {s : σ_{B∩N(s)} ≥ α_s·σ_{N(s)}} (REFERENCES.md §3, derived).
///
/// # Errors
/// [`RestakingError::TooLarge`] beyond [`BRUTE_FORCE_MAX_VALIDATORS`] validators with stake.
pub fn brute_force(g: &RestakingGraph) -> Result<ExactCheck, RestakingError> {
    let staked: Vec<usize> = (0..g.validator_count()).filter(|&v| g.stake[v] > 0).collect();
    let n = staked.len();
    if n > BRUTE_FORCE_MAX_VALIDATORS {
        return Err(RestakingError::TooLarge {
            check: "the brute force",
            what: "validators with stake",
            found: n,
            limit: BRUTE_FORCE_MAX_VALIDATORS,
        });
    }
    let sums = subset_sums(&staked.iter().map(|&v| g.stake[v]).collect::<Vec<_>>());
    let masks = member_masks(g, &staked);
    // (mask, σ, π) of the smallest ratio and (mask, π − σ) of the largest gain.
    let mut best_ratio: Option<(usize, u128, u128)> = None;
    let mut best_gain: Option<(usize, i128)> = None;
    for b in 0..(1usize << n) {
        let sigma = sums[b];
        let pi: u128 = (0..g.service_count()).filter(|&s| sums[b & masks[s]] >= g.need[s]).map(|s| g.profit[s]).sum();
        if pi > 0
            && best_ratio.is_none_or(|(_, bs, bp)| U256::from(sigma) * U256::from(bp) < U256::from(bs) * U256::from(pi))
        {
            best_ratio = Some((b, sigma, pi));
        }
        let gain = pi as i128 - sigma as i128;
        if gain > 0 && best_gain.is_none_or(|(_, g)| gain > g) {
            best_gain = Some((b, gain));
        }
    }
    let to_attack =
        |b: usize| Attack::from_validators(g, (0..n).filter(|i| b >> i & 1 == 1).map(|i| staked[i]).collect());
    let binding = best_ratio.map(|(b, _, _)| to_attack(b));
    Ok(ExactCheck {
        secure: best_gain.is_none(),
        most_profitable: best_gain.map(|(b, _)| to_attack(b)),
        gamma_exact: binding.as_ref().map(|a| Margin::from_u128(a.stake, a.profit)),
        binding,
        nodes: 1 << n,
    })
}

/// σ of every subset of `stakes`, indexed by bit mask.
pub(crate) fn subset_sums(stakes: &[u128]) -> Vec<u128> {
    let mut sums = vec![0u128; 1 << stakes.len()];
    for mask in 1..sums.len() {
        let low = mask.trailing_zeros() as usize;
        sums[mask] = sums[mask & (mask - 1)] + stakes[low];
    }
    sums
}

/// For each service, the bit mask of its validators among `staked` (local positions).
pub(crate) fn member_masks(g: &RestakingGraph, staked: &[usize]) -> Vec<usize> {
    let mut position = vec![None; g.validator_count()];
    for (i, &v) in staked.iter().enumerate() {
        position[v] = Some(i);
    }
    g.members
        .iter()
        .map(|m| m.iter().filter_map(|&v| position[v as usize]).fold(0usize, |acc, i| acc | (1 << i)))
        .collect()
}
