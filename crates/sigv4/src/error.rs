//! Every way authentication fails, with the code, HTTP status and message AWS sends for it.

use std::fmt;

use crate::time::format_amz_date;

/// The message AWS sends with `SignatureDoesNotMatch` when the signature itself is wrong.
pub const SIGNATURE_MISMATCH_MESSAGE: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// Why a request failed authentication. One variant per check; see the crate documentation
/// for the order in which the checks run.
///
/// Sources for the wire text (all public):
/// - IAM API Reference, "Common Error Types": `IncompleteSignature` 400,
///   `MissingAuthenticationToken` 403, `MalformedQueryString` 404, `RequestExpired` 400.
/// - Responses quoted in public bug reports against AWS SDKs and tools:
///   - aws/aws-cli#6676, devsecops/bootcamp#101 (STS `GetCallerIdentity`, `AssumeRole`):
///     `SignatureDoesNotMatch`: `Signature expired: 20160609T184512Z is now earlier than
///     20160610T013008Z (20160610T014508Z - 15 min.)` — IAM and STS answer an old signature with
///     `SignatureDoesNotMatch`, not `RequestExpired`.
///   - cognitect-labs/aws-api#27, aws/aws-sdk-go#156 (STS, IAM): `SignatureDoesNotMatch`,
///     `Credential should be scoped to a valid region, not 'ap-southeast-2'. ` (trailing space
///     included: AWS concatenates `"…. "` pieces).
///   - disneystreaming/smithy4s#1568, cllunsford/aws-signing-proxy#25:
///     `Credential should be scoped to correct service: 'sagemaker'. `
///   - brendanhay/amazonka#316, aws/chalice#828: `IncompleteSignature`, `Authorization header
///     requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter.
///     Authorization=AWS4-HMAC-SHA256 Credential=ABCDEF` (status 400).
///   - aws/aws-sdk-go#289: `'…' not a valid key=value pair (missing equal-sign) in Authorization
///     header: '…'`.
///   - boto/boto3#756 (STS): the `SignatureDoesNotMatch` text, which STS follows with the
///     canonical request and string to sign it computed (kept here in the error's fields; the
///     server decides whether to send them).
///   - The "Signature not yet current", "Credential must have exactly 5 slash-delimited
///     elements", "'Host' or ':authority' must be a 'SignedHeader'", "Date must be in ISO-8601
///     'basic format'" and "AWS query-string parameters must include …" texts as collected by
///     the scratchstack-aws-signature project (a server-side SigV4 verifier).
///   - S3's presigned-URL texts (`X-Amz-Expires must be less than a week (in seconds); …`,
///     `X-Amz-Expires must be non-negative`, `Request has expired`): minio/minio#5162,
///     fog/fog#3528, lukejacksonn/react-slack-clone#27. IAM/STS have no published text for
///     these; the S3 wording is reused.
///
/// Where no IAM/STS response could be found, these are choices, not observations:
/// `PresignedExpired` answers `RequestExpired` 400 (IAM's "Common Error Types" describe that code
/// as covering "the request expiration date (such as for pre-signed URLs)") with S3's
/// `Request has expired`; `InvalidExpires` and two authentication mechanisms at once answer
/// `IncompleteSignature` 400 (S3 says `AuthorizationQueryParametersError` / `InvalidArgument`);
/// `PayloadHashMismatch` answers S3's `XAmzContentSHA256Mismatch` 400; `MalformedSignature`
/// (wrong case, wrong length) answers like any other wrong signature.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// Neither an `Authorization` header nor an `X-Amz-Algorithm` query parameter.
    Missing,
    /// The signature is not well formed: a required part is missing or duplicated, or the
    /// request carries two ways of authenticating. The message says which.
    Incomplete(String),
    /// An algorithm other than `AWS4-HMAC-SHA256` (the value, as sent).
    InvalidAlgorithm(String),
    /// The `Credential` is not `KEYID/YYYYMMDD/REGION/SERVICE/aws4_request` (the value, as sent).
    MalformedCredential(String),
    /// `X-Amz-Date` (or `Date`) is not `YYYYMMDDTHHMMSSZ` (the value, as sent).
    MalformedDate(String),
    /// `SignedHeaders` is not a `;`-separated, sorted list of distinct lowercase header names.
    MalformedSignedHeaders(String),
    /// `X-Amz-Expires` is not a whole number of seconds in 1..=604800. The message says why.
    InvalidExpires(String),
    /// The query string has a `%` escape that is not `%` and two hex digits. The message says
    /// which.
    MalformedQueryString(String),
    /// A header that must be signed is not in `SignedHeaders`: `host`, every `x-amz-*` header
    /// present, and `date` when it supplies the time (the lowercase name).
    UnsignedHeader(String),
    /// The credential scope names the wrong region or service, or a date other than the
    /// request's, or a terminator other than `aws4_request`. The message lists each problem, in
    /// AWS's words.
    WrongScope(String),
    /// The request was signed more than the allowed skew before `now` (a replay, or a slow
    /// clock).
    RequestExpired {
        /// When the request says it was signed (Unix seconds).
        signed_at: i64,
        /// The verifier's time (Unix seconds).
        now: i64,
        /// The allowed skew (seconds).
        max_skew_secs: i64,
    },
    /// The request says it was signed more than the allowed skew after `now` (a fast clock).
    RequestNotYetValid {
        /// When the request says it was signed (Unix seconds).
        signed_at: i64,
        /// The verifier's time (Unix seconds).
        now: i64,
        /// The allowed skew (seconds).
        max_skew_secs: i64,
    },
    /// A presigned request used after `X-Amz-Date` + `X-Amz-Expires`.
    PresignedExpired {
        /// When the request says it was signed (Unix seconds).
        signed_at: i64,
        /// `X-Amz-Expires` (seconds).
        expires_secs: u32,
        /// The verifier's time (Unix seconds).
        now: i64,
    },
    /// `x-amz-content-sha256` is present and is not the SHA-256 of the body received (IAM and
    /// STS accept no `UNSIGNED-PAYLOAD` or streaming forms).
    PayloadHashMismatch,
    /// The signature is not 64 lowercase hex digits, so it cannot match.
    MalformedSignature,
    /// The signature is well formed but is not the one the secret gives for this request.
    SignatureDoesNotMatch {
        /// The canonical request the verifier computed (no secret in it).
        canonical_request: String,
        /// The string to sign the verifier computed (no secret in it).
        string_to_sign: String,
    },
}

