//! SAML 2.0 identity providers: the IdPs whose signed assertions AssumeRoleWithSAML accepts
//! (CreateSAMLProvider and its companions).
//!
//! Rules from the IAM API Reference (CreateSAMLProvider, UpdateSAMLProvider, GetSAMLProvider)
//! and the IAM User Guide ("IAM and AWS STS quotas": 100 SAML providers per account, two
//! private keys per provider): the metadata document must parse as an IdP's
//! (`castellan_saml::parse_metadata`: an EntityDescriptor with an IDPSSODescriptor and a signing
//! certificate), else `InvalidInput` "Could not parse metadata"; private keys (for encrypted
//! assertions) are PEM, sealed under the master key at rest and never returned — only their
//! ids and dates are; `Required` encryption needs a private key.

use base64::Engine as _;
use castellan_api::iam;
use rand::Rng as _;

use super::{tags_in, tags_out, ts};
use crate::error::{ApiError, ApiResult};
use crate::messages;
use crate::model::{Change, Record, SamlPrivateKey, SamlProvider};
use crate::paginate::page_slice;
use crate::state::{name_key, State};
use crate::validate::{merge_tags, remove_tags};
use crate::Iam;

/// IAM User Guide, "IAM and AWS STS quotas": SAML providers in an AWS account.
pub const PROVIDERS_PER_ACCOUNT: usize = 100;
/// IAM User Guide, "IAM and AWS STS quotas": private keys per SAML provider.
pub const PRIVATE_KEYS_PER_PROVIDER: usize = 2;

fn seal_context(p: &SamlProvider, key_id: &str) -> String {
    format!("castellan-saml-private-key:{}:{}:{key_id}", p.account, p.name.to_lowercase())
}

/// The provider name an ARN names in `account`.
pub fn name_of_arn<'a>(partition: crate::arn::Partition, account: &str, arn: &'a str) -> Option<&'a str> {
    let rest = arn.strip_prefix(partition.iam_prefix())?;
    let (acct, rest) = rest.split_once(':')?;
    (acct == account).then_some(())?;
    rest.strip_prefix("saml-provider/").filter(|n| !n.is_empty() && !n.contains('/'))
}

fn not_found(arn: &str) -> ApiError {
    messages::no_such_saml_provider(arn)
}

pub(crate) fn provider_of<'a>(st: &'a State, account: &str, arn: &str) -> ApiResult<&'a SamlProvider> {
    let name = name_of_arn(st.partition, account, arn).ok_or_else(|| {
        if arn.starts_with("arn:") && arn.contains(":saml-provider/") {
            not_found(arn)
        } else {
            messages::provider_arn_not_valid(arn)
        }
    })?;
    st.saml_providers.get(&name_key(account, name)).ok_or_else(|| not_found(arn))
}

/// The metadata's entity id, certificates (base64 DER) and validUntil.
fn metadata(doc: &str) -> ApiResult<(String, Vec<String>, Option<i64>)> {
    let m = castellan_saml::parse_metadata(doc).map_err(|_| messages::saml_metadata_unparsable())?;
    let certs = m.signing_certificates.iter().map(|c| base64::engine::general_purpose::STANDARD.encode(c)).collect();
    Ok((m.entity_id, certs, m.valid_until))
}

/// A private key as AddPrivateKey takes it: an RSA private key in PEM (PKCS#8 or PKCS#1).
fn check_private_key(pem: &str) -> ApiResult<()> {
    let invalid = || messages::saml_private_key_invalid();
    let pem = pem.trim();
    let (begin, end) = if pem.starts_with("-----BEGIN PRIVATE KEY-----") {
        ("-----BEGIN PRIVATE KEY-----", "-----END PRIVATE KEY-----")
    } else {
        ("-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----")
    };
    let body = pem.strip_prefix(begin).and_then(|r| r.strip_suffix(end)).ok_or_else(invalid)?;
    let compact: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(compact).map_err(|_| invalid())?;
    // A DER SEQUENCE of some length: the rest is the decryptor's to refuse.
    if der.first() != Some(&0x30) || der.len() < 64 {
        return Err(invalid());
    }
    Ok(())
}

/// A private key id as AWS shows them: 26 uppercase letters and digits.
fn new_key_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::thread_rng();
    (0..26).map(|_| char::from(ALPHABET.get(rng.gen_range(0..ALPHABET.len())).copied().unwrap_or(b'A'))).collect()
}

