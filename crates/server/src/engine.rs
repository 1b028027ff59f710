//! The writer: one thread owns the state machine and the log, and applies requests in
//! groups (group commit).
//!
//! Requests queue on a channel. The writer takes the first, then every other request
//! already waiting (up to a bound), applies their events in order, appends them to one
//! write transaction and commits it durably; only then are the requests answered and
//! the new state published to readers. A request is all or nothing: if the machine
//! refuses one of its events, the request's other events are undone and it is answered
//! with the refusal; the other requests of the group are unaffected. If the commit
//! fails, every request of the group is answered "unavailable" and the state is rebuilt
//! from the log, so what readers see never runs ahead of what is durable.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot, watch};

use crate::error::ServerError;
use crate::machine::{Machine, View};
use crate::metrics::Metrics;
use crate::store::Store;

/// Tuning of the writer.
#[derive(Debug, Clone, Copy)]
pub struct EngineOptions {
    /// A snapshot is written once this many events were logged since the last one.
    pub snapshot_every: u64,
    /// The most events one group commit takes (the rest wait for the next).
    pub max_group_events: usize,
    /// Requests that may wait for the writer before submitters are held back.
    pub queue: usize,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self { snapshot_every: 10_000, max_group_events: 50_000, queue: 4_096 }
    }
}

/// What became of one event of an accepted request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome<D> {
    /// The event's id.
    pub id: String,
    /// Its place in the log (for a duplicate: where the first copy was logged).
    pub seq: u64,
    /// True when the id was already logged: acknowledged, not applied again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub duplicate: bool,
    /// The machine's decision (absent for a duplicate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<D>,
}

/// Why a request was not accepted; in every case nothing of it was applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError {
    /// The machine refused one of the events.
    #[error("event {index} (id {id:?}) was refused: {message}; nothing of this request was applied")]
    Rejected {
        /// The event's position in the request, from 0.
        index: usize,
        /// Its id.
        id: String,
        /// The machine's reason.
        message: String,
    },
    /// The log could not be made durable, or the writer stopped.
    #[error("the event log is unavailable: {0}")]
    Unavailable(String),
}

/// The state readers see: published after each durable commit.
#[derive(Debug, Serialize)]
pub struct Published {
    /// The last sequence number the view includes.
    pub seq: u64,
    /// The machine's view.
    #[serde(flatten)]
    pub view: View,
}

/// One logged record: the event and the decision it got.
#[derive(Serialize)]
struct RecordRef<'a, E, D> {
    event: &'a E,
    decision: &'a D,
}

#[derive(Deserialize)]
struct RecordOwned<E> {
    event: E,
    decision: serde_json::Value,
}

type Reply<D> = oneshot::Sender<Result<Vec<Outcome<D>>, SubmitError>>;

struct Submission<M: Machine> {
    events: Vec<M::Event>,
    received: Instant,
    reply: Reply<M::Decision>,
}

enum Job<M: Machine> {
    Submit(Submission<M>),
    Stop,
}

