//! What the service runs: a deterministic state machine whose state can be snapshot.
//!
//! The writer applies events in log order, so replaying the log from a snapshot rebuilds
//! the same state. The guard is the one implementation the binary uses
//! ([`crate::guard_machine`]); tests also run the machinery on small machines of their own.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A deterministic state machine fed by the durable log.
///
/// `apply` must be a function of the state and the event alone (no clock, no I/O,
/// no randomness), and must leave the state unchanged when it returns an error.
pub trait Machine: Send + 'static {
    /// What it is fed; carries a caller-chosen id.
    type Event: Serialize + DeserializeOwned + Send + Sync + 'static;
    /// What it decides for one event.
    type Decision: Serialize + DeserializeOwned + Send + Sync + 'static;

    /// The event's id (idempotency key).
    fn event_id(event: &Self::Event) -> &str;

    /// Applies one event.
    ///
    /// # Errors
    /// A message for the client when the machine refuses the event; the state is then
    /// unchanged.
    fn apply(&mut self, event: &Self::Event) -> Result<Self::Decision, String>;

    /// The state, serialized.
    ///
    /// # Errors
    /// A message when the state cannot be serialized.
    fn snapshot(&self) -> Result<Vec<u8>, String>;

    /// The state a snapshot holds, given a machine freshly built from the configuration.
    ///
    /// # Errors
    /// A message when the bytes are not a snapshot of this machine.
    fn restore(fresh: &Self, bytes: &[u8]) -> Result<Self, String>
    where
        Self: Sized;

    /// A copy of the state to fall back to if a request must be undone.
    fn checkpoint(&self) -> Self
    where
        Self: Sized;

    /// What readers see now, with the log's last sequence number.
    fn view(&self, last_seq: u64) -> View;

    /// Checks (and may complete) the authority an event claims, given how its request
    /// was authenticated: only the admin channel may carry commands that loosen.
    ///
    /// # Errors
    /// A message for the client when the event may not come through this channel.
    fn admit(event: &mut Self::Event, channel: Channel) -> Result<(), String>;

    /// Breakers in force now (for the metrics).
    fn breakers_tripped(&self) -> u64;

    /// Endpoints of this machine's own, merged into the service's router (the guard's
    /// governance and evidence endpoints). None by default.
    fn routes(state: crate::http::AppState<Self>) -> axum::Router
    where
        Self: Sized,
    {
        let _ = state;
        axum::Router::new()
    }
}

/// How a request was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Channel {
    /// The write token (HTTP) or the NATS subscription: observations only.
    Writer,
    /// The admin token: commands with the `admin_token` method too (multisig and guardian
    /// authorities come only from the service's own signature checks).
    Admin,
}

/// What readers see after a commit: each part is served by its own endpoint and the
/// whole is pushed to the dashboard.
#[derive(Debug, Clone, Default, Serialize)]
pub struct View {
    /// A summary: counts, paused markets, the guard's clock.
    pub status: serde_json::Value,
    /// Every circuit breaker and its state.
    pub breakers: serde_json::Value,
    /// Alerts raised, newest last (bounded).
    pub alerts: serde_json::Value,
    /// The risk parameters in force.
    pub parameters: serde_json::Value,
    /// Recent prices and flows, for the dashboard's charts.
    pub series: serde_json::Value,
    /// Governance: its configuration, proposals and the audit trail of commands.
    pub governance: serde_json::Value,
}
