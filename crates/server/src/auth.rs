//! Bearer tokens and the write rate limit.
//!
//! Tokens are compared in constant time: both sides are hashed (SHA-256) and the digests
//! compared with `subtle`, so neither the content nor the length of the configured token
//! leaks through timing.

use std::sync::Mutex;
use std::time::Instant;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::AppError;

/// The configured tokens.
pub struct Auth {
    writer: [u8; 32],
    admin: Option<[u8; 32]>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth").field("admin", &self.admin.is_some()).finish_non_exhaustive()
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Auth {
    /// The write token, and the admin token if loosening commands are enabled.
    pub fn new(writer: &str, admin: Option<&str>) -> Self {
        Self { writer: digest(writer), admin: admin.map(digest) }
    }

    /// Checks a write request's token; the admin token also passes.
    ///
    /// # Errors
    /// 401 without a token or with a wrong one.
    pub fn check_writer(&self, token: Option<&str>) -> Result<(), AppError> {
        let token =
            token.ok_or_else(|| AppError::unauthorized("send the write token as Authorization: Bearer TOKEN"))?;
        let given = digest(token);
        let admin = self.admin.is_some_and(|a| bool::from(a.ct_eq(&given)));
        if bool::from(self.writer.ct_eq(&given)) || admin {
            Ok(())
        } else {
            Err(AppError::unauthorized("the token is not valid"))
        }
    }

    /// Checks an admin request's token.
    ///
    /// # Errors
    /// 403 when no admin token is configured or the write token is used; 401 without a
    /// token or with a wrong one.
    pub fn check_admin(&self, token: Option<&str>) -> Result<(), AppError> {
        let Some(admin) = self.admin else {
            return Err(AppError::forbidden(
                "admin commands are disabled: start the service with an admin token to enable them",
            ));
        };
        let token =
            token.ok_or_else(|| AppError::unauthorized("send the admin token as Authorization: Bearer TOKEN"))?;
        let given = digest(token);
        if bool::from(admin.ct_eq(&given)) {
            Ok(())
        } else if bool::from(self.writer.ct_eq(&given)) {
            Err(AppError::forbidden("the write token cannot send admin commands"))
        } else {
            Err(AppError::unauthorized("the token is not valid"))
        }
    }
}

/// A token bucket over all write requests.
#[derive(Debug)]
pub struct RateLimiter {
    per_s: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl RateLimiter {
    /// `per_s` requests per second sustained, `burst` at once.
    pub fn new(per_s: f64, burst: f64) -> Self {
        let burst = burst.max(1.0);
        Self { per_s: per_s.max(0.0), burst, state: Mutex::new((burst, Instant::now())) }
    }

    /// Takes one request's token.
    ///
    /// # Errors
    /// The seconds to wait (at least 1) when the bucket is empty.
    pub fn take(&self) -> Result<(), u64> {
        let Ok(mut state) = self.state.lock() else {
            return Err(1);
        };
        let now = Instant::now();
        let (tokens, last) = *state;
        let tokens = (tokens + (now - last).as_secs_f64() * self.per_s).min(self.burst);
        if tokens >= 1.0 {
            *state = (tokens - 1.0, now);
            Ok(())
        } else {
            *state = (tokens, now);
            let wait = if self.per_s > 0.0 { ((1.0 - tokens) / self.per_s).ceil() } else { 60.0 };
            Err((wait as u64).max(1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_told_apart() {
        let auth = Auth::new("w-token", Some("a-token"));
        assert!(auth.check_writer(Some("w-token")).is_ok());
        assert!(auth.check_writer(Some("a-token")).is_ok());
        assert_eq!(auth.check_writer(Some("w-token2")).unwrap_err().status.as_u16(), 401);
        assert_eq!(auth.check_writer(None).unwrap_err().status.as_u16(), 401);
        assert!(auth.check_admin(Some("a-token")).is_ok());
        assert_eq!(auth.check_admin(Some("w-token")).unwrap_err().status.as_u16(), 403);
        assert_eq!(Auth::new("w", None).check_admin(Some("w")).unwrap_err().status.as_u16(), 403);
    }

    #[test]
    fn the_bucket_empties_and_says_how_long_to_wait() {
        let limiter = RateLimiter::new(0.5, 2.0);
        assert!(limiter.take().is_ok());
        assert!(limiter.take().is_ok());
        assert_eq!(limiter.take(), Err(2));
    }
}
