//! PostgreSQL: one database shared by several nodes.
//!
//! The same data model as the SQLite backend: `castellan_records (key, value, revision)`,
//! where a NULL value is a deletion kept for the change feed (until collected), and a revision
//! counter row in `castellan_meta`. Every commit first takes the counter row's lock (`UPDATE … RETURNING`),
//! then checks its preconditions, then writes, all in one transaction: commits are
//! serialized on that one row, so revisions are assigned in commit order and a reader that
//! has seen revision `r` has seen every commit up to `r`. Taking that lock first, and no
//! other lock before it, is what rules out deadlocks between committers, and checking the
//! preconditions only once it is held (each statement of a READ COMMITTED transaction sees
//! every commit that finished before it started) is what rules out lost updates.
//!
//! The client is the synchronous `postgres` crate, which drives its own small tokio runtime
//! and must not be used from async code. So the connection lives on a thread of its own and
//! every call is handed to it: the store can be used (and dropped) from any thread. When the
//! connection breaks (PostgreSQL restarted, the network failed), calls report
//! [`StoreError::Unavailable`] and the next call connects again; a call that certainly had no
//! effect yet is retried once on a fresh connection.
//!
//! TLS is not supported: connect over a local socket, loopback or a trusted network.

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use ::postgres::{Client, IsolationLevel, NoTls, Statement};

use crate::{ChangeFeed, Changed, Item, Snapshot, Store, StoreError, Write};

/// The schema, one step per version. The version reached is kept in `castellan_meta`;
/// every node applies the missing steps when it starts, one node at a time.
const MIGRATIONS: &[&str] = &[
    // 1: the record table, its revision index (for the change feed) and the revision counter.
    r#"
    -- A NULL value is a deletion, kept so that other nodes following the change feed see it.
    -- Keys compare byte by byte ("C"), as in the SQLite backend.
    CREATE TABLE castellan_records (
        key      text COLLATE "C" PRIMARY KEY,
        value    bytea,
        revision bigint NOT NULL
    );
    CREATE INDEX castellan_records_revision ON castellan_records (revision);
    INSERT INTO castellan_meta (name, value) VALUES ('revision', 0);
    "#,
    // 2: collecting tombstones: the feed's floor, and an index of the tombstones alone.
    r#"
    INSERT INTO castellan_meta (name, value) VALUES ('feed_floor', 0);
    CREATE INDEX castellan_records_tombstones ON castellan_records (revision) WHERE value IS NULL;
    "#,
];

/// Serializes migrations of nodes starting at once (`CREATE TABLE IF NOT EXISTS` alone races).
/// The value spells "castella".
const MIGRATION_LOCK: i64 = 0x6361_7374_656c_6c61;

/// How long a connection may sit idle inside a transaction: a stalled node must not hold the
/// revision counter's lock, and so every other node's writes, for long.
const IDLE_IN_TRANSACTION_TIMEOUT: &str = "30s";

/// The connect timeout used when the URL sets none.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// A [`Store`] on a PostgreSQL database, shared by every node that opens the same one.
pub struct PostgresStore {
    jobs: Option<mpsc::Sender<Job>>,
    worker: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The connection settings may hold a password: not printed.
        f.debug_struct("PostgresStore").finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to the database named by `url` (`postgres://user:password@host:port/db?…` or
    /// `host=… user=… dbname=…`) and brings its schema up to date.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        // TLS as `sslmode` asks (see `pgtls`); the rest is the client's to parse.
        let (url, tls_mode) = crate::pgtls::split(url).map_err(StoreError::Unavailable)?;
        let tls = crate::pgtls::connector(&tls_mode).map_err(StoreError::Unavailable)?;
        let mut config: postgres::Config =
            url.parse().map_err(|_| StoreError::Unavailable("the PostgreSQL connection string is malformed".into()))?;
        if tls.is_some() {
            config.ssl_mode(postgres::config::SslMode::Require);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("castellan");
        }
        config.keepalives(true);
        // Notices ("relation … already exists, skipping" from the migrations) are not errors.
        config.notice_callback(|_| ());
        let (jobs, receiver) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = mpsc::sync_channel::<Result<(), StoreError>>(1);
        let worker = std::thread::Builder::new()
            .name("castellan-postgres".into())
            .spawn(move || {
                let mut conn = Connection { config, tls, client: None };
                let ready = conn.start();
                let ok = ready.is_ok();
                let _ = ready_tx.send(ready);
                if ok {
                    // Until the store is dropped (its sender with it).
                    for job in receiver {
                        job(&mut conn);
                    }
                }
            })
            .map_err(|e| StoreError::Unavailable(format!("cannot start the PostgreSQL thread: {e}")))?;
        let started = ready_rx.recv().unwrap_or_else(|_| Err(worker_gone()));
        let store = Self { jobs: Some(jobs), worker: Some(worker) };
        started.map(|()| store)
    }

