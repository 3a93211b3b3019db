//! STS: AssumeRole, GetSessionToken, GetFederationToken, GetAccessKeyInfo.
//!
//! Authorization (the trust policy, sts:TagSession, sts:SetSourceIdentity, the caller's own
//! policies) has already happened in `authz`; here are the rules on the request itself and
//! the minting of credentials.

use castellan_api::sts;
use castellan_policy::PolicyKind;

use super::ts;
use crate::error::ApiResult;
use crate::ids;
use crate::messages;
use crate::session::{Session, SessionKind};
use crate::{Caller, Iam, Principal};

/// Default and role-chaining session length (AssumeRole documentation).
const ONE_HOUR: i32 = 3600;
/// GetSessionToken and GetFederationToken: 12 hours by default, 1 hour at most for root.
const TWELVE_HOURS: i32 = 43_200;
/// The packed session policy and tags budget, in characters (approximation of AWS's packing).
const PACKED_POLICY_BUDGET: usize = 2048;

/// Session policies: the inline document (validated as a session policy) and the managed
/// policy ARNs, which must exist. Returns their packed size in percent, if any were given.
pub(super) fn session_policies(
    iam: &Iam,
    caller_account: &str,
    policy: Option<&str>,
    arns: &[sts::PolicyDescriptorType],
    tags: &[(String, String)],
) -> ApiResult<(Vec<String>, Vec<String>, Option<i32>)> {
    let mut size = 0usize;
    let mut policies = Vec::new();
    if let Some(text) = policy {
        crate::validate::policy_document(iam.partition(), text, PolicyKind::Session)?;
        size += castellan_policy::policy_size(text);
        policies.push(text.to_owned());
    }
    let mut policy_arns = Vec::new();
    {
        let st = iam.read();
        for d in arns {
            let Some(arn) = d.arn.as_deref() else { continue };
            if super::policies::resolve(&st, caller_account, arn).is_none() {
                return Err(messages::policy_not_attachable(arn));
            }
            size += arn.len();
            policy_arns.push(arn.to_owned());
        }
    }
    size += tags.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>();
    let given = policy.is_some() || !arns.is_empty() || !tags.is_empty();
    let percent = i32::try_from(size.saturating_mul(100).div_ceil(PACKED_POLICY_BUDGET)).unwrap_or(i32::MAX);
    if percent > 100 {
        return Err(messages::packed_policy_too_large(percent));
    }
    Ok((policies, policy_arns, given.then_some(percent)))
}

pub(super) fn credentials(iam: &Iam, session: &Session) -> ApiResult<sts::Credentials> {
    Ok(sts::Credentials {
        access_key_id: session.access_key_id.clone(),
        secret_access_key: session.secret_access_key.clone(),
        session_token: session.seal(&iam.master_key)?,
        expiration: ts(session.expires),
    })
}

fn sts_tags(tags: Option<&[sts::Tag]>) -> ApiResult<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    for t in tags.unwrap_or_default() {
        if out.iter().any(|(k, _)| k.eq_ignore_ascii_case(&t.key)) {
            return Err(messages::session_tag_keys_duplicate());
        }
        out.push((t.key.clone(), t.value.clone()));
    }
    Ok(out)
}

/// `mfa_time`: when the MFA code the request carried was verified (by `authz`, through `crate::mfa`).
pub fn assume_role(iam: &Iam, caller: &Caller, mfa_time: Option<i64>, r: sts::AssumeRoleRequest) -> ApiResult<sts::AssumeRoleResponse> {
    let now = iam.now();
    let role = {
        let st = iam.read();
        crate::arn::role_by_arn(&st, &r.role_arn).cloned().ok_or_else(|| {
            messages::assume_role_denied(&caller.arn(), &r.role_arn)
        })?
    };
    let parent = caller.session.as_deref();
    let chained = matches!(caller.principal, Principal::AssumedRole { .. });
    let duration = match r.duration_seconds {
        Some(d) if chained && d > ONE_HOUR => {
            return Err(messages::role_chaining_duration())
        }
        Some(d) if d > role.max_session_duration => {
            return Err(messages::max_session_duration_exceeded())
        }
        Some(d) => d,
        None => ONE_HOUR,
    };
    // Session tags: the new ones, plus the transitive ones of a chained session, which the new
    // request may not override.
    let mut tags = sts_tags(r.tags.as_deref())?;
    let mut transitive: Vec<String> = r.transitive_tag_keys.clone().unwrap_or_default();
    for key in &transitive {
        if !tags.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
            return Err(messages::transitive_tag_key_not_in_tags());
        }
    }
    if let Some(p) = parent {
        for key in &p.transitive_tag_keys {
            let Some((k, v)) = p.tags.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)) else { continue };
            if tags.iter().any(|(t, _)| t.eq_ignore_ascii_case(k)) {
                return Err(messages::transitive_tag_key_conflict());
            }
            tags.push((k.clone(), v.clone()));
            transitive.push(k.clone());
        }
    }
    if tags.len() > 50 {
        return Err(messages::session_tags_limit());
    }
    // A source identity, once set, stays for every chained session.
    let source_identity = match (parent.and_then(|p| p.source_identity.clone()), r.source_identity.clone()) {
        (Some(old), Some(new)) if old != new => {
            return Err(messages::source_identity_unchangeable(&caller.arn(), &r.role_arn))
        }
        (Some(old), _) => Some(old),
        (None, new) => new,
    };
    let (policies, policy_arns, packed) =
        session_policies(iam, &role.account, r.policy.as_deref(), r.policy_arns.as_deref().unwrap_or_default(), &tags)?;
    let kind = SessionKind::AssumedRole {
        role_name: role.name.clone(),
        role_id: role.id.clone(),
        role_path: role.path.clone(),
        session_name: r.role_session_name.clone(),
    };
    let session = Session {
        policies,
        policy_arns,
        tags,
        transitive_tag_keys: transitive,
        source_identity: source_identity.clone(),
        // MFA from this request, else carried from the calling session (GetSessionToken with
        // MFA, then AssumeRole: the role session keeps aws:MultiFactorAuthPresent).
        mfa: mfa_time.is_some() || parent.is_some_and(|p| p.mfa),
        mfa_time: mfa_time.or_else(|| parent.filter(|p| p.mfa).and_then(|p| p.mfa_time)),
        chained,
        ..Session::new(&role.account, kind, now, duration)
    };
    Ok(sts::AssumeRoleResponse {
        credentials: Some(credentials(iam, &session)?),
        assumed_role_user: Some(sts::AssumedRoleUser {
            assumed_role_id: format!("{}:{}", role.id, r.role_session_name),
            arn: crate::arn::assumed_role_arn(iam.partition(), &role.account, &role.name, &r.role_session_name),
        }),
        packed_policy_size: packed,
        source_identity,
    })
}

