//! Login profiles (console passwords), ChangePassword and password-policy enforcement.

use castellan_api::iam;

use super::{no_such_user, ts};
use crate::error::{ApiError, ApiResult};
use crate::messages;
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
        Err(messages::password_policy_violation())
    }
}

fn subject<'a>(st: &'a State, caller: &Caller, user_name: Option<&str>) -> ApiResult<&'a User> {
    let name = match (user_name, &caller.principal) {
        (Some(n), _) => n,
        (None, Principal::User { name, .. }) => name.as_str(),
        (None, Principal::AssumedRole { .. } | Principal::FederatedUser { .. }) => return Err(super::needs_user_name()),
        (None, Principal::Root) => {
            return Err(messages::root_password_not_iam())
        }
    };
    st.user(&caller.account, name).ok_or_else(|| no_such_user(name))
}

fn no_profile(name: &str) -> ApiError {
    messages::no_such_login_profile(name)
}

impl Iam {
    /// Whether `password` is the console password of user `user_name` in `account`: the one
    /// way to check a user's password (ChangePassword; console sign-in). `NoSuchEntity`
    /// without the user or its login profile; `LimitExceeded` while the user is locked after
    /// too many wrong passwords (argon2 does not run); `Throttling` when the password pool is
    /// full (see `crate::passwords`). Blocks until the check is done: call it from a blocking
    /// thread.
    pub fn verify_user_password(&self, account: &str, user_name: &str, password: &str) -> ApiResult<bool> {
        // Copy what is needed and let go of the state: argon2 runs without the read lock.
        let (user_id, name, phc) = {
            let st = self.read();
            let user = st.user(account, user_name).ok_or_else(|| no_such_user(user_name))?;
            let profile = user.login_profile.as_ref().ok_or_else(|| no_profile(&user.name))?;
            (user.id.clone(), user.name.clone(), profile.password_hash.clone())
        };
        self.limited_password_check(&user_id, phc, password)?.ok_or_else(|| crate::passwords::locked(&name))
    }

    /// Checks `password` against `phc`, counted against `key` (a user id, `root:ACCOUNT`):
    /// `None` while `key` is locked out.
    pub(crate) fn limited_password_check(&self, key: &str, phc: String, password: &str) -> ApiResult<Option<bool>> {
        let Some(attempt) = self.passwords.begin(key, self.now()) else { return Ok(None) };
        // On an error the attempt is dropped unfinished: no check happened.
        let correct = self.passwords.verify(password, phc)?;
        attempt.finish(correct, self.now());
        Ok(Some(correct))
    }

    /// An argon2id hash of `password`, computed on the password pool (`Throttling` when it is
    /// full). Blocks until done: call it from a blocking thread.
    fn hash_user_password(&self, password: &str) -> ApiResult<String> {
        self.passwords.hash(password)
    }
}

