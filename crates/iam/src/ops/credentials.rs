//! The other credentials a user may have on AWS — SSH public keys, signing
//! certificates, service-specific credentials — which Castellan cannot issue yet: their
//! listings are answered truthfully (a user has none), so clients that walk a user's
//! credentials before deleting it (Terraform's `force_destroy`, the console) work. Creating
//! one still answers NotImplemented.

use castellan_api::iam;

use super::keys::subject;
use crate::error::ApiResult;
use crate::{Caller, Iam};

/// Checks that the user the request names (or the caller) exists.
fn check(iam: &Iam, caller: &Caller, user_name: Option<&str>) -> ApiResult<()> {
    subject(&iam.read(), caller, user_name).map(|_| ())
}

pub fn list_ssh_public_keys(iam: &Iam, caller: &Caller, r: &iam::ListSSHPublicKeysRequest) -> ApiResult<iam::ListSSHPublicKeysResponse> {
    check(iam, caller, r.user_name.as_deref())?;
    Ok(iam::ListSSHPublicKeysResponse { ssh_public_keys: Some(Vec::new()), is_truncated: Some(false), marker: None })
}

pub fn list_signing_certificates(
    iam: &Iam,
    caller: &Caller,
    r: &iam::ListSigningCertificatesRequest,
) -> ApiResult<iam::ListSigningCertificatesResponse> {
    check(iam, caller, r.user_name.as_deref())?;
    Ok(iam::ListSigningCertificatesResponse { certificates: Vec::new(), is_truncated: Some(false), marker: None })
}

pub fn list_service_specific_credentials(
    iam: &Iam,
    caller: &Caller,
    r: &iam::ListServiceSpecificCredentialsRequest,
) -> ApiResult<iam::ListServiceSpecificCredentialsResponse> {
    if !r.all_users.unwrap_or(false) {
        check(iam, caller, r.user_name.as_deref())?;
    }
    Ok(iam::ListServiceSpecificCredentialsResponse { service_specific_credentials: Some(Vec::new()), marker: None, is_truncated: Some(false) })
}
