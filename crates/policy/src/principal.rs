//! The Principal / NotPrincipal element.

/// The principals a statement names. `"Principal": "*"` and `{"AWS": "*"}` both set
/// `wildcard`-like entries: the former names everyone, the latter every AWS principal
/// (which, as AWS documents, is equivalent for evaluation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrincipalSet {
    pub(crate) everyone: bool,
    pub(crate) aws: Vec<String>,
    pub(crate) service: Vec<String>,
    pub(crate) federated: Vec<String>,
    pub(crate) canonical_user: Vec<String>,
}

impl PrincipalSet {
    /// `"Principal": "*"`.
    pub fn is_everyone(&self) -> bool {
        self.everyone
    }
    /// Values under `"AWS"`.
    pub fn aws(&self) -> &[String] {
        &self.aws
    }
    /// Values under `"Service"`.
    pub fn service(&self) -> &[String] {
        &self.service
    }
    /// Values under `"Federated"`.
    pub fn federated(&self) -> &[String] {
        &self.federated
    }
    /// Values under `"CanonicalUser"`.
    pub fn canonical_user(&self) -> &[String] {
        &self.canonical_user
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn no_wildcards(s: &str) -> bool {
    !s.contains('*') && !s.contains('?')
}

/// A unique id as IAM shows one for a deleted principal (AIDA…, AROA…).
fn is_unique_id(s: &str) -> bool {
    s.len() >= 16
        && s.len() <= 128
        && s.starts_with('A')
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Whether an `"AWS"` principal value is well formed: `*`, an account id, a unique id,
/// or the ARN of an account root, user, role, assumed-role session or federated user.
/// Wildcards other than a lone `*` are refused, as AWS refuses them.
pub(crate) fn valid_aws(value: &str) -> bool {
    if value == "*" || is_account_id(value) || is_unique_id(value) {
        return true;
    }
    if !no_wildcards(value) {
        return false;
    }
    let Some(rest) = value.strip_prefix("arn:") else {
        return false;
    };
    let mut parts = rest.splitn(5, ':');
    let (Some(partition), Some(service), Some(region), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    if partition.is_empty() || !region.is_empty() || !is_account_id(account) {
        return false;
    }
    match service {
        "iam" => {
            resource == "root"
                || resource
                    .strip_prefix("user/")
                    .is_some_and(|n| !n.is_empty())
                || resource
                    .strip_prefix("role/")
                    .is_some_and(|n| !n.is_empty())
        }
        "sts" => {
            resource
                .strip_prefix("assumed-role/")
                .is_some_and(|n| n.split('/').count() >= 2)
                || resource
                    .strip_prefix("federated-user/")
                    .is_some_and(|n| !n.is_empty())
        }
        _ => false,
    }
}

fn is_host(s: &str) -> bool {
    !s.is_empty()
        && s.contains('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && !s.starts_with('.')
        && !s.ends_with('.')
}

/// A service principal is a host name such as `ec2.amazonaws.com`.
pub(crate) fn valid_service(value: &str) -> bool {
    is_host(value)
}

/// A federated principal is an identity provider host (`cognito-identity.amazonaws.com`,
/// `accounts.google.com`, ...) or the ARN of an IAM SAML or OIDC provider.
pub(crate) fn valid_federated(value: &str) -> bool {
    if is_host(value) {
        return true;
    }
    let Some(rest) = value.strip_prefix("arn:") else {
        return false;
    };
    let mut parts = rest.splitn(5, ':');
    let (Some(_), Some("iam"), Some(""), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    is_account_id(account)
        && no_wildcards(resource)
        && (resource
            .strip_prefix("saml-provider/")
            .is_some_and(|n| !n.is_empty())
            || resource
                .strip_prefix("oidc-provider/")
                .is_some_and(|n| !n.is_empty()))
}

/// A canonical user id is 64 hexadecimal digits.
pub(crate) fn valid_canonical(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
}
