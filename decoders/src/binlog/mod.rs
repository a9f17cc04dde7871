//! MySQL/MariaDB binlog events (row-based replication).
//!
//! [`BinlogDecoder`] is fed one raw event at a time — the 19-byte common header, the body and,
//! when `binlog_checksum=CRC32`, the 4-byte CRC32 — exactly as a binlog file stores it or as a
//! replication packet carries it after its OK byte. It keeps the state later events need
//! (FORMAT_DESCRIPTION, the current file name, table maps by table id) and yields [`Event`]s:
//! transaction boundaries, DDL, table maps, rows, rotations, heartbeats, or
//! [`EventData::Ignored`] for events that cannot carry row data. Rows are decoded lazily by
//! [`RowsEvent::rows`] into [`ColumnValue`]s that borrow the event's bytes.
//!
//! # What mysql_common covers and what we add
//! `mysql_common` 0.38 (feature `binlog`) was studied line by line; this is what it does and
//! how this module uses it.
//!
//! **Event framing.** `EventStreamReader`/`Event::read` read the header, keep the
//! FORMAT_DESCRIPTION and a table-map cache, and strip the checksum trailer — but *never verify
//! the CRC32* (it only offers `Event::calc_checksum`), and `Event::read` panics on short input
//! (`read_exact(..).unwrap()`, and `data.len() - 4` on an event shorter than its checksum).
//! We do the framing ourselves (length checks, CRC32 with `crc32fast`, the FORMAT_DESCRIPTION
//! rule that the in-use flag is cleared before its checksum) and hand mysql_common only
//! validated bodies, through its public `ParseBuf` + `BinlogCtx` deserializers.
//!
//! **Events it parses, which we use:** FORMAT_DESCRIPTION (post-header lengths), QUERY
//! (schema, statement), XID, ROTATE, MySQL GTID *and* tagged GTID (MySQL 8.4,
//! `GTID_TAGGED_LOG_EVENT`), TRANSACTION_PAYLOAD (header and a streaming zstd reader; we read
//! it to the end, capped at 1 GiB, and decode the inner events — never skipped).
//! It also parses ANONYMOUS_GTID, PREVIOUS_GTIDS, INTVAR, RAND, USER_VAR, ROWS_QUERY,
//! INCIDENT and LOAD-family events; we need none of their fields.
//!
//! **Not in mysql_common, added here:** every MariaDB event (codes 160+: GTID
//! `domain-server-seq` with the standalone flag, GTID_LIST, ANNOTATE_ROWS, BINLOG_CHECKPOINT,
//! START_ENCRYPTION, and the `log_bin_compress` zlib-compressed QUERY and v1/v2 rows events),
//! MySQL HEARTBEAT_V2, statement classification (BEGIN/COMMIT/ROLLBACK/XA vs DDL vs DML —
//! DML in a QUERY event is an error: `binlog_format` must be ROW), and the rule that an unknown
//! event type is ignored only when its header has `LOG_EVENT_IGNORABLE_F`.
//!
//! **TABLE_MAP.** mysql_common's `TableMapEvent` parses it, with an optional-metadata iterator
//! (signedness, charsets, column names, ENUM/SET labels, geometry types, primary key,
//! visibility). We parse TABLE_MAP ourselves ([`TableMap`]): its per-column metadata lookup
//! walks all earlier columns (quadratic, on an event that precedes every transaction), and its
//! optional-metadata iterator counts `YEAR` as numeric and `GEOMETRY` as non-character, unlike
//! the server, so signedness/charset flags shift onto the wrong column in tables that have them.
//!
//! **Rows events.** mysql_common's `RowsEvent` covers v1, v2 and PARTIAL_UPDATE_ROWS (shared
//! image with JSON diffs); its `BinlogRow` decoder re-parses the TABLE_MAP optional metadata
//! and allocates a `Column` per value *for every row*, and indexes column metadata with `[]`
//! (a panic on a malformed TABLE_MAP). We read the rows header and the row images ourselves
//! ([`RowsEvent::rows`]); a partial JSON diff is reported as unsupported
//! (`binlog_row_value_options=''` avoids it), as Debezium requires.
//!
//! **Values** (`BinlogValue`), type by type, and what we do:
//! - `TINYINT`..`BIGINT`: correct, signedness from the caller's flag → decoded here (trivial)
//!   with the signedness resolved per column (below).
//! - `DECIMAL`: exact, via `decimal::Decimal::read_bin` → **used**, after checking
//!   `scale <= precision <= 65` (it subtracts `precision - scale` unchecked).
//! - `FLOAT`/`DOUBLE`, `BIT`, `ENUM` (index), `SET` (mask), `DATE`: correct; decoded here
//!   as plain numbers instead of going through `mysql_common::Value`.
//! - `YEAR`: renders 0 as `"1900"`; the zero year is 0 → decoded here.
//! - `TIME(fsp)`: negative values with fsp 1–2 compute the fraction in `u32`
//!   (`frac -= 0x100`): a panic under overflow checks, a wrong value without → decoded here
//!   (`time2`), keeping >24 h and negative durations.
//! - `DATETIME(fsp)`: correct, zero dates kept → **used** (`misc::my_datetime_packed_from_binary`).
//! - `TIMESTAMP(fsp)`: rendered as text `"secs.micros"` with seconds read as `i32` → read here.
//! - strings/blobs/geometry: copied into `Vec`s → borrowed here. The binlog has no charset in
//!   the row; `CHAR` arrives without trailing spaces. Text vs binary and the charset come from
//!   optional metadata (MySQL) or the caller's schema.
//! - `JSON` (MySQL binary): `jsonb::Value` → `JsonDom` → `serde_json` → **used** for JSON text.
//!   Keys come out sorted lexicographically (MySQL stores them by length, then bytes) and JSON
//!   decimals as strings. MariaDB's `JSON` is `LONGTEXT` and arrives as bytes.
//!
//! **Signedness.** MySQL 8 writes SIGNEDNESS optional metadata by default
//! (`binlog_row_metadata=MINIMAL` includes it); MariaDB 10.11 writes no optional metadata unless
//! `binlog_row_metadata=FULL`. When neither the event nor the caller
//! ([`BinlogDecoder::set_unsigned_columns`]) gives a column's signedness, integers decode to
//! [`ColumnValue::IntUnknownSign`] — never a silent guess.
//!
//! **Panics in mysql_common found by the property test** (`tests/binlog_proptest.rs`, before
//! the guards existed): `Decimal::read_bin` overflows (`x *= POWERS_10[..]`) on out-of-range
//! digit groups, and `TransactionPayloadEvent` unwraps an unknown compression type
//! (`UnknownTransactionPayloadCompressionType`) and skips unknown header fields unchecked. We
//! validate DECIMAL digit groups and the payload header before calling them; every other call
//! gets validated lengths. Not guarded: binary-JSON nesting depth (recursive; the server caps
//! it at 100, and CRC32 protects the bytes).
//!
//! # Typed values
//! [`RowConverter`] turns a decoded row image into the shared [`tributary_envelope::Value`]s,
//! given each column's definition from the caller's schema history ([`ColumnSpec`]): charset,
//! signedness, ENUM/SET labels, `BIT` width; see `convert.rs` for Debezium's rules (zero
//! dates, `TIMESTAMP` as a UTC instant, geometry SRID).
//!
//! # Transactions
//! MySQL: `GTID` (or `ANONYMOUS_GTID`), `QUERY BEGIN`, table maps and rows, `XID`.
//! MariaDB: `MARIADB_GTID`, `QUERY BEGIN`, …, `XID` (or `QUERY COMMIT` for non-transactional
//! engines); a standalone DDL is `MARIADB_GTID` (standalone) then its QUERY, with no COMMIT.
//! With `binlog_transaction_compression=ON`, MySQL puts everything after the GTID into one
//! TRANSACTION_PAYLOAD; [`BinlogDecoder::decode`] returns its inner events in order.

mod convert;
mod cursor;
mod decoder;
mod error;
mod event_type;
mod rows;
mod table;
mod text;
mod value;

pub use convert::{
    Charset, CharsetKind, ColumnCountMismatch, ColumnKind, ColumnSpec, IntegerType,
    RowConvertError, RowConverter, ValueConvertError, convert_value,
};
pub use decoder::{
    BinlogDecoder, ChecksumAlgorithm, Event, EventData, EventHeader, Events, Gtid, HEADER_LEN,
};
pub use error::{BinlogError, ColumnError, Position};
pub use event_type::EventTypeName;
pub use rows::{Row, RowChange, Rows, RowsEvent, RowsKind};
pub use table::{ColumnInfo, ColumnType, TableMap};
pub use text::parse_text;
pub use value::{ColumnValue, Date, DateTime, Time};

/// The 4 bytes every binlog file starts with, before its first event.
pub const BINLOG_MAGIC: [u8; 4] = [0xfe, b'b', b'i', b'n'];
