//! AWS Signature Version 4 verification for the IAM and STS query API.
//!
//! Pure: no I/O and no clock. The server hands in the request as received, the secret of the
//! access key the request names and the current time; this crate says yes or which
//! [`AuthError`].
//!
//! ```text
//! let claim = castellan_sigv4::parse(&req)?;                      // no secret needed
//! let secret = store.secret_of(&claim.credential().access_key_id)?; // the server's business
//! castellan_sigv4::verify(&req, &claim, &secret, now, &cache, &Expected::IAM)?;
//! ```
//!
//! # Order of checks
//!
//! Each check has its own [`AuthError`] variant; the first that fails is returned.
//!
//! [`parse`] (what the request claims; no secret):
//! 1. Every `%` escape of the query string is `%` and two hex digits — [`AuthError::MalformedQueryString`].
//! 2. There is an `Authorization` header or an `X-Amz-Algorithm` query parameter —
//!    [`AuthError::Missing`]; not both, and not two `Authorization` headers —
//!    [`AuthError::Incomplete`].
//! 3. Header form: the algorithm is `AWS4-HMAC-SHA256` — [`AuthError::InvalidAlgorithm`]; the
//!    parameters (split at commas and whitespace) are `key=value` with no key twice; `Credential`,
//!    `SignedHeaders`, `Signature` and a time (`X-Amz-Date`, else `Date`, neither repeated) are
//!    all there; `X-Amz-Security-Token` is not repeated nor also in the query —
//!    [`AuthError::Incomplete`].
//!
//!    Query form: no `X-Amz-*` authentication parameter is repeated — [`AuthError::Incomplete`];
//!    `X-Amz-Algorithm` is `AWS4-HMAC-SHA256` — [`AuthError::InvalidAlgorithm`];
//!    `X-Amz-Credential`, `X-Amz-Signature`, `X-Amz-SignedHeaders` and `X-Amz-Date` are there —
//!    [`AuthError::Incomplete`]; `X-Amz-Expires`, if there, is 1..=604800 —
//!    [`AuthError::InvalidExpires`]; the security token is not also a header —
//!    [`AuthError::Incomplete`].
//! 4. The credential is `KEYID/YYYYMMDD/REGION/SERVICE/aws4_request` —
//!    [`AuthError::MalformedCredential`], or [`AuthError::WrongScope`] for another terminator.
//! 5. The time is `YYYYMMDDTHHMMSSZ`, a real UTC instant — [`AuthError::MalformedDate`].
//! 6. `SignedHeaders` is lowercase names, strictly ascending — [`AuthError::MalformedSignedHeaders`].
//! 7. `host` is signed — [`AuthError::UnsignedHeader`].
//! 8. The signature is 64 lowercase hex digits — [`AuthError::MalformedSignature`].
//! 9. `Date`, when it gave the time, is signed; so is every `x-amz-*` header present
//!    (`x-amz-date`, `x-amz-security-token`, `x-amz-content-sha256` and any other) —
//!    [`AuthError::UnsignedHeader`].
//!
//! [`verify`] (given the secret and the time):
//! 10. Time: header-signed (and query-signed without `X-Amz-Expires`) requests must be within
//!     `max_skew_secs` of now either way — [`AuthError::RequestExpired`],
//!     [`AuthError::RequestNotYetValid`]; presigned ones must not be dated more than the skew
//!     ahead — [`AuthError::RequestNotYetValid`] — nor used after `X-Amz-Date + X-Amz-Expires` —
//!     [`AuthError::PresignedExpired`].
//! 11. Scope: the region is one of [`Expected::regions`], the service is
//!     [`Expected::service`], the date is the request's date — [`AuthError::WrongScope`],
//!     listing every problem. (Otherwise a request signed for S3, or for another region, would
//!     be accepted here: the secret is the same.)
//! 12. `x-amz-content-sha256`, if present, is the SHA-256 of the body received —
//!     [`AuthError::PayloadHashMismatch`]. The canonical request always carries the hash of the
//!     body received, never a claimed one.
//! 13. The signature equals HMAC-SHA256(signing key, string to sign), compared in constant time
//!     — [`AuthError::SignatureDoesNotMatch`], which carries the canonical request and string to
//!     sign (STS sends them back in its message; no secret is in them).
//!
//! # Decisions
//!
//! - **Which headers must be signed.** `host`, and every `x-amz-*` header present — including
//!   `x-amz-content-sha256` and `x-amz-security-token`. AWS's guidance is that `x-amz-*`
//!   headers must be signed; botocore and the Go, Java and JS SDKs sign every header they
//!   send but the few on their signers' ignore lists (`user-agent`, `expect`,
//!   `transfer-encoding`, `x-amzn-trace-id` — not `x-amz-` — and `authorization`), so their
//!   requests are not refused by this. The one case AWS's suite has of an unsigned
//!   `x-amz-*` header (`post-sts-header-after`: a session token added after signing) is refused
//!   here on purpose: a header nobody signed must not choose the session.
//! - **The path** is normalized (dot segments and empty segments removed) then percent-encoded
//!   again, as every SDK does for non-S3 services; IAM and STS do not route on it.
//! - **The query string**: each key and value is decoded (`%XX`, and `+` as a space — as the
//!   form decoder that reads the parameters does) and re-encoded, so two spellings sign alike
//!   only if they mean alike. Every parameter, repeated or case-variant, is signed (the decoder
//!   elsewhere refuses duplicates); only `X-Amz-Signature` of a presigned request is left out.
//! - **Header values** are trimmed and runs of whitespace collapsed (botocore's
//!   `' '.join(value.split())` for ASCII whitespace); repeated headers are joined with `,` in
//!   the order received. The server must pass `host` (synthesized from `:authority` for
//!   HTTP/2).
//! - **Error codes**: see [`AuthError`] for the sources. IAM and STS answer an old or
//!   future signature with `SignatureDoesNotMatch` 403 ("Signature expired: …"), not
//!   `RequestExpired`.
//!
//! # Invariants
//!
//! - No I/O, no clock, no store: the secret and the time are arguments.
//! - Nothing here prints a secret or a derived key: [`SigningKeyCache`]'s `Debug` shows sizes,
//!   [`Claim`]'s hides the session token, errors hold only what the client sent.
//! - A [`Claim`] comes only from [`parse`]; [`verify`] must be given the same request.

