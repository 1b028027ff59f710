//! Oracles as the protocol sees them: a push feed starts a new round when the market
//! has moved more than its deviation threshold from the last round, or when the
//! heartbeat has passed, whichever comes first, and each round lands on chain after a
//! latency (REFERENCES.md §4.3). Liquidators see market prices; the protocol sees these.
//!
//! Rounds start only at step times, so a latency delays the answer by whole steps:
//! the answer at step k is the latest round started at or before step k − d, with
//! d = ⌈latency / step⌉. The engine keeps that delay line; this module decides rounds.

/// A push feed's rules.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PushRules {
    /// Longest time between rounds, in seconds.
    pub heartbeat_s: f64,
    /// Deviation that starts a round, as a fraction of the last round's value.
    pub deviation: f64,
    /// Delay from a round's start to its answer on chain, in seconds.
    pub latency_s: f64,
}

impl PushRules {
    /// An oracle that always shows the market price at once.
    pub const PERFECT: PushRules = PushRules { heartbeat_s: 0.0, deviation: 0.0, latency_s: 0.0 };

    /// Steps between a round's start and its answer on chain: ⌈latency / step⌉.
    pub fn delay_steps(&self, step_s: f64) -> usize {
        if self.latency_s <= 0.0 { 0 } else { (self.latency_s / step_s).ceil() as usize }
    }
}

/// A time-weighted average of the venue's price over a window of whole steps: the
/// arithmetic mean of prices (Uniswap v2) or the geometric mean, the mean of log prices
/// (Uniswap v3) (REFERENCES.md §4.2). A price set at a step counts from the next one,
/// as v2's accumulator reads pre-trade reserves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Twap {
    /// The window, in steps.
    pub window_steps: usize,
    /// Geometric (v3) rather than arithmetic (v2).
    pub geometric: bool,
}

impl Twap {
    /// The value a price enters the window as.
    pub fn value(&self, price: f64) -> f64 {
        if self.geometric { price.ln() } else { price }
    }

    /// The price a window's mean value stands for.
    pub fn price(&self, mean: f64) -> f64 {
        if self.geometric { mean.exp() } else { mean }
    }
}

/// The rounds of a push feed along one path. Plain data: copied per path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PushFeed {
    /// The value of the latest round started.
    pub latest: f64,
    /// When it started, in seconds.
    pub started_at_s: f64,
}

impl PushFeed {
    /// A feed whose last round, at time zero, was `price`.
    pub fn new(price: f64) -> Self {
        Self { latest: price, started_at_s: 0.0 }
    }

    /// Starts a round at `t_s` if the market has deviated beyond the threshold or the
    /// heartbeat has passed; returns the latest round's value.
    pub fn update(&mut self, rules: &PushRules, t_s: f64, market: f64) -> f64 {
        let deviated = (market / self.latest - 1.0).abs() > rules.deviation;
        let stale = t_s - self.started_at_s >= rules.heartbeat_s;
        if deviated || stale {
            self.latest = market;
            self.started_at_s = t_s;
        }
        self.latest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: PushRules = PushRules { heartbeat_s: 3600.0, deviation: 0.005, latency_s: 12.0 };

    #[test]
    fn a_move_inside_the_band_waits_for_the_heartbeat() {
        let mut feed = PushFeed::new(100.0);
        assert_eq!(feed.update(&RULES, 60.0, 100.4), 100.0);
        assert_eq!(feed.update(&RULES, 3599.0, 100.4), 100.0);
        assert_eq!(feed.update(&RULES, 3600.0, 100.4), 100.4, "the heartbeat starts a round");
    }

    #[test]
    fn a_move_beyond_the_band_starts_a_round() {
        let mut feed = PushFeed::new(100.0);
        assert_eq!(feed.update(&RULES, 60.0, 99.6), 100.0, "0.4 % is inside the 0.5 % band");
        assert_eq!(feed.update(&RULES, 120.0, 99.4), 99.4);
    }

    #[test]
    fn latency_rounds_up_to_whole_steps() {
        assert_eq!(RULES.delay_steps(60.0), 1);
        assert_eq!(PushRules { latency_s: 600.0, ..RULES }.delay_steps(60.0), 10);
        assert_eq!(PushRules::PERFECT.delay_steps(60.0), 0);
    }
}
