//! AWS's error texts, in one table: each entry is the error (its code follows from the
//! variant, see `error.rs`) with AWS's wording, and says where AWS documents or shows it.
//!
//! Sources named below:
//! - "LocalStack roles/policies/sts snapshot": responses recorded from real AWS by LocalStack's
//!   parity tests, `tests/aws/services/iam/test_iam_roles.snapshot.json` (recorded February
//!   2026), `tests/aws/services/iam/test_iam_policies.snapshot.json` (February 2026) and
//!   `tests/aws/services/sts/test_sts.snapshot.json` (2024–2026), github.com/localstack/localstack.
//! - the users, groups, instance profiles, password policy, OIDC, SAML, MFA, server
//!   certificate, SSH public key, signing certificate and credential report snapshots in the
//!   same directory (recorded February 2026), named where used.
//! - "quoted from AWS in public reports": an AWS response pasted in a public issue, named by
//!   its address.
//! - "not confirmed": no public AWS response found; the doc comment says what the text follows.
//! - "Castellan's own": an error of an operation or command AWS does not have.
//!
//! Texts that live below this crate, on purpose: policy document texts (`MalformedPolicyDocument`)
//! are the policy crate's (`castellan_policy::PolicyError`); the request validator's generic
//! "N validation errors detected: ..." sentences are castellan-api's (`ValidationErrors`); the
//! signature errors are castellan-sigv4's (`AuthError`); a web identity token's and a SAML
//! response's own faults are castellan-jwt's and castellan-saml's (passed on as
//! `InvalidIdentityToken`). The fixed texts of `Throttling` ("Rate exceeded") and
//! `ServiceFailure` are `ApiError::message`'s, in error.rs. The server's HTTP-level answers that are not an `ApiError` stay in
//! crates/server: `BodyError` (RequestEntityTooLarge, RequestTimeout, IncompleteBody) and
//! `SERVICE_UNAVAILABLE_MESSAGE` in lib.rs, the connection cap's 503 in conn.rs.

use crate::error::ApiError;

/// GetUser and every operation naming a user that does not exist: LocalStack users snapshot
/// (tests/aws/services/iam/test_iam_users.snapshot.json, February 2026), "get-nonexistent-user-error".
pub fn no_such_user(name: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("The user with name {name} cannot be found."))
}

/// Every operation naming a group that does not exist: LocalStack users snapshot,
/// "add-user-to-nonexistent-group-error".
pub fn no_such_group(name: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("The group with name {name} cannot be found."))
}

/// GetRole, UpdateRole, DeleteRole, TagRole... of a role that does not exist: LocalStack roles
/// snapshot, "get-role-error", "tag-nonexistent-role-error".
pub fn no_such_role(name: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("The role with name {name} cannot be found."))
}

/// Attach*Policy, PutRolePermissionsBoundary, session policy ARNs: a policy that does not
/// exist. LocalStack roles snapshot, "attach-nonexistent-policy-error"; also quoted from AWS
/// in many terraform reports ("NoSuchEntity: Policy arn:aws:iam::aws:policy/... does not
/// exist or is not attachable.").
pub fn policy_not_attachable(arn: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("Policy {arn} does not exist or is not attachable."))
}

/// GetPolicy, Detach*Policy of a policy not attached, TagPolicy of a missing policy:
/// LocalStack roles snapshot "detach-not-attached-policy-error", policies snapshot
/// "err-tag-nonexistent-policy".
pub fn policy_not_found(arn: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("Policy {arn} was not found."))
}

/// GetPolicyVersion, DeletePolicyVersion, SetDefaultPolicyVersion of a version (or of a
/// policy) that does not exist: LocalStack policies snapshot, "err-get-version-nonexistent-policy",
/// "err-get-nonexistent-version", "err-set-default-nonexistent-policy".
pub fn policy_version_not_found(arn: &str, version: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("Policy {arn} version {version} does not exist or is not attachable."))
}

/// A policy ARN that is not an ARN at all (`AttachRolePolicy PolicyArn=name`):
/// `ValidationError`, 400. LocalStack roles snapshot, "non-existent-malformed-policy-arn",
/// "existing-policy-name-provided".
pub fn arn_not_valid(arn: &str) -> ApiError {
    ApiError::Validation(format!("ARN {arn} is not valid."))
}

/// CreateRole of a name in use: LocalStack roles snapshot, "create-role-already-exists-error".
pub fn role_exists(name: &str) -> ApiError {
    ApiError::EntityAlreadyExists(format!("Role with name {name} already exists."))
}

/// CreatePolicy of a name in use: LocalStack policies snapshot, "policy-already-exists".
pub fn policy_exists(name: &str) -> ApiError {
    ApiError::EntityAlreadyExists(format!("A policy called {name} already exists. Duplicate names are not allowed."))
}

/// CreatePolicyVersion past the quota: LocalStack policies snapshot, "err-version-limit-exceeded".
pub fn policy_version_limit(limit: usize) -> ApiError {
    ApiError::LimitExceeded(format!(
        "A managed policy can have up to {limit} versions. Before you create a new version, you must delete an existing version."
    ))
}

/// DeletePolicyVersion of the default version: LocalStack policies snapshot,
/// "err-delete-default-version".
pub fn default_version_delete() -> ApiError {
    ApiError::DeleteConflict("Cannot delete the default version of a policy.".into())
}

/// Delete{User,Group,Role} while something is still attached, `what` naming it ("detach all
/// policies", "delete policies"): LocalStack roles snapshot, "delete-role-with-policy-error",
/// "delete-role-with-inline-policy-error".
pub fn delete_conflict(what: &str) -> ApiError {
    ApiError::DeleteConflict(format!("Cannot delete entity, must {what} first."))
}

/// Tags on a user or role (keys compare case-insensitively there) with a key twice:
/// `InvalidInput`, 400. LocalStack roles snapshot, "create-role-duplicate-tags-different-case".
pub fn duplicate_tag_keys_case_insensitive() -> ApiError {
    ApiError::InvalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.".into())
}

/// Tags on a customer managed policy (keys are case-sensitive there: "a" and "A" are two
/// tags) with a key twice: `InvalidInput`, 400. LocalStack policies snapshot,
/// "err-duplicate-keys", "create-with-case-sensitive-tags".
pub fn duplicate_tag_keys() -> ApiError {
    ApiError::InvalidInput("Duplicate tag keys found.".into())
}

/// AssumeRole (and the other STS operations taking session tags) with a tag key twice, in
/// any case: `InvalidParameterValue`, 400. LocalStack sts snapshot,
/// "duplicate-tag-keys-different-casing".
pub fn session_tag_keys_duplicate() -> ApiError {
    ApiError::InvalidParameterValue("Duplicate tag keys found. Please note that Tag keys are case insensitive.".into())
}

/// AssumeRole with a transitive tag key that is not among its tags: LocalStack sts snapshot,
/// "invalid-transitive-tag-keys".
pub fn transitive_tag_key_not_in_tags() -> ApiError {
    ApiError::InvalidParameterValue("The specified transitive tag key must be included in the requested tags.".into())
}

/// A chained AssumeRole setting a tag the calling session passes on as transitive:
/// LocalStack sts snapshot, "override-transitive-tag-error".
pub fn transitive_tag_key_conflict() -> ApiError {
    ApiError::InvalidParameterValue(
        "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session."
            .into(),
    )
}

/// AssumeRole with a RoleArn that is not an ARN (no partition, service or resource, too few
/// colons): `ValidationError`, 400, before any authorization. LocalStack sts snapshot,
/// "malformed-arn", "no-partition", "no-service", "not-enough-colons", "no-resource".
pub fn sts_arn_invalid(arn: &str) -> ApiError {
    ApiError::Validation(format!("{arn} is invalid"))
}

