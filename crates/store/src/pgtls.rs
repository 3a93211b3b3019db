//! TLS to PostgreSQL, as the connection string asks for it with libpq's `sslmode`:
//!
//! - absent, `disable`, `prefer`: no TLS (as before; `prefer` falls back to plain here);
//! - `require`: TLS, the server's certificate not checked — unless `sslrootcert` is given,
//!   when it is checked as for `verify-ca` (libpq does the same);
//! - `verify-ca`: TLS, the certificate must chain to `sslrootcert`;
//! - `verify-full`: as `verify-ca`, and the certificate must name the host connected to.
//!
//! `sslrootcert=FILE` (PEM, one or more CA certificates) defaults to
//! `~/.postgresql/root.crt`, as in libpq. rustls with the ring provider.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

/// What the connection string asks of TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mode {
    /// No TLS.
    Plain,
    /// TLS without checking the certificate.
    Encrypt,
    /// TLS; the certificate must chain to the roots in the file.
    VerifyCa(String),
    /// TLS; the certificate must chain to the roots and name the host.
    VerifyFull(String),
}

/// Splits `sslmode` and `sslrootcert` off a connection string (URL or `key=value` form),
/// returning the rest (for `postgres::Config`, which knows neither `verify-ca`,
/// `verify-full` nor `sslrootcert`) and the mode.
pub(crate) fn split(url: &str) -> Result<(String, Mode), String> {
    let mut sslmode = None;
    let mut rootcert = None;
    let rest = if let Some((base, query)) = url.split_once('?').filter(|_| url.contains("://")) {
        let mut kept = Vec::new();
        for pair in query.split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let value = || percent_decode(v);
            match k {
                "sslmode" => sslmode = Some(value()?),
                "sslrootcert" => rootcert = Some(value()?),
                _ => kept.push(pair),
            }
        }
        if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        }
    } else if url.contains("://") {
        url.to_owned()
    } else {
        let mut kept = Vec::new();
        for token in url.split_whitespace() {
            match token.split_once('=') {
                Some(("sslmode", v)) => sslmode = Some(v.trim_matches('\'').to_owned()),
                Some(("sslrootcert", v)) => rootcert = Some(v.trim_matches('\'').to_owned()),
                _ => kept.push(token),
            }
        }
        kept.join(" ")
    };
    let default_root = || {
        std::env::var("HOME").map(|h| format!("{h}/.postgresql/root.crt")).unwrap_or_else(|_| ".postgresql/root.crt".into())
    };
    let mode = match sslmode.as_deref() {
        None | Some("disable" | "allow" | "prefer") => Mode::Plain,
        Some("require") => rootcert.map_or(Mode::Encrypt, Mode::VerifyCa),
        Some("verify-ca") => Mode::VerifyCa(rootcert.unwrap_or_else(default_root)),
        Some("verify-full") => Mode::VerifyFull(rootcert.unwrap_or_else(default_root)),
        Some(other) => return Err(format!("sslmode={other} is not one of disable, allow, prefer, require, verify-ca, verify-full")),
    };
    Ok((rest, mode))
}

fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
            out.push(hex.ok_or_else(|| "a malformed %-escape in the connection string".to_owned())?);
            i += 3;
        } else {
            out.push(if b == b'+' { b' ' } else { b });
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the connection string is not UTF-8".to_owned())
}

fn provider() -> Arc<CryptoProvider> {
    // ring has no post-quantum key exchange (hence rustls's deprecation note): classical TLS.
    #[allow(deprecated, reason = "ring's provider: classical key exchange only")]
    let provider = rustls::crypto::ring::default_provider();
    Arc::new(provider)
}

/// The connector for a TLS mode (None for [`Mode::Plain`]).
pub(crate) fn connector(mode: &Mode) -> Result<Option<MakeRustlsConnect>, String> {
    let provider = provider();
    let verifier: Arc<dyn ServerCertVerifier> = match mode {
        Mode::Plain => return Ok(None),
        Mode::Encrypt => Arc::new(Unchecked(Arc::clone(&provider))),
        Mode::VerifyCa(file) => Arc::new(IgnoreName(web_pki(file, &provider)?)),
        Mode::VerifyFull(file) => web_pki(file, &provider)?,
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Some(MakeRustlsConnect::new(config)))
}

fn web_pki(file: &str, provider: &Arc<CryptoProvider>) -> Result<Arc<WebPkiServerVerifier>, String> {
    let pem = std::fs::read(file).map_err(|e| format!("cannot read sslrootcert {file}: {e}"))?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|_| format!("sslrootcert {file} is not PEM"))?;
        roots.add(cert).map_err(|e| format!("sslrootcert {file}: {e}"))?;
    }
    if roots.is_empty() {
        return Err(format!("sslrootcert {file} holds no certificate"));
    }
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(provider)).build().map_err(|e| e.to_string())
}

/// `sslmode=require`: any certificate (the handshake's signatures are still checked).
#[derive(Debug)]
struct Unchecked(Arc<CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `sslmode=verify-ca`: the chain is checked, the name is not.
#[derive(Debug)]
struct IgnoreName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for IgnoreName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        match self.0.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(Error::InvalidCertificate(CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. })) => {
                Ok(ServerCertVerified::assertion())
            }
            other => other,
        }
    }

    fn verify_tls12_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "tests")]
    use super::*;

    #[test]
    fn sslmode_and_sslrootcert_are_taken_off_the_url() {
        let (rest, mode) = split("postgres://u:p@h:5432/db?sslmode=verify-full&sslrootcert=%2Ftmp%2Fca.pem&application_name=x").unwrap();
        assert_eq!(rest, "postgres://u:p@h:5432/db?application_name=x");
        assert_eq!(mode, Mode::VerifyFull("/tmp/ca.pem".into()));
        let (rest, mode) = split("postgres://h/db?sslmode=require").unwrap();
        assert_eq!((rest.as_str(), mode), ("postgres://h/db", Mode::Encrypt));
        assert_eq!(split("postgres://h/db?sslmode=require&sslrootcert=ca").unwrap().1, Mode::VerifyCa("ca".into()));
        assert_eq!(split("postgres://h/db").unwrap(), ("postgres://h/db".into(), Mode::Plain));
        assert_eq!(split("postgres://h/db?sslmode=disable").unwrap().1, Mode::Plain);
        let (rest, mode) = split("host=h dbname=d sslmode=verify-ca sslrootcert=/ca.pem").unwrap();
        assert_eq!((rest.as_str(), mode), ("host=h dbname=d", Mode::VerifyCa("/ca.pem".into())));
        assert!(split("postgres://h/db?sslmode=bogus").is_err());
        assert!(split("postgres://h/db?sslmode=%zz").is_err());
    }

    #[test]
    fn a_missing_root_certificate_file_is_an_error() {
        let Err(e) = connector(&Mode::VerifyFull("/nonexistent/ca.pem".into())) else { panic!("a missing file was accepted") };
        assert!(e.contains("cannot read sslrootcert"), "{e}");
        assert!(connector(&Mode::Plain).unwrap().is_none());
        assert!(connector(&Mode::Encrypt).unwrap().is_some());
    }
}
