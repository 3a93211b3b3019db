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

mod oidc_fetch;
mod tombstones;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use castellan_api::query::QueryParams;
use castellan_api::{Operation, Request, Service};
use castellan_iam::{request_id, ApiError, Caller, Iam, RequestInfo};
use http_body_util::BodyExt as _;

mod conn;

/// The largest request body accepted: policy documents are at most a few KiB.
const MAX_BODY: usize = 1 << 20;

/// How the server checks requests and bounds connections.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// How far a request's signing time may be from the server's clock, in seconds.
    pub max_clock_skew_secs: i64,
    /// How long a connection may take to send a whole request head, counted from accept
    /// or from the head's first byte on a kept-alive connection.
    pub header_read_timeout: Duration,
    /// How long a request body may take to arrive in full, counted from the end of the head.
    pub body_read_timeout: Duration,
    /// How long a kept-alive connection may wait for its next request.
    pub idle_timeout: Duration,
    /// How many connections may be open at once (lowered to fit the process's open-file
    /// limit); one more is answered `503 ServiceUnavailable` and closed.
    pub max_connections: usize,
    /// Serve the console (`/console/`, `/federation`) on this listener too; `false` when it
    /// has a listener of its own (`serve_console`).
    pub console: bool,
}

impl Default for Config {
    /// Five minutes of clock skew; 10 s for a request head, 30 s for a body, 60 s idle;
    /// 4096 connections.
    fn default() -> Self {
        Self {
            max_clock_skew_secs: 300,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 4096,
            console: true,
        }
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

/// The regions a credential scope may name: every region of AWS's commercial partition
/// (`aws`), as botocore 1.43.11 lists them (`botocore/data/endpoints.json`, partition `aws`,
/// `regions`; the same botocore release as `data/aws/`). A scope naming anything else is
/// refused with AWS's `SignatureDoesNotMatch` "Credential should be scoped to a valid region".
///
/// AWS itself takes only `us-east-1` for IAM, but a client pointed at a custom endpoint signs
/// with whatever region it is configured for (boto3 `region_name="eu-west-1"`), so any real
/// region is accepted for both services; what the request is authorized as having asked for
/// is decided by [`requested_region`], not by the scope.
const REGIONS: &[&str] = &[
    "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1",
    "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
    "ap-southeast-6", "ap-southeast-7", "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1",
    "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1",
    "mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
];

/// The region of IAM's single, global endpoint.
const IAM_REGION: &str = "us-east-1";

/// The value of `aws:RequestedRegion`: the region of the endpoint the request was made to.
/// IAM has one endpoint, in us-east-1, whatever region the client signed with (IAM User
/// Guide, "AWS global condition context keys", `aws:RequestedRegion`: "IAM calls are always
/// made to the us-east-1 Region"). STS has regional endpoints; Castellan's endpoint stands
/// for the one the client chose, which is the region it signed for.
fn requested_region(service: Service, signed_region: &str) -> String {
    match service {
        Service::Iam => IAM_REGION.to_owned(),
        Service::Sts => signed_region.to_owned(),
    }
}

/// The router serving IAM and STS on `/`.
pub fn router(iam: Arc<Iam>, config: Config) -> Router {
    let console = config.console.then(|| castellan_console::router(Arc::clone(&iam), castellan_console::Options::default()));
    let shared = Arc::new(Shared { iam, config, signing_keys: castellan_sigv4::SigningKeyCache::new(SIGNING_KEY_CACHE) });
    let api = Router::new()
        // Outbound identity federation: each account's issuer documents, unauthenticated as
        // OIDC discovery is (OpenID Connect Discovery 1.0 §4).
        .route("/oidc/{issuer}/.well-known/openid-configuration", axum::routing::get(oidc_discovery))
        .route("/oidc/{issuer}/.well-known/jwks.json", axum::routing::get(oidc_jwks))
        .fallback(entry)
        .with_state(shared);
    match console {
        Some(console) => console.merge(api),
        None => api,
    }
}

/// Serves only the console on `listener` (`castellan serve --console-listen ADDR`), with the
/// same connection limits, until shutdown.
pub async fn serve_console(listener: tokio::net::TcpListener, iam: Arc<Iam>, config: Config) -> std::io::Result<()> {
    let app = castellan_console::router(iam, castellan_console::Options::default());
    conn::accept_loop(listener, app, config, shutdown_signal()).await
}

/// Installs the HTTPS client that fetches OIDC issuers' keys (for AssumeRoleWithWebIdentity),
/// trusting the system store and the PEM file named by `CASTELLAN_CA_BUNDLE`. Call it before
/// serving; an unreadable or empty bundle is an error (the server should not start).
pub fn install_oidc_fetcher(iam: &Iam) -> Result<(), String> {
    iam.set_https_fetcher(Arc::new(oidc_fetch::Fetcher::from_env()?));
    Ok(())
}

async fn oidc_discovery(State(shared): State<Arc<Shared>>, axum::extract::Path(issuer): axum::extract::Path<String>) -> Response {
    issuer_document(shared.iam.outbound_discovery(&issuer))
}

async fn oidc_jwks(State(shared): State<Arc<Shared>>, axum::extract::Path(issuer): axum::extract::Path<String>) -> Response {
    issuer_document(shared.iam.outbound_jwks(&issuer))
}

/// A public issuer document as JSON, or 404 for an issuer no account has.
fn issuer_document(doc: Option<String>) -> Response {
    match doc {
        Some(body) => {
            let mut r = (StatusCode::OK, body).into_response();
            r.headers_mut().insert("content-type", axum::http::HeaderValue::from_static("application/json"));
            r.headers_mut().insert("cache-control", axum::http::HeaderValue::from_static("max-age=300"));
            r
        }
        None => (StatusCode::NOT_FOUND, "{}").into_response(),
    }
}

/// How often recorded access-key use is written to the store.
const KEY_USAGE_FLUSH: Duration = Duration::from_secs(10);

/// How often a node applies the changes other nodes committed (the cross-node delay bound).
const SYNC_INTERVAL: Duration = Duration::from_millis(200);

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
    let app = router(Arc::clone(&iam), config);
    let result = conn::accept_loop(listener, app, config, shutdown_signal()).await;
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
    body: Body,
) -> Response {
    let request_id = request_id();
    let body = match read_body(&headers, body, shared.config.body_read_timeout).await {
        Ok(body) => body,
        Err(e) => return e.response(&request_id),
    };
    let http = HttpRequest { peer, method: &method, path: uri.path(), query: uri.query(), headers: &headers, body: &body };
    if let Some(e) = signed_for_another_service(&http) {
        return other_service_response(&http, &e, &request_id);
    }
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
        // AssumeRoleWithWebIdentity and AssumeRoleWithSAML are made without a signature on
        // AWS (the token or assertion they carry is the authentication): the only unsigned
        // requests served. Any signature they carry is not looked at.
        if service == Service::Sts && matches!(params.get("Action"), Some("AssumeRoleWithWebIdentity" | "AssumeRoleWithSAML")) {
            return unsigned(shared, http, &params).await;
        }
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

/// An unsigned STS request (AssumeRoleWithWebIdentity): decoded as any other, then handed to
/// the domain on a blocking thread, as it may wait on the issuer's HTTPS endpoints.
async fn unsigned(shared: &Shared, http: &HttpRequest<'_>, params: &QueryParams) -> Result<castellan_api::Response, ApiError> {
    let action = params.get("Action").unwrap_or_default();
    let op = Operation::from_name(Service::Sts, action)
        .ok_or_else(|| ApiError::InvalidAction(format!("Could not find operation {action} for version {}", Service::Sts.api_version())))?;
    let request = Request::parse(op, params)?;
    let info = RequestInfo { source_ip: Some(http.peer.ip()), secure_transport: false, region: IAM_REGION.to_owned() };
    let iam = Arc::clone(&shared.iam);
    tokio::task::spawn_blocking(move || iam.handle_unsigned(&info, request)).await.map_err(|_| ApiError::ServiceFailure)?
}

/// A request signed for a service other than IAM and STS (a client whose AWS_ENDPOINT_URL
/// sends every service here, say) is answered with an error that says so, instead of the
/// signature or parameter error it would otherwise meet. Only the claimed scope is read;
/// nothing is authenticated, so the answer reveals nothing.
fn signed_for_another_service(http: &HttpRequest<'_>) -> Option<ApiError> {
    // The usual request is signed for IAM or STS: known without parsing the signature (the
    // full parse happens once, in `authenticate`).
    let authorization = http.headers.get("authorization").and_then(|v| v.to_str().ok());
    match authorization {
        Some(a) if a.contains("/iam/aws4_request") || a.contains("/sts/aws4_request") => return None,
        None if !http.query.is_some_and(|q| q.contains("X-Amz-Credential=")) => return None,
        _ => {}
    }
    let headers: Vec<(&str, &str)> = http
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.to_str().unwrap_or_default()))
        .collect();
    let request = castellan_sigv4::SignedRequest {
        method: http.method.as_str(),
        path: http.path,
        query: http.query.unwrap_or_default(),
        headers: &headers,
        body: &[],
    };
    let claim = castellan_sigv4::parse(&request).ok()?;
    let service = claim.credential().service.as_str();
    if service == "iam" || service == "sts" {
        return None;
    }
    Some(ApiError::NotImplemented(format!(
        "Castellan serves IAM and STS only, and this request is signed for the service '{service}'. \
         Point only IAM and STS at Castellan (AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL_STS)."
    )))
}

