//! Prometheus metrics, served at `/metrics` in the text exposition format.
//!
//! Everything is a fixed array of atomics, indexed by operation (and error code, latency
//! bucket): recording a request is a handful of relaxed atomic additions, with no lock and no
//! allocation. Rendering walks the arrays and prints what is non-zero.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use castellan_api::Operation;
use castellan_store::{ChangeFeed, Snapshot, Store, StoreError, Write};

/// Operations, plus one slot for a request whose operation is not known (it failed before).
const OPS: usize = 256;
/// The slot of a request whose operation is not known.
const NO_OP: usize = OPS - 1;

/// The error codes counted by name; anything else is counted as `other`. Castellan's own
/// (`ApiError::code`) and the SigV4 verifier's.
const CODES: &[&str] = &[
    "AccessDenied", "NoSuchEntity", "EntityAlreadyExists", "DeleteConflict", "LimitExceeded",
    "MalformedPolicyDocument", "InvalidInput", "ValidationError", "PasswordPolicyViolation",
    "UnmodifiableEntity", "PolicyNotAttachable", "ConcurrentModification", "InvalidAction", "NotImplemented",
    "MissingAuthenticationToken", "InvalidClientTokenId", "IncompleteSignature", "SignatureDoesNotMatch",
    "ExpiredToken", "MalformedQueryString", "PackedPolicyTooLarge", "InvalidAuthorizationMessageException",
    "InvalidQueryParameter", "Throttling", "ServiceFailure", "RequestExpired", "XAmzContentSHA256Mismatch",
    "InvalidSignatureException", "AccessDeniedException", "RequestEntityTooLarge", "RequestTimeout",
    "IncompleteBody", "ServiceUnavailable", "InvalidParameterValue", "MalformedInput",
];
/// Outcome slots: 0 allowed (success), 1..=CODES.len() an error code, then `other`.
const OUTCOMES: usize = CODES.len() + 2;
const OTHER: usize = OUTCOMES - 1;

/// Upper bounds of the latency buckets, in seconds (the last bucket is `+Inf`).
const LATENCY_BOUNDS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];
/// The same bounds in microseconds, for the hot path.
const LATENCY_BOUNDS_US: &[u64] = &[500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000];
const BUCKETS: usize = 13;

/// A latency histogram: cumulative rendering from per-bucket counts.
#[derive(Debug)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS],
    sum_us: AtomicU64,
}

impl Histogram {
    const fn new() -> Self {
        Self { buckets: [const { AtomicU64::new(0) }; BUCKETS], sum_us: AtomicU64::new(0) }
    }

    fn observe(&self, elapsed: Duration) {
        let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let bucket = LATENCY_BOUNDS_US.iter().position(|&b| us <= b).unwrap_or(BUCKETS - 1);
        if let Some(b) = self.buckets.get(bucket) {
            b.fetch_add(1, Ordering::Relaxed);
        }
        self.sum_us.fetch_add(us, Ordering::Relaxed);
    }

    fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum()
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (i, b) in self.buckets.iter().enumerate() {
            cumulative += b.load(Ordering::Relaxed);
            let le = LATENCY_BOUNDS.get(i).map_or_else(|| "+Inf".to_owned(), |b| b.to_string());
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {cumulative}");
        }
        let sum = self.sum_us.load(Ordering::Relaxed) as f64 / 1e6;
        let braces = if labels.is_empty() { String::new() } else { format!("{{{labels}}}") };
        let _ = writeln!(out, "{name}_sum{braces} {sum}");
        let _ = writeln!(out, "{name}_count{braces} {cumulative}");
    }
}

/// Minutes tracked for live sessions: longer than the longest session (36 hours).
const SESSION_MINUTES: usize = 2304;

/// Every metric of the process.
#[derive(Debug)]
pub struct Metrics {
    requests: [[AtomicU64; OUTCOMES]; OPS],
    latency: [Histogram; OPS],
    auth_failures: [AtomicU64; OUTCOMES],
    commits: Histogram,
    commit_failures: AtomicU64,
    sessions_issued: [AtomicU64; OPS],
    /// Live sessions by the minute they expire: each slot packs (minute << 24 | count).
    session_expiry: [AtomicU64; SESSION_MINUTES],
    /// Unix milliseconds of the last successful read of the change feed (0: never).
    feed_synced_ms: AtomicU64,
    feed_revision: AtomicU64,
    feed_failures: AtomicU64,
    started: AtomicU64,
}

