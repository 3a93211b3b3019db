//! The request context: who asks, for what, on what, and every condition key's values.

use std::collections::HashMap;

use crate::pattern::Resolve;

/// What kind of principal makes the request (aws:PrincipalType and how Principal elements
/// match it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalType {
    /// The account's root user (`arn:aws:iam::ID:root`).
    Root,
    /// An IAM user.
    User,
    /// A role session (`arn:aws:sts::ID:assumed-role/ROLE/SESSION`).
    AssumedRole,
    /// A federated user session from GetFederationToken.
    FederatedUser,
    /// An AWS service principal (`ec2.amazonaws.com`).
    Service,
    /// A web identity (OIDC) caller of AssumeRoleWithWebIdentity; `arn` is the provider.
    WebIdentity,
    /// A SAML caller of AssumeRoleWithSAML; `arn` is the SAML provider ARN.
    Saml,
    /// An unauthenticated caller.
    Anonymous,
}

impl PrincipalType {
    /// The value of aws:PrincipalType.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::Root => "Account",
            PrincipalType::User => "User",
            PrincipalType::AssumedRole => "AssumedRole",
            PrincipalType::FederatedUser => "FederatedUser",
            PrincipalType::Service => "Service",
            PrincipalType::WebIdentity => "WebIdentityUser",
            PrincipalType::Saml => "SAMLUser",
            PrincipalType::Anonymous => "Anonymous",
        }
    }

    /// Whether the principal belongs to an AWS account and so has identity-based policies.
    pub fn is_iam(self) -> bool {
        matches!(
            self,
            PrincipalType::Root
                | PrincipalType::User
                | PrincipalType::AssumedRole
                | PrincipalType::FederatedUser
        )
    }

    fn parse(s: &str) -> Option<PrincipalType> {
        Some(match s {
            "Root" | "Account" => PrincipalType::Root,
            "User" => PrincipalType::User,
            "AssumedRole" => PrincipalType::AssumedRole,
            "FederatedUser" => PrincipalType::FederatedUser,
            "Service" => PrincipalType::Service,
            "WebIdentity" | "WebIdentityUser" => PrincipalType::WebIdentity,
            "SAML" | "Saml" | "SAMLUser" => PrincipalType::Saml,
            "Anonymous" => PrincipalType::Anonymous,
            _ => return None,
        })
    }
}

/// The principal making the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPrincipal {
    pub kind: PrincipalType,
    /// The principal's ARN (a session ARN for role sessions); for a service its name, for a
    /// web identity or SAML caller the provider.
    pub arn: String,
    /// The unique id (aws:userid): `AIDA…` for a user, `AROA…:session` for a role session,
    /// the account id for root.
    pub id: String,
    /// The account the principal belongs to (empty for services and anonymous callers).
    pub account: String,
    /// For a role session: the role's ARN, path included.
    pub role_arn: Option<String>,
    /// For a user: the user name (aws:username).
    pub name: Option<String>,
    /// Principal tags (aws:PrincipalTag/KEY).
    pub tags: Vec<(String, String)>,
    /// For S3-style canonical user matching.
    pub canonical_user: Option<String>,
}

impl RequestPrincipal {
    /// A principal of `kind` with `arn`, `id` and `account`.
    pub fn new(
        kind: PrincipalType,
        arn: impl Into<String>,
        id: impl Into<String>,
        account: impl Into<String>,
    ) -> Self {
        RequestPrincipal {
            kind,
            arn: arn.into(),
            id: id.into(),
            account: account.into(),
            role_arn: None,
            name: None,
            tags: Vec::new(),
            canonical_user: None,
        }
    }
}

/// Everything evaluation looks at. Built once per request; keys are stored lowercased.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub(crate) principal: RequestPrincipal,
    pub(crate) action: String,
    pub(crate) resource: String,
    pub(crate) resource_account: Option<String>,
    pub(crate) keys: HashMap<String, Vec<String>>,
}

impl RequestContext {
    /// A request by `principal` for `action` (`service:Name`) on `resource` (an ARN, or
    /// `*` for actions without a resource). The keys AWS derives from the principal
    /// (aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType, aws:userid,
    /// aws:username, aws:PrincipalTag/*) are set; [`RequestContext::set`] overrides them.
    pub fn new(
        principal: RequestPrincipal,
        action: impl Into<String>,
        resource: impl Into<String>,
    ) -> Self {
        let mut keys: HashMap<String, Vec<String>> = HashMap::new();
        let p = &principal;
        if p.kind.is_iam() {
            let arn = match (&p.role_arn, p.kind) {
                (Some(role), PrincipalType::AssumedRole) => role.clone(),
                _ => p.arn.clone(),
            };
            keys.insert("aws:principalarn".into(), vec![arn]);
            keys.insert("aws:principalaccount".into(), vec![p.account.clone()]);
            keys.insert("aws:userid".into(), vec![p.id.clone()]);
        }
        if p.kind == PrincipalType::Service {
            keys.insert("aws:principalservicename".into(), vec![p.arn.clone()]);
        }
        keys.insert("aws:principaltype".into(), vec![p.kind.as_str().to_owned()]);
        keys.insert(
            "aws:principalisawsservice".into(),
            vec![(p.kind == PrincipalType::Service).to_string()],
        );
        if let Some(name) = &p.name {
            if p.kind == PrincipalType::User {
                keys.insert("aws:username".into(), vec![name.clone()]);
            }
        }
        for (k, v) in &p.tags {
            keys.insert(
                format!("aws:principaltag/{}", k.to_ascii_lowercase()),
                vec![v.clone()],
            );
        }
        if !p.tags.is_empty() {
            keys.entry("aws:principaltagkeys".into())
                .or_insert_with(|| p.tags.iter().map(|(k, _)| k.clone()).collect());
        }
        RequestContext {
            principal,
            action: action.into(),
            resource: resource.into(),
            resource_account: None,
            keys,
        }
    }