/// The handle to the writer thread.
pub struct Engine<M: Machine> {
    tx: mpsc::Sender<Job<M>>,
    view: watch::Receiver<Arc<Published>>,
    metrics: Arc<Metrics>,
    store: Arc<Store>,
    thread: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl<M: Machine> Engine<M> {
    /// Rebuilds the state from the store (snapshot plus the log after it) and starts the
    /// writer thread.
    ///
    /// `fresh` is the machine as built from the configuration, before any event.
    ///
    /// # Errors
    /// A [`ServerError`] when the store cannot be read or the log does not replay.
    pub fn start(store: Store, fresh: M, options: EngineOptions) -> Result<Self, ServerError> {
        let store = Arc::new(store);
        let metrics = Arc::new(Metrics::default());
        let (machine, last_seq) = recover(&store, &fresh)?;
        let snapshot_seq = store.snapshot()?.map_or(0, |s| s.seq);
        metrics.last_seq.store(last_seq, Ordering::Relaxed);
        metrics.breakers_tripped.store(machine.breakers_tripped(), Ordering::Relaxed);
        let (view_tx, view) = watch::channel(Arc::new(Published { seq: last_seq, view: machine.view(last_seq) }));
        let (tx, rx) = mpsc::channel(options.queue.max(1));
        let writer = Writer {
            machine,
            fresh,
            store: Arc::clone(&store),
            rx,
            view_tx,
            metrics: Arc::clone(&metrics),
            options,
            next_seq: last_seq + 1,
            snapshot_seq,
        };
        let thread = std::thread::Builder::new()
            .name("bulwark-writer".into())
            .spawn(move || writer.run())
            .map_err(|e| ServerError::Io { path: store.path().to_path_buf(), source: e })?;
        Ok(Self { tx, view, metrics, store, thread: std::sync::Mutex::new(Some(thread)) })
    }

    /// Submits a request's events; resolves once they are durable (or refused).
    ///
    /// # Errors
    /// [`SubmitError::Rejected`] when the machine refused an event (nothing applied);
    /// [`SubmitError::Unavailable`] when the log could not be made durable.
    pub async fn submit(
        &self,
        events: Vec<M::Event>,
        received: Instant,
    ) -> Result<Vec<Outcome<M::Decision>>, SubmitError> {
        self.enqueue(events, received).await?.await
    }

    /// Queues a request's events and returns the future of its answer: requests are
    /// applied in the order they were queued, so a caller that must keep an order
    /// (one NATS subscription) queues in order and awaits the answers concurrently.
    ///
    /// # Errors
    /// [`SubmitError::Unavailable`] when the writer stopped.
    pub async fn enqueue(
        &self,
        events: Vec<M::Event>,
        received: Instant,
    ) -> Result<impl Future<Output = Result<Vec<Outcome<M::Decision>>, SubmitError>> + use<M>, SubmitError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Job::Submit(Submission { events, received, reply }))
            .await
            .map_err(|_| SubmitError::Unavailable("the writer stopped".into()))?;
        Ok(async move { answer.await.map_err(|_| SubmitError::Unavailable("the writer stopped".into()))? })
    }

    /// The state after the latest durable commit.
    pub fn view(&self) -> Arc<Published> {
        Arc::clone(&self.view.borrow())
    }

    /// A receiver that wakes after every commit that changed the view.
    pub fn subscribe(&self) -> watch::Receiver<Arc<Published>> {
        self.view.clone()
    }

    /// The service's counters.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Logged records after `after`, as JSON objects `{"seq", "event", "decision"}`
    /// (blocking: call it off the async threads).
    ///
    /// # Errors
    /// [`ServerError::Storage`] on a database error.
    pub fn records_after(&self, after: u64, limit: usize) -> Result<Vec<(u64, Vec<u8>)>, ServerError> {
        self.store.read_after(after, limit)
    }

    /// Stops the writer after the requests already queued, writes a final snapshot and
    /// waits for it (blocking).
    pub fn stop(&self) {
        // The queue may be full of requests: wait for room (this is the shutdown path).
        while let Err(mpsc::error::TrySendError::Full(_)) = self.tx.try_send(Job::Stop) {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let handle = self.thread.lock().ok().and_then(|mut h| h.take());
        if let Some(handle) = handle
            && handle.join().is_err()
        {
            tracing::error!("the writer thread panicked");
        }
    }
}

/// The state machine rebuilt from the latest snapshot and the log after it, with the
/// log's last sequence number.
fn recover<M: Machine>(store: &Store, fresh: &M) -> Result<(M, u64), ServerError> {
    let (mut machine, mut last) = match store.snapshot()? {
        Some(snapshot) => (M::restore(fresh, &snapshot.bytes).map_err(ServerError::Snapshot)?, snapshot.seq),
        None => (fresh.checkpoint(), 0),
    };
    let mut mismatches = 0u64;
    store.for_each_after(last, |seq, bytes| {
        let record: RecordOwned<M::Event> = serde_json::from_slice(bytes)
            .map_err(|e| ServerError::Replay { seq, message: format!("unreadable record: {e}") })?;
        let decision = machine.apply(&record.event).map_err(|message| ServerError::Replay {
            seq,
            message: format!("the guard refused a logged event on replay: {message}"),
        })?;
        if serde_json::to_value(&decision).ok().as_ref() != Some(&record.decision) {
            mismatches += 1;
        }
        last = seq;
        Ok(())
    })?;
    if mismatches > 0 {
        tracing::warn!(mismatches, "replayed decisions differ from the logged ones (was the guard upgraded?)");
    }
    Ok((machine, last))
}

