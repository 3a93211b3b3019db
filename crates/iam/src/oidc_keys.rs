//! The signing keys of OIDC issuers, found as AWS finds them: the issuer's
//! `/.well-known/openid-configuration`, then its `jwks_uri` — and cached.
//!
//! The HTTPS calls themselves are made by an [`HttpsFetcher`] the edge installs (this crate does
//! no I/O of its own); without one, every fetch fails with `IDPCommunicationError`.
//!
//! Caching: a key set is kept per issuer for [`KEYS_TTL`] seconds. A token whose `kid` the
//! cached set lacks (the issuer rotated its keys) makes it fetch again, at most once per
//! [`REFETCH_INTERVAL`] seconds per issuer, so tokens with made-up key ids cannot make Castellan
//! hammer an issuer. Nothing is cached from a failed fetch: a failure leaves what was cached
//! before (if anything) as it was.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use castellan_jwt::{JwkSet, Token};

use crate::error::{ApiError, ApiResult};

/// How long a fetched key set is used before it is fetched again, in seconds.
pub const KEYS_TTL: i64 = 3600;
/// The shortest time between two fetches of one issuer's keys caused by unknown key ids.
pub const REFETCH_INTERVAL: i64 = 5;
/// The most issuers whose keys are kept.
const MAX_ISSUERS: usize = 1000;
/// The largest discovery document or key set read, in bytes.
pub const MAX_DOCUMENT: usize = castellan_jwt::MAX_JWKS_LEN;

/// Fetches an `https://` URL: the body of a 200 answer, at most [`MAX_DOCUMENT`] bytes, within
/// a bounded time. Any other outcome (refused, timed out, untrusted certificate, redirect,
/// another status, too large) is an error whose text is for the log only.
pub trait HttpsFetcher: Send + Sync + std::fmt::Debug {
    fn get(&self, url: &str) -> Result<Vec<u8>, String>;
}

#[derive(Debug)]
struct Cached {
    keys: Arc<JwkSet>,
    fetched: i64,
}

/// Key sets per issuer.
#[derive(Debug, Default)]
pub struct KeyCache {
    fetcher: OnceLock<Arc<dyn HttpsFetcher>>,
    entries: Mutex<HashMap<String, Cached>>,
}

fn unreachable_idp(issuer: &str) -> ApiError {
    ApiError::IdpCommunicationError(format!(
        "Couldn't connect to the identity provider {issuer} to retrieve its keys. Please try again."
    ))
}

impl KeyCache {
    /// Installs the fetcher (once; later calls are ignored).
    pub fn set_fetcher(&self, fetcher: Arc<dyn HttpsFetcher>) {
        let _ = self.fetcher.set(fetcher);
    }

    /// The keys to verify `token` from `issuer` with, at `now` (Unix seconds).
    pub fn keys_for(&self, issuer: &str, token: &Token<'_>, now: i64) -> ApiResult<Arc<JwkSet>> {
        {
            let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(c) = entries.get(issuer) {
                let fresh = now.saturating_sub(c.fetched) < KEYS_TTL;
                let recent = now.saturating_sub(c.fetched) < REFETCH_INTERVAL;
                if fresh && (token.key_known(&c.keys) || recent) {
                    return Ok(Arc::clone(&c.keys));
                }
            }
        }
        let keys = Arc::new(self.fetch(issuer)?);
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= MAX_ISSUERS && !entries.contains_key(issuer) {
            entries.clear();
        }
        entries.insert(issuer.to_owned(), Cached { keys: Arc::clone(&keys), fetched: now });
        Ok(keys)
    }

    /// Discovery, then the key set.
    fn fetch(&self, issuer: &str) -> ApiResult<JwkSet> {
        let fetcher = self.fetcher.get().ok_or_else(|| unreachable_idp(issuer))?;
        let discovery_url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
        let discovery = fetcher.get(&discovery_url).map_err(|e| {
            tracing::warn!(issuer, error = %e, "OIDC discovery failed");
            unreachable_idp(issuer)
        })?;
        let doc: serde_json::Value = serde_json::from_slice(&discovery).map_err(|_| {
            tracing::warn!(issuer, "OIDC discovery document is not JSON");
            unreachable_idp(issuer)
        })?;
        // OpenID Connect Discovery 1.0 §4.3: the document's issuer must be the one asked for.
        let same_issuer = doc.get("issuer").and_then(|v| v.as_str()).is_some_and(|i| i.trim_end_matches('/') == issuer.trim_end_matches('/'));
        let jwks_uri = doc.get("jwks_uri").and_then(|v| v.as_str()).filter(|u| u.starts_with("https://"));
        let (true, Some(jwks_uri)) = (same_issuer, jwks_uri) else {
            tracing::warn!(issuer, "OIDC discovery document names another issuer or no https jwks_uri");
            return Err(unreachable_idp(issuer));
        };
        let jwks = fetcher.get(jwks_uri).map_err(|e| {
            tracing::warn!(issuer, error = %e, "fetching the OIDC key set failed");
            unreachable_idp(issuer)
        })?;
        JwkSet::parse(&jwks).map_err(|e| {
            tracing::warn!(issuer, error = %e, "the OIDC key set is malformed");
            ApiError::InvalidIdentityToken(
                "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements".into(),
            )
        })
    }
}
