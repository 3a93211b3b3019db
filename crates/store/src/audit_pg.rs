//! The audit trail's table on PostgreSQL, shared by every node (issue 16): an append-only
//! list of JSON events, each with its time and account, read newest first. Used through a
//! [`PostgresStore`] of its own (its own connection and thread), never through [`crate::Store`]:
//! the trail is not IAM state and is not part of the change feed.

use crate::postgres::PostgresStore;
use crate::StoreError;

/// One event to append: Unix seconds, the account it belongs to (None: unknown), its JSON.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub time: i64,
    pub account: Option<String>,
    pub event: String,
}

const CREATE: &str = "CREATE TABLE IF NOT EXISTS castellan_audit (
        seq bigserial PRIMARY KEY,
        event_time bigint NOT NULL,
        account text,
        event text NOT NULL
    );
    CREATE INDEX IF NOT EXISTS castellan_audit_account_seq ON castellan_audit (account, seq);";

impl PostgresStore {
    /// Creates the audit table if it is missing.
    pub fn audit_init(&self) -> Result<(), StoreError> {
        self.call(|conn| conn.run(|client, _| Ok(client.batch_execute(CREATE)?)))
    }

    /// Appends events in one statement.
    pub fn audit_append(&self, rows: Vec<AuditRow>) -> Result<(), StoreError> {
        self.call(move |conn| {
            conn.run(|client, _| {
                let times: Vec<i64> = rows.iter().map(|r| r.time).collect();
                let accounts: Vec<Option<&str>> = rows.iter().map(|r| r.account.as_deref()).collect();
                let events: Vec<&str> = rows.iter().map(|r| r.event.as_str()).collect();
                client.execute(
                    "INSERT INTO castellan_audit (event_time, account, event)
                     SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])",
                    &[&times, &accounts, &events],
                )?;
                Ok(())
            })
        })
    }

    /// Up to `limit` events of `account` between `start` and `end` (Unix seconds, inclusive),
    /// newest first, before sequence number `before` (None: from the newest). Returns each
    /// event's sequence number and JSON.
    pub fn audit_page(&self, account: String, start: i64, end: i64, before: Option<i64>, limit: i64) -> Result<Vec<(i64, String)>, StoreError> {
        self.call(move |conn| {
            conn.run(|client, _| {
                let rows = client.query(
                    "SELECT seq, event FROM castellan_audit
                     WHERE account = $1 AND event_time BETWEEN $2 AND $3 AND seq < $4
                     ORDER BY seq DESC LIMIT $5",
                    &[&account, &start, &end, &before.unwrap_or(i64::MAX), &limit],
                )?;
                rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
            })
        })
    }

    /// Deletes the events older than `time` (Unix seconds); returns how many.
    pub fn audit_expire(&self, time: i64) -> Result<u64, StoreError> {
        self.call(move |conn| conn.run(|client, _| Ok(client.execute("DELETE FROM castellan_audit WHERE event_time < $1", &[&time])?)))
    }
}
