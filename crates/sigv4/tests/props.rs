//! Properties: whatever a client signs verifies; any change to what was signed does not; and
//! no input makes `parse` or `verify` panic.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

mod common;

use castellan_sigv4::{parse, verify, AuthError, Expected, SignedRequest, SigningKeyCache};
use common::*;
use proptest::prelude::*;

fn param() -> impl Strategy<Value = (String, String)> {
    (
        "[A-Za-z0-9._~-]{1,8}|[ -~]{1,6}|\\PC{1,4}",
        "[A-Za-z0-9._~-]{0,12}|[ -~]{0,8}|\\PC{0,4}",
    )
        .prop_map(|(k, v)| (k, v))
}

/// RFC 3986 encoding, as a careful client writes it.
fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The same text encoded another legal way: lowercase escapes, unreserved characters escaped,
/// spaces as `+`.
fn encode_differently(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b' ' => out.push('+'),
            b'a'..=b'z' | b'0'..=b'9' => out.push_str(&format!("%{b:02x}")),
            _ if b.is_ascii_alphanumeric() || b"-._~".contains(&b) => out.push(char::from(b)),
            _ => out.push_str(&format!("%{b:02x}")),
        }
    }
    out
}

fn query_of(params: &[(String, String)], enc: fn(&str) -> String) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn request(params: &[(String, String)], body: &[u8], extra: &[(String, String)]) -> Req {
    let mut req = boto3_iam_post("");
    req.body = body.to_vec();
    req.query = query_of(params, encode);
    for (name, value) in extra {
        req = req.header(name, value);
    }
    req
}

fn signed_list(req: &Req) -> String {
    let mut names: Vec<String> = req
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .filter(|n| n == "host" || n.starts_with("x-amz-") || n.starts_with("my-"))
        .collect();
    names.sort();
    names.dedup();
    names.join(";")
}

fn header() -> impl Strategy<Value = (String, String)> {
    ("my-[a-z]{1,6}|X-Amz-Meta-[a-z]{1,4}", "[ -~]{0,20}")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn what_is_signed_verifies(
        params in prop::collection::vec(param(), 0..6),
        body in prop::collection::vec(any::<u8>(), 0..200),
        extra in prop::collection::vec(header(), 0..4),
    ) {
        let unsigned = request(&params, &body, &extra);
        let list = signed_list(&unsigned);
        let req = sign_header(unsigned, &iam_credential(), AMZ_DATE, &list, SECRET);
        prop_assert_eq!(check(&req), Ok(()));
    }

    #[test]
    fn another_spelling_of_the_same_query_verifies(
        params in prop::collection::vec(param(), 1..6),
        seed in any::<u64>(),
    ) {
        let unsigned = request(&params, b"", &[]);
        let req = sign_header(unsigned, &iam_credential(), AMZ_DATE, "host;x-amz-date", SECRET);
        let mut shuffled = params.clone();
        let len = shuffled.len();
        shuffled.rotate_left((seed as usize) % len);
        let mut respelled = req.clone();
        respelled.query = query_of(&shuffled, encode_differently);
        prop_assert_eq!(check(&respelled), Ok(()));
    }

    #[test]
    fn changing_a_query_value_breaks_the_signature(
        params in prop::collection::vec(param(), 1..6),
        which in any::<prop::sample::Index>(),
        replacement in "[a-z]{1,4}",
    ) {
        let unsigned = request(&params, b"", &[]);
        let req = sign_header(unsigned, &iam_credential(), AMZ_DATE, "host;x-amz-date", SECRET);
        let mut changed = params.clone();
        let i = which.index(changed.len());
        prop_assume!(changed[i].1 != replacement);
        changed[i].1 = replacement;
        let mut tampered = req.clone();
        tampered.query = query_of(&changed, encode);
        prop_assert!(is_mismatch(&check(&tampered)));
    }

    #[test]
    fn changing_any_body_byte_breaks_the_signature(
        body in prop::collection::vec(any::<u8>(), 1..200),
        which in any::<prop::sample::Index>(),
        flip in 1..=255_u8,
    ) {
        let req = sign_header(request(&[], &body, &[]), &iam_credential(), AMZ_DATE, "host;x-amz-date", SECRET);
        let mut tampered = req.clone();
        let i = which.index(tampered.body.len());
        tampered.body[i] ^= flip;
        prop_assert!(is_mismatch(&check(&tampered)));
    }

    #[test]
    fn any_authorization_header_is_handled(value in "\\PC{0,200}|AWS4-HMAC-SHA256 [ -~]{0,200}") {
        let req = boto3_iam_post(LIST_USERS).header("Authorization", &value);
        let result = req.with(|r| {
            let claim = parse(r)?;
            verify(r, &claim, SECRET, SIGNED_AT, &SigningKeyCache::new(2), &Expected::IAM)
        });
        prop_assert!(result.is_err());
    }

    #[test]
    fn any_query_string_is_handled(query in "[ -~]{0,200}|X-Amz-Algorithm=AWS4-HMAC-SHA256&[ -~]{0,200}") {
        let headers = [("Host", "sts.amazonaws.com")];
        let req = SignedRequest { method: "GET", path: "/", query: &query, headers: &headers, body: b"" };
        let result: Result<(), AuthError> = parse(&req).and_then(|claim| {
            verify(&req, &claim, SECRET, SIGNED_AT, &SigningKeyCache::new(2), &STS)
        });
        prop_assert!(result.is_err());
    }
}
