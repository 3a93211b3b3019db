//! Console sign-in, as a domain operation: password, then a code from an MFA device when the
//! user has one, then a password change when one is due; the result is an STS session of the
//! user (`Session::console`), so everything the console does afterwards is authorized by the
//! same engine and policies as the API. Also the federation endpoint's sign-in tokens.
//!
//! The console edge (`castellan-console`) holds no secret: the steps in between are sealed
//! under the master key (`Pending`), and so is the console cookie (`Iam::seal_console`).

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::error::{ApiError, ApiResult};
use crate::messages;
use crate::model::{Change, Record};
use crate::ops::login::{check_password, password_expired};
use crate::session::{Session, SessionKind};
use crate::{mfa, Iam};

/// A console session lasts 12 hours (the AWS console's default for IAM users).
const CONSOLE_SESSION_SECONDS: i32 = 43_200;
/// A half-finished sign-in (waiting for an MFA code or a new password) lasts 5 minutes.
const PENDING_SECONDS: i64 = 300;
/// A federation sign-in token is good for 15 minutes (AWS: "valid for 15 minutes").
const SIGNIN_TOKEN_SECONDS: i64 = 900;

const PENDING: &str = "castellan-console-pending";
const COOKIE: &str = "castellan-console-cookie";
const SIGNIN_TOKEN: &str = "castellan-federation-signin";

/// Why a sign-in step failed. What the person is shown never says which part was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInError {
    /// Unknown account or user, wrong password or code, no console password, a stale step.
    Incorrect,
    /// Too many wrong passwords for this user: not checked until the lockout ends.
    LockedOut,
    /// The password expired and the policy's HardExpiry forbids setting a new one.
    HardExpired,
    /// The new password was refused (policy, wrong old password): AWS's message.
    Refused(ApiError),
    /// The service could not do it (store down, password pool full).
    Unavailable(ApiError),
}

/// Temporary credentials of a console session.
#[derive(Clone, PartialEq, Eq)]
pub struct ConsoleCredentials {
    pub access_key_id: String,
    pub session_token: String,
    pub expires: i64,
}

impl std::fmt::Debug for ConsoleCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleCredentials").field("access_key_id", &self.access_key_id).finish_non_exhaustive()
    }
}

/// Where a sign-in stands after a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    Done(ConsoleCredentials),
    /// The password was right and the user has an MFA device: ask for a code.
    NeedMfa { pending: String },
    /// The password must be changed first (PasswordResetRequired, or it expired).
    MustChangePassword { pending: String },
}

/// A sign-in between its steps, sealed.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pending {
    account: String,
    /// `None`: the root user.
    user_id: Option<String>,
    mfa_time: Option<i64>,
    need_mfa: bool,
    must_change: bool,
    expires: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct SigninToken {
    access_key_id: String,
    session_token: String,
    expires: i64,
}

impl Iam {
    /// The account an "Account ID or alias" field names.
    pub fn resolve_account(&self, id_or_alias: &str) -> Option<String> {
        let st = self.read();
        let wanted = id_or_alias.trim();
        if st.accounts.contains_key(wanted) {
            return Some(wanted.to_owned());
        }
        st.accounts.values().find(|a| a.aliases.iter().any(|al| al.eq_ignore_ascii_case(wanted))).map(|a| a.id.clone())
    }

    /// Seals text for the console (its cookie) under the master key.
    pub fn seal_console(&self, text: &str) -> ApiResult<String> {
        self.master_key.seal(text, COOKIE).map_err(|_| ApiError::ServiceFailure)
    }

    /// Opens what [`Iam::seal_console`] sealed; `None` if it was altered or is not ours.
    pub fn open_console(&self, sealed: &str) -> Option<String> {
        self.master_key.open(sealed, COOKIE).ok()
    }

    fn seal_pending(&self, p: &Pending) -> Result<String, SignInError> {
        let json = serde_json::to_string(p).map_err(|_| SignInError::Unavailable(ApiError::ServiceFailure))?;
        self.master_key.seal(&json, PENDING).map_err(|_| SignInError::Unavailable(ApiError::ServiceFailure))
    }

    fn open_pending(&self, sealed: &str) -> Result<Pending, SignInError> {
        let json = self.master_key.open(sealed, PENDING).map_err(|_| SignInError::Incorrect)?;
        let p: Pending = serde_json::from_str(&json).map_err(|_| SignInError::Incorrect)?;
        if self.now() >= p.expires {
            return Err(SignInError::Incorrect);
        }
        Ok(p)
    }

