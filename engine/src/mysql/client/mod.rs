//! The MySQL/MariaDB binlog client: start-up checks, replica registration, the binlog dump
//! from a file/position or a GTID position, and a reader task that forwards raw events to
//! a bounded channel with the Debezium-style offset of each, reconnecting after faults.
//!
//! ```text
//! check_server ─► (log_bin, ROW, FULL, PARTIAL_JSON, grants, purged?, same server?)
//!      │
//! start_binlog_reader ─► BinlogConnection (own wire) ─► COM_REGISTER_SLAVE, COM_BINLOG_DUMP[_GTID]
//!      │                      │ raw events
//!      ▼                      ▼
//!  BinlogReader.events ◄── reader task: BinlogDecoder (positions only) + PositionTracker
//! ```
//!
//! # Why our own dump connection, not `mysql_async::BinlogStream`
//! `mysql_async` 0.36 (`Conn::get_binlog_stream`, `src/conn/binlog_stream/mod.rs`) was read
//! line by line. It can start from a file/position and a MySQL GTID set, and a MariaDB GTID
//! start would work too (session variables can be set on the `Conn` before the request). But:
//! - it yields `mysql_common` 0.35 `Event`s, not the packet bytes; the raw event can only be
//!   re-serialised (`Event::write`), which *recomputes* the checksum of FORMAT_DESCRIPTION —
//!   the bytes the decoder's CRC32 check would see are not the bytes that crossed the wire;
//! - parsing runs inside its `Stream::poll_next` through mysql_common 0.35's `Event::read`,
//!   which panics on a short event (`read_exact(..).unwrap()`, `data.len() - 4`), and it
//!   decompresses a TRANSACTION_PAYLOAD without a size cap (`danger_decompress`) — a panic
//!   or an unbounded allocation on bytes from the server, which our rules forbid;
//! - `register_as_slave` sends `SET @master_binlog_checksum='ALL'` itself, which is not a
//!   checksum name (MariaDB's `get_binlog_checksum_value_at_connect` maps an unknown name to
//!   "undefined"), overriding the `= @@global.binlog_checksum` the protocol expects;
//! - it has no heartbeat period setting, and its packet API (`read_packet`,
//!   `write_command`) is `pub(crate)`, so the dump cannot be driven over its connection.
//!
//! So the dump runs on a small client of its own ([`wire`](self)): the v10 handshake with
//! `mysql_native_password` (MariaDB's default; SHA-1 is implemented there because the engine
//! has no SHA-1 dependency), `COM_QUERY` for the session variables, `COM_REGISTER_SLAVE`
//! and the dump commands, and packet reassembly for events over 16 MiB. The events go to
//! the pipeline as the exact bytes received. `mysql_async` still runs every start-up query
//! (text protocol, result sets, prepared statements), where it is a good fit. Not supported
//! on the dump connection yet: TLS, `caching_sha2_password` (MySQL 8's default — use
//! `mysql_native_password` for the connector's user), MariaDB `ed25519`. A newer
//! `mysql_async` would not change this: 0.36 is the latest with the same binlog API.
//!
//! # Why raw bytes cross the channel
//! The reader decodes every event with [`BinlogDecoder`](tributary_decoders::binlog::BinlogDecoder)
//! — only to find transaction boundaries, GTIDs and positions, and to verify CRC32s — and
//! forwards the raw bytes. Row values depend on the table schema in force at the event
//! (signedness on MariaDB, [`BinlogDecoder::set_unsigned_columns`]), which the schema history
//! downstream learns from the DDL events *in the same stream*; decoding rows here, ahead of
//! the history, would use the wrong schema. The pipeline runs its own decoder over the
//! forwarded events (which include the artificial ROTATE and the FORMAT_DESCRIPTION), and
//! row decoding is lazy, so the second decode costs little.
//!
//! [`BinlogDecoder::set_unsigned_columns`]: tributary_decoders::binlog::BinlogDecoder::set_unsigned_columns
//!
//! # Session set-up (MariaDB `sql/sql_repl.cc`, MySQL `rpl_binlog_sender.cc`)
//! - `SET @master_binlog_checksum = @@global.binlog_checksum`: declares the replica
//!   checksum-aware, so events keep their CRC32 (and the artificial ROTATE gets one too);
//!   without it a checksumming server refuses the dump.
//! - `SET @master_heartbeat_period = <ns>`: an idle server sends HEARTBEAT events; no packet
//!   within twice the period (plus a second) counts as a dead connection (transient).
//! - MariaDB: `SET @mariadb_slave_capability = 4` (`MARIA_SLAVE_CAPABILITY_GTID`) so GTID
//!   events arrive as such; for a GTID start, `SET @slave_connect_state = '<d-s-n,…>'` and
//!   `COM_BINLOG_DUMP` with an empty file name at position 4.
//! - MySQL GTID start: `COM_BINLOG_DUMP_GTID` with `BINLOG_THROUGH_GTID` and the encoded set
//!   (built and unit-tested for its bytes; **not tested against a MySQL server**, none is
//!   available here).
//! - `COM_REGISTER_SLAVE` with `database.server.id`: a second dump with the same id makes
//!   the server end the older one.
//!
//! # Resumption
//! Offsets follow Debezium's MySQL offsets (see [`BinlogOffset`] and `offset.rs`): `file`
//! and `pos` are the restart position (the current transaction's start), `gtids` the
//! completed set, `event` the events of the current transaction to skip. After a transient
//! fault the reader reconnects with backoff and restarts from the offset of the *last event
//! it forwarded*, skipping the transaction's events it already forwarded. The channel
//! survives the reconnect and everything in it reaches the pipeline, so this is the same as
//! resuming from what the pipeline processed, without duplicates or gaps. After a process
//! restart, pass the last offset stored in Kafka as the start: the pipeline's `event`/`row`
//! counts make the reader skip what was already delivered.
//!
//! # Server identity
//! Debezium's `server_id` key is the originating server of the last event; Tributary
//! records the connected server's `@@server_id` there (the same on a primary), plus
//! `server_uuid` on MySQL, so a file/position offset can be checked against the server —
//! see `preflight.rs`.

mod config;
mod error;
mod gtid;
mod offset;
mod preflight;
mod reader;
mod retention;
mod wire;

pub use config::{BinlogReaderConfig, MySqlConnectOptions};
pub use error::{MySqlError, PreflightError};
pub use gtid::{MariaDbGtidPosition, MySqlGtidSet};
pub use offset::BinlogOffset;
pub use preflight::{CheckedStart, Flavor, ServerInfo, check_server, current_position};
pub use reader::{BinlogEvent, BinlogReader, start_binlog_reader};
pub use retention::spawn_files_behind;
