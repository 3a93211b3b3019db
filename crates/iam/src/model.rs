//! The IAM entities as this crate keeps them in memory and persists them (as JSON records in
//! the store). Times are Unix seconds.
//!
//! Invariant: names keep the case they were created with; lookups use the lowercase name, as
//! IAM names are unique case-insensitively.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::arn::Partition;

pub type Tags = Vec<(String, String)>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    pub created: i64,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub password_policy: Option<PasswordPolicy>,
    /// The root user's console password (argon2id PHC string), set with
    /// `castellan account set-root-password`; `None`: the root user cannot sign in.
    #[serde(default)]
    pub root_password_hash: Option<String>,
    /// The partition the account was created in, unless `aws` (`castellan serve
    /// --partition`): a server of another partition refuses the store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    pub minimum_password_length: i32,
    pub require_symbols: bool,
    pub require_numbers: bool,
    pub require_uppercase_characters: bool,
    pub require_lowercase_characters: bool,
    pub allow_users_to_change_password: bool,
    pub max_password_age: Option<i32>,
    pub password_reuse_prevention: Option<i32>,
    /// None when UpdateAccountPasswordPolicy was not given HardExpiry: GetAccountPasswordPolicy
    /// then leaves it out, as AWS does (records from before were `false`, read as Some(false)).
    pub hard_expiry: Option<bool>,
}

/// An inline policy: its name as given and its document text verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InlinePolicy {
    pub name: String,
    pub document: String,
}

/// Inline policies keyed by name. Inline policy names are case-sensitive in IAM.
pub type InlinePolicies = BTreeMap<String, InlinePolicy>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginProfile {
    /// An argon2id PHC string; never the password.
    pub password_hash: String,
    pub created: i64,
    pub password_reset_required: bool,
    /// When the password was last set (for MaxPasswordAge); `None`: at `created`.
    #[serde(default)]
    pub changed: Option<i64>,
    /// The hashes of earlier passwords, newest first, as many as PasswordReusePrevention
    /// asks to remember (at most 24).
    #[serde(default)]
    pub history: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub account: String,
    pub name: String,
    pub id: String,
    pub path: String,
    pub created: i64,
    #[serde(default)]
    pub tags: Tags,
    #[serde(default)]
    pub permissions_boundary: Option<String>,
    #[serde(default)]
    pub inline_policies: InlinePolicies,
    /// Attached managed policy ARNs, in attachment order.
    #[serde(default)]
    pub attached_policies: Vec<String>,
    /// Names of the groups the user belongs to, as the groups spell them.
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub login_profile: Option<LoginProfile>,
    #[serde(default)]
    pub password_last_used: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub account: String,
    pub name: String,
    pub id: String,
    pub path: String,
    pub created: i64,
    #[serde(default)]
    pub inline_policies: InlinePolicies,
    #[serde(default)]
    pub attached_policies: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub account: String,
    pub name: String,
    pub id: String,
    pub path: String,
    pub created: i64,
    pub assume_role_policy: String,
    #[serde(default)]
    pub description: Option<String>,
    pub max_session_duration: i32,
    #[serde(default)]
    pub tags: Tags,
    #[serde(default)]
    pub permissions_boundary: Option<String>,
    #[serde(default)]
    pub inline_policies: InlinePolicies,
    #[serde(default)]
    pub attached_policies: Vec<String>,
    #[serde(default)]
    pub last_used: Option<(i64, String)>,
    /// The unique ids of the users and roles the trust policy names, keyed by the ARN as
    /// written, resolved when the policy was saved (`arn` module). `None` only in records
    /// written before ids were kept; those are resolved when loaded.
    #[serde(default)]
    pub principal_ids: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersion {
    pub id: String,
    pub document: String,
    pub created: i64,
}

/// A customer managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedPolicy {
    pub account: String,
    pub name: String,
    pub id: String,
    pub path: String,
    #[serde(default)]
    pub description: Option<String>,
    pub created: i64,
    pub updated: i64,
    pub default_version: String,
    pub versions: Vec<PolicyVersion>,
    /// The number the next version takes (`v{n}`): version ids are never reused.
    pub next_version: u32,
    #[serde(default)]
    pub tags: Tags,
}

