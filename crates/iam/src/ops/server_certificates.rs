//! Server certificates (UploadServerCertificate and the rest): an X.509 certificate, its chain
//! and its private key, for the load balancers and CloudFront of older setups. The body, chain
//! and key are parsed and the key must be the certificate's (`castellan_pki::cert`); the key
//! is sealed under the master key and never returned.

use castellan_api::iam;
use castellan_pki::cert::{self, KeyProblem};

use super::{path_matches, tags_in, tags_out, ts};
use crate::error::{ApiError, ApiResult};
use crate::messages;
use crate::ids;
use crate::model::{Change, Record, ServerCertificate};
use crate::paginate::{page, page_slice};
use crate::state::{name_key, State};
use crate::validate::{merge_tags, remove_tags};
use crate::Iam;

/// IAM User Guide, "IAM and AWS STS quotas": server certificates stored in an AWS account, 20.
pub const SERVER_CERTIFICATES_PER_ACCOUNT: usize = 20;

fn metadata(partition: crate::arn::Partition, c: &ServerCertificate) -> iam::ServerCertificateMetadata {
    iam::ServerCertificateMetadata {
        path: c.path.clone(),
        server_certificate_name: c.name.clone(),
        server_certificate_id: c.id.clone(),
        arn: c.arn(partition),
        upload_date: Some(ts(c.uploaded)),
        expiration: Some(ts(c.expiration)),
    }
}

fn certificate_of<'a>(st: &'a State, account: &str, name: &str) -> ApiResult<&'a ServerCertificate> {
    st.server_certificates
        .get(&name_key(account, name))
        .ok_or_else(|| messages::no_such_server_certificate(name))
}

fn already_exists(name: &str) -> ApiError {
    messages::server_certificate_exists(name)
}

pub fn count(st: &State, account: &str) -> usize {
    st.server_certificates.range((account.to_owned(), String::new())..).take_while(|((a, _), _)| a == account).count()
}

pub fn upload(iam: &Iam, account: &str, r: &iam::UploadServerCertificateRequest) -> ApiResult<iam::UploadServerCertificateResponse> {
    let now = iam.now();
    let body = cert::parse(&r.certificate_body).map_err(|_| messages::server_certificate_malformed())?;
    if body.not_after < now {
        return Err(messages::certificate_expired());
    }
    if let Some(chain) = &r.certificate_chain {
        cert::parse_chain(chain).map_err(|_| messages::certificate_chain_malformed())?;
    }
    cert::check_private_key(&r.private_key, &body.public_key).map_err(|e| match e {
        KeyProblem::Malformed => messages::private_key_malformed(),
        KeyProblem::Mismatch => messages::key_pair_mismatch(),
    })?;
    let mut tags = Vec::new();
    merge_tags(&mut tags, &tags_in(r.tags.as_deref().unwrap_or_default()), "ServerCertificate")?;
    iam.mutate(|st| {
        if st.server_certificates.contains_key(&name_key(account, &r.server_certificate_name)) {
            return Err(already_exists(&r.server_certificate_name));
        }
        if count(st, account) >= SERVER_CERTIFICATES_PER_ACCOUNT {
            return Err(messages::server_certificate_limit(SERVER_CERTIFICATES_PER_ACCOUNT));
        }
        let id = ids::server_certificate_id();
        let sealed = iam.master_key.seal(r.private_key.trim(), &id).map_err(|_| ApiError::ServiceFailure)?;
        let c = ServerCertificate {
            account: account.to_owned(),
            name: r.server_certificate_name.clone(),
            id,
            path: r.path.clone().unwrap_or_else(|| "/".into()),
            uploaded: now,
            expiration: body.not_after,
            body: r.certificate_body.trim().to_owned(),
            chain: r.certificate_chain.as_ref().map(|c| c.trim().to_owned()),
            sealed_private_key: sealed,
            tags: tags.clone(),
        };
        let out = iam::UploadServerCertificateResponse { server_certificate_metadata: Some(metadata(st.partition, &c)), tags: (!c.tags.is_empty()).then(|| tags_out(&c.tags)) };
        // The account record is rewritten too: its revision guards the per-account quota.
        let guard = Record::Account(st.accounts.get(account).ok_or(ApiError::ServiceFailure)?.clone());
        Ok((vec![Change::Put(Record::ServerCertificate(c)), Change::Put(guard)], out))
    })
}

