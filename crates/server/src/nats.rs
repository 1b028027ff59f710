//! Ingestion from NATS: at least once over core NATS, applied exactly once.
//!
//! Publishers send each message as a request (`nats request SUBJECT BODY`, or
//! `Client::request`) and re-send it until a reply comes. The service answers only
//! after the message's events are durable, so a reply means "logged". A re-sent message
//! is answered with `duplicate` outcomes and applied no second time, because every
//! event carries an id and the log remembers every id. Messages without a reply
//! subject are applied just the same, but their publisher cannot know they were.
//!
//! The body is the same as `POST /v1/events`: a JSON array, one object, or one object
//! per line. NATS publishers are trusted as far as the subject's permissions say
//! (configure those in the NATS server); like the write token, they may send
//! observations but not commands.
//!
//! A reply is JSON: `{"ok": true, "applied", "duplicates", "results"}` or
//! `{"ok": false, "error": {"code", "message"}}`.

use std::sync::Arc;
use std::time::Instant;

use futures_util::StreamExt;
use serde::Serialize;

use crate::engine::Engine;
use crate::error::{AppError, ServerError};
use crate::http::{Accepted, submit_error};
use crate::ingest::{ParseLimits, parse_events};
use crate::machine::{Channel, Machine};

/// Where to read events from.
#[derive(Debug, Clone)]
pub struct NatsOptions {
    /// The server, e.g. `nats://127.0.0.1:4222`.
    pub url: String,
    /// The subject to subscribe to (wildcards allowed).
    pub subject: String,
}

#[derive(Serialize)]
struct ErrorReply<'a> {
    ok: bool,
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
struct OkReply<D> {
    ok: bool,
    #[serde(flatten)]
    accepted: Accepted<D>,
}

/// Connects and subscribes; returns the subscription to hand to [`run`].
///
/// # Errors
/// [`ServerError::Nats`] when the server cannot be reached or the subscription fails.
pub async fn connect(options: &NatsOptions) -> Result<(async_nats::Client, async_nats::Subscriber), ServerError> {
    let err = |message: String| ServerError::Nats { url: options.url.clone(), message };
    let client = async_nats::connect(options.url.as_str()).await.map_err(|e| err(e.to_string()))?;
    let subscriber = client.subscribe(options.subject.clone()).await.map_err(|e| err(e.to_string()))?;
    // The subscription is registered at the server once this returns.
    client.flush().await.map_err(|e| err(e.to_string()))?;
    Ok((client, subscriber))
}

/// Applies every message of the subscription in the order received, answering each
/// (when it has a reply subject) once its events are durable. Returns when the
/// subscription ends.
pub async fn run<M: Machine>(
    client: async_nats::Client,
    mut subscriber: async_nats::Subscriber,
    engine: Arc<Engine<M>>,
    limits: ParseLimits,
) {
    while let Some(message) = subscriber.next().await {
        let received = Instant::now();
        let parsed = parse_events::<M>(&message.payload, limits, Channel::Writer);
        let answer = match parsed {
            Err(e) => {
                engine.metrics().requests_refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::debug!(error = %e, "a NATS message was refused");
                Err(e.into_app_error())
            }
            // Queued in order here; the answer is awaited beside the next messages, so
            // concurrent messages share a group commit.
            Ok(events) => match engine.enqueue(events, received).await {
                Ok(pending) => {
                    let client = client.clone();
                    let reply = message.reply.clone();
                    tokio::spawn(async move {
                        let answer = pending.await.map(Accepted::new).map_err(submit_error);
                        respond(&client, reply, answer).await;
                    });
                    continue;
                }
                Err(e) => Err(submit_error(e)),
            },
        };
        respond::<M::Decision>(&client, message.reply, answer).await;
    }
    tracing::info!("the NATS subscription ended");
}

async fn respond<D: Serialize>(
    client: &async_nats::Client,
    reply: Option<async_nats::Subject>,
    answer: Result<Accepted<D>, AppError>,
) {
    let Some(reply) = reply else { return };
    let body = match answer {
        Ok(accepted) => serde_json::to_vec(&OkReply { ok: true, accepted }),
        Err(e) => {
            serde_json::to_vec(&ErrorReply { ok: false, error: ErrorDetail { code: e.code, message: &e.message } })
        }
    };
    match body {
        Ok(body) => {
            if let Err(e) = client.publish(reply, body.into()).await {
                tracing::warn!(error = %e, "a NATS reply could not be sent; the publisher will re-send");
            }
        }
        Err(e) => tracing::error!(error = %e, "a NATS reply could not be encoded"),
    }
}
