//! Outbound identity federation: Castellan as an OIDC issuer. EnableOutboundWebIdentityFederation,
//! DisableOutboundWebIdentityFederation, GetOutboundWebIdentityFederationInfo (IAM) and
//! GetWebIdentityToken (STS), as the IAM and STS API References and the IAM User Guide
//! ("Understanding token claims") describe them; the per-account discovery document and JWKS
//! the edge serves come from here too.
//!
//! The issuer is `<base>/oidc/<issuer id>`: `<base>` is where verifiers reach this server
//! ([`Iam::set_issuer_base`]), the id a random UUID kept for the account across disable and
//! enable. Signing keys (one per algorithm in use, RS256 or ES384) are made on first use,
//! sealed under the master key at rest, and rotated with overlap: a key older than
//! [`ROTATE_AFTER`] is replaced by a new one for signing, and stays published in the JWKS for
//! [`OVERLAP`] more, longer than any token it signed can live.

use castellan_api::{iam, sts};
use castellan_jwt::{Alg, SigningKey};
use serde_json::{json, Map, Value};

use super::ts;
use crate::error::{ApiError, ApiResult};
use crate::messages;
use crate::model::{Change, OutboundFederation, Record, SealedSigningKey};
use crate::{Caller, Iam, Principal};

/// A signing key signs for 30 days…
pub const ROTATE_AFTER: i64 = 30 * 86_400;
/// …and is published for one more day after it is replaced (tokens live at most an hour).
pub const OVERLAP: i64 = 86_400;
/// GetWebIdentityToken: 300 seconds unless asked (its DurationSeconds documentation).
const DEFAULT_DURATION: i32 = 300;
/// The largest token payload issued, in bytes (Castellan's bound; AWS does not publish one).
pub const MAX_PAYLOAD: usize = 8192;
const CLAIMS_NAMESPACE: &str = "https://sts.amazonaws.com/";

fn seal_context(account: &str, kid: &str) -> String {
    format!("castellan-outbound-key:{account}:{kid}")
}

fn disabled() -> ApiError {
    messages::outbound_federation_disabled()
}

impl Iam {
    /// Where verifiers reach this server (`https://iam.example.com`, or `http://127.0.0.1:4260`):
    /// the base of every account's issuer URL. Set once, before serving.
    pub fn set_issuer_base(&self, base: &str) {
        let _ = self.issuer_base.set(base.trim_end_matches('/').to_owned());
    }

    fn issuer_url(&self, issuer_id: &str) -> String {
        let base = self.issuer_base.get().map_or("http://127.0.0.1:4260", String::as_str);
        format!("{base}/oidc/{issuer_id}")
    }

    /// The OpenID Connect discovery document of the issuer `issuer_id`, if it is an account's.
    pub fn outbound_discovery(&self, issuer_id: &str) -> Option<String> {
        let st = self.read();
        st.outbound.values().find(|o| o.issuer_id == issuer_id)?;
        let issuer = self.issuer_url(issuer_id);
        Some(
            json!({
                "issuer": issuer,
                "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
                "response_types_supported": ["id_token"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256", "ES384"],
                "claims_supported": ["iss", "sub", "aud", "iat", "exp", "jti", CLAIMS_NAMESPACE],
            })
            .to_string(),
        )
    }

    /// The JWK set of the issuer `issuer_id`: the public halves of every key it keeps (stored
    /// beside the sealed private keys, so this unauthenticated document opens none).
    pub fn outbound_jwks(&self, issuer_id: &str) -> Option<String> {
        let st = self.read();
        let o = st.outbound.values().find(|o| o.issuer_id == issuer_id)?;
        let keys: Vec<Value> = o.keys.iter().filter_map(|k| serde_json::from_str(&k.public_jwk).ok()).collect();
        Some(json!({ "keys": keys }).to_string())
    }

    fn open_signing_key(&self, account: &str, k: &SealedSigningKey) -> ApiResult<SigningKey> {
        let alg = Alg::from_name(&k.alg).ok_or(ApiError::ServiceFailure)?;
        let b64 = self.master_key.open(&k.sealed_pkcs8, &seal_context(account, &k.kid)).map_err(|_| ApiError::ServiceFailure)?;
        let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64).map_err(|_| ApiError::ServiceFailure)?;
        SigningKey::from_pkcs8(alg, &k.kid, &der).map_err(|_| ApiError::ServiceFailure)
    }

