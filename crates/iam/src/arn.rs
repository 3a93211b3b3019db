//! ARNs of IAM entities, and the users and roles that policies name as principals.
//!
//! Below both `authz` and `ops`: each builds and looks up ARNs, neither owns them.
//!
//! IAM remembers the users and roles a trust policy names by their unique ids, resolved when
//! the policy is saved; a user or role deleted and created again under the same name is a
//! different principal that the policy does not name, and after the deletion IAM shows the
//! bare id in the document (IAM User Guide, "IAM identifiers: Unique identifiers", and "AWS
//! JSON policy elements: Principal": "If the user or role is deleted and recreated, the new
//! principal has a new unique ID and the policy no longer matches").

use std::collections::BTreeMap;

use castellan_policy::Policy;

use crate::error::{ApiError, ApiResult};
use crate::model::Role;
use crate::state::{IdOwner, State};

pub fn user_arn(account: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:user{path}{name}")
}
pub fn group_arn(account: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:group{path}{name}")
}
pub fn role_arn(account: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:role{path}{name}")
}
pub fn instance_profile_arn(account: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:instance-profile{path}{name}")
}

/// The role an ARN names, exactly (path and name as the role spells them).
pub fn role_by_arn<'a>(st: &'a State, arn: &str) -> Option<&'a Role> {
    let e = EntityArn::parse(arn).filter(|e| e.kind == EntityKind::Role)?;
    st.role(e.account, e.name)
        .filter(|r| r.path == e.path && r.name == e.name)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityKind {
    User,
    Role,
}

/// `arn:aws:iam::ACCOUNT:user/PATH/NAME` or `…:role/PATH/NAME`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityArn<'a> {
    pub kind: EntityKind,
    pub account: &'a str,
    /// `/` or `/a/b/`.
    pub path: &'a str,
    pub name: &'a str,
}

