//! Round trips kept as an HDR histogram: percentiles in constant memory,
//! however many pairs a session makes.

use std::time::Duration;

use hdrhistogram::Histogram;

/// The longest round trip told apart from longer ones: an hour.
const HIGHEST_MICROS: u64 = 3_600_000_000;

/// p50/p90/p99/max of a set of round trips.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Percentiles {
    pub count: u64,
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
}

/// Round trips, to two significant figures (1% at any scale).
#[derive(Debug, Clone)]
pub struct LatencyHistogram {
    histogram: Histogram<u64>,
    /// The exact extremes in microseconds: the histogram's buckets would
    /// round them, and one round trip should read as itself.
    min: u64,
    max: u64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        match Histogram::new_with_bounds(1, HIGHEST_MICROS, 2) {
            Ok(histogram) => Self {
                histogram,
                min: u64::MAX,
                max: 0,
            },
            // Constant bounds the crate documents as valid.
            Err(_) => unreachable!("hdrhistogram refused 1 µs..1 h at 2 figures"),
        }
    }
}

impl LatencyHistogram {
    pub fn record(&mut self, rtt: Duration) {
        let micros = u64::try_from(rtt.as_micros())
            .unwrap_or(u64::MAX)
            .clamp(1, HIGHEST_MICROS);
        self.histogram.saturating_record(micros);
        self.min = self.min.min(micros);
        self.max = self.max.max(micros);
    }

    pub fn count(&self) -> u64 {
        self.histogram.len()
    }

    /// Adds `other`'s round trips.
    pub fn merge(&mut self, other: &Self) {
        // Both share the same bounds, which is all `add` can refuse on.
        let _ = self.histogram.add(&other.histogram);
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    pub fn percentiles(&self) -> Percentiles {
        let at = |quantile: f64| {
            let value = self
                .histogram
                .lowest_equivalent(self.histogram.value_at_quantile(quantile));
            Duration::from_micros(value.clamp(self.min, self.max))
        };
        if self.histogram.is_empty() {
            return Percentiles::default();
        }
        Percentiles {
            count: self.histogram.len(),
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            max: Duration::from_micros(self.max),
        }
    }
}

impl Percentiles {
    /// The percentiles of `rtts`, as the histogram reads them.
    pub fn of(rtts: &[Duration]) -> Self {
        let mut histogram = LatencyHistogram::default();
        rtts.iter().for_each(|rtt| histogram.record(*rtt));
        histogram.percentiles()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn percentiles_of_one_to_a_hundred_milliseconds() {
        let rtts: Vec<Duration> = (1..=100).map(ms).collect();
        let p = Percentiles::of(&rtts);
        assert_eq!(p.count, 100);
        // Two significant figures: each within 1% of the exact rank.
        let near = |got: Duration, want: u64| {
            let (got, want) = (got.as_secs_f64() * 1000.0, want as f64);
            assert!((got - want).abs() <= want * 0.01, "{got} vs {want}");
        };
        near(p.p50, 50);
        near(p.p90, 90);
        near(p.p99, 99);
        near(p.max, 100);
    }

    #[test]
    fn nothing_recorded_reads_zero_and_one_reads_itself() {
        assert_eq!(LatencyHistogram::default().percentiles(), Percentiles::default());
        let one = Percentiles::of(&[ms(7)]);
        assert_eq!((one.count, one.p50, one.p99, one.max), (1, ms(7), ms(7), ms(7)));
    }

    #[test]
    fn a_zero_and_a_century_are_clamped_not_lost() {
        let p = Percentiles::of(&[Duration::ZERO, Duration::from_secs(3_000_000_000)]);
        assert_eq!(p.count, 2);
        assert!(p.max >= Duration::from_secs(3500));
    }

    #[test]
    fn merging_adds_the_counts() {
        let mut a = LatencyHistogram::default();
        let mut b = LatencyHistogram::default();
        a.record(ms(10));
        b.record(ms(30));
        b.record(ms(30));
        a.merge(&b);
        let p = a.percentiles();
        assert_eq!(p.count, 3);
        assert!(p.p50 >= ms(29));
    }
}
