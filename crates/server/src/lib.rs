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

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use castellan_api::query::QueryParams;
use castellan_api::{Operation, Request, Service};
use castellan_iam::{request_id, ApiError, Caller, Iam, RequestInfo};

/// The largest request body accepted: policy documents are at most a few KiB.
const MAX_BODY: usize = 1 << 20;

/// The router serving IAM and STS on `/`.
pub fn router(iam: Arc<Iam>) -> Router {
    Router::new()
        .fallback(entry)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(iam)
}

/// How often recorded access-key use is written to the store.
const KEY_USAGE_FLUSH: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves until SIGINT or SIGTERM, then writes what is pending and returns.
pub async fn serve(listener: tokio::net::TcpListener, iam: Arc<Iam>) -> std::io::Result<()> {
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
    let app = router(Arc::clone(&iam)).into_make_service_with_connect_info::<SocketAddr>();
    let result = axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await;
    flusher.abort();
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
    State(iam): State<Arc<Iam>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request_id = request_id();
    let (service, result) = handle(&iam, peer, &method, query.as_deref(), &headers, &body, &request_id).await;
    match result {
        Ok(xml) => xml_response(StatusCode::OK, xml, &request_id),
        Err(e) => error_response(service, &e, &request_id),
    }
}

/// The whole request path. Returns the service (for the error namespace) and the XML body,
/// or the error.
async fn handle(
    iam: &Arc<Iam>,
    peer: SocketAddr,
    method: &Method,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
    request_id: &str,
) -> (Service, Result<String, ApiError>) {
    let params = match read_params(method, query, headers, body) {
        Ok(p) => p,
        Err(e) => return (Service::Iam, Err(e)),
    };
    let service = match params.get("Version") {
        Some(v) if v == Service::Sts.api_version() => Service::Sts,
        _ => Service::Iam,
    };
    let result = async {
        let (caller, region) = authenticate(iam, headers, &params)?;
        // Castellan speaks plain HTTP; behind a TLS-terminating proxy this would come from it.
        let info = RequestInfo { source_ip: Some(peer.ip()), secure_transport: false, region };
        let action = params.get("Action").ok_or_else(|| {
            ApiError::InvalidAction("Missing Action".into())
        })?;
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

fn is_read_only(op: Operation) -> bool {
    let n = op.name();
    n.starts_with("Get") || n.starts_with("List")
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

/// Until SigV4 verification lands, the caller is taken from the access key id of the
/// Authorization header (or presigned `X-Amz-Credential`): the key must exist and be active.
fn authenticate(iam: &Iam, headers: &HeaderMap, params: &QueryParams) -> Result<(Caller, String), ApiError> {
    let credential = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|auth| auth.split("Credential=").nth(1))
        .or_else(|| params.get("X-Amz-Credential"))
        .ok_or_else(|| ApiError::MissingAuthenticationToken("Request is missing Authentication Token".into()))?;
    let key_id = credential.split('/').next().unwrap_or_default();
    let caller = iam
        .caller_for_access_key(key_id)
        .ok_or_else(|| ApiError::InvalidClientTokenId("The security token included in the request is invalid.".into()))?;
    // Credential scope: KEY/DATE/REGION/SERVICE/aws4_request.
    let mut scope = credential.split('/').skip(2);
    let region = scope.next().unwrap_or("us-east-1");
    let service = scope.next().unwrap_or("iam");
    iam.record_key_use(key_id, service, region);
    Ok((caller, region.to_owned()))
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
