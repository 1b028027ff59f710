//! `[[venues]]`: where liquidators sell and attackers push prices.

use serde::Serialize;

use crate::reader::{Field, Table};

/// A liquidity venue for one pair of assets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Venue {
    /// A name for reports, e.g. `Uniswap v2 WETH/USDC`.
    pub name: String,
    /// `[base, quote]`: the price is quote per base.
    pub pair: [String; 2],
    /// Swap fee on the input, as a fraction (0.003 is 30 bps).
    pub fee: f64,
    /// How fast arbitrage refills depth after a trade moves the price, in seconds.
    pub recovery_half_life_s: f64,
    /// The liquidity curve.
    pub kind: VenueKind,
}

/// The liquidity curve of a venue. Concentrated liquidity (Uniswap v3 ticks) and
/// depth curves join this enum as the market crate gains them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum VenueKind {
    /// x · y = k (Uniswap v2).
    ConstantProduct {
        /// Reserves of `[base, quote]`, in tokens.
        reserves: [f64; 2],
    },
}

#[derive(Clone, Copy)]
enum KindName {
    ConstantProduct,
}

pub(crate) const VENUE_KEYS: &[&str] = &["name", "kind", "pair", "reserves", "fee", "recovery_half_life"];

/// Reads one `[[venues]]` entry.
pub(crate) fn parse_venue(field: &Field<'_, '_>, asset_known: &dyn Fn(&Field<'_, '_>, &str) -> bool) -> Option<Venue> {
    let t = field.table(VENUE_KEYS)?;
    let kind = t
        .require("kind", "the liquidity curve: kind = \"constant_product\"")
        .and_then(|f| f.choice(&[("constant_product", KindName::ConstantProduct)]));
    let pair = t
        .require("pair", "the pair as [base, quote], e.g. pair = [\"WETH\", \"USDC\"]")
        .and_then(|f| string_pair(f, asset_known));
    let fee =
        t.get("fee").map_or(Some(0.003), |f| f.fraction_where(|x| (0.0..1.0).contains(&x), "a fraction in [0, 1)"));
    let half_life =
        t.get("recovery_half_life").map_or(Some(1200.0), |f| f.duration_where(|d| d > 0.0, "a positive duration"));
    let kind = match kind? {
        KindName::ConstantProduct => parse_constant_product(&t)?,
    };
    let pair = pair?;
    let name = match t.get("name") {
        Some(f) => f.string()?,
        None => format!("{}/{} {}", pair[0], pair[1], "constant product"),
    };
    Some(Venue { name, pair, fee: fee?, recovery_half_life_s: half_life?, kind })
}

fn parse_constant_product(t: &Table<'_, '_>) -> Option<VenueKind> {
    let f =
        t.require("reserves", "the pool's reserves of [base, quote] in tokens, e.g. reserves = [40000.0, 1.2e8]")?;
    let elements = f.elements()?;
    if elements.len() != 2 {
        f.out_of_range("two reserves, [base, quote]");
        return None;
    }
    let base = elements[0].number_where(|x| x > 0.0, "a positive reserve in tokens");
    let quote = elements[1].number_where(|x| x > 0.0, "a positive reserve in tokens");
    Some(VenueKind::ConstantProduct { reserves: [base?, quote?] })
}

/// `["A", "B"]`: two different assets of the spec.
fn string_pair(f: &Field<'_, '_>, asset_known: &dyn Fn(&Field<'_, '_>, &str) -> bool) -> Option<[String; 2]> {
    let elements = f.elements()?;
    if elements.len() != 2 {
        f.out_of_range("two asset names, [base, quote]");
        return None;
    }
    let known = |e: &Field<'_, '_>| e.string().filter(|s| asset_known(e, s));
    let a = known(&elements[0]);
    let b = known(&elements[1]);
    let (a, b) = (a?, b?);
    if a == b {
        f.out_of_range("two different assets");
        return None;
    }
    Some([a, b])
}
