//! Restaking (issue 3, vector 6): the two published vectors of Durvasula and Roughgarden
//! (REFERENCES.md §3), the edge cases, the exact search against the plain 2^|V|
//! enumeration, the γ* ≤ γ_exact and Theorem 1 invariants on random graphs, and the spec
//! round trip.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failure should stop loudly.

use std::path::Path;

use bulwark_attack::Verdict;
use bulwark_attack::restaking::{
    ExactLimits, RestakingError, RestakingGraph, analyze, brute_force, eigenlayer_check, exact_check,
    restaking_summary, restaking_vectors, theorem1_factor, worst_case_loss,
};
use bulwark_spec::ErrorKind;
use bulwark_spec::model::restaking::{RestakedService, Restaking, RestakingValidator};
use bulwark_spec::units::Ratio;
use proptest::prelude::*;

fn ratio(text: &str) -> Ratio {
    Ratio::parse(text).unwrap()
}

/// A graph from (id, stake) and (id, profit, α, validators), amounts as exact text.
fn graph(validators: &[(&str, &str)], services: &[(&str, &str, &str, &[&str])]) -> Restaking {
    let ids: Vec<&str> = validators.iter().map(|(id, _)| *id).collect();
    Restaking {
        name: "test".into(),
        validators: validators
            .iter()
            .map(|(id, stake)| RestakingValidator { id: (*id).into(), stake_usd: ratio(stake) })
            .collect(),
        services: services
            .iter()
            .map(|(id, profit, alpha, members)| RestakedService {
                id: (*id).into(),
                profit_usd: ratio(profit),
                threshold: ratio(alpha),
                validators: members.iter().map(|m| ids.iter().position(|i| i == m).unwrap()).collect(),
            })
            .collect(),
    }
}

fn exact(r: &Restaking) -> bulwark_attack::restaking::ExactCheck {
    exact_check(&RestakingGraph::from_spec(r).unwrap(), &ExactLimits::default()).unwrap()
}

/// REFERENCES.md §3, Theorem 2 with ε = 1/10: S = {x}, V = {a, b}, σ_a = 1/10,
/// σ_b = 9/10, π_x = 1, α = 1.
fn theorem2() -> Restaking {
    graph(&[("a", "1/10"), ("b", "9/10")], &[("x", "1", "1", &["a", "b"])])
}

/// REFERENCES.md §3, Theorem 8 with n = 6: six validators with σ = 1; "S6" on all six and
/// two "S3" on disjoint triples, each with π = 2, α = 1.
fn theorem8() -> Restaking {
    let v: Vec<(&str, &str)> = ["v1", "v2", "v3", "v4", "v5", "v6"].iter().map(|id| (*id, "1")).collect();
    graph(
        &v,
        &[
            ("S6", "2", "1", &["v1", "v2", "v3", "v4", "v5", "v6"]),
            ("S3a", "2", "1", &["v1", "v2", "v3"]),
            ("S3b", "2", "1", &["v4", "v5", "v6"]),
        ],
    )
}