/// Applies AddPrivateKey, RemovePrivateKey and AssertionEncryptionMode to `p`.
fn apply_keys(
    iam: &Iam,
    p: &mut SamlProvider,
    mode: Option<&iam::AssertionEncryptionModeType>,
    add: Option<&str>,
    remove: Option<&str>,
    now: i64,
) -> ApiResult<()> {
    if let Some(id) = remove {
        let before = p.private_keys.len();
        p.private_keys.retain(|k| k.key_id != id);
        if p.private_keys.len() == before {
            return Err(messages::no_such_saml_private_key(id));
        }
    }
    if let Some(pem) = add {
        check_private_key(pem)?;
        if p.private_keys.len() >= PRIVATE_KEYS_PER_PROVIDER {
            return Err(messages::saml_private_key_limit(PRIVATE_KEYS_PER_PROVIDER));
        }
        let key_id = new_key_id();
        let sealed_pem = iam.master_key.seal(pem, &seal_context(p, &key_id)).map_err(|_| ApiError::ServiceFailure)?;
        p.private_keys.push(SamlPrivateKey { key_id, created: now, sealed_pem });
    }
    if let Some(mode) = mode {
        p.encryption_mode = Some(mode.as_str().to_owned());
    }
    if p.encryption_mode.as_deref() == Some("Required") && p.private_keys.is_empty() {
        return Err(messages::saml_private_key_required());
    }
    Ok(())
}

/// The provider's private keys (PEM), opened from their seals, for decrypting assertions.
pub(crate) fn private_keys(iam: &Iam, p: &SamlProvider) -> ApiResult<Vec<String>> {
    p.private_keys.iter().map(|k| iam.master_key.open(&k.sealed_pem, &seal_context(p, &k.key_id)).map_err(|_| ApiError::ServiceFailure)).collect()
}

pub fn create(iam: &Iam, account: &str, r: iam::CreateSAMLProviderRequest) -> ApiResult<iam::CreateSAMLProviderResponse> {
    let now = iam.now();
    let (entity_id, certificates, valid_until) = metadata(&r.saml_metadata_document)?;
    let mut tags = Vec::new();
    merge_tags(&mut tags, &tags_in(r.tags.as_deref().unwrap_or_default()), "SAMLProvider")?;
    let mut p = SamlProvider {
        account: account.to_owned(),
        name: r.name.clone(),
        uuid: uuid_v4(),
        created: now,
        metadata: r.saml_metadata_document.clone(),
        entity_id,
        certificates,
        valid_until,
        encryption_mode: None,
        private_keys: Vec::new(),
        tags,
    };
    apply_keys(iam, &mut p, r.assertion_encryption_mode.as_ref(), r.add_private_key.as_deref(), None, now)?;
    iam.mutate(|st| {
        if st.saml_providers.contains_key(&name_key(account, &r.name)) {
            return Err(messages::saml_provider_exists(&r.name));
        }
        let count = st.saml_providers.range(name_key(account, "")..).take_while(|((a, _), _)| a == account).count();
        if count >= PROVIDERS_PER_ACCOUNT {
            return Err(messages::saml_provider_limit(PROVIDERS_PER_ACCOUNT));
        }
        let out = iam::CreateSAMLProviderResponse { saml_provider_arn: Some(p.arn(st.partition)), tags: (!p.tags.is_empty()).then(|| tags_out(&p.tags)) };
        Ok((vec![Change::Put(Record::SamlProvider(p.clone()))], out))
    })
}

fn uuid_v4() -> String {
    let b: [u8; 16] = rand::random();
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    let v = |r: std::ops::Range<usize>| h.get(r).unwrap_or_default().to_owned();
    // Version 4, variant 10.
    format!("{}-{}-4{}-{}{}-{}", v(0..8), v(8..12), v(13..16), ["8", "9", "a", "b"].get(usize::from(b[8] & 3)).copied().unwrap_or("8"), v(17..20), v(20..32))
}

pub fn get(iam: &Iam, account: &str, r: iam::GetSAMLProviderRequest) -> ApiResult<iam::GetSAMLProviderResponse> {
    let st = iam.read();
    let p = provider_of(&st, account, &r.saml_provider_arn)?;
    Ok(iam::GetSAMLProviderResponse {
        saml_provider_uuid: Some(p.uuid.clone()),
        saml_metadata_document: Some(p.metadata.clone()),
        create_date: Some(ts(p.created)),
        valid_until: p.valid_until.map(ts),
        tags: Some(tags_out(&p.tags)),
        // "Allowed" when never set (recorded from AWS: localstack
        // tests/aws/services/iam/test_iam_saml_providers.snapshot.json, "get-response").
        assertion_encryption_mode: p
            .encryption_mode
            .as_deref()
            .and_then(iam::AssertionEncryptionModeType::from_wire)
            .or(Some(iam::AssertionEncryptionModeType::Allowed)),
        private_key_list: Some(
            p.private_keys.iter().map(|k| iam::SAMLPrivateKey { key_id: Some(k.key_id.clone()), timestamp: Some(ts(k.created)) }).collect(),
        ),
    })
}

