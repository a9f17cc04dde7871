//! The source offset (Debezium's MySQL offset keys) and the tracker that computes it for
//! every event of the stream.
//!
//! # What an offset means
//! Debezium's MySQL connector stores `file`/`pos` as the *restart* position: inside a
//! transaction, where the transaction starts; between transactions, where the next event
//! starts. `event` counts the events of the current transaction already processed (skipped
//! on restart) and `row` the rows of the current rows event
//! (`BinlogOffsetContext` / `MySqlOffsetContext` in debezium-connector-binlog;
//! `../shared/reference/debezium-compat.md` §6). `gtids` is the set of *completed*
//! transactions, so inside a transaction it excludes the current one: restarting from it
//! makes the server begin with that transaction, and `event` skips its first events.
//!
//! # Transaction boundaries
//! MySQL: `GTID`/`ANONYMOUS_GTID`, `BEGIN`, …, `XID` (or `COMMIT`); a DDL is `GTID` + one
//! QUERY, so after a MySQL GTID a transaction is either a `BEGIN`…`COMMIT` block or exactly
//! the next event. MariaDB: `GTID`, …, `XID`/`COMMIT` — the GTID event stands in for BEGIN
//! (seen on 10.11: no BEGIN event follows it); a standalone statement is `GTID` with flag
//! `FL_STANDALONE` + one event (`Gtid_log_event` in MariaDB's `sql/log_event.h`). `XA PREPARE` ends its part with an
//! `XA_PREPARE_LOG` event (type 38); `XA COMMIT` is then its own GTID + QUERY.

use serde::{Deserialize, Serialize};
use tributary_decoders::binlog::{EventData, EventHeader, Gtid};

use super::gtid::GtidState;

/// Event type of `XA_PREPARE_LOG_EVENT`, which ends the first half of an XA transaction.
const XA_PREPARE_LOG: u8 = 38;

/// A position in a server's binlog, as Debezium's MySQL connector stores it in its offsets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BinlogOffset {
    /// Binlog file of the restart position.
    pub file: String,
    /// Restart position in `file`: the start of the current transaction, or of the next
    /// event between transactions.
    pub pos: u64,
    /// Completed GTIDs (MariaDB `domain-server-seq,…`, MySQL `uuid:1-5,…`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtids: Option<String>,
    /// `@@server_id` of the server the position belongs to (Tributary records the
    /// connected server's id; see the client's module docs, "Server identity").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_id: Option<u32>,
    /// `@@server_uuid` of that server (MySQL only; not a Debezium key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_uuid: Option<String>,
    /// Events of the current transaction already processed, to skip on restart.
    #[serde(default)]
    pub event: u64,
    /// Rows of the next rows event already processed, to skip on restart.
    #[serde(default)]
    pub row: u64,
    /// Timestamp of the last event, seconds since the Unix epoch.
    #[serde(default)]
    pub ts_sec: u64,
}

impl BinlogOffset {
    /// Start at `file`:`pos` (an event boundary, e.g. from `SHOW MASTER STATUS`).
    pub fn at_file(file: &str, pos: u64) -> Self {
        Self {
            file: file.to_owned(),
            pos,
            ..Self::default()
        }
    }

    /// Start after the GTID position `gtids` (MariaDB `@@gtid_binlog_pos` format or a MySQL
    /// GTID set).
    pub fn at_gtids(gtids: &str) -> Self {
        Self {
            gtids: Some(gtids.to_owned()),
            ..Self::default()
        }
    }
}

/// What the tracker needs to know about an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    Rotate {
        file: String,
        pos: u64,
    },
    TxnStart(Option<Gtid>),
    Begin,
    End,
    Rows,
    /// A TABLE_MAP: carries no change, but later rows events need it decoded.
    TableMap,
    Other,
}

impl Kind {
    pub(crate) fn of(header: &EventHeader, data: &EventData<'_>) -> Self {
        if header.event_type == XA_PREPARE_LOG {
            return Self::End;
        }
        match data {
            EventData::Rotate {
                next_file,
                position,
            } => Self::Rotate {
                file: next_file.clone(),
                pos: *position,
            },
            EventData::Gtid(g) => Self::TxnStart(Some(g.clone())),
            EventData::AnonymousGtid => Self::TxnStart(None),
            EventData::Begin => Self::Begin,
            EventData::Xa { statement } if is_xa_start(statement) => Self::Begin,
            EventData::Commit { .. } | EventData::Rollback => Self::End,
            EventData::Rows(_) => Self::Rows,
            EventData::TableMap(_) => Self::TableMap,
            _ => Self::Other,
        }
    }
}

