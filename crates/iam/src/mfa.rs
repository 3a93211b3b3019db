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
    let base32 = iam.master_key.open(&device.sealed_seed, &seed_context(&device.serial())).ok()?;
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

fn unable() -> ApiError {
    ApiError::AccessDenied(
        "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user."
            .into(),
    )
}

fn invalid_code() -> ApiError {
    ApiError::AccessDenied("MultiFactorAuthentication failed with invalid MFA one time pass code.".into())
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
    iam.mutate(|st| {
        let device = st
            .mfa_device(&caller.account, serial)
            .filter(|d| d.user_id.as_deref() == Some(id.as_str()) && d.enable_date.is_some())
            .ok_or_else(unable)?;
        let secret = secret(iam, device).ok_or(ApiError::ServiceFailure)?;
        let center = totp::step_at(now) + device.drift;
        let from = (center - VERIFY_STEPS).max(device.last_step + 1);
        let step = totp::find_step(&secret, code, from, center + VERIFY_STEPS).ok_or_else(invalid_code)?;
        let device = MfaDevice { last_step: step, ..device.clone() };
        Ok((vec![Change::Put(Record::MfaDevice(device))], Some(now)))
    })
}
