//! The `Authorization` header parser: any header value (and any `X-Amz-Date`) must give a claim
//! or an error, never a panic; a claim must have been checked for form.
#![no_main]

use castellan_sigv4::{parse, verify, Expected, SignedRequest, SigningKeyCache};
use libfuzzer_sys::fuzz_target;

// Input: the `Authorization` value, then (after the last newline, if any) the `X-Amz-Date`.
fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (authorization, amz_date) = text.rsplit_once('\n').unwrap_or((&text, "20150830T123600Z"));
    let headers = [
        ("Host", "iam.amazonaws.com"),
        ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
        ("X-Amz-Date", amz_date),
        ("Authorization", authorization),
    ];
    let req = SignedRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body: b"Action=ListUsers&Version=2010-05-08",
    };
    if let Ok(claim) = parse(&req) {
        assert!(claim.signed_headers().any(|name| name == "host"));
        assert!(claim.signed_headers().any(|name| name == "x-amz-date"));
        assert_eq!(claim.amz_date().len(), 16);
        let cache = SigningKeyCache::new(8);
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        for now in [claim.signed_at(), 1_795_460_400] {
            let result = verify(&req, &claim, secret, now, &cache, &Expected::IAM);
            if let Err(error) = result {
                let _ = (error.aws_code(), error.http_status(), error.message());
            }
        }
    } else if let Err(error) = parse(&req) {
        let _ = (error.aws_code(), error.http_status(), error.message());
    }
});
