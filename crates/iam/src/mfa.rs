//! Checking one-time codes against a user's virtual MFA devices: for EnableMFADevice and
//! ResyncMFADevice (two consecutive codes) and for STS (GetSessionToken and AssumeRole with
//! SerialNumber and TokenCode). The TOTP arithmetic is the pure `totp` module; here are the
//! device's seed, its learned clock drift and its replay floor.
//!
//! Tolerances (AWS documents none; these are Castellan's): a code is accepted within two steps
//! (one minute) either side of the device's clock; EnableMFADevice looks for its two codes ten
//! minutes either side, ResyncMFADevice thirty. A code is never accepted twice: every accepted
//! step raises the device's floor, committed compare-and-swap, so two requests (or two nodes)
//! racing with the same code cannot both succeed.

use crate::error::{ApiError, ApiResult};
use crate::messages;
use crate::model::{Change, MfaDevice, Record};
use crate::{totp, Caller, Iam, Principal};

/// Steps either side of the device's clock within which a code is accepted.
const VERIFY_STEPS: i64 = 2;
/// Steps either side of the server's clock searched for EnableMFADevice's codes.
const ENABLE_STEPS: i64 = 20;
/// Steps either side searched for ResyncMFADevice's codes.
const RESYNC_STEPS: i64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    Enable,
    Resync,
}

/// What a sealed seed is bound to: the device's serial number.
pub fn seed_context(serial: &str) -> String {
    format!("castellan-mfa:{serial}")
}

fn secret(iam: &Iam, device: &MfaDevice) -> Option<Vec<u8>> {
    let base32 = iam.master_key.open(&device.sealed_seed, &seed_context(&device.serial(iam.partition))).ok()?;
    totp::base32_decode(&base32)
}

/// Two consecutive codes of `device` within `window` of now, after its replay floor: the step
/// of the second (the new floor) and the device's clock offset in steps.
pub fn consecutive(iam: &Iam, device: &MfaDevice, code1: &str, code2: &str, window: Window) -> Option<(i64, i64)> {
    let secret = secret(iam, device)?;
    let now = totp::step_at(iam.now());
    let span = match window {
        Window::Enable => ENABLE_STEPS,
        Window::Resync => RESYNC_STEPS,
    };
    let from = (now - span).max(device.last_step + 1);
    let first = totp::find_step(&secret, code1, from, now + span)?;
    let second = totp::find_step(&secret, code2, first + 1, first + 1)?;
    Some((second, second - now))
}

/// `device` with its replay floor raised to the step of `code`, if `code` is good at `now`.
fn accept(iam: &Iam, device: &MfaDevice, code: &str, now: i64) -> ApiResult<Option<MfaDevice>> {
    let secret = secret(iam, device).ok_or(ApiError::ServiceFailure)?;
    let center = totp::step_at(now) + device.drift;
    let from = (center - VERIFY_STEPS).max(device.last_step + 1);
    Ok(totp::find_step(&secret, code, from, center + VERIFY_STEPS).map(|step| MfaDevice { last_step: step, ..device.clone() }))
}

fn unable() -> ApiError {
    messages::sts_mfa_unable_to_validate()
}

fn invalid_code() -> ApiError {
    messages::sts_mfa_code_invalid()
}

/// STS: checks SerialNumber and TokenCode against the caller's own enabled device and consumes
/// the code. `Ok(None)` when the request carries neither; `Ok(Some(time))`, the time of the
/// authentication, when the code is good. The messages are AWS's (as seen from AWS in aws-cli
/// issue #6325 and aws-mfa pull request #21).
pub fn verify_for_sts(iam: &Iam, caller: &Caller, serial: Option<&str>, code: Option<&str>) -> ApiResult<Option<i64>> {
    let (serial, code) = match (serial, code) {
        (None, None) => return Ok(None),
        (Some(s), Some(c)) => (s, c),
        (Some(_), None) => return Err(invalid_code()),
        (None, Some(_)) => return Err(unable()),
    };
    // Only an IAM user has MFA devices: the root user's are managed in the console.
    let Principal::User { id, .. } = &caller.principal else { return Err(unable()) };
    let now = iam.now();
    let attempt = iam.passwords.begin(&limit_key(id), now).ok_or_else(invalid_code)?;
    let result = iam.mutate(|st| {
        let device = st
            .mfa_device(&caller.account, serial)
            .filter(|d| d.user_id.as_deref() == Some(id.as_str()) && d.enable_date.is_some())
            .ok_or_else(unable)?;
        let device = accept(iam, device, code, now)?.ok_or_else(invalid_code)?;
        Ok((vec![Change::Put(Record::MfaDevice(device))], Some(now)))
    });
    settle(attempt, &result, now);
    result
}

/// Wrong codes count per user as wrong passwords do (five in five minutes lock the user's codes
/// for five minutes), so holding a user's access key or password is no way to guess a code.
fn limit_key(user_id: &str) -> String {
    format!("mfa:{user_id}")
}

fn settle<T>(attempt: crate::passwords::Attempt<'_>, result: &ApiResult<T>, now: i64) {
    match result {
        Ok(_) => attempt.finish(true, now),
        Err(ApiError::AccessDenied(_)) => attempt.finish(false, now),
        Err(_) => drop(attempt), // no check happened (the store failed)
    }
}