#[test]
fn theorem2_vector_is_secure_on_the_boundary_and_a_tenth_shock_loses_everything() {
    let r = theorem2();
    let g = RestakingGraph::from_spec(&r).unwrap();
    // Eq. 3 holds: (σ_a/σ_N)·π/α = 1/10 ≤ σ_a and likewise for b; γ* = 0 exactly.
    let el = eigenlayer_check(&g);
    assert!(el.holds && el.unguarded.is_empty());
    let gamma_star = el.gamma_star.unwrap();
    assert!(gamma_star.is_zero_gamma(), "γ* = {gamma_star}");
    // Secure with γ_exact = 0: the only attacking coalition is {a, b}, σ = π = 1.
    let e = exact(&r);
    assert!(e.secure && e.most_profitable.is_none());
    assert!(e.gamma_exact.as_ref().unwrap().is_zero_gamma());
    assert_eq!(e.binding.as_ref().map(|a| (a.validators.clone(), a.services.clone())), Some((vec![0, 1], vec![0])));
    assert_eq!(brute_force(&g).unwrap().gamma_exact, e.gamma_exact);

    // The shock D = {a} (ψ = 1/10) makes ({x}, {b}) valid, 9/10 < 1: R_ψ = 1.
    let c = worst_case_loss(&g, ratio("1/10")).unwrap();
    assert_eq!((c.shock.clone(), c.cascade.clone(), c.services.clone()), (vec![0], vec![1], vec![0]));
    assert_eq!(c.cascade_loss, ratio("9/10"));
    assert_eq!(c.r_psi(), Some(ratio("1")));
    assert_eq!(c.total_loss, ratio("1"));
    // For ψ > 1/10 the shock and the cascade still take all the stake; R_ψ as REFERENCES.md
    // defines it (ψ + the cascade's share) is then ψ + 9/10.
    for psi in ["1/5", "1/2"] {
        let c = worst_case_loss(&g, ratio(psi)).unwrap();
        assert_eq!((c.cascade_loss, c.total_loss), (ratio("9/10"), ratio("1")), "ψ = {psi}");
    }
    // Below 1/10 no shock can remove a validator, and nothing cascades.
    let c = worst_case_loss(&g, ratio("1/20")).unwrap();
    assert_eq!((c.cascade_loss, c.r_psi()), (ratio("0"), Some(ratio("1/20"))));
    // γ = 0: Theorem 1 bounds nothing (Theorem 2 is its tightness at γ = 0).
    assert_eq!(theorem1_factor(e.gamma_exact.as_ref().unwrap()), None);
}

#[test]
fn theorem8_vector_is_secure_with_zero_slack() {
    let r = theorem8();
    let g = RestakingGraph::from_spec(&r).unwrap();
    // Every validator's Eq. 3 sum is 2/6 + 2/3 = 1 = σ_v.
    let el = eigenlayer_check(&g);
    assert!(el.holds && el.violators.is_empty());
    assert!(el.gamma_star.as_ref().unwrap().is_zero_gamma());
    let e = exact(&r);
    assert!(e.secure);
    assert!(e.gamma_exact.as_ref().unwrap().is_zero_gamma(), "γ_exact = {}", e.gamma_exact.as_ref().unwrap());
    // The binding coalition is all six validators on all three services: σ = π = 6.
    let b = e.binding.unwrap();
    assert_eq!((b.stake, b.profit, b.services.len()), (6, 6, 3));
    let bf = brute_force(&g).unwrap();
    assert!(bf.secure && bf.gamma_exact.unwrap().is_zero_gamma());
}

#[test]
fn a_service_with_profit_and_no_validators_is_corrupted_for_free() {
    // REFERENCES.md §3 edge case 1: 0 ≥ α·0, so the empty coalition corrupts "orphan".
    // Eq. 3 cannot see it; the separate check does, and γ* = −1.
    let r = graph(&[("a", "10"), ("b", "10")], &[("covered", "1", "1/3", &["a", "b"]), ("orphan", "5", "2/3", &[])]);
    let g = RestakingGraph::from_spec(&r).unwrap();
    let el = eigenlayer_check(&g);
    assert!(el.holds, "Eq. 3 holds validator by validator");
    assert_eq!(el.unguarded, vec![1]);
    assert!(!el.certifies_secure());
    assert_eq!(el.gamma_star.as_ref().map(|m| m.gamma_fraction()), Some("-1".to_string()));
    let e = exact(&r);
    assert!(!e.secure);
    let b = e.binding.as_ref().unwrap();
    assert!(b.validators.is_empty() && b.services == vec![1]);
    assert_eq!(e.gamma_exact.as_ref().map(|m| m.gamma_fraction()), Some("-1".to_string()));
    let w = e.most_profitable.unwrap();
    assert_eq!((w.profit, w.stake), (5, 0), "corrupting `covered` too would cost 10 for 1");
    assert_eq!(brute_force(&g).unwrap().gamma_exact, e.gamma_exact);
}

