//! Inline policies of users, groups and roles.

use super::{no_such_group, no_such_role, no_such_user};
use crate::error::{ApiError, ApiResult};
use crate::model::{Change, InlinePolicies, InlinePolicy, Record};
use crate::paginate::{page_slice, Page};
use crate::state::State;
use crate::validate::inline_policy_document;
use crate::Iam;

#[derive(Debug, Clone, Copy)]
pub enum Owner<'a> {
    User(&'a str),
    Group(&'a str),
    Role(&'a str),
}

impl Owner<'_> {
    fn kind(self) -> &'static str {
        match self {
            Self::User(_) => "user",
            Self::Group(_) => "group",
            Self::Role(_) => "role",
        }
    }
}

fn policies_of(st: &State, account: &str, owner: Owner<'_>) -> ApiResult<(InlinePolicies, Record)> {
    Ok(match owner {
        Owner::User(n) => {
            let u = st.user(account, n).ok_or_else(|| no_such_user(n))?;
            (u.inline_policies.clone(), Record::User(u.clone()))
        }
        Owner::Group(n) => {
            let g = st.group(account, n).ok_or_else(|| no_such_group(n))?;
            (g.inline_policies.clone(), Record::Group(g.clone()))
        }
        Owner::Role(n) => {
            let r = st.role(account, n).ok_or_else(|| no_such_role(n))?;
            (r.inline_policies.clone(), Record::Role(r.clone()))
        }
    })
}

fn with_policies(record: Record, policies: InlinePolicies) -> Record {
    match record {
        Record::User(mut u) => {
            u.inline_policies = policies;
            Record::User(u)
        }
        Record::Group(mut g) => {
            g.inline_policies = policies;
            Record::Group(g)
        }
        Record::Role(mut r) => {
            r.inline_policies = policies;
            Record::Role(r)
        }
        other => other,
    }
}

fn no_such_policy(owner: Owner<'_>, name: &str) -> ApiError {
    crate::messages::no_such_inline_policy(owner.kind(), name)
}

pub fn put(iam: &Iam, account: &str, owner: Owner<'_>, name: &str, document: &str) -> ApiResult<()> {
    let owner_name = match owner {
        Owner::User(n) | Owner::Group(n) | Owner::Role(n) => n,
    };
    iam.mutate(|st| {
        let (mut policies, record) = policies_of(st, account, owner)?;
        let others: usize = policies
            .values()
            .filter(|p| p.name != name)
            .map(|p| castellan_policy::policy_size(&p.document))
            .sum();
        inline_policy_document(st.partition, document, owner.kind(), owner_name, others)?;
        policies.insert(name.to_owned(), InlinePolicy { name: name.to_owned(), document: document.to_owned() });
        Ok((vec![Change::Put(with_policies(record, policies))], ()))
    })
}

pub fn get(iam: &Iam, account: &str, owner: Owner<'_>, name: &str) -> ApiResult<InlinePolicy> {
    let st = iam.read();
    let (policies, _) = policies_of(&st, account, owner)?;
    policies.get(name).cloned().ok_or_else(|| no_such_policy(owner, name))
}

pub fn list(iam: &Iam, account: &str, owner: Owner<'_>, marker: Option<&str>, max: Option<i32>) -> ApiResult<Page<String>> {
    let st = iam.read();
    let (policies, _) = policies_of(&st, account, owner)?;
    let names: Vec<String> = policies.into_keys().collect();
    page_slice(&names, marker, max)
}

pub fn delete(iam: &Iam, account: &str, owner: Owner<'_>, name: &str) -> ApiResult<()> {
    iam.mutate(|st| {
        let (mut policies, record) = policies_of(st, account, owner)?;
        if policies.remove(name).is_none() {
            return Err(no_such_policy(owner, name));
        }
        Ok((vec![Change::Put(with_policies(record, policies))], ()))
    })
}
