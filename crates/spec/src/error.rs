//! Errors of the spec: each names its place (file, line, column and key path), what
//! was found, and what would be valid. Validation collects them all in one pass.

use std::fmt;
use std::path::PathBuf;

use crate::data::DataError;
use crate::units::{DurationError, FractionError, ThresholdError};

/// Where in a spec file an error sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The spec file (or `<embedded>` for the bundled default).
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// One problem in a spec, at one place.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecError {
    /// File, line and column.
    pub location: Location,
    /// The key path, such as `markets[0].reserves.WETH.ltv` (empty for the whole file).
    pub path: String,
    /// What is wrong.
    pub kind: ErrorKind,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.location, self.kind)
        } else {
            write!(f, "{}: {} {}", self.location, self.path, self.kind)
        }
    }
}

/// What is wrong at a place in the spec. Messages read after the key path.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file could not be read at all.
    #[error("cannot be read: {0}")]
    Unreadable(String),
    /// TOML syntax.
    #[error("is not valid TOML: {0}")]
    Syntax(String),
    /// A key that no part of the spec reads.
    #[error("is not a known key{}; valid keys here: {}", suggestion_text(.suggestion), .valid.join(", "))]
    UnknownKey {
        /// The closest valid key, when one is close.
        suggestion: Option<String>,
        /// Every key valid at this place.
        valid: Vec<String>,
    },
    /// A required key is absent.
    #[error("is missing: {0}")]
    MissingKey(String),
    /// A value of the wrong TOML type.
    #[error("= {found} is {found_type}, expected {expected}")]
    WrongType {
        /// What the place needs.
        expected: &'static str,
        /// The value as written.
        found: String,
        /// The TOML type written.
        found_type: &'static str,
    },
    /// A number outside its valid range.
    #[error("= {found} is out of range: must be {valid}")]
    OutOfRange {
        /// The value as written.
        found: String,
        /// The valid range in words, e.g. `in (0, 1)`.
        valid: String,
    },
    /// Aave's configurator requires LTV ≤ liquidation threshold.
    #[error("= {ltv} must not exceed liquidation_threshold = {threshold}")]
    LtvAboveThreshold {
        /// The LTV given.
        ltv: f64,
        /// The liquidation threshold of the same reserve.
        threshold: f64,
    },
    /// Aave's configurator requires LT · (1 + bonus) ≤ 1, or a liquidation could seize
    /// more collateral than backs the debt.
    #[error(
        "= {bonus} is too large for liquidation_threshold = {threshold}: threshold × (1 + bonus) = {product:.4} must not exceed 1"
    )]
    BonusTooLarge {
        /// The liquidation bonus given.
        bonus: f64,
        /// The liquidation threshold of the same reserve.
        threshold: f64,
        /// threshold × (1 + bonus).
        product: f64,
    },
    /// A name that must refer to an entry elsewhere in the spec.
    #[error("= \"{name}\" names no {what}{}; defined: {}", suggestion_text(.suggestion), list_or_none(.known))]
    UnknownReference {
        /// What kind of thing was named (asset, venue, reserve).
        what: &'static str,
        /// The name given.
        name: String,
        /// The closest defined name, when one is close.
        suggestion: Option<String>,
        /// The names defined.
        known: Vec<String>,
    },
    /// The same name twice where names must be unique.
    #[error("= \"{0}\" is defined twice")]
    Duplicate(String),
    /// A fraction that could not be read.
    #[error("= {found} {problem}")]
    BadFraction {
        /// The value as written.
        found: String,
        /// What is wrong with it.
        problem: FractionError,
    },
    /// A duration that could not be read.
    #[error("= {found} {problem}; write a number and a unit, such as \"90s\", \"20m\", \"1h\" or \"1d\"")]
    BadDuration {
        /// The value as written.
        found: String,
        /// What is wrong with it.
        problem: DurationError,
    },
    /// A threshold that could not be read.
    #[error("= {found} {problem}; write it as \"> 1/3\" or \">= 2/3\"")]
    BadThreshold {
        /// The value as written.
        found: String,
        /// What is wrong with it.
        problem: ThresholdError,
    },
    /// A value naming one of a fixed set of choices, but none of them.
    #[error("= \"{found}\" is not one of: {}", .valid.join(", "))]
    UnknownChoice {
        /// The value as written.
        found: String,
        /// The valid choices.
        valid: Vec<&'static str>,
    },
    /// Two values that contradict each other.
    #[error("{0}")]
    Inconsistent(String),
    /// A data file the spec names is missing or malformed.
    #[error("names a data file that cannot be used: {0}")]
    Data(DataError),
}

fn suggestion_text(suggestion: &Option<String>) -> String {
    suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default()
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() { "none".to_string() } else { items.join(", ") }
}

/// Every error found in one spec, in file order. Never empty.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecErrors(pub Vec<SpecError>);

impl SpecErrors {
    /// The errors, in the order of their place in the file.
    pub fn iter(&self) -> impl Iterator<Item = &SpecError> {
        self.0.iter()
    }

    /// How many errors.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: a `SpecErrors` holds at least one error.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecErrors {}
