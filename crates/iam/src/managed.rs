//! The AWS managed policies every account sees, loaded once from the data file shipped in
//! the binary (`data/aws-managed-policies.jsonl.gz`).

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::sync::LazyLock;

use flate2::read::GzDecoder;

use crate::arn::Partition;

static DATA: &[u8] = include_bytes!("../../../data/aws-managed-policies.jsonl.gz");

#[derive(Debug, Clone)]
pub struct AwsManagedPolicy {
    pub name: String,
    pub id: String,
    pub arn: String,
    pub path: String,
    pub default_version: String,
    pub is_attachable: bool,
    pub created: i64,
    pub updated: i64,
    /// The default version's document, as compact JSON.
    pub document: String,
}

#[derive(Debug, Default)]
pub struct AwsManagedPolicies {
    /// By lowercase name: the order listings walk.
    pub by_name: BTreeMap<String, AwsManagedPolicy>,
    /// ARN → lowercase name.
    pub by_arn: HashMap<String, String>,
    /// Lowercase names in the order ListPolicies returns the policies: the data file's order,
    /// which is AWS's (AdministratorAccess, PowerUserAccess, ReadOnlyAccess, ... as in the aws
    /// CLI's list-policies example).
    pub listed: Vec<String>,
}

impl AwsManagedPolicies {
    /// The policies in ListPolicies order.
    pub fn in_list_order(&self) -> impl Iterator<Item = &AwsManagedPolicy> {
        self.listed.iter().filter_map(|n| self.by_name.get(n))
    }

    pub fn get(&self, arn: &str) -> Option<&AwsManagedPolicy> {
        self.by_arn.get(arn).and_then(|n| self.by_name.get(n))
    }
}

pub static AWS_MANAGED: LazyLock<AwsManagedPolicies> = LazyLock::new(load);
static AWS_MANAGED_CN: LazyLock<AwsManagedPolicies> = LazyLock::new(|| in_partition(Partition::AwsCn));
static AWS_MANAGED_US_GOV: LazyLock<AwsManagedPolicies> = LazyLock::new(|| in_partition(Partition::AwsUsGov));

/// The AWS managed policies as a server of `partition` shows them.
pub fn aws_managed(partition: Partition) -> &'static AwsManagedPolicies {
    match partition {
        Partition::Aws => &AWS_MANAGED,
        Partition::AwsCn => &AWS_MANAGED_CN,
        Partition::AwsUsGov => &AWS_MANAGED_US_GOV,
    }
}

/// The data file's policies (the commercial partition's) moved to `partition`: their ARNs
/// (`arn:aws-cn:iam::aws:policy/ReadOnlyAccess`) and every `arn:aws:` ARN their documents
/// name, as AWS's own copies in those partitions have them (decided, not confirmed policy by
/// policy: the set of policies and their texts are the commercial ones otherwise).
fn in_partition(partition: Partition) -> AwsManagedPolicies {
    let to = format!("\"{}", partition.arn_prefix());
    let mut out = AwsManagedPolicies { listed: AWS_MANAGED.listed.clone(), ..AwsManagedPolicies::default() };
    for (name, p) in &AWS_MANAGED.by_name {
        let arn = p.arn.replacen("arn:aws:", partition.arn_prefix(), 1);
        let document = p.document.replace("\"arn:aws:", &to);
        out.by_arn.insert(arn.clone(), name.clone());
        out.by_name.insert(name.clone(), AwsManagedPolicy { arn, document, ..p.clone() });
    }
    out
}

fn load() -> AwsManagedPolicies {
    let mut out = AwsManagedPolicies::default();
    for line in BufReader::new(GzDecoder::new(DATA)).lines() {
        let Ok(line) = line else {
            tracing::error!("the AWS managed policy data is corrupt");
            break;
        };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else { continue };
        let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or_default().to_owned();
        let p = AwsManagedPolicy {
            name: s("PolicyName"),
            id: s("PolicyId"),
            arn: s("Arn"),
            path: s("Path"),
            default_version: s("DefaultVersionId"),
            is_attachable: v.get("IsAttachable").and_then(serde_json::Value::as_bool).unwrap_or(true),
            created: parse_time(&s("CreateDate")).unwrap_or(0),
            updated: parse_time(&s("UpdateDate")).unwrap_or(0),
            document: v.get("Document").map(ToString::to_string).unwrap_or_default(),
        };
        out.by_arn.insert(p.arn.clone(), p.name.to_lowercase());
        out.listed.push(p.name.to_lowercase());
        out.by_name.insert(p.name.to_lowercase(), p);
    }
    out
}

/// Parses `2015-02-06T18:39:46+00:00` (or `...Z`) into Unix seconds.
fn parse_time(s: &str) -> Option<i64> {
    castellan_api::types::Timestamp::parse_aws(s).map(castellan_api::types::Timestamp::unix_seconds)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn all_1452_policies_load_at_their_real_arns() {
        assert_eq!(AWS_MANAGED.by_name.len(), 1452);
        let admin = AWS_MANAGED.get("arn:aws:iam::aws:policy/AdministratorAccess").unwrap();
        assert_eq!(admin.id, "ANPAIWMBCKSKIEE64ZLYK");
        assert_eq!(admin.default_version, "v1");
        assert_eq!(admin.created, 1_423_247_986);
        let ssm = AWS_MANAGED.get("arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM").unwrap();
        assert_eq!(ssm.path, "/service-role/");
    }

    /// ListPolicies lists AWS managed policies in AWS's order, not by name (the aws CLI's
    /// list-policies example: AdministratorAccess, then PowerUserAccess).
    #[test]
    fn list_order_is_the_data_files() {
        let first: Vec<&str> = AWS_MANAGED.in_list_order().take(3).map(|p| p.name.as_str()).collect();
        assert_eq!(first, ["AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess"]);
        assert_eq!(AWS_MANAGED.in_list_order().count(), 1452);
    }

    /// Enforcement refuses everything to a principal with a policy it cannot compile, so every
    /// AWS managed policy must compile, as an identity policy and as a boundary.
    #[test]
    fn every_aws_managed_policy_compiles() {
        use castellan_policy::{Policy, PolicyKind};
        let failures: Vec<String> = AWS_MANAGED
            .by_name
            .values()
            .filter_map(|p| {
                let e = Policy::parse(&p.document, PolicyKind::Identity)
                    .and_then(|_| Policy::parse(&p.document, PolicyKind::PermissionsBoundary))
                    .err()?;
                Some(format!("{}: {}", p.name, e.message()))
            })
            .collect();
        assert!(failures.is_empty(), "{} fail: {:?}", failures.len(), failures.iter().take(10).collect::<Vec<_>>());
    }
}
