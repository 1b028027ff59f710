//! Oracle monitors: deviation of the oracle from the venues' prices for longer than
//! a grace period, and staleness (no round within heartbeat + tolerance).

use serde::{Deserialize, Serialize};

use crate::event::TimeMs;

/// Settings of one asset's oracle monitor.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OracleConfig {
    /// The oracle's heartbeat, milliseconds; `None` for oracles without one (TWAPs),
    /// which are never stale.
    pub heartbeat_ms: Option<u64>,
    /// Extra time allowed beyond the heartbeat, milliseconds.
    pub stale_tolerance_ms: u64,
    /// Deviation beyond which (strictly) the oracle disagrees with the market, as a fraction.
    pub deviation: f64,
    /// How long (strictly longer) the deviation must last to trip, milliseconds.
    pub grace_ms: u64,
    /// Venue prices older than this are ignored, milliseconds.
    pub venue_max_age_ms: u64,
    /// Fresh venue prices needed to judge deviation.
    pub min_venues: usize,
}

/// A venue's latest price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VenueQuote {
    /// The venue.
    pub venue: String,
    /// Its price, USD.
    pub price: f64,
    /// When, unix milliseconds.
    pub at_ms: TimeMs,
}

/// What the deviation check found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DeviationCheck {
    /// Not enough data (no round, too few fresh venues).
    Unknown,
    /// Within the threshold.
    Within,
    /// Beyond the threshold since `since_ms`, not yet for longer than the grace period.
    InGrace {
        /// The deviation.
        deviation: f64,
        /// The venues' median.
        market_price: f64,
        /// Since when.
        since_ms: TimeMs,
    },
    /// Beyond the threshold for longer than the grace period.
    Breached {
        /// The deviation.
        deviation: f64,
        /// The venues' median.
        market_price: f64,
        /// Since when.
        since_ms: TimeMs,
    },
}

/// One asset's oracle state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OracleMonitor {
    config: OracleConfig,
    /// The last round: `(price, round time)`.
    last_round: Option<(f64, TimeMs)>,
    venues: Vec<VenueQuote>,
    deviating_since: Option<TimeMs>,
    #[serde(skip)]
    scratch: crate::anomaly::Scratch,
}

impl OracleMonitor {
    /// A monitor with no data yet.
    pub fn new(config: OracleConfig) -> Self {
        Self { config, last_round: None, venues: Vec::new(), deviating_since: None, scratch: Default::default() }
    }

    /// The settings.
    pub fn config(&self) -> &OracleConfig {
        &self.config
    }

    /// The last round, `(price, round time)`.
    pub fn last_round(&self) -> Option<(f64, TimeMs)> {
        self.last_round
    }

    /// The venues' latest quotes.
    pub fn venues(&self) -> &[VenueQuote] {
        &self.venues
    }

    /// Records a round; a round older than the last one is ignored.
    pub fn round(&mut self, price: f64, round_time_ms: TimeMs) {
        if self.last_round.is_none_or(|(_, t)| round_time_ms >= t) {
            self.last_round = Some((price, round_time_ms));
        }
    }

    /// Records a venue's price.
    pub fn venue_price(&mut self, venue: &str, price: f64, now_ms: TimeMs) {
        match self.venues.iter_mut().find(|q| q.venue == venue) {
            Some(q) => {
                q.price = price;
                q.at_ms = now_ms;
            }
            None => self.venues.push(VenueQuote { venue: venue.to_string(), price, at_ms: now_ms }),
        }
    }

    /// The number of venues it has quotes from.
    pub fn venue_count(&self) -> usize {
        self.venues.len()
    }

    /// The median of fresh venue prices at `now_ms`, if enough venues are fresh.
    pub fn market_price(&mut self, now_ms: TimeMs) -> Option<f64> {
        let scratch = &mut self.scratch.0;
        scratch.clear();
        let max_age = self.config.venue_max_age_ms;
        scratch.extend(self.venues.iter().filter(|q| now_ms.saturating_sub(q.at_ms) <= max_age).map(|q| q.price));
        if scratch.len() < self.config.min_venues.max(1) {
            return None;
        }
        Some(crate::anomaly::median_in_place(scratch))
    }

    /// Age of the last round and the limit, when stale (age strictly above heartbeat +
    /// tolerance). Before any round, the age counts from `start_ms`.
    pub fn stale(&self, now_ms: TimeMs, start_ms: TimeMs) -> Option<(TimeMs, u64, u64)> {
        let heartbeat = self.config.heartbeat_ms?;
        let limit_ms = heartbeat.saturating_add(self.config.stale_tolerance_ms);
        let last_ms = self.last_round.map_or(start_ms, |(_, t)| t);
        let age_ms = now_ms.saturating_sub(last_ms);
        (age_ms > limit_ms).then_some((last_ms, age_ms, limit_ms))
    }

    /// Checks the deviation at `now_ms`, tracking since when it has lasted.
    pub fn check_deviation(&mut self, now_ms: TimeMs) -> DeviationCheck {
        let (Some((oracle, _)), Some(market_price)) = (self.last_round, self.market_price(now_ms)) else {
            self.deviating_since = None;
            return DeviationCheck::Unknown;
        };
        let deviation = (oracle / market_price - 1.0).abs();
        if deviation <= self.config.deviation {
            self.deviating_since = None;
            return DeviationCheck::Within;
        }
        let since_ms = *self.deviating_since.get_or_insert(now_ms);
        if now_ms.saturating_sub(since_ms) > self.config.grace_ms {
            DeviationCheck::Breached { deviation, market_price, since_ms }
        } else {
            DeviationCheck::InGrace { deviation, market_price, since_ms }
        }
    }
}
