//! Account-level operations: aliases, the password policy, the summary and the
//! authorization details.

use castellan_api::iam;

use super::policies::{local_policies, policy_detail, PolicyRef};
use super::{group_arn, role_arn, tags_out, ts, url_encode, user_arn};
use crate::error::{ApiError, ApiResult};
use crate::messages;
use crate::managed::aws_managed;
use crate::model::{Account, Change, InlinePolicies, PasswordPolicy, Record};
use crate::paginate::page_slice;
use crate::state::State;
use crate::validate::quota;
use crate::Iam;

fn account_of<'a>(st: &'a State, account: &str) -> ApiResult<&'a Account> {
    st.accounts.get(account).ok_or(ApiError::ServiceFailure)
}

pub fn create_alias(iam: &Iam, account: &str, r: iam::CreateAccountAliasRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        // Aliases are unique across all accounts.
        if st.accounts.values().any(|a| a.id != account && a.aliases.contains(&r.account_alias)) {
            return Err(messages::account_alias_exists(&r.account_alias));
        }
        let mut a = account_of(st, account)?.clone();
        // An account has at most one alias: a new one replaces the old.
        a.aliases = vec![r.account_alias.clone()];
        Ok((vec![Change::Put(Record::Account(a))], ()))
    })
}

pub fn delete_alias(iam: &Iam, account: &str, r: iam::DeleteAccountAliasRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let mut a = account_of(st, account)?.clone();
        if !a.aliases.contains(&r.account_alias) {
            return Err(messages::no_such_account_alias(&r.account_alias));
        }
        a.aliases.retain(|x| *x != r.account_alias);
        Ok((vec![Change::Put(Record::Account(a))], ()))
    })
}

pub fn list_aliases(iam: &Iam, account: &str, r: iam::ListAccountAliasesRequest) -> ApiResult<iam::ListAccountAliasesResponse> {
    let st = iam.read();
    let a = account_of(&st, account)?;
    let p = page_slice(&a.aliases, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListAccountAliasesResponse { account_aliases: p.items, is_truncated: Some(p.next_marker.is_some()), marker: p.next_marker })
}

pub fn get_password_policy(iam: &Iam, account: &str) -> ApiResult<iam::GetAccountPasswordPolicyResponse> {
    let st = iam.read();
    let p = account_of(&st, account)?.password_policy.as_ref().ok_or_else(|| {
        messages::no_password_policy(account)
    })?;
    Ok(iam::GetAccountPasswordPolicyResponse {
        password_policy: iam::PasswordPolicy {
            minimum_password_length: Some(p.minimum_password_length),
            require_symbols: Some(p.require_symbols),
            require_numbers: Some(p.require_numbers),
            require_uppercase_characters: Some(p.require_uppercase_characters),
            require_lowercase_characters: Some(p.require_lowercase_characters),
            allow_users_to_change_password: Some(p.allow_users_to_change_password),
            expire_passwords: Some(p.max_password_age.is_some_and(|a| a > 0)),
            max_password_age: p.max_password_age,
            password_reuse_prevention: p.password_reuse_prevention,
            // Left out when never set (recorded from AWS: localstack tests/aws/services/iam/
            // test_iam_account_password_policy.snapshot.json, "password-policy-defaults").
            hard_expiry: p.hard_expiry,
        },
    })
}

pub fn update_password_policy(iam: &Iam, account: &str, r: iam::UpdateAccountPasswordPolicyRequest) -> ApiResult<()> {
    // Parameters left out take their defaults, not their previous values
    // (UpdateAccountPasswordPolicy documentation).
    let policy = PasswordPolicy {
        minimum_password_length: r.minimum_password_length.unwrap_or(6),
        require_symbols: r.require_symbols.unwrap_or(false),
        require_numbers: r.require_numbers.unwrap_or(false),
        require_uppercase_characters: r.require_uppercase_characters.unwrap_or(false),
        require_lowercase_characters: r.require_lowercase_characters.unwrap_or(false),
        allow_users_to_change_password: r.allow_users_to_change_password.unwrap_or(false),
        max_password_age: r.max_password_age.filter(|&a| a > 0),
        password_reuse_prevention: r.password_reuse_prevention.filter(|&a| a > 0),
        hard_expiry: r.hard_expiry,
    };
    iam.mutate(|st| {
        let mut a = account_of(st, account)?.clone();
        a.password_policy = Some(policy.clone());
        Ok((vec![Change::Put(Record::Account(a))], ()))
    })
}

pub fn delete_password_policy(iam: &Iam, account: &str) -> ApiResult<()> {
    iam.mutate(|st| {
        let mut a = account_of(st, account)?.clone();
        if a.password_policy.take().is_none() {
            return Err(messages::no_password_policy_to_delete());
        }
        Ok((vec![Change::Put(Record::Account(a))], ()))
    })
}

fn count<T>(map: &std::collections::BTreeMap<crate::state::NameKey, T>, account: &str) -> i32 {
    let n = map.range((account.to_owned(), String::new())..).take_while(|((a, _), _)| a == account).count();
    i32::try_from(n).unwrap_or(i32::MAX)
}

