//! Step 1: what a request claims — read from the `Authorization` header or the `X-Amz-*` query
//! parameters, checked for form, no secret needed.

use std::fmt;

use crate::encoding::{decode_hex32_lower, decode_query_component};
use crate::time::parse_amz_date;
use crate::{AuthError, Credential, SignedRequest, ALGORITHM, SIGNATURE_PARAM, TERMINATOR};

/// The longest `X-Amz-Expires` SigV4 allows: seven days.
pub const MAX_EXPIRES_SECS: u32 = 604_800;

/// Where the signature travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
    Header,
    /// `X-Amz-Algorithm`, `X-Amz-Credential`, … in the query string (a presigned URL).
    Query {
        /// `X-Amz-Expires`, if given: the request is good from `X-Amz-Date` for this many
        /// seconds. Without it a query-signed request is held to the clock-skew window, like a
        /// header-signed one.
        expires_secs: Option<u32>,
    },
}

/// What a request claims, as returned by [`parse`](crate::parse): which key signed it, for
/// which scope, when, over which headers, and the signature. Only `parse` makes one, so
/// everything in it has been checked for form.
#[derive(Clone, PartialEq, Eq)]
pub struct Claim {
    pub(crate) credential: Credential,
    pub(crate) amz_date: String,
    pub(crate) signed_at: i64,
    pub(crate) signed_headers: String,
    pub(crate) signature: [u8; 32],
    pub(crate) security_token: Option<String>,
    pub(crate) mode: Mode,
}

impl Claim {
    /// The access key id and the scope (date, region, service) of the credential.
    pub fn credential(&self) -> &Credential {
        &self.credential
    }

    /// The request time as sent (`X-Amz-Date`, or `Date`): `YYYYMMDDTHHMMSSZ`.
    pub fn amz_date(&self) -> &str {
        &self.amz_date
    }

    /// The request time in Unix seconds.
    pub fn signed_at(&self) -> i64 {
        self.signed_at
    }

    /// The signed header names, lowercase and in ascending order (`host` among them).
    pub fn signed_headers(&self) -> impl Iterator<Item = &str> + '_ {
        self.signed_headers.split(';')
    }

    /// `X-Amz-Security-Token` (header, or query parameter when presigned), for temporary
    /// credentials.
    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_deref()
    }

    /// Whether the signature came in the `Authorization` header or the query string.
    pub fn mode(&self) -> Mode {
        self.mode
    }
}

impl fmt::Debug for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claim")
            .field("credential", &self.credential)
            .field("amz_date", &self.amz_date)
            .field("signed_headers", &self.signed_headers)
            .field("mode", &self.mode)
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

const CREDENTIAL_PARAM: &str = "X-Amz-Credential";
const ALGORITHM_PARAM: &str = "X-Amz-Algorithm";
const DATE_PARAM: &str = "X-Amz-Date";
const EXPIRES_PARAM: &str = "X-Amz-Expires";
const SIGNED_HEADERS_PARAM: &str = "X-Amz-SignedHeaders";
const TOKEN_PARAM: &str = "X-Amz-Security-Token";
const TOKEN_HEADER: &str = "x-amz-security-token";

/// The `X-Amz-*` authentication parameters of the query string, decoded, each with how many
/// times it appeared.
#[derive(Default)]
pub(crate) struct QueryAuth {
    pub(crate) algorithm: Found,
    credential: Found,
    date: Found,
    expires: Found,
    signed_headers: Found,
    signature: Found,
    token: Found,
}

#[derive(Default)]
pub(crate) struct Found {
    pub(crate) count: usize,
    value: Option<String>,
}

impl Found {
    fn record(&mut self, value: String) {
        self.count += 1;
        if self.value.is_none() {
            self.value = Some(value);
        }
    }
}

/// Reads the authentication parameters out of the query string, and checks every escape in it
/// (the canonical query string is built from the same text later).
pub(crate) fn scan_query(query: &str) -> Result<QueryAuth, AuthError> {
    let mut found = QueryAuth::default();
    if query.is_empty() {
        return Ok(found);
    }
    let (mut key, mut value) = (Vec::new(), Vec::new());
    for pair in query.split('&') {
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        for (raw, decoded) in [(raw_key, &mut key), (raw_value, &mut value)] {
            decode_query_component(raw, decoded).map_err(|problem| {
                AuthError::MalformedQueryString(format!("{}: '{raw}'", problem.message()))
            })?;
        }
        let slot = match key.as_slice() {
            b"X-Amz-Algorithm" => &mut found.algorithm,
            b"X-Amz-Credential" => &mut found.credential,
            b"X-Amz-Date" => &mut found.date,
            b"X-Amz-Expires" => &mut found.expires,
            b"X-Amz-SignedHeaders" => &mut found.signed_headers,
            b"X-Amz-Signature" => &mut found.signature,
            b"X-Amz-Security-Token" => &mut found.token,
            _ => continue,
        };
        slot.record(String::from_utf8_lossy(&value).into_owned());
    }
    Ok(found)
}

