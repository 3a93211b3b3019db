//! CloudTrail's `LookupEvents` on the same endpoint, over the audit trail (see `audit`).
//!
//! CloudTrail speaks the JSON protocol: `POST /` with `X-Amz-Target:
//! com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents`, a JSON body, signed for the service `cloudtrail`. The
//! caller must be allowed `cloudtrail:LookupEvents` (the root user with its own keys is); it
//! sees its own account's events only, newest first, at most 50 a page, within the last 90
//! days unless it asks for a range. Other CloudTrail operations answer `NotImplemented`.

use std::str::FromStr as _;

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use castellan_api::Timestamp;
use castellan_iam::messages;
use castellan_iam::{ApiError, RequestInfo};
use serde_json::{json, Value};

use crate::{authenticate_for, typed_response, HttpRequest, Observed, Shared};

/// The `X-Amz-Target` prefixes of CloudTrail's operations: botocore's model's
/// `targetPrefix`, and the short form of CloudTrail's API reference.
const TARGET_PREFIXES: &[&str] = &["com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.", "CloudTrail_20131101."];
/// CloudTrail keeps 90 days of management events for LookupEvents.
const DEFAULT_RANGE_SECS: i64 = 90 * 86_400;
const MAX_RESULTS: u64 = 50;

/// The CloudTrail operation a request names, if it is one.
pub(crate) fn target(headers: &HeaderMap) -> Option<&str> {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok())?;
    TARGET_PREFIXES.iter().find_map(|p| target.strip_prefix(p))
}

/// A CloudTrail error: its code (the exception's name), HTTP status and message.
struct TrailError(&'static str, u16, String);

impl From<ApiError> for TrailError {
    fn from(e: ApiError) -> Self {
        let code = match e.code() {
            // CloudTrail's JSON protocol names these as the other JSON services do.
            "AccessDenied" => "AccessDeniedException",
            other => other,
        };
        Self(code, e.status(), e.message().to_owned())
    }
}

fn invalid(code: &'static str, message: &str) -> TrailError {
    TrailError(code, 400, message.to_owned())
}

pub(crate) async fn handle(shared: &Shared, http: &HttpRequest<'_>, target: &str, request_id: &str, seen: &mut Observed) -> Response {
    // The scan reads files or the database: off the async workers where the runtime allows.
    let multi_thread = tokio::runtime::Handle::try_current().is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    let looked_up = if multi_thread { tokio::task::block_in_place(|| lookup(shared, http, target, seen)) } else { lookup(shared, http, target, seen) };
    let (status, body) = match looked_up {
        Ok(body) => (StatusCode::OK, body.to_string()),
        Err(TrailError(code, status, message)) => {
            seen.code = Some(code);
            (StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST), json!({ "__type": code, "message": message }).to_string())
        }
    };
    typed_response(status, "application/x-amz-json-1.1", body, request_id)
}

/// One attribute filter (CloudTrail takes at most one).
enum Filter {
    None,
    Attribute(String, String),
}

