//! The other credentials a user may have on AWS: SSH public keys (for CodeCommit) and signing
//! certificates (X.509, for the SOAP-era services; the root user may have them too), kept with
//! the service-specific credentials (`service_credentials`) in one `UserCredentials` record per
//! user keyed by the user's unique id, so a rename carries them along.
//!
//! Errors follow the IAM model's error shapes (code, HTTP status); where AWS's exact message is
//! not published, the message is the model's description of the error (`msg`).

use castellan_api::iam;
use castellan_pki::cert;
use castellan_pki::sshkey::{self, KeyError};

use super::keys::subject;
use super::{no_such_user, ts};
use crate::error::{ApiError, ApiResult};
use crate::messages;
use crate::ids;
use crate::model::{Change, KeyStatus, Record, SigningCertificate, SshPublicKey, User, UserCredentials};
use crate::paginate::page_slice;
use crate::state::State;
use crate::{Caller, Iam};

/// Quotas (IAM User Guide, "IAM and AWS STS quotas": SSH public keys per IAM user, 5;
/// signing certificates assigned per IAM user, 2).
pub const SSH_PUBLIC_KEYS_PER_USER: usize = 5;
pub const SIGNING_CERTIFICATES_PER_USER: usize = 2;

/// Messages: the IAM model's descriptions of these errors (botocore, iam-2010-05-08.json).
pub(super) fn status_out(s: KeyStatus) -> iam::StatusType {
    match s {
        KeyStatus::Active => iam::StatusType::Active,
        KeyStatus::Inactive => iam::StatusType::Inactive,
    }
}

/// A status a request sets: `Expired` is one AWS reports, never one a client sets.
pub(super) fn status_in(s: &iam::StatusType) -> ApiResult<KeyStatus> {
    match s {
        iam::StatusType::Active => Ok(KeyStatus::Active),
        iam::StatusType::Inactive => Ok(KeyStatus::Inactive),
        iam::StatusType::Expired => Err(messages::status_active_or_inactive()),
    }
}

/// Whose credentials a request is about: a user, or (for signing certificates) the root user.
pub(super) struct Owner<'a> {
    /// The user, `None` for the root user.
    pub(super) user: Option<&'a User>,
    /// The name responses show: the user's, or the account id for the root user (as
    /// ListAccessKeys shows it).
    pub(super) name: String,
    /// Its credentials record (empty when it has none).
    pub(super) creds: UserCredentials,
}

impl Owner<'_> {
    /// The record whose revision guards the owner's existence: rewritten with an upload, so
    /// a DeleteUser racing it on another node conflicts.
    pub(super) fn guard(&self, st: &State) -> ApiResult<Record> {
        match self.user {
            Some(u) => Ok(Record::User(u.clone())),
            None => Ok(Record::Account(st.accounts.get(&self.creds.account).ok_or(ApiError::ServiceFailure)?.clone())),
        }
    }
}

/// The user named (or the caller; the root user when the caller is root).
pub(super) fn owner<'a>(st: &'a State, caller: &Caller, user_name: Option<&str>) -> ApiResult<Owner<'a>> {
    let user = match subject(st, caller, user_name)? {
        Some(name) => Some(st.user(&caller.account, &name).ok_or_else(|| no_such_user(&name))?),
        None => None,
    };
    let id = user.map_or(caller.account.as_str(), |u| u.id.as_str());
    let creds = st.credentials_of(&caller.account, id).cloned().unwrap_or_else(|| UserCredentials {
        account: caller.account.clone(),
        user_id: id.to_owned(),
        ssh_public_keys: Vec::new(),
        signing_certificates: Vec::new(),
        service_credentials: Vec::new(),
    });
    Ok(Owner { user, name: user.map_or_else(|| caller.account.clone(), |u| u.name.clone()), creds })
}

/// The user a request names, which must exist.
fn named<'a>(st: &'a State, caller: &Caller, user_name: &str) -> ApiResult<(&'a User, UserCredentials)> {
    let o = owner(st, caller, Some(user_name))?;
    Ok((o.user.ok_or_else(|| no_such_user(user_name))?, o.creds))
}

