//! SigV4 signing of the load generator's requests, cheap enough that the client stays out of
//! the way: the signing key is derived once per day (and its keyed HMAC state kept), and the
//! canonical request is written straight from the few headers the generator sends.
//!
//! Every request is `POST /` with a form body and exactly the headers of [`SignedHeaders`];
//! [`Signer::check_against_reference`] signs one request both ways — here and with
//! [`castellan_sigv4::sign`], the general signer — and refuses to run if they disagree.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The content type of every request (what botocore sends).
pub const CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

pub use castellan_sigv4::Credentials;

/// One signed request's headers.
#[derive(Debug, Clone)]
pub struct Signature {
    pub amz_date: String,
    pub authorization: String,
}

/// Signs requests for one credential, region, service and host. Not shared between tasks:
/// each worker has its own (it reuses buffers).
pub struct Signer {
    credentials: Credentials,
    region: String,
    service: &'static str,
    host: String,
    signed_headers: &'static str,
    /// The day (`YYYYMMDD`) `key` was derived for, and the HMAC keyed with that day's key.
    day: String,
    key: Option<HmacSha256>,
    canonical: String,
    string_to_sign: String,
    clock: AmzClock,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("credentials", &self.credentials)
            .field("region", &self.region)
            .field("service", &self.service)
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

impl Signer {
    pub fn new(credentials: Credentials, region: &str, service: &'static str, host: &str) -> Self {
        let signed_headers = if credentials.session_token.is_some() {
            "content-type;host;x-amz-date;x-amz-security-token"
        } else {
            "content-type;host;x-amz-date"
        };
        Self {
            credentials,
            region: region.to_owned(),
            service,
            host: host.to_owned(),
            signed_headers,
            day: String::new(),
            key: None,
            canonical: String::with_capacity(512),
            string_to_sign: String::with_capacity(256),
            clock: AmzClock::default(),
        }
    }

    pub fn session_token(&self) -> Option<&str> {
        self.credentials.session_token.as_deref()
    }

    /// Signs a `POST /` of `body` at the current time.
    pub fn sign_now(&mut self, body: &[u8]) -> Signature {
        let amz_date = self.clock.now().to_owned();
        self.sign_at(amz_date, body)
    }

    /// Signs a `POST /` of `body` dated `amz_date` (`YYYYMMDDTHHMMSSZ`).
    pub fn sign_at(&mut self, amz_date: String, body: &[u8]) -> Signature {
        let day = amz_date.get(..8).unwrap_or_default();
        let cached = match &self.key {
            Some(mac) if self.day == day => mac.clone(),
            _ => {
                let key = castellan_sigv4::derive_signing_key(
                    &self.credentials.secret_access_key,
                    day,
                    &self.region,
                    self.service,
                );
                let mac = keyed(&key);
                self.day = day.to_owned();
                self.key = Some(mac.clone());
                mac
            }
        };

        let canonical = &mut self.canonical;
        canonical.clear();
        canonical.push_str("POST\n/\n\ncontent-type:");
        canonical.push_str(CONTENT_TYPE);
        canonical.push_str("\nhost:");
        canonical.push_str(&self.host);
        canonical.push_str("\nx-amz-date:");
        canonical.push_str(&amz_date);
        canonical.push('\n');
        if let Some(token) = &self.credentials.session_token {
            canonical.push_str("x-amz-security-token:");
            canonical.push_str(token);
            canonical.push('\n');
        }
        canonical.push('\n');
        canonical.push_str(self.signed_headers);
        canonical.push('\n');
        push_hex(canonical, &Sha256::digest(body));

        let sts = &mut self.string_to_sign;
        sts.clear();
        sts.push_str(castellan_sigv4::ALGORITHM);
        sts.push('\n');
        sts.push_str(&amz_date);
        sts.push('\n');
        let scope_start = sts.len();
        let _ = write!(
            sts,
            "{}/{}/{}/{}",
            self.day,
            self.region,
            self.service,
            castellan_sigv4::TERMINATOR
        );
        let scope_end = sts.len();
        sts.push('\n');
        push_hex(sts, &Sha256::digest(canonical.as_bytes()));

        let mut mac = cached;
        mac.update(sts.as_bytes());
        let signature = mac.finalize().into_bytes();

        let scope = sts.get(scope_start..scope_end).unwrap_or_default();
        let mut authorization = String::with_capacity(200);
        authorization.push_str(castellan_sigv4::ALGORITHM);
        authorization.push_str(" Credential=");
        authorization.push_str(&self.credentials.access_key_id);
        authorization.push('/');
        authorization.push_str(scope);
        authorization.push_str(", SignedHeaders=");
        authorization.push_str(self.signed_headers);
        authorization.push_str(", Signature=");
        push_hex(&mut authorization, &signature);
        Signature {
            amz_date,
            authorization,
        }
    }

    /// Signs `body` at `amz_date` both here and with [`castellan_sigv4::sign`]; an error if the
    /// signatures differ.
    pub fn check_against_reference(&mut self, amz_date: &str, body: &[u8]) -> Result<(), String> {
        let fast = self.sign_at(amz_date.to_owned(), body);
        let reference = self.reference_signature(amz_date, body)?;
        if fast
            .authorization
            .ends_with(&format!("Signature={reference}"))
        {
            Ok(())
        } else {
            Err(format!(
                "the fast signer disagrees with castellan_sigv4::sign ({} vs Signature={reference})",
                fast.authorization
            ))
        }
    }

