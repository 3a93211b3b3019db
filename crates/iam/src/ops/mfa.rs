//! Virtual MFA devices: CreateVirtualMFADevice, EnableMFADevice, ResyncMFADevice,
//! DeactivateMFADevice, DeleteVirtualMFADevice, GetMFADevice, ListMFADevices,
//! ListVirtualMFADevices, and their tags. The one-time codes are checked by `crate::mfa`.

use castellan_api::iam;
use castellan_api::types::Blob;
use rand::RngCore;

use super::keys::subject;
use super::{no_such_user, tags_in, tags_out, ts};
use crate::error::{ApiError, ApiResult};
use crate::messages;
use crate::mfa::{self, Window};
use crate::model::{Change, MfaDevice, Record};
use crate::paginate::{page_of, page_slice};
use crate::state::State;
use crate::validate::{merge_tags, quota, remove_tags};
use crate::{totp, Caller, Iam};

/// A user may have up to eight MFA devices (IAM User Guide, "IAM and AWS STS quotas":
/// "MFA devices in use by an IAM user: 8").
const DEVICES_PER_USER: usize = 8;

fn no_such_device(serial: &str) -> ApiError {
    messages::no_such_mfa_device(serial)
}

fn device_of<'a>(st: &'a State, account: &str, serial: &str) -> ApiResult<&'a MfaDevice> {
    st.mfa_device(account, serial).ok_or_else(|| no_such_device(serial))
}

/// The device `serial`, enabled for the user named `user`: NoSuchEntity otherwise.
fn enabled_device<'a>(st: &'a State, account: &str, user: &str, serial: &str) -> ApiResult<&'a MfaDevice> {
    let u = st.user(account, user).ok_or_else(|| no_such_user(user))?;
    st.mfa_device(account, serial)
        .filter(|d| d.user_id.as_deref() == Some(u.id.as_str()))
        .ok_or_else(|| messages::no_such_mfa_device(serial))
}

pub fn create(iam: &Iam, account: &str, r: iam::CreateVirtualMFADeviceRequest) -> ApiResult<iam::CreateVirtualMFADeviceResponse> {
    let now = iam.now();
    let path = r.path.clone().unwrap_or_else(|| "/".into());
    let mut seed = [0u8; totp::SEED_BYTES];
    rand::thread_rng().fill_bytes(&mut seed);
    let base32 = totp::base32_encode(&seed);
    iam.mutate(|st| {
        let serial = format!("arn:{}:iam::{account}:mfa{path}{}", st.partition.as_str(), r.virtual_mfa_device_name);
        if st.mfa_devices.contains_key(&crate::state::name_key(account, &format!("{path}{}", r.virtual_mfa_device_name))) {
            return Err(messages::mfa_device_exists());
        }
        // "Virtual MFA devices (assigned or unassigned) in an AWS account: equal to the user quota".
        if st.account_mfa_devices(account).count() >= usize::try_from(quota::USERS).unwrap_or(usize::MAX) {
            return Err(messages::virtual_mfa_device_limit(quota::USERS));
        }
        let mut tags = Vec::new();
        merge_tags(&mut tags, &tags_in(r.tags.as_deref().unwrap_or_default()), "MFADevice")?;
        let sealed_seed = iam.master_key.seal(&base32, &mfa::seed_context(&serial)).map_err(|_| ApiError::ServiceFailure)?;
        // The URI format AWS documents for QRCodePNG: otpauth://totp/$virtualMFADeviceName@$AccountName?secret=$Base32String
        // (AccountName: the account id, as no user has the device yet).
        let uri = format!("otpauth://totp/{}@{account}?secret={base32}", super::url_encode(&r.virtual_mfa_device_name));
        let png = crate::qr::png(&uri).ok_or(ApiError::ServiceFailure)?;
        let device = MfaDevice {
            account: account.to_owned(),
            name: r.virtual_mfa_device_name.clone(),
            path: path.clone(),
            created: now,
            sealed_seed,
            user_id: None,
            enable_date: None,
            last_step: 0,
            drift: 0,
            tags,
        };
        let out = iam::CreateVirtualMFADeviceResponse {
            virtual_mfa_device: iam::VirtualMFADevice {
                serial_number: serial,
                base32_string_seed: Some(Blob(base32.clone().into_bytes())),
                qr_code_png: Some(Blob(png)),
                tags: (!device.tags.is_empty()).then(|| tags_out(&device.tags)),
                ..Default::default()
            },
        };
        Ok((vec![Change::Put(Record::MfaDevice(device))], out))
    })
}

