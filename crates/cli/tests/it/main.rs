//! End-to-end tests of the `bulwark` binary: exit codes, stdout formats, the report
//! folder, and the bundled example run from a folder far from the repository.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test helpers: a failure should stop the test loudly.

mod analyses;
mod assess;
mod browser;
mod sensitivity;
mod validate;
mod verify;
mod verify_consensus;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub(crate) fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// Runs `bulwark` with `args` in `cwd`.
pub(crate) fn bulwark(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bulwark")).args(args).current_dir(cwd).output().expect("the binary runs")
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