#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        reason = "tests"
    )
)]

mod canonical;
mod encoding;
mod error;
mod key;
mod parse;
mod time;

use hmac::Mac;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub use error::{AuthError, SIGNATURE_MISMATCH_MESSAGE};

/// A signer's credentials: an access key, or temporary ones with their session token. `Debug`
/// shows the key id only.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("session_token", &self.session_token.as_ref().map(|_| "…"))
            .finish_non_exhaustive()
    }
}
pub use key::{derive_signing_key, SigningKeyCache};
pub use parse::{parse, Claim, Mode, MAX_EXPIRES_SECS};

use canonical::{canonical_request, string_to_sign};
use encoding::hex_lower;
use key::{hmac, CacheId};

/// The only algorithm: `AWS4-HMAC-SHA256`.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The last element of every credential scope.
pub const TERMINATOR: &str = "aws4_request";
/// The query parameter that carries a presigned request's signature (left out of what is
/// signed).
pub const SIGNATURE_PARAM: &str = "X-Amz-Signature";
/// The clock skew AWS IAM and STS allow: 15 minutes either way (their messages say
/// `- 15 min.`).
pub const DEFAULT_MAX_SKEW_SECS: i64 = 900;

/// A request as the server received it. Nothing is decoded or normalized beforehand: this
/// crate canonicalizes what the client signed from exactly these bytes.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// The HTTP method, as received (`GET`, `POST`).
    pub method: &'a str,
    /// The path of the request target, still percent-encoded (`/`).
    pub path: &'a str,
    /// The raw query string after `?`, still percent-encoded; empty if none.
    pub query: &'a str,
    /// Every header as received: names in any case, repeated names allowed. Must include
    /// `host` (from `:authority` under HTTP/2).
    pub headers: &'a [(&'a str, &'a str)],
    /// The body, exactly as received.
    pub body: &'a [u8],
}

/// The credential a request names: `KEYID/DATE/REGION/SERVICE/aws4_request`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Credential {
    /// The access key id (`AKIA…`, `ASIA…`).
    pub access_key_id: String,
    /// The scope date, `YYYYMMDD`.
    pub date: String,
    /// The scope region (`us-east-1`).
    pub region: String,
    /// The scope service (`iam`, `sts`).
    pub service: String,
}

/// What the server accepts in a credential scope, and how far clocks may disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expected<'a> {
    /// The signing name the scope must carry: `iam` or `sts`.
    pub service: &'a str,
    /// The regions the scope may name. IAM signs only in `us-east-1` ("Credential should be
    /// scoped to a valid region, not 'us-west-2'."); STS takes `us-east-1` for its global
    /// endpoint and each region it serves.
    pub regions: &'a [&'a str],
    /// How far the request time may be from now, either way, in seconds
    /// ([`DEFAULT_MAX_SKEW_SECS`] for AWS's 15 minutes).
    pub max_skew_secs: i64,
}

impl Expected<'static> {
    /// IAM: service `iam`, region `us-east-1`, 15 minutes of skew.
    pub const IAM: Self = Self {
        service: "iam",
        regions: &["us-east-1"],
        max_skew_secs: DEFAULT_MAX_SKEW_SECS,
    };
}