/// The error for a request meant for another service, in the form its client reads: AWS's XML
/// envelope for the query protocol (a form body or an `Action` parameter: EC2, SNS, …) and the
/// REST-XML services (S3, Route 53, CloudFront), JSON for the JSON protocols (DynamoDB,
/// Lambda, KMS, …).
fn other_service_response(http: &HttpRequest<'_>, e: &ApiError, request_id: &str) -> Response {
    let form = http.headers.get("content-type").and_then(|v| v.to_str().ok()).is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let action = http.query.is_some_and(|q| q.split('&').any(|p| p.starts_with("Action=")));
    let rest_xml = http
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| ["/s3/aws4_request", "/route53/aws4_request", "/cloudfront/aws4_request"].iter().any(|s| a.contains(s)));
    if form || action || rest_xml || !http.headers.contains_key("authorization") {
        return error_response(Service::Iam, e, request_id);
    }
    let body = serde_json::json!({ "__type": e.code(), "message": e.message() }).to_string();
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::NOT_IMPLEMENTED);
    typed_response(status, "application/x-amz-json-1.1", body, request_id)
}

/// Operations that never write to the store run on the async workers; the others wait for a
/// durable commit and run on blocking threads. STS writes nothing: its sessions are tokens.
/// The policy simulator writes nothing either but evaluates up to a page of 1,000 requests,
/// so it runs on blocking threads too.
fn is_read_only(op: Operation) -> bool {
    let n = op.name();
    // GetWebIdentityToken may make (and store) a signing key.
    (op.service() == Service::Sts || n.starts_with("Get") || n.starts_with("List")) && op != Operation::GetWebIdentityToken
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
/// the access key it names, and returns the caller and the region the request was made to
/// ([`requested_region`]).
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
    let region = requested_region(service, &credential.region);
    if caller.session.is_none() {
        iam.record_key_use(key_id, &credential.service, &region);
    }
    Ok((caller, region))
}

