//! Starting and stopping the service: the store, the writer, the HTTP listener, NATS.

use std::future::Future;
use std::io::{IsTerminal, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::auth::Auth;
use crate::engine::{Engine, EngineOptions};
use crate::error::ServerError;
use crate::http::{About, AppState, Limits, app};
use crate::ingest::ParseLimits;
use crate::machine::Machine;
use crate::nats::NatsOptions;
use crate::store::Store;

/// Everything `bulwark serve` is configured with.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Where to listen (port 0: any free port; the log line says which).
    pub listen: SocketAddr,
    /// The folder of the durable log.
    pub data_dir: PathBuf,
    /// The bearer token for `POST /v1/events`.
    pub writer_token: String,
    /// The bearer token for `POST /v1/admin/events`; admin commands are disabled without.
    pub admin_token: Option<String>,
    /// Limits on write requests.
    pub limits: Limits,
    /// Tuning of the writer.
    pub engine: EngineOptions,
    /// NATS ingestion, if wanted.
    pub nats: Option<NatsOptions>,
    /// What is served, for `/v1/status`.
    pub about: About,
    /// A digest of the configuration the state machine was built from; a data folder
    /// written under another is refused.
    pub config_digest: String,
}

/// Starts a `tracing` subscriber on stderr, filtered by `RUST_LOG` (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// A started service: the state rebuilt, the socket bound, NATS subscribed.
pub struct Running<M: Machine> {
    engine: Arc<Engine<M>>,
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
    router: axum::Router,
    closing: Arc<tokio::sync::watch::Sender<bool>>,
}

/// Rebuilds the state from the data folder, binds the address and subscribes to NATS.
///
/// # Errors
/// A [`ServerError`] when the store cannot be opened or replayed, the address cannot
/// be bound, or NATS cannot be reached.
pub async fn start<M: Machine>(options: ServeOptions, fresh: M) -> Result<Running<M>, ServerError> {
    let data_dir = options.data_dir.clone();
    let digest = options.config_digest.clone();
    let engine_options = options.engine;
    let engine = tokio::task::spawn_blocking(move || {
        let store = Store::open(&data_dir, &digest)?;
        Engine::start(store, fresh, engine_options)
    })
    .await
    .map_err(|_| ServerError::WriterStopped)??;
    let engine = Arc::new(engine);
    tracing::info!(data_dir = %options.data_dir.display(), seq = engine.view().seq, "state rebuilt from the log");

    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|e| ServerError::Listen { addr: options.listen.to_string(), source: e })?;
    let addr =
        listener.local_addr().map_err(|e| ServerError::Listen { addr: options.listen.to_string(), source: e })?;

    if let Some(nats) = &options.nats {
        let (client, subscriber) = crate::nats::connect(nats).await?;
        let limits = ParseLimits { max_events: options.limits.max_events };
        tokio::spawn(crate::nats::run(client, subscriber, Arc::clone(&engine), limits));
        tracing::info!(url = %nats.url, subject = %nats.subject, "ingesting from NATS");
    }

    let protocol = options.about.protocol.clone();
    let auth = Auth::new(&options.writer_token, options.admin_token.as_deref());
    let state = AppState::new(Arc::clone(&engine), auth, options.limits, options.about);
    let closing = state.closing_sender();
    let router = app(state);
    tracing::info!("guarding {protocol}; listening on http://{addr} (dashboard /, API /v1, metrics /metrics)");
    Ok(Running { engine, listener, addr, router, closing })
}

impl<M: Machine> Running<M> {
    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The writer.
    pub fn engine(&self) -> &Arc<Engine<M>> {
        &self.engine
    }

    /// Serves until `shutdown` resolves, then stops accepting requests, finishes the ones
    /// under way, ends open streams, and stops the writer (which writes a final snapshot).
    ///
    /// # Errors
    /// [`ServerError::Listen`] when serving fails.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), ServerError> {
        let closing = self.closing;
        let graceful = async move {
            shutdown.await;
            tracing::info!("shutting down: finishing requests under way");
            closing.send_replace(true);
        };
        let served = axum::serve(self.listener, self.router).with_graceful_shutdown(graceful).await;
        let engine = self.engine;
        let _ = tokio::task::spawn_blocking(move || engine.stop()).await;
        served.map_err(|e| ServerError::Listen { addr: self.addr.to_string(), source: e })
    }
}

/// [`start`], then [`Running::run_until`] `shutdown`.
///
/// # Errors
/// What either returns.
pub async fn serve<M: Machine>(
    options: ServeOptions,
    fresh: M,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    start(options, fresh).await?.run_until(shutdown).await
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

/// Runs [`serve`] on a new multi-threaded runtime until Ctrl-C or SIGTERM.
///
/// # Errors
/// What [`serve`] returns, or an I/O error building the runtime.
pub fn run_blocking<M: Machine>(options: ServeOptions, fresh: M) -> Result<(), ServerError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("bulwark-serve")
        .build()
        .map_err(|e| ServerError::Io { path: options.data_dir.clone(), source: e })?;
    runtime.block_on(serve(options, fresh, shutdown_signal()))
}

/// The file in the data folder that keeps a generated write token.
pub const TOKEN_FILE: &str = "token";

/// The write token kept in `data_dir/token`, generated (32 random bytes, hex) and
/// written there, readable by the owner only, the first time.
///
/// # Errors
/// [`ServerError::Io`] when the folder or file cannot be read or written.
pub fn token_in(data_dir: &Path) -> Result<String, ServerError> {
    let path = data_dir.join(TOKEN_FILE);
    let io = |e| ServerError::Io { path: path.clone(), source: e };
    match std::fs::read_to_string(&path) {
        Ok(token) if !token.trim().is_empty() => return Ok(token.trim().to_string()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    std::fs::create_dir_all(data_dir).map_err(|e| ServerError::Io { path: data_dir.to_path_buf(), source: e })?;
    let mut random = [0u8; 32];
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut random)).map_err(io)?;
    let token: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).map_err(io)?;
    file.write_all(token.as_bytes()).and_then(|()| file.sync_all()).map_err(io)?;
    tracing::info!(path = %path.display(), "generated a write token");
    Ok(token)
}
