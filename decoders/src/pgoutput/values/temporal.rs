//! `date`, `time`, `timetz`, `timestamp`, `timestamptz` in `DateStyle=ISO`.
//!
//! `EncodeDateOnly`/`EncodeTimeOnly`/`EncodeDateTime` (`src/backend/utils/adt/datetime.c`)
//! write `YYYY-MM-DD`, `HH:MM:SS[.ffffff]` (fraction trimmed of trailing zeros), the zone
//! offset as `+HH`, `+HH:MM` or `+HH:MM:SS` (historical local-mean-time zones), and ` BC`
//! last for years before 1 AD; the year has at least four digits and more when needed
//! (`294276-12-31`). `infinity`/`-infinity` are written for the special values.
//! Results use the Unix epoch (see [`tributary_envelope::value`]).

use tributary_envelope::Value;
use tributary_envelope::value::Extended;

const MICROS_PER_SECOND: i64 = 1_000_000;
const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

const DATE_SYNTAX: &str =
    "expected YYYY-MM-DD[ BC]; start the replication connection with -c DateStyle=ISO";
const TIME_SYNTAX: &str = "expected HH:MM:SS[.ffffff]";
const TIMESTAMP_SYNTAX: &str = "expected YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM]][ BC]; \
     start the replication connection with -c DateStyle=ISO";
const OUT_OF_RANGE: &str = "outside the range of microseconds since 1970 in 64 bits";

/// A forward-only reader over ASCII text.
pub(super) struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(s: &'a [u8]) -> Self {
        Self { s, pos: 0 }
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    pub(super) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub(super) fn eat_str(&mut self, s: &[u8]) -> bool {
        if self.s.get(self.pos..).is_some_and(|r| r.starts_with(s)) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    pub(super) fn is_done(&self) -> bool {
        self.pos >= self.s.len()
    }

    /// An unsigned decimal of `min..=max` digits.
    pub(super) fn number(&mut self, min: usize, max: usize) -> Option<i64> {
        let mut value: i64 = 0;
        let mut n = 0;
        while n < max {
            match self.peek() {
                Some(b @ b'0'..=b'9') => {
                    value = value.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
                    self.pos += 1;
                    n += 1;
                }
                _ => break,
            }
        }
        (n >= min).then_some(value)
    }

    /// `.ffffff` (1-6 digits) as microseconds, or 0 when there is no fraction.
    pub(super) fn fraction(&mut self) -> Option<i64> {
        if !self.eat(b'.') {
            return Some(0);
        }
        let start = self.pos;
        let digits = self.number(1, 6)?;
        let n = self.pos - start;
        Some(digits * 10i64.pow(6 - n as u32))
    }
}

/// Days from 1970-01-01 to the proleptic Gregorian date (astronomical year: 1 BC is 0).
/// Howard Hinnant's `days_from_civil`.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `YYYY-MM-DD` (the year's era is applied later, once ` BC` is seen).
fn ymd(c: &mut Cursor<'_>) -> Option<(i64, i64, i64)> {
    let year = c.number(4, 9)?;
    if !c.eat(b'-') {
        return None;
    }
    let month = c.number(2, 2)?;
    if !c.eat(b'-') {
        return None;
    }
    let day = c.number(2, 2)?;
    Some((year, month, day))
}

/// Days since the epoch for a parsed date and its era.
fn epoch_days(year: i64, month: i64, day: i64, bc: bool) -> Option<i64> {
    if year == 0 || !(1..=12).contains(&month) {
        return None;
    }
    let year = if bc { 1 - year } else { year };
    if day < 1 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

/// `HH:MM:SS[.ffffff]` as microseconds; `24:00:00` is allowed (PostgreSQL `time` allows it).
fn clock(c: &mut Cursor<'_>) -> Option<i64> {
    let h = c.number(2, 2)?;
    if !c.eat(b':') {
        return None;
    }
    let m = c.number(2, 2)?;
    if !c.eat(b':') {
        return None;
    }
    let s = c.number(2, 2)?;
    let frac = c.fraction()?;
    if m > 59 || s > 60 {
        return None;
    }
    let micros = ((h * 60 + m) * 60 + s) * MICROS_PER_SECOND + frac;
    (micros <= 24 * 3600 * MICROS_PER_SECOND).then_some(micros)
}

/// `+HH`, `+HH:MM` or `+HH:MM:SS` (`EncodeTimezone`), as seconds east of UTC.
fn offset(c: &mut Cursor<'_>) -> Option<i32> {
    let negative = match c.peek() {
        Some(b'+') => false,
        Some(b'-') => true,
        _ => return None,
    };
    c.pos += 1;
    let h = c.number(2, 2)?;
    let m = if c.eat(b':') { c.number(2, 2)? } else { 0 };
    let s = if c.eat(b':') { c.number(2, 2)? } else { 0 };
    let secs = i32::try_from(h * 3600 + m * 60 + s).ok()?;
    Some(if negative { -secs } else { secs })
}

fn special<T>(t: &[u8]) -> Option<Extended<T>> {
    match t {
        b"infinity" => Some(Extended::PositiveInfinity),
        b"-infinity" => Some(Extended::NegativeInfinity),
        _ => None,
    }
}

pub(super) fn date(t: &[u8]) -> Result<Value, &'static str> {
    if let Some(s) = special(t) {
        return Ok(Value::Date(s));
    }
    let mut c = Cursor::new(t);
    let (y, m, d) = ymd(&mut c).ok_or(DATE_SYNTAX)?;
    let bc = c.eat_str(b" BC");
    if !c.is_done() {
        return Err(DATE_SYNTAX);
    }
    let days = epoch_days(y, m, d, bc).ok_or("not a valid calendar date")?;
    let days = i32::try_from(days).map_err(|_| OUT_OF_RANGE)?;
    Ok(Value::Date(Extended::Finite(days)))
}

pub(super) fn time(t: &[u8]) -> Result<Value, &'static str> {
    let mut c = Cursor::new(t);
    let micros = clock(&mut c).ok_or(TIME_SYNTAX)?;
    if !c.is_done() {
        return Err(TIME_SYNTAX);
    }
    Ok(Value::Time(micros))
}