    /// The account that owns the resource (aws:ResourceAccount); decides same- vs
    /// cross-account evaluation. Without it the resource is taken to be the principal's.
    pub fn with_resource_account(mut self, account: impl Into<String>) -> Self {
        let account = account.into();
        self.keys
            .insert("aws:resourceaccount".into(), vec![account.clone()]);
        self.resource_account = Some(account);
        self
    }

    /// The time of the request, in milliseconds since the epoch (aws:CurrentTime and
    /// aws:EpochTime). Evaluation never reads a clock.
    pub fn with_time(mut self, epoch_millis: i64) -> Self {
        self.keys.insert(
            "aws:currenttime".into(),
            vec![crate::date::format(epoch_millis)],
        );
        self.keys.insert(
            "aws:epochtime".into(),
            vec![epoch_millis.div_euclid(1000).to_string()],
        );
        self
    }

    /// Sets a condition key's values (a single-valued key has one). Keys are
    /// case-insensitive.
    pub fn set(&mut self, key: &str, values: Vec<String>) {
        self.keys.insert(key.to_ascii_lowercase(), values);
    }

    /// Removes a condition key.
    pub fn remove(&mut self, key: &str) {
        self.keys.remove(&key.to_ascii_lowercase());
    }

    /// A condition key's values; `None` when the key is absent.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        match self.keys.get(key) {
            Some(v) => Some(v),
            None if key.bytes().any(|b| b.is_ascii_uppercase()) => {
                self.keys.get(&key.to_ascii_lowercase()).map(Vec::as_slice)
            }
            None => None,
        }
    }

    pub fn principal(&self) -> &RequestPrincipal {
        &self.principal
    }

    pub fn action(&self) -> &str {
        &self.action
    }

    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The resource's account, if given.
    pub fn resource_account(&self) -> Option<&str> {
        self.resource_account.as_deref()
    }

    /// Builds a context from JSON:
    /// `{"principal": {"type", "arn", "id", "account", "role_arn"?, "name"?, "tags"?: {k: v},
    ///   "canonical_user"?}, "action", "resource", "resource_account"?, "time"?: ISO 8601 or
    ///   epoch seconds, "context"?: {key: value or [values]}}`.
    pub fn from_json(v: &serde_json::Value) -> Result<RequestContext, String> {
        let str_of = |o: &serde_json::Value, k: &str| {
            o.get(k)
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        };
        let p = v.get("principal").ok_or("request: missing `principal`")?;
        let kind_name = str_of(p, "type").ok_or("principal: missing `type`")?;
        let kind = PrincipalType::parse(&kind_name)
            .ok_or_else(|| format!("principal: unknown type `{kind_name}`"))?;
        let mut principal = RequestPrincipal::new(
            kind,
            str_of(p, "arn").unwrap_or_default(),
            str_of(p, "id").unwrap_or_default(),
            str_of(p, "account").unwrap_or_default(),
        );
        principal.role_arn = str_of(p, "role_arn");
        principal.name = str_of(p, "name");
        principal.canonical_user = str_of(p, "canonical_user");
        if let Some(tags) = p.get("tags").and_then(serde_json::Value::as_object) {
            for (k, t) in tags {
                let t = t
                    .as_str()
                    .ok_or_else(|| format!("principal: tag `{k}` is not a string"))?;
                principal.tags.push((k.clone(), t.to_owned()));
            }
        }
        let action = str_of(v, "action").ok_or("request: missing `action`")?;
        let resource = str_of(v, "resource").unwrap_or_else(|| "*".to_owned());
        let mut ctx = RequestContext::new(principal, action, resource);
        if let Some(acct) = str_of(v, "resource_account") {
            ctx = ctx.with_resource_account(acct);
        }
        if let Some(t) = v.get("time") {
            let text = match t {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let millis =
                crate::date::parse(&text).ok_or_else(|| format!("request: bad time `{text}`"))?;
            ctx = ctx.with_time(millis);
        }
        if let Some(keys) = v.get("context").and_then(serde_json::Value::as_object) {
            for (k, val) in keys {
                let scalar = |x: &serde_json::Value| match x {
                    serde_json::Value::String(s) => Some(s.clone()),
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    serde_json::Value::Bool(b) => Some(b.to_string()),
                    _ => None,
                };
                let values = match val {
                    serde_json::Value::Null => {
                        ctx.remove(k);
                        continue;
                    }
                    serde_json::Value::Array(items) => {
                        items.iter().map(scalar).collect::<Option<Vec<_>>>()
                    }
                    other => scalar(other).map(|s| vec![s]),
                }
                .ok_or_else(|| format!("context: bad value for `{k}`"))?;
                ctx.set(k, values);
            }
        }
        Ok(ctx)
    }
}

impl Resolve for RequestContext {
    /// A policy variable's value: the key's only value (a multivalued key has none).
    fn resolve(&self, key: &str) -> Option<&str> {
        match self.get(key)? {
            [one] => Some(one.as_str()),
            _ => None,
        }
    }
}
