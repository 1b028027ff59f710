#![doc = include_str!("../README.md")]

pub mod alert;
pub mod anomaly;
pub mod authority;
pub mod breaker;
pub mod config;
pub mod controller;
pub mod error;
pub mod event;
pub mod limiter;
pub mod oracle;
pub mod outcome;
pub mod params;
pub mod steward;

mod guard;

pub use alert::{Alert, AlertStatus, AlertType, Severity};
pub use authority::{AuthMethod, Authority, Requirement};
pub use breaker::{Action, Breaker, BreakerKind, BreakerState, Reason, Scope, Transition};
pub use config::GuardConfig;
pub use error::GuardError;
pub use event::{Event, EventBody, Offence, TimeMs};
pub use guard::{AUDIT_LEN, Guard};
pub use outcome::{AuditEntry, Cause, Decision, MarketStatus, Metrics, Outcome, ParameterChange, PriceView};
pub use params::{Direction, Parameter, ReserveParams};
