//! X.509 certificates as UploadSigningCertificate and UploadServerCertificate take them: PEM
//! `CERTIFICATE` blocks, parsed with the `x509-cert` crate (RustCrypto). Only what IAM needs is
//! read out: the DER (for duplicates: its SHA-1 thumbprint), the validity period (IAM refuses an
//! expired certificate: `MalformedCertificate`, "the certificate was malformed or expired") and
//! the subject public key (to match a server certificate's private key).
//!
//! Pure: no I/O and no clock (callers compare the validity with their time). Input is bounded
//! before it is parsed: [`MAX_PEM_LEN`] characters and [`MAX_CHAIN`] certificates.

use sha1::Digest as _;
use x509_cert::der::{DecodePem as _, Encode as _};

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
