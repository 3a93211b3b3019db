//! The HTTPS client that fetches OIDC issuers' discovery documents and key sets for
//! AssumeRoleWithWebIdentity (the domain decides what to fetch and caches it; this only
//! fetches).
//!
//! Trust anchors: the system's certificate store plus the PEM certificates of the file named by
//! `CASTELLAN_CA_BUNDLE`, so a private issuer (a test CA, a cluster's own) works. Each fetch is
//! bounded: HTTPS only, no redirects, no proxy, [`FETCH_TIMEOUT`] for the whole call, at most
//! [`castellan_iam::MAX_OIDC_DOCUMENT`] bytes, status 200 only.

use std::sync::Arc;
use std::time::Duration;

use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

/// The longest a discovery or key-set fetch may take, connection included.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// The environment variable naming a PEM file of extra trust anchors.
pub const CA_BUNDLE_VAR: &str = "CASTELLAN_CA_BUNDLE";

#[derive(Debug)]
pub struct Fetcher {
    agent: ureq::Agent,
}

impl Fetcher {
    /// A fetcher trusting the system store and, when `CASTELLAN_CA_BUNDLE` is set, that file's
    /// certificates. A bundle that cannot be read or holds no certificate is an error (the
    /// server does not start with trust it was not given).
    pub fn from_env() -> Result<Fetcher, String> {
        let mut roots: Vec<Certificate<'static>> = Vec::new();
        let native = rustls_native_certs::load_native_certs();
        roots.extend(native.certs.iter().map(|c| Certificate::from_der(c.as_ref()).to_owned()));
        if let Some(path) = std::env::var_os(CA_BUNDLE_VAR).filter(|p| !p.is_empty()) {
            let shown = std::path::Path::new(&path).display().to_string();
            let pem = std::fs::read(&path).map_err(|e| format!("{CA_BUNDLE_VAR}: cannot read {shown}: {e}"))?;
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
        let tls = TlsConfig::builder().root_certs(RootCerts::Specific(Arc::new(roots))).build();
        let config = ureq::Agent::config_builder()
            .https_only(true)
            .max_redirects(0)
            .proxy(None)
            .timeout_global(Some(FETCH_TIMEOUT))
            .user_agent("castellan-oidc")
            .tls_config(tls)
            .build();
        Fetcher { agent: config.into() }
    }
}

impl castellan_iam::HttpsFetcher for Fetcher {
    fn get(&self, url: &str) -> Result<Vec<u8>, String> {
        if !url.starts_with("https://") {
            return Err("not an https URL".into());
        }
        let mut response = self.agent.get(url).header("accept", "application/json").call().map_err(|e| e.to_string())?;
        if response.status() != 200 {
            return Err(format!("HTTP status {}", response.status()));
        }
        let limit = u64::try_from(castellan_iam::MAX_OIDC_DOCUMENT).unwrap_or(u64::MAX);
        response.body_mut().with_config().limit(limit).read_to_vec().map_err(|e| e.to_string())
    }
}