pub fn get(iam: &Iam, account: &str, r: &iam::GetServerCertificateRequest) -> ApiResult<iam::GetServerCertificateResponse> {
    let st = iam.read();
    let c = certificate_of(&st, account, &r.server_certificate_name)?;
    Ok(iam::GetServerCertificateResponse {
        server_certificate: iam::ServerCertificate {
            server_certificate_metadata: metadata(st.partition, c),
            certificate_body: c.body.clone(),
            certificate_chain: c.chain.clone(),
            tags: Some(tags_out(&c.tags)),
        },
    })
}

pub fn list(iam: &Iam, account: &str, r: &iam::ListServerCertificatesRequest) -> ApiResult<iam::ListServerCertificatesResponse> {
    let st = iam.read();
    let prefix = r.path_prefix.as_deref();
    let p = page(&st.server_certificates, account, r.marker.as_deref(), r.max_items, |c| path_matches(&c.path, prefix))?;
    Ok(iam::ListServerCertificatesResponse {
        server_certificate_metadata_list: p.items.iter().map(|c| metadata(st.partition, c)).collect(),
        is_truncated: Some(p.is_truncated()),
        marker: p.next_marker,
    })
}

pub fn update(iam: &Iam, account: &str, r: &iam::UpdateServerCertificateRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let old = certificate_of(st, account, &r.server_certificate_name)?;
        let mut c = old.clone();
        let mut changes = Vec::new();
        if let Some(path) = &r.new_path {
            c.path.clone_from(path);
        }
        if let Some(new_name) = r.new_server_certificate_name.as_ref().filter(|n| **n != old.name) {
            if !new_name.eq_ignore_ascii_case(&old.name) && st.server_certificates.contains_key(&name_key(account, new_name)) {
                return Err(already_exists(new_name));
            }
            changes.push(Change::Delete(Record::ServerCertificate(old.clone())));
            c.name.clone_from(new_name);
        }
        changes.push(Change::Put(Record::ServerCertificate(c)));
        Ok((changes, ()))
    })
}

pub fn delete(iam: &Iam, account: &str, r: &iam::DeleteServerCertificateRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let c = certificate_of(st, account, &r.server_certificate_name)?;
        Ok((vec![Change::Delete(Record::ServerCertificate(c.clone()))], ()))
    })
}

pub fn tag(iam: &Iam, account: &str, r: &iam::TagServerCertificateRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let mut c = certificate_of(st, account, &r.server_certificate_name)?.clone();
        merge_tags(&mut c.tags, &tags_in(&r.tags), "ServerCertificate")?;
        Ok((vec![Change::Put(Record::ServerCertificate(c))], ()))
    })
}

pub fn untag(iam: &Iam, account: &str, r: &iam::UntagServerCertificateRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let mut c = certificate_of(st, account, &r.server_certificate_name)?.clone();
        remove_tags(&mut c.tags, &r.tag_keys);
        Ok((vec![Change::Put(Record::ServerCertificate(c))], ()))
    })
}

pub fn list_tags(iam: &Iam, account: &str, r: &iam::ListServerCertificateTagsRequest) -> ApiResult<iam::ListServerCertificateTagsResponse> {
    let st = iam.read();
    let c = certificate_of(&st, account, &r.server_certificate_name)?;
    let p = page_slice(&tags_out(&c.tags), r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListServerCertificateTagsResponse { tags: p.items, is_truncated: Some(p.next_marker.is_some()), marker: p.next_marker })
}
