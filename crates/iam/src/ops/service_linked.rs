//! Service-linked roles: CreateServiceLinkedRole, DeleteServiceLinkedRole,
//! GetServiceLinkedRoleDeletionStatus, and the protection of those roles from edits.
//!
//! The per-service facts (service principal, role name, the AWS managed policy attached,
//! whether a CustomSuffix is accepted) are data: `data/service-linked-roles.json`, written by
//! `scripts/service-linked-roles.py`, each row with where it comes from. A service-linked role
//! is an ordinary role record whose path is `/aws-service-role/PRINCIPAL/`: that prefix is
//! refused to CreateRole (AWS: "Path prefix '/aws-service-role/' can only be used for AWS
//! Service linked Roles"), so the path marks exactly the roles made here.

use std::collections::HashMap;
use std::sync::LazyLock;

use castellan_api::{iam, Request};
use serde::Deserialize;

use super::{no_such_role, roles};
use crate::error::{ApiError, ApiResult};
use crate::messages;
use crate::ids::{unique_id, IdPrefix};
use crate::model::{Change, DeletionTask, Record, Role};
use crate::state::State;
use crate::Iam;

/// The path prefix of every service-linked role.
pub const PATH_PREFIX: &str = "/aws-service-role/";

/// One service's service-linked role, as `data/service-linked-roles.json` has it.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceLinkedRoleSpec {
    pub service_principal: String,
    pub role_name: String,
    pub policy_arn: String,
    pub custom_suffix: bool,
    #[allow(dead_code)] // documentation of the row, checked by the tests
    pub source: String,
    #[allow(dead_code)]
    pub evidence: String,
}

static DATA: &str = include_str!("../../../../data/service-linked-roles.json");

/// The specs by service principal (case-sensitive, as AWS matches service principals).
pub static SPECS: LazyLock<HashMap<String, ServiceLinkedRoleSpec>> = LazyLock::new(|| {
    let rows: Vec<ServiceLinkedRoleSpec> = serde_json::from_str(DATA).unwrap_or_else(|e| {
        tracing::error!(error = %e, "data/service-linked-roles.json is corrupt");
        Vec::new()
    });
    rows.into_iter().map(|r| (r.service_principal.clone(), r)).collect()
});

/// Is `role` a service-linked role?
pub fn is_service_linked(role: &Role) -> bool {
    role.path.starts_with(PATH_PREFIX)
}

/// Roles under `/aws-reserved/` (AWS IAM Identity Center's `AWSReservedSSO_…` roles) are
/// AWS's: nobody changes them through IAM, not even an administrator (AWS answers
/// UnmodifiableEntity with the protected-role message, as seen in rebuy-de/aws-nuke issues
/// #441 and #1028 (DeleteRole, DetachRolePolicy) and perkbox/cloud-access-bot issue #11
/// (PutRolePolicy)). In Castellan they come from CreateRole with that path, which stands in
/// for Identity Center's provisioning.
const RESERVED_PREFIX: &str = "/aws-reserved/";

fn is_reserved(role: &Role) -> bool {
    role.path.starts_with(RESERVED_PREFIX)
}

fn protected(name: &str) -> ApiError {
    messages::protected_role(name)
}

/// Refuses a request that would edit a service-linked role's trust, permissions or existence
/// (AWS: only the service may; the description may be edited) or change a reserved role at
/// all. Also refuses CreateRole under the service-linked path. Runs before the operation, on the state it will plan against.
pub fn guard(iam: &Iam, account: &str, request: &Request) -> ApiResult<()> {
    let role_name = match request {
        Request::CreateRole(r) => {
            if r.path.as_deref().is_some_and(|p| p.starts_with(PATH_PREFIX)) {
                return Err(messages::service_linked_path_reserved(PATH_PREFIX));
            }
            return Ok(());
        }
        Request::UpdateAssumeRolePolicy(r) => &r.role_name,
        Request::PutRolePolicy(r) => &r.role_name,
        Request::DeleteRolePolicy(r) => &r.role_name,
        Request::AttachRolePolicy(r) => &r.role_name,
        Request::DetachRolePolicy(r) => &r.role_name,
        Request::PutRolePermissionsBoundary(r) => &r.role_name,
        Request::DeleteRolePermissionsBoundary(r) => &r.role_name,
        Request::DeleteRole(r) => &r.role_name,
        // A service-linked role's description and tags may change; a reserved role's not.
        Request::UpdateRole(r) => return guard_reserved(iam, account, &r.role_name),
        Request::UpdateRoleDescription(r) => return guard_reserved(iam, account, &r.role_name),
        Request::TagRole(r) => return guard_reserved(iam, account, &r.role_name),
        Request::UntagRole(r) => return guard_reserved(iam, account, &r.role_name),
        _ => return Ok(()),
    };
    let st = iam.read();
    match st.role(account, role_name) {
        Some(role) if is_service_linked(role) || is_reserved(role) => Err(protected(&role.name)),
        _ => Ok(()),
    }
}