fn is_xa_start(statement: &str) -> bool {
    let s = statement.trim_start().to_ascii_uppercase();
    s.starts_with("XA START") || s.starts_with("XA BEGIN")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// After a GTID: a BEGIN makes it a block, anything else is the whole transaction.
    AfterGtid,
    /// Inside BEGIN … COMMIT.
    Block,
}

#[derive(Debug, Clone)]
struct Txn {
    file: String,
    pos: u64,
    events: u64,
    gtid: Option<Gtid>,
    shape: Shape,
}

/// What to do with an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// False while skipping the already-processed events of a resumed transaction.
    pub(crate) forward: bool,
    /// The offset to store once this event and all before it are durable.
    pub(crate) offset: BinlogOffset,
    /// Rows of this event already processed (only on the first rows event after a start
    /// from an offset with `row > 0`).
    pub(crate) skip_rows: u64,
}

/// Follows the stream's position event by event.
#[derive(Debug, Clone)]
pub(crate) struct PositionTracker {
    server_id: Option<u32>,
    server_uuid: Option<String>,
    file: String,
    next_pos: u64,
    gtids: Option<GtidState>,
    gtids_text: Option<String>,
    txn: Option<Txn>,
    ts_sec: u64,
    skip_events: u64,
    skip_rows: u64,
    /// A transaction began since the last (re)start: the skip applies to it only.
    resumed_txn_seen: bool,
}

impl PositionTracker {
    pub(crate) fn new(
        start: &BinlogOffset,
        gtids: Option<GtidState>,
        server_id: Option<u32>,
        server_uuid: Option<String>,
    ) -> Self {
        Self {
            server_id,
            server_uuid,
            file: start.file.clone(),
            next_pos: start.pos,
            gtids_text: gtids.as_ref().map(ToString::to_string),
            gtids,
            txn: None,
            ts_sec: start.ts_sec,
            skip_events: start.event,
            skip_rows: start.row,
            resumed_txn_seen: false,
        }
    }

    /// The completed GTID state, for a GTID restart.
    pub(crate) fn gtids(&self) -> Option<&GtidState> {
        self.gtids.as_ref()
    }

    /// The offset of everything forwarded so far.
    pub(crate) fn offset(&self) -> BinlogOffset {
        match &self.txn {
            Some(txn) => BinlogOffset {
                file: txn.file.clone(),
                pos: txn.pos,
                gtids: self.gtids_text.clone(),
                server_id: self.server_id,
                server_uuid: self.server_uuid.clone(),
                event: txn.events,
                row: 0,
                ts_sec: self.ts_sec,
            },
            None => BinlogOffset {
                file: self.file.clone(),
                pos: self.next_pos,
                gtids: self.gtids_text.clone(),
                server_id: self.server_id,
                server_uuid: self.server_uuid.clone(),
                // Before a resumed transaction arrives again, its skip is still pending.
                event: self.skip_events,
                row: self.skip_rows,
                ts_sec: self.ts_sec,
            },
        }
    }

    /// After a lost connection: the stream restarts at [`Self::offset`], at the start of the
    /// open transaction (if any), whose already-forwarded events are skipped.
    pub(crate) fn prepare_restart(&mut self) {
        let offset = self.offset();
        self.file = offset.file;
        self.next_pos = offset.pos;
        // Rows already skipped stay skipped: a partly forwarded rows event cannot exist (the
        // reader forwards whole events), so only a start offset's `row` is ever pending.
        self.skip_events = offset.event;
        self.txn = None;
        self.resumed_txn_seen = false;
    }