impl AuthError {
    /// The `Code` of AWS's `ErrorResponse`.
    pub fn aws_code(&self) -> &'static str {
        match self {
            Self::Missing => "MissingAuthenticationToken",
            Self::Incomplete(_)
            | Self::InvalidAlgorithm(_)
            | Self::MalformedCredential(_)
            | Self::MalformedDate(_)
            | Self::MalformedSignedHeaders(_)
            | Self::InvalidExpires(_) => "IncompleteSignature",
            Self::MalformedQueryString(_) => "MalformedQueryString",
            Self::PresignedExpired { .. } => "RequestExpired",
            Self::PayloadHashMismatch => "XAmzContentSHA256Mismatch",
            Self::UnsignedHeader(_)
            | Self::WrongScope(_)
            | Self::RequestExpired { .. }
            | Self::RequestNotYetValid { .. }
            | Self::MalformedSignature
            | Self::SignatureDoesNotMatch { .. } => "SignatureDoesNotMatch",
        }
    }

    /// The HTTP status AWS answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Incomplete(_)
            | Self::InvalidAlgorithm(_)
            | Self::MalformedCredential(_)
            | Self::MalformedDate(_)
            | Self::MalformedSignedHeaders(_)
            | Self::InvalidExpires(_)
            | Self::PresignedExpired { .. }
            | Self::PayloadHashMismatch => 400,
            // IAM documents MalformedQueryString as 404 ("Common Error Types").
            Self::MalformedQueryString(_) => 404,
            Self::Missing
            | Self::UnsignedHeader(_)
            | Self::WrongScope(_)
            | Self::RequestExpired { .. }
            | Self::RequestNotYetValid { .. }
            | Self::MalformedSignature
            | Self::SignatureDoesNotMatch { .. } => 403,
        }
    }

    /// The `Message` of AWS's `ErrorResponse`.
    pub fn message(&self) -> String {
        match self {
            Self::Missing => "Request is missing Authentication Token".to_owned(),
            Self::Incomplete(message)
            | Self::InvalidExpires(message)
            | Self::MalformedQueryString(message)
            | Self::WrongScope(message) => message.clone(),
            Self::InvalidAlgorithm(algorithm) => {
                format!("Unsupported AWS 'algorithm': '{algorithm}'.")
            }
            Self::MalformedCredential(credential) => format!(
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
            ),
            Self::MalformedDate(date) => format!(
                "Date must be in ISO-8601 'basic format'. Got '{date}'. See http://en.wikipedia.org/wiki/ISO_8601"
            ),
            Self::MalformedSignedHeaders(list) => format!(
                "SignedHeaders must be a ';'-separated list of distinct lowercase header names in ascending order, got '{list}'."
            ),
            Self::UnsignedHeader(name) if name == "host" => {
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
                    .to_owned()
            }
            Self::UnsignedHeader(name) => {
                format!("'{name}' must be a 'SignedHeader' in the AWS Authorization.")
            }
            Self::RequestExpired {
                signed_at,
                now,
                max_skew_secs,
            } => format!(
                "Signature expired: {} is now earlier than {} ({} - {}.)",
                format_amz_date(*signed_at),
                format_amz_date(now.saturating_sub(*max_skew_secs)),
                format_amz_date(*now),
                skew_text(*max_skew_secs)
            ),
            Self::RequestNotYetValid {
                signed_at,
                now,
                max_skew_secs,
            } => format!(
                "Signature not yet current: {} is still later than {} ({} + {}.)",
                format_amz_date(*signed_at),
                format_amz_date(now.saturating_add(*max_skew_secs)),
                format_amz_date(*now),
                skew_text(*max_skew_secs)
            ),
            Self::PresignedExpired { .. } => "Request has expired".to_owned(),
            Self::PayloadHashMismatch => {
                "The provided 'x-amz-content-sha256' header does not match what was computed."
                    .to_owned()
            }
            Self::MalformedSignature | Self::SignatureDoesNotMatch { .. } => {
                SIGNATURE_MISMATCH_MESSAGE.to_owned()
            }
        }
    }
}

