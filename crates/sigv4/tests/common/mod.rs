//! Requests as boto3 sends them to IAM and STS, signed with `castellan_sigv4::sign`, for the
//! attack tests, the property tests and the benchmark.

#![allow(dead_code, reason = "each test file uses a different part")]

use castellan_sigv4::{
    parse, sign, verify, AuthError, Credential, Expected, SignedRequest, SigningKeyCache,
};

pub const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub const AMZ_DATE: &str = "20261123T190000Z";
/// `AMZ_DATE` in Unix seconds.
pub const SIGNED_AT: i64 = 1_795_460_400;

/// An owned request; `signed()` lends it as a [`SignedRequest`].
#[derive(Clone, Debug)]
pub struct Req {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Req {
    /// Calls `f` with this request as a `SignedRequest`.
    pub fn with<T>(&self, f: impl FnOnce(&SignedRequest<'_>) -> T) -> T {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        f(&SignedRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &headers,
            body: &self.body,
        })
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn without_header(mut self, name: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }

    pub fn set_header(self, name: &str, value: &str) -> Self {
        self.without_header(name).header(name, value)
    }

    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub fn credential(service: &str, region: &str, date: &str) -> Credential {
    Credential {
        access_key_id: AKID.to_owned(),
        date: date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
    }
}

pub fn iam_credential() -> Credential {
    credential("iam", "us-east-1", &AMZ_DATE[..8])
}

/// A boto3 `iam.list_users()` (botocore 1.35), not yet signed: form body, the headers botocore
/// sends (user-agent and the amz-sdk-* retry headers are sent unsigned by it).
pub fn boto3_iam_post(body: &str) -> Req {
    Req {
        method: "POST".to_owned(),
        path: "/".to_owned(),
        query: String::new(),
        headers: vec![
            ("Host".to_owned(), "iam.amazonaws.com".to_owned()),
            ("Accept-Encoding".to_owned(), "identity".to_owned()),
            (
                "Content-Type".to_owned(),
                "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
            ),
            (
                "User-Agent".to_owned(),
                "Boto3/1.35.0 md/Botocore#1.35.0 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.3 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.0".to_owned(),
            ),
            ("X-Amz-Date".to_owned(), AMZ_DATE.to_owned()),
            (
                "amz-sdk-invocation-id".to_owned(),
                "8c6b4f3e-6c4f-4d0e-9b1a-3f7f0a2d9e51".to_owned(),
            ),
            ("amz-sdk-request".to_owned(), "attempt=1".to_owned()),
            ("Content-Length".to_owned(), body.len().to_string()),
        ],
        body: body.as_bytes().to_vec(),
    }
}

pub const LIST_USERS: &str = "Action=ListUsers&Version=2010-05-08";

/// Signs `req` in the `Authorization` header over `signed_headers`, as botocore does.
pub fn sign_header(
    req: Req,
    credential: &Credential,
    amz_date: &str,
    signed_headers: &str,
    secret: &str,
) -> Req {
    let signature = req
        .with(|r| sign(r, credential, amz_date, signed_headers, secret))
        .unwrap();
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={}/{}/{}/{}/aws4_request, SignedHeaders={signed_headers}, Signature={signature}",
        credential.access_key_id, credential.date, credential.region, credential.service
    );
    req.header("Authorization", &authorization)
}

/// boto3's `iam.list_users()`, signed.
pub fn signed_list_users() -> Req {
    sign_header(
        boto3_iam_post(LIST_USERS),
        &iam_credential(),
        AMZ_DATE,
        "content-type;host;x-amz-date",
        SECRET,
    )
}

/// A presigned STS `GetCallerIdentity` URL (what `aws eks get-token` makes), signing only
/// `host`.
pub fn presigned_get_caller_identity(expires: Option<&str>, token: Option<&str>) -> Req {
    let credential = credential("sts", "us-east-1", &AMZ_DATE[..8]);
    let mut query = format!(
        "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={AKID}%2F{}%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date={AMZ_DATE}",
        &AMZ_DATE[..8]
    );
    if let Some(expires) = expires {
        query.push_str(&format!("&X-Amz-Expires={expires}"));
    }
    if let Some(token) = token {
        query.push_str(&format!("&X-Amz-Security-Token={token}"));
    }
    query.push_str("&X-Amz-SignedHeaders=host");
    let mut req = Req {
        method: "GET".to_owned(),
        path: "/".to_owned(),
        query,
        headers: vec![("Host".to_owned(), "sts.amazonaws.com".to_owned())],
        body: Vec::new(),
    };
    let signature = req
        .with(|r| sign(r, &credential, AMZ_DATE, "host", SECRET))
        .unwrap();
    req.query.push_str(&format!("&X-Amz-Signature={signature}"));
    req
}

pub const STS: Expected<'static> = Expected {
    service: "sts",
    regions: &["us-east-1", "eu-west-1"],
    max_skew_secs: 900,
};

/// `parse` then `verify` with `secret`, at `now`.
pub fn check_with(
    req: &Req,
    secret: &str,
    now: i64,
    cache: &SigningKeyCache,
    expected: &Expected<'_>,
) -> Result<(), AuthError> {
    req.with(|r| {
        let claim = parse(r)?;
        verify(r, &claim, secret, now, cache, expected)
    })
}

/// `parse` then `verify` against IAM with the right secret, a minute after signing.
pub fn check(req: &Req) -> Result<(), AuthError> {
    check_with(
        req,
        SECRET,
        SIGNED_AT + 60,
        &SigningKeyCache::new(16),
        &Expected::IAM,
    )
}

/// Same, against STS.
pub fn check_sts(req: &Req) -> Result<(), AuthError> {
    check_with(req, SECRET, SIGNED_AT + 60, &SigningKeyCache::new(16), &STS)
}

pub fn is_mismatch(result: &Result<(), AuthError>) -> bool {
    matches!(result, Err(AuthError::SignatureDoesNotMatch { .. }))
}
