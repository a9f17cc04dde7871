//! Which positions a PostgreSQL replication stream may report: never ahead of Kafka.
//!
//! # Rules
//! - `write` follows everything received (data and keepalives): it only says what arrived.
//! - `flush` (and `apply`) is the position the sink reported durable — every change up to it
//!   committed in Kafka. The server keeps all WAL after the slot's flush position, so a
//!   restart resumes exactly there.
//! - **Idle advance.** When nothing forwarded is waiting for the sink (no transaction open,
//!   every forwarded commit acknowledged), a keepalive's position is offered to the sink as an
//!   *idle position* ([`AckTracker::on_keepalive`] returns it). The sink stores it as the
//!   source offset in Kafka (an offset-only transaction, like Debezium's heartbeat) and then
//!   acknowledges it like any other position. Without this, a slot on a database whose
//!   captured tables are quiet while other tables (or databases) write pins WAL forever —
//!   Debezium's "WAL growth" problem. Going through the sink keeps the invariant that the
//!   slot's confirmed position is never ahead of the offset stored in Kafka, which is what
//!   lets a restart tell a recreated or foreign-advanced slot from its own. It is safe
//!   because a keepalive only reports WAL the server decoded and found nothing to send for;
//!   transactions open at that point commit later and are streamed after it.
//!
//! The tracker reads only the boundary messages' fixed fields (PostgreSQL's "Logical
//! Replication Message Formats"): Begin `B`, Commit `C` (end LSN at byte 10), a
//! non-transactional logical message `M`, and the streaming blocks `S`/`E`/`c`/`A`.

use std::collections::HashSet;

use tributary_decoders::pgoutput::Lsn;

use super::replication::StandbyStatus;

/// The positions a stream may report, updated as messages are forwarded and the sink
/// acknowledges.
#[derive(Debug, Default)]
pub struct AckTracker {
    received: Lsn,
    durable: Lsn,
    /// The highest position the sink must acknowledge before the stream counts as idle.
    awaiting: Lsn,
    in_transaction: bool,
    open_streams: HashSet<u32>,
    /// The last idle position offered to the sink.
    idle_offered: Lsn,
}

impl AckTracker {
    /// A tracker for a stream starting at `start` (the slot's confirmed position).
    pub fn new(start: Lsn) -> Self {
        Self {
            received: start,
            durable: start,
            awaiting: start,
            idle_offered: start,
            ..Self::default()
        }
    }

    /// Records a pgoutput message forwarded to the pipeline.
    pub fn on_forwarded(&mut self, wal_start: Lsn, wal_end: Lsn, data: &[u8]) {
        self.received = self.received.max(wal_end).max(wal_start);
        match data.first() {
            Some(b'B') => self.in_transaction = true,
            Some(b'C') => {
                self.in_transaction = false;
                if let Some(end) = read_lsn(data, 10) {
                    self.awaiting = self.awaiting.max(end);
                }
            }
            Some(b'M') if !self.in_transaction && self.open_streams.is_empty() => {
                // A non-transactional message is a change of its own at its LSN (byte 2).
                if let Some(lsn) = read_lsn(data, 2) {
                    self.awaiting = self.awaiting.max(lsn);
                }
            }
            Some(b'S') => {
                if let Some(xid) = read_u32(data, 1) {
                    self.open_streams.insert(xid);
                }
            }
            Some(b'c') => {
                if let Some(xid) = read_u32(data, 1) {
                    self.open_streams.remove(&xid);
                }
                if let Some(end) = read_lsn(data, 14) {
                    self.awaiting = self.awaiting.max(end);
                }
            }
            Some(b'A') => {
                // Abort of the top-level transaction (xid == subxid) closes it; a
                // subtransaction's abort does not.
                if let (Some(xid), Some(subxid)) = (read_u32(data, 1), read_u32(data, 5))
                    && xid == subxid
                {
                    self.open_streams.remove(&xid);
                }
            }
            _ => {}
        }
    }

    /// Records a keepalive; returns the position to offer the sink as an idle position when
    /// nothing is pending and the keepalive moved past the last one offered. Call
    /// [`AckTracker::idle_offered`] once the offer reached the sink.
    pub fn on_keepalive(&mut self, wal_end: Lsn) -> Option<Lsn> {
        self.received = self.received.max(wal_end);
        (self.is_idle() && wal_end > self.idle_offered && wal_end > self.durable).then_some(wal_end)
    }

    /// Records that the sink was offered `lsn` as an idle position.
    pub fn idle_offered(&mut self, lsn: Lsn) {
        self.idle_offered = self.idle_offered.max(lsn);
    }

