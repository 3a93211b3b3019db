//! Does one statement apply to one request? Actions, resources, principals, conditions.

use crate::condition::{BaseOperator, Compiled, Condition, SetQualifier};
use crate::context::{PrincipalType, RequestContext};
use crate::model::{ActionBlock, PrincipalBlock, ResourceBlock, Statement};
use crate::pattern::{arn_glob, glob, resource_arn_glob};
use crate::principal::PrincipalSet;

/// How a Principal element named the caller. Order matters: a stronger match wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Named {
    /// Through the caller's account (an account id or `arn:aws:iam::ID:root`): a
    /// delegation to the account's own policies.
    Account,
    /// Through the role of a role session (`arn:aws:iam::ID:role/R`).
    Role,
    /// The caller itself: its user or session ARN, its unique id, a service or provider
    /// name, everyone (`*`), or everyone but a NotPrincipal's list.
    Directly,
}

pub(crate) fn action_applies(st: &Statement, action: &str) -> bool {
    let service = action.split_once(':').map_or("", |(s, _)| s);
    match &st.action {
        ActionBlock::Action(list) => list.iter().any(|m| m.matches_in(service, action)),
        ActionBlock::NotAction(list) => !list.iter().any(|m| m.matches_in(service, action)),
    }
}

fn resource_matches(m: &crate::model::ResourceMatcher, ctx: &RequestContext) -> bool {
    match m.pattern.resolved(ctx, false) {
        Some(pieces) => resource_arn_glob(&pieces, &ctx.resource),
        None => false,
    }
}

pub(crate) fn resource_applies(st: &Statement, ctx: &RequestContext) -> bool {
    match &st.resource {
        None => true,
        Some(ResourceBlock::Resource(list)) => list.iter().any(|m| resource_matches(m, ctx)),
        Some(ResourceBlock::NotResource(list)) => !list.iter().any(|m| resource_matches(m, ctx)),
    }
}

fn aws_entry(entry: &str, ctx: &RequestContext) -> Option<Named> {
    let p = &ctx.principal;
    if entry == "*" {
        return Some(Named::Directly);
    }
    if !p.kind.is_iam() {
        return None;
    }
    if entry == p.account || root_of(entry).is_some_and(|(partition, account)| account == p.account && partition == partition_of(&p.arn)) {
        // The root user itself is named by its account.
        return Some(if p.kind == PrincipalType::Root {
            Named::Directly
        } else {
            Named::Account
        });
    }
    if entry == p.arn || (!p.id.is_empty() && entry == p.id) {
        return Some(Named::Directly);
    }
    if p.kind == PrincipalType::AssumedRole {
        if p.role_arn.as_deref() == Some(entry) {
            return Some(Named::Role);
        }
        // A role's unique id names its sessions as the role ARN does (AROA… before `:`).
        if let Some((role_id, _)) = p.id.split_once(':') {
            if entry == role_id {
                return Some(Named::Role);
            }
        }
    }
    None
}

/// The partition and account of `arn:PARTITION:iam::ACCOUNT:root`.
fn root_of(entry: &str) -> Option<(&str, &str)> {
    let (partition, rest) = entry.strip_prefix("arn:")?.split_once(':')?;
    Some((partition, rest.strip_prefix("iam::")?.strip_suffix(":root")?))
}

/// The partition an ARN is in (`aws`, `aws-cn`, …): an account's root in one partition does
/// not name a principal of the same account id in another.
fn partition_of(arn: &str) -> &str {
    arn.strip_prefix("arn:").and_then(|r| r.split(':').next()).unwrap_or_default()
}

/// How strongly a Principal element's set names the caller; `None` when it does not.
pub(crate) fn principal_named(set: &PrincipalSet, ctx: &RequestContext) -> Option<Named> {
    if set.everyone {
        return Some(Named::Directly);
    }
    let p = &ctx.principal;
    let mut best = set.aws.iter().filter_map(|e| aws_entry(e, ctx)).max();
    let direct = match p.kind {
        PrincipalType::Service => set.service.iter().any(|s| s.eq_ignore_ascii_case(&p.arn)),
        PrincipalType::WebIdentity | PrincipalType::Saml => set.federated.contains(&p.arn),
        _ => p
            .canonical_user
            .as_ref()
            .is_some_and(|c| set.canonical_user.iter().any(|e| e == c)),
    };
    if direct {
        best = Some(Named::Directly);
    }
    best
}