impl<'a> EntityArn<'a> {
    pub fn parse(arn: &'a str) -> Option<EntityArn<'a>> {
        let rest = arn.strip_prefix("arn:aws:iam::")?;
        let (account, resource) = rest.split_once(':')?;
        let (kind, path_and_name) = if let Some(r) = resource.strip_prefix("user") {
            (EntityKind::User, r)
        } else {
            (EntityKind::Role, resource.strip_prefix("role")?)
        };
        let cut = path_and_name.rfind('/')?;
        let (path, name) = (path_and_name.get(..=cut)?, path_and_name.get(cut + 1..)?);
        (path.starts_with('/') && !name.is_empty()).then_some(EntityArn {
            kind,
            account,
            path,
            name,
        })
    }
}

/// The unique id of the user or role `arn` names, if it exists now.
fn entity_id<'s>(st: &'s State, e: &EntityArn<'_>) -> Option<&'s str> {
    match e.kind {
        EntityKind::User => st
            .user(e.account, e.name)
            .filter(|u| u.path == e.path)
            .map(|u| u.id.as_str()),
        EntityKind::Role => st
            .role(e.account, e.name)
            .filter(|r| r.path == e.path)
            .map(|r| r.id.as_str()),
    }
}

/// Ids of the users and roles a policy names, keyed by the ARN as written. AWS refuses a
/// policy naming one that does not exist: `Invalid principal in policy: "AWS":"ARN"`.
pub fn resolve_principals(st: &State, policy: &Policy) -> ApiResult<BTreeMap<String, String>> {
    let mut ids = BTreeMap::new();
    for value in policy.aws_principals() {
        let Some(e) = EntityArn::parse(value) else {
            continue;
        };
        let id = entity_id(st, &e).ok_or_else(|| {
            ApiError::MalformedPolicyDocument(format!(
                "Invalid principal in policy: \"AWS\":\"{value}\""
            ))
        })?;
        ids.insert(value.to_owned(), id.to_owned());
    }
    Ok(ids)
}

/// The same, for a record stored before ids were kept: what still exists is resolved, the
/// rest stays unresolved and so names no one.
pub fn resolve_principals_leniently(st: &State, policy: &Policy) -> BTreeMap<String, String> {
    policy
        .aws_principals()
        .filter_map(|value| {
            Some((
                value.to_owned(),
                entity_id(st, &EntityArn::parse(value)?)?.to_owned(),
            ))
        })
        .collect()
}

/// Stands for a user or role ARN that resolved to no id: it equals no principal's ARN, id or
/// account, so it names no one.
const UNRESOLVED: &str = "\u{0}unresolved";

/// A stored policy ready for evaluation: every user and role ARN replaced by the id it
/// resolved to when the policy was saved (an unresolved one by a value that names no one).
pub fn with_resolved_principals(policy: Policy, ids: &BTreeMap<String, String>) -> Policy {
    policy.with_aws_principals(|value| match EntityArn::parse(value) {
        Some(_) => ids
            .get(value)
            .map_or_else(|| UNRESOLVED.to_owned(), Clone::clone),
        None => value.to_owned(),
    })
}

/// The current ARN of the user or role with unique id `id`.
pub fn arn_of_id(st: &State, id: &str) -> Option<String> {
    match st.by_id.get(id)? {
        IdOwner::User(key) => st
            .users
            .get(key)
            .map(|u| user_arn(&u.account, &u.path, &u.name)),
        IdOwner::Role(key) => st
            .roles
            .get(key)
            .map(|r| role_arn(&r.account, &r.path, &r.name)),
    }
}

/// A stored policy as IAM shows it: a principal that was renamed appears under its current
/// ARN, one that was deleted as its bare unique id. Only Principal and NotPrincipal values are
/// rewritten; the same ARN in a condition is the caller's string and stays as written.
pub fn display_document(st: &State, text: &str, ids: Option<&BTreeMap<String, String>>) -> String {
    let changes: Vec<(String, String)> = ids
        .into_iter()
        .flatten()
        .filter_map(|(arn, id)| {
            let now = arn_of_id(st, id).unwrap_or_else(|| id.clone());
            (now != *arn).then(|| (format!("\"{arn}\""), format!("\"{now}\"")))
        })
        .collect();
    if changes.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in principal_spans(text) {
        let (Some(before), Some(span)) = (text.get(at..start), text.get(start..end)) else { break };
        out.push_str(before);
        let mut span = span.to_owned();
        for (from, to) in &changes {
            span = span.replace(from, to);
        }
        out.push_str(&span);
        at = end;
    }
    out.push_str(text.get(at..).unwrap_or_default());
    out
}

/// The byte ranges of the values of the `"Principal"` and `"NotPrincipal"` members of a JSON
/// document (already validated as a policy), in order.
fn principal_spans(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c != b'"' {
            i += 1;
            continue;
        }
        let end = string_end(b, i);
        let key = text.get(i + 1..end.saturating_sub(1)).unwrap_or_default();
        let colon = skip_space(b, end);
        if (key == "Principal" || key == "NotPrincipal") && b.get(colon) == Some(&b':') {
            let start = skip_space(b, colon + 1);
            let value_end = value_end(b, start);
            spans.push((start, value_end));
            i = value_end;
        } else {
            i = end;
        }
    }
    spans
}

