//! A log-linear latency histogram in the manner of HdrHistogram: exact below 128 ns, then 64
//! buckets per power of two, so any recorded value is known to within 1/64 (reported at the
//! middle of its bucket: within 0.8%). Fixed size, no allocation while recording; per-worker
//! histograms are merged at the end.

/// Values below this are counted exactly.
const LINEAR: u64 = 128;
/// log2 of the sub-buckets per power of two.
const SUB_BITS: u32 = 6;
const SUB: u64 = 1 << SUB_BITS;
/// Buckets: the linear ones, then 64 for each power of two from 2^7 to 2^63.
const BUCKETS: usize = 128 + 57 * 64;

#[derive(Debug, Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    sum: u128,
    max: u64,
    min: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            counts: vec![0; BUCKETS],
            total: 0,
            sum: 0,
            max: 0,
            min: u64::MAX,
        }
    }
}

fn index(v: u64) -> usize {
    if v < LINEAR {
        return usize::try_from(v).unwrap_or(0);
    }
    let e = 63 - v.leading_zeros(); // >= 7
    let top = v >> (e - SUB_BITS); // in [64, 128)
    let i = LINEAR + u64::from(e - 7) * SUB + (top - SUB);
    usize::try_from(i).unwrap_or(BUCKETS - 1)
}

/// The middle of bucket `i`'s range.
fn value_of(i: usize) -> u64 {
    let i = i as u64;
    if i < LINEAR {
        return i;
    }
    let k = i - LINEAR;
    let e = k / SUB + 7;
    let top = k % SUB + SUB;
    let shift = e - u64::from(SUB_BITS);
    let low = top << shift;
    low + (1u64 << shift) / 2
}

impl Histogram {
    pub fn record(&mut self, nanos: u64) {
        if let Some(c) = self.counts.get_mut(index(nanos)) {
            *c += 1;
        }
        self.total += 1;
        self.sum += u128::from(nanos);
        self.max = self.max.max(nanos);
        self.min = self.min.min(nanos);
    }

    pub fn merge(&mut self, other: &Self) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.sum += other.sum;
        self.max = self.max.max(other.max);
        self.min = self.min.min(other.min);
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    pub fn max(&self) -> u64 {
        self.max
    }

    pub fn mean(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.sum as f64 / self.total as f64
        }
    }

    /// The value at quantile `q` (0..=1): the smallest recorded value that at least `q` of all
    /// are at or below, clamped to the exact min and max.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0u64;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return value_of(i).clamp(self.min, self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn buckets_round_trip_within_precision() {
        for v in (0..200_000u64).chain([1 << 40, u64::MAX / 3, u64::MAX]) {
            let i = index(v);
            assert!(i < BUCKETS, "{v}");
            let back = value_of(i);
            let err = back.abs_diff(v) as f64;
            assert!(err <= (v as f64) / 120.0 + 0.5, "{v} -> {back}");
        }
        // Indexes are monotonic.
        let mut last = 0;
        for v in (0..1_000_000u64).step_by(7) {
            let i = index(v);
            assert!(i >= last);
            last = i;
        }
    }

    #[test]
    fn quantiles() {
        let mut h = Histogram::default();
        for v in 1..=10_000u64 {
            h.record(v * 1000);
        }
        let p50 = h.quantile(0.5) as f64;
        assert!((p50 - 5_000_000.0).abs() / 5_000_000.0 < 0.01, "{p50}");
        let p99 = h.quantile(0.99) as f64;
        assert!((p99 - 9_900_000.0).abs() / 9_900_000.0 < 0.01, "{p99}");
        assert_eq!(h.quantile(1.0), 10_000_000);
        assert_eq!(h.max(), 10_000_000);
        let mut other = Histogram::default();
        other.record(1);
        h.merge(&other);
        assert_eq!(h.count(), 10_001);
        assert_eq!(h.quantile(0.0), 1);
    }
}
