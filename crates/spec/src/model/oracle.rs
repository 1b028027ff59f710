//! `[oracles.SYMBOL]`: how the protocol learns an asset's price.

use serde::Serialize;

use crate::reader::Field;

/// The price oracle of one asset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Oracle {
    /// The asset it prices.
    pub asset: String,
    /// How it updates.
    pub kind: OracleKind,
}

/// How an oracle updates (REFERENCES.md §4.2–4.3).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum OracleKind {
    /// A push feed like Chainlink: a new round when the price deviates by more than
    /// `deviation` from the last answer or when `heartbeat` has passed, whichever comes
    /// first, delivered after `latency`.
    Push {
        /// Longest time between rounds, in seconds.
        heartbeat_s: f64,
        /// Deviation threshold, as a fraction of the last answer.
        deviation: f64,
        /// Delay from the market move to the answer on chain, in seconds.
        latency_s: f64,
    },
    /// A time-weighted average over a venue's price.
    Twap {
        /// Index into `venues`.
        venue: usize,
        /// The averaging window, in seconds.
        window_s: f64,
        /// Arithmetic (Uniswap v2) or geometric (Uniswap v3) mean.
        mean: TwapMean,
    },
}

/// The mean a TWAP takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TwapMean {
    /// Uniswap v2: the mean of prices.
    Arithmetic,
    /// Uniswap v3: the mean of ticks, i.e. of log prices.
    Geometric,
}

#[derive(Clone, Copy)]
enum KindName {
    Push,
    Twap,
}

pub(crate) const ORACLE_KEYS: &[&str] = &["kind", "heartbeat", "deviation", "latency", "venue", "window", "mean"];

/// Reads one `[oracles.SYMBOL]` table. `venue_index` resolves a venue name.
pub(crate) fn parse_oracle(
    asset: &str,
    field: &Field<'_, '_>,
    venue_index: &dyn Fn(&Field<'_, '_>) -> Option<usize>,
) -> Option<Oracle> {
    let t = field.table(ORACLE_KEYS)?;
    let kind = t
        .require("kind", "kind = \"push\" or \"twap\"")?
        .choice(&[("push", KindName::Push), ("twap", KindName::Twap)])?;
    let positive_duration = |f: &Field<'_, '_>, allow_zero: bool| {
        if allow_zero {
            f.duration_where(|d| d >= 0.0, "zero or a positive duration")
        } else {
            f.duration_where(|d| d > 0.0, "a positive duration")
        }
    };
    let kind = match kind {
        KindName::Push => {
            let heartbeat = t
                .require("heartbeat", "the longest time between rounds, e.g. heartbeat = \"1h\"")
                .and_then(|f| positive_duration(f, false));
            let deviation = t
                .require("deviation", "the deviation threshold, e.g. deviation = 0.005")
                .and_then(|f| f.fraction_where(|x| x > 0.0 && x < 1.0, "a fraction in (0, 1)"));
            let latency = t.get("latency").map_or(Some(0.0), |f| positive_duration(f, true));
            OracleKind::Push { heartbeat_s: heartbeat?, deviation: deviation?, latency_s: latency? }
        }
        KindName::Twap => {
            let venue = t
                .require("venue", "the name of the venue it averages, e.g. venue = \"Uniswap v2 WETH/USDC\"")
                .and_then(venue_index);
            let window = t
                .require("window", "the averaging window, e.g. window = \"30m\"")
                .and_then(|f| positive_duration(f, false));
            let mean = t.get("mean").map_or(Some(TwapMean::Arithmetic), |f| {
                f.choice(&[("arithmetic", TwapMean::Arithmetic), ("geometric", TwapMean::Geometric)])
            });
            OracleKind::Twap { venue: venue?, window_s: window?, mean: mean? }
        }
    };
    Some(Oracle { asset: asset.to_string(), kind })
}
