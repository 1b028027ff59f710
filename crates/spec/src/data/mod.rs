//! Loaders for real data files: price histories, crisis-day bars, pool reserves, gas
//! tables and validator sets (the datasets described in the project's `data/README.md`).
//!
//! A missing or malformed file is a [`DataError`] that names the file and, where it
//! applies, the 1-based row (the CSV line number counting the header as line 1, or the
//! JSON array index counting from 1).

pub mod crises;
pub mod prices;
pub mod validators;

use std::fmt;
use std::path::{Path, PathBuf};

/// A data file that cannot be used, with its place.
#[derive(Debug, Clone, PartialEq)]
pub struct DataError {
    /// The file.
    pub file: PathBuf,
    /// The 1-based row or record, where the problem is in one.
    pub row: Option<usize>,
    /// What is wrong.
    pub problem: DataProblem,
}

impl DataError {
    /// An error about the file as a whole.
    pub fn file(file: &Path, problem: DataProblem) -> Self {
        Self { file: file.to_path_buf(), row: None, problem }
    }

    /// An error at one row of the file.
    pub fn row(file: &Path, row: usize, problem: DataProblem) -> Self {
        Self { file: file.to_path_buf(), row: Some(row), problem }
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.row {
            Some(row) => write!(f, "{}: row {row}: {}", self.file.display(), self.problem),
            None => write!(f, "{}: {}", self.file.display(), self.problem),
        }
    }
}

impl std::error::Error for DataError {}

/// What is wrong with a data file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DataProblem {
    /// The file does not exist.
    #[error("no such file")]
    Missing,
    /// The file exists but could not be read.
    #[error("cannot be read: {0}")]
    Unreadable(String),
    /// Not valid CSV or JSON at this place (a truncated file ends up here).
    #[error("malformed {format}: {message}")]
    Malformed {
        /// `CSV` or `JSON`.
        format: &'static str,
        /// The parser's message.
        message: String,
    },
    /// A column the loader needs is absent from the header.
    #[error("has no column `{column}`; columns: {}", .available.join(", "))]
    MissingColumn {
        /// The column needed.
        column: String,
        /// The columns present.
        available: Vec<String>,
    },
    /// A field that does not hold what its column promises.
    #[error("`{column}` = {found:?} is not {expected}")]
    BadValue {
        /// The column or JSON key.
        column: String,
        /// The text found.
        found: String,
        /// What was expected, in words.
        expected: &'static str,
    },
    /// The file holds no usable rows.
    #[error("holds no usable rows")]
    Empty,
    /// Timestamps must increase.
    #[error("timestamp {found} does not come after the previous row's {previous}")]
    OutOfOrder {
        /// This row's timestamp (seconds).
        found: i64,
        /// The previous row's timestamp (seconds).
        previous: i64,
    },
    /// The file's shape matches none of the known validator-set layouts.
    #[error(
        "is not a validator set bulwark recognizes ({0}); name its columns with `columns = {{ id = ..., stake = ... }}`"
    )]
    UnknownShape(String),
}