/// The process's metrics.
pub static METRICS: Metrics = Metrics::new();

fn unix_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn op_slot(op: Option<Operation>) -> usize {
    op.map(|op| op as usize).filter(|&i| i < NO_OP).unwrap_or(NO_OP)
}

fn outcome_slot(code: Option<&str>) -> usize {
    match code {
        None => 0,
        Some(code) => CODES.iter().position(|c| *c == code).map_or(OTHER, |i| i + 1),
    }
}

fn outcome_name(slot: usize) -> &'static str {
    match slot {
        0 => "allowed",
        s if s == OTHER => "other",
        s => CODES.get(s - 1).copied().unwrap_or("other"),
    }
}

fn op_name(slot: usize) -> &'static str {
    Operation::ALL.iter().find(|op| **op as usize == slot && slot != NO_OP).map_or("unknown", |op| op.name())
}

impl Metrics {
    const fn new() -> Self {
        Self {
            requests: [const { [const { AtomicU64::new(0) }; OUTCOMES] }; OPS],
            latency: [const { Histogram::new() }; OPS],
            auth_failures: [const { AtomicU64::new(0) }; OUTCOMES],
            commits: Histogram::new(),
            commit_failures: AtomicU64::new(0),
            sessions_issued: [const { AtomicU64::new(0) }; OPS],
            session_expiry: [const { AtomicU64::new(0) }; SESSION_MINUTES],
            feed_synced_ms: AtomicU64::new(0),
            feed_revision: AtomicU64::new(0),
            feed_failures: AtomicU64::new(0),
            started: AtomicU64::new(0),
        }
    }

    /// Notes when the server started (for `castellan_start_time_seconds`).
    pub fn mark_started(&self) {
        self.started.store(unix_ms(), Ordering::Relaxed);
    }

