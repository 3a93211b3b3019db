//! Roles: Create (with a validated trust policy)/Get/List/Update/Delete, tags, boundaries.

use castellan_api::iam;

use super::{boundary_out, no_such_role, path_matches, role_arn, tags_in, tags_out, ts, url_encode};
use crate::arn::{display_document, resolve_principals};
use crate::error::ApiResult;
use crate::ids::{unique_id, IdPrefix};
use crate::model::{Change, Record, Role};
use crate::paginate::page;
use crate::state::State;
use crate::validate::{merge_tags, remove_tags, trust_policy_document};
use crate::Iam;

/// The default MaxSessionDuration: one hour (CreateRole documentation).
const DEFAULT_MAX_SESSION_DURATION: i32 = 3600;

pub fn shape(st: &State, r: &Role) -> iam::Role {
    iam::Role {
        path: r.path.clone(),
        role_name: r.name.clone(),
        role_id: r.id.clone(),
        arn: role_arn(st.partition, &r.account, &r.path, &r.name),
        create_date: ts(r.created),
        assume_role_policy_document: Some(url_encode(&display_document(st, &r.assume_role_policy, r.principal_ids.as_ref()))),
        description: r.description.clone(),
        max_session_duration: Some(r.max_session_duration),
        permissions_boundary: boundary_out(r.permissions_boundary.as_ref()),
        tags: (!r.tags.is_empty()).then(|| tags_out(&r.tags)),
        role_last_used: Some(iam::RoleLastUsed {
            last_used_date: r.last_used.as_ref().map(|(t, _)| ts(*t)),
            region: r.last_used.as_ref().map(|(_, region)| region.clone()),
        }),
    }
}

/// The role as CreateRole and CreateServiceLinkedRole answer: without Description (even when
/// one was given), MaxSessionDuration and RoleLastUsed (responses recorded from AWS: localstack
/// tests/aws/services/iam/test_iam_roles.snapshot.json, "create-role-with-boundary"; the aws CLI's
/// create-service-linked-role example).
pub fn created_shape(st: &State, r: &Role) -> iam::Role {
    iam::Role { description: None, max_session_duration: None, role_last_used: None, ..shape(st, r) }
}

/// A role inside an instance profile (GetInstanceProfile, ListInstanceProfiles,
/// GetAccountAuthorizationDetails): CreateRole's fields without PermissionsBoundary and Tags.
/// Recorded from AWS (localstack tests/aws/services/iam/test_iam_instance_profiles.snapshot.json):
/// no MaxSessionDuration, which every stored role has, so AWS answers with CreateRole's reduced
/// shape here; that Description is left out too is inferred from that, not seen.
pub fn nested_shape(st: &State, r: &Role) -> iam::Role {
    iam::Role { permissions_boundary: None, tags: None, ..created_shape(st, r) }
}

/// ListRoles leaves out PermissionsBoundary, RoleLastUsed and Tags (ListRoles documentation).
fn list_shape(st: &State, r: &Role) -> iam::Role {
    iam::Role { permissions_boundary: None, tags: None, role_last_used: None, ..shape(st, r) }
}

fn role_of<'a>(st: &'a State, account: &str, name: &str) -> ApiResult<&'a Role> {
    st.role(account, name).ok_or_else(|| no_such_role(name))
}

pub fn create(iam: &Iam, account: &str, r: iam::CreateRoleRequest) -> ApiResult<iam::CreateRoleResponse> {
    let now = iam.now();
    let trust = trust_policy_document(iam.partition(), &r.assume_role_policy_document)?;
    iam.mutate(|st| {
        if st.role(account, &r.role_name).is_some() {
            return Err(crate::messages::role_exists(&r.role_name));
        }
        let principal_ids = resolve_principals(st, &trust)?;
        if let Some(b) = &r.permissions_boundary {
            super::policies::require_boundary_policy(st, account, b)?;
        }
        let mut tags = Vec::new();
        merge_tags(&mut tags, &tags_in(r.tags.as_deref().unwrap_or_default()), "Role")?;
        let role = Role {
            account: account.to_owned(),
            name: r.role_name.clone(),
            id: unique_id(IdPrefix::Role),
            path: r.path.clone().unwrap_or_else(|| "/".into()),
            created: now,
            assume_role_policy: r.assume_role_policy_document.clone(),
            description: r.description.clone(),
            max_session_duration: r.max_session_duration.unwrap_or(DEFAULT_MAX_SESSION_DURATION),
            tags,
            permissions_boundary: r.permissions_boundary.clone(),
            inline_policies: Default::default(),
            attached_policies: Vec::new(),
            last_used: None,
            principal_ids: Some(principal_ids),
        };
        let out = iam::CreateRoleResponse { role: created_shape(st, &role) };
        Ok((vec![Change::Put(Record::Role(role))], out))
    })
}

pub fn get(iam: &Iam, account: &str, r: iam::GetRoleRequest) -> ApiResult<iam::GetRoleResponse> {
    let st = iam.read();
    let role = role_of(&st, account, &r.role_name)?;
    // The last use may still be in memory, not yet written.
    let last = iam.role_last_used(role);
    let role_last_used = Some(iam::RoleLastUsed { last_used_date: last.as_ref().map(|(t, _)| ts(*t)), region: last.map(|(_, region)| region) });
    Ok(iam::GetRoleResponse { role: iam::Role { role_last_used, ..shape(&st, role) } })
}

