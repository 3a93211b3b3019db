//! OpenID Connect identity providers: the issuers whose tokens AssumeRoleWithWebIdentity
//! accepts (CreateOpenIDConnectProvider and its companions).
//!
//! Rules from the IAM API Reference (CreateOpenIDConnectProvider, AddClientIDToOpenIDConnectProvider,
//! UpdateOpenIDConnectProviderThumbprint) and the IAM User Guide ("IAM and AWS STS quotas"): the
//! URL begins with `https://`, has no query or fragment, and is unique in the account; at most
//! 100 client ids and 5 thumbprints per provider (each thumbprint 40 hex digits); at most 100
//! providers per account. Adding a client id that is there already, and deleting a provider
//! that does not exist, are not errors.

use castellan_api::iam;

use super::{tags_in, tags_out, ts};
use crate::error::{ApiError, ApiResult};
use crate::messages;
use crate::model::{Change, OidcProvider, Record};
use crate::paginate::page_slice;
use crate::state::State;
use crate::validate::{merge_tags, remove_tags};
use crate::Iam;

/// IAM User Guide, "IAM and AWS STS quotas": OpenId Connect providers per account.
pub const PROVIDERS_PER_ACCOUNT: usize = 100;
/// CreateOpenIDConnectProvider: "You cannot register more than 100 client IDs with a single IAM OIDC provider."
pub const CLIENT_IDS_PER_PROVIDER: usize = 100;
/// CreateOpenIDConnectProvider: "IAM lets you have up to five thumbprints for an OIDC provider."
pub const THUMBPRINTS_PER_PROVIDER: usize = 5;

/// The provider resource (URL without `https://`) of a URL, if it is one IAM accepts.
pub fn resource_of_url(url: &str) -> ApiResult<String> {
    let invalid = messages::oidc_invalid_url;
    let rest = url.strip_prefix("https://").ok_or_else(invalid)?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || rest.contains(['?', '#', ' ']) || rest.contains("//") || !rest.is_ascii() || rest.bytes().any(|b| b.is_ascii_control()) {
        return Err(invalid());
    }
    // A trailing slash names the same issuer as none (AWS stores the URL without it).
    Ok(rest.trim_end_matches('/').to_owned())
}

/// The provider an ARN names in `account`.
pub fn resource_of_arn<'a>(partition: crate::arn::Partition, account: &str, arn: &'a str) -> Option<&'a str> {
    let rest = arn.strip_prefix(partition.iam_prefix())?;
    let (acct, rest) = rest.split_once(':')?;
    (acct == account).then_some(())?;
    rest.strip_prefix("oidc-provider/").filter(|r| !r.is_empty())
}

fn provider_of<'a>(st: &'a State, account: &str, arn: &str) -> ApiResult<&'a OidcProvider> {
    let not_found = || messages::no_such_oidc_provider(arn);
    let resource = resource_of_arn(st.partition, account, arn).ok_or_else(|| {
        if arn.starts_with("arn:") && arn.contains(":oidc-provider/") {
            not_found()
        } else {
            messages::provider_arn_not_valid(arn)
        }
    })?;
    st.oidc_providers.get(&(account.to_owned(), resource.to_owned())).ok_or_else(not_found)
}

fn thumbprints(list: &[String]) -> ApiResult<Vec<String>> {
    if list.len() > THUMBPRINTS_PER_PROVIDER {
        return Err(messages::oidc_too_many_thumbprints());
    }
    let mut out: Vec<String> = Vec::new();
    for t in list {
        if t.len() != 40 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(messages::oidc_thumbprint_invalid(t));
        }
        let t = t.to_ascii_lowercase();
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

fn client_ids(list: &[String]) -> ApiResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for c in list {
        if !out.contains(c) {
            out.push(c.clone());
        }
    }
    if out.len() > CLIENT_IDS_PER_PROVIDER {
        return Err(messages::oidc_client_id_limit(CLIENT_IDS_PER_PROVIDER));
    }
    Ok(out)
}

pub fn create(iam: &Iam, account: &str, r: iam::CreateOpenIDConnectProviderRequest) -> ApiResult<iam::CreateOpenIDConnectProviderResponse> {
    let now = iam.now();
    let resource = resource_of_url(&r.url)?;
    let thumbprints = thumbprints(r.thumbprint_list.as_deref().unwrap_or_default())?;
    let client_ids = client_ids(r.client_id_list.as_deref().unwrap_or_default())?;
    let mut tags = Vec::new();
    merge_tags(&mut tags, &tags_in(r.tags.as_deref().unwrap_or_default()), "OpenIdConnectProvider")?;
    iam.mutate(|st| {
        if st.oidc_providers.contains_key(&(account.to_owned(), resource.clone())) {
            return Err(messages::oidc_provider_exists(&r.url));
        }
        let count = st.oidc_providers.range((account.to_owned(), String::new())..).take_while(|((a, _), _)| a == account).count();
        if count >= PROVIDERS_PER_ACCOUNT {
            return Err(messages::oidc_provider_limit(PROVIDERS_PER_ACCOUNT));
        }
        let p = OidcProvider {
            account: account.to_owned(),
            resource: resource.clone(),
            created: now,
            client_ids: client_ids.clone(),
            thumbprints: thumbprints.clone(),
            tags: tags.clone(),
        };
        let out = iam::CreateOpenIDConnectProviderResponse {
            open_id_connect_provider_arn: Some(p.arn(st.partition)),
            tags: (!p.tags.is_empty()).then(|| tags_out(&p.tags)),
        };
        Ok((vec![Change::Put(Record::OidcProvider(p))], out))
    })
}

