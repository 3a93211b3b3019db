//! Service and action last accessed data (IAM's "access advisor", issue 16):
//! GenerateServiceLastAccessedDetails, GetServiceLastAccessedDetails and
//! GetServiceLastAccessedDetailsWithEntities.
//!
//! Every request that reaches authorization (allowed or denied: AWS counts "all attempts to
//! access an AWS API, not just the successful ones", GenerateServiceLastAccessedDetails
//! documentation) notes, for the user or role that made it, the time and Region per service
//! and per action, in memory. A report lists the services the entity's permissions policies
//! allow ("It only applies permissions policy logic": no boundaries, resource-based or
//! session policies; GetServiceLastAccessedDetails documentation), each with the latest
//! attempt by the entity (a group: its members; a policy: the users, groups' members and roles
//! it is attached to) and how many of those entities made one; ACTION_LEVEL adds, for IAM and
//! STS (the services Castellan serves and tracks), each allowed action's last access. Reports
//! are computed when generated, so a job is COMPLETED at once.
//!
//! The data is this node's, in memory: it is not written to the store, so a restart or
//! another node does not see it (see the report in the README).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::Read as _;
use std::sync::{LazyLock, Mutex};

use castellan_api::iam;
use castellan_api::iam::{AccessAdvisorUsageGranularityType as Granularity, JobStatusType, PolicyOwnerEntityType};
use castellan_policy::{ActionBlock, Effect, Policy, PolicyKind};
use flate2::read::GzDecoder;

use crate::error::ApiResult;
use crate::messages;
use crate::model::InlinePolicies;
use crate::ops::ts;
use crate::state::State;
use crate::{Caller, Iam, Principal};

/// Reports kept (the oldest are forgotten first); AWS keeps a report for 7 days.
const JOBS_KEPT: usize = 1000;

/// One service's name and actions, from the Service Authorization Reference.
struct ServiceInfo {
    namespace: String,
    name: String,
    actions: Vec<String>,
}

/// Every service's namespace, name and actions, read on the first report.
static SERVICES: LazyLock<Vec<ServiceInfo>> = LazyLock::new(|| {
    #[derive(serde::Deserialize)]
    struct Service {
        service_name: String,
        #[serde(default)]
        actions: BTreeMap<String, serde::de::IgnoredAny>,
    }
    let mut text = String::new();
    if GzDecoder::new(crate::authz::SAR).read_to_string(&mut text).is_err() {
        return Vec::new();
    }
    let all: BTreeMap<String, Service> = serde_json::from_str(&text).unwrap_or_default();
    all.into_iter().map(|(namespace, s)| ServiceInfo { namespace, name: s.service_name, actions: s.actions.into_keys().collect() }).collect()
});

/// The latest attempt: Unix seconds and Region.
#[derive(Debug, Clone)]
struct Attempt {
    time: i64,
    region: String,
}

/// Attempts by principal unique id, then by `service` and by `service:Action`.
#[derive(Debug, Default)]
pub(crate) struct AccessLog {
    attempts: Mutex<HashMap<String, HashMap<String, Attempt>>>,
    jobs: Mutex<VecDeque<(String, Job)>>,
}

/// A generated report.
#[derive(Debug, Clone)]
struct Job {
    account: String,
    granularity: Granularity,
    created: i64,
    services: Vec<iam::ServiceLastAccessed>,
    /// Per service namespace, the entities and their last attempt.
    entities: HashMap<String, Vec<iam::EntityDetails>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Iam {
    /// Notes an attempt by the caller at `action` (`iam:CreateUser`) in `region`.
    pub(crate) fn record_access(&self, caller: &Caller, action: &str, region: &str) {
        let id = match &caller.principal {
            Principal::User { id, .. } => id,
            Principal::AssumedRole { role_id, .. } => role_id,
            Principal::Root | Principal::FederatedUser { .. } => return,
        };
        let Some((service, _)) = action.split_once(':') else { return };
        let attempt = Attempt { time: self.now(), region: region.to_owned() };
        let mut all = lock(&self.access_log.attempts);
        let mine = all.entry(id.clone()).or_default();
        mine.insert(service.to_owned(), attempt.clone());
        mine.insert(action.to_owned(), attempt);
    }
}

impl Iam {
    /// Every attempt known for `account`'s users and roles: the stored history (every node's,
    /// flushed) with this node's pending attempts over it, the later of each.
    fn attempts(&self, account: &str) -> HashMap<String, HashMap<String, Attempt>> {
        let mut all: HashMap<String, HashMap<String, Attempt>> = HashMap::new();
        {
            let st = self.read();
            let start = (account.to_owned(), String::new());
            for (_, h) in st.access_history.range(start..).take_while(|((a, _), _)| a == account) {
                let mine = all.entry(h.principal_id.clone()).or_default();
                for (key, (time, region)) in &h.entries {
                    mine.insert(key.clone(), Attempt { time: *time, region: region.clone() });
                }
            }
        }
        for (id, pending) in lock(&self.access_log.attempts).iter() {
            let mine = all.entry(id.clone()).or_default();
            for (key, a) in pending {
                if mine.get(key).is_none_or(|old| a.time >= old.time) {
                    mine.insert(key.clone(), a.clone());
                }
            }
        }
        all
    }

