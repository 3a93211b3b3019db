//! The canonical request and the string to sign, built from the request as received.

use sha2::{Digest, Sha256};

use crate::encoding::{decode_query_component, push_hex_lower, push_uri_encoded, DecodeError};
use crate::{Credential, SignedRequest, ALGORITHM, SIGNATURE_PARAM, TERMINATOR};

/// Appends the canonical URI of a non-S3 service, the way botocore computes it
/// (`quote(remove_dot_segments(path), safe='/~')`) and AWS's suite expects it with
/// `normalize: true`:
/// - `.` segments are dropped, `..` drops the segment before it, empty segments (`//`) are
///   dropped; a trailing `/` is kept when the path ends with one and something is left;
/// - every byte but the unreserved ones and `/` is then percent-encoded — including `%`, so a
///   path that arrives as `/a%20b` is signed as `/a%2520b` ("double encoding"), as every SDK
///   does for every service but S3.
///
/// IAM and STS are served on `/`; the path is canonicalized all the same because it is part of
/// what the client signed.
pub(crate) fn push_canonical_path(path: &str, out: &mut String) {
    if path == "/" || path.is_empty() {
        out.push('/');
        return;
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            _ => segments.push(segment),
        }
    }
    let start = out.len();
    if path.starts_with('/') {
        out.push('/');
    }
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        push_uri_encoded(segment.as_bytes(), false, out);
    }
    if path.ends_with('/') && !segments.is_empty() {
        out.push('/');
    }
    if out.len() == start {
        out.push('/');
    }
}

/// Appends the canonical query string: each `key=value` pair decoded (`%XX`, and `+` as a
/// space) and re-encoded per RFC 3986, sorted by encoded key then encoded value, joined with
/// `&`. Every pair is kept — a repeated or case-variant parameter is signed like any other —
/// except `X-Amz-Signature` in a presigned request. Empty pairs (`a=1&&b=2`) carry nothing and
/// are skipped; a key without `=` has an empty value.
pub(crate) fn push_canonical_query(
    query: &str,
    presigned: bool,
    out: &mut String,
) -> Result<(), DecodeError> {
    if query.is_empty() {
        return Ok(());
    }
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut scratch = Vec::with_capacity(64);
    for pair in query.split('&') {
        if pair.is_empty() {
            continue;
        }
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        decode_query_component(raw_key, &mut scratch)?;
        let mut key = String::with_capacity(scratch.len() + 8);
        push_uri_encoded(&scratch, false, &mut key);
        // Decoded even when left out, so that a malformed escape anywhere is refused alike.
        decode_query_component(raw_value, &mut scratch)?;
        if presigned && key == SIGNATURE_PARAM {
            continue;
        }
        let mut value = String::with_capacity(scratch.len() + 8);
        push_uri_encoded(&scratch, false, &mut value);
        pairs.push((key, value));
    }
    pairs.sort_unstable();
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(key);
        out.push('=');
        out.push_str(value);
    }
    Ok(())
}

/// Appends one `name:value\n` line per signed header: the values of every header of that name
/// (any case), in the order received, joined with `,`, each trimmed with runs of whitespace
/// collapsed to one space (botocore's `' '.join(value.split())`). A signed header the request
/// lacks gives `name:` — and a signature that cannot match one computed with a value.
fn push_canonical_headers(headers: &[(&str, &str)], signed_headers: &str, out: &mut String) {
    for name in signed_headers.split(';') {
        out.push_str(name);
        out.push(':');
        let mut first_value = true;
        for (header, value) in headers {
            if header.eq_ignore_ascii_case(name) {
                if !first_value {
                    out.push(',');
                }
                first_value = false;
                for (i, word) in value.split_ascii_whitespace().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(word);
                }
            }
        }
        out.push('\n');
    }
}

/// The canonical request: method, canonical URI, canonical query, canonical headers, signed
/// header list and payload hash, one per line.
pub(crate) fn canonical_request(
    req: &SignedRequest<'_>,
    signed_headers: &str,
    presigned: bool,
    payload_hash_hex: &str,
) -> Result<String, DecodeError> {
    let mut out =
        String::with_capacity(256 + req.path.len() + req.query.len() * 2 + req.headers.len() * 48);
    out.push_str(req.method);
    out.push('\n');
    push_canonical_path(req.path, &mut out);
    out.push('\n');
    push_canonical_query(req.query, presigned, &mut out)?;
    out.push('\n');
    push_canonical_headers(req.headers, signed_headers, &mut out);
    out.push('\n');
    out.push_str(signed_headers);
    out.push('\n');
    out.push_str(payload_hash_hex);
    Ok(out)
}

