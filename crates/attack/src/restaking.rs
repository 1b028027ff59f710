//! Restaking networks (issue 3, vector 6): Durvasula and Roughgarden, "Robust Restaking
//! Networks" (arXiv:2407.21785, ITCS 2025), REFERENCES.md §3.
//!
//! Validators restake to several services at once; a coalition B of validators corrupts
//! every service s whose threshold it reaches (σ_{B∩N(s)} ≥ α_s·σ_{N(s)}) and loses its
//! stake once, however many services it corrupts. The network is secure when no
//! corruption pays (π_A ≤ σ_B for every attacking coalition), and has γ-slack when every
//! one costs (1+γ) times what it yields. Four checks:
//!
//! - [`eigenlayer_check`]: the EigenLayer condition (DR24 Eq. 3) per validator and the
//!   γ* proxy it certifies, in O(|E|) exact additions;
//! - [`exact_check`]: the most profitable valid attack, or a proof that none exists, and
//!   γ_exact, by branch and bound with a Lagrangian bound ([`brute_force`] is the plain
//!   2^|V| enumeration it is tested against);
//! - [`worst_case_loss`]: the worst loss R_ψ after a shock of size ψ, by enumeration on
//!   small graphs, beside Theorem 1's bound (1 + 1/γ)·ψ ([`theorem1_factor`]);
//! - the edge cases: a service with a profit and no stake is corrupted by the empty
//!   coalition ([`RestakingGraph::unguarded_services`]); validators with no stake are
//!   skipped in γ* and harmless elsewhere.
//!
//! # Exact arithmetic
//!
//! The published vectors sit on the boundary (σ_B = π_A exactly), so every decision is
//! exact (REFERENCES.md §3 edge case 3). Stakes and profits are read from the spec as
//! exact rationals and turned into `u128` integers on one common scale
//! ([`RestakingGraph`]): all the comparisons the attack search makes are then between
//! sums of integers, with no rational normalization in its inner loop. Thresholds become
//! one integer each, ⌈α_s·σ_{N(s)}⌉, since σ_{B∩N(s)} is an integer. The γ* proxy sums
//! fractions with a different denominator per service and needs numbers wider than any
//! fixed width: it uses a small natural-number type (`bignat`) over one common
//! denominator. Floating point appears only in what is reported.

mod bignat;
mod cascade;
mod exact;
mod graph;
mod lp;
mod proxy;

pub use cascade::{CASCADE_MAX_VALIDATORS, CascadeLoss, theorem1_factor, worst_case_loss};
pub use exact::{Attack, BRUTE_FORCE_MAX_VALIDATORS, ExactCheck, ExactLimits, brute_force, exact_check};
pub use graph::{Margin, RestakingError, RestakingGraph};
pub use proxy::{EigenLayerCheck, eigenlayer_check};

use bulwark_spec::Protocol;
use bulwark_spec::model::restaking::Restaking;
use bulwark_spec::units::Ratio;
use serde::Serialize;

use crate::vector::{CostItem, CostKind, PfcBasis, Vector, VectorKind, Verdict, judge};

/// The shocks ψ (fractions of all stake) the summary evaluates cascades for.
pub const SHOCKS: [(u128, u128); 4] = [(1, 100), (1, 20), (1, 10), (1, 5)];

/// How many names a line of assumptions lists before it says how many more.
const NAMES_LISTED: usize = 6;

/// Every check on one restaking graph, computed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestakingAnalysis {
    /// The graph in exact integer units.
    pub graph: RestakingGraph,
    /// The EigenLayer condition and γ*.
    pub eigenlayer: EigenLayerCheck,
    /// The exact check, or why it did not run.
    pub exact: Result<ExactCheck, RestakingError>,
    /// The worst-case loss for each of [`SHOCKS`], or why it was not enumerated.
    pub cascades: Vec<Result<CascadeLoss, RestakingError>>,
}

/// Runs every check on a spec's restaking graph.
///
/// # Errors
/// [`RestakingError`] when the amounts do not fit exact integer arithmetic (see
/// [`RestakingGraph::from_spec`]); a check that cannot run on this graph is reported in
/// its field instead.
pub fn analyze(r: &Restaking, limits: &ExactLimits) -> Result<RestakingAnalysis, RestakingError> {
    let graph = RestakingGraph::from_spec(r)?;
    let eigenlayer = eigenlayer_check(&graph);
    let exact = exact_check(&graph, limits);
    let cascades = SHOCKS
        .iter()
        .map(|&(n, d)| {
            Ratio::new(n, d).ok_or(RestakingError::ScaleOverflow).and_then(|psi| worst_case_loss(&graph, psi))
        })
        .collect();
    Ok(RestakingAnalysis { graph, eigenlayer, exact, cascades })
}