/// CreateUser / UpdateUser to a name in use: LocalStack users snapshot,
/// "create-duplicate-user-error".
pub fn user_exists(name: &str) -> ApiError {
    ApiError::EntityAlreadyExists(format!("User with name {name} already exists."))
}

/// CreateGroup / UpdateGroup to a name in use: LocalStack groups snapshot
/// (tests/aws/services/iam/test_iam_groups.snapshot.json, February 2026), "create-group-duplicate".
pub fn group_exists(name: &str) -> ApiError {
    ApiError::EntityAlreadyExists(format!("Group with name {name} already exists."))
}

/// Get/Delete{User,Group,Role}Policy of an inline policy that does not exist, `kind` being
/// "user", "group" or "role": LocalStack roles snapshot, "get-deleted-policy-error" ("The role
/// policy with name ... cannot be found.").
pub fn no_such_inline_policy(kind: &str, name: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("The {kind} policy with name {name} cannot be found."))
}

/// An access key id that is not the user's (UpdateAccessKey, DeleteAccessKey): LocalStack
/// users snapshot (tests/aws/services/iam/test_iam_users.snapshot.json, February 2026),
/// "update-nonexistent-access-key-error".
pub fn no_such_access_key(id: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("The Access Key with id {id} cannot be found."))
}

/// GetLoginProfile and friends of a user without one: LocalStack users snapshot,
/// "get-deleted-login-profile-error".
pub fn no_such_login_profile(user: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("Login Profile for User {user} cannot be found."))
}

/// An instance profile that does not exist: LocalStack instance profiles snapshot
/// (tests/aws/services/iam/test_iam_instance_profiles.snapshot.json, February 2026),
/// "get-nonexistent-error".
pub fn no_such_instance_profile(name: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("Instance Profile {name} cannot be found."))
}

/// CreateInstanceProfile of a name in use: LocalStack instance profiles snapshot,
/// "create-duplicate-error".
pub fn instance_profile_exists(name: &str) -> ApiError {
    ApiError::EntityAlreadyExists(format!("Instance Profile {name} already exists."))
}

/// A server certificate that does not exist: LocalStack server certificate snapshot
/// (tests/aws/services/iam/test_iam_server_certificates.snapshot.json, February 2026),
/// "get-nonexistent-certificate-error".
pub fn no_such_server_certificate(name: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("The Server Certificate with name {name} cannot be found."))
}

/// UploadServerCertificate of a name in use: same snapshot, "upload-duplicate-certificate-error".
pub fn server_certificate_exists(name: &str) -> ApiError {
    ApiError::EntityAlreadyExists(format!("The Server Certificate with name {name} already exists."))
}

/// An MFA device that does not exist or is not the user's: LocalStack MFA snapshot
/// (tests/aws/services/iam/test_iam_mfa.snapshot.json, February 2026), "deactivate-nonexistent-mfa-error".
pub fn no_such_mfa_device(serial: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("MFA Device with serial number {serial} does not exist."))
}

/// GetAccessKeyLastUsed of a key id that does not exist (or is another account's): AWS answers
/// AccessDenied, 403, without the colon after "perform" of its usual denial: LocalStack users
/// snapshot, "get-last-used-nonexistent-key-error".
pub fn access_key_last_used_denied(caller_arn: &str, id: &str) -> ApiError {
    ApiError::AccessDenied(format!(
        "User: {caller_arn} is not authorized to perform iam:GetAccessKeyLastUsed on resource: access key {id}"
    ))
}

/// RemoveRoleFromInstanceProfile of a role the profile does not hold: LocalStack instance
/// profiles snapshot, "remove-unattached-role-error".
pub fn role_not_in_instance_profile(role: &str, profile: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("Role {role} in Instance Profile {profile} cannot be found."))
}

/// GetAccountPasswordPolicy without one: LocalStack password policy snapshot
/// (tests/aws/services/iam/test_iam_account_password_policy.snapshot.json, February 2026),
/// "policy-not-found".
pub fn no_password_policy(account: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("The Password Policy with domain name {account} cannot be found."))
}

/// DeleteAccountPasswordPolicy without one (a different sentence from Get's): same snapshot,
/// "delete-not-found".
pub fn no_password_policy_to_delete() -> ApiError {
    ApiError::NoSuchEntity("The account policy with name PasswordPolicy cannot be found.".into())
}

/// CreateOpenIDConnectProvider with a URL IAM does not accept: `ValidationError`, 400. LocalStack
/// OIDC snapshot (tests/aws/services/iam/test_iam_oidc.snapshot.json, February 2026), "invalid-url".
pub fn oidc_invalid_url() -> ApiError {
    ApiError::Validation("Invalid Open ID Connect Provider URL".into())
}

/// More thumbprints than a provider may have: `InvalidInput`, 400 (AWS's sentence, though five
/// are allowed). LocalStack OIDC snapshot, "too-many-thumbprints".
pub fn oidc_too_many_thumbprints() -> ApiError {
    ApiError::InvalidInput("Thumbprint list must contain fewer than 5 entries.".into())
}

/// Tagging an OIDC provider past 50 tags: LocalStack OIDC snapshot, "tags-limit-error".
pub fn oidc_tag_limit() -> ApiError {
    ApiError::LimitExceeded("The number of tags has reached the maximum limit.".into())
}

/// A list's Marker that is not one this service handed out: `ValidationError`, 400. LocalStack
/// MFA snapshot, "list-invalid-marker-error" (ListVirtualMFADevices; every list pages alike here).
pub fn invalid_marker() -> ApiError {
    ApiError::Validation("Invalid Marker.".into())
}

/// CreateVirtualMFADevice of a name in use at that path: LocalStack MFA snapshot,
/// "create-duplicate-error".
pub fn mfa_device_exists() -> ApiError {
    ApiError::EntityAlreadyExists("MFA device already exists.".into())
}

/// EnableMFADevice of a device another user holds: LocalStack MFA snapshot,
/// "enable-mfa-already-attached-error".
pub fn mfa_device_in_use() -> ApiError {
    ApiError::EntityAlreadyExists("MFA Device is already in use.".into())
}

/// GetSAMLProvider / DeleteSAMLProvider of a provider that does not exist: LocalStack SAML
/// snapshot (tests/aws/services/iam/test_iam_saml_providers.snapshot.json, February 2026),
/// "get-not-found", "delete-not-found".
pub fn no_such_saml_provider(arn: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("Manifest not found for arn {arn}"))
}

// ---- Access keys, SSH public keys, signing certificates, service-specific credentials ----

/// CreateAccessKey past the quota: `LimitExceeded`, 409. Quoted from AWS in public reports
/// (github.com/simonw/s3-credentials/issues/64: "Cannot exceed quota for AccessKeysPerUser: 2").
pub fn access_key_limit(limit: usize) -> ApiError {
    ApiError::LimitExceeded(format!("Cannot exceed quota for AccessKeysPerUser: {limit}"))
}

/// UpdateAccessKey with a status that is neither Active nor Inactive: not confirmed; follows
/// castellan-api's generic enum sentence ("1 validation error detected: ...").
pub fn access_key_status_invalid(status: &str) -> ApiError {
    ApiError::Validation(format!(
        "1 validation error detected: Value '{status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]"
    ))
}

/// A status a client sets as `Expired` (SSH keys, signing certificates, service-specific
/// credentials): not confirmed.
pub fn status_active_or_inactive() -> ApiError {
    ApiError::InvalidInput("Status must be Active or Inactive.".into())
}

