//! The conformance suite every [`Store`] backend runs.
//!
//! `open` must return a handle on the same underlying database each time it is called: the
//! suite reopens it to check that commits persist. `persistent` says whether a fresh handle
//! sees earlier commits (false for a backend whose every `open` starts empty).

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, reason = "a test suite")]

use crate::{Expect, Store, StoreError, Write};

/// Runs every check against the backend. Panics on the first failure.
pub fn run(open: &dyn Fn() -> Box<dyn Store>, persistent: bool) {
    let store = open();
    starts_empty_or_consistent(store.as_ref());
    put_then_load(store.as_ref());
    delete_removes(store.as_ref());
    revisions_increase(store.as_ref());
    absent_precondition_conflicts(store.as_ref());
    revision_precondition_is_compare_and_swap(store.as_ref());
    failed_batch_writes_nothing(store.as_ref());
    binary_values_round_trip(store.as_ref());
    keys_are_case_sensitive_and_ordered(store.as_ref());
    many_items(store.as_ref());
    change_feed_reports_puts_and_deletes_in_order(store.as_ref());
    deleted_records_can_be_created_again(store.as_ref());
    collected_tombstones_leave_the_feed(store.as_ref());
    if persistent {
        let before = store.load().unwrap();
        drop(store);
        let reopened = open();
        assert_eq!(reopened.load().unwrap(), before, "a reopened store sees every commit");
        assert!(
            matches!(reopened.changes_since(0), Err(StoreError::Compacted { .. })),
            "the feed's floor persists"
        );
    }
}

fn value(store: &dyn Store, key: &str) -> Option<Vec<u8>> {
    store.load().unwrap().items.into_iter().find(|i| i.key == key).map(|i| i.value)
}

fn revision(store: &dyn Store, key: &str) -> Option<u64> {
    store.load().unwrap().items.into_iter().find(|i| i.key == key).map(|i| i.revision)
}

fn starts_empty_or_consistent(store: &dyn Store) {
    let snap = store.load().unwrap();
    assert!(snap.items.iter().all(|i| i.revision <= snap.revision));
}

fn put_then_load(store: &dyn Store) {
    store.commit(&[Write::put("c/put/a", b"one".to_vec())]).unwrap();
    assert_eq!(value(store, "c/put/a"), Some(b"one".to_vec()));
    store.commit(&[Write::put("c/put/a", b"two".to_vec())]).unwrap();
    assert_eq!(value(store, "c/put/a"), Some(b"two".to_vec()), "a put replaces");
}

fn delete_removes(store: &dyn Store) {
    store.commit(&[Write::put("c/del/a", b"x".to_vec())]).unwrap();
    store.commit(&[Write::delete("c/del/a")]).unwrap();
    assert_eq!(value(store, "c/del/a"), None);
    // Deleting what is not there is not an error under Expect::Any.
    store.commit(&[Write::delete("c/del/never")]).unwrap();
}

fn revisions_increase(store: &dyn Store) {
    let r1 = store.commit(&[Write::put("c/rev/a", b"1".to_vec())]).unwrap();
    let r2 = store.commit(&[Write::put("c/rev/b", b"2".to_vec())]).unwrap();
    assert!(r2 > r1);
    assert_eq!(revision(store, "c/rev/a"), Some(r1));
    assert_eq!(revision(store, "c/rev/b"), Some(r2));
    assert!(store.load().unwrap().revision >= r2);
}

fn absent_precondition_conflicts(store: &dyn Store) {
    let create = Write::put("c/abs/a", b"1".to_vec()).expecting(Expect::Absent);
    store.commit(std::slice::from_ref(&create)).unwrap();
    let err = store.commit(&[create]).unwrap_err();
    assert_eq!(err, StoreError::Conflict { key: "c/abs/a".into() });
    assert_eq!(value(store, "c/abs/a"), Some(b"1".to_vec()));
}

fn revision_precondition_is_compare_and_swap(store: &dyn Store) {
    let r = store.commit(&[Write::put("c/cas/a", b"1".to_vec())]).unwrap();
    store.commit(&[Write::put("c/cas/a", b"2".to_vec()).expecting(Expect::Revision(r))]).unwrap();
    // The same stale revision now loses.
    let err = store.commit(&[Write::put("c/cas/a", b"3".to_vec()).expecting(Expect::Revision(r))]);
    assert!(matches!(err, Err(StoreError::Conflict { .. })));
    assert_eq!(value(store, "c/cas/a"), Some(b"2".to_vec()));
    // A revision precondition on a missing record fails too.
    let err = store.commit(&[Write::delete("c/cas/missing").expecting(Expect::Revision(1))]);
    assert!(matches!(err, Err(StoreError::Conflict { .. })));
}