/// An attack, with names and USD.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttackSummary {
    /// A: the services corrupted.
    pub services: Vec<String>,
    /// B: the validators that corrupt them and are slashed.
    pub validators: Vec<String>,
    /// π_A, in USD.
    pub profit_usd: f64,
    /// σ_B, in USD.
    pub stake_usd: f64,
    /// π_A − σ_B, in USD (positive for a valid attack).
    pub gain_usd: f64,
}

/// The worst loss after one shock size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CascadeSummary {
    /// ψ, the shock as a fraction of all stake.
    pub psi: f64,
    /// R_ψ computed by enumeration (ψ + the worst cascade), when the graph is small enough.
    pub worst_case_loss: Option<f64>,
    /// The worst shock and its cascade together, as a fraction of all stake.
    pub total_loss: Option<f64>,
    /// Theorem 1's bound (1 + 1/γ)·ψ, when γ > 0.
    pub bound: Option<f64>,
    /// The shock that attains the worst cascade.
    pub shock: Vec<String>,
    /// The validators of that cascade.
    pub cascade: Vec<String>,
}

/// What the restaking checks found, for `bulwark attack` and the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RestakingSummary {
    /// The network.
    pub name: String,
    /// |V|.
    pub validators: usize,
    /// |S|.
    pub services: usize,
    /// |E|.
    pub edges: usize,
    /// σ_V, in USD.
    pub total_stake_usd: f64,
    /// π_S, in USD.
    pub total_profit_usd: f64,
    /// DR24 Eq. 3 holds for every validator (`None` when the graph could not be read).
    pub eigenlayer_condition_holds: Option<bool>,
    /// Validators for which Eq. 3 fails.
    pub eigenlayer_violators: Vec<String>,
    /// Services with a profit and no stake: corrupted for free.
    pub unguarded_services: Vec<String>,
    /// γ*, the slack the EigenLayer condition certifies (`None`: unbounded or unknown).
    pub gamma_star: Option<f64>,
    /// γ* as an exact fraction.
    pub gamma_star_fraction: Option<String>,
    /// The validator whose T_v sets γ*.
    pub gamma_star_validator: Option<String>,
    /// γ_exact = min σ_B/π_A − 1 over attacking coalitions (`None`: not computed, or no
    /// service has a profit).
    pub gamma_exact: Option<f64>,
    /// γ_exact as an exact fraction.
    pub gamma_exact_fraction: Option<String>,
    /// No valid attack exists (DR24), when the exact check ran.
    pub secure: Option<bool>,
    /// The valid attack with the largest π_A − σ_B, if any.
    pub worst_attack: Option<AttackSummary>,
    /// The attack with the smallest σ_B/π_A: it sets γ_exact.
    pub binding_attack: Option<AttackSummary>,
    /// Nodes the exact search visited.
    pub exact_nodes: Option<u64>,
    /// Theorem 1: R_ψ < `cascade_bound_per_psi`·ψ for every ψ > 0; `None` when γ ≤ 0.
    pub cascade_bound_per_psi: Option<f64>,
    /// Cascades after each of [`SHOCKS`].
    pub cascades: Vec<CascadeSummary>,
    /// What was not computed, and why.
    pub notes: Vec<String>,
}

impl RestakingAnalysis {
    fn attack_summary(&self, a: &Attack) -> AttackSummary {
        let g = &self.graph;
        AttackSummary {
            services: a.services.iter().map(|&s| g.service_id(s).to_string()).collect(),
            validators: a.validators.iter().map(|&v| g.validator_id(v).to_string()).collect(),
            profit_usd: g.usd(a.profit),
            stake_usd: g.usd(a.stake),
            gain_usd: g.usd(a.profit) - g.usd(a.stake),
        }
    }

    /// The γ Theorem 1 uses: γ_exact when known, else γ* (a lower bound, so the bound
    /// stays valid), with its name.
    fn theorem1_gamma(&self) -> Option<(&'static str, &Margin)> {
        match &self.exact {
            Ok(e) => e.gamma_exact.as_ref().map(|m| ("γ_exact", m)),
            Err(_) => self.eigenlayer.gamma_star.as_ref().map(|m| ("γ*", m)),
        }
    }

