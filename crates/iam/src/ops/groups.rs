//! Groups: Create/Get (with members)/List/Update/Delete and membership.

use castellan_api::iam;

use super::{group_arn, no_such_group, no_such_user, path_matches, ts};
use crate::error::ApiResult;
use crate::messages;
use crate::ids::{unique_id, IdPrefix};
use crate::model::{Change, Group, Record};
use crate::paginate::{page, page_of};
use crate::validate::quota;
use crate::Iam;

pub fn shape(partition: crate::arn::Partition, g: &Group) -> iam::Group {
    iam::Group {
        path: g.path.clone(),
        group_name: g.name.clone(),
        group_id: g.id.clone(),
        arn: group_arn(partition, &g.account, &g.path, &g.name),
        create_date: ts(g.created),
    }
}

pub fn create(iam: &Iam, account: &str, r: iam::CreateGroupRequest) -> ApiResult<iam::CreateGroupResponse> {
    let now = iam.now();
    iam.mutate(|st| {
        if st.group(account, &r.group_name).is_some() {
            return Err(messages::group_exists(&r.group_name));
        }
        let group = Group {
            account: account.to_owned(),
            name: r.group_name.clone(),
            id: unique_id(IdPrefix::Group),
            path: r.path.clone().unwrap_or_else(|| "/".into()),
            created: now,
            inline_policies: Default::default(),
            attached_policies: Vec::new(),
        };
        let out = iam::CreateGroupResponse { group: shape(st.partition, &group) };
        Ok((vec![Change::Put(Record::Group(group))], out))
    })
}

pub fn get(iam: &Iam, account: &str, r: iam::GetGroupRequest) -> ApiResult<iam::GetGroupResponse> {
    let st = iam.read();
    let group = st.group(account, &r.group_name).ok_or_else(|| no_such_group(&r.group_name))?;
    let after = r.marker.as_deref().map(crate::paginate::decode_marker).transpose()?;
    let names = st.group_members.get(&crate::state::name_key(account, &group.name));
    let members = names
        .into_iter()
        .flatten()
        .filter(|n| after.as_ref().is_none_or(|a| *n > a))
        .filter_map(|n| st.users.get(&(account.to_owned(), n.clone())).map(|u| (n.as_str(), u)));
    let p = page_of(members, r.max_items, |_| true)?;
    Ok(iam::GetGroupResponse {
        group: shape(st.partition, group),
        users: p.items.iter().map(|u| super::users::shape(st.partition, u)).collect(),
        is_truncated: Some(p.is_truncated()),
        marker: p.next_marker,
    })
}

pub fn list(iam: &Iam, account: &str, r: iam::ListGroupsRequest) -> ApiResult<iam::ListGroupsResponse> {
    let st = iam.read();
    let prefix = r.path_prefix.as_deref();
    let p = page(&st.groups, account, r.marker.as_deref(), r.max_items, |g| path_matches(&g.path, prefix))?;
    Ok(iam::ListGroupsResponse {
        groups: p.items.iter().map(|g| shape(st.partition, g)).collect(),
        is_truncated: Some(p.is_truncated()),
        marker: p.next_marker,
    })
}

pub fn update(iam: &Iam, account: &str, r: iam::UpdateGroupRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let old = st.group(account, &r.group_name).ok_or_else(|| no_such_group(&r.group_name))?;
        let mut group = old.clone();
        let mut changes = Vec::new();
        if let Some(path) = r.new_path.clone() {
            group.path = path;
        }
        if let Some(new_name) = r.new_group_name.clone().filter(|n| *n != old.name) {
            if !new_name.eq_ignore_ascii_case(&old.name) && st.group(account, &new_name).is_some() {
                return Err(messages::group_exists(&new_name));
            }
            changes.push(Change::Delete(Record::Group(old.clone())));
            // Members keep their membership under the new name.
            for member in st.members_of(account, &old.name) {
                let mut u = member.clone();
                for g in &mut u.groups {
                    if g.eq_ignore_ascii_case(&old.name) {
                        g.clone_from(&new_name);
                    }
                }
                changes.push(Change::Put(Record::User(u)));
            }
            group.name = new_name;
        }
        changes.push(Change::Put(Record::Group(group)));
        Ok((changes, ()))
    })
}

pub fn delete(iam: &Iam, account: &str, r: iam::DeleteGroupRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let group = st.group(account, &r.group_name).ok_or_else(|| no_such_group(&r.group_name))?;
        let conflict = |what: &str| Err(messages::delete_conflict(what));
        if !st.members_of(account, &group.name).is_empty() {
            return conflict("remove users from group");
        }
        if !group.inline_policies.is_empty() {
            return conflict("delete policies");
        }
        if !group.attached_policies.is_empty() {
            return conflict("detach all policies");
        }
        Ok((vec![Change::Delete(Record::Group(group.clone()))], ()))
    })
}

pub fn add_user(iam: &Iam, account: &str, r: iam::AddUserToGroupRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let group = st.group(account, &r.group_name).ok_or_else(|| no_such_group(&r.group_name))?;
        let mut user = st.user(account, &r.user_name).ok_or_else(|| no_such_user(&r.user_name))?.clone();
        if user.groups.iter().any(|g| g.eq_ignore_ascii_case(&group.name)) {
            return Ok((Vec::new(), ()));
        }
        if user.groups.len() >= quota::GROUPS_PER_USER {
            return Err(messages::groups_per_user_limit(quota::GROUPS_PER_USER));
        }
        user.groups.push(group.name.clone());
        Ok((vec![Change::Put(Record::User(user))], ()))
    })
}

pub fn remove_user(iam: &Iam, account: &str, r: iam::RemoveUserFromGroupRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        // The user is looked up first: with neither, AWS names the user (recorded in LocalStack's
        // tests/aws/services/iam/test_iam_groups.snapshot.json, "remove-from-unknown-group").
        let mut user = st.user(account, &r.user_name).ok_or_else(|| no_such_user(&r.user_name))?.clone();
        let group = st.group(account, &r.group_name).ok_or_else(|| no_such_group(&r.group_name))?;
        let before = user.groups.len();
        user.groups.retain(|g| !g.eq_ignore_ascii_case(&group.name));
        // A user who is not a member: AWS answers with success (LocalStack's
        // tests/aws/services/iam/test_iam_users.snapshot.json, "remove-nonmember-user-from-group").
        if user.groups.len() == before {
            return Ok((Vec::new(), ()));
        }
        Ok((vec![Change::Put(Record::User(user))], ()))
    })
}

pub fn list_for_user(iam: &Iam, account: &str, r: iam::ListGroupsForUserRequest) -> ApiResult<iam::ListGroupsForUserResponse> {
    let st = iam.read();
    let user = st.user(account, &r.user_name).ok_or_else(|| no_such_user(&r.user_name))?;
    let mut groups: Vec<iam::Group> = user.groups.iter().filter_map(|g| st.group(account, g)).map(|g| shape(st.partition, g)).collect();
    groups.sort_by_key(|g| g.group_name.to_lowercase());
    let p = crate::paginate::page_slice(&groups, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListGroupsForUserResponse { groups: p.items, is_truncated: Some(p.next_marker.is_some()), marker: p.next_marker })
}