pub fn get(iam: &Iam, account: &str, r: iam::GetOpenIDConnectProviderRequest) -> ApiResult<iam::GetOpenIDConnectProviderResponse> {
    let st = iam.read();
    let p = provider_of(&st, account, &r.open_id_connect_provider_arn)?;
    Ok(iam::GetOpenIDConnectProviderResponse {
        url: Some(p.resource.clone()),
        client_id_list: Some(p.client_ids.clone()),
        thumbprint_list: Some(p.thumbprints.clone()),
        create_date: Some(ts(p.created)),
        tags: Some(tags_out(&p.tags)),
    })
}

pub fn list(iam: &Iam, account: &str) -> iam::ListOpenIDConnectProvidersResponse {
    let st = iam.read();
    let list = st
        .oidc_providers
        .range((account.to_owned(), String::new())..)
        .take_while(|((a, _), _)| a == account)
        .map(|(_, p)| iam::OpenIDConnectProviderListEntry { arn: Some(p.arn(st.partition)) })
        .collect();
    iam::ListOpenIDConnectProvidersResponse { open_id_connect_provider_list: Some(list) }
}

pub fn delete(iam: &Iam, account: &str, r: iam::DeleteOpenIDConnectProviderRequest) -> ApiResult<()> {
    iam.mutate(|st| match provider_of(st, account, &r.open_id_connect_provider_arn) {
        Ok(p) => Ok((vec![Change::Delete(Record::OidcProvider(p.clone()))], ())),
        // Idempotent (DeleteOpenIDConnectProvider documentation)... for a well-formed ARN.
        Err(ApiError::NoSuchEntity(_)) => Ok((Vec::new(), ())),
        Err(e) => Err(e),
    })
}

/// Rewrites the provider `arn` names with `change`.
fn update(iam: &Iam, account: &str, arn: &str, change: impl Fn(&mut OidcProvider) -> ApiResult<()>) -> ApiResult<()> {
    iam.mutate(|st| {
        let mut p = provider_of(st, account, arn)?.clone();
        let before = p.clone();
        change(&mut p)?;
        if p == before {
            return Ok((Vec::new(), ()));
        }
        Ok((vec![Change::Put(Record::OidcProvider(p))], ()))
    })
}

pub fn add_client_id(iam: &Iam, account: &str, r: iam::AddClientIDToOpenIDConnectProviderRequest) -> ApiResult<()> {
    update(iam, account, &r.open_id_connect_provider_arn, |p| {
        let mut ids = p.client_ids.clone();
        ids.push(r.client_id.clone());
        p.client_ids = client_ids(&ids)?;
        Ok(())
    })
}

pub fn remove_client_id(iam: &Iam, account: &str, r: iam::RemoveClientIDFromOpenIDConnectProviderRequest) -> ApiResult<()> {
    // Removing a client id that is not registered is not an error
    // (RemoveClientIDFromOpenIDConnectProvider: "This operation is idempotent").
    update(iam, account, &r.open_id_connect_provider_arn, |p| {
        p.client_ids.retain(|c| *c != r.client_id);
        Ok(())
    })
}

pub fn update_thumbprints(iam: &Iam, account: &str, r: iam::UpdateOpenIDConnectProviderThumbprintRequest) -> ApiResult<()> {
    let list = thumbprints(&r.thumbprint_list)?;
    update(iam, account, &r.open_id_connect_provider_arn, |p| {
        p.thumbprints = list.clone();
        Ok(())
    })
}

pub fn tag(iam: &Iam, account: &str, r: iam::TagOpenIDConnectProviderRequest) -> ApiResult<()> {
    update(iam, account, &r.open_id_connect_provider_arn, |p| merge_tags(&mut p.tags, &tags_in(&r.tags), "OpenIdConnectProvider"))
}

pub fn untag(iam: &Iam, account: &str, r: iam::UntagOpenIDConnectProviderRequest) -> ApiResult<()> {
    update(iam, account, &r.open_id_connect_provider_arn, |p| {
        remove_tags(&mut p.tags, &r.tag_keys);
        Ok(())
    })
}

pub fn list_tags(iam: &Iam, account: &str, r: iam::ListOpenIDConnectProviderTagsRequest) -> ApiResult<iam::ListOpenIDConnectProviderTagsResponse> {
    let st = iam.read();
    let p = provider_of(&st, account, &r.open_id_connect_provider_arn)?;
    let page = page_slice(&tags_out(&p.tags), r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListOpenIDConnectProviderTagsResponse { tags: page.items, is_truncated: Some(page.next_marker.is_some()), marker: page.next_marker })
}

/// The resource an OIDC-provider request is authorized against (Service Authorization
/// Reference: resource type `oidc-provider`, `arn:aws:iam::ACCOUNT:oidc-provider/URL`): the
/// ARN it names, or for CreateOpenIDConnectProvider the ARN its URL will have; with the
/// provider's tags (aws:ResourceTag).
pub fn authz_resource(st: &State, account: &str, arn: Option<&str>, url: Option<&str>) -> Option<(String, crate::model::Tags)> {
    let arn = match (arn, url) {
        (Some(arn), _) => arn.to_owned(),
        (None, Some(url)) => format!("arn:{}:iam::{account}:oidc-provider/{}", st.partition.as_str(), resource_of_url(url).ok()?),
        (None, None) => return None,
    };
    let tags = resource_of_arn(st.partition, account, &arn)
        .and_then(|r| st.oidc_providers.get(&(account.to_owned(), r.to_owned())))
        .map(|p| p.tags.clone())
        .unwrap_or_default();
    Some((arn, tags))
}
