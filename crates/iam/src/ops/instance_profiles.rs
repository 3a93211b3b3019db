//! Instance profiles: a container for (at most) one role, bound to a machine.

use castellan_api::iam;

use super::{instance_profile_arn, no_such_role, path_matches, tags_in, tags_out, ts};
use crate::error::ApiResult;
use crate::messages;
use crate::ids::{unique_id, IdPrefix};
use crate::model::{Change, InstanceProfile, Record};
use crate::paginate::{page, page_slice};
use crate::state::State;
use crate::validate::{merge_tags, quota, remove_tags};
use crate::Iam;

fn shape(st: &State, p: &InstanceProfile) -> iam::InstanceProfile {
    iam::InstanceProfile {
        path: p.path.clone(),
        instance_profile_name: p.name.clone(),
        instance_profile_id: p.id.clone(),
        arn: instance_profile_arn(st.partition, &p.account, &p.path, &p.name),
        create_date: ts(p.created),
        roles: p
            .roles
            .iter()
            .filter_map(|r| st.role(&p.account, r))
            .map(|r| super::roles::nested_shape(st, r))
            .collect(),
        tags: (!p.tags.is_empty()).then(|| tags_out(&p.tags)),
    }
}

fn profile_of<'a>(st: &'a State, account: &str, name: &str) -> ApiResult<&'a InstanceProfile> {
    st.instance_profile(account, name)
        .ok_or_else(|| messages::no_such_instance_profile(name))
}

pub fn create(iam: &Iam, account: &str, r: iam::CreateInstanceProfileRequest) -> ApiResult<iam::CreateInstanceProfileResponse> {
    let now = iam.now();
    iam.mutate(|st| {
        if st.instance_profile(account, &r.instance_profile_name).is_some() {
            return Err(messages::instance_profile_exists(&r.instance_profile_name));
        }
        let mut tags = Vec::new();
        merge_tags(&mut tags, &tags_in(r.tags.as_deref().unwrap_or_default()), "InstanceProfile")?;
        let p = InstanceProfile {
            account: account.to_owned(),
            name: r.instance_profile_name.clone(),
            id: unique_id(IdPrefix::InstanceProfile),
            path: r.path.clone().unwrap_or_else(|| "/".into()),
            created: now,
            roles: Vec::new(),
            tags,
        };
        let out = iam::CreateInstanceProfileResponse { instance_profile: shape(st, &p) };
        Ok((vec![Change::Put(Record::InstanceProfile(p))], out))
    })
}

pub fn get(iam: &Iam, account: &str, r: iam::GetInstanceProfileRequest) -> ApiResult<iam::GetInstanceProfileResponse> {
    let st = iam.read();
    let p = profile_of(&st, account, &r.instance_profile_name)?;
    // GetInstanceProfile sends Tags, an empty list when there are none (responses recorded from
    // AWS: localstack tests/aws/services/iam/test_iam_instance_profiles.snapshot.json).
    Ok(iam::GetInstanceProfileResponse { instance_profile: iam::InstanceProfile { tags: Some(tags_out(&p.tags)), ..shape(&st, p) } })
}

pub fn list(iam: &Iam, account: &str, r: iam::ListInstanceProfilesRequest) -> ApiResult<iam::ListInstanceProfilesResponse> {
    let st = iam.read();
    let prefix = r.path_prefix.as_deref();
    let p = page(&st.instance_profiles, account, r.marker.as_deref(), r.max_items, |x| path_matches(&x.path, prefix))?;
    Ok(iam::ListInstanceProfilesResponse {
        // ListInstanceProfiles leaves out Tags (ListInstanceProfiles documentation).
        instance_profiles: p.items.iter().map(|x| iam::InstanceProfile { tags: None, ..shape(&st, x) }).collect(),
        is_truncated: Some(p.is_truncated()),
        marker: p.next_marker,
    })
}

pub fn delete(iam: &Iam, account: &str, r: iam::DeleteInstanceProfileRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let p = profile_of(st, account, &r.instance_profile_name)?;
        if !p.roles.is_empty() {
            return Err(messages::delete_conflict("remove roles from instance profile"));
        }
        Ok((vec![Change::Delete(Record::InstanceProfile(p.clone()))], ()))
    })
}

pub fn add_role(iam: &Iam, account: &str, r: iam::AddRoleToInstanceProfileRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let mut p = profile_of(st, account, &r.instance_profile_name)?.clone();
        let role = st.role(account, &r.role_name).ok_or_else(|| no_such_role(&r.role_name))?;
        if p.roles.len() >= quota::ROLES_PER_INSTANCE_PROFILE {
            return Err(messages::instance_profile_role_limit(quota::ROLES_PER_INSTANCE_PROFILE));
        }
        if p.roles.iter().any(|x| x.eq_ignore_ascii_case(&role.name)) {
            return Err(messages::role_in_instance_profile_exists(&role.name, &p.name));
        }
        p.roles.push(role.name.clone());
        Ok((vec![Change::Put(Record::InstanceProfile(p))], ()))
    })
}

pub fn remove_role(iam: &Iam, account: &str, r: iam::RemoveRoleFromInstanceProfileRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let mut p = profile_of(st, account, &r.instance_profile_name)?.clone();
        st.role(account, &r.role_name).ok_or_else(|| no_such_role(&r.role_name))?;
        let before = p.roles.len();
        p.roles.retain(|x| !x.eq_ignore_ascii_case(&r.role_name));
        if p.roles.len() == before {
            return Err(messages::role_not_in_instance_profile(&r.role_name, &p.name));
        }
        Ok((vec![Change::Put(Record::InstanceProfile(p))], ()))
    })
}

pub fn list_for_role(
    iam: &Iam,
    account: &str,
    r: iam::ListInstanceProfilesForRoleRequest,
) -> ApiResult<iam::ListInstanceProfilesForRoleResponse> {
    let st = iam.read();
    let role = st.role(account, &r.role_name).ok_or_else(|| no_such_role(&r.role_name))?;
    let all: Vec<iam::InstanceProfile> = st
        .profiles_by_role
        .get(&crate::state::name_key(account, &role.name))
        .into_iter()
        .flatten()
        .filter_map(|n| st.instance_profile(account, n))
        .map(|p| shape(&st, p))
        .collect();
    let p = page_slice(&all, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListInstanceProfilesForRoleResponse { instance_profiles: p.items, is_truncated: Some(p.next_marker.is_some()), marker: p.next_marker })
}

pub fn tag(iam: &Iam, account: &str, r: iam::TagInstanceProfileRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let mut p = profile_of(st, account, &r.instance_profile_name)?.clone();
        merge_tags(&mut p.tags, &tags_in(&r.tags), "InstanceProfile")?;
        Ok((vec![Change::Put(Record::InstanceProfile(p))], ()))
    })
}

pub fn untag(iam: &Iam, account: &str, r: iam::UntagInstanceProfileRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let mut p = profile_of(st, account, &r.instance_profile_name)?.clone();
        remove_tags(&mut p.tags, &r.tag_keys);
        Ok((vec![Change::Put(Record::InstanceProfile(p))], ()))
    })
}

pub fn list_tags(
    iam: &Iam,
    account: &str,
    r: iam::ListInstanceProfileTagsRequest,
) -> ApiResult<iam::ListInstanceProfileTagsResponse> {
    let st = iam.read();
    let p = profile_of(&st, account, &r.instance_profile_name)?;
    let page = page_slice(&tags_out(&p.tags), r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListInstanceProfileTagsResponse { tags: page.items, is_truncated: Some(page.next_marker.is_some()), marker: page.next_marker })
}