/// The values of every header named `name` (any case).
fn header_values<'a>(
    headers: &'a [(&'a str, &'a str)],
    name: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .iter()
        .filter(move |(header, _)| header.eq_ignore_ascii_case(name))
        .map(|(_, value)| *value)
}

/// The one value of header `name`; `Incomplete` if it is repeated.
fn single_header<'a>(
    headers: &'a [(&'a str, &'a str)],
    name: &'a str,
) -> Result<Option<&'a str>, AuthError> {
    let mut values = header_values(headers, name);
    let first = values.next();
    if values.next().is_some() {
        return Err(AuthError::Incomplete(format!(
            "The request has more than one '{name}' header."
        )));
    }
    Ok(first)
}

/// Step 1: reads what `req` claims — see the crate documentation for the checks, in order.
pub fn parse(req: &SignedRequest<'_>) -> Result<Claim, AuthError> {
    let mut authorizations = header_values(req.headers, "authorization");
    let authorization = authorizations.next();
    let repeated_authorization = authorizations.next().is_some();
    let query = scan_query(req.query)?;

    let claim = match (authorization, query.algorithm.count) {
        (None, 0) => return Err(AuthError::Missing),
        (Some(_), 1..) => {
            return Err(AuthError::Incomplete(
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified."
                    .to_owned(),
            ))
        }
        (Some(_), 0) if repeated_authorization => {
            return Err(AuthError::Incomplete(
                "The request has more than one 'Authorization' header.".to_owned(),
            ))
        }
        (Some(header), 0) => parse_header_auth(req, header, &query)?,
        (None, 1..) => parse_query_auth(req, query)?,
    };
    check_signed_headers_cover(req, &claim)?;
    Ok(claim)
}

fn parse_header_auth(
    req: &SignedRequest<'_>,
    header: &str,
    query: &QueryAuth,
) -> Result<Claim, AuthError> {
    let header = header.trim();
    let split = header
        .bytes()
        .position(|b| b.is_ascii_whitespace())
        .unwrap_or(header.len());
    let (algorithm, parameters) = header.split_at_checked(split).unwrap_or((header, ""));
    if algorithm != ALGORITHM {
        return Err(AuthError::InvalidAlgorithm(algorithm.to_owned()));
    }

    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    // AWS splits the parameters at commas and at whitespace alike: `Credential= AKID/…` is two
    // tokens, the second without `=` (aws/aws-sdk-go#289, iann0036/cloud9-sync#10).
    for parameter in (Tokens {
        text: parameters,
        at: 0,
    }) {
        let Some((key, value)) = parameter.split_once('=') else {
            return Err(AuthError::Incomplete(format!(
                "'{parameter}' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'."
            )));
        };
        let slot = match key {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            // Unknown parameters sign nothing and change nothing; AWS ignores them too.
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return Err(AuthError::Incomplete(format!(
                "Authorization header has more than one '{key}' parameter."
            )));
        }
    }

    let amz_date = single_header(req.headers, "x-amz-date")?.map(str::trim);
    let (date, date_header) = match amz_date {
        Some(date) => (Some(date), "x-amz-date"),
        None => (single_header(req.headers, "date")?.map(str::trim), "date"),
    };

    let mut missing = Vec::new();
    if credential.is_none() {
        missing.push("Authorization header requires 'Credential' parameter.");
    }
    if signature.is_none() {
        missing.push("Authorization header requires 'Signature' parameter.");
    }
    if signed_headers.is_none() {
        missing.push("Authorization header requires 'SignedHeaders' parameter.");
    }
    if date.is_none() {
        missing.push(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        );
    }
    let (Some(credential), Some(signed_headers), Some(signature), Some(date)) =
        (credential, signed_headers, signature, date)
    else {
        return Err(AuthError::Incomplete(format!(
            "{} Authorization={header}",
            missing.join(" ")
        )));
    };

    let security_token = single_header(req.headers, TOKEN_HEADER)?;
    if security_token.is_some() && query.token.count > 0 {
        return Err(AuthError::Incomplete(
            "The security token is given both as the 'X-Amz-Security-Token' header and as a query parameter."
                .to_owned(),
        ));
    }

    let claim = build_claim(
        credential,
        date,
        signed_headers,
        signature,
        security_token.map(|token| token.trim().to_owned()),
        Mode::Header,
    )?;
    // The header that gives the time must be signed; `x-amz-date` is covered by the `x-amz-*`
    // rule, `date` is checked here.
    if date_header == "date" && !claim.signed_headers().any(|name| name == "date") {
        return Err(AuthError::UnsignedHeader("date".to_owned()));
    }
    Ok(claim)
}