fn guard_reserved(iam: &Iam, account: &str, role_name: &str) -> ApiResult<()> {
    match iam.read().role(account, role_name) {
        Some(role) if is_reserved(role) => Err(protected(&role.name)),
        _ => Ok(()),
    }
}

fn trust_policy(principal: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"{principal}"}},"Action":"sts:AssumeRole"}}]}}"#
    )
}

pub fn create(iam: &Iam, account: &str, r: iam::CreateServiceLinkedRoleRequest) -> ApiResult<iam::CreateServiceLinkedRoleResponse> {
    let spec = SPECS
        .get(&r.aws_service_name)
        .ok_or_else(|| messages::invalid_service_name(&r.aws_service_name))?;
    let name = match r.custom_suffix.as_deref() {
        Some(_) if !spec.custom_suffix => {
            return Err(messages::custom_suffix_not_allowed(&spec.service_principal))
        }
        Some(suffix) => format!("{}_{suffix}", spec.role_name),
        None => spec.role_name.clone(),
    };
    if name.len() > 64 {
        return Err(messages::service_linked_role_name_too_long(&name));
    }
    let now = iam.now();
    iam.mutate(|st| {
        if st.role(account, &name).is_some() {
            return Err(messages::service_role_name_taken(&name));
        }
        let role = Role {
            account: account.to_owned(),
            name: name.clone(),
            id: unique_id(IdPrefix::Role),
            path: format!("{PATH_PREFIX}{}/", spec.service_principal),
            created: now,
            assume_role_policy: trust_policy(&spec.service_principal),
            description: r.description.clone(),
            max_session_duration: 3600,
            tags: Vec::new(),
            permissions_boundary: None,
            inline_policies: Default::default(),
            attached_policies: vec![spec.policy_arn.replacen("arn:aws:", st.partition.arn_prefix(), 1)],
            last_used: None,
            principal_ids: Some(Default::default()),
        };
        let out = roles::created_shape(st, &role);
        Ok((vec![Change::Put(Record::Role(role))], iam::CreateServiceLinkedRoleResponse { role: Some(out) }))
    })
}

/// The instance profiles a role is in (their ARNs): a service still using the role stops its
/// deletion.
fn role_usage(st: &State, account: &str, role: &Role) -> Vec<String> {
    st.profiles_by_role
        .get(&crate::state::name_key(account, &role.name))
        .into_iter()
        .flatten()
        .filter_map(|p| st.instance_profile(account, p))
        .map(|p| crate::arn::instance_profile_arn(st.partition, account, &p.path, &p.name))
        .collect()
}

/// A task not yet decided.
fn pending(t: &DeletionTask) -> bool {
    matches!(t.status.as_str(), "NOT_STARTED" | "IN_PROGRESS")
}

