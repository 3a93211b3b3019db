//! Secrets at rest: access key secrets sealed with AES-256-GCM under the master key, and
//! passwords hashed with argon2id.
//!
//! Invariant: nothing here logs, and `Debug` never prints key material.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;

/// The 256-bit master key that seals secret access keys.
pub struct MasterKey(Aes256Gcm);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct CryptoError;

impl MasterKey {
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        Self(Aes256Gcm::new(bytes.into()))
    }

    /// A fresh random key, returned with its bytes so the caller can save them.
    pub fn generate() -> (Self, [u8; 32]) {
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        (Self::from_bytes(&bytes), bytes)
    }

    /// Seals `secret`, bound to `context` (the access key id) so that a sealed secret moved to
    /// another record does not open.
    pub fn seal(&self, secret: &str, context: &str) -> Result<String, CryptoError> {
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ct = self
            .0
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: secret.as_bytes(), aad: context.as_bytes() })
            .map_err(|_| CryptoError)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(STANDARD.encode(out))
    }

    pub fn open(&self, sealed: &str, context: &str) -> Result<String, CryptoError> {
        let raw = STANDARD.decode(sealed).map_err(|_| CryptoError)?;
        if raw.len() < 12 {
            return Err(CryptoError);
        }
        let (nonce, ct) = raw.split_at(12);
        let pt = self
            .0
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: context.as_bytes() })
            .map_err(|_| CryptoError)?;
        String::from_utf8(pt).map_err(|_| CryptoError)
    }
}

/// An argon2id PHC string for `password`.
pub fn hash_password(password: &str) -> Result<String, CryptoError> {
    let salt = SaltString::generate(&mut rand::thread_rng());
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|_| CryptoError)
}

/// Whether `password` matches the PHC string (constant-time comparison inside argon2).
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn seal_round_trips_and_is_bound_to_context() {
        let (key, _) = MasterKey::generate();
        let sealed = key.seal("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AKIA1").unwrap();
        assert!(!sealed.contains("wJalr"));
        assert_eq!(key.open(&sealed, "AKIA1").unwrap(), "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        assert_eq!(key.open(&sealed, "AKIA2"), Err(CryptoError));
        let (other, _) = MasterKey::generate();
        assert_eq!(other.open(&sealed, "AKIA1"), Err(CryptoError));
    }

    #[test]
    fn passwords_hash_with_argon2id() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
    }
}
