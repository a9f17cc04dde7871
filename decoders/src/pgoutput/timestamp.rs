//! PostgreSQL timestamps as pgoutput sends them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Microseconds between the Unix epoch (1970-01-01) and PostgreSQL's epoch (2000-01-01 UTC).
pub const POSTGRES_EPOCH_UNIX_MICROS: i64 = 946_684_800_000_000;

/// A `TimestampTz` from a pgoutput message: signed microseconds since
/// 2000-01-01 00:00:00 UTC, PostgreSQL's internal epoch ("Logical Replication Message
/// Formats": "Commit timestamp of the transaction. The value is in number of microseconds since
/// PostgreSQL epoch (2000-01-01)").
///
/// Kept in PostgreSQL's form so a decoded message round-trips exactly; Debezium's
/// `ts_ms`/`ts_us` fields want the Unix epoch, which [`PgTimestamp::unix_micros`] gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PgTimestamp(pub i64);

impl PgTimestamp {
    /// Microseconds since the Unix epoch, or `None` when that overflows an `i64` (only for
    /// values within 30 years of `i64::MAX`, e.g. PostgreSQL's `infinity`, which never
    /// appears as a commit time).
    pub fn unix_micros(self) -> Option<i64> {
        self.0.checked_add(POSTGRES_EPOCH_UNIX_MICROS)
    }

    /// Milliseconds since the Unix epoch, rounded towards negative infinity (Debezium's
    /// `source.ts_ms`).
    pub fn unix_millis(self) -> Option<i64> {
        self.unix_micros().map(|us| us.div_euclid(1000))
    }

    /// The same instant as a [`SystemTime`], or `None` if it cannot be represented.
    pub fn to_system_time(self) -> Option<SystemTime> {
        let us = self.unix_micros()?;
        let magnitude = Duration::from_micros(us.unsigned_abs());
        if us >= 0 {
            UNIX_EPOCH.checked_add(magnitude)
        } else {
            UNIX_EPOCH.checked_sub(magnitude)
        }
    }

    /// The timestamp of a [`SystemTime`], or `None` if it is out of range.
    pub fn from_system_time(time: SystemTime) -> Option<Self> {
        let unix_us = match time.duration_since(UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_micros()).ok()?,
            Err(before) => i64::try_from(before.duration().as_micros())
                .ok()?
                .checked_neg()?,
        };
        unix_us
            .checked_sub(POSTGRES_EPOCH_UNIX_MICROS)
            .map(PgTimestamp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_epoch_is_2000_01_01() {
        assert_eq!(PgTimestamp(0).unix_micros(), Some(946_684_800_000_000));
        assert_eq!(PgTimestamp(0).unix_millis(), Some(946_684_800_000));
        assert_eq!(
            PgTimestamp(0).to_system_time(),
            Some(UNIX_EPOCH + Duration::from_secs(946_684_800))
        );
    }

    #[test]
    fn before_unix_epoch_and_overflow() {
        let t = PgTimestamp(-POSTGRES_EPOCH_UNIX_MICROS - 1_500);
        assert_eq!(t.unix_micros(), Some(-1_500));
        assert_eq!(t.unix_millis(), Some(-2));
        assert_eq!(
            PgTimestamp::from_system_time(t.to_system_time().unwrap()),
            Some(t)
        );
        assert_eq!(PgTimestamp(i64::MAX).unix_micros(), None);
        assert_eq!(PgTimestamp(i64::MAX).to_system_time(), None);
    }
}
