#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Integration tests of the guard: the ERC-7265 reference scenarios, the buffer
//! limiter, the tighten-only rule, crisis replays and properties.

mod elastic;
mod erc7265;
mod properties;
mod rules;

/// The repository root, for the bundled example and the data.
pub(crate) fn repo() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
mod replay;
