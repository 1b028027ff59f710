//! Integration tests of bulwark-server: the HTTP API without a socket, NATS ingestion
//! against a real nats-server, the crash test (SIGKILL during a burst) and the
//! dashboard in headless Chromium.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test helpers: a failure should stop the test loudly.

mod api;
mod cdp;
mod crash;
mod dashboard;
mod governance;
mod guard;
mod nats;
mod toy;
