//! Integration tests of bulwark-market: the Uniswap v3 port checked bit for bit against
//! the `uniswap_v3_math` crate and against the contract's own recorded swaps, and the
//! curves against the closed forms of REFERENCES.md §4.1.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test helpers: a failure should stop the test loudly.

mod contract_swaps;
mod curves;
mod reference_crate;
mod tick_walk;

use std::path::PathBuf;

/// A fixture file of this crate.
pub(crate) fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures")).join(name)
}
