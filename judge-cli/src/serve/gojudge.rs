//! go-judge's REST API over the engine: `POST /run`, the file store (`/file`), `GET
//! /version`, `GET /config` and the WebSocket variant of `/run` (`GET /ws`), with go-judge's
//! paths, bodies and status codes (400 for a bad request, 500 for the engine's failure, each
//! with a JSON string; 404 for an unknown file).

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::{SinkExt, StreamExt};
use judge_engine::cgroup::Layout;
use judge_engine::service::gojudge::model::{CmdResult, Request};
use judge_engine::service::gojudge::{ExecError, WORK_DIR};
use serde_json::json;

use super::http::{self, go_error};
use super::Server;

/// The go-judge API level answered by `GET /version` (`buildVersion`): what Hydro and other
/// clients compare to decide which features they may use.
pub const API_VERSION: &str = "v1.9.0";

pub fn routes() -> Router<Arc<Server>> {
    Router::new()
        .route("/run", post(run))
        .route("/file", get(list).post(upload))
        .route("/file/{id}", get(download).delete(remove))
        .route("/ws", get(websocket))
}

/// The routes go-judge serves without its token.
pub fn open_routes() -> Router<Arc<Server>> {
    Router::new()
        .route("/version", get(version))
        .route("/config", get(config))
}

/// Run a request on the pool; `Err` is a response already. The request waits in the pool's
/// queue, never on a thread: the async threads only hand it over and are woken with the
/// results.
async fn execute(server: &Arc<Server>, request: Request) -> Result<Vec<CmdResult>, Response> {
    let busy = || {
        server.metrics.error("busy");
        http::busy(go_error(
            StatusCode::TOO_MANY_REQUESTS,
            "the run queue is full; retry later",
        ))
    };
    let Ok(permit) = server.run_slots.clone().try_acquire_owned() else {
        return Err(busy());
    };
    server.metrics.runs_in_flight.inc();
    let started = Instant::now();
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let queued = server.executor.start(request, move |results| {
        let _ = sender.send(results);
    });
    let outcome = match queued {
        Ok(()) => receiver.await.unwrap_or_else(|_| {
            Err(ExecError::Engine(
                "a pool worker dropped the request".into(),
            ))
        }),
        Err(e) => Err(e),
    };
    drop(permit);
    server.metrics.runs_in_flight.dec();
    match outcome {
        Ok(results) => {
            let statuses: Vec<_> = results
                .iter()
                .map(|r| (r.status.as_str(), std::time::Duration::from_nanos(r.time)))
                .collect();
            server.metrics.ran(&statuses, started.elapsed());
            Ok(results)
        }
        Err(ExecError::Busy) => Err(busy()),
        Err(e) if e.is_invalid() => {
            server.metrics.error("bad_request");
            Err(go_error(StatusCode::BAD_REQUEST, e.to_string()))
        }
        Err(e) => {
            tracing::error!(error = %e, "run failed");
            server.metrics.error("internal");
            Err(go_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
        }
    }
}

fn bad_request(server: &Server, message: String) -> Response {
    server.metrics.error("bad_request");
    go_error(StatusCode::BAD_REQUEST, message)
}

async fn run(State(server): State<Arc<Server>>, body: Result<Bytes, BytesRejection>) -> Response {
    let body = match http::body(body) {
        Ok(body) => body,
        Err((status, message)) => {
            server.metrics.error("bad_request");
            return go_error(status, message);
        }
    };
    let request: Request = match http::parse(&body) {
        Ok(request) => request,
        Err(message) => return bad_request(&server, message),
    };
    match execute(&server, request).await {
        Ok(results) => Json(results).into_response(),
        Err(response) => response,
    }
}

async fn list(State(server): State<Arc<Server>>) -> Response {
    Json(server.executor.store().list()).into_response()
}

/// `POST /file`: the multipart field `file`, stored; answers its id as a JSON string.
async fn upload(
    State(server): State<Arc<Server>>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let mut multipart = match multipart {
        Ok(m) => m,
        Err(e) => return bad_request(&server, e.body_text()),
    };
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return bad_request(&server, "no multipart field named \"file\"".into()),
            Err(e) => {
                server.metrics.error("bad_request");
                return go_error(e.status(), e.body_text());
            }
        };
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("file").to_owned();
        let bytes = match field.bytes().await {
            Ok(bytes) => bytes,
            Err(e) => {
                server.metrics.error("bad_request");
                return go_error(e.status(), e.body_text());
            }
        };
        let store = server.executor.store().clone();
        let added =
            tokio::task::spawn_blocking(move || store.add(&name, &mut bytes.as_ref())).await;
        return match added {
            Ok(Ok(id)) => Json(id).into_response(),
            Ok(Err(e @ judge_engine::service::files::StoreError::TooLarge { .. })) => {
                server.metrics.error("bad_request");
                go_error(StatusCode::PAYLOAD_TOO_LARGE, e.to_string())
            }
            Ok(Err(e)) => {
                server.metrics.error("internal");
                go_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
            }
            Err(e) => go_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        };
    }
}