/// NotPrincipal excludes the caller only when every identity AWS evaluates for it is
/// listed: its own ARN, for a role session also the role, and its account (IAM User Guide,
/// "AWS JSON policy elements: NotPrincipal").
fn not_principal_excludes(set: &PrincipalSet, ctx: &RequestContext) -> bool {
    if set.everyone || set.aws.iter().any(|e| e == "*") {
        return true;
    }
    let p = &ctx.principal;
    let names = |want: Named| set.aws.iter().any(|e| aws_entry(e, ctx) == Some(want));
    match p.kind {
        PrincipalType::Root => names(Named::Directly),
        PrincipalType::User | PrincipalType::FederatedUser => {
            names(Named::Directly) && names(Named::Account)
        }
        PrincipalType::AssumedRole => {
            names(Named::Directly) && names(Named::Role) && names(Named::Account)
        }
        PrincipalType::Service
        | PrincipalType::WebIdentity
        | PrincipalType::Saml
        | PrincipalType::Anonymous => principal_named(set, ctx).is_some(),
    }
}

/// Whether the statement's Principal / NotPrincipal covers the caller, and how. Statements
/// without either element (identity-based kinds) cover everyone the policy is attached to.
/// `has_boundary`: AWS documents that a Deny with NotPrincipal always denies a principal
/// that has a permissions boundary.
pub(crate) fn principal_applies(
    st: &Statement,
    ctx: &RequestContext,
    has_boundary: bool,
) -> Option<Named> {
    match &st.principal {
        None => Some(Named::Directly),
        Some(PrincipalBlock::Principal(set)) => principal_named(set, ctx),
        Some(PrincipalBlock::NotPrincipal(set)) => {
            let boundary_quirk = has_boundary
                && st.effect == crate::model::Effect::Deny
                && ctx.principal.kind.is_iam();
            // Everyone not listed is covered as `"Principal": "*"` covers them, anonymous
            // callers included, so an Allow grants by itself (IAM User Guide, "AWS JSON
            // policy elements: NotPrincipal").
            if !boundary_quirk && not_principal_excludes(set, ctx) {
                None
            } else {
                Some(Named::Directly)
            }
        }
    }
}

pub(crate) fn conditions_hold(st: &Statement, ctx: &RequestContext) -> bool {
    st.conditions.iter().all(|c| condition_holds(c, ctx))
}

/// One condition (an operator and a key with its values), per the IAM User Guide pages
/// "Condition operators" and "Single-valued vs. multivalued context keys".
pub(crate) fn condition_holds(c: &Condition, ctx: &RequestContext) -> bool {
    let op = c.operator;
    let present = ctx.get(&c.key).filter(|v| !v.is_empty());
    if op.base == BaseOperator::Null {
        let absent = present.is_none();
        return c
            .compiled
            .iter()
            .any(|v| matches!(v, Compiled::Bool(b) if *b == absent))
            && !c.compiled.iter().any(|v| matches!(v, Compiled::Invalid));
    }
    // A policy value the operator cannot read makes the condition false whatever the
    // request holds, so a malformed value can never make a statement apply.
    if c.compiled.is_empty() || c.compiled.iter().any(|v| matches!(v, Compiled::Invalid)) {
        return false;
    }
    let negated = op.base.is_negated();
    let Some(values) = present else {
        return match op.qualifier {
            // ForAnyValue over a missing key or an empty set is false, with or without
            // IfExists: no request value can match (IAM User Guide, "Single-valued vs.
            // multivalued context keys"; with IfExists as observed on AWS, re:Post
            // "ForAnyValue:StringEqualsIfExists behaving unexpectedly").
            SetQualifier::ForAnyValue => false,
            _ if op.if_exists => true,
            SetQualifier::ForAllValues => true,
            // A negated operator is true for a missing key: nothing in the request equals
            // the policy's values.
            SetQualifier::None => negated,
        };
    };
    let mut any_hit = false;
    let mut all_hit = true;
    for v in values {
        let Some(hit) = value_hits(c, v, ctx) else {
            return false;
        };
        any_hit |= hit;
        all_hit &= hit;
    }
    match (op.qualifier, negated) {
        (SetQualifier::None, false) | (SetQualifier::ForAnyValue, false) => any_hit,
        (SetQualifier::None, true) => !any_hit,
        (SetQualifier::ForAnyValue, true) => !all_hit,
        (SetQualifier::ForAllValues, false) => all_hit,
        (SetQualifier::ForAllValues, true) => !any_hit,
    }
}

