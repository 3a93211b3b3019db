//! AWS's SigV4 test suite (`tests/vectors/v4`, see `tests/vectors/NOTICE.md`) run through
//! `parse` + `verify`: for every case, header-signed and presigned, the published signature is
//! accepted, the canonical request and string to sign we compute are the published ones, and a
//! signature one bit away is refused.
//!
//! A few cases are refused on purpose; each is listed in `expected_refusal` with the reason.
//! The old-format `double-encode-path` case is not run whole: its canonical request is dated
//! 2021 while its request says 2015, and its key is unnamed; its path is checked in the crate's
//! unit tests (`canonical::tests::paths`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::fs;
use std::path::{Path, PathBuf};

use castellan_sigv4::{parse, verify, AuthError, Expected, SignedRequest, SigningKeyCache};

/// A raw HTTP request from a `*-signed-request.txt` file.
struct RawRequest {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawRequest {
    /// Parses `METHOD TARGET HTTP/1.1`, `Name:value` lines (a line starting with whitespace
    /// continues the previous value: the fold becomes a space, as RFC 9112 lets a recipient do),
    /// a blank line, then the body. The target may hold spaces and raw UTF-8, as the suite
    /// writes the path before encoding.
    fn parse(text: &str) -> Self {
        let (head, body) = match text.split_once("\n\n") {
            Some((head, body)) => (head, body),
            None => (text.trim_end_matches('\n'), ""),
        };
        let mut lines = head.split('\n');
        let request_line = lines.next().unwrap();
        let (method, rest) = request_line.split_once(' ').unwrap();
        let target = rest.strip_suffix(" HTTP/1.1").unwrap_or(rest);
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in lines {
            if line.starts_with([' ', '\t']) {
                let last = headers.last_mut().unwrap();
                last.1.push(' ');
                last.1.push_str(line);
            } else {
                let (name, value) = line.split_once(':').unwrap();
                headers.push((name.to_owned(), value.to_owned()));
            }
        }
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body: body.as_bytes().to_vec(),
        }
    }
}

/// The few fields of `context.json` the harness needs (read without a JSON dependency: the
/// files are flat `"key": value` lines).
struct Context {
    secret: String,
    region: String,
    service: String,
    normalize: bool,
}

fn json_field<'a>(json: &'a str, key: &str) -> Option<&'a str> {
    let start = json.find(&format!("\"{key}\""))? + key.len() + 2;
    let rest = json[start..].trim_start().strip_prefix(':')?.trim_start();
    match rest.strip_prefix('"') {
        Some(string) => string.split('"').next(),
        None => rest.split([',', '\n', '}']).next().map(str::trim),
    }
}

