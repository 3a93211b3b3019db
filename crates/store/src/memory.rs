//! A store that keeps everything in memory: `castellan serve --in-memory` and tests.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::{Item, Snapshot, Store, StoreError, Write};

#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    records: BTreeMap<String, (Vec<u8>, u64)>,
    revision: u64,
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
            .map(|(k, (v, r))| Item { key: k.clone(), value: v.clone(), revision: *r })
            .collect();
        Ok(Snapshot { items, revision: inner.revision })
    }

    fn commit(&self, writes: &[Write]) -> Result<u64, StoreError> {
        let mut inner = lock(&self.inner)?;
        for w in writes {
            let current = inner.records.get(&w.key).map(|(_, r)| *r);
            if !crate::expectation_holds(w.expect, current) {
                return Err(StoreError::Conflict { key: w.key.clone() });
            }
        }
        let revision = inner.revision + 1;
        for w in writes {
            match &w.value {
                Some(v) => {
                    inner.records.insert(w.key.clone(), (v.clone(), revision));
                }
                None => {
                    inner.records.remove(&w.key);
                }
            }
        }
        inner.revision = revision;
        Ok(revision)
    }
}