    /// Accounts for one raw event (a TRANSACTION_PAYLOAD yields several kinds). A raw event
    /// counts once toward the open transaction's `event`, the GTID event included, because
    /// a restart at the transaction's position receives it again first.
    pub(crate) fn on_event(&mut self, header: &EventHeader, kinds: &[Kind]) -> Verdict {
        let start_pos = u64::from(header.log_pos.saturating_sub(header.event_size));
        if header.timestamp != 0 {
            self.ts_sec = u64::from(header.timestamp);
        }
        let mut ended = false;
        let mut has_rows = false;
        for kind in kinds {
            match kind {
                Kind::Rotate { file, pos } => {
                    if self.txn.is_none() {
                        if *file == self.file {
                            // The artificial ROTATE a dump started by GTID begins with names
                            // the file at position 4: it must not move the offset back
                            // (a stop before the first event would store a position before
                            // the schema history's snapshot).
                            self.next_pos = self.next_pos.max(*pos);
                        } else {
                            self.file.clone_from(file);
                            self.next_pos = *pos;
                        }
                    }
                }
                Kind::TxnStart(gtid) => {
                    // A MariaDB GTID without FL_STANDALONE opens a transaction that runs to
                    // XID/COMMIT, with or without a BEGIN event after it (MariaDB's own
                    // binlog has none: the GTID event stands for it).
                    let shape = match gtid {
                        Some(Gtid::MariaDb {
                            standalone: false, ..
                        }) => Shape::Block,
                        _ => Shape::AfterGtid,
                    };
                    self.begin_txn(start_pos, gtid.clone(), shape);
                }
                Kind::Begin => match &mut self.txn {
                    Some(txn) if txn.shape == Shape::AfterGtid => txn.shape = Shape::Block,
                    Some(_) => {}
                    None => self.begin_txn(start_pos, None, Shape::Block),
                },
                Kind::End => ended = self.txn.is_some(),
                Kind::Rows | Kind::TableMap | Kind::Other => {
                    has_rows |= *kind == Kind::Rows;
                    // After a GTID, anything but BEGIN is a one-statement transaction.
                    if self
                        .txn
                        .as_ref()
                        .is_some_and(|t| t.shape == Shape::AfterGtid && t.events > 0)
                    {
                        ended = true;
                    }
                }
            }
        }
        let mut forward = true;
        if let Some(txn) = &mut self.txn {
            txn.events += 1;
            // Skipped events are not sent again, except TABLE_MAPs: they carry no change
            // and a decoder that starts here needs them for the rows that follow.
            let table_map = kinds.iter().all(|k| *k == Kind::TableMap);
            if self.skip_events > 0 && txn.events <= self.skip_events && !table_map {
                forward = false;
            }
        }
        if header.log_pos != 0 {
            self.next_pos = u64::from(header.log_pos);
        }
        if ended && let Some(txn) = self.txn.take() {
            if let (Some(state), Some(gtid)) = (&mut self.gtids, &txn.gtid) {
                state.apply(gtid);
                self.gtids_text = Some(state.to_string());
            }
            self.skip_events = 0;
        }
        let skip_rows = if forward && has_rows && self.skip_rows > 0 {
            std::mem::take(&mut self.skip_rows)
        } else {
            0
        };
        Verdict {
            forward,
            offset: self.offset(),
            skip_rows,
        }
    }