    /// One request: its operation (if known), its error code (None: it succeeded), whether
    /// it failed authentication, and how long it took.
    pub fn request(&self, op: Option<Operation>, code: Option<&str>, authentication_failed: bool, elapsed: Duration) {
        let op = op_slot(op);
        let outcome = outcome_slot(code);
        if let Some(row) = self.requests.get(op) {
            if let Some(c) = row.get(outcome) {
                c.fetch_add(1, Ordering::Relaxed);
            }
        }
        if let Some(h) = self.latency.get(op) {
            h.observe(elapsed);
        }
        if authentication_failed {
            if let Some(c) = self.auth_failures.get(outcome) {
                c.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// A session issued by STS, expiring at `expires` (Unix seconds).
    pub fn session_issued(&self, op: Operation, expires: i64) {
        if let Some(c) = self.sessions_issued.get(op_slot(Some(op))) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        let minute = u64::try_from(expires.max(0) / 60).unwrap_or(0);
        let Some(slot) = self.session_expiry.get((minute % SESSION_MINUTES as u64) as usize) else { return };
        // A slot holding another minute holds one long past (slots are reused only after
        // SESSION_MINUTES, longer than any session): start it afresh.
        let _ = slot.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
            Some(if v >> 24 == minute { v + 1 } else { minute << 24 | 1 })
        });
    }

    fn live_sessions(&self) -> u64 {
        let now_minute = unix_ms() / 60_000;
        self.session_expiry
            .iter()
            .map(|s| s.load(Ordering::Relaxed))
            .filter(|v| v >> 24 >= now_minute)
            .map(|v| v & 0xff_ffff)
            .sum()
    }

    /// The outcome of one read of the change feed.
    pub fn feed_synced(&self, ok: bool, revision: u64) {
        if ok {
            self.feed_synced_ms.store(unix_ms(), Ordering::Relaxed);
        } else {
            self.feed_failures.fetch_add(1, Ordering::Relaxed);
        }
        self.feed_revision.store(revision, Ordering::Relaxed);
    }

    /// How long ago the change feed was last read successfully (None: never).
    pub fn feed_age(&self) -> Option<Duration> {
        let synced = self.feed_synced_ms.load(Ordering::Relaxed);
        (synced > 0).then(|| Duration::from_millis(unix_ms().saturating_sub(synced)))
    }

    /// The text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(8192);
        out.push_str("# HELP castellan_requests_total Requests answered, by operation and outcome (allowed, or the AWS error code; AccessDenied is a denial).\n# TYPE castellan_requests_total counter\n");
        for (op, row) in self.requests.iter().enumerate() {
            for (outcome, c) in row.iter().enumerate() {
                let n = c.load(Ordering::Relaxed);
                if n > 0 {
                    let _ = writeln!(out, "castellan_requests_total{{operation=\"{}\",outcome=\"{}\"}} {n}", op_name(op), outcome_name(outcome));
                }
            }
        }
        out.push_str("# HELP castellan_request_duration_seconds Time from a request's arrival to its answer, by operation.\n# TYPE castellan_request_duration_seconds histogram\n");
        for (op, h) in self.latency.iter().enumerate() {
            if h.count() > 0 {
                h.render(&mut out, "castellan_request_duration_seconds", &format!("operation=\"{}\"", op_name(op)));
            }
        }
        out.push_str("# HELP castellan_authentication_failures_total Requests refused before authentication succeeded, by reason (AWS error code).\n# TYPE castellan_authentication_failures_total counter\n");
        for (outcome, c) in self.auth_failures.iter().enumerate() {
            let n = c.load(Ordering::Relaxed);
            if n > 0 {
                let _ = writeln!(out, "castellan_authentication_failures_total{{reason=\"{}\"}} {n}", outcome_name(outcome));
            }
        }
        out.push_str("# HELP castellan_store_commit_duration_seconds Time of each commit to the store (SQLite fsync, or a PostgreSQL transaction).\n# TYPE castellan_store_commit_duration_seconds histogram\n");
        self.commits.render(&mut out, "castellan_store_commit_duration_seconds", "");
        let _ = writeln!(out, "# HELP castellan_store_commit_failures_total Commits that failed (conflicts included).\n# TYPE castellan_store_commit_failures_total counter\ncastellan_store_commit_failures_total {}", self.commit_failures.load(Ordering::Relaxed));
        let synced = self.feed_synced_ms.load(Ordering::Relaxed);
        let lag = if synced == 0 { -1.0 } else { unix_ms().saturating_sub(synced) as f64 / 1e3 };
        let _ = writeln!(out, "# HELP castellan_change_feed_lag_seconds Time since this node last read the store's change feed successfully (it reads every 0.2 s; -1 before the first read).\n# TYPE castellan_change_feed_lag_seconds gauge\ncastellan_change_feed_lag_seconds {lag}");
        let _ = writeln!(out, "# HELP castellan_change_feed_revision The store revision this node has applied.\n# TYPE castellan_change_feed_revision gauge\ncastellan_change_feed_revision {}", self.feed_revision.load(Ordering::Relaxed));
        let _ = writeln!(out, "# HELP castellan_change_feed_failures_total Reads of the change feed that failed.\n# TYPE castellan_change_feed_failures_total counter\ncastellan_change_feed_failures_total {}", self.feed_failures.load(Ordering::Relaxed));
        out.push_str("# HELP castellan_sessions_issued_total Temporary credentials issued by this node, by operation.\n# TYPE castellan_sessions_issued_total counter\n");
        for (op, c) in self.sessions_issued.iter().enumerate() {
            let n = c.load(Ordering::Relaxed);
            if n > 0 {
                let _ = writeln!(out, "castellan_sessions_issued_total{{operation=\"{}\"}} {n}", op_name(op));
            }
        }
        let _ = writeln!(out, "# HELP castellan_sessions_live Temporary credentials issued by this node that have not expired (to the minute).\n# TYPE castellan_sessions_live gauge\ncastellan_sessions_live {}", self.live_sessions());
        let _ = writeln!(out, "# HELP castellan_audit_events_dropped_total Audit events dropped because the writer was too far behind.\n# TYPE castellan_audit_events_dropped_total counter\ncastellan_audit_events_dropped_total {}", crate::audit::DROPPED.load(Ordering::Relaxed));
        let started = self.started.load(Ordering::Relaxed) as f64 / 1e3;
        let _ = writeln!(out, "# HELP castellan_start_time_seconds When this process started serving (Unix time).\n# TYPE castellan_start_time_seconds gauge\ncastellan_start_time_seconds {started}");
        let _ = writeln!(out, "# HELP castellan_build_info The running version.\n# TYPE castellan_build_info gauge\ncastellan_build_info{{version=\"{}\"}} 1", env!("CARGO_PKG_VERSION"));
        if let Some(rss) = resident_bytes() {
            let _ = writeln!(out, "# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes {rss}");
        }
        out
    }
}