    /// The signature (hex) [`castellan_sigv4::sign`] computes for this request.
    pub fn reference_signature(&self, amz_date: &str, body: &[u8]) -> Result<String, String> {
        let mut headers = vec![
            ("content-type", CONTENT_TYPE),
            ("host", self.host.as_str()),
            ("x-amz-date", amz_date),
        ];
        if let Some(token) = &self.credentials.session_token {
            headers.push(("x-amz-security-token", token.as_str()));
        }
        let request = castellan_sigv4::SignedRequest {
            method: "POST",
            path: "/",
            query: "",
            headers: &headers,
            body,
        };
        let credential = castellan_sigv4::Credential {
            access_key_id: self.credentials.access_key_id.clone(),
            date: amz_date.get(..8).unwrap_or_default().to_owned(),
            region: self.region.clone(),
            service: self.service.to_owned(),
        };
        castellan_sigv4::sign(
            &request,
            &credential,
            amz_date,
            self.signed_headers,
            &self.credentials.secret_access_key,
        )
        .map_err(|e| format!("castellan_sigv4::sign: {}", e.message()))
    }

    /// Signs with [`castellan_sigv4::sign`] (derives the key every time): the slow path, for
    /// comparison.
    pub fn sign_reference_now(&mut self, body: &[u8]) -> Result<Signature, String> {
        let amz_date = self.clock.now().to_owned();
        let signature = self.reference_signature(&amz_date, body)?;
        let day = amz_date.get(..8).unwrap_or_default();
        let authorization = format!(
            "{} Credential={}/{day}/{}/{}/{}, SignedHeaders={}, Signature={signature}",
            castellan_sigv4::ALGORITHM,
            self.credentials.access_key_id,
            self.region,
            self.service,
            castellan_sigv4::TERMINATOR,
            self.signed_headers,
        );
        Ok(Signature {
            amz_date,
            authorization,
        })
    }
}

fn keyed(key: &[u8]) -> HmacSha256 {
    #[expect(
        clippy::expect_used,
        reason = "HMAC takes keys of any length (RFC 2104 hashes long ones); new_from_slice never fails for it"
    )]
    HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length")
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        out.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        out.push(char::from_digit(u32::from(b & 0x0f), 16).unwrap_or('0'));
    }
}

/// The current time as `YYYYMMDDTHHMMSSZ`, formatted at most once a second.
#[derive(Debug, Default)]
pub struct AmzClock {
    second: i64,
    text: String,
}

impl AmzClock {
    pub fn now(&mut self) -> &str {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        if secs != self.second || self.text.is_empty() {
            self.second = secs;
            self.text = amz_date(secs);
        }
        &self.text
    }
}

/// `YYYYMMDDTHHMMSSZ` of a Unix time (UTC).
pub fn amz_date(unix_secs: i64) -> String {
    let days = unix_secs.div_euclid(86_400);
    let rem = unix_secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]
mod tests {
    use super::*;

    fn creds(token: Option<&str>) -> Credentials {
        Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: token.map(str::to_owned),
        }
    }

    #[test]
    fn dates() {
        assert_eq!(amz_date(0), "19700101T000000Z");
        assert_eq!(amz_date(1_440_938_160), "20150830T123600Z");
        assert_eq!(amz_date(951_782_400), "20000229T000000Z");
        assert_eq!(amz_date(4_107_542_399), "21000228T235959Z");
        assert_eq!(amz_date(4_102_444_799), "20991231T235959Z");
    }

    #[test]
    fn matches_the_reference_signer() {
        for token in [None, Some("FQoGZXIvYXdzEXAMPLE+/=")] {
            for service in ["iam", "sts"] {
                let mut s = Signer::new(creds(token), "us-east-1", service, "127.0.0.1:4260");
                for (date, body) in [
                    (
                        "20150830T123600Z",
                        &b"Action=GetUser&Version=2010-05-08&UserName=bench-user"[..],
                    ),
                    (
                        "20150830T235959Z",
                        b"Action=GetCallerIdentity&Version=2011-06-15",
                    ),
                    ("20150831T000000Z", b""),
                ] {
                    s.check_against_reference(date, body).unwrap();
                }
            }
        }
    }

    #[test]
    fn verifies() {
        let mut s = Signer::new(creds(Some("tok")), "us-east-1", "iam", "localhost:1");
        let body = b"Action=ListUsers&Version=2010-05-08";
        let sig = s.sign_at("20150830T123600Z".into(), body);
        let headers = [
            ("Content-Type", CONTENT_TYPE),
            ("Host", "localhost:1"),
            ("X-Amz-Date", sig.amz_date.as_str()),
            ("X-Amz-Security-Token", "tok"),
            ("Authorization", sig.authorization.as_str()),
        ];
        let req = castellan_sigv4::SignedRequest {
            method: "POST",
            path: "/",
            query: "",
            headers: &headers,
            body,
        };
        let claim = castellan_sigv4::parse(&req).unwrap();
        let cache = castellan_sigv4::SigningKeyCache::new(4);
        castellan_sigv4::verify(
            &req,
            &claim,
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            1_440_938_160,
            &cache,
            &castellan_sigv4::Expected::IAM,
        )
        .unwrap();
    }
}