/// The changes that save `creds`: deleted when it holds nothing any more.
pub(super) fn save(creds: UserCredentials) -> Change {
    if creds.is_empty() {
        Change::Delete(Record::UserCredentials(creds))
    } else {
        Change::Put(Record::UserCredentials(creds))
    }
}

/// Removes the item `matches` picks from one of the owner's lists, or answers `missing()`.
pub(super) fn remove<T>(items: &mut Vec<T>, matches: impl Fn(&T) -> bool, missing: impl FnOnce() -> ApiError) -> ApiResult<()> {
    let before = items.len();
    items.retain(|x| !matches(x));
    if items.len() == before {
        return Err(missing());
    }
    Ok(())
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
        KeyError::Unrecognized => messages::unrecognized_public_key_encoding(),
        KeyError::Invalid => messages::invalid_public_key(),
    })?;
    let fingerprint = key.fingerprint();
    let now = iam.now();
    iam.mutate(|st| {
        let (user, mut creds) = named(st, caller, &r.user_name)?;
        if creds.ssh_public_keys.iter().any(|k| k.fingerprint == fingerprint) {
            return Err(messages::duplicate_ssh_public_key());
        }
        if creds.ssh_public_keys.len() >= SSH_PUBLIC_KEYS_PER_USER {
            return Err(messages::ssh_public_key_limit(SSH_PUBLIC_KEYS_PER_USER));
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
        let guard = Record::User(user.clone());
        Ok((vec![Change::Put(Record::UserCredentials(creds)), Change::Put(guard)], iam::UploadSSHPublicKeyResponse { ssh_public_key: Some(out) }))
    })
}

pub fn get_ssh_public_key(iam: &Iam, caller: &Caller, r: &iam::GetSSHPublicKeyRequest) -> ApiResult<iam::GetSSHPublicKeyResponse> {
    let st = iam.read();
    let (user, creds) = named(&st, caller, &r.user_name)?;
    let k = creds.ssh_public_keys.iter().find(|k| k.id == r.ssh_public_key_id).ok_or_else(|| messages::no_such_ssh_public_key(&r.ssh_public_key_id))?;
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
    let o = owner(&st, caller, r.user_name.as_deref())?;
    let all: Vec<iam::SSHPublicKeyMetadata> = o
        .creds
        .ssh_public_keys
        .iter()
        .map(|k| iam::SSHPublicKeyMetadata {
            user_name: o.name.clone(),
            ssh_public_key_id: k.id.clone(),
            status: status_out(k.status),
            upload_date: ts(k.uploaded),
        })
        .collect();
    let p = page_slice(&all, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListSSHPublicKeysResponse { ssh_public_keys: Some(p.items), is_truncated: Some(p.next_marker.is_some()), marker: p.next_marker })
}

pub fn update_ssh_public_key(iam: &Iam, caller: &Caller, r: &iam::UpdateSSHPublicKeyRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let (_, mut creds) = named(st, caller, &r.user_name)?;
        let k = creds.ssh_public_keys.iter_mut().find(|k| k.id == r.ssh_public_key_id).ok_or_else(|| messages::no_such_ssh_public_key(&r.ssh_public_key_id))?;
        k.status = status_in(&r.status)?;
        Ok((vec![save(creds)], ()))
    })
}

pub fn delete_ssh_public_key(iam: &Iam, caller: &Caller, r: &iam::DeleteSSHPublicKeyRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let (_, mut creds) = named(st, caller, &r.user_name)?;
        remove(&mut creds.ssh_public_keys, |k| k.id == r.ssh_public_key_id, || messages::no_such_ssh_public_key(&r.ssh_public_key_id))?;
        Ok((vec![save(creds)], ()))
    })
}