    /// Writes the attempts recorded since the last flush into the principals' stored
    /// histories, in one commit (with the access keys' and roles' last use, every few seconds).
    pub fn flush_access_history(&self) -> ApiResult<()> {
        let taken = std::mem::take(&mut *lock(&self.access_log.attempts));
        if taken.is_empty() {
            return Ok(());
        }
        let result = self.mutate(|st| {
            let mut changes = Vec::new();
            for (id, pending) in &taken {
                let account = match st.by_id.get(id) {
                    Some(crate::state::IdOwner::User((a, _)) | crate::state::IdOwner::Role((a, _))) => a.clone(),
                    None => continue,
                };
                let mut h = st.access_history.get(&crate::state::name_key(&account, id)).cloned().unwrap_or_else(|| crate::model::AccessHistory {
                    account: account.clone(),
                    principal_id: id.clone(),
                    entries: Default::default(),
                });
                for (key, a) in pending {
                    if h.entries.get(key).is_none_or(|(t, _)| a.time >= *t) {
                        h.entries.insert(key.clone(), (a.time, a.region.clone()));
                    }
                }
                changes.push(crate::model::Change::Put(crate::model::Record::AccessHistory(h)));
            }
            Ok((changes, ()))
        });
        if result.is_err() {
            // Kept for the next flush, under what was recorded since.
            let mut all = lock(&self.access_log.attempts);
            for (id, pending) in taken {
                let mine = all.entry(id).or_default();
                for (key, a) in pending {
                    mine.entry(key).or_insert(a);
                }
            }
        }
        result
    }
}

/// An entity a report covers.
struct Entity {
    arn: String,
    name: String,
    id: String,
    path: String,
    kind: PolicyOwnerEntityType,
}

/// The policies and entities of the ARN a report is asked for.
fn subject(st: &State, account: &str, arn: &str) -> ApiResult<(Vec<String>, Vec<Entity>)> {
    let invalid = || messages::provider_arn_not_valid(arn);
    let rest = arn.strip_prefix(st.partition.iam_prefix()).ok_or_else(invalid)?;
    let (acct, resource) = rest.split_once(':').ok_or_else(invalid)?;
    let (kind, path_and_name) = resource.split_once('/').ok_or_else(invalid)?;
    let name = path_and_name.rsplit('/').next().ok_or_else(invalid)?;
    let missing = || messages::no_such_entity(arn);
    if acct != account && !(kind == "policy" && acct == "aws") {
        return Err(missing());
    }
    let docs = |inline: &InlinePolicies, attached: &[String]| -> Vec<String> {
        let mut out: Vec<String> = inline.values().map(|p| p.document.clone()).collect();
        out.extend(attached.iter().filter_map(|a| crate::ops::policies::resolve(st, account, a)).map(|p| p.default_document().to_owned()));
        out
    };
    let entity = |kind: PolicyOwnerEntityType, account: &str, path: &str, name: &str, id: &str| {
        let word = if kind == PolicyOwnerEntityType::Role { "role" } else { "user" };
        Entity { arn: format!("arn:{}:iam::{account}:{word}{path}{name}", st.partition.as_str()), name: name.to_owned(), id: id.to_owned(), path: path.to_owned(), kind }
    };
    let user_entity = |u: &crate::model::User| entity(PolicyOwnerEntityType::User, &u.account, &u.path, &u.name, &u.id);
    let role_entity = |r: &crate::model::Role| entity(PolicyOwnerEntityType::Role, &r.account, &r.path, &r.name, &r.id);
    let members = |group: &str| -> Vec<&crate::model::User> {
        st.users.values().filter(|u| u.account == account && u.groups.iter().any(|g| g.eq_ignore_ascii_case(group))).collect()
    };
    match kind {
        "user" => {
            let u = st.user(account, name).ok_or_else(missing)?;
            let mut policies = docs(&u.inline_policies, &u.attached_policies);
            for g in u.groups.iter().filter_map(|g| st.group(account, g)) {
                policies.extend(docs(&g.inline_policies, &g.attached_policies));
            }
            Ok((policies, vec![user_entity(u)]))
        }
        "role" => {
            let r = st.role(account, name).ok_or_else(missing)?;
            Ok((docs(&r.inline_policies, &r.attached_policies), vec![role_entity(r)]))
        }
        "group" => {
            let g = st.group(account, name).ok_or_else(missing)?;
            Ok((docs(&g.inline_policies, &g.attached_policies), members(&g.name).into_iter().map(user_entity).collect()))
        }
        "policy" => {
            let p = crate::ops::policies::resolve(st, account, arn).ok_or_else(missing)?;
            let attached = |list: &[String]| list.iter().any(|a| a == arn);
            let mut entities: Vec<Entity> = st.users.values().filter(|u| u.account == account && attached(&u.attached_policies)).map(user_entity).collect();
            for g in st.groups.values().filter(|g| g.account == account && attached(&g.attached_policies)) {
                entities.extend(members(&g.name).into_iter().map(user_entity));
            }
            entities.extend(st.roles.values().filter(|r| r.account == account && attached(&r.attached_policies)).map(role_entity));
            entities.sort_by(|a, b| a.arn.cmp(&b.arn));
            entities.dedup_by(|a, b| a.arn == b.arn);
            Ok((vec![p.default_document().to_owned()], entities))
        }
        _ => Err(invalid()),
    }
}

/// The actions of `service` the policies allow (Allow statements' Action or NotAction).
fn allowed_actions<'a>(policies: &[Policy], service: &'a ServiceInfo) -> Vec<&'a str> {
    service
        .actions
        .iter()
        .filter(|a| {
            let full = format!("{}:{a}", service.namespace);
            policies.iter().flat_map(Policy::statements).filter(|s| s.effect() == Effect::Allow).any(|s| match s.action() {
                ActionBlock::Action(m) => m.iter().any(|m| m.matches(&full)),
                ActionBlock::NotAction(m) => !m.iter().any(|m| m.matches(&full)),
            })
        })
        .map(String::as_str)
        .collect()
}

