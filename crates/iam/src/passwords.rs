//! Password work, bounded.
//!
//! argon2id is memory-hard on purpose: with the default parameters every hash or verification
//! holds 19 MiB for tens of milliseconds. Run unbounded, 150 concurrent ChangePassword calls
//! with a wrong old password took the server from 0.1 to 2.95 GB. So:
//!
//! - every argon2 call runs on a small fixed pool of worker threads ([`Limits::workers`], the
//!   cores, at most 4) behind a bounded queue ([`Limits::queue`]); when the queue is full the
//!   request fails at once with AWS's `Throttling` ("Rate exceeded", HTTP 400) instead of
//!   waiting or allocating;
//! - wrong passwords are counted per user: after [`Limits::max_failures`] within
//!   [`Limits::window_secs`], the user's password is not checked at all for
//!   [`Limits::lockout_secs`] (`LimitExceeded`, one of ChangePassword's modeled errors).
//!   Checks in flight count against the limit, so a concurrent flood for one user runs at most
//!   `max_failures` verifications.
//!
//! `Iam::verify_user_password` (ops/login.rs) is the one way to check a user's password (ChangePassword
//! goes through it; console sign-in will), and `Iam::hash_user_password` the one way to
//! hash one. Both block the calling thread until the pool has done the work: call them from a
//! blocking thread (the server runs every operation that hashes there), never from an async
//! worker.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use crate::crypto::{hash_password, verify_password};
use crate::error::{ApiError, ApiResult};
use crate::messages;

/// How much password work may run and wait, and how many wrong passwords a user gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// argon2 calls running at once (one thread each).
    pub workers: usize,
    /// argon2 calls waiting for a worker; one more is refused with `Throttling`.
    pub queue: usize,
    /// Wrong passwords for one user within `window_secs` before the user is locked.
    pub max_failures: u32,
    pub window_secs: i64,
    /// How long a locked user's password is not checked.
    pub lockout_secs: i64,
}

impl Default for Limits {
    /// The cores (at most 4) as workers, 8 waiting per worker; 5 wrong passwords within
    /// 5 minutes lock the user for 5 minutes.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        let workers = cores.clamp(1, 4);
        Self { workers, queue: workers.saturating_mul(8), max_failures: 5, window_secs: 300, lockout_secs: 300 }
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of worker threads fed by a bounded queue. Dropping it stops the workers once
/// the queue is empty.
struct Pool {
    queue: SyncSender<Job>,
    workers: usize,
}

impl Pool {
    fn new(workers: usize, queue: usize) -> Self {
        let (tx, rx) = mpsc::sync_channel::<Job>(queue);
        let rx = Arc::new(Mutex::new(rx));
        let mut started = 0;
        for i in 0..workers.max(1) {
            let rx = Arc::clone(&rx);
            match std::thread::Builder::new().name(format!("castellan-argon2-{i}")).spawn(move || work(&rx)) {
                Ok(_) => started += 1,
                Err(e) => tracing::error!(error = %e, "cannot start a password worker"),
            }
        }
        Self { queue: tx, workers: started }
    }

    /// Queues `work` and returns where its result will arrive, or `Throttling` when the queue
    /// is full.
    fn submit<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> ApiResult<Receiver<T>> {
        if self.workers == 0 {
            return Err(ApiError::ServiceFailure);
        }
        let (done, result) = mpsc::sync_channel(1);
        let job: Job = Box::new(move || {
            // The caller may have gone; nothing to do then.
            let _ = done.send(work());
        });
        match self.queue.try_send(job) {
            Ok(()) => Ok(result),
            Err(TrySendError::Full(_)) => Err(ApiError::Throttling),
            Err(TrySendError::Disconnected(_)) => Err(ApiError::ServiceFailure),
        }
    }

    /// Runs `work` on the pool and waits for its result.
    fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
        self.submit(work)?.recv().map_err(|_| ApiError::ServiceFailure)
    }
}

