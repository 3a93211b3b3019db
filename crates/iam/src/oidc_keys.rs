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
//! before (if anything) as it was. Requests that need keys a fetch is already getting wait
//! for that fetch (one fetch per issuer at a time; see [`Flight`]).

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use castellan_jwt::{JwkSet, Token};

use crate::error::{ApiError, ApiResult};
use crate::messages;

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
///
/// `thumbprints` are the provider's (lowercase hex SHA-1): as AWS documents
/// (UpdateOpenIDConnectProviderThumbprint), they are used only when the server's certificate
/// is not signed by a trusted certificate authority — then the top certificate of the chain
/// the server presents must have one of them.
pub trait HttpsFetcher: Send + Sync + std::fmt::Debug {
    fn get(&self, url: &str, thumbprints: &[String]) -> Result<Vec<u8>, String>;
}

#[derive(Debug)]
struct Cached {
    keys: Arc<JwkSet>,
    fetched: i64,
}

/// How long a request waits for another's fetch of the same keys before giving up (each fetch
/// is bounded by the fetcher's own timeout, well under this).
const FLIGHT_WAIT: Duration = Duration::from_secs(30);

/// A fetch in progress: requests that need the same keys meanwhile wait for its outcome rather
/// than fetching again, so an issuer sees one fetch at a time from a node, and a slow or failing
/// issuer is asked once for all of them. The outcome, success or failure, is shared only with
/// those already waiting; a failure is never cached.
#[derive(Debug, Default)]
struct Flight {
    outcome: Mutex<Option<ApiResult<Arc<JwkSet>>>>,
    done: Condvar,
}

/// Key sets per issuer.
#[derive(Debug, Default)]
pub struct KeyCache {
    fetcher: OnceLock<Arc<dyn HttpsFetcher>>,
    entries: Mutex<HashMap<String, Cached>>,
    flights: Mutex<HashMap<String, Arc<Flight>>>,
}

fn unreachable_idp(issuer: &str) -> ApiError {
    messages::idp_unreachable(issuer)
}

impl KeyCache {
    /// Installs the fetcher (once; later calls are ignored).
    pub fn set_fetcher(&self, fetcher: Arc<dyn HttpsFetcher>) {
        let _ = self.fetcher.set(fetcher);
    }