    /// Step one: account, user name (`None`: the root user) and password.
    pub fn console_sign_in(&self, account_or_alias: &str, user: Option<&str>, password: &str) -> Result<SignIn, SignInError> {
        let account = self.resolve_account(account_or_alias).ok_or(SignInError::Incorrect)?;
        let now = self.now();
        let Some(user) = user else {
            return self.root_sign_in(&account, password);
        };
        let known = {
            let st = self.read();
            st.user(&account, user).is_some_and(|u| u.login_profile.is_some())
        };
        if !known {
            // As long as a real check, so the answer's timing does not say the user is unknown.
            self.dummy_password_check(password);
            return Err(SignInError::Incorrect);
        }
        let (user_id, need_mfa, must_change, hard) = {
            let st = self.read();
            let u = st.user(&account, user).ok_or(SignInError::Incorrect)?;
            let profile = u.login_profile.as_ref().ok_or(SignInError::Incorrect)?;
            let policy = st.accounts.get(&account).and_then(|a| a.password_policy.as_ref());
            let expired = password_expired(profile, policy, now);
            let hard = expired && policy.is_some_and(|p| p.hard_expiry == Some(true) || !p.allow_users_to_change_password);
            (u.id.clone(), !st.mfa_devices_of(&account, &u.id).is_empty(), profile.password_reset_required || expired, hard)
        };
        match self.verify_user_password(&account, user, password) {
            Ok(true) => {}
            Ok(false) => return Err(SignInError::Incorrect),
            Err(ApiError::LimitExceeded(_)) => return Err(SignInError::LockedOut),
            Err(ApiError::NoSuchEntity(_)) => return Err(SignInError::Incorrect),
            Err(e) => return Err(SignInError::Unavailable(e)),
        }
        if hard {
            return Err(SignInError::HardExpired);
        }
        self.sign_in_next(Pending { account, user_id: Some(user_id), mfa_time: None, need_mfa, must_change, expires: now + PENDING_SECONDS })
    }

    /// An argon2 verification against a hash of a random password, its result ignored.
    fn dummy_password_check(&self, password: &str) {
        static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
        let phc = DUMMY.get_or_init(|| self.passwords.hash(&crate::ids::secret_access_key()).ok());
        if let Some(phc) = phc {
            let _ = self.passwords.verify(password, phc.clone());
        }
    }

    fn root_sign_in(&self, account: &str, password: &str) -> Result<SignIn, SignInError> {
        let phc = self.read().accounts.get(account).and_then(|a| a.root_password_hash.clone()).ok_or(SignInError::Incorrect)?;
        let now = self.now();
        let correct = self.limited_password_check(&format!("root:{account}"), phc, password).map_err(SignInError::Unavailable)?;
        if !correct.ok_or(SignInError::LockedOut)? {
            return Err(SignInError::Incorrect);
        }
        self.sign_in_next(Pending { account: account.to_owned(), user_id: None, mfa_time: None, need_mfa: false, must_change: false, expires: now + PENDING_SECONDS })
    }

    /// Step two, when asked for: a code from one of the user's MFA devices.
    pub fn console_mfa(&self, pending: &str, code: &str) -> Result<SignIn, SignInError> {
        let mut p = self.open_pending(pending)?;
        let user_id = p.user_id.clone().ok_or(SignInError::Incorrect)?;
        if !p.need_mfa {
            return Err(SignInError::Incorrect);
        }
        match mfa::verify_user_code(self, &p.account, &user_id, code) {
            Ok(time) => p.mfa_time = Some(time),
            Err(ApiError::AccessDenied(_)) => return Err(SignInError::Incorrect),
            Err(e) => return Err(SignInError::Unavailable(e)),
        }
        p.need_mfa = false;
        self.sign_in_next(p)
    }

    /// Step three, when due: the old password again and a new one the policy accepts.
    pub fn console_change_password(&self, pending: &str, old: &str, new: &str) -> Result<SignIn, SignInError> {
        let mut p = self.open_pending(pending)?;
        if !p.must_change || p.need_mfa {
            return Err(SignInError::Incorrect);
        }
        let name = {
            let st = self.read();
            st.user_by_id(p.user_id.as_deref().ok_or(SignInError::Incorrect)?).ok_or(SignInError::Incorrect)?.name.clone()
        };
        match self.change_user_password(&p.account, &name, old, new) {
            Ok(()) => {}
            Err(e @ (ApiError::Throttling | ApiError::ServiceFailure)) => return Err(SignInError::Unavailable(e)),
            Err(ApiError::LimitExceeded(_)) => return Err(SignInError::LockedOut),
            Err(e) => return Err(SignInError::Refused(e)),
        }
        p.must_change = false;
        self.sign_in_next(p)
    }