    /// The summary of every check.
    pub fn summary(&self) -> RestakingSummary {
        let g = &self.graph;
        let names_v = |vs: &[usize]| vs.iter().map(|&v| g.validator_id(v).to_string()).collect::<Vec<_>>();
        let el = &self.eigenlayer;
        let mut notes = Vec::new();
        let exact = match &self.exact {
            Ok(e) => Some(e),
            Err(e) => {
                notes.push(format!("exact check not run: {e}; γ* is a lower bound on the slack"));
                None
            }
        };
        let factor = self.theorem1_gamma().and_then(|(_, m)| theorem1_factor(m));
        let mut cascades = Vec::new();
        for (i, c) in self.cascades.iter().enumerate() {
            let psi = SHOCKS[i].0 as f64 / SHOCKS[i].1 as f64;
            let bound = factor.map(|f| f * psi);
            match c {
                Ok(c) => cascades.push(CascadeSummary {
                    psi,
                    worst_case_loss: Some(c.r_psi_f64()),
                    total_loss: Some(c.total_loss.to_f64()),
                    bound,
                    shock: names_v(&c.shock),
                    cascade: names_v(&c.cascade),
                }),
                Err(e) => {
                    if i == 0 {
                        notes.push(format!("cascades not enumerated: {e}; only Theorem 1's bound is reported"));
                    }
                    cascades.push(CascadeSummary {
                        psi,
                        worst_case_loss: None,
                        total_loss: None,
                        bound,
                        shock: Vec::new(),
                        cascade: Vec::new(),
                    });
                }
            }
        }
        RestakingSummary {
            name: g.name.clone(),
            validators: g.validator_count(),
            services: g.service_count(),
            edges: g.edge_count(),
            total_stake_usd: g.total_stake_usd(),
            total_profit_usd: g.total_profit_usd(),
            eigenlayer_condition_holds: Some(el.holds),
            eigenlayer_violators: names_v(&el.violators),
            unguarded_services: el.unguarded.iter().map(|&s| g.service_id(s).to_string()).collect(),
            gamma_star: el.gamma_star.as_ref().map(Margin::gamma_f64),
            gamma_star_fraction: el.gamma_star.as_ref().map(Margin::gamma_fraction),
            gamma_star_validator: el.binding_validator.map(|v| g.validator_id(v).to_string()),
            gamma_exact: exact.and_then(|e| e.gamma_exact.as_ref()).map(Margin::gamma_f64),
            gamma_exact_fraction: exact.and_then(|e| e.gamma_exact.as_ref()).map(Margin::gamma_fraction),
            secure: exact.map(|e| e.secure),
            worst_attack: exact.and_then(|e| e.most_profitable.as_ref()).map(|a| self.attack_summary(a)),
            binding_attack: exact.and_then(|e| e.binding.as_ref()).map(|a| self.attack_summary(a)),
            exact_nodes: exact.map(|e| e.nodes),
            cascade_bound_per_psi: factor,
            cascades,
            notes,
        }
    }

