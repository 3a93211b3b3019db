//! The other credentials a user may have on AWS: SSH public keys (for CodeCommit) and signing
//! certificates, kept in one `UserCredentials` record per user keyed by the user's unique id
//! (so a rename carries them along), and service-specific credentials, whose listing is
//! answered truthfully (a user has none) until they are built.
//!
//! Errors follow the IAM model's error shapes (code, HTTP status); where AWS's exact message is
//! not published, the message is the model's description of the error (`msg`).

use castellan_api::iam;

use super::keys::subject;
use super::{no_such_user, ts};
use crate::error::{ApiError, ApiResult};
use crate::ids;
use crate::model::{Change, KeyStatus, Record, SshPublicKey, User, UserCredentials};
use crate::paginate::page_slice;
use crate::sshkey::{self, KeyError};
use crate::state::State;
use crate::{Caller, Iam};

/// Quotas (IAM User Guide, "IAM and AWS STS quotas": "SSH public keys per IAM user: 5").
pub const SSH_PUBLIC_KEYS_PER_USER: usize = 5;

/// Messages: the IAM model's descriptions of these errors (botocore, iam-2010-05-08.json).
mod msg {
    pub const DUPLICATE_SSH: &str = "The SSH public key is already associated with the specified IAM user.";
    pub const INVALID_KEY: &str = "The public key is malformed or otherwise invalid.";
    pub const UNRECOGNIZED_KEY: &str = "The public key encoding format is unsupported or unrecognized.";
}

fn status_out(s: KeyStatus) -> iam::StatusType {
    match s {
        KeyStatus::Active => iam::StatusType::Active,
        KeyStatus::Inactive => iam::StatusType::Inactive,
    }
}

/// A status a request sets: `Expired` is one AWS reports, never one a client sets.
fn status_in(s: &iam::StatusType) -> ApiResult<KeyStatus> {
    match s {
        iam::StatusType::Active => Ok(KeyStatus::Active),
        iam::StatusType::Inactive => Ok(KeyStatus::Inactive),
        iam::StatusType::Expired => Err(ApiError::InvalidInput("Status must be Active or Inactive.".into())),
    }
}

/// The user named (or the caller), and its credentials record (empty when it has none).
fn user_and_credentials<'a>(st: &'a State, caller: &Caller, user_name: Option<&str>) -> ApiResult<Option<(&'a User, UserCredentials)>> {
    let Some(name) = subject(st, caller, user_name)? else { return Ok(None) };
    let user = st.user(&caller.account, &name).ok_or_else(|| no_such_user(&name))?;
    let creds = st.credentials_of(&caller.account, &user.id).cloned().unwrap_or_else(|| UserCredentials {
        account: caller.account.clone(),
        user_id: user.id.clone(),
        ssh_public_keys: Vec::new(),
        signing_certificates: Vec::new(),
    });
    Ok(Some((user, creds)))
}

/// The user a request names, which must exist.
fn named<'a>(st: &'a State, caller: &Caller, user_name: &str) -> ApiResult<(&'a User, UserCredentials)> {
    user_and_credentials(st, caller, Some(user_name))?.ok_or_else(|| no_such_user(user_name))
}

/// The changes that save `creds`: deleted when it holds nothing any more.
fn save(creds: UserCredentials) -> Change {
    if creds.is_empty() {
        Change::Delete(Record::UserCredentials(creds))
    } else {
        Change::Put(Record::UserCredentials(creds))
    }
}

fn no_such_ssh_key(id: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("The Public Key with id {id} cannot be found."))
}

fn ssh_key_out(user: &User, k: &SshPublicKey, body: String) -> iam::SSHPublicKey {
    iam::SSHPublicKey {
        user_name: user.name.clone(),
        ssh_public_key_id: k.id.clone(),
        fingerprint: k.fingerprint.clone(),
        ssh_public_key_body: body,
        status: status_out(k.status),
        upload_date: Some(ts(k.uploaded)),
    }
}

pub fn upload_ssh_public_key(iam: &Iam, caller: &Caller, r: &iam::UploadSSHPublicKeyRequest) -> ApiResult<iam::UploadSSHPublicKeyResponse> {
    let key = sshkey::parse(&r.ssh_public_key_body).map_err(|e| match e {
        KeyError::Unrecognized => ApiError::UnrecognizedPublicKeyEncoding(msg::UNRECOGNIZED_KEY.into()),
        KeyError::Invalid => ApiError::InvalidPublicKey(msg::INVALID_KEY.into()),
    })?;
    let fingerprint = key.fingerprint();
    let now = iam.now();
    iam.mutate(|st| {
        let (user, mut creds) = named(st, caller, &r.user_name)?;
        if creds.ssh_public_keys.iter().any(|k| k.fingerprint == fingerprint) {
            return Err(ApiError::DuplicateSSHPublicKey(msg::DUPLICATE_SSH.into()));
        }
        if creds.ssh_public_keys.len() >= SSH_PUBLIC_KEYS_PER_USER {
            return Err(ApiError::LimitExceeded(format!("Cannot exceed quota for SSHPublicKeysPerUser: {SSH_PUBLIC_KEYS_PER_USER}")));
        }
        let k = SshPublicKey {
            id: ids::ssh_public_key_id(),
            body: r.ssh_public_key_body.trim().to_owned(),
            fingerprint: fingerprint.clone(),
            status: KeyStatus::Active,
            uploaded: now,
        };
        let out = ssh_key_out(user, &k, k.body.clone());
        creds.ssh_public_keys.push(k);
        // The user's record is rewritten too: its revision guards against a DeleteUser racing
        // this upload on another node.
        Ok((vec![Change::Put(Record::UserCredentials(creds)), Change::Put(Record::User(user.clone()))], iam::UploadSSHPublicKeyResponse { ssh_public_key: Some(out) }))
    })
}

