//! The embedded default: one SQLite file in WAL mode.
//!
//! `synchronous = FULL` makes every acknowledged commit durable: it survives `kill -9` of the
//! process and a power cut. One connection behind a mutex: the domain serializes its writes
//! anyway, and reads are served from the domain's memory, not from here.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::{ChangeFeed, Changed, Item, Snapshot, Store, StoreError, Write};

#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
-- A NULL value is a deletion, kept so that other readers of the change feed see it.
CREATE TABLE IF NOT EXISTS records (
    key      TEXT PRIMARY KEY NOT NULL,
    value    BLOB,
    revision INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS records_revision ON records (revision);
CREATE TABLE IF NOT EXISTS meta (
    name  TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (name, value) VALUES ('revision', 0);
";

fn unavailable(e: rusqlite::Error) -> StoreError {
    // The message names the failure (locked, I/O, corrupt), never a record's contents.
    StoreError::Unavailable(e.to_string())
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(unavailable)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(unavailable)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(unavailable)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(unavailable)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(unavailable)?;
        conn.execute_batch(SCHEMA).map_err(unavailable)?;
        Ok(Self { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> Result<std::sync::MutexGuard<'_, Connection>, StoreError> {
        self.conn.lock().map_err(|_| StoreError::Unavailable("sqlite connection lock poisoned".into()))
    }
}

impl Store for SqliteStore {
    fn load(&self) -> Result<Snapshot, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction().map_err(unavailable)?;
        let revision: i64 = tx
            .query_row("SELECT value FROM meta WHERE name = 'revision'", [], |r| r.get(0))
            .map_err(unavailable)?;
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
        Ok(Snapshot { items, revision: revision.unsigned_abs() })
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
        Ok(revision.unsigned_abs())
    }

    fn changes_since(&self, revision: u64) -> Result<ChangeFeed, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction().map_err(unavailable)?;
        let newest: i64 = tx
            .query_row("SELECT value FROM meta WHERE name = 'revision'", [], |r| r.get(0))
            .map_err(unavailable)?;
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
        Ok(ChangeFeed { changes, revision: newest.unsigned_abs() })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn conformance() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("castellan.db");
        crate::conformance::run(&|| Box::new(SqliteStore::open(&path).unwrap()), true);
    }
}
