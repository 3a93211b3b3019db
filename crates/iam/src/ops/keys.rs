//! Access keys: Create/List/Update/Delete and GetAccessKeyLastUsed.

use castellan_api::iam;

use super::{no_such_user, ts};
use crate::error::{ApiError, ApiResult};
use crate::messages;
use crate::ids;
use crate::model::{AccessKey, Change, KeyStatus, Record};
use crate::paginate::page_slice;
use crate::state::State;
use crate::validate::quota;
use crate::{Caller, Iam, Principal};

/// The user a request is about: the named one, else the caller (`None` = root).
pub fn subject(st: &State, caller: &Caller, user_name: Option<&str>) -> ApiResult<Option<String>> {
    match (user_name, &caller.principal) {
        (Some(n), _) => Ok(Some(st.user(&caller.account, n).ok_or_else(|| no_such_user(n))?.name.clone())),
        (None, Principal::User { name, .. }) => Ok(Some(name.clone())),
        (None, Principal::Root) => Ok(None),
        (None, _) => Err(super::needs_user_name()),
    }
}

fn display_name(user: Option<&String>, caller: &Caller) -> String {
    user.cloned().unwrap_or_else(|| caller.account.clone())
}

fn key_of<'a>(st: &'a State, caller: &Caller, user: Option<&String>, id: &str) -> ApiResult<&'a AccessKey> {
    st.access_keys
        .get(id)
        .filter(|k| k.account == caller.account && k.user.as_deref().map(str::to_lowercase) == user.map(|u| u.to_lowercase()))
        .ok_or_else(|| messages::no_such_access_key(id))
}

fn status_out(s: KeyStatus) -> iam::StatusType {
    match s {
        KeyStatus::Active => iam::StatusType::Active,
        KeyStatus::Inactive => iam::StatusType::Inactive,
    }
}

pub fn create(iam: &Iam, caller: &Caller, r: iam::CreateAccessKeyRequest) -> ApiResult<iam::CreateAccessKeyResponse> {
    let now = iam.now();
    iam.mutate(|st| {
        let user = subject(st, caller, r.user_name.as_deref())?;
        if st.keys_of(&caller.account, user.as_deref()).len() >= quota::ACCESS_KEYS_PER_USER {
            return Err(messages::access_key_limit(quota::ACCESS_KEYS_PER_USER));
        }
        let id = ids::access_key_id();
        let secret = ids::secret_access_key();
        let sealed = iam.master_key.seal(&secret, &id).map_err(|_| ApiError::ServiceFailure)?;
        let user_id = match &user {
            Some(name) => Some(st.user(&caller.account, name).ok_or_else(|| no_such_user(name))?.id.clone()),
            None => None,
        };
        let key = AccessKey {
            account: caller.account.clone(),
            user: user.clone(),
            user_id,
            id: id.clone(),
            sealed_secret: sealed,
            status: KeyStatus::Active,
            created: now,
            last_used: None,
        };
        let out = iam::CreateAccessKeyResponse {
            access_key: iam::AccessKey {
                user_name: display_name(user.as_ref(), caller),
                access_key_id: id,
                status: iam::StatusType::Active,
                secret_access_key: secret,
                create_date: Some(ts(now)),
            },
        };
        // Rewrite the owner's record too: its revision guards the quota, so two nodes
        // creating a key for the same user at once cannot both succeed.
        let owner = match &user {
            Some(name) => Record::User(st.user(&caller.account, name).ok_or_else(|| no_such_user(name))?.clone()),
            None => Record::Account(st.accounts.get(&caller.account).ok_or(ApiError::ServiceFailure)?.clone()),
        };
        Ok((vec![Change::Put(Record::AccessKey(key)), Change::Put(owner)], out))
    })
}

pub fn list(iam: &Iam, caller: &Caller, r: iam::ListAccessKeysRequest) -> ApiResult<iam::ListAccessKeysResponse> {
    let st = iam.read();
    let user = subject(&st, caller, r.user_name.as_deref())?;
    let all: Vec<iam::AccessKeyMetadata> = st
        .keys_of(&caller.account, user.as_deref())
        .into_iter()
        .map(|k| iam::AccessKeyMetadata {
            user_name: Some(display_name(user.as_ref(), caller)),
            access_key_id: Some(k.id.clone()),
            status: Some(status_out(k.status)),
            create_date: Some(ts(k.created)),
        })
        .collect();
    let p = page_slice(&all, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListAccessKeysResponse { access_key_metadata: p.items, is_truncated: Some(p.next_marker.is_some()), marker: p.next_marker })
}

pub fn update(iam: &Iam, caller: &Caller, r: iam::UpdateAccessKeyRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let user = subject(st, caller, r.user_name.as_deref())?;
        let mut key = key_of(st, caller, user.as_ref(), &r.access_key_id)?.clone();
        key.status = match r.status.as_str() {
            "Active" => KeyStatus::Active,
            "Inactive" => KeyStatus::Inactive,
            other => {
                return Err(messages::access_key_status_invalid(other))
            }
        };
        Ok((vec![Change::Put(Record::AccessKey(key))], ()))
    })
}

pub fn delete(iam: &Iam, caller: &Caller, r: iam::DeleteAccessKeyRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let user = subject(st, caller, r.user_name.as_deref())?;
        let key = key_of(st, caller, user.as_ref(), &r.access_key_id)?;
        Ok((vec![Change::Delete(Record::AccessKey(key.clone()))], ()))
    })
}

pub fn last_used(iam: &Iam, caller: &Caller, r: iam::GetAccessKeyLastUsedRequest) -> ApiResult<iam::GetAccessKeyLastUsedResponse> {
    let st = iam.read();
    let key = st
        .access_keys
        .get(&r.access_key_id)
        .filter(|k| k.account == caller.account)
        .ok_or_else(|| messages::access_key_last_used_denied(&caller.arn(), &r.access_key_id))?;
    // A key never used reports "N/A" for service and region (GetAccessKeyLastUsed documentation).
    let last = match &iam.key_last_used(key) {
        Some(l) => iam::AccessKeyLastUsed { last_used_date: Some(ts(l.date)), service_name: l.service.clone(), region: l.region.clone() },
        None => iam::AccessKeyLastUsed { last_used_date: None, service_name: "N/A".into(), region: "N/A".into() },
    };
    Ok(iam::GetAccessKeyLastUsedResponse {
        user_name: Some(display_name(key.user.as_ref(), caller)),
        access_key_last_used: Some(last),
    })
}

