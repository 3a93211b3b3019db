//! What authentication costs per request. Run:
//! `cargo bench -p castellan-sigv4 --bench verify` (figures in `BENCHMARKS.md`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "benchmarks"
)]

#[path = "../tests/common/mod.rs"]
mod common;

use castellan_sigv4::{derive_signing_key, parse, verify, Expected, SigningKeyCache};
use common::*;
use divan::{black_box, Bencher};

fn main() {
    divan::main();
}

/// boto3's `iam.list_users()` with one bit of its signature flipped.
fn tampered_list_users() -> Req {
    let req = signed_list_users();
    let authorization = req.header_value("Authorization").unwrap().to_owned();
    let last = authorization.chars().last().unwrap().to_digit(16).unwrap() ^ 1;
    let tampered = format!(
        "{}{}",
        &authorization[..authorization.len() - 1],
        char::from_digit(last, 16).unwrap()
    );
    req.set_header("Authorization", &tampered)
}

/// The server's whole job for a boto3 IAM request whose signing key is cached: `parse`, then
/// `verify`.
#[divan::bench]
fn accept_boto3_iam_request_cached_key(bencher: Bencher<'_, '_>) {
    let req = signed_list_users();
    let cache = SigningKeyCache::default();
    assert!(check_with(&req, SECRET, SIGNED_AT, &cache, &Expected::IAM).is_ok());
    req.with(|r| {
        bencher.bench_local(|| {
            let claim = parse(black_box(r)).unwrap();
            verify(r, &claim, SECRET, SIGNED_AT, &cache, &Expected::IAM)
        })
    });
}

/// `verify` alone (the claim already parsed), cached key.
#[divan::bench]
fn verify_only_cached_key(bencher: Bencher<'_, '_>) {
    let req = signed_list_users();
    let cache = SigningKeyCache::default();
    req.with(|r| {
        let claim = parse(r).unwrap();
        assert!(verify(r, &claim, SECRET, SIGNED_AT, &cache, &Expected::IAM).is_ok());
        bencher.bench_local(|| {
            verify(
                black_box(r),
                &claim,
                SECRET,
                SIGNED_AT,
                &cache,
                &Expected::IAM,
            )
        })
    });
}

/// `parse` alone.
#[divan::bench]
fn parse_only(bencher: Bencher<'_, '_>) {
    let req = signed_list_users();
    req.with(|r| bencher.bench_local(|| parse(black_box(r))));
}

/// A boto3 IAM request with a wrong signature, its access key's signing key cached (a real key,
/// a forged signature): `parse` + `verify` down to `SignatureDoesNotMatch`.
#[divan::bench]
fn reject_bad_signature_cached_key(bencher: Bencher<'_, '_>) {
    let cache = SigningKeyCache::default();
    assert!(check_with(
        &signed_list_users(),
        SECRET,
        SIGNED_AT,
        &cache,
        &Expected::IAM
    )
    .is_ok());
    let req = tampered_list_users();
    req.with(|r| {
        bencher.bench_local(|| {
            let claim = parse(black_box(r)).unwrap();
            verify(r, &claim, SECRET, SIGNED_AT, &cache, &Expected::IAM).unwrap_err()
        })
    });
}

/// The same with nothing cached: the signing key is derived (four HMACs) every time, as it is
/// for forged signatures on keys never used successfully (a failed verification caches nothing).
#[divan::bench]
fn reject_bad_signature_uncached_key(bencher: Bencher<'_, '_>) {
    let cache = SigningKeyCache::default();
    let req = tampered_list_users();
    req.with(|r| {
        bencher.bench_local(|| {
            let claim = parse(black_box(r)).unwrap();
            verify(r, &claim, SECRET, SIGNED_AT, &cache, &Expected::IAM).unwrap_err()
        })
    });
}

/// A presigned STS `GetCallerIdentity` URL (`aws eks get-token`), cached key.
#[divan::bench]
fn accept_presigned_sts_url_cached_key(bencher: Bencher<'_, '_>) {
    let req = presigned_get_caller_identity(Some("60"), None);
    let cache = SigningKeyCache::default();
    assert!(check_with(&req, SECRET, SIGNED_AT, &cache, &STS).is_ok());
    req.with(|r| {
        bencher.bench_local(|| {
            let claim = parse(black_box(r)).unwrap();
            verify(r, &claim, SECRET, SIGNED_AT, &cache, &STS)
        })
    });
}

/// Deriving a signing key (once per key, day, region and service when cached).
#[divan::bench]
fn derive_key(bencher: Bencher<'_, '_>) {
    bencher.bench_local(|| {
        derive_signing_key(black_box(SECRET), black_box("20261123"), "us-east-1", "iam")
    });
}