    /// Runs `f` on the connection's thread and waits for its answer.
    pub(crate) fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (reply, answer) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |conn| {
            let _ = reply.send(f(conn));
        });
        self.jobs.as_ref().ok_or_else(worker_gone)?.send(job).map_err(|_| worker_gone())?;
        answer.recv().map_err(|_| worker_gone())?
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        // Closing the channel ends the thread, which closes the connection there.
        drop(self.jobs.take());
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

fn worker_gone() -> StoreError {
    StoreError::Unavailable("the PostgreSQL connection thread has stopped".into())
}

impl Store for PostgresStore {
    fn load(&self) -> Result<Snapshot, StoreError> {
        self.call(|conn| conn.run(load))
    }

    fn commit(&self, writes: &[Write]) -> Result<u64, StoreError> {
        let writes = writes.to_vec();
        self.call(move |conn| conn.run(|client, stmts| commit(client, stmts, &writes)))
    }

    fn changes_since(&self, revision: u64) -> Result<ChangeFeed, StoreError> {
        self.call(move |conn| conn.run(|client, stmts| changes_since(client, stmts, revision)))
    }

    fn collect_tombstones(&self, up_to: u64) -> Result<usize, StoreError> {
        self.call(move |conn| conn.run(|client, stmts| collect_tombstones(client, stmts, up_to)))
    }
}

/// The connection, owned by the store's thread.
pub(crate) struct Connection {
    config: postgres::Config,
    /// Set when the connection string asks for TLS.
    tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
    client: Option<(Client, Statements)>,
}

/// Statements prepared once per connection.
pub(crate) struct Statements {
    /// Takes the revision counter's row lock and returns the new revision.
    next_revision: Statement,
    /// The revisions of the live records among some keys.
    current: Statement,
    /// Writes records (a NULL value: deleted) at a revision.
    upsert: Statement,
    /// Every record written after a revision, the newest revision and the feed's floor, in
    /// one snapshot.
    changes: Statement,
    /// Takes the revision counter's lock (as a commit does first) and reads it.
    lock_revision: Statement,
    /// Deletes the tombstones up to a revision.
    collect: Statement,
    /// Raises the feed's floor.
    raise_floor: Statement,
    newest: Statement,
    live: Statement,
}

impl Statements {
    fn prepare(client: &mut Client) -> Result<Self, postgres::Error> {
        Ok(Self {
            next_revision: client
                .prepare("UPDATE castellan_meta SET value = value + 1 WHERE name = 'revision' RETURNING value")?,
            current: client.prepare(
                "SELECT key, revision FROM castellan_records WHERE key = ANY($1::text[]) AND value IS NOT NULL",
            )?,
            upsert: client.prepare(
                "INSERT INTO castellan_records (key, value, revision)
                 SELECT w.key, w.value, $3::bigint FROM unnest($1::text[], $2::bytea[]) AS w (key, value)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, revision = excluded.revision",
            )?,
            // One statement is one snapshot: the newest revision, the floor and the records
            // agree. The meta rows always match, so an empty feed is one row of NULL record
            // columns; below the floor no record is read (the reader reloads).
            changes: client.prepare(
                "SELECT m.value, f.value, r.key, r.value, r.revision
                 FROM castellan_meta m
                 JOIN castellan_meta f ON f.name = 'feed_floor'
                 LEFT JOIN castellan_records r ON r.revision > $1::bigint AND $1::bigint >= f.value
                 WHERE m.name = 'revision'
                 ORDER BY r.revision, r.key",
            )?,
            lock_revision: client.prepare("SELECT value FROM castellan_meta WHERE name = 'revision' FOR UPDATE")?,
            collect: client.prepare("DELETE FROM castellan_records WHERE value IS NULL AND revision <= $1::bigint")?,
            raise_floor: client.prepare(
                "UPDATE castellan_meta SET value = GREATEST(value, $1::bigint) WHERE name = 'feed_floor'",
            )?,
            newest: client.prepare("SELECT value FROM castellan_meta WHERE name = 'revision'")?,
            live: client
                .prepare("SELECT key, value, revision FROM castellan_records WHERE value IS NOT NULL ORDER BY key")?,
        })
    }
}

/// Why an attempt failed.
pub(crate) enum Failure {
    /// A precondition did not hold; nothing was written.
    Conflict(String),
    /// Failed before anything could have taken effect: safe to try again.
    BeforeEffect(postgres::Error),
    /// Failed while committing: the commit may or may not have been applied.
    Uncertain(postgres::Error),
    /// The database holds something this code cannot read.
    Corrupt(&'static str),
    /// The change feed was asked for revisions below its floor.
    Compacted(u64),
}

impl From<postgres::Error> for Failure {
    fn from(e: postgres::Error) -> Self {
        Self::BeforeEffect(e)
    }
}

impl Connection {
    /// A new connection, over TLS when the connection string asked for it.
    fn connect(&self) -> Result<Client, postgres::Error> {
        match &self.tls {
            Some(tls) => self.config.connect(tls.clone()),
            None => self.config.connect(NoTls),
        }
    }

