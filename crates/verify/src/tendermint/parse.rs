//! The JSON form of an [`Update`].

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tendermint_light_client_verifier::types::{Time, TrustThreshold};

use super::{LightClientError, Trusted, Untrusted, Update};

impl From<serde_json::Error> for LightClientError {
    fn from(e: serde_json::Error) -> Self {
        LightClientError::Json { line: e.line(), column: e.column(), message: e.to_string() }
    }
}

fn field(path: &str, problem: impl Into<String>) -> LightClientError {
    LightClientError::Field { path: path.to_owned(), problem: problem.into() }
}

fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, LightClientError> {
    v.as_object().ok_or_else(|| field(path, "expected an object"))
}

fn get<'a>(o: &'a Map<String, Value>, key: &str, path: &str) -> Result<&'a Value, LightClientError> {
    o.get(key).ok_or_else(|| LightClientError::Missing { path: join(path, key) })
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") }
}

fn typed<T: DeserializeOwned>(o: &Map<String, Value>, key: &str, path: &str) -> Result<T, LightClientError> {
    let v = get(o, key, path)?;
    serde_json::from_value(v.clone()).map_err(|e| field(&join(path, key), e.to_string()))
}

fn decimal(o: &Map<String, Value>, key: &str) -> Result<Option<u64>, LightClientError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().map(Some).map_err(|_| field(key, format!("`{s}` does not fit in 64 bits")))
        }
        Some(_) => Err(field(key, "expected a decimal string")),
    }
}

/// Parses an update in the JSON form of the module docs.
///
/// # Errors
/// [`LightClientError`] naming the first field that is missing or does not parse.
pub fn parse(bytes: &[u8]) -> Result<Update, LightClientError> {
    let v: Value = serde_json::from_slice(bytes)?;
    let top = object(&v, "(top level)")?;
    let t = object(get(top, "trusted", "")?, "trusted")?;
    let u = object(get(top, "untrusted", "")?, "untrusted")?;
    let trusting_period_ns = decimal(top, "trusting_period_ns")?
        .ok_or_else(|| LightClientError::Missing { path: "trusting_period_ns".into() })?;
    let clock_drift_ns = decimal(top, "clock_drift_ns")?.unwrap_or(0);
    let trust_threshold = match top.get("trust_threshold") {
        None | Some(Value::Null) => TrustThreshold::ONE_THIRD,
        Some(tt) => {
            let tt = object(tt, "trust_threshold")?;
            let n = decimal(tt, "numerator")?
                .ok_or_else(|| LightClientError::Missing { path: "trust_threshold.numerator".into() })?;
            let d = decimal(tt, "denominator")?
                .ok_or_else(|| LightClientError::Missing { path: "trust_threshold.denominator".into() })?;
            TrustThreshold::new(n, d).map_err(|e| field("trust_threshold", format!("{e} (it must lie in [1/3, 1])")))?
        }
    };
    let now_s = get(top, "now", "")?.as_str().ok_or_else(|| field("now", "expected an RFC 3339 time"))?;
    let now = Time::parse_from_rfc3339(now_s).map_err(|e| field("now", format!("`{now_s}`: {e}")))?;
    Ok(Update {
        trusted: Trusted {
            signed_header: typed(t, "signed_header", "trusted")?,
            next_validators: typed(t, "next_validator_set", "trusted")?,
        },
        untrusted: Untrusted {
            signed_header: typed(u, "signed_header", "untrusted")?,
            validators: typed(u, "validator_set", "untrusted")?,
            next_validators: typed(u, "next_validator_set", "untrusted")?,
        },
        trusting_period: Duration::from_nanos(trusting_period_ns),
        clock_drift: Duration::from_nanos(clock_drift_ns),
        trust_threshold,
        now,
    })
}