    fn begin_txn(&mut self, pos: u64, gtid: Option<Gtid>, shape: Shape) {
        if self.resumed_txn_seen {
            // A second transaction after the restart: the skip was for the first only.
            self.skip_events = 0;
        }
        self.resumed_txn_seen = true;
        self.txn = Some(Txn {
            file: self.file.clone(),
            pos,
            events: 0,
            gtid,
            shape,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mysql::client::gtid::MariaDbGtidPosition;

    fn header(log_pos: u32, size: u32) -> EventHeader {
        EventHeader {
            timestamp: 1_700_000_000,
            event_type: 0,
            server_id: 1,
            event_size: size,
            log_pos,
            flags: 0,
        }
    }

    fn gtid(seq: u64, standalone: bool) -> Kind {
        Kind::TxnStart(Some(Gtid::MariaDb {
            domain_id: 0,
            server_id: 1,
            sequence: seq,
            standalone,
        }))
    }

    fn tracker() -> PositionTracker {
        let state = GtidState::MariaDb(MariaDbGtidPosition::parse("0-1-4").unwrap());
        PositionTracker::new(
            &BinlogOffset::at_file("b.1", 100),
            Some(state),
            Some(1),
            None,
        )
    }

    /// GTID 100..130, BEGIN ..160, TABLE_MAP ..190, ROWS ..220, ROWS ..250, XID ..280.
    fn block(t: &mut PositionTracker) -> Vec<Verdict> {
        vec![
            t.on_event(&header(130, 30), &[gtid(5, false)]),
            t.on_event(&header(160, 30), &[Kind::Begin]),
            t.on_event(&header(190, 30), &[Kind::TableMap]),
            t.on_event(&header(220, 30), &[Kind::Rows]),
            t.on_event(&header(250, 30), &[Kind::Rows]),
            t.on_event(&header(280, 30), &[Kind::End]),
        ]
    }

    #[test]
    fn offsets_inside_and_after_a_transaction() {
        let mut t = tracker();
        let v = block(&mut t);
        assert!(v.iter().all(|v| v.forward));
        assert_eq!((v[3].offset.pos, v[3].offset.event), (100, 4));
        assert_eq!(v[3].offset.gtids.as_deref(), Some("0-1-4"));
        assert_eq!((v[5].offset.pos, v[5].offset.event), (280, 0));
        assert_eq!(v[5].offset.gtids.as_deref(), Some("0-1-5"));
        // A standalone DDL: GTID + one event.
        let a = t.on_event(&header(310, 30), &[gtid(6, true)]);
        assert_eq!((a.offset.pos, a.offset.event), (280, 1));
        let b = t.on_event(&header(340, 30), &[Kind::Other]);
        assert_eq!((b.offset.pos, b.offset.event), (340, 0));
        assert_eq!(b.offset.gtids.as_deref(), Some("0-1-6"));
    }

    #[test]
    fn restart_inside_a_transaction_skips_what_was_forwarded() {
        let mut t = tracker();
        t.on_event(&header(130, 30), &[gtid(5, false)]);
        t.on_event(&header(160, 30), &[Kind::Begin]);
        t.on_event(&header(190, 30), &[Kind::TableMap]);
        t.on_event(&header(220, 30), &[Kind::Rows]);
        t.prepare_restart();
        assert_eq!((t.offset().pos, t.offset().event), (100, 4));
        // The server sends the artificial ROTATE and the FORMAT_DESCRIPTION (log_pos 0),
        // then the transaction again.
        let rotate = t.on_event(
            &header(0, 40),
            &[Kind::Rotate {
                file: "b.1".to_owned(),
                pos: 100,
            }],
        );
        assert!(rotate.forward);
        assert!(t.on_event(&header(0, 30), &[Kind::Other]).forward);
        let v = block(&mut t);
        let forwarded: Vec<bool> = v.iter().map(|v| v.forward).collect();
        // GTID, BEGIN skipped; TABLE_MAP sent again; the first ROWS skipped; the rest sent.
        assert_eq!(forwarded, vec![false, false, true, false, true, true]);
        assert_eq!((v[5].offset.pos, v[5].offset.event), (280, 0));
        // The next transaction is not skipped.
        assert!(t.on_event(&header(310, 30), &[gtid(6, false)]).forward);
    }

    #[test]
    fn the_artificial_rotate_of_a_gtid_start_does_not_move_the_offset_back() {
        let start = BinlogOffset::at_file("b.1", 7_000);
        let mut t = PositionTracker::new(&start, None, None, None);
        t.on_event(
            &header(0, 40),
            &[Kind::Rotate {
                file: "b.1".to_owned(),
                pos: 4,
            }],
        );
        assert_eq!((t.offset().file.as_str(), t.offset().pos), ("b.1", 7_000));
        // A rotate to another file moves there.
        t.on_event(
            &header(0, 40),
            &[Kind::Rotate {
                file: "b.2".to_owned(),
                pos: 4,
            }],
        );
        assert_eq!((t.offset().file.as_str(), t.offset().pos), ("b.2", 4));
    }

    #[test]
    fn start_offset_with_events_and_rows_to_skip() {
        let start = BinlogOffset {
            event: 4,
            row: 2,
            ..BinlogOffset::at_file("b.1", 100)
        };
        let mut t = PositionTracker::new(&start, None, None, None);
        let v = block(&mut t);
        assert_eq!(v[4].skip_rows, 2);
        assert!(!v[3].forward);
        assert_eq!(v[5].offset.gtids, None);
    }
}
