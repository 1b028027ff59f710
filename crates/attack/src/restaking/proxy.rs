//! The EigenLayer condition (DR24 Eq. 3) and the γ* proxy, in polynomial time.

use super::bignat::BigNat;
use super::graph::{Margin, RestakingGraph};

/// The per-validator sufficient condition for security and the margin it certifies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EigenLayerCheck {
    /// Eq. 3 holds for every validator: Σ_{s∈N(v)} (σ_v/σ_{N(s)})·(π_s/α_s) ≤ σ_v. On its
    /// own it misses services no stake secures: see [`EigenLayerCheck::unguarded`].
    pub holds: bool,
    /// Validators for which Eq. 3 fails (T_v > 1), by index.
    pub violators: Vec<usize>,
    /// Services with π_s > 0 and σ_{N(s)} = 0, corrupted by the empty coalition
    /// (REFERENCES.md §3 edge case 1), by index. The graph is insecure when any exists.
    pub unguarded: Vec<usize>,
    /// 1 + γ* (see [`eigenlayer_check`]); `None` when no validator with stake secures a
    /// service with a profit (γ* is then unbounded).
    pub gamma_star: Option<Margin>,
    /// The validator with the largest T_v, which sets γ*.
    pub binding_validator: Option<usize>,
}

impl EigenLayerCheck {
    /// Whether the proxy certifies security: Eq. 3 holds and no service is unguarded.
    pub fn certifies_secure(&self) -> bool {
        self.holds && self.unguarded.is_empty()
    }
}

/// The EigenLayer condition per validator and the γ* proxy.
///
/// # Formula
/// DR24 Eq. 3 (from the EigenLayer whitepaper), REFERENCES.md §3: G is secure if for all v,
/// Σ_{s∈N(v)} (σ_v/σ_{N(s)})·(π_s/α_s) ≤ σ_v. For σ_v > 0, σ_v cancels (derived):
/// T_v = Σ_{s∈N(v)} π_s/(α_s·σ_{N(s)}) ≤ 1, and Corollary 2 (Eq. 3 with (1+γ)·π_s) gives
/// γ-slack for every γ ≤ γ* = min_{v: σ_v>0, T_v>0} (1/T_v − 1). Zero-stake validators
/// are skipped: cancelling σ_v = 0 would invent a constraint (edge case 2). A service with
/// π_s > 0 and no stake is invisible to every sum, so it is checked apart (edge case 1)
/// and sets γ* = −1, which keeps γ* ≤ γ_exact true.
///
/// Why γ* ≤ γ_exact (Corollary 2, derived): for an attacking (A, B) with σ_{N(s)} > 0 for
/// s ∈ A, π_A ≤ Σ_{s∈A} π_s·σ_{B∩N(s)}/(α_s·σ_{N(s)}) = Σ_{v∈B} σ_v·Σ_{s∈A∩N(v)}
/// π_s/(α_s·σ_{N(s)}) ≤ Σ_{v∈B} σ_v·T_v ≤ σ_B/(1+γ*).
///
/// Exact arithmetic: each term is c_s = π_s·b_s/(a_s·σ_{N(s)}) with α_s = a_s/b_s. With
/// Λ the product of the distinct denominators d = a_s·σ_{N(s)}, T_v·Λ = Σ_{s∈N(v)} C_s
/// where C_s = π_s·b_s·Λ/d_s is an integer computed once per service (prefix and suffix
/// products, no division). Each validator then costs |N(v)| additions of numbers of
/// about log₂Λ bits and one comparison with Λ: O(|E|) additions in all, with no
/// rounding anywhere. `f64` would be faster but cannot decide T_v = 1, the exact
/// boundary both published vectors sit on.
pub fn eigenlayer_check(g: &RestakingGraph) -> EigenLayerCheck {
    let m = g.service_count();
    // Services that enter some T_v: a profit and some stake behind them.
    let mut denominators: Vec<BigNat> = Vec::new();
    let service_den: Vec<Option<BigNat>> = (0..m)
        .map(|s| {
            (g.profit[s] > 0 && g.restaked[s] > 0).then(|| BigNat::from_u128(g.alpha[s].0).mul_u128(g.restaked[s]))
        })
        .collect();
    denominators.extend(service_den.iter().flatten().cloned());
    denominators.sort();
    denominators.dedup();
    let k = denominators.len();
    // prefix[j] = Π_{i<j} d_i, suffix[j] = Π_{i>j} d_i.
    let mut prefix = Vec::with_capacity(k + 1);
    prefix.push(BigNat::one());
    for d in &denominators {
        let next = prefix.last().map_or_else(BigNat::one, |p: &BigNat| p.mul(d));
        prefix.push(next);
    }
    let mut suffix = vec![BigNat::one(); k];
    for j in (0..k.saturating_sub(1)).rev() {
        suffix[j] = suffix[j + 1].mul(&denominators[j + 1]);
    }
    let lambda = prefix.last().cloned().unwrap_or_else(BigNat::one);
    let others: Vec<BigNat> = (0..k).map(|j| prefix[j].mul(&suffix[j])).collect();
    let numerators: Vec<Option<BigNat>> = (0..m)
        .map(|s| {
            let d = service_den[s].as_ref()?;
            let j = denominators.binary_search(d).ok()?;
            Some(BigNat::from_u128(g.profit[s]).mul_u128(g.alpha[s].1).mul(&others[j]))
        })
        .collect();

    // Validator → services with a numerator, as compressed rows.
    let n = g.validator_count();
    let mut start = vec![0usize; n + 1];
    for (s, members) in g.members.iter().enumerate() {
        if numerators[s].is_some() {
            for &v in members {
                start[v as usize + 1] += 1;
            }
        }
    }
    for v in 0..n {
        start[v + 1] += start[v];
    }
    let mut fill = start.clone();
    let mut row = vec![0u32; start[n]];
    for (s, members) in g.members.iter().enumerate() {
        if numerators[s].is_some() {
            for &v in members {
                row[fill[v as usize]] = s as u32;
                fill[v as usize] += 1;
            }
        }
    }

    let mut violators = Vec::new();
    let mut best: Option<(usize, BigNat)> = None;
    let mut acc = BigNat::zero();
    for v in 0..n {
        if g.stake[v] == 0 || start[v] == start[v + 1] {
            continue;
        }
        acc.clear();
        for &s in &row[start[v]..start[v + 1]] {
            if let Some(c) = &numerators[s as usize] {
                acc.add_assign(c);
            }
        }
        if acc > lambda {
            violators.push(v);
        }
        if best.as_ref().is_none_or(|(_, b)| acc > *b) {
            match &mut best {
                Some((i, b)) => {
                    *i = v;
                    b.assign(&acc);
                }
                None => best = Some((v, acc.clone())),
            }
        }
    }
    let unguarded = g.unguarded_services();
    let gamma_star = if unguarded.is_empty() {
        best.as_ref().map(|(_, t)| Margin::new(lambda.clone(), t.clone()))
    } else {
        Some(Margin::from_u128(0, 1))
    };
    EigenLayerCheck {
        holds: violators.is_empty(),
        violators,
        unguarded,
        gamma_star,
        binding_validator: best.map(|(v, _)| v),
    }
}
