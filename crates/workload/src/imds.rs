//! An IMDSv2-compatible instance metadata endpoint for one instance.
//!
//! As EC2's with `HttpTokens=required`: `PUT /latest/api/token` with
//! `X-aws-ec2-metadata-token-ttl-seconds` (1–21600) returns a session token; every other
//! request must carry it in `X-aws-ec2-metadata-token` (missing, unknown or expired: 401, so
//! IMDSv1 is refused); a token request with `X-Forwarded-For` is refused (403), as EC2 does to
//! keep proxies from fetching tokens; responses leave with the IP hop limit as TTL (`run`
//! sets it on the listener). Paths: `/latest/meta-data/iam/info`,
//! `/latest/meta-data/iam/security-credentials/` and `/…/ROLE` with EC2's JSON, plus
//! `instance-id`, `placement/region`, `placement/availability-zone` and
//! `/latest/dynamic/instance-identity/document`, which SDKs read for the region.
//! Source: EC2 User Guide, "Use the Instance Metadata Service to access instance metadata"
//! and "Retrieve security credentials from instance metadata".

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse as _, Response};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore as _;
use tokio::sync::Mutex;

use crate::provider::Workload;

const TTL_HEADER: &str = "x-aws-ec2-metadata-token-ttl-seconds";
const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";
const MAX_TTL: u64 = 21_600;
/// Live session tokens one instance keeps at most; expired ones are dropped first.
const MAX_TOKENS: usize = 10_000;

/// One instance's metadata service.
#[derive(Debug)]
pub struct Imds {
    pub workload: Arc<Workload>,
    pub region: String,
    account: String,
    tokens: Mutex<HashMap<String, Instant>>,
}

impl Imds {
    pub fn new(workload: Arc<Workload>, region: String, account: String) -> Arc<Imds> {
        Arc::new(Imds { workload, region, account, tokens: Mutex::new(HashMap::new()) })
    }
}

pub fn router(imds: Arc<Imds>) -> Router {
    Router::new().fallback(entry).with_state(imds)
}

fn text(status: StatusCode, body: impl Into<String>) -> Response {
    (status, [("content-type", "text/plain")], body.into()).into_response()
}

fn json(value: &serde_json::Value) -> Response {
    (StatusCode::OK, [("content-type", "text/plain")], value.to_string()).into_response()
}

fn not_found() -> Response {
    text(StatusCode::NOT_FOUND, "Not Found")
}

async fn entry(State(imds): State<Arc<Imds>>, method: Method, uri: Uri, headers: HeaderMap, _body: Body) -> Response {
    let path = uri.path();
    if path == "/latest/api/token" {
        return if method == Method::PUT { token(&imds, &headers).await } else { text(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed") };
    }
    if method != Method::GET && method != Method::HEAD {
        return text(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    }
    // IMDSv2 only: every request carries a live session token.
    let presented = headers.get(TOKEN_HEADER).and_then(|v| v.to_str().ok());
    let valid = match presented {
        Some(t) => {
            let tokens = imds.tokens.lock().await;
            tokens.iter().any(|(k, until)| crate::constant_time_eq(k.as_bytes(), t.as_bytes()) && Instant::now() < *until)
        }
        None => false,
    };
    if !valid {
        return text(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    metadata(&imds, path).await
}

async fn token(imds: &Imds, headers: &HeaderMap) -> Response {
    if headers.contains_key("x-forwarded-for") {
        return text(StatusCode::FORBIDDEN, "Forbidden");
    }
    let ttl = headers.get(TTL_HEADER).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    let Some(ttl) = ttl.filter(|t| (1..=MAX_TTL).contains(t)) else {
        return text(StatusCode::BAD_REQUEST, "Bad Request");
    };
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let value = URL_SAFE_NO_PAD.encode(bytes);
    let mut tokens = imds.tokens.lock().await;
    let now = Instant::now();
    if tokens.len() >= MAX_TOKENS {
        tokens.retain(|_, until| *until > now);
        if tokens.len() >= MAX_TOKENS {
            return text(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable");
        }
    }
    tokens.insert(value.clone(), now + Duration::from_secs(ttl));
    (StatusCode::OK, [("content-type", "text/plain"), (TTL_HEADER, &ttl.to_string())], value).into_response()
}

async fn metadata(imds: &Imds, path: &str) -> Response {
    let id = imds.workload.id.as_str();
    let path = path.strip_prefix("/latest").unwrap_or(path);
    match path {
        "/meta-data" | "/meta-data/" => text(StatusCode::OK, "iam/\ninstance-id\nplacement/"),
        "/meta-data/instance-id" => text(StatusCode::OK, id),
        "/meta-data/placement/" => text(StatusCode::OK, "availability-zone\nregion"),
        "/meta-data/placement/region" => text(StatusCode::OK, imds.region.clone()),
        "/meta-data/placement/availability-zone" => text(StatusCode::OK, format!("{}a", imds.region)),
        "/dynamic/instance-identity/document" => json(&serde_json::json!({
            "accountId": imds.account,
            "architecture": std::env::consts::ARCH,
            "availabilityZone": format!("{}a", imds.region),
            "instanceId": id,
            "region": imds.region,
        })),
        "/meta-data/iam" | "/meta-data/iam/" => text(StatusCode::OK, "info\nsecurity-credentials/"),
        "/meta-data/iam/info" => match imds.workload.current().await {
            Ok(f) => json(&serde_json::json!({
                "Code": "Success",
                "LastUpdated": f.last_updated,
                "InstanceProfileArn": f.profile_arn.unwrap_or_default(),
                "InstanceProfileId": f.profile_id.unwrap_or_default(),
            })),
            Err(e) => json(&serde_json::json!({
                "Code": "AssumeRoleUnauthorizedAccess",
                "Message": e.to_string(),
                "LastUpdated": castellan_api::Timestamp::from_system_time(std::time::SystemTime::now()).to_aws_string(),
            })),
        },
        "/meta-data/iam/security-credentials" | "/meta-data/iam/security-credentials/" => match imds.workload.current().await {
            Ok(f) => text(StatusCode::OK, f.role_name),
            Err(_) => not_found(),
        },
        _ => match path.strip_prefix("/meta-data/iam/security-credentials/") {
            Some(role) => match imds.workload.current().await {
                Ok(f) if f.role_name == role.trim_end_matches('/') => json(&serde_json::json!({
                    "Code": "Success",
                    "LastUpdated": f.last_updated,
                    "Type": "AWS-HMAC",
                    "AccessKeyId": f.access_key_id,
                    "SecretAccessKey": f.secret_access_key,
                    "Token": f.session_token,
                    "Expiration": f.expiration,
                })),
                _ => not_found(),
            },
            None => not_found(),
        },
    }
}
