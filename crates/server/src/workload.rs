//! The two Castellan-specific actions behind `castellan workload` (see `castellan_iam`'s
//! `workload` module): `CastellanRegisterWorkload` and `CastellanGetWorkloadCredentials`.
//!
//! They come to the IAM endpoint (`Version=2010-05-08`) as any IAM request does, SigV4-signed
//! and authenticated first; they are not AWS operations, so they are recognised here by name
//! before the AWS operation lookup, and answered in the same XML form as IAM's (elements named
//! below). Their parameters are bounded before anything reads them.

use castellan_api::xml::escape;
use castellan_api::{QueryParams, Timestamp};
use castellan_iam::messages;
use castellan_iam::{ApiError, Caller, Iam, RequestInfo, WorkloadKind};

pub const REGISTER: &str = "CastellanRegisterWorkload";
pub const CREDENTIALS: &str = "CastellanGetWorkloadCredentials";

/// Longest accepted name and token.
const MAX_NAME: usize = 128;
const MAX_TOKEN: usize = 8192;

fn param<'a>(params: &'a QueryParams, name: &str, max: usize) -> Result<Option<&'a str>, ApiError> {
    match params.get(name) {
        Some(v) if v.is_empty() || v.len() > max => {
            Err(messages::workload_param_length(name, max))
        }
        other => Ok(other),
    }
}

fn envelope(action: &str, result: &str, request_id: &str) -> String {
    format!(
        "<{action}Response xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><{action}Result>{result}</{action}Result><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>"
    )
}

fn element(out: &mut String, name: &str, value: &str) {
    out.push_str(&format!("<{name}>{}</{name}>", escape(value)));
}

/// Runs `action` if it is one of these two; `None` for any other action.
pub fn handle(iam: &Iam, caller: &Caller, info: &RequestInfo, action: &str, params: &QueryParams, request_id: &str) -> Option<Result<String, ApiError>> {
    match action {
        REGISTER => Some(register(iam, caller, info, params, request_id)),
        CREDENTIALS => Some(credentials(iam, caller, info, params, request_id)),
        _ => None,
    }
}

fn register(iam: &Iam, caller: &Caller, info: &RequestInfo, params: &QueryParams, request_id: &str) -> Result<String, ApiError> {
    let (kind, name) = match (param(params, "InstanceProfileName", MAX_NAME)?, param(params, "RoleName", MAX_NAME)?) {
        (Some(p), None) => (WorkloadKind::Instance, p),
        (None, Some(r)) => (WorkloadKind::Task, r),
        _ => return Err(messages::workload_needs_one_target()),
    };
    let reg = iam.register_workload(caller, info, kind, name)?;
    let mut out = String::new();
    element(&mut out, "WorkloadId", &reg.id);
    element(&mut out, "WorkloadToken", &reg.token);
    Ok(envelope(REGISTER, &out, request_id))
}

fn credentials(iam: &Iam, caller: &Caller, info: &RequestInfo, params: &QueryParams, request_id: &str) -> Result<String, ApiError> {
    let token = param(params, "WorkloadToken", MAX_TOKEN)?.ok_or_else(messages::workload_token_required)?;
    let duration = match param(params, "DurationSeconds", 8)? {
        Some(d) => Some(d.parse::<i32>().map_err(|_| messages::workload_duration_not_integer())?),
        None => None,
    };
    let c = iam.workload_credentials(caller, info, token, duration)?;
    let mut out = String::new();
    element(&mut out, "WorkloadId", &c.id);
    element(&mut out, "AccessKeyId", &c.access_key_id);
    element(&mut out, "SecretAccessKey", &c.secret_access_key);
    element(&mut out, "SessionToken", &c.session_token);
    element(&mut out, "Issued", &Timestamp::from_unix_seconds(c.issued).to_aws_string());
    element(&mut out, "Expiration", &Timestamp::from_unix_seconds(c.expiration).to_aws_string());
    element(&mut out, "RoleName", &c.role_name);
    element(&mut out, "RoleArn", &c.role_arn);
    if let (Some(arn), Some(id)) = (&c.profile_arn, &c.profile_id) {
        element(&mut out, "InstanceProfileArn", arn);
        element(&mut out, "InstanceProfileId", id);
    }
    Ok(envelope(CREDENTIALS, &out, request_id))
}
