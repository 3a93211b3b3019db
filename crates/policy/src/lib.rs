//! The IAM policy language: parsing, validation and evaluation, as AWS does them.
//!
//! Pure: no I/O, no clock (time is an input), no async, no store. The evaluator never
//! parses: a [`PolicySet`] is compiled and indexed once, then decides any number of
//! requests.
//!
//! # Parsing and validation
//! - [`Policy::parse`]`(text, kind) -> Result<Policy, PolicyError>` validates a document as
//!   IAM does for a policy of [`PolicyKind`] (`Identity`, `Resource`, `Trust`,
//!   `PermissionsBoundary`, `Session`, `ServiceControl`, `ResourceControl`), and keeps the
//!   verbatim text ([`Policy::text`]) beside the compiled [`Statement`]s
//!   ([`Policy::statements`], [`Policy::version`], [`Policy::kind`]).
//! - [`PolicyError::message`] (also its `Display`) is AWS's MalformedPolicyDocument text:
//!   "Syntax errors in policy.", "Policy document must be version 2012-10-17 or greater.",
//!   "The policy failed legacy parsing", "Policy statement must contain actions.",
//!   "Policy document should not specify a principal.", "Missing required field Principal",
//!   "Has prohibited field Resource", `Invalid principal in policy: "AWS":"..."`, ... The
//!   checks run in IAM's order, so a document with several faults gets IAM's message.
//! - [`policy_size`] counts the characters IAM counts for its size quotas (whitespace
//!   excluded); the per-kind limits are the domain's business.
//!
//! # Evaluation
//! - [`RequestContext::new`]`(RequestPrincipal, action, resource)` plus
//!   [`RequestContext::with_resource_account`], [`RequestContext::with_time`] and
//!   [`RequestContext::set`] for every other condition key. The keys AWS derives from the
//!   principal (aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType, aws:userid,
//!   aws:username, aws:PrincipalTag/*, aws:PrincipalIsAWSService) are filled in.
//! - [`PolicySet::add`]`(id, policy)` files a policy by its kind (a Trust policy is the
//!   role's resource-based policy); [`PolicySet::add_at_level`] files an SCP at its level
//!   of the organization; [`PolicySet::with_session`] marks a session whose
//!   session policies are those added, possibly none.
//! - [`PolicySet::evaluate`]`(&ctx) -> Evaluation` gives the [`Decision`] (`Allow`,
//!   `ExplicitDeny`, `ImplicitDeny`), the deciding statements ([`StatementRef`]: policy id,
//!   kind, Sid, index) and the kind of policy that denied or failed to allow;
//!   [`Evaluation::access_denied_message`] writes AWS's AccessDenied text from them.
//! - [`RequestContext::from_json`] and [`PolicySet::from_json`] read the JSON shapes the
//!   test data (tests/evaluation/*.json) uses, [`Evaluation::to_json`] writes the answer,
//!   and [`evaluate_json`]`(policies, request)` does all three, for a command-line front end.
//!
//! The logic follows the IAM User Guide's "Policy evaluation logic" pages: an explicit deny
//! anywhere wins; RCPs and SCPs, when supplied, must allow; in one account either the
//! identity side (identity-based policies within the boundary and the session policies) or
//! a resource-based policy may allow, a resource-based policy that names the user or the
//! session itself overriding implicit denies, one that names a role still limited by the
//! boundary and session policies, and one that names the account delegating to the
//! identity side; across accounts both sides must allow; a role's trust policy must always
//! allow.

#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod condition;
mod context;
mod date;
mod error;
mod eval;
mod ip;
mod matching;
mod model;
mod parse;
mod pattern;
mod principal;

pub use condition::{BaseOperator, Condition, Operator, SetQualifier};
pub use context::{PrincipalType, RequestContext, RequestPrincipal};
pub use error::PolicyError;
pub use eval::{evaluate_json, Decision, Evaluation, PolicySet, StatementRef};
pub use model::{
    ActionBlock, ActionMatcher, Effect, PolicyKind, PrincipalBlock, ResourceBlock, ResourceMatcher,
    Statement, Version,
};
pub use principal::PrincipalSet;