pub fn summary(iam: &Iam, account: &str) -> ApiResult<iam::GetAccountSummaryResponse> {
    use iam::SummaryKeyType as K;
    let st = iam.read();
    let q = |n: i64| i32::try_from(n).unwrap_or(i32::MAX);
    let u = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let policies = count(&st.policies, account);
    let versions_in_use: usize = local_policies(&st, account).map(|p| p.versions.len()).sum();
    let root_keys = u(st.keys_of(account, None).len());
    let entries = vec![
        (K::Users, count(&st.users, account)),
        (K::UsersQuota, q(quota::USERS)),
        (K::Groups, count(&st.groups, account)),
        (K::GroupsQuota, q(quota::GROUPS)),
        (K::ServerCertificates, u(super::server_certificates::count(&st, account))),
        (K::ServerCertificatesQuota, 20),
        (K::UserPolicySizeQuota, u(quota::USER_INLINE_SIZE)),
        (K::GroupPolicySizeQuota, u(quota::GROUP_INLINE_SIZE)),
        (K::GroupsPerUserQuota, u(quota::GROUPS_PER_USER)),
        (K::SigningCertificatesPerUserQuota, 2),
        (K::AccessKeysPerUserQuota, u(quota::ACCESS_KEYS_PER_USER)),
        (K::MFADevices, u(st.account_mfa_devices(account).count())),
        (K::MFADevicesInUse, u(st.account_mfa_devices(account).filter(|d| d.user_id.is_some()).count())),
        (K::AccountMFAEnabled, 0),
        (K::AccountAccessKeysPresent, i32::from(root_keys > 0)),
        (K::AccountPasswordPresent, 0),
        (K::AccountSigningCertificatesPresent, i32::from(st.credentials_of(account, account).is_some_and(|c| !c.signing_certificates.is_empty()))),
        (K::AttachedPoliciesPerGroupQuota, u(quota::MANAGED_POLICIES_PER_ENTITY)),
        (K::AttachedPoliciesPerRoleQuota, u(quota::MANAGED_POLICIES_PER_ENTITY)),
        (K::AttachedPoliciesPerUserQuota, u(quota::MANAGED_POLICIES_PER_ENTITY)),
        (K::Policies, policies),
        (K::PoliciesQuota, q(quota::POLICIES)),
        (K::PolicySizeQuota, u(quota::MANAGED_POLICY_SIZE)),
        (K::PolicyVersionsInUse, u(versions_in_use)),
        (K::PolicyVersionsInUseQuota, 10000),
        (K::VersionsPerPolicyQuota, u(quota::VERSIONS_PER_POLICY)),
        (K::GlobalEndpointTokenVersion, 1),
        (K::AssumeRolePolicySizeQuota, u(quota::TRUST_POLICY_SIZE)),
        (K::InstanceProfiles, count(&st.instance_profiles, account)),
        (K::InstanceProfilesQuota, q(quota::INSTANCE_PROFILES)),
        (K::Providers, u(st.oidc_providers.keys().filter(|(a, _)| a == account).count() + st.saml_providers.keys().filter(|(a, _)| a == account).count())),
        (K::RolePolicySizeQuota, u(quota::ROLE_INLINE_SIZE)),
        (K::Roles, count(&st.roles, account)),
        (K::RolesQuota, q(quota::ROLES)),
    ];
    Ok(iam::GetAccountSummaryResponse { summary_map: Some(entries.into_iter().collect()) })
}

fn inline_out(p: &InlinePolicies) -> Vec<iam::PolicyDetail> {
    p.values()
        .map(|x| iam::PolicyDetail { policy_name: Some(x.name.clone()), policy_document: Some(url_encode(&x.document)) })
        .collect()
}

fn attached_out(st: &State, account: &str, arns: &[String]) -> Vec<iam::AttachedPolicy> {
    arns.iter()
        .filter_map(|arn| super::policies::resolve(st, account, arn))
        .map(|p| iam::AttachedPolicy { policy_name: Some(p.name().to_owned()), policy_arn: Some(p.arn(st.partition)) })
        .collect()
}

