//! Service-specific credentials (CreateServiceSpecificCredential and the rest): a user name and
//! password for CodeCommit (Git over HTTPS) and Amazon Keyspaces, or a long-term API key (alias
//! and secret) for Amazon Bedrock and CloudWatch Logs; at most two per user per service. The
//! password or secret is shown once, at creation and reset, and kept sealed under the master key.

use base64::Engine as _;
use castellan_api::iam;

use super::credentials::{owner, remove, save, status_in, status_out, Owner};
use super::ts;
use crate::error::{ApiError, ApiResult};
use crate::messages;
use crate::ids;
use crate::model::{Change, KeyStatus, Record, ServiceCredential};
use crate::{Caller, Iam};

/// CreateServiceSpecificCredential: "You can have a maximum of two sets of service-specific
/// credentials for each supported service per user."
pub const PER_USER_PER_SERVICE: usize = 2;

/// The services that issue a user name and password (IAM User Guide, "Service-specific
/// credentials for IAM users").
const PASSWORD_SERVICES: &[&str] = &["codecommit.amazonaws.com", "cassandra.amazonaws.com"];
/// The services whose credentials are long-term API keys, which alone take CredentialAgeDays
/// (CreateServiceSpecificCredential: "only valid for Bedrock and CloudWatch Logs API keys").
const API_KEY_SERVICES: &[&str] = &["bedrock.amazonaws.com", "logs.amazonaws.com"];

fn is_api_key(service: &str) -> bool {
    API_KEY_SERVICES.contains(&service)
}

/// Active, Inactive, or Expired once an API key's expiry has passed.
fn status_at(c: &ServiceCredential, now: i64) -> iam::StatusType {
    match c.expires {
        Some(t) if t <= now => iam::StatusType::Expired,
        _ => status_out(c.status),
    }
}

/// The login and the secret shown once. A password service's user name is `USER-at-ACCOUNT`
/// (ServiceSpecificCredential: "as in jane-at-123456789012"), the second set of the same
/// service `USER+1-at-ACCOUNT`; an API key's alias is built the same way and its secret is the
/// alias and a random part, base64-encoded (for Bedrock behind the `ABSK` prefix).
fn fresh_secret(service: &str, login: &str) -> String {
    let random = ids::service_password();
    if is_api_key(service) {
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{login}:{random}"));
        if service == "bedrock.amazonaws.com" {
            format!("ABSK{encoded}")
        } else {
            encoded
        }
    } else {
        random
    }
}

fn full(o: &Owner<'_>, c: &ServiceCredential, secret: String, now: i64) -> iam::ServiceSpecificCredential {
    let api_key = is_api_key(&c.service);
    iam::ServiceSpecificCredential {
        create_date: ts(c.created),
        expiration_date: c.expires.map(ts),
        service_name: c.service.clone(),
        service_user_name: (!api_key).then(|| c.login.clone()),
        service_password: (!api_key).then(|| secret.clone()),
        service_credential_alias: api_key.then(|| c.login.clone()),
        service_credential_secret: api_key.then_some(secret),
        service_specific_credential_id: c.id.clone(),
        user_name: o.name.clone(),
        status: status_at(c, now),
    }
}

fn metadata(user_name: &str, c: &ServiceCredential, now: i64) -> iam::ServiceSpecificCredentialMetadata {
    let api_key = is_api_key(&c.service);
    iam::ServiceSpecificCredentialMetadata {
        user_name: user_name.to_owned(),
        status: status_at(c, now),
        service_user_name: (!api_key).then(|| c.login.clone()),
        service_credential_alias: api_key.then(|| c.login.clone()),
        create_date: ts(c.created),
        expiration_date: c.expires.map(ts),
        service_specific_credential_id: c.id.clone(),
        service_name: c.service.clone(),
    }
}