/// The string to sign: algorithm, request time, credential scope and the hex SHA-256 of the
/// canonical request, one per line.
pub(crate) fn string_to_sign(
    amz_date: &str,
    credential: &Credential,
    canonical_request: &str,
) -> String {
    let mut out = String::with_capacity(
        ALGORITHM.len()
            + amz_date.len()
            + credential.date.len()
            + credential.region.len()
            + credential.service.len()
            + TERMINATOR.len()
            + 64
            + 8,
    );
    out.push_str(ALGORITHM);
    out.push('\n');
    out.push_str(amz_date);
    out.push('\n');
    out.push_str(&credential.date);
    out.push('/');
    out.push_str(&credential.region);
    out.push('/');
    out.push_str(&credential.service);
    out.push('/');
    out.push_str(TERMINATOR);
    out.push('\n');
    push_hex_lower(&Sha256::digest(canonical_request.as_bytes()), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> String {
        let mut out = String::new();
        push_canonical_path(p, &mut out);
        out
    }

    fn query(q: &str, presigned: bool) -> String {
        let mut out = String::new();
        push_canonical_query(q, presigned, &mut out).unwrap();
        out
    }

    #[test]
    fn paths() {
        assert_eq!(path(""), "/");
        assert_eq!(path("/"), "/");
        assert_eq!(path("//"), "/");
        assert_eq!(path("/./"), "/");
        assert_eq!(path("/example/.."), "/");
        assert_eq!(path("/example1/example2/../.."), "/");
        assert_eq!(path("/./example"), "/example");
        assert_eq!(path("//example//"), "/example/");
        assert_eq!(path("/a/b/.."), "/a");
        assert_eq!(path("/../../a"), "/a");
        assert_eq!(path("/example space/"), "/example%20space/");
        assert_eq!(
            path("/test/@connections/JBDvjfGEIAMCERw%3D"),
            "/test/%40connections/JBDvjfGEIAMCERw%253D"
        );
        assert_eq!(path("/ሴ"), "/%E1%88%B4");
        assert_eq!(path("."), "/");
    }

    #[test]
    fn queries() {
        assert_eq!(query("", false), "");
        assert_eq!(
            query("Param2=value2&Param1=value1", false),
            "Param1=value1&Param2=value2"
        );
        assert_eq!(
            query("Param-3=Value3&Param=Value2&%E1%88%B4=Value1", false),
            "%E1%88%B4=Value1&Param=Value2&Param-3=Value3"
        );
        assert_eq!(query("ሴ=bar", false), "%E1%88%B4=bar");
        assert_eq!(query("a=2&a=1&A=3", false), "A=3&a=1&a=2");
        assert_eq!(
            query("a=x+y&b=x%20y&c=x%2By", false),
            "a=x%20y&b=x%20y&c=x%2By"
        );
        assert_eq!(query("flag&&k=v&", false), "flag=&k=v");
        assert_eq!(query("a=%7e%2d", false), "a=~-");
        assert_eq!(query("X-Amz-Signature=abc&b=1", true), "b=1");
        assert_eq!(
            query("X-Amz-Signature=abc&b=1", false),
            "X-Amz-Signature=abc&b=1"
        );
        let mut out = String::new();
        assert!(push_canonical_query("a=%g0", false, &mut out).is_err());
    }

    #[test]
    fn headers() {
        let mut out = String::new();
        push_canonical_headers(
            &[
                ("Host", "example.amazonaws.com"),
                ("My-Header1", "value4"),
                ("my-header1", "  a   b\t c  "),
                ("X-Amz-Date", "20150830T123600Z"),
            ],
            "host;my-header1;my-header2;x-amz-date",
            &mut out,
        );
        assert_eq!(
            out,
            "host:example.amazonaws.com\nmy-header1:value4,a b c\nmy-header2:\nx-amz-date:20150830T123600Z\n"
        );
    }
}