/// GetSSHPublicKey, UpdateSSHPublicKey, DeleteSSHPublicKey of a key id that is not the user's:
/// LocalStack SSH public keys snapshot (tests/aws/services/iam/test_iam_ssh_public_keys.snapshot.json,
/// February 2026), "get-not-found", "update-not-found", "delete-not-found".
pub fn no_such_ssh_public_key(id: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("The Public Key with id {id} cannot be found."))
}

/// UploadSSHPublicKey past the quota (5, IAM User Guide "IAM and AWS STS quotas"): not
/// confirmed; follows AccessKeysPerUser's sentence.
pub fn ssh_public_key_limit(limit: usize) -> ApiError {
    ApiError::LimitExceeded(format!("Cannot exceed quota for SSHPublicKeysPerUser: {limit}"))
}

/// UploadSSHPublicKey of a key the user already has: not confirmed; the IAM model's
/// description of `DuplicateSSHPublicKeyException`.
pub fn duplicate_ssh_public_key() -> ApiError {
    ApiError::DuplicateSSHPublicKey("The SSH public key is already associated with the specified IAM user.".into())
}

/// UploadSSHPublicKey of a key that does not parse: not confirmed; the IAM model's description
/// of `InvalidPublicKeyException`.
pub fn invalid_public_key() -> ApiError {
    ApiError::InvalidPublicKey("The public key is malformed or otherwise invalid.".into())
}

/// UploadSSHPublicKey in an encoding IAM does not read: not confirmed; the IAM model's
/// description of `UnrecognizedPublicKeyEncodingException`.
pub fn unrecognized_public_key_encoding() -> ApiError {
    ApiError::UnrecognizedPublicKeyEncoding("The public key encoding format is unsupported or unrecognized.".into())
}

/// UpdateSigningCertificate, DeleteSigningCertificate of an id that is not the user's:
/// LocalStack signing certificates snapshot
/// (tests/aws/services/iam/test_iam_signing_certificates.snapshot.json, February 2026),
/// "update-nonexistent-certificate-error", "delete-nonexistent-certificate-error".
pub fn no_such_signing_certificate(id: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("The Certificate with id {id} cannot be found."))
}

/// UploadSigningCertificate of a body that is not a certificate: AWS repeats the body. Same
/// snapshot, "upload-invalid-certificate-error" ("Certificate invalid-certificate-body is malformed.").
pub fn signing_certificate_malformed(body: &str) -> ApiError {
    ApiError::MalformedCertificate(format!("Certificate {body} is malformed."))
}

/// UploadSigningCertificate past the quota: `LimitExceeded`, 409. Same snapshot,
/// "upload-exceeds-limit-error" (the quota's name is "CertificatesPerUser").
pub fn signing_certificate_limit(limit: usize) -> ApiError {
    ApiError::LimitExceeded(format!("Cannot exceed quota for CertificatesPerUser: {limit}"))
}

/// A certificate past its expiry (signing and server certificates): not confirmed.
pub fn certificate_expired() -> ApiError {
    ApiError::MalformedCertificate("The certificate is expired.".into())
}

/// UploadSigningCertificate of a certificate some user of the account holds: not confirmed; the
/// IAM model's description of `DuplicateCertificateException`.
pub fn duplicate_certificate() -> ApiError {
    ApiError::DuplicateCertificate("The same certificate is associated with an IAM user in the account.".into())
}

/// CreateServiceSpecificCredential for a service without them: `NotSupportedService`, 404;
/// not confirmed, the IAM model's description of `ServiceNotSupportedException`.
pub fn service_not_supported() -> ApiError {
    ApiError::NotSupportedService("The specified service does not support service-specific credentials.".into())
}

/// A service-specific credential id that is not the user's: not confirmed.
pub fn no_such_service_credential(id: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("No such credential {id} exists"))
}

/// CredentialAgeDays for a service whose credentials are not API keys: not confirmed; follows
/// the API reference's description of CredentialAgeDays.
pub fn credential_age_days_not_valid() -> ApiError {
    ApiError::InvalidInput("CredentialAgeDays is only valid for Bedrock and CloudWatch Logs API keys.".into())
}

/// CreateServiceSpecificCredential past the quota (2 per user per service, IAM User Guide
/// "IAM and AWS STS quotas"): not confirmed; follows AccessKeysPerUser's sentence.
pub fn service_credential_limit(limit: usize) -> ApiError {
    ApiError::LimitExceeded(format!("Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: {limit}"))
}

/// ListServiceSpecificCredentials with AllUsers and UserName: not confirmed; the API reference
/// says the two are exclusive.
pub fn all_users_with_user_name() -> ApiError {
    ApiError::InvalidInput("AllUsers cannot be specified together with UserName.".into())
}

// ---- Server certificates (the texts not recorded from AWS) ----

/// UploadServerCertificate of a body that is not a PEM certificate: not confirmed (AWS's
/// signing-certificate sentence, `signing_certificate_malformed`, was not recorded here).
pub fn server_certificate_malformed() -> ApiError {
    ApiError::MalformedCertificate("Unable to parse certificate. Please ensure the certificate is in PEM format.".into())
}

/// UploadServerCertificate of a chain that does not parse: not confirmed.
pub fn certificate_chain_malformed() -> ApiError {
    ApiError::MalformedCertificate("Unable to parse certificate chain. Please ensure the certificate chain is in PEM format.".into())
}

/// UploadServerCertificate of a private key that does not parse: not confirmed.
pub fn private_key_malformed() -> ApiError {
    ApiError::MalformedCertificate("Unable to parse private key. Please ensure the private key is an unencrypted PEM RSA or EC key.".into())
}

/// UploadServerCertificate of a key that is not the certificate's: not confirmed; the IAM
/// model's description of `KeyPairMismatchException`.
pub fn key_pair_mismatch() -> ApiError {
    ApiError::KeyPairMismatch("The public key certificate and the private key do not match.".into())
}

/// UploadServerCertificate past the quota: not confirmed; follows InstanceProfilesPerAccount's
/// sentence (quoted from AWS in github.com/ansible/workshops/issues/1801).
pub fn server_certificate_limit(limit: usize) -> ApiError {
    ApiError::LimitExceeded(format!("Cannot exceed quota for ServerCertificatesPerAccount: {limit}"))
}

// ---- Credential report ----

/// GetCredentialReport before GenerateCredentialReport: `ReportNotPresent`, 410, and no
/// message at all (the error carries no `<Message>`). LocalStack credential report snapshot
/// (tests/aws/services/iam/test_iam_credential_report.snapshot.json, February 2026),
/// "get-credential-report-without-generate-error".
pub fn report_not_present() -> ApiError {
    ApiError::ReportNotPresent(String::new())
}

/// GetCredentialReport while it is being generated: not confirmed.
pub fn report_in_progress() -> ApiError {
    ApiError::ReportInProgress("Credential report is still being generated.".into())
}

/// GetCredentialReport of a report older than four hours: not confirmed.
pub fn report_expired() -> ApiError {
    ApiError::ReportExpired("Credential report has expired. To generate a new credential report, use GenerateCredentialReport.".into())
}

// ---- Account aliases, groups, instance profiles ----

/// CreateAccountAlias of an alias another account holds: `EntityAlreadyExists`, 409. Quoted from
/// AWS in a public report (github.com/awslabs/aws-deployment-framework/pull/465: "The account
/// alias security already exists."); LocalStack's aliases snapshot records no error.
pub fn account_alias_exists(alias: &str) -> ApiError {
    ApiError::EntityAlreadyExists(format!("The account alias {alias} already exists."))
}