#[test]
fn zero_stake_validators_are_skipped_in_gamma_star_and_harmless_elsewhere() {
    // REFERENCES.md §3 edge case 2. Adding "idle" (σ = 0) to a service changes nothing:
    // cancelling its σ_v = 0 would have invented the constraint T_idle ≤ 1.
    let base = graph(&[("a", "4"), ("b", "6")], &[("s", "3", "1/2", &["a", "b"]), ("t", "2", "1", &["b"])]);
    let with_idle = graph(
        &[("a", "4"), ("b", "6"), ("idle", "0")],
        &[("s", "3", "1/2", &["a", "b", "idle"]), ("t", "2", "1", &["b"]), ("u", "9", "1/3", &["idle"])],
    );
    let (g0, g1) = (RestakingGraph::from_spec(&base).unwrap(), RestakingGraph::from_spec(&with_idle).unwrap());
    let (e0, e1) = (eigenlayer_check(&g0), eigenlayer_check(&g1));
    // "u" has only the idle validator: σ_{N(u)} = 0, so it is unguarded.
    assert_eq!(e1.unguarded, vec![2]);
    assert!(!e1.violators.contains(&2) && e1.binding_validator != Some(2));
    // Without "u", the idle validator leaves γ* as it was.
    let no_u = graph(
        &[("a", "4"), ("b", "6"), ("idle", "0")],
        &[("s", "3", "1/2", &["a", "b", "idle"]), ("t", "2", "1", &["b"])],
    );
    let e2 = eigenlayer_check(&RestakingGraph::from_spec(&no_u).unwrap());
    assert_eq!(e2.gamma_star, e0.gamma_star);
    assert_eq!(exact(&no_u).gamma_exact, exact(&base).gamma_exact);
    // T_b = 3/(1/2 · 10) + 2/6 = 14/15: γ* = 15/14 − 1 = 1/14.
    assert_eq!(e0.gamma_star.as_ref().map(|m| m.gamma_fraction()), Some("1/14".to_string()));
    assert!(e1.gamma_star.unwrap().is_negative());
}

#[test]
fn the_search_and_the_enumeration_agree_on_medium_graphs() {
    // Deterministic graphs of 14 to 18 validators, beyond the property test's sizes.
    for seed in 1..=12u64 {
        let r = random_graph(seed, 14 + (seed as usize % 5), 6 + (seed as usize % 4), 0.35);
        let g = RestakingGraph::from_spec(&r).unwrap();
        let (e, bf) = (exact_check(&g, &ExactLimits::default()).unwrap(), brute_force(&g).unwrap());
        assert_eq!(e.secure, bf.secure, "seed {seed}");
        assert_eq!(e.gamma_exact, bf.gamma_exact, "seed {seed}");
        let gain = |x: &bulwark_attack::restaking::ExactCheck| x.most_profitable.as_ref().map(|a| a.profit - a.stake);
        assert_eq!(gain(&e), gain(&bf), "seed {seed}");
    }
}

#[test]
fn the_exact_search_reports_when_its_budget_runs_out() {
    let r = random_graph(7, 40, 12, 0.3);
    let g = RestakingGraph::from_spec(&r).unwrap();
    let limits = ExactLimits { max_nodes: 10, ..ExactLimits::default() };
    assert_eq!(exact_check(&g, &limits), Err(RestakingError::BudgetExceeded { nodes: 10 }));
    let small = ExactLimits { max_validators: 5, ..ExactLimits::default() };
    assert!(matches!(exact_check(&g, &small), Err(RestakingError::TooLarge { found: 40, limit: 5, .. })));
}

/// xorshift64* (Vigna), for deterministic graphs without a new dependency.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A graph near the security boundary: stakes of 1 to 100 USD, each validator in each
/// service with probability `p`, α of 1/3, 1/2 or 2/3, and profits of 40 % to 110 % of
/// α·σ_{N(s)}.
fn random_graph(seed: u64, n: usize, m: usize, p: f64) -> Restaking {
    let mut rng = XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let validators: Vec<RestakingValidator> = (0..n)
        .map(|i| RestakingValidator {
            id: format!("v{i}"),
            stake_usd: Ratio::new(u128::from(1 + rng.below(100)), 1).unwrap(),
        })
        .collect();
    let alphas = [(1, 3), (1, 2), (2, 3)];
    let services = (0..m)
        .map(|j| {
            let members: Vec<usize> = (0..n).filter(|_| (rng.below(1_000_000) as f64) < p * 1_000_000.0).collect();
            let (a, b) = alphas[rng.below(3) as usize];
            let restaked: u128 = members.iter().map(|&v| validators[v].stake_usd.numer()).sum();
            let pct = u128::from(40 + rng.below(71));
            RestakedService {
                id: format!("s{j}"),
                profit_usd: Ratio::new(restaked * a * pct, b * 100).unwrap(),
                threshold: Ratio::new(a, b).unwrap(),
                validators: members,
            }
        })
        .collect();
    Restaking { name: format!("random-{seed}"), validators, services }
}

