//! The HTTP edge: one endpoint for IAM and STS over the AWS query protocol.
//!
//! A request's path through this crate, top to bottom in [`handle`]: read the parameters
//! (POST form body or GET query string), authenticate the caller, find the operation from
//! `Action` and `Version`, decode and validate its input ([`castellan_api::Request::parse`]),
//! hand it to the domain ([`castellan_iam::Iam::handle`]), and write AWS's XML response or
//! error.
//!
//! Architecture invariant: no IAM semantics live here; this crate only translates between
//! HTTP and the domain.

mod tombstones;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use castellan_api::query::QueryParams;
use castellan_api::{Operation, Request, Service};
use castellan_iam::{request_id, ApiError, Caller, Iam, RequestInfo};

/// The largest request body accepted: policy documents are at most a few KiB.
const MAX_BODY: usize = 1 << 20;

/// How the server checks requests.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// How far a request's signing time may be from the server's clock, in seconds.
    pub max_clock_skew_secs: i64,
}

impl Default for Config {
    /// Five minutes of clock skew.
    fn default() -> Self {
        Self { max_clock_skew_secs: 300 }
    }
}

/// Everything a request handler shares.
#[derive(Debug)]
struct Shared {
    iam: Arc<Iam>,
    config: Config,
    /// Derived SigV4 signing keys, per (key, date, region, service).
    signing_keys: castellan_sigv4::SigningKeyCache,
}

/// Signing keys kept: one per active access key and day, and then some.
const SIGNING_KEY_CACHE: usize = 4096;

/// The regions a credential scope may name. IAM and STS are global services here: a client
/// configured for any region is served.
const REGIONS: &[&str] = &[
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1", "ap-east-2", "ap-south-1",
    "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
    "ap-southeast-7", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ca-central-1", "ca-west-1",
    "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1", "eu-south-2",
    "eu-north-1", "il-central-1", "me-south-1", "me-central-1", "mx-central-1", "sa-east-1",
];

/// The router serving IAM and STS on `/`.
pub fn router(iam: Arc<Iam>, config: Config) -> Router {
    let shared = Arc::new(Shared { iam, config, signing_keys: castellan_sigv4::SigningKeyCache::new(SIGNING_KEY_CACHE) });
    Router::new()
        .fallback(entry)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(shared)
}

/// How often recorded access-key use is written to the store.
const KEY_USAGE_FLUSH: std::time::Duration = std::time::Duration::from_secs(10);

/// How often a node applies the changes other nodes committed (the cross-node delay bound).
const SYNC_INTERVAL: std::time::Duration = std::time::Duration::from_millis(200);

/// Serves until SIGINT or SIGTERM, then writes what is pending and returns.
pub async fn serve(listener: tokio::net::TcpListener, iam: Arc<Iam>, config: Config) -> std::io::Result<()> {
    let flusher = {
        let iam = Arc::clone(&iam);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(KEY_USAGE_FLUSH);
            loop {
                tick.tick().await;
                flush(&iam).await;
            }
        })
    };
    let follower = {
        let iam = Arc::clone(&iam);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SYNC_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut failing = false;
            let mut collector = tombstones::Collector::default();
            loop {
                tick.tick().await;
                let syncing = Arc::clone(&iam);
                let ok = matches!(tokio::task::spawn_blocking(move || syncing.sync()).await, Ok(Ok(())));
                if let Some(horizon) = collector.due(std::time::Instant::now(), iam.seen_revision()) {
                    let collecting = Arc::clone(&iam);
                    match tokio::task::spawn_blocking(move || collecting.collect_tombstones(horizon)).await {
                        Ok(Ok(removed)) => tracing::debug!(horizon, removed, "collected tombstones"),
                        _ => collector.failed(horizon),
                    }
                }
                // Say it once when the store goes away and once when it is back, not every tick.
                if ok == failing {
                    if ok {
                        tracing::info!("following the store's change feed again");
                    } else {
                        tracing::warn!("cannot read the store's change feed; retrying every {SYNC_INTERVAL:?}");
                    }
                    failing = !ok;
                }
            }
        })
    };
    let app = router(Arc::clone(&iam), config).into_make_service_with_connect_info::<SocketAddr>();
    let result = axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await;
    flusher.abort();
    follower.abort();
    flush(&iam).await;
    result
}

async fn flush(iam: &Arc<Iam>) {
    let iam = Arc::clone(iam);
    let done = tokio::task::spawn_blocking(move || iam.flush_key_usage()).await;
    if !matches!(done, Ok(Ok(()))) {
        tracing::warn!("could not persist access key usage; it will be retried");
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down");
}

async fn entry(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request_id = request_id();
    let http = HttpRequest { peer, method: &method, path: uri.path(), query: uri.query(), headers: &headers, body: &body };
    let (service, result) = handle(&shared, &http, &request_id).await;
    match result {
        Ok(xml) => xml_response(StatusCode::OK, xml, &request_id),
        Err(e) => error_response(service, &e, &request_id),
    }
}

/// The parts of the HTTP request the protocol reads.
struct HttpRequest<'a> {
    peer: SocketAddr,
    method: &'a Method,
    path: &'a str,
    query: Option<&'a str>,
    headers: &'a HeaderMap,
    body: &'a [u8],
}