    fn new_signing_key(&self, account: &str, alg: Alg, now: i64) -> ApiResult<SealedSigningKey> {
        let kid = crate::ids::request_id();
        let (key, der) = SigningKey::generate(alg, &kid).map_err(|_| ApiError::ServiceFailure)?;
        let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, der);
        let sealed_pkcs8 = self.master_key.seal(&b64, &seal_context(account, &kid)).map_err(|_| ApiError::ServiceFailure)?;
        Ok(SealedSigningKey { kid, alg: alg.name().to_owned(), created: now, sealed_pkcs8, public_jwk: key.public_jwk().to_string() })
    }

    /// The key that signs for `alg` in `account` now: the newest one of that algorithm, or a
    /// new one when there is none or it is due for rotation (then keys past their overlap are
    /// dropped).
    fn current_signing_key(&self, account: &str, alg: Alg, now: i64) -> ApiResult<SigningKey> {
        let current = |o: &OutboundFederation| o.keys.iter().rev().find(|k| k.alg == alg.name() && now - k.created < ROTATE_AFTER).cloned();
        if let Some(k) = self.read().outbound.get(account).and_then(current) {
            return self.open_signing_key(account, &k);
        }
        let fresh = self.new_signing_key(account, alg, now)?;
        let chosen = self.mutate(|st| {
            let mut o = st.outbound.get(account).filter(|o| o.enabled).cloned().ok_or_else(disabled)?;
            // Another request (or node) may have made one meanwhile.
            if let Some(k) = current(&o) {
                return Ok((Vec::new(), k));
            }
            o.keys.retain(|k| now - k.created < ROTATE_AFTER + OVERLAP);
            o.keys.push(fresh.clone());
            Ok((vec![Change::Put(Record::OutboundFederation(o))], fresh.clone()))
        })?;
        self.open_signing_key(account, &chosen)
    }
}

pub fn enable(iam: &Iam, account: &str) -> ApiResult<iam::EnableOutboundWebIdentityFederationResponse> {
    let issuer_id = iam.mutate(|st| {
        let o = match st.outbound.get(account) {
            Some(o) if o.enabled => {
                return Err(messages::outbound_federation_enabled())
            }
            Some(o) => OutboundFederation { enabled: true, ..o.clone() },
            None => OutboundFederation { account: account.to_owned(), enabled: true, issuer_id: crate::ids::request_id(), keys: Vec::new() },
        };
        let id = o.issuer_id.clone();
        Ok((vec![Change::Put(Record::OutboundFederation(o))], id))
    })?;
    Ok(iam::EnableOutboundWebIdentityFederationResponse { issuer_identifier: Some(iam.issuer_url(&issuer_id)) })
}

pub fn disable(iam: &Iam, account: &str) -> ApiResult<()> {
    iam.mutate(|st| {
        let o = st.outbound.get(account).filter(|o| o.enabled).ok_or_else(disabled)?;
        Ok((vec![Change::Put(Record::OutboundFederation(OutboundFederation { enabled: false, ..o.clone() }))], ()))
    })
}

pub fn info(iam: &Iam, account: &str) -> ApiResult<iam::GetOutboundWebIdentityFederationInfoResponse> {
    let st = iam.read();
    let o = st.outbound.get(account).ok_or_else(disabled)?;
    Ok(iam::GetOutboundWebIdentityFederationInfoResponse {
        issuer_identifier: Some(iam.issuer_url(&o.issuer_id)),
        jwt_vending_enabled: Some(o.enabled),
    })
}

/// The `sub` of a caller's tokens: the user, the role (not the session) or the root user.
fn subject(caller: &Caller) -> String {
    match &caller.principal {
        Principal::AssumedRole { role_name, role_path, .. } => crate::arn::role_arn(caller.partition, &caller.account, role_path, role_name),
        _ => caller.arn(),
    }
}

/// The caller's principal tags: a user's, or a role's overridden by its session's.
fn principal_tags(iam: &Iam, caller: &Caller) -> Map<String, Value> {
    let st = iam.read();
    let mut tags: Vec<(String, String)> = match &caller.principal {
        Principal::User { name, .. } => st.user(&caller.account, name).map(|u| u.tags.clone()).unwrap_or_default(),
        Principal::AssumedRole { role_name, .. } => st.role(&caller.account, role_name).map(|r| r.tags.clone()).unwrap_or_default(),
        _ => Vec::new(),
    };
    for (k, v) in caller.session.as_deref().map(|s| s.tags.as_slice()).unwrap_or_default() {
        tags.retain(|(t, _)| !t.eq_ignore_ascii_case(k));
        tags.push((k.clone(), v.clone()));
    }
    tags.into_iter().map(|(k, v)| (k, Value::String(v))).collect()
}

