//! Natural numbers of any size, with just what the γ* proxy needs: products, sums,
//! comparison, and reduction of a fraction for printing.
//!
//! Why not a fixed width: T_v = Σ_{s∈N(v)} π_s/(α_s·σ_{N(s)}) adds fractions whose
//! denominators differ per service, so an exact sum over 200 services needs a common
//! denominator of 200 such factors (thousands of bits), beyond any 128- or 256-bit
//! integer. Limbs are `u64`, least significant first, with no zero limb at the top.

use std::cmp::Ordering;
use std::fmt;

/// A natural number of any size.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct BigNat {
    limbs: Vec<u64>,
}

impl BigNat {
    /// Zero.
    pub(crate) fn zero() -> Self {
        Self { limbs: Vec::new() }
    }

    /// One.
    pub(crate) fn one() -> Self {
        Self::from_u128(1)
    }

    /// From a `u128`.
    pub(crate) fn from_u128(x: u128) -> Self {
        // Splitting a u128 into its two u64 halves: the casts keep exactly the bits meant.
        let mut n = Self { limbs: vec![x as u64, (x >> 64) as u64] };
        n.normalize();
        n
    }

    /// The value as a `u128`, when it fits.
    pub(crate) fn to_u128(&self) -> Option<u128> {
        match self.limbs.as_slice() {
            [] => Some(0),
            [lo] => Some(u128::from(*lo)),
            [lo, hi] => Some(u128::from(*lo) | (u128::from(*hi) << 64)),
            _ => None,
        }
    }

    pub(crate) fn is_zero(&self) -> bool {
        self.limbs.is_empty()
    }

    fn normalize(&mut self) {
        while self.limbs.last() == Some(&0) {
            self.limbs.pop();
        }
    }

    /// Sets the value to zero, keeping the allocation.
    pub(crate) fn clear(&mut self) {
        self.limbs.clear();
    }

    /// Copies `other` into `self`, keeping the allocation.
    pub(crate) fn assign(&mut self, other: &BigNat) {
        self.limbs.clear();
        self.limbs.extend_from_slice(&other.limbs);
    }

    /// The number of significant bits (0 for zero).
    pub(crate) fn bits(&self) -> u64 {
        match self.limbs.last() {
            None => 0,
            Some(top) => 64 * (self.limbs.len() as u64 - 1) + u64::from(64 - top.leading_zeros()),
        }
    }

    /// `self + other`, in place.
    pub(crate) fn add_assign(&mut self, other: &BigNat) {
        if self.limbs.len() < other.limbs.len() {
            self.limbs.resize(other.limbs.len(), 0);
        }
        let mut carry = 0u64;
        for (i, limb) in self.limbs.iter_mut().enumerate() {
            let b = other.limbs.get(i).copied().unwrap_or(0);
            if i >= other.limbs.len() && carry == 0 {
                break;
            }
            let (s1, c1) = limb.overflowing_add(b);
            let (s2, c2) = s1.overflowing_add(carry);
            *limb = s2;
            carry = u64::from(c1) + u64::from(c2);
        }
        if carry > 0 {
            self.limbs.push(carry);
        }
    }

    /// `self − other`, in place; the caller guarantees `self ≥ other`.
    pub(crate) fn sub_assign(&mut self, other: &BigNat) {
        let mut borrow = 0u64;
        for (i, limb) in self.limbs.iter_mut().enumerate() {
            let b = other.limbs.get(i).copied().unwrap_or(0);
            if i >= other.limbs.len() && borrow == 0 {
                break;
            }
            let (d1, b1) = limb.overflowing_sub(b);
            let (d2, b2) = d1.overflowing_sub(borrow);
            *limb = d2;
            borrow = u64::from(b1) + u64::from(b2);
        }
        debug_assert_eq!(borrow, 0, "sub_assign needs self >= other");
        self.normalize();
    }

    /// `self · other` (schoolbook: the operands have at most a few hundred limbs).
    pub(crate) fn mul(&self, other: &BigNat) -> BigNat {
        if self.is_zero() || other.is_zero() {
            return BigNat::zero();
        }
        let mut out = vec![0u64; self.limbs.len() + other.limbs.len()];
        for (i, &a) in self.limbs.iter().enumerate() {
            let mut carry = 0u128;
            for (j, &b) in other.limbs.iter().enumerate() {
                // a·b + out + carry < 2^128: (2^64−1)² + 2·(2^64−1) = 2^128 − 1.
                let t = u128::from(a) * u128::from(b) + u128::from(out[i + j]) + carry;
                out[i + j] = t as u64;
                carry = t >> 64;
            }
            out[i + other.limbs.len()] = carry as u64;
        }
        let mut n = BigNat { limbs: out };
        n.normalize();
        n
    }

    /// `self · m` for a `u128` factor.
    pub(crate) fn mul_u128(&self, m: u128) -> BigNat {
        self.mul(&BigNat::from_u128(m))
    }

    fn bit(&self, i: u64) -> bool {
        let limb = (i / 64) as usize;
        self.limbs.get(limb).is_some_and(|l| (l >> (i % 64)) & 1 == 1)
    }

    /// `self · 2`, in place.
    fn shl1(&mut self) {
        let mut carry = 0u64;
        for limb in &mut self.limbs {
            let next = *limb >> 63;
            *limb = (*limb << 1) | carry;
            carry = next;
        }
        if carry > 0 {
            self.limbs.push(carry);
        }
    }

