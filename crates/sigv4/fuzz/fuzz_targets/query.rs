//! The query-string parser (presigned requests and the canonical query string): any query must
//! give a claim or an error, never a panic.
#![no_main]

use castellan_sigv4::{parse, verify, Expected, SignedRequest, SigningKeyCache};
use libfuzzer_sys::fuzz_target;

const STS: Expected<'static> = Expected {
    service: "sts",
    regions: &["us-east-1"],
    max_skew_secs: 900,
};

fuzz_target!(|query: &str| {
    let headers = [("Host", "sts.amazonaws.com")];
    let req = SignedRequest {
        method: "GET",
        path: "/",
        query,
        headers: &headers,
        body: b"",
    };
    match parse(&req) {
        Ok(claim) => {
            assert!(claim.signed_headers().any(|name| name == "host"));
            let cache = SigningKeyCache::new(8);
            let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
            if let Err(error) = verify(&req, &claim, secret, claim.signed_at(), &cache, &STS) {
                let _ = (error.aws_code(), error.http_status(), error.message());
            }
        }
        Err(error) => {
            let _ = (error.aws_code(), error.http_status(), error.message());
        }
    }
});
