//! The main + elastic buffer limiter (`DeFi-Circuit-Breaker/erc7265`,
//! `src/limiter/DecreaseLimiterLib.sol`, `docs/Decrease-Limiter.md`; REFERENCES.md §7.1).
//!
//! # Formula
//! With TVL `x`, largest draw `r`, main window `T_m` and elastic window `T_l`, over a
//! time step `Δt` the main buffer refills linearly and the elastic buffer decays:
//! `b_m' = min(x·r, b_m + x·r·Δt/T_m)`, `b_l' = max(0, b_l − b_l·Δt/T_l)`.
//! An inflow adds to `b_l`; an outflow drains `b_l` first, then `b_m`; what is left
//! over is the overflow, and the limiter fails iff it is positive (an outflow equal to
//! `b_l + b_m` passes). A flash-loan round trip (in, then out) therefore cancels in
//! the elastic buffer instead of emptying the main one.
//!
//! Buffers are kept relative to TVL (`b_m / (x·r)` and `b_l / x`), as the reference
//! packs them, so a TVL re-read scales them. The main buffer starts full (the design
//! note's start state `(1, 0)`); with a TVL of zero the reference's representation
//! is zero, which this keeps. Amounts are `f64` tokens (the reference's WAD rounding
//! is below their resolution).

use serde::{Deserialize, Serialize};

use crate::event::TimeMs;

/// The limiter's parameters (`LimiterConfig`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ElasticConfig {
    /// `r`, the largest short-term draw as a fraction of TVL, in (0, 1).
    pub max_draw: f64,
    /// `T_m`, the main buffer's refill window, milliseconds (positive).
    pub main_window_ms: u64,
    /// `T_l`, the elastic buffer's decay window, milliseconds (positive).
    pub elastic_window_ms: u64,
}

/// The result of one outflow.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ElasticOutcome {
    /// Main + elastic buffer just before the outflow.
    pub capacity: f64,
    /// The part of the outflow beyond the capacity; the limit is hit iff positive.
    pub overflow: f64,
}

/// The state of one asset's buffer limiter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ElasticLimiter {
    config: ElasticConfig,
    last_ms: TimeMs,
    main_repr: f64,
    elastic_repr: f64,
    tvl: f64,
}

impl ElasticLimiter {
    /// A limiter over `tvl` tokens at `now_ms`, main buffer full, elastic empty.
    /// `None` unless `0 < max_draw < 1`, both windows are positive and `tvl >= 0`.
    pub fn new(config: ElasticConfig, tvl: f64, now_ms: TimeMs) -> Option<Self> {
        let ok = config.max_draw > 0.0
            && config.max_draw < 1.0
            && config.main_window_ms > 0
            && config.elastic_window_ms > 0
            && tvl.is_finite()
            && tvl >= 0.0;
        ok.then_some(Self {
            config,
            last_ms: now_ms,
            main_repr: if tvl > 0.0 { 1.0 } else { 0.0 },
            elastic_repr: 0.0,
            tvl,
        })
    }

    /// The parameters.
    pub fn config(&self) -> &ElasticConfig {
        &self.config
    }

    /// TVL as the limiter counts it, tokens.
    pub fn tvl(&self) -> f64 {
        self.tvl
    }

    /// `(main, elastic)` buffers at `now_ms`, after the passive refill and decay.
    pub fn buffers_at(&self, now_ms: TimeMs) -> (f64, f64) {
        self.passive(self.tvl, now_ms)
    }

    /// Main + elastic at `now_ms`: the largest outflow that passes.
    pub fn capacity_at(&self, now_ms: TimeMs) -> f64 {
        let (main, elastic) = self.buffers_at(now_ms);
        main + elastic
    }

    fn passive(&self, tvl: f64, now_ms: TimeMs) -> (f64, f64) {
        let cap = tvl * self.config.max_draw;
        let main = cap * self.main_repr;
        let elastic = tvl * self.elastic_repr;
        let dt = now_ms.saturating_sub(self.last_ms) as f64;
        let main = cap.min(main + cap * dt / self.config.main_window_ms as f64);
        let elastic = (elastic - elastic * dt / self.config.elastic_window_ms as f64).max(0.0);
        (main, elastic)
    }

    fn store(&mut self, main: f64, elastic: f64, tvl: f64, now_ms: TimeMs) {
        let cap = tvl * self.config.max_draw;
        self.main_repr = if cap > 0.0 { (main / cap).clamp(0.0, 1.0) } else { 0.0 };
        self.elastic_repr = if tvl > 0.0 { (elastic / tvl).clamp(0.0, 1.0) } else { 0.0 };
        self.tvl = tvl;
        self.last_ms = self.last_ms.max(now_ms);
    }

    /// `applyInflow`: an inflow never overflows; it raises the elastic buffer and TVL.
    pub fn inflow(&mut self, amount: f64, now_ms: TimeMs) {
        let (main, elastic) = self.passive(self.tvl, now_ms);
        self.store(main, elastic + amount, self.tvl + amount, now_ms);
    }

    /// `applyOutflow`: drains the elastic buffer, then the main one. The outflow is
    /// recorded even when it overflows (the guard observes flows, it does not block them).
    pub fn outflow(&mut self, amount: f64, now_ms: TimeMs) -> ElasticOutcome {
        let (main, elastic) = self.passive(self.tvl, now_ms);
        let capacity = main + elastic;
        let from_elastic = amount.min(elastic);
        let rest = amount - from_elastic;
        let from_main = rest.min(main);
        let overflow = rest - from_main;
        self.store(main - from_main, elastic - from_elastic, (self.tvl - amount).max(0.0), now_ms);
        ElasticOutcome { capacity, overflow }
    }

    /// `applyUpdate`: re-reads TVL (an unaccounted transfer) and applies the passive update.
    pub fn update(&mut self, tvl: f64, now_ms: TimeMs) {
        let (main, elastic) = self.passive(tvl, now_ms);
        self.store(main, elastic, tvl, now_ms);
    }
}