fn work(rx: &Mutex<Receiver<Job>>) {
    loop {
        let job = rx.lock().unwrap_or_else(std::sync::PoisonError::into_inner).recv();
        let Ok(job) = job else { return };
        // A panicking job drops its result sender (its caller sees ServiceFailure); the worker
        // lives on.
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
            tracing::error!("a password job panicked");
        }
    }
}

/// One user's recent password checks.
#[derive(Debug, Clone, Copy, Default)]
struct Attempts {
    window_start: i64,
    failures: u32,
    in_flight: u32,
    locked_until: i64,
}

impl Attempts {
    fn idle(&self, now: i64, limits: &Limits) -> bool {
        self.in_flight == 0 && self.locked_until <= now && (self.failures == 0 || now - self.window_start >= limits.window_secs)
    }
}

/// Entries kept before idle ones are dropped.
const PRUNE_AT: usize = 4096;

/// The argon2 pool and the per-user attempt counts of one `Iam`.
pub(crate) struct Passwords {
    limits: Limits,
    pool: Pool,
    /// Keyed by user id: a user deleted and created again under the same name starts afresh.
    attempts: Mutex<HashMap<String, Attempts>>,
    /// argon2 calls run (hashes and verifications): how tests see that a check was skipped.
    argon2_runs: Arc<AtomicU64>,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords").field("limits", &self.limits).finish_non_exhaustive()
    }
}

impl Default for Passwords {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

/// A password check that counts against its user until it is finished or dropped.
pub(crate) struct Attempt<'a> {
    passwords: &'a Passwords,
    user_id: String,
    /// Whether the password was correct, and when that was known.
    outcome: Option<(bool, i64)>,
}

impl Attempt<'_> {
    pub(crate) fn finish(mut self, correct: bool, now: i64) {
        self.outcome = Some((correct, now));
    }
}

impl Drop for Attempt<'_> {
    /// Dropped unfinished (the pool refused the work, or it failed): no check happened, and
    /// the place is given back.
    fn drop(&mut self) {
        self.passwords.end(&self.user_id, self.outcome);
    }
}

