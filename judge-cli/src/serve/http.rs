//! What every route shares: error bodies, reading a JSON body with the path of a bad field,
//! the bearer token, and request ids.
//!
//! go-judge's routes answer an error as a JSON string (go-judge's own shape, which its clients
//! print); the judging API as `{"error": "..."}`. Either way one sentence names the field or
//! the file and the problem.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use tower_http::request_id::{MakeRequestId, RequestId};

/// An error as go-judge answers it: the status and a JSON string.
pub fn go_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(message.into())).into_response()
}

/// An error as the judging API answers it: the status and `{"error": message}`.
pub fn api_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

/// `response` (a 429) with `Retry-After`: a queue is full, come back later.
pub fn busy(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// A request body, or why it could not be read (413 past the size limit).
pub fn body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, (StatusCode, String)> {
    body.map_err(|rejection| (rejection.status(), rejection.body_text()))
}

/// `bytes` as JSON, or one sentence naming the field that is wrong (`cmd[0].cpuLimit:
/// invalid type: string "1s", expected u64 at line 1 column 25`).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        match path.as_str() {
            "." | "?" => format!("request body: {}", e.inner()),
            _ => format!("{path}: {}", e.inner()),
        }
    })
}

/// The bearer token every guarded route wants, when the server has one.
#[derive(Clone, Debug)]
pub struct Token(pub Option<String>);

/// Refuse a request without the server's bearer token (401), compared in constant time.
pub async fn require_token(State(token): State<Token>, request: Request, next: Next) -> Response {
    let Some(expected) = &token.0 else {
        return next.run(request).await;
    };
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let same = given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same {
        next.run(request).await
    } else {
        let mut response = StatusCode::UNAUTHORIZED.into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        response
    }
}

/// Request ids: the client's `x-request-id` if it sent one, else the server's next number.
#[derive(Clone, Debug, Default)]
pub struct NextId(std::sync::Arc<AtomicU64>);

impl MakeRequestId for NextId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        HeaderValue::from_str(&n.to_string())
            .ok()
            .map(RequestId::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_field_is_named_with_its_path() {
        #[derive(serde::Deserialize, Debug)]
        struct Inner {
            #[allow(dead_code)]
            limit: u64,
        }
        #[derive(serde::Deserialize, Debug)]
        struct Outer {
            #[allow(dead_code)]
            cmd: Vec<Inner>,
        }
        let err = parse::<Outer>(br#"{"cmd": [{"limit": 1}, {"limit": "x"}]}"#).unwrap_err();
        assert!(err.starts_with("cmd[1].limit: invalid type"), "{err}");
        let err = parse::<Outer>(b"{").unwrap_err();
        assert!(err.starts_with("request body: EOF"), "{err}");
        let err = parse::<Outer>(b"\"x\"").unwrap_err();
        assert!(err.starts_with("request body: invalid type"), "{err}");
    }
}
