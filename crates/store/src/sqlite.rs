//! The embedded default: one SQLite file in WAL mode.
//!
//! `synchronous = FULL` makes every acknowledged commit durable: it survives `kill -9` of the
//! process and a power cut. One connection behind a mutex: the domain serializes its writes
//! anyway, and reads are served from the domain's memory, not from here.
//!
//! The file (and its `-wal` and `-shm` companions, which SQLite creates with the database's
//! mode) is readable by its owner only: it holds sealed secrets and password hashes.
//!
//! Damage is looked for at open, and the store refuses to open rather than serve an older
//! state silently:
//! - `PRAGMA quick_check` finds a damaged database file;
//! - a damaged write-ahead log is not an error to SQLite: it replays the log up to the first
//!   frame whose checksum fails and drops the rest, commits that were acknowledged. So every
//!   commit also writes its revision to a small file next to the database (`<db>-revision`),
//!   after SQLite has made the commit durable; at open, a database whose revision is behind
//!   that file has lost commits. The file is written with a plain `pwrite` (no fsync: the
//!   kernel keeps it across `kill -9`; after a power cut it can only be older, never ahead), so
//!   it costs one system call per commit, next to the commit's own fsync.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::config::DbConfig;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::{ChangeFeed, Changed, Item, Snapshot, Store, StoreError, Write};

#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
    /// The revision marker (`<db>-revision`), rewritten after every commit.
    marker: File,
}

const SCHEMA: &str = "
-- A NULL value is a deletion, kept so that other readers of the change feed see it, until
-- `collect_tombstones` removes it.
CREATE TABLE IF NOT EXISTS records (
    key      TEXT PRIMARY KEY NOT NULL,
    value    BLOB,
    revision INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS records_revision ON records (revision);
CREATE INDEX IF NOT EXISTS records_tombstones ON records (revision) WHERE value IS NULL;
CREATE TABLE IF NOT EXISTS meta (
    name  TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (name, value) VALUES ('revision', 0);
INSERT OR IGNORE INTO meta (name, value) VALUES ('feed_floor', 0);
";

/// The width of the revision written to the marker: every `u64` fits, so each write replaces
/// the whole previous one in place.
const MARKER_WIDTH: usize = 20;

fn unavailable(e: rusqlite::Error) -> StoreError {
    // The message names the failure (locked, I/O, corrupt), never a record's contents.
    StoreError::Unavailable(e.to_string())
}

/// `<db>-revision`, next to `<db>-wal` and `<db>-shm`.
pub fn marker_path(db: &Path) -> PathBuf {
    companion(db, "-revision")
}

fn companion(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Opens `path` for writing, creating it readable by the owner only, and takes away any
/// access others have to an existing one.
fn open_private(path: &Path, create: bool) -> Result<Option<File>, StoreError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true).write(true).create(create);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = match opts.open(path) {
        Ok(f) => f,
        Err(e) if !create && e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StoreError::Unavailable(format!("cannot open {}: {e}", path.display()))),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.metadata().map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
        if mode & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(mode & 0o700))
                .map_err(|e| StoreError::Unavailable(format!("cannot protect {}: {e}", path.display())))?;
        }
    }
    Ok(Some(file))
}

fn read_marker(path: &Path, marker: &File) -> Result<Option<u64>, StoreError> {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut &*marker, &mut text)
        .map_err(|e| StoreError::Unavailable(format!("cannot read {}: {e}", path.display())))?;
    let text = text.trim();
    if text.is_empty() {
        // Created, and the process stopped before its first write.
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| {
        StoreError::Corrupt(format!(
            "{} does not hold a revision; if the database is known to be intact, delete that file to start",
            path.display()
        ))
    })
}

fn write_marker(marker: &File, revision: u64) -> std::io::Result<()> {
    let text = format!("{revision:0MARKER_WIDTH$}\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        marker.write_all_at(text.as_bytes(), 0)
    }
    #[cfg(not(unix))]
    {
        use std::io::{Seek, Write};
        let mut f = marker;
        f.seek(std::io::SeekFrom::Start(0))?;
        f.write_all(text.as_bytes())
    }
}