struct Writer<M: Machine> {
    machine: M,
    fresh: M,
    store: Arc<Store>,
    rx: mpsc::Receiver<Job<M>>,
    view_tx: watch::Sender<Arc<Published>>,
    metrics: Arc<Metrics>,
    options: EngineOptions,
    next_seq: u64,
    snapshot_seq: u64,
}

/// A request applied in memory, waiting for the commit.
struct Pending<M: Machine> {
    reply: Reply<M::Decision>,
    received: Instant,
    outcomes: Vec<Outcome<M::Decision>>,
}

impl<M: Machine> Writer<M> {
    fn run(mut self) {
        let mut stopping = false;
        while !stopping {
            let Some(first) = self.rx.blocking_recv() else { break };
            let mut group = Vec::new();
            let mut events = 0;
            for job in std::iter::once(first).chain(std::iter::from_fn(|| self.rx.try_recv().ok())) {
                match job {
                    Job::Submit(s) => {
                        events += s.events.len();
                        group.push(s);
                        if events >= self.options.max_group_events {
                            break;
                        }
                    }
                    Job::Stop => {
                        stopping = true;
                        break;
                    }
                }
            }
            if !group.is_empty() && !self.commit_group(group) {
                tracing::error!("the writer cannot recover the state from the log; stopping");
                return;
            }
        }
        if self.next_seq - 1 > self.snapshot_seq
            && let Err(e) = self.write_snapshot()
        {
            tracing::warn!(error = %e, "final snapshot not written; the next start replays the log");
        }
        tracing::info!(last_seq = self.next_seq - 1, "writer stopped");
    }

    fn write_snapshot(&mut self) -> Result<(), ServerError> {
        let bytes = self.machine.snapshot().map_err(ServerError::Snapshot)?;
        let mut batch = self.store.batch()?;
        batch.put_snapshot(self.next_seq - 1, &bytes)?;
        batch.commit()?;
        self.snapshot_seq = self.next_seq - 1;
        Ok(())
    }

