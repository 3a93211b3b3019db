//! Parsing and validation of policy documents.
//!
//! The checks run in the order the live service runs them, so that a document with several
//! faults gets the same message AWS gives: syntax, version, "legacy parsing", then the
//! element rules, then resource and action formats. The order and the texts are pinned by
//! IAM's own responses recorded in LocalStack's tests/aws/services/iam/*.snapshot.json
//! (cited per case in tests/validation/*.json); where nothing is recorded they follow what
//! moto (moto/iam/policy_validation.py) reproduces from IAM; the per-kind rules (Principal, prohibited Resource, trust actions) follow the
//! IAM User Guide ("IAM JSON policy element reference", "Troubleshoot IAM policies").

use serde_json::{Map, Value};

use crate::condition::{Condition, Operator};
use crate::error::PolicyError;
use crate::model::{
    ActionBlock, ActionMatcher, Effect, PolicyKind, PrincipalBlock, PrincipalRule, ResourceBlock,
    ResourceMatcher, Statement, Version,
};
use crate::principal::{self, PrincipalSet};

const TOP_FIELDS: [&str; 3] = ["Version", "Id", "Statement"];
const STATEMENT_FIELDS: [&str; 9] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];
const PRINCIPAL_TYPES: [&str; 4] = ["AWS", "Service", "Federated", "CanonicalUser"];
const IAM_RESOURCE_PREFIXES: [&str; 13] = [
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
];

type Obj = Map<String, Value>;

