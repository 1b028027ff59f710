//! Cascades after a stake shock: the worst-case loss R_ψ by enumeration on small graphs,
//! and Theorem 1's bound for any graph.

use alloy_primitives::U256;
use bulwark_spec::units::Ratio;

use super::exact::{member_masks, subset_sums};
use super::graph::{Margin, RestakingError, RestakingGraph, ceil_mul_div};

/// The most validators with stake [`worst_case_loss`] enumerates: it visits every pair
/// (D, B) of disjoint sets, 3^n of them (4.8 million for 14).
pub const CASCADE_MAX_VALIDATORS: usize = 14;

/// The worst outcome of a shock of size ψ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CascadeLoss {
    /// ψ: the shock removes validators D with σ_D ≤ ψ·σ_V.
    pub psi: Ratio,
    /// max over shocks D of σ_B/σ_V, B the validators of a valid attack on G↓D: the stake
    /// lost to cascades beyond the shock. (A valid cascade's union is itself a valid attack
    /// on G↓D, so the largest single valid attack is the worst cascade.)
    pub cascade_loss: Ratio,
    /// The shock D that attains it, by validator index.
    pub shock: Vec<usize>,
    /// The attacking validators B after that shock.
    pub cascade: Vec<usize>,
    /// The services A_D(B) they corrupt in G↓D.
    pub services: Vec<usize>,
    /// max over shocks D of σ_{D∪B}/σ_V: the shock and its cascade together.
    pub total_loss: Ratio,
}

impl CascadeLoss {
    /// R_ψ(G) = ψ + [`CascadeLoss::cascade_loss`], exact when it fits 128 bits.
    ///
    /// # Formula
    /// REFERENCES.md §3, "Worst-case loss".
    pub fn r_psi(&self) -> Option<Ratio> {
        let (a, b) = (self.psi, self.cascade_loss);
        let num = a.numer().checked_mul(b.denom())?.checked_add(b.numer().checked_mul(a.denom())?)?;
        Ratio::new(num, a.denom().checked_mul(b.denom())?)
    }

    /// R_ψ as an `f64`, for reports.
    pub fn r_psi_f64(&self) -> f64 {
        self.psi.to_f64() + self.cascade_loss.to_f64()
    }
}

/// Theorem 1's factor: a graph with γ-slack, γ > 0, has R_ψ(G) < (1 + 1/γ)·ψ for every
/// ψ > 0; `None` for γ ≤ 0, where no bound holds (Theorem 2).
///
/// # Formula
/// DR24 Theorem 1 (REFERENCES.md §3). Proof core: after a shock D, a valid attack (A, B)
/// on G↓D gives the attacking (A, B ∪ D) on G, so (1+γ)·π_A ≤ σ_B + σ_D, while
/// π_A > σ_B; hence γ·σ_B < σ_D ≤ ψ·σ_V.
pub fn theorem1_factor(gamma: &Margin) -> Option<f64> {
    gamma.is_positive().then(|| 1.0 + 1.0 / gamma.gamma_f64())
}

/// The worst-case loss after a shock of size ψ, by enumerating every shock D with
/// σ_D ≤ ψ·σ_V and every validator set B outside it.
///
/// # Formula
/// REFERENCES.md §3: R_ψ(G) = ψ + max_{D: σ_D ≤ ψσ_V} max {σ_B/σ_V : (A, B) a valid
/// attack on G↓D}, where G↓D measures each threshold against σ_{N(s)∖D}.
///
/// # Errors
/// [`RestakingError::TooLarge`] beyond [`CASCADE_MAX_VALIDATORS`] validators with stake.
pub fn worst_case_loss(g: &RestakingGraph, psi: Ratio) -> Result<CascadeLoss, RestakingError> {
    let staked: Vec<usize> = (0..g.validator_count()).filter(|&v| g.stake[v] > 0).collect();
    let n = staked.len();
    if n > CASCADE_MAX_VALIDATORS {
        return Err(RestakingError::TooLarge {
            check: "the cascade enumeration",
            what: "validators with stake",
            found: n,
            limit: CASCADE_MAX_VALIDATORS,
        });
    }
    let sums = subset_sums(&staked.iter().map(|&v| g.stake[v]).collect::<Vec<_>>());
    let masks = member_masks(g, &staked);
    let full = (1usize << n) - 1;
    let budget = U256::from(psi.numer()) * U256::from(g.total_stake);
    let mut need = vec![0u128; g.service_count()];
    // (σ_B, D, B) of the worst cascade, and σ_{D∪B} of the worst total.
    let mut worst: (u128, usize, usize) = (0, 0, 0);
    let mut worst_total: u128 = 0;
    for d in 0..=full {
        if U256::from(sums[d]) * U256::from(psi.denom()) > budget {
            continue;
        }
        for (s, need_s) in need.iter_mut().enumerate() {
            let left = g.restaked[s] - sums[d & masks[s]];
            // α ≤ 1, so the result never exceeds `left`.
            *need_s = ceil_mul_div(g.alpha[s].0, left, g.alpha[s].1).unwrap_or(left);
        }
        worst_total = worst_total.max(sums[d]);
        let outside = full & !d;
        let mut b = outside;
        loop {
            let sigma = sums[b];
            if sigma > worst.0 || sigma + sums[d] > worst_total {
                let pi: u128 =
                    (0..g.service_count()).filter(|&s| sums[b & masks[s]] >= need[s]).map(|s| g.profit[s]).sum();
                if pi > sigma {
                    if sigma > worst.0 {
                        worst = (sigma, d, b);
                    }
                    worst_total = worst_total.max(sigma + sums[d]);
                }
            }
            if b == 0 {
                break;
            }
            b = (b - 1) & outside;
        }
    }
    let (sigma, d, b) = worst;
    let members = |mask: usize| (0..n).filter(|i| mask >> i & 1 == 1).map(|i| staked[i]).collect::<Vec<_>>();
    // A share of σ_V; a graph with no stake loses nothing (the denominator is never 0,
    // so `Ratio::new` never refuses).
    let share = |x: u128| Ratio::new(x, g.total_stake.max(1)).ok_or(RestakingError::ScaleOverflow);
    let services = if sigma > 0 || b != 0 {
        (0..g.service_count())
            .filter(|&s| {
                let left = g.restaked[s] - sums[d & masks[s]];
                let need = ceil_mul_div(g.alpha[s].0, left, g.alpha[s].1).unwrap_or(left);
                sums[b & masks[s]] >= need
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(CascadeLoss {
        psi,
        cascade_loss: share(sigma)?,
        shock: if sigma > 0 { members(d) } else { Vec::new() },
        cascade: members(b),
        services,
        total_loss: share(worst_total)?,
    })
}
