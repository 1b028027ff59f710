//! One attack vector priced: the cost of corruption (CoC) against the profit from
//! corruption (PfC), the slack γ = CoC/PfC − 1 and a verdict (REFERENCES.md §1).

use serde::Serialize;

/// An attack vector, priced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vector {
    /// What the attacker does, e.g. `consensus: halt finality (> 1/3 of stake)`.
    pub vector: String,
    /// The family of the vector.
    pub kind: VectorKind,
    /// The least the attack costs, in USD.
    pub coc_usd: f64,
    /// What the attack yields, in USD, when known.
    pub pfc_usd: Option<f64>,
    /// Where the PfC comes from: an input of the spec, or an estimate with its basis.
    pub pfc_basis: PfcBasis,
    /// γ = CoC/PfC − 1, floored to 1/1000 (a margin is never rounded up); `None` without a PfC.
    pub slack: Option<f64>,
    /// Secure, at risk, insecure, or unknown without a PfC.
    pub verdict: Verdict,
    /// The parts of the CoC.
    pub breakdown: Vec<CostItem>,
    /// Time the attack needs, in seconds, when it matters (entry queues, holding a TWAP).
    pub time_s: Option<f64>,
    /// The assumptions, in words.
    pub assumptions: Vec<String>,
}

/// Families of vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum VectorKind {
    /// Consensus stake: halting or finalizing on one's own.
    Consensus,
    /// Oracle manipulation: spot, TWAP, push feeds.
    Oracle,
    /// Token governance.
    Governance,
    /// Bridge, guardian and multisig committees.
    Committee,
    /// Restaking networks.
    Restaking,
}

/// Where a PfC figure comes from (REFERENCES.md §1 rule 1: PfC is an input with provenance).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "basis")]
pub enum PfcBasis {
    /// Given in the spec (e.g. a committee's `value_secured`).
    Input(String),
    /// Derived by bulwark, with the basis in words.
    Estimate(String),
    /// Not known: the spec gives nothing to derive it from.
    Unknown(String),
}

/// One part of a CoC.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostItem {
    /// What it is, e.g. `stake bought on Uniswap v3 WETH/USDC, with price impact`.
    pub label: String,
    /// Its amount, in USD.
    pub usd: f64,
    /// Acquired capital, destroyed capital, or the cost of time.
    pub kind: CostKind,
}

/// The three parts of a CoC (REFERENCES.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CostKind {
    /// Capital bought, borrowed or rented, price impact included.
    Acquired,
    /// Capital lost: slashing, arbitrage, fees.
    Destroyed,
    /// Opportunity cost of time.
    Time,
}

/// The verdict on a vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// γ at or above the chosen margin.
    Secure,
    /// 0 < γ below the chosen margin.
    AtRisk,
    /// CoC ≤ PfC: the attack pays.
    Insecure,
    /// No PfC to compare with.
    Unknown,
}

/// The margin below which a vector that is secure in principle is reported at risk.
pub const DEFAULT_AT_RISK_BELOW: f64 = 0.5;

/// γ = CoC/PfC − 1, floored to a thousandth, and the verdict against `at_risk_below`.
pub fn judge(coc_usd: f64, pfc_usd: Option<f64>, at_risk_below: f64) -> (Option<f64>, Verdict) {
    match pfc_usd {
        Some(pfc) if pfc > 0.0 => {
            let gamma = ((coc_usd / pfc - 1.0) * 1000.0).floor() / 1000.0;
            let verdict = if coc_usd <= pfc {
                Verdict::Insecure
            } else if gamma < at_risk_below {
                Verdict::AtRisk
            } else {
                Verdict::Secure
            };
            (Some(gamma), verdict)
        }
        Some(_) => (None, Verdict::Secure),
        None => (None, Verdict::Unknown),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_is_floored_and_the_boundary_is_insecure() {
        // Secure iff CoC > PfC (REFERENCES.md §1): equality is insecure.
        assert_eq!(judge(100.0, Some(100.0), 0.5), (Some(0.0), Verdict::Insecure));
        assert_eq!(judge(149.99, Some(100.0), 0.5), (Some(0.499), Verdict::AtRisk));
        assert_eq!(judge(150.0, Some(100.0), 0.5), (Some(0.5), Verdict::Secure));
        assert_eq!(judge(1.0, None, 0.5), (None, Verdict::Unknown));
    }
}
