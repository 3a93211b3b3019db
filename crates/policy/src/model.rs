//! The compiled form of a policy document.

use crate::condition::Condition;
use crate::pattern::{Pattern, Syntax};
use crate::principal::PrincipalSet;

/// Where a policy is attached; decides which elements it must, may and must not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// A managed or inline policy of a user, group or role.
    Identity,
    /// A resource-based policy (for example a bucket or key policy).
    Resource,
    /// A role's trust policy (AssumeRolePolicyDocument).
    Trust,
    /// A managed policy used as a permissions boundary.
    PermissionsBoundary,
    /// A session policy passed to AssumeRole*, GetFederationToken.
    Session,
    /// An AWS Organizations service control policy.
    ServiceControl,
    /// An AWS Organizations resource control policy.
    ResourceControl,
}

impl PolicyKind {
    /// The phrase AWS uses for this kind in AccessDenied messages
    /// ("no identity-based policy allows ...").
    pub fn phrase(self) -> &'static str {
        match self {
            PolicyKind::Identity => "identity-based policy",
            PolicyKind::Resource => "resource-based policy",
            PolicyKind::Trust => "resource-based policy",
            PolicyKind::PermissionsBoundary => "permissions boundary",
            PolicyKind::Session => "session policy",
            PolicyKind::ServiceControl => "service control policy",
            PolicyKind::ResourceControl => "resource control policy",
        }
    }

    pub(crate) fn principal_rule(self) -> PrincipalRule {
        match self {
            PolicyKind::Identity
            | PolicyKind::PermissionsBoundary
            | PolicyKind::Session
            | PolicyKind::ServiceControl => PrincipalRule::Forbidden,
            PolicyKind::Resource | PolicyKind::Trust | PolicyKind::ResourceControl => {
                PrincipalRule::Required
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PrincipalRule {
    Forbidden,
    Required,
}

/// The policy language version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// The original language; also what a document without `Version` means. Policy
    /// variables are plain text.
    V2008_10_17,
    /// The current language: policy variables are substituted.
    V2012_10_17,
}

impl Version {
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V2008_10_17 => "2008-10-17",
            Version::V2012_10_17 => "2012-10-17",
        }
    }
}

/// Allow or Deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    Allow,
    Deny,
}

/// One entry of Action / NotAction, matched case-insensitively with `*` and `?`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionMatcher {
    pub(crate) text: String,
    pub(crate) pattern: Pattern,
    /// The lowercased service prefix when it has no wildcard; `None` for `*`.
    pub(crate) service: Option<String>,
}

impl ActionMatcher {
    pub(crate) fn new(text: &str) -> ActionMatcher {
        let pattern = Pattern::compile(
            text,
            Syntax {
                wildcards: true,
                variables: false,
                fold: true,
            },
        );
        let service = text
            .split_once(':')
            .map(|(s, _)| s.to_ascii_lowercase())
            .filter(|s| !s.contains('*') && !s.contains('?'));
        ActionMatcher {
            text: text.to_owned(),
            pattern,
            service,
        }
    }

    /// The entry as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether `action` (for example `iam:CreateUser`) matches, ignoring case.
    pub fn matches(&self, action: &str) -> bool {
        self.matches_in(action.split_once(':').map_or("", |(s, _)| s), action)
    }

    /// As `matches`, with the action's service prefix already split off.
    pub(crate) fn matches_in(&self, action_service: &str, action: &str) -> bool {
        // Most entries name one service: compare that first, before any wildcard work.
        if let Some(service) = &self.service {
            if !action_service.eq_ignore_ascii_case(service) {
                return false;
            }
        }
        crate::pattern::glob(self.pattern.pieces(), action, true)
    }
}

/// One entry of Resource / NotResource: an ARN pattern with wildcards and, under
/// 2012-10-17, policy variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceMatcher {
    pub(crate) text: String,
    pub(crate) pattern: Pattern,
}

impl ResourceMatcher {
    pub(crate) fn new(text: &str, version: Version) -> ResourceMatcher {
        let variables = version == Version::V2012_10_17;
        let pattern = Pattern::compile(
            text,
            Syntax {
                wildcards: true,
                variables,
                fold: false,
            },
        );
        ResourceMatcher {
            text: text.to_owned(),
            pattern,
        }
    }

    /// The entry as written.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// Action or NotAction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionBlock {
    Action(Vec<ActionMatcher>),
    NotAction(Vec<ActionMatcher>),
}

/// Resource or NotResource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceBlock {
    Resource(Vec<ResourceMatcher>),
    NotResource(Vec<ResourceMatcher>),
}

/// Principal or NotPrincipal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalBlock {
    Principal(PrincipalSet),
    NotPrincipal(PrincipalSet),
}

/// One compiled statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub(crate) sid: Option<String>,
    pub(crate) effect: Effect,
    pub(crate) action: ActionBlock,
    /// `None` only in trust policies, which have no Resource element.
    pub(crate) resource: Option<ResourceBlock>,
    pub(crate) principal: Option<PrincipalBlock>,
    pub(crate) conditions: Vec<Condition>,
}

impl Statement {
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }
    pub fn effect(&self) -> Effect {
        self.effect
    }
    pub fn action(&self) -> &ActionBlock {
        &self.action
    }
    /// `None` in a trust policy (whose resource is the role itself).
    pub fn resource(&self) -> Option<&ResourceBlock> {
        self.resource.as_ref()
    }
    pub fn principal(&self) -> Option<&PrincipalBlock> {
        self.principal.as_ref()
    }
    /// The conditions, one per (operator, key); all must hold.
    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }
}
