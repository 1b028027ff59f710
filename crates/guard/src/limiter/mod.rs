//! Outflow rate limits: ERC-7265's tick-bucketed limiter, and the newer main +
//! elastic buffer limiter that flash-loan round trips cannot exhaust.

pub mod elastic;
pub mod erc7265;

pub use elastic::{ElasticConfig, ElasticLimiter, ElasticOutcome};
pub use erc7265::{Erc7265Config, Erc7265Limiter, LimitStatus};
