//! Risk targets as users write them: `p99 bad debt < 0.5% of debt`,
//! `P(insolvency) < 1%`, `mean bad debt < 2000000 USD`.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::run::Summary;

/// The figure a target bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TargetMetric {
    /// Mean bad debt.
    MeanBadDebt,
    /// 95th percentile of bad debt.
    P95BadDebt,
    /// 99th percentile of bad debt.
    P99BadDebt,
    /// Mean of the worst 1 % of bad debt.
    Cvar99BadDebt,
    /// Probability that bad debt exceeds 1 % of debt.
    ProbInsolvency,
    /// Probability of any bad debt.
    ProbAnyBadDebt,
}

/// The bound of a target.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Limit {
    /// A share of the market's total debt.
    ShareOfDebt(f64),
    /// USD.
    Usd(f64),
    /// A probability.
    Probability(f64),
}

/// `metric < limit`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Target {
    /// The figure bounded.
    pub metric: TargetMetric,
    /// Its bound.
    pub limit: Limit,
}

/// Why a target could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--target `{input}`: {problem}")]
pub struct TargetError {
    /// What was given.
    pub input: String,
    /// What is wrong and what is valid.
    pub problem: String,
}

const METRICS: &[(&str, TargetMetric)] = &[
    ("mean bad debt", TargetMetric::MeanBadDebt),
    ("p95 bad debt", TargetMetric::P95BadDebt),
    ("var95", TargetMetric::P95BadDebt),
    ("p99 bad debt", TargetMetric::P99BadDebt),
    ("var99", TargetMetric::P99BadDebt),
    ("cvar99 bad debt", TargetMetric::Cvar99BadDebt),
    ("cvar99", TargetMetric::Cvar99BadDebt),
    ("p(insolvency)", TargetMetric::ProbInsolvency),
    ("prob insolvency", TargetMetric::ProbInsolvency),
    ("probability of insolvency", TargetMetric::ProbInsolvency),
    ("p(any bad debt)", TargetMetric::ProbAnyBadDebt),
    ("prob any bad debt", TargetMetric::ProbAnyBadDebt),
];

impl FromStr for Target {
    type Err = TargetError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |problem: String| TargetError { input: s.to_string(), problem };
        let (lhs, rhs) = s.split_once('<').ok_or_else(|| {
            bad("expected `FIGURE < LIMIT`, e.g. `p99 bad debt < 0.5% of debt` or `P(insolvency) < 1%`".into())
        })?;
        let name = lhs.trim().to_ascii_lowercase();
        let metric = METRICS.iter().find(|(n, _)| *n == name).map(|(_, m)| *m).ok_or_else(|| {
            bad(format!(
                "unknown figure `{}`; valid: {}",
                lhs.trim(),
                METRICS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            ))
        })?;
        let rhs = rhs.trim().trim_start_matches('=').trim().to_ascii_lowercase();
        let number = |t: &str| -> Result<f64, TargetError> {
            let t = t.trim().replace(['_', ','], "");
            let (t, scale) = match t.strip_suffix('%') {
                Some(p) => (p.trim().to_string(), 0.01),
                None => (t, 1.0),
            };
            t.trim_start_matches('$')
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x >= 0.0)
                .map(|x| x * scale)
                .ok_or_else(|| bad(format!("`{t}` is not a non-negative number")))
        };
        let probability = matches!(metric, TargetMetric::ProbInsolvency | TargetMetric::ProbAnyBadDebt);
        let limit = if probability {
            let p = number(&rhs)?;
            if p > 1.0 {
                return Err(bad("a probability is at most 1 (or 100%)".into()));
            }
            Limit::Probability(p)
        } else if let Some(share) = rhs.strip_suffix("of debt") {
            Limit::ShareOfDebt(number(share)?)
        } else if let Some(usd) = rhs.strip_suffix("usd") {
            Limit::Usd(number(usd)?)
        } else if rhs.starts_with('$') {
            Limit::Usd(number(&rhs)?)
        } else {
            return Err(bad("a bad-debt limit is `X% of debt`, `N USD` or `$N`".into()));
        };
        Ok(Self { metric, limit })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.metric {
            TargetMetric::MeanBadDebt => "mean bad debt",
            TargetMetric::P95BadDebt => "p95 bad debt",
            TargetMetric::P99BadDebt => "p99 bad debt",
            TargetMetric::Cvar99BadDebt => "CVaR99 bad debt",
            TargetMetric::ProbInsolvency => "P(insolvency)",
            TargetMetric::ProbAnyBadDebt => "P(any bad debt)",
        };
        match self.limit {
            Limit::ShareOfDebt(x) => write!(f, "{name} < {}% of debt", x * 100.0),
            Limit::Usd(x) => write!(f, "{name} < {x} USD"),
            Limit::Probability(x) => write!(f, "{name} < {}%", x * 100.0),
        }
    }
}

impl Target {
    /// The figure and its standard error, in the limit's unit (a share of debt, USD or a
    /// probability), so that it compares with [`Target::bound`].
    pub fn measure(&self, s: &Summary) -> (f64, f64) {
        let e = &s.std_error;
        let (usd, se) = match self.metric {
            TargetMetric::MeanBadDebt => (s.bad_debt.mean, e.bad_debt_mean),
            TargetMetric::P95BadDebt => (s.var95_usd, e.var95_usd),
            TargetMetric::P99BadDebt => (s.var99_usd, e.var99_usd),
            TargetMetric::Cvar99BadDebt => (s.cvar99_usd, e.cvar99_usd),
            TargetMetric::ProbInsolvency => return (s.prob_insolvency, e.prob_insolvency),
            TargetMetric::ProbAnyBadDebt => return (s.prob_any_bad_debt, e.prob_any_bad_debt),
        };
        match self.limit {
            Limit::ShareOfDebt(_) => {
                let d = s.total_debt_usd.max(f64::MIN_POSITIVE);
                (usd / d, se / d)
            }
            _ => (usd, se),
        }
    }

    /// The limit as a number in the unit of [`Target::measure`].
    pub fn bound(&self) -> f64 {
        match self.limit {
            Limit::ShareOfDebt(x) | Limit::Usd(x) | Limit::Probability(x) => x,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_issue_s_targets() {
        let t: Target = "p99 bad debt < 0.5% of debt".parse().unwrap();
        assert_eq!(t.metric, TargetMetric::P99BadDebt);
        assert!(matches!(t.limit, Limit::ShareOfDebt(x) if (x - 0.005).abs() < 1e-15));
        let t: Target = "P(insolvency) < 1%".parse().unwrap();
        assert!(matches!(t.limit, Limit::Probability(x) if (x - 0.01).abs() < 1e-15));
        let t: Target = "mean bad debt < $2,000,000".parse().unwrap();
        assert!(matches!(t.limit, Limit::Usd(x) if x == 2.0e6));
        assert!("p98 bad debt < 1% of debt".parse::<Target>().is_err());
        assert!("P(insolvency) < 150%".parse::<Target>().is_err());
        assert!("p99 bad debt < 1%".parse::<Target>().is_err());
    }
}
