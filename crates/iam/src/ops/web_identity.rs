//! AssumeRoleWithWebIdentity: an OIDC token from a registered provider, exchanged for role
//! credentials. The request is unsigned (as on AWS); the token is the authentication.
//!
//! Order of checks: the token parses (`castellan-jwt`: size, structure, algorithm) → its `iss`
//! names an OIDC provider in the role's account → its `aud` is one of the provider's client
//! ids → the issuer's keys (discovery, `jwks_uri`, cached: `oidc_keys`) → signature, `exp`,
//! `nbf`, `iat` → `sub` present → session tags and source identity claims well formed →
//! duration and session policies → the role's trust policy (`authz::authorize_web_identity`)
//! → credentials. Errors are AWS's (STS API Reference, AssumeRoleWithWebIdentity; messages as
//! AWS words them where they are known from AWS's answers).

use castellan_api::sts;
use castellan_jwt::Token;
use serde_json::Value;

use super::sts::{credentials, session_policies};
use crate::authz::{RequestInfo, WebIdentity};
use crate::error::{ApiError, ApiResult};
use crate::messages;
use crate::session::{Session, SessionKind};
use crate::Iam;

/// How far `nbf` and `iat` may be in the future, in seconds (clock skew between the issuer
/// and Castellan). `exp` gets no tolerance.
pub const CLOCK_SKEW: i64 = 300;
/// The session tags claim (IAM User Guide, "Passing session tags using AssumeRoleWithWebIdentity").
const TAGS_CLAIM: &str = "https://aws.amazon.com/tags";
/// The source identity claim (IAM User Guide, "Monitor and control actions taken with assumed roles").
const SOURCE_IDENTITY_CLAIM: &str = "https://aws.amazon.com/source_identity";
const ONE_HOUR: i32 = 3600;

fn invalid(message: &str) -> ApiError {
    ApiError::InvalidIdentityToken(message.to_owned())
}

fn not_authorized() -> ApiError {
    messages::web_identity_not_authorized()
}

/// A claim that is a string or a list of strings, as a list.
fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    }
}

/// The session tags and transitive tag keys the token carries (`principal_tags`: key → a
/// one-element list of the value; `transitive_tag_keys`: keys).
fn session_tags(claims: &serde_json::Map<String, Value>) -> ApiResult<(crate::model::Tags, Vec<String>)> {
    let Some(tags) = claims.get(TAGS_CLAIM) else { return Ok((Vec::new(), Vec::new())) };
    let bad = || messages::web_identity_tags_claim_malformed();
    let tags = tags.as_object().ok_or_else(bad)?;
    let mut out: Vec<(String, String)> = Vec::new();
    if let Some(p) = tags.get("principal_tags") {
        for (k, v) in p.as_object().ok_or_else(bad)? {
            let value = match v {
                Value::String(s) => s.clone(),
                Value::Array(a) if a.len() == 1 => a.first().and_then(Value::as_str).ok_or_else(bad)?.to_owned(),
                _ => return Err(bad()),
            };
            // IAM tag rules: key 1..128, value 0..256 characters, `aws:` reserved.
            if k.is_empty() || k.chars().count() > 128 || value.chars().count() > 256 || k.to_ascii_lowercase().starts_with("aws:") {
                return Err(bad());
            }
            if out.iter().any(|(x, _)| x.eq_ignore_ascii_case(k)) {
                return Err(messages::session_tag_keys_duplicate());
            }
            out.push((k.clone(), value));
        }
    }
    if out.len() > 50 {
        return Err(messages::session_tags_limit());
    }
    let transitive = strings(tags.get("transitive_tag_keys"));
    for key in &transitive {
        if !out.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
            return Err(messages::transitive_tag_key_not_in_tags());
        }
    }
    Ok((out, transitive))
}

/// The role a federated AssumeRole* names, the session's duration (DurationSeconds, one hour
/// by default, at most the role's MaxSessionDuration) and its session policies.
pub(super) struct FederatedRole {
    pub role: crate::model::Role,
    pub duration: i32,
    pub policies: Vec<String>,
    pub policy_arns: Vec<String>,
    pub packed: Option<i32>,
}

/// The session tags, transitive tag keys and source identity a token or assertion asks for.
pub(super) type SessionClaims = (crate::model::Tags, Vec<String>, Option<String>);

impl FederatedRole {
    /// Issues the role session: its credentials and assumed-role user. The session carries
    /// the provider as aws:FederatedProvider.
    pub(super) fn issue(
        self,
        iam: &Iam,
        now: i64,
        session_name: &str,
        (tags, transitive_tag_keys, source_identity): SessionClaims,
        provider_arn: String,
    ) -> ApiResult<(sts::Credentials, sts::AssumedRoleUser)> {
        let role = self.role;
        let kind = SessionKind::assumed_role(&role, session_name);
        let session = Session {
            policies: self.policies,
            policy_arns: self.policy_arns,
            tags,
            transitive_tag_keys,
            source_identity,
            federated_provider: Some(provider_arn),
            ..Session::new(&role.account, kind, now, self.duration)
        };
        let user = sts::AssumedRoleUser {
            assumed_role_id: format!("{}:{session_name}", role.id),
            arn: crate::arn::assumed_role_arn(iam.partition(), &role.account, &role.name, session_name),
        };
        Ok((credentials(iam, &session)?, user))
    }
}