fn lookup(shared: &Shared, http: &HttpRequest<'_>, target: &str, seen: &mut Observed) -> Result<Value, TrailError> {
    let mut claimed = None;
    let (caller, region) = authenticate_for(shared, http, "cloudtrail", &mut claimed).map_err(|e| {
        seen.authentication_failed = true;
        TrailError::from(e)
    })?;
    if target != "LookupEvents" {
        let name: String = target.chars().take(64).collect();
        return Err(TrailError::from(messages::cloudtrail_not_implemented(&name)));
    }
    let info = RequestInfo { source_ip: Some(http.peer.ip()), secure_transport: http.secure, region };
    castellan_iam::authorize_action(&shared.iam, &caller, &info, "cloudtrail:LookupEvents", "*")?;
    let input: Value = if http.body.is_empty() {
        json!({})
    } else {
        serde_json::from_slice(http.body).map_err(|_| invalid("SerializationException", "The request body is not valid JSON."))?
    };
    let field = |name: &str| input.get(name).filter(|v| !v.is_null());
    let max = match field("MaxResults") {
        None => MAX_RESULTS,
        Some(v) => v.as_u64().filter(|n| (1..=MAX_RESULTS).contains(n)).ok_or_else(|| {
            invalid("InvalidMaxResultsException", "Value for MaxResults is invalid. It must be between 1 and 50.")
        })?,
    };
    let filter = match field("LookupAttributes").map(|v| v.as_array().cloned().unwrap_or_default()) {
        None => Filter::None,
        Some(list) if list.is_empty() => Filter::None,
        Some(list) if list.len() > 1 => {
            return Err(invalid("InvalidLookupAttributesException", "You can only specify one lookup attribute."))
        }
        Some(list) => {
            let a = list.first().cloned().unwrap_or_default();
            let key = a.get("AttributeKey").and_then(Value::as_str).unwrap_or_default();
            let value = a.get("AttributeValue").and_then(Value::as_str).unwrap_or_default();
            const KEYS: &[&str] = &["EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource", "AccessKeyId"];
            if !KEYS.contains(&key) || value.is_empty() || value.len() > 2000 {
                return Err(invalid("InvalidLookupAttributesException", "The lookup attribute key or value is not valid."));
            }
            Filter::Attribute(key.to_owned(), value.to_owned())
        }
    };
    if let Some(c) = field("EventCategory") {
        if c.as_str() != Some("insight") {
            return Err(invalid("InvalidEventCategoryException", "The event category is not valid. It must be insight."));
        }
        // Castellan records no Insights events.
        return Ok(json!({ "Events": [] }));
    }
    let now = castellan_iam::system_clock();
    let start = time_of(field("StartTime"))?.unwrap_or(now - DEFAULT_RANGE_SECS);
    let end = time_of(field("EndTime"))?.unwrap_or(now);
    if start > end {
        return Err(invalid("InvalidTimeRangeException", "Start time must be earlier than end time."));
    }
    let after = match field("NextToken") {
        None => None,
        Some(t) => Some(
            t.as_str()
                .filter(|t| t.len() <= 64 && t.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'))
                .ok_or_else(|| invalid("InvalidNextTokenException", "Invalid NextToken."))?
                .to_owned(),
        ),
    };
    let Some(audit) = &shared.audit else {
        return Ok(json!({ "Events": [] }));
    };
    let mut events = Vec::new();
    let mut skipping = after.is_some();
    let mut more = false;
    let scanned = audit.scan(&caller.account, start, end, |line| {
        let Ok(e) = serde_json::from_str::<Value>(line) else { return true };
        if e.get("recipientAccountId").and_then(Value::as_str) != Some(caller.account.as_str()) {
            return true;
        }
        let time = e.get("eventTime").and_then(Value::as_str).and_then(|t| Timestamp::from_str(t).ok()).map_or(0, Timestamp::unix_seconds);
        if time < start || time > end || !matches(&e, &filter) {
            return true;
        }
        if skipping {
            skipping = e.get("eventID").and_then(Value::as_str) != after.as_deref();
            return true;
        }
        if events.len() as u64 == max {
            more = true;
            return false;
        }
        events.push(summary(&e, line, time));
        true
    });
    if let Err(e) = scanned {
        tracing::warn!(error = %e, "cannot read the audit trail");
        return Err(TrailError::from(ApiError::ServiceFailure));
    }
    if skipping {
        return Err(invalid("InvalidNextTokenException", "Invalid NextToken."));
    }
    let mut out = json!({ "Events": events });
    if more {
        let last = events_last_id(&out);
        if let (Value::Object(m), Some(id)) = (&mut out, last) {
            m.insert("NextToken".into(), Value::String(id));
        }
    }
    Ok(out)
}

fn events_last_id(out: &Value) -> Option<String> {
    out.get("Events")?.as_array()?.last()?.get("EventId")?.as_str().map(str::to_owned)
}

/// A timestamp of the JSON protocol: epoch seconds (botocore sends a number), or ISO 8601.
fn time_of(v: Option<&Value>) -> Result<Option<i64>, TrailError> {
    let bad = || invalid("InvalidTimeRangeException", "The time is not valid.");
    match v {
        None => Ok(None),
        Some(Value::Number(n)) => n.as_f64().filter(|f| f.is_finite() && f.abs() < 1e11).map(|f| Some(f.floor() as i64)).ok_or_else(bad),
        Some(Value::String(s)) => Timestamp::from_str(s).map(|t| Some(t.unix_seconds())).map_err(|_| bad()),
        Some(_) => Err(bad()),
    }
}

/// The user name LookupEvents shows: the IAM user's, `root`, or the session's name.
fn username(e: &Value) -> Option<String> {
    let id = e.get("userIdentity")?;
    match id.get("type")?.as_str()? {
        "Root" => Some("root".into()),
        "IAMUser" => id.get("userName")?.as_str().map(str::to_owned),
        _ => id.get("principalId")?.as_str()?.split_once(':').map(|(_, s)| s.to_owned()),
    }
}

/// The resources an event names, from its request parameters.
fn resources(e: &Value) -> Vec<Value> {
    const KINDS: &[(&str, &str)] = &[
        ("userName", "AWS::IAM::User"),
        ("groupName", "AWS::IAM::Group"),
        ("roleName", "AWS::IAM::Role"),
        ("roleArn", "AWS::IAM::Role"),
        ("policyArn", "AWS::IAM::Policy"),
        ("instanceProfileName", "AWS::IAM::InstanceProfile"),
        ("accessKeyId", "AWS::IAM::AccessKey"),
    ];
    let Some(params) = e.get("requestParameters").and_then(Value::as_object) else { return Vec::new() };
    KINDS
        .iter()
        .filter_map(|(k, t)| params.get(*k).and_then(Value::as_str).map(|name| json!({ "ResourceType": t, "ResourceName": name })))
        .collect()
}

fn matches(e: &Value, filter: &Filter) -> bool {
    let Filter::Attribute(key, value) = filter else { return true };
    let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let found = match key.as_str() {
        "EventId" => s(e.get("eventID")),
        "EventName" => s(e.get("eventName")),
        "EventSource" => s(e.get("eventSource")),
        "ReadOnly" => e.get("readOnly").and_then(Value::as_bool).map(|b| b.to_string()),
        "Username" => username(e),
        "AccessKeyId" => s(e.get("userIdentity").and_then(|i| i.get("accessKeyId"))),
        "ResourceType" | "ResourceName" => {
            let field = if key == "ResourceType" { "ResourceType" } else { "ResourceName" };
            return resources(e).iter().any(|r| r.get(field).and_then(Value::as_str) == Some(value.as_str()));
        }
        _ => None,
    };
    found.as_deref() == Some(value.as_str())
}

/// An event as LookupEvents lists it.
fn summary(e: &Value, line: &str, time: i64) -> Value {
    let mut out = json!({
        "EventId": e.get("eventID"),
        "EventName": e.get("eventName"),
        "ReadOnly": e.get("readOnly").and_then(Value::as_bool).map(|b| b.to_string()),
        "EventTime": time,
        "EventSource": e.get("eventSource"),
        "Resources": resources(e),
        "CloudTrailEvent": line,
    });
    if let Value::Object(m) = &mut out {
        if let Some(key) = e.get("userIdentity").and_then(|i| i.get("accessKeyId")).and_then(Value::as_str) {
            m.insert("AccessKeyId".into(), key.into());
        }
        if let Some(u) = username(e) {
            m.insert("Username".into(), u.into());
        }
    }
    out
}
