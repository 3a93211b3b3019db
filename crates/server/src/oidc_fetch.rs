//! The HTTPS client that fetches OIDC issuers' discovery documents and key sets for
//! AssumeRoleWithWebIdentity (the domain decides what to fetch and caches it; this only
//! fetches).
//!
//! Trust anchors: the system's certificate store plus the PEM certificates of the file named by
//! `CASTELLAN_CA_BUNDLE`, so a private issuer (a test CA, a cluster's own) works. Each fetch is
//! bounded: HTTPS only, no redirects, no proxy, [`FETCH_TIMEOUT`] for the whole call, at most
//! [`castellan_iam::MAX_OIDC_DOCUMENT`] bytes, status 200 only.
//!
//! A provider's thumbprints are honoured as AWS documents them (UpdateOpenIDConnectProviderThumbprint:
//! "If your OIDC IdP relies on a certificate that is not signed by one of these trusted CAs, only
//! then we secure communication using the thumbprints"): when no trusted CA signed the server's
//! certificate, a handshake that is aborted as soon as the certificates arrive reads the chain
//! the server presents; if the SHA-1 of its top certificate is one of the thumbprints, the fetch
//! is made again trusting that certificate alone as the anchor (so the chain and the host name
//! are still verified against it).

use std::sync::Arc;
use std::time::Duration;

use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

/// The longest a discovery or key-set fetch may take, connection included.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// The option (and its environment variable) naming a PEM file of extra trust anchors, as
/// errors name it.
pub const CA_BUNDLE_VAR: &str = "--ca-bundle (CASTELLAN_CA_BUNDLE)";

#[derive(Debug)]
pub struct Fetcher {
    agent: ureq::Agent,
}

impl Fetcher {
    /// A fetcher trusting the system store and, when given, the certificates of the PEM file
    /// `ca_bundle` (`--ca-bundle`, `CASTELLAN_CA_BUNDLE`). A bundle that cannot be read or holds
    /// no certificate is an error (the server does not start with trust it was not given).
    pub fn new(ca_bundle: Option<&std::path::Path>) -> Result<Fetcher, String> {
        let mut roots: Vec<Certificate<'static>> = Vec::new();
        let native = rustls_native_certs::load_native_certs();
        roots.extend(native.certs.iter().map(|c| Certificate::from_der(c.as_ref()).to_owned()));
        if let Some(path) = ca_bundle.filter(|p| !p.as_os_str().is_empty()) {
            let shown = path.display().to_string();
            let pem = std::fs::read(path).map_err(|e| format!("{CA_BUNDLE_VAR}: cannot read {shown}: {e}"))?;
            let before = roots.len();
            for item in ureq::tls::parse_pem(&pem) {
                match item {
                    Ok(PemItem::Certificate(c)) => roots.push(c),
                    Ok(_) => {}
                    Err(e) => return Err(format!("{CA_BUNDLE_VAR}: {shown} is not valid PEM: {e}")),
                }
            }
            if roots.len() == before {
                return Err(format!("{CA_BUNDLE_VAR}: {shown} holds no certificate"));
            }
        }
        Ok(Fetcher::with_roots(roots))
    }

    fn with_roots(roots: Vec<Certificate<'static>>) -> Fetcher {
        Fetcher { agent: agent(roots) }
    }

    /// One GET with `agent`.
    fn fetch(agent: &ureq::Agent, url: &str) -> Result<Vec<u8>, ureq::Error> {
        let mut response = agent.get(url).header("accept", "application/json").call()?;
        if response.status() != 200 {
            return Err(ureq::Error::StatusCode(response.status().as_u16()));
        }
        let limit = u64::try_from(castellan_iam::MAX_OIDC_DOCUMENT).unwrap_or(u64::MAX);
        response.body_mut().with_config().limit(limit).read_to_vec()
    }
}

/// The bounded HTTPS client trusting `roots`.
fn agent(roots: Vec<Certificate<'static>>) -> ureq::Agent {
    {
        let tls = TlsConfig::builder().root_certs(RootCerts::Specific(Arc::new(roots))).build();
        let config = ureq::Agent::config_builder()
            .https_only(true)
            .max_redirects(0)
            .proxy(None)
            .timeout_global(Some(FETCH_TIMEOUT))
            .user_agent("castellan-oidc")
            .tls_config(tls)
            .build();
        config.into()
    }
}

