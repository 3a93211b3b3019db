//! The credential report (GenerateCredentialReport, GetCredentialReport): one CSV row per user
//! and one for the account's root user, with the columns and values of the IAM User Guide,
//! "Generate credential reports for your AWS account" (the format section), built from
//! Castellan's own records at generation time.
//!
//! States, as AWS answers them: the first GenerateCredentialReport answers `STARTED`; the
//! report is being generated for [`IN_PROGRESS_SECS`] (GenerateCredentialReport answers
//! `INPROGRESS`, GetCredentialReport `ReportInProgress`), then `COMPLETE`; a report older than
//! four hours is expired (GetCredentialReport `ReportExpired`) and the next
//! GenerateCredentialReport starts a new one ("If the existing report is more than four hours
//! old, a new report is generated", User Guide).

use castellan_api::iam;
use castellan_api::types::{Blob, Timestamp};

use super::user_arn;
use crate::error::ApiResult;
use crate::messages;
use crate::model::{CredentialReport, KeyStatus, Record, User};
use crate::state::State;
use crate::Iam;

/// How long a report is "being generated" after it was started.
pub const IN_PROGRESS_SECS: i64 = 2;
/// A report is reused for four hours, then expires.
pub const MAX_AGE_SECS: i64 = 4 * 3600;

/// The columns, in AWS's order.
pub const COLUMNS: [&str; 22] = [
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
];

const NA: &str = "N/A";

/// `2014-08-13T23:19:07+00:00`, the report's date form.
fn date(secs: i64) -> String {
    let s = Timestamp::from_unix_seconds(secs).to_aws_string();
    format!("{}+00:00", s.trim_end_matches('Z'))
}

fn flag(b: bool) -> String {
    if b { "true" } else { "false" }.to_owned()
}

/// The access key and signing certificate columns of one principal (`user` `None`: root).
fn key_and_cert_columns(iam: &Iam, st: &State, account: &str, user: Option<&User>, row: &mut Vec<String>) {
    let mut keys = st.keys_of(account, user.map(|u| u.name.as_str()));
    keys.sort_by_key(|k| (k.created, k.id.clone()));
    for i in 0..2 {
        match keys.get(i) {
            Some(k) => {
                let used = iam.key_last_used(k);
                row.push(flag(k.status == KeyStatus::Active));
                row.push(date(k.created));
                row.push(used.as_ref().map_or_else(|| NA.to_owned(), |u| date(u.date)));
                row.push(used.as_ref().map_or_else(|| NA.to_owned(), |u| u.region.clone()));
                row.push(used.as_ref().map_or_else(|| NA.to_owned(), |u| u.service.clone()));
            }
            None => row.extend([flag(false), NA.into(), NA.into(), NA.into(), NA.into()]),
        }
    }
    let owner_id = user.map_or(account, |u| u.id.as_str());
    let mut certs: Vec<_> = st.credentials_of(account, owner_id).map(|c| c.signing_certificates.iter().collect()).unwrap_or_default();
    certs.sort_by_key(|c| (c.uploaded, c.id.clone()));
    for i in 0..2 {
        match certs.get(i) {
            Some(c) => row.extend([flag(c.status == KeyStatus::Active), date(c.uploaded)]),
            None => row.extend([flag(false), NA.into()]),
        }
    }
}

/// A CSV field: quoted when it holds a comma, quote or line break (RFC 4180).
fn field(v: &str) -> String {
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_owned()
    }
}

/// The report of `account` as its records stand.
pub fn build(iam: &Iam, st: &State, account: &str) -> String {
    let mut rows = vec![COLUMNS.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>()];
    // The root user: its password columns are not_supported.
    let created = st.accounts.get(account).map_or(0, |a| a.created);
    let mut root = vec![
        "<root_account>".to_owned(),
        crate::arn::root_arn(st.partition, account),
        date(created),
        "not_supported".into(),
        "no_information".into(),
        "not_supported".into(),
        "not_supported".into(),
        flag(false),
    ];
    key_and_cert_columns(iam, st, account, None, &mut root);
    rows.push(root);
    let max_age = st.accounts.get(account).and_then(|a| a.password_policy.as_ref()).and_then(|p| p.max_password_age);
    let start = (account.to_owned(), String::new());
    for (_, u) in st.users.range(start..).take_while(|((a, _), _)| a == account) {
        let profile = u.login_profile.as_ref();
        let changed = profile.map(|p| p.changed.unwrap_or(p.created));
        let mut row = vec![
            u.name.clone(),
            user_arn(st.partition, account, &u.path, &u.name),
            date(u.created),
            flag(profile.is_some()),
            match (u.password_last_used, profile) {
                (Some(t), _) => date(t),
                (None, Some(_)) => "no_information".into(),
                (None, None) => NA.into(),
            },
            changed.map_or_else(|| NA.to_owned(), date),
            match (changed, max_age) {
                (Some(c), Some(days)) => date(c + i64::from(days) * 86_400),
                _ => NA.into(),
            },
            flag(!st.mfa_devices_of(account, &u.id).is_empty()),
        ];
        key_and_cert_columns(iam, st, account, Some(u), &mut row);
        rows.push(row);
    }
    let mut out = String::new();
    for row in rows {
        out.push_str(&row.iter().map(|v| field(v)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    // No line break after the last row, as AWS's report ends.
    out.pop();
    out
}

pub fn generate(iam: &Iam, account: &str) -> ApiResult<iam::GenerateCredentialReportResponse> {
    let now = iam.now();
    iam.mutate(|st| {
        if let Some(r) = st.credential_reports.get(account).filter(|r| now - r.generated < MAX_AGE_SECS) {
            let state = if now - r.generated < IN_PROGRESS_SECS { iam::ReportStateType::Inprogress } else { iam::ReportStateType::Complete };
            return Ok((Vec::new(), iam::GenerateCredentialReportResponse { state: Some(state), description: None }));
        }
        let report = CredentialReport { account: account.to_owned(), generated: now, content: build(iam, st, account) };
        Ok((
            vec![crate::model::Change::Put(Record::CredentialReport(report))],
            iam::GenerateCredentialReportResponse {
                state: Some(iam::ReportStateType::Started),
                // The description AWS gives (AWS Tools for PowerShell, Request-IAMCredentialReport example).
                description: Some("No report exists. Starting a new report generation task".into()),
            },
        ))
    })
}

pub fn get(iam: &Iam, account: &str) -> ApiResult<iam::GetCredentialReportResponse> {
    let now = iam.now();
    let st = iam.read();
    let r = st.credential_reports.get(account).ok_or_else(|| {
        messages::report_not_present()
    })?;
    if now - r.generated < IN_PROGRESS_SECS {
        return Err(messages::report_in_progress());
    }
    if now - r.generated >= MAX_AGE_SECS {
        return Err(messages::report_expired());
    }
    Ok(iam::GetCredentialReportResponse {
        content: Some(Blob(r.content.clone().into_bytes())),
        report_format: Some(iam::ReportFormatType::TextCsv),
        generated_time: Some(Timestamp::from_unix_seconds(r.generated)),
    })
}
