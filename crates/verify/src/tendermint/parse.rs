//! The JSON form of an [`Update`].

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;
use tendermint_light_client_verifier::types::{Time, TrustThreshold};

use super::{LightClientError, Trusted, Untrusted, Update};
use crate::json::Obj;

fn typed<T: DeserializeOwned>(o: &Obj<'_>, key: &str) -> Result<T, LightClientError> {
    let v = o.get(key)?;
    serde_json::from_value(v.clone()).map_err(|e| LightClientError::field(o.child_path(key), e.to_string()))
}

/// An optional u64 written as a decimal string; errors name the bare key.
fn decimal(o: &Obj<'_>, key: &str) -> Result<Option<u64>, LightClientError> {
    match o.opt(key) {
        None => Ok(None),
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().map(Some).map_err(|_| LightClientError::field(key, format!("`{s}` does not fit in 64 bits")))
        }
        Some(_) => Err(LightClientError::field(key, "expected a decimal string")),
    }
}

/// Parses an update in the JSON form of the module docs.
///
/// # Errors
/// [`LightClientError`] naming the first field that is missing or does not parse.
pub fn parse(bytes: &[u8]) -> Result<Update, LightClientError> {
    let v: Value = serde_json::from_slice(bytes)?;
    let top = Obj::new(&v, "")?;
    let t = top.obj("trusted")?;
    let u = top.obj("untrusted")?;
    let trusting_period_ns = decimal(&top, "trusting_period_ns")?
        .ok_or_else(|| LightClientError::Missing { path: "trusting_period_ns".into() })?;
    let clock_drift_ns = decimal(&top, "clock_drift_ns")?.unwrap_or(0);
    let trust_threshold = match top.opt("trust_threshold") {
        None => TrustThreshold::ONE_THIRD,
        Some(tt) => {
            let tt = Obj::new(tt, "trust_threshold")?;
            let n = decimal(&tt, "numerator")?
                .ok_or_else(|| LightClientError::Missing { path: "trust_threshold.numerator".into() })?;
            let d = decimal(&tt, "denominator")?
                .ok_or_else(|| LightClientError::Missing { path: "trust_threshold.denominator".into() })?;
            TrustThreshold::new(n, d)
                .map_err(|e| LightClientError::field("trust_threshold", format!("{e} (it must lie in [1/3, 1])")))?
        }
    };
    let now_s = top.get("now")?.as_str().ok_or_else(|| LightClientError::field("now", "expected an RFC 3339 time"))?;
    let now = Time::parse_from_rfc3339(now_s).map_err(|e| LightClientError::field("now", format!("`{now_s}`: {e}")))?;
    Ok(Update {
        trusted: Trusted {
            signed_header: typed(&t, "signed_header")?,
            next_validators: typed(&t, "next_validator_set")?,
        },
        untrusted: Untrusted {
            signed_header: typed(&u, "signed_header")?,
            validators: typed(&u, "validator_set")?,
            next_validators: typed(&u, "next_validator_set")?,
        },
        trusting_period: Duration::from_nanos(trusting_period_ns),
        clock_drift: Duration::from_nanos(clock_drift_ns),
        trust_threshold,
        now,
    })
}