fn skip_space(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// The index just past the string starting at `start` (a `"`).
fn string_end(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while let Some(&c) = b.get(i) {
        match c {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// The index just past the JSON value starting at `start`.
fn value_end(b: &[u8], start: usize) -> usize {
    match b.get(start) {
        Some(b'"') => string_end(b, start),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut i = start;
            while let Some(&c) = b.get(i) {
                match c {
                    b'"' => {
                        i = string_end(b, i);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            b.len()
        }
        _ => {
            let mut i = start;
            while b.get(i).is_some_and(|c| !matches!(c, b',' | b'}' | b']')) {
                i += 1;
            }
            i
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::model::{AccessKey, Change, KeyStatus, Record, User};

    fn user(name: &str, id: &str) -> User {
        User {
            account: "123456789012".into(),
            name: name.into(),
            id: id.into(),
            path: "/".into(),
            created: 0,
            tags: Vec::new(),
            permissions_boundary: None,
            inline_policies: BTreeMap::new(),
            attached_policies: Vec::new(),
            groups: Vec::new(),
            login_profile: None,
            password_last_used: None,
        }
    }

    /// Records written before ids were kept are completed from what exists when they are
    /// loaded; what no longer exists stays unresolved and names no one (fail closed).
    #[test]
    fn legacy_records_resolve_what_exists_and_nothing_else() {
        let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:user/amy","arn:aws:iam::123456789012:user/gone"]},"Action":"sts:AssumeRole"}]}"#;
        let legacy_role: Role = serde_json::from_value(serde_json::json!({
            "account": "123456789012", "name": "r", "id": "AROAEXAMPLEROLE00001", "path": "/", "created": 0,
            "assume_role_policy": trust, "max_session_duration": 3600
        }))
        .unwrap();
        assert_eq!(legacy_role.principal_ids, None);
        let legacy_key: AccessKey = serde_json::from_value(serde_json::json!({
            "account": "123456789012", "user": "amy", "id": "AKIAEXAMPLE000000001", "sealed_secret": "x",
            "status": "Active", "created": 0
        }))
        .unwrap();
        assert_eq!(legacy_key.status, KeyStatus::Active);
        let mut st = State::default();
        st.apply(Change::Put(Record::Role(legacy_role)));
        st.apply(Change::Put(Record::AccessKey(legacy_key)));
        st.apply(Change::Put(Record::User(user("amy", "AIDAEXAMPLEUSER00001"))));
        assert_eq!(st.upgrade_legacy_records().len(), 2, "the role and the key, to be written back");
        let role = st.role("123456789012", "r").unwrap();
        let ids = role.principal_ids.clone().unwrap();
        assert_eq!(ids.get("arn:aws:iam::123456789012:user/amy").map(String::as_str), Some("AIDAEXAMPLEUSER00001"));
        assert_eq!(ids.get("arn:aws:iam::123456789012:user/gone"), None);
        assert_eq!(st.access_keys.get("AKIAEXAMPLE000000001").unwrap().user_id.as_deref(), Some("AIDAEXAMPLEUSER00001"));
        let policy = Policy::parse(trust, castellan_policy::PolicyKind::Trust).unwrap();
        let resolved = with_resolved_principals(policy, &ids);
        let names: Vec<&str> = resolved.aws_principals().collect();
        assert_eq!(names, ["AIDAEXAMPLEUSER00001", UNRESOLVED]);
    }

    /// Only Principal values are shown rewritten; a condition naming the same ARN is the
    /// caller's own string.
    #[test]
    fn display_rewrites_principals_only() {
        let doc = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:user/zed"]},"Action":"sts:AssumeRole","Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:user/zed"}}}]}"#;
        let ids = BTreeMap::from([("arn:aws:iam::123456789012:user/zed".to_owned(), "AIDAGONE000000000001".to_owned())]);
        let shown = display_document(&State::default(), doc, Some(&ids));
        assert_eq!(shown, doc.replacen("arn:aws:iam::123456789012:user/zed", "AIDAGONE000000000001", 1));
        assert!(shown.contains(r#""aws:PrincipalArn":"arn:aws:iam::123456789012:user/zed""#));
    }

    /// On another node a rename arrives as a put of the new name and a delete of the old one,
    /// in either order; the id must still name the user afterwards.
    #[test]
    fn a_rename_applied_put_first_keeps_the_id() {
        let mut st = State::default();
        st.apply(Change::Put(Record::User(user("bob", "AIDAEXAMPLEUSER00002"))));
        st.apply(Change::Put(Record::User(user("alice", "AIDAEXAMPLEUSER00002"))));
        st.apply(Change::Delete(Record::User(user("bob", "AIDAEXAMPLEUSER00002"))));
        assert_eq!(st.user_by_id("AIDAEXAMPLEUSER00002").map(|u| u.name.as_str()), Some("alice"));
    }

    #[test]
    fn entity_arns_parse_with_their_paths() {
        let e = EntityArn::parse("arn:aws:iam::123456789012:user/a/b/zed");
        assert_eq!(
            e,
            Some(EntityArn {
                kind: EntityKind::User,
                account: "123456789012",
                path: "/a/b/",
                name: "zed"
            })
        );
        let e = EntityArn::parse("arn:aws:iam::123456789012:role/r");
        assert_eq!(
            e,
            Some(EntityArn {
                kind: EntityKind::Role,
                account: "123456789012",
                path: "/",
                name: "r"
            })
        );
        assert_eq!(EntityArn::parse("arn:aws:iam::123456789012:root"), None);
        assert_eq!(EntityArn::parse("arn:aws:iam::123456789012:user/"), None);
        assert_eq!(
            EntityArn::parse("arn:aws:sts::123456789012:assumed-role/r/s"),
            None
        );
        assert_eq!(EntityArn::parse("123456789012"), None);
    }
}