impl ManagedPolicy {
    pub fn arn(&self, p: Partition) -> String {
        format!("arn:{}:iam::{}:policy{}{}", p.as_str(), self.account, self.path, self.name)
    }

    pub fn default_document(&self) -> &str {
        self.versions.iter().find(|v| v.id == self.default_version).map_or("", |v| v.document.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStatus {
    Active,
    Inactive,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKeyLastUsed {
    pub date: i64,
    pub service: String,
    pub region: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKey {
    pub account: String,
    /// `None` for the root user's keys.
    pub user: Option<String>,
    /// The owner's unique id (`None` for root): a key authenticates only the user it was
    /// made for, never a later user of the same name.
    #[serde(default)]
    pub user_id: Option<String>,
    pub id: String,
    /// The secret, sealed under the master key (see `crypto`).
    pub sealed_secret: String,
    pub status: KeyStatus,
    pub created: i64,
    #[serde(default)]
    pub last_used: Option<AccessKeyLastUsed>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceProfile {
    pub account: String,
    pub name: String,
    pub id: String,
    pub path: String,
    pub created: i64,
    /// Role names (at most one, as AWS allows).
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub tags: Tags,
}

/// A virtual MFA device (CreateVirtualMFADevice). Its serial number is its ARN,
/// `arn:aws:iam::ACCOUNT:mfa{path}{name}`; names are unique per path case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaDevice {
    pub account: String,
    pub name: String,
    pub path: String,
    pub created: i64,
    /// The Base32 seed, sealed under the master key (bound to the serial number).
    pub sealed_seed: String,
    /// The unique id of the user it is enabled for: a device follows its user through renames
    /// and never serves a later user of the same name.
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub enable_date: Option<i64>,
    /// The last time step whose code was accepted: no code of it or an earlier step is
    /// accepted again (RFC 6238 section 5.2).
    #[serde(default)]
    pub last_step: i64,
    /// The device clock's offset in steps, learned at EnableMFADevice and ResyncMFADevice.
    #[serde(default)]
    pub drift: i64,
    #[serde(default)]
    pub tags: Tags,
}

/// An OpenID Connect identity provider (CreateOpenIDConnectProvider). Keyed by its URL
/// without `https://`, which is also the last part of its ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcProvider {
    pub account: String,
    /// The URL as registered, without the scheme: `token.actions.githubusercontent.com`.
    pub resource: String,
    pub created: i64,
    #[serde(default)]
    pub client_ids: Vec<String>,
    /// Lowercase hex SHA-1 thumbprints.
    #[serde(default)]
    pub thumbprints: Vec<String>,
    #[serde(default)]
    pub tags: Tags,
}

impl MfaDevice {
    pub fn serial(&self, p: Partition) -> String {
        format!("arn:{}:iam::{}:mfa{}{}", p.as_str(), self.account, self.path, self.name)
    }
}

/// The credentials of one user besides its password, access keys and MFA devices: SSH public
/// keys and signing certificates. One record per user, keyed by the user's unique id
/// (`usercreds/ACCOUNT/ID`; the root user's signing certificates under the account id), so a
/// rename carries them along and a later user of the same name does not inherit them; absent
/// while the user has none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserCredentials {
    pub account: String,
    pub user_id: String,
    #[serde(default)]
    pub ssh_public_keys: Vec<SshPublicKey>,
    #[serde(default)]
    pub signing_certificates: Vec<SigningCertificate>,
    #[serde(default)]
    pub service_credentials: Vec<ServiceCredential>,
}

impl UserCredentials {
    pub fn is_empty(&self) -> bool {
        self.ssh_public_keys.is_empty() && self.signing_certificates.is_empty() && self.service_credentials.is_empty()
    }
}

/// A service-specific credential (CreateServiceSpecificCredential): a user name and password
/// (CodeCommit, Amazon Keyspaces) or an API key alias and secret (Amazon Bedrock, CloudWatch
/// Logs) for one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceCredential {
    /// `ACCA…`, 21 characters.
    pub id: String,
    pub service: String,
    /// `USER-at-ACCOUNT` (ServiceUserName) or the API key's alias (ServiceCredentialAlias).
    pub login: String,
    /// The password or API key secret, sealed under the master key (bound to the id).
    pub sealed_secret: String,
    pub status: KeyStatus,
    pub created: i64,
    #[serde(default)]
    pub expires: Option<i64>,
}

/// An SSH public key (UploadSSHPublicKey), kept as uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshPublicKey {
    /// `APKA…`, 20 characters.
    pub id: String,
    pub body: String,
    /// MD5 of the key in SSH wire form, colon-separated hex.
    pub fingerprint: String,
    pub status: KeyStatus,
    pub uploaded: i64,
}

/// A signing certificate (UploadSigningCertificate): the PEM body as uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningCertificate {
    pub id: String,
    pub body: String,
    /// SHA-1 of the certificate's DER: a certificate is held by one user of the account.
    pub thumbprint: String,
    pub status: KeyStatus,
    pub uploaded: i64,
}