/// DeleteAccountAlias of an alias the account does not have: not confirmed.
pub fn no_such_account_alias(alias: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("The account alias {alias} cannot be found."))
}

/// AddUserToGroup past the quota: not confirmed; follows AccessKeysPerUser's sentence.
pub fn groups_per_user_limit(limit: usize) -> ApiError {
    ApiError::LimitExceeded(format!("Cannot exceed quota for GroupsPerUser: {limit}"))
}

/// AddRoleToInstanceProfile of a profile that holds a role: checked against AWS by moto's
/// maintainer (github.com/getmoto/moto/issues/6404: "Cannot exceed quota for
/// InstanceSessionsPerInstanceProfile: 1").
pub fn instance_profile_role_limit(limit: usize) -> ApiError {
    ApiError::LimitExceeded(format!("Cannot exceed quota for InstanceSessionsPerInstanceProfile: {limit}"))
}

/// AddRoleToInstanceProfile of the role it holds: not confirmed.
pub fn role_in_instance_profile_exists(role: &str, profile: &str) -> ApiError {
    ApiError::EntityAlreadyExists(format!("Role {role} is already associated with instance profile {profile}."))
}

// ---- Service-linked roles ----

/// Any change to a service-linked or AWS-reserved role but its description: `UnmodifiableEntity`,
/// 400. Quoted from AWS in public reports (github.com/rebuy-de/aws-nuke/issues/441,
/// github.com/gruntwork-io/cloud-nuke/issues/880).
pub fn protected_role(name: &str) -> ApiError {
    ApiError::UnmodifiableEntity(format!("Cannot perform the operation on the protected role '{name}' - this role is only modifiable by AWS"))
}

/// CreateRole under the service-linked path: not confirmed.
pub fn service_linked_path_reserved(prefix: &str) -> ApiError {
    ApiError::InvalidInput(format!("Path prefix '{prefix}' can only be used for AWS Service linked Roles"))
}

/// CreateServiceLinkedRole for a service without service-linked roles: not confirmed.
pub fn invalid_service_name(service: &str) -> ApiError {
    ApiError::InvalidInput(format!("Invalid service name: {service}"))
}

/// CreateServiceLinkedRole with a CustomSuffix the service does not take: not confirmed.
pub fn custom_suffix_not_allowed(service_principal: &str) -> ApiError {
    ApiError::InvalidInput(format!("Custom suffix is not allowed for {service_principal}"))
}

/// A service-linked role's name (with its suffix) longer than a role name may be: not
/// confirmed; castellan-api's generic length sentence.
pub fn service_linked_role_name_too_long(name: &str) -> ApiError {
    ApiError::Validation(format!(
        "1 validation error detected: Value '{name}' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64"
    ))
}

/// CreateServiceLinkedRole of a role name in use: not confirmed.
pub fn service_role_name_taken(name: &str) -> ApiError {
    ApiError::InvalidInput(format!("Service role name {name} has been taken in this account, please try a different suffix."))
}

/// DeleteServiceLinkedRole of a role that is not service-linked: not confirmed.
pub fn not_a_service_linked_role(name: &str) -> ApiError {
    ApiError::InvalidInput(format!("Role {name} is not a service-linked role."))
}

/// GetServiceLinkedRoleDeletionStatus of an id that is not a deletion task id: not confirmed.
pub fn invalid_deletion_task_id(id: &str) -> ApiError {
    ApiError::InvalidInput(format!("Invalid deletion task id: {id}"))
}

/// GetServiceLinkedRoleDeletionStatus of a task that does not exist: not confirmed.
pub fn no_such_deletion_task(id: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("Deletion task {id} does not exist."))
}

// ---- SAML and OpenID Connect providers ----

/// A SAML or OIDC provider ARN that is not an ARN: `InvalidInput` here (the roles snapshot's
/// policy ARN answer is `ValidationError` with the same sentence); not confirmed for providers.
pub fn provider_arn_not_valid(arn: &str) -> ApiError {
    ApiError::InvalidInput(format!("ARN {arn} is not valid."))
}

/// SAML metadata that is not a SAML metadata document: not confirmed.
pub fn saml_metadata_unparsable() -> ApiError {
    ApiError::InvalidInput("Could not parse metadata".into())
}

/// AddPrivateKey of a key that is not an RSA private key in PEM: not confirmed.
pub fn saml_private_key_invalid() -> ApiError {
    ApiError::InvalidInput("The private key is not a valid RSA private key in PEM format.".into())
}

/// RemovePrivateKey of a key id the provider does not hold: not confirmed.
pub fn no_such_saml_private_key(id: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("The private key {id} does not exist for this SAML provider."))
}

/// AddPrivateKey past the quota (2, API reference UpdateSAMLProvider): not confirmed; follows
/// AccessKeysPerUser's sentence.
pub fn saml_private_key_limit(limit: usize) -> ApiError {
    ApiError::LimitExceeded(format!("Cannot exceed quota for PrivateKeysPerSamlProvider: {limit}"))
}

/// AssertionEncryptionMode Required without a private key: not confirmed.
pub fn saml_private_key_required() -> ApiError {
    ApiError::InvalidInput("A private key is required when AssertionEncryptionMode is Required.".into())
}

/// CreateSAMLProvider of a name in use: not confirmed.
pub fn saml_provider_exists(name: &str) -> ApiError {
    ApiError::EntityAlreadyExists(format!("SAMLProvider {name} already exists."))
}

/// CreateSAMLProvider past the quota: not confirmed; follows AccessKeysPerUser's sentence.
pub fn saml_provider_limit(limit: usize) -> ApiError {
    ApiError::LimitExceeded(format!("Cannot exceed quota for SAMLProvidersPerAccount: {limit}"))
}

/// An OIDC provider ARN that names no provider: not confirmed (LocalStack's OIDC snapshot
/// records none).
pub fn no_such_oidc_provider(arn: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("OpenIDConnect Provider not found for arn {arn}"))
}

/// A thumbprint that is not 40 hexadecimal characters: not confirmed.
pub fn oidc_thumbprint_invalid(thumbprint: &str) -> ApiError {
    ApiError::InvalidInput(format!("Thumbprint {thumbprint} is not a valid SHA-1 thumbprint (40 hexadecimal characters)."))
}

/// AddClientIDToOpenIDConnectProvider past the quota: not confirmed; follows AccessKeysPerUser's
/// sentence.
pub fn oidc_client_id_limit(limit: usize) -> ApiError {
    ApiError::LimitExceeded(format!("Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {limit}"))
}

/// CreateOpenIDConnectProvider of a URL in use: `EntityAlreadyExists`, 409. Quoted from AWS in
/// public reports (github.com/getscaf/sfu-fullstack-template/issues/75,
/// github.com/DrFaust92/terraform-kubernetes-ebs-csi-driver/issues/107).
pub fn oidc_provider_exists(url: &str) -> ApiError {
    ApiError::EntityAlreadyExists(format!("Provider with url {url} already exists."))
}

/// CreateOpenIDConnectProvider past the quota: not confirmed; follows AccessKeysPerUser's sentence.
pub fn oidc_provider_limit(limit: usize) -> ApiError {
    ApiError::LimitExceeded(format!("Cannot exceed quota for OpenIdConnectProvidersPerAccount: {limit}"))
}

// ---- Login profiles and passwords ----

/// A password the account's password policy refuses: not confirmed.
pub fn password_policy_violation() -> ApiError {
    ApiError::PasswordPolicyViolation("Password does not conform to the account password policy.".into())
}

/// A login profile request for the root user: not confirmed.
pub fn root_password_not_iam() -> ApiError {
    ApiError::InvalidInput("The root user's console password is not managed through IAM.".into())
}

