//! Units a spec writes by hand: durations with a unit (`"90s"`, `"1h30m"`) and exact
//! fractions (`0.805`, `"1/3"`, `"5%"`), with comparisons (`>`, `>=`) for thresholds.
//!
//! Fractions are kept as exact rationals because thresholds decide edge cases: an
//! entity holding exactly one third counts under `>= 1/3` and not under `> 1/3`
//! (REFERENCES.md §2.2), and `0.33` is not `1/3`.

use std::fmt;

use serde::Serialize;

/// An exact non-negative rational number `num / den`, kept in lowest terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Ratio {
    num: u128,
    den: u128,
}

impl Ratio {
    /// Builds `num / den` in lowest terms; `None` when `den` is zero.
    pub fn new(num: u128, den: u128) -> Option<Self> {
        if den == 0 {
            return None;
        }
        let g = gcd(num, den).max(1);
        Some(Self { num: num / g, den: den / g })
    }

    /// The numerator, in lowest terms.
    pub fn numer(&self) -> u128 {
        self.num
    }

    /// The denominator, in lowest terms (never zero).
    pub fn denom(&self) -> u128 {
        self.den
    }

    /// The nearest `f64`, for economics; decisions at the threshold use [`Comparison`].
    pub fn to_f64(&self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// Parses `"1/3"`, `"5%"`, or a decimal such as `"0.805"` or `"1e-3"` exactly.
    ///
    /// # Errors
    /// A [`FractionError`] naming what was wrong with the text.
    pub fn parse(text: &str) -> Result<Self, FractionError> {
        let t = text.trim();
        if let Some((n, d)) = t.split_once('/') {
            let num = parse_decimal(n.trim()).ok_or(FractionError::NotANumber)?;
            let den = parse_decimal(d.trim()).ok_or(FractionError::NotANumber)?;
            if den.num == 0 {
                return Err(FractionError::ZeroDenominator);
            }
            return num.div(den).ok_or(FractionError::TooPrecise);
        }
        if let Some(p) = t.strip_suffix('%') {
            let pct = parse_decimal(p.trim()).ok_or(FractionError::NotANumber)?;
            return pct.div(Ratio { num: 100, den: 1 }).ok_or(FractionError::TooPrecise);
        }
        parse_decimal(t).ok_or(FractionError::NotANumber)
    }

    fn div(self, other: Ratio) -> Option<Ratio> {
        let num = self.num.checked_mul(other.den)?;
        let den = self.den.checked_mul(other.num)?;
        Ratio::new(num, den)
    }

    /// Whether `part / whole` stands in relation `cmp` to this ratio, exactly:
    /// `part · den  (> or >=)  whole · num`, in 256-bit arithmetic so it never overflows.
    pub fn is_reached_by(&self, part: u128, whole: u128, cmp: Comparison) -> bool {
        let lhs = mul_wide(part, self.den);
        let rhs = mul_wide(whole, self.num);
        match cmp {
            Comparison::Gt => lhs > rhs,
            Comparison::Ge => lhs >= rhs,
        }
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 { write!(f, "{}", self.num) } else { write!(f, "{}/{}", self.num, self.den) }
    }
}

/// Why a fraction's text could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FractionError {
    /// Not a decimal, `a/b` or `p%`.
    #[error("is not a number, \"a/b\" or \"p%\"")]
    NotANumber,
    /// `a/0`.
    #[error("has a zero denominator")]
    ZeroDenominator,
    /// More digits than 128-bit integers hold.
    #[error("has more digits than can be held exactly")]
    TooPrecise,
}

