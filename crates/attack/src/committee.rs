//! Committees and multisigs: the cost to forge a message (k signatures) and to halt
//! (n − k + 1 refusals), with keys merged by the entity that holds them, as at Ronin
//! where four of nine keys sat with one company (REFERENCES.md §5.2–5.3).

use bulwark_spec::model::governance::{Committee, Signer};
use serde::Serialize;

use crate::vector::{CostItem, CostKind, PfcBasis, Vector, VectorKind, judge};

/// Entity-level counts for one committee.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommitteeSummary {
    /// The committee.
    pub name: String,
    /// k.
    pub threshold: u64,
    /// n.
    pub size: u64,
    /// Fewest entities whose keys reach k: the entity-level Nakamoto coefficient of safety.
    pub entities_to_forge: Option<usize>,
    /// Fewest entities whose keys reach n − k + 1 (liveness).
    pub entities_to_halt: Option<usize>,
    /// Least cost to corrupt entities holding k keys, in USD, when every signer's cost is known.
    pub forge_cost_usd: Option<f64>,
    /// Least cost to corrupt entities holding n − k + 1 keys (enough to refuse every
    /// message), in USD, when every signer's cost is known.
    pub halt_cost_usd: Option<f64>,
}

/// The fewest entities, largest holdings first, whose keys reach `need`.
fn fewest_entities(signers: &[Signer], need: u64) -> Option<usize> {
    let mut counts: Vec<u64> = signers.iter().map(|s| s.count).collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let mut acc = 0;
    for (i, c) in counts.iter().enumerate() {
        acc += c;
        if acc >= need {
            return Some(i + 1);
        }
    }
    None
}

/// The cheapest set of entities whose keys reach `need`, exactly: a 0/1 knapsack over
/// keys (dp[j] = least cost to control j keys, capped at `need`). One bribe or
/// compromise of an entity buys all its keys. `None` if any signer's cost is unknown
/// or the keys do not reach `need`.
///
/// # Formula
/// REFERENCES.md §5.3: forge = the k cheapest signers after merging by entity; with
/// per-entity costs c_e and key counts n_e, minimize Σ c_e subject to Σ n_e ≥ need.
pub fn cheapest_coalition(signers: &[Signer], need: u64) -> Option<(f64, Vec<String>)> {
    let need = usize::try_from(need).ok()?;
    let costs: Option<Vec<f64>> = signers.iter().map(|s| s.cost_usd).collect();
    let costs = costs?;
    // dp[j] = (cost, chosen entities) to control at least j keys.
    let mut dp: Vec<Option<(f64, Vec<usize>)>> = vec![None; need + 1];
    dp[0] = Some((0.0, Vec::new()));
    for (i, signer) in signers.iter().enumerate() {
        let keys = usize::try_from(signer.count).unwrap_or(usize::MAX);
        for j in (0..=need).rev() {
            if let Some((cost, chosen)) = dp[j].clone() {
                let to = (j.saturating_add(keys)).min(need);
                let candidate = cost + costs[i];
                if dp[to].as_ref().is_none_or(|(c, _)| candidate < *c) {
                    let mut chosen = chosen;
                    chosen.push(i);
                    dp[to] = Some((candidate, chosen));
                }
            }
        }
    }
    let (cost, chosen) = dp[need].clone()?;
    Some((cost, chosen.into_iter().map(|i| signers[i].entity.clone()).collect()))
}

/// Entity-level counts of a committee.
pub fn committee_summary(c: &Committee) -> CommitteeSummary {
    let halt = c.multisig.size - c.multisig.threshold + 1;
    CommitteeSummary {
        name: c.name.clone(),
        threshold: c.multisig.threshold,
        size: c.multisig.size,
        entities_to_forge: (!c.signers.is_empty()).then(|| fewest_entities(&c.signers, c.multisig.threshold)).flatten(),
        entities_to_halt: (!c.signers.is_empty()).then(|| fewest_entities(&c.signers, halt)).flatten(),
        forge_cost_usd: cheapest_coalition(&c.signers, c.multisig.threshold).map(|(cost, _)| cost),
        halt_cost_usd: cheapest_coalition(&c.signers, halt).map(|(cost, _)| cost),
    }
}

/// The halt vector of a committee: the cheapest entities holding n − k + 1 keys, whose
/// refusal stops every message. What a halt yields (ransom, a short position, a rival's
/// gain) is not in the spec, so the PfC stays unknown.
pub fn committee_halt_vector(c: &Committee) -> Vector {
    let halt = c.multisig.size - c.multisig.threshold + 1;
    let (coc_usd, breakdown, note) = match cheapest_coalition(&c.signers, halt) {
        Some((cost, entities)) => (
            cost,
            vec![CostItem { label: format!("corrupt {}", entities.join(", ")), usd: cost, kind: CostKind::Acquired }],
            format!("the cheapest entities holding {halt} keys are {}", entities.join(", ")),
        ),
        None => (0.0, Vec::new(), "signer costs are not given: the cost to halt is not computed".to_string()),
    };
    Vector {
        vector: format!("committee: halt {}", c.name),
        kind: VectorKind::Committee,
        coc_usd,
        pfc_usd: None,
        pfc_basis: PfcBasis::Unknown("what a halt yields (ransom, a position betting on it) is not in the spec".into()),
        slack: None,
        verdict: crate::Verdict::Unknown,
        breakdown,
        time_s: None,
        assumptions: vec![format!("halting needs {halt} of {} keys (n − k + 1) to refuse", c.multisig.size), note],
    }
}

