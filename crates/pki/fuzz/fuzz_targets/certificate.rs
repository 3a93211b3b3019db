//! The certificate parsers (UploadSigningCertificate's body, UploadServerCertificate's body and
//! chain): any text gives a certificate or `Malformed`, never a panic; what parses is
//! self-consistent. Seeds: a PEM certificate (`../tests/data/cert.pem`) is a good start.
#![no_main]

use castellan_pki::cert::{parse, parse_chain, MAX_CHAIN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(c) = parse(text) {
        assert_eq!(c.thumbprint.len(), 40);
        assert!(!c.public_key.is_empty());
        // One certificate is also a chain of one.
        assert_eq!(parse_chain(text).ok(), Some(vec![c]));
    }
    if let Ok(chain) = parse_chain(text) {
        assert!(!chain.is_empty() && chain.len() <= MAX_CHAIN);
    }
    private_key(text);
});

/// The private key check (UploadServerCertificate's PrivateKey), against a real certificate.
fn private_key(text: &str) {
    const CERT: &str = include_str!("../../tests/data/cert.pem");
    if let Ok(cert) = parse(CERT) {
        let _ = castellan_pki::cert::check_private_key(text, &cert.public_key);
    }
}
