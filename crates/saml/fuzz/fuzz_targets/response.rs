//! The SAML response verifier: any text gives an assertion or an error, never a panic; with the
//! fixture IdP's certificate, nothing but a response that IdP signed can verify.
#![no_main]

use libfuzzer_sys::fuzz_target;

const METADATA: &str = include_str!("../../tests/fixtures/metadata.xml");

fuzz_target!(|data: &[u8]| {
    let Ok(xml) = std::str::from_utf8(data) else { return };
    let Ok(m) = castellan_saml::parse_metadata(METADATA) else { return };
    match castellan_saml::verify_response_xml(xml, &m.signing_certificates) {
        Ok(a) => assert!(!a.issuer.is_empty()),
        Err(e) => {
            let _ = e.message();
        }
    }
    let _ = castellan_saml::verify_response(xml, &m.signing_certificates);
});