/// Reads a non-negative decimal (`12`, `0.805`, `1_000.5`, `1e-3`, `2.5E+2`) exactly.
fn parse_decimal(text: &str) -> Option<Ratio> {
    let t: String = text.chars().filter(|c| *c != '_').collect();
    let t = t.strip_prefix('+').unwrap_or(&t);
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], t[i + 1..].parse::<i32>().ok()?),
        None => (t, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let digits = format!("{int}{frac}");
    let mut num: u128 = digits.parse().ok()?;
    let mut den: u128 = 1;
    let scale = exp - i32::try_from(frac.len()).ok()?;
    let pow = 10u128.checked_pow(scale.unsigned_abs())?;
    if scale >= 0 {
        num = num.checked_mul(pow)?;
    } else {
        den = pow;
    }
    Ratio::new(num, den)
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// `a · b` as a 256-bit number `(high, low)`, compared lexicographically.
fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    let mask = u128::from(u64::MAX);
    let (a_hi, a_lo) = (a >> 64, a & mask);
    let (b_hi, b_lo) = (b >> 64, b & mask);
    let lo_lo = a_lo * b_lo;
    let hi_lo = a_hi * b_lo;
    let lo_hi = a_lo * b_hi;
    let hi_hi = a_hi * b_hi;
    let cross = (lo_lo >> 64) + (hi_lo & mask) + (lo_hi & mask);
    let low = (cross << 64) | (lo_lo & mask);
    let high = hi_hi + (hi_lo >> 64) + (lo_hi >> 64) + (cross >> 64);
    (high, low)
}

/// How a share is compared with a threshold: protocols and tools disagree, so the
/// comparison is always explicit (REFERENCES.md §2.1–2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// Strictly more than the threshold.
    Gt,
    /// At least the threshold.
    Ge,
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Comparison::Gt => ">",
            Comparison::Ge => ">=",
        })
    }
}

/// A fraction of stake (or power) with the comparison that decides whether it is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Threshold {
    /// The fraction, exact.
    pub fraction: Ratio,
    /// `>` or `>=`.
    pub cmp: Comparison,
}

impl Threshold {
    /// Parses `"> 1/3"`, `">= 2/3"` or `">=0.5"`.
    ///
    /// # Errors
    /// A message saying what was expected.
    pub fn parse(text: &str) -> Result<Self, ThresholdError> {
        let t = text.trim();
        let (cmp, rest) = if let Some(r) = t.strip_prefix(">=") {
            (Comparison::Ge, r)
        } else if let Some(r) = t.strip_prefix('>') {
            (Comparison::Gt, r)
        } else {
            return Err(ThresholdError::MissingComparison);
        };
        let fraction = Ratio::parse(rest).map_err(ThresholdError::Fraction)?;
        if fraction.numer() == 0 || fraction.numer() > fraction.denom() {
            return Err(ThresholdError::OutOfRange);
        }
        Ok(Self { fraction, cmp })
    }

    /// Whether `part` of `whole` reaches this threshold, exactly.
    pub fn is_reached_by(&self, part: u128, whole: u128) -> bool {
        self.fraction.is_reached_by(part, whole, self.cmp)
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.cmp, self.fraction)
    }
}

/// Why a threshold's text could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ThresholdError {
    /// It did not start with `>` or `>=`.
    #[error("must start with its comparison, \">\" or \">=\"")]
    MissingComparison,
    /// The fraction after the comparison was unreadable.
    #[error("has a fraction that {0}")]
    Fraction(FractionError),
    /// Zero, or more than one.
    #[error("must be a fraction in (0, 1]")]
    OutOfRange,
}

/// Reads a duration with units: `"90s"`, `"1m"`, `"1h30m"`, `"2d"`, `"500ms"`, `"1w"`.
/// A bare number is refused: every duration in a spec shows its unit.
///
/// # Errors
/// A message naming the part that could not be read.
pub fn parse_duration_s(text: &str) -> Result<f64, DurationError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(DurationError::Empty);
    }
    let mut total = 0.0;
    let mut rest = t;
    while !rest.is_empty() {
        let digits =
            rest.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_')).ok_or(DurationError::MissingUnit)?;
        if digits == 0 {
            return Err(DurationError::Unreadable);
        }
        let value: f64 = rest[..digits].replace('_', "").parse().map_err(|_| DurationError::Unreadable)?;
        rest = rest[digits..].trim_start();
        let unit_len = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "ms" => 0.001,
            "s" | "sec" => 1.0,
            "m" | "min" => 60.0,
            "h" => 3600.0,
            "d" => 86_400.0,
            "w" => 604_800.0,
            "" => return Err(DurationError::MissingUnit),
            _ => return Err(DurationError::UnknownUnit),
        };
        total += value * seconds;
        rest = rest[unit_len..].trim_start();
    }
    Ok(total)
}

