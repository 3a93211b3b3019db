//! IAM and STS domain logic.
//!
//! [`Iam`] holds the whole IAM state of every account in memory (reads never touch the
//! store) and persists every change through a [`castellan_store::Store`] before applying it.
//! [`Iam::handle`] takes a decoded, validated [`castellan_api::Request`] and the authenticated
//! [`Caller`] and returns the [`castellan_api::Response`] or an [`ApiError`].
//!
//! Architecture invariants:
//! - no XML, no form encoding, no HTTP: those stay in the edge crates;
//! - a change is validated completely, then committed to the store, then applied to memory, so
//!   a failed request leaves nothing half-written;
//! - secret access keys exist in plaintext only in the CreateAccessKey response and, briefly,
//!   when a signature is checked.

mod advisor;
mod arn;
mod authz;
mod crypto;
mod error;
mod ids;
mod last_used;
mod managed;
pub mod messages;
mod mfa;
mod model;
mod oidc_keys;
mod ops;
mod paginate;
mod passwords;
mod qr;
mod session;
mod signin;
mod state;
mod totp;
mod validate;
mod workload;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

use castellan_api::{Request, Response};
use castellan_store::{Expect, Store, StoreError, Write};

pub use crate::arn::Partition;
pub use crate::authz::RequestInfo;
pub use crate::authz::authorize_action;
pub use crate::crypto::MasterKey;
pub use crate::error::{ApiError, ApiResult};
pub use crate::ids::request_id;
pub use crate::oidc_keys::{HttpsFetcher, MAX_DOCUMENT as MAX_OIDC_DOCUMENT};
use crate::model::{AccessKey, AccessKeyLastUsed, Account, Change, KeyStatus, Record};
pub use crate::session::{Session, SessionKind};
pub use crate::signin::{ConsoleCredentials, SignIn, SignInError};
pub use crate::workload::{Registration, WorkloadCredentials, WorkloadKind};
use crate::state::State;

/// Who made a request, as established by authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub account: String,
    pub principal: Principal,
    pub access_key_id: String,
    /// The session, when the request was signed with temporary credentials.
    pub session: Option<Arc<Session>>,
    /// The server's partition: the one of the caller's ARN.
    pub partition: Partition,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The account's root user: may do everything in its own account.
    Root,
    User { name: String, id: String, path: String },
    /// A role session (AssumeRole).
    AssumedRole { role_name: String, role_id: String, role_path: String, session_name: String },
    /// A federated user (GetFederationToken).
    FederatedUser { name: String },
}

impl Caller {
    pub fn arn(&self) -> String {
        let (a, p) = (&self.account, self.partition);
        match &self.principal {
            Principal::Root => arn::root_arn(p, a),
            Principal::User { name, path, .. } => arn::user_arn(p, a, path, name),
            Principal::AssumedRole { role_name, session_name, .. } => {
                arn::assumed_role_arn(p, a, role_name, session_name)
            }
            Principal::FederatedUser { name } => arn::federated_user_arn(p, a, name),
        }
    }

    /// The principal's unique id, as aws:userid and GetCallerIdentity give it.
    pub fn user_id(&self) -> String {
        match &self.principal {
            Principal::Root => self.account.clone(),
            Principal::User { id, .. } => id.clone(),
            Principal::AssumedRole { role_id, session_name, .. } => format!("{role_id}:{session_name}"),
            Principal::FederatedUser { name } => format!("{}:{name}", self.account),
        }
    }
}