pub fn create(iam: &Iam, caller: &Caller, r: iam::CreateLoginProfileRequest) -> ApiResult<iam::CreateLoginProfileResponse> {
    let now = iam.now();
    let password = r.password.clone().ok_or_else(|| {
        messages::password_null()
    })?;
    {
        let st = iam.read();
        let user = subject(&st, caller, r.user_name.as_deref())?;
        if user.login_profile.is_some() {
            return Err(messages::login_profile_exists(&user.name));
        }
        check_password(st.accounts.get(&caller.account).and_then(|a| a.password_policy.as_ref()), &password)?;
    }
    // Hash outside the writer lock: argon2id is deliberately slow.
    let hash = iam.hash_user_password(&password)?;
    iam.mutate(|st| {
        let mut user = subject(st, caller, r.user_name.as_deref())?.clone();
        if user.login_profile.is_some() {
            return Err(messages::login_profile_exists(&user.name));
        }
        let reset = r.password_reset_required.unwrap_or(false);
        user.login_profile =
            Some(LoginProfile { password_hash: hash.clone(), created: now, password_reset_required: reset, changed: Some(now), history: Vec::new() });
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
            Some(iam.hash_user_password(pw)?)
        }
        None => None,
    };
    iam.mutate(|st| {
        let mut user = subject(st, caller, Some(r.user_name.as_str()))?.clone();
        let name = user.name.clone();
        let profile = user.login_profile.as_mut().ok_or_else(|| no_profile(&name))?;
        if let Some(h) = hash.clone() {
            let old = std::mem::replace(&mut profile.password_hash, h);
            remember(profile, old);
            profile.changed = Some(iam.now());
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
        return Err(messages::change_password_not_a_user());
    };
    iam.change_user_password(&caller.account, name, &r.old_password, &r.new_password)
}

/// How many earlier passwords are kept at most (PasswordReusePrevention's maximum).
const HISTORY: usize = 24;

/// Pushes `old` onto the profile's password history.
fn remember(profile: &mut LoginProfile, old: String) {
    profile.history.insert(0, old);
    profile.history.truncate(HISTORY);
}

/// Has `profile`'s password outlived the policy's MaxPasswordAge at `now`?
pub fn password_expired(profile: &LoginProfile, policy: Option<&PasswordPolicy>, now: i64) -> bool {
    let Some(days) = policy.and_then(|p| p.max_password_age) else { return false };
    now.saturating_sub(profile.changed.unwrap_or(profile.created)) > i64::from(days) * 86_400
}

impl Iam {
    /// A user changes their own password (ChangePassword, the console): the old one must be
    /// right, the new one must satisfy the account's policy — length, character classes and
    /// PasswordReusePrevention (the current and earlier passwords it remembers).
    pub fn change_user_password(&self, account: &str, name: &str, old: &str, new: &str) -> ApiResult<()> {
        if !self.verify_user_password(account, name, old)? {
            return Err(messages::old_password_incorrect());
        }
        let remembered = {
            let st = self.read();
            let policy = st.accounts.get(account).and_then(|a| a.password_policy.clone());
            check_password(policy.as_ref(), new)?;
            let user = st.user(account, name).ok_or_else(|| no_such_user(name))?;
            let profile = user.login_profile.as_ref().ok_or_else(|| no_profile(name))?;
            // Reuse prevention counts the current password among the N remembered.
            let n = policy.as_ref().and_then(|p| p.password_reuse_prevention).and_then(|n| usize::try_from(n).ok()).unwrap_or(0);
            let mut remembered = Vec::new();
            if n > 0 {
                remembered.push(profile.password_hash.clone());
                remembered.extend(profile.history.iter().take(n - 1).cloned());
            }
            remembered
        };
        for phc in remembered {
            if self.passwords.verify(new, phc)? {
                return Err(messages::password_policy_violation());
            }
        }
        let hash = self.hash_user_password(new)?;
        let now = self.now();
        self.mutate(|st| {
            let mut user = st.user(account, name).ok_or_else(|| no_such_user(name))?.clone();
            let profile = user.login_profile.as_mut().ok_or_else(|| no_profile(name))?;
            let previous = std::mem::replace(&mut profile.password_hash, hash.clone());
            remember(profile, previous);
            profile.password_reset_required = false;
            profile.changed = Some(now);
            Ok((vec![Change::Put(Record::User(user))], ()))
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::mpsc;

    use castellan_api::{Request, Response};
    use castellan_store::MemoryStore;

    use super::*;
    use crate::passwords::{Limits, Passwords};
    use crate::{MasterKey, RequestInfo};

    static NOW: AtomicI64 = AtomicI64::new(1_800_000_000);

    fn clock() -> i64 {
        NOW.load(Ordering::SeqCst)
    }

    const PASSWORD: &str = "Corr3ct-Horse-Battery!";
    const WRONG: &str = "Wr0ng-Horse-Battery!";

    /// An account with user `mallory`, who has a console password and only the AWS managed
    /// policy IAMUserChangePassword (the attacker of the security finding); returns mallory.
    fn setup(limits: Limits) -> (Iam, Caller) {
        let mut iam = Iam::open(Box::new(MemoryStore::new()), MasterKey::generate().0, clock).unwrap();
        iam.passwords = Passwords::new(limits);
        let creds = iam.create_account(Some("123456789012".into())).unwrap();
        let (root, _) = iam.caller_for_access_key(&creds.access_key_id).unwrap();
        let run = |r| iam.handle(&root, &RequestInfo::default(), r).unwrap();
        let user = || "mallory".to_owned();
        run(Request::CreateUser(iam::CreateUserRequest { user_name: user(), ..Default::default() }));
        run(Request::AttachUserPolicy(iam::AttachUserPolicyRequest {
            user_name: user(),
            policy_arn: "arn:aws:iam::aws:policy/IAMUserChangePassword".into(),
        }));
        run(Request::CreateLoginProfile(iam::CreateLoginProfileRequest {
            user_name: Some(user()),
            password: Some(PASSWORD.into()),
            ..Default::default()
        }));
        let Response::CreateAccessKey(key) = run(Request::CreateAccessKey(iam::CreateAccessKeyRequest { user_name: Some(user()) }))
        else {
            panic!("not a CreateAccessKey response")
        };
        let (mallory, _) = iam.caller_for_access_key(&key.access_key.access_key_id).unwrap();
        (iam, mallory)
    }

    fn change_password(iam: &Iam, caller: &Caller, old: &str, new: &str) -> ApiResult<()> {
        let r = iam::ChangePasswordRequest { old_password: old.into(), new_password: new.into() };
        iam.handle(caller, &RequestInfo::default(), Request::ChangePassword(r)).map(|_| ())
    }

    /// The memory bomb: ChangePassword calls beyond what the password pool runs and queues
    /// fail at once with AWS's Throttling instead of each holding an argon2 computation.
    #[test]
    fn change_password_flood_is_throttled_when_the_password_pool_is_full() {
        let limits = Limits { workers: 1, queue: 1, ..Limits::default() };
        let (iam, mallory) = setup(limits);
        // Hold the one worker, and fill the one place in the queue.
        let (started_tx, started) = mpsc::channel();
        let (release, gate) = mpsc::channel::<()>();
        let busy = iam
            .passwords
            .submit(move || {
                started_tx.send(()).unwrap();
                gate.recv().unwrap();
            })
            .unwrap();
        started.recv().unwrap();
        let queued = iam.passwords.submit(|| ()).unwrap();
        let runs = iam.passwords.argon2_runs();
        let err = change_password(&iam, &mallory, WRONG, "N3w-Passw0rd-Here!").unwrap_err();
        assert_eq!((err.code(), err.status(), err.message()), ("Throttling", 400, "Rate exceeded"));
        // Hashing for CreateLoginProfile/UpdateLoginProfile goes through the same pool.
        assert_eq!(iam.hash_user_password(PASSWORD).unwrap_err(), ApiError::Throttling);
        assert_eq!(iam.passwords.argon2_runs(), runs);
        release.send(()).unwrap();
        busy.recv().unwrap();
        queued.recv().unwrap();
        // A refused check is not a failed attempt: the user is not any closer to a lockout,
        // and the pool serves again.
        change_password(&iam, &mallory, PASSWORD, "N3w-Passw0rd-Here!").unwrap();
    }

    /// Guessing the old password: after `max_failures` wrong ones the user's password is not
    /// checked at all (LimitExceeded, no argon2) until the lockout ends.
    #[test]
    fn wrong_old_password_guessing_locks_the_user_without_running_argon2() {
        let limits = Limits { max_failures: 3, window_secs: 300, lockout_secs: 300, ..Limits::default() };
        let (iam, mallory) = setup(limits);
        for _ in 0..3 {
            let err = change_password(&iam, &mallory, WRONG, "N3w-Passw0rd-Here!").unwrap_err();
            assert_eq!((err.code(), err.message()), ("InvalidInput", "The old password is incorrect."));
        }
        let runs = iam.passwords.argon2_runs();
        for old in [WRONG, PASSWORD] {
            let err = change_password(&iam, &mallory, old, "N3w-Passw0rd-Here!").unwrap_err();
            assert_eq!((err.code(), err.status()), ("LimitExceeded", 409), "{err}");
        }
        assert_eq!(iam.passwords.argon2_runs(), runs, "a locked user's password is not checked");
        // Every caller of the one verification path sees the lock.
        assert_eq!(iam.verify_user_password("123456789012", "mallory", PASSWORD).unwrap_err().code(), "LimitExceeded");
        NOW.fetch_add(300, Ordering::SeqCst);
        change_password(&iam, &mallory, PASSWORD, "N3w-Passw0rd-Here!").unwrap();
        assert!(iam.verify_user_password("123456789012", "mallory", "N3w-Passw0rd-Here!").unwrap());
    }

    /// The finding's attack: many concurrent ChangePassword calls with a wrong old password
    /// from one user run at most `max_failures` argon2 verifications; the others are refused
    /// (LimitExceeded, or Throttling while the pool is full) without running argon2.
    #[test]
    fn concurrent_wrong_change_password_flood_runs_at_most_the_allowed_checks() {
        let limits = Limits { workers: 2, queue: 4, max_failures: 5, window_secs: 3600, lockout_secs: 3600 };
        let (iam, mallory) = setup(limits);
        let before = iam.passwords.argon2_runs();
        let codes: Vec<&str> = std::thread::scope(|s| {
            let calls: Vec<_> = (0..64)
                .map(|_| s.spawn(|| change_password(&iam, &mallory, WRONG, "N3w-Passw0rd-Here!").unwrap_err().code()))
                .collect();
            calls.into_iter().map(|c| c.join().unwrap()).collect()
        });
        let checked = iam.passwords.argon2_runs() - before;
        assert!(checked <= 5, "{checked} argon2 runs");
        assert_eq!(codes.iter().filter(|&&c| c == "InvalidInput").count(), usize::try_from(checked).unwrap());
        assert!(codes.iter().all(|c| ["InvalidInput", "LimitExceeded", "Throttling"].contains(c)), "{codes:?}");
        // However the flood was scheduled (on a loaded machine most of it may have been
        // throttled), the user ends up locked after the fifth failure, and no more are checked.
        let later: Vec<&str> = (0..6).map(|_| change_password(&iam, &mallory, WRONG, "N3w-Passw0rd-Here!").unwrap_err().code()).collect();
        assert_eq!(later.last(), Some(&"LimitExceeded"), "{later:?}");
        assert!(iam.passwords.argon2_runs() - before <= 5);
    }
}
