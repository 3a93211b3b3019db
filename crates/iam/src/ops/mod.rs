//! One function per operation, and the one `match` that routes a request to it.

mod account;
mod credential_report;
mod credentials;
mod groups;
mod inline;
mod instance_profiles;
mod keys;
pub(crate) mod login;
mod mfa;
pub mod oidc;
pub mod outbound;
pub mod saml;
pub mod saml_assume;
pub mod policies;
mod policy_info;
mod roles;
mod server_certificates;
mod service_credentials;
pub mod service_linked;
mod simulate;
mod sts;
mod users;
pub mod web_identity;

use castellan_api::iam;
use castellan_api::types::Timestamp;
use castellan_api::{Request, Response};

use crate::error::{ApiError, ApiResult};
use crate::messages;
use crate::model::Tags;
use crate::{Caller, Iam};

/// Runs the operation. `Authorized` is the policy engine's proof that the caller may.
pub fn dispatch(iam: &Iam, authorized: crate::authz::Authorized, caller: &Caller, request: Request) -> ApiResult<Response> {
    let a = caller.account.as_str();
    service_linked::guard(iam, a, &request)?;
    Ok(match request {
        // Users
        Request::CreateUser(r) => Response::CreateUser(users::create(iam, a, r)?),
        Request::GetUser(r) => Response::GetUser(users::get(iam, caller, r)?),
        Request::ListUsers(r) => Response::ListUsers(users::list(iam, a, r)?),
        Request::UpdateUser(r) => {
            users::update(iam, a, r)?;
            Response::UpdateUser
        }
        Request::DeleteUser(r) => {
            users::delete(iam, a, r)?;
            Response::DeleteUser
        }
        Request::TagUser(r) => {
            users::tag(iam, a, r)?;
            Response::TagUser
        }
        Request::UntagUser(r) => {
            users::untag(iam, a, r)?;
            Response::UntagUser
        }
        Request::ListUserTags(r) => Response::ListUserTags(users::list_tags(iam, a, r)?),
        Request::PutUserPermissionsBoundary(r) => {
            users::put_boundary(iam, a, r)?;
            Response::PutUserPermissionsBoundary
        }
        Request::DeleteUserPermissionsBoundary(r) => {
            users::delete_boundary(iam, a, r)?;
            Response::DeleteUserPermissionsBoundary
        }
        // Groups
        Request::CreateGroup(r) => Response::CreateGroup(groups::create(iam, a, r)?),
        Request::GetGroup(r) => Response::GetGroup(groups::get(iam, a, r)?),
        Request::ListGroups(r) => Response::ListGroups(groups::list(iam, a, r)?),
        Request::UpdateGroup(r) => {
            groups::update(iam, a, r)?;
            Response::UpdateGroup
        }
        Request::DeleteGroup(r) => {
            groups::delete(iam, a, r)?;
            Response::DeleteGroup
        }
        Request::AddUserToGroup(r) => {
            groups::add_user(iam, a, r)?;
            Response::AddUserToGroup
        }
        Request::RemoveUserFromGroup(r) => {
            groups::remove_user(iam, a, r)?;
            Response::RemoveUserFromGroup
        }
        Request::ListGroupsForUser(r) => Response::ListGroupsForUser(groups::list_for_user(iam, a, r)?),
        // Roles
        Request::CreateRole(r) => Response::CreateRole(roles::create(iam, a, r)?),
        Request::GetRole(r) => Response::GetRole(roles::get(iam, a, r)?),
        Request::ListRoles(r) => Response::ListRoles(roles::list(iam, a, r)?),
        Request::UpdateRole(r) => {
            roles::update(iam, a, r)?;
            Response::UpdateRole(iam::UpdateRoleResponse::default())
        }
        Request::UpdateRoleDescription(r) => Response::UpdateRoleDescription(roles::update_description(iam, a, r)?),
        Request::UpdateAssumeRolePolicy(r) => {
            roles::update_trust(iam, a, r)?;
            Response::UpdateAssumeRolePolicy
        }
        Request::DeleteRole(r) => {
            roles::delete(iam, a, r)?;
            Response::DeleteRole
        }
        Request::TagRole(r) => {
            roles::tag(iam, a, r)?;
            Response::TagRole
        }
        Request::UntagRole(r) => {
            roles::untag(iam, a, r)?;
            Response::UntagRole
        }
        Request::ListRoleTags(r) => Response::ListRoleTags(roles::list_tags(iam, a, r)?),
        Request::PutRolePermissionsBoundary(r) => {
            roles::put_boundary(iam, a, r)?;
            Response::PutRolePermissionsBoundary
        }
        Request::DeleteRolePermissionsBoundary(r) => {
            roles::delete_boundary(iam, a, r)?;
            Response::DeleteRolePermissionsBoundary
        }
        // Service-linked roles
        Request::CreateServiceLinkedRole(r) => Response::CreateServiceLinkedRole(service_linked::create(iam, a, r)?),
        Request::DeleteServiceLinkedRole(r) => Response::DeleteServiceLinkedRole(service_linked::delete(iam, a, r)?),
        Request::GetServiceLinkedRoleDeletionStatus(r) => {
            Response::GetServiceLinkedRoleDeletionStatus(service_linked::status(iam, a, &r)?)
        }
        // Managed policies
        Request::CreatePolicy(r) => Response::CreatePolicy(policies::create(iam, a, r)?),
        Request::GetPolicy(r) => Response::GetPolicy(policies::get(iam, a, r)?),
        Request::ListPolicies(r) => Response::ListPolicies(policies::list(iam, a, r)?),
        Request::DeletePolicy(r) => {
            policies::delete(iam, a, r)?;
            Response::DeletePolicy
        }
        Request::CreatePolicyVersion(r) => Response::CreatePolicyVersion(policies::create_version(iam, a, r)?),
        Request::GetPolicyVersion(r) => Response::GetPolicyVersion(policies::get_version(iam, a, r)?),
        Request::ListPolicyVersions(r) => Response::ListPolicyVersions(policies::list_versions(iam, a, r)?),
        Request::DeletePolicyVersion(r) => {
            policies::delete_version(iam, a, r)?;
            Response::DeletePolicyVersion
        }
        Request::SetDefaultPolicyVersion(r) => {
            policies::set_default_version(iam, a, r)?;
            Response::SetDefaultPolicyVersion
        }
        Request::TagPolicy(r) => {
            policies::tag(iam, a, r)?;
            Response::TagPolicy
        }
        Request::UntagPolicy(r) => {
            policies::untag(iam, a, r)?;
            Response::UntagPolicy
        }
        Request::ListPolicyTags(r) => Response::ListPolicyTags(policies::list_tags(iam, a, r)?),
        Request::AttachUserPolicy(r) => {
            policies::attach(iam, a, policies::Target::User(&r.user_name), &r.policy_arn)?;
            Response::AttachUserPolicy
        }
        Request::AttachGroupPolicy(r) => {
            policies::attach(iam, a, policies::Target::Group(&r.group_name), &r.policy_arn)?;
            Response::AttachGroupPolicy
        }
        Request::AttachRolePolicy(r) => {
            policies::attach(iam, a, policies::Target::Role(&r.role_name), &r.policy_arn)?;
            Response::AttachRolePolicy
        }
        Request::DetachUserPolicy(r) => {
            policies::detach(iam, a, policies::Target::User(&r.user_name), &r.policy_arn)?;
            Response::DetachUserPolicy
        }
        Request::DetachGroupPolicy(r) => {
            policies::detach(iam, a, policies::Target::Group(&r.group_name), &r.policy_arn)?;
            Response::DetachGroupPolicy
        }
        Request::DetachRolePolicy(r) => {
            policies::detach(iam, a, policies::Target::Role(&r.role_name), &r.policy_arn)?;
            Response::DetachRolePolicy
        }
        Request::ListAttachedUserPolicies(r) => {
            let p = policies::list_attached(iam, a, policies::Target::User(&r.user_name), r.path_prefix.as_deref(), r.marker.as_deref(), r.max_items)?;
            Response::ListAttachedUserPolicies(iam::ListAttachedUserPoliciesResponse {
                is_truncated: Some(p.is_truncated()),
                attached_policies: Some(p.items),
                marker: p.next_marker,
            })
        }
        Request::ListAttachedGroupPolicies(r) => {
            let p = policies::list_attached(iam, a, policies::Target::Group(&r.group_name), r.path_prefix.as_deref(), r.marker.as_deref(), r.max_items)?;
            Response::ListAttachedGroupPolicies(iam::ListAttachedGroupPoliciesResponse {
                is_truncated: Some(p.is_truncated()),
                attached_policies: Some(p.items),
                marker: p.next_marker,
            })
        }
        Request::ListAttachedRolePolicies(r) => {
            let p = policies::list_attached(iam, a, policies::Target::Role(&r.role_name), r.path_prefix.as_deref(), r.marker.as_deref(), r.max_items)?;
            Response::ListAttachedRolePolicies(iam::ListAttachedRolePoliciesResponse {
                is_truncated: Some(p.is_truncated()),
                attached_policies: Some(p.items),
                marker: p.next_marker,
            })
        }
        Request::ListEntitiesForPolicy(r) => Response::ListEntitiesForPolicy(policies::list_entities(iam, a, r)?),
        // Inline policies
        Request::PutUserPolicy(r) => {
            inline::put(iam, a, inline::Owner::User(&r.user_name), &r.policy_name, &r.policy_document)?;
            Response::PutUserPolicy
        }
        Request::PutGroupPolicy(r) => {
            inline::put(iam, a, inline::Owner::Group(&r.group_name), &r.policy_name, &r.policy_document)?;
            Response::PutGroupPolicy
        }
        Request::PutRolePolicy(r) => {
            inline::put(iam, a, inline::Owner::Role(&r.role_name), &r.policy_name, &r.policy_document)?;
            Response::PutRolePolicy
        }
        Request::GetUserPolicy(r) => {
            let doc = inline::get(iam, a, inline::Owner::User(&r.user_name), &r.policy_name)?;
            Response::GetUserPolicy(iam::GetUserPolicyResponse {
                user_name: r.user_name,
                policy_name: doc.name,
                policy_document: url_encode(&doc.document),
            })
        }
        Request::GetGroupPolicy(r) => {
            let doc = inline::get(iam, a, inline::Owner::Group(&r.group_name), &r.policy_name)?;
            Response::GetGroupPolicy(iam::GetGroupPolicyResponse {
                group_name: r.group_name,
                policy_name: doc.name,
                policy_document: url_encode(&doc.document),
            })
        }
        Request::GetRolePolicy(r) => {
            let doc = inline::get(iam, a, inline::Owner::Role(&r.role_name), &r.policy_name)?;
            Response::GetRolePolicy(iam::GetRolePolicyResponse {
                role_name: r.role_name,
                policy_name: doc.name,
                policy_document: url_encode(&doc.document),
            })
        }
        Request::ListUserPolicies(r) => {
            let p = inline::list(iam, a, inline::Owner::User(&r.user_name), r.marker.as_deref(), r.max_items)?;
            Response::ListUserPolicies(iam::ListUserPoliciesResponse {
                policy_names: p.items,
                is_truncated: Some(p.next_marker.is_some()),
                marker: p.next_marker,
            })
        }
        Request::ListGroupPolicies(r) => {
            let p = inline::list(iam, a, inline::Owner::Group(&r.group_name), r.marker.as_deref(), r.max_items)?;
            Response::ListGroupPolicies(iam::ListGroupPoliciesResponse {
                policy_names: p.items,
                is_truncated: Some(p.next_marker.is_some()),
                marker: p.next_marker,
            })
        }
        Request::ListRolePolicies(r) => {
            let p = inline::list(iam, a, inline::Owner::Role(&r.role_name), r.marker.as_deref(), r.max_items)?;
            Response::ListRolePolicies(iam::ListRolePoliciesResponse {
                policy_names: p.items,
                is_truncated: Some(p.next_marker.is_some()),
                marker: p.next_marker,
            })
        }
        Request::DeleteUserPolicy(r) => {
            inline::delete(iam, a, inline::Owner::User(&r.user_name), &r.policy_name)?;
            Response::DeleteUserPolicy
        }
        Request::DeleteGroupPolicy(r) => {
            inline::delete(iam, a, inline::Owner::Group(&r.group_name), &r.policy_name)?;
            Response::DeleteGroupPolicy
        }
        Request::DeleteRolePolicy(r) => {
            inline::delete(iam, a, inline::Owner::Role(&r.role_name), &r.policy_name)?;
            Response::DeleteRolePolicy
        }
        // Access keys
        Request::CreateAccessKey(r) => Response::CreateAccessKey(keys::create(iam, caller, r)?),
        Request::ListAccessKeys(r) => Response::ListAccessKeys(keys::list(iam, caller, r)?),
        Request::UpdateAccessKey(r) => {
            keys::update(iam, caller, r)?;
            Response::UpdateAccessKey
        }
        Request::DeleteAccessKey(r) => {
            keys::delete(iam, caller, r)?;
            Response::DeleteAccessKey
        }
        Request::GetAccessKeyLastUsed(r) => Response::GetAccessKeyLastUsed(keys::last_used(iam, caller, r)?),
        // MFA devices
        Request::CreateVirtualMFADevice(r) => Response::CreateVirtualMFADevice(mfa::create(iam, a, r)?),
        Request::EnableMFADevice(r) => {
            mfa::enable(iam, a, r)?;
            Response::EnableMFADevice
        }
        Request::ResyncMFADevice(r) => {
            mfa::resync(iam, a, r)?;
            Response::ResyncMFADevice
        }
        Request::DeactivateMFADevice(r) => {
            mfa::deactivate(iam, caller, r)?;
            Response::DeactivateMFADevice
        }
        Request::DeleteVirtualMFADevice(r) => {
            mfa::delete(iam, a, r)?;
            Response::DeleteVirtualMFADevice
        }
        Request::GetMFADevice(r) => Response::GetMFADevice(mfa::get(iam, caller, r)?),
        Request::ListMFADevices(r) => Response::ListMFADevices(mfa::list(iam, caller, &r)?),
        Request::ListVirtualMFADevices(r) => Response::ListVirtualMFADevices(mfa::list_virtual(iam, a, &r)?),
        Request::TagMFADevice(r) => {
            mfa::tag(iam, a, r)?;
            Response::TagMFADevice
        }
        Request::UntagMFADevice(r) => {
            mfa::untag(iam, a, r)?;
            Response::UntagMFADevice
        }
        Request::ListMFADeviceTags(r) => Response::ListMFADeviceTags(mfa::list_tags(iam, a, r)?),
        // SSH public keys, signing certificates, service-specific credentials
        Request::UploadSSHPublicKey(r) => Response::UploadSSHPublicKey(credentials::upload_ssh_public_key(iam, caller, &r)?),
        Request::GetSSHPublicKey(r) => Response::GetSSHPublicKey(credentials::get_ssh_public_key(iam, caller, &r)?),
        Request::UpdateSSHPublicKey(r) => {
            credentials::update_ssh_public_key(iam, caller, &r)?;
            Response::UpdateSSHPublicKey
        }
        Request::DeleteSSHPublicKey(r) => {
            credentials::delete_ssh_public_key(iam, caller, &r)?;
            Response::DeleteSSHPublicKey
        }
        Request::ListSSHPublicKeys(r) => Response::ListSSHPublicKeys(credentials::list_ssh_public_keys(iam, caller, &r)?),
        Request::UploadSigningCertificate(r) => {
            Response::UploadSigningCertificate(credentials::upload_signing_certificate(iam, caller, &r)?)
        }
        Request::UpdateSigningCertificate(r) => {
            credentials::update_signing_certificate(iam, caller, &r)?;
            Response::UpdateSigningCertificate
        }
        Request::DeleteSigningCertificate(r) => {
            credentials::delete_signing_certificate(iam, caller, &r)?;
            Response::DeleteSigningCertificate
        }
        Request::ListSigningCertificates(r) => {
            Response::ListSigningCertificates(credentials::list_signing_certificates(iam, caller, &r)?)
        }
        Request::CreateServiceSpecificCredential(r) => {
            Response::CreateServiceSpecificCredential(service_credentials::create(iam, caller, &r)?)
        }
        Request::ResetServiceSpecificCredential(r) => Response::ResetServiceSpecificCredential(service_credentials::reset(iam, caller, &r)?),
        Request::UpdateServiceSpecificCredential(r) => {
            service_credentials::update(iam, caller, &r)?;
            Response::UpdateServiceSpecificCredential
        }
        Request::DeleteServiceSpecificCredential(r) => {
            service_credentials::delete(iam, caller, &r)?;
            Response::DeleteServiceSpecificCredential
        }
        Request::ListServiceSpecificCredentials(r) => Response::ListServiceSpecificCredentials(service_credentials::list(iam, caller, &r)?),
        // Context keys, policies granting service access, Organizations
        Request::GetContextKeysForCustomPolicy(r) => Response::GetContextKeysForCustomPolicy(policy_info::context_keys_for_custom(&r)?),
        Request::GetContextKeysForPrincipalPolicy(r) => {
            Response::GetContextKeysForPrincipalPolicy(policy_info::context_keys_for_principal(iam, caller, &r)?)
        }
        Request::ListPoliciesGrantingServiceAccess(r) => {
            Response::ListPoliciesGrantingServiceAccess(policy_info::policies_granting_service_access(iam, caller, &r)?)
        }
        Request::ListOrganizationsFeatures(_)
        | Request::EnableOrganizationsRootCredentialsManagement(_)
        | Request::DisableOrganizationsRootCredentialsManagement(_)
        | Request::EnableOrganizationsRootSessions(_)
        | Request::DisableOrganizationsRootSessions(_)
        | Request::GenerateOrganizationsAccessReport(_) => return Err(policy_info::no_organization()),
        Request::GetOrganizationsAccessReport(r) => return Err(policy_info::organizations_access_report(&r)),
        // The credential report
        Request::GenerateCredentialReport => Response::GenerateCredentialReport(credential_report::generate(iam, a)?),
        Request::GetCredentialReport => Response::GetCredentialReport(credential_report::get(iam, a)?),
        // Server certificates
        Request::UploadServerCertificate(r) => Response::UploadServerCertificate(server_certificates::upload(iam, a, &r)?),
        Request::GetServerCertificate(r) => Response::GetServerCertificate(server_certificates::get(iam, a, &r)?),
        Request::ListServerCertificates(r) => Response::ListServerCertificates(server_certificates::list(iam, a, &r)?),
        Request::UpdateServerCertificate(r) => {
            server_certificates::update(iam, a, &r)?;
            Response::UpdateServerCertificate
        }
        Request::DeleteServerCertificate(r) => {
            server_certificates::delete(iam, a, &r)?;
            Response::DeleteServerCertificate
        }
        Request::TagServerCertificate(r) => {
            server_certificates::tag(iam, a, &r)?;
            Response::TagServerCertificate
        }
        Request::UntagServerCertificate(r) => {
            server_certificates::untag(iam, a, &r)?;
            Response::UntagServerCertificate
        }
        Request::ListServerCertificateTags(r) => Response::ListServerCertificateTags(server_certificates::list_tags(iam, a, &r)?),
        // Login profiles and passwords
        Request::CreateLoginProfile(r) => Response::CreateLoginProfile(login::create(iam, caller, r)?),
        Request::GetLoginProfile(r) => Response::GetLoginProfile(login::get(iam, caller, r)?),
        Request::UpdateLoginProfile(r) => {
            login::update(iam, caller, r)?;
            Response::UpdateLoginProfile
        }
        Request::DeleteLoginProfile(r) => {
            login::delete(iam, caller, r)?;
            Response::DeleteLoginProfile
        }
        Request::ChangePassword(r) => {
            login::change_password(iam, caller, r)?;
            Response::ChangePassword
        }
        Request::GetAccountPasswordPolicy => Response::GetAccountPasswordPolicy(account::get_password_policy(iam, a)?),
        Request::UpdateAccountPasswordPolicy(r) => {
            account::update_password_policy(iam, a, r)?;
            Response::UpdateAccountPasswordPolicy
        }
        Request::DeleteAccountPasswordPolicy => {
            account::delete_password_policy(iam, a)?;
            Response::DeleteAccountPasswordPolicy
        }
        // Instance profiles
        Request::CreateInstanceProfile(r) => Response::CreateInstanceProfile(instance_profiles::create(iam, a, r)?),
        Request::GetInstanceProfile(r) => Response::GetInstanceProfile(instance_profiles::get(iam, a, r)?),
        Request::ListInstanceProfiles(r) => Response::ListInstanceProfiles(instance_profiles::list(iam, a, r)?),
        Request::DeleteInstanceProfile(r) => {
            instance_profiles::delete(iam, a, r)?;
            Response::DeleteInstanceProfile
        }
        Request::AddRoleToInstanceProfile(r) => {
            instance_profiles::add_role(iam, a, r)?;
            Response::AddRoleToInstanceProfile
        }
        Request::RemoveRoleFromInstanceProfile(r) => {
            instance_profiles::remove_role(iam, a, r)?;
            Response::RemoveRoleFromInstanceProfile
        }
        Request::ListInstanceProfilesForRole(r) => {
            Response::ListInstanceProfilesForRole(instance_profiles::list_for_role(iam, a, r)?)
        }
        Request::TagInstanceProfile(r) => {
            instance_profiles::tag(iam, a, r)?;
            Response::TagInstanceProfile
        }
        Request::UntagInstanceProfile(r) => {
            instance_profiles::untag(iam, a, r)?;
            Response::UntagInstanceProfile
        }
        Request::ListInstanceProfileTags(r) => {
            Response::ListInstanceProfileTags(instance_profiles::list_tags(iam, a, r)?)
        }
        // OpenID Connect providers
        Request::CreateOpenIDConnectProvider(r) => Response::CreateOpenIDConnectProvider(oidc::create(iam, a, r)?),
        Request::GetOpenIDConnectProvider(r) => Response::GetOpenIDConnectProvider(oidc::get(iam, a, r)?),
        Request::ListOpenIDConnectProviders(_) => Response::ListOpenIDConnectProviders(oidc::list(iam, a)),
        Request::DeleteOpenIDConnectProvider(r) => {
            oidc::delete(iam, a, r)?;
            Response::DeleteOpenIDConnectProvider
        }
        Request::AddClientIDToOpenIDConnectProvider(r) => {
            oidc::add_client_id(iam, a, r)?;
            Response::AddClientIDToOpenIDConnectProvider
        }
        Request::RemoveClientIDFromOpenIDConnectProvider(r) => {
            oidc::remove_client_id(iam, a, r)?;
            Response::RemoveClientIDFromOpenIDConnectProvider
        }
        Request::UpdateOpenIDConnectProviderThumbprint(r) => {
            oidc::update_thumbprints(iam, a, r)?;
            Response::UpdateOpenIDConnectProviderThumbprint
        }
        Request::TagOpenIDConnectProvider(r) => {
            oidc::tag(iam, a, r)?;
            Response::TagOpenIDConnectProvider
        }
        Request::UntagOpenIDConnectProvider(r) => {
            oidc::untag(iam, a, r)?;
            Response::UntagOpenIDConnectProvider
        }
        Request::ListOpenIDConnectProviderTags(r) => Response::ListOpenIDConnectProviderTags(oidc::list_tags(iam, a, r)?),
        // SAML providers
        Request::CreateSAMLProvider(r) => Response::CreateSAMLProvider(saml::create(iam, a, r)?),
        Request::GetSAMLProvider(r) => Response::GetSAMLProvider(saml::get(iam, a, r)?),
        Request::ListSAMLProviders(_) => Response::ListSAMLProviders(saml::list(iam, a)),
        Request::UpdateSAMLProvider(r) => Response::UpdateSAMLProvider(saml::update(iam, a, r)?),
        Request::DeleteSAMLProvider(r) => {
            saml::delete(iam, a, r)?;
            Response::DeleteSAMLProvider
        }
        Request::TagSAMLProvider(r) => {
            saml::tag(iam, a, r)?;
            Response::TagSAMLProvider
        }
        Request::UntagSAMLProvider(r) => {
            saml::untag(iam, a, r)?;
            Response::UntagSAMLProvider
        }
        Request::ListSAMLProviderTags(r) => Response::ListSAMLProviderTags(saml::list_tags(iam, a, r)?),
        // Outbound identity federation (GetWebIdentityToken is routed by `Iam::handle`)
        Request::EnableOutboundWebIdentityFederation => {
            Response::EnableOutboundWebIdentityFederation(outbound::enable(iam, a)?)
        }
        Request::DisableOutboundWebIdentityFederation => {
            outbound::disable(iam, a)?;
            Response::DisableOutboundWebIdentityFederation
        }
        Request::GetOutboundWebIdentityFederationInfo => {
            Response::GetOutboundWebIdentityFederationInfo(outbound::info(iam, a)?)
        }
        // Account
        Request::CreateAccountAlias(r) => {
            account::create_alias(iam, a, r)?;
            Response::CreateAccountAlias
        }
        Request::DeleteAccountAlias(r) => {
            account::delete_alias(iam, a, r)?;
            Response::DeleteAccountAlias
        }
        Request::ListAccountAliases(r) => Response::ListAccountAliases(account::list_aliases(iam, a, r)?),
        Request::GetAccountSummary => Response::GetAccountSummary(account::summary(iam, a)?),
        Request::GetAccountAuthorizationDetails(r) => {
            Response::GetAccountAuthorizationDetails(account::authorization_details(iam, a, r)?)
        }
        // Service last accessed reports (issue 16)
        Request::GenerateServiceLastAccessedDetails(r) => {
            Response::GenerateServiceLastAccessedDetails(crate::advisor::generate(iam, a, r)?)
        }
        Request::GetServiceLastAccessedDetails(r) => Response::GetServiceLastAccessedDetails(crate::advisor::get(iam, a, r)?),
        Request::GetServiceLastAccessedDetailsWithEntities(r) => {
            Response::GetServiceLastAccessedDetailsWithEntities(crate::advisor::get_with_entities(iam, a, r)?)
        }
        // The policy simulator
        Request::SimulatePrincipalPolicy(r) => Response::SimulatePrincipalPolicy(simulate::simulate_principal(iam, caller, r)?),
        Request::SimulateCustomPolicy(r) => Response::SimulateCustomPolicy(simulate::simulate_custom(iam, caller, r)?),
        // STS
        Request::GetCallerIdentity(_) => Response::GetCallerIdentity(castellan_api::sts::GetCallerIdentityResponse {
            user_id: Some(caller.user_id()),
            account: Some(caller.account.clone()),
            arn: Some(caller.arn()),
        }),
        Request::AssumeRole(r) => Response::AssumeRole(sts::assume_role(iam, caller, authorized.mfa_time(), r)?),
        Request::GetSessionToken(r) => Response::GetSessionToken(sts::get_session_token(iam, caller, authorized.mfa_time(), r)?),
        Request::GetFederationToken(r) => Response::GetFederationToken(sts::get_federation_token(iam, caller, r)?),
        Request::GetAccessKeyInfo(r) => Response::GetAccessKeyInfo(sts::get_access_key_info(iam, caller, r)?),
        Request::DecodeAuthorizationMessage(_) => {
            return Err(messages::authorization_message_invalid())
        }
        other => {
            return Err(messages::not_implemented(other.operation().name()))
        }
    })
}