/// EnableMFADevice and ResyncMFADevice: two consecutive codes, which teach the device's clock.
fn codes(iam: &Iam, device: &MfaDevice, code1: &str, code2: &str, window: Window) -> ApiResult<(i64, i64)> {
    mfa::consecutive(iam, device, code1, code2, window)
        .ok_or_else(messages::mfa_code_invalid)
}

pub fn enable(iam: &Iam, account: &str, r: iam::EnableMFADeviceRequest) -> ApiResult<()> {
    let now = iam.now();
    iam.mutate(|st| {
        let user = st.user(account, &r.user_name).ok_or_else(|| no_such_user(&r.user_name))?;
        let device = device_of(st, account, &r.serial_number)?;
        if device.user_id.is_some() {
            return Err(messages::mfa_device_in_use());
        }
        if st.mfa_devices_of(account, &user.id).len() >= DEVICES_PER_USER {
            return Err(messages::mfa_devices_per_user_limit(DEVICES_PER_USER));
        }
        let (last_step, drift) = codes(iam, device, &r.authentication_code1, &r.authentication_code2, Window::Enable)?;
        let device = MfaDevice { user_id: Some(user.id.clone()), enable_date: Some(now), last_step, drift, ..device.clone() };
        Ok((vec![Change::Put(Record::MfaDevice(device))], ()))
    })
}

pub fn resync(iam: &Iam, account: &str, r: iam::ResyncMFADeviceRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let device = enabled_device(st, account, &r.user_name, &r.serial_number)?;
        let (last_step, drift) = codes(iam, device, &r.authentication_code1, &r.authentication_code2, Window::Resync)?;
        let device = MfaDevice { last_step: last_step.max(device.last_step), drift, ..device.clone() };
        Ok((vec![Change::Put(Record::MfaDevice(device))], ()))
    })
}

pub fn deactivate(iam: &Iam, caller: &Caller, r: iam::DeactivateMFADeviceRequest) -> ApiResult<()> {
    let account = caller.account.as_str();
    iam.mutate(|st| {
        let user = subject(st, caller, r.user_name.as_deref())?.ok_or_else(super::needs_user_name)?;
        let device = enabled_device(st, account, &user, &r.serial_number)?;
        // The device stays (unassigned) with its replay floor: a code seen once is never taken again.
        let device = MfaDevice { user_id: None, enable_date: None, drift: 0, ..device.clone() };
        Ok((vec![Change::Put(Record::MfaDevice(device))], ()))
    })
}

pub fn delete(iam: &Iam, account: &str, r: iam::DeleteVirtualMFADeviceRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let device = device_of(st, account, &r.serial_number)?;
        if device.user_id.is_some() {
            return Err(messages::mfa_device_still_in_use());
        }
        Ok((vec![Change::Delete(Record::MfaDevice(device.clone()))], ()))
    })
}

pub fn get(iam: &Iam, caller: &Caller, r: iam::GetMFADeviceRequest) -> ApiResult<iam::GetMFADeviceResponse> {
    let st = iam.read();
    let user = subject(&st, caller, r.user_name.as_deref())?.ok_or_else(super::needs_user_name)?;
    let device = enabled_device(&st, &caller.account, &user, &r.serial_number)?;
    let name = st.user(&caller.account, &user).map(|u| u.name.clone()).unwrap_or(user);
    Ok(iam::GetMFADeviceResponse {
        user_name: Some(name),
        serial_number: device.serial(st.partition),
        enable_date: device.enable_date.map(ts),
        certifications: None,
    })
}

