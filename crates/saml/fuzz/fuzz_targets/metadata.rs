//! The metadata parser: any text gives metadata or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(xml) = std::str::from_utf8(data) {
        if let Ok(m) = castellan_saml::parse_metadata(xml) {
            assert!(!m.signing_certificates.is_empty());
        }
    }
});
