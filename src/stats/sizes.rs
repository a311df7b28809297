//! Frame sizes in powers of two: bucket 0 holds empty frames and bucket
//! `b` the sizes from 2^(b-1) to 2^b - 1, so a frame a thousand times
//! larger than the rest sits ten buckets away from them.

/// Buckets: empty, then one per bit of a `u64`.
pub const SIZE_BUCKETS: usize = 65;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeHistogram {
    counts: [u64; SIZE_BUCKETS],
}

impl Default for SizeHistogram {
    fn default() -> Self {
        Self {
            counts: [0; SIZE_BUCKETS],
        }
    }
}

/// The bucket a size falls in.
pub fn bucket_of(size: u64) -> usize {
    (u64::BITS - size.leading_zeros()) as usize
}

/// The sizes bucket `b` holds, both ends included.
pub fn bucket_range(bucket: usize) -> (u64, u64) {
    match bucket {
        0 => (0, 0),
        64.. => (1 << 63, u64::MAX),
        b => (1 << (b - 1), (1 << b) - 1),
    }
}

impl SizeHistogram {
    /// One frame (the tests' shorthand: frames are counted in runs).
    #[cfg(test)]
    pub fn add(&mut self, size: u64) {
        self.add_many(bucket_of(size), 1);
    }

    /// Counts `frames` frames in `bucket`.
    pub fn add_many(&mut self, bucket: usize, frames: u64) {
        self.counts[bucket.min(SIZE_BUCKETS - 1)] += frames;
    }

    pub fn merge(&mut self, other: &Self) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            *mine += theirs;
        }
    }

    /// The buckets from the smallest to the largest that hold a frame,
    /// empty ones between them included: `(bucket, count)`.
    pub fn used(&self) -> Vec<(usize, u64)> {
        let first = self.counts.iter().position(|c| *c > 0);
        let last = self.counts.iter().rposition(|c| *c > 0);
        match (first, last) {
            (Some(first), Some(last)) => (first..=last).map(|b| (b, self.counts[b])).collect(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_edges_are_powers_of_two() {
        assert_eq!(
            [0, 1, 2, 3, 4, 7, 8, 1023, 1024].map(bucket_of),
            [0, 1, 2, 2, 3, 3, 4, 10, 11]
        );
        assert_eq!(bucket_of(u64::MAX), 64);
        for bucket in 0..SIZE_BUCKETS {
            let (low, high) = bucket_range(bucket);
            assert_eq!((bucket_of(low), bucket_of(high)), (bucket, bucket));
        }
    }

    #[test]
    fn used_spans_the_smallest_to_the_largest() {
        let mut sizes = SizeHistogram::default();
        assert!(sizes.used().is_empty());
        for size in [100, 120, 100_000] {
            sizes.add(size);
        }
        let used = sizes.used();
        assert_eq!(used.first(), Some(&(7, 2)));
        assert_eq!(used.last(), Some(&(17, 1)));
        assert_eq!(used.len(), 11);
    }
}