fn auth_error(e: castellan_sigv4::AuthError) -> ApiError {
    ApiError::Authentication { code: e.aws_code(), status: e.http_status(), message: e.message() }
}

fn xml_response(status: StatusCode, xml: String, request_id: &str) -> Response {
    typed_response(status, "text/xml", xml, request_id)
}

/// A response of `content_type` carrying AWS's request id header.
fn typed_response(status: StatusCode, content_type: &'static str, body: String, request_id: &str) -> Response {
    let mut resp = (status, body).into_response();
    let h = resp.headers_mut();
    h.insert("content-type", axum::http::HeaderValue::from_static(content_type));
    if let Ok(v) = axum::http::HeaderValue::from_str(request_id) {
        h.insert("x-amzn-requestid", v);
    }
    resp
}

fn error_response(service: Service, e: &ApiError, request_id: &str) -> Response {
    let xml = error_xml(service, e.code(), e.status(), e.message(), request_id);
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    xml_response(status, xml, request_id)
}

/// AWS's `ErrorResponse` envelope (the fault is `Receiver` for a 5xx status, else `Sender`).
fn error_xml(service: Service, code: &str, status: u16, message: &str, request_id: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"{ns}\">\n  <Error>\n    <Type>{t}</Type>\n    <Code>{code}</Code>\n    <Message>{m}</Message>\n  </Error>\n  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n",
        ns = service.xml_namespace(),
        t = if status >= 500 { "Receiver" } else { "Sender" },
        m = escape(message),
    )
}

