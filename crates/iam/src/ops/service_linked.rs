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

fn protected(name: &str) -> ApiError {
    ApiError::UnmodifiableEntity(format!(
        "Cannot perform the operation on the protected role '{name}' - this role is only modifiable by AWS"
    ))
}

/// Refuses a request that would edit a service-linked role's trust, permissions or existence
/// (AWS: only the service may; the description may be edited). Also refuses CreateRole under
/// the reserved path. Runs before the operation, on the state it will plan against.
pub fn guard(iam: &Iam, account: &str, request: &Request) -> ApiResult<()> {
    let role_name = match request {
        Request::CreateRole(r) => {
            if r.path.as_deref().is_some_and(|p| p.starts_with(PATH_PREFIX)) {
                return Err(ApiError::InvalidInput(format!(
                    "Path prefix '{PATH_PREFIX}' can only be used for AWS Service linked Roles"
                )));
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
        _ => return Ok(()),
    };
    let st = iam.read();
    match st.role(account, role_name) {
        Some(role) if is_service_linked(role) => Err(protected(&role.name)),
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
        .ok_or_else(|| ApiError::InvalidInput(format!("Invalid service name: {}", r.aws_service_name)))?;
    let name = match r.custom_suffix.as_deref() {
        Some(_) if !spec.custom_suffix => {
            return Err(ApiError::InvalidInput(format!("Custom suffix is not allowed for {}", spec.service_principal)))
        }
        Some(suffix) => format!("{}_{suffix}", spec.role_name),
        None => spec.role_name.clone(),
    };
    if name.len() > 64 {
        return Err(ApiError::Validation(format!(
            "1 validation error detected: Value '{name}' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64"
        )));
    }
    let now = iam.now();
    iam.mutate(|st| {
        if st.role(account, &name).is_some() {
            return Err(ApiError::InvalidInput(format!(
                "Service role name {name} has been taken in this account, please try a different suffix."
            )));
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
            attached_policies: vec![spec.policy_arn.clone()],
            last_used: None,
            principal_ids: Some(Default::default()),
        };
        let out = iam::Role { role_last_used: None, ..roles::shape(st, &role) };
        Ok((vec![Change::Put(Record::Role(role))], iam::CreateServiceLinkedRoleResponse { role: Some(out) }))
    })
}

/// The instance profiles a role is in: a service still using the role stops its deletion.
fn role_usage(st: &State, account: &str, role: &Role) -> Vec<String> {
    st.profiles_by_role
        .get(&crate::state::name_key(account, &role.name))
        .into_iter()
        .flatten()
        .filter_map(|p| st.instance_profile(account, p))
        .map(|p| crate::arn::instance_profile_arn(account, &p.path, &p.name))
        .collect()
}

/// Submits the role for deletion. Castellan runs no AWS service that could still be using a
/// service-linked role except through an instance profile, so the task is decided when it is
/// submitted: SUCCEEDED (the role and its policies are gone) or FAILED (the role is in an
/// instance profile; it stays). A task is a record of its own, so any node can report it.
pub fn delete(iam: &Iam, account: &str, r: iam::DeleteServiceLinkedRoleRequest) -> ApiResult<iam::DeleteServiceLinkedRoleResponse> {
    let now = iam.now();
    iam.mutate(|st| {
        let role = st.role(account, &r.role_name).ok_or_else(|| no_such_role(&r.role_name))?;
        if !is_service_linked(role) {
            return Err(ApiError::InvalidInput(format!("Role {} is not a service-linked role.", role.name)));
        }
        let uuid = crate::ids::request_id();
        let principal = role.path.trim_start_matches(PATH_PREFIX).trim_end_matches('/');
        let id = format!("task/aws-service-role/{principal}/{}/{uuid}", role.name);
        let used_by = role_usage(st, account, role);
        let mut changes = Vec::new();
        let (status, reason) = if used_by.is_empty() {
            changes.push(Change::Delete(Record::Role(role.clone())));
            ("SUCCEEDED", None)
        } else {
            ("FAILED", Some("The role is in use by an instance profile; remove it from the profile first.".to_owned()))
        };
        let task = DeletionTask {
            account: account.to_owned(),
            id: id.clone(),
            role_name: role.name.clone(),
            status: status.to_owned(),
            reason,
            used_by,
            created: now,
        };
        changes.push(Change::Put(Record::DeletionTask(task)));
        Ok((changes, iam::DeleteServiceLinkedRoleResponse { deletion_task_id: id }))
    })
}

pub fn status(
    iam: &Iam,
    account: &str,
    r: &iam::GetServiceLinkedRoleDeletionStatusRequest,
) -> ApiResult<iam::GetServiceLinkedRoleDeletionStatusResponse> {
    let id = r.deletion_task_id.as_str();
    if !id.starts_with("task/aws-service-role/") || id.split('/').count() != 5 {
        return Err(ApiError::InvalidInput(format!("Invalid deletion task id: {id}")));
    }
    let st = iam.read();
    let task = st
        .deletion_tasks
        .get(&crate::state::name_key(account, DeletionTask::uuid(id)))
        .filter(|t| t.id == id)
        .ok_or_else(|| ApiError::NoSuchEntity(format!("Deletion task {id} does not exist.")))?;
    let status = match task.status.as_str() {
        "SUCCEEDED" => iam::DeletionTaskStatusType::Succeeded,
        "IN_PROGRESS" => iam::DeletionTaskStatusType::InProgress,
        "NOT_STARTED" => iam::DeletionTaskStatusType::NotStarted,
        _ => iam::DeletionTaskStatusType::Failed,
    };
    let reason = task.reason.as_ref().map(|why| iam::DeletionTaskFailureReasonType {
        reason: Some(why.clone()),
        role_usage_list: Some(vec![iam::RoleUsageType { region: Some("us-east-1".into()), resources: Some(task.used_by.clone()) }]),
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
}