pub(super) fn timetz(t: &[u8]) -> Result<Value, &'static str> {
    const SYNTAX: &str = "expected HH:MM:SS[.ffffff]+HH[:MM[:SS]]";
    let mut c = Cursor::new(t);
    let micros = clock(&mut c).ok_or(SYNTAX)?;
    let offset_seconds = offset(&mut c).ok_or(SYNTAX)?;
    if !c.is_done() {
        return Err(SYNTAX);
    }
    Ok(Value::TimeTz {
        micros,
        offset_seconds,
    })
}

/// Microseconds since the epoch and the zone offset (seconds east), if one was written.
fn date_time(t: &[u8], with_zone: bool) -> Result<i64, &'static str> {
    let mut c = Cursor::new(t);
    let (y, m, d) = ymd(&mut c).ok_or(TIMESTAMP_SYNTAX)?;
    if !c.eat(b' ') {
        return Err(TIMESTAMP_SYNTAX);
    }
    let micros = clock(&mut c).ok_or(TIMESTAMP_SYNTAX)?;
    if micros >= MICROS_PER_DAY {
        return Err("time of day past 23:59:59.999999");
    }
    let east = if with_zone {
        offset(&mut c).ok_or(TIMESTAMP_SYNTAX)?
    } else {
        0
    };
    let bc = c.eat_str(b" BC");
    if !c.is_done() {
        return Err(TIMESTAMP_SYNTAX);
    }
    let days = epoch_days(y, m, d, bc).ok_or("not a valid calendar date")?;
    days.checked_mul(MICROS_PER_DAY)
        .and_then(|v| v.checked_add(micros))
        .and_then(|v| v.checked_sub(i64::from(east) * MICROS_PER_SECOND))
        .ok_or(OUT_OF_RANGE)
}

pub(super) fn timestamp(t: &[u8]) -> Result<Value, &'static str> {
    if let Some(s) = special(t) {
        return Ok(Value::Timestamp(s));
    }
    Ok(Value::Timestamp(Extended::Finite(date_time(t, false)?)))
}