/// Submits the role for deletion: a `DeletionTask` record, NOT_STARTED, which the deletion
/// worker ([`Iam::run_deletion_tasks`], run by every server about once a second) decides. A
/// role already pending deletion answers the task already submitted (DeleteServiceLinkedRole
/// documentation).
pub fn delete(iam: &Iam, account: &str, r: iam::DeleteServiceLinkedRoleRequest) -> ApiResult<iam::DeleteServiceLinkedRoleResponse> {
    let now = iam.now();
    iam.mutate(|st| {
        let role = st.role(account, &r.role_name).ok_or_else(|| no_such_role(&r.role_name))?;
        if !is_service_linked(role) {
            return Err(messages::not_a_service_linked_role(&role.name));
        }
        let earlier = st
            .deletion_tasks
            .values()
            .find(|t| t.account == account && t.role_name.eq_ignore_ascii_case(&role.name) && pending(t));
        if let Some(t) = earlier {
            return Ok((Vec::new(), iam::DeleteServiceLinkedRoleResponse { deletion_task_id: t.id.clone() }));
        }
        let principal = role.path.trim_start_matches(PATH_PREFIX).trim_end_matches('/');
        let id = format!("task/aws-service-role/{principal}/{}/{}", role.name, crate::ids::request_id());
        let task = DeletionTask {
            account: account.to_owned(),
            id: id.clone(),
            role_name: role.name.clone(),
            status: "NOT_STARTED".to_owned(),
            reason: None,
            used_by: Vec::new(),
            created: now,
        };
        Ok((vec![Change::Put(Record::DeletionTask(task))], iam::DeleteServiceLinkedRoleResponse { deletion_task_id: id }))
    })
}

impl Iam {
    /// Whether any deletion task waits for [`Iam::run_deletion_tasks`].
    pub fn has_pending_deletion_tasks(&self) -> bool {
        self.read().deletion_tasks.values().any(pending)
    }

    /// Decides every pending deletion task. Castellan runs no AWS service that could still be
    /// using a service-linked role except through an instance profile: a role in one stays and
    /// its task FAILS, naming the profiles (AWS's RoleUsageList); otherwise the role and its
    /// policies go and the task SUCCEEDS, in one commit. Several nodes may run this at once:
    /// each task is decided by one commit, the others see it decided and do nothing.
    /// Returns how many tasks this call decided.
    pub fn run_deletion_tasks(&self) -> ApiResult<usize> {
        let keys: Vec<crate::state::NameKey> =
            self.read().deletion_tasks.iter().filter(|(_, t)| pending(t)).map(|(k, _)| k.clone()).collect();
        let mut decided = 0;
        for key in keys {
            decided += self.mutate(|st| {
                let Some(task) = st.deletion_tasks.get(&key).filter(|t| pending(t)) else { return Ok((Vec::new(), 0)) };
                let mut task = task.clone();
                let mut changes = Vec::new();
                match st.role(&task.account, &task.role_name).filter(|r| is_service_linked(r)) {
                    Some(role) => {
                        let used_by = role_usage(st, &task.account, role);
                        if used_by.is_empty() {
                            changes.push(Change::Delete(Record::Role(role.clone())));
                            task.status = "SUCCEEDED".into();
                        } else {
                            task.status = "FAILED".into();
                            task.reason = Some("The service-linked role is in use by instance profiles; remove it from them first.".into());
                            task.used_by = used_by;
                        }
                    }
                    // Gone already: nothing left to delete.
                    None => task.status = "SUCCEEDED".into(),
                }
                changes.push(Change::Put(Record::DeletionTask(task)));
                Ok((changes, 1))
            })?;
        }
        Ok(decided)
    }
}