/// The tokens of an `Authorization` header's parameters: the text between commas and ASCII
/// whitespace (scanned as bytes: all separators are ASCII, so every cut is a char boundary).
struct Tokens<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Iterator for Tokens<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let is_separator = |b: &u8| *b == b',' || b.is_ascii_whitespace();
        let bytes = self.text.as_bytes();
        let start = self.at
            + bytes
                .get(self.at..)?
                .iter()
                .position(|b| !is_separator(b))?;
        let rest = bytes.get(start..)?;
        let end = start + rest.iter().position(is_separator).unwrap_or(rest.len());
        self.at = end;
        self.text.get(start..end)
    }
}

fn parse_query_auth(req: &SignedRequest<'_>, query: QueryAuth) -> Result<Claim, AuthError> {
    for (name, found) in [
        (ALGORITHM_PARAM, &query.algorithm),
        (CREDENTIAL_PARAM, &query.credential),
        (DATE_PARAM, &query.date),
        (EXPIRES_PARAM, &query.expires),
        (SIGNED_HEADERS_PARAM, &query.signed_headers),
        (SIGNATURE_PARAM, &query.signature),
        (TOKEN_PARAM, &query.token),
    ] {
        if found.count > 1 {
            return Err(AuthError::Incomplete(format!(
                "The query string has more than one '{name}' parameter."
            )));
        }
    }
    let algorithm = query.algorithm.value.unwrap_or_default();
    if algorithm != ALGORITHM {
        return Err(AuthError::InvalidAlgorithm(algorithm));
    }

    let mut missing = Vec::new();
    for (name, found) in [
        (CREDENTIAL_PARAM, &query.credential),
        (SIGNATURE_PARAM, &query.signature),
        (SIGNED_HEADERS_PARAM, &query.signed_headers),
        (DATE_PARAM, &query.date),
    ] {
        if found.value.is_none() {
            missing.push(format!(
                "AWS query-string parameters must include '{name}'."
            ));
        }
    }
    let (Some(credential), Some(signature), Some(signed_headers), Some(date)) = (
        query.credential.value,
        query.signature.value,
        query.signed_headers.value,
        query.date.value,
    ) else {
        return Err(AuthError::Incomplete(format!(
            "{} Re-examine the query-string parameters.",
            missing.join(" ")
        )));
    };

    let expires_secs = query
        .expires
        .value
        .as_deref()
        .map(parse_expires)
        .transpose()?;

    if query.token.count > 0 && header_values(req.headers, TOKEN_HEADER).next().is_some() {
        return Err(AuthError::Incomplete(
            "The security token is given both as the 'X-Amz-Security-Token' header and as a query parameter."
                .to_owned(),
        ));
    }

    build_claim(
        &credential,
        &date,
        &signed_headers,
        &signature,
        query.token.value,
        Mode::Query { expires_secs },
    )
}

/// `X-Amz-Expires`: a whole number of seconds, 1 to 604800 (seven days — the life of a
/// signing key).
fn parse_expires(text: &str) -> Result<u32, AuthError> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AuthError::InvalidExpires(format!(
            "X-Amz-Expires should be a number, got '{text}'."
        )));
    }
    if text.starts_with('-') {
        return Err(AuthError::InvalidExpires(
            "X-Amz-Expires must be non-negative".to_owned(),
        ));
    }
    match digits.parse::<u32>() {
        Ok(0) => Err(AuthError::InvalidExpires(
            "X-Amz-Expires must be at least 1 second".to_owned(),
        )),
        Ok(secs) if secs <= MAX_EXPIRES_SECS => Ok(secs),
        _ => Err(AuthError::InvalidExpires(format!(
            "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than {MAX_EXPIRES_SECS} seconds"
        ))),
    }
}

