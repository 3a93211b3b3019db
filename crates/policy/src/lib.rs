//! The IAM policy language: parsing, validation and (soon) evaluation.
//!
//! Pure: no I/O, no clock (time is an input), no async, no store.
//!
//! # Phase 1 API
//! - [`Policy::parse`]`(text, kind) -> Result<Policy, PolicyError>` validates a document as
//!   IAM does for a policy of [`PolicyKind`], and keeps the verbatim text
//!   ([`Policy::text`]) beside the compiled [`Statement`]s ([`Policy::statements`]).
//! - [`PolicyError::message`] (also its `Display`) is AWS's MalformedPolicyDocument text.
//! - [`policy_size`] counts the characters IAM counts for its size quotas (whitespace
//!   excluded); the per-kind limits are the domain's business.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

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
pub use eval::{Decision, Evaluation, PolicySet, StatementRef};
pub use model::{
    ActionBlock, ActionMatcher, Effect, PolicyKind, PrincipalBlock, ResourceBlock, ResourceMatcher, Statement, Version,
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
        Ok(Policy { text: text.to_owned(), kind, version, statements })
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
}

/// The size of a document as IAM counts it for its quotas: characters, not counting
/// whitespace.
pub fn policy_size(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}