impl Passwords {
    pub(crate) fn new(limits: Limits) -> Self {
        Self {
            limits,
            pool: Pool::new(limits.workers, limits.queue),
            attempts: Mutex::new(HashMap::new()),
            argon2_runs: Arc::new(AtomicU64::new(0)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Attempts>> {
        self.attempts.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Reserves a check of `user_id`'s password, or `None` while the user is locked or has as
    /// many checks failed and in flight as it may.
    pub(crate) fn begin(&self, user_id: &str, now: i64) -> Option<Attempt<'_>> {
        let limits = self.limits;
        let mut map = self.lock();
        if map.len() >= PRUNE_AT {
            map.retain(|_, a| !a.idle(now, &limits));
        }
        let a = map.entry(user_id.to_owned()).or_insert(Attempts { window_start: now, ..Attempts::default() });
        if a.locked_until > now {
            return None;
        }
        if a.in_flight == 0 && now - a.window_start >= limits.window_secs {
            a.window_start = now;
            a.failures = 0;
        }
        if a.failures.saturating_add(a.in_flight) >= limits.max_failures {
            return None;
        }
        a.in_flight += 1;
        Some(Attempt { passwords: self, user_id: user_id.to_owned(), outcome: None })
    }

    fn end(&self, user_id: &str, outcome: Option<(bool, i64)>) {
        let limits = self.limits;
        let mut map = self.lock();
        let Some(a) = map.get_mut(user_id) else { return };
        a.in_flight = a.in_flight.saturating_sub(1);
        let Some((correct, now)) = outcome else { return };
        if correct {
            a.failures = 0;
        } else {
            if now - a.window_start >= limits.window_secs {
                a.window_start = now;
                a.failures = 0;
            }
            a.failures = a.failures.saturating_add(1);
            if a.failures >= limits.max_failures {
                a.locked_until = now.saturating_add(limits.lockout_secs);
            }
        }
        if a.idle(now, &limits) {
            map.remove(user_id);
        }
    }

    pub(crate) fn hash(&self, password: &str) -> ApiResult<String> {
        let password = password.to_owned();
        let runs = Arc::clone(&self.argon2_runs);
        self.pool
            .run(move || {
                runs.fetch_add(1, Ordering::Relaxed);
                hash_password(&password)
            })?
            .map_err(|_| ApiError::ServiceFailure)
    }

    pub(crate) fn verify(&self, password: &str, phc: String) -> ApiResult<bool> {
        let password = password.to_owned();
        let runs = Arc::clone(&self.argon2_runs);
        self.pool.run(move || {
            runs.fetch_add(1, Ordering::Relaxed);
            verify_password(&password, &phc)
        })
    }

    /// Queues arbitrary work on the pool (tests hold its workers busy with it).
    #[cfg(test)]
    pub(crate) fn submit<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> ApiResult<Receiver<T>> {
        self.pool.submit(work)
    }

    #[cfg(test)]
    pub(crate) fn argon2_runs(&self) -> u64 {
        self.argon2_runs.load(Ordering::Relaxed)
    }
}

/// The error while a user's password may not be checked.
pub(crate) fn locked(user_name: &str) -> ApiError {
    messages::password_attempts_locked(user_name)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    const LIMITS: Limits = Limits { workers: 1, queue: 1, max_failures: 3, window_secs: 60, lockout_secs: 120 };

    #[test]
    fn a_full_queue_is_refused_with_throttling_and_the_pool_recovers() {
        let pool = Pool::new(1, 1);
        let (started_tx, started) = mpsc::channel();
        let (release, gate) = mpsc::channel::<()>();
        let running = pool
            .submit(move || {
                started_tx.send(()).unwrap();
                gate.recv().unwrap();
                1
            })
            .unwrap();
        started.recv().unwrap();
        let queued = pool.submit(|| 2).unwrap();
        assert_eq!(pool.submit(|| 3).unwrap_err(), ApiError::Throttling);
        release.send(()).unwrap();
        assert_eq!(running.recv().unwrap(), 1);
        assert_eq!(queued.recv().unwrap(), 2);
        assert_eq!(pool.run(|| 4).unwrap(), 4);
    }

    #[test]
    fn a_panicking_job_fails_its_caller_only() {
        let pool = Pool::new(1, 1);
        assert_eq!(pool.run(|| -> u8 { panic!("boom") }).unwrap_err(), ApiError::ServiceFailure);
        assert_eq!(pool.run(|| 5).unwrap(), 5);
    }

    #[test]
    fn failures_lock_the_user_for_the_lockout_then_start_afresh() {
        let p = Passwords::new(LIMITS);
        for t in 0..3 {
            p.begin("AIDA1", t).unwrap().finish(false, t);
        }
        // Locked from t=2 until t=122, also for a correct password.
        assert!(p.begin("AIDA1", 3).is_none());
        assert!(p.begin("AIDA1", 121).is_none());
        // Other users are not affected.
        p.begin("AIDA2", 3).unwrap().finish(true, 3);
        let a = p.begin("AIDA1", 122).unwrap();
        a.finish(true, 122);
        assert!(p.lock().is_empty(), "idle entries are dropped");
    }

    #[test]
    fn checks_in_flight_count_against_the_limit() {
        let p = Passwords::new(LIMITS);
        let held: Vec<_> = (0..3).map(|_| p.begin("AIDA1", 0).unwrap()).collect();
        assert!(p.begin("AIDA1", 0).is_none());
        // Checks that never ran (the pool refused them) give their place back.
        drop(held);
        let a = p.begin("AIDA1", 0).unwrap();
        a.finish(false, 0);
        assert_eq!(p.lock().get("AIDA1").map(|a| (a.failures, a.in_flight)), Some((1, 0)));
    }

    #[test]
    fn failures_outside_the_window_are_forgotten() {
        let p = Passwords::new(LIMITS);
        p.begin("AIDA1", 0).unwrap().finish(false, 0);
        p.begin("AIDA1", 1).unwrap().finish(false, 1);
        p.begin("AIDA1", 60).unwrap().finish(false, 60);
        assert_eq!(p.lock().get("AIDA1").map(|a| a.failures), Some(1));
    }
}
