//! Users: Create/Get/List/Update/Delete, tags, permissions boundaries.

use castellan_api::iam;

use super::{boundary_out, no_such_user, path_matches, tags_in, tags_out, ts, user_arn};
use crate::error::ApiResult;
use crate::ids::{unique_id, IdPrefix};
use crate::model::{Change, Record, User};
use crate::paginate::page;
use crate::validate::{merge_tags, remove_tags};
use crate::{Caller, Iam, Principal};

pub fn shape(partition: crate::arn::Partition, u: &User) -> iam::User {
    iam::User {
        path: u.path.clone(),
        user_name: u.name.clone(),
        user_id: u.id.clone(),
        arn: user_arn(partition, &u.account, &u.path, &u.name),
        create_date: ts(u.created),
        password_last_used: u.password_last_used.map(ts),
        permissions_boundary: boundary_out(u.permissions_boundary.as_ref()),
        tags: (!u.tags.is_empty()).then(|| tags_out(&u.tags)),
    }
}

pub fn create(iam: &Iam, account: &str, r: iam::CreateUserRequest) -> ApiResult<iam::CreateUserResponse> {
    let now = iam.now();
    iam.mutate(|st| {
        if st.user(account, &r.user_name).is_some() {
            return Err(crate::messages::user_exists(&r.user_name));
        }
        if let Some(b) = &r.permissions_boundary {
            super::policies::require_boundary_policy(st, account, b)?;
        }
        let mut tags = Vec::new();
        merge_tags(&mut tags, &tags_in(r.tags.as_deref().unwrap_or_default()), "User")?;
        let user = User {
            account: account.to_owned(),
            name: r.user_name.clone(),
            id: unique_id(IdPrefix::User),
            path: r.path.clone().unwrap_or_else(|| "/".into()),
            created: now,
            tags,
            permissions_boundary: r.permissions_boundary.clone(),
            inline_policies: Default::default(),
            attached_policies: Vec::new(),
            groups: Vec::new(),
            login_profile: None,
            password_last_used: None,
        };
        let out = iam::CreateUserResponse { user: Some(shape(st.partition, &user)) };
        Ok((vec![Change::Put(Record::User(user))], out))
    })
}

pub fn get(iam: &Iam, caller: &Caller, r: iam::GetUserRequest) -> ApiResult<iam::GetUserResponse> {
    let st = iam.read();
    let user = match (r.user_name, &caller.principal) {
        (Some(name), _) => shape(st.partition, st.user(&caller.account, &name).ok_or_else(|| no_such_user(&name))?),
        (None, Principal::User { name, .. }) => shape(st.partition, st.user(&caller.account, name).ok_or_else(|| no_such_user(name))?),
        // The root user: AWS answers with the account id as the user id and the root ARN.
        (None, Principal::AssumedRole { .. } | Principal::FederatedUser { .. }) => return Err(super::needs_user_name()),
        (None, Principal::Root) => {
            let created = st.accounts.get(&caller.account).map_or(0, |a| a.created);
            iam::User {
                path: "/".into(),
                user_name: String::new(),
                user_id: caller.account.clone(),
                arn: caller.arn(),
                create_date: ts(created),
                ..Default::default()
            }
        }
    };
    Ok(iam::GetUserResponse { user })
}

pub fn list(iam: &Iam, account: &str, r: iam::ListUsersRequest) -> ApiResult<iam::ListUsersResponse> {
    let st = iam.read();
    let prefix = r.path_prefix.as_deref();
    let p = page(&st.users, account, r.marker.as_deref(), r.max_items, |u| path_matches(&u.path, prefix))?;
    Ok(iam::ListUsersResponse {
        // ListUsers leaves out PermissionsBoundary and Tags (ListUsers documentation).
        users: p.items.iter().map(|u| iam::User { permissions_boundary: None, tags: None, ..shape(st.partition, u) }).collect(),
        is_truncated: Some(p.is_truncated()),
        marker: p.next_marker,
    })
}

