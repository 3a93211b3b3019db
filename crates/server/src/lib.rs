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
mod workload;

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
use castellan_iam::messages;
use castellan_iam::{request_id, ApiError, Caller, Iam, Partition, RequestInfo};
use http_body_util::BodyExt as _;

mod conn;
pub mod metrics;
mod ops_http;
pub mod tls;
pub mod audit;
mod cloudtrail;

pub use metrics::{TimedStore, METRICS};
pub use tls::{self_signed, Tls};
pub use audit::{Audit, AuditConfig};

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
    /// The audit trail, unless turned off.
    audit: Option<Arc<Audit>>,
}

/// Signing keys kept: one per active access key and day, and then some.
const SIGNING_KEY_CACHE: usize = 4096;

// The regions a credential scope may name: every region of the server's partition
// (`Partition::regions`: botocore's endpoints.json). A scope naming anything else (a region of
// another partition too: that partition's endpoints are elsewhere) is refused with AWS's
// `SignatureDoesNotMatch` "Credential should be scoped to a valid region".
//
// AWS itself takes only its IAM endpoint's region for IAM (us-east-1, cn-north-1,
// us-gov-west-1), but a client pointed at a custom endpoint signs with whatever region it is
// configured for (boto3 `region_name="eu-west-1"`), so any region of the partition is
// accepted for both services; what the request is authorized as having asked for is decided
// by [`requested_region`], not by the scope.

/// The value of `aws:RequestedRegion`: the region of the endpoint the request was made to.
/// IAM has one endpoint per partition, in us-east-1 for `aws`, whatever region the client
/// signed with (IAM User Guide, "AWS global condition context keys", `aws:RequestedRegion`:
/// "IAM calls are always made to the us-east-1 Region"; in the other partitions the region of
/// its endpoint, `Partition::iam_region`). STS has regional endpoints; Castellan's endpoint
/// stands for the one the client chose, which is the region it signed for.
fn requested_region(partition: Partition, service: Service, signed_region: &str) -> String {
    match service {
        Service::Iam => partition.iam_region().to_owned(),
        Service::Sts => signed_region.to_owned(),
    }
}

/// The router serving IAM and STS on `/` (and the console, unless it has a listener of its own).
pub fn router(iam: Arc<Iam>, config: Config) -> Router {
    router_with(iam, config, None, false)
}