    /// First connection: applies the migrations, then prepares the statements.
    fn start(&mut self) -> Result<(), StoreError> {
        let mut client = self.connect().map_err(|e| unavailable(&e))?;
        migrate(&mut client)?;
        self.client = Some(prepared(client)?);
        Ok(())
    }

    /// Runs one operation, connecting first if there is no usable connection. An attempt
    /// that failed with the connection broken, before anything took effect, is tried once
    /// more on a new connection (PostgreSQL restarted since the last call).
    pub(crate) fn run<T>(&mut self, mut op: impl FnMut(&mut Client, &Statements) -> Result<T, Failure>) -> Result<T, StoreError> {
        let mut retried = false;
        loop {
            if self.client.as_ref().is_some_and(|(c, _)| c.is_closed()) {
                self.client = None;
            }
            let fresh = self.client.is_none();
            let (client, stmts) = match &mut self.client {
                Some(c) => c,
                None => {
                    let client = self.connect().map_err(|e| unavailable(&e))?;
                    self.client.insert(prepared(client)?)
                }
            };
            let failure = match op(client, stmts) {
                Ok(v) => return Ok(v),
                Err(f) => f,
            };
            match failure {
                Failure::Conflict(key) => return Err(StoreError::Conflict { key }),
                Failure::Corrupt(what) => return Err(StoreError::Unavailable(what.into())),
                Failure::Compacted(floor) => return Err(StoreError::Compacted { floor }),
                Failure::BeforeEffect(e) => {
                    let broken = is_broken(client, &e);
                    if broken {
                        self.client = None;
                    }
                    if broken && !fresh && !retried {
                        retried = true;
                        continue;
                    }
                    return Err(unavailable(&e));
                }
                Failure::Uncertain(e) => {
                    if is_broken(client, &e) {
                        self.client = None;
                    }
                    return Err(StoreError::Unavailable(format!(
                        "the commit's outcome is unknown (it may have been applied): {}",
                        describe(&e)
                    )));
                }
            }
        }
    }
}

fn prepared(mut client: Client) -> Result<(Client, Statements), StoreError> {
    client
        .batch_execute(&format!("SET idle_in_transaction_session_timeout = '{IDLE_IN_TRANSACTION_TIMEOUT}'"))
        .map_err(|e| unavailable(&e))?;
    let stmts = Statements::prepare(&mut client).map_err(|e| unavailable(&e))?;
    Ok((client, stmts))
}

/// Brings the schema to the newest version, under a lock so that nodes starting together
/// take turns.
fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let mut tx = client.transaction().map_err(|e| unavailable(&e))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).map_err(|e| unavailable(&e))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS castellan_meta (name text PRIMARY KEY, value bigint NOT NULL);
         INSERT INTO castellan_meta (name, value) VALUES ('schema_version', 0) ON CONFLICT (name) DO NOTHING;",
    )
    .map_err(|e| unavailable(&e))?;
    let version: i64 = tx
        .query_one("SELECT value FROM castellan_meta WHERE name = 'schema_version'", &[])
        .and_then(|row| row.try_get(0))
        .map_err(|e| unavailable(&e))?;
    let newest = MIGRATIONS.len();
    let applied = usize::try_from(version).map_err(|_| corrupt("the schema version is negative"))?;
    if applied > newest {
        return Err(StoreError::Unavailable(format!(
            "the database's schema (version {applied}) is newer than this castellan understands (version {newest})"
        )));
    }
    for (i, step) in MIGRATIONS.iter().enumerate().skip(applied) {
        tx.batch_execute(step).map_err(|e| unavailable(&e))?;
        let reached = i64::try_from(i + 1).map_err(|_| corrupt("too many migrations"))?;
        tx.execute("UPDATE castellan_meta SET value = $1 WHERE name = 'schema_version'", &[&reached])
            .map_err(|e| unavailable(&e))?;
    }
    tx.commit().map_err(|e| unavailable(&e))
}

fn load(client: &mut Client, stmts: &Statements) -> Result<Snapshot, Failure> {
    // One snapshot for the counter and the records.
    let mut tx = client.build_transaction().isolation_level(IsolationLevel::RepeatableRead).read_only(true).start()?;
    let revision = revision_of(tx.query_one(&stmts.newest, &[])?.try_get(0)?)?;
    let rows = tx.query(&stmts.live, &[])?;
    tx.commit()?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        items.push(Item { key: row.try_get(0)?, value: row.try_get(1)?, revision: revision_of(row.try_get(2)?)? });
    }
    Ok(Snapshot { items, revision })
}

