//! The one error type of the parser.

use std::fmt;

/// Why a policy document was refused. `message()` is the text AWS puts in its
/// `MalformedPolicyDocument` error, so the server can return it unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    message: String,
}

impl PolicyError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        PolicyError {
            message: message.into(),
        }
    }

    /// AWS's message text for this error.
    pub fn message(&self) -> &str {
        &self.message
    }

    // The texts below are AWS's. syntax, version, legacy, sid_unique, no_actions,
    // no_resources, no_vendor, one_colon and vendor (and the resource texts built in
    // parse.rs) are in IAM's recorded CreatePolicy responses: LocalStack
    // tests/aws/services/iam/test_iam_policies.snapshot.json,
    // test_create_policy_invalid_document[invalid-N], cited per case in tests/validation.
    // The others say where they come from, or follow what moto reproduces from IAM.

    pub(crate) fn syntax() -> Self {
        Self::new("Syntax errors in policy.")
    }

    pub(crate) fn version() -> Self {
        Self::new("Policy document must be version 2012-10-17 or greater.")
    }

    pub(crate) fn legacy() -> Self {
        Self::new("The policy failed legacy parsing")
    }

    pub(crate) fn sid_unique() -> Self {
        Self::new("Statement IDs (SID) in a single policy must be unique.")
    }

    /// IAM's text for a Sid that is not alphanumeric (seen from CreatePolicy and
    /// PutUserPolicy; the IAM User Guide, "IAM JSON policy elements: Sid", states the rule).
    pub(crate) fn sid_alnum() -> Self {
        Self::new(
            "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
        )
    }

    pub(crate) fn no_actions() -> Self {
        Self::new("Policy statement must contain actions.")
    }

    pub(crate) fn no_resources() -> Self {
        Self::new("Policy statement must contain resources.")
    }

    pub(crate) fn principal_forbidden() -> Self {
        Self::new("Policy document should not specify a principal.")
    }

    pub(crate) fn principal_missing() -> Self {
        Self::new("Missing required field Principal")
    }

    pub(crate) fn prohibited(field: &str) -> Self {
        Self::new(format!("Has prohibited field {field}"))
    }

    /// IAM's text when a trust policy names a non-STS action: recorded from AWS
    /// (UpdateAssumeRolePolicy, February 2026) in LocalStack's
    /// tests/aws/services/iam/test_iam_roles.snapshot.json, "invalid-action-error". (The older
    /// "Trust Policy statement actions can only be sts:AssumeRole, ..." is moto's.)
    pub(crate) fn trust_actions() -> Self {
        Self::new("AssumeRole policy may only specify STS AssumeRole actions.")
    }

    /// IAM's text for a trust policy that is not JSON at all: same source,
    /// "invalid-json-error". (An identity policy that is not JSON gets `syntax()`.)
    pub(crate) fn trust_invalid_json() -> Self {
        Self::new("This policy contains invalid Json")
    }

    pub(crate) fn invalid_principal(kind: &str, value: &str) -> Self {
        Self::new(format!(
            "Invalid principal in policy: \"{kind}\":\"{value}\""
        ))
    }

    pub(crate) fn no_vendor() -> Self {
        Self::new("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
    }

    pub(crate) fn one_colon() -> Self {
        Self::new("Actions/Condition can contain only one colon.")
    }

    pub(crate) fn vendor(vendor: &str) -> Self {
        Self::new(format!("Vendor {vendor} is not valid"))
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PolicyError {}