    fn sign_in_next(&self, p: Pending) -> Result<SignIn, SignInError> {
        if p.need_mfa {
            return Ok(SignIn::NeedMfa { pending: self.seal_pending(&p)? });
        }
        if p.must_change {
            return Ok(SignIn::MustChangePassword { pending: self.seal_pending(&p)? });
        }
        let now = self.now();
        let kind = match &p.user_id {
            None => SessionKind::SessionToken { user: None, user_id: None },
            Some(id) => {
                let st = self.read();
                let u = st.user_by_id(id).filter(|u| u.account == p.account).ok_or(SignInError::Incorrect)?;
                SessionKind::SessionToken { user: Some(u.name.clone()), user_id: Some(u.id.clone()) }
            }
        };
        let session = Session {
            console: true,
            mfa: p.mfa_time.is_some(),
            mfa_time: p.mfa_time,
            ..Session::new(&p.account, kind, now, CONSOLE_SESSION_SECONDS)
        };
        let token = session.seal(&self.master_key).map_err(SignInError::Unavailable)?;
        if let Some(id) = &p.user_id {
            self.record_password_use(&p.account, id, now);
        }
        Ok(SignIn::Done(ConsoleCredentials { access_key_id: session.access_key_id, session_token: token, expires: session.expires }))
    }

    /// PasswordLastUsed: written when a user signs in to the console.
    fn record_password_use(&self, account: &str, user_id: &str, now: i64) {
        let written = self.mutate(|st| {
            let Some(u) = st.user_by_id(user_id).filter(|u| u.account == account) else { return Ok((Vec::new(), ())) };
            let mut u = u.clone();
            u.password_last_used = Some(now);
            Ok((vec![Change::Put(Record::User(u))], ()))
        });
        if written.is_err() {
            tracing::warn!("could not record the password's last use");
        }
    }

    /// The root user's console password (`castellan account set-root-password`): AWS's rules
    /// for the root password — at least 8 characters and three of the four character classes.
    pub fn set_root_password(&self, account: &str, password: &str) -> ApiResult<()> {
        check_password(None, password)?;
        let hash = self.passwords.hash(password)?;
        self.mutate(|st| {
            let mut a = st.accounts.get(account).cloned().ok_or_else(|| messages::no_such_account(account))?;
            a.root_password_hash = Some(hash.clone());
            Ok((vec![Change::Put(Record::Account(a))], ()))
        })
    }

    /// The federation endpoint's `getSigninToken`: the temporary credentials must be a live
    /// session of this service (their secret included); the token opens a console session with
    /// them for 15 minutes.
    pub fn federation_signin_token(&self, access_key_id: &str, secret: &str, session_token: &str) -> ApiResult<String> {
        let (_, real_secret) = self.caller_for_session(access_key_id, session_token)?;
        if !bool::from(real_secret.as_bytes().ct_eq(secret.as_bytes())) {
            return Err(messages::security_token_invalid());
        }
        let token = SigninToken { access_key_id: access_key_id.to_owned(), session_token: session_token.to_owned(), expires: self.now() + SIGNIN_TOKEN_SECONDS };
        let json = serde_json::to_string(&token).map_err(|_| ApiError::ServiceFailure)?;
        self.master_key.seal(&json, SIGNIN_TOKEN).map_err(|_| ApiError::ServiceFailure)
    }