/// The router, recording every request in `audit`; `secure`: served over HTTPS (the console's
/// cookies are then `Secure`).
pub fn router_with(iam: Arc<Iam>, config: Config, audit: Option<Arc<Audit>>, secure: bool) -> Router {
    let console = config.console.then(|| {
        let recorder = audit.clone().map(|a| console_recorder(a, iam.partition()));
        castellan_console::router(Arc::clone(&iam), castellan_console::Options { secure_cookies: secure, recorder })
    });
    let signing_keys = castellan_sigv4::SigningKeyCache::new(SIGNING_KEY_CACHE);
    let shared = Arc::new(Shared { iam, config, signing_keys, audit });
    let api = ops_http::routes(Router::new())
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

/// The console's calls in the audit trail, as the API's are (user agent `castellan-console`).
fn console_recorder(audit: Arc<Audit>, partition: Partition) -> castellan_console::Recorder {
    Arc::new(move |call: castellan_console::ConsoleCall| {
        let mut seen = audit::Seen {
            time_ms: audit::now_ms(),
            request_id: request_id(),
            service: Some(call.op.service()),
            op: Some(call.op),
            region: Some(partition.iam_region().to_owned()),
            source_ip: Some(call.source_ip),
            user_agent: Some("castellan-console".into()),
            ..audit::Seen::default()
        };
        match call.result {
            Ok(response) if audit::records_response(call.op) => seen.response_xml = Some(response.to_xml(&seen.request_id)),
            Ok(_) => {}
            Err(e) => seen.error = Some(e),
        }
        seen.params = Some(call.params);
        seen.caller = Some(call.caller);
        audit.record(seen);
    })
}

/// Serves only the console on `listener` (`castellan serve --console-listen ADDR`), with the
/// same connection limits (and HTTPS with `tls`), until shutdown.
pub async fn serve_console(listener: tokio::net::TcpListener, iam: Arc<Iam>, config: Config, tls: Option<Tls>, audit: Option<Arc<Audit>>) -> std::io::Result<()> {
    let partition = iam.partition();
    let app = castellan_console::router(iam, castellan_console::Options { secure_cookies: tls.is_some(), recorder: audit.map(|a| console_recorder(a, partition)) });
    conn::accept_loop(listener, app, config, tls.map(|t| t.acceptor), shutdown_signal()).await
}

/// Installs the HTTPS client that fetches OIDC issuers' keys (for AssumeRoleWithWebIdentity),
/// trusting the system store and the PEM file `ca_bundle` (`--ca-bundle`,
/// `CASTELLAN_CA_BUNDLE`). Call it before serving; an unreadable or empty bundle is an error
/// (the server should not start).
pub fn install_oidc_fetcher(iam: &Iam, ca_bundle: Option<&std::path::Path>) -> Result<(), String> {
    iam.set_https_fetcher(Arc::new(oidc_fetch::Fetcher::new(ca_bundle)?));
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

/// How often a node decides pending service-linked role deletion tasks.
const DELETION_TASK_INTERVAL: Duration = Duration::from_secs(1);

/// Serves plain HTTP until SIGINT or SIGTERM, then writes what is pending and returns.
pub async fn serve(listener: tokio::net::TcpListener, iam: Arc<Iam>, config: Config) -> std::io::Result<()> {
    serve_with(listener, iam, config, ServeOptions::default()).await
}

/// What a server may have beyond plain HTTP.
#[derive(Debug, Default)]
pub struct ServeOptions {
    /// Serve HTTPS.
    pub tls: Option<Tls>,
    /// Record every request.
    pub audit: Option<Arc<Audit>>,
}

/// Serves (HTTPS with `options.tls`), until SIGINT or SIGTERM.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    iam: Arc<Iam>,
    config: Config,
    options: ServeOptions,
) -> std::io::Result<()> {
    let ServeOptions { tls, audit } = options;
    // The state was just loaded from the store: it was reachable.
    METRICS.mark_started();
    METRICS.feed_synced(true, iam.seen_revision());
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
                METRICS.feed_synced(ok, iam.seen_revision());
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
    // Service-linked role deletion tasks (castellan_iam's ops/service_linked.rs).
    let deleter = {
        let iam = Arc::clone(&iam);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(DELETION_TASK_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if iam.has_pending_deletion_tasks() {
                    let running = Arc::clone(&iam);
                    if let Ok(Err(e)) = tokio::task::spawn_blocking(move || running.run_deletion_tasks()).await {
                        tracing::warn!(error = %e.message(), "service-linked role deletion tasks will be retried");
                    }
                }
            }
        })
    };
    let app = router_with(Arc::clone(&iam), config, audit.clone(), tls.is_some());
    let result = conn::accept_loop(listener, app, config, tls.map(|t| t.acceptor), shutdown_signal()).await;
    flusher.abort();
    follower.abort();
    deleter.abort();
    flush(&iam).await;
    if let Some(audit) = audit {
        let _ = tokio::task::spawn_blocking(move || audit.flush()).await;
    }
    result
}

async fn flush(iam: &Arc<Iam>) {
    let iam = Arc::clone(iam);
    let done = tokio::task::spawn_blocking(move || iam.flush_key_usage().and(iam.flush_role_usage()).and(iam.flush_access_history())).await;
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
    secure: Option<axum::Extension<tls::Secure>>,
    method: Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = std::time::Instant::now();
    let started_ms = audit::now_ms();
    let request_id = request_id();
    let mut seen = Observed { trail: true, ..Observed::default() };
    let response = match read_body(&headers, body, shared.config.body_read_timeout).await {
        Ok(body) => {
            let secure = secure.is_some_and(|s| s.0 .0);
            let http = HttpRequest { peer, secure, method: &method, path: uri.path(), query: uri.query(), headers: &headers, body: &body };
            if let Some(target) = cloudtrail::target(&headers) {
                seen.trail = false;
                cloudtrail::handle(&shared, &http, target, &request_id, &mut seen).await
            } else if let Some(e) = signed_for_another_service(&http) {
                seen.failed(&e);
                other_service_response(&http, &e, &request_id)
            } else {
                let (service, result) = handle(&shared, &http, &request_id, &mut seen).await;
                match result {
                    Ok(xml) => xml_response(StatusCode::OK, xml, &request_id),
                    Err(e) => {
                        seen.failed(&e);
                        error_response(service, &e, &request_id)
                    }
                }
            }
        }
        Err(e) => {
            seen.code = Some(e.code());
            e.response(&request_id)
        }
    };
    ops_http::finish(&seen, &request_id, peer, response.status().as_u16(), started.elapsed());
    if let (Some(audit), true) = (&shared.audit, seen.trail) {
        let mut event = seen.event;
        event.time_ms = started_ms;
        event.request_id = request_id;
        event.source_ip = Some(peer.ip());
        event.user_agent = headers.get("user-agent").and_then(|v| v.to_str().ok()).map(|ua| ua.chars().take(1024).collect());
        if event.error.is_none() {
            event.error = seen.code.map(|c| (c, String::new()));
        }
        audit.record(event);
    }
    response
}