pub fn get_ssh_public_key(iam: &Iam, caller: &Caller, r: &iam::GetSSHPublicKeyRequest) -> ApiResult<iam::GetSSHPublicKeyResponse> {
    let st = iam.read();
    let (user, creds) = named(&st, caller, &r.user_name)?;
    let k = creds.ssh_public_keys.iter().find(|k| k.id == r.ssh_public_key_id).ok_or_else(|| no_such_ssh_key(&r.ssh_public_key_id))?;
    let parsed = sshkey::parse(&k.body).map_err(|_| ApiError::ServiceFailure)?;
    let body = match r.encoding {
        // A key uploaded as an ssh-rsa line comes back as uploaded; a PEM one in ssh-rsa form.
        iam::EncodingType::Ssh if k.body.starts_with("ssh-rsa") => k.body.clone(),
        iam::EncodingType::Ssh => parsed.to_ssh(),
        iam::EncodingType::Pem => parsed.to_pem(),
    };
    Ok(iam::GetSSHPublicKeyResponse { ssh_public_key: Some(ssh_key_out(user, k, body)) })
}

pub fn list_ssh_public_keys(iam: &Iam, caller: &Caller, r: &iam::ListSSHPublicKeysRequest) -> ApiResult<iam::ListSSHPublicKeysResponse> {
    let st = iam.read();
    // The root user (no UserName) has no SSH keys.
    let all: Vec<iam::SSHPublicKeyMetadata> = match user_and_credentials(&st, caller, r.user_name.as_deref())? {
        Some((user, creds)) => creds
            .ssh_public_keys
            .iter()
            .map(|k| iam::SSHPublicKeyMetadata {
                user_name: user.name.clone(),
                ssh_public_key_id: k.id.clone(),
                status: status_out(k.status),
                upload_date: ts(k.uploaded),
            })
            .collect(),
        None => Vec::new(),
    };
    let p = page_slice(&all, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListSSHPublicKeysResponse { ssh_public_keys: Some(p.items), is_truncated: Some(p.next_marker.is_some()), marker: p.next_marker })
}

pub fn update_ssh_public_key(iam: &Iam, caller: &Caller, r: &iam::UpdateSSHPublicKeyRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let (_, mut creds) = named(st, caller, &r.user_name)?;
        let k = creds.ssh_public_keys.iter_mut().find(|k| k.id == r.ssh_public_key_id).ok_or_else(|| no_such_ssh_key(&r.ssh_public_key_id))?;
        k.status = status_in(&r.status)?;
        Ok((vec![save(creds)], ()))
    })
}

pub fn delete_ssh_public_key(iam: &Iam, caller: &Caller, r: &iam::DeleteSSHPublicKeyRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let (_, mut creds) = named(st, caller, &r.user_name)?;
        let before = creds.ssh_public_keys.len();
        creds.ssh_public_keys.retain(|k| k.id != r.ssh_public_key_id);
        if creds.ssh_public_keys.len() == before {
            return Err(no_such_ssh_key(&r.ssh_public_key_id));
        }
        Ok((vec![save(creds)], ()))
    })
}

/// What DeleteUser must refuse while the user still has SSH keys or certificates: the
/// DeleteConflict message's "must … first" part.
pub fn delete_user_conflict(st: &State, user: &User) -> Option<&'static str> {
    let creds = st.credentials_of(&user.account, &user.id)?;
    if !creds.ssh_public_keys.is_empty() {
        Some("delete SSH public keys")
    } else if !creds.signing_certificates.is_empty() {
        Some("delete signing certificates")
    } else {
        None
    }
}

pub fn list_signing_certificates(
    iam: &Iam,
    caller: &Caller,
    r: &iam::ListSigningCertificatesRequest,
) -> ApiResult<iam::ListSigningCertificatesResponse> {
    subject(&iam.read(), caller, r.user_name.as_deref())?;
    Ok(iam::ListSigningCertificatesResponse { certificates: Vec::new(), is_truncated: Some(false), marker: None })
}

pub fn list_service_specific_credentials(
    iam: &Iam,
    caller: &Caller,
    r: &iam::ListServiceSpecificCredentialsRequest,
) -> ApiResult<iam::ListServiceSpecificCredentialsResponse> {
    if !r.all_users.unwrap_or(false) {
        subject(&iam.read(), caller, r.user_name.as_deref())?;
    }
    Ok(iam::ListServiceSpecificCredentialsResponse { service_specific_credentials: Some(Vec::new()), marker: None, is_truncated: Some(false) })
}
