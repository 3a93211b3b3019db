//! Workloads: Castellan acting as EC2 or ECS when it hands an instance or a task its role.
//!
//! Not an AWS API: the edge (`castellan workload run|serve`, crate `castellan-workload`)
//! registers a workload through the Castellan-specific action `CastellanRegisterWorkload` and
//! fetches its credentials with `CastellanGetWorkloadCredentials`, both on the IAM endpoint and
//! SigV4-signed like any request (`castellan-server`'s `workload` module decodes them).
//!
//! - **Registering** binds an instance profile (its role) or a task role to a new workload id
//!   (`i-` and 17 hex digits, or a 32-digit task id). As RunInstances and RunTask do, it needs
//!   iam:PassRole on the role by the caller, with iam:PassedToService naming the service, and
//!   the role's trust policy must let the service (`ec2.amazonaws.com`,
//!   `ecs-tasks.amazonaws.com`) call sts:AssumeRole. The answer is the workload's id and its
//!   token: the registration sealed under the master key, so any node can serve it and nothing
//!   is stored per workload. Only the principal that registered it (the same user, the same
//!   role through any of its sessions, or the root user) may fetch its credentials.
//! - **Credentials** are issued for a token only while the registration still holds: the
//!   profile and the role are the ones registered (same unique ids: deleted or re-created means
//!   the credentials stop at the next refresh), the profile still holds the role, and the trust
//!   policy still lets the service assume it. The session is the role's, named after the
//!   workload (`assumed-role/ROLE/i-…`), with the condition keys EC2 sets for instance
//!   credentials: `ec2:SourceInstanceARN` and `ec2:RoleDelivery` (`2.0`: delivered by IMDSv2
//!   only). The trust policy is evaluated with the service as principal and `aws:SourceAccount`
//!   and `aws:SourceArn` (the instance's or task's ARN), so confused-deputy conditions work.

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};
use crate::messages;
use crate::model::Role;
use crate::session::{Session, SessionKind};
use crate::{Caller, Iam, Principal, RequestInfo};

/// Longest and default lifetime of workload credentials: six hours, as EC2's instance
/// credentials. A shorter one may be asked for (at least a minute), for tighter rotation.
pub const MAX_DURATION: i32 = 21_600;
pub const MIN_DURATION: i32 = 60;

/// What a workload is, and so which service Castellan acts as for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WorkloadKind {
    /// An EC2 instance with an instance profile: credentials through IMDS.
    Instance,
    /// An ECS task with a task role: credentials through the container endpoint.
    Task,
}

impl WorkloadKind {
    pub fn service(self) -> &'static str {
        match self {
            Self::Instance => "ec2.amazonaws.com",
            Self::Task => "ecs-tasks.amazonaws.com",
        }
    }
}

/// A registration, exactly as its token carries it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Ticket {
    account: String,
    kind: WorkloadKind,
    id: String,
    region: String,
    /// The instance profile's name and unique id (instances).
    profile: Option<(String, String)>,
    role_name: String,
    role_id: String,
    registered: i64,
    registered_by: String,
    /// Who may fetch the workload's credentials: the principal that registered it (its unique
    /// id: a user's, a role's for any of its sessions, or the account's for root).
    holder: String,
}

impl Ticket {
    /// The instance's or task's ARN.
    fn arn(&self, p: crate::arn::Partition) -> String {
        let p = p.arn_prefix();
        match self.kind {
            WorkloadKind::Instance => format!("{p}ec2:{}:{}:instance/{}", self.region, self.account, self.id),
            WorkloadKind::Task => format!("{p}ecs:{}:{}:task/default/{}", self.region, self.account, self.id),
        }
    }
}

const CONTEXT: &str = "castellan-workload";

/// The answer to a registration.
#[derive(Debug, Clone)]
pub struct Registration {
    pub id: String,
    /// Opaque; the workload's identity towards Castellan (a bearer secret: keep it off logs).
    pub token: String,
}

/// A workload's credentials and what IMDS and the container endpoint show beside them.
#[derive(Clone)]
pub struct WorkloadCredentials {
    pub id: String,
    pub kind: WorkloadKind,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// Unix seconds.
    pub issued: i64,
    pub expiration: i64,
    pub role_name: String,
    pub role_arn: String,
    pub profile_arn: Option<String>,
    pub profile_id: Option<String>,
}

impl std::fmt::Debug for WorkloadCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkloadCredentials")
            .field("id", &self.id)
            .field("access_key_id", &self.access_key_id)
            .field("expiration", &self.expiration)
            .field("role_arn", &self.role_arn)
            .finish_non_exhaustive()
    }
}

