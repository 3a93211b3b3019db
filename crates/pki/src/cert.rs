//! X.509 certificates as UploadSigningCertificate and UploadServerCertificate take them: PEM
//! `CERTIFICATE` blocks, parsed with the `x509-cert` crate (RustCrypto). Only what IAM needs is
//! read out: the DER (for duplicates: its SHA-1 thumbprint), the validity period (IAM refuses an
//! expired certificate: `MalformedCertificate`, "the certificate was malformed or expired") and
//! the subject public key (to match a server certificate's private key).
//!
//! Pure: no I/O and no clock (callers compare the validity with their time). Input is bounded
//! before it is parsed: [`MAX_PEM_LEN`] characters and [`MAX_CHAIN`] certificates.

use sha1::Digest as _;
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::{Decode as _, DecodePem as _, Encode as _};

/// The longest PEM text parsed: the model's limit on a certificate chain (2,097,152), the
/// longest of IAM's certificate parameters.
pub const MAX_PEM_LEN: usize = 2_097_152;
/// The most certificates a chain may hold.
pub const MAX_CHAIN: usize = 16;

/// What was read out of one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cert {
    /// SHA-1 of the DER, lowercase hex: the certificate's thumbprint.
    pub thumbprint: String,
    /// Validity, Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
    /// The SubjectPublicKeyInfo, DER.
    pub public_key: Vec<u8>,
}

/// Why a certificate was refused: not PEM, not one certificate, not X.509.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

fn secs(t: x509_cert::time::Time) -> i64 {
    i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
}

fn read(c: &x509_cert::Certificate) -> Result<Cert, Malformed> {
    let der = c.to_der().map_err(|_| Malformed)?;
    let tbs = &c.tbs_certificate;
    Ok(Cert {
        thumbprint: sha1::Sha1::digest(&der).iter().map(|b| format!("{b:02x}")).collect(),
        not_before: secs(tbs.validity.not_before),
        not_after: secs(tbs.validity.not_after),
        public_key: tbs.subject_public_key_info.to_der().map_err(|_| Malformed)?,
    })
}

/// Parses exactly one PEM `CERTIFICATE` block (surrounding white space allowed).
pub fn parse(pem: &str) -> Result<Cert, Malformed> {
    let text = pem.trim();
    if text.len() > MAX_PEM_LEN || text.matches("-----BEGIN ").count() != 1 {
        return Err(Malformed);
    }
    read(&x509_cert::Certificate::from_pem(text.as_bytes()).map_err(|_| Malformed)?)
}

/// Parses a chain: one or more PEM `CERTIFICATE` blocks, at most [`MAX_CHAIN`].
pub fn parse_chain(pem: &str) -> Result<Vec<Cert>, Malformed> {
    let text = pem.trim();
    let blocks = text.matches("-----BEGIN ").count();
    if text.len() > MAX_PEM_LEN || blocks == 0 || blocks > MAX_CHAIN || text.matches("-----BEGIN CERTIFICATE-----").count() != blocks {
        return Err(Malformed);
    }
    x509_cert::Certificate::load_pem_chain(text.as_bytes()).map_err(|_| Malformed)?.iter().map(read).collect()
}

/// Why a server certificate's private key was refused: not an unencrypted PEM private key of
/// a kind IAM takes (`MalformedCertificate`), or not the key of the certificate
/// (`KeyPairMismatch`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyProblem {
    Malformed,
    Mismatch,
}

/// The longest private key PEM parsed (the model's limit on `PrivateKey`).
pub const MAX_KEY_LEN: usize = 16384;

const RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");

/// The public half of a private key, in the terms a certificate's SubjectPublicKeyInfo uses.
#[derive(Debug, PartialEq, Eq)]
enum PublicHalf {
    /// Modulus and exponent, without leading zeros.
    Rsa(Vec<u8>, Vec<u8>),
    /// The named curve (when the key names it) and the encoded point.
    Ec(Option<ObjectIdentifier>, Vec<u8>),
}

fn strip(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default().to_vec()
}

/// One DER element (tag, contents) from the front of `input`; definite lengths only.
fn tlv<'a>(input: &mut &'a [u8]) -> Option<(u8, &'a [u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let (bytes, after) = rest.split_at(n);
        rest = after;
        bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
    };
    if len > rest.len() {
        return None;
    }
    let (contents, after) = rest.split_at(len);
    *input = after;
    Some((tag, contents))
}