/// A server certificate (UploadServerCertificate): `servercert/ACCOUNT/NAME`, names unique per
/// account case-insensitively. ARN `arn:aws:iam::ACCOUNT:server-certificate{path}{name}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerCertificate {
    pub account: String,
    pub name: String,
    /// `ASCA…`, 21 characters.
    pub id: String,
    pub path: String,
    pub uploaded: i64,
    /// The certificate's notAfter (Unix seconds): ServerCertificateMetadata's Expiration.
    pub expiration: i64,
    pub body: String,
    #[serde(default)]
    pub chain: Option<String>,
    /// The private key, sealed under the master key (bound to the certificate id); never
    /// returned by any operation.
    pub sealed_private_key: String,
    #[serde(default)]
    pub tags: Tags,
}

impl ServerCertificate {
    pub fn arn(&self, p: Partition) -> String {
        format!("arn:{}:iam::{}:server-certificate{}{}", p.as_str(), self.account, self.path, self.name)
    }
}

/// An account's latest credential report (GenerateCredentialReport): the CSV as generated, kept
/// so every node answers GetCredentialReport alike. `credreport/ACCOUNT`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialReport {
    pub account: String,
    pub generated: i64,
    pub content: String,
}

impl OidcProvider {
    pub fn arn(&self, p: Partition) -> String {
        format!("arn:{}:iam::{}:oidc-provider/{}", p.as_str(), self.account, self.resource)
    }
}

/// Outbound identity federation of an account (EnableOutboundWebIdentityFederation): its
/// issuer and the keys that sign the tokens GetWebIdentityToken issues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundFederation {
    pub account: String,
    pub enabled: bool,
    /// The random part of the issuer URL; kept when the feature is disabled and enabled again.
    pub issuer_id: String,
    /// Signing keys, oldest first: the newest of an algorithm signs, all are published.
    #[serde(default)]
    pub keys: Vec<SealedSigningKey>,
}

/// A signing key, its private part (PKCS#8, base64) sealed under the master key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedSigningKey {
    pub kid: String,
    /// `RS256` or `ES384`.
    pub alg: String,
    pub created: i64,
    pub sealed_pkcs8: String,
    /// The public key as a JWK (JSON), published as it is: serving the JWKS never opens a
    /// private key.
    #[serde(default)]
    pub public_jwk: String,
}

/// A service-linked role's deletion task (DeleteServiceLinkedRole), kept so that
/// GetServiceLinkedRoleDeletionStatus can answer for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionTask {
    pub account: String,
    /// `task/aws-service-role/PRINCIPAL/ROLE/UUID`.
    pub id: String,
    pub role_name: String,
    /// AWS's DeletionTaskStatusType value: SUCCEEDED, IN_PROGRESS, FAILED, NOT_STARTED.
    pub status: String,
    /// Why a FAILED task failed, and the resources (ARNs) still using the role.
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub used_by: Vec<String>,
    pub created: i64,
}

impl DeletionTask {
    /// The last segment of the task id, which keys the record.
    pub fn uuid(id: &str) -> &str {
        id.rsplit('/').next().unwrap_or(id)
    }
}