/// CreateLoginProfile without a password: castellan-api's generic null sentence.
pub fn password_null() -> ApiError {
    ApiError::Validation("1 validation error detected: Value null at 'password' failed to satisfy constraint: Member must not be null".into())
}

/// CreateLoginProfile of a user with one: not confirmed.
pub fn login_profile_exists(user: &str) -> ApiError {
    ApiError::EntityAlreadyExists(format!("Login Profile for user {user} already exists."))
}

/// ChangePassword by a caller that is not an IAM user: not confirmed.
pub fn change_password_not_a_user() -> ApiError {
    ApiError::InvalidInput("Only IAM users can change their own password with ChangePassword.".into())
}

/// ChangePassword with a wrong old password: not confirmed.
pub fn old_password_incorrect() -> ApiError {
    ApiError::InvalidInput("The old password is incorrect.".into())
}

// ---- MFA ----

/// CreateVirtualMFADevice past the quota (the user quota, IAM User Guide "IAM and AWS STS
/// quotas"): not confirmed; follows AccessKeysPerUser's sentence.
pub fn virtual_mfa_device_limit(limit: i64) -> ApiError {
    ApiError::LimitExceeded(format!("Cannot exceed quota for VirtualMFADevicesPerAccount: {limit}"))
}

/// EnableMFADevice, ResyncMFADevice with codes that do not verify: `InvalidAuthenticationCode`,
/// 403; not confirmed.
pub fn mfa_code_invalid() -> ApiError {
    ApiError::InvalidAuthenticationCode("Authentication code for device is not valid.".into())
}

/// EnableMFADevice past the per-user quota: not confirmed; follows AccessKeysPerUser's sentence.
pub fn mfa_devices_per_user_limit(limit: usize) -> ApiError {
    ApiError::LimitExceeded(format!("Cannot exceed quota for MFADevicesPerUser: {limit}"))
}

/// DeleteVirtualMFADevice of an enabled device: not confirmed.
pub fn mfa_device_still_in_use() -> ApiError {
    ApiError::DeleteConflict("MFA Device is still in use".into())
}

/// STS (GetSessionToken, AssumeRole): a serial number that is not the caller's enabled device.
/// Quoted from AWS in public reports (github.com/aws/aws-cli/issues/6325), two spaces included.
pub fn sts_mfa_unable_to_validate() -> ApiError {
    ApiError::AccessDenied(
        "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user."
            .into(),
    )
}

/// STS: a token code that does not verify. Quoted from AWS in public reports
/// (github.com/lonelyplanet/aws-mfa/pull/21, github.com/step-security/wait-for-secrets/issues/216).
pub fn sts_mfa_code_invalid() -> ApiError {
    ApiError::AccessDenied("MultiFactorAuthentication failed with invalid MFA one time pass code.".into())
}

// ---- STS ----

/// A session policy, policy ARNs and tags too large once packed: `PackedPolicyTooLarge`, 400;
/// not confirmed (LocalStack's sts snapshot records none), the sentence AWS is widely quoted with.
pub fn packed_policy_too_large(percent: i32) -> ApiError {
    ApiError::PackedPolicyTooLarge(format!("Packed policy consumes {percent}% of allotted space, please use smaller policy."))
}

/// AssumeRole of a role that does not exist: AWS's usual denial, the role named by the ARN asked
/// for (IAM User Guide, "Troubleshooting IAM roles").
pub fn assume_role_denied(caller_arn: &str, role_arn: &str) -> ApiError {
    ApiError::AccessDenied(format!("User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"))
}

/// A chained AssumeRole asking for more than an hour: `ValidationError`. Quoted from AWS in
/// public reports (github.com/aws/eks-anywhere/pull/9485, github.com/99designs/aws-vault/issues/263).
pub fn role_chaining_duration() -> ApiError {
    ApiError::Validation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.".into())
}

/// AssumeRole asking for more than the role's MaxSessionDuration: `ValidationError`; not
/// confirmed, the sentence AWS is widely quoted with.
pub fn max_session_duration_exceeded() -> ApiError {
    ApiError::Validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.".into())
}

/// More than 50 session tags (IAM User Guide, "Passing session tags in AWS STS"): not confirmed.
pub fn session_tags_limit() -> ApiError {
    ApiError::Validation("Cannot exceed quota for TagsPerSession: 50".into())
}

/// A chained AssumeRole changing the session's source identity: not confirmed; follows AWS's
/// denial sentence with the reason the User Guide gives ("Monitor and control actions taken
/// with assumed roles").
pub fn source_identity_unchangeable(caller_arn: &str, role_arn: &str) -> ApiError {
    ApiError::AccessDenied(format!(
        "User: {caller_arn} is not authorized to perform: sts:SetSourceIdentity on resource: {role_arn} because the source identity of the calling session cannot be changed"
    ))
}

/// GetSessionToken / GetFederationToken with session credentials: not confirmed.
pub fn session_credentials_refused(operation: &str) -> ApiError {
    ApiError::AccessDenied(format!("Cannot call {operation} with session credentials"))
}

/// GetAccessKeyInfo of a key id no account here issued: not confirmed.
pub fn access_key_not_issued(id: &str) -> ApiError {
    ApiError::InvalidClientTokenId(format!("The access key {id} is not one this service issued."))
}

/// A session token that does not open: `InvalidClientTokenId`, 403; AWS's sentence (the API
/// reference's "Common Errors" and many public reports).
pub fn security_token_invalid() -> ApiError {
    ApiError::InvalidClientTokenId("The security token included in the request is invalid.".into())
}

/// A session token past its expiry: `ExpiredToken`, 403; AWS's sentence (public reports, no
/// final period).
pub fn security_token_expired() -> ApiError {
    ApiError::ExpiredToken("The security token included in the request is expired".into())
}

// ---- Outbound web identity federation ----

/// The outbound federation information while it is disabled: `FeatureDisabled`, 404; not confirmed.
pub fn outbound_federation_disabled() -> ApiError {
    ApiError::FeatureDisabled("Outbound web identity federation is disabled for this account.".into())
}

/// EnableOutboundWebIdentityFederation when it is enabled: `FeatureEnabled`, 409; not confirmed.
pub fn outbound_federation_enabled() -> ApiError {
    ApiError::FeatureEnabled("Outbound web identity federation is already enabled for this account.".into())
}

/// GetWebIdentityToken with a signing algorithm outside the model's enum: castellan-api's
/// generic enum sentence.
pub fn signing_algorithm_invalid(value: &str) -> ApiError {
    ApiError::Validation(format!(
        "1 validation error detected: Value '{value}' at 'signingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [RS256, ES384]"
    ))
}

/// GetWebIdentityToken while outbound federation is disabled (403): not confirmed.
pub fn web_identity_token_federation_disabled() -> ApiError {
    ApiError::OutboundFederationDisabled("Outbound web identity federation is disabled for this account.".into())
}

/// GetWebIdentityToken outliving the calling session (403): not confirmed.
pub fn token_outlives_session() -> ApiError {
    ApiError::SessionDurationEscalation("The requested token duration would extend the session beyond its original expiration time.".into())
}

/// GetWebIdentityToken with a tag key twice: not confirmed; the session tags' sentence.
pub fn token_tag_keys_duplicate() -> ApiError {
    ApiError::Validation("Duplicate tag keys found. Please note that Tag keys are case insensitive.".into())
}

/// GetWebIdentityToken whose payload is too large: not confirmed.
pub fn token_payload_too_large(max: usize) -> ApiError {
    ApiError::JwtPayloadSizeExceeded(format!("The token payload exceeds the maximum size of {max} bytes."))
}