/// SEC1 `ECPrivateKey` (RFC 5915): version 1, the private key, optional [0] curve, optional
/// [1] public key. Without the public key the pair cannot be matched: refused as malformed.
fn sec1_public(der: &[u8]) -> Result<PublicHalf, KeyProblem> {
    let mut outer = der;
    let (0x30, mut seq) = tlv(&mut outer).ok_or(KeyProblem::Malformed)? else { return Err(KeyProblem::Malformed) };
    if !outer.is_empty() || tlv(&mut seq) != Some((0x02, &[1][..])) || tlv(&mut seq).map(|(t, _)| t) != Some(0x04) {
        return Err(KeyProblem::Malformed);
    }
    let (mut curve, mut point) = (None, None);
    while !seq.is_empty() {
        match tlv(&mut seq).ok_or(KeyProblem::Malformed)? {
            (0xa0, mut inner) => {
                let (0x06, oid) = tlv(&mut inner).ok_or(KeyProblem::Malformed)? else { return Err(KeyProblem::Malformed) };
                curve = Some(ObjectIdentifier::from_bytes(oid).map_err(|_| KeyProblem::Malformed)?);
            }
            (0xa1, mut inner) => match tlv(&mut inner).ok_or(KeyProblem::Malformed)? {
                (0x03, [0, bits @ ..]) if !bits.is_empty() => point = Some(bits.to_vec()),
                _ => return Err(KeyProblem::Malformed),
            },
            _ => return Err(KeyProblem::Malformed),
        }
    }
    Ok(PublicHalf::Ec(curve, point.ok_or(KeyProblem::Malformed)?))
}

fn rsa_public(der: &[u8]) -> Result<PublicHalf, KeyProblem> {
    let k = pkcs1::RsaPrivateKey::from_der(der).map_err(|_| KeyProblem::Malformed)?;
    Ok(PublicHalf::Rsa(strip(k.modulus.as_bytes()), strip(k.public_exponent.as_bytes())))
}

fn private_key_public_half(pem: &str) -> Result<PublicHalf, KeyProblem> {
    let text = pem.trim();
    if text.len() > MAX_KEY_LEN {
        return Err(KeyProblem::Malformed);
    }
    let (label, der) = x509_cert::der::pem::decode_vec(text.as_bytes()).map_err(|_| KeyProblem::Malformed)?;
    match label {
        "RSA PRIVATE KEY" => rsa_public(&der),
        "EC PRIVATE KEY" => sec1_public(&der),
        "PRIVATE KEY" => {
            let info = pkcs8::PrivateKeyInfo::try_from(der.as_slice()).map_err(|_| KeyProblem::Malformed)?;
            match info.algorithm.oid {
                RSA => rsa_public(info.private_key),
                EC => {
                    let named = info.algorithm.parameters_oid().ok();
                    match sec1_public(info.private_key)? {
                        PublicHalf::Ec(curve, point) => Ok(PublicHalf::Ec(curve.or(named), point)),
                        other @ PublicHalf::Rsa(..) => Ok(other),
                    }
                }
                _ => Err(KeyProblem::Malformed),
            }
        }
        _ => Err(KeyProblem::Malformed),
    }
}