fn newest_revision(conn: &Connection) -> Result<u64, StoreError> {
    let revision: i64 =
        conn.query_row("SELECT value FROM meta WHERE name = 'revision'", [], |r| r.get(0)).map_err(unavailable)?;
    Ok(revision.unsigned_abs())
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`. Refuses a database found
    /// damaged, or behind the revision its last commit recorded (see the module docs).
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let cannot = |e: rusqlite::Error| StoreError::Unavailable(format!("cannot open {}: {e}", path.display()));
        // Created owner-only before SQLite sees it; SQLite gives `-wal` and `-shm` the same
        // mode. Companions left from before (or by an older version) are tightened too.
        open_private(path, true)?;
        for suffix in ["-wal", "-shm"] {
            open_private(&companion(path, suffix), false)?;
        }
        let conn = Connection::open(path).map_err(cannot)?;
        // Until the checks below pass, closing must not checkpoint: a damaged log stays as it
        // was found, for whoever repairs it.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true).map_err(cannot)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(cannot)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(cannot)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(cannot)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(cannot)?;
        check_integrity(&conn, path)?;
        conn.execute_batch(SCHEMA).map_err(cannot)?;

        let marker_path = marker_path(path);
        let marker = open_private(&marker_path, true)?
            .ok_or_else(|| StoreError::Unavailable(format!("cannot create {}", marker_path.display())))?;
        let recorded = read_marker(&marker_path, &marker)?;
        let revision = newest_revision(&conn)?;
        if let Some(recorded) = recorded.filter(|&r| r > revision) {
            return Err(StoreError::Corrupt(format!(
                "{} is at revision {revision}, but commits up to revision {recorded} were acknowledged \
                 (recorded in {}): acknowledged writes are missing, most likely because the write-ahead \
                 log {} was damaged. Refusing to serve an older state; restore the data directory from a \
                 backup",
                path.display(),
                marker_path.display(),
                companion(path, "-wal").display(),
            )));
        }
        write_marker(&marker, revision)
            .map_err(|e| StoreError::Unavailable(format!("cannot write {}: {e}", marker_path.display())))?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, false).map_err(cannot)?;
        Ok(Self { conn: Mutex::new(conn), marker })
    }

    fn conn(&self) -> Result<std::sync::MutexGuard<'_, Connection>, StoreError> {
        self.conn.lock().map_err(|_| StoreError::Unavailable("sqlite connection lock poisoned".into()))
    }
}

/// `PRAGMA quick_check`: every page and b-tree readable and well formed (linear in the size
/// of the database; not the index-content comparison of the full `integrity_check`).
fn check_integrity(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let damaged = |detail: String| {
        StoreError::Corrupt(format!(
            "{} is damaged ({detail}); refusing to start: restore the data directory from a backup",
            path.display()
        ))
    };
    let mut stmt = conn.prepare("PRAGMA quick_check").map_err(|e| damaged(e.to_string()))?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(|e| damaged(e.to_string()))?;
    let mut problems = Vec::new();
    for row in rows {
        let row = row.map_err(|e| damaged(e.to_string()))?;
        if row != "ok" {
            problems.push(row);
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        problems.truncate(3);
        Err(damaged(problems.join("; ")))
    }
}

impl Store for SqliteStore {
    fn load(&self) -> Result<Snapshot, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction().map_err(unavailable)?;
        let revision = newest_revision(&tx)?;
        let mut items = Vec::new();
        {
            let mut stmt = tx
                .prepare("SELECT key, value, revision FROM records WHERE value IS NOT NULL ORDER BY key")
                .map_err(unavailable)?;
            let rows = stmt
                .query_map([], |r| {
                    let revision: i64 = r.get(2)?;
                    Ok(Item { key: r.get(0)?, value: r.get(1)?, revision: revision.unsigned_abs() })
                })
                .map_err(unavailable)?;
            for row in rows {
                items.push(row.map_err(unavailable)?);
            }
        }
        tx.commit().map_err(unavailable)?;
        Ok(Snapshot { items, revision })
    }

    fn commit(&self, writes: &[Write]) -> Result<u64, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(unavailable)?;
        for w in writes {
            let current: Option<i64> = tx
                .query_row("SELECT revision FROM records WHERE key = ?1 AND value IS NOT NULL", params![w.key], |r| r.get(0))
                .optional()
                .map_err(unavailable)?;
            if !crate::expectation_holds(w.expect, current.map(i64::unsigned_abs)) {
                // Dropping the transaction rolls it back: nothing in the batch is written.
                return Err(StoreError::Conflict { key: w.key.clone() });
            }
        }
        let revision: i64 = tx
            .query_row(
                "UPDATE meta SET value = value + 1 WHERE name = 'revision' RETURNING value",
                [],
                |r| r.get(0),
            )
            .map_err(unavailable)?;
        for w in writes {
            tx.execute(
                "INSERT INTO records (key, value, revision) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, revision = excluded.revision",
                params![w.key, w.value, revision],
            )
            .map_err(unavailable)?;
        }
        tx.commit().map_err(unavailable)?;
        let revision = revision.unsigned_abs();
        // Only now, with the commit durable, and still under the connection's lock (so the
        // marker only moves forward). A failed write leaves the marker behind, which is safe:
        // the check at open only refuses a database behind it.
        let _ = write_marker(&self.marker, revision);
        Ok(revision)
    }

    fn changes_since(&self, revision: u64) -> Result<ChangeFeed, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction().map_err(unavailable)?;
        let newest = newest_revision(&tx)?;
        let floor: i64 =
            tx.query_row("SELECT value FROM meta WHERE name = 'feed_floor'", [], |r| r.get(0)).map_err(unavailable)?;
        let floor = floor.unsigned_abs();
        if revision < floor {
            return Err(StoreError::Compacted { floor });
        }
        let mut changes = Vec::new();
        {
            let mut stmt = tx
                .prepare("SELECT key, value, revision FROM records WHERE revision > ?1 ORDER BY revision, key")
                .map_err(unavailable)?;
            let since = i64::try_from(revision).unwrap_or(i64::MAX);
            let rows = stmt
                .query_map(params![since], |r| {
                    let rev: i64 = r.get(2)?;
                    Ok(Changed { key: r.get(0)?, value: r.get(1)?, revision: rev.unsigned_abs() })
                })
                .map_err(unavailable)?;
            for row in rows {
                changes.push(row.map_err(unavailable)?);
            }
        }
        tx.commit().map_err(unavailable)?;
        Ok(ChangeFeed { changes, revision: newest })
    }

    fn collect_tombstones(&self, up_to: u64) -> Result<usize, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(unavailable)?;
        let horizon = i64::try_from(up_to.min(newest_revision(&tx)?)).unwrap_or(i64::MAX);
        let removed = tx
            .execute("DELETE FROM records WHERE value IS NULL AND revision <= ?1", params![horizon])
            .map_err(unavailable)?;
        tx.execute("UPDATE meta SET value = max(value, ?1) WHERE name = 'feed_floor'", params![horizon])
            .map_err(unavailable)?;
        tx.commit().map_err(unavailable)?;
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use crate::Write;

    #[test]
    fn conformance() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("castellan.db");
        crate::conformance::run(&|| Box::new(SqliteStore::open(&path).unwrap()), true);
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    /// Finding 11: the database was created 0644 (the umask's default) in an existing data
    /// directory, readable by every local user. It, its `-wal`, `-shm` and revision marker
    /// are created owner-only.
    #[cfg(unix)]
    #[test]
    fn world_readable_database_file_is_created_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("castellan.db");
        let store = SqliteStore::open(&path).unwrap();
        store.commit(&[Write::put("k", b"v".to_vec())]).unwrap();
        for p in [path.clone(), companion(&path, "-wal"), companion(&path, "-shm"), marker_path(&path)] {
            assert!(p.exists(), "{} exists while the store is open", p.display());
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
    }

    /// Finding 11: a database file left world-readable (by an older version) is tightened at open.
    #[cfg(unix)]
    #[test]
    fn world_readable_existing_database_file_is_tightened_at_open() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("castellan.db");
        let store = SqliteStore::open(&path).unwrap();
        store.commit(&[Write::put("k", b"v".to_vec())]).unwrap();
        // As a crash leaves it: the log and shared memory still there.
        std::mem::forget(store);
        for p in [path.clone(), companion(&path, "-wal"), companion(&path, "-shm")] {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let _store = SqliteStore::open(&path).unwrap();
        for p in [path.clone(), companion(&path, "-wal"), companion(&path, "-shm")] {
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
    }

    const CHILD: &str = "CASTELLAN_TEST_SQLITE_CHILD";

    /// Writes `n` commits in another process that then exits without closing the database, as
    /// `kill -9` leaves it: the commits in the write-ahead log, not checkpointed into the
    /// database file. (In this process SQLite would trust the log index it still has in
    /// memory, and not read the log again.)
    fn commits_left_in_the_log(path: &Path, n: usize) {
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "sqlite::tests::child_commits_then_dies", "--nocapture", "--test-threads=1"])
            .env(CHILD, format!("{n}:{}", path.display()))
            .status()
            .unwrap();
        assert!(status.success());
        assert!(companion(path, "-wal").exists());
    }

    /// The other process of `commits_left_in_the_log`; does nothing as an ordinary test.
    #[test]
    fn child_commits_then_dies() {
        let Ok(job) = std::env::var(CHILD) else { return };
        let (n, path) = job.split_once(':').unwrap();
        let store = SqliteStore::open(Path::new(path)).unwrap();
        for i in 0..n.parse::<usize>().unwrap() {
            store.commit(&[Write::put(format!("user/{i:03}"), vec![b'x'; 200])]).unwrap();
        }
        // No destructor runs: the connection is never closed.
        std::process::exit(0);
    }

    /// Finding 13: bytes flipped in the middle of the write-ahead log made SQLite drop every
    /// frame from there on, and the server started silently with 14 of 30 acknowledged users.
    /// Now the store refuses to open, saying so.
    #[test]
    fn flipped_bytes_in_the_wal_refuse_to_open_instead_of_losing_acknowledged_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("castellan.db");
        commits_left_in_the_log(&path, 30);
        let wal = companion(&path, "-wal");
        let mut bytes = std::fs::read(&wal).unwrap();
        assert!(bytes.len() > 4096 * 10, "the commits are in the log ({} bytes)", bytes.len());
        let middle = bytes.len() / 2;
        for b in &mut bytes[middle..middle + 64] {
            *b ^= 0xa5;
        }
        std::fs::write(&wal, &bytes).unwrap();

        let err = SqliteStore::open(&path).unwrap_err();
        let StoreError::Corrupt(message) = &err else { panic!("{err:?}") };
        assert!(message.contains("commits up to revision 30 were acknowledged"), "{message}");
        assert!(message.contains("castellan.db-wal"), "{message}");
        // Refusing again later: the damaged log was not checkpointed away by the refusal.
        assert_eq!(std::fs::read(&wal).unwrap(), bytes, "the log is left as found");
        assert!(matches!(SqliteStore::open(&path), Err(StoreError::Corrupt(_))));
    }

    /// Finding 13: the same crash without damage opens with every commit.
    #[test]
    fn a_clean_restart_after_kill_opens_with_every_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("castellan.db");
        commits_left_in_the_log(&path, 30);
        let store = SqliteStore::open(&path).unwrap();
        let snap = store.load().unwrap();
        assert_eq!((snap.items.len(), snap.revision), (30, 30));
        drop(store);
        assert_eq!(SqliteStore::open(&path).unwrap().load().unwrap().revision, 30);
    }

    /// Finding 13: a damaged database file (not only the log) is found by `quick_check`.
    #[test]
    fn a_damaged_database_file_refuses_to_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("castellan.db");
        {
            let store = SqliteStore::open(&path).unwrap();
            let writes: Vec<Write> = (0..500).map(|i| Write::put(format!("user/{i:04}"), vec![b'y'; 300])).collect();
            store.commit(&writes).unwrap();
        } // closed: checkpointed into the database file
        let mut bytes = std::fs::read(&path).unwrap();
        // Garble the b-tree pages past the header page and the schema.
        let len = bytes.len();
        for b in &mut bytes[len / 2..len / 2 + 4096] {
            *b = 0xff;
        }
        std::fs::write(&path, &bytes).unwrap();
        let err = SqliteStore::open(&path).unwrap_err();
        assert!(matches!(&err, StoreError::Corrupt(m) if m.contains("damaged")), "{err:?}");
    }

    /// The database deleted (or replaced by an older copy) next to its marker is behind too.
    #[test]
    fn a_database_replaced_by_an_older_copy_refuses_to_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("castellan.db");
        let store = SqliteStore::open(&path).unwrap();
        store.commit(&[Write::put("a", b"1".to_vec())]).unwrap();
        drop(store);
        let old = std::fs::read(&path).unwrap();
        let store = SqliteStore::open(&path).unwrap();
        store.commit(&[Write::put("b", b"2".to_vec())]).unwrap();
        drop(store);
        std::fs::write(&path, old).unwrap();
        assert!(matches!(SqliteStore::open(&path), Err(StoreError::Corrupt(m)) if m.contains("revision 2")));
    }
}
