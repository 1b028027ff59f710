//! Integration tests of bulwark-sim.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test helpers: a failure should stop the test loudly.

mod backtest;
mod correctness;
mod engine;
mod process;
mod recommend;
mod sweep;