fn hex(n: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..n).map(|_| char::from(b"0123456789abcdef".get(rng.gen_range(0..16)).copied().unwrap_or(b'0'))).collect()
}

/// The message ECS gives when it cannot assume a task role (RunTask's ClientException), used
/// for instances too.
fn cannot_assume(service: &str, role_arn: &str) -> ApiError {
    messages::workload_cannot_assume(service, role_arn)
}

/// These actions are IAM's, and IAM refuses GetFederationToken sessions and GetSessionToken
/// sessions without MFA, as for any other IAM action (`authz::authorize`).
fn iam_accepts(caller: &Caller) -> ApiResult<()> {
    match caller.session.as_deref().map(|s| (&s.kind, s.mfa)) {
        Some((SessionKind::FederatedUser { .. }, _) | (SessionKind::SessionToken { .. }, false)) => {
            Err(messages::iam_security_token_invalid())
        }
        _ => Ok(()),
    }
}

/// The principal behind `caller`, by unique id: the same for every session of a role.
fn holder(caller: &Caller) -> String {
    match &caller.principal {
        Principal::Root => format!("root:{}", caller.account),
        Principal::User { id, .. } => id.clone(),
        Principal::AssumedRole { role_id, .. } => role_id.clone(),
        Principal::FederatedUser { name } => format!("federated:{}:{name}", caller.account),
    }
}

fn stopped(id: &str) -> ApiError {
    messages::workload_stopped(id)
}

impl Iam {
    /// Registers a workload: `name` is the instance profile's (Instance) or the role's (Task).
    pub fn register_workload(&self, caller: &Caller, info: &RequestInfo, kind: WorkloadKind, name: &str) -> ApiResult<Registration> {
        iam_accepts(caller)?;
        let account = caller.account.as_str();
        let (profile, role) = {
            let st = self.read();
            match kind {
                WorkloadKind::Instance => {
                    let p = st
                        .instance_profile(account, name)
                        .ok_or_else(|| messages::no_such_instance_profile(name))?;
                    let role_name = p
                        .roles
                        .first()
                        .ok_or_else(|| messages::instance_profile_without_role(&p.name))?;
                    let role = st.role(account, role_name).ok_or_else(|| super::ops::no_such_role(role_name))?;
                    (Some((p.name.clone(), p.id.clone())), role.clone())
                }
                WorkloadKind::Task => (None, st.role(account, name).ok_or_else(|| super::ops::no_such_role(name))?.clone()),
            }
        };
        crate::authz::authorize_pass_role(self, caller, info, &role, kind.service())?;
        let id = match kind {
            WorkloadKind::Instance => format!("i-{}", hex(17)),
            WorkloadKind::Task => hex(32),
        };
        let region = if info.region.is_empty() { self.partition.iam_region().to_owned() } else { info.region.clone() };
        let ticket = Ticket {
            account: account.to_owned(),
            kind,
            id: id.clone(),
            region,
            profile,
            role_name: role.name.clone(),
            role_id: role.id.clone(),
            registered: self.now(),
            registered_by: caller.arn(),
            holder: holder(caller),
        };
        if !self.service_may_assume(&ticket, &role) {
            return Err(cannot_assume(kind.service(), &crate::arn::role_arn(self.partition, account, &role.path, &role.name)));
        }
        let json = serde_json::to_string(&ticket).map_err(|_| ApiError::ServiceFailure)?;
        let token = self.master_key.seal(&json, CONTEXT).map_err(|_| ApiError::ServiceFailure)?;
        tracing::info!(workload = %id, role = %role.name, by = %ticket.registered_by, "workload registered");
        Ok(Registration { id, token })
    }

    fn service_may_assume(&self, ticket: &Ticket, role: &Role) -> bool {
        let keys = [("aws:SourceAccount", ticket.account.clone()), ("aws:SourceArn", ticket.arn(self.partition))];
        crate::authz::service_may_assume(self, role, ticket.kind.service(), &keys)
    }

