//! When to collect the store's tombstones (the records of deletions, kept so that every node's
//! change feed reports them).
//!
//! A tombstone is collected once it is [`TOMBSTONE_AGE`] old: every node following the feed
//! (every 200 ms) has long applied it by then; a node further behind (stopped, cut off from
//! the database) finds the feed compacted and reloads everything. The store keeps no commit
//! times, so age comes from this node's own observations: every [`SAMPLE_INTERVAL`] it notes
//! the revision it has applied; a revision noted at least `TOMBSTONE_AGE` ago was committed at
//! least that long ago, and so was every tombstone at or below it.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

pub const TOMBSTONE_AGE: Duration = Duration::from_secs(10 * 60);
pub const SAMPLE_INTERVAL: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub struct Collector {
    /// (when, the revision this node had applied then), oldest first.
    samples: VecDeque<(Instant, u64)>,
    /// The horizon last collected up to.
    collected: u64,
}

impl Collector {
    /// Notes `seen`, the revision applied at `now`; returns the revision to collect tombstones
    /// up to when there is something new old enough.
    pub fn due(&mut self, now: Instant, seen: u64) -> Option<u64> {
        let sample_due = self.samples.back().is_none_or(|&(t, _)| now.duration_since(t) >= SAMPLE_INTERVAL);
        if !sample_due {
            return None;
        }
        self.samples.push_back((now, seen));
        let old_enough = |t: Instant| now.duration_since(t) >= TOMBSTONE_AGE;
        // Keep the newest sample that is old enough, and everything newer.
        while self.samples.get(1).is_some_and(|&(t, _)| old_enough(t)) {
            self.samples.pop_front();
        }
        let &(t, horizon) = self.samples.front()?;
        if old_enough(t) && horizon > self.collected {
            self.collected = horizon;
            Some(horizon)
        } else {
            None
        }
    }

    /// The collection up to `horizon` failed: try it again at the next sample.
    pub fn failed(&mut self, horizon: u64) {
        if self.collected == horizon {
            self.collected = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn collects_only_what_was_applied_at_least_the_age_ago() {
        let start = Instant::now();
        let at = |secs: u64| start + Duration::from_secs(secs);
        let mut c = Collector::default();
        // Revision 10 applied at 0 s, 20 at 60 s, … 10 per minute.
        let mut due = Vec::new();
        for minute in 0..=13u64 {
            due.push((minute, c.due(at(minute * 60), 10 * (minute + 1))));
            // Between samples nothing is due.
            assert_eq!(c.due(at(minute * 60 + 30), 999), None);
        }
        let collected: Vec<_> = due.into_iter().filter_map(|(m, h)| h.map(|h| (m, h))).collect();
        // At minute 10 the sample of minute 0 (revision 10) is old enough, and so on.
        assert_eq!(collected, [(10, 10), (11, 20), (12, 30), (13, 40)]);
    }

    #[test]
    fn nothing_new_nothing_collected_and_failures_retry() {
        let start = Instant::now();
        let at = |secs: u64| start + Duration::from_secs(secs);
        let mut c = Collector::default();
        for minute in 0..=10u64 {
            let h = c.due(at(minute * 60), 5);
            assert_eq!(h, (minute == 10).then_some(5));
        }
        assert_eq!(c.due(at(11 * 60), 5), None, "revision 5 was collected already");
        c.failed(5);
        assert_eq!(c.due(at(12 * 60), 5), Some(5));
    }
}
