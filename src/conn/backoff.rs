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
        let mut rng = fastrand::Rng::new();
        for _ in 0..1000 {
            let d = delay(5, rng.f64());
            assert!(d >= Duration::from_secs(4) && d <= Duration::from_secs(8));
        }
    }
}