pub fn generate(iam: &Iam, account: &str, r: iam::GenerateServiceLastAccessedDetailsRequest) -> ApiResult<iam::GenerateServiceLastAccessedDetailsResponse> {
    let granularity = r.granularity.unwrap_or_default();
    let (documents, entities) = subject(&iam.read(), account, &r.arn)?;
    let policies: Vec<Policy> = documents.iter().filter_map(|d| Policy::parse(d, PolicyKind::Identity).ok()).collect();
    let attempts = iam.attempts(account);
    let latest = |key: &str| -> (Option<(&Entity, &Attempt)>, i32) {
        let mut best: Option<(&Entity, &Attempt)> = None;
        let mut count = 0;
        for e in &entities {
            if let Some(a) = attempts.get(&e.id).and_then(|m| m.get(key)) {
                count += 1;
                if best.is_none_or(|(_, b)| a.time > b.time) {
                    best = Some((e, a));
                }
            }
        }
        (best, count)
    };
    let mut services = Vec::new();
    let mut by_service = HashMap::new();
    for service in SERVICES.iter() {
        let actions = allowed_actions(&policies, service);
        if actions.is_empty() {
            continue;
        }
        let (best, count) = latest(&service.namespace);
        let tracked = service.namespace == "iam" || service.namespace == "sts";
        let tracked_actions = (granularity == Granularity::ActionLevel && tracked).then(|| {
            actions
                .iter()
                .map(|a| {
                    let (best, _) = latest(&format!("{}:{a}", service.namespace));
                    iam::TrackedActionLastAccessed {
                        action_name: Some((*a).to_owned()),
                        last_accessed_entity: best.map(|(e, _)| e.arn.clone()),
                        last_accessed_time: best.map(|(_, t)| ts(t.time)),
                        last_accessed_region: best.map(|(_, t)| t.region.clone()),
                    }
                })
                .collect()
        });
        services.push(iam::ServiceLastAccessed {
            service_name: service.name.clone(),
            last_authenticated: best.map(|(_, a)| ts(a.time)),
            service_namespace: service.namespace.clone(),
            last_authenticated_entity: best.map(|(e, _)| e.arn.clone()),
            last_authenticated_region: best.map(|(_, a)| a.region.clone()),
            total_authenticated_entities: Some(count),
            tracked_actions_last_accessed: tracked_actions,
        });
        let mut details: Vec<iam::EntityDetails> = entities
            .iter()
            .map(|e| iam::EntityDetails {
                entity_info: iam::EntityInfo { arn: e.arn.clone(), name: e.name.clone(), type_: e.kind, id: e.id.clone(), path: Some(e.path.clone()) },
                last_authenticated: attempts.get(&e.id).and_then(|m| m.get(&service.namespace)).map(|a| ts(a.time)),
            })
            .collect();
        details.sort_by_key(|d| std::cmp::Reverse(d.last_authenticated.map(castellan_api::Timestamp::unix_seconds)));
        by_service.insert(service.namespace.clone(), details);
    }
    let job_id = crate::ids::request_id();
    let job = Job { account: account.to_owned(), granularity, created: iam.now(), services, entities: by_service };
    let mut jobs = lock(&iam.access_log.jobs);
    if jobs.len() >= JOBS_KEPT {
        jobs.pop_front();
    }
    jobs.push_back((job_id.clone(), job));
    Ok(iam::GenerateServiceLastAccessedDetailsResponse { job_id: Some(job_id) })
}

