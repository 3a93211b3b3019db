//! When each role was last used (RoleLastUsed), recorded in memory as requests are
//! authenticated and written to the store in one commit every few seconds with the access
//! keys' last use, so a request never waits on a write for it (issue 16).
//!
//! A role is used when a request is signed with one of its sessions' credentials (IAM User
//! Guide, "Refining permissions using last accessed information": RoleLastUsed is the last
//! time the role's credentials were used to make a request, and the Region).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::error::ApiResult;
use crate::model::{Change, Record, Role};
use crate::state::{IdOwner, State};
use crate::Iam;

/// Uses not yet written: role unique id → (Unix seconds, region).
#[derive(Debug, Default)]
pub(crate) struct RoleUsage(Mutex<HashMap<String, (i64, String)>>);

impl RoleUsage {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (i64, String)>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Iam {
    /// Notes that a session of the role with unique id `role_id` signed a request made to
    /// `region`, in memory.
    pub fn record_role_use(&self, role_id: &str, region: &str) {
        self.role_usage.lock().insert(role_id.to_owned(), (self.now(), region.to_owned()));
    }

    /// The most recent use of a role: pending in memory, else as stored.
    pub(crate) fn role_last_used(&self, role: &Role) -> Option<(i64, String)> {
        self.role_usage.lock().get(&role.id).cloned().or_else(|| role.last_used.clone())
    }

    /// Persists the role use recorded since the last flush, in one commit.
    pub fn flush_role_usage(&self) -> ApiResult<()> {
        flush_pending(self, &self.role_usage.0, |st, id, used| {
            let IdOwner::Role(key) = st.by_id.get(id)? else { return None };
            let mut role = st.roles.get(key)?.clone();
            role.last_used = Some(used.clone());
            Some(Change::Put(Record::Role(role)))
        })
    }
}

/// Writes what `pending` holds, taken out, in one commit (`change` makes each entry's record,
/// None for one whose owner is gone); on failure puts back what no newer use replaced, for
/// the next flush.
pub(crate) fn flush_pending<V: Clone>(
    iam: &Iam,
    pending: &Mutex<HashMap<String, V>>,
    change: impl Fn(&State, &String, &V) -> Option<Change>,
) -> ApiResult<()> {
    let lock = || pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let taken = std::mem::take(&mut *lock());
    if taken.is_empty() {
        return Ok(());
    }
    let result = iam.mutate(|st| Ok((taken.iter().filter_map(|(id, used)| change(st, id, used)).collect(), ())));
    if result.is_err() {
        let mut usage = lock();
        for (id, used) in taken {
            usage.entry(id).or_insert(used);
        }
    }
    result
}