// ---- Managed policies, policy sizes, tags ----

/// A policy ARN of another partition: not confirmed.
pub fn arn_partition_invalid() -> ApiError {
    ApiError::Validation("Invalid ARN partition".into())
}

/// Changing an AWS managed policy (versions, tags, deletion): not confirmed.
pub fn aws_managed_policy_unmodifiable(arn: &str) -> ApiError {
    ApiError::UnmodifiableEntity(format!("Policy {arn} is an AWS managed policy and cannot be modified."))
}

/// DeletePolicy of an attached policy: not confirmed.
pub fn policy_attached() -> ApiError {
    ApiError::DeleteConflict("Cannot delete a policy attached to entities.".into())
}

/// DeletePolicy with versions besides the default: not confirmed; follows the DeletePolicy API
/// reference's wording.
pub fn policy_has_versions() -> ApiError {
    ApiError::DeleteConflict(
        "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.".into(),
    )
}

/// AttachRolePolicy of a service-role policy to a customer's role: `PolicyNotAttachable`, 400.
/// Quoted from AWS in public reports (github.com/aws/aws-cdk/issues/6131).
pub fn service_role_policy_not_attachable() -> ApiError {
    ApiError::PolicyNotAttachable("Cannot attach a Service Role Policy to a Customer Role.".into())
}

/// Attach*Policy past the quota, `kind` being "User", "Group" or "Role": `LimitExceeded`, 409.
/// Quoted from AWS in public reports (github.com/aws/eks-hybrid/pull/741: "Cannot exceed quota
/// for PoliciesPerRole: 10").
pub fn attached_policies_limit(kind: &str, limit: usize) -> ApiError {
    ApiError::LimitExceeded(format!("Cannot exceed quota for PoliciesPer{kind}: {limit}"))
}

/// A managed policy document past its size quota. Quoted from AWS in public reports
/// (github.com/ministryofjustice/cloud-platform-environments/pull/14473: "Cannot exceed quota for
/// PolicySize: 6144").
pub fn policy_size_limit(limit: usize) -> ApiError {
    ApiError::LimitExceeded(format!("Cannot exceed quota for PolicySize: {limit}"))
}

/// Inline policies of an entity past their aggregate size, `kind` being "user", "group" or
/// "role". Quoted from AWS in public reports (github.com/HumanCellAtlas/data-store/issues/1963:
/// "Maximum policy size of 5120 bytes exceeded for group travis-ci").
pub fn inline_policy_size_limit(limit: usize, kind: &str, owner: &str) -> ApiError {
    ApiError::LimitExceeded(format!("Maximum policy size of {limit} bytes exceeded for {kind} {owner}"))
}

/// A trust policy past its size quota: not confirmed; follows AccessKeysPerUser's sentence.
pub fn trust_policy_size_limit(limit: usize) -> ApiError {
    ApiError::LimitExceeded(format!("Cannot exceed quota for ACLSizePerRole: {limit}"))
}

/// A tag key starting with "aws:": not confirmed.
pub fn reserved_tag_key() -> ApiError {
    ApiError::InvalidInput("Tag keys starting with 'aws:' are reserved for AWS use.".into())
}

/// More tags than an entity may have, `entity` being "User", "Role"...: not confirmed; follows
/// AccessKeysPerUser's sentence.
pub fn tags_per_entity_limit(entity: &str, limit: usize) -> ApiError {
    ApiError::LimitExceeded(format!("Cannot exceed quota for TagsPer{entity}: {limit}"))
}

// ---- Accounts (castellan's own operations, no AWS counterpart) ----

/// `castellan account create` with an id that is not 12 digits.
pub fn account_id_invalid(id: &str) -> ApiError {
    ApiError::Validation(format!("Account id `{id}` must be 12 digits."))
}

/// `castellan account create` of an account that exists.
pub fn account_exists(id: &str) -> ApiError {
    ApiError::EntityAlreadyExists(format!("Account {id} already exists."))
}

/// An imported access key another principal holds.
pub fn access_key_taken(id: &str) -> ApiError {
    ApiError::EntityAlreadyExists(format!("Access key {id} already belongs to another principal."))
}

/// A modeled operation Castellan does not implement.
pub fn not_implemented(operation: &str) -> ApiError {
    ApiError::NotImplemented(format!("The operation {operation} is not implemented by Castellan yet."))
}

/// A store whose accounts record different partitions.
pub fn store_partitions_mixed() -> ApiError {
    ApiError::InvalidInput("the stored accounts belong to different partitions".into())
}

/// A server started for a partition other than the store's.
pub fn store_partition_mismatch(stored: &str, wanted: &str) -> ApiError {
    ApiError::InvalidInput(format!(
        "the stored accounts were created in partition {stored}; start the server with --partition {stored} (this one was started for {wanted})"
    ))
}


// ---- Web identity and SAML federation (AssumeRoleWithWebIdentity, AssumeRoleWithSAML) ----

/// AssumeRoleWithWebIdentity refused by the trust policy (or of a role that does not exist):
/// AWS's sentence (IAM User Guide, "Troubleshooting IAM roles"; many public reports).
pub fn web_identity_not_authorized() -> ApiError {
    ApiError::AccessDenied("Not authorized to perform sts:AssumeRoleWithWebIdentity".into())
}

/// A web identity token whose session tags claim is not an object of strings: not confirmed.
pub fn web_identity_tags_claim_malformed() -> ApiError {
    ApiError::InvalidIdentityToken("The web identity token's session tags claim is malformed.".into())
}

/// A web identity token without `iss`: not confirmed.
pub fn web_identity_no_issuer() -> ApiError {
    ApiError::InvalidIdentityToken("The web identity token has no iss claim.".into())
}

/// AssumeRoleWithWebIdentity with a token whose issuer has no provider in the role's account.
/// Quoted from AWS in public reports (github.com/aws-actions/configure-aws-credentials/issues/721,
/// the full XML in github.com/mozilla-iam/mozilla-aws-cli/issues/127).
pub fn no_oidc_provider_for_issuer(issuer: &str) -> ApiError {
    ApiError::InvalidIdentityToken(format!("No OpenIDConnect provider found in your account for {issuer}"))
}

/// A web identity token whose audience is none of the provider's client ids: AWS's sentence as
/// widely quoted (e.g. in configure-aws-credentials' troubleshooting); not confirmed by a
/// recorded response.
pub fn incorrect_token_audience() -> ApiError {
    ApiError::InvalidIdentityToken("Incorrect token audience".into())
}

/// An expired web identity token: `ExpiredTokenException`, 400. Quoted from AWS in public reports
/// (github.com/aws/aws-sdk-java-v2/issues/5709, 2024; reports from 2021 show no space before
/// the expiration time, github.com/awslabs/aws-orbit-workbench/issues/771).
pub fn web_identity_token_expired(now: i64, exp: i64) -> ApiError {
    ApiError::ExpiredIdentityToken(format!("Token expired: current date/time {now} must be before the expiration date/time {exp}"))
}

/// A web identity token signed by a key the provider does not publish: AWS's sentence (two
/// spaces), as widely quoted in public reports; not confirmed by a recorded response.
pub fn verification_key_unavailable() -> ApiError {
    ApiError::InvalidIdentityToken(
        "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements".into(),
    )
}

/// The identity provider's keys could not be fetched: `IDPCommunicationError`, 400; not
/// confirmed.
pub fn idp_unreachable(issuer: &str) -> ApiError {
    ApiError::IdpCommunicationError(format!("Couldn't connect to the identity provider {issuer} to retrieve its keys. Please try again."))
}