/// AWS's message for `ServiceUnavailable` (503), from the "Common Errors" of its query APIs.
const SERVICE_UNAVAILABLE_MESSAGE: &str = "The request has failed due to a temporary failure of the server.";

/// Why a request body could not be read.
#[derive(Debug)]
enum BodyError {
    /// Longer than [`MAX_BODY`] (by its `Content-Length`, or as it arrived).
    TooLarge,
    /// Not all there within the body timeout.
    Timeout,
    /// The client broke off (or sent a malformed chunk) before the body's end.
    Incomplete,
}

impl BodyError {
    /// The error, in AWS's envelope (the IAM namespace: the body that would name the service
    /// was not read), closing the connection, whose unread rest cannot carry another request.
    /// No AWS text is published for these on IAM or STS; S3's codes and words are used
    /// (`RequestTimeout` 400, `IncompleteBody` 400), with 413 `RequestEntityTooLarge` for
    /// a body over the limit.
    fn response(&self, request_id: &str) -> Response {
        let (code, status, message) = match self {
            Self::TooLarge => (
                "RequestEntityTooLarge",
                413,
                format!("Request body must be no longer than {MAX_BODY} bytes."),
            ),
            Self::Timeout => (
                "RequestTimeout",
                400,
                "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.".to_owned(),
            ),
            Self::Incomplete => (
                "IncompleteBody",
                400,
                "The request body ended before the number of bytes specified by the Content-Length HTTP header.".to_owned(),
            ),
        };
        let xml = error_xml(Service::Iam, code, status, &message, request_id);
        let mut response =
            xml_response(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST), xml, request_id);
        response.headers_mut().insert("connection", axum::http::HeaderValue::from_static("close"));
        response
    }
}

/// How much of a body over [`MAX_BODY`] is read and discarded before answering 413, so that
/// a client that sends its whole body before reading the answer (as the SDKs do) gets to
/// read it: a connection closed with its request unread is reset, answer and all.
const MAX_DISCARD: u64 = 16 * MAX_BODY as u64;