    /// The restaking vector: the attack with the smallest σ_B/π_A priced against what it
    /// yields, so that its slack is γ_exact, floored (REFERENCES.md §1 rule 2 and 3).
    pub fn vector(&self, at_risk_below: f64) -> Vector {
        let g = &self.graph;
        let el = &self.eigenlayer;
        let mut assumptions = vec![
            "DR24 model (arXiv:2407.21785): a validator set corrupts a service when its stake reaches the \
             service's threshold α of the stake restaked to it (≥); its stake is slashed once, however many \
             services it corrupts; profits are the spec's inputs"
                .to_string(),
        ];
        assumptions.push(match (el.holds, &el.gamma_star) {
            (true, Some(m)) if el.unguarded.is_empty() => format!(
                "EigenLayer condition (DR24 Eq. 3) holds for every validator: γ* = {} (set by {})",
                m,
                el.binding_validator.map_or("none", |v| g.validator_id(v))
            ),
            (true, _) => "EigenLayer condition (DR24 Eq. 3) holds for every validator".to_string(),
            (false, m) => format!(
                "EigenLayer condition (DR24 Eq. 3) fails for {} of {} validators ({}){}",
                el.violators.len(),
                g.validator_count(),
                listed(el.violators.iter().map(|&v| g.validator_id(v))),
                m.as_ref().map(|m| format!(": γ* = {m}")).unwrap_or_default()
            ),
        });
        if !el.unguarded.is_empty() {
            assumptions.push(format!(
                "{} with a profit and no stake behind it, corrupted by the empty coalition (DR24 edge case; \
                 Eq. 3 cannot see it): γ* = −1",
                listed(el.unguarded.iter().map(|&s| g.service_id(s)))
            ));
        }
        if let Some((name, m)) = self.theorem1_gamma() {
            assumptions.push(match theorem1_factor(m) {
                Some(f) => format!(
                    "cascades: a shock of a fraction ψ of all stake loses less than {f:.3}·ψ in all \
                     (Theorem 1, (1 + 1/γ)·ψ with {name} = {m})"
                ),
                None => format!("cascades: {name} = {m} ≤ 0, so Theorem 1 bounds no cascade (Theorem 2)"),
            });
        }
        if let Some(Ok(c)) = self.cascades.iter().rev().find(|c| c.is_ok()) {
            assumptions.push(format!(
                "cascades, by enumeration: after a shock of ψ = {}, R_ψ = {:.4} (the shock and its cascade \
                 together: {:.4} of all stake)",
                c.psi,
                c.r_psi_f64(),
                c.total_loss.to_f64()
            ));
        }

        let basis = |a: &Attack| {
            PfcBasis::Input(format!(
                "profit from corrupting {} as given in [restaking]",
                listed(a.services.iter().filter(|&&s| g.profit[s] > 0).map(|&s| g.service_id(s)))
            ))
        };
        let (vector, coc_usd, pfc_usd, pfc_basis, breakdown, slack, verdict) = match &self.exact {
            Ok(e) => match &e.binding {
                Some(a) => {
                    assumptions.push(format!(
                        "exact check (branch and bound, {} nodes): γ_exact = {}, {}",
                        e.nodes,
                        e.gamma_exact.as_ref().map_or("none".to_string(), Margin::gamma_fraction),
                        if e.secure { "no valid attack exists" } else { "a valid attack exists" }
                    ));
                    if a.stake == a.profit {
                        assumptions.push(
                            "σ_B = π_A exactly: DR24 call this secure (a valid attack needs π_A > σ_B); \
                             bulwark's verdict counts a tie as insecure (REFERENCES.md §1: secure iff CoC > PfC)"
                                .to_string(),
                        );
                    }
                    if let Some(w) = &e.most_profitable
                        && w != a
                    {
                        assumptions.push(format!(
                            "the most profitable attack corrupts {} with {}: gains ${:.0}",
                            listed(w.services.iter().map(|&s| g.service_id(s))),
                            listed(w.validators.iter().map(|&v| g.validator_id(v))),
                            g.usd(w.profit) - g.usd(w.stake)
                        ));
                    }
                    let (coc, pfc) = (g.usd(a.stake), g.usd(a.profit));
                    let (slack, verdict) = judge(coc, Some(pfc), at_risk_below);
                    let breakdown = a
                        .validators
                        .iter()
                        .map(|&v| CostItem {
                            label: format!("stake of {} slashed", g.validator_id(v)),
                            usd: g.usd(g.stake[v]),
                            kind: CostKind::Destroyed,
                        })
                        .collect();
                    (
                        format!(
                            "restaking: corrupt {} of {}",
                            listed(a.services.iter().map(|&s| g.service_id(s))),
                            g.name
                        ),
                        coc,
                        Some(pfc),
                        basis(a),
                        breakdown,
                        slack,
                        verdict,
                    )
                }
                None => (
                    format!("restaking: corrupt a service of {}", g.name),
                    0.0,
                    Some(0.0),
                    PfcBasis::Input("every service's profit in [restaking] is zero".to_string()),
                    Vec::new(),
                    None,
                    Verdict::Secure,
                ),
            },
            Err(err) => {
                assumptions.push(format!("exact check not run: {err}"));
                self.proxy_only(at_risk_below, &mut assumptions)
            }
        };
        Vector {
            vector,
            kind: VectorKind::Restaking,
            coc_usd,
            pfc_usd,
            pfc_basis,
            slack,
            verdict,
            breakdown,
            time_s: None,
            assumptions,
        }
    }