/// Console sign-in: a code from any of the user's enabled devices (the console asks for one
/// code). Consumes it; the time of the authentication, or AccessDenied.
pub fn verify_user_code(iam: &Iam, account: &str, user_id: &str, code: &str) -> ApiResult<i64> {
    let now = iam.now();
    let attempt = iam.passwords.begin(&limit_key(user_id), now).ok_or_else(invalid_code)?;
    let result = iam.mutate(|st| {
        for device in st.mfa_devices_of(account, user_id) {
            if let Some(device) = accept(iam, device, code, now)? {
                return Ok((vec![Change::Put(Record::MfaDevice(device))], now));
            }
        }
        Err(invalid_code())
    });
    settle(attempt, &result, now);
    result
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::Arc;

    use castellan_api::{iam, Request, Response};
    use castellan_store::MemoryStore;

    use super::*;
    use crate::authz::RequestInfo;
    use crate::crypto::MasterKey;

    static NOW: AtomicI64 = AtomicI64::new(1_800_000_000);
    fn clock() -> i64 {
        NOW.load(Ordering::SeqCst)
    }

    fn call(iam: &Iam, caller: &Caller, request: Request) -> Response {
        iam.handle(caller, &RequestInfo::default(), request).unwrap()
    }

    /// Two nodes on one store, a user with an enabled device: (node 1, node 2, the user on each,
    /// the serial number, the seed).
    fn two_nodes() -> (Iam, Iam, Caller, Caller, String, Vec<u8>) {
        let store = Arc::new(MemoryStore::new());
        let (key, bytes) = MasterKey::generate();
        let one = Iam::open(Box::new(store.clone()), key, clock).unwrap();
        let root_creds = one.create_account(Some("123456789012".into())).unwrap();
        let (root, _) = one.caller_for_access_key(&root_creds.access_key_id).unwrap();
        call(&one, &root, Request::CreateUser(iam::CreateUserRequest { user_name: "alice".into(), ..Default::default() }));
        let Response::CreateAccessKey(k) = call(&one, &root, Request::CreateAccessKey(iam::CreateAccessKeyRequest { user_name: Some("alice".into()) })) else { panic!() };
        let Response::CreateVirtualMFADevice(d) = call(
            &one,
            &root,
            Request::CreateVirtualMFADevice(iam::CreateVirtualMFADeviceRequest { virtual_mfa_device_name: "alice".into(), ..Default::default() }),
        ) else {
            panic!()
        };
        let serial = d.virtual_mfa_device.serial_number;
        let seed = totp::base32_decode(std::str::from_utf8(&d.virtual_mfa_device.base32_string_seed.unwrap().0).unwrap()).unwrap();
        let step = totp::step_at(clock());
        call(
            &one,
            &root,
            Request::EnableMFADevice(iam::EnableMFADeviceRequest {
                user_name: "alice".into(),
                serial_number: serial.clone(),
                authentication_code1: totp::code(&seed, step - 1),
                authentication_code2: totp::code(&seed, step),
            }),
        );
        let two = Iam::open(Box::new(store), MasterKey::from_bytes(&bytes), clock).unwrap();
        let (a1, _) = one.caller_for_access_key(&k.access_key.access_key_id).unwrap();
        let (a2, _) = two.caller_for_access_key(&k.access_key.access_key_id).unwrap();
        (one, two, a1, a2, serial, seed)
    }

    /// RFC 6238 section 5.2: a code accepted once is not accepted again — also when the second
    /// try reaches another node whose memory has not yet seen the first.
    #[test]
    fn a_code_is_accepted_once_across_nodes() {
        let (one, two, a1, a2, serial, seed) = two_nodes();
        let code = totp::code(&seed, totp::step_at(clock()) + 1);
        assert!(verify_for_sts(&one, &a1, Some(&serial), Some(&code)).unwrap().is_some());
        let err = verify_for_sts(&two, &a2, Some(&serial), Some(&code)).unwrap_err();
        assert_eq!(err.message(), "MultiFactorAuthentication failed with invalid MFA one time pass code.");
        // An earlier step than the last accepted one is refused too; the next one is fine.
        let older = totp::code(&seed, totp::step_at(clock()));
        assert!(verify_for_sts(&two, &a2, Some(&serial), Some(&older)).is_err());
        let next = totp::code(&seed, totp::step_at(clock()) + 2);
        assert!(verify_for_sts(&two, &a2, Some(&serial), Some(&next)).unwrap().is_some());
    }

    /// A serial number of another account never matches a device of the caller's.
    #[test]
    fn another_accounts_serial_is_unknown() {
        let (one, _two, a1, _a2, serial, seed) = two_nodes();
        let other = serial.replace("123456789012", "111122223333");
        let code = totp::code(&seed, totp::step_at(clock()) + 1);
        let err = verify_for_sts(&one, &a1, Some(&other), Some(&code)).unwrap_err();
        assert!(err.message().starts_with("MultiFactorAuthentication failed, unable to validate MFA code."));
    }
}
