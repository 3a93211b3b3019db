//! A store that keeps everything in memory: `castellan serve --in-memory` and tests.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::{ChangeFeed, Changed, Item, Snapshot, Store, StoreError, Write};

#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// `None`: a deletion, kept so `changes_since` reports it.
    records: BTreeMap<String, (Option<Vec<u8>>, u64)>,
    revision: u64,
    /// Tombstones up to here were collected.
    floor: u64,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }
}

fn lock(m: &Mutex<Inner>) -> Result<std::sync::MutexGuard<'_, Inner>, StoreError> {
    m.lock().map_err(|_| StoreError::Unavailable("memory store lock poisoned".into()))
}

impl Store for MemoryStore {
    fn load(&self) -> Result<Snapshot, StoreError> {
        let inner = lock(&self.inner)?;
        let items = inner
            .records
            .iter()
            .filter_map(|(k, (v, r))| Some(Item { key: k.clone(), value: v.clone()?, revision: *r }))
            .collect();
        Ok(Snapshot { items, revision: inner.revision })
    }

    fn commit(&self, writes: &[Write]) -> Result<u64, StoreError> {
        let mut inner = lock(&self.inner)?;
        for w in writes {
            let current = inner.records.get(&w.key).and_then(|(v, r)| v.as_ref().map(|_| *r));
            if !crate::expectation_holds(w.expect, current) {
                return Err(StoreError::Conflict { key: w.key.clone() });
            }
        }
        let revision = inner.revision + 1;
        for w in writes {
            inner.records.insert(w.key.clone(), (w.value.clone(), revision));
        }
        inner.revision = revision;
        Ok(revision)
    }

    fn changes_since(&self, revision: u64) -> Result<ChangeFeed, StoreError> {
        let inner = lock(&self.inner)?;
        if revision < inner.floor {
            return Err(StoreError::Compacted { floor: inner.floor });
        }
        let mut changes: Vec<Changed> = inner
            .records
            .iter()
            .filter(|(_, (_, r))| *r > revision)
            .map(|(k, (v, r))| Changed { key: k.clone(), value: v.clone(), revision: *r })
            .collect();
        changes.sort_by_key(|c| c.revision);
        Ok(ChangeFeed { changes, revision: inner.revision })
    }

    fn collect_tombstones(&self, up_to: u64) -> Result<usize, StoreError> {
        let mut inner = lock(&self.inner)?;
        let horizon = up_to.min(inner.revision);
        let before = inner.records.len();
        inner.records.retain(|_, (value, revision)| value.is_some() || *revision > horizon);
        inner.floor = inner.floor.max(horizon);
        Ok(before - inner.records.len())
    }
}
