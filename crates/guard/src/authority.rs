//! Who may loosen, and the record of who did.
//!
//! The guard tightens on its own; anything that loosens (unpausing, re-arming a tripped
//! breaker, raising a parameter) is applied only from a command event that carries an
//! [`Authority`], and only when that authority meets the configured [`Requirement`].
//! The guard cannot check signatures or tokens (it does no I/O and holds no keys): the
//! service verifies them before it logs the command. What the guard checks is the
//! shape, failing closed: a named principal, enough distinct signers, and a timelock
//! that has run out by the command's time.

use serde::{Deserialize, Serialize};

use crate::error::GuardError;
use crate::event::TimeMs;

/// The authorization a command carries, as verified by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authority {
    /// Who: an operator's name, a Safe's address.
    pub principal: String,
    /// How it was authorized.
    pub method: AuthMethod,
}

impl Authority {
    /// An operator authorized by the service's admin token.
    pub fn admin(principal: impl Into<String>) -> Self {
        Self { principal: principal.into(), method: AuthMethod::AdminToken }
    }
}

/// How a command was authorized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuthMethod {
    /// The service's admin token.
    AdminToken,
    /// M-of-N signatures (a Safe transaction), queued behind a timelock.
    Multisig {
        /// The signers whose signatures the service verified.
        signers: Vec<String>,
        /// When the command was queued, unix milliseconds; it may execute once the
        /// timelock has passed since.
        queued_ms: TimeMs,
    },
    /// One guardian key's signature, verified by the service: enough to tighten (pause)
    /// at once, never to loosen.
    Guardian {
        /// The guardian's address.
        signer: String,
    },
}

/// What a loosening command must carry (the `[guard]` section's `authorization`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Requirement {
    /// The admin token, or a multisig meeting any threshold (the default while the
    /// service authenticates operators by token).
    AdminToken,
    /// At least `threshold` distinct signers, queued at least `timelock_ms` before.
    Multisig {
        /// M, the signatures required.
        threshold: u32,
        /// Delay between queueing and execution, milliseconds.
        timelock_ms: u64,
    },
}

impl Requirement {
    /// Checks a loosening command's authority at `now_ms`.
    ///
    /// # Errors
    /// [`GuardError::Unauthorized`] naming what is missing: an empty principal, a
    /// method weaker than required, too few distinct signers, or a timelock still running.
    pub fn check(&self, authority: &Authority, now_ms: TimeMs) -> Result<(), GuardError> {
        let deny = |problem: String| Err(GuardError::Unauthorized { principal: authority.principal.clone(), problem });
        if authority.principal.trim().is_empty() {
            return deny("the authority names no principal".into());
        }
        match (self, &authority.method) {
            (Requirement::AdminToken, AuthMethod::AdminToken) => Ok(()),
            (Requirement::AdminToken, AuthMethod::Multisig { signers, .. }) => {
                if signers.is_empty() {
                    deny("a multisig authority without signers".into())
                } else {
                    Ok(())
                }
            }
            (_, AuthMethod::Guardian { .. }) => deny("a guardian's signature may pause, never loosen".into()),
            (Requirement::Multisig { .. }, AuthMethod::AdminToken) => {
                deny("loosening needs multisig signatures; an admin token is not enough".into())
            }
            (Requirement::Multisig { threshold, timelock_ms }, AuthMethod::Multisig { signers, queued_ms }) => {
                let mut distinct: Vec<&str> = signers.iter().map(String::as_str).collect();
                distinct.sort_unstable();
                distinct.dedup();
                if distinct.len() < *threshold as usize {
                    return deny(format!("{} distinct signers, {threshold} required", distinct.len()));
                }
                let ready_ms = queued_ms.saturating_add(*timelock_ms);
                if now_ms < ready_ms {
                    return deny(format!("timelock runs until {ready_ms} ms, now is {now_ms} ms"));
                }
                Ok(())
            }
        }
    }

    /// Checks only that a tightening command names someone (tightening needs no quorum).
    ///
    /// # Errors
    /// [`GuardError::Unauthorized`] when the principal is empty.
    pub fn check_named(authority: &Authority) -> Result<(), GuardError> {
        if authority.principal.trim().is_empty() {
            return Err(GuardError::Unauthorized {
                principal: authority.principal.clone(),
                problem: "the authority names no principal".into(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn multisig(signers: &[&str], queued_ms: TimeMs) -> Authority {
        Authority {
            principal: "0xSafe".into(),
            method: AuthMethod::Multisig { signers: signers.iter().map(|s| s.to_string()).collect(), queued_ms },
        }
    }

    #[test]
    fn multisig_requirement_fails_closed() {
        let req = Requirement::Multisig { threshold: 2, timelock_ms: 1000 };
        assert!(req.check(&Authority::admin("ops"), 5000).is_err());
        assert!(req.check(&multisig(&["a", "a"], 0), 5000).is_err(), "duplicate signers count once");
        assert!(req.check(&multisig(&["a", "b"], 4001), 5000).is_err(), "timelock still running");
        assert!(req.check(&multisig(&["a", "b"], 4000), 5000).is_ok(), "timelock passed exactly");
        assert!(Requirement::AdminToken.check(&Authority::admin(" "), 0).is_err());
        let guardian = Authority { principal: "0xG".into(), method: AuthMethod::Guardian { signer: "0xG".into() } };
        assert!(Requirement::AdminToken.check(&guardian, 0).is_err(), "a guardian never loosens");
        assert!(req.check(&guardian, u64::MAX).is_err());
        assert!(Requirement::check_named(&guardian).is_ok(), "but may tighten");
    }
}