pub fn status(
    iam: &Iam,
    account: &str,
    r: &iam::GetServiceLinkedRoleDeletionStatusRequest,
) -> ApiResult<iam::GetServiceLinkedRoleDeletionStatusResponse> {
    let id = r.deletion_task_id.as_str();
    if !id.starts_with("task/aws-service-role/") || id.split('/').count() != 5 {
        return Err(messages::invalid_deletion_task_id(id));
    }
    let st = iam.read();
    let task = st
        .deletion_tasks
        .get(&crate::state::name_key(account, DeletionTask::uuid(id)))
        .filter(|t| t.id == id)
        .ok_or_else(|| messages::no_such_deletion_task(id))?;
    let status = match task.status.as_str() {
        "SUCCEEDED" => iam::DeletionTaskStatusType::Succeeded,
        "IN_PROGRESS" => iam::DeletionTaskStatusType::InProgress,
        "NOT_STARTED" => iam::DeletionTaskStatusType::NotStarted,
        _ => iam::DeletionTaskStatusType::Failed,
    };
    let reason = task.reason.as_ref().map(|why| iam::DeletionTaskFailureReasonType {
        reason: Some(why.clone()),
        role_usage_list: Some(vec![iam::RoleUsageType { region: Some(st.partition.iam_region().into()), resources: Some(task.used_by.clone()) }]),
    });
    Ok(iam::GetServiceLinkedRoleDeletionStatusResponse { status, reason })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    /// Every row names an AWS managed policy under /aws-service-role/ that Castellan has, a
    /// role name AWS's form (AWSServiceRoleFor…), and where the row comes from.
    #[test]
    fn every_service_linked_role_row_is_complete_and_its_policy_exists() {
        assert!(SPECS.len() >= 90, "{}", SPECS.len());
        for spec in SPECS.values() {
            assert!(spec.role_name.starts_with("AWSServiceRoleFor"), "{spec:?}");
            assert!(spec.role_name.len() <= 64, "{spec:?}");
            assert!(spec.service_principal.ends_with(".amazonaws.com"), "{spec:?}");
            assert!(spec.source.starts_with("https://docs.aws.amazon.com/"), "{spec:?}");
            assert!(!spec.evidence.is_empty());
            let policy = crate::managed::AWS_MANAGED.get(&spec.policy_arn);
            assert!(policy.is_some_and(|p| p.path == PATH_PREFIX), "{spec:?}");
        }
        // Pinned rows (the role names in AWS's errors quoted in the e2e tests).
        assert_eq!(SPECS["autoscaling.amazonaws.com"].role_name, "AWSServiceRoleForAutoScaling");
        assert!(SPECS["autoscaling.amazonaws.com"].custom_suffix);
        assert_eq!(SPECS["es.amazonaws.com"].role_name, "AWSServiceRoleForAmazonElasticsearchService");
        assert!(!SPECS["es.amazonaws.com"].custom_suffix);
    }

    fn iam() -> Iam {
        let iam = Iam::open(Box::new(castellan_store::MemoryStore::new()), crate::MasterKey::generate().0, || 1_800_000_000).unwrap();
        iam.create_account(Some("123456789012".into())).unwrap();
        iam
    }

    fn create_es(iam: &Iam) -> String {
        let r = iam::CreateServiceLinkedRoleRequest { aws_service_name: "es.amazonaws.com".into(), ..Default::default() };
        create(iam, "123456789012", r).unwrap().role.unwrap().role_name
    }

    /// A deletion waits NOT_STARTED for the worker, is asked for again as the same task, and
    /// is decided once: SUCCEEDED with the role gone, or FAILED while a profile holds it.
    #[test]
    fn deletion_tasks_are_decided_by_the_worker_once() {
        let iam = iam();
        let name = create_es(&iam);
        let del = || delete(&iam, "123456789012", iam::DeleteServiceLinkedRoleRequest { role_name: name.clone() });
        let task = del().unwrap().deletion_task_id;
        assert_eq!(del().unwrap().deletion_task_id, task, "the pending task again");
        let get = || status(&iam, "123456789012", &iam::GetServiceLinkedRoleDeletionStatusRequest { deletion_task_id: task.clone() }).unwrap();
        assert_eq!(get().status, iam::DeletionTaskStatusType::NotStarted);
        assert!(iam.has_pending_deletion_tasks());
        assert_eq!(iam.run_deletion_tasks().unwrap(), 1);
        assert_eq!(iam.run_deletion_tasks().unwrap(), 0, "decided once");
        assert_eq!(get().status, iam::DeletionTaskStatusType::Succeeded);
        assert!(iam.read().role("123456789012", &name).is_none());
        assert!(!iam.has_pending_deletion_tasks());
        // Another account cannot read the task.
        let other = status(&iam, "210987654321", &iam::GetServiceLinkedRoleDeletionStatusRequest { deletion_task_id: task.clone() });
        assert!(matches!(other, Err(ApiError::NoSuchEntity(_))));
    }
}