/// The forge vector of a committee: the cheapest entities that reach k, against the value
/// its signatures release after rate limits.
pub fn committee_vector(c: &Committee, at_risk_below: f64) -> Vector {
    let summary = committee_summary(c);
    let pfc_usd = c.rate_limit_usd.map_or(c.value_secured_usd, |limit| limit.min(c.value_secured_usd));
    let pfc_basis = PfcBasis::Input(match c.rate_limit_usd {
        Some(limit) => format!("value secured ${:.0}, capped by the rate limit ${limit:.0}", c.value_secured_usd),
        None => format!("value secured ${:.0} (no rate limit given)", c.value_secured_usd),
    });
    let mut assumptions = vec![format!(
        "forging needs {} of {} keys; {}",
        c.multisig.threshold,
        c.multisig.size,
        match summary.entities_to_forge {
            Some(n) => format!("merged by entity, {n} entities hold that many"),
            None => "the spec does not say who holds the keys: each key counts as its own entity".to_string(),
        }
    )];
    let (coc_usd, breakdown, known) = match cheapest_coalition(&c.signers, c.multisig.threshold) {
        Some((cost, entities)) => {
            assumptions.push(format!("the cheapest coalition is {}", entities.join(", ")));
            let breakdown = entities
                .iter()
                .filter_map(|e| c.signers.iter().find(|s| &s.entity == e))
                .map(|s| CostItem {
                    label: format!("corrupt {} ({} key{})", s.entity, s.count, if s.count == 1 { "" } else { "s" }),
                    usd: s.cost_usd.unwrap_or(0.0),
                    kind: CostKind::Acquired,
                })
                .collect();
            (cost, breakdown, true)
        }
        None => {
            assumptions.push("signer costs are not given: the cost to forge is not computed".into());
            (0.0, Vec::new(), false)
        }
    };
    let (slack, verdict) =
        if known { judge(coc_usd, Some(pfc_usd), at_risk_below) } else { (None, crate::Verdict::Unknown) };
    Vector {
        vector: format!("committee: forge a message of {}", c.name),
        kind: VectorKind::Committee,
        coc_usd,
        pfc_usd: Some(pfc_usd),
        pfc_basis,
        slack,
        verdict,
        breakdown,
        time_s: None,
        assumptions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(entity: &str, count: u64, cost: f64) -> Signer {
        Signer { entity: entity.into(), count, cost_usd: Some(cost) }
    }

    #[test]
    fn ronin_needs_two_entities_not_five() {
        // Ronin, March 2022: 5-of-9, four keys with Sky Mavis and one allowlisted Axie DAO key
        // (REFERENCES.md §5.2): entity-level NC_safety = 2.
        let mut signers = vec![signer("Sky Mavis", 4, 1.0), signer("Axie DAO", 1, 1.0)];
        signers.extend((0..4).map(|i| signer(&format!("validator {i}"), 1, 1.0)));
        assert_eq!(fewest_entities(&signers, 5), Some(2));
        let (cost, entities) = cheapest_coalition(&signers, 5).unwrap();
        assert_eq!(cost, 2.0);
        assert_eq!(entities.len(), 2);
    }

    #[test]
    fn the_cheapest_coalition_is_not_always_the_largest_holders() {
        // Need 3 keys: one entity holds 3 keys for 100; three hold 1 key for 10 each.
        let signers = vec![signer("big", 3, 100.0), signer("a", 1, 10.0), signer("b", 1, 10.0), signer("c", 1, 10.0)];
        assert_eq!(cheapest_coalition(&signers, 3).map(|(c, _)| c), Some(30.0));
        assert_eq!(fewest_entities(&signers, 3), Some(1));
    }

    #[test]
    fn unknown_costs_leave_the_verdict_unknown() {
        let c = Committee {
            name: "bridge".into(),
            multisig: bulwark_spec::model::governance::Multisig { size: 3, threshold: 2 },
            value_secured_usd: 1e6,
            rate_limit_usd: Some(1e5),
            signers: vec![Signer { entity: "x".into(), count: 3, cost_usd: None }],
        };
        let v = committee_vector(&c, 0.5);
        assert_eq!(v.verdict, crate::Verdict::Unknown);
        assert_eq!(v.pfc_usd, Some(1e5), "the rate limit caps what one forged message releases");
    }
}