fn build_claim(
    credential: &str,
    date: &str,
    signed_headers: &str,
    signature: &str,
    security_token: Option<String>,
    mode: Mode,
) -> Result<Claim, AuthError> {
    let credential = parse_credential(credential)?;
    let signed_at =
        parse_amz_date(date).ok_or_else(|| AuthError::MalformedDate(date.to_owned()))?;
    check_signed_header_list(signed_headers)?;
    if !signed_headers.split(';').any(|name| name == "host") {
        return Err(AuthError::UnsignedHeader("host".to_owned()));
    }
    let signature = decode_hex32_lower(signature).ok_or(AuthError::MalformedSignature)?;
    Ok(Claim {
        credential,
        amz_date: date.to_owned(),
        signed_at,
        signed_headers: signed_headers.to_owned(),
        signature,
        security_token,
        mode,
    })
}

/// `KEYID/YYYYMMDD/REGION/SERVICE/aws4_request`.
fn parse_credential(text: &str) -> Result<Credential, AuthError> {
    let malformed = || AuthError::MalformedCredential(text.to_owned());
    let mut parts = text.split('/');
    let (Some(access_key_id), Some(date), Some(region), Some(service), Some(terminator), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(malformed());
    };
    if access_key_id.is_empty() {
        return Err(malformed());
    }
    if terminator != TERMINATOR {
        return Err(AuthError::WrongScope(format!(
            "Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{terminator}'. "
        )));
    }
    Ok(Credential {
        access_key_id: access_key_id.to_owned(),
        date: date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
    })
}

/// `SignedHeaders` must be `;`-separated lowercase header names (RFC 9110 token characters),
/// strictly ascending — which also rules out duplicates and empty names. AWS's clients always
/// send it so; refusing anything else leaves one reading of the list.
fn check_signed_header_list(list: &str) -> Result<(), AuthError> {
    let malformed = || AuthError::MalformedSignedHeaders(list.to_owned());
    let mut previous: Option<&str> = None;
    for name in list.split(';') {
        let is_token_char =
            |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"!#$%&'*+-.^_`|~".contains(&b);
        if name.is_empty() || !name.bytes().all(is_token_char) {
            return Err(malformed());
        }
        if previous.is_some_and(|previous| previous >= name) {
            return Err(malformed());
        }
        previous = Some(name);
    }
    Ok(())
}

/// Every `x-amz-*` header the request carries must be signed, so none can be added or changed
/// in transit (`host` was checked with the list).
fn check_signed_headers_cover(req: &SignedRequest<'_>, claim: &Claim) -> Result<(), AuthError> {
    for (name, _) in req.headers {
        let is_amz = name
            .get(..6)
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case("x-amz-"));
        if is_amz
            && !claim
                .signed_headers()
                .any(|signed| signed.eq_ignore_ascii_case(name))
        {
            return Err(AuthError::UnsignedHeader(name.to_ascii_lowercase()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_bounds() {
        assert_eq!(parse_expires("1"), Ok(1));
        assert_eq!(parse_expires("604800"), Ok(604_800));
        assert!(parse_expires("604801").is_err());
        assert!(parse_expires("0").is_err());
        assert!(parse_expires("-5").is_err());
        assert!(parse_expires("").is_err());
        assert!(parse_expires("1e3").is_err());
        assert!(parse_expires("99999999999999999999").is_err());
        assert_eq!(
            parse_expires("-5").unwrap_err().message(),
            "X-Amz-Expires must be non-negative"
        );
    }

    #[test]
    fn signed_header_lists() {
        assert!(check_signed_header_list("host").is_ok());
        assert!(check_signed_header_list("content-type;host;x-amz-date").is_ok());
        for bad in [
            "",
            "host;",
            ";host",
            "Host",
            "x-amz-date;host",
            "host;host",
            "ho st",
        ] {
            assert!(check_signed_header_list(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn credentials() {
        let c = parse_credential("AKID/20261123/us-east-1/iam/aws4_request").unwrap();
        assert_eq!(c.access_key_id, "AKID");
        assert_eq!(c.date, "20261123");
        assert_eq!(c.region, "us-east-1");
        assert_eq!(c.service, "iam");
        assert!(matches!(
            parse_credential("AKID/20261123/us-east-1/iam"),
            Err(AuthError::MalformedCredential(_))
        ));
        assert!(matches!(
            parse_credential("AKID/20261123/us-east-1/iam/aws4_request/x"),
            Err(AuthError::MalformedCredential(_))
        ));
        assert!(matches!(
            parse_credential("/20261123/us-east-1/iam/aws4_request"),
            Err(AuthError::MalformedCredential(_))
        ));
        assert!(matches!(
            parse_credential("AKID/20261123/us-east-1/iam/aws5_request"),
            Err(AuthError::WrongScope(_))
        ));
    }
}
