//! The dashboard: one self-contained page (no external scripts, styles or fonts) that
//! subscribes to `/v1/stream` and redraws breakers, alerts, parameters and the price
//! and flow charts on every update.

/// The page served at `/`.
pub const PAGE: &str = include_str!("../static/dashboard.html");