    /// The federation endpoint's `login`: the credentials a sign-in token carries, if it is
    /// ours, unexpired and its session still valid.
    pub fn federation_login(&self, signin_token: &str) -> ApiResult<ConsoleCredentials> {
        let invalid = || messages::signin_token_invalid();
        let json = self.master_key.open(signin_token, SIGNIN_TOKEN).map_err(|_| invalid())?;
        let t: SigninToken = serde_json::from_str(&json).map_err(|_| invalid())?;
        if self.now() >= t.expires {
            return Err(invalid());
        }
        let (caller, _) = self.caller_for_session(&t.access_key_id, &t.session_token)?;
        let expires = caller.session.as_ref().map_or(0, |s| s.expires);
        Ok(ConsoleCredentials { access_key_id: t.access_key_id, session_token: t.session_token, expires })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use std::sync::atomic::{AtomicI64, Ordering};

    use castellan_api::{iam, Request};
    use castellan_store::MemoryStore;

    use super::*;
    use crate::{Caller, MasterKey, RequestInfo};

    static NOW: AtomicI64 = AtomicI64::new(1_800_000_000);
    fn clock() -> i64 {
        NOW.load(Ordering::SeqCst)
    }
    const PASSWORD: &str = "Corr3ct-Horse-Battery!";

    fn setup(policy: iam::UpdateAccountPasswordPolicyRequest) -> (Iam, Caller) {
        let iam = Iam::open(Box::new(MemoryStore::new()), MasterKey::generate().0, clock).unwrap();
        let creds = iam.create_account(Some("123456789012".into())).unwrap();
        let (root, _) = iam.caller_for_access_key(&creds.access_key_id).unwrap();
        let run = |r: Request| iam.handle(&root, &RequestInfo::default(), r).unwrap();
        run(Request::CreateUser(iam::CreateUserRequest { user_name: "alice".into(), ..Default::default() }));
        run(Request::CreateLoginProfile(iam::CreateLoginProfileRequest { user_name: Some("alice".into()), password: Some(PASSWORD.into()), password_reset_required: None }));
        run(Request::UpdateAccountPasswordPolicy(policy));
        (iam, root)
    }

    fn done(outcome: Result<SignIn, SignInError>) -> ConsoleCredentials {
        match outcome {
            Ok(SignIn::Done(c)) => c,
            other => panic!("not signed in: {other:?}"),
        }
    }

    /// "Set an account password policy": with MaxPasswordAge the password must be changed at
    /// sign-in once it is older; with HardExpiry the user cannot set one (an administrator must).
    #[test]
    fn expired_passwords_must_be_changed_or_with_hard_expiry_cannot_sign_in() {
        let (iam, _) = setup(iam::UpdateAccountPasswordPolicyRequest { max_password_age: Some(1), allow_users_to_change_password: Some(true), ..Default::default() });
        done(iam.console_sign_in("123456789012", Some("alice"), PASSWORD));
        NOW.fetch_add(2 * 86_400, Ordering::SeqCst);
        let Ok(SignIn::MustChangePassword { pending }) = iam.console_sign_in("123456789012", Some("alice"), PASSWORD) else { panic!() };
        let creds = done(iam.console_change_password(&pending, PASSWORD, "N3w-Passw0rd-Here!"));
        let (caller, _) = iam.caller_for_session(&creds.access_key_id, &creds.session_token).unwrap();
        assert_eq!(caller.arn(), "arn:aws:iam::123456789012:user/alice");
        assert!(caller.session.as_ref().unwrap().console);

        let (iam, _) = setup(iam::UpdateAccountPasswordPolicyRequest { max_password_age: Some(1), hard_expiry: Some(true), ..Default::default() });
        NOW.fetch_add(2 * 86_400, Ordering::SeqCst);
        assert_eq!(iam.console_sign_in("123456789012", Some("alice"), PASSWORD), Err(SignInError::HardExpired));
    }

    /// PasswordReusePrevention counts the current password among those remembered.
    #[test]
    fn reuse_prevention_refuses_remembered_passwords() {
        let (iam, _) = setup(iam::UpdateAccountPasswordPolicyRequest { password_reuse_prevention: Some(2), ..Default::default() });
        let second = "Second-Passw0rd-Here!";
        let err = iam.change_user_password("123456789012", "alice", PASSWORD, PASSWORD).unwrap_err();
        assert_eq!(err.code(), "PasswordPolicyViolation");
        iam.change_user_password("123456789012", "alice", PASSWORD, second).unwrap();
        assert_eq!(iam.change_user_password("123456789012", "alice", second, PASSWORD).unwrap_err().code(), "PasswordPolicyViolation");
        iam.change_user_password("123456789012", "alice", second, "Third-Passw0rd-Here!").unwrap();
        // Two back is no longer remembered.
        iam.change_user_password("123456789012", "alice", "Third-Passw0rd-Here!", PASSWORD).unwrap();
    }

    /// Nothing says which part was wrong; a tampered or foreign pending step opens nothing;
    /// the root user signs in only with a password set for it.
    #[test]
    fn wrong_parts_tampered_steps_and_root() {
        let (iam, _) = setup(iam::UpdateAccountPasswordPolicyRequest::default());
        for (account, user, password) in [("999999999999", "alice", PASSWORD), ("123456789012", "bob", PASSWORD), ("123456789012", "alice", "Wrong-Passw0rd!")] {
            assert_eq!(iam.console_sign_in(account, Some(user), password), Err(SignInError::Incorrect));
        }
        assert_eq!(iam.console_mfa("not-a-pending-step", "123456"), Err(SignInError::Incorrect));
        assert_eq!(iam.console_sign_in("123456789012", None, "Root-Passw0rd-1!"), Err(SignInError::Incorrect));
        iam.set_root_password("123456789012", "Root-Passw0rd-1!").unwrap();
        let creds = done(iam.console_sign_in("123456789012", None, "Root-Passw0rd-1!"));
        let (caller, _) = iam.caller_for_session(&creds.access_key_id, &creds.session_token).unwrap();
        assert_eq!(caller.arn(), "arn:aws:iam::123456789012:root");
        assert_eq!(iam.set_root_password("123456789012", "short").unwrap_err().code(), "PasswordPolicyViolation");
    }
}
