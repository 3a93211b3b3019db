//! The SSH public key parser (UploadSSHPublicKey's body): any text gives a key or an error,
//! never a panic; a key re-encodes to both forms, which parse back to it.
#![no_main]

use castellan_pki::sshkey::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(key) = parse(text) {
        assert_eq!(parse(&key.to_ssh()).as_ref(), Ok(&key));
        assert_eq!(parse(&key.to_pem()).as_ref(), Ok(&key));
        assert_eq!(key.fingerprint().len(), 47);
    }
});
