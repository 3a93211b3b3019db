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

use crate::error::ApiResult;
use crate::messages;
use crate::model::Role;
use crate::state::{IdOwner, State};

/// The AWS partition a server stands for (`castellan serve --partition`): the second field of
/// every ARN it builds and accepts, and the regions its requests may be signed for. AWS:
/// "Identify AWS resources with Amazon Resource Names (ARNs)" (IAM User Guide): "partition —
/// The partition in which the resource is located … aws - AWS Regions, aws-cn - China
/// Regions, aws-us-gov - AWS GovCloud (US) Regions". A resource in one partition cannot name
/// or be named by a principal of another: each is a separate AWS.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Partition {
    #[default]
    Aws,
    AwsCn,
    AwsUsGov,
}

impl Partition {
    pub const ALL: [Partition; 3] = [Partition::Aws, Partition::AwsCn, Partition::AwsUsGov];

    /// The name in ARNs: `aws`, `aws-cn`, `aws-us-gov`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Aws => "aws",
            Self::AwsCn => "aws-cn",
            Self::AwsUsGov => "aws-us-gov",
        }
    }

    /// `arn:PARTITION:` — what every ARN of this partition begins with.
    pub fn arn_prefix(self) -> &'static str {
        match self {
            Self::Aws => "arn:aws:",
            Self::AwsCn => "arn:aws-cn:",
            Self::AwsUsGov => "arn:aws-us-gov:",
        }
    }

    /// `arn:PARTITION:iam::` — the beginning of every IAM ARN of this partition.
    pub fn iam_prefix(self) -> &'static str {
        match self {
            Self::Aws => "arn:aws:iam::",
            Self::AwsCn => "arn:aws-cn:iam::",
            Self::AwsUsGov => "arn:aws-us-gov:iam::",
        }
    }

    /// The regions of the partition, as botocore 1.43.11 lists them
    /// (`botocore/data/endpoints.json`, each partition's `regions`; the same release as
    /// `data/aws/`).
    pub fn regions(self) -> &'static [&'static str] {
        match self {
            Self::Aws => &[
                "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1",
                "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
                "ap-southeast-6", "ap-southeast-7", "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1",
                "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1",
                "mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
            ],
            Self::AwsCn => &["cn-north-1", "cn-northwest-1"],
            Self::AwsUsGov => &["us-gov-east-1", "us-gov-west-1"],
        }
    }

    /// The region of the partition's single IAM endpoint, its credential scope (botocore's
    /// endpoints.json: `iam.amazonaws.com` us-east-1, `iam.cn-north-1.amazonaws.com.cn`
    /// cn-north-1, `iam.us-gov.amazonaws.com` us-gov-west-1).
    pub fn iam_region(self) -> &'static str {
        match self {
            Self::Aws => "us-east-1",
            Self::AwsCn => "cn-north-1",
            Self::AwsUsGov => "us-gov-west-1",
        }
    }

    /// The partition an ARN names (`None`: not an ARN of a partition this server knows).
    pub fn of_arn(arn: &str) -> Option<Partition> {
        let name = arn.strip_prefix("arn:")?.split(':').next()?;
        name.parse().ok()
    }
}

impl std::fmt::Display for Partition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Partition {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("unknown partition '{s}': expected aws, aws-cn or aws-us-gov"))
    }
}

pub fn user_arn(p: Partition, account: &str, path: &str, name: &str) -> String {
    format!("arn:{}:iam::{account}:user{path}{name}", p.as_str())
}
pub fn group_arn(p: Partition, account: &str, path: &str, name: &str) -> String {
    format!("arn:{}:iam::{account}:group{path}{name}", p.as_str())
}
pub fn role_arn(p: Partition, account: &str, path: &str, name: &str) -> String {
    format!("arn:{}:iam::{account}:role{path}{name}", p.as_str())
}
pub fn instance_profile_arn(p: Partition, account: &str, path: &str, name: &str) -> String {
    format!("arn:{}:iam::{account}:instance-profile{path}{name}", p.as_str())
}
/// `arn:PARTITION:iam::ACCOUNT:root`.
pub fn root_arn(p: Partition, account: &str) -> String {
    format!("arn:{}:iam::{account}:root", p.as_str())
}
/// `arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION`: a role session.
pub fn assumed_role_arn(p: Partition, account: &str, role: &str, session: &str) -> String {
    format!("arn:{}:sts::{account}:assumed-role/{role}/{session}", p.as_str())
}
/// `arn:PARTITION:sts::ACCOUNT:federated-user/NAME`: a GetFederationToken session.
pub fn federated_user_arn(p: Partition, account: &str, name: &str) -> String {
    format!("arn:{}:sts::{account}:federated-user/{name}", p.as_str())
}