/// Why a duration's text could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurationError {
    /// `""`.
    #[error("is empty")]
    Empty,
    /// A number with no unit after it.
    #[error("has a number without a unit")]
    MissingUnit,
    /// A unit other than ms, s, m, h, d, w.
    #[error("has a unit other than ms, s, m, h, d, w")]
    UnknownUnit,
    /// Neither a number nor a unit.
    #[error("is not a number followed by a unit")]
    Unreadable,
}

/// Formats seconds the way a spec writes them: `"90s"`, `"20m"`, `"1h"`, `"1d"`.
pub fn format_duration(seconds: f64) -> String {
    let units = [(604_800.0, "w"), (86_400.0, "d"), (3600.0, "h"), (60.0, "m"), (1.0, "s")];
    for (size, name) in units {
        if seconds >= size && (seconds / size).fract() == 0.0 {
            return format!("{}{name}", seconds / size);
        }
    }
    format!("{seconds}s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_are_exact() {
        assert_eq!(Ratio::parse("1/3"), Ratio::new(1, 3).ok_or(FractionError::NotANumber));
        assert_eq!(Ratio::parse("0.805").map(|r| (r.numer(), r.denom())), Ok((161, 200)));
        assert_eq!(Ratio::parse("5%").map(|r| (r.numer(), r.denom())), Ok((1, 20)));
        assert_eq!(Ratio::parse("1e-3").map(|r| (r.numer(), r.denom())), Ok((1, 1000)));
        assert_eq!(Ratio::parse("2/0"), Err(FractionError::ZeroDenominator));
        assert_eq!(Ratio::parse("a third"), Err(FractionError::NotANumber));
        assert_eq!(Ratio::parse("-1"), Err(FractionError::NotANumber));
    }

    #[test]
    fn threshold_comparison_decides_the_exact_third() {
        let gt = Threshold::parse("> 1/3").ok();
        let ge = Threshold::parse(">= 1/3").ok();
        assert_eq!(gt.map(|t| t.is_reached_by(1, 3)), Some(false));
        assert_eq!(ge.map(|t| t.is_reached_by(1, 3)), Some(true));
        assert_eq!(gt.map(|t| t.is_reached_by(u128::MAX / 3 + 1, u128::MAX)), Some(true));
        assert_eq!(Threshold::parse("1/3"), Err(ThresholdError::MissingComparison));
        assert_eq!(Threshold::parse("> 4/3"), Err(ThresholdError::OutOfRange));
    }

    #[test]
    fn wide_multiplication_matches_u128_when_small() {
        assert_eq!(mul_wide(1 << 70, 1 << 70), (1 << 12, 0));
        assert_eq!(mul_wide(12345, 6789), (0, 12345 * 6789));
        assert_eq!(mul_wide(u128::MAX, 2), (1, u128::MAX - 1));
    }

    #[test]
    fn durations_carry_units() {
        assert_eq!(parse_duration_s("90s"), Ok(90.0));
        assert_eq!(parse_duration_s("1h30m"), Ok(5400.0));
        assert_eq!(parse_duration_s("1d"), Ok(86_400.0));
        assert_eq!(parse_duration_s("500ms"), Ok(0.5));
        assert_eq!(parse_duration_s("90"), Err(DurationError::MissingUnit));
        assert_eq!(parse_duration_s("3 fortnights"), Err(DurationError::UnknownUnit));
        assert_eq!(format_duration(1200.0), "20m");
        assert_eq!(format_duration(86_400.0), "1d");
    }
}