/// `15 min` as AWS writes the allowed skew; a skew that is not whole minutes is written in
/// seconds.
fn skew_text(secs: i64) -> String {
    if secs % 60 == 0 {
        format!("{} min", secs / 60)
    } else {
        format!("{secs} sec")
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for AuthError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_message_matches_aws() {
        // 20160610T014508Z - 15 min = 20160610T013008Z
        let now = crate::time::parse_amz_date("20160610T014508Z").unwrap_or_default();
        let signed_at = crate::time::parse_amz_date("20160609T184512Z").unwrap_or_default();
        let error = AuthError::RequestExpired {
            signed_at,
            now,
            max_skew_secs: 900,
        };
        assert_eq!(
            error.message(),
            "Signature expired: 20160609T184512Z is now earlier than 20160610T013008Z (20160610T014508Z - 15 min.)"
        );
        assert_eq!(error.aws_code(), "SignatureDoesNotMatch");
        assert_eq!(error.http_status(), 403);
    }

    #[test]
    fn not_yet_current_message() {
        let now = crate::time::parse_amz_date("20210502T173640Z").unwrap_or_default();
        let signed_at = crate::time::parse_amz_date("20210502T183640Z").unwrap_or_default();
        let error = AuthError::RequestNotYetValid {
            signed_at,
            now,
            max_skew_secs: 900,
        };
        assert_eq!(
            error.message(),
            "Signature not yet current: 20210502T183640Z is still later than 20210502T175140Z (20210502T173640Z + 15 min.)"
        );
    }

    #[test]
    fn codes_and_statuses() {
        assert_eq!(AuthError::Missing.aws_code(), "MissingAuthenticationToken");
        assert_eq!(AuthError::Missing.http_status(), 403);
        assert_eq!(
            AuthError::Missing.message(),
            "Request is missing Authentication Token"
        );
        let incomplete = AuthError::Incomplete("x".to_owned());
        assert_eq!(incomplete.aws_code(), "IncompleteSignature");
        assert_eq!(incomplete.http_status(), 400);
        assert_eq!(
            AuthError::UnsignedHeader("host".to_owned()).message(),
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
        );
        assert_eq!(
            AuthError::UnsignedHeader("x-amz-target".to_owned()).message(),
            "'x-amz-target' must be a 'SignedHeader' in the AWS Authorization."
        );
        assert_eq!(
            AuthError::InvalidAlgorithm("AWS4-HMAC-SHA512".to_owned()).message(),
            "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'."
        );
    }
}