pub fn create(iam: &Iam, caller: &Caller, r: &iam::CreateServiceSpecificCredentialRequest) -> ApiResult<iam::CreateServiceSpecificCredentialResponse> {
    let service = r.service_name.as_str();
    if !PASSWORD_SERVICES.contains(&service) && !is_api_key(service) {
        return Err(messages::service_not_supported());
    }
    if r.credential_age_days.is_some() && !is_api_key(service) {
        return Err(messages::credential_age_days_not_valid());
    }
    let now = iam.now();
    iam.mutate(|st| {
        let mut o = owner(st, caller, Some(&r.user_name))?;
        let user = o.user.ok_or(ApiError::ServiceFailure)?;
        let taken: Vec<&str> = o.creds.service_credentials.iter().filter(|c| c.service == service).map(|c| c.login.as_str()).collect();
        if taken.len() >= PER_USER_PER_SERVICE {
            return Err(messages::service_credential_limit(PER_USER_PER_SERVICE));
        }
        let login = [format!("{}-at-{}", user.name, caller.account), format!("{}+1-at-{}", user.name, caller.account)]
            .into_iter()
            .find(|l| !taken.contains(&l.as_str()))
            .ok_or(ApiError::ServiceFailure)?;
        let id = ids::service_credential_id();
        let secret = fresh_secret(service, &login);
        let c = ServiceCredential {
            sealed_secret: iam.master_key.seal(&secret, &id).map_err(|_| ApiError::ServiceFailure)?,
            id,
            service: service.to_owned(),
            login,
            status: KeyStatus::Active,
            created: now,
            expires: r.credential_age_days.map(|d| now + i64::from(d) * 86_400),
        };
        let out = full(&o, &c, secret, now);
        let guard = o.guard(st)?;
        o.creds.service_credentials.push(c);
        Ok((
            vec![Change::Put(Record::UserCredentials(o.creds)), Change::Put(guard)],
            iam::CreateServiceSpecificCredentialResponse { service_specific_credential: Some(out) },
        ))
    })
}

pub fn reset(iam: &Iam, caller: &Caller, r: &iam::ResetServiceSpecificCredentialRequest) -> ApiResult<iam::ResetServiceSpecificCredentialResponse> {
    let now = iam.now();
    iam.mutate(|st| {
        let mut o = owner(st, caller, r.user_name.as_deref())?;
        let id = &r.service_specific_credential_id;
        let mut c = o.creds.service_credentials.iter().find(|c| c.id == *id).ok_or_else(|| messages::no_such_service_credential(id))?.clone();
        let secret = fresh_secret(&c.service, &c.login);
        c.sealed_secret = iam.master_key.seal(&secret, &c.id).map_err(|_| ApiError::ServiceFailure)?;
        let out = full(&o, &c, secret, now);
        for slot in o.creds.service_credentials.iter_mut().filter(|x| x.id == c.id) {
            *slot = c.clone();
        }
        Ok((vec![save(o.creds)], iam::ResetServiceSpecificCredentialResponse { service_specific_credential: Some(out) }))
    })
}

pub fn update(iam: &Iam, caller: &Caller, r: &iam::UpdateServiceSpecificCredentialRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let mut o = owner(st, caller, r.user_name.as_deref())?;
        let id = &r.service_specific_credential_id;
        let c = o.creds.service_credentials.iter_mut().find(|c| c.id == *id).ok_or_else(|| messages::no_such_service_credential(id))?;
        c.status = status_in(&r.status)?;
        Ok((vec![save(o.creds)], ()))
    })
}

pub fn delete(iam: &Iam, caller: &Caller, r: &iam::DeleteServiceSpecificCredentialRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let mut o = owner(st, caller, r.user_name.as_deref())?;
        let id = &r.service_specific_credential_id;
        remove(&mut o.creds.service_credentials, |c| c.id == *id, || messages::no_such_service_credential(id))?;
        Ok((vec![save(o.creds)], ()))
    })
}

pub fn list(iam: &Iam, caller: &Caller, r: &iam::ListServiceSpecificCredentialsRequest) -> ApiResult<iam::ListServiceSpecificCredentialsResponse> {
    let now = iam.now();
    let st = iam.read();
    if let Some(s) = r.service_name.as_deref() {
        if !PASSWORD_SERVICES.contains(&s) && !is_api_key(s) {
            return Err(messages::service_not_supported());
        }
    }
    let wanted = |c: &&ServiceCredential| r.service_name.as_deref().is_none_or(|s| c.service == s);
    let all: Vec<iam::ServiceSpecificCredentialMetadata> = if r.all_users.unwrap_or(false) {
        if r.user_name.is_some() {
            return Err(messages::all_users_with_user_name());
        }
        let account = caller.account.as_str();
        st.user_credentials
            .range((account.to_owned(), String::new())..)
            .take_while(|((a, _), _)| a == account)
            .filter_map(|(_, creds)| Some((st.user_by_id(&creds.user_id)?, creds)))
            .flat_map(|(user, creds)| creds.service_credentials.iter().filter(wanted).map(move |c| metadata(&user.name, c, now)))
            .collect()
    } else {
        let o = owner(&st, caller, r.user_name.as_deref())?;
        o.creds.service_credentials.iter().filter(wanted).map(|c| metadata(&o.name, c, now)).collect()
    };
    let p = crate::paginate::page_slice(&all, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListServiceSpecificCredentialsResponse { service_specific_credentials: Some(p.items), marker: p.next_marker.clone(), is_truncated: Some(p.next_marker.is_some()) })
}
