//! Integration tests of bulwark-spec: the broken-spec corpus, the shipped examples,
//! the spec reference, and arbitrary input.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test helpers: a failure should stop the test loudly.

mod arbitrary_input;
mod broken_specs;
mod docs_reference;
mod examples;

use std::path::PathBuf;

/// The repository root.
pub(crate) fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}
