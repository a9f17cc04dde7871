//! Text forms of temporal values, byte for byte as Debezium's Java formatters write them.
//!
//! # Sources
//! - `ZonedTimestamp`: `io.debezium.time.ZonedTimestamp.toIsoString` with a fractional width.
//!   A width of 1-9 pads or cuts the fraction to exactly that many digits
//!   (`appendFraction(NANO_OF_SECOND, w, w, true)`); any other width falls back to
//!   `ISO_OFFSET_DATE_TIME`, whose fraction drops trailing zeros and disappears at zero.
//!   Debezium passes the column's fractional-second precision: PostgreSQL
//!   `column.scale().orElse(column.length())`, MySQL `column.length()`.
//! - Dates: `ISO_LOCAL_DATE`: four-digit year, `+` before years above 9999, `-` before
//!   negative (proleptic) years.
//! - `ZonedTime`: `ISO_OFFSET_TIME` of the time shifted to UTC (`10:15:30.5Z`).
//! - `Interval`: `io.debezium.time.Interval.toIsoString` over pgjdbc's `PGInterval` fields.
//! - `MicroDuration`: `io.debezium.time.MicroDuration.durationMicros`, in `double` arithmetic.

use std::fmt::Write as _;

const MICROS_PER_SECOND: i64 = 1_000_000;
const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day) (Howard Hinnant's
/// `civil_from_days`, exact over the whole `i64` day range we can be given).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn write_year(out: &mut String, year: i64) {
    if year > 9999 {
        let _ = write!(out, "+{year}");
    } else if year < 0 {
        let _ = write!(out, "-{:04}", year.unsigned_abs());
    } else {
        let _ = write!(out, "{year:04}");
    }
}

/// `HH:mm:ss` then the fraction, for `micros` within one day.
fn write_time_of_day(out: &mut String, micros_of_day: i64, width: Option<u32>) {
    let secs = micros_of_day / MICROS_PER_SECOND;
    let frac_micros = micros_of_day % MICROS_PER_SECOND;
    let _ = write!(
        out,
        "{:02}:{:02}:{:02}",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    );
    let nanos = frac_micros * 1000;
    match width {
        Some(w @ 1..=9) => {
            let digits = format!("{nanos:09}");
            out.push('.');
            out.push_str(&digits[..w as usize]);
        }
        _ => {
            if nanos != 0 {
                let digits = format!("{nanos:09}");
                out.push('.');
                out.push_str(digits.trim_end_matches('0'));
            }
        }
    }
}

