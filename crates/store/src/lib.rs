//! Storage behind one interface.
//!
//! Backends: [`SqliteStore`] (one file, the default), [`PostgresStore`] (one database shared
//! by several nodes) and [`MemoryStore`] (tests, throw-away runs).
//!
//! The [`Store`] is a small transactional record store: every record is an opaque byte string
//! under a string key, carrying the revision of the commit that last wrote it. A commit is a
//! batch of [`Write`]s applied atomically, each guarded by an [`Expect`] precondition, so that
//! several nodes sharing one database can detect conflicting writes.
//!
//! Architecture invariant: this crate knows nothing about IAM. It never sees a plaintext secret
//! (the domain encrypts before writing) and its errors never carry record contents.

mod memory;
mod postgres;
mod pgtls;
mod audit_pg;
pub use crate::audit_pg::AuditRow;
mod sqlite;

pub mod conformance;

pub use crate::memory::MemoryStore;
pub use crate::postgres::PostgresStore;
pub use crate::sqlite::SqliteStore;

/// A record as stored: its key, its bytes and the revision of the commit that wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub key: String,
    pub value: Vec<u8>,
    pub revision: u64,
}

/// What a write requires of the record's current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// No requirement: last writer wins.
    Any,
    /// The record must not exist (create).
    Absent,
    /// The record must exist at exactly this revision (compare-and-swap).
    Revision(u64),
}

/// One change in a commit: `value: None` deletes the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    pub key: String,
    pub value: Option<Vec<u8>>,
    pub expect: Expect,
}

impl Write {
    pub fn put(key: impl Into<String>, value: Vec<u8>) -> Self {
        Self { key: key.into(), value: Some(value), expect: Expect::Any }
    }

    pub fn delete(key: impl Into<String>) -> Self {
        Self { key: key.into(), value: None, expect: Expect::Any }
    }

    #[must_use]
    pub fn expecting(mut self, expect: Expect) -> Self {
        self.expect = expect;
        self
    }
}

/// Everything in the store, and the revision of the newest commit it includes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub items: Vec<Item>,
    pub revision: u64,
}

/// The errors the domain sees: storage detail stays inside this crate.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StoreError {
    /// A precondition failed; nothing in the batch was written.
    #[error("conflicting write to `{key}`")]
    Conflict { key: String },
    /// The backend could not be reached or failed; nothing in the batch was written.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// The stored data is damaged, or older than commits that were acknowledged: refused
    /// rather than served.
    #[error("storage corrupt: {0}")]
    Corrupt(String),
    /// [`Store::changes_since`] was asked for changes from before the feed's floor: the
    /// tombstones of deletions up to `floor` were collected, so the feed can no longer say
    /// what was deleted since. The reader must [`Store::load`] everything again.
    #[error("the change feed was compacted up to revision {floor}: reload")]
    Compacted { floor: u64 },
}

/// One record changed by a commit after some revision: its new value, or `None` if it was
/// deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    pub key: String,
    pub value: Option<Vec<u8>>,
    pub revision: u64,
}

/// What changed after a revision, in revision order, and the newest revision seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeFeed {
    pub changes: Vec<Changed>,
    pub revision: u64,
}

/// A transactional record store. Implementations must pass [`conformance::run`].
///
/// Revisions are assigned in commit order: a reader that has seen revision `r` has seen every
/// commit up to `r`, so [`Store::changes_since`] never skips one. (Commits are serialized on
/// the revision counter to make that so; IAM is written rarely and read constantly.)
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Every live record, in key order, and the newest revision.
    fn load(&self) -> Result<Snapshot, StoreError>;

    /// Applies all writes atomically, or none of them. Returns the commit's revision, which is
    /// greater than every earlier one. A write acknowledged here survives a crash of the process.
    fn commit(&self, writes: &[Write]) -> Result<u64, StoreError>;

    /// Every record written or deleted by commits after `revision` (deletions included), in
    /// revision order: how a node follows the changes other nodes make. Fails with
    /// [`StoreError::Compacted`] when `revision` is below the feed's floor (see
    /// [`Store::collect_tombstones`]).
    fn changes_since(&self, revision: u64) -> Result<ChangeFeed, StoreError>;

    /// Removes the tombstones of deletions at revisions up to `up_to` (capped at the newest
    /// revision) and raises the feed's floor to it: from then on `changes_since(r)` with
    /// `r < up_to` fails with [`StoreError::Compacted`], since it could miss a deletion.
    /// Returns how many tombstones were removed. Idempotent; safe to run from several nodes.
    fn collect_tombstones(&self, up_to: u64) -> Result<usize, StoreError>;
}

/// A shared handle is a store too (tests open several `Iam`s on one store this way).
impl<S: Store + ?Sized> Store for std::sync::Arc<S> {
    fn load(&self) -> Result<Snapshot, StoreError> {
        (**self).load()
    }
    fn commit(&self, writes: &[Write]) -> Result<u64, StoreError> {
        (**self).commit(writes)
    }
    fn changes_since(&self, revision: u64) -> Result<ChangeFeed, StoreError> {
        (**self).changes_since(revision)
    }
    fn collect_tombstones(&self, up_to: u64) -> Result<usize, StoreError> {
        (**self).collect_tombstones(up_to)
    }
}

/// Whether a write's precondition holds, given the record's current revision (if it exists).
fn expectation_holds(expect: Expect, current: Option<u64>) -> bool {
    match expect {
        Expect::Any => true,
        Expect::Absent => current.is_none(),
        Expect::Revision(r) => current == Some(r),
    }
}
