//! The JWK set parser: any bytes give a key set or an error, never a panic.
#![no_main]

use castellan_jwt::JwkSet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(set) = JwkSet::parse(data) {
        for k in &set.keys {
            let _ = set.has_kid(k.kid.as_deref().unwrap_or_default());
        }
    }
});