/// Checks that `private_key` (PEM: PKCS#1 `RSA PRIVATE KEY`, SEC1 `EC PRIVATE KEY` or PKCS#8
/// `PRIVATE KEY`, unencrypted) is the private half of the certificate's public key
/// (`cert.public_key`, a SubjectPublicKeyInfo).
pub fn check_private_key(private_key: &str, cert_public_key: &[u8]) -> Result<(), KeyProblem> {
    let key = private_key_public_half(private_key)?;
    let spki = x509_cert::spki::SubjectPublicKeyInfoRef::from_der(cert_public_key).map_err(|_| KeyProblem::Mismatch)?;
    let bits = spki.subject_public_key.as_bytes().ok_or(KeyProblem::Mismatch)?;
    let cert = match spki.algorithm.oid {
        RSA => {
            let k = pkcs1::RsaPublicKey::from_der(bits).map_err(|_| KeyProblem::Mismatch)?;
            PublicHalf::Rsa(strip(k.modulus.as_bytes()), strip(k.public_exponent.as_bytes()))
        }
        EC => PublicHalf::Ec(spki.algorithm.parameters_oid().ok(), bits.to_vec()),
        _ => return Err(KeyProblem::Mismatch),
    };
    let same = match (&key, &cert) {
        // A key that does not name its curve is matched by its point alone.
        (PublicHalf::Ec(None, p), PublicHalf::Ec(_, q)) => p == q,
        _ => key == cert,
    };
    if same {
        Ok(())
    } else {
        Err(KeyProblem::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    /// Made with `openssl req -x509 -newkey rsa:2048 -days 3650 -subj /CN=castellan-test`.
    const CERT: &str = include_str!("../tests/data/cert.pem");
    /// Its SHA-1 thumbprint (`openssl x509 -noout -fingerprint -sha1`) and validity
    /// (`-startdate -enddate`, as Unix seconds).
    const CERT_INFO: &str = include_str!("../tests/data/cert.info");

    #[test]
    fn a_certificate_is_read_as_openssl_reads_it() {
        let c = parse(CERT).unwrap();
        let mut info = CERT_INFO.split_whitespace();
        assert_eq!(c.thumbprint, info.next().unwrap());
        assert_eq!(c.not_before, info.next().unwrap().parse::<i64>().unwrap());
        assert_eq!(c.not_after, info.next().unwrap().parse::<i64>().unwrap());
        assert!(!c.public_key.is_empty());
        assert_eq!(parse(&format!("\n\n{CERT}\n")).unwrap(), c);
        assert_eq!(parse_chain(&format!("{CERT}\n{CERT}")).unwrap(), vec![c.clone(), c]);
    }

    /// Keys made with openssl: the certificate's own (PKCS#8 and PKCS#1 forms), another RSA
    /// key, and an EC P-256 certificate with its key (SEC1 and PKCS#8 forms).
    const KEY_PKCS8: &str = include_str!("../tests/data/cert.key");
    const KEY_PKCS1: &str = include_str!("../tests/data/cert.rsa.key");
    const OTHER_KEY: &str = include_str!("../tests/data/other.key");
    const EC_CERT: &str = include_str!("../tests/data/ec.pem");
    const EC_KEY_SEC1: &str = include_str!("../tests/data/ec.key");
    const EC_KEY_PKCS8: &str = include_str!("../tests/data/ec.p8.key");

    #[test]
    fn private_keys_are_matched_to_their_certificate() {
        let rsa = parse(CERT).unwrap();
        let ec = parse(EC_CERT).unwrap();
        assert_eq!(check_private_key(KEY_PKCS8, &rsa.public_key), Ok(()));
        assert_eq!(check_private_key(KEY_PKCS1, &rsa.public_key), Ok(()));
        assert_eq!(check_private_key(OTHER_KEY, &rsa.public_key), Err(KeyProblem::Mismatch));
        assert_eq!(check_private_key(EC_KEY_SEC1, &ec.public_key), Ok(()));
        assert_eq!(check_private_key(EC_KEY_PKCS8, &ec.public_key), Ok(()));
        assert_eq!(check_private_key(EC_KEY_SEC1, &rsa.public_key), Err(KeyProblem::Mismatch));
        assert_eq!(check_private_key(KEY_PKCS8, &ec.public_key), Err(KeyProblem::Mismatch));
        for bad in ["", "hello", CERT, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", &KEY_PKCS8.replace("PRIVATE KEY", "ENCRYPTED PRIVATE KEY")] {
            assert_eq!(check_private_key(bad, &rsa.public_key), Err(KeyProblem::Malformed), "{bad}");
        }
    }

    #[test]
    fn anything_else_is_malformed() {
        let b64_start = CERT.find('\n').unwrap() + 1;
        let cases = [
            String::new(),
            "hello".into(),
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----".into(),
            CERT.replace("CERTIFICATE", "PUBLIC KEY"),
            format!("{CERT}\n{CERT}"),
            // A damaged body: one base64 character changed.
            format!("{}{}{}", &CERT[..b64_start + 10], if &CERT[b64_start + 10..b64_start + 11] == "A" { "B" } else { "A" }, &CERT[b64_start + 11..]),
            // A truncated body.
            format!("{}\n-----END CERTIFICATE-----", &CERT[..CERT.len() / 2]),
        ];
        for case in &cases {
            assert_eq!(parse(case), Err(Malformed), "{case}");
        }
        assert_eq!(parse_chain(""), Err(Malformed));
        assert_eq!(parse_chain(&CERT.repeat(MAX_CHAIN + 1)), Err(Malformed));
        assert_eq!(parse(&"A".repeat(MAX_PEM_LEN + 1)), Err(Malformed));
    }
}
