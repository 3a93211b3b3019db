//! SSH public keys as UploadSSHPublicKey takes them: "The public key must be encoded in ssh-rsa
//! format or PEM format. The minimum bit-length of the public key is 2048 bits" (IAM API
//! Reference, UploadSSHPublicKey). Accepted: an OpenSSH `ssh-rsa AAAA… comment` line, a PEM
//! `PUBLIC KEY` (X.509 SubjectPublicKeyInfo) or `RSA PUBLIC KEY` (PKCS#1) block. The
//! fingerprint is the one AWS shows: MD5 of the key in SSH wire form, as colon-separated hex
//! (`ssh-keygen -l -E md5`).
//!
//! Pure: no I/O. The input is bounded by the model (16,384 characters) and the modulus by
//! [`MAX_BITS`].

use base64::Engine as _;
use md5::Digest as _;
use pkcs1::der::{Decode as _, Encode as _};

/// rsaEncryption (RFC 8017 appendix C).
const RSA_ENCRYPTION: pkcs1::der::asn1::ObjectIdentifier = pkcs1::der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// The smallest modulus AWS accepts.
pub const MIN_BITS: usize = 2048;
/// The largest modulus accepted (OpenSSH's limit).
pub const MAX_BITS: usize = 16384;

/// Why a key was refused: an encoding that is not ssh-rsa or PEM
/// (`UnrecognizedPublicKeyEncoding`), or a key in one of them that is malformed, too short or
/// otherwise invalid (`InvalidPublicKey`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyError {
    Unrecognized,
    Invalid,
}

/// An RSA public key: modulus and exponent, big-endian without leading zeros.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsaKey {
    pub n: Vec<u8>,
    pub e: Vec<u8>,
}

fn strip(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default().to_vec()
}

fn bit_len(n: &[u8]) -> usize {
    n.first().map_or(0, |&top| (n.len() - 1) * 8 + (8 - top.leading_zeros() as usize))
}

impl RsaKey {
    fn checked(n: &[u8], e: &[u8]) -> Result<Self, KeyError> {
        let key = Self { n: strip(n), e: strip(e) };
        let bits = bit_len(&key.n);
        let odd = |v: &[u8]| v.last().is_some_and(|b| b & 1 == 1);
        if !(MIN_BITS..=MAX_BITS).contains(&bits) || !odd(&key.n) || !odd(&key.e) || key.e == [1] || key.e.len() > 8 {
            return Err(KeyError::Invalid);
        }
        Ok(key)
    }

    #[cfg(test)]
    pub fn bits(&self) -> usize {
        bit_len(&self.n)
    }

    /// The key in SSH wire form (RFC 4253 section 6.6): string "ssh-rsa", mpint e, mpint n.
    pub fn wire(&self) -> Vec<u8> {
        fn put(out: &mut Vec<u8>, bytes: &[u8], mpint: bool) {
            let pad = mpint && bytes.first().is_some_and(|&b| b & 0x80 != 0);
            let len = u32::try_from(bytes.len() + usize::from(pad)).unwrap_or(u32::MAX);
            out.extend_from_slice(&len.to_be_bytes());
            if pad {
                out.push(0);
            }
            out.extend_from_slice(bytes);
        }
        let mut out = Vec::with_capacity(self.n.len() + 32);
        put(&mut out, b"ssh-rsa", false);
        put(&mut out, &self.e, true);
        put(&mut out, &self.n, true);
        out
    }

    /// `ssh-rsa AAAA…`, as GetSSHPublicKey returns with `Encoding=SSH`.
    pub fn to_ssh(&self) -> String {
        format!("ssh-rsa {}", base64::engine::general_purpose::STANDARD.encode(self.wire()))
    }

    /// A PEM `PUBLIC KEY` block (SubjectPublicKeyInfo), as GetSSHPublicKey returns with
    /// `Encoding=PEM`.
    pub fn to_pem(&self) -> String {
        let der = (|| {
            let pkcs1 = pkcs1::RsaPublicKey {
                modulus: pkcs1::UintRef::new(&self.n).ok()?,
                public_exponent: pkcs1::UintRef::new(&self.e).ok()?,
            }
            .to_der()
            .ok()?;
            let spki = x509_cert::spki::SubjectPublicKeyInfoRef {
                algorithm: x509_cert::spki::AlgorithmIdentifierRef { oid: RSA_ENCRYPTION, parameters: Some(pkcs1::der::AnyRef::NULL) },
                subject_public_key: pkcs1::der::asn1::BitStringRef::from_bytes(&pkcs1).ok()?,
            };
            spki.to_der().ok()
        })()
        .unwrap_or_default();
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let mut out = String::from("-----BEGIN PUBLIC KEY-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(chunk));
            out.push('\n');
        }
        out.push_str("-----END PUBLIC KEY-----\n");
        out
    }

    /// The MD5 fingerprint AWS shows: `aa:bb:…` (16 bytes).
    pub fn fingerprint(&self) -> String {
        md5::Md5::digest(self.wire()).iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
    }
}

