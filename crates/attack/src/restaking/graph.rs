//! The restaking graph in exact integer units, and the exact margin type the checks
//! report.

use std::cmp::Ordering;
use std::fmt;

use alloy_primitives::U256;
use bulwark_spec::model::restaking::Restaking;
use bulwark_spec::units::Ratio;

use super::bignat::BigNat;

/// Why a restaking check could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RestakingError {
    /// The amounts' denominators have no common multiple that fits 128 bits.
    #[error("the stakes and profits have no common denominator within 128 bits")]
    ScaleOverflow,
    /// A total, in integer units, exceeds what the checks handle without overflow.
    #[error("the total {what} is too large for exact integer arithmetic ({bits} bits; at most {limit})")]
    Overflow {
        /// Which total.
        what: &'static str,
        /// Its size in bits.
        bits: u32,
        /// The most bits allowed.
        limit: u32,
    },
    /// A threshold outside (0, 1] (the spec refuses it; a graph built by hand may not).
    #[error("service {service} has threshold {threshold}, outside (0, 1]")]
    Threshold {
        /// The service.
        service: String,
        /// Its threshold.
        threshold: Ratio,
    },
    /// A service lists a validator index that does not exist, or one twice.
    #[error("service {service} lists validator index {index}, which is out of range or repeated")]
    BadEdge {
        /// The service.
        service: String,
        /// The index it lists.
        index: usize,
    },
    /// The graph is beyond what an enumeration handles.
    #[error("{check} handles at most {limit} {what}; this graph has {found}")]
    TooLarge {
        /// The check.
        check: &'static str,
        /// What is counted.
        what: &'static str,
        /// How many the graph has.
        found: usize,
        /// The most allowed.
        limit: usize,
    },
    /// The exact search ran out of its node budget before it had a proof.
    #[error("the exact search stopped after {nodes} nodes without a proof of optimality")]
    BudgetExceeded {
        /// Nodes visited.
        nodes: u64,
    },
}

/// The most bits a total stake or total profit may have, in integer units: the search
/// multiplies them by 2^20 and by each other's ratios inside `i128`.
pub(crate) const TOTAL_BITS_LIMIT: u32 = 100;

/// A restaking graph G = (S, V, E, π, σ, α) in exact integer units.
///
/// Stakes and profits are integers: each USD amount times `scale_per_usd` (the least
/// common multiple of their denominators), then all divided by their common divisor,
/// which changes no comparison. A threshold σ_{B∩N(s)} ≥ α_s·σ_{N(s)} between integers
/// is then σ_{B∩N(s)} ≥ ⌈α_s·σ_{N(s)}⌉ =: `need[s]`, one integer comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestakingGraph {
    pub(crate) name: String,
    pub(crate) validator_ids: Vec<String>,
    pub(crate) service_ids: Vec<String>,
    /// Integer units per USD, as a fraction `(units, usd)`.
    pub(crate) units_per_usd: (u128, u128),
    /// σ_v in integer units.
    pub(crate) stake: Vec<u128>,
    /// π_s in integer units.
    pub(crate) profit: Vec<u128>,
    /// α_s as (numerator, denominator) in lowest terms.
    pub(crate) alpha: Vec<(u128, u128)>,
    /// N(s): validator indices.
    pub(crate) members: Vec<Vec<u32>>,
    /// σ_{N(s)}.
    pub(crate) restaked: Vec<u128>,
    /// ⌈α_s·σ_{N(s)}⌉.
    pub(crate) need: Vec<u128>,
    /// σ_V.
    pub(crate) total_stake: u128,
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// ⌈a·x / b⌉ for b > 0, exact through 256 bits; `None` if the result exceeds `u128`.
pub(crate) fn ceil_mul_div(a: u128, x: u128, b: u128) -> Option<u128> {
    let (a, x, b) = (U256::from(a), U256::from(x), U256::from(b));
    let q = (a * x).div_ceil(b);
    u128::try_from(q).ok()
}