pub fn list(iam: &Iam, account: &str) -> iam::ListSAMLProvidersResponse {
    let st = iam.read();
    let list = st
        .saml_providers
        .range(name_key(account, "")..)
        .take_while(|((a, _), _)| a == account)
        .map(|(_, p)| iam::SAMLProviderListEntry { arn: Some(p.arn(st.partition)), valid_until: p.valid_until.map(ts), create_date: Some(ts(p.created)) })
        .collect();
    iam::ListSAMLProvidersResponse { saml_provider_list: Some(list) }
}

pub fn delete(iam: &Iam, account: &str, r: iam::DeleteSAMLProviderRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let p = provider_of(st, account, &r.saml_provider_arn)?;
        Ok((vec![Change::Delete(Record::SamlProvider(p.clone()))], ()))
    })
}

/// Rewrites the provider `arn` names with `change`.
fn update_with(iam: &Iam, account: &str, arn: &str, change: impl Fn(&mut SamlProvider) -> ApiResult<()>) -> ApiResult<String> {
    iam.mutate(|st| {
        let mut p = provider_of(st, account, arn)?.clone();
        let before = p.clone();
        change(&mut p)?;
        let arn = p.arn(st.partition);
        if p == before {
            return Ok((Vec::new(), arn));
        }
        Ok((vec![Change::Put(Record::SamlProvider(p))], arn))
    })
}

pub fn update(iam: &Iam, account: &str, r: iam::UpdateSAMLProviderRequest) -> ApiResult<iam::UpdateSAMLProviderResponse> {
    let now = iam.now();
    let parsed = r.saml_metadata_document.as_deref().map(metadata).transpose()?;
    // The key is sealed once, outside the retried closure, so a retry does not mint another id.
    let mut staged = {
        let st = iam.read();
        provider_of(&st, account, &r.saml_provider_arn)?.clone()
    };
    apply_keys(iam, &mut staged, r.assertion_encryption_mode.as_ref(), r.add_private_key.as_deref(), r.remove_private_key.as_deref(), now)?;
    let arn = update_with(iam, account, &r.saml_provider_arn, |p| {
        if let (Some(doc), Some((entity_id, certs, valid_until))) = (&r.saml_metadata_document, &parsed) {
            p.metadata = doc.clone();
            p.entity_id = entity_id.clone();
            p.certificates = certs.clone();
            p.valid_until = *valid_until;
        }
        p.private_keys = staged.private_keys.clone();
        p.encryption_mode = staged.encryption_mode.clone();
        Ok(())
    })?;
    Ok(iam::UpdateSAMLProviderResponse { saml_provider_arn: Some(arn) })
}

pub fn tag(iam: &Iam, account: &str, r: iam::TagSAMLProviderRequest) -> ApiResult<()> {
    update_with(iam, account, &r.saml_provider_arn, |p| merge_tags(&mut p.tags, &tags_in(&r.tags), "SAMLProvider")).map(|_| ())
}

pub fn untag(iam: &Iam, account: &str, r: iam::UntagSAMLProviderRequest) -> ApiResult<()> {
    update_with(iam, account, &r.saml_provider_arn, |p| {
        remove_tags(&mut p.tags, &r.tag_keys);
        Ok(())
    })
    .map(|_| ())
}

pub fn list_tags(iam: &Iam, account: &str, r: iam::ListSAMLProviderTagsRequest) -> ApiResult<iam::ListSAMLProviderTagsResponse> {
    let st = iam.read();
    let p = provider_of(&st, account, &r.saml_provider_arn)?;
    let page = page_slice(&tags_out(&p.tags), r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListSAMLProviderTagsResponse { tags: page.items, is_truncated: Some(page.next_marker.is_some()), marker: page.next_marker })
}

/// The resource a SAML-provider request is authorized against (Service Authorization
/// Reference: resource type `saml-provider`, `arn:aws:iam::ACCOUNT:saml-provider/NAME`): the
/// ARN it names, or for CreateSAMLProvider the ARN its name will have; with the provider's tags.
pub fn authz_resource(st: &State, account: &str, arn: Option<&str>, name: Option<&str>) -> Option<(String, crate::model::Tags)> {
    let arn = match (arn, name) {
        (Some(arn), _) => arn.to_owned(),
        (None, Some(name)) => format!("arn:{}:iam::{account}:saml-provider/{name}", st.partition.as_str()),
        (None, None) => return None,
    };
    let tags = name_of_arn(st.partition, account, &arn).and_then(|n| st.saml_providers.get(&name_key(account, n))).map(|p| p.tags.clone()).unwrap_or_default();
    Some((arn, tags))
}