    /// `(self / d, self mod d)` by binary long division; `None` when `d` is zero. Only
    /// used to print fractions, never in a loop over the graph.
    pub(crate) fn div_rem(&self, d: &BigNat) -> Option<(BigNat, BigNat)> {
        if d.is_zero() {
            return None;
        }
        let mut q = BigNat::zero();
        let mut r = BigNat::zero();
        for i in (0..self.bits()).rev() {
            r.shl1();
            if self.bit(i) {
                if r.limbs.is_empty() {
                    r.limbs.push(1);
                } else {
                    r.limbs[0] |= 1;
                }
            }
            q.shl1();
            if r >= *d {
                r.sub_assign(d);
                if q.limbs.is_empty() {
                    q.limbs.push(1);
                } else {
                    q.limbs[0] |= 1;
                }
            }
        }
        Some((q, r))
    }

    /// The greatest common divisor (Euclid).
    pub(crate) fn gcd(&self, other: &BigNat) -> BigNat {
        let (mut a, mut b) = (self.clone(), other.clone());
        while !b.is_zero() {
            let r = a.div_rem(&b).map_or_else(BigNat::zero, |(_, r)| r);
            a = b;
            b = r;
        }
        a
    }

    /// The top 64 significant bits and the power of two that scales them back:
    /// `self ≈ mantissa · 2^exponent`.
    fn top_bits(&self) -> (u64, i64) {
        let bits = self.bits();
        if bits <= 64 {
            return (self.limbs.first().copied().unwrap_or(0), 0);
        }
        let shift = bits - 64;
        let (limb, offset) = ((shift / 64) as usize, shift % 64);
        let lo = self.limbs.get(limb).copied().unwrap_or(0);
        let hi = self.limbs.get(limb + 1).copied().unwrap_or(0);
        let mantissa = if offset == 0 { lo } else { (lo >> offset) | (hi << (64 - offset)) };
        (mantissa, i64::try_from(shift).unwrap_or(i64::MAX))
    }

    /// `num / den` as the nearest-ish `f64` (relative error about 2⁻⁶³ before the final
    /// rounding), for display; `None` when `den` is zero.
    pub(crate) fn ratio_f64(num: &BigNat, den: &BigNat) -> Option<f64> {
        if den.is_zero() {
            return None;
        }
        let (mn, en) = num.top_bits();
        let (md, ed) = den.top_bits();
        let exponent = i32::try_from(en - ed).unwrap_or(if en > ed { i32::MAX } else { i32::MIN });
        Some(mn as f64 / md as f64 * 2f64.powi(exponent))
    }
}

impl Ord for BigNat {
    fn cmp(&self, other: &Self) -> Ordering {
        self.limbs.len().cmp(&other.limbs.len()).then_with(|| self.limbs.iter().rev().cmp(other.limbs.iter().rev()))
    }
}

impl PartialOrd for BigNat {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for BigNat {
    /// Decimal digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(x) = self.to_u128() {
            return write!(f, "{x}");
        }
        // Peel off 19 decimal digits at a time.
        const CHUNK: u128 = 10_000_000_000_000_000_000;
        let chunk = BigNat::from_u128(CHUNK);
        let mut chunks = Vec::new();
        let mut n = self.clone();
        while !n.is_zero() {
            let Some((q, r)) = n.div_rem(&chunk) else { break };
            chunks.push(r.to_u128().unwrap_or(0));
            n = q;
        }
        let mut iter = chunks.iter().rev();
        if let Some(top) = iter.next() {
            write!(f, "{top}")?;
        }
        for c in iter {
            write!(f, "{c:019}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn big(x: u128) -> BigNat {
        BigNat::from_u128(x)
    }

    #[test]
    fn arithmetic_matches_u128_where_it_fits() {
        let (a, b) = (0xFFFF_FFFF_FFFF_FFFF_1234_u128, 0x9_8765_4321_u128);
        let mut s = big(a);
        s.add_assign(&big(b));
        assert_eq!(s.to_u128(), Some(a + b));
        assert_eq!(big(a).mul(&big(b)).to_u128(), Some(a * b));
        let (q, r) = big(a).div_rem(&big(b)).unwrap();
        assert_eq!((q.to_u128(), r.to_u128()), (Some(a / b), Some(a % b)));
        assert_eq!(big(84).gcd(&big(36)).to_u128(), Some(12));
        assert!(big(a) > big(b));
        assert_eq!(big(0).bits(), 0);
        assert_eq!(big(1 << 70).bits(), 71);
    }

    #[test]
    fn wide_products_divide_back_and_print() {
        let m = big(u128::MAX);
        let p = m.mul(&m).mul(&big(12_345));
        let (q, r) = p.div_rem(&m).unwrap();
        assert!(r.is_zero());
        assert_eq!(q, m.mul(&big(12_345)));
        // 2^128 − 1 squared is 340282366920938463463374607431768211455² =
        // 115792089237316195423570985008687907852589419931798687112530834793049593217025.
        assert_eq!(
            m.mul(&m).to_string(),
            "115792089237316195423570985008687907852589419931798687112530834793049593217025"
        );
        let ratio = BigNat::ratio_f64(&m.mul(&m), &m).unwrap();
        assert!((ratio / u128::MAX as f64 - 1.0).abs() < 1e-15);
    }
}