pub fn list(iam: &Iam, account: &str, r: iam::ListRolesRequest) -> ApiResult<iam::ListRolesResponse> {
    let st = iam.read();
    let prefix = r.path_prefix.as_deref();
    let p = page(&st.roles, account, r.marker.as_deref(), r.max_items, |x| path_matches(&x.path, prefix))?;
    Ok(iam::ListRolesResponse {
        roles: p.items.iter().map(|x| list_shape(&st, x)).collect(),
        is_truncated: Some(p.is_truncated()),
        marker: p.next_marker,
    })
}

fn modify(iam: &Iam, account: &str, name: &str, f: impl Fn(&mut Role) -> ApiResult<()>) -> ApiResult<Role> {
    iam.mutate(|st| {
        let mut role = role_of(st, account, name)?.clone();
        f(&mut role)?;
        Ok((vec![Change::Put(Record::Role(role.clone()))], role))
    })
}

pub fn update(iam: &Iam, account: &str, r: iam::UpdateRoleRequest) -> ApiResult<()> {
    modify(iam, account, &r.role_name, |role| {
        if let Some(d) = r.description.clone() {
            role.description = Some(d);
        }
        if let Some(m) = r.max_session_duration {
            role.max_session_duration = m;
        }
        Ok(())
    })
    .map(|_| ())
}

pub fn update_description(
    iam: &Iam,
    account: &str,
    r: iam::UpdateRoleDescriptionRequest,
) -> ApiResult<iam::UpdateRoleDescriptionResponse> {
    let role = modify(iam, account, &r.role_name, |role| {
        role.description = Some(r.description.clone());
        Ok(())
    })?;
    // The description is the one field of the answer beyond CreateRole's (recorded from AWS:
    // localstack tests/aws/services/iam/test_iam_roles.snapshot.json, "update-role-description-response").
    Ok(iam::UpdateRoleDescriptionResponse { role: Some(iam::Role { description: role.description.clone(), ..created_shape(&iam.read(), &role) }) })
}

pub fn update_trust(iam: &Iam, account: &str, r: iam::UpdateAssumeRolePolicyRequest) -> ApiResult<()> {
    let trust = trust_policy_document(iam.partition(), &r.policy_document)?;
    iam.mutate(|st| {
        let mut role = role_of(st, account, &r.role_name)?.clone();
        role.principal_ids = Some(resolve_principals(st, &trust)?);
        role.assume_role_policy.clone_from(&r.policy_document);
        Ok((vec![Change::Put(Record::Role(role))], ()))
    })
}

pub fn delete(iam: &Iam, account: &str, r: iam::DeleteRoleRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let role = role_of(st, account, &r.role_name)?;
        let conflict = |what: &str| Err(crate::messages::delete_conflict(what));
        if st.profiles_by_role.contains_key(&crate::state::name_key(account, &role.name)) {
            return conflict("remove roles from instance profile");
        }
        if !role.inline_policies.is_empty() {
            return conflict("delete policies");
        }
        if !role.attached_policies.is_empty() {
            return conflict("detach all policies");
        }
        Ok((vec![Change::Delete(Record::Role(role.clone()))], ()))
    })
}

pub fn tag(iam: &Iam, account: &str, r: iam::TagRoleRequest) -> ApiResult<()> {
    modify(iam, account, &r.role_name, |role| merge_tags(&mut role.tags, &tags_in(&r.tags), "Role")).map(|_| ())
}

pub fn untag(iam: &Iam, account: &str, r: iam::UntagRoleRequest) -> ApiResult<()> {
    modify(iam, account, &r.role_name, |role| {
        remove_tags(&mut role.tags, &r.tag_keys);
        Ok(())
    })
    .map(|_| ())
}

pub fn list_tags(iam: &Iam, account: &str, r: iam::ListRoleTagsRequest) -> ApiResult<iam::ListRoleTagsResponse> {
    let st = iam.read();
    let role = role_of(&st, account, &r.role_name)?;
    let p = crate::paginate::page_slice(&super::tags_by_key(&role.tags), r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListRoleTagsResponse { is_truncated: Some(p.is_truncated()), tags: p.items, marker: p.next_marker })
}

pub fn put_boundary(iam: &Iam, account: &str, r: iam::PutRolePermissionsBoundaryRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let mut role = role_of(st, account, &r.role_name)?.clone();
        super::policies::require_boundary_policy(st, account, &r.permissions_boundary)?;
        role.permissions_boundary = Some(r.permissions_boundary.clone());
        Ok((vec![Change::Put(Record::Role(role))], ()))
    })
}

pub fn delete_boundary(iam: &Iam, account: &str, r: iam::DeleteRolePermissionsBoundaryRequest) -> ApiResult<()> {
    modify(iam, account, &r.role_name, |role| {
        role.permissions_boundary = None;
        Ok(())
    })
    .map(|_| ())
}