/// A validated policy: the document as written and its compiled form.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    text: String,
    kind: PolicyKind,
    version: Version,
    statements: Vec<Statement>,
}

impl Policy {
    /// Parses and validates `text` as a policy of `kind`.
    pub fn parse(text: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        let (version, statements) = parse::parse(text, kind)?;
        Ok(Policy {
            text: text.to_owned(),
            kind,
            version,
            statements,
        })
    }

    /// The document exactly as it was given.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// The statements, in document order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// The language version (a document without `Version` is 2008-10-17).
    pub fn version(&self) -> Version {
        self.version
    }

    /// Every value under `"AWS"` in the Principal and NotPrincipal elements, in order.
    pub fn aws_principals(&self) -> impl Iterator<Item = &str> {
        self.statements
            .iter()
            .filter_map(|s| s.principal.as_ref())
            .flat_map(|b| match b {
                PrincipalBlock::Principal(set) | PrincipalBlock::NotPrincipal(set) => {
                    set.aws.iter().map(String::as_str)
                }
            })
    }

    /// The policy with every `"AWS"` principal value replaced by `map(value)`; the text stays
    /// as written. IAM stores the users and roles a policy names as their unique ids and
    /// matches those (IAM User Guide, "Unique identifiers"): the domain uses this to evaluate a
    /// stored policy with the ids it resolved when the policy was saved.
    #[must_use]
    pub fn with_aws_principals(mut self, mut map: impl FnMut(&str) -> String) -> Policy {
        for st in &mut self.statements {
            if let Some(PrincipalBlock::Principal(set) | PrincipalBlock::NotPrincipal(set)) =
                &mut st.principal
            {
                for value in &mut set.aws {
                    *value = map(value);
                }
            }
        }
        self
    }

    /// AWS's error for the first Resource or NotResource ARN of a known partition other than
    /// `partition` (the one of the IAM it is given to): each partition's IAM refuses the
    /// others' ARNs, `Partition "aws" is not valid for resource "arn:aws:logs:*:*:*".` (the
    /// MalformedPolicyDocument answered in the China Regions: aws/chalice#777,
    /// kubernetes-sigs/aws-load-balancer-controller#1557, terraform-aws-modules/terraform-aws-iam#39).
    pub fn foreign_partition(&self, partition: &str) -> Option<PolicyError> {
        self.statements
            .iter()
            .filter_map(|s| s.resource.as_ref())
            .flat_map(|b| match b {
                ResourceBlock::Resource(list) | ResourceBlock::NotResource(list) => list.iter(),
            })
            .find_map(|m| parse::other_partition(m.text(), partition))
            .map(PolicyError::new)
    }
}

/// Does `text` match `pattern` as IAM matches wildcards (`*` any run, `?` one character),
/// optionally ignoring case? The matcher every policy element uses: it backtracks only to the
/// last `*`, so no pattern makes it exponential.
pub fn wildcard_match(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let compiled = pattern::Pattern::compile(
        pattern,
        pattern::Syntax {
            wildcards: true,
            variables: false,
            fold: ignore_case,
        },
    );
    pattern::glob(compiled.pieces(), text, ignore_case)
}

/// The size of a document as IAM counts it for its quotas: characters, not counting
/// whitespace.
pub fn policy_size(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

#[cfg(test)]
mod tests {
    #[test]
    fn wildcard_match_is_bounded_and_folds_case() {
        assert!(super::wildcard_match("S3*", "s3-object-lambda", true));
        assert!(!super::wildcard_match("S3*", "s3-object-lambda", false));
        assert!(super::wildcard_match("e?2", "ec2", false));
        // A pattern of many stars against a long text that never matches answers at once
        // (a recursive matcher takes exponential time here).
        let pattern = format!("{}x", "*".repeat(120));
        assert!(!super::wildcard_match(&pattern, &"a".repeat(128), true));
    }
}