pub(super) fn federated_role(
    iam: &Iam,
    role_arn: &str,
    duration_seconds: Option<i32>,
    policy: Option<&str>,
    policy_arns: &[sts::PolicyDescriptorType],
    tags: &crate::model::Tags,
    not_authorized: fn() -> ApiError,
) -> ApiResult<FederatedRole> {
    let role = {
        let st = iam.read();
        crate::arn::role_by_arn(&st, role_arn).cloned().ok_or_else(not_authorized)?
    };
    let duration = match duration_seconds {
        Some(d) if d > role.max_session_duration => {
            return Err(messages::max_session_duration_exceeded())
        }
        Some(d) => d,
        None => ONE_HOUR,
    };
    let (policies, policy_arns, packed) = session_policies(iam, &role.account, policy, policy_arns, tags)?;
    Ok(FederatedRole { role, duration, policies, policy_arns, packed })
}

pub fn assume_role_with_web_identity(
    iam: &Iam,
    info: &RequestInfo,
    r: sts::AssumeRoleWithWebIdentityRequest,
) -> ApiResult<sts::AssumeRoleWithWebIdentityResponse> {
    let now = iam.now();
    let token = Token::parse(&r.web_identity_token).map_err(|e| invalid(&e.message()))?;
    let issuer = token.issuer().ok_or_else(messages::web_identity_no_issuer)?.to_owned();
    // The provider is looked up in the role's account.
    let account = crate::arn::iam_arn_account(iam.partition(), &r.role_arn).ok_or_else(not_authorized)?.to_owned();
    let no_provider = || messages::no_oidc_provider_for_issuer(&issuer);
    let resource = issuer.strip_prefix("https://").map(|x| x.trim_end_matches('/')).ok_or_else(no_provider)?.to_owned();
    // The issuer is the provider's URL, with at most one trailing slash: an `iss` padded with
    // more would be another key for the key cache (and another fetch) for the same provider.
    if issuer != format!("https://{resource}") && issuer != format!("https://{resource}/") {
        return Err(no_provider());
    }
    let provider = iam.read().oidc_providers.get(&(account.clone(), resource.clone())).cloned().ok_or_else(no_provider)?;
    let auds = strings(token.claims().get("aud"));
    let audience = auds.iter().find(|a| provider.client_ids.contains(a)).cloned().ok_or_else(messages::incorrect_token_audience)?;
    let keys = iam.oidc_keys.keys_for(&issuer, &provider.thumbprints, &token, now)?;
    let claims = token.verify(&keys, now, CLOCK_SKEW).map_err(|e| match e {
        castellan_jwt::Error::Expired => {
            let exp = token.claims().get("exp").and_then(Value::as_i64).unwrap_or_default();
            messages::web_identity_token_expired(now, exp)
        }
        castellan_jwt::Error::UnknownKey => messages::verification_key_unavailable(),
        other => invalid(&other.message()),
    })?;
    let subject = claims.get("sub").and_then(Value::as_str).filter(|s| !s.is_empty()).ok_or_else(messages::web_identity_no_subject)?.to_owned();
    let (tags, transitive) = session_tags(claims)?;
    let source_identity = match claims.get(SOURCE_IDENTITY_CLAIM) {
        None => None,
        Some(Value::String(s)) if (2..=64).contains(&s.chars().count()) => Some(s.clone()),
        Some(_) => return Err(messages::web_identity_source_identity_malformed()),
    };
    let federated = federated_role(
        iam,
        &r.role_arn,
        r.duration_seconds,
        r.policy.as_deref(),
        r.policy_arns.as_deref().unwrap_or_default(),
        &tags,
        not_authorized,
    )?;
    let provider_arn = provider.arn(iam.partition());
    let web = WebIdentity {
        provider_arn: &provider_arn,
        provider_key: &resource,
        role: &federated.role,
        session_name: &r.role_session_name,
        audience: &audience,
        other_audiences: auds.iter().filter(|a| **a != audience).cloned().collect(),
        subject: &subject,
        amr: strings(claims.get("amr")),
        tags: &tags,
        transitive_tag_keys: &transitive,
        source_identity: source_identity.as_deref(),
    };
    crate::authz::authorize_web_identity(iam, info, &web)?;
    let packed = federated.packed;
    let (creds, user) = federated.issue(iam, now, &r.role_session_name, (tags, transitive, source_identity.clone()), provider_arn)?;
    Ok(sts::AssumeRoleWithWebIdentityResponse {
        credentials: Some(creds),
        subject_from_web_identity_token: Some(subject),
        assumed_role_user: Some(user),
        packed_policy_size: packed,
        // "For OpenID Connect ID tokens, this contains the value of the iss field."
        provider: Some(issuer),
        audience: Some(audience),
        source_identity,
    })
}
