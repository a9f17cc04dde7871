//! WAL positions.

use std::fmt;
use std::str::FromStr;

/// A PostgreSQL WAL position (`pg_lsn`): a byte offset into the write-ahead log.
///
/// pgoutput sends LSNs as big-endian `Int64`; PostgreSQL prints them as two hexadecimal
/// halves, `HI/LO` (e.g. `0/16B3748`), and this type's [`Display`](fmt::Display) and
/// [`FromStr`] use the same text so an LSN in a log line can be pasted into `psql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Lsn(pub u64);

impl Lsn {
    /// `0/0`, PostgreSQL's `InvalidXLogRecPtr`: "no position", e.g. the origin LSN of a
    /// transaction whose origin did not set one.
    pub const INVALID: Lsn = Lsn(0);

    /// Whether this is a real position (not `0/0`).
    pub fn is_valid(self) -> bool {
        self.0 != 0
    }
}

impl fmt::Display for Lsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:X}/{:X}", self.0 >> 32, self.0 & 0xFFFF_FFFF)
    }
}

impl From<u64> for Lsn {
    fn from(value: u64) -> Self {
        Lsn(value)
    }
}

/// Text that is not an LSN in PostgreSQL's `HI/LO` hexadecimal form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid LSN {text:?}: expected two hexadecimal numbers of at most 8 digits, as HI/LO")]
pub struct ParseLsnError {
    /// The rejected text.
    pub text: String,
}

impl FromStr for Lsn {
    type Err = ParseLsnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseLsnError { text: s.to_owned() };
        let (hi, lo) = s.split_once('/').ok_or_else(err)?;
        let half = |part: &str| {
            if part.is_empty() || part.len() > 8 {
                return Err(err());
            }
            u32::from_str_radix(part, 16).map_err(|_| err())
        };
        Ok(Lsn((u64::from(half(hi)?) << 32) | u64::from(half(lo)?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_postgres() {
        assert_eq!(Lsn(0x16B3748).to_string(), "0/16B3748");
        assert_eq!(Lsn(0x1_0000_00A0).to_string(), "1/A0");
        assert_eq!(Lsn(u64::MAX).to_string(), "FFFFFFFF/FFFFFFFF");
    }

    #[test]
    fn parses_what_it_displays() {
        for v in [0, 0x16B3748, 0x1_0000_00A0, u64::MAX] {
            assert_eq!(Lsn(v).to_string().parse::<Lsn>(), Ok(Lsn(v)));
        }
        assert_eq!("0/16b3748".parse::<Lsn>(), Ok(Lsn(0x16B3748)));
        for bad in ["", "0", "/1", "1/", "G/0", "123456789/0", "0/0/0", "-1/0"] {
            assert!(bad.parse::<Lsn>().is_err(), "{bad:?} parsed");
        }
    }
}
