//! PostgreSQL's streaming replication sub-protocol for logical decoding with `pgoutput`.
//!
//! `tokio-postgres` 0.7 cannot enter CopyBoth mode, so this module speaks the replication
//! commands itself: `IDENTIFY_SYSTEM`, `CREATE_REPLICATION_SLOT … LOGICAL pgoutput`,
//! `DROP_REPLICATION_SLOT`, `START_REPLICATION SLOT … LOGICAL`, then the CopyBoth stream of
//! `XLogData` (`w`) and primary keepalive (`k`) messages, answered by standby status
//! updates (`r`). Reference: PostgreSQL docs, "Streaming Replication Protocol".
//!
//! # Positions
//! A standby status update carries three LSNs. `write` may follow what was received;
//! `flush` and `apply` tell the server what it may discard, and the server persists `flush`
//! as the slot's `confirmed_flush_lsn`. This module sends what it is given: the caller (the
//! pipeline) decides, and must never report a flush position whose changes are not yet
//! committed in Kafka.
//!
//! # Keepalives
//! The server sends a keepalive when it has nothing else to send for a while, and sets
//! `reply_requested` when it is about to time the connection out
//! (`wal_sender_timeout`, 60 s by default): such a keepalive must be answered at once.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{BufMut, Bytes};
use postgres_protocol::message::frontend;
use tributary_decoders::pgoutput::Lsn;

use super::config::PgConnectOptions;
use super::error::PgError;
use super::session::{Session, TextRow, server_error, unexpected};
use super::wire::Body;

/// Microseconds between the Unix epoch and PostgreSQL's epoch (2000-01-01 UTC).
const PG_EPOCH_OFFSET_US: i64 = 946_684_800_000_000;

/// The server's answer to `IDENTIFY_SYSTEM`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemIdentity {
    /// The cluster's unique system identifier. A different value for the same address means
    /// a different cluster (restore, failover to a new cluster): stored positions do not
    /// apply to it.
    pub system_id: String,
    /// The current timeline.
    pub timeline: u32,
    /// The current WAL flush position.
    pub xlog_pos: Lsn,
    /// The database this session is connected to.
    pub dbname: Option<String>,
}

/// What to do with the snapshot a new slot's creation produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotSnapshot {
    /// Export it, so other sessions can `SET TRANSACTION SNAPSHOT` to read exactly the data
    /// the slot's stream starts after (the initial snapshot's hand-over point).
    Export,
    /// Do not produce one (streaming only).
    Nothing,
}

/// A slot that `CREATE_REPLICATION_SLOT` made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedSlot {
    /// The slot's name.
    pub name: String,
    /// The LSN from which the slot's stream is consistent: every transaction committing
    /// after it is streamed, none before.
    pub consistent_point: Lsn,
    /// The exported snapshot's name, when one was asked for.
    pub snapshot_name: Option<String>,
}

/// Options of the `pgoutput` plugin for `START_REPLICATION`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgOutputOptions {
    /// `proto_version`: 1 on PostgreSQL 10-13, 2 on 14, 3 on 15, 4 on 16+.
    pub proto_version: u32,
    /// `publication_names`.
    pub publications: Vec<String>,
    /// `messages`: also stream `pg_logical_emit_message` messages (protocol 2+... and PG 14+).
    pub messages: bool,
    /// `streaming`: send large in-progress transactions in chunks (protocol 2+).
    pub streaming: bool,
}

impl PgOutputOptions {
    /// The `pgoutput` options clause of `START_REPLICATION`, with values quoted.
    fn render(&self) -> String {
        let publications = self
            .publications
            .iter()
            .map(|name| quote_ident(name))
            .collect::<Vec<_>>()
            .join(",");
        let mut options = vec![
            format!("\"proto_version\" '{}'", self.proto_version),
            format!("\"publication_names\" {}", quote_literal(&publications)),
        ];
        if self.proto_version >= 2 {
            options.push(format!("\"messages\" '{}'", self.messages));
            options.push(format!(
                "\"streaming\" '{}'",
                if self.streaming { "on" } else { "off" }
            ));
        }
        options.join(", ")
    }
}

/// The highest `pgoutput` protocol version a server of `major` version speaks.
pub fn pgoutput_protocol_for(major: u32) -> u32 {
    match major {
        0..=13 => 1,
        14 => 2,
        15 => 3,
        _ => 4,
    }
}

/// A session in `replication=database` mode, before streaming starts.
#[derive(Debug)]
pub struct ReplicationSession {
    session: Session,
}

impl ReplicationSession {
    /// Connects and authenticates a replication session.
    pub async fn connect(options: &PgConnectOptions) -> Result<Self, PgError> {
        Ok(Self {
            session: Session::connect(options).await?,
        })
    }

    /// Whether the session is encrypted (TLS).
    pub fn is_tls(&self) -> bool {
        self.session.is_tls()
    }

    /// The server's major version, e.g. `15`.
    pub fn server_major_version(&self) -> Option<u32> {
        self.session.server_major_version()
    }