/// What DeleteUser must refuse while the user still has SSH keys, certificates or
/// service-specific credentials: the DeleteConflict message's "must … first" part.
pub fn delete_user_conflict(st: &State, user: &User) -> Option<&'static str> {
    let creds = st.credentials_of(&user.account, &user.id)?;
    if !creds.ssh_public_keys.is_empty() {
        Some("delete SSH public keys")
    } else if !creds.signing_certificates.is_empty() {
        Some("delete signing certificates")
    } else if !creds.service_credentials.is_empty() {
        Some("delete service specific credentials")
    } else {
        None
    }
}

fn certificate_out(owner: &str, c: &SigningCertificate) -> iam::SigningCertificate {
    iam::SigningCertificate {
        user_name: owner.to_owned(),
        certificate_id: c.id.clone(),
        certificate_body: c.body.clone(),
        status: status_out(c.status),
        upload_date: Some(ts(c.uploaded)),
    }
}

pub fn upload_signing_certificate(
    iam: &Iam,
    caller: &Caller,
    r: &iam::UploadSigningCertificateRequest,
) -> ApiResult<iam::UploadSigningCertificateResponse> {
    let now = iam.now();
    let parsed = cert::parse(&r.certificate_body).map_err(|_| messages::signing_certificate_malformed(&r.certificate_body))?;
    if parsed.not_after < now {
        return Err(messages::certificate_expired());
    }
    iam.mutate(|st| {
        let mut o = owner(st, caller, r.user_name.as_deref())?;
        let account = caller.account.as_str();
        let start = (account.to_owned(), String::new());
        let held = st.user_credentials.range(start..).take_while(|((a, _), _)| a == account).any(|(_, c)| c.signing_certificates.iter().any(|s| s.thumbprint == parsed.thumbprint));
        if held {
            return Err(messages::duplicate_certificate());
        }
        if o.creds.signing_certificates.len() >= SIGNING_CERTIFICATES_PER_USER {
            return Err(messages::signing_certificate_limit(SIGNING_CERTIFICATES_PER_USER));
        }
        let c = SigningCertificate {
            id: ids::signing_certificate_id(),
            body: r.certificate_body.trim().to_owned(),
            thumbprint: parsed.thumbprint.clone(),
            status: KeyStatus::Active,
            uploaded: now,
        };
        let out = certificate_out(&o.name, &c);
        let guard = o.guard(st)?;
        o.creds.signing_certificates.push(c);
        Ok((vec![Change::Put(Record::UserCredentials(o.creds)), Change::Put(guard)], iam::UploadSigningCertificateResponse { certificate: out }))
    })
}

pub fn list_signing_certificates(
    iam: &Iam,
    caller: &Caller,
    r: &iam::ListSigningCertificatesRequest,
) -> ApiResult<iam::ListSigningCertificatesResponse> {
    let st = iam.read();
    let o = owner(&st, caller, r.user_name.as_deref())?;
    let all: Vec<iam::SigningCertificate> = o.creds.signing_certificates.iter().map(|c| certificate_out(&o.name, c)).collect();
    let p = page_slice(&all, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListSigningCertificatesResponse { certificates: p.items, is_truncated: Some(p.next_marker.is_some()), marker: p.next_marker })
}

pub fn update_signing_certificate(iam: &Iam, caller: &Caller, r: &iam::UpdateSigningCertificateRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let mut o = owner(st, caller, r.user_name.as_deref())?;
        let c = o.creds.signing_certificates.iter_mut().find(|c| c.id == r.certificate_id).ok_or_else(|| messages::no_such_signing_certificate(&r.certificate_id))?;
        c.status = status_in(&r.status)?;
        Ok((vec![save(o.creds)], ()))
    })
}

pub fn delete_signing_certificate(iam: &Iam, caller: &Caller, r: &iam::DeleteSigningCertificateRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let mut o = owner(st, caller, r.user_name.as_deref())?;
        remove(&mut o.creds.signing_certificates, |c| c.id == r.certificate_id, || messages::no_such_signing_certificate(&r.certificate_id))?;
        Ok((vec![save(o.creds)], ()))
    })
}