/// Whether request value `v` matches any of the condition's values under the operator's
/// positive form. `None` when `v` is not of the operator's type or a variable has no value.
fn value_hits(c: &Condition, v: &str, ctx: &RequestContext) -> Option<bool> {
    use BaseOperator as B;
    let base = c.operator.base;
    match base {
        B::StringEquals | B::StringNotEquals | B::StringLike | B::StringNotLike => {
            pattern_hits(c, ctx, |pieces| glob(pieces, v, false))
        }
        B::StringEqualsIgnoreCase | B::StringNotEqualsIgnoreCase => {
            pattern_hits(c, ctx, |pieces| glob(pieces, v, true))
        }
        B::ArnEquals | B::ArnLike | B::ArnNotEquals | B::ArnNotLike => {
            pattern_hits(c, ctx, |pieces| arn_glob(pieces, v))
        }
        B::NumericEquals
        | B::NumericNotEquals
        | B::NumericLessThan
        | B::NumericLessThanEquals
        | B::NumericGreaterThan
        | B::NumericGreaterThanEquals => {
            let x = crate::condition::parse_number(v)?;
            Some(c.compiled.iter().any(|p| match p {
                Compiled::Number(n) => compare(base, x.partial_cmp(n)),
                _ => false,
            }))
        }
        B::DateEquals
        | B::DateNotEquals
        | B::DateLessThan
        | B::DateLessThanEquals
        | B::DateGreaterThan
        | B::DateGreaterThanEquals => {
            let x = crate::date::parse(v)?;
            Some(c.compiled.iter().any(|p| match p {
                Compiled::Date(d) => compare(base, Some(x.cmp(d))),
                _ => false,
            }))
        }
        B::Bool => {
            let x = crate::condition::parse_bool(v)?;
            let mut hit = false;
            for p in &c.compiled {
                hit |= match p {
                    Compiled::Bool(b) => *b == x,
                    // A policy variable: its value, once substituted, is read as a boolean.
                    Compiled::Pattern(pat) => {
                        let text = literal_text(&pat.resolved(ctx, false)?)?;
                        crate::condition::parse_bool(&text) == Some(x)
                    }
                    _ => false,
                };
            }
            Some(hit)
        }
        B::BinaryEquals => Some(
            c.compiled
                .iter()
                .any(|p| matches!(p, Compiled::Binary(b) if b == v)),
        ),
        B::IpAddress | B::NotIpAddress => {
            let ip = crate::ip::parse_addr(v)?;
            Some(
                c.compiled
                    .iter()
                    .any(|p| matches!(p, Compiled::Cidr(cidr) if cidr.contains(ip))),
            )
        }
        B::Null => None,
    }
}

fn pattern_hits(
    c: &Condition,
    ctx: &RequestContext,
    test: impl Fn(&[crate::pattern::Piece]) -> bool,
) -> Option<bool> {
    let fold = matches!(
        c.operator.base,
        BaseOperator::StringEqualsIgnoreCase | BaseOperator::StringNotEqualsIgnoreCase
    );
    let mut hit = false;
    for p in &c.compiled {
        let Compiled::Pattern(pat) = p else {
            return None;
        };
        let pieces = pat.resolved(ctx, fold)?;
        hit |= test(&pieces);
    }
    Some(hit)
}

/// The text of resolved pattern pieces that hold no wildcard.
fn literal_text(pieces: &[crate::pattern::Piece]) -> Option<String> {
    pieces
        .iter()
        .map(|p| match p {
            crate::pattern::Piece::Ch(c) => Some(*c),
            _ => None,
        })
        .collect()
}