/// How long a new credential report is in progress (for the domain tests).
#[cfg(test)]
pub fn credential_report_in_progress_secs() -> i64 {
    credential_report::IN_PROGRESS_SECS
}

pub fn ts(secs: i64) -> Timestamp {
    Timestamp::from_unix_seconds(secs)
}

pub fn tags_out(tags: &Tags) -> Vec<iam::Tag> {
    tags.iter().map(|(k, v)| iam::Tag { key: k.clone(), value: v.clone() }).collect()
}

/// ListUserTags and ListRoleTags: "The returned list of tags is sorted by tag key" (their API
/// reference pages); responses recorded from AWS agree (localstack
/// tests/aws/services/iam/test_iam_users.snapshot.json, "list-user-tags").
pub fn tags_by_key(tags: &Tags) -> Vec<iam::Tag> {
    let mut out = tags_out(tags);
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

pub fn tags_in(tags: &[iam::Tag]) -> Tags {
    tags.iter().map(|t| (t.key.clone(), t.value.clone())).collect()
}

/// Policy documents come back URL-encoded, as AWS returns them (RFC 3986: every byte but the
/// unreserved characters is percent-encoded).
pub fn url_encode(text: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    percent_encoding::utf8_percent_encode(text, SET).to_string()
}

pub use crate::arn::{group_arn, instance_profile_arn, role_arn, user_arn};

/// Operations about "the calling user" need a user name when the caller is not an IAM user.
pub fn needs_user_name() -> ApiError {
    messages::user_name_required()
}

pub use messages::{no_such_group, no_such_role, no_such_user};

/// Does `path` start with `prefix`? (PathPrefix filters are case-sensitive in IAM.)
pub fn path_matches(path: &str, prefix: Option<&str>) -> bool {
    prefix.is_none_or(|p| path.starts_with(p))
}

pub fn boundary_out(arn: Option<&String>) -> Option<iam::AttachedPermissionsBoundary> {
    arn.map(|a| iam::AttachedPermissionsBoundary {
        permissions_boundary_type: Some(iam::PermissionsBoundaryAttachmentType::PermissionsBoundaryPolicy),
        permissions_boundary_arn: Some(a.clone()),
    })
}

/// The user, group or role a `PolicySourceArn` names (SimulatePrincipalPolicy,
/// GetContextKeysForPrincipalPolicy): exactly, path and name as the entity spells them.
pub(crate) enum PolicySource<'a> {
    User(&'a crate::model::User),
    Group(&'a crate::model::Group),
    Role(&'a crate::model::Role),
}

/// Resolves a `PolicySourceArn` of the caller's account; AWS's NoSuchEntity when it names
/// no such entity.
pub(crate) fn policy_source<'a>(st: &'a crate::state::State, account: &str, arn: &str) -> ApiResult<PolicySource<'a>> {
    let not_found = || messages::policy_source_not_found(arn);
    let resource = arn
        .strip_prefix(st.partition.iam_prefix())
        .and_then(|r| r.strip_prefix(account))
        .and_then(|r| r.strip_prefix(':'))
        .ok_or_else(not_found)?;
    let name = resource.rsplit('/').next().unwrap_or_default();
    let p = st.partition;
    match resource.split('/').next() {
        Some("user") => st.user(account, name).filter(|u| user_arn(p, account, &u.path, &u.name) == arn).map(PolicySource::User),
        Some("group") => st.group(account, name).filter(|g| group_arn(p, account, &g.path, &g.name) == arn).map(PolicySource::Group),
        Some("role") => st.role(account, name).filter(|r| role_arn(p, account, &r.path, &r.name) == arn).map(PolicySource::Role),
        _ => None,
    }
    .ok_or_else(not_found)
}