    /// `IDENTIFY_SYSTEM`.
    pub async fn identify_system(&mut self) -> Result<SystemIdentity, PgError> {
        const COMMAND: &str = "IDENTIFY_SYSTEM";
        let rows = self.session.simple_query(COMMAND).await?;
        let row = single_row(COMMAND, &rows, 4)?;
        let timeline = text(COMMAND, row, 1, "timeline")?
            .parse()
            .map_err(|_| PgError::protocol(COMMAND, "timeline is not a number"))?;
        Ok(SystemIdentity {
            system_id: text(COMMAND, row, 0, "systemid")?.to_owned(),
            timeline,
            xlog_pos: lsn(COMMAND, text(COMMAND, row, 2, "xlogpos")?)?,
            dbname: row.get(3).cloned().flatten(),
        })
    }

    /// Creates a logical slot with `pgoutput`.
    pub async fn create_logical_slot(
        &mut self,
        name: &str,
        snapshot: SlotSnapshot,
    ) -> Result<CreatedSlot, PgError> {
        let legacy = self.server_major_version().is_some_and(|v| v < 15);
        let snapshot_clause = match (snapshot, legacy) {
            (SlotSnapshot::Export, false) => " (SNAPSHOT 'export')",
            (SlotSnapshot::Nothing, false) => " (SNAPSHOT 'nothing')",
            (SlotSnapshot::Export, true) => " EXPORT_SNAPSHOT",
            (SlotSnapshot::Nothing, true) => " NOEXPORT_SNAPSHOT",
        };
        let command = format!(
            "CREATE_REPLICATION_SLOT {} LOGICAL pgoutput{snapshot_clause}",
            quote_ident(name)
        );
        let rows = self.session.simple_query(&command).await?;
        let row = single_row(&command, &rows, 4)?;
        Ok(CreatedSlot {
            name: text(&command, row, 0, "slot_name")?.to_owned(),
            consistent_point: lsn(&command, text(&command, row, 1, "consistent_point")?)?,
            snapshot_name: row.get(2).cloned().flatten(),
        })
    }

    /// Drops a slot, waiting for it to be released if another session still holds it.
    pub async fn drop_slot(&mut self, name: &str) -> Result<(), PgError> {
        let command = format!("DROP_REPLICATION_SLOT {} WAIT", quote_ident(name));
        self.session.simple_query(&command).await.map(|_| ())
    }

    /// Runs SQL on the session's database (allowed in `replication=database` mode).
    pub async fn simple_query(&mut self, sql: &str) -> Result<Vec<TextRow>, PgError> {
        self.session.simple_query(sql).await
    }

    /// `START_REPLICATION SLOT <slot> LOGICAL <start>`: from here on the session only
    /// streams. The server resumes from the slot's `confirmed_flush_lsn` when `start` is
    /// older than it.
    pub async fn start_logical_replication(
        mut self,
        slot: &str,
        start: Lsn,
        options: &PgOutputOptions,
    ) -> Result<ReplicationStream, PgError> {
        let command = format!(
            "START_REPLICATION SLOT {} LOGICAL {start} ({})",
            quote_ident(slot),
            options.render()
        );
        let wire = &mut self.session.wire;
        frontend::query(&command, wire.out())
            .map_err(|e| PgError::protocol(&command, e.to_string()))?;
        wire.flush().await?;
        loop {
            let frame = wire.read_frame().await?;
            match frame.tag {
                b'W' => break,
                b'N' => {}
                b'E' => {
                    // The server follows the error with ReadyForQuery; the session is
                    // consumed either way.
                    return Err(server_error(&command, &frame));
                }
                other => return Err(unexpected(&command, other)),
            }
        }
        Ok(ReplicationStream {
            session: self.session,
            ended: false,
        })
    }
}

/// One message of the replication stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplicationMessage {
    /// WAL data: one `pgoutput` message.
    XLogData {
        /// Where this message's WAL starts.
        wal_start: Lsn,
        /// The server's current end of WAL.
        wal_end: Lsn,
        /// Server clock, microseconds since the Unix epoch.
        server_time_us: i64,
        /// The `pgoutput` message (a zero-copy slice of the read buffer).
        data: Bytes,
    },
    /// Primary keepalive.
    Keepalive {
        /// The server's current end of WAL.
        wal_end: Lsn,
        /// Server clock, microseconds since the Unix epoch.
        server_time_us: i64,
        /// The server wants a standby status update now.
        reply_requested: bool,
    },
}

/// The positions a standby status update reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StandbyStatus {
    /// Received and written (may run ahead of Kafka).
    pub write: Lsn,
    /// Durable downstream: only what Kafka has committed.
    pub flush: Lsn,
    /// Applied downstream: Tributary reports the same as `flush`.
    pub apply: Lsn,
}

/// A running replication stream (CopyBoth mode).
#[derive(Debug)]
pub struct ReplicationStream {
    session: Session,
    ended: bool,
}