pub fn get_web_identity_token(iam: &Iam, caller: &Caller, region: &str, r: sts::GetWebIdentityTokenRequest) -> ApiResult<sts::GetWebIdentityTokenResponse> {
    let now = iam.now();
    let alg = match r.signing_algorithm.as_str() {
        "RS256" => Alg::RS256,
        "ES384" => Alg::ES384,
        other => {
            return Err(messages::signing_algorithm_invalid(other))
        }
    };
    let issuer_id = {
        let st = iam.read();
        let o = st.outbound.get(&caller.account).filter(|o| o.enabled);
        o.map(|o| o.issuer_id.clone()).ok_or_else(|| {
            messages::web_identity_token_federation_disabled()
        })?
    };
    let duration = i64::from(r.duration_seconds.unwrap_or(DEFAULT_DURATION));
    if let Some(session) = caller.session.as_deref() {
        if now + duration > session.expires {
            return Err(messages::token_outlives_session());
        }
    }
    let mut namespace = Map::new();
    namespace.insert("aws_account".into(), caller.account.clone().into());
    namespace.insert("source_region".into(), region.into());
    let ptags = principal_tags(iam, caller);
    if !ptags.is_empty() {
        namespace.insert("principal_tags".into(), Value::Object(ptags));
    }
    if let Some(tags) = r.tags.as_deref().filter(|t| !t.is_empty()) {
        let mut seen = std::collections::HashSet::new();
        let mut map = Map::new();
        for t in tags {
            if !seen.insert(t.key.to_lowercase()) {
                return Err(messages::token_tag_keys_duplicate());
            }
            map.insert(t.key.clone(), t.value.clone().into());
        }
        namespace.insert("request_tags".into(), Value::Object(map));
    }
    let mut claims = Map::new();
    claims.insert("iss".into(), iam.issuer_url(&issuer_id).into());
    claims.insert("sub".into(), subject(caller).into());
    claims.insert("aud".into(), if r.audience.len() == 1 { r.audience.first().cloned().unwrap_or_default().into() } else { r.audience.clone().into() });
    claims.insert("iat".into(), now.into());
    claims.insert("exp".into(), (now + duration).into());
    claims.insert("jti".into(), crate::ids::request_id().into());
    claims.insert(CLAIMS_NAMESPACE.into(), Value::Object(namespace));
    if serde_json::to_vec(&claims).map_or(usize::MAX, |v| v.len()) > MAX_PAYLOAD {
        return Err(messages::token_payload_too_large(MAX_PAYLOAD));
    }
    let key = iam.current_signing_key(&caller.account, alg, now)?;
    let token = key.sign(&claims).map_err(|_| ApiError::ServiceFailure)?;
    Ok(sts::GetWebIdentityTokenResponse { web_identity_token: Some(token), expiration: Some(ts(now + duration)) })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use std::sync::atomic::{AtomicI64, Ordering};

    use castellan_jwt::{JwkSet, Token};
    use castellan_store::MemoryStore;

    use super::*;
    use crate::MasterKey;

    static NOW: AtomicI64 = AtomicI64::new(1_800_000_000);
    fn clock() -> i64 {
        NOW.load(Ordering::SeqCst)
    }

    fn kid(token: &str) -> String {
        Token::parse(token).unwrap().kid().unwrap().to_owned()
    }

    /// Keys rotate after ROTATE_AFTER and stay published for OVERLAP more, so a token signed
    /// just before a rotation still verifies with the published set; the private keys are
    /// sealed in the record.
    #[test]
    fn signing_keys_rotate_with_overlap() {
        let iam = Iam::open(Box::new(MemoryStore::new()), MasterKey::generate().0, clock).unwrap();
        let creds = iam.create_account(Some("123456789012".into())).unwrap();
        let (root, _) = iam.caller_for_access_key(&creds.access_key_id).unwrap();
        enable(&iam, "123456789012").unwrap();
        let request = || sts::GetWebIdentityTokenRequest { audience: vec!["a".into()], signing_algorithm: "ES384".into(), ..Default::default() };
        let token = |iam: &Iam| get_web_identity_token(iam, &root, "us-east-1", request()).unwrap().web_identity_token.unwrap();
        let issuer_id = iam.read().outbound["123456789012"].issuer_id.clone();
        let jwks = |iam: &Iam| JwkSet::parse(iam.outbound_jwks(&issuer_id).unwrap().as_bytes()).unwrap();

        let first = token(&iam);
        assert_eq!(kid(&token(&iam)), kid(&first), "one key signs until it is due");
        NOW.fetch_add(ROTATE_AFTER, Ordering::SeqCst);
        let second = token(&iam);
        assert_ne!(kid(&second), kid(&first));
        let set = jwks(&iam);
        assert!(set.has_kid(&kid(&first)) && set.has_kid(&kid(&second)), "the old key stays published");
        // The token signed before the rotation still verifies (it has not expired: check at its iat).
        let iat = Token::parse(&first).unwrap().claims()["iat"].as_i64().unwrap();
        Token::parse(&first).unwrap().verify(&set, iat, 0).unwrap();
        NOW.fetch_add(ROTATE_AFTER, Ordering::SeqCst);
        let third = token(&iam);
        let set = jwks(&iam);
        assert!(!set.has_kid(&kid(&first)), "past its overlap the oldest key is dropped");
        assert!(set.has_kid(&kid(&second)) && set.has_kid(&kid(&third)));
        // Sealed: the PKCS#8 document (base64) is nowhere in the record, and opens only with
        // the master key and the key's own context.
        let o = iam.read().outbound["123456789012"].clone();
        let record = serde_json::to_string(&o).unwrap();
        for k in &o.keys {
            let plain = iam.master_key.open(&k.sealed_pkcs8, &seal_context(&o.account, &k.kid)).unwrap();
            assert!(plain.starts_with("MI") && !record.contains(&plain));
            assert!(iam.master_key.open(&k.sealed_pkcs8, &seal_context("111122223333", &k.kid)).is_err());
        }
    }
}