/// Long-term credentials only: GetSessionToken and GetFederationToken refuse session callers.
/// The IAM user's name and unique id, or `None` for the root user.
fn long_term_user(caller: &Caller, op: &str) -> ApiResult<Option<(String, String)>> {
    if caller.session.is_some() {
        return Err(messages::session_credentials_refused(op));
    }
    match &caller.principal {
        Principal::Root => Ok(None),
        Principal::User { name, id, .. } => Ok(Some((name.clone(), id.clone()))),
        _ => Err(messages::session_credentials_refused(op)),
    }
}

fn duration_for<T>(user: Option<&T>, requested: Option<i32>) -> ApiResult<i32> {
    let d = requested.unwrap_or(TWELVE_HOURS);
    // The root user's sessions last at most an hour (GetSessionToken documentation).
    Ok(if user.is_none() { d.min(ONE_HOUR) } else { d })
}

pub fn get_session_token(
    iam: &Iam,
    caller: &Caller,
    mfa_time: Option<i64>,
    r: sts::GetSessionTokenRequest,
) -> ApiResult<sts::GetSessionTokenResponse> {
    let user = long_term_user(caller, "GetSessionToken")?;
    let duration = duration_for(user.as_ref(), r.duration_seconds)?;
    let (user, user_id) = user.unzip();
    let session = Session {
        mfa: mfa_time.is_some(),
        mfa_time,
        ..Session::new(&caller.account, SessionKind::SessionToken { user, user_id }, iam.now(), duration)
    };
    Ok(sts::GetSessionTokenResponse { credentials: Some(credentials(iam, &session)?) })
}

pub fn get_federation_token(
    iam: &Iam,
    caller: &Caller,
    r: sts::GetFederationTokenRequest,
) -> ApiResult<sts::GetFederationTokenResponse> {
    let user = long_term_user(caller, "GetFederationToken")?;
    let duration = duration_for(user.as_ref(), r.duration_seconds)?;
    let tags = sts_tags(r.tags.as_deref())?;
    let (policies, policy_arns, packed) =
        session_policies(iam, &caller.account, r.policy.as_deref(), r.policy_arns.as_deref().unwrap_or_default(), &tags)?;
    let (creator, creator_id) = user.unzip();
    let kind = SessionKind::FederatedUser { name: r.name.clone(), creator, creator_id };
    let session = Session { policies, policy_arns, tags, ..Session::new(&caller.account, kind, iam.now(), duration) };
    Ok(sts::GetFederationTokenResponse {
        credentials: Some(credentials(iam, &session)?),
        federated_user: Some(sts::FederatedUser {
            federated_user_id: format!("{}:{}", caller.account, r.name),
            arn: crate::arn::federated_user_arn(iam.partition(), &caller.account, &r.name),
        }),
        // Sent even without a session policy, as 0 (recorded from AWS: localstack
        // tests/aws/services/sts/test_sts.snapshot.json, "get-federation-token").
        packed_policy_size: packed.or(Some(0)),
    })
}

pub fn get_access_key_info(iam: &Iam, caller: &Caller, r: sts::GetAccessKeyInfoRequest) -> ApiResult<sts::GetAccessKeyInfoResponse> {
    let account = if r.access_key_id == caller.access_key_id {
        Some(caller.account.clone())
    } else {
        iam.read()
            .access_keys
            .get(&r.access_key_id)
            .map(|k| k.account.clone())
            .or_else(|| ids::account_of_session_key(&r.access_key_id))
    };
    match account {
        Some(a) => Ok(sts::GetAccessKeyInfoResponse { account: Some(a) }),
        None => Err(messages::access_key_not_issued(&r.access_key_id)),
    }
}