fn small_graph() -> impl Strategy<Value = Restaking> {
    (1usize..=10, 1usize..=5).prop_flat_map(|(n, m)| {
        let alphas = prop_oneof![Just((1u128, 3u128)), Just((1, 2)), Just((2, 3)), Just((3, 4)), Just((1, 1))];
        (
            prop::collection::vec(prop_oneof![1 => Just(0u128), 6 => 1u128..40], n),
            prop::collection::vec((0u128..60, alphas, prop::collection::vec(any::<bool>(), n)), m),
        )
            .prop_map(|(stakes, services)| Restaking {
                name: "random".into(),
                validators: stakes
                    .iter()
                    .enumerate()
                    .map(|(i, &s)| RestakingValidator { id: format!("v{i}"), stake_usd: Ratio::new(s, 1).unwrap() })
                    .collect(),
                services: services
                    .into_iter()
                    .enumerate()
                    .map(|(j, (profit, (a, b), members))| RestakedService {
                        id: format!("s{j}"),
                        profit_usd: Ratio::new(profit, 2).unwrap(),
                        threshold: Ratio::new(a, b).unwrap(),
                        validators: members.iter().enumerate().filter(|(_, m)| **m).map(|(i, _)| i).collect(),
                    })
                    .collect(),
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The branch and bound finds what the plain enumeration finds: the same security
    /// verdict, the same γ_exact and the same best gain (sets may differ on ties).
    #[test]
    fn the_search_matches_the_brute_force(r in small_graph()) {
        let g = RestakingGraph::from_spec(&r).unwrap();
        let (e, bf) = (exact_check(&g, &ExactLimits::default()).unwrap(), brute_force(&g).unwrap());
        prop_assert_eq!(e.secure, bf.secure);
        prop_assert_eq!(&e.gamma_exact, &bf.gamma_exact);
        let gain = |x: &bulwark_attack::restaking::ExactCheck| x.most_profitable.as_ref().map(|a| a.profit - a.stake);
        prop_assert_eq!(gain(&e), gain(&bf));
        if let Some(b) = &e.binding {
            prop_assert_eq!(&g.attacked_by(&b.validators), &b.services);
        }
    }

    /// γ* never exceeds γ_exact (Corollary 2), and the EigenLayer condition with no
    /// unguarded service implies security.
    #[test]
    fn gamma_star_is_a_lower_bound_on_the_exact_slack(r in small_graph()) {
        let g = RestakingGraph::from_spec(&r).unwrap();
        let (el, e) = (eigenlayer_check(&g), brute_force(&g).unwrap());
        if let (Some(star), Some(exact)) = (&el.gamma_star, &e.gamma_exact) {
            prop_assert!(star <= exact, "γ* = {} > γ_exact = {}", star, exact);
        }
        if el.certifies_secure() {
            prop_assert!(e.secure);
        }
        // γ* unbounded means no guarded service has a profit: then only unguarded ones pay.
        if el.gamma_star.is_none() {
            prop_assert!(e.gamma_exact.is_none());
        }
    }

    /// Theorem 1: with γ_exact > 0, R_ψ < (1 + 1/γ)·ψ; and the loss grows with the shock.
    #[test]
    fn cascades_respect_theorem1_and_grow_with_the_shock(r in small_graph()) {
        let g = RestakingGraph::from_spec(&r).unwrap();
        let e = brute_force(&g).unwrap();
        let mut last = (0.0, 0.0);
        for psi in ["1/100", "1/20", "1/10", "1/5", "1/2"] {
            let c = worst_case_loss(&g, ratio(psi)).unwrap();
            if let Some(f) = e.gamma_exact.as_ref().and_then(theorem1_factor) {
                let bound = f * ratio(psi).to_f64();
                prop_assert!(c.r_psi_f64() < bound * (1.0 + 1e-12), "ψ = {}: R = {} ≥ {}", psi, c.r_psi_f64(), bound);
            }
            let now = (c.cascade_loss.to_f64(), c.total_loss.to_f64());
            prop_assert!(now.0 >= last.0 && now.1 >= last.1, "loss fell from {:?} to {:?} at ψ = {}", last, now, psi);
            last = now;
        }
    }
}

fn parse(text: &str) -> Result<bulwark_spec::Protocol, bulwark_spec::SpecErrors> {
    bulwark_spec::parse_str(text, Path::new("spec.toml"), Path::new("."))
}

#[test]
fn the_spec_round_trips_exact_amounts() {
    let p = parse(
        r#"
[protocol]
name = "round trip"

[restaking]
name = "Theorem 2"
validators = [{ id = "a", stake = 0.1 }, { id = "b", stake = 0.9 }, { id = "idle", stake = 0 }]
services = [{ id = "x", profit = 1, threshold = "1", validators = ["a", "b"] }, { id = "y", profit = 2.5e-1, threshold = "1/3", validators = [] }]
"#,
    )
    .unwrap();
    let r = p.restaking.as_ref().unwrap();
    assert_eq!(r.name, "Theorem 2");
    assert_eq!(r.validators[0].stake_usd, ratio("1/10"));
    assert_eq!(r.validators[1].stake_usd, ratio("9/10"), "0.9 is read as 9/10, not the nearest f64");
    assert_eq!(r.services[1].profit_usd, ratio("1/4"));
    assert_eq!(r.services[0].threshold, ratio("1"));
    assert_eq!(r.services[0].validators, vec![0, 1]);
    assert!(r.services[1].validators.is_empty());
    // Without "y" it is the Theorem 2 graph.
    let mut t2 = r.clone();
    t2.services.pop();
    let e = exact(&t2);
    assert!(e.secure && e.gamma_exact.unwrap().is_zero_gamma());
}

#[test]
fn the_spec_reports_every_mistake_in_the_graph() {
    let errors = parse(
        r#"
[protocol]
name = "mistakes"

[restaking]
validators = [{ id = "operator-1", stake = 100.0 }, { id = "operator-1", stake = 5.0 }, { id = "operator-2", stake = -1.0 }]
services = [
    { id = "oracle", profit = 10.0, threshold = "1/3", validators = ["operator-l"] },
    { id = "oracle", profit = 1.0, threshold = "4/3", validators = [] },
    { id = "bridge", profit = -2, threshold = "0", validators = [] },
]
"#,
    )
    .unwrap_err();
    let kinds: Vec<String> = errors.iter().map(|e| format!("{} {}", e.path, e.kind)).collect();
    let text = kinds.join("\n");
    assert!(text.contains("restaking.validators[1] = \"operator-1\" is defined twice"), "{text}");
    assert!(text.contains("restaking.validators[2].stake = -1.0 is out of range: must be zero or more USD"), "{text}");
    // The validators could not be read, so the services' names are not resolved yet.
    assert!(!text.contains("names no validator"), "{text}");
    assert!(text.contains("threshold = \"4/3\" is out of range"), "{text}");
    assert!(text.contains("threshold = \"0\" is out of range"), "{text}");
    assert!(text.contains("restaking.services[2].profit = -2 is out of range"), "{text}");

    let errors = parse(
        r#"
[protocol]
name = "typo"
[restaking]
validators = [{ id = "operator-1", stake = 100.0 }]
services = [
    { id = "oracle", profit = 10.0, threshold = "1/3", validators = ["operator-l", "operator-1", "operator-1"] },
    { id = "oracle", profit = 1.0, threshold = "1/2", validators = [] },
]
"#,
    )
    .unwrap_err();
    let kinds: Vec<&ErrorKind> = errors.iter().map(|e| &e.kind).collect();
    assert!(kinds.iter().any(
        |k| matches!(k, ErrorKind::UnknownReference { what: "validator", suggestion: Some(s), .. } if s == "operator-1")
    ));
    assert!(kinds.iter().any(|k| **k == ErrorKind::Duplicate("operator-1".into())), "a validator listed twice");
    assert!(kinds.iter().any(|k| **k == ErrorKind::Duplicate("oracle".into())), "a service defined twice");
}

#[test]
fn the_vector_reports_the_tie_as_bulwark_judges_it() {
    let p = parse(
        r#"
[protocol]
name = "Theorem 2"
[restaking]
validators = [{ id = "a", stake = 0.1 }, { id = "b", stake = 0.9 }]
services = [{ id = "x", profit = 1, threshold = "1", validators = ["a", "b"] }]
"#,
    )
    .unwrap();
    let v = restaking_vectors(&p, 0.5);
    assert_eq!(v.len(), 1);
    let v = &v[0];
    // DR24: secure (no valid attack); REFERENCES.md §1: CoC = PfC is not secure.
    assert_eq!((v.coc_usd, v.pfc_usd, v.slack, v.verdict), (1.0, Some(1.0), Some(0.0), Verdict::Insecure));
    assert!(v.assumptions.iter().any(|a| a.contains("DR24 call this secure")), "{:#?}", v.assumptions);
    assert_eq!(v.breakdown.len(), 2);
    let s = restaking_summary(&p).unwrap();
    assert_eq!(s.secure, Some(true));
    assert_eq!((s.gamma_star_fraction.as_deref(), s.gamma_exact_fraction.as_deref()), (Some("0"), Some("0")));
    assert_eq!(s.eigenlayer_condition_holds, Some(true));
    assert_eq!(s.worst_attack, None);
    assert_eq!(s.cascade_bound_per_psi, None);
    let at_tenth = s.cascades.iter().find(|c| c.psi == 0.1).unwrap();
    assert_eq!(
        (at_tenth.worst_case_loss, at_tenth.shock.clone(), at_tenth.cascade.clone()),
        (Some(1.0), vec!["a".to_string()], vec!["b".to_string()])
    );
    assert!(serde_json::to_string(&s).unwrap().contains("\"gamma_star\":0.0"));
}

#[test]
fn a_graph_with_slack_is_secure_and_bounds_its_cascades() {
    // Two validators, one service, α = 1/2: the cheapest attack takes b alone (σ = 6 ≥ 5)
    // for π = 3: γ_exact = 6/3 − 1 = 1, Theorem 1 factor 1 + 1/1 = 2.
    let r = graph(&[("a", "4"), ("b", "6")], &[("s", "3", "1/2", &["a", "b"])]);
    let a = analyze(&r, &ExactLimits::default()).unwrap();
    let v = a.vector(0.5);
    assert_eq!((v.coc_usd, v.pfc_usd, v.slack, v.verdict), (6.0, Some(3.0), Some(1.0), Verdict::Secure));
    let s = a.summary();
    assert_eq!(s.gamma_exact_fraction.as_deref(), Some("1"));
    assert_eq!(s.cascade_bound_per_psi, Some(2.0));
    for c in &s.cascades {
        assert!(c.worst_case_loss.unwrap() < c.bound.unwrap());
    }
}

#[test]
fn large_graphs_report_the_proxy_and_the_bound_only() {
    // 30 validators: beyond the cascade enumeration, within the exact search.
    let r = random_graph(3, 30, 8, 0.3);
    let s = analyze(&r, &ExactLimits::default()).unwrap().summary();
    assert!(s.gamma_exact.is_some());
    assert!(s.cascades.iter().all(|c| c.worst_case_loss.is_none()));
    assert!(s.notes.iter().any(|n| n.contains("cascades not enumerated")), "{:?}", s.notes);
    // With no node budget the vector falls back on γ*.
    let a = analyze(&r, &ExactLimits { max_nodes: 1, ..ExactLimits::default() }).unwrap();
    let v = a.vector(0.5);
    assert!(v.assumptions.iter().any(|x| x.contains("exact check not run")), "{:#?}", v.assumptions);
}

#[test]
fn the_restaking_example_is_analyzed() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/restaking.toml");
    let p = bulwark_spec::load(&path).unwrap();
    let s = restaking_summary(&p).unwrap();
    assert!(s.validators >= 8 && s.services >= 5, "{s:#?}");
    assert!(s.gamma_exact.is_some() && s.secure.is_some(), "{s:#?}");
    let (star, exact) = (s.gamma_star.unwrap(), s.gamma_exact.unwrap());
    assert!(star <= exact + 1e-12, "γ* = {star} > γ_exact = {exact}");
    assert!(s.cascades.iter().all(|c| c.worst_case_loss.is_some()), "the example is small enough to enumerate");
    assert_eq!(restaking_vectors(&p, 0.5).len(), 1);
}
