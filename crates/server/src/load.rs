//! A load generator over loopback: a minimal blocking HTTP/1.1 client and a bounded run
//! that posts pre-built batches from several connections and reports throughput and
//! latency percentiles. Used by `benches/load.rs` and the tests.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// One keep-alive HTTP/1.1 connection.
pub struct Client {
    reader: BufReader<TcpStream>,
    addr: SocketAddr,
}

/// A response: status and body.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Client {
    /// Connects to `addr`.
    ///
    /// # Errors
    /// The connection's I/O error.
    pub fn connect(addr: SocketAddr) -> io::Result<Self> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(Self { reader: BufReader::new(stream), addr })
    }

    /// Sends one request and reads the response (which must carry `Content-Length`).
    ///
    /// # Errors
    /// An I/O error, or `InvalidData` for a response this client cannot read.
    pub fn request(&mut self, method: &str, path: &str, token: Option<&str>, body: &[u8]) -> io::Result<Reply> {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        if let Some(token) = token {
            head.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        head.push_str("\r\n");
        let stream = self.reader.get_mut();
        stream.write_all(head.as_bytes())?;
        stream.write_all(body)?;
        stream.flush()?;
        self.read_reply()
    }

    fn read_reply(&mut self) -> io::Result<Reply> {
        let bad = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed the connection"));
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad(format!("status line {line:?}")))?;
        let mut length = None;
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = Some(value.trim().parse::<usize>().map_err(|e| bad(format!("content-length: {e}")))?);
            }
        }
        let length = length.ok_or_else(|| bad("a response without Content-Length".into()))?;
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body)?;
        Ok(Reply { status, body })
    }
}

/// A bounded load run.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The service.
    pub addr: SocketAddr,
    /// The write token.
    pub token: String,
    /// Concurrent connections.
    pub connections: usize,
    /// Stop after this long even if bodies remain.
    pub max_duration: Duration,
    /// Offered load in events per second: body `i` is due when the events before it
    /// are, at this rate, and its latency counts from when it was due (so a slow
    /// service cannot hide its queueing). `None`: as fast as the service answers.
    pub rate: Option<f64>,
}

/// What a load run measured.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// Events acknowledged (status 200).
    pub events: u64,
    /// Requests sent.
    pub requests: u64,
    /// Requests answered with another status, or failed.
    pub errors: u64,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Per-request latencies: from when the request was due (sent, without a rate) to
    /// its acknowledgement.
    pub latencies: Vec<Duration>,
}

impl LoadReport {
    /// Acknowledged events per second.
    pub fn events_per_s(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `q` quantile (0 to 1) of the request latencies (nearest rank).
    pub fn latency_quantile(&self, q: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        if sorted.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((q.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    }
}

/// Posts every body (each a batch of `events_per_body[i]` events) to `/v1/events` from
/// `connections` threads, each taking the next body in turn.
///
/// # Errors
/// The first connection error.
pub fn run(options: &LoadOptions, bodies: Arc<Vec<(Vec<u8>, u64)>>) -> io::Result<LoadReport> {
    let next = Arc::new(AtomicUsize::new(0));
    // When each body is due, as an offset from the start.
    let due: Arc<Vec<Duration>> = Arc::new(match options.rate {
        Some(rate) if rate > 0.0 => {
            let mut before = 0u64;
            bodies
                .iter()
                .map(|(_, n)| {
                    let at = Duration::from_secs_f64(before as f64 / rate);
                    before += n;
                    at
                })
                .collect()
        }
        _ => Vec::new(),
    });
    let started = Instant::now();
    let deadline = started + options.max_duration;
    let mut workers = Vec::new();
    for _ in 0..options.connections.max(1) {
        let bodies = Arc::clone(&bodies);
        let next = Arc::clone(&next);
        let due = Arc::clone(&due);
        let token = options.token.clone();
        let mut client = Client::connect(options.addr)?;
        workers.push(std::thread::spawn(move || {
            let mut latencies = Vec::new();
            let (mut events, mut requests, mut errors) = (0u64, 0u64, 0u64);
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((body, n)) = bodies.get(i) else { break };
                let sent = match due.get(i) {
                    Some(offset) => {
                        let at = started + *offset;
                        if let Some(wait) = at.checked_duration_since(Instant::now()) {
                            std::thread::sleep(wait);
                        }
                        at
                    }
                    None => Instant::now(),
                };
                let reply = client.request("POST", "/v1/events", Some(&token), body);
                latencies.push(sent.elapsed());
                requests += 1;
                match reply {
                    Ok(r) if r.status == 200 => events += n,
                    Ok(_) => errors += 1,
                    Err(_) => {
                        errors += 1;
                        break;
                    }
                }
            }
            (latencies, events, requests, errors)
        }));
    }
    let mut report = LoadReport { events: 0, requests: 0, errors: 0, elapsed: Duration::ZERO, latencies: Vec::new() };
    for worker in workers {
        let (latencies, events, requests, errors) =
            worker.join().map_err(|_| io::Error::other("a load thread panicked"))?;
        report.latencies.extend(latencies);
        report.events += events;
        report.requests += requests;
        report.errors += errors;
    }
    report.elapsed = started.elapsed();
    Ok(report)
}