/// A SAML 2.0 identity provider (CreateSAMLProvider), keyed by its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamlProvider {
    pub account: String,
    pub name: String,
    /// SAMLProviderUUID.
    pub uuid: String,
    pub created: i64,
    /// The metadata document as uploaded.
    pub metadata: String,
    /// Taken from the metadata: its entityID and signing certificates (base64 DER).
    pub entity_id: String,
    pub certificates: Vec<String>,
    #[serde(default)]
    pub valid_until: Option<i64>,
    /// AssertionEncryptionMode: `Required` or `Allowed`, when set.
    #[serde(default)]
    pub encryption_mode: Option<String>,
    #[serde(default)]
    pub private_keys: Vec<SamlPrivateKey>,
    #[serde(default)]
    pub tags: Tags,
}

impl SamlProvider {
    pub fn arn(&self, p: Partition) -> String {
        format!("arn:{}:iam::{}:saml-provider/{}", p.as_str(), self.account, self.name)
    }
}

/// A private key for encrypted assertions, its PEM sealed under the master key (bound to the
/// provider and the key id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamlPrivateKey {
    pub key_id: String,
    pub created: i64,
    pub sealed_pem: String,
}

/// The service last accessed data of one user or role (issue 16): the latest attempt per
/// `service` and per `service:Action`, as Unix seconds and Region. Written by the periodic flush
/// (`advisor`), so every node's reports see every node's requests and a restart forgets nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessHistory {
    pub account: String,
    pub principal_id: String,
    #[serde(default)]
    pub entries: BTreeMap<String, (i64, String)>,
}

/// One persisted record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum Record {
    Account(Account),
    User(User),
    Group(Group),
    Role(Role),
    Policy(ManagedPolicy),
    AccessKey(AccessKey),
    InstanceProfile(InstanceProfile),
    MfaDevice(MfaDevice),
    UserCredentials(UserCredentials),
    ServerCertificate(ServerCertificate),
    CredentialReport(CredentialReport),
    OidcProvider(OidcProvider),
    OutboundFederation(OutboundFederation),
    // Service-linked roles (ops/service_linked.rs).
    DeletionTask(DeletionTask),
    SamlProvider(SamlProvider),
    AccessHistory(AccessHistory),
}

impl Record {
    /// The store key: kind, account, lowercase name.
    pub fn key(&self) -> String {
        match self {
            Self::Account(a) => format!("account/{}", a.id),
            Self::User(u) => entity_key("user", &u.account, &u.name),
            Self::Group(g) => entity_key("group", &g.account, &g.name),
            Self::Role(r) => entity_key("role", &r.account, &r.name),
            Self::Policy(p) => entity_key("policy", &p.account, &p.name),
            Self::AccessKey(k) => format!("accesskey/{}", k.id),
            Self::InstanceProfile(p) => entity_key("instanceprofile", &p.account, &p.name),
            Self::MfaDevice(d) => entity_key("mfa", &d.account, &format!("{}{}", d.path, d.name)),
            Self::UserCredentials(c) => entity_key("usercreds", &c.account, &c.user_id),
            Self::ServerCertificate(c) => entity_key("servercert", &c.account, &c.name),
            Self::CredentialReport(r) => format!("credreport/{}", r.account),
            Self::OidcProvider(p) => format!("oidcprovider/{}/{}", p.account, p.resource),
            Self::OutboundFederation(o) => format!("outboundfederation/{}", o.account),
            Self::DeletionTask(t) => entity_key("deletiontask", &t.account, DeletionTask::uuid(&t.id)),
            Self::SamlProvider(p) => entity_key("samlprovider", &p.account, &p.name),
            Self::AccessHistory(h) => entity_key("access", &h.account, &h.principal_id),
        }
    }
}

pub fn entity_key(kind: &str, account: &str, name: &str) -> String {
    format!("{kind}/{account}/{}", name.to_lowercase())
}

/// One change to the state: what the store commits and memory then applies.
#[derive(Debug, Clone)]
pub enum Change {
    Put(Record),
    Delete(Record),
}