fn compare(base: BaseOperator, ord: Option<std::cmp::Ordering>) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    use BaseOperator as B;
    let Some(ord) = ord else { return false };
    match base {
        B::NumericEquals | B::NumericNotEquals | B::DateEquals | B::DateNotEquals => ord == Equal,
        B::NumericLessThan | B::DateLessThan => ord == Less,
        B::NumericLessThanEquals | B::DateLessThanEquals => ord != Greater,
        B::NumericGreaterThan | B::DateGreaterThan => ord == Greater,
        B::NumericGreaterThanEquals | B::DateGreaterThanEquals => ord != Less,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::{Policy, PolicyKind, PolicySet, PrincipalType, RequestContext, RequestPrincipal};

    fn allowed(policy: &str, kind: PolicyKind, principal: RequestPrincipal, resource: &str) -> bool {
        let mut set = PolicySet::new();
        set.add("p", Policy::parse(policy, kind).unwrap());
        set.evaluate(&RequestContext::new(principal, "sts:AssumeRole", resource)).is_allowed()
    }

    /// Each AWS account is scoped to one partition (AWS General Reference, "Amazon Resource
    /// Names (ARNs)"): `arn:aws:iam::ID:root` does not name the account `ID` of aws-cn, and a
    /// Resource compares the partition field like any other (`arn:*:` matches every one).
    #[test]
    fn the_partition_is_compared_like_any_other_field() {
        let trust = |who: &str| format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{who}"}},"Action":"sts:AssumeRole"}}]}}"#);
        let cn_user = || RequestPrincipal::new(PrincipalType::User, "arn:aws-cn:iam::123456789012:user/amy", "AIDAAMY", "123456789012");
        let role = "arn:aws-cn:iam::123456789012:role/r";
        // The root user is named by its account, directly.
        let cn_root = || RequestPrincipal::new(PrincipalType::Root, "arn:aws-cn:iam::123456789012:root", "123456789012", "123456789012");
        assert!(allowed(&trust("arn:aws-cn:iam::123456789012:root"), PolicyKind::Trust, cn_root(), role));
        assert!(allowed(&trust("123456789012"), PolicyKind::Trust, cn_root(), role));
        assert!(!allowed(&trust("arn:aws:iam::123456789012:root"), PolicyKind::Trust, cn_root(), role));
        assert!(allowed(&trust("arn:aws-cn:iam::123456789012:user/amy"), PolicyKind::Trust, cn_user(), role));
        assert!(!allowed(&trust("arn:aws:iam::123456789012:user/amy"), PolicyKind::Trust, cn_user(), role));
        let identity = |resource: &str| format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"{resource}"}}]}}"#);
        assert!(allowed(&identity("arn:aws-cn:iam::123456789012:role/*"), PolicyKind::Identity, cn_user(), role));
        assert!(allowed(&identity("arn:*:iam::123456789012:role/*"), PolicyKind::Identity, cn_user(), role));
        assert!(!allowed(&identity("arn:aws:iam::123456789012:role/*"), PolicyKind::Identity, cn_user(), role));
    }

    /// IAM in China refuses a policy naming a commercial resource: MalformedPolicyDocument
    /// `Partition "aws" is not valid for resource "arn:aws:logs:*:*:*".` (aws/chalice#777).
    #[test]
    fn resources_of_another_partition_are_reported() {
        let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":["arn:aws-cn:s3:::b","arn:*:s3:::c","arn:aws:logs:*:*:*"]}]}"#;
        let p = Policy::parse(doc, PolicyKind::Identity).unwrap();
        assert_eq!(p.foreign_partition("aws-cn").unwrap().message(), r#"Partition "aws" is not valid for resource "arn:aws:logs:*:*:*"."#);
        let states = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","NotResource":"arn:aws:states:cn-northwest-1:123456789012:stateMachine:app-*"}]}"#;
        let p = Policy::parse(states, PolicyKind::Identity).unwrap();
        // As quoted in aws/copilot-cli#3844.
        assert_eq!(
            p.foreign_partition("aws-cn").unwrap().message(),
            r#"Partition "aws" is not valid for resource "arn:aws:states:cn-northwest-1:123456789012:stateMachine:app-*"."#
        );
        assert!(p.foreign_partition("aws").is_none());
    }
}