    /// The vector when only γ* is known: every attack costs at least (1 + γ*)·π_A, so
    /// attacking every service costs at least (1 + γ*)·π_S.
    #[allow(clippy::type_complexity)] // The fields of a Vector, in order.
    fn proxy_only(
        &self,
        at_risk_below: f64,
        assumptions: &mut Vec<String>,
    ) -> (String, f64, Option<f64>, PfcBasis, Vec<CostItem>, Option<f64>, Verdict) {
        let g = &self.graph;
        let el = &self.eigenlayer;
        let name = format!("restaking: corrupt every service of {}", g.name);
        let pfc = g.total_profit_usd();
        if !el.unguarded.is_empty() {
            let free: u128 = el.unguarded.iter().map(|&s| g.profit[s]).sum();
            let pfc = g.usd(free);
            let (slack, verdict) = judge(0.0, Some(pfc), at_risk_below);
            return (
                format!("restaking: corrupt {} of {}", listed(el.unguarded.iter().map(|&s| g.service_id(s))), g.name),
                0.0,
                Some(pfc),
                PfcBasis::Input("profit of the services no stake secures, as given in [restaking]".to_string()),
                Vec::new(),
                slack,
                verdict,
            );
        }
        let basis = PfcBasis::Input("the profits of every service, as given in [restaking]".to_string());
        match &el.gamma_star {
            Some(m) if m.is_positive() => {
                assumptions.push(format!(
                    "cost of corruption is the lower bound (1 + γ*)·π_S with γ* = {m}: the slack shown is γ*, \
                     at most the exact one"
                ));
                let coc = (1.0 + m.gamma_f64()) * pfc;
                let (slack, verdict) = judge(coc, Some(pfc), at_risk_below);
                (name, coc, Some(pfc), basis, Vec::new(), slack, verdict)
            }
            Some(m) => {
                assumptions.push(format!("γ* = {m} ≤ 0: the proxy cannot tell whether an attack pays"));
                (name, 0.0, Some(pfc), basis, Vec::new(), None, Verdict::Unknown)
            }
            None => (name, 0.0, Some(0.0), basis, Vec::new(), None, Verdict::Secure),
        }
    }
}

/// Up to [`NAMES_LISTED`] names, then how many more.
fn listed<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    if names.is_empty() {
        return "nothing".to_string();
    }
    let shown = names.iter().take(NAMES_LISTED).copied().collect::<Vec<_>>().join(", ");
    if names.len() > NAMES_LISTED { format!("{shown} and {} more", names.len() - NAMES_LISTED) } else { shown }
}

/// The restaking vector of a protocol, if it has a `[restaking]` graph: the attack that
/// sets γ_exact (or, on a graph too large for the exact check, the γ* lower bound), with
/// the EigenLayer condition, γ*, γ_exact and the cascade bound in its assumptions.
pub fn restaking_vectors(p: &Protocol, at_risk_below: f64) -> Vec<Vector> {
    let Some(r) = &p.restaking else { return Vec::new() };
    match analyze(r, &ExactLimits::default()) {
        Ok(a) => vec![a.vector(at_risk_below)],
        Err(e) => vec![Vector {
            vector: format!("restaking: corrupt a service of {}", r.name),
            kind: VectorKind::Restaking,
            coc_usd: 0.0,
            pfc_usd: None,
            pfc_basis: PfcBasis::Unknown(format!("the graph could not be analyzed: {e}")),
            slack: None,
            verdict: Verdict::Unknown,
            breakdown: Vec::new(),
            time_s: None,
            assumptions: vec![format!("the graph could not be analyzed: {e}")],
        }],
    }
}

/// The summary of every restaking check of a protocol, if it has a `[restaking]` graph.
pub fn restaking_summary(p: &Protocol) -> Option<RestakingSummary> {
    let r = p.restaking.as_ref()?;
    Some(match analyze(r, &ExactLimits::default()) {
        Ok(a) => a.summary(),
        Err(e) => RestakingSummary {
            name: r.name.clone(),
            validators: r.validators.len(),
            services: r.services.len(),
            edges: r.services.iter().map(|s| s.validators.len()).sum(),
            total_stake_usd: r.validators.iter().map(|v| v.stake_usd.to_f64()).sum(),
            total_profit_usd: r.services.iter().map(|s| s.profit_usd.to_f64()).sum(),
            eigenlayer_condition_holds: None,
            eigenlayer_violators: Vec::new(),
            unguarded_services: Vec::new(),
            gamma_star: None,
            gamma_star_fraction: None,
            gamma_star_validator: None,
            gamma_exact: None,
            gamma_exact_fraction: None,
            secure: None,
            worst_attack: None,
            binding_attack: None,
            exact_nodes: None,
            cascade_bound_per_psi: None,
            cascades: Vec::new(),
            notes: vec![format!("the graph could not be analyzed: {e}")],
        },
    })
}