/// Reads an SSH wire-format string (u32 length, bytes) from the front of `input`.
fn take<'a>(input: &mut &'a [u8]) -> Result<&'a [u8], KeyError> {
    let (len, rest) = input.split_first_chunk::<4>().ok_or(KeyError::Invalid)?;
    let len = usize::try_from(u32::from_be_bytes(*len)).map_err(|_| KeyError::Invalid)?;
    if len > rest.len() {
        return Err(KeyError::Invalid);
    }
    let (value, rest) = rest.split_at(len);
    *input = rest;
    Ok(value)
}

fn parse_ssh(b64: Option<&str>) -> Result<RsaKey, KeyError> {
    let wire = base64::engine::general_purpose::STANDARD.decode(b64.ok_or(KeyError::Invalid)?).map_err(|_| KeyError::Invalid)?;
    let mut rest = wire.as_slice();
    if take(&mut rest)? != b"ssh-rsa" {
        return Err(KeyError::Invalid);
    }
    let e = take(&mut rest)?;
    let n = take(&mut rest)?;
    // Negative mpints and trailing bytes are not a key.
    if !rest.is_empty() || e.first().is_some_and(|b| b & 0x80 != 0) || n.first().is_some_and(|b| b & 0x80 != 0) {
        return Err(KeyError::Invalid);
    }
    RsaKey::checked(n, e)
}

fn parse_pem(body: &str) -> Result<RsaKey, KeyError> {
    let (label, der) = pkcs1::der::pem::decode_vec(body.trim().as_bytes()).map_err(|_| KeyError::Invalid)?;
    let pkcs1_der = match label {
        "PUBLIC KEY" => {
            let spki = x509_cert::spki::SubjectPublicKeyInfoRef::from_der(&der).map_err(|_| KeyError::Invalid)?;
            if spki.algorithm.oid != RSA_ENCRYPTION {
                return Err(KeyError::Unrecognized);
            }
            spki.subject_public_key.as_bytes().ok_or(KeyError::Invalid)?.to_vec()
        }
        "RSA PUBLIC KEY" => der,
        _ => return Err(KeyError::Unrecognized),
    };
    let key = pkcs1::RsaPublicKey::from_der(&pkcs1_der).map_err(|_| KeyError::Invalid)?;
    RsaKey::checked(key.modulus.as_bytes(), key.public_exponent.as_bytes())
}

/// Parses an SSH public key body as UploadSSHPublicKey receives it.
pub fn parse(body: &str) -> Result<RsaKey, KeyError> {
    let trimmed = body.trim();
    if trimmed.starts_with("-----BEGIN ") {
        return parse_pem(trimmed);
    }
    let mut tokens = trimmed.split_ascii_whitespace();
    match tokens.next() {
        Some("ssh-rsa") => parse_ssh(tokens.next()),
        _ => Err(KeyError::Unrecognized),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    /// A 2048-bit key made with `ssh-keygen -t rsa -b 2048`; its fingerprint from
    /// `ssh-keygen -l -E md5 -f key.pub` (see `KEY_2048_MD5`).
    pub const KEY_2048: &str = include_str!("../tests/data/rsa2048.pub");
    pub const KEY_2048_PEM: &str = include_str!("../tests/data/rsa2048.pem");
    pub const KEY_2048_MD5: &str = include_str!("../tests/data/rsa2048.md5");
    pub const KEY_1024: &str = include_str!("../tests/data/rsa1024.pub");
    pub const KEY_ED25519: &str = include_str!("../tests/data/ed25519.pub");

    #[test]
    fn ssh_rsa_key_parses_with_ssh_keygens_md5_fingerprint() {
        let key = parse(KEY_2048).unwrap();
        assert_eq!(key.bits(), 2048);
        assert_eq!(key.fingerprint(), KEY_2048_MD5.trim());
        // Re-encoded without the comment.
        let mut parts = KEY_2048.split_whitespace();
        assert_eq!(key.to_ssh(), format!("{} {}", parts.next().unwrap(), parts.next().unwrap()));
    }

    #[test]
    fn pem_and_ssh_forms_are_the_same_key() {
        let ssh = parse(KEY_2048).unwrap();
        let pem = parse(KEY_2048_PEM).unwrap();
        assert_eq!(ssh, pem);
        assert_eq!(ssh.to_pem().trim(), KEY_2048_PEM.trim());
        assert_eq!(parse(&ssh.to_pem()).unwrap(), ssh);
    }

    #[test]
    fn short_malformed_and_other_algorithms_are_refused() {
        assert_eq!(parse(KEY_1024), Err(KeyError::Invalid));
        assert_eq!(parse(KEY_ED25519), Err(KeyError::Unrecognized));
        assert_eq!(parse("hello"), Err(KeyError::Unrecognized));
        assert_eq!(parse("ssh-rsa"), Err(KeyError::Invalid));
        assert_eq!(parse("ssh-rsa not-base64!"), Err(KeyError::Invalid));
        assert_eq!(parse("ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB"), Err(KeyError::Invalid));
        assert_eq!(parse("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"), Err(KeyError::Invalid));
        assert_eq!(parse("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"), Err(KeyError::Unrecognized));
        // Truncated wire form.
        let mut parts = KEY_2048.split_whitespace();
        parts.next();
        let b64 = parts.next().unwrap();
        assert_eq!(parse(&format!("ssh-rsa {}", &b64[..b64.len() - 8])), Err(KeyError::Invalid));
    }
}
