//! Login profiles (console passwords), ChangePassword and password-policy enforcement.

use castellan_api::iam;

use super::{no_such_user, ts};
use crate::crypto::{hash_password, verify_password};
use crate::error::{ApiError, ApiResult};
use crate::model::{Change, LoginProfile, PasswordPolicy, Record, User};
use crate::state::State;
use crate::{Caller, Iam, Principal};

/// The symbols IAM counts as non-alphanumeric (IAM User Guide, "Set an account password policy").
const SYMBOLS: &str = "!@#$%^&*()_+-=[]{}|'";

/// Checks `password` against the account's policy, or AWS's default policy when none is set
/// (at least 8 characters and three of: uppercase, lowercase, numbers, symbols).
pub fn check_password(policy: Option<&PasswordPolicy>, password: &str) -> ApiResult<()> {
    let upper = password.chars().any(|c| c.is_ascii_uppercase());
    let lower = password.chars().any(|c| c.is_ascii_lowercase());
    let digit = password.chars().any(|c| c.is_ascii_digit());
    let symbol = password.chars().any(|c| SYMBOLS.contains(c));
    let len = password.chars().count();
    let ok = match policy {
        None => len >= 8 && [upper, lower, digit, symbol].iter().filter(|&&b| b).count() >= 3,
        Some(p) => {
            len >= usize::try_from(p.minimum_password_length).unwrap_or(6)
                && (!p.require_uppercase_characters || upper)
                && (!p.require_lowercase_characters || lower)
                && (!p.require_numbers || digit)
                && (!p.require_symbols || symbol)
        }
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::PasswordPolicyViolation("Password does not conform to the account password policy.".into()))
    }
}

fn subject<'a>(st: &'a State, caller: &Caller, user_name: Option<&str>) -> ApiResult<&'a User> {
    let name = match (user_name, &caller.principal) {
        (Some(n), _) => n,
        (None, Principal::User { name, .. }) => name.as_str(),
        (None, Principal::AssumedRole { .. } | Principal::FederatedUser { .. }) => return Err(super::needs_user_name()),
        (None, Principal::Root) => {
            return Err(ApiError::InvalidInput("The root user's console password is not managed through IAM.".into()))
        }
    };
    st.user(&caller.account, name).ok_or_else(|| no_such_user(name))
}

fn no_profile(name: &str) -> ApiError {
    ApiError::NoSuchEntity(format!("Login Profile for User {name} cannot be found."))
}

fn hashed(password: &str) -> ApiResult<String> {
    hash_password(password).map_err(|_| ApiError::ServiceFailure)
}

pub fn create(iam: &Iam, caller: &Caller, r: iam::CreateLoginProfileRequest) -> ApiResult<iam::CreateLoginProfileResponse> {
    let now = iam.now();
    let password = r.password.clone().ok_or_else(|| {
        ApiError::Validation("1 validation error detected: Value null at 'password' failed to satisfy constraint: Member must not be null".into())
    })?;
    {
        let st = iam.read();
        let user = subject(&st, caller, r.user_name.as_deref())?;
        if user.login_profile.is_some() {
            return Err(ApiError::EntityAlreadyExists(format!("Login Profile for user {} already exists.", user.name)));
        }
        check_password(st.accounts.get(&caller.account).and_then(|a| a.password_policy.as_ref()), &password)?;
    }
    // Hash outside the writer lock: argon2id is deliberately slow.
    let hash = hashed(&password)?;
    iam.mutate(|st| {
        let mut user = subject(st, caller, r.user_name.as_deref())?.clone();
        if user.login_profile.is_some() {
            return Err(ApiError::EntityAlreadyExists(format!("Login Profile for user {} already exists.", user.name)));
        }
        let reset = r.password_reset_required.unwrap_or(false);
        user.login_profile = Some(LoginProfile { password_hash: hash.clone(), created: now, password_reset_required: reset });
        let out = iam::CreateLoginProfileResponse {
            login_profile: iam::LoginProfile { user_name: user.name.clone(), create_date: ts(now), password_reset_required: Some(reset) },
        };
        Ok((vec![Change::Put(Record::User(user))], out))
    })
}

pub fn get(iam: &Iam, caller: &Caller, r: iam::GetLoginProfileRequest) -> ApiResult<iam::GetLoginProfileResponse> {
    let st = iam.read();
    let user = subject(&st, caller, r.user_name.as_deref())?;
    let p = user.login_profile.as_ref().ok_or_else(|| no_profile(&user.name))?;
    Ok(iam::GetLoginProfileResponse {
        login_profile: iam::LoginProfile {
            user_name: user.name.clone(),
            create_date: ts(p.created),
            password_reset_required: Some(p.password_reset_required),
        },
    })
}

pub fn update(iam: &Iam, caller: &Caller, r: iam::UpdateLoginProfileRequest) -> ApiResult<()> {
    let hash = match &r.password {
        Some(pw) => {
            let st = iam.read();
            let user = subject(&st, caller, Some(r.user_name.as_str()))?;
            user.login_profile.as_ref().ok_or_else(|| no_profile(&user.name))?;
            check_password(st.accounts.get(&caller.account).and_then(|a| a.password_policy.as_ref()), pw)?;
            drop(st);
            Some(hashed(pw)?)
        }
        None => None,
    };
    iam.mutate(|st| {
        let mut user = subject(st, caller, Some(r.user_name.as_str()))?.clone();
        let name = user.name.clone();
        let profile = user.login_profile.as_mut().ok_or_else(|| no_profile(&name))?;
        if let Some(h) = hash.clone() {
            profile.password_hash = h;
        }
        if let Some(reset) = r.password_reset_required {
            profile.password_reset_required = reset;
        }
        Ok((vec![Change::Put(Record::User(user))], ()))
    })
}

pub fn delete(iam: &Iam, caller: &Caller, r: iam::DeleteLoginProfileRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let mut user = subject(st, caller, r.user_name.as_deref())?.clone();
        if user.login_profile.take().is_none() {
            return Err(no_profile(&user.name));
        }
        Ok((vec![Change::Put(Record::User(user))], ()))
    })
}

/// An IAM user changes its own password (ChangePassword): the old one must match.
pub fn change_password(iam: &Iam, caller: &Caller, r: iam::ChangePasswordRequest) -> ApiResult<()> {
    let Principal::User { name, .. } = &caller.principal else {
        return Err(ApiError::InvalidInput("Only IAM users can change their own password with ChangePassword.".into()));
    };
    {
        let st = iam.read();
        let user = st.user(&caller.account, name).ok_or_else(|| no_such_user(name))?;
        let profile = user.login_profile.as_ref().ok_or_else(|| no_profile(name))?;
        if !verify_password(&r.old_password, &profile.password_hash) {
            return Err(ApiError::InvalidInput("The old password is incorrect.".into()));
        }
        check_password(st.accounts.get(&caller.account).and_then(|a| a.password_policy.as_ref()), &r.new_password)?;
    }
    let hash = hashed(&r.new_password)?;
    iam.mutate(|st| {
        let mut user = st.user(&caller.account, name).ok_or_else(|| no_such_user(name))?.clone();
        let profile = user.login_profile.as_mut().ok_or_else(|| no_profile(name))?;
        profile.password_hash.clone_from(&hash);
        profile.password_reset_required = false;
        Ok((vec![Change::Put(Record::User(user))], ()))
    })
}