fn read_context(dir: &Path) -> Option<Context> {
    let json = fs::read_to_string(dir.join("context.json")).ok()?;
    Some(Context {
        secret: json_field(&json, "secret_access_key")?.to_owned(),
        region: json_field(&json, "region")?.to_owned(),
        service: json_field(&json, "service")?.to_owned(),
        normalize: json_field(&json, "normalize")? == "true",
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    Header,
    Query,
}

impl Form {
    fn prefix(self) -> &'static str {
        match self {
            Self::Header => "header",
            Self::Query => "query",
        }
    }
}

/// Cases refused on purpose, and the error they get.
fn expected_refusal(case: &str, form: Form) -> Option<fn(&AuthError) -> bool> {
    match (case, form) {
        // The session token header was added after signing (for services that want it so). An
        // unsigned `x-amz-*` header must not pick the session: refused.
        ("post-sts-header-after", Form::Header) => {
            Some(|e| *e == AuthError::UnsignedHeader("x-amz-security-token".to_owned()))
        }
        // Likewise the token query parameter was added after signing; every parameter but
        // `X-Amz-Signature` is signed here, so the signature cannot match.
        ("post-sts-header-after", Form::Query) => {
            Some(|e| matches!(e, AuthError::SignatureDoesNotMatch { .. }))
        }
        _ => None,
    }
}

fn flip_low_bit_of_signature(text: &str, marker: &str) -> String {
    let at = text.find(marker).unwrap() + marker.len();
    let last = at + 63;
    let digit = text.as_bytes()[last];
    let flipped = char::from_digit(char::from(digit).to_digit(16).unwrap() ^ 1, 16).unwrap();
    format!("{}{}{}", &text[..last], flipped, &text[last + 1..])
}

struct Outcome {
    accepted: usize,
    refused_on_purpose: usize,
}

/// Runs one case in one form. Returns whether it was accepted (or refused on purpose).
fn run(dir: &Path, context: &Context, form: Form) -> Result<bool, String> {
    let case = dir.file_name().unwrap().to_str().unwrap();
    let prefix = form.prefix();
    let Ok(signed) = fs::read_to_string(dir.join(format!("{prefix}-signed-request.txt"))) else {
        return Err(format!("{case}: no {prefix}-signed-request.txt"));
    };
    // (Some published files end with a newline, which is not part of the text.)
    let published = |name: &str| {
        let text = fs::read_to_string(dir.join(format!("{prefix}-{name}.txt"))).unwrap();
        text.strip_suffix('\n').map(str::to_owned).unwrap_or(text)
    };
    let canonical_expected = published("canonical-request");
    let string_to_sign_expected = published("string-to-sign");

    let cache = SigningKeyCache::new(16);
    let regions = [context.region.as_str()];
    let expected = Expected {
        service: &context.service,
        regions: &regions,
        max_skew_secs: 900,
    };

    let attempt = |text: &str| -> Result<(), AuthError> {
        let raw = RawRequest::parse(text);
        let headers: Vec<(&str, &str)> = raw
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let req = SignedRequest {
            method: &raw.method,
            path: &raw.path,
            query: &raw.query,
            headers: &headers,
            body: &raw.body,
        };
        let claim = parse(&req)?;
        verify(
            &req,
            &claim,
            &context.secret,
            claim.signed_at() + 60,
            &cache,
            &expected,
        )
    };

    let result = attempt(&signed);
    if let Some(is_expected_error) = expected_refusal(case, form) {
        return match result {
            Err(error) if is_expected_error(&error) => Ok(false),
            other => Err(format!(
                "{case} ({prefix}): expected a refusal, got {other:?}"
            )),
        };
    }
    if !context.normalize {
        // S3-style cases: the path is signed as is. Ours normalizes (non-S3 services), so the
        // case passes exactly when normalizing changes nothing.
        let canonical_path = canonical_expected.lines().nth(1).unwrap();
        let untouched = !canonical_path.contains("/.") && !canonical_path.contains("//");
        if !untouched {
            return match result {
                Err(AuthError::SignatureDoesNotMatch { .. }) => Ok(false),
                other => Err(format!(
                    "{case} ({prefix}): expected a mismatch, got {other:?}"
                )),
            };
        }
    }
    result.map_err(|e| format!("{case} ({prefix}): refused: {e:?} — {}", e.message()))?;

    let marker = match form {
        Form::Header => "Signature=",
        Form::Query => "X-Amz-Signature=",
    };
    let tampered = flip_low_bit_of_signature(&signed, marker);
    match attempt(&tampered) {
        Err(AuthError::SignatureDoesNotMatch {
            canonical_request,
            string_to_sign,
        }) => {
            if canonical_request != canonical_expected {
                return Err(format!(
                    "{case} ({prefix}): canonical request differs:\n--- ours\n{canonical_request}\n--- published\n{canonical_expected}"
                ));
            }
            if string_to_sign != string_to_sign_expected {
                return Err(format!(
                    "{case} ({prefix}): string to sign differs:\n--- ours\n{string_to_sign}\n--- published\n{string_to_sign_expected}"
                ));
            }
        }
        other => return Err(format!("{case} ({prefix}): one-bit change gave {other:?}")),
    }
    Ok(true)
}

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/v4")
}

fn run_form(form: Form) -> Outcome {
    let mut dirs: Vec<PathBuf> = fs::read_dir(suite_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.join("context.json").exists())
        .collect();
    dirs.sort();
    let mut outcome = Outcome {
        accepted: 0,
        refused_on_purpose: 0,
    };
    let mut failures = Vec::new();
    for dir in &dirs {
        let context = read_context(dir).unwrap();
        match run(dir, &context, form) {
            Ok(true) => outcome.accepted += 1,
            Ok(false) => outcome.refused_on_purpose += 1,
            Err(failure) => failures.push(failure),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    outcome
}

#[test]
fn header_signed_vectors() {
    let outcome = run_form(Form::Header);
    // 38 cases with a context. Refused on purpose: six S3-style unnormalized paths and
    // `post-sts-header-after`.
    assert_eq!(outcome.accepted, 31);
    assert_eq!(outcome.refused_on_purpose, 7);
}

#[test]
fn presigned_vectors() {
    let outcome = run_form(Form::Query);
    assert_eq!(outcome.accepted, 31);
    assert_eq!(outcome.refused_on_purpose, 7);
}

/// The old-format case `double-url-encode` (no context file: a Lambda path with `%3A` escapes,
/// signed in us-east-2 with the suite's example secret): the escapes are encoded again.
#[test]
fn double_url_encode_vector() {
    let dir = suite_dir().join("double-url-encode");
    let context = Context {
        secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_owned(),
        region: "us-east-2".to_owned(),
        service: "lambda".to_owned(),
        normalize: true,
    };
    assert_eq!(run(&dir, &context, Form::Header), Ok(true));
}
