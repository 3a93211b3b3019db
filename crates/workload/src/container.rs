//! The container credentials endpoint, as the SDKs read it through
//! `AWS_CONTAINER_CREDENTIALS_FULL_URI` with `AWS_CONTAINER_AUTHORIZATION_TOKEN` (or
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`): a GET whose `Authorization` header is the
//! task's token, answered with the task role's credentials as JSON (`AccessKeyId`,
//! `SecretAccessKey`, `Token`, `Expiration`, `RoleArn`). One endpoint serves many tasks: the
//! token tells them apart. A missing token is 401, an unknown one 403; nothing is issued.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse as _, Response};
use axum::Router;

use crate::provider::Workload;

/// The path of `AWS_CONTAINER_CREDENTIALS_FULL_URI`.
pub const PATH: &str = "/v1/credentials";

/// The tasks one endpoint serves, each with its token.
#[derive(Debug, Default)]
pub struct Tasks {
    tasks: tokio::sync::RwLock<Vec<(String, Arc<Workload>)>>,
}

impl Tasks {
    pub async fn add(&self, token: String, workload: Arc<Workload>) {
        self.tasks.write().await.push((token, workload));
    }
}

pub fn router(tasks: Arc<Tasks>) -> Router {
    Router::new().fallback(entry).with_state(tasks)
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, [("content-type", "application/json")], serde_json::json!({"code": code, "message": message}).to_string()).into_response()
}

async fn entry(State(tasks): State<Arc<Tasks>>, method: Method, uri: axum::http::Uri, headers: HeaderMap, _body: Body) -> Response {
    if method != Method::GET || uri.path() != PATH {
        return error(StatusCode::NOT_FOUND, "NotFound", "Not Found");
    }
    let Some(presented) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return error(StatusCode::UNAUTHORIZED, "AccessDenied", "Authorization header is required");
    };
    let workload = {
        let tasks = tasks.tasks.read().await;
        // Every token is compared, in constant time, so the answer's timing tells nothing.
        let mut found = None;
        for (token, w) in tasks.iter() {
            if crate::constant_time_eq(token.as_bytes(), presented.as_bytes()) {
                found = Some(Arc::clone(w));
            }
        }
        found
    };
    let Some(workload) = workload else {
        return error(StatusCode::FORBIDDEN, "AccessDenied", "Unknown authorization token");
    };
    match workload.current().await {
        Ok(f) => (
            StatusCode::OK,
            [("content-type", "application/json")],
            serde_json::json!({
                "AccessKeyId": f.access_key_id,
                "SecretAccessKey": f.secret_access_key,
                "Token": f.session_token,
                "Expiration": f.expiration,
                "RoleArn": f.role_arn,
            })
            .to_string(),
        )
            .into_response(),
        Err(e) => error(StatusCode::FORBIDDEN, "AccessDenied", &e.to_string()),
    }
}
