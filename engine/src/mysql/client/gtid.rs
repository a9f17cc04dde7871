//! GTID positions as offsets store them: MariaDB's `domain-server-seq` list and MySQL's
//! `uuid:interval[:interval]` set.
//!
//! # MariaDB
//! A MariaDB GTID position holds, per replication domain, the last transaction applied
//! (`0-1-42,1-5-7`); it is what `@slave_connect_state` takes and `@@gtid_binlog_pos` shows.
//! Sequence numbers grow within a domain, so the position after a transaction is the old
//! one with that domain's entry replaced (MariaDB KB, "Global Transaction ID").
//!
//! # MySQL
//! A MySQL GTID set lists, per source UUID, the intervals of transaction numbers executed
//! (`3e11fa47-…:1-5:7`). `COM_BINLOG_DUMP_GTID` takes it in binary: the number of UUIDs (8),
//! then per UUID its 16 bytes, the number of intervals (8) and each interval as start (8)
//! and *exclusive* end (8) — `Gtid_set::encode` in MySQL's `sql/rpl_gtid_set.cc`. Tagged
//! GTIDs (MySQL 8.4 `uuid:tag:n`) use another encoding and are refused.

use std::collections::BTreeMap;
use std::fmt;

use tributary_decoders::binlog::Gtid;

use super::error::MySqlError;

/// A MariaDB GTID position: per domain, the server id and sequence number of the last
/// transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MariaDbGtidPosition {
    domains: BTreeMap<u32, (u32, u64)>,
}

impl MariaDbGtidPosition {
    /// Parses `domain-server-seq[,…]` (spaces and newlines around entries are allowed, as
    /// `@@gtid_binlog_state` prints them; an empty string is the empty position).
    pub fn parse(text: &str) -> Result<Self, MySqlError> {
        let mut domains = BTreeMap::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let mut parts = entry.split('-');
            let (Some(d), Some(s), Some(n), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(invalid(text, "expected domain-server-sequence"));
            };
            let (Ok(d), Ok(s), Ok(n)) = (d.parse(), s.parse(), n.parse()) else {
                return Err(invalid(text, "expected numbers in domain-server-sequence"));
            };
            domains.insert(d, (s, n));
        }
        Ok(Self { domains })
    }

    /// Records a transaction as applied.
    pub fn apply(&mut self, domain_id: u32, server_id: u32, sequence: u64) {
        self.domains.insert(domain_id, (server_id, sequence));
    }

    /// Whether no domain is known.
    pub fn is_empty(&self) -> bool {
        self.domains.is_empty()
    }

    /// Per domain, `(server_id, sequence)`.
    pub fn domains(&self) -> &BTreeMap<u32, (u32, u64)> {
        &self.domains
    }
}

impl fmt::Display for MariaDbGtidPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (d, (s, n))) in self.domains.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{d}-{s}-{n}")?;
        }
        Ok(())
    }
}

/// A MySQL GTID set: per source UUID, sorted disjoint intervals `[start, end]` (inclusive).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MySqlGtidSet {
    sources: BTreeMap<[u8; 16], Vec<(u64, u64)>>,
}

impl MySqlGtidSet {
    /// Parses `uuid:a-b:c,uuid2:d` as `@@gtid_executed` prints it (newlines allowed).
    pub fn parse(text: &str) -> Result<Self, MySqlError> {
        let mut set = Self::default();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let mut parts = entry.split(':');
            let uuid = parse_uuid(parts.next().unwrap_or_default())
                .ok_or_else(|| invalid(text, "expected a source UUID"))?;
            for interval in parts {
                let (a, b) = match interval.split_once('-') {
                    Some((a, b)) => (a.parse::<u64>(), b.parse::<u64>()),
                    None => (interval.parse::<u64>(), interval.parse::<u64>()),
                };
                let (Ok(a), Ok(b)) = (a, b) else {
                    return Err(invalid(
                        text,
                        "expected transaction numbers (tagged GTIDs are not supported)",
                    ));
                };
                if a == 0 || b < a {
                    return Err(invalid(text, "an empty or zero interval"));
                }
                set.add_range(uuid, a, b);
            }
        }
        Ok(set)
    }

    /// Records one transaction.
    pub fn add(&mut self, source: [u8; 16], gno: u64) {
        self.add_range(source, gno, gno);
    }

    fn add_range(&mut self, source: [u8; 16], a: u64, b: u64) {
        let intervals = self.sources.entry(source).or_default();
        intervals.push((a, b));
        intervals.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(intervals.len());
        for &(s, e) in intervals.iter() {
            match merged.last_mut() {
                Some(last) if s <= last.1.saturating_add(1) => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        *intervals = merged;
    }

    /// Whether every transaction of `other` is in this set.
    pub fn contains(&self, other: &Self) -> bool {
        other.sources.iter().all(|(uuid, wanted)| {
            let have = self
                .sources
                .get(uuid)
                .map(Vec::as_slice)
                .unwrap_or_default();
            wanted
                .iter()
                .all(|&(a, b)| have.iter().any(|&(s, e)| s <= a && b <= e))
        })
    }

    /// The binary form `COM_BINLOG_DUMP_GTID` takes (see the module docs).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&(self.sources.len() as u64).to_le_bytes());
        for (uuid, intervals) in &self.sources {
            out.extend_from_slice(uuid);
            out.extend_from_slice(&(intervals.len() as u64).to_le_bytes());
            for &(a, b) in intervals {
                out.extend_from_slice(&a.to_le_bytes());
                out.extend_from_slice(&b.saturating_add(1).to_le_bytes());
            }
        }
        out
    }
}