pub fn list(iam: &Iam, caller: &Caller, r: &iam::ListMFADevicesRequest) -> ApiResult<iam::ListMFADevicesResponse> {
    let st = iam.read();
    // The root user's devices are managed in the console only; through the API it has none.
    let Some(name) = subject(&st, caller, r.user_name.as_deref())? else {
        return Ok(iam::ListMFADevicesResponse { mfa_devices: Vec::new(), is_truncated: Some(false), marker: None });
    };
    let user = st.user(&caller.account, &name).ok_or_else(|| no_such_user(&name))?;
    let all: Vec<iam::MFADevice> = st
        .mfa_devices_of(&caller.account, &user.id)
        .into_iter()
        .map(|d| iam::MFADevice { user_name: user.name.clone(), serial_number: d.serial(st.partition), enable_date: ts(d.enable_date.unwrap_or(d.created)) })
        .collect();
    let page = page_slice(&all, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListMFADevicesResponse { is_truncated: Some(page.next_marker.is_some()), mfa_devices: page.items, marker: page.next_marker })
}

pub fn list_virtual(iam: &Iam, account: &str, r: &iam::ListVirtualMFADevicesRequest) -> ApiResult<iam::ListVirtualMFADevicesResponse> {
    let st = iam.read();
    // "If you do not specify an AssignmentStatus, the operation defaults to Any" (API reference).
    let status = r.assignment_status.unwrap_or(iam::AssignmentStatusType::Any);
    let keep = |d: &MfaDevice| match status {
        iam::AssignmentStatusType::Assigned => d.user_id.is_some(),
        iam::AssignmentStatusType::Unassigned => d.user_id.is_none(),
        iam::AssignmentStatusType::Any => true,
    };
    let start = (account.to_owned(), String::new());
    let start = match r.marker.as_deref() {
        Some(m) => std::ops::Bound::Excluded((account.to_owned(), crate::paginate::decode_marker(m)?)),
        None => std::ops::Bound::Included(start),
    };
    let entries = st.mfa_devices.range((start, std::ops::Bound::Unbounded)).take_while(|((a, _), _)| a == account).map(|((_, k), d)| (k.as_str(), d));
    let page = page_of(entries, r.max_items, keep)?;
    let devices = page
        .items
        .iter()
        .map(|d| {
            let user = d.user_id.as_deref().and_then(|id| st.user_by_id(id));
            iam::VirtualMFADevice {
                serial_number: d.serial(st.partition),
                user: user.map(|u| iam::User { permissions_boundary: None, tags: None, ..super::users::shape(st.partition, u) }),
                enable_date: user.and(d.enable_date).map(ts),
                // "this operation does not return tags" (ListVirtualMFADevices, API reference).
                tags: None,
                ..Default::default()
            }
        })
        .collect();
    Ok(iam::ListVirtualMFADevicesResponse { is_truncated: Some(page.next_marker.is_some()), virtual_mfa_devices: devices, marker: page.next_marker })
}

pub fn tag(iam: &Iam, account: &str, r: iam::TagMFADeviceRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let mut d = device_of(st, account, &r.serial_number)?.clone();
        merge_tags(&mut d.tags, &tags_in(&r.tags), "MFADevice")?;
        Ok((vec![Change::Put(Record::MfaDevice(d))], ()))
    })
}

pub fn untag(iam: &Iam, account: &str, r: iam::UntagMFADeviceRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let mut d = device_of(st, account, &r.serial_number)?.clone();
        remove_tags(&mut d.tags, &r.tag_keys);
        Ok((vec![Change::Put(Record::MfaDevice(d))], ()))
    })
}

pub fn list_tags(iam: &Iam, account: &str, r: iam::ListMFADeviceTagsRequest) -> ApiResult<iam::ListMFADeviceTagsResponse> {
    let st = iam.read();
    let d = device_of(&st, account, &r.serial_number)?;
    let page = page_slice(&tags_out(&d.tags), r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListMFADeviceTagsResponse { tags: page.items, is_truncated: Some(page.next_marker.is_some()), marker: page.next_marker })
}