/// Step 2: verifies `claim` (from [`parse`] of this same `req`) given the secret of
/// `claim.credential().access_key_id` and the current time in Unix seconds. See the crate
/// documentation for the checks, in order.
pub fn verify(
    req: &SignedRequest<'_>,
    claim: &Claim,
    secret: &str,
    now_unix: i64,
    cache: &SigningKeyCache,
    expected: &Expected<'_>,
) -> Result<(), AuthError> {
    check_time(claim, now_unix, expected.max_skew_secs)?;
    check_scope(claim, expected)?;

    let payload_hash = hex_lower(&Sha256::digest(req.body));
    check_payload_hash_header(req, &payload_hash)?;

    let presigned = matches!(claim.mode, Mode::Query { .. });
    let canonical_request = canonical_request(req, &claim.signed_headers, presigned, &payload_hash)
        .map_err(|problem| AuthError::MalformedQueryString(problem.message().to_owned()))?;
    let string_to_sign = string_to_sign(&claim.amz_date, &claim.credential, &canonical_request);

    let id = CacheId::new(&claim.credential, secret);
    let (mut mac, derived) = match cache.get(&id) {
        Some(mac) => (mac, None),
        None => {
            let credential = &claim.credential;
            let key = derive_signing_key(
                secret,
                &credential.date,
                &credential.region,
                &credential.service,
            );
            let mac = hmac(&key);
            (mac.clone(), Some(mac))
        }
    };
    mac.update(string_to_sign.as_bytes());
    let computed: [u8; 32] = mac.finalize().into_bytes().into();

    if bool::from(computed.ct_eq(&claim.signature)) {
        if let Some(derived) = derived {
            cache.insert(&id, derived);
        }
        Ok(())
    } else {
        Err(AuthError::SignatureDoesNotMatch {
            canonical_request,
            string_to_sign,
        })
    }
}

fn check_time(claim: &Claim, now: i64, max_skew_secs: i64) -> Result<(), AuthError> {
    let signed_at = claim.signed_at;
    if signed_at > now.saturating_add(max_skew_secs) {
        return Err(AuthError::RequestNotYetValid {
            signed_at,
            now,
            max_skew_secs,
        });
    }
    match claim.mode {
        Mode::Query {
            expires_secs: Some(expires_secs),
        } => {
            if now > signed_at.saturating_add(i64::from(expires_secs)) {
                return Err(AuthError::PresignedExpired {
                    signed_at,
                    expires_secs,
                    now,
                });
            }
        }
        Mode::Header | Mode::Query { expires_secs: None } => {
            if signed_at < now.saturating_sub(max_skew_secs) {
                return Err(AuthError::RequestExpired {
                    signed_at,
                    now,
                    max_skew_secs,
                });
            }
        }
    }
    Ok(())
}

/// The scope problems, each in AWS's words and each ending `". "` as AWS concatenates them.
fn check_scope(claim: &Claim, expected: &Expected<'_>) -> Result<(), AuthError> {
    let credential = &claim.credential;
    let mut problems = String::new();
    if !expected.regions.contains(&credential.region.as_str()) {
        problems.push_str(&format!(
            "Credential should be scoped to a valid region, not '{}'. ",
            credential.region
        ));
    }
    if credential.service != expected.service {
        problems.push_str(&format!(
            "Credential should be scoped to correct service: '{}'. ",
            expected.service
        ));
    }
    let request_date = claim.amz_date.get(..8).unwrap_or_default();
    if credential.date != request_date {
        problems.push_str(&format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{}'. ",
            credential.date, request_date, claim.amz_date
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AuthError::WrongScope(problems))
    }
}

/// A client may state the body's hash in `x-amz-content-sha256`; if it does, it must be the
/// hash of the body received. (The canonical request uses the real hash either way.)
fn check_payload_hash_header(req: &SignedRequest<'_>, payload_hash: &str) -> Result<(), AuthError> {
    for (name, value) in req.headers {
        if name.eq_ignore_ascii_case("x-amz-content-sha256")
            && !value.trim().eq_ignore_ascii_case(payload_hash)
        {
            return Err(AuthError::PayloadHashMismatch);
        }
    }
    Ok(())
}

/// The signature (64 lowercase hex digits) a client holding `secret` computes for `req`, for
/// tests, benchmarks and tools — the server never signs. `signed_headers` is the
/// `SignedHeaders` list exactly as it will be sent; `amz_date` the `X-Amz-Date`. A request
/// whose query has `X-Amz-Algorithm` is signed as a presigned one (its query should already
/// hold every `X-Amz-*` parameter but `X-Amz-Signature`).
pub fn sign(
    req: &SignedRequest<'_>,
    credential: &Credential,
    amz_date: &str,
    signed_headers: &str,
    secret: &str,
) -> Result<String, AuthError> {
    // Decided exactly as `parse` decides it.
    let presigned = parse::scan_query(req.query)?.algorithm.count > 0;
    let payload_hash = hex_lower(&Sha256::digest(req.body));
    let canonical_request = canonical_request(req, signed_headers, presigned, &payload_hash)
        .map_err(|problem| AuthError::MalformedQueryString(problem.message().to_owned()))?;
    let string_to_sign = string_to_sign(amz_date, credential, &canonical_request);
    let key = derive_signing_key(
        secret,
        &credential.date,
        &credential.region,
        &credential.service,
    );
    let mut mac = hmac(&key);
    mac.update(string_to_sign.as_bytes());
    Ok(hex_lower(&mac.finalize().into_bytes()))
}