impl RestakingGraph {
    /// Converts a spec's graph into exact integer units.
    ///
    /// # Errors
    /// [`RestakingError::ScaleOverflow`] or [`RestakingError::Overflow`] when the amounts
    /// do not fit exact 128-bit arithmetic; [`RestakingError::Threshold`] and
    /// [`RestakingError::BadEdge`] for a graph the spec loader would have refused.
    pub fn from_spec(r: &Restaking) -> Result<Self, RestakingError> {
        let amounts = r.validators.iter().map(|v| v.stake_usd).chain(r.services.iter().map(|s| s.profit_usd));
        let mut scale: u128 = 1;
        for a in amounts.clone() {
            let d = a.denom();
            scale = (scale / gcd(scale, d)).checked_mul(d).ok_or(RestakingError::ScaleOverflow)?;
        }
        let to_units = |a: Ratio| a.numer().checked_mul(scale / a.denom()).ok_or(RestakingError::ScaleOverflow);
        let mut stake = r.validators.iter().map(|v| to_units(v.stake_usd)).collect::<Result<Vec<_>, _>>()?;
        let mut profit = r.services.iter().map(|s| to_units(s.profit_usd)).collect::<Result<Vec<_>, _>>()?;
        // Divide out the common factor of every amount: 4.0e8 and 2.5e8 become 8 and 5.
        let common = stake.iter().chain(profit.iter()).fold(0, |g, &x| gcd(g, x)).max(1);
        stake.iter_mut().chain(profit.iter_mut()).for_each(|x| *x /= common);
        let units_per_usd = {
            let g = gcd(scale, common).max(1);
            (scale / g, common / g)
        };

        let total_stake = checked_total(&stake, "stake")?;
        checked_total(&profit, "profit")?;
        let mut alpha = Vec::with_capacity(r.services.len());
        let mut members = Vec::with_capacity(r.services.len());
        let mut restaked = Vec::with_capacity(r.services.len());
        let mut need = Vec::with_capacity(r.services.len());
        for s in &r.services {
            let (a, b) = (s.threshold.numer(), s.threshold.denom());
            if a == 0 || a > b {
                return Err(RestakingError::Threshold { service: s.id.clone(), threshold: s.threshold });
            }
            let mut seen = vec![false; r.validators.len()];
            let mut list = Vec::with_capacity(s.validators.len());
            let mut sum: u128 = 0;
            for &v in &s.validators {
                let bad = || RestakingError::BadEdge { service: s.id.clone(), index: v };
                if v >= r.validators.len() || seen[v] {
                    return Err(bad());
                }
                seen[v] = true;
                list.push(u32::try_from(v).map_err(|_| bad())?);
                // Cannot overflow: bounded by the checked total stake.
                sum += stake[v];
            }
            let n = ceil_mul_div(a, sum, b).ok_or(RestakingError::Overflow { what: "stake", bits: 128, limit: 128 })?;
            alpha.push((a, b));
            members.push(list);
            restaked.push(sum);
            need.push(n);
        }
        Ok(Self {
            name: r.name.clone(),
            validator_ids: r.validators.iter().map(|v| v.id.clone()).collect(),
            service_ids: r.services.iter().map(|s| s.id.clone()).collect(),
            units_per_usd,
            stake,
            profit,
            alpha,
            members,
            restaked,
            need,
            total_stake,
        })
    }

    /// The number of validators.
    pub fn validator_count(&self) -> usize {
        self.stake.len()
    }

    /// The number of services.
    pub fn service_count(&self) -> usize {
        self.profit.len()
    }

    /// The number of edges |E|.
    pub fn edge_count(&self) -> usize {
        self.members.iter().map(Vec::len).sum()
    }

    /// A validator's name.
    pub fn validator_id(&self, v: usize) -> &str {
        self.validator_ids.get(v).map_or("", String::as_str)
    }

    /// A service's name.
    pub fn service_id(&self, s: usize) -> &str {
        self.service_ids.get(s).map_or("", String::as_str)
    }

    /// An amount in integer units, in USD (for reports; decisions use the integers).
    pub fn usd(&self, units: u128) -> f64 {
        units as f64 * self.units_per_usd.1 as f64 / self.units_per_usd.0 as f64
    }

    /// An amount in integer units, in USD, exact when it fits.
    pub fn usd_exact(&self, units: u128) -> Option<Ratio> {
        Ratio::new(units.checked_mul(self.units_per_usd.1)?, self.units_per_usd.0)
    }

    /// σ_V, in USD.
    pub fn total_stake_usd(&self) -> f64 {
        self.usd(self.total_stake)
    }

    /// π_S, in USD.
    pub fn total_profit_usd(&self) -> f64 {
        self.usd(self.profit.iter().sum())
    }

    /// σ_{B∩N(s)} for B given as a membership vector over validators.
    pub(crate) fn stake_in(&self, s: usize, in_b: &[bool]) -> u128 {
        self.members[s].iter().filter(|&&v| in_b[v as usize]).map(|&v| self.stake[v as usize]).sum()
    }