    /// Applies, logs and commits one group; false when the state could not be rebuilt
    /// after a failed commit (the writer must stop).
    fn commit_group(&mut self, group: Vec<Submission<M>>) -> bool {
        let started = Instant::now();
        let first_seq = self.next_seq;
        match self.apply_and_log(group) {
            Ok(pending) => {
                let now = Instant::now();
                self.metrics.commit_latency.observe_n(now - started, 1);
                self.metrics.commits.fetch_add(1, Ordering::Relaxed);
                let applied = self.next_seq - first_seq;
                self.metrics.events_applied.fetch_add(applied, Ordering::Relaxed);
                self.metrics.last_seq.store(self.next_seq - 1, Ordering::Relaxed);
                self.metrics.breakers_tripped.store(self.machine.breakers_tripped(), Ordering::Relaxed);
                if applied > 0 {
                    let seq = self.next_seq - 1;
                    self.view_tx.send_replace(Arc::new(Published { seq, view: self.machine.view(seq) }));
                }
                for p in pending {
                    let n = p.outcomes.len() as u64;
                    let duplicates = p.outcomes.iter().filter(|o| o.duplicate).count() as u64;
                    self.metrics.events_duplicate.fetch_add(duplicates, Ordering::Relaxed);
                    self.metrics.decision_latency.observe_n(now - p.received, n);
                    let _ = p.reply.send(Ok(p.outcomes));
                }
                true
            }
            Err((e, pending)) => {
                tracing::error!(error = %e, "commit failed; the group is answered unavailable");
                for p in pending {
                    let _ = p.reply.send(Err(SubmitError::Unavailable("the commit failed; retry".into())));
                }
                // Memory ran ahead of the log: rebuild it from what is durable.
                match recover(&self.store, &self.fresh) {
                    Ok((machine, last)) => {
                        self.machine = machine;
                        self.next_seq = last + 1;
                        true
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "rebuilding the state failed");
                        false
                    }
                }
            }
        }
    }

    /// Applies every request of the group in memory, appends the accepted ones to one
    /// transaction and commits it. Refused requests are answered at once.
    #[allow(clippy::type_complexity)]
    fn apply_and_log(&mut self, group: Vec<Submission<M>>) -> Result<Vec<Pending<M>>, (ServerError, Vec<Pending<M>>)> {
        let mut pending = Vec::with_capacity(group.len());
        let mut group = group.into_iter();
        let store = Arc::clone(&self.store);
        let mut batch = match store.batch() {
            Ok(b) => b,
            Err(e) => {
                let unanswered = group.map(|s| Pending { reply: s.reply, received: s.received, outcomes: vec![] });
                return Err((e, unanswered.collect()));
            }
        };
        let applied = batch.with_tables(|tables| {
            for submission in group.by_ref() {
                let seq_before = self.next_seq;
                let checkpoint = (submission.events.len() > 1).then(|| self.machine.checkpoint());
                match self.apply_request(tables, &submission.events) {
                    Ok((outcomes, records)) => {
                        let appended = records.iter().try_for_each(|(seq, id, bytes)| tables.append(*seq, id, bytes));
                        pending.push(Pending { reply: submission.reply, received: submission.received, outcomes });
                        appended?;
                    }
                    Err(err) => {
                        // A single refused event left the machine unchanged (the trait's
                        // contract); a longer request is rolled back to its checkpoint.
                        if let Some(checkpoint) = checkpoint {
                            self.machine = checkpoint;
                        }
                        self.next_seq = seq_before;
                        self.metrics.events_rejected.fetch_add(1, Ordering::Relaxed);
                        let _ = submission.reply.send(Err(err));
                    }
                }
            }
            Ok(())
        });
        if let Err(e) = applied.and_then(|r| r) {
            pending.extend(group.map(|s| Pending { reply: s.reply, received: s.received, outcomes: vec![] }));
            return Err((e, pending));
        }
        let last = self.next_seq - 1;
        let mut snapshot_taken = false;
        if last >= self.snapshot_seq + self.options.snapshot_every {
            match self.machine.snapshot() {
                Ok(bytes) => {
                    if let Err(e) = batch.put_snapshot(last, &bytes) {
                        return Err((e, pending));
                    }
                    snapshot_taken = true;
                }
                Err(e) => tracing::warn!(error = %e, "snapshot skipped"),
            }
        }
        match batch.commit() {
            Ok(()) => {
                if snapshot_taken {
                    self.snapshot_seq = last;
                }
                Ok(pending)
            }
            Err(e) => Err((e, pending)),
        }
    }

    /// Applies one request's events; returns their outcomes and the records to log.
    #[allow(clippy::type_complexity)]
    fn apply_request(
        &mut self,
        tables: &crate::store::Tables<'_, '_>,
        events: &[M::Event],
    ) -> Result<(Vec<Outcome<M::Decision>>, Vec<(u64, String, Vec<u8>)>), SubmitError> {
        let mut outcomes = Vec::with_capacity(events.len());
        let mut records = Vec::with_capacity(events.len());
        let mut seen_here: HashMap<&str, u64> = HashMap::new();
        for (index, event) in events.iter().enumerate() {
            let id = M::event_id(event);
            let logged = match seen_here.get(id) {
                Some(&seq) => Some(seq),
                None => tables.seq_of(id).map_err(|e| SubmitError::Unavailable(e.to_string()))?,
            };
            if let Some(seq) = logged {
                outcomes.push(Outcome { id: id.to_string(), seq, duplicate: true, decision: None });
                continue;
            }
            let decision = self.machine.apply(event).map_err(|message| SubmitError::Rejected {
                index,
                id: id.to_string(),
                message,
            })?;
            let seq = self.next_seq;
            self.next_seq += 1;
            let bytes = serde_json::to_vec(&RecordRef { event, decision: &decision })
                .map_err(|e| SubmitError::Unavailable(format!("encoding a record: {e}")))?;
            seen_here.insert(id, seq);
            records.push((seq, id.to_string(), bytes));
            outcomes.push(Outcome { id: id.to_string(), seq, duplicate: false, decision: Some(decision) });
        }
        Ok((outcomes, records))
    }
}
