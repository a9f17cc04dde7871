//! The watermark window (DBLog): merging a chunk read *now* into a stream that is behind.
//!
//! A chunk read while the log is streamed reflects the table at the moment of the read,
//! but the stream delivers changes from earlier. Emitting the chunk at once would move
//! those rows back in time when the older changes arrive. Instead the chunk waits in a
//! window until the stream reaches the read's position (the *high watermark*), and every
//! row that a change in between touched is dropped from it — the change carries that
//! row's newer state. What is left is emitted at the high watermark, in stream order.
//!
//! Tributary's watermarks need no writes to captured tables (the *read-only* variant):
//! - which changes count as "in between" is decided by the read's own snapshot: a change
//!   of a transaction the snapshot did not see happened after the read
//!   ([`XidSnapshot::sees`], from PostgreSQL's `pg_current_snapshot()`), and
//! - the high watermark is the WAL insert position taken inside the read's transaction
//!   (`pg_current_wal_insert_lsn()`): every transaction the snapshot saw committed before
//!   it, so once the stream is past it, the chunk is never older than what was streamed.
//!
//! A transaction streamed *just before* the read can, in a narrow race, still count as
//! running in the read's snapshot (its commit reached the WAL before it became visible).
//! [`RecentXids`] remembers the last transactions streamed so that case is detected and the
//! chunk read again rather than trusted.

use std::collections::HashMap;

/// A PostgreSQL snapshot as `pg_current_snapshot()` prints it: `xmin:xmax:xip,…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XidSnapshot {
    xmin: u32,
    xmax: u32,
    running: Vec<u32>,
}

/// A `pg_current_snapshot()` text that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot read the snapshot '{text}' returned by pg_current_snapshot(): expected xmin:xmax:xip,…"
)]
pub struct SnapshotTextError {
    /// The text.
    pub text: String,
}

/// `a` precedes `b` in PostgreSQL's circular 32-bit transaction id space.
fn precedes(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

impl XidSnapshot {
    /// Parses `xmin:xmax:xip1,xip2,…` (64-bit `xid8` values; the stream's transaction ids
    /// are their low 32 bits).
    pub fn parse(text: &str) -> Result<Self, SnapshotTextError> {
        let error = || SnapshotTextError {
            text: text.to_owned(),
        };
        let mut parts = text.trim().splitn(3, ':');
        let xid = |part: Option<&str>| -> Result<u32, SnapshotTextError> {
            let n: u64 = part.ok_or_else(error)?.parse().map_err(|_| error())?;
            Ok(n as u32)
        };
        let xmin = xid(parts.next())?;
        let xmax = xid(parts.next())?;
        let running = match parts.next() {
            None | Some("") => Vec::new(),
            Some(list) => list
                .split(',')
                .map(|x| x.parse::<u64>().map(|n| n as u32).map_err(|_| error()))
                .collect::<Result<_, _>>()?,
        };
        Ok(Self {
            xmin,
            xmax,
            running,
        })
    }

    /// Whether the snapshot saw transaction `xid` as committed: it ended before the
    /// snapshot was taken. (Only committed transactions reach the stream.)
    pub fn sees(&self, xid: u32) -> bool {
        precedes(xid, self.xmin) || (precedes(xid, self.xmax) && !self.running.contains(&xid))
    }

    /// Transactions the snapshot saw as running.
    pub fn running(&self) -> &[u32] {
        &self.running
    }
}

/// The last transaction ids streamed, to detect a read that raced a commit (module docs).
#[derive(Debug, Clone)]
pub struct RecentXids {
    ring: Vec<u32>,
    next: usize,
}

impl RecentXids {
    /// Remembers the last `capacity` transactions (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            ring: Vec::with_capacity(capacity.max(1)),
            next: 0,
        }
    }

    /// Records a streamed transaction.
    pub fn push(&mut self, xid: u32) {
        let capacity = self.ring.capacity();
        if self.ring.len() < capacity {
            self.ring.push(xid);
        } else if let Some(slot) = self.ring.get_mut(self.next) {
            *slot = xid;
        }
        self.next = (self.next + 1) % capacity;
    }

    /// Whether a transaction already streamed is one `snapshot` did not see: the read must
    /// be repeated.
    pub fn raced(&self, snapshot: &XidSnapshot) -> bool {
        self.ring.iter().any(|xid| !snapshot.sees(*xid))
    }
}

/// A chunk waiting for the stream to reach its high watermark. `R` is the engine's row
/// (raw bytes, decoded values…); rows are identified by their key's bytes, encoded the
/// same way for chunk rows and streamed changes.
#[derive(Debug)]
pub struct ChunkWindow<R> {
    high: u64,
    snapshot: XidSnapshot,
    rows: Vec<Option<R>>,
    by_key: HashMap<Vec<u8>, usize>,
    superseded: usize,
}