    /// A(B) = {s : σ_{B∩N(s)} ≥ α_s·σ_{N(s)}}: the services a validator set corrupts.
    pub fn attacked_by(&self, validators: &[usize]) -> Vec<usize> {
        let mut in_b = vec![false; self.validator_count()];
        for &v in validators {
            if let Some(x) = in_b.get_mut(v) {
                *x = true;
            }
        }
        (0..self.service_count()).filter(|&s| self.stake_in(s, &in_b) >= self.need[s]).collect()
    }

    /// Services with a profit and no stake behind them (σ_{N(s)} = 0, π_s > 0): the empty
    /// coalition corrupts them (REFERENCES.md §3 edge case 1).
    pub fn unguarded_services(&self) -> Vec<usize> {
        (0..self.service_count()).filter(|&s| self.restaked[s] == 0 && self.profit[s] > 0).collect()
    }
}

fn checked_total(xs: &[u128], what: &'static str) -> Result<u128, RestakingError> {
    let total = xs.iter().try_fold(0u128, |acc, &x| acc.checked_add(x));
    match total {
        Some(t) if t.checked_ilog2().is_none_or(|b| b < TOTAL_BITS_LIMIT) => Ok(t),
        Some(t) => Err(RestakingError::Overflow { what, bits: t.ilog2() + 1, limit: TOTAL_BITS_LIMIT }),
        None => Err(RestakingError::Overflow { what, bits: 129, limit: TOTAL_BITS_LIMIT }),
    }
}

/// An exact margin: 1 + γ as a fraction of natural numbers, so γ = `num`/`den` − 1.
///
/// Both γ* and γ_exact are of this form (σ_B/π_A and 1/max_v T_v), and keeping 1 + γ
/// rather than γ keeps them non-negative. γ = −1 (`num` = 0) means a service is
/// corrupted for free.
///
/// Fractions are not kept in lowest terms, so equality is by value, as the order is
/// (94/47 equals 68/34).
#[derive(Debug, Clone)]
pub struct Margin {
    num: BigNat,
    den: BigNat,
}

impl Margin {
    pub(crate) fn new(num: BigNat, den: BigNat) -> Self {
        Self { num, den }
    }

    pub(crate) fn from_u128(num: u128, den: u128) -> Self {
        Self { num: BigNat::from_u128(num), den: BigNat::from_u128(den) }
    }

    /// γ as the nearest `f64` (for display and the report; comparisons use [`Ord`]).
    pub fn gamma_f64(&self) -> f64 {
        BigNat::ratio_f64(&self.num, &self.den).map_or(f64::INFINITY, |x| x - 1.0)
    }

    /// Whether γ = 0 exactly.
    pub fn is_zero_gamma(&self) -> bool {
        self.num == self.den
    }

    /// Whether γ < 0 exactly.
    pub fn is_negative(&self) -> bool {
        self.num < self.den
    }

    /// Whether γ > 0 exactly.
    pub fn is_positive(&self) -> bool {
        self.num > self.den
    }

    /// γ as an exact fraction in lowest terms, `p/q` with a sign, e.g. `"0"`, `"-1/10"`,
    /// `"3/7"`.
    pub fn gamma_fraction(&self) -> String {
        let (sign, diff) = if self.num >= self.den {
            let mut d = self.num.clone();
            d.sub_assign(&self.den);
            ("", d)
        } else {
            let mut d = self.den.clone();
            d.sub_assign(&self.num);
            ("-", d)
        };
        if diff.is_zero() {
            return "0".to_string();
        }
        let g = diff.gcd(&self.den);
        let reduce = |x: &BigNat| x.div_rem(&g).map_or_else(|| x.clone(), |(q, _)| q);
        let (p, q) = (reduce(&diff), reduce(&self.den));
        if q == BigNat::one() { format!("{sign}{p}") } else { format!("{sign}{p}/{q}") }
    }
}

impl Ord for Margin {
    /// Exact: a/b vs c/d as a·d vs c·b.
    fn cmp(&self, other: &Self) -> Ordering {
        self.num.mul(&other.den).cmp(&other.num.mul(&self.den))
    }
}

impl PartialEq for Margin {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Margin {}

impl PartialOrd for Margin {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Margin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.gamma_fraction())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A regression: the branch and bound and the brute force reached γ_exact = 1 as 94/47
    /// and 68/34, which a field-by-field equality called different.
    #[test]
    fn margins_are_equal_by_value_not_by_representation() {
        assert_eq!(Margin::from_u128(94, 47), Margin::from_u128(68, 34));
        assert_ne!(Margin::from_u128(94, 47), Margin::from_u128(95, 47));
    }
}
