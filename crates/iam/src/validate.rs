//! Checks the API model cannot express: policy documents, quotas, tags.

use castellan_policy::{Policy, PolicyKind};

use crate::arn::Partition;
use crate::error::{ApiError, ApiResult};
use crate::messages;
use crate::model::Tags;

/// IAM quotas (IAM User Guide, "IAM and AWS STS quotas").
pub mod quota {
    pub const ACCESS_KEYS_PER_USER: usize = 2;
    pub const MANAGED_POLICIES_PER_ENTITY: usize = 10;
    pub const VERSIONS_PER_POLICY: usize = 5;
    pub const GROUPS_PER_USER: usize = 10;
    pub const TAGS_PER_ENTITY: usize = 50;
    pub const MANAGED_POLICY_SIZE: usize = 6144;
    pub const USER_INLINE_SIZE: usize = 2048;
    pub const GROUP_INLINE_SIZE: usize = 5120;
    pub const ROLE_INLINE_SIZE: usize = 10240;
    pub const TRUST_POLICY_SIZE: usize = 2048;
    pub const ROLES_PER_INSTANCE_PROFILE: usize = 1;
    pub const USERS: i64 = 5000;
    pub const GROUPS: i64 = 300;
    pub const ROLES: i64 = 1000;
    pub const POLICIES: i64 = 1500;
    pub const INSTANCE_PROFILES: i64 = 1000;
}

/// Parses a document as `kind`, turning the parser's error into AWS's MalformedPolicyDocument;
/// a Resource ARN of another partition than the server's is refused as AWS refuses it.
pub fn policy_document(partition: Partition, text: &str, kind: PolicyKind) -> ApiResult<Policy> {
    let malformed = |e: castellan_policy::PolicyError| ApiError::MalformedPolicyDocument(e.message().to_owned());
    let policy = Policy::parse(text, kind).map_err(malformed)?;
    match policy.foreign_partition(partition.as_str()) {
        Some(e) => Err(malformed(e)),
        None => Ok(policy),
    }
}

/// A managed policy document: valid as an identity policy and within the size quota.
pub fn managed_policy_document(partition: Partition, text: &str) -> ApiResult<Policy> {
    if castellan_policy::policy_size(text) > quota::MANAGED_POLICY_SIZE {
        return Err(messages::policy_size_limit(quota::MANAGED_POLICY_SIZE));
    }
    policy_document(partition, text, PolicyKind::Identity)
}

/// An inline policy of a user, group or role (`kind` is "user", "group" or "role"). The quota
/// is on the aggregate size of the entity's inline policies: `others` is the size of the ones
/// this document does not replace.
pub fn inline_policy_document(partition: Partition, text: &str, kind: &str, owner: &str, others: usize) -> ApiResult<Policy> {
    let limit = match kind {
        "user" => quota::USER_INLINE_SIZE,
        "group" => quota::GROUP_INLINE_SIZE,
        _ => quota::ROLE_INLINE_SIZE,
    };
    if others + castellan_policy::policy_size(text) > limit {
        return Err(messages::inline_policy_size_limit(limit, kind, owner));
    }
    policy_document(partition, text, PolicyKind::Identity)
}

/// A role's trust policy.
pub fn trust_policy_document(partition: Partition, text: &str) -> ApiResult<Policy> {
    if castellan_policy::policy_size(text) > quota::TRUST_POLICY_SIZE {
        return Err(messages::trust_policy_size_limit(quota::TRUST_POLICY_SIZE));
    }
    policy_document(partition, text, PolicyKind::Trust)
}

/// Tag keys of a customer managed policy are case-sensitive ("a" and "A" are two tags,
/// recorded from AWS in LocalStack's tests/aws/services/iam/test_iam_policies.snapshot.json);
/// a user's and a role's compare case-insensitively.
fn case_sensitive_keys(entity: &str) -> bool {
    entity == "Policy"
}

/// Merges `new` tags into `tags`: keys compare case-insensitively (case-sensitively on a
/// policy), a new value replaces the old one. Duplicate keys within one request are refused,
/// as AWS refuses them.
pub fn merge_tags(tags: &mut Tags, new: &[(String, String)], entity: &str) -> ApiResult<()> {
    // `aws:` in any case is reserved for AWS (IAM User Guide, "Rules for tagging in IAM and
    // AWS STS"); TagUser and the other tag operations answer bad input with InvalidInput.
    if new.iter().any(|(k, _)| k.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:"))) {
        return Err(messages::reserved_tag_key());
    }
    let case_sensitive = case_sensitive_keys(entity);
    let same = |a: &str, b: &str| if case_sensitive { a == b } else { a.eq_ignore_ascii_case(b) };
    let mut seen = std::collections::HashSet::new();
    for (k, _) in new {
        if !seen.insert(if case_sensitive { k.clone() } else { k.to_lowercase() }) {
            return Err(if case_sensitive {
                messages::duplicate_tag_keys()
            } else {
                messages::duplicate_tag_keys_case_insensitive()
            });
        }
    }
    for (k, v) in new {
        match tags.iter_mut().find(|(ek, _)| same(ek, k)) {
            Some(slot) => *slot = (k.clone(), v.clone()),
            None => tags.push((k.clone(), v.clone())),
        }
    }
    if tags.len() > quota::TAGS_PER_ENTITY && entity == "OpenIdConnectProvider" {
        return Err(messages::oidc_tag_limit());
    }
    if tags.len() > quota::TAGS_PER_ENTITY {
        return Err(messages::tags_per_entity_limit(entity, quota::TAGS_PER_ENTITY));
    }
    Ok(())
}

pub fn remove_tags(tags: &mut Tags, keys: &[String]) {
    tags.retain(|(k, _)| !keys.iter().any(|r| r.eq_ignore_ascii_case(k)));
}

/// UntagPolicy: a policy's keys are case-sensitive (untagging "a" leaves "A": LocalStack's
/// test_iam_policies.snapshot.json, "list-after-untag-lowercase").
pub fn remove_policy_tags(tags: &mut Tags, keys: &[String]) {
    tags.retain(|(k, _)| !keys.contains(k));
}