/// The partitions whose ARNs IAM accepts in a Resource element.
const PARTITIONS: [&str; 8] = [
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// Parses and validates `text` as a policy of `kind`.
pub(crate) fn parse(
    text: &str,
    kind: PolicyKind,
) -> Result<(Version, Vec<Statement>), PolicyError> {
    let doc: Value = serde_json::from_str(text).map_err(|_| match kind {
        PolicyKind::Trust => PolicyError::trust_invalid_json(),
        _ => PolicyError::syntax(),
    })?;
    let (version, statements) = syntax(&doc).ok_or_else(PolicyError::syntax)?;

    let version = match (version, kind) {
        (Some(Version::V2012_10_17), _) => Version::V2012_10_17,
        // IAM refuses new identity policies in the old language, and a document without
        // Version is the old language.
        (_, PolicyKind::Identity | PolicyKind::PermissionsBoundary) => {
            return Err(PolicyError::version())
        }
        (v, _) => v.unwrap_or(Version::V2008_10_17),
    };

    legacy(&statements)?;
    let resource_error = if kind == PolicyKind::Trust {
        None
    } else {
        resource_formats(&statements)?
    };

    // A trust policy with a Resource and no Principal gets "Has prohibited field Resource"
    // (seen in MalformedPolicyDocument reports from CreateRole), so that check comes first.
    if kind == PolicyKind::Trust {
        for st in &statements {
            for field in ["Resource", "NotResource"] {
                if st.contains_key(field) {
                    return Err(PolicyError::prohibited(field));
                }
            }
        }
    }
    for st in &statements {
        let has_principal = st.contains_key("Principal") || st.contains_key("NotPrincipal");
        match kind.principal_rule() {
            PrincipalRule::Forbidden if has_principal => {
                return Err(PolicyError::principal_forbidden())
            }
            PrincipalRule::Required if !has_principal => {
                return Err(PolicyError::principal_missing())
            }
            PrincipalRule::Forbidden | PrincipalRule::Required => {}
        }
    }

    sids(&statements, kind)?;
    for st in &statements {
        if !non_empty(st, "Action") && !non_empty(st, "NotAction") {
            return Err(PolicyError::no_actions());
        }
    }
    if let Some(message) = resource_error {
        return Err(PolicyError::new(message));
    }
    // IAM checks for resources before the action formats: `{"Effect":"Allow","Action":"invalid"}`
    // gets "Policy statement must contain resources." (recorded from IAM CreatePolicy in
    // LocalStack's tests/aws/services/iam/test_iam_policies.snapshot.json,
    // test_create_policy_invalid_document[invalid-29]; moto gives the vendor message).
    if kind != PolicyKind::Trust {
        for st in &statements {
            if !non_empty(st, "Resource") && !non_empty(st, "NotResource") {
                return Err(PolicyError::no_resources());
            }
        }
    }
    for field in ["Action", "NotAction"] {
        for st in &statements {
            for action in strings(st.get(field)) {
                action_prefix(action)?;
            }
        }
    }
    if kind == PolicyKind::Trust {
        for st in &statements {
            for action in strings(st.get("Action")) {
                if !trust_action(action) {
                    return Err(PolicyError::trust_actions());
                }
            }
        }
    }
    for st in &statements {
        for field in ["Principal", "NotPrincipal"] {
            if let Some(p) = st.get(field) {
                principal_values(p)?;
            }
        }
    }

    let compiled = statements.iter().map(|st| compile(st, version)).collect();
    Ok((version, compiled))
}

/// The syntax pass: shapes and types. `None` means "Syntax errors in policy."
fn syntax(doc: &Value) -> Option<(Option<Version>, Vec<&Obj>)> {
    let doc = doc.as_object()?;
    if !doc.keys().all(|k| TOP_FIELDS.contains(&k.as_str())) {
        return None;
    }
    let version = match doc.get("Version") {
        None => None,
        Some(Value::String(v)) if v == "2012-10-17" => Some(Version::V2012_10_17),
        Some(Value::String(v)) if v == "2008-10-17" => Some(Version::V2008_10_17),
        Some(_) => return None,
    };
    if let Some(id) = doc.get("Id") {
        id.as_str()?;
    }
    let statements: Vec<&Obj> = match doc.get("Statement")? {
        Value::Object(o) => vec![o],
        Value::Array(items) => items.iter().map(Value::as_object).collect::<Option<_>>()?,
        _ => return None,
    };
    if statements.is_empty() {
        return None;
    }
    for st in &statements {
        statement_syntax(st)?;
    }
    Some((version, statements))
}

fn statement_syntax(st: &Obj) -> Option<()> {
    if !st.keys().all(|k| STATEMENT_FIELDS.contains(&k.as_str())) {
        return None;
    }
    for (a, b) in [
        ("Resource", "NotResource"),
        ("Action", "NotAction"),
        ("Principal", "NotPrincipal"),
    ] {
        if st.contains_key(a) && st.contains_key(b) {
            return None;
        }
    }
    let effect = st.get("Effect")?.as_str()?;
    if !effect.eq_ignore_ascii_case("allow") && !effect.eq_ignore_ascii_case("deny") {
        return None;
    }
    for field in ["Action", "NotAction", "Resource", "NotResource"] {
        if let Some(v) = st.get(field) {
            string_or_strings(v)?;
        }
    }
    if let Some(sid) = st.get("Sid") {
        sid.as_str()?;
    }
    for field in ["Principal", "NotPrincipal"] {
        if let Some(p) = st.get(field) {
            match p {
                Value::String(_) => {}
                Value::Object(map) => {
                    if map.is_empty() {
                        return None;
                    }
                    for (k, v) in map {
                        if !PRINCIPAL_TYPES.contains(&k.as_str()) {
                            return None;
                        }
                        string_or_strings(v)?;
                    }
                }
                _ => return None,
            }
        }
    }
    if let Some(c) = st.get("Condition") {
        for (op, block) in c.as_object()? {
            let block = block.as_object()?;
            for v in block.values() {
                condition_values(v)?;
            }
            if Operator::parse(op).is_none() && !block.is_empty() {
                return None;
            }
        }
    }
    Some(())
}

fn string_or_strings(v: &Value) -> Option<()> {
    match v {
        Value::String(_) => Some(()),
        Value::Array(items) => items.iter().all(Value::is_string).then_some(()),
        _ => None,
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// A condition key's values: a string, number or boolean, or an array of them.
fn condition_values(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::Array(items) => items.iter().map(scalar).collect(),
        other => scalar(other).map(|s| vec![s]),
    }
}

/// The strings of an Action/Resource-like element (empty when absent).
fn strings(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn non_empty(st: &Obj, field: &str) -> bool {
    match st.get(field) {
        Some(Value::Array(items)) => !items.is_empty(),
        Some(_) => true,
        None => false,
    }
}

/// IAM's second, stricter parser: case-sensitive Effect and well-formed dates.
fn legacy(statements: &[&Obj]) -> Result<(), PolicyError> {
    for st in statements {
        match st.get("Effect").and_then(Value::as_str) {
            Some("Allow" | "Deny") => {}
            _ => return Err(PolicyError::legacy()),
        }
        if let Some(Value::Object(conds)) = st.get("Condition") {
            for (op, block) in conds {
                let is_date =
                    Operator::parse(op).is_some_and(|o| o.base.name().starts_with("Date"));
                if !is_date {
                    continue;
                }
                for v in block.as_object().into_iter().flat_map(|b| b.values()) {
                    for value in condition_values(v).unwrap_or_default() {
                        if crate::date::parse(&value).is_none() {
                            return Err(PolicyError::legacy());
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// Checks Resource then NotResource of every statement. Returns the format error to report
/// later (the last one found, as IAM reports it), or fails at once on a resource the legacy
/// parser refuses.
fn resource_formats(statements: &[&Obj]) -> Result<Option<String>, PolicyError> {
    let mut error: Option<String> = None;
    for field in ["Resource", "NotResource"] {
        for st in statements {
            let Some(v) = st.get(field) else { continue };
            let mut values = strings(Some(v));
            if v.is_array() {
                values.sort_unstable_by(|a, b| b.cmp(a));
            }
            for r in &values {
                if let Some(e) = resource_format(r) {
                    error = Some(e);
                }
            }
            if error.is_none() && !values.iter().all(|r| legacy_resource(r)) {
                return Err(PolicyError::legacy());
            }
        }
    }
    Ok(error)
}

fn resource_format(r: &str) -> Option<String> {
    if r == "*" {
        return None;
    }
    let Some((_, rest)) = r.split_once(':') else {
        return Some(format!("Resource {r} must be in ARN format or \"*\"."));
    };
    let (partition, after, qualified) = match rest.split_once(':') {
        Some((p, a)) => (p, a, true),
        None => (rest, "", false),
    };
    if partition != "*" && !PARTITIONS.contains(&partition) {
        return Some(partition_error(partition, after));
    }
    if !qualified {
        return Some(
            "Resource vendor must be fully qualified and cannot contain regexes.".to_owned(),
        );
    }
    let (service, after_service) = after.split_once(':').unwrap_or((after, ""));
    let region_present = !after_service.starts_with(':');
    let after_region = after_service.split_once(':').map_or("", |(_, a)| a);
    let (account, path) = after_region.split_once(':').unwrap_or((after_region, ""));
    if service == "iam" && region_present {
        return Some(format!(
            "IAM resource {r} cannot contain region information."
        ));
    }
    // Buckets and objects have neither region nor account; the S3 Control resources
    // (access points, access grants, batch jobs, Storage Lens) have both, as AWS managed
    // policies such as SageMakerStudioProjectRoleMachineLearningPolicy show.
    if service == "s3" && region_present && account.is_empty() && !path.starts_with("accesspoint/")
    {
        return Some(format!("Resource {r} can not contain region information."));
    }
    // A path that starts with a wildcard may match any of them (the AWS managed policy
    // CloudFrontFullAccess has `arn:aws:iam::*:*`).
    let wild = path.starts_with(['*', '?']);
    if service == "iam"
        && path != "root"
        && !wild
        && !IAM_RESOURCE_PREFIXES.iter().any(|p| path.starts_with(p))
    {
        // The current text (LocalStack's snapshot of IAM; moto has an older one without "root").
        return Some(format!(
            "IAM resource path must either be \"*\", root, or start with {}.",
            IAM_RESOURCE_PREFIXES.join(", ")
        ));
    }
    None
}

/// The message for a resource `arn:PARTITION:AFTER` whose partition is not accepted.
fn partition_error(partition: &str, after: &str) -> String {
    let parts: Vec<&str> = after.split(':').collect();
    let first = parts.first().copied().unwrap_or("");
    let arn1 = if !first.is_empty() || parts.len() > 1 {
        first
    } else {
        "*"
    };
    let arn2 = parts.get(1).copied().unwrap_or("*");
    let arn3 = parts.get(2).copied().unwrap_or("*");
    let arn4 = if parts.len() > 3 {
        parts.get(3..).map(|p| p.join(":")).unwrap_or_default()
    } else {
        "*".to_owned()
    };
    format!(
        "Partition \"{partition}\" is not valid for resource \"arn:{partition}:{arn1}:{arn2}:{arn3}:{arn4}\"."
    )
}

/// The error for a resource of a known partition other than `partition` (a wildcard or a
/// variable in the partition field matches any, and is accepted).
pub(crate) fn other_partition(r: &str, partition: &str) -> Option<String> {
    let rest = r.strip_prefix("arn:")?;
    let (p, after) = rest.split_once(':')?;
    (p != partition && PARTITIONS.contains(&p)).then(|| partition_error(p, after))
}

fn legacy_resource(r: &str) -> bool {
    if r == "*" {
        return true;
    }
    let colons = r.matches(':').count();
    (colons >= 5 || !r.contains("::")) && r.split(':').nth(2).is_some_and(|v| !v.is_empty())
}

fn sids(statements: &[&Obj], kind: PolicyKind) -> Result<(), PolicyError> {
    let mut seen = std::collections::HashSet::new();
    for st in statements {
        if let Some(sid) = st.get("Sid").and_then(Value::as_str) {
            if !sid.is_empty() && !seen.insert(sid) {
                return Err(PolicyError::sid_unique());
            }
        }
    }
    if matches!(
        kind,
        PolicyKind::Identity | PolicyKind::PermissionsBoundary | PolicyKind::Trust
    ) {
        for st in statements {
            if let Some(sid) = st.get("Sid").and_then(Value::as_str) {
                if !sid.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(PolicyError::sid_alnum());
                }
            }
        }
    }
    Ok(())
}

fn action_prefix(action: &str) -> Result<(), PolicyError> {
    let parts: Vec<&str> = action.split(':').collect();
    let vendor = parts.first().copied().unwrap_or("");
    if parts.len() == 1 && vendor != "*" {
        return Err(PolicyError::no_vendor());
    }
    if parts.len() > 2 {
        return Err(PolicyError::one_colon());
    }
    if vendor != "*"
        && !vendor
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return Err(PolicyError::vendor(vendor));
    }
    Ok(())
}

/// The actions a trust policy may name: the STS actions (LocalStack's IAM trust policy
/// validator, which is snapshot-tested against IAM; STS API reference for SetContext).
const TRUST_ACTIONS: [&str; 12] = [
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
    "sts:decodeauthorizationmessage",
    "sts:getaccesskeyinfo",
    "sts:getcalleridentity",
    "sts:getfederationtoken",
    "sts:getservicebearertoken",
    "sts:getsessiontoken",
    "sts:setsourceidentity",
    "sts:tagsession",
    "sts:setcontext",
];

fn trust_action(action: &str) -> bool {
    let m = ActionMatcher::new(action);
    TRUST_ACTIONS.iter().any(|a| m.matches(a))
}

fn principal_values(p: &Value) -> Result<(), PolicyError> {
    match p {
        Value::String(s) if s == "*" => Ok(()),
        Value::String(s) => Err(PolicyError::new(format!(
            "Invalid principal in policy: \"{s}\""
        ))),
        Value::Object(map) => {
            for (k, v) in map {
                let valid: fn(&str) -> bool = match k.as_str() {
                    "AWS" => principal::valid_aws,
                    "Service" => principal::valid_service,
                    "Federated" => principal::valid_federated,
                    _ => principal::valid_canonical,
                };
                for value in strings(Some(v)) {
                    if !valid(value) {
                        return Err(PolicyError::invalid_principal(k, value));
                    }
                }
            }
            Ok(())
        }
        _ => Err(PolicyError::syntax()),
    }
}

fn principal_set(p: &Value) -> PrincipalSet {
    let mut set = PrincipalSet::default();
    match p {
        Value::String(s) if s == "*" => set.everyone = true,
        Value::Object(map) => {
            for (k, v) in map {
                let values = strings(Some(v)).into_iter().map(str::to_owned);
                match k.as_str() {
                    "AWS" => set.aws.extend(values),
                    "Service" => set.service.extend(values),
                    "Federated" => set.federated.extend(values),
                    _ => set.canonical_user.extend(values),
                }
            }
        }
        _ => {}
    }
    set
}

fn compile(st: &Obj, version: Version) -> Statement {
    let effect = match st.get("Effect").and_then(Value::as_str) {
        Some("Deny") => Effect::Deny,
        _ => Effect::Allow,
    };
    let actions = |f: &str| {
        strings(st.get(f))
            .into_iter()
            .map(ActionMatcher::new)
            .collect::<Vec<_>>()
    };
    let action = if st.contains_key("NotAction") {
        ActionBlock::NotAction(actions("NotAction"))
    } else {
        ActionBlock::Action(actions("Action"))
    };
    let resources = |f: &str| {
        strings(st.get(f))
            .into_iter()
            .map(|r| ResourceMatcher::new(r, version))
            .collect::<Vec<_>>()
    };
    let resource = if st.contains_key("NotResource") {
        Some(ResourceBlock::NotResource(resources("NotResource")))
    } else if st.contains_key("Resource") {
        Some(ResourceBlock::Resource(resources("Resource")))
    } else {
        None
    };
    let principal = if let Some(p) = st.get("NotPrincipal") {
        Some(PrincipalBlock::NotPrincipal(principal_set(p)))
    } else {
        st.get("Principal")
            .map(|p| PrincipalBlock::Principal(principal_set(p)))
    };
    let variables = version == Version::V2012_10_17;
    let mut conditions = Vec::new();
    if let Some(Value::Object(conds)) = st.get("Condition") {
        for (op, block) in conds {
            let Some(operator) = Operator::parse(op) else {
                continue;
            };
            for (key, v) in block.as_object().into_iter().flatten() {
                let values = condition_values(v).unwrap_or_default();
                conditions.push(Condition::new(operator, key, values, variables));
            }
        }
    }
    Statement {
        sid: st.get("Sid").and_then(Value::as_str).map(str::to_owned),
        effect,
        action,
        resource,
        principal,
        conditions,
    }
}