/// The 12-digit account of an IAM ARN of partition `p` (`arn:P:iam::ACCOUNT:…`).
pub fn iam_arn_account(p: Partition, arn: &str) -> Option<&str> {
    arn.strip_prefix(p.iam_prefix())
        .and_then(|x| x.split(':').next())
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
}

/// The role an ARN names, exactly (path and name as the role spells them).
pub fn role_by_arn<'a>(st: &'a State, arn: &str) -> Option<&'a Role> {
    let e = EntityArn::parse(st.partition, arn).filter(|e| e.kind == EntityKind::Role)?;
    st.role(e.account, e.name)
        .filter(|r| r.path == e.path && r.name == e.name)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityKind {
    User,
    Role,
}

/// `arn:PARTITION:iam::ACCOUNT:user/PATH/NAME` or `…:role/PATH/NAME`, of the server's partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityArn<'a> {
    pub kind: EntityKind,
    pub account: &'a str,
    /// `/` or `/a/b/`.
    pub path: &'a str,
    pub name: &'a str,
}

impl<'a> EntityArn<'a> {
    pub fn parse(partition: Partition, arn: &'a str) -> Option<EntityArn<'a>> {
        let rest = arn.strip_prefix(partition.iam_prefix())?;
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
/// policy naming one that does not exist: `Invalid principal in policy: "AWS":"ARN"`. An
/// ARN of another partition names no principal this partition has, and is refused the same
/// way (decided: AWS's partitions are separate; a principal of one is unknown to another).
pub fn resolve_principals(st: &State, policy: &Policy) -> ApiResult<BTreeMap<String, String>> {
    let mut ids = BTreeMap::new();
    for value in policy.aws_principals() {
        let invalid = || messages::invalid_principal(value);
        if Partition::of_arn(value).is_some_and(|p| p != st.partition) {
            return Err(invalid());
        }
        let Some(e) = EntityArn::parse(st.partition, value) else {
            continue;
        };
        let id = entity_id(st, &e).ok_or_else(invalid)?;
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
                entity_id(st, &EntityArn::parse(st.partition, value)?)?.to_owned(),
            ))
        })
        .collect()
}

/// Stands for a user or role ARN that resolved to no id: it equals no principal's ARN, id or
/// account, so it names no one.
const UNRESOLVED: &str = "\u{0}unresolved";

