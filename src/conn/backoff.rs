//! Reconnect delays: exponential backoff with jitter, capped.

use std::time::Duration;

/// First retry waits about this long.
pub const BASE: Duration = Duration::from_millis(500);
/// No retry waits longer than this.
pub const CAP: Duration = Duration::from_secs(30);
/// A connection that stays up this long resets the backoff.
pub const STABLE_AFTER: Duration = Duration::from_secs(10);

/// The delay before reconnect attempt `attempt` (1-based). `jitter` in
/// [0, 1) spreads clients out so a restarted server is not stormed: the
/// delay is drawn from the upper half of the exponential step.
pub fn delay(attempt: u32, jitter: f64) -> Duration {
    let exponent = attempt.saturating_sub(1).min(16);
    let step = BASE.saturating_mul(1 << exponent).min(CAP);
    step.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

/// A small xorshift generator for jitter; cryptographic quality is not needed.
#[derive(Debug)]
pub struct Jitter(u64);

impl Jitter {
    /// Seeded from the clock so two clients differ.
    pub fn from_clock() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9e37_79b9, |d| d.as_nanos() as u64);
        Self(nanos | 1)
    }

    /// The next value in [0, 1).
    pub fn sample(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_and_is_capped() {
        assert_eq!(delay(1, 1.0), Duration::from_millis(500));
        assert_eq!(delay(2, 1.0), Duration::from_secs(1));
        assert_eq!(delay(4, 1.0), Duration::from_secs(4));
        assert_eq!(delay(10, 1.0), CAP);
        assert_eq!(delay(1000, 1.0), CAP);
        assert_eq!(delay(3, 0.0), Duration::from_secs(1));
    }

    #[test]
    fn jitter_stays_in_range() {
        let mut jitter = Jitter::from_clock();
        for _ in 0..1000 {
            let j = jitter.sample();
            assert!((0.0..1.0).contains(&j));
            let d = delay(5, j);
            assert!(d >= Duration::from_secs(4) && d <= Duration::from_secs(8));
        }
    }
}