impl castellan_iam::HttpsFetcher for Fetcher {
    fn get(&self, url: &str, thumbprints: &[String]) -> Result<Vec<u8>, String> {
        if !url.starts_with("https://") {
            return Err("not an https URL".into());
        }
        match Fetcher::fetch(&self.agent, url) {
            Err(e) if !thumbprints.is_empty() && no_trusted_issuer(&e) => {
                let top = top_certificate(url)?;
                let print: String = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &top).as_ref().iter().map(|b| format!("{b:02x}")).collect();
                if !thumbprints.iter().any(|t| t.eq_ignore_ascii_case(&print)) {
                    return Err(format!("no trusted CA signed the certificate, and its thumbprint {print} is not the provider's"));
                }
                Fetcher::fetch(&agent(vec![Certificate::from_der(&top).to_owned()]), url).map_err(|e| e.to_string())
            }
            other => other.map_err(|e| e.to_string()),
        }
    }
}

/// Whether a fetch failed because no trusted CA signed the server's certificate (ureq reports
/// the TLS error itself, or inside the I/O error of the handshake).
fn no_trusted_issuer(e: &ureq::Error) -> bool {
    let unknown = |r: &rustls::Error| matches!(r, rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer));
    match e {
        ureq::Error::Rustls(r) => unknown(r),
        ureq::Error::Io(io) => io.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()).is_some_and(unknown),
        _ => false,
    }
}

/// Records the chain a server presents and refuses it, so the handshake ends there: no data is
/// ever exchanged over a connection it saw.
#[derive(Debug, Default)]
struct CaptureChain(std::sync::Mutex<Vec<Vec<u8>>>);

impl rustls::client::danger::ServerCertVerifier for CaptureChain {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        let mut chain = vec![end_entity.to_vec()];
        chain.extend(intermediates.iter().map(|c| c.to_vec()));
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = chain;
        Err(rustls::Error::General("certificate chain captured".into()))
    }

    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::General("not used".into()))
    }

    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::General("not used".into()))
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        ring_provider().signature_verification_algorithms.supported_schemes()
    }
}

/// rustls's ring provider (the one ureq uses here). Deprecated in rustls for lacking
/// post-quantum key exchange, which does not matter to a handshake that only reads the
/// server's certificates.
#[allow(deprecated)]
fn ring_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// The top certificate of the chain the server of `url` presents (the last one it sends).
fn top_certificate(url: &str) -> Result<Vec<u8>, String> {
    use std::net::ToSocketAddrs as _;
    let authority = url.strip_prefix("https://").and_then(|r| r.split(['/', '?', '#']).next()).unwrap_or_default();
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.contains(']') || h.ends_with(']') => (h, p.parse::<u16>().map_err(|_| "bad port".to_owned())?),
        _ => (authority, 443),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addr = (host, port).to_socket_addrs().map_err(|e| e.to_string())?.next().ok_or("no address")?;
    let mut sock = std::net::TcpStream::connect_timeout(&addr, FETCH_TIMEOUT).map_err(|e| e.to_string())?;
    sock.set_read_timeout(Some(FETCH_TIMEOUT)).map_err(|e| e.to_string())?;
    sock.set_write_timeout(Some(FETCH_TIMEOUT)).map_err(|e| e.to_string())?;
    let capture = Arc::new(CaptureChain::default());
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(ring_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(capture.clone())
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.to_owned()).map_err(|e| e.to_string())?;
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).map_err(|e| e.to_string())?;
    // The handshake ends when the verifier refuses the chain (or on a timeout): a few round trips.
    for _ in 0..16 {
        match conn.complete_io(&mut sock) {
            Ok((0, 0)) | Err(_) => break,
            Ok(_) if !conn.is_handshaking() => break,
            Ok(_) => {}
        }
    }
    let chain = std::mem::take(&mut *capture.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    chain.last().cloned().ok_or_else(|| "the server presented no certificate".to_owned())
}
