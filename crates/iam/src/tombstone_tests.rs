//! Finding 14: deleted records were kept forever, as tombstones in the store and as revisions
//! in memory. Memory now forgets a deleted record's revision; the store's tombstones are
//! collected, and a node left behind the collected part of the change feed reloads.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use castellan_api::{iam, Request};
use castellan_store::{MemoryStore, Store, StoreError};

use crate::{Caller, Iam, MasterKey, RequestInfo};

fn clock() -> i64 {
    1_800_000_000
}

fn node(store: &Arc<MemoryStore>, key: &[u8; 32]) -> Iam {
    Iam::open(Box::new(Arc::clone(store)), MasterKey::from_bytes(key), clock).unwrap()
}

fn root(iam: &Iam, access_key_id: &str) -> Caller {
    iam.caller_for_access_key(access_key_id).unwrap().0
}

fn create_user(iam: &Iam, root: &Caller, name: &str) {
    let r = Request::CreateUser(iam::CreateUserRequest { user_name: name.into(), ..Default::default() });
    iam.handle(root, &RequestInfo::default(), r).unwrap();
}

fn delete_user(iam: &Iam, root: &Caller, name: &str) {
    let r = Request::DeleteUser(iam::DeleteUserRequest { user_name: name.into() });
    iam.handle(root, &RequestInfo::default(), r).unwrap();
}

fn user_names(iam: &Iam) -> Vec<String> {
    iam.read().users.values().map(|u| u.name.clone()).collect()
}

fn tombstones(store: &MemoryStore) -> usize {
    // Every tombstone is in the feed from the floor (or from 0 when nothing was collected).
    let feed = match store.changes_since(0) {
        Ok(feed) => feed,
        Err(StoreError::Compacted { floor }) => store.changes_since(floor).unwrap(),
        Err(e) => panic!("{e}"),
    };
    feed.changes.iter().filter(|c| c.value.is_none()).count()
}

#[test]
fn deleted_users_are_kept_forever_unless_tombstones_are_collected() {
    let store = Arc::new(MemoryStore::new());
    let key = [9; 32];
    let a = node(&store, &key);
    let creds = a.create_account(Some("123456789012".into())).unwrap();
    let root_a = root(&a, &creds.access_key_id);
    // A second node that has seen nothing yet.
    let b = node(&store, &key);

    for i in 0..200 {
        create_user(&a, &root_a, &format!("gone-{i}"));
    }
    create_user(&a, &root_a, "kept");
    for i in 0..200 {
        delete_user(&a, &root_a, &format!("gone-{i}"));
    }
    // Memory keeps no revision for what was deleted: the account, its root key and one user.
    assert_eq!(a.read().revisions.len(), 3, "{:?}", a.read().revisions.keys().collect::<Vec<_>>());
    assert_eq!(tombstones(&store), 200);

    let removed = a.collect_tombstones(store.load().unwrap().revision).unwrap();
    assert_eq!(removed, 200);
    assert_eq!(tombstones(&store), 0, "the tombstones are gone from the store");

    // B was behind the floor: its feed is gone, so it reloads and converges.
    assert!(matches!(store.changes_since(b.seen_revision()), Err(StoreError::Compacted { .. })));
    b.sync().unwrap();
    assert_eq!(user_names(&b), ["kept"]);
    assert_eq!(user_names(&b), user_names(&a));
    assert_eq!(b.seen_revision(), store.load().unwrap().revision);
    assert_eq!(b.read().revisions, a.read().revisions);
    // And follows the feed again afterwards, deletions included.
    let root_b = root(&b, &creds.access_key_id);
    create_user(&b, &root_b, "from-b");
    delete_user(&a, &root_a, "kept");
    a.sync().unwrap();
    b.sync().unwrap();
    assert_eq!(user_names(&a), ["from-b"]);
    assert_eq!(user_names(&b), ["from-b"]);
}

/// The stale-entry case the forgotten revisions must not reopen: a record deleted by this
/// node while the feed still listed its older put is not brought back by applying that feed.
#[test]
fn a_user_deleted_here_is_not_resurrected_by_the_feed() {
    let store = Arc::new(MemoryStore::new());
    let key = [5; 32];
    let a = node(&store, &key);
    let creds = a.create_account(Some("123456789012".into())).unwrap();
    let b = node(&store, &key);
    let root_a = root(&a, &creds.access_key_id);
    create_user(&a, &root_a, "alice");
    // B learns of alice from the feed, then deletes her itself.
    b.sync().unwrap();
    let root_b = root(&b, &creds.access_key_id);
    delete_user(&b, &root_b, "alice");
    // B's feed position is still before alice's creation: the feed now reports her deletion.
    b.sync().unwrap();
    assert!(user_names(&b).is_empty());
    assert!(!b.read().revisions.keys().any(|k| k.contains("alice")));
    // A hears of it and forgets her revision too.
    a.sync().unwrap();
    assert!(user_names(&a).is_empty());
    assert!(!a.read().revisions.keys().any(|k| k.contains("alice")));
    // Compare-and-swap still works on a name deleted and created again.
    create_user(&a, &root_a, "alice");
    b.sync().unwrap();
    delete_user(&b, &root_b, "alice");
    create_user(&b, &root_b, "alice");
    a.sync().unwrap();
    delete_user(&a, &root_a, "alice");
    b.sync().unwrap();
    assert!(user_names(&b).is_empty());
}