/// The process's resident set size, from `/proc/self/statm` where there is one.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// A store whose commits are timed into [`METRICS`].
#[derive(Debug)]
pub struct TimedStore<S>(pub S);

impl<S: Store> Store for TimedStore<S> {
    fn load(&self) -> Result<Snapshot, StoreError> {
        self.0.load()
    }
    fn commit(&self, writes: &[Write]) -> Result<u64, StoreError> {
        let start = Instant::now();
        let result = self.0.commit(writes);
        METRICS.commits.observe(start.elapsed());
        if result.is_err() {
            METRICS.commit_failures.fetch_add(1, Ordering::Relaxed);
        }
        result
    }
    fn changes_since(&self, revision: u64) -> Result<ChangeFeed, StoreError> {
        self.0.changes_since(revision)
    }
    fn collect_tombstones(&self, up_to: u64) -> Result<usize, StoreError> {
        self.0.collect_tombstones(up_to)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
    use super::*;

    #[test]
    fn every_operation_has_a_slot_of_its_own() {
        assert!(Operation::ALL.len() < NO_OP);
        assert_eq!(op_name(op_slot(Some(Operation::CreateUser))), "CreateUser");
        assert_eq!(op_name(op_slot(None)), "unknown");
        assert_eq!(outcome_name(outcome_slot(None)), "allowed");
        assert_eq!(outcome_name(outcome_slot(Some("AccessDenied"))), "AccessDenied");
        assert_eq!(outcome_name(outcome_slot(Some("SomethingNew"))), "other");
    }

    #[test]
    fn requests_sessions_and_latency_are_rendered() {
        let m = Metrics::new();
        m.request(Some(Operation::ListUsers), None, false, Duration::from_micros(700));
        m.request(Some(Operation::ListUsers), Some("AccessDenied"), false, Duration::from_secs(9));
        m.request(None, Some("SignatureDoesNotMatch"), true, Duration::from_micros(10));
        let later = i64::try_from(unix_ms() / 1000).unwrap() + 3600;
        m.session_issued(Operation::AssumeRole, later);
        m.session_issued(Operation::AssumeRole, later);
        m.session_issued(Operation::GetSessionToken, 1000);
        assert_eq!(m.requests[op_slot(Some(Operation::ListUsers))][0].load(Ordering::Relaxed), 1);
        let text = m.render();
        assert!(text.contains("castellan_requests_total{operation=\"ListUsers\",outcome=\"allowed\"} 1"), "{text}");
        assert!(text.contains("castellan_requests_total{operation=\"ListUsers\",outcome=\"AccessDenied\"} 1"));
        assert!(text.contains("castellan_requests_total{operation=\"unknown\",outcome=\"SignatureDoesNotMatch\"} 1"));
        assert!(text.contains("castellan_authentication_failures_total{reason=\"SignatureDoesNotMatch\"} 1"));
        assert!(text.contains("castellan_request_duration_seconds_bucket{operation=\"ListUsers\",le=\"0.001\"} 1"));
        assert!(text.contains("castellan_request_duration_seconds_bucket{operation=\"ListUsers\",le=\"+Inf\"} 2"));
        assert!(text.contains("castellan_sessions_issued_total{operation=\"AssumeRole\"} 2"));
        assert!(text.contains("castellan_sessions_live 2"), "the expired one is not live");
    }
}