fn job(iam: &Iam, account: &str, id: &str) -> ApiResult<Job> {
    lock(&iam.access_log.jobs)
        .iter()
        .find(|(j, job)| j == id && job.account == account)
        .map(|(_, job)| job.clone())
        .ok_or_else(|| messages::no_such_job(id))
}

/// A page of `items` from `marker` (an index this code wrote), at most `max_items` (100 by
/// default, as IAM's listings).
fn page<T>(items: Vec<T>, marker: Option<&str>, max_items: Option<i32>) -> ApiResult<(Vec<T>, Option<String>)> {
    let start = match marker {
        None => 0,
        Some(m) => m.parse::<usize>().ok().filter(|&n| n <= items.len()).ok_or_else(messages::invalid_marker)?,
    };
    let max = usize::try_from(max_items.unwrap_or(100)).unwrap_or(100).max(1);
    let end = start.saturating_add(max).min(items.len());
    let next = (end < items.len()).then(|| end.to_string());
    Ok((items.into_iter().skip(start).take(end - start).collect(), next))
}

pub fn get(iam: &Iam, account: &str, r: iam::GetServiceLastAccessedDetailsRequest) -> ApiResult<iam::GetServiceLastAccessedDetailsResponse> {
    let job = job(iam, account, &r.job_id)?;
    let (services, marker) = page(job.services, r.marker.as_deref(), r.max_items)?;
    Ok(iam::GetServiceLastAccessedDetailsResponse {
        job_status: JobStatusType::Completed,
        job_type: Some(job.granularity),
        job_creation_date: ts(job.created),
        services_last_accessed: services,
        job_completion_date: ts(job.created),
        is_truncated: Some(marker.is_some()),
        marker,
        error: None,
    })
}

pub fn get_with_entities(
    iam: &Iam,
    account: &str,
    r: iam::GetServiceLastAccessedDetailsWithEntitiesRequest,
) -> ApiResult<iam::GetServiceLastAccessedDetailsWithEntitiesResponse> {
    let job = job(iam, account, &r.job_id)?;
    let entities = job.entities.get(&r.service_namespace).cloned().unwrap_or_default();
    let (entities, marker) = page(entities, r.marker.as_deref(), r.max_items)?;
    Ok(iam::GetServiceLastAccessedDetailsWithEntitiesResponse {
        job_status: JobStatusType::Completed,
        job_creation_date: ts(job.created),
        job_completion_date: ts(job.created),
        entity_details_list: entities,
        is_truncated: Some(marker.is_some()),
        marker,
        error: None,
    })
}