impl<R> ChunkWindow<R> {
    /// Opens a window for `rows` (in key order) read under `snapshot`, due at `high`.
    pub fn new(high: u64, snapshot: XidSnapshot, rows: Vec<(Vec<u8>, R)>) -> Self {
        let mut by_key = HashMap::with_capacity(rows.len());
        let rows = rows
            .into_iter()
            .enumerate()
            .map(|(i, (key, row))| {
                by_key.insert(key, i);
                Some(row)
            })
            .collect();
        Self {
            high,
            snapshot,
            rows,
            by_key,
            superseded: 0,
        }
    }

    /// The snapshot the chunk was read in.
    pub fn snapshot(&self) -> &XidSnapshot {
        &self.snapshot
    }

    /// A change that removes every row (`TRUNCATE`) by transaction `xid`.
    pub fn observe_truncate(&mut self, xid: u32) {
        if !self.snapshot.sees(xid) {
            for slot in &mut self.rows {
                if slot.take().is_some() {
                    self.superseded += 1;
                }
            }
        }
    }

    /// The high watermark.
    pub fn high(&self) -> u64 {
        self.high
    }

    /// A streamed change of transaction `xid` to the row with key `key` (call it for the
    /// old and the new key of a key change): a transaction the read did not see drops the
    /// row from the chunk.
    pub fn observe(&mut self, xid: u32, key: &[u8]) {
        if self.snapshot.sees(xid) {
            return;
        }
        if let Some(&i) = self.by_key.get(key)
            && let Some(slot) = self.rows.get_mut(i)
            && slot.take().is_some()
        {
            self.superseded += 1;
        }
    }

    /// Whether the stream at `position` is past the high watermark: the rows can go.
    pub fn is_due(&self, position: u64) -> bool {
        position >= self.high
    }

    /// Rows dropped so far.
    pub fn superseded(&self) -> usize {
        self.superseded
    }

    /// The rows that survived, in key order.
    pub fn into_rows(self) -> impl Iterator<Item = R> {
        self.rows.into_iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visibility_follows_xmin_xmax_and_the_running_list() {
        let s = XidSnapshot::parse("100:105:101,103").unwrap();
        assert!(s.sees(99));
        assert!(s.sees(100));
        assert!(!s.sees(101));
        assert!(s.sees(102));
        assert!(!s.sees(103));
        assert!(s.sees(104));
        assert!(!s.sees(105));
        assert!(!s.sees(200));
        let empty = XidSnapshot::parse("7:7:").unwrap();
        assert!(empty.sees(6));
        assert!(!empty.sees(7));
    }

    #[test]
    fn epochs_and_wraparound_use_the_low_32_bits() {
        // Epoch 1: xid8 = 2^32 + n.
        let s = XidSnapshot::parse("4294967396:4294967400:").unwrap();
        assert!(s.sees(99));
        assert!(!s.sees(104));
        // Around the wrap: xmin just below 2^32, xmax past it.
        let s = XidSnapshot::parse("4294967290:4294967300:4294967295").unwrap();
        assert!(s.sees(4_294_967_291));
        assert!(!s.sees(4_294_967_295));
        assert!(s.sees(3)); // 2^32 + 3 < xmax
        assert!(!s.sees(4));
    }

    #[test]
    fn bad_snapshot_text_is_an_error() {
        for text in ["", "1", "1:x:", "1:2:3,y"] {
            assert!(XidSnapshot::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn changes_the_read_did_not_see_drop_their_rows() {
        let snapshot = XidSnapshot::parse("50:60:55").unwrap();
        let rows = (1..=4u8).map(|k| (vec![k], k)).collect();
        let mut window = ChunkWindow::new(1000, snapshot, rows);
        window.observe(52, &[1]); // seen by the read: already in the chunk
        window.observe(55, &[2]); // running at the read: newer than the chunk
        window.observe(70, &[3]); // after the read
        window.observe(70, &[9]); // a row outside the chunk
        assert_eq!(window.superseded(), 2);
        assert!(!window.is_due(999));
        assert!(window.is_due(1000));
        assert_eq!(window.into_rows().collect::<Vec<_>>(), [1, 4]);
    }

    #[test]
    fn a_streamed_transaction_the_read_missed_is_a_race() {
        let mut recent = RecentXids::new(2);
        recent.push(40);
        recent.push(41);
        assert!(!recent.raced(&XidSnapshot::parse("42:42:").unwrap()));
        assert!(recent.raced(&XidSnapshot::parse("41:43:41").unwrap()));
        recent.push(42);
        recent.push(43);
        assert!(!recent.raced(&XidSnapshot::parse("41:44:41").unwrap()));
    }
}