/// Reads the whole body: at most [`MAX_BODY`] bytes, all of it within `timeout`.
async fn read_body(headers: &HeaderMap, mut body: Body, timeout: Duration) -> Result<Vec<u8>, BodyError> {
    let declared = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut too_large = declared.is_some_and(|n| n > MAX_BODY as u64);
    // A client waiting for "100 Continue" sends nothing more if answered at once.
    let waits_to_send = headers.get("expect").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    if too_large && (waits_to_send || declared.is_some_and(|n| n > MAX_DISCARD)) {
        return Err(BodyError::TooLarge);
    }
    let capacity = if too_large { 0 } else { declared.and_then(|n| usize::try_from(n).ok()).unwrap_or(0) };
    let read = async move {
        let mut bytes = Vec::with_capacity(capacity);
        let mut received: u64 = 0;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|_| BodyError::Incomplete)?;
            if let Ok(data) = frame.into_data() {
                received = received.saturating_add(data.len() as u64);
                if too_large || bytes.len() + data.len() > MAX_BODY {
                    too_large = true;
                    bytes = Vec::new();
                    if received > MAX_DISCARD {
                        break;
                    }
                } else {
                    bytes.extend_from_slice(&data);
                }
            }
        }
        if too_large {
            Err(BodyError::TooLarge)
        } else {
            Ok(bytes)
        }
    };
    tokio::time::timeout(timeout, read).await.map_err(|_| BodyError::Timeout)?
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, axum::http::HeaderValue::from_str(value).unwrap());
        }
        map
    }

    const LONG: Duration = Duration::from_secs(30);

    #[tokio::test]
    async fn a_body_within_the_limit_is_read_whole() {
        let body = b"Action=ListUsers&Version=2010-05-08".to_vec();
        let read = read_body(&headers(&[("content-length", "35")]), Body::from(body.clone()), LONG).await;
        assert_eq!(read.unwrap(), body);
        let at_limit = vec![b'x'; MAX_BODY];
        assert_eq!(read_body(&HeaderMap::new(), Body::from(at_limit), LONG).await.unwrap().len(), MAX_BODY);
    }

    #[tokio::test]
    async fn oversized_body_is_too_large_whether_declared_or_as_it_arrives() {
        let over = vec![b'x'; MAX_BODY + 1];
        let declared = headers(&[("content-length", &over.len().to_string())]);
        assert!(matches!(read_body(&declared, Body::from(over.clone()), LONG).await, Err(BodyError::TooLarge)));
        assert!(matches!(read_body(&HeaderMap::new(), Body::from(over), LONG).await, Err(BodyError::TooLarge)));
        // Far over, or a client waiting for "100 Continue": answered without reading.
        let huge = headers(&[("content-length", "1000000000000")]);
        assert!(matches!(read_body(&huge, Body::empty(), LONG).await, Err(BodyError::TooLarge)));
        let waits = headers(&[("content-length", &(MAX_BODY + 1).to_string()), ("expect", "100-continue")]);
        assert!(matches!(read_body(&waits, Body::empty(), LONG).await, Err(BodyError::TooLarge)));
    }

    #[test]
    fn oversized_body_answer_is_an_aws_error_envelope_that_closes_the_connection() {
        let response = BodyError::TooLarge.response("req-1");
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(response.headers().get("connection").unwrap(), "close");
        assert_eq!(response.headers().get("content-type").unwrap(), "text/xml");
        let xml = error_xml(Service::Iam, "RequestEntityTooLarge", 413, "m & <n>", "req-1");
        assert!(xml.contains("<Type>Sender</Type>") && xml.contains("<Code>RequestEntityTooLarge</Code>"));
        assert!(xml.contains("<Message>m &amp; &lt;n&gt;</Message>") && xml.contains("<RequestId>req-1</RequestId>"));
        assert!(error_xml(Service::Iam, "ServiceUnavailable", 503, "m", "r").contains("<Type>Receiver</Type>"));
    }

    #[test]
    fn aws_requested_region_is_us_east_1_for_iam_and_the_signed_region_for_sts() {
        assert_eq!(requested_region(Service::Iam, "eu-west-1"), "us-east-1");
        assert_eq!(requested_region(Service::Sts, "eu-west-1"), "eu-west-1");
    }
}
