//! Every vector of a protocol at once: what `bulwark attack` prints and what the
//! report's cost-of-attack section shows.

use bulwark_spec::Protocol;
use serde::Serialize;

use crate::committee::{CommitteeSummary, committee_halt_vector, committee_summary, committee_vector};
use crate::consensus::{ConsensusOptions, ConsensusSummary, consensus_summary, consensus_vectors};
use crate::dispersion::{CorrelatedFailure, Dimension, Dispersion, correlated_failure, dispersion};
use crate::governance::{GovernanceOptions, governance_vector};
use crate::oracle::{AssetManipulation, OracleOptions, oracle_assessment};
use crate::restaking::{ExactLimits, RestakingSummary, analyze, restaking_vectors};
use crate::vector::{DEFAULT_AT_RISK_BELOW, Vector, Verdict};

/// Options of an attack assessment.
#[derive(Debug, Clone, Default)]
pub struct AttackOptions {
    /// Consensus vectors: fork, margin.
    pub consensus: ConsensusOptions,
    /// Oracle vectors.
    pub oracle: OracleOptions,
    /// Governance vector.
    pub governance: GovernanceOptions,
    /// Margin below which a vector is at risk (applied to every family).
    pub at_risk_below: Option<f64>,
}

/// Every vector, with the dispersion and committee figures behind them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttackAssessment {
    /// The margin below which a vector is reported at risk.
    pub at_risk_below: f64,
    /// Every vector, cheapest attack first within each family.
    pub vectors: Vec<Vector>,
    /// The smallest slack over vectors with a PfC (REFERENCES.md §1 rule 2: report the minimum).
    pub minimum_slack: Option<f64>,
    /// The vector with that slack.
    pub weakest_vector: Option<String>,
    /// Consensus figures: Nakamoto coefficients by dimension, costs.
    pub consensus: Option<ConsensusSummary>,
    /// Dispersion of the validator set along every dimension the data has.
    pub dispersion: Vec<Dispersion>,
    /// Correlated failure by country, hosting provider and client.
    pub correlated_failure: Vec<CorrelatedFailure>,
    /// Entity-level counts per committee.
    pub committees: Vec<CommitteeSummary>,
    /// Per asset: the cheapest manipulation and the smallest profitable move.
    pub oracles: Vec<AssetManipulation>,
    /// The restaking network's checks (EigenLayer condition, γ*, exact slack, cascades).
    pub restaking: Option<RestakingSummary>,
}

impl AttackAssessment {
    /// Whether any vector's verdict is at least as bad as `worst_allowed` allows:
    /// `Insecure` fails only on insecure vectors, `AtRisk` on at-risk ones too.
    pub fn fails(&self, fail_on: Verdict) -> bool {
        self.vectors.iter().any(|v| match fail_on {
            Verdict::Insecure => v.verdict == Verdict::Insecure,
            Verdict::AtRisk => matches!(v.verdict, Verdict::Insecure | Verdict::AtRisk),
            _ => false,
        })
    }
}

/// Prices every vector the spec describes.
pub fn assess(p: &Protocol, opts: &AttackOptions) -> AttackAssessment {
    let at_risk_below = opts.at_risk_below.unwrap_or(DEFAULT_AT_RISK_BELOW);
    let mut consensus_opts = opts.consensus.clone();
    let mut oracle_opts = opts.oracle.clone();
    let mut governance_opts = opts.governance;
    consensus_opts.at_risk_below = at_risk_below;
    oracle_opts.at_risk_below = at_risk_below;
    governance_opts.at_risk_below = at_risk_below;

    let mut vectors = consensus_vectors(p, &consensus_opts);
    let oracle = oracle_assessment(p, &oracle_opts);
    vectors.extend(oracle.vectors);
    vectors.extend(governance_vector(p, &governance_opts));
    for c in &p.committees {
        vectors.push(committee_vector(c, at_risk_below));
        vectors.push(committee_halt_vector(c));
    }
    // The restaking analysis runs once for both its vector and its summary.
    let restaking = p.restaking.as_ref().map(|r| (r, analyze(r, &ExactLimits::default())));
    let restaking_summary = match &restaking {
        Some((_, Ok(analysis))) => {
            vectors.push(analysis.vector(at_risk_below));
            Some(analysis.summary())
        }
        Some((_, Err(_))) => {
            vectors.extend(restaking_vectors(p, at_risk_below));
            None
        }
        None => None,
    };

    let weakest = vectors.iter().filter_map(|v| v.slack.map(|s| (s, v))).min_by(|a, b| a.0.total_cmp(&b.0));
    let (dispersion, correlated) = match &p.consensus {
        Some(c) => (
            Dimension::ALL.iter().filter_map(|d| dispersion(&c.validators, *d)).collect(),
            [Dimension::Country, Dimension::Asn, Dimension::Client]
                .iter()
                .filter_map(|d| correlated_failure(&c.validators, *d))
                .collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    AttackAssessment {
        at_risk_below,
        minimum_slack: weakest.map(|(s, _)| s),
        weakest_vector: weakest.map(|(_, v)| v.vector.clone()),
        vectors,
        consensus: consensus_summary(p),
        dispersion,
        correlated_failure: correlated,
        committees: p.committees.iter().map(committee_summary).collect(),
        oracles: oracle.assets,
        restaking: restaking_summary,
    }
}