/// `GET /file/ID`: the file, as an attachment under its original name.
async fn download(State(server): State<Arc<Server>>, Path(id): Path<String>) -> Response {
    let store = server.executor.store().clone();
    let found = tokio::task::spawn_blocking(move || {
        let (name, file) = store.open(&id)?;
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut &file, &mut bytes).ok()?;
        Some((name, bytes))
    })
    .await
    .ok()
    .flatten();
    let Some((name, bytes)) = found else {
        return go_error(StatusCode::NOT_FOUND, "no file has this id");
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    let quoted = name.replace(['"', '\\', '\r', '\n'], "_");
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{quoted}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

async fn remove(State(server): State<Arc<Server>>, Path(id): Path<String>) -> Response {
    if server.executor.store().remove(&id) {
        StatusCode::OK.into_response()
    } else {
        go_error(StatusCode::NOT_FOUND, "no file has this id")
    }
}

/// What this server offers of go-judge's optional features.
fn features() -> serde_json::Value {
    json!({
        "copyOutOptional": true,
        "pipeProxy": true,
        "symlink": true,
        "addressSpaceLimit": true,
        "stream": false,
        "procPeak": false,
        "copyOutTruncate": true,
        "pipeProxyZeroCopy": false,
        "fixSymlinkEscape": true,
    })
}

async fn version() -> Response {
    let mut body = features();
    body["buildVersion"] = json!(API_VERSION);
    body["engine"] = json!(format!("judge {}", env!("CARGO_PKG_VERSION")));
    body["os"] = json!(std::env::consts::OS);
    body["platform"] = json!(std::env::consts::ARCH);
    Json(body).into_response()
}

/// go-judge's `/config`: its features, where files are stored, and the runner's settings,
/// among them the cgroup type (1 or 2, 0 without cgroups) and controllers Hydro reads.
async fn config(State(server): State<Arc<Server>>) -> Response {
    let exec = server.executor.config();
    let (cgroup_type, controllers) = match server.cgroup {
        None => (0, Vec::new()),
        Some((layout, features)) => {
            let mut controllers = vec!["memory", "pids"];
            if features.cpu_quota {
                controllers.insert(0, "cpu");
            }
            if features.cpuset {
                controllers.insert(controllers.len() - 2, "cpuset");
            }
            let kind = match layout {
                Layout::V1 => 1,
                Layout::V2 => 2,
            };
            (kind, controllers)
        }
    };
    let sandbox = server.executor.pool().sandbox().config();
    let mut body = features();
    body["fileStorePath"] = json!(server.store_path.display().to_string());
    body["runnerConfig"] = json!({
        "cgroupType": cgroup_type,
        "cgroupControllers": controllers,
        "workDir": WORK_DIR,
        "hostName": sandbox.hostname,
        "uid": sandbox.inside_uid,
        "gid": sandbox.inside_gid,
        "mount": exec.mounts.iter().map(|m| m.target().display().to_string()).collect::<Vec<_>>(),
        "workers": server.executor.pool().workers(),
        "reuse": server.executor.pool().reuses(),
    });
    Json(body).into_response()
}

/// `GET /ws`: each message a request (with its `requestId`), each answer `{requestId,
/// results}` or `{requestId, error}`, in the order they finish. A `cancelRequestId` cannot
/// stop a run here: it is answered with an error saying so.
async fn websocket(State(server): State<Arc<Server>>, upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(move |socket| session(server, socket))
}

async fn session(server: Arc<Server>, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    let (answers, mut pending) = tokio::sync::mpsc::unbounded_channel::<serde_json::Value>();
    let writer = tokio::spawn(async move {
        while let Some(answer) = pending.recv().await {
            if sink
                .send(Message::Text(answer.to_string().into()))
                .await
                .is_err()
            {
                break;
            }
        }
    });
    while let Some(Ok(message)) = stream.next().await {
        let bytes: Vec<u8> = match message {
            Message::Text(text) => text.as_bytes().to_vec(),
            Message::Binary(bytes) => bytes.to_vec(),
            Message::Close(_) => break,
            _ => continue,
        };
        let server = server.clone();
        let answers = answers.clone();
        tokio::spawn(async move {
            let answer = answer(&server, &bytes).await;
            let _ = answers.send(answer);
        });
    }
    drop(answers);
    let _ = writer.await;
}

async fn answer(server: &Arc<Server>, bytes: &[u8]) -> serde_json::Value {
    if let Ok(cancel) = serde_json::from_slice::<serde_json::Value>(bytes) {
        if let Some(id) = cancel.get("cancelRequestId") {
            return json!({ "requestId": id, "error": "cancelling a running request is not supported" });
        }
    }
    let request: Request = match http::parse(bytes) {
        Ok(request) => request,
        Err(message) => {
            server.metrics.error("bad_request");
            return json!({ "requestId": "", "error": message });
        }
    };
    let id = request.request_id.clone();
    match execute(server, request).await {
        Ok(results) => json!({ "requestId": id, "results": results }),
        Err(response) => {
            let body = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap_or_default();
            let error: String = serde_json::from_slice(&body).unwrap_or_default();
            json!({ "requestId": id, "error": error })
        }
    }
}