/// An instant (microseconds since the epoch, UTC) as Debezium's `ZonedTimestamp` string in
/// UTC: `2024-01-02T03:04:05.123456Z`. `width` is the column's fractional-second precision.
pub(crate) fn zoned_timestamp(epoch_micros: i64, width: Option<u32>) -> String {
    let days = epoch_micros.div_euclid(MICROS_PER_DAY);
    let of_day = epoch_micros.rem_euclid(MICROS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let mut out = String::with_capacity(32);
    write_year(&mut out, y);
    let _ = write!(out, "-{m:02}-{d:02}T");
    write_time_of_day(&mut out, of_day, width);
    out.push('Z');
    out
}

/// A local time and its offset (seconds east of UTC) as Debezium's `ZonedTime` string,
/// shifted to UTC: `10:15:30.5Z`. Java's `OffsetTime` cannot hold PostgreSQL's `24:00:00`;
/// Debezium special-cases that boundary at UTC (`PostgresTimeBoundary`), written here as
/// `24:00:00Z` (the exact constant is unconfirmed, see docs/debezium-compat-findings.md).
pub(crate) fn zoned_time(local_micros: i64, offset_seconds: i32) -> String {
    let mut out = String::with_capacity(20);
    if local_micros == MICROS_PER_DAY && offset_seconds == 0 {
        out.push_str("24:00:00Z");
        return out;
    }
    let utc = local_micros
        .saturating_sub(i64::from(offset_seconds) * MICROS_PER_SECOND)
        .rem_euclid(MICROS_PER_DAY);
    write_time_of_day(&mut out, utc, None);
    out.push('Z');
    out
}

/// The fields pgjdbc's `PGInterval` parses out of PostgreSQL's interval text: years and
/// months split from the month count, hours and minutes from the time part, every part
/// carrying the sign of its source field.
struct PgIntervalFields {
    years: i32,
    months: i32,
    days: i32,
    hours: i64,
    minutes: i64,
    /// `PGInterval.getSeconds()`: whole seconds plus micros / 1e6, as a double.
    seconds: f64,
}

fn pg_interval_fields(months: i32, days: i32, micros: i64) -> PgIntervalFields {
    let hours = micros / 3_600_000_000;
    let rest = micros % 3_600_000_000;
    let minutes = rest / 60_000_000;
    let rest = rest % 60_000_000;
    let whole = rest / MICROS_PER_SECOND;
    let frac = rest % MICROS_PER_SECOND;
    PgIntervalFields {
        years: months / 12,
        months: months % 12,
        days,
        hours,
        minutes,
        seconds: whole as f64 + frac as f64 / 1e6,
    }
}

/// `MicroDuration.durationMicros(years, months, days, hours, minutes, seconds,
/// DAYS_PER_MONTH_AVG)`, including its `double` rounding and the truncating cast to `long`.
pub(crate) fn micro_duration(months: i32, days: i32, micros: i64) -> i64 {
    let f = pg_interval_fields(months, days, micros);
    let days_per_month = 365.25 / 12.0;
    let number_of_days = f64::from(f.years * 12 + f.months) * days_per_month + f64::from(f.days);
    let number_of_seconds =
        ((number_of_days * 24.0 + f.hours as f64) * 60.0 + f.minutes as f64) * 60.0 + f.seconds;
    // Java's (long) cast truncates toward zero and saturates, as Rust's `as` does.
    (number_of_seconds * 1e6) as i64
}

/// `Interval.toIsoString(years, months, days, hours, minutes, BigDecimal.valueOf(seconds))`:
/// every part always present, seconds cut to 6 fraction digits and stripped of trailing
/// zeros (`P1Y2M3DT4H5M6.78S`, `P0Y0M0DT0H0M0S`).
pub(crate) fn interval_iso(months: i32, days: i32, micros: i64) -> String {
    let f = pg_interval_fields(months, days, micros);
    let mut out = String::with_capacity(24);
    let _ = write!(
        out,
        "P{}Y{}M{}DT{}H{}M",
        f.years, f.months, f.days, f.hours, f.minutes
    );
    out.push_str(&java_seconds(f.seconds));
    out.push('S');
    out
}

/// `BigDecimal.valueOf(d)` (which goes through `Double.toString`, the shortest repr that
/// round-trips, as Rust's `Display` for `f64` also is), `setScale(6, DOWN)` when longer,
/// `stripTrailingZeros().toPlainString()`.
fn java_seconds(seconds: f64) -> String {
    let text = format!("{seconds}");
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, f),
        None => (text.as_str(), ""),
    };
    let frac = &frac[..frac.len().min(6)];
    let frac = frac.trim_end_matches('0');
    let negative_zero = int == "-0" && frac.is_empty();
    let mut out = String::new();
    out.push_str(if negative_zero { "0" } else { int });
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_724), (2024, 1, 2));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(-719_528), (0, 1, 1));
    }

    #[test]
    fn zoned_timestamp_fraction_rules() {
        let t = 1_704_164_645_123_456; // 2024-01-02T03:04:05.123456Z
        assert_eq!(zoned_timestamp(t, None), "2024-01-02T03:04:05.123456Z");
        assert_eq!(zoned_timestamp(t, Some(3)), "2024-01-02T03:04:05.123Z");
        assert_eq!(
            zoned_timestamp(1_704_164_645_120_000, None),
            "2024-01-02T03:04:05.12Z"
        );
        assert_eq!(
            zoned_timestamp(1_704_164_645_000_000, None),
            "2024-01-02T03:04:05Z"
        );
        assert_eq!(
            zoned_timestamp(1_704_164_645_000_000, Some(6)),
            "2024-01-02T03:04:05.000000Z"
        );
        assert_eq!(zoned_timestamp(0, Some(0)), "1970-01-01T00:00:00Z");
        assert_eq!(zoned_timestamp(-1, None), "1969-12-31T23:59:59.999999Z");
        assert_eq!(
            zoned_timestamp(253_402_300_800_000_000, None),
            "+10000-01-01T00:00:00Z"
        );
    }

    #[test]
    fn zoned_time_shifts_to_utc() {
        // 10:15:30.5+02:00 -> 08:15:30.5Z
        assert_eq!(zoned_time(36_930_500_000, 7200), "08:15:30.5Z");
        assert_eq!(zoned_time(3_600_000_000, -3600), "02:00:00Z");
        assert_eq!(zoned_time(0, 3600), "23:00:00Z");
    }

    #[test]
    fn intervals() {
        let micros = ((4 * 60 + 5) * 60 + 6) * 1_000_000 + 780_000;
        assert_eq!(interval_iso(14, 3, micros), "P1Y2M3DT4H5M6.78S");
        assert_eq!(interval_iso(0, 0, 0), "P0Y0M0DT0H0M0S");
        assert_eq!(interval_iso(-14, -3, -micros), "P-1Y-2M-3DT-4H-5M-6.78S");
        assert_eq!(micro_duration(0, 1, 0), 86_400_000_000);
        // One month is 30.4375 days.
        assert_eq!(micro_duration(1, 0, 0), 2_629_800_000_000);
        assert_eq!(micro_duration(0, 0, 1), 1);
    }
}