/// An account's root credentials, as printed once when they are created.
#[derive(Clone, PartialEq, Eq)]
pub struct RootCredentials {
    pub account_id: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for RootCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RootCredentials")
            .field("account_id", &self.account_id)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// The time source: Unix seconds. A parameter so tests can control it.
pub type Clock = fn() -> i64;

pub fn system_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The IAM service: state in memory, persisted through the store.
#[derive(Debug)]
pub struct Iam {
    state: RwLock<State>,
    /// The partition, also in `state` (where the ARN builders find it).
    partition: Partition,
    store: Box<dyn Store>,
    master_key: MasterKey,
    /// Serializes writers: validate, commit, apply happen as one step per change.
    writer: Mutex<()>,
    clock: Clock,
    /// Access-key use not yet persisted: recorded in memory on each request and written to
    /// the store by [`Iam::flush_key_usage`], so a request never waits on a write for it.
    key_usage: Mutex<HashMap<String, AccessKeyLastUsed>>,
    /// Bumped after every applied change: compiled policy sets of an older generation are stale.
    generation: AtomicU64,
    /// The store revision up to which this node has applied every change (its own and other
    /// nodes'); [`Iam::sync`] follows the store's change feed from here.
    seen_revision: AtomicU64,
    policy_cache: authz::PolicyCache,
    /// The argon2 pool and per-user password attempt limits.
    passwords: passwords::Passwords,
    /// OIDC issuers' signing keys, for AssumeRoleWithWebIdentity.
    oidc_keys: oidc_keys::KeyCache,
    /// Where this server is reached from outside: the base of the issuer URLs of outbound
    /// identity federation (`ops::outbound`).
    issuer_base: std::sync::OnceLock<String>,
    /// Role use not yet written (RoleLastUsed).
    role_usage: last_used::RoleUsage,
    /// Service and action last accessed data, and the reports made of it.
    access_log: advisor::AccessLog,
}

impl Iam {
    /// Loads every record from the store into memory, in the partition its accounts were
    /// created in (`aws` for an empty store).
    pub fn open(store: Box<dyn Store>, master_key: MasterKey, clock: Clock) -> ApiResult<Self> {
        Self::open_with(store, master_key, clock, None)
    }

    /// Loads every record from the store into memory, for a server of `partition`: every ARN
    /// it builds and accepts is of that partition. A store whose accounts were created in
    /// another partition is refused: its stored ARNs would name nothing (and its Deny
    /// statements deny nothing) here.
    pub fn open_in(store: Box<dyn Store>, master_key: MasterKey, clock: Clock, partition: Partition) -> ApiResult<Self> {
        Self::open_with(store, master_key, clock, Some(partition))
    }

    fn open_with(store: Box<dyn Store>, master_key: MasterKey, clock: Clock, partition: Option<Partition>) -> ApiResult<Self> {
        let snapshot = store.load()?;
        let (state, upgraded) = state_from(snapshot.items, partition)?;
        let partition = state.partition;
        // The AWS managed policies (about 1,450 documents) are loaded on first use, not here:
        // an empty server starts sooner and stays small (issue 16). The authorization
        // reference, which nearly every request needs, is loaded now.
        authz::preload();
        let iam = Self {
            state: RwLock::new(state),
            partition,
            store,
            master_key,
            writer: Mutex::new(()),
            clock,
            key_usage: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            seen_revision: AtomicU64::new(snapshot.revision),
            policy_cache: authz::PolicyCache::default(),
            passwords: passwords::Passwords::default(),
            oidc_keys: oidc_keys::KeyCache::default(),
            issuer_base: std::sync::OnceLock::new(),
            role_usage: last_used::RoleUsage::default(),
            access_log: advisor::AccessLog::default(),
        };
        // Records completed from what existed when they were loaded are written back once,
        // so a later restart does not resolve their names again (by then a name may belong to
        // someone else).
        if !upgraded.is_empty() {
            let written = iam.mutate(|st| Ok((upgraded.iter().filter_map(|k| st.record_at(k)).map(Change::Put).collect(), ())));
            if let Err(e) = written {
                tracing::warn!(error = %e.message(), records = upgraded.len(), "could not write back upgraded records; they stay upgraded in memory");
            }
        }
        Ok(iam)
    }