impl fmt::Display for MySqlGtidSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (uuid, intervals)) in self.sources.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            for (j, b) in uuid.iter().enumerate() {
                if matches!(j, 4 | 6 | 8 | 10) {
                    f.write_str("-")?;
                }
                write!(f, "{b:02x}")?;
            }
            for &(a, b) in intervals {
                if a == b {
                    write!(f, ":{a}")?;
                } else {
                    write!(f, ":{a}-{b}")?;
                }
            }
        }
        Ok(())
    }
}

fn parse_uuid(text: &str) -> Option<[u8; 16]> {
    let hex: Vec<u8> = text.bytes().filter(|&b| b != b'-').collect();
    if hex.len() != 32 || text.len() != 36 {
        return None;
    }
    let mut out = [0u8; 16];
    for (o, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        let s = std::str::from_utf8(pair).ok()?;
        *o = u8::from_str_radix(s, 16).ok()?;
    }
    Some(out)
}

fn invalid(text: &str, why: &str) -> MySqlError {
    MySqlError::InvalidOffset {
        detail: format!("GTID position '{text}': {why}"),
    }
}

/// The completed-transaction position of a stream, of either flavour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GtidState {
    MariaDb(MariaDbGtidPosition),
    MySql(MySqlGtidSet),
}

impl GtidState {
    pub(crate) fn apply(&mut self, gtid: &Gtid) {
        match (self, gtid) {
            (
                Self::MariaDb(p),
                Gtid::MariaDb {
                    domain_id,
                    server_id,
                    sequence,
                    ..
                },
            ) => p.apply(*domain_id, *server_id, *sequence),
            (
                Self::MySql(s),
                Gtid::MySql {
                    source_id,
                    tag: None,
                    transaction_id,
                },
            ) => s.add(*source_id, *transaction_id),
            // A tagged MySQL GTID or a flavour change mid-stream: not representable; the
            // offset keeps the file/position, which stays exact.
            _ => {}
        }
    }
}

impl fmt::Display for GtidState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MariaDb(p) => p.fmt(f),
            Self::MySql(s) => s.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mariadb_position_round_trip_and_apply() {
        let mut p = MariaDbGtidPosition::parse("1-5-7, 0-1-42\n").unwrap();
        assert_eq!(p.to_string(), "0-1-42,1-5-7");
        p.apply(0, 2, 43);
        assert_eq!(p.to_string(), "0-2-43,1-5-7");
        assert!(MariaDbGtidPosition::parse("").unwrap().is_empty());
        for bad in ["0-1", "a-b-c", "0-1-2-3", "0-1-x"] {
            assert!(MariaDbGtidPosition::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn mysql_set_parse_merge_and_encode() {
        let uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
        let mut s = MySqlGtidSet::parse(&format!("{uuid}:1-5:7")).unwrap();
        assert_eq!(s.to_string(), format!("{uuid}:1-5:7"));
        let id = parse_uuid(uuid).unwrap();
        s.add(id, 6);
        assert_eq!(s.to_string(), format!("{uuid}:1-7"));
        let enc = s.encode();
        let mut want = 1u64.to_le_bytes().to_vec();
        want.extend_from_slice(&id);
        want.extend_from_slice(&1u64.to_le_bytes());
        want.extend_from_slice(&1u64.to_le_bytes());
        want.extend_from_slice(&8u64.to_le_bytes());
        assert_eq!(enc, want);
        for bad in [
            "nope:1",
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:tag:1",
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:5-1",
        ] {
            assert!(MySqlGtidSet::parse(bad).is_err(), "{bad}");
        }
    }
}