/// What the request path learned about a request, for the metrics, the request log and
/// the audit trail.
#[derive(Debug, Default)]
struct Observed {
    /// The AWS error code answered, if the request failed.
    code: Option<&'static str>,
    /// The signature (or the credentials it names) was refused.
    authentication_failed: bool,
    /// Whether the request goes to the audit trail (CloudTrail's own LookupEvents does not).
    trail: bool,
    /// The event's contents: operation, caller, parameters, answer.
    event: audit::Seen,
}

impl Observed {
    fn failed(&mut self, e: &ApiError) {
        self.code = Some(e.code());
        self.event.error = Some((e.code(), e.message().to_owned()));
    }
}

/// The parts of the HTTP request the protocol reads.
struct HttpRequest<'a> {
    peer: SocketAddr,
    /// Arrived over TLS.
    secure: bool,
    method: &'a Method,
    path: &'a str,
    query: Option<&'a str>,
    headers: &'a HeaderMap,
    body: &'a [u8],
}

/// The whole request path. Returns the service (for the error namespace) and the XML body,
/// or the error.
async fn handle(shared: &Shared, http: &HttpRequest<'_>, request_id: &str, seen: &mut Observed) -> (Service, Result<String, ApiError>) {
    let iam = &shared.iam;
    let params = match read_params(http.method, http.query, http.headers, http.body) {
        Ok(p) => p,
        Err(e) => return (Service::Iam, Err(e)),
    };
    let service = match params.get("Version") {
        Some(v) if v == Service::Sts.api_version() => Service::Sts,
        _ => Service::Iam,
    };
    // Known before authentication for the metrics, the log and the trail only; nothing acts
    // on it yet.
    let event = &mut seen.event;
    event.service = Some(service);
    event.op = params.get("Action").and_then(|a| Operation::from_name(service, a));
    if event.op.is_none() {
        event.action = params.get("Action").map(|a| a.chars().take(128).collect());
    }
    let audited = shared.audit.is_some();
    let result = async {
        // AssumeRoleWithWebIdentity and AssumeRoleWithSAML are made without a signature on
        // AWS (the token or assertion they carry is the authentication): the only unsigned
        // requests served. Any signature they carry is not looked at.
        if service == Service::Sts && matches!(params.get("Action"), Some("AssumeRoleWithWebIdentity" | "AssumeRoleWithSAML")) {
            let response = unsigned(shared, http, &params).await?;
            // The trail names the federated identity and the role's account.
            event.federated = audit::Federated::of(&response);
            event.claimed_account = event.federated.as_ref().map(|f| f.account.clone());
            return Ok(response.to_xml(request_id));
        }
        let authenticated = authenticate_for(shared, http, service.signing_name(), &mut event.claimed_key);
        let (caller, signed_region) = authenticated.inspect_err(|_| {
            seen.authentication_failed = true;
            // Whose key it was, when it is one this node knows (the trail's account).
            let key = event.claimed_key.as_deref().unwrap_or_default();
            event.claimed_account = iam.caller_for_access_key(key).map(|(c, _)| c.account);
        })?;
        let region = requested_region(iam.partition(), service, &signed_region);
        event.region = Some(region.clone());
        event.caller = Some(caller.clone());
        // Behind a TLS-terminating proxy this would come from it; Castellan knows its own.
        let info = RequestInfo { source_ip: Some(http.peer.ip()), secure_transport: http.secure, region };
        let action = params.get("Action").ok_or_else(messages::missing_action)?;
        let version = params.get("Version").unwrap_or_default();
        // Castellan's own actions for `castellan workload` (workload.rs), IAM endpoint only.
        if service == Service::Iam {
            if let Some(result) = workload::handle(iam, &caller, &info, action, &params, request_id) {
                return result;
            }
        }
        let op = Operation::from_name(service, action).ok_or_else(|| {
            messages::unknown_operation(action, version)
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
        ops_http::count_session(op, &response);
        Ok(response.to_xml(request_id))
    }
    .await;
    if audited {
        if let (Ok(xml), Some(op)) = (&result, seen.event.op) {
            if audit::records_response(op) {
                seen.event.response_xml = Some(xml.clone());
            }
        }
        seen.event.params = Some(params);
    }
    (service, result)
}

/// An unsigned STS request (AssumeRoleWithWebIdentity): decoded as any other, then handed to
/// the domain on a blocking thread, as it may wait on the issuer's HTTPS endpoints.
async fn unsigned(shared: &Shared, http: &HttpRequest<'_>, params: &QueryParams) -> Result<castellan_api::Response, ApiError> {
    let action = params.get("Action").unwrap_or_default();
    let op = Operation::from_name(Service::Sts, action)
        .ok_or_else(|| messages::unknown_operation(action, Service::Sts.api_version()))?;
    let request = Request::parse(op, params)?;
    let info = RequestInfo { source_ip: Some(http.peer.ip()), secure_transport: http.secure, region: shared.iam.partition().iam_region().to_owned() };
    let iam = Arc::clone(&shared.iam);
    let response = tokio::task::spawn_blocking(move || iam.handle_unsigned(&info, request)).await.map_err(|_| ApiError::ServiceFailure)??;
    ops_http::count_session(op, &response);
    Ok(response)
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
    Some(messages::other_service_signed(service))
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
            return Err(messages::unsupported_content_type());
        }
        if !body.is_empty() {
            return QueryParams::from_urlencoded(body).map_err(ApiError::from);
        }
    }
    QueryParams::from_urlencoded(query.unwrap_or_default().as_bytes()).map_err(ApiError::from)
}