    /// The partition this server stands for.
    pub fn partition(&self) -> Partition {
        self.partition
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn now(&self) -> i64 {
        (self.clock)()
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        // A poisoned lock only means a panic elsewhere while holding it; the state itself is
        // only ever replaced by complete `apply` calls, so it is still consistent.
        self.state.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs one change: `plan` validates against the current state and returns the changes
    /// and the result; the changes are committed to the store and only then applied.
    ///
    /// Every write is compare-and-swap against the revision memory holds (or "absent" for a
    /// new record), so two nodes cannot both act on the same state: the loser catches up with
    /// the store and plans again, and then sees why it must fail (the name is taken, the quota
    /// is reached).
    fn mutate<T>(&self, mut plan: impl FnMut(&State) -> ApiResult<(Vec<Change>, T)>) -> ApiResult<T> {
        const ATTEMPTS: usize = 5;
        let _writer = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (changes, out) = plan(&self.read())?;
            if changes.is_empty() {
                return Ok(out);
            }
            let writes = {
                let st = self.read();
                let mut writes = Vec::with_capacity(changes.len());
                for change in &changes {
                    let (record, value) = match change {
                        Change::Put(r) => (r, Some(serde_json::to_vec(r).map_err(|_| ApiError::ServiceFailure)?)),
                        Change::Delete(r) => (r, None),
                    };
                    let key = record.key();
                    let expect = match st.revisions.get(&key) {
                        Some(&rev) if st.record_at(&key).is_some() => Expect::Revision(rev),
                        _ => Expect::Absent,
                    };
                    writes.push(Write { key, value, expect });
                }
                writes
            };
            match self.store.commit(&writes) {
                Ok(revision) => {
                    let mut state = self.state.write().unwrap_or_else(std::sync::PoisonError::into_inner);
                    for change in changes {
                        state.apply_at(change, revision);
                    }
                    drop(state);
                    self.generation.fetch_add(1, Ordering::Release);
                    return Ok(out);
                }
                Err(StoreError::Conflict { .. }) if attempt < ATTEMPTS => {
                    // Another node changed what this plan read: catch up, then plan again.
                    self.catch_up()?;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Applies every change other nodes (or `castellan account create`) committed since this
    /// node last looked. Cheap when nothing changed: one indexed query. When this node is so
    /// far behind that the tombstones it would need were collected, it loads everything again.
    pub fn sync(&self) -> ApiResult<()> {
        let _writer = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.catch_up()
    }

    /// [`Iam::sync`], with the writer lock held by the caller.
    ///
    /// Holding it means no commit of this node happens between reading the feed and applying
    /// it: whatever memory holds from this node's own commits was committed before the feed
    /// was read, so the feed shows each key at that revision or a newer one, never an older
    /// put. That is why memory can forget the revision of a deleted record (`State::apply_at`)
    /// and still never let a stale feed entry bring it back; the revision check below only
    /// skips this node's own writes. Compare-and-swap in [`Iam::mutate`] is unaffected: a
    /// record memory does not hold is written as `Expect::Absent`, whether or not a revision
    /// was remembered for its key.
    fn catch_up(&self) -> ApiResult<()> {
        let since = self.seen_revision.load(Ordering::Acquire);
        let feed = match self.store.changes_since(since) {
            Ok(feed) => feed,
            Err(StoreError::Compacted { floor }) => {
                tracing::info!(seen = since, floor, "the change feed was compacted past this node: reloading");
                return self.reload();
            }
            Err(e) => return Err(e.into()),
        };
        if feed.changes.is_empty() {
            self.seen_revision.fetch_max(feed.revision, Ordering::AcqRel);
            return Ok(());
        }
        let mut state = self.state.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        for changed in feed.changes {
            // Memory may already hold this record at a newer revision (this node wrote it).
            if state.revisions.get(&changed.key).is_some_and(|&r| r >= changed.revision) {
                continue;
            }
            match changed.value {
                Some(bytes) => match serde_json::from_slice::<Record>(&bytes) {
                    Ok(record) => state.apply_at(Change::Put(record), changed.revision),
                    Err(e) => tracing::error!(key = %changed.key, error = %e, "unreadable record in the change feed"),
                },
                None => {
                    if let Some(record) = state.record_at(&changed.key) {
                        state.apply_at(Change::Delete(record), changed.revision);
                    }
                }
            }
        }
        drop(state);
        self.seen_revision.fetch_max(feed.revision, Ordering::AcqRel);
        self.generation.fetch_add(1, Ordering::Release);
        Ok(())
    }

    /// Replaces memory with everything the store holds now (the writer lock is held).
    fn reload(&self) -> ApiResult<()> {
        let snapshot = self.store.load()?;
        let (state, _) = state_from(snapshot.items, Some(self.partition()))?;
        *self.state.write().unwrap_or_else(std::sync::PoisonError::into_inner) = state;
        self.seen_revision.store(snapshot.revision, Ordering::Release);
        self.generation.fetch_add(1, Ordering::Release);
        Ok(())
    }

    /// The store revision up to which this node has applied every change.
    pub fn seen_revision(&self) -> u64 {
        self.seen_revision.load(Ordering::Acquire)
    }

    /// Removes from the store the tombstones of deletions up to revision `up_to` (memory keeps
    /// none). A node whose feed position is below it afterwards reloads on its next
    /// [`Iam::sync`]; choose `up_to` so that normally every node has seen it.
    pub fn collect_tombstones(&self, up_to: u64) -> ApiResult<usize> {
        Ok(self.store.collect_tombstones(up_to)?)
    }

    /// Makes sure an account and a root access key exist. With `explicit` credentials (from
    /// the environment) the account and that exact key are created if missing; otherwise, on
    /// an empty store, a default account with a fresh key is created. Returns credentials that
    /// were newly created, to be shown once.
    pub fn bootstrap(&self, explicit: Option<RootCredentials>) -> ApiResult<Option<RootCredentials>> {
        match explicit {
            Some(creds) => {
                let exists = {
                    let st = self.read();
                    st.accounts.contains_key(&creds.account_id)
                        && st.access_keys.get(&creds.access_key_id).is_some_and(|k| {
                            k.account == creds.account_id
                                && k.user.is_none()
                                && self.master_key.open(&k.sealed_secret, &k.id).ok().as_deref()
                                    == Some(creds.secret_access_key.as_str())
                        })
                };
                if exists {
                    return Ok(None);
                }
                self.create_account_with(creds.account_id.clone(), Some(creds.clone()))?;
                Ok(Some(creds))
            }
            None => {
                if !self.read().accounts.is_empty() {
                    return Ok(None);
                }
                self.create_account(None).map(Some)
            }
        }
    }

    /// Creates an account (with a random id unless given) and its root access key.
    pub fn create_account(&self, id: Option<String>) -> ApiResult<RootCredentials> {
        let id = id.unwrap_or_else(ids::account_id);
        if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(messages::account_id_invalid(&id));
        }
        if self.read().accounts.contains_key(&id) {
            return Err(messages::account_exists(&id));
        }
        let creds = RootCredentials {
            account_id: id.clone(),
            access_key_id: ids::access_key_id(),
            secret_access_key: ids::secret_access_key(),
        };
        self.create_account_with(id, Some(creds.clone()))?;
        Ok(creds)
    }

    fn create_account_with(&self, id: String, key: Option<RootCredentials>) -> ApiResult<()> {
        let now = self.now();
        self.mutate(|st| {
            let mut changes = Vec::new();
            if !st.accounts.contains_key(&id) {
                changes.push(Change::Put(Record::Account(Account {
                    id: id.clone(),
                    created: now,
                    aliases: Vec::new(),
                    password_policy: None,
                    root_password_hash: None,
                    // Written only outside `aws`, so records of `aws` stay as they were.
                    partition: (st.partition != Partition::Aws).then(|| st.partition.as_str().to_owned()),
                })));
            }
            if let Some(k) = key.clone() {
                if let Some(existing) = st.access_keys.get(&k.access_key_id) {
                    if existing.account != id || existing.user.is_some() {
                        return Err(messages::access_key_taken(&k.access_key_id));
                    }
                }
                let sealed =
                    self.master_key.seal(&k.secret_access_key, &k.access_key_id).map_err(|_| ApiError::ServiceFailure)?;
                changes.push(Change::Put(Record::AccessKey(AccessKey {
                    account: id.clone(),
                    user: None,
                    user_id: None,
                    id: k.access_key_id,
                    sealed_secret: sealed,
                    status: KeyStatus::Active,
                    created: now,
                    last_used: None,
                })));
            }
            Ok((changes, ()))
        })
    }

    /// Checks that this node's master key opens the secrets already stored: a node started
    /// with another key must not run (it could not verify any signature, and would write
    /// secrets the other nodes cannot read).
    pub fn check_master_key(&self) -> Result<(), String> {
        let st = self.read();
        match st.access_keys.values().next() {
            Some(k) if self.master_key.open(&k.sealed_secret, &k.id).is_err() => Err(
                "the master key does not open the secrets in this database: start every node with the same master key (CASTELLAN_MASTER_KEY or the data directory's master.key)".into(),
            ),
            _ => Ok(()),
        }
    }

    /// The account ids, in order.
    pub fn accounts(&self) -> Vec<String> {
        self.read().accounts.keys().cloned().collect()
    }

    /// The principal a long-term access key belongs to and the key's secret, for signature
    /// verification: one lookup under one lock. `None` unless the key exists, is active and
    /// its user still exists.
    pub fn caller_for_access_key(&self, access_key_id: &str) -> Option<(Caller, String)> {
        let st = self.read();
        let key = st.access_keys.get(access_key_id)?;
        if key.status != KeyStatus::Active {
            return None;
        }
        let secret = self.master_key.open(&key.sealed_secret, &key.id).ok()?;
        let principal = match (&key.user, &key.user_id) {
            (None, _) => Principal::Root,
            // The key's owner by unique id, never whoever has the name now.
            (Some(_), Some(id)) => {
                let u = st.user_by_id(id).filter(|u| u.account == key.account)?;
                Principal::User { name: u.name.clone(), id: u.id.clone(), path: u.path.clone() }
            }
            (Some(_), None) => return None,
        };
        let caller = Caller { account: key.account.clone(), principal, access_key_id: access_key_id.to_owned(), session: None, partition: st.partition };
        Some((caller, secret))
    }

    /// Notes that an access key authenticated a request (GetAccessKeyLastUsed), in memory.
    pub fn record_key_use(&self, access_key_id: &str, service: &str, region: &str) {
        let used = AccessKeyLastUsed { date: self.now(), service: service.to_owned(), region: region.to_owned() };
        self.key_usage.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(access_key_id.to_owned(), used);
    }

    /// The most recent use of a key: pending in memory, else as stored.
    fn key_last_used(&self, key: &AccessKey) -> Option<AccessKeyLastUsed> {
        let pending = self.key_usage.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&key.id).cloned();
        pending.or_else(|| key.last_used.clone())
    }

    /// Persists the access-key use recorded since the last flush, in one commit.
    pub fn flush_key_usage(&self) -> ApiResult<()> {
        last_used::flush_pending(self, &self.key_usage, |st, id, used| {
            let mut key = st.access_keys.get(id)?.clone();
            key.last_used = Some(used.clone());
            Some(Change::Put(Record::AccessKey(key)))
        })
    }

    /// The caller of a request signed with temporary credentials, and the session's secret.
    /// The token must open under this node's master key for exactly this key id, and the
    /// session must not have expired.
    pub fn caller_for_session(&self, access_key_id: &str, token: &str) -> ApiResult<(Caller, String)> {
        let invalid = || messages::security_token_invalid();
        let session = Session::open(token, access_key_id, &self.master_key).ok_or_else(invalid)?;
        if self.now() >= session.expires {
            return Err(messages::security_token_expired());
        }
        let principal = match &session.kind {
            SessionKind::AssumedRole { role_name, role_id, role_path, session_name } => Principal::AssumedRole {
                role_name: role_name.clone(),
                role_id: role_id.clone(),
                role_path: role_path.clone(),
                session_name: session_name.clone(),
            },
            SessionKind::FederatedUser { name, .. } => Principal::FederatedUser { name: name.clone() },
            SessionKind::SessionToken { user: None, .. } => Principal::Root,
            SessionKind::SessionToken { user: Some(_), user_id } => {
                // By unique id: the session of a deleted user is not a session of a new user
                // who took the name.
                let st = self.read();
                let u = st
                    .user_by_id(user_id.as_deref().ok_or_else(invalid)?)
                    .filter(|u| u.account == session.account)
                    .ok_or_else(invalid)?;
                Principal::User { name: u.name.clone(), id: u.id.clone(), path: u.path.clone() }
            }
        };
        let secret = session.secret_access_key.clone();
        let caller = Caller {
            account: session.account.clone(),
            principal,
            access_key_id: access_key_id.to_owned(),
            session: Some(Arc::new(session)),
            partition: self.partition(),
        };
        Ok((caller, secret))
    }

    /// Installs how OIDC issuers' discovery documents and key sets are fetched (the edge's
    /// HTTPS client). Without it AssumeRoleWithWebIdentity fails with IDPCommunicationError.
    pub fn set_https_fetcher(&self, fetcher: Arc<dyn HttpsFetcher>) {
        self.oidc_keys.set_fetcher(fetcher);
    }

    /// Handles a request that carries no signature: only AssumeRoleWithWebIdentity and
    /// AssumeRoleWithSAML are made that way on AWS (they authenticate with the token or
    /// assertion they carry); anything else is refused as unsigned. May wait on the network
    /// (an issuer's keys): call it from a blocking thread.
    pub fn handle_unsigned(&self, info: &RequestInfo, request: Request) -> ApiResult<Response> {
        match request {
            Request::AssumeRoleWithWebIdentity(r) => {
                Ok(Response::AssumeRoleWithWebIdentity(ops::web_identity::assume_role_with_web_identity(self, info, r)?))
            }
            Request::AssumeRoleWithSAML(r) => Ok(Response::AssumeRoleWithSAML(ops::saml_assume::assume_role_with_saml(self, info, r)?)),
            other => Err(messages::not_implemented(other.operation().name())),
        }
    }

    /// Handles one decoded request for an authenticated caller: the policy engine decides
    /// first, then the operation runs.
    pub fn handle(&self, caller: &Caller, info: &RequestInfo, request: Request) -> ApiResult<Response> {
        // Service last accessed data counts every attempt, allowed or not.
        self.record_access(caller, request.operation().iam_action(), &info.region);
        let authorized = authz::authorize(self, caller, info, &request)?;
        // GetWebIdentityToken needs the region the request was made to (its token's
        // source_region claim), which no other operation does.
        if let Request::GetWebIdentityToken(r) = request {
            return Ok(Response::GetWebIdentityToken(ops::outbound::get_web_identity_token(self, caller, &info.region, r)?));
        }
        ops::dispatch(self, authorized, caller, request)
    }
}

/// The in-memory state holding `items` (a store's snapshot).
/// Also returns the keys of records completed in memory by `State::upgrade_legacy_records`.
/// The partition is `partition`, which must be the accounts' if they say one; without it, theirs.
fn state_from(items: Vec<castellan_store::Item>, partition: Option<Partition>) -> ApiResult<(State, Vec<String>)> {
    let mut state = State::default();
    for item in items {
        match serde_json::from_slice::<Record>(&item.value) {
            Ok(record) => state.apply_at(Change::Put(record), item.revision),
            Err(e) => {
                tracing::error!(key = %item.key, error = %e, "unreadable record");
                return Err(ApiError::ServiceFailure);
            }
        }
    }
    state.partition = partition_of(&state, partition)?;
    let upgraded = state.upgrade_legacy_records();
    Ok((state, upgraded))
}

/// The partition of the accounts in `state` (an account without one is of `aws`), which must
/// be `wanted` when given.
fn partition_of(state: &State, wanted: Option<Partition>) -> ApiResult<Partition> {
    let mut stored = None;
    for a in state.accounts.values() {
        let p = match a.partition.as_deref() {
            None => Partition::Aws,
            Some(name) => name.parse().map_err(ApiError::InvalidInput)?,
        };
        if stored.is_some_and(|s| s != p) {
            return Err(messages::store_partitions_mixed());
        }
        stored = Some(p);
    }
    match (stored, wanted) {
        (Some(s), Some(w)) if s != w => Err(messages::store_partition_mismatch(&s.to_string(), &w.to_string())),
        (s, w) => Ok(w.or(s).unwrap_or_default()),
    }
}

#[cfg(test)]
mod tombstone_tests;

#[cfg(test)]
mod credentials_tests;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use std::sync::atomic::AtomicI64;

    use castellan_api::sts;
    use castellan_store::MemoryStore;

    use super::*;

    static NOW: AtomicI64 = AtomicI64::new(1_800_000_000);

    fn test_clock() -> i64 {
        NOW.load(Ordering::SeqCst)
    }

    fn iam() -> (Iam, Caller) {
        let iam = Iam::open(Box::new(MemoryStore::new()), MasterKey::generate().0, test_clock).unwrap();
        let creds = iam.create_account(Some("123456789012".into())).unwrap();
        let (root, _) = iam.caller_for_access_key(&creds.access_key_id).unwrap();
        (iam, root)
    }

    fn session_token(iam: &Iam, root: &Caller) -> sts::Credentials {
        let request = Request::GetSessionToken(sts::GetSessionTokenRequest { duration_seconds: Some(900), ..Default::default() });
        match iam.handle(root, &RequestInfo::default(), request).unwrap() {
            Response::GetSessionToken(r) => r.credentials.unwrap(),
            other => panic!("unexpected {other:?}"),
        }
    }

    /// Temporary credentials stop working at their expiry (GetSessionToken documentation:
    /// "credentials ... expire"), with AWS's ExpiredToken error.
    #[test]
    fn session_credentials_expire() {
        let (iam, root) = iam();
        let creds = session_token(&iam, &root);
        let (caller, secret) = iam.caller_for_session(&creds.access_key_id, &creds.session_token).unwrap();
        assert_eq!(secret, creds.secret_access_key);
        assert_eq!(caller.arn(), "arn:aws:iam::123456789012:root");
        NOW.fetch_add(899, Ordering::SeqCst);
        assert!(iam.caller_for_session(&creds.access_key_id, &creds.session_token).is_ok());
        NOW.fetch_add(1, Ordering::SeqCst);
        let err = iam.caller_for_session(&creds.access_key_id, &creds.session_token).unwrap_err();
        assert_eq!(err.code(), "ExpiredToken");
        assert_eq!(err.message(), "The security token included in the request is expired");
    }

    /// Two servers of different partitions in one process each build their own ARNs: the
    /// partition is the `Iam`'s, not the process's (IAM User Guide, "Identify AWS resources
    /// with Amazon Resource Names (ARNs)": aws, aws-cn, aws-us-gov).
    #[test]
    fn each_iam_builds_the_arns_of_its_partition() {
        let (aws, aws_root) = iam();
        let cn = Iam::open_in(Box::new(MemoryStore::new()), MasterKey::generate().0, test_clock, Partition::AwsCn).unwrap();
        let creds = cn.create_account(Some("123456789012".into())).unwrap();
        let (cn_root, _) = cn.caller_for_access_key(&creds.access_key_id).unwrap();
        assert_eq!(cn.partition(), Partition::AwsCn);
        assert_eq!(cn_root.arn(), "arn:aws-cn:iam::123456789012:root");
        assert_eq!(aws_root.arn(), "arn:aws:iam::123456789012:root");
        let create = |iam: &Iam, root: &Caller| match iam.handle(root, &RequestInfo::default(), Request::CreateUser(castellan_api::iam::CreateUserRequest { user_name: "amy".into(), ..Default::default() })).unwrap() {
            Response::CreateUser(r) => r.user.unwrap().arn,
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(create(&cn, &cn_root), "arn:aws-cn:iam::123456789012:user/amy");
        assert_eq!(create(&aws, &aws_root), "arn:aws:iam::123456789012:user/amy");
    }

    #[test]
    fn a_node_with_another_master_key_refuses_to_run() {
        let store = Arc::new(MemoryStore::new());
        #[derive(Debug)]
        struct Shared(Arc<MemoryStore>);
        impl Store for Shared {
            fn load(&self) -> Result<castellan_store::Snapshot, StoreError> {
                self.0.load()
            }
            fn commit(&self, w: &[Write]) -> Result<u64, StoreError> {
                self.0.commit(w)
            }
            fn changes_since(&self, r: u64) -> Result<castellan_store::ChangeFeed, StoreError> {
                self.0.changes_since(r)
            }
            fn collect_tombstones(&self, up_to: u64) -> Result<usize, StoreError> {
                self.0.collect_tombstones(up_to)
            }
        }
        let (key, bytes) = MasterKey::generate();
        let first = Iam::open(Box::new(Shared(store.clone())), key, test_clock).unwrap();
        first.create_account(Some("123456789012".into())).unwrap();
        let same = Iam::open(Box::new(Shared(store.clone())), MasterKey::from_bytes(&bytes), test_clock).unwrap();
        assert!(same.check_master_key().is_ok());
        let other = Iam::open(Box::new(Shared(store)), MasterKey::generate().0, test_clock).unwrap();
        assert!(other.check_master_key().is_err());
    }

    #[test]
    fn tampered_or_misattributed_session_tokens_are_invalid() {
        let (iam, root) = iam();
        let creds = session_token(&iam, &root);
        let other = session_token(&iam, &root);
        // A token presented with another session's key id.
        let err = iam.caller_for_session(&other.access_key_id, &creds.session_token).unwrap_err();
        assert_eq!(err.code(), "InvalidClientTokenId");
        // A token from a node with another master key.
        let stranger = Iam::open(Box::new(MemoryStore::new()), MasterKey::generate().0, test_clock).unwrap();
        let err = stranger.caller_for_session(&creds.access_key_id, &creds.session_token).unwrap_err();
        assert_eq!(err.code(), "InvalidClientTokenId");
    }
}
