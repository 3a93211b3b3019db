//! What operators call: `/healthz`, `/readyz`, `/metrics`, and the one log line per request.
//!
//! None of these paths is an AWS API (AWS clients always call `/`), so they are unsigned, as
//! probes and Prometheus scrapers expect. They reveal no secret: counts, timings, the version.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use castellan_api::Operation;

use crate::metrics::METRICS;
use crate::{BodyError, Observed, Shared};

/// How long ago the change feed may last have been read for the node to count as ready: the
/// follower reads it every 200 ms, so several missed reads in a row mean the store is gone.
const READY_FEED_AGE: Duration = Duration::from_secs(3);

/// Adds the operator endpoints.
pub(crate) fn routes(router: Router<Arc<Shared>>) -> Router<Arc<Shared>> {
    router.route("/healthz", get(healthz)).route("/readyz", get(readyz)).route("/metrics", get(metrics))
}

/// Live: the process answers.
async fn healthz() -> Response {
    text(StatusCode::OK, "text/plain; charset=utf-8", "ok\n".to_owned())
}

/// Ready: the state is loaded (it is before the server listens) and the store answered the
/// change feed recently. 503 otherwise, so a load balancer sends requests elsewhere.
async fn readyz(State(_shared): State<Arc<Shared>>) -> Response {
    match METRICS.feed_age() {
        Some(age) if age <= READY_FEED_AGE => text(StatusCode::OK, "text/plain; charset=utf-8", "ready\n".to_owned()),
        _ => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/plain; charset=utf-8",
            "not ready: the store has not answered the change feed in the last 3 seconds\n".to_owned(),
        ),
    }
}

/// Prometheus's text exposition format.
async fn metrics() -> Response {
    text(StatusCode::OK, "text/plain; version=0.0.4; charset=utf-8", METRICS.render())
}

fn text(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert("content-type", HeaderValue::from_static(content_type));
    response
}

/// Counts temporary credentials STS issued.
pub(crate) fn count_session(op: Operation, response: &castellan_api::Response) {
    use castellan_api::Response as R;
    let credentials = match response {
        R::AssumeRole(r) => r.credentials.as_ref(),
        R::GetSessionToken(r) => r.credentials.as_ref(),
        R::GetFederationToken(r) => r.credentials.as_ref(),
        R::AssumeRoleWithWebIdentity(r) => r.credentials.as_ref(),
        R::AssumeRoleWithSAML(r) => r.credentials.as_ref(),
        R::AssumeRoot(r) => r.credentials.as_ref(),
        _ => None,
    };
    if let Some(c) = credentials {
        METRICS.session_issued(op, c.expiration.unix_seconds());
    }
}

/// Records a finished request: its metrics, and one log line (target `castellan::request`,
/// level info) carrying the request id the response carries.
pub(crate) fn finish(seen: &Observed, request_id: &str, peer: SocketAddr, status: u16, elapsed: Duration) {
    let event = &seen.event;
    METRICS.request(event.op, seen.code, seen.authentication_failed, elapsed);
    tracing::info!(
        target: "castellan::request",
        request_id,
        operation = event.op.map_or("-", |op| op.name()),
        status,
        error_code = seen.code.unwrap_or("-"),
        caller = event.caller.as_ref().map(|c| c.arn()).as_deref().unwrap_or("-"),
        access_key_id = event.caller.as_ref().map_or("-", |c| c.access_key_id.as_str()),
        source_ip = %peer.ip(),
        duration_ms = elapsed.as_secs_f64() * 1e3,
        "request"
    );
}

impl BodyError {
    /// The AWS error code answered (see [`BodyError::response`]).
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Self::TooLarge => "RequestEntityTooLarge",
            Self::Timeout => "RequestTimeout",
            Self::Incomplete => "IncompleteBody",
        }
    }
}
