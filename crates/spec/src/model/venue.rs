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
    /// Uniswap v3 concentrated liquidity, as read from the pool contract: integers kept
    /// exactly as decimal strings, so the market crate can reproduce the contract's
    /// U256 arithmetic bit for bit. Token 0 is the base, token 1 the quote.
    ConcentratedLiquidity {
        /// `slot0.sqrtPriceX96`: √(token1/token0 in raw units) · 2⁹⁶, a decimal integer.
        sqrt_price_x96: String,
        /// The pool's in-range `liquidity`, a decimal integer.
        liquidity: String,
        /// The pool's tick spacing.
        tick_spacing: i32,
        /// Initialized ticks `(tick, liquidityNet)`, ascending; liquidityNet as a decimal integer.
        ticks: Vec<(i32, String)>,
        /// Decimals of `[base, quote]` (WETH 18, USDC 6).
        decimals: [u8; 2],
    },
}

#[derive(Clone, Copy)]
enum KindName {
    ConstantProduct,
    ConcentratedLiquidity,
}

pub(crate) const VENUE_KEYS: &[&str] = &[
    "name",
    "kind",
    "pair",
    "reserves",
    "fee",
    "recovery_half_life",
    "sqrt_price_x96",
    "liquidity",
    "tick_spacing",
    "ticks",
    "decimals",
];

/// Reads one `[[venues]]` entry.
pub(crate) fn parse_venue(field: &Field<'_, '_>, asset_known: &dyn Fn(&Field<'_, '_>, &str) -> bool) -> Option<Venue> {
    let t = field.table(VENUE_KEYS)?;
    let kind = t.require("kind", "the liquidity curve: kind = \"constant_product\"").and_then(|f| {
        f.choice(&[
            ("constant_product", KindName::ConstantProduct),
            ("concentrated_liquidity", KindName::ConcentratedLiquidity),
        ])
    });
    let pair = t
        .require("pair", "the pair as [base, quote], e.g. pair = [\"WETH\", \"USDC\"]")
        .and_then(|f| string_pair(f, asset_known));
    let fee =
        t.get("fee").map_or(Some(0.003), |f| f.fraction_where(|x| (0.0..1.0).contains(&x), "a fraction in [0, 1)"));
    let half_life =
        t.get("recovery_half_life").map_or(Some(1200.0), |f| f.duration_where(|d| d > 0.0, "a positive duration"));
    let kind = match kind? {
        KindName::ConstantProduct => parse_constant_product(&t)?,
        KindName::ConcentratedLiquidity => parse_concentrated(&t)?,
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

/// The Uniswap v3 tick range (TickMath.MIN_TICK, MAX_TICK).
const MAX_TICK: i64 = 887_272;

fn parse_concentrated(t: &Table<'_, '_>) -> Option<VenueKind> {
    let integer = |f: &Field<'_, '_>, signed: bool| {
        let s = f.string()?;
        let digits = if signed { s.strip_prefix('-').unwrap_or(&s) } else { &s };
        if !digits.is_empty() && digits.len() <= 78 && digits.chars().all(|c| c.is_ascii_digit()) {
            Some(s)
        } else {
            f.out_of_range(if signed {
                "a decimal integer in a string, such as \"-1234\""
            } else {
                "a non-negative decimal integer in a string"
            });
            None
        }
    };
    let sqrt_price =
        t.require("sqrt_price_x96", "slot0.sqrtPriceX96 as a decimal string").and_then(|f| integer(f, false));
    let liquidity =
        t.require("liquidity", "the pool's in-range liquidity as a decimal string").and_then(|f| integer(f, false));
    let spacing = t.require("tick_spacing", "the pool's tick spacing, e.g. tick_spacing = 10").and_then(|f| {
        f.count_where(|n| (1..=16_384).contains(&n), "between 1 and 16384").and_then(|n| i32::try_from(n).ok())
    });
    let decimals = t.require("decimals", "the tokens' decimals, e.g. decimals = [18, 6]").and_then(|f| {
        let e = f.elements()?;
        if e.len() != 2 {
            f.out_of_range("two decimals, [base, quote]");
            return None;
        }
        let d0 = e[0].count_where(|n| n <= 36, "between 0 and 36");
        let d1 = e[1].count_where(|n| n <= 36, "between 0 and 36");
        Some([u8::try_from(d0?).ok()?, u8::try_from(d1?).ok()?])
    });
    let ticks = t.get("ticks").map_or(Some(Vec::new()), |f| {
        let mut out: Vec<(i32, String)> = Vec::new();
        let mut ok = true;
        for e in f.elements()? {
            let pair = e.elements().filter(|p| p.len() == 2);
            let Some(pair) = pair else {
                e.out_of_range("a pair [tick, \"liquidityNet\"]");
                ok = false;
                continue;
            };
            let tick =
                pair[0].number_where(|x| x.fract() == 0.0 && x.abs() <= MAX_TICK as f64, "a tick in [-887272, 887272]");
            let net = integer(&pair[1], true);
            match (tick, net) {
                (Some(tick), Some(net)) => {
                    let tick = tick as i32;
                    if out.last().is_some_and(|(prev, _)| *prev >= tick) {
                        e.out_of_range("a tick above the previous one (ticks ascend)");
                        ok = false;
                    }
                    out.push((tick, net));
                }
                _ => ok = false,
            }
        }
        ok.then_some(out)
    });
    Some(VenueKind::ConcentratedLiquidity {
        sqrt_price_x96: sqrt_price?,
        liquidity: liquidity?,
        tick_spacing: spacing?,
        ticks: ticks?,
        decimals: decimals?,
    })
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