fn commit(client: &mut Client, stmts: &Statements, writes: &[Write]) -> Result<u64, Failure> {
    let mut tx = client.transaction()?;
    // The counter row's lock first: from here on no other commit runs, and each statement
    // below sees every commit that finished before.
    let revision: i64 = tx.query_one(&stmts.next_revision, &[])?.try_get(0)?;
    if writes.iter().any(|w| w.expect != crate::Expect::Any) {
        let keys: Vec<&str> = writes.iter().map(|w| w.key.as_str()).collect();
        let mut current = BTreeMap::new();
        for row in tx.query(&stmts.current, &[&keys])? {
            let key: String = row.try_get(0)?;
            current.insert(key, revision_of(row.try_get(1)?)?);
        }
        for w in writes {
            if !crate::expectation_holds(w.expect, current.get(&w.key).copied()) {
                // Dropping the transaction rolls it back, the counter increment with it.
                return Err(Failure::Conflict(w.key.clone()));
            }
        }
    }
    // Preconditions are checked against the state before the batch; when a key appears
    // twice, its last write wins (as when the writes are applied one after the other).
    let mut last: BTreeMap<&str, Option<&[u8]>> = BTreeMap::new();
    for w in writes {
        last.insert(&w.key, w.value.as_deref());
    }
    let keys: Vec<&str> = last.keys().copied().collect();
    let values: Vec<Option<&[u8]>> = last.values().copied().collect();
    tx.execute(&stmts.upsert, &[&keys, &values, &revision])?;
    tx.commit().map_err(Failure::Uncertain)?;
    revision_of(revision)
}

fn changes_since(client: &mut Client, stmts: &Statements, revision: u64) -> Result<ChangeFeed, Failure> {
    let since = i64::try_from(revision).unwrap_or(i64::MAX);
    let rows = client.query(&stmts.changes, &[&since])?;
    let mut feed = ChangeFeed::default();
    for row in rows {
        feed.revision = revision_of(row.try_get(0)?)?;
        let floor = revision_of(row.try_get(1)?)?;
        if revision < floor {
            return Err(Failure::Compacted(floor));
        }
        let key: Option<String> = row.try_get(2)?;
        let changed: Option<i64> = row.try_get(4)?;
        if let (Some(key), Some(changed)) = (key, changed) {
            feed.changes.push(Changed { key, value: row.try_get(3)?, revision: revision_of(changed)? });
        }
    }
    Ok(feed)
}

fn collect_tombstones(client: &mut Client, stmts: &Statements, up_to: u64) -> Result<usize, Failure> {
    let mut tx = client.transaction()?;
    // The counter's lock first, as a commit takes it: no commit runs meanwhile, and the
    // horizon is capped at the newest revision.
    let newest: i64 = tx.query_one(&stmts.lock_revision, &[])?.try_get(0)?;
    let horizon = i64::try_from(up_to).unwrap_or(i64::MAX).min(newest);
    let removed = tx.execute(&stmts.collect, &[&horizon])?;
    tx.execute(&stmts.raise_floor, &[&horizon])?;
    // Collecting twice is harmless, so an unknown outcome is as good as a failure.
    tx.commit()?;
    Ok(usize::try_from(removed).unwrap_or(usize::MAX))
}

fn revision_of(stored: i64) -> Result<u64, Failure> {
    u64::try_from(stored).map_err(|_| Failure::Corrupt("a stored revision is negative"))
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Unavailable(what.into())
}

/// Whether the connection is unusable after `e` (rather than one statement having failed).
fn is_broken(client: &Client, e: &postgres::Error) -> bool {
    if client.is_closed() || e.is_closed() {
        return true;
    }
    match e.as_db_error() {
        // Not an error the server sent: I/O, protocol, or a value that could not be read.
        None => true,
        Some(db) => {
            let code = db.code().code();
            // connection_exception (08…), operator intervention (57P01 admin shutdown, …).
            matches!(db.severity(), "FATAL" | "PANIC") || code.starts_with("08") || code.starts_with("57P")
        }
    }
}

/// The failure, without anything from the records (a server error's detail, which may quote
/// a value, is left out).
fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("postgres: {} ({})", db.message(), db.code().code()),
        None => {
            // Connection failures keep the reason (refused, timed out, …) in the source.
            let mut text = format!("postgres: {e}");
            let mut source = std::error::Error::source(e);
            while let Some(cause) = source {
                let cause_text = cause.to_string();
                if !text.contains(&cause_text) {
                    text.push_str(": ");
                    text.push_str(&cause_text);
                }
                source = cause.source();
            }
            text
        }
    }
}

fn unavailable(e: &postgres::Error) -> StoreError {
    StoreError::Unavailable(describe(e))
}