/// A web identity token without `sub`: not confirmed.
pub fn web_identity_no_subject() -> ApiError {
    ApiError::InvalidIdentityToken("The web identity token has no sub claim.".into())
}

/// A web identity token whose source identity claim is not a string: not confirmed.
pub fn web_identity_source_identity_malformed() -> ApiError {
    ApiError::InvalidIdentityToken("The web identity token's source identity claim is malformed.".into())
}

/// AssumeRoleWithSAML refused by the trust policy: AWS's sentence, as the web identity one.
pub fn saml_not_authorized() -> ApiError {
    ApiError::AccessDenied("Not authorized to perform sts:AssumeRoleWithSAML".into())
}

/// A SAML session tag attribute with no or several values: not confirmed.
pub fn saml_session_tag_values(key: &str) -> ApiError {
    ApiError::InvalidIdentityToken(format!("The session tag {key} must have exactly one value."))
}

/// A SAML session tag that breaks the tag rules: not confirmed.
pub fn saml_session_tag_invalid(key: &str) -> ApiError {
    ApiError::InvalidIdentityToken(format!("The session tag {key} is not valid."))
}

/// A SAML SourceIdentity attribute with several values or a bad value: not confirmed.
pub fn saml_source_identity_invalid() -> ApiError {
    ApiError::InvalidIdentityToken("The SourceIdentity attribute is not valid.".into())
}

/// A SAML assertion without RoleSessionName: believed AWS's sentence (the IAM User Guide's
/// SAML troubleshooting page); not confirmed here.
pub fn saml_session_name_missing() -> ApiError {
    ApiError::InvalidIdentityToken("RoleSessionName is required in AuthnResponse".into())
}

/// A SAML RoleSessionName that breaks its pattern: not confirmed.
pub fn saml_session_name_invalid() -> ApiError {
    ApiError::InvalidIdentityToken("RoleSessionName in AuthnResponse is not valid: 2 to 64 characters of letters, digits and _+=,.@-".into())
}

/// A SAML assertion for another audience: not confirmed.
pub fn saml_audience_wrong() -> ApiError {
    ApiError::InvalidIdentityToken("The SAML assertion's audience is not urn:amazon:webservices.".into())
}

/// A SAML assertion without exactly one bearer SubjectConfirmation: not confirmed.
pub fn saml_bearer_confirmation() -> ApiError {
    ApiError::InvalidIdentityToken("The SAML assertion must have exactly one bearer SubjectConfirmation.".into())
}

/// A SAML SubjectConfirmationData without Recipient: not confirmed.
pub fn saml_no_recipient() -> ApiError {
    ApiError::InvalidIdentityToken("The SubjectConfirmationData has no Recipient.".into())
}

/// A SAML Recipient other than the AWS sign-in endpoint: not confirmed.
pub fn saml_recipient_wrong() -> ApiError {
    ApiError::InvalidIdentityToken("The SAML assertion's Recipient is not the AWS sign-in endpoint.".into())
}

/// A SAML response Destination other than the AWS sign-in endpoint: not confirmed.
pub fn saml_destination_wrong() -> ApiError {
    ApiError::InvalidIdentityToken("The SAML response's Destination is not the AWS sign-in endpoint.".into())
}

/// A SAML SubjectConfirmationData without NotOnOrAfter: not confirmed.
pub fn saml_no_not_on_or_after() -> ApiError {
    ApiError::InvalidIdentityToken("The SubjectConfirmationData has no NotOnOrAfter.".into())
}

/// A SAML assertion past its NotOnOrAfter: `ExpiredTokenException`; not confirmed.
pub fn saml_assertion_expired() -> ApiError {
    ApiError::ExpiredIdentityToken("Token is expired: the SAML assertion's NotOnOrAfter has passed.".into())
}

/// A SAML assertion from the future: not confirmed.
pub fn saml_not_yet_valid() -> ApiError {
    ApiError::InvalidIdentityToken("The SAML assertion is not yet valid (NotBefore or IssueInstant is in the future).".into())
}

/// AssumeRoleWithSAML naming a provider that does not exist: believed AWS's sentence (the IAM
/// User Guide's SAML troubleshooting page); not confirmed here.
pub fn saml_provider_missing() -> ApiError {
    ApiError::InvalidIdentityToken("Specified provider doesn't exist".into())
}

/// A SAML provider whose metadata is past validUntil: not confirmed.
pub fn saml_metadata_expired() -> ApiError {
    ApiError::InvalidIdentityToken("The SAML provider's metadata has expired (validUntil); update the provider with current metadata.".into())
}

/// An encrypted SAML assertion for a provider without a private key: not confirmed.
pub fn saml_cannot_decrypt() -> ApiError {
    ApiError::InvalidIdentityToken("The SAML assertion is encrypted, and the SAML provider has no private key to decrypt it.".into())
}

/// A plain SAML assertion for a provider that requires encryption: not confirmed.
pub fn saml_encryption_required() -> ApiError {
    ApiError::InvalidIdentityToken("The SAML provider requires encrypted assertions.".into())
}

/// A SAML assertion whose Issuer is not the provider's entity id. Quoted from AWS in a public
/// report (github.com/dbeaver/cloudbeaver/issues/3112).
pub fn saml_issuer_not_in_provider() -> ApiError {
    ApiError::InvalidIdentityToken("Issuer not present in specified provider".into())
}

/// A SAML SessionDuration attribute out of range: not confirmed.
pub fn saml_session_duration_invalid() -> ApiError {
    ApiError::InvalidIdentityToken("The SessionDuration attribute must be one whole number of seconds from 900 to 43200.".into())
}

/// A SAML assertion past its SessionNotOnOrAfter: `ExpiredTokenException`; not confirmed.
pub fn saml_session_expired() -> ApiError {
    ApiError::ExpiredIdentityToken("Token is expired: the SAML assertion's SessionNotOnOrAfter has passed.".into())
}


// ---- Authorization, workloads, access advisor, simulator, sign-in ----

/// AWS's denial without a policy clause (the caller is refused before or outside policy
/// evaluation): "User: ARN is not authorized to perform: ACTION on resource: RESOURCE" (IAM User
/// Guide, "Troubleshoot access denied error messages").
pub fn not_authorized(caller_arn: &str, action: &str, resource: &str) -> ApiError {
    ApiError::AccessDenied(format!("User: {caller_arn} is not authorized to perform: {action} on resource: {resource}"))
}

/// IAM called with a GetFederationToken session, or a GetSessionToken session without MFA:
/// `InvalidClientTokenId`, 403, IAM's wording without the final period; not confirmed (STS's,
/// `security_token_invalid`, has it).
pub fn iam_security_token_invalid() -> ApiError {
    ApiError::InvalidClientTokenId("The security token included in the request is invalid".into())
}

/// An STS operation a GetFederationToken / GetSessionToken session may not call: not confirmed.
pub fn temporary_credentials_refused(caller_arn: &str, action: &str) -> ApiError {
    ApiError::AccessDenied(format!("User: {caller_arn} is not authorized to perform: {action} with these temporary credentials"))
}

/// AssumeRole by the root user: AWS's sentence, as widely quoted in public reports; not
/// confirmed by a recorded response.
pub fn root_cannot_assume_roles() -> ApiError {
    ApiError::AccessDenied("Roles may not be assumed by root accounts.".into())
}

/// AssumeRoleWithWebIdentity / AssumeRoleWithSAML refused by the role's trust policy, `action`
/// being the operation's action: as `web_identity_not_authorized`.
pub fn federated_not_authorized(action: &str) -> ApiError {
    ApiError::AccessDenied(format!("Not authorized to perform {action}"))
}