    /// The keys to verify `token` from `issuer` with, at `now` (Unix seconds), fetched trusting
    /// the certificate authorities or, failing them, `thumbprints`. Keys fetched on the
    /// strength of some thumbprints are cached for those thumbprints only (another account's
    /// provider of the same issuer may not trust them).
    pub fn keys_for(&self, issuer: &str, thumbprints: &[String], token: &Token<'_>, now: i64) -> ApiResult<Arc<JwkSet>> {
        let mut sorted = thumbprints.to_vec();
        sorted.sort();
        let cache_key = format!("{issuer}\n{}", sorted.join(","));
        {
            let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(c) = entries.get(&cache_key) {
                let fresh = now.saturating_sub(c.fetched) < KEYS_TTL;
                let recent = now.saturating_sub(c.fetched) < REFETCH_INTERVAL;
                if fresh && (token.key_known(&c.keys) || recent) {
                    return Ok(Arc::clone(&c.keys));
                }
            }
        }
        let (flight, leader) = {
            let mut flights = self.flights.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            match flights.get(&cache_key) {
                Some(f) => (Arc::clone(f), false),
                None => {
                    let f = Arc::new(Flight::default());
                    flights.insert(cache_key.clone(), Arc::clone(&f));
                    (f, true)
                }
            }
        };
        if !leader {
            let outcome = flight.outcome.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let (outcome, _) = flight
                .done
                .wait_timeout_while(outcome, FLIGHT_WAIT, |o| o.is_none())
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            return outcome.clone().unwrap_or_else(|| Err(unreachable_idp(issuer)));
        }
        let result = self.fetch(issuer, thumbprints).map(Arc::new);
        if let Ok(keys) = &result {
            let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if entries.len() >= MAX_ISSUERS && !entries.contains_key(&cache_key) {
                entries.clear();
            }
            entries.insert(cache_key.clone(), Cached { keys: Arc::clone(keys), fetched: now });
        }
        *flight.outcome.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(result.clone());
        flight.done.notify_all();
        self.flights.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&cache_key);
        result
    }

    /// Discovery, then the key set.
    fn fetch(&self, issuer: &str, thumbprints: &[String]) -> ApiResult<JwkSet> {
        let fetcher = self.fetcher.get().ok_or_else(|| unreachable_idp(issuer))?;
        let discovery_url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
        let discovery = fetcher.get(&discovery_url, thumbprints).map_err(|e| {
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
        let jwks = fetcher.get(jwks_uri, thumbprints).map_err(|e| {
            tracing::warn!(issuer, error = %e, "fetching the OIDC key set failed");
            unreachable_idp(issuer)
        })?;
        JwkSet::parse(&jwks).map_err(|e| {
            tracing::warn!(issuer, error = %e, "the OIDC key set is malformed");
            messages::verification_key_unavailable()
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;

    use super::*;

    const ISSUER: &str = "https://idp.example.com";

    /// An issuer that counts its key-set fetches, can fail, and publishes the kids it is told.
    #[derive(Debug, Default)]
    struct FakeIssuer {
        fetches: AtomicUsize,
        down: AtomicBool,
        kids: Mutex<Vec<String>>,
        thumbprint_only: AtomicBool,
    }

    impl HttpsFetcher for FakeIssuer {
        fn get(&self, url: &str, thumbprints: &[String]) -> Result<Vec<u8>, String> {
            if self.down.load(Ordering::SeqCst) || (self.thumbprint_only.load(Ordering::SeqCst) && thumbprints.is_empty()) {
                return Err("down".into());
            }
            if url.ends_with("/.well-known/openid-configuration") {
                return Ok(format!(r#"{{"issuer":"{ISSUER}","jwks_uri":"{ISSUER}/keys"}}"#).into_bytes());
            }
            self.fetches.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(50));
            let keys: Vec<String> = self.kids.lock().unwrap().iter().map(|k| format!(r#"{{"kty":"RSA","kid":"{k}","n":"AQAB","e":"AQAB"}}"#)).collect();
            Ok(format!(r#"{{"keys":[{}]}}"#, keys.join(",")).into_bytes())
        }
    }

    fn token(kid: &str) -> String {
        let h = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"RS256","kid":"{kid}"}}"#));
        let p = URL_SAFE_NO_PAD.encode(format!(r#"{{"iss":"{ISSUER}"}}"#));
        format!("{h}.{p}.AAAA")
    }

    fn cache() -> (KeyCache, Arc<FakeIssuer>) {
        let issuer = Arc::new(FakeIssuer::default());
        issuer.kids.lock().unwrap().push("k1".into());
        let cache = KeyCache::default();
        cache.set_fetcher(issuer.clone());
        (cache, issuer)
    }

    fn get(cache: &KeyCache, kid: &str, thumbprints: &[String], now: i64) -> ApiResult<Arc<JwkSet>> {
        let t = token(kid);
        cache.keys_for(ISSUER, thumbprints, &Token::parse(&t).unwrap(), now)
    }

    #[test]
    fn keys_are_cached_and_refetched_for_an_unknown_kid() {
        let (cache, issuer) = cache();
        assert!(get(&cache, "k1", &[], 1000).unwrap().has_kid("k1"));
        get(&cache, "k1", &[], 1001).unwrap();
        assert_eq!(issuer.fetches.load(Ordering::SeqCst), 1, "cached");
        // The issuer rotates: a token with the new kid within REFETCH_INTERVAL uses the cache...
        issuer.kids.lock().unwrap().push("k2".into());
        assert!(!get(&cache, "k2", &[], 1002).unwrap().has_kid("k2"));
        assert_eq!(issuer.fetches.load(Ordering::SeqCst), 1);
        // ...and after it, fetches again.
        assert!(get(&cache, "k2", &[], 1000 + REFETCH_INTERVAL).unwrap().has_kid("k2"));
        assert_eq!(issuer.fetches.load(Ordering::SeqCst), 2);
        // After KEYS_TTL even a known kid fetches again.
        get(&cache, "k1", &[], 1000 + REFETCH_INTERVAL + KEYS_TTL).unwrap();
        assert_eq!(issuer.fetches.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn nothing_is_cached_from_a_failed_fetch() {
        let (cache, issuer) = cache();
        issuer.down.store(true, Ordering::SeqCst);
        assert_eq!(get(&cache, "k1", &[], 1000).unwrap_err().code(), "IDPCommunicationError");
        issuer.down.store(false, Ordering::SeqCst);
        assert!(get(&cache, "k1", &[], 1000).is_ok());
        assert_eq!(issuer.fetches.load(Ordering::SeqCst), 1);
        // A failed refresh keeps the good keys cached before it.
        issuer.down.store(true, Ordering::SeqCst);
        assert!(get(&cache, "k9", &[], 1000 + REFETCH_INTERVAL).is_err());
        assert!(get(&cache, "k1", &[], 1000 + REFETCH_INTERVAL).unwrap().has_kid("k1"));
    }

    #[test]
    fn keys_fetched_on_a_thumbprint_serve_only_that_thumbprint() {
        let (cache, issuer) = cache();
        issuer.thumbprint_only.store(true, Ordering::SeqCst);
        let print = vec!["a".repeat(40)];
        assert!(get(&cache, "k1", &print, 1000).is_ok());
        assert_eq!(get(&cache, "k1", &[], 1000).unwrap_err().code(), "IDPCommunicationError");
    }

    /// Concurrent requests for keys not cached make one fetch between them.
    #[test]
    fn one_fetch_at_a_time_per_issuer() {
        let (cache, issuer) = cache();
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| get(&cache, "k1", &[], 1000).unwrap());
            }
        });
        assert_eq!(issuer.fetches.load(Ordering::SeqCst), 1);
        assert!(cache.flights.lock().unwrap().is_empty());
    }
}