fn failed_batch_writes_nothing(store: &dyn Store) {
    store.commit(&[Write::put("c/atomic/existing", b"keep".to_vec())]).unwrap();
    let before = store.load().unwrap();
    let batch = [
        Write::put("c/atomic/new", b"n".to_vec()),
        Write::delete("c/atomic/existing"),
        Write::put("c/atomic/existing", b"x".to_vec()).expecting(Expect::Absent),
    ];
    assert!(store.commit(&batch).is_err());
    assert_eq!(store.load().unwrap(), before, "a failed batch leaves no trace");
}

fn binary_values_round_trip(store: &dyn Store) {
    let bytes: Vec<u8> = (0..=255).collect();
    store.commit(&[Write::put("c/bin/a", bytes.clone())]).unwrap();
    assert_eq!(value(store, "c/bin/a"), Some(bytes));
    store.commit(&[Write::put("c/bin/empty", Vec::new())]).unwrap();
    assert_eq!(value(store, "c/bin/empty"), Some(Vec::new()));
}

fn keys_are_case_sensitive_and_ordered(store: &dyn Store) {
    store
        .commit(&[
            Write::put("c/case/B", b"upper".to_vec()),
            Write::put("c/case/b", b"lower".to_vec()),
            Write::put("c/case/a'; DROP TABLE records; --", b"inj".to_vec()),
        ])
        .unwrap();
    assert_eq!(value(store, "c/case/B"), Some(b"upper".to_vec()));
    assert_eq!(value(store, "c/case/b"), Some(b"lower".to_vec()));
    assert_eq!(value(store, "c/case/a'; DROP TABLE records; --"), Some(b"inj".to_vec()));
    let keys: Vec<String> = store.load().unwrap().items.into_iter().map(|i| i.key).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "load returns records in key order");
}

fn many_items(store: &dyn Store) {
    let writes: Vec<Write> =
        (0..2000).map(|i| Write::put(format!("c/many/{i:05}"), i.to_string().into_bytes())).collect();
    store.commit(&writes).unwrap();
    let snap = store.load().unwrap();
    assert_eq!(snap.items.iter().filter(|i| i.key.starts_with("c/many/")).count(), 2000);
}

fn change_feed_reports_puts_and_deletes_in_order(store: &dyn Store) {
    let start = store.load().unwrap().revision;
    let r1 = store.commit(&[Write::put("c/feed/a", b"1".to_vec()), Write::put("c/feed/b", b"2".to_vec())]).unwrap();
    let r2 = store.commit(&[Write::delete("c/feed/a"), Write::put("c/feed/b", b"3".to_vec())]).unwrap();
    let feed = store.changes_since(start).unwrap();
    assert_eq!(feed.revision, r2);
    let mine: Vec<_> = feed.changes.iter().filter(|c| c.key.starts_with("c/feed/")).collect();
    assert_eq!(mine.len(), 2, "each key once, at its newest revision: {mine:?}");
    assert!(mine.iter().all(|c| c.revision == r2));
    assert!(mine.iter().any(|c| c.key == "c/feed/a" && c.value.is_none()), "deletions are reported");
    assert!(mine.iter().any(|c| c.key == "c/feed/b" && c.value.as_deref() == Some(&b"3"[..])));
    let revisions: Vec<u64> = feed.changes.iter().map(|c| c.revision).collect();
    let mut sorted = revisions.clone();
    sorted.sort_unstable();
    assert_eq!(revisions, sorted, "in revision order");
    let later = store.changes_since(r2).unwrap();
    assert!(later.changes.is_empty());
    assert!(r1 < r2);
    // A deleted record is not loaded.
    assert!(!store.load().unwrap().items.iter().any(|i| i.key == "c/feed/a"));
}

