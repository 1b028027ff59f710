//! Reading fields out of a `serde_json::Value` with the JSON path in every error, and the
//! error those readers return, shared by the JSON-reading verifiers.

use serde_json::{Map, Value};

/// A JSON document that does not parse: the place (line and column, or a JSON path) and
/// the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentError {
    /// The bytes are not JSON.
    #[error("not valid JSON at line {line}, column {column}: {message}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What serde_json reported.
        message: String,
    },
    /// A field is missing.
    #[error("`{path}` is missing")]
    Missing {
        /// JSON path of the field.
        path: String,
    },
    /// A field holds a value of the wrong form.
    #[error("`{path}`: {problem}")]
    Field {
        /// JSON path of the field.
        path: String,
        /// What is wrong, and what would be valid.
        problem: String,
    },
}

impl DocumentError {
    pub(crate) fn field(path: impl Into<String>, problem: impl Into<String>) -> Self {
        DocumentError::Field { path: path.into(), problem: problem.into() }
    }
}

impl From<serde_json::Error> for DocumentError {
    fn from(e: serde_json::Error) -> Self {
        DocumentError::Json { line: e.line(), column: e.column(), message: e.to_string() }
    }
}

/// A JSON object and the path that led to it.
pub(crate) struct Obj<'a> {
    pub(crate) map: &'a Map<String, Value>,
    pub(crate) path: String,
}

impl<'a> Obj<'a> {
    /// The value at `path` as an object.
    pub(crate) fn new(v: &'a Value, path: impl Into<String>) -> Result<Self, DocumentError> {
        let path = path.into();
        match v.as_object() {
            Some(map) => Ok(Obj { map, path }),
            None => Err(DocumentError::field(display(&path), "expected an object")),
        }
    }

    pub(crate) fn child_path(&self, key: &str) -> String {
        if self.path.is_empty() { key.to_owned() } else { format!("{}.{key}", self.path) }
    }

    pub(crate) fn get(&self, key: &str) -> Result<&'a Value, DocumentError> {
        self.map.get(key).ok_or_else(|| DocumentError::Missing { path: self.child_path(key) })
    }

    pub(crate) fn opt(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub(crate) fn obj(&self, key: &str) -> Result<Obj<'a>, DocumentError> {
        Obj::new(self.get(key)?, self.child_path(key))
    }

    pub(crate) fn array(&self, key: &str) -> Result<&'a Vec<Value>, DocumentError> {
        self.get(key)?.as_array().ok_or_else(|| DocumentError::field(self.child_path(key), "expected an array"))
    }

    pub(crate) fn str(&self, key: &str) -> Result<&'a str, DocumentError> {
        self.get(key)?.as_str().ok_or_else(|| DocumentError::field(self.child_path(key), "expected a string"))
    }

    pub(crate) fn bool(&self, key: &str) -> Result<bool, DocumentError> {
        self.get(key)?.as_bool().ok_or_else(|| DocumentError::field(self.child_path(key), "expected true or false"))
    }

    /// A u64 written as a decimal string, as the beacon API and EIP-3076 write them.
    pub(crate) fn u64_str(&self, key: &str) -> Result<u64, DocumentError> {
        decimal_u64(self.get(key)?, &self.child_path(key))
    }

    /// Bytes written as `0x`-prefixed hex of exactly `N` bytes.
    pub(crate) fn hex<const N: usize>(&self, key: &str) -> Result<[u8; N], DocumentError> {
        hex_bytes::<N>(self.str(key)?, &self.child_path(key))
    }
}

fn display(path: &str) -> &str {
    if path.is_empty() { "(top level)" } else { path }
}

/// A u64 as a decimal string (no sign, no leading `+`, no spaces).
pub(crate) fn decimal_u64(v: &Value, path: &str) -> Result<u64, DocumentError> {
    let s = v.as_str().ok_or_else(|| DocumentError::field(path, "expected a decimal string, e.g. \"12\""))?;
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DocumentError::field(path, format!("`{s}` is not a decimal integer")));
    }
    s.parse::<u64>().map_err(|_| DocumentError::field(path, format!("`{s}` does not fit in 64 bits")))
}

/// `0x`-prefixed hex of exactly `N` bytes.
pub(crate) fn hex_bytes<const N: usize>(s: &str, path: &str) -> Result<[u8; N], DocumentError> {
    let digits = s
        .strip_prefix("0x")
        .ok_or_else(|| DocumentError::field(path, format!("expected 0x-prefixed hex of {N} bytes")))?;
    let mut out = [0u8; N];
    hex::decode_to_slice(digits, &mut out).map_err(|e| {
        DocumentError::field(path, format!("expected 0x-prefixed hex of {N} bytes ({} hex digits): {e}", 2 * N))
    })?;
    Ok(out)
}

/// `0x`-prefixed hex of exactly 32 bytes written back.
pub(crate) fn hex32(b: &[u8; 32]) -> String {
    format!("0x{}", hex::encode(b))
}