pub fn update(iam: &Iam, account: &str, r: iam::UpdateUserRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let old = st.user(account, &r.user_name).ok_or_else(|| no_such_user(&r.user_name))?;
        let mut user = old.clone();
        let mut changes = Vec::new();
        if let Some(path) = r.new_path.clone() {
            user.path = path;
        }
        if let Some(new_name) = r.new_user_name.clone().filter(|n| *n != old.name) {
            if !new_name.eq_ignore_ascii_case(&old.name) && st.user(account, &new_name).is_some() {
                return Err(crate::messages::user_exists(&new_name));
            }
            // The user keeps its id, keys, groups and policies under the new name.
            changes.push(Change::Delete(Record::User(old.clone())));
            for key in st.keys_of(account, Some(&old.name)) {
                let mut k = key.clone();
                k.user = Some(new_name.clone());
                changes.push(Change::Put(Record::AccessKey(k)));
            }
            user.name = new_name;
        }
        changes.push(Change::Put(Record::User(user)));
        Ok((changes, ()))
    })
}

pub fn delete(iam: &Iam, account: &str, r: iam::DeleteUserRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let user = st.user(account, &r.user_name).ok_or_else(|| no_such_user(&r.user_name))?;
        let conflict = |what: &str| Err(crate::messages::delete_conflict(what));
        if user.login_profile.is_some() {
            return conflict("delete login profile");
        }
        if !st.keys_of(account, Some(&user.name)).is_empty() {
            return conflict("delete access keys");
        }
        // An enabled MFA device (aws-nuke issue #281, as AWS answers it).
        if !st.mfa_devices_of(account, &user.id).is_empty() {
            return conflict("delete MFA device");
        }
        if let Some(what) = super::credentials::delete_user_conflict(st, user) {
            return conflict(what);
        }
        if !user.inline_policies.is_empty() {
            return conflict("delete policies");
        }
        if !user.attached_policies.is_empty() {
            return conflict("detach all policies");
        }
        if !user.groups.is_empty() {
            // AWS words this as for a group with members.
            return conflict("remove users from group");
        }
        Ok((vec![Change::Delete(Record::User(user.clone()))], ()))
    })
}

pub fn tag(iam: &Iam, account: &str, r: iam::TagUserRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let mut user = st.user(account, &r.user_name).ok_or_else(|| no_such_user(&r.user_name))?.clone();
        merge_tags(&mut user.tags, &tags_in(&r.tags), "User")?;
        Ok((vec![Change::Put(Record::User(user))], ()))
    })
}

pub fn untag(iam: &Iam, account: &str, r: iam::UntagUserRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let mut user = st.user(account, &r.user_name).ok_or_else(|| no_such_user(&r.user_name))?.clone();
        remove_tags(&mut user.tags, &r.tag_keys);
        Ok((vec![Change::Put(Record::User(user))], ()))
    })
}

pub fn list_tags(iam: &Iam, account: &str, r: iam::ListUserTagsRequest) -> ApiResult<iam::ListUserTagsResponse> {
    let st = iam.read();
    let user = st.user(account, &r.user_name).ok_or_else(|| no_such_user(&r.user_name))?;
    let p = crate::paginate::page_slice(&super::tags_by_key(&user.tags), r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListUserTagsResponse { is_truncated: Some(p.is_truncated()), tags: p.items, marker: p.next_marker })
}

pub fn put_boundary(iam: &Iam, account: &str, r: iam::PutUserPermissionsBoundaryRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let mut user = st.user(account, &r.user_name).ok_or_else(|| no_such_user(&r.user_name))?.clone();
        super::policies::require_boundary_policy(st, account, &r.permissions_boundary)?;
        user.permissions_boundary = Some(r.permissions_boundary.clone());
        Ok((vec![Change::Put(Record::User(user))], ()))
    })
}

pub fn delete_boundary(iam: &Iam, account: &str, r: iam::DeleteUserPermissionsBoundaryRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let mut user = st.user(account, &r.user_name).ok_or_else(|| no_such_user(&r.user_name))?.clone();
        user.permissions_boundary = None;
        Ok((vec![Change::Put(Record::User(user))], ()))
    })
}