/// A workload whose role does not trust its service: ECS's RunTask message for a task role
/// (ClientException), used for instances too; not confirmed.
pub fn workload_cannot_assume(service: &str, role_arn: &str) -> ApiError {
    ApiError::AccessDenied(format!(
        "{service} was unable to assume the role '{role_arn}' that was provided for this workload. Please verify that the role being passed has the proper trust relationship and permissions and that your IAM user has permissions to pass this role."
    ))
}

/// A workload whose registration no longer holds (Castellan's own).
pub fn workload_stopped(id: &str) -> ApiError {
    ApiError::AccessDenied(format!("The role of workload {id} is no longer available to it."))
}

/// A workload registered for an instance profile without a role (Castellan's own).
pub fn instance_profile_without_role(name: &str) -> ApiError {
    ApiError::InvalidInput(format!("Instance profile {name} has no role."))
}

/// A workload token that does not open or is not the caller's (Castellan's own).
pub fn workload_token_invalid() -> ApiError {
    ApiError::AccessDenied("The workload token is not valid.".into())
}

/// Workload credentials for a duration out of range (Castellan's own).
pub fn workload_duration_invalid(min: i32, max: i32) -> ApiError {
    ApiError::Validation(format!("DurationSeconds must be between {min} and {max} seconds."))
}

/// A user whose password checks are paused after failures (Castellan's own throttle).
pub fn password_attempts_locked(user_name: &str) -> ApiError {
    ApiError::LimitExceeded(format!("Too many failed password attempts for user {user_name}. Wait a few minutes and try again."))
}

/// A PolicySourceArn (simulator, policy information) that names no user, group or role: not confirmed.
pub fn policy_source_not_found(arn: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("PolicySourceArn {arn} was not found."))
}

/// ListPoliciesGrantingServiceAccess of an ARN that names no entity: not confirmed.
pub fn no_such_entity_arn(arn: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("The entity with ARN {arn} cannot be found."))
}

/// The Organizations reports of an account outside any organization: `OrganizationNotFoundException`;
/// not confirmed, the IAM model's description of the error.
pub fn no_organization() -> ApiError {
    ApiError::OrganizationNotFound("The request was rejected because no organization is associated with your account.".into())
}

/// GetOrganizationsAccessReport of a job id that does not exist: not confirmed.
pub fn no_such_report(job_id: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("The report with job id {job_id} cannot be found."))
}

/// A simulation with too many results: not confirmed.
pub fn simulation_too_large(actions: usize, resources: usize, results: usize, max: usize) -> ApiError {
    ApiError::InvalidInput(format!(
        "The simulation of {actions} actions on {resources} resources would produce {results} results; at most {max} are allowed."
    ))
}

/// GenerateServiceLastAccessedDetails of an ARN that names nothing: not confirmed.
pub fn no_such_entity(arn: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("The entity {arn} cannot be found."))
}

/// GetServiceLastAccessedDetails of a job id that does not exist: not confirmed.
pub fn no_such_job(id: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("The job with ID {id} cannot be found."))
}

/// A trust or resource policy naming an AWS principal that does not exist: AWS's sentence,
/// quoted in many public reports (e.g. terraform-provider-aws issues:
/// "MalformedPolicyDocument: Invalid principal in policy: \"AWS\":\"arn:aws:iam::...\"").
pub fn invalid_principal(value: &str) -> ApiError {
    ApiError::MalformedPolicyDocument(format!("Invalid principal in policy: \"AWS\":\"{value}\""))
}

/// `castellan account` of an account that does not exist (Castellan's own).
pub fn no_such_account(account: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("Account {account} does not exist."))
}

/// The federation endpoint's login with a sign-in token that is not valid: not confirmed.
pub fn signin_token_invalid() -> ApiError {
    ApiError::InvalidClientTokenId("The sign-in token is invalid or has expired.".into())
}

/// DecodeAuthorizationMessage of a message this service did not encode:
/// `InvalidAuthorizationMessageException`, 400; not confirmed.
pub fn authorization_message_invalid() -> ApiError {
    ApiError::InvalidAuthorizationMessage("The message is invalid.".into())
}

/// An operation about "the calling user" called by a caller that is not an IAM user: AWS's
/// sentence as widely quoted in public reports; not confirmed by a recorded response.
pub fn user_name_required() -> ApiError {
    ApiError::Validation("Must specify userName when calling with non-User credentials".into())
}


// ---- The server's query endpoint and Castellan's own actions (crates/server) ----

/// A workload request parameter empty or too long: castellan-api's generic length sentence
/// (Castellan's own actions).
pub fn workload_param_length(name: &str, max: usize) -> ApiError {
    ApiError::Validation(format!("1 validation error detected: Value at '{name}' failed to satisfy constraint: Member must have length between 1 and {max}"))
}

/// RegisterWorkload without exactly one of its targets (Castellan's own).
pub fn workload_needs_one_target() -> ApiError {
    ApiError::Validation("Exactly one of InstanceProfileName and RoleName is required.".into())
}

/// GetWorkloadCredentials without a token (Castellan's own).
pub fn workload_token_required() -> ApiError {
    ApiError::Validation("WorkloadToken is required.".into())
}

/// GetWorkloadCredentials with a DurationSeconds that is not a number (Castellan's own).
pub fn workload_duration_not_integer() -> ApiError {
    ApiError::Validation("DurationSeconds must be an integer.".into())
}

/// A CloudTrail action other than LookupEvents (Castellan's own).
pub fn cloudtrail_not_implemented(target: &str) -> ApiError {
    ApiError::NotImplemented(format!("Castellan serves CloudTrail's LookupEvents only, not {target}."))
}

/// A query request without Action: `InvalidAction`, 400; not confirmed.
pub fn missing_action() -> ApiError {
    ApiError::InvalidAction("Missing Action".into())
}

/// A query request naming an action the service does not have: `InvalidAction`, 400; AWS's
/// sentence as widely quoted in public reports ("Could not find operation X for version
/// 2010-05-08"); not confirmed by a recorded response.
pub fn unknown_operation(action: &str, version: &str) -> ApiError {
    ApiError::InvalidAction(format!("Could not find operation {action} for version {version}"))
}

/// A request signed for a service other than IAM and STS (Castellan's own).
pub fn other_service_signed(service: &str) -> ApiError {
    ApiError::NotImplemented(format!(
        "Castellan serves IAM and STS only, and this request is signed for the service '{service}'. \
         Point only IAM and STS at Castellan (AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL_STS)."
    ))
}

/// A POST whose body is not a form: `MalformedQueryString`; not confirmed.
pub fn unsupported_content_type() -> ApiError {
    ApiError::MalformedQueryString("Unsupported Content-Type; expected application/x-www-form-urlencoded".into())
}

// ---- Store conflicts and IAM's own pattern sentences (used by error.rs's conversions) ----

/// A write that lost a race with another node's: `ConcurrentModification`, 409; not confirmed.
pub fn concurrent_modification() -> ApiError {
    ApiError::ConcurrentModification("This resource is being modified by another request. Please try again.".into())
}

/// A name breaking IAM's name pattern: IAM's own sentence instead of the generic one (observed
/// AWS responses, see tests/e2e/test_validation.py). A `String`: it replaces the decoder's text.
pub fn name_pattern_invalid(path: &str) -> String {
    format!("The specified value for {path} is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-")
}

/// A path breaking IAM's path pattern: as `name_pattern_invalid`.
pub fn path_pattern_invalid(path: &str) -> String {
    format!("The specified value for {path} is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
}
