#![doc = include_str!("../README.md")]

pub mod auth;
pub mod clock;
pub mod dashboard;
pub mod engine;
pub mod error;
pub mod evidence;
pub mod governance;
pub mod guard_machine;
pub mod http;
pub mod ingest;
pub mod load;
pub mod machine;
pub mod metrics;
pub mod nats;
pub mod service;
pub mod store;

pub use engine::{Engine, EngineOptions, Outcome, Published, SubmitError};
pub use error::{AppError, ServerError};
pub use http::{AppState, Limits, app};
pub use machine::{Channel, Machine, View};
pub use service::{Running, ServeOptions, init_tracing, run_blocking, serve, shutdown_signal, start};
pub use store::Store;
