//! HTTPS: the server's certificate and key (PEM files), or a self-signed development
//! certificate made on request. rustls with the ring provider; TLS 1.2 and 1.3; HTTP/1.1.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// Whether a request arrived over TLS (a request extension set by the connection).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Secure(pub(crate) bool);

/// The TLS settings of a server that speaks HTTPS.
#[derive(Clone)]
pub struct Tls {
    pub(crate) acceptor: TlsAcceptor,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").finish_non_exhaustive()
    }
}

impl Tls {
    /// From a PEM certificate chain (the server's certificate first) and a PEM private key
    /// (PKCS#8, PKCS#1 or SEC1).
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self, String> {
        let cert_pem = std::fs::read(cert).map_err(|e| format!("cannot read {}: {e}", cert.display()))?;
        let key_pem = std::fs::read(key).map_err(|e| format!("cannot read {}: {e}", key.display()))?;
        Self::from_pem(&cert_pem, &key_pem).map_err(|e| format!("{} / {}: {e}", cert.display(), key.display()))
    }

    /// From PEM text: the certificate chain, then the private key.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<Self, String> {
        let chain = CertificateDer::pem_slice_iter(cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| "the certificate file is not PEM".to_owned())?;
        if chain.is_empty() {
            return Err("the certificate file holds no certificate".into());
        }
        // Never echo key material: only say what is wrong.
        let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|_| "the key file holds no PEM private key".to_owned())?;
        // ring has no post-quantum key exchange (hence rustls's deprecation note); aws-lc-rs
        // would bring a CMake build of a C library. The classical suites are TLS as usual.
        #[allow(deprecated, reason = "ring's provider: classical key exchange only")]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| format!("the certificate and key do not make a usable pair: {e}"))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self { acceptor: TlsAcceptor::from(Arc::new(config)) })
    }
}

/// A self-signed certificate for development: valid for `localhost`, `127.0.0.1`, `::1` and
/// the extra `names` (DNS names or IP addresses), with rcgen's default validity (1975 to
/// 4096: a development certificate, trusted only by whoever is given it). Returns
/// (certificate PEM, private key PEM).
pub fn self_signed(names: &[String]) -> Result<(String, String), String> {
    let mut subject_alt_names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    for n in names {
        if !n.is_empty() && !subject_alt_names.contains(n) {
            subject_alt_names.push(n.clone());
        }
    }
    let mut params = rcgen::CertificateParams::new(subject_alt_names).map_err(|e| e.to_string())?;
    params.distinguished_name.push(rcgen::DnType::CommonName, "Castellan development certificate");
    let key = rcgen::KeyPair::generate().map_err(|e| e.to_string())?;
    let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
    Ok((cert.pem(), key.serialize_pem()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn a_self_signed_certificate_makes_a_server_config() {
        let (cert, key) = self_signed(&["castellan.test".into()]).unwrap();
        assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(Tls::from_pem(cert.as_bytes(), key.as_bytes()).is_ok());
    }

    #[test]
    fn bad_pem_is_refused_without_echoing_it() {
        let (cert, _) = self_signed(&[]).unwrap();
        let err = Tls::from_pem(cert.as_bytes(), b"-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n").unwrap_err();
        assert!(!err.contains("c2VjcmV0"), "{err}");
        assert!(Tls::from_pem(b"not pem", b"").is_err());
        let (_, other_key) = self_signed(&[]).unwrap();
        assert!(Tls::from_pem(cert.as_bytes(), other_key.as_bytes()).unwrap_err().contains("do not make a usable pair"));
    }
}