pub(super) fn timestamptz(t: &[u8]) -> Result<Value, &'static str> {
    if let Some(s) = special(t) {
        return Ok(Value::TimestampTz(s));
    }
    Ok(Value::TimestampTz(Extended::Finite(date_time(t, true)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(t: &str) -> i64 {
        match timestamp(t.as_bytes()).unwrap() {
            Value::Timestamp(Extended::Finite(v)) => v,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn dates_cover_the_whole_range() {
        assert_eq!(date(b"1970-01-01"), Ok(Value::Date(Extended::Finite(0))));
        assert_eq!(
            date(b"2000-02-29"),
            Ok(Value::Date(Extended::Finite(11_016)))
        );
        assert_eq!(date(b"1969-12-31"), Ok(Value::Date(Extended::Finite(-1))));
        assert_eq!(
            date(b"infinity"),
            Ok(Value::Date(Extended::PositiveInfinity))
        );
        assert_eq!(
            date(b"-infinity"),
            Ok(Value::Date(Extended::NegativeInfinity))
        );
        // 4713 BC is astronomical year -4712; PostgreSQL's julian day 0 is 4714-11-24 BC.
        assert_eq!(
            date(b"4714-11-24 BC"),
            Ok(Value::Date(Extended::Finite(-2_440_588)))
        );
        assert_eq!(
            date(b"0001-12-31 BC"),
            Ok(Value::Date(Extended::Finite(-719_163)))
        );
        assert_eq!(
            date(b"5874897-12-31"),
            Ok(Value::Date(Extended::Finite(2_145_042_905)))
        );
        for bad in [
            "",
            "2001-02-29",
            "2000-13-01",
            "0000-01-01",
            "01-01-2000",
            "2000-1-1",
        ] {
            assert!(date(bad.as_bytes()).is_err(), "{bad}");
        }
        assert!(date(b"12/31/2000").unwrap_err().contains("DateStyle=ISO"));
    }

    #[test]
    fn times_keep_micros_and_offsets() {
        assert_eq!(time(b"00:00:00"), Ok(Value::Time(0)));
        assert_eq!(time(b"24:00:00"), Ok(Value::Time(MICROS_PER_DAY)));
        assert_eq!(time(b"13:14:15.5"), Ok(Value::Time(47_655_500_000)));
        assert_eq!(
            time(b"23:59:59.999999"),
            Ok(Value::Time(MICROS_PER_DAY - 1))
        );
        assert!(time(b"24:00:01").is_err());
        assert!(time(b"12:00:00.1234567").is_err());
        assert_eq!(
            timetz(b"04:05:06.789-08"),
            Ok(Value::TimeTz {
                micros: 14_706_789_000,
                offset_seconds: -8 * 3600
            })
        );
        assert_eq!(
            timetz(b"00:00:00+05:30"),
            Ok(Value::TimeTz {
                micros: 0,
                offset_seconds: 19_800
            })
        );
        assert_eq!(
            timetz(b"24:00:00-15:59"),
            Ok(Value::TimeTz {
                micros: MICROS_PER_DAY,
                offset_seconds: -(15 * 3600 + 59 * 60)
            })
        );
        assert!(timetz(b"04:05:06").is_err());
    }

    #[test]
    fn timestamps_use_the_unix_epoch_and_keep_bc_and_infinity() {
        assert_eq!(ts("1970-01-01 00:00:00"), 0);
        assert_eq!(ts("2000-01-01 00:00:00"), 946_684_800_000_000);
        assert_eq!(ts("1969-12-31 23:59:59.999999"), -1);
        assert_eq!(ts("0001-01-01 00:00:00 BC"), -62_167_219_200_000_000);
        assert_eq!(ts("4714-11-24 00:00:00 BC"), -210_866_803_200_000_000);
        assert_eq!(
            ts("294246-12-31 23:59:59.999999"),
            9_223_371_244_799_999_999
        );
        assert_eq!(
            timestamp(b"294276-12-31 23:59:59.999999"),
            Err(OUT_OF_RANGE)
        );
        assert_eq!(
            timestamp(b"infinity"),
            Ok(Value::Timestamp(Extended::PositiveInfinity))
        );
        assert_eq!(
            timestamptz(b"-infinity"),
            Ok(Value::TimestampTz(Extended::NegativeInfinity))
        );
        assert_eq!(
            timestamptz(b"2000-01-01 05:30:00+05:30"),
            Ok(Value::TimestampTz(Extended::Finite(946_684_800_000_000)))
        );
        // Local mean time offsets carry seconds; BC comes after the zone.
        assert_eq!(
            timestamptz(b"1800-01-01 00:00:00+00:53:28"),
            Ok(Value::TimestampTz(Extended::Finite(
                -5_364_662_400_000_000 - 3_208_000_000
            )))
        );
        assert_eq!(
            timestamptz(b"0001-01-01 00:00:00+00 BC"),
            Ok(Value::TimestampTz(Extended::Finite(
                -62_167_219_200_000_000
            )))
        );
        for bad in [
            "",
            "2000-01-01",
            "2000-01-01T00:00:00",
            "2000-01-01 24:00:00",
            "2000-01-01 00:00:00+",
            "Sat Jan 01 00:00:00 2000",
        ] {
            assert!(timestamptz(bad.as_bytes()).is_err(), "{bad}");
        }
        assert!(timestamp(b"2000-01-01 00:00:00+00").is_err());
    }
}
