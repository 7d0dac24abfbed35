//! The judging API over HTTP: problems (`POST /problems`, a package as a tar, tar.gz or zip
//! body; `GET /problems/ID`), submissions (`POST /submissions` answers an id at once, 202;
//! `GET /submissions/ID`; `DELETE /submissions/ID` cancels) and each submission's results as
//! server-sent events (`GET /submissions/ID/events`: `compiled`, `test`, then `done`,
//! `cancelled` or `failed`). Errors are `{"error": "..."}` naming the field.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use super::http::{self, api_error};
use super::judging::{NewSubmission, Refused};
use super::Server;

pub fn routes() -> Router<Arc<Server>> {
    Router::new()
        .route("/problems", post(upload))
        .route("/submissions", post(submit))
        .route("/submissions/{id}", get(show).delete(cancel))
        .route("/submissions/{id}/events", get(events))
}

fn refused(server: &Server, refused: Refused) -> Response {
    let (status, kind, message) = match refused {
        Refused::Invalid(m) => (StatusCode::BAD_REQUEST, "bad_request", m),
        Refused::Unknown(m) => (StatusCode::NOT_FOUND, "not_found", m),
        Refused::Full => {
            server.metrics.error("busy");
            return http::busy(api_error(
                StatusCode::TOO_MANY_REQUESTS,
                "the submission queue is full; retry later",
            ));
        }
        Refused::Closing => (
            StatusCode::SERVICE_UNAVAILABLE,
            "closing",
            "the server is shutting down".to_owned(),
        ),
        Refused::Engine(m) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", m),
    };
    server.metrics.error(kind);
    api_error(status, message)
}

async fn upload(
    State(server): State<Arc<Server>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match http::body(body) {
        Ok(body) if body.is_empty() => {
            return refused(
                &server,
                Refused::Invalid("package: the body is empty".into()),
            )
        }
        Ok(body) => body,
        Err((status, message)) => {
            server.metrics.error("bad_request");
            return api_error(status, message);
        }
    };
    let judging = server.judging.clone();
    let uploaded = tokio::task::spawn_blocking(move || judging.upload(&body)).await;
    match uploaded {
        Ok(Ok((id, tests, new))) => {
            let status = if new {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            (status, Json(json!({ "id": id, "tests": tests }))).into_response()
        }
        Ok(Err(e)) => refused(&server, e),
        Err(e) => refused(&server, Refused::Engine(e.to_string())),
    }
}

async fn submit(
    State(server): State<Arc<Server>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match http::body(body) {
        Ok(body) => body,
        Err((status, message)) => {
            server.metrics.error("bad_request");
            return api_error(status, message);
        }
    };
    let new: NewSubmission = match http::parse(&body) {
        Ok(new) => new,
        Err(message) => return refused(&server, Refused::Invalid(message)),
    };
    // Preparing a problem the first time builds its validators: off the async threads.
    let judging = server.judging.clone();
    match tokio::task::spawn_blocking(move || judging.submit(new)).await {
        Ok(Ok(submission)) => (StatusCode::ACCEPTED, Json(submission.json())).into_response(),
        Ok(Err(e)) => refused(&server, e),
        Err(e) => refused(&server, Refused::Engine(e.to_string())),
    }
}

fn unknown(server: &Server, id: &str) -> Response {
    refused(
        server,
        Refused::Unknown(format!("no submission has the id {id:?}")),
    )
}

async fn show(State(server): State<Arc<Server>>, Path(id): Path<String>) -> Response {
    match server.judging.get(&id) {
        Some(submission) => Json(submission.json()).into_response(),
        None => unknown(&server, &id),
    }
}

async fn cancel(State(server): State<Arc<Server>>, Path(id): Path<String>) -> Response {
    match server.judging.cancel(&id) {
        Ok(submission) => (StatusCode::ACCEPTED, Json(submission.json())).into_response(),
        Err(e) => refused(&server, e),
    }
}

/// The submission's events from the first, then each as it comes, until the last.
async fn events(State(server): State<Arc<Server>>, Path(id): Path<String>) -> Response {
    let Some(submission) = server.judging.get(&id) else {
        return unknown(&server, &id);
    };
    let mut watch = submission.watch();
    let (sender, receiver) = tokio::sync::mpsc::channel::<Event>(16);
    tokio::spawn(async move {
        let mut seen = 0;
        loop {
            let (new, ended) = submission.events_from(seen);
            seen += new.len();
            for (name, data) in new {
                let event = Event::default().event(name).data(data.to_string());
                if sender.send(event).await.is_err() {
                    return;
                }
            }
            if ended {
                return;
            }
            tokio::select! {
                changed = watch.changed() => if changed.is_err() { return },
                () = sender.closed() => return,
            }
        }
    });
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver
            .recv()
            .await
            .map(|event| (Ok::<_, Infallible>(event), receiver))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}