    /// Issues credentials for the workload `token` names, if its registration still holds.
    /// `caller` must be of the workload's account (the host serving it).
    pub fn workload_credentials(&self, caller: &Caller, info: &RequestInfo, token: &str, duration: Option<i32>) -> ApiResult<WorkloadCredentials> {
        iam_accepts(caller)?;
        let invalid = || messages::workload_token_invalid();
        let json = self.master_key.open(token, CONTEXT).map_err(|_| invalid())?;
        let ticket: Ticket = serde_json::from_str(&json).map_err(|_| invalid())?;
        // Only the principal that registered the workload (and was allowed to pass its role)
        // fetches its credentials: the token alone is not enough.
        if ticket.account != caller.account || ticket.holder != holder(caller) {
            return Err(invalid());
        }
        let duration = duration.unwrap_or(MAX_DURATION);
        if !(MIN_DURATION..=MAX_DURATION).contains(&duration) {
            return Err(messages::workload_duration_invalid(MIN_DURATION, MAX_DURATION));
        }
        let account = ticket.account.as_str();
        let (role, profile_arn) = {
            let st = self.read();
            let role_name = match &ticket.profile {
                Some((name, id)) => {
                    let p = st.instance_profile(account, name).filter(|p| p.id == *id).ok_or_else(|| stopped(&ticket.id))?;
                    let profile_arn = crate::arn::instance_profile_arn(st.partition, account, &p.path, &p.name);
                    (p.roles.first().cloned().ok_or_else(|| stopped(&ticket.id))?, Some(profile_arn))
                }
                None => (ticket.role_name.clone(), None),
            };
            let role = st.role(account, &role_name.0).filter(|r| r.id == ticket.role_id).ok_or_else(|| stopped(&ticket.id))?;
            (role.clone(), role_name.1)
        };
        let role_arn = crate::arn::role_arn(self.partition, account, &role.path, &role.name);
        if !self.service_may_assume(&ticket, &role) {
            return Err(cannot_assume(ticket.kind.service(), &role_arn));
        }
        // The holder must still be allowed to pass the role (fail closed: a holder whose
        // iam:PassRole was taken away, or who is now denied everything, gets nothing more).
        crate::authz::authorize_pass_role(self, caller, info, &role, ticket.kind.service())?;
        let now = self.now();
        let kind = SessionKind::AssumedRole {
            role_name: role.name.clone(),
            role_id: role.id.clone(),
            role_path: role.path.clone(),
            session_name: ticket.id.clone(),
        };
        let mut session = Session::new(account, kind, now, duration);
        if ticket.kind == WorkloadKind::Instance {
            session.service_context = vec![("ec2:SourceInstanceARN".into(), ticket.arn(self.partition)), ("ec2:RoleDelivery".into(), "2.0".into())];
        }
        let session_token = session.seal(&self.master_key)?;
        Ok(WorkloadCredentials {
            id: ticket.id.clone(),
            kind: ticket.kind,
            access_key_id: session.access_key_id.clone(),
            secret_access_key: session.secret_access_key.clone(),
            session_token,
            issued: now,
            expiration: session.expires,
            role_name: role.name.clone(),
            role_arn,
            profile_arn,
            profile_id: ticket.profile.as_ref().map(|(_, id)| id.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use castellan_api::{iam, Request};

    use super::*;

    const ACCOUNT: &str = "123456789012";

    fn setup() -> (Iam, Caller) {
        let iam = Iam::open(Box::new(castellan_store::MemoryStore::new()), crate::MasterKey::generate().0, crate::system_clock).unwrap();
        let creds = iam.create_account(Some(ACCOUNT.into())).unwrap();
        let (root, _) = iam.caller_for_access_key(&creds.access_key_id).unwrap();
        (iam, root)
    }

    fn call(iam: &Iam, caller: &Caller, r: Request) {
        iam.handle(caller, &RequestInfo::default(), r).unwrap();
    }

    fn trust(service: &str) -> String {
        format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"{service}"}},"Action":"sts:AssumeRole"}}]}}"#)
    }

    fn create_role(iam: &Iam, root: &Caller, name: &str, service: &str) {
        let r = iam::CreateRoleRequest { role_name: name.into(), assume_role_policy_document: trust(service), ..Default::default() };
        call(iam, root, Request::CreateRole(r));
    }

    /// In aws-cn the workload's role, session, profile and instance ARNs are the partition's,
    /// and an instance registered without a region is in the partition's IAM region
    /// (arn:aws-cn:ec2:cn-north-1:…, "ARNs for Amazon Web Services in China").
    #[test]
    fn a_workload_in_china_has_the_partitions_arns() {
        let iam = Iam::open_in(Box::new(castellan_store::MemoryStore::new()), crate::MasterKey::generate().0, crate::system_clock, crate::Partition::AwsCn).unwrap();
        let creds = iam.create_account(Some(ACCOUNT.into())).unwrap();
        let (root, _) = iam.caller_for_access_key(&creds.access_key_id).unwrap();
        create_role(&iam, &root, "App", "ec2.amazonaws.com");
        call(&iam, &root, Request::CreateInstanceProfile(iam::CreateInstanceProfileRequest { instance_profile_name: "P".into(), ..Default::default() }));
        call(&iam, &root, Request::AddRoleToInstanceProfile(iam::AddRoleToInstanceProfileRequest { instance_profile_name: "P".into(), role_name: "App".into() }));
        let reg = iam.register_workload(&root, &RequestInfo::default(), WorkloadKind::Instance, "P").unwrap();
        let c = iam.workload_credentials(&root, &RequestInfo::default(), &reg.token, Some(900)).unwrap();
        assert_eq!(c.role_arn, format!("arn:aws-cn:iam::{ACCOUNT}:role/App"));
        assert_eq!(c.profile_arn.as_deref(), Some(format!("arn:aws-cn:iam::{ACCOUNT}:instance-profile/P").as_str()));
        let (caller, _) = iam.caller_for_session(&c.access_key_id, &c.session_token).unwrap();
        assert_eq!(caller.arn(), format!("arn:aws-cn:sts::{ACCOUNT}:assumed-role/App/{}", reg.id));
        let keys = &caller.session.as_ref().unwrap().service_context;
        assert!(keys.contains(&("ec2:SourceInstanceARN".into(), format!("arn:aws-cn:ec2:cn-north-1:{ACCOUNT}:instance/{}", reg.id))));
    }

    #[test]
    fn an_instance_gets_its_profile_role_session_until_the_role_changes() {
        let (iam, root) = setup();
        create_role(&iam, &root, "App", "ec2.amazonaws.com");
        call(&iam, &root, Request::CreateInstanceProfile(iam::CreateInstanceProfileRequest { instance_profile_name: "P".into(), ..Default::default() }));
        call(&iam, &root, Request::AddRoleToInstanceProfile(iam::AddRoleToInstanceProfileRequest { instance_profile_name: "P".into(), role_name: "App".into() }));
        let reg = iam.register_workload(&root, &RequestInfo::default(), WorkloadKind::Instance, "P").unwrap();
        assert!(reg.id.starts_with("i-") && reg.id.len() == 19);
        let c = iam.workload_credentials(&root, &RequestInfo::default(), &reg.token, Some(900)).unwrap();
        assert_eq!(c.role_arn, format!("arn:aws:iam::{ACCOUNT}:role/App"));
        assert_eq!(c.expiration - c.issued, 900);
        let (caller, _) = iam.caller_for_session(&c.access_key_id, &c.session_token).unwrap();
        assert_eq!(caller.arn(), format!("arn:aws:sts::{ACCOUNT}:assumed-role/App/{}", reg.id));
        let keys = &caller.session.as_ref().unwrap().service_context;
        assert!(keys.contains(&("ec2:SourceInstanceARN".into(), format!("arn:aws:ec2:us-east-1:{ACCOUNT}:instance/{}", reg.id))));
        assert!(keys.contains(&("ec2:RoleDelivery".into(), "2.0".into())));
        // A forged or altered token, a duration out of range: nothing.
        assert!(matches!(iam.workload_credentials(&root, &RequestInfo::default(), "Zm9yZ2Vk", None), Err(ApiError::AccessDenied(_))));
        assert!(matches!(iam.workload_credentials(&root, &RequestInfo::default(), &reg.token, Some(59)), Err(ApiError::Validation(_))));
        // The trust no longer names EC2: refused at the next refresh.
        call(&iam, &root, Request::UpdateAssumeRolePolicy(iam::UpdateAssumeRolePolicyRequest { role_name: "App".into(), policy_document: trust("ecs-tasks.amazonaws.com") }));
        assert!(matches!(iam.workload_credentials(&root, &RequestInfo::default(), &reg.token, None), Err(ApiError::AccessDenied(_))));
        // Trusted again, then the role taken out of the profile and re-created: still refused.
        call(&iam, &root, Request::UpdateAssumeRolePolicy(iam::UpdateAssumeRolePolicyRequest { role_name: "App".into(), policy_document: trust("ec2.amazonaws.com") }));
        iam.workload_credentials(&root, &RequestInfo::default(), &reg.token, None).unwrap();
        call(&iam, &root, Request::RemoveRoleFromInstanceProfile(iam::RemoveRoleFromInstanceProfileRequest { instance_profile_name: "P".into(), role_name: "App".into() }));
        call(&iam, &root, Request::DeleteRole(iam::DeleteRoleRequest { role_name: "App".into() }));
        create_role(&iam, &root, "App", "ec2.amazonaws.com");
        call(&iam, &root, Request::AddRoleToInstanceProfile(iam::AddRoleToInstanceProfileRequest { instance_profile_name: "P".into(), role_name: "App".into() }));
        assert!(matches!(iam.workload_credentials(&root, &RequestInfo::default(), &reg.token, None), Err(ApiError::AccessDenied(_))));
    }

    #[test]
    fn only_the_registering_principal_fetches_credentials() {
        let (iam, root) = setup();
        create_role(&iam, &root, "Task", "ecs-tasks.amazonaws.com");
        call(&iam, &root, Request::CreateUser(iam::CreateUserRequest { user_name: "other".into(), ..Default::default() }));
        let key = match iam.handle(&root, &RequestInfo::default(), Request::CreateAccessKey(iam::CreateAccessKeyRequest { user_name: Some("other".into()) })).unwrap() {
            castellan_api::Response::CreateAccessKey(r) => r.access_key.access_key_id,
            _ => unreachable!(),
        };
        let (other, _) = iam.caller_for_access_key(&key).unwrap();
        let reg = iam.register_workload(&root, &RequestInfo::default(), WorkloadKind::Task, "Task").unwrap();
        assert_eq!(reg.id.len(), 32);
        iam.workload_credentials(&root, &RequestInfo::default(), &reg.token, None).unwrap();
        assert!(matches!(iam.workload_credentials(&other, &RequestInfo::default(), &reg.token, None), Err(ApiError::AccessDenied(_))));
        // A user without iam:PassRole cannot register it.
        let denied = iam.register_workload(&other, &RequestInfo::default(), WorkloadKind::Task, "Task");
        assert!(matches!(denied, Err(ApiError::AccessDenied(m)) if m.contains("iam:PassRole")));
        // Nor can anyone give an instance a role that does not trust EC2.
        call(&iam, &root, Request::CreateInstanceProfile(iam::CreateInstanceProfileRequest { instance_profile_name: "TP".into(), ..Default::default() }));
        call(&iam, &root, Request::AddRoleToInstanceProfile(iam::AddRoleToInstanceProfileRequest { instance_profile_name: "TP".into(), role_name: "Task".into() }));
        let refused = iam.register_workload(&root, &RequestInfo::default(), WorkloadKind::Instance, "TP");
        assert!(matches!(refused, Err(ApiError::AccessDenied(m)) if m.starts_with("ec2.amazonaws.com was unable to assume the role")));
        assert!(matches!(iam.register_workload(&root, &RequestInfo::default(), WorkloadKind::Instance, "Nope"), Err(ApiError::NoSuchEntity(_))));
    }

    /// Fail closed (review finding): a holder that loses iam:PassRole gets no more credentials
    /// for the workload it registered.
    #[test]
    fn losing_pass_role_stops_the_credentials() {
        let (iam, root) = setup();
        create_role(&iam, &root, "Task", "ecs-tasks.amazonaws.com");
        call(&iam, &root, Request::CreateUser(iam::CreateUserRequest { user_name: "host".into(), ..Default::default() }));
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}]}"#;
        let put = iam::PutUserPolicyRequest { user_name: "host".into(), policy_name: "pass".into(), policy_document: policy.into() };
        call(&iam, &root, Request::PutUserPolicy(put));
        let key = match iam.handle(&root, &RequestInfo::default(), Request::CreateAccessKey(iam::CreateAccessKeyRequest { user_name: Some("host".into()) })).unwrap() {
            castellan_api::Response::CreateAccessKey(r) => r.access_key.access_key_id,
            _ => unreachable!(),
        };
        let (host, _) = iam.caller_for_access_key(&key).unwrap();
        let reg = iam.register_workload(&host, &RequestInfo::default(), WorkloadKind::Task, "Task").unwrap();
        iam.workload_credentials(&host, &RequestInfo::default(), &reg.token, None).unwrap();
        call(&iam, &root, Request::DeleteUserPolicy(iam::DeleteUserPolicyRequest { user_name: "host".into(), policy_name: "pass".into() }));
        let refused = iam.workload_credentials(&host, &RequestInfo::default(), &reg.token, None);
        assert!(matches!(refused, Err(ApiError::AccessDenied(m)) if m.contains("iam:PassRole")));
    }
}