/// The whole request path. Returns the service (for the error namespace) and the XML body,
/// or the error.
async fn handle(shared: &Shared, http: &HttpRequest<'_>, request_id: &str) -> (Service, Result<String, ApiError>) {
    let iam = &shared.iam;
    let params = match read_params(http.method, http.query, http.headers, http.body) {
        Ok(p) => p,
        Err(e) => return (Service::Iam, Err(e)),
    };
    let service = match params.get("Version") {
        Some(v) if v == Service::Sts.api_version() => Service::Sts,
        _ => Service::Iam,
    };
    let result = async {
        let (caller, region) = authenticate(shared, http, service)?;
        // Castellan speaks plain HTTP; behind a TLS-terminating proxy this would come from it.
        let info = RequestInfo { source_ip: Some(http.peer.ip()), secure_transport: false, region };
        let action = params.get("Action").ok_or_else(|| ApiError::InvalidAction("Missing Action".into()))?;
        let version = params.get("Version").unwrap_or_default();
        let op = Operation::from_name(service, action).ok_or_else(|| {
            ApiError::InvalidAction(format!("Could not find operation {action} for version {version}"))
        })?;
        let request = Request::parse(op, &params)?;
        let response = if is_read_only(op) {
            iam.handle(&caller, &info, request)?
        } else {
            // Writes wait on the store (an fsync): keep them off the async workers.
            let iam = Arc::clone(iam);
            tokio::task::spawn_blocking(move || iam.handle(&caller, &info, request))
                .await
                .map_err(|_| ApiError::ServiceFailure)??
        };
        Ok(response)
    }
    .await;
    (service, result.map(|r| r.to_xml(request_id)))
}

/// Operations that never write to the store run on the async workers; the others wait for a
/// durable commit and run on blocking threads. STS writes nothing: its sessions are tokens.
fn is_read_only(op: Operation) -> bool {
    let n = op.name();
    op.service() == Service::Sts || n.starts_with("Get") || n.starts_with("List") || n.starts_with("Simulate")
}

fn read_params(method: &Method, query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Result<QueryParams, ApiError> {
    if *method == Method::POST {
        let form = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_none_or(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        if !form {
            return Err(ApiError::MalformedQueryString("Unsupported Content-Type; expected application/x-www-form-urlencoded".into()));
        }
        if !body.is_empty() {
            return QueryParams::from_urlencoded(body).map_err(ApiError::from);
        }
    }
    QueryParams::from_urlencoded(query.unwrap_or_default().as_bytes()).map_err(ApiError::from)
}

/// Verifies the request's SigV4 signature (header or presigned query) against the secret of
/// the access key it names, and returns the caller and the region of the credential scope.
/// Nothing of the request is acted on before this succeeds.
fn authenticate(shared: &Shared, http: &HttpRequest<'_>, service: Service) -> Result<(Caller, String), ApiError> {
    let headers: Vec<(&str, &str)> = http
        .headers
        .iter()
        // A header value that is not visible ASCII cannot have been signed as sent: pass it
        // on unreadable so the signature fails rather than skipping it.
        .map(|(k, v)| (k.as_str(), v.to_str().unwrap_or("\u{fffd}")))
        .collect();
    let request = castellan_sigv4::SignedRequest {
        method: http.method.as_str(),
        path: http.path,
        query: http.query.unwrap_or_default(),
        headers: &headers,
        body: http.body,
    };
    let claim = castellan_sigv4::parse(&request).map_err(auth_error)?;
    let credential = claim.credential();
    let key_id = credential.access_key_id.as_str();
    let iam = &shared.iam;
    let invalid = || ApiError::InvalidClientTokenId("The security token included in the request is invalid.".into());
    let (caller, secret) = match claim.security_token() {
        // Temporary credentials: the token carries the session; no lookup.
        Some(token) => iam.caller_for_session(key_id, token)?,
        None => iam.caller_for_access_key(key_id).ok_or_else(invalid)?,
    };
    let expected = castellan_sigv4::Expected {
        service: service.signing_name(),
        regions: REGIONS,
        max_skew_secs: shared.config.max_clock_skew_secs,
    };
    castellan_sigv4::verify(&request, &claim, &secret, castellan_iam::system_clock(), &shared.signing_keys, &expected)
        .map_err(auth_error)?;
    if caller.session.is_none() {
        iam.record_key_use(key_id, &credential.service, &credential.region);
    }
    Ok((caller, credential.region.clone()))
}

fn auth_error(e: castellan_sigv4::AuthError) -> ApiError {
    ApiError::Authentication { code: e.aws_code(), status: e.http_status(), message: e.message() }
}

fn xml_response(status: StatusCode, xml: String, request_id: &str) -> Response {
    let mut resp = (status, xml).into_response();
    let h = resp.headers_mut();
    h.insert("content-type", axum::http::HeaderValue::from_static("text/xml"));
    if let Ok(v) = axum::http::HeaderValue::from_str(request_id) {
        h.insert("x-amzn-requestid", v);
    }
    resp
}

fn error_response(service: Service, e: &ApiError, request_id: &str) -> Response {
    let xml = format!(
        "<ErrorResponse xmlns=\"{ns}\">\n  <Error>\n    <Type>{t}</Type>\n    <Code>{c}</Code>\n    <Message>{m}</Message>\n  </Error>\n  <RequestId>{id}</RequestId>\n</ErrorResponse>\n",
        ns = service.xml_namespace(),
        t = e.fault(),
        c = e.code(),
        m = escape(e.message()),
        id = request_id,
    );
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    xml_response(status, xml, request_id)
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}
