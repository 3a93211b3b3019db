//! The PostgreSQL backend against a real server: the conformance suite, several handles on one
//! database (as several nodes), commits racing from many threads, and losing the connection.
//!
//! The database comes from `CASTELLAN_TEST_DATABASE_URL` (`.ci/run` and `scripts/test.sh`
//! create a fresh one per run); each test works in a schema of its own, dropped at the end.
//! Without the variable these tests are skipped locally, and fail under `CI=true`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stderr,
    reason = "tests"
)]

use std::collections::BTreeSet;
use std::io::{Read, Write as _};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use castellan_store::{Expect, PostgresStore, Store, StoreError, Write};

// ------------------------------------------------------------------------------------------
// A schema of one's own
// ------------------------------------------------------------------------------------------

/// The test database's connection string, or `None` to skip (never under `CI=true`).
fn base_url() -> Option<String> {
    match std::env::var("CASTELLAN_TEST_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                panic!("CI=true but CASTELLAN_TEST_DATABASE_URL is not set: the PostgreSQL tests must run in CI");
            }
            eprintln!("CASTELLAN_TEST_DATABASE_URL is not set: skipping a PostgreSQL test");
            None
        }
    }
}

/// Adds connection parameters to a connection string, in either of its two syntaxes.
fn with_params(base: &str, params: &[(&str, &str)]) -> String {
    let mut out = base.trim().to_owned();
    if out.starts_with("postgres://") || out.starts_with("postgresql://") {
        for (k, v) in params {
            out.push(if out.contains('?') { '&' } else { '?' });
            out.push_str(k);
            out.push('=');
            for b in v.bytes() {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    out.push(char::from(b));
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    } else {
        for (k, v) in params {
            out.push_str(&format!(" {k}='{}'", v.replace('\\', "\\\\").replace('\'', "\\'")));
        }
    }
    out
}

/// A fresh schema in the test database, dropped with everything in it at the end.
struct Schema {
    base: String,
    name: String,
}

impl Schema {
    fn new() -> Option<Self> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let base = base_url()?;
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let name = format!(
            "castellan_test_{}_{}_{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = admin(&base);
        admin.batch_execute(&format!("CREATE SCHEMA {name}")).unwrap();
        Some(Self { base, name })
    }

    /// A connection string whose tables live in this schema.
    fn url(&self) -> String {
        with_params(&self.base, &[("options", &format!("-c search_path={}", self.name))])
    }

    fn url_named(&self, application_name: &str) -> String {
        with_params(
            &self.base,
            &[("options", &format!("-c search_path={}", self.name)), ("application_name", application_name)],
        )
    }

    fn open(&self) -> PostgresStore {
        PostgresStore::open(&self.url()).unwrap()
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.base, postgres::NoTls) {
            let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

fn admin(base: &str) -> postgres::Client {
    postgres::Client::connect(base, postgres::NoTls).unwrap_or_else(|e| {
        panic!("CASTELLAN_TEST_DATABASE_URL is set but PostgreSQL cannot be reached: {e}")
    })
}

// ------------------------------------------------------------------------------------------
// The suite every backend passes, and the schema
// ------------------------------------------------------------------------------------------

#[test]
fn conformance() {
    let Some(schema) = Schema::new() else { return };
    let url = schema.url();
    castellan_store::conformance::run(&|| Box::new(PostgresStore::open(&url).unwrap()), true);
}

#[test]
fn migrations_run_once_when_nodes_start_together() {
    let Some(schema) = Schema::new() else { return };
    let url = schema.url();
    let barrier = Barrier::new(4);
    let stores: Vec<PostgresStore> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    PostgresStore::open(&url)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap().unwrap()).collect()
    });
    stores[0].commit(&[Write::put("k", b"v".to_vec())]).unwrap();
    for s in &stores {
        assert_eq!(s.load().unwrap().items.len(), 1);
    }
    let mut admin = admin(&schema.base);
    let version: i64 = admin
        .query_one(&format!("SELECT value FROM {}.castellan_meta WHERE name = 'schema_version'", schema.name), &[])
        .unwrap()
        .get(0);
    assert_eq!(version, 2);
}

#[test]
fn a_newer_schema_is_refused() {
    let Some(schema) = Schema::new() else { return };
    drop(schema.open());
    admin(&schema.base)
        .batch_execute(&format!("UPDATE {}.castellan_meta SET value = 99 WHERE name = 'schema_version'", schema.name))
        .unwrap();
    let err = PostgresStore::open(&schema.url()).unwrap_err();
    assert!(matches!(&err, StoreError::Unavailable(m) if m.contains("newer")), "{err:?}");
}

#[test]
fn an_unreachable_database_is_unavailable_at_open() {
    if base_url().is_none() {
        return;
    }
    // A port nothing listens on (bound, then closed).
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let err = PostgresStore::open(&format!("host=127.0.0.1 port={port} user=postgres dbname=test connect_timeout=2"))
        .unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    // Nothing in the message comes from the connection string's password.
    let err = PostgresStore::open(&format!("postgres://u:hunter2secret@127.0.0.1:{port}/db")).unwrap_err();
    assert!(!format!("{err} {err:?}").contains("hunter2secret"));
}

#[test]
fn debug_shows_no_connection_settings() {
    let Some(schema) = Schema::new() else { return };
    let shown = format!("{:?}", schema.open());
    assert!(!shown.contains(&schema.name) && !shown.contains("127.0.0.1"), "{shown}");
}

// ------------------------------------------------------------------------------------------
// Several nodes on one database
// ------------------------------------------------------------------------------------------

#[test]
fn a_commit_through_one_handle_is_in_every_other_handles_feed() {
    let Some(schema) = Schema::new() else { return };
    let a = schema.open();
    let b = schema.open();
    let start = b.load().unwrap().revision;
    let r1 = a.commit(&[Write::put("user/1/alice", b"a".to_vec()).expecting(Expect::Absent)]).unwrap();
    let feed = b.changes_since(start).unwrap();
    assert_eq!(feed.revision, r1);
    assert_eq!(feed.changes.len(), 1);
    assert_eq!(feed.changes[0].value.as_deref(), Some(&b"a"[..]));
    // B cannot create what A created, and its compare-and-swap at the revision it saw wins.
    let err = b.commit(&[Write::put("user/1/alice", b"b".to_vec()).expecting(Expect::Absent)]).unwrap_err();
    assert_eq!(err, StoreError::Conflict { key: "user/1/alice".into() });
    let r2 = b.commit(&[Write::delete("user/1/alice").expecting(Expect::Revision(r1))]).unwrap();
    let feed = a.changes_since(r1).unwrap();
    assert_eq!(feed.revision, r2);
    assert_eq!(feed.changes.len(), 1);
    assert_eq!(feed.changes[0].value, None, "the deletion is in the feed (a tombstone)");
    assert!(a.load().unwrap().items.is_empty());
}

/// Many handles create the same key at the same instant, 100 times: exactly one wins each time.
#[test]
fn racing_creates_of_one_key_exactly_one_wins() {
    let Some(schema) = Schema::new() else { return };
    const NODES: usize = 3;
    let stores: Vec<PostgresStore> = (0..NODES).map(|_| schema.open()).collect();
    let barrier = Barrier::new(NODES);
    for round in 0..100 {
        let key = format!("race/{round}");
        let results: Vec<Result<u64, StoreError>> = std::thread::scope(|s| {
            let handles: Vec<_> = stores
                .iter()
                .enumerate()
                .map(|(i, store)| {
                    let (key, barrier) = (&key, &barrier);
                    s.spawn(move || {
                        barrier.wait();
                        store.commit(&[Write::put(key.clone(), vec![u8::try_from(i).unwrap()]).expecting(Expect::Absent)])
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let wins = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(wins, 1, "round {round}: {results:?}");
        assert!(results.iter().all(|r| r.is_ok() || *r == Err(StoreError::Conflict { key: key.clone() })));
    }
}

/// Compare-and-swap increments from many handles: no update is lost.
#[test]
fn compare_and_swap_loses_no_update() {
    let Some(schema) = Schema::new() else { return };
    const NODES: usize = 3;
    const INCREMENTS: usize = 40;
    let stores: Vec<PostgresStore> = (0..NODES).map(|_| schema.open()).collect();
    stores[0].commit(&[Write::put("counter", b"0".to_vec())]).unwrap();
    let conflicts = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for store in &stores {
            let conflicts = &conflicts;
            s.spawn(move || {
                let mut done = 0;
                while done < INCREMENTS {
                    let item = store.load().unwrap().items.into_iter().find(|i| i.key == "counter").unwrap();
                    let n: usize = String::from_utf8(item.value).unwrap().parse().unwrap();
                    let next = Write::put("counter", (n + 1).to_string().into_bytes())
                        .expecting(Expect::Revision(item.revision));
                    match store.commit(&[next]) {
                        Ok(_) => done += 1,
                        Err(StoreError::Conflict { .. }) => {
                            conflicts.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => panic!("{e}"),
                    }
                }
            });
        }
    });
    let item = stores[1].load().unwrap().items.into_iter().find(|i| i.key == "counter").unwrap();
    assert_eq!(String::from_utf8(item.value).unwrap(), (NODES * INCREMENTS).to_string());
    eprintln!("{} conflicts resolved by retrying", conflicts.load(Ordering::Relaxed));
}

/// Writers on several handles commit as fast as they can while a reader follows the change
/// feed: following it from revision to revision misses no commit (revisions are assigned in
/// commit order, so a later revision never becomes visible before an earlier one).
#[test]
fn the_change_feed_misses_no_commit_under_concurrent_writers() {
    let Some(schema) = Schema::new() else { return };
    const WRITERS: usize = 3;
    const COMMITS: usize = 60;
    let writers: Vec<PostgresStore> = (0..WRITERS).map(|_| schema.open()).collect();
    let reader = schema.open();
    let mut seen = BTreeSet::new();
    let mut since = reader.load().unwrap().revision;
    std::thread::scope(|s| {
        for (w, store) in writers.iter().enumerate() {
            s.spawn(move || {
                for i in 0..COMMITS {
                    store.commit(&[Write::put(format!("w{w}/{i}"), Vec::new()).expecting(Expect::Absent)]).unwrap();
                }
            });
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while seen.len() < WRITERS * COMMITS && Instant::now() < deadline {
            let feed = reader.changes_since(since).unwrap();
            for c in &feed.changes {
                assert!(c.revision > since, "revisions only grow");
                seen.insert(c.key.clone());
            }
            if let Some(last) = feed.changes.last() {
                assert!(last.revision <= feed.revision);
            }
            since = feed.revision;
        }
    });
    assert_eq!(seen.len(), WRITERS * COMMITS, "every commit was seen by following the feed");
}

// ------------------------------------------------------------------------------------------
// Losing the database
// ------------------------------------------------------------------------------------------

/// The server ends the store's connection (as a restart of PostgreSQL does): the next calls
/// connect again by themselves.
#[test]
fn reconnects_after_the_server_ends_the_connection() {
    let Some(schema) = Schema::new() else { return };
    let app = schema.name.replace("castellan_test_", "castellan-reconnect-");
    let store = PostgresStore::open(&schema.url_named(&app)).unwrap();
    let r = store.commit(&[Write::put("before", b"1".to_vec())]).unwrap();
    let terminate = |admin: &mut postgres::Client| -> i64 {
        let rows = admin
            .query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", &[&app])
            .unwrap();
        i64::try_from(rows.len()).unwrap()
    };
    let mut admin = admin(&schema.base);
    assert_eq!(terminate(&mut admin), 1, "the store holds one connection");
    std::thread::sleep(Duration::from_millis(100));
    // Reads retry once on a fresh connection.
    assert_eq!(store.changes_since(r).unwrap().changes.len(), 0);
    assert_eq!(terminate(&mut admin), 1);
    std::thread::sleep(Duration::from_millis(100));
    // So does a commit that failed before it could take effect.
    let r2 = store.commit(&[Write::put("after", b"2".to_vec()).expecting(Expect::Absent)]).unwrap();
    assert!(r2 > r);
    assert_eq!(store.load().unwrap().items.len(), 2);
}

/// A TCP relay to PostgreSQL that can be cut, standing in for a database that goes away and
/// comes back.
struct Relay {
    port: u16,
    up: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Relay {
    fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let stop = Arc::new(AtomicBool::new(false));
        let open = Arc::new(Mutex::new(Vec::new()));
        let (up2, stop2, open2) = (up.clone(), stop.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                if !up2.load(Ordering::SeqCst) {
                    drop(client); // refused: closed at once
                    continue;
                }
                let Ok(server) = TcpStream::connect(target) else { continue };
                let mut registry = open2.lock().unwrap();
                registry.push(client.try_clone().unwrap());
                registry.push(server.try_clone().unwrap());
                drop(registry);
                for (mut from, mut to) in
                    [(client.try_clone().unwrap(), server.try_clone().unwrap()), (server, client)]
                {
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16 * 1024];
                        loop {
                            match from.read(&mut buf) {
                                Ok(0) | Err(_) => break,
                                Ok(n) => {
                                    if to.write_all(&buf[..n]).is_err() {
                                        break;
                                    }
                                }
                            }
                        }
                        let _ = to.shutdown(Shutdown::Both);
                        let _ = from.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        Self { port, up, stop, open }
    }

    /// Cuts every relayed connection and refuses new ones.
    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for s in self.open.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.cut();
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// The same database, reached through the relay.
fn relayed_url(schema: &Schema) -> Option<(Relay, String)> {
    let config: postgres::Config = schema.base.parse().unwrap();
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        _ => {
            eprintln!("the test database is not reached over TCP: skipping the relay test");
            return None;
        }
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let target = (host.as_str(), port).to_socket_addrs().unwrap().next().unwrap();
    let relay = Relay::start(target);
    let mut url = format!("host=127.0.0.1 port={} connect_timeout=2", relay.port);
    if let Some(user) = config.get_user() {
        url.push_str(&format!(" user='{user}'"));
    }
    if let Some(db) = config.get_dbname() {
        url.push_str(&format!(" dbname='{db}'"));
    }
    if let Some(pw) = config.get_password() {
        url.push_str(&format!(" password='{}'", String::from_utf8_lossy(pw).replace('\\', "\\\\").replace('\'', "\\'")));
    }
    url.push_str(&format!(" options='-c search_path={}'", schema.name));
    Some((relay, url))
}

/// While the database cannot be reached every call reports `Unavailable` (and a failed commit
/// writes nothing); once it is back, the same store works again without being reopened.
#[test]
fn unavailable_while_the_database_is_gone_then_back() {
    let Some(schema) = Schema::new() else { return };
    let Some((relay, url)) = relayed_url(&schema) else { return };
    let store = PostgresStore::open(&url).unwrap();
    let r = store.commit(&[Write::put("kept", b"1".to_vec())]).unwrap();

    relay.cut();
    for _ in 0..3 {
        assert!(matches!(store.load(), Err(StoreError::Unavailable(_))));
        assert!(matches!(store.changes_since(r), Err(StoreError::Unavailable(_))));
        assert!(matches!(store.commit(&[Write::put("lost", b"x".to_vec())]), Err(StoreError::Unavailable(_))));
    }

    relay.restore();
    let snap = store.load().unwrap();
    assert_eq!(snap.revision, r, "the commits that failed wrote nothing");
    assert_eq!(snap.items.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(), ["kept"]);
    let r2 = store.commit(&[Write::put("later", b"2".to_vec())]).unwrap();
    assert!(r2 > r);
}

/// The client drives a runtime of its own; the store runs it on its own thread, so a store can
/// be called and dropped inside async code without the "runtime within a runtime" panic.
#[test]
fn usable_and_droppable_inside_an_async_runtime() {
    let Some(schema) = Schema::new() else { return };
    let store = schema.open();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    runtime.block_on(async move {
        store.commit(&[Write::put("k", b"v".to_vec())]).unwrap();
        assert_eq!(store.load().unwrap().items.len(), 1);
        drop(store);
    });
}

// ------------------------------------------------------------------------------------------
// Collecting tombstones (finding 14: deleted records were kept forever)
// ------------------------------------------------------------------------------------------

/// A handle whose feed position is below the floor another handle collected up to is told to
/// reload; after `load` it follows the feed again.
#[test]
fn a_handle_behind_the_collected_floor_is_told_to_reload() {
    let Some(schema) = Schema::new() else { return };
    let a = schema.open();
    let b = schema.open();
    let seen = b.load().unwrap().revision;
    a.commit(&[Write::put("gone", b"x".to_vec())]).unwrap();
    let deleted = a.commit(&[Write::delete("gone")]).unwrap();
    assert_eq!(a.collect_tombstones(deleted).unwrap(), 1);
    assert_eq!(b.changes_since(seen), Err(StoreError::Compacted { floor: deleted }));
    let snap = b.load().unwrap();
    assert!(snap.items.is_empty());
    assert_eq!(b.changes_since(snap.revision).unwrap().changes, []);
}

/// Writers create and delete records while another handle collects every tombstone as fast as
/// it can and a reader follows the feed, reloading when told to: the reader's view always ends
/// equal to the database's (no deletion missed, nothing brought back).
#[test]
fn collecting_while_writers_commit_never_makes_a_follower_diverge() {
    let Some(schema) = Schema::new() else { return };
    const WRITERS: usize = 2;
    const ROUNDS: usize = 60;
    let writers: Vec<PostgresStore> = (0..WRITERS).map(|_| schema.open()).collect();
    let collector = schema.open();
    let reader = schema.open();
    let done = AtomicUsize::new(0);
    let mut view = std::collections::BTreeMap::new();
    let mut since = 0;
    let mut reloads = 0;
    std::thread::scope(|s| {
        for (w, store) in writers.iter().enumerate() {
            let done = &done;
            s.spawn(move || {
                for i in 0..ROUNDS {
                    store.commit(&[Write::put(format!("w{w}/{i}"), vec![1])]).unwrap();
                    if i % 2 == 0 {
                        store.commit(&[Write::delete(format!("w{w}/{i}"))]).unwrap();
                    }
                }
                done.fetch_add(1, Ordering::SeqCst);
            });
        }
        let done = &done;
        let collector = &collector;
        s.spawn(move || {
            while done.load(Ordering::SeqCst) < WRITERS {
                collector.collect_tombstones(u64::MAX).unwrap();
            }
        });
        let mut follow = |view: &mut std::collections::BTreeMap<String, Vec<u8>>| match reader.changes_since(since) {
            Ok(feed) => {
                for c in feed.changes {
                    match c.value {
                        Some(v) => view.insert(c.key, v),
                        None => view.remove(&c.key),
                    };
                }
                since = feed.revision;
            }
            Err(StoreError::Compacted { .. }) => {
                let snap = reader.load().unwrap();
                *view = snap.items.into_iter().map(|i| (i.key, i.value)).collect();
                since = snap.revision;
                reloads += 1;
            }
            Err(e) => panic!("{e}"),
        };
        while done.load(Ordering::SeqCst) < WRITERS {
            follow(&mut view);
        }
        follow(&mut view);
        follow(&mut view);
    });
    let truth: std::collections::BTreeMap<String, Vec<u8>> =
        reader.load().unwrap().items.into_iter().map(|i| (i.key, i.value)).collect();
    assert_eq!(truth.len(), WRITERS * ROUNDS / 2);
    assert_eq!(view, truth);
    eprintln!("{reloads} reloads");
}