pub fn authorization_details(
    iam: &Iam,
    account: &str,
    r: iam::GetAccountAuthorizationDetailsRequest,
) -> ApiResult<iam::GetAccountAuthorizationDetailsResponse> {
    let st = iam.read();
    let filter: Vec<&str> = r.filter.iter().flatten().map(|f| f.as_str()).collect();
    let wants = |k: &str| filter.is_empty() || filter.contains(&k);
    let in_account = |(a, _): &&crate::state::NameKey| a == account;
    // One sequence (users, groups, roles, policies) paginated by position; every list is
    // present in each page, empty when filtered out, as AWS answers.
    #[derive(Clone)]
    enum Detail {
        User(iam::UserDetail),
        Group(iam::GroupDetail),
        Role(iam::RoleDetail),
        Policy(iam::ManagedPolicyDetail),
    }
    let mut all: Vec<Detail> = Vec::new();
    if wants("User") {
        all.extend(
            st.users
                .iter()
                .filter(|(k, _)| in_account(k))
                .map(|(_, u)| iam::UserDetail {
                    path: Some(u.path.clone()),
                    user_name: Some(u.name.clone()),
                    user_id: Some(u.id.clone()),
                    arn: Some(user_arn(st.partition, account, &u.path, &u.name)),
                    create_date: Some(ts(u.created)),
                    // Left out when empty, unlike the groups' and roles' lists (responses
                    // recorded from AWS: localstack
                    // tests/aws/services/iam/test_iam_account_authorization_details.snapshot.json).
                    user_policy_list: (!u.inline_policies.is_empty()).then(|| inline_out(&u.inline_policies)),
                    group_list: Some(u.groups.clone()),
                    attached_managed_policies: Some(attached_out(&st, account, &u.attached_policies)),
                    permissions_boundary: super::boundary_out(u.permissions_boundary.as_ref()),
                    tags: Some(tags_out(&u.tags)),
                })
                .map(Detail::User),
        );
    }
    if wants("Group") {
        all.extend(
            st.groups
                .iter()
                .filter(|(k, _)| in_account(k))
                .map(|(_, g)| iam::GroupDetail {
                    path: Some(g.path.clone()),
                    group_name: Some(g.name.clone()),
                    group_id: Some(g.id.clone()),
                    arn: Some(group_arn(st.partition, account, &g.path, &g.name)),
                    create_date: Some(ts(g.created)),
                    group_policy_list: Some(inline_out(&g.inline_policies)),
                    attached_managed_policies: Some(attached_out(&st, account, &g.attached_policies)),
                })
                .map(Detail::Group),
        );
    }
    if wants("Role") {
        all.extend(
            st.roles
                .iter()
                .filter(|(k, _)| in_account(k))
                .map(|(_, x)| {
                    let profiles = st
                        .profiles_by_role
                        .get(&crate::state::name_key(account, &x.name))
                        .into_iter()
                        .flatten()
                        .filter_map(|n| st.instance_profile(account, n))
                        .map(|p| iam::InstanceProfile {
                            path: p.path.clone(),
                            instance_profile_name: p.name.clone(),
                            instance_profile_id: p.id.clone(),
                            arn: super::instance_profile_arn(st.partition, account, &p.path, &p.name),
                            create_date: ts(p.created),
                            roles: vec![super::roles::nested_shape(&st, x)],
                            tags: None,
                        })
                        .collect();
                    iam::RoleDetail {
                        path: Some(x.path.clone()),
                        role_name: Some(x.name.clone()),
                        role_id: Some(x.id.clone()),
                        arn: Some(role_arn(st.partition, account, &x.path, &x.name)),
                        create_date: Some(ts(x.created)),
                        assume_role_policy_document: Some(url_encode(&crate::arn::display_document(&st, &x.assume_role_policy, x.principal_ids.as_ref()))),
                        instance_profile_list: Some(profiles),
                        role_policy_list: Some(inline_out(&x.inline_policies)),
                        attached_managed_policies: Some(attached_out(&st, account, &x.attached_policies)),
                        permissions_boundary: super::boundary_out(x.permissions_boundary.as_ref()),
                        tags: Some(tags_out(&x.tags)),
                        role_last_used: Some(iam::RoleLastUsed::default()),
                    }
                })
                .map(Detail::Role),
        );
    }
    if wants("LocalManagedPolicy") {
        all.extend(local_policies(&st, account).map(|p| Detail::Policy(policy_detail(&st, account, PolicyRef::Local(p)))));
    }
    if wants("AWSManagedPolicy") {
        // Only the AWS managed policies in use in the account.
        all.extend(
            aws_managed(st.partition)
                .by_name
                .values()
                .filter(|p| st.attachment_count(account, &p.arn) > 0 || st.boundary_count(account, &p.arn) > 0)
                .map(|p| Detail::Policy(policy_detail(&st, account, PolicyRef::Aws(p)))),
        );
    }
    let page = page_slice(&all, r.marker.as_deref(), r.max_items)?;
    let mut out = iam::GetAccountAuthorizationDetailsResponse {
        is_truncated: Some(page.is_truncated()),
        user_detail_list: Some(Vec::new()),
        group_detail_list: Some(Vec::new()),
        role_detail_list: Some(Vec::new()),
        policies: Some(Vec::new()),
        marker: page.next_marker,
    };
    for d in page.items {
        match d {
            Detail::User(x) => out.user_detail_list.get_or_insert_with(Vec::new).push(x),
            Detail::Group(x) => out.group_detail_list.get_or_insert_with(Vec::new).push(x),
            Detail::Role(x) => out.role_detail_list.get_or_insert_with(Vec::new).push(x),
            Detail::Policy(x) => out.policies.get_or_insert_with(Vec::new).push(x),
        }
    }
    Ok(out)
}