fn deleted_records_can_be_created_again(store: &dyn Store) {
    store.commit(&[Write::put("c/again/a", b"1".to_vec()).expecting(Expect::Absent)]).unwrap();
    store.commit(&[Write::delete("c/again/a")]).unwrap();
    store.commit(&[Write::put("c/again/a", b"2".to_vec()).expecting(Expect::Absent)]).unwrap();
    assert_eq!(value(store, "c/again/a"), Some(b"2".to_vec()));
}

/// Finding 14: deleted records were kept forever. Collecting removes the tombstones up to a
/// revision and raises the feed's floor: a reader below it is told to reload (it could miss a
/// deletion), a reader at or above it follows the feed as before.
fn collected_tombstones_leave_the_feed(store: &dyn Store) {
    let start = store.load().unwrap().revision;
    store
        .commit(&[
            Write::put("c/gc/a", b"1".to_vec()),
            Write::put("c/gc/b", b"2".to_vec()),
            Write::put("c/gc/c", b"3".to_vec()),
        ])
        .unwrap();
    let deleted = store.commit(&[Write::delete("c/gc/a"), Write::delete("c/gc/b")]).unwrap();
    let later = store.commit(&[Write::put("c/gc/d", b"4".to_vec()), Write::delete("c/gc/c")]).unwrap();
    let live_before = store.load().unwrap();

    let removed = store.collect_tombstones(deleted).unwrap();
    // Earlier checks left tombstones too (c/del/a, c/feed/a, …): all at or below `deleted`.
    assert!(removed >= 2, "removed {removed}");
    assert_eq!(store.collect_tombstones(deleted).unwrap(), 0, "nothing is left to collect up to the floor");
    assert_eq!(store.load().unwrap(), live_before, "live records and the revision are untouched");

    // Below the floor: reload. At the floor: the feed as before, later tombstones included.
    assert_eq!(store.changes_since(start), Err(StoreError::Compacted { floor: deleted }));
    assert_eq!(store.changes_since(deleted - 1), Err(StoreError::Compacted { floor: deleted }));
    let feed = store.changes_since(deleted).unwrap();
    assert_eq!(feed.revision, later);
    let keys: Vec<(&str, bool)> = feed.changes.iter().map(|c| (c.key.as_str(), c.value.is_some())).collect();
    assert_eq!(keys, [("c/gc/c", false), ("c/gc/d", true)]);

    // The floor never goes down.
    store.collect_tombstones(1).unwrap();
    assert_eq!(store.changes_since(start), Err(StoreError::Compacted { floor: deleted }));
    // A collected key can be created again.
    store.commit(&[Write::put("c/gc/a", b"again".to_vec()).expecting(Expect::Absent)]).unwrap();
    assert_eq!(value(store, "c/gc/a"), Some(b"again".to_vec()));

    // Collecting past the newest revision stops at it: every tombstone goes.
    let newest = store.load().unwrap().revision;
    assert_eq!(store.collect_tombstones(u64::MAX).unwrap(), 1, "c/gc/c");
    assert_eq!(store.changes_since(newest).unwrap().changes, []);
    assert_eq!(store.changes_since(newest - 1), Err(StoreError::Compacted { floor: newest }));
    let r = store.commit(&[Write::delete("c/gc/a")]).unwrap();
    let feed = store.changes_since(newest).unwrap();
    assert_eq!(feed.changes.len(), 1);
    assert!(feed.changes.iter().all(|c| c.key == "c/gc/a" && c.value.is_none() && c.revision == r));
}

#[cfg(test)]
mod tests {
    #[test]
    fn memory_store_conforms() {
        let store = std::sync::Arc::new(crate::MemoryStore::new());
        // Every `open` of the memory backend is the same instance, so it is "persistent" here.
        let open = move || -> Box<dyn crate::Store> { Box::new(Shared(store.clone())) };
        super::run(&open, true);
    }

    #[derive(Debug)]
    struct Shared(std::sync::Arc<crate::MemoryStore>);
    impl crate::Store for Shared {
        fn load(&self) -> Result<crate::Snapshot, crate::StoreError> {
            self.0.load()
        }
        fn commit(&self, writes: &[crate::Write]) -> Result<u64, crate::StoreError> {
            self.0.commit(writes)
        }
        fn changes_since(&self, revision: u64) -> Result<crate::ChangeFeed, crate::StoreError> {
            self.0.changes_since(revision)
        }
        fn collect_tombstones(&self, up_to: u64) -> Result<usize, crate::StoreError> {
            self.0.collect_tombstones(up_to)
        }
    }
}
