//! The bundled example: `bulwark assess` with no SPEC. The spec and every data file it
//! reads are compiled into the binary, so it runs from any folder. From a clone of the
//! repository the data is read where it lies; elsewhere the embedded copies are written
//! once to a cache folder and read from there.

use std::io;
use std::path::{Path, PathBuf};

use bulwark_spec::{Protocol, SpecErrors};

/// Where the example lives in the repository, for messages.
const SPEC_PATH: &str = "examples/aave-v3-ethereum.toml";
const SPEC: &str = include_str!("../../../examples/aave-v3-ethereum.toml");

/// Every file the example reads, by its path relative to the repository root.
const FILES: &[(&str, &str)] = &[
    ("data/prices/chainlink_hourly/WETH_usd.csv", include_str!("../../../data/prices/chainlink_hourly/WETH_usd.csv")),
    ("data/prices/chainlink_hourly/WBTC_usd.csv", include_str!("../../../data/prices/chainlink_hourly/WBTC_usd.csv")),
    (
        "data/prices/chainlink_hourly/wstETH_usd.csv",
        include_str!("../../../data/prices/chainlink_hourly/wstETH_usd.csv"),
    ),
    (
        "data/validators/ethereum_staking_entities_2023-04-19.csv",
        include_str!("../../../data/validators/ethereum_staking_entities_2023-04-19.csv"),
    ),
];

/// Loads `spec`, or the bundled example without one; prints the errors of an invalid
/// spec and returns `None` for it. The label names the spec in reports.
///
/// # Errors
/// An I/O error preparing the bundled example.
pub(crate) fn load_spec(
    spec: Option<&Path>,
    progress: &crate::progress::Progress,
) -> io::Result<Option<(Protocol, String)>> {
    let (loaded, label) = match spec {
        Some(path) => (bulwark_spec::load(path), path.display().to_string()),
        None => load()?,
    };
    match loaded {
        Ok(p) => Ok(Some((p, label))),
        Err(errors) => {
            progress.finish();
            crate::progress::error(&format!("{label} is not a valid spec:\n{errors}"));
            Ok(None)
        }
    }
}

/// Loads the bundled example; the label names it in reports.
///
/// # Errors
/// An I/O error if the embedded data cannot be written to the cache folder.
pub(crate) fn load() -> io::Result<(Result<Protocol, SpecErrors>, String)> {
    let root = match repository_root() {
        Some(root) => root,
        None => extract(&cache_dir())?,
    };
    let label = format!("{SPEC_PATH} (bundled)");
    Ok((bulwark_spec::parse_str(SPEC, Path::new(SPEC_PATH), &root.join("examples")), label))
}

/// The spec's text, the name it goes by and the folder its data paths resolve against:
/// `spec` read from disk, or the bundled example. Sweeps re-validate it with overrides.
///
/// # Errors
/// An I/O error reading `spec` or preparing the bundled example.
pub(crate) fn spec_text(spec: Option<&Path>) -> io::Result<bulwark_sim::sweep::SpecText> {
    match spec {
        Some(path) => bulwark_sim::sweep::SpecText::read(path),
        None => {
            let root = match repository_root() {
                Some(root) => root,
                None => extract(&cache_dir())?,
            };
            Ok(bulwark_sim::sweep::SpecText {
                text: SPEC.to_string(),
                file: PathBuf::from(SPEC_PATH),
                base: root.join("examples"),
            })
        }
    }
}

/// The repository this binary was built from, if it is still there with the same data.
fn repository_root() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    FILES
        .iter()
        .all(|(rel, body)| std::fs::metadata(root.join(rel)).is_ok_and(|m| m.len() == body.len() as u64))
        .then_some(root)
}

fn cache_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    base.join(format!("bulwark-{}-bundled", env!("CARGO_PKG_VERSION")))
}

/// Writes the embedded files under `dir` (once: a complete folder is reused) and
/// returns the root to resolve the example against. The folder is built under a
/// temporary name and renamed into place, so a crash never leaves half of it.
pub(crate) fn extract(dir: &Path) -> io::Result<PathBuf> {
    let complete =
        FILES.iter().all(|(rel, body)| std::fs::metadata(dir.join(rel)).is_ok_and(|m| m.len() == body.len() as u64));
    if complete {
        return Ok(dir.to_path_buf());
    }
    let staging = dir.with_extension(format!("tmp-{}", std::process::id()));
    for (rel, body) in FILES {
        let path = staging.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, body)?;
    }
    std::fs::create_dir_all(staging.join("examples"))?;
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::rename(&staging, dir)?;
    Ok(dir.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_copies_alone_make_a_valid_example() {
        // Guards the case of a binary run far from its repository.
        let tmp = tempfile::tempdir().unwrap();
        let root = extract(&tmp.path().join("bundled")).unwrap();
        let protocol = bulwark_spec::parse_str(SPEC, Path::new(SPEC_PATH), &root.join("examples"));
        assert!(protocol.is_ok(), "{}", protocol.err().map(|e| e.to_string()).unwrap_or_default());
        // A second call reuses the complete folder.
        assert_eq!(extract(&tmp.path().join("bundled")).unwrap(), root);
    }
}
