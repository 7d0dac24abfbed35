//! `judge serve`: the engine over HTTP (axum on tokio; the engine's blocking work on tokio's
//! blocking threads and the pool's workers).
//!
//! - go-judge's REST API (`gojudge`): `/run`, `/file`, `/version`, `/config`, `/ws`;
//! - a judging API of our own (`api`, `judging`): `/problems`, `/submissions`, with
//!   server-sent events;
//! - `/metrics` (Prometheus text), `/healthz` (the process answers), `/readyz` (it takes work:
//!   not shutting down, a worker's environment can be built).
//!
//! Start-up: the sandbox, the pool and the file store as `judge run` makes them, then the
//! listener; the address taken is printed on stdout (`--listen 127.0.0.1:0` takes any free
//! port). Shutdown, on SIGTERM or SIGINT: stop accepting, cancel the queued submissions,
//! finish every request and submission already running, then drop the pool and the sandbox,
//! which remove every cgroup, directory and process of the engine.

mod api;
mod gojudge;
mod http;
mod journal;
mod judging;
mod metrics;
mod problems;
mod remote;

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use judge_engine::cgroup::{Features, Layout};
use judge_engine::service::files::{FileStore, StoreConfig};
use judge_engine::service::gojudge::{ExecConfig, Executor};
use tokio::sync::Semaphore;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::args::ServeArgs;
use crate::{setup, Done, Failure};

/// How long a client may take to send a request's body (408 after).
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// What every handler shares.
#[derive(Debug)]
pub struct Server {
    executor: Executor,
    judging: Arc<judging::Judging>,
    metrics: Arc<metrics::Metrics>,
    /// go-judge requests that may be running or waiting at once.
    run_slots: Arc<Semaphore>,
    cgroup: Option<(Layout, Features)>,
    store_path: PathBuf,
    closing: AtomicBool,
}

pub fn run(args: &ServeArgs) -> Result<Done, Failure> {
    logging(args.log_json);
    let profiles = Arc::new(setup::profiles(&args.judge)?);
    let options = setup::options(&args.judge, false)?;
    let sandbox = setup::sandbox(&args.judge)?;
    let cgroup = sandbox.cgroup_info();
    tracing::info!(engine = %sandbox.id(), "engine started");
    let mut config = ExecConfig::for_profiles(&profiles, cgroup.is_some_and(|(_, f)| f.cpu_quota))?;
    for dir in &args.allow_src {
        let real = std::fs::canonicalize(dir)
            .map_err(|e| Failure::Usage(format!("--allow-src {}: {e}", dir.display())))?;
        config.allow_src.push(real);
    }
    if let Some(dir) = &args.problems {
        if !dir.is_dir() {
            return Err(Failure::Usage(format!(
                "--problems {}: not a directory",
                dir.display()
            )));
        }
    }
    // Room in the pool's queue for every go-judge request the server admits (they are handed
    // over without blocking) and for the tests of the submissions being judged.
    let pool = Arc::new(setup::pool_queued(
        sandbox,
        &args.judge,
        args.max_runs as usize,
    )?);
    let store_dir = pool.sandbox().dirs().scratch_dir("files")?;
    let store = Arc::new(FileStore::new(
        store_dir.path(),
        StoreConfig {
            max_bytes: args.file_store_size,
            max_age: args.file_ttl,
            ..StoreConfig::default()
        },
    ));
    let metrics = Arc::new(metrics::Metrics::new(pool.clone(), store.clone()));
    let remote = match &args.nats {
        Some(url) => Some(remote::Remote::connect(url, &options)?),
        None => None,
    };
    let judging = judging::Judging::start(
        pool.clone(),
        profiles,
        options,
        metrics.clone(),
        judging::JudgingConfig {
            problems_dir: args.problems.clone(),
            queue: args.queue as usize,
            state: args.state.as_deref(),
            remote,
        },
    )?;
    let server = Arc::new(Server {
        executor: Executor::new(pool, store, config),
        judging: judging.clone(),
        metrics,
        run_slots: Arc::new(Semaphore::new(args.max_runs as usize)),
        cgroup,
        store_path: store_dir.path().to_path_buf(),
        closing: AtomicBool::new(false),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::Engine(format!("starting the server's runtime: {e}")))?;
    let served = runtime.block_on(serve(server.clone(), args));
    // Every request has been answered; the judging threads finish what they hold.
    judging.shutdown();
    judging.join();
    drop(runtime);
    drop(server);
    drop(judging);
    drop(store_dir);
    tracing::info!("stopped");
    served.map(|()| Done::Judged)
}

pub fn logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = match json {
        true => builder.json().try_init(),
        false => builder.try_init(),
    };
}

fn router(server: Arc<Server>, args: &ServeArgs) -> Router {
    let token = http::Token(args.auth_token.clone());
    let guarded =
        gojudge::routes()
            .merge(api::routes())
            .route_layer(axum::middleware::from_fn_with_state(
                token,
                http::require_token,
            ));
    let request_id = axum::http::HeaderName::from_static("x-request-id");
    Router::new()
        .merge(guarded)
        .merge(gojudge::open_routes())
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .layer(DefaultBodyLimit::max(args.max_body as usize))
        // A client that sends its body slower than this holds a connection for nothing.
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(BODY_TIMEOUT))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
                let id = request
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", id, method = %request.method(), path = %request.uri().path())
            })
            .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, http::NextId::default()))
        .with_state(server)
}

async fn metrics(State(server): State<Arc<Server>>) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        server.metrics.render(),
    )
        .into_response()
}

/// Ready to take work: not shutting down, and the pool has not failed to build environments
/// more often than it built them.
async fn ready(State(server): State<Arc<Server>>) -> Response {
    let stats = server.executor.pool().stats();
    if server.closing.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down").into_response();
    }
    if stats.env_failures > stats.envs_built {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "sandbox environments are failing to build",
        )
            .into_response();
    }
    "ready".into_response()
}

async fn serve(server: Arc<Server>, args: &ServeArgs) -> Result<(), Failure> {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| Failure::Usage(format!("--listen {}: {e}", args.listen)))?;
    let address = listener
        .local_addr()
        .map_err(|e| Failure::Engine(format!("listening address: {e}")))?;
    println!("judge serve: listening on http://{address}");
    let _ = std::io::stdout().flush();
    tracing::info!(%address, "listening");
    let app = router(server.clone(), args);
    let stopping = server.clone();
    let shutdown = async move {
        signal().await;
        tracing::info!("shutting down: finishing running requests");
        stopping.closing.store(true, Ordering::SeqCst);
        stopping.judging.shutdown();
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| Failure::Engine(format!("serving: {e}")))
}

/// SIGTERM or SIGINT.
async fn signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