impl ReplicationStream {
    /// The next message, or `None` when the server ended the stream (CopyDone).
    pub async fn recv(&mut self) -> Result<Option<ReplicationMessage>, PgError> {
        const DURING: &str = "replication stream";
        if self.ended {
            return Ok(None);
        }
        loop {
            let frame = self.session.wire.read_frame().await?;
            match frame.tag {
                b'd' => {}
                b'c' => {
                    self.ended = true;
                    return Ok(None);
                }
                b'N' => continue,
                b'E' => return Err(server_error(DURING, &frame)),
                other => return Err(unexpected(DURING, other)),
            }
            let mut body = Body::new(&frame.body, DURING);
            return match body.u8("copy data kind")? {
                b'w' => {
                    let wal_start = Lsn(body.u64("XLogData start")?);
                    let wal_end = Lsn(body.u64("XLogData end")?);
                    let server_time_us = to_unix_us(body.i64("XLogData time")?);
                    // 1 kind byte + 3 words: the rest is the plugin's message.
                    let data = frame.body.slice(25..);
                    Ok(Some(ReplicationMessage::XLogData {
                        wal_start,
                        wal_end,
                        server_time_us,
                        data,
                    }))
                }
                b'k' => Ok(Some(ReplicationMessage::Keepalive {
                    wal_end: Lsn(body.u64("keepalive end")?),
                    server_time_us: to_unix_us(body.i64("keepalive time")?),
                    reply_requested: body.u8("keepalive reply flag")? != 0,
                })),
                other => Err(PgError::protocol(
                    DURING,
                    format!("unknown CopyData kind '{}'", char::from(other)),
                )),
            };
        }
    }

    /// Sends a standby status update.
    pub async fn send_status(
        &mut self,
        status: StandbyStatus,
        reply_requested: bool,
    ) -> Result<(), PgError> {
        let now_us = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        let mut payload = [0u8; 34];
        let mut out = &mut payload[..];
        out.put_u8(b'r');
        out.put_u64(status.write.0);
        out.put_u64(status.flush.0);
        out.put_u64(status.apply.0);
        out.put_i64(now_us - PG_EPOCH_OFFSET_US);
        out.put_u8(u8::from(reply_requested));
        let wire = &mut self.session.wire;
        frontend::CopyData::new(&payload[..])
            .map_err(|e| PgError::protocol("standby status update", e.to_string()))?
            .write(wire.out());
        wire.flush().await
    }

    /// Ends the stream (CopyDone) and closes the session.
    pub async fn close(mut self) -> Result<(), PgError> {
        frontend::copy_done(self.session.wire.out());
        self.session.wire.flush().await?;
        self.session.close().await
    }
}

fn to_unix_us(pg_us: i64) -> i64 {
    pg_us.saturating_add(PG_EPOCH_OFFSET_US)
}

fn single_row<'a>(
    command: &str,
    rows: &'a [TextRow],
    columns: usize,
) -> Result<&'a TextRow, PgError> {
    match rows {
        [row] if row.len() >= columns => Ok(row),
        _ => Err(PgError::protocol(
            command,
            format!(
                "expected one row of {columns} columns, got {} rows",
                rows.len()
            ),
        )),
    }
}

fn text<'a>(command: &str, row: &'a TextRow, index: usize, name: &str) -> Result<&'a str, PgError> {
    row.get(index)
        .and_then(|v| v.as_deref())
        .ok_or_else(|| PgError::protocol(command, format!("column {name} is missing or NULL")))
}

fn lsn(command: &str, text: &str) -> Result<Lsn, PgError> {
    text.parse()
        .map_err(|e| PgError::protocol(command, format!("{e}")))
}

/// Quotes an identifier for a replication command (`"a""b"`).
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes a string literal (`'it''s'`); servers run with standard_conforming_strings.
pub(crate) fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_version_follows_server_version() {
        assert_eq!(pgoutput_protocol_for(10), 1);
        assert_eq!(pgoutput_protocol_for(13), 1);
        assert_eq!(pgoutput_protocol_for(14), 2);
        assert_eq!(pgoutput_protocol_for(15), 3);
        assert_eq!(pgoutput_protocol_for(16), 4);
        assert_eq!(pgoutput_protocol_for(18), 4);
    }

    #[test]
    fn options_quote_names_and_values() {
        let options = PgOutputOptions {
            proto_version: 3,
            publications: vec!["dbz_publication".into(), "we\"ird'pub".into()],
            messages: true,
            streaming: true,
        };
        assert_eq!(
            options.render(),
            "\"proto_version\" '3', \"publication_names\" '\"dbz_publication\",\"we\"\"ird''pub\"', \
             \"messages\" 'true', \"streaming\" 'on'"
        );
        let v1 = PgOutputOptions {
            proto_version: 1,
            ..options
        };
        assert!(
            !v1.render().contains("streaming"),
            "protocol 1 has no streaming option"
        );
    }
}
