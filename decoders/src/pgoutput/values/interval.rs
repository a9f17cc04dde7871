//! `interval` in `IntervalStyle=postgres`.
//!
//! `EncodeInterval` (`src/backend/utils/adt/datetime.c`, `INTSTYLE_POSTGRES`) writes the
//! non-zero fields as `N year[s]`, `N mon[s]`, `N day[s]`, then the time as
//! `[+-]HH:MM:SS[.ffffff]` (hours unbounded, e.g. `2562047788:00:54.775807`), or
//! `00:00:00` when every field is zero. Each field carries its own sign
//! (`-1 years +2 mons -3 days +04:05:06`): PostgreSQL keeps months, days and microseconds
//! independent, and so does [`Value::Interval`].

use tributary_envelope::Value;

use super::temporal::Cursor;

const SYNTAX: &str = "expected `N years N mons N days [-]HH:MM:SS[.ffffff]`; start the \
                      replication connection with -c IntervalStyle=postgres";
const RANGE: &str = "field out of range for an interval";

pub(super) fn interval(t: &[u8]) -> Result<Value, &'static str> {
    let mut months: i32 = 0;
    let mut days: i32 = 0;
    let mut micros: i64 = 0;
    let mut seen_any = false;
    let mut tokens = t.split(|&b| b == b' ').filter(|s| !s.is_empty());
    while let Some(token) = tokens.next() {
        seen_any = true;
        if token.contains(&b':') {
            micros = micros.checked_add(clock(token)?).ok_or(RANGE)?;
            continue;
        }
        let n = std::str::from_utf8(token)
            .ok()
            .and_then(|s| s.parse::<i32>().ok())
            .ok_or(SYNTAX)?;
        match tokens.next().ok_or(SYNTAX)? {
            b"year" | b"years" => {
                months = n
                    .checked_mul(12)
                    .and_then(|m| months.checked_add(m))
                    .ok_or(RANGE)?;
            }
            b"mon" | b"mons" => months = months.checked_add(n).ok_or(RANGE)?,
            b"day" | b"days" => days = days.checked_add(n).ok_or(RANGE)?,
            _ => return Err(SYNTAX),
        }
    }
    if !seen_any {
        return Err(SYNTAX);
    }
    Ok(Value::Interval {
        months,
        days,
        micros,
    })
}

/// `[+-]H+:MM:SS[.ffffff]` as signed microseconds.
fn clock(token: &[u8]) -> Result<i64, &'static str> {
    let mut c = Cursor::new(token);
    let negative = if c.eat(b'-') {
        true
    } else {
        c.eat(b'+');
        false
    };
    let h = c.number(1, 12).ok_or(SYNTAX)?;
    let parts = (|| {
        if !c.eat(b':') {
            return None;
        }
        let m = c.number(2, 2)?;
        if !c.eat(b':') {
            return None;
        }
        let s = c.number(2, 2)?;
        let f = c.fraction()?;
        (c.is_done() && m < 60 && s < 60).then_some((m, s, f))
    })();
    let (m, s, f) = parts.ok_or(SYNTAX)?;
    // i128: the magnitude of i64::MIN does not fit i64.
    let total = (i128::from(h) * 3600 + i128::from(m * 60 + s)) * 1_000_000 + i128::from(f);
    i64::try_from(if negative { -total } else { total }).map_err(|_| RANGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(months: i32, days: i32, micros: i64) -> Result<Value, &'static str> {
        Ok(Value::Interval {
            months,
            days,
            micros,
        })
    }

    #[test]
    fn postgres_style_fields_keep_their_own_signs() {
        assert_eq!(interval(b"00:00:00"), iv(0, 0, 0));
        assert_eq!(
            interval(b"1 year 2 mons 3 days 04:05:06.789"),
            iv(14, 3, 14_706_789_000)
        );
        assert_eq!(
            interval(b"-1 years -2 mons +3 days -04:05:06"),
            iv(-14, 3, -14_706_000_000)
        );
        assert_eq!(interval(b"1 mon -1 days"), iv(1, -1, 0));
        assert_eq!(interval(b"-00:00:00.000001"), iv(0, 0, -1));
        assert_eq!(
            interval(b"-178956970 years -8 mons -2147483648 days -2562047788:00:54.775808"),
            iv(i32::MIN, i32::MIN, i64::MIN)
        );
        assert_eq!(
            interval(b"178956970 years 7 mons 2147483647 days 2562047788:00:54.775807"),
            iv(i32::MAX, i32::MAX, i64::MAX)
        );
    }

    #[test]
    fn other_styles_and_garbage_are_errors() {
        for bad in [
            "",
            "P1Y2M",
            "@ 1 year",
            "1 year 2",
            "1 fortnight",
            "1:2",
            "01:60:00",
            "178956971 years",
            "99999999999999:00:00",
        ] {
            assert!(interval(bad.as_bytes()).is_err(), "{bad}");
        }
        assert!(interval(b"P1Y").unwrap_err().contains("IntervalStyle"));
    }
}