/// Verifies the request's SigV4 signature (header or presigned query), made for the service
/// `signing_name`, against the secret of the access key it names, and returns the caller and
/// the region the request was signed for. The key id claimed goes to `claimed` as soon as it
/// is read. Nothing of the request is acted on before this succeeds.
fn authenticate_for(
    shared: &Shared,
    http: &HttpRequest<'_>,
    signing_name: &'static str,
    claimed: &mut Option<String>,
) -> Result<(Caller, String), ApiError> {
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
    *claimed = Some(key_id.chars().take(128).collect());
    let iam = &shared.iam;
    let invalid = || messages::security_token_invalid();
    let (caller, secret) = match claim.security_token() {
        // Temporary credentials: the token carries the session; no lookup.
        Some(token) => iam.caller_for_session(key_id, token)?,
        None => iam.caller_for_access_key(key_id).ok_or_else(invalid)?,
    };
    let expected = castellan_sigv4::Expected {
        service: signing_name,
        regions: iam.partition().regions(),
        max_skew_secs: shared.config.max_clock_skew_secs,
    };
    castellan_sigv4::verify(&request, &claim, &secret, castellan_iam::system_clock(), &shared.signing_keys, &expected)
        .map_err(auth_error)?;
    let region = match signing_name {
        "iam" => requested_region(iam.partition(), Service::Iam, &credential.region),
        _ => credential.region.clone(),
    };
    match &caller.principal {
        _ if caller.session.is_none() => iam.record_key_use(key_id, &credential.service, &region),
        castellan_iam::Principal::AssumedRole { role_id, .. } => iam.record_role_use(role_id, &region),
        _ => {}
    }
    Ok((caller, credential.region.clone()))
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

/// AWS's `ErrorResponse` envelope (the fault is `Receiver` for a 5xx status, else `Sender`). An
/// error AWS sends without a message (ReportNotPresent) has no `<Message>` element.
fn error_xml(service: Service, code: &str, status: u16, message: &str, request_id: &str) -> String {
    let m = if message.is_empty() { String::new() } else { format!("    <Message>{}</Message>\n", escape(message)) };
    format!(
        "<ErrorResponse xmlns=\"{ns}\">\n  <Error>\n    <Type>{t}</Type>\n    <Code>{code}</Code>\n{m}  </Error>\n  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n",
        ns = service.xml_namespace(),
        t = if status >= 500 { "Receiver" } else { "Sender" },
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
        assert!(!error_xml(Service::Iam, "ReportNotPresent", 410, "", "r").contains("<Message>"));
    }

    #[test]
    fn aws_requested_region_is_us_east_1_for_iam_and_the_signed_region_for_sts() {
        assert_eq!(requested_region(Partition::Aws, Service::Iam, "eu-west-1"), "us-east-1");
        assert_eq!(requested_region(Partition::Aws, Service::Sts, "eu-west-1"), "eu-west-1");
        // IAM's endpoint in each other partition is in one region (botocore endpoints.json:
        // iam.cn-north-1.amazonaws.com.cn, iam.us-gov.amazonaws.com scoped to us-gov-west-1).
        assert_eq!(requested_region(Partition::AwsCn, Service::Iam, "cn-northwest-1"), "cn-north-1");
        assert_eq!(requested_region(Partition::AwsUsGov, Service::Iam, "us-gov-east-1"), "us-gov-west-1");
        assert_eq!(requested_region(Partition::AwsCn, Service::Sts, "cn-northwest-1"), "cn-northwest-1");
    }
}