/// A stored policy ready for evaluation: every user and role ARN replaced by the id it
/// resolved to when the policy was saved (an unresolved one by a value that names no one).
pub fn with_resolved_principals(partition: Partition, policy: Policy, ids: &BTreeMap<String, String>) -> Policy {
    policy.with_aws_principals(|value| match EntityArn::parse(partition, value) {
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
            .map(|u| user_arn(st.partition, &u.account, &u.path, &u.name)),
        IdOwner::Role(key) => st
            .roles
            .get(key)
            .map(|r| role_arn(st.partition, &r.account, &r.path, &r.name)),
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
        let resolved = with_resolved_principals(Partition::Aws, policy, &ids);
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
        let e = EntityArn::parse(Partition::Aws, "arn:aws:iam::123456789012:user/a/b/zed");
        assert_eq!(
            e,
            Some(EntityArn {
                kind: EntityKind::User,
                account: "123456789012",
                path: "/a/b/",
                name: "zed"
            })
        );
        let e = EntityArn::parse(Partition::Aws, "arn:aws:iam::123456789012:role/r");
        assert_eq!(
            e,
            Some(EntityArn {
                kind: EntityKind::Role,
                account: "123456789012",
                path: "/",
                name: "r"
            })
        );
        assert_eq!(EntityArn::parse(Partition::Aws, "arn:aws:iam::123456789012:root"), None);
        assert_eq!(EntityArn::parse(Partition::Aws, "arn:aws:iam::123456789012:user/"), None);
        assert_eq!(
            EntityArn::parse(Partition::Aws, "arn:aws:sts::123456789012:assumed-role/r/s"),
            None
        );
        assert_eq!(EntityArn::parse(Partition::Aws, "123456789012"), None);
    }

    /// ARN syntax: `arn:partition:service:region:account-id:resource`, partition `aws`,
    /// `aws-cn` or `aws-us-gov` (IAM User Guide, "Identify AWS resources with Amazon Resource
    /// Names (ARNs)"); the regions are botocore's endpoints.json ones.
    #[test]
    fn partitions_build_and_parse_their_own_arns_only() {
        assert_eq!("aws-cn".parse::<Partition>(), Ok(Partition::AwsCn));
        assert_eq!("aws-us-gov".parse::<Partition>(), Ok(Partition::AwsUsGov));
        assert_eq!("aws".parse::<Partition>(), Ok(Partition::Aws));
        assert_eq!(Partition::default(), Partition::Aws);
        assert_eq!("aws-iso".parse::<Partition>(), Err("unknown partition 'aws-iso': expected aws, aws-cn or aws-us-gov".to_owned()));
        for p in Partition::ALL {
            assert_eq!(p.as_str().parse::<Partition>(), Ok(p));
            assert_eq!(p.to_string(), p.as_str());
            assert!(p.regions().contains(&p.iam_region()));
        }
        let cn = Partition::AwsCn;
        assert_eq!(user_arn(cn, "123456789012", "/a/", "zed"), "arn:aws-cn:iam::123456789012:user/a/zed");
        assert_eq!(role_arn(Partition::AwsUsGov, "123456789012", "/", "r"), "arn:aws-us-gov:iam::123456789012:role/r");
        assert_eq!(group_arn(cn, "123456789012", "/", "g"), "arn:aws-cn:iam::123456789012:group/g");
        assert_eq!(instance_profile_arn(cn, "123456789012", "/", "p"), "arn:aws-cn:iam::123456789012:instance-profile/p");
        assert_eq!(root_arn(cn, "123456789012"), "arn:aws-cn:iam::123456789012:root");
        assert_eq!(assumed_role_arn(cn, "123456789012", "r", "s"), "arn:aws-cn:sts::123456789012:assumed-role/r/s");
        assert_eq!(federated_user_arn(cn, "123456789012", "n"), "arn:aws-cn:sts::123456789012:federated-user/n");
        assert_eq!(user_arn(Partition::Aws, "123456789012", "/", "zed"), "arn:aws:iam::123456789012:user/zed");
        let e = EntityArn::parse(cn, "arn:aws-cn:iam::123456789012:role/r").unwrap();
        assert_eq!((e.kind, e.name), (EntityKind::Role, "r"));
        // Another partition's ARN names nothing here.
        assert_eq!(EntityArn::parse(cn, "arn:aws:iam::123456789012:role/r"), None);
        assert_eq!(EntityArn::parse(Partition::Aws, "arn:aws-cn:iam::123456789012:role/r"), None);
        assert_eq!(Partition::of_arn("arn:aws-us-gov:s3:::b"), Some(Partition::AwsUsGov));
        assert_eq!(Partition::of_arn("arn:*:s3:::b"), None);
        assert_eq!(Partition::of_arn("AIDAEXAMPLE"), None);
        assert_eq!(cn.regions(), ["cn-north-1", "cn-northwest-1"]);
        assert_eq!(Partition::AwsUsGov.regions(), ["us-gov-east-1", "us-gov-west-1"]);
        assert!(!Partition::Aws.regions().contains(&"cn-north-1"));
    }

    /// A trust policy in aws-cn naming a commercial principal is refused; its own partition's
    /// principals resolve.
    #[test]
    fn principals_of_another_partition_are_invalid() {
        let mut st = State { partition: Partition::AwsCn, ..State::default() };
        st.apply(Change::Put(Record::User(user("amy", "AIDAEXAMPLEUSER00001"))));
        let doc = |arn: &str| format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{arn}"}},"Action":"sts:AssumeRole"}}]}}"#);
        let parse = |arn: &str| Policy::parse(&doc(arn), castellan_policy::PolicyKind::Trust).unwrap();
        let ids = resolve_principals(&st, &parse("arn:aws-cn:iam::123456789012:user/amy")).unwrap();
        assert_eq!(ids.get("arn:aws-cn:iam::123456789012:user/amy").map(String::as_str), Some("AIDAEXAMPLEUSER00001"));
        for foreign in ["arn:aws:iam::123456789012:user/amy", "arn:aws:iam::123456789012:root"] {
            let err = resolve_principals(&st, &parse(foreign)).unwrap_err();
            assert_eq!(err.message(), format!("Invalid principal in policy: \"AWS\":\"{foreign}\""));
        }
        assert!(resolve_principals(&st, &parse("arn:aws-cn:iam::123456789012:root")).is_ok());
    }
}