    /// Records the sink's durable position: everything up to `lsn` is committed in Kafka.
    pub fn on_durable(&mut self, lsn: Lsn) {
        self.durable = self.durable.max(lsn);
    }

    /// Nothing forwarded waits for the sink.
    pub fn is_idle(&self) -> bool {
        !self.in_transaction && self.open_streams.is_empty() && self.durable >= self.awaiting
    }

    /// The status update to send now: flush and apply are exactly the sink's durable position.
    pub fn status(&self) -> StandbyStatus {
        let flush = self.durable;
        StandbyStatus {
            write: self.received.max(flush),
            flush,
            apply: flush,
        }
    }
}

fn read_u32(data: &[u8], at: usize) -> Option<u32> {
    let bytes = data.get(at..at + 4)?;
    Some(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

fn read_lsn(data: &[u8], at: usize) -> Option<Lsn> {
    let bytes = data.get(at..at + 8)?;
    let mut word = [0u8; 8];
    word.copy_from_slice(bytes);
    Some(Lsn(u64::from_be_bytes(word)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn begin() -> Vec<u8> {
        let mut m = vec![b'B'];
        m.extend_from_slice(&[0; 20]);
        m
    }

    fn commit(end: u64) -> Vec<u8> {
        let mut m = vec![b'C', 0];
        m.extend_from_slice(&(end - 8).to_be_bytes());
        m.extend_from_slice(&end.to_be_bytes());
        m.extend_from_slice(&0i64.to_be_bytes());
        m
    }

    #[test]
    fn flush_waits_for_the_sink_and_idle_positions_are_only_offered() {
        let mut t = AckTracker::new(Lsn(100));
        t.on_forwarded(Lsn(110), Lsn(110), &begin());
        assert_eq!(
            t.on_keepalive(Lsn(500)),
            None,
            "open transaction: nothing to offer"
        );
        assert_eq!(t.status().flush, Lsn(100));
        assert_eq!(t.status().write, Lsn(500));
        t.on_forwarded(Lsn(120), Lsn(120), &commit(130));
        assert_eq!(
            t.on_keepalive(Lsn(600)),
            None,
            "commit forwarded but not durable"
        );
        assert_eq!(t.status().flush, Lsn(100));
        t.on_durable(Lsn(130));
        assert_eq!(t.status().flush, Lsn(130));
        assert_eq!(
            t.on_keepalive(Lsn(700)),
            Some(Lsn(700)),
            "idle: offered to the sink"
        );
        assert_eq!(
            t.on_keepalive(Lsn(700)),
            Some(Lsn(700)),
            "offered again until it arrives"
        );
        t.idle_offered(Lsn(700));
        assert_eq!(t.on_keepalive(Lsn(700)), None, "offered once");
        assert_eq!(
            t.status().flush,
            Lsn(130),
            "not confirmed until the sink says so"
        );
        t.on_durable(Lsn(700));
        assert_eq!(t.status().flush, Lsn(700));
    }

    #[test]
    fn streamed_transactions_hold_until_committed_or_aborted() {
        let mut t = AckTracker::new(Lsn(0));
        let mut start = vec![b'S'];
        start.extend_from_slice(&7u32.to_be_bytes());
        start.push(1);
        t.on_forwarded(Lsn(10), Lsn(10), &start);
        t.on_forwarded(Lsn(11), Lsn(11), b"E");
        assert_eq!(
            t.on_keepalive(Lsn(50)),
            None,
            "a streamed transaction is still open"
        );

        let mut sub_abort = vec![b'A'];
        sub_abort.extend_from_slice(&7u32.to_be_bytes());
        sub_abort.extend_from_slice(&8u32.to_be_bytes());
        t.on_forwarded(Lsn(12), Lsn(12), &sub_abort);
        assert_eq!(
            t.on_keepalive(Lsn(60)),
            None,
            "a subtransaction abort leaves it open"
        );

        let mut abort = vec![b'A'];
        abort.extend_from_slice(&7u32.to_be_bytes());
        abort.extend_from_slice(&7u32.to_be_bytes());
        t.on_forwarded(Lsn(13), Lsn(13), &abort);
        assert_eq!(
            t.on_keepalive(Lsn(70)),
            Some(Lsn(70)),
            "aborted: nothing pending"
        );
        assert_eq!(t.status().flush, Lsn(0), "still nothing acknowledged");
    }

    #[test]
    fn truncated_boundary_messages_do_not_panic() {
        let mut t = AckTracker::new(Lsn(0));
        for m in [&b"C"[..], b"S", b"c\0", b"A\0\0\0\0", b"M", b""] {
            t.on_forwarded(Lsn(1), Lsn(1), m);
        }
        let _ = t.status();
    }
}
