//! [`BinlogDecoder`]: raw event bytes in, typed [`Event`]s out.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::sync::Arc;

use mysql_common::binlog::BinlogCtx;
use mysql_common::binlog::consts::BinlogVersion;
use mysql_common::binlog::events::{
    FormatDescriptionEvent, GtidEvent, QueryEvent, RotateEvent, TransactionPayloadEvent, XidEvent,
};
use mysql_common::io::ParseBuf;
use mysql_common::proto::MyDeserialize;

use super::cursor::Cursor;
use super::error::{BinlogError, Position};
use super::event_type::{self as et, EventTypeName};
use super::rows::{RowsEvent, RowsHeader, RowsKind};
use super::table::TableMap;

/// Length of the common event header (binlog version 4).
pub const HEADER_LEN: usize = 19;
/// Length of the CRC32 trailer.
const CHECKSUM_LEN: usize = 4;
/// Header flag `LOG_EVENT_BINLOG_IN_USE_F`: set in the FORMAT_DESCRIPTION of a file still
/// being written, and cleared before its checksum is computed.
const BINLOG_IN_USE: u16 = 0x1;
/// Header flag `LOG_EVENT_IGNORABLE_F`: a replica that does not know the event may skip it.
const IGNORABLE_FLAG: u16 = 0x80;
/// Cap on a decompressed TRANSACTION_PAYLOAD or MariaDB compressed event, so a corrupt size
/// field cannot exhaust memory. MySQL's own cap on a transaction payload is 1 GiB
/// (`binlog_transaction_compression` uses `max_allowed_packet`, at most 1 GiB).
const MAX_DECOMPRESSED: u64 = 1 << 30;

/// How events are checksummed (`binlog_checksum`), as announced by FORMAT_DESCRIPTION.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChecksumAlgorithm {
    /// No trailer.
    None,
    /// A 4-byte CRC32 trailer on every event.
    Crc32,
}

/// The common header of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventHeader {
    /// Seconds since the Unix epoch when the statement started (Debezium's `ts_ms` / 1000).
    pub timestamp: u32,
    /// Event type code.
    pub event_type: u8,
    /// Server id of the server that originally wrote the event.
    pub server_id: u32,
    /// Size of the event, header and checksum included.
    pub event_size: u32,
    /// Offset just past this event in its binlog file: the position to resume from (0 for
    /// events inside a TRANSACTION_PAYLOAD and for artificial events).
    pub log_pos: u32,
    /// Header flags.
    pub flags: u16,
}

impl EventHeader {
    fn parse(raw: &[u8]) -> Option<Self> {
        let mut c = Cursor::new(raw);
        Some(Self {
            timestamp: c.u32_le()?,
            event_type: c.u8()?,
            server_id: c.u32_le()?,
            event_size: c.u32_le()?,
            log_pos: c.u32_le()?,
            flags: c.u16_le()?,
        })
    }
}

/// A global transaction id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Gtid {
    /// MySQL: `source_uuid[:tag]:transaction_id`.
    MySql {
        /// The originating server's UUID.
        source_id: [u8; 16],
        /// The GTID tag (MySQL 8.4+), if any.
        tag: Option<String>,
        /// Transaction number (GNO).
        transaction_id: u64,
    },
    /// MariaDB: `domain-server-sequence`.
    MariaDb {
        /// Replication domain (`gtid_domain_id`).
        domain_id: u32,
        /// Originating server id (from the event header).
        server_id: u32,
        /// Sequence number within the domain.
        sequence: u64,
        /// `FL_STANDALONE`: a single statement (DDL) with no BEGIN/COMMIT around it; the
        /// transaction ends after the next event.
        standalone: bool,
    },
}

impl fmt::Display for Gtid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MySql {
                source_id: u,
                tag,
                transaction_id,
            } => {
                for (i, b) in u.iter().enumerate() {
                    if matches!(i, 4 | 6 | 8 | 10) {
                        f.write_str("-")?;
                    }
                    write!(f, "{b:02x}")?;
                }
                if let Some(tag) = tag {
                    write!(f, ":{tag}")?;
                }
                write!(f, ":{transaction_id}")
            }
            Self::MariaDb {
                domain_id,
                server_id,
                sequence,
                ..
            } => write!(f, "{domain_id}-{server_id}-{sequence}"),
        }
    }
}

/// What an event means to Tributary.
#[derive(Debug, Clone)]
pub enum EventData<'a> {
    /// FORMAT_DESCRIPTION: the start of a binlog file (or of a replication stream).
    FormatDescription {
        /// The writing server's version string.
        server_version: String,
        /// The checksum algorithm of the following events.
        checksum: ChecksumAlgorithm,
    },
    /// A transaction begins with this GTID (MySQL GTID or MariaDB GTID event).
    Gtid(Gtid),
    /// MySQL with `gtid_mode=OFF`: a transaction begins, without a GTID.
    AnonymousGtid,
    /// A `BEGIN` QUERY event.
    Begin,
    /// The transaction commits: an XID event (`xid` set) or a `COMMIT` QUERY event.
    Commit {
        /// The XA/InnoDB transaction id of an XID event.
        xid: Option<u64>,
    },
    /// A `ROLLBACK` QUERY event (a transaction that touched non-transactional tables).
    Rollback,
    /// An `XA START/END/PREPARE/COMMIT/ROLLBACK` statement; the caller decides.
    Xa {
        /// The statement.
        statement: String,
    },
    /// A DDL (or other non-DML) statement.
    Ddl {
        /// The session's default schema when it ran (may be empty).
        schema: String,
        /// The statement text.
        statement: String,
    },
    /// A TABLE_MAP: the table id is now bound to this layout.
    TableMap(Arc<TableMap>),
    /// Changed rows.
    Rows(RowsEvent<'a>),
    /// The statement that produced the following rows (MySQL ROWS_QUERY with
    /// `binlog_rows_query_log_events`, MariaDB ANNOTATE_ROWS with `binlog_annotate_row_events`).
    RowsQuery(String),
    /// ROTATE: continue in `next_file` at `position`.
    Rotate {
        /// The next binlog file.
        next_file: String,
        /// The offset to continue from in it.
        position: u64,
    },
    /// A heartbeat from an idle server; the header's `log_pos` is the current position.
    Heartbeat {
        /// The current binlog file, when the event says it.
        file: Option<String>,
    },
    /// An event that cannot carry row data and that Tributary does not need.
    Ignored,
}

/// One decoded event.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// The common header.
    pub header: EventHeader,
    /// Where it starts (for events inside a TRANSACTION_PAYLOAD: where the payload starts).
    pub position: Position,
    /// What it means.
    pub data: EventData<'a>,
}

impl Event<'_> {
    /// A `'static` copy.
    pub fn into_owned(self) -> Event<'static> {
        Event {
            header: self.header,
            position: self.position,
            data: match self.data {
                EventData::Rows(rows) => EventData::Rows(rows.into_owned()),
                EventData::FormatDescription {
                    server_version,
                    checksum,
                } => EventData::FormatDescription {
                    server_version,
                    checksum,
                },
                EventData::Gtid(g) => EventData::Gtid(g),
                EventData::AnonymousGtid => EventData::AnonymousGtid,
                EventData::Begin => EventData::Begin,
                EventData::Commit { xid } => EventData::Commit { xid },
                EventData::Rollback => EventData::Rollback,
                EventData::Xa { statement } => EventData::Xa { statement },
                EventData::Ddl { schema, statement } => EventData::Ddl { schema, statement },
                EventData::TableMap(t) => EventData::TableMap(t),
                EventData::RowsQuery(q) => EventData::RowsQuery(q),
                EventData::Rotate {
                    next_file,
                    position,
                } => EventData::Rotate {
                    next_file,
                    position,
                },
                EventData::Heartbeat { file } => EventData::Heartbeat { file },
                EventData::Ignored => EventData::Ignored,
            },
        }
    }
}

/// The events one raw event decodes to: one, or for a TRANSACTION_PAYLOAD the events inside it.
#[derive(Debug)]
pub enum Events<'a> {
    /// A single event.
    One(Option<Event<'a>>),
    /// The events of a TRANSACTION_PAYLOAD, in order.
    Many(std::vec::IntoIter<Event<'a>>),
}

impl<'a> Iterator for Events<'a> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        match self {
            Self::One(e) => e.take(),
            Self::Many(it) => it.next(),
        }
    }
}

/// Decodes binlog events one at a time, keeping the state that later events need: the
/// FORMAT_DESCRIPTION (checksum algorithm, post-header lengths), the current file name, and
/// the table maps by table id.
#[derive(Debug)]
pub struct BinlogDecoder {
    fde: FormatDescriptionEvent<'static>,
    checksum: ChecksumAlgorithm,
    verify_checksums: bool,
    file: Option<Arc<str>>,
    tables: HashMap<u64, Arc<TableMap>>,
    unsigned: HashMap<(String, String), Arc<[bool]>>,
}

impl Default for BinlogDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl BinlogDecoder {
    /// A decoder expecting a FORMAT_DESCRIPTION first; until one arrives, events are taken to
    /// have no checksum (see [`Self::set_checksum_algorithm`]).
    pub fn new() -> Self {
        Self {
            fde: FormatDescriptionEvent::new(BinlogVersion::Version4),
            checksum: ChecksumAlgorithm::None,
            verify_checksums: true,
            file: None,
            tables: HashMap::new(),
            unsigned: HashMap::new(),
        }
    }

    /// Sets the checksum algorithm of events that arrive before the next FORMAT_DESCRIPTION:
    /// a replication stream starts with an artificial ROTATE that is checksummed as
    /// `@master_binlog_checksum` says.
    pub fn set_checksum_algorithm(&mut self, algorithm: ChecksumAlgorithm) {
        self.checksum = algorithm;
    }

    /// Turns CRC32 verification off (it is on by default). The trailer is still removed.
    pub fn set_verify_checksums(&mut self, verify: bool) {
        self.verify_checksums = verify;
    }

    /// Names the binlog file being read, for positions in events and errors. ROTATE events
    /// set it too.
    pub fn set_file(&mut self, file: &str) {
        self.file = Some(Arc::from(file));
    }

    /// The binlog file being read, if known.
    pub fn file(&self) -> Option<&str> {
        self.file.as_deref()
    }

    /// Supplies the signedness of `schema`.`table`'s columns (`true` = UNSIGNED, in table
    /// order) from the caller's schema history. Used when a TABLE_MAP does not carry
    /// signedness itself (MariaDB by default); replaces any earlier call for the table.
    pub fn set_unsigned_columns(&mut self, schema: &str, table: &str, unsigned: &[bool]) {
        let flags: Arc<[bool]> = Arc::from(unsigned);
        for map in self.tables.values_mut() {
            if map.schema == schema && map.table == table && !map.signedness_from_event {
                *map = Arc::new(apply_unsigned(TableMap::clone(map), &flags));
            }
        }
        self.unsigned
            .insert((schema.to_owned(), table.to_owned()), flags);
    }

    /// The table map currently bound to `table_id`.
    pub fn table(&self, table_id: u64) -> Option<&Arc<TableMap>> {
        self.tables.get(&table_id)
    }

    /// Decodes one event: the 19-byte header, the body and (when the binlog is checksummed)
    /// the 4-byte CRC32 — as read from a binlog file, or as received after a replication
    /// packet's OK byte.
    pub fn decode<'a>(&mut self, raw: &'a [u8]) -> Result<Events<'a>, BinlogError> {
        let event_type = EventTypeName(raw.get(4).copied().unwrap_or(0));
        let header = EventHeader::parse(raw).ok_or_else(|| BinlogError::Malformed {
            at: self.position(0, 0),
            event_type,
            detail: format!(
                "{} bytes, shorter than the {HEADER_LEN}-byte header",
                raw.len()
            ),
        })?;
        let at = self.position(header.log_pos, header.event_size);
        if usize::try_from(header.event_size).ok() != Some(raw.len()) {
            return Err(BinlogError::Malformed {
                at,
                event_type,
                detail: format!(
                    "header says {} bytes, {} bytes given",
                    header.event_size,
                    raw.len()
                ),
            });
        }
        let checksummed = header.event_type != et::FORMAT_DESCRIPTION
            && self.checksum == ChecksumAlgorithm::Crc32;
        let body = if checksummed {
            let split = raw
                .len()
                .checked_sub(CHECKSUM_LEN)
                .filter(|&s| s >= HEADER_LEN);
            let Some((content, trailer)) = split.and_then(|s| raw.split_at_checked(s)) else {
                return Err(BinlogError::Malformed {
                    at,
                    event_type,
                    detail: "too short to hold its CRC32".to_owned(),
                });
            };
            if self.verify_checksums {
                verify_crc(content, trailer, &at, event_type)?;
            }
            content.get(HEADER_LEN..).unwrap_or_default()
        } else {
            raw.get(HEADER_LEN..).unwrap_or_default()
        };
        if header.event_type == et::TRANSACTION_PAYLOAD {
            return self
                .payload(header, body, at)
                .map(|v| Events::Many(v.into_iter()));
        }
        let data = if header.event_type == et::FORMAT_DESCRIPTION {
            self.format_description(raw, &header, &at)?
        } else {
            self.body(&header, body, &at, false)?
        };
        Ok(Events::One(Some(Event {
            header,
            position: at,
            data,
        })))
    }

    fn position(&self, log_pos: u32, event_size: u32) -> Position {
        Position {
            file: self.file.clone(),
            offset: u64::from(log_pos.saturating_sub(event_size)),
        }
    }

    fn ctx<'s>(&'s self, body: &'s [u8], event_type: u8) -> BinlogCtx<'s> {
        BinlogCtx::new(HEADER_LEN + body.len(), &self.fde, event_type)
    }

    /// Post-header length the FORMAT_DESCRIPTION announces for `event_type` (0 if unlisted).
    fn post_header_len(&self, event_type: u8) -> u8 {
        usize::from(event_type)
            .checked_sub(1)
            .and_then(|i| self.fde.event_type_header_lengths().get(i).copied())
            .unwrap_or(0)
    }

    /// Table ids are 6 bytes, 4 on pre-5.1.4 servers (whose TABLE_MAP post-header is 6).
    fn table_id_len(&self) -> usize {
        if self.post_header_len(et::TABLE_MAP) == 6 {
            4
        } else {
            6
        }
    }

    fn format_description(
        &mut self,
        raw: &[u8],
        header: &EventHeader,
        at: &Position,
    ) -> Result<EventData<'static>, BinlogError> {
        let event_type = EventTypeName(et::FORMAT_DESCRIPTION);
        let malformed = |detail: String| BinlogError::Malformed {
            at: at.clone(),
            event_type,
            detail,
        };
        let body = raw.get(HEADER_LEN..).unwrap_or_default();
        // binlog_version(2) server_version(50) create_timestamp(4) header_length(1) ...
        let version_bytes = body
            .get(2..52)
            .ok_or_else(|| malformed("truncated".into()))?;
        let version_end = version_bytes.iter().position(|&b| b == 0).unwrap_or(50);
        let server_version =
            String::from_utf8_lossy(version_bytes.get(..version_end).unwrap_or_default())
                .into_owned();
        // Servers since 5.6.1 end the event with the checksum algorithm byte and a checksum
        // (always present on FORMAT_DESCRIPTION, WL#2540).
        let (payload, checksum) = if has_checksum_footer(&server_version) {
            let alg_at = raw
                .len()
                .checked_sub(CHECKSUM_LEN + 1)
                .filter(|&i| i >= HEADER_LEN + 57)
                .ok_or_else(|| malformed("too short for its checksum footer".into()))?;
            let alg = raw.get(alg_at).copied().unwrap_or(0);
            let checksum = match alg {
                0 => ChecksumAlgorithm::None,
                1 => ChecksumAlgorithm::Crc32,
                other => {
                    return Err(BinlogError::Unsupported {
                        at: at.clone(),
                        event_type,
                        detail: format!("checksum algorithm {other}"),
                        hint: "set binlog_checksum to CRC32 or NONE",
                    });
                }
            };
            if checksum == ChecksumAlgorithm::Crc32 && self.verify_checksums {
                let (content, trailer) = raw
                    .split_at_checked(alg_at + 1)
                    .ok_or_else(|| malformed("truncated".into()))?;
                // The in-use flag is cleared when the file is closed, so the checksum is
                // computed as if it were clear.
                let mut hasher = crc32fast::Hasher::new();
                let flags = (header.flags & !BINLOG_IN_USE).to_le_bytes();
                hasher.update(content.get(..17).unwrap_or_default());
                hasher.update(&flags);
                hasher.update(content.get(HEADER_LEN..).unwrap_or_default());
                check(hasher.finalize(), trailer, at, event_type)?;
            }
            (
                body.get(..alg_at - HEADER_LEN).unwrap_or_default(),
                checksum,
            )
        } else {
            (body, ChecksumAlgorithm::None)
        };
        let fde: FormatDescriptionEvent<'_> = ParseBuf(payload)
            .parse(self.ctx(payload, et::FORMAT_DESCRIPTION))
            .map_err(|e| malformed(e.to_string()))?;
        if fde.event_header_length() != HEADER_LEN as u8 {
            return Err(BinlogError::Unsupported {
                at: at.clone(),
                event_type,
                detail: format!("event header length {}", fde.event_header_length()),
                hint: "only binlog version 4 (MySQL 5.0+, MariaDB) is supported",
            });
        }
        self.fde = fde.into_owned();
        self.checksum = checksum;
        Ok(EventData::FormatDescription {
            server_version,
            checksum,
        })
    }

    /// Decodes a TRANSACTION_PAYLOAD (MySQL 8.0.20+ `binlog_transaction_compression`): the
    /// whole transaction's events, zstd-compressed, without checksums (WL#3549).
    fn payload(
        &mut self,
        header: EventHeader,
        body: &[u8],
        at: Position,
    ) -> Result<Vec<Event<'static>>, BinlogError> {
        let event_type = EventTypeName(et::TRANSACTION_PAYLOAD);
        let malformed = |detail: String| BinlogError::Malformed {
            at: at.clone(),
            event_type,
            detail,
        };
        // mysql_common unwraps the compression type and skips unknown fields unchecked: a
        // corrupt header would panic inside it, so the header is validated here first.
        validate_payload_header(body).map_err(|d| malformed(d.to_owned()))?;
        let event: TransactionPayloadEvent<'_> = ParseBuf(body)
            .parse(self.ctx(body, et::TRANSACTION_PAYLOAD))
            .map_err(|e| malformed(e.to_string()))?;
        if event.uncompressed_size() > MAX_DECOMPRESSED {
            return Err(malformed(format!(
                "uncompressed size {} over the 1 GiB limit",
                event.uncompressed_size()
            )));
        }
        let mut inner = Vec::new();
        event
            .decompressed()
            .and_then(|r| r.take(MAX_DECOMPRESSED + 1).read_to_end(&mut inner))
            .map_err(|e| malformed(format!("decompression failed: {e}")))?;
        let mut events = Vec::new();
        let mut rest = inner.as_slice();
        while !rest.is_empty() {
            let size = EventHeader::parse(rest)
                .and_then(|h| usize::try_from(h.event_size).ok())
                .filter(|&s| s >= HEADER_LEN)
                .ok_or_else(|| malformed("truncated inner event header".into()))?;
            let (raw, tail) = rest
                .split_at_checked(size)
                .ok_or_else(|| malformed("truncated inner event".into()))?;
            rest = tail;
            let inner_header =
                EventHeader::parse(raw).ok_or_else(|| malformed("inner header".into()))?;
            if matches!(
                inner_header.event_type,
                et::TRANSACTION_PAYLOAD | et::FORMAT_DESCRIPTION
            ) {
                return Err(malformed(format!(
                    "{} inside a transaction payload",
                    EventTypeName(inner_header.event_type)
                )));
            }
            let data = self.body(
                &inner_header,
                raw.get(HEADER_LEN..).unwrap_or_default(),
                &at,
                true,
            )?;
            events.push(
                Event {
                    header: inner_header,
                    position: at.clone(),
                    data,
                }
                .into_owned(),
            );
        }
        let _ = header;
        Ok(events)
    }

    /// Decodes the body (post-header and payload, checksum removed) of any event but
    /// FORMAT_DESCRIPTION and TRANSACTION_PAYLOAD.
    fn body<'a>(
        &mut self,
        header: &EventHeader,
        body: &'a [u8],
        at: &Position,
        in_payload: bool,
    ) -> Result<EventData<'a>, BinlogError> {
        let t = header.event_type;
        let event_type = EventTypeName(t);
        let malformed = |detail: String| BinlogError::Malformed {
            at: at.clone(),
            event_type,
            detail,
        };
        let statement_based = |what: &str| BinlogError::StatementBasedDml {
            at: at.clone(),
            schema: String::new(),
            statement_start: what.to_owned(),
        };
        Ok(match t {
            et::QUERY => {
                let q: QueryEvent<'_> = self.parse_mc(body, t, at)?;
                classify_query(&q.schema(), &q.query(), at)?
            }
            et::MARIADB_QUERY_COMPRESSED => {
                let (schema, query) = mariadb_compressed_query(body).map_err(malformed)?;
                classify_query(&schema, &query, at)?
            }
            et::XID => {
                let x: XidEvent = self.parse_mc(body, t, at)?;
                EventData::Commit { xid: Some(x.xid) }
            }
            et::GTID | et::GTID_TAGGED => {
                let g: GtidEvent = self.parse_mc(body, t, at)?;
                EventData::Gtid(Gtid::MySql {
                    source_id: g.sid(),
                    tag: g.tag().map(|t| t.to_string()),
                    transaction_id: g.gno(),
                })
            }
            et::ANONYMOUS_GTID => EventData::AnonymousGtid,
            et::MARIADB_GTID => {
                // seq_no(8) domain_id(4) flags2(1) [...]: MariaDB log_event.h Gtid_log_event.
                let mut c = Cursor::new(body);
                let (Some(sequence), Some(domain_id), Some(flags)) =
                    (c.u64_le(), c.u32_le(), c.u8())
                else {
                    return Err(malformed("truncated".into()));
                };
                EventData::Gtid(Gtid::MariaDb {
                    domain_id,
                    server_id: header.server_id,
                    sequence,
                    standalone: flags & 1 != 0,
                })
            }
            et::ROTATE => {
                let r: RotateEvent<'_> = self.parse_mc(body, t, at)?;
                let (next_file, position) = (r.name().into_owned(), r.position());
                self.file = Some(Arc::from(next_file.as_str()));
                // Table ids are reassigned freely across files; no transaction spans a rotate.
                self.tables.clear();
                EventData::Rotate {
                    next_file,
                    position,
                }
            }
            et::HEARTBEAT => EventData::Heartbeat {
                file: Some(String::from_utf8_lossy(body).into_owned()),
            },
            et::HEARTBEAT_V2 => EventData::Heartbeat { file: None },
            et::TABLE_MAP => {
                let mut map = TableMap::parse(body, self.table_id_len()).map_err(malformed)?;
                if !map.signedness_from_event
                    && let Some(flags) = self.unsigned.get(&(map.schema.clone(), map.table.clone()))
                {
                    map = apply_unsigned(map, flags);
                }
                let map = Arc::new(map);
                self.tables.insert(map.table_id, Arc::clone(&map));
                EventData::TableMap(map)
            }
            et::WRITE_ROWS_V1
            | et::UPDATE_ROWS_V1
            | et::DELETE_ROWS_V1
            | et::WRITE_ROWS
            | et::UPDATE_ROWS
            | et::DELETE_ROWS
            | et::PARTIAL_UPDATE_ROWS
            | et::MARIADB_WRITE_ROWS_COMPRESSED_V1
            | et::MARIADB_UPDATE_ROWS_COMPRESSED_V1
            | et::MARIADB_DELETE_ROWS_COMPRESSED_V1
            | et::MARIADB_WRITE_ROWS_COMPRESSED
            | et::MARIADB_UPDATE_ROWS_COMPRESSED
            | et::MARIADB_DELETE_ROWS_COMPRESSED => self.rows(t, body, at)?,
            et::ROWS_QUERY => {
                // One length byte (ignored: the text may be longer than 255) then the text.
                EventData::RowsQuery(String::from_utf8_lossy(body.get(1..).unwrap_or_default()).into_owned())
            }
            et::MARIADB_ANNOTATE_ROWS => {
                EventData::RowsQuery(String::from_utf8_lossy(body).into_owned())
            }
            et::INCIDENT => {
                let mut c = Cursor::new(body);
                let _kind = c.u16_le();
                let message = c
                    .u8()
                    .and_then(|n| c.take(usize::from(n)))
                    .map(|m| String::from_utf8_lossy(m).into_owned())
                    .unwrap_or_default();
                return Err(BinlogError::Incident {
                    at: at.clone(),
                    message,
                });
            }
            et::LOAD
            | et::CREATE_FILE
            | et::APPEND_BLOCK
            | et::EXEC_LOAD
            | et::DELETE_FILE
            | et::NEW_LOAD
            | et::BEGIN_LOAD_QUERY
            | et::EXECUTE_LOAD_QUERY => return Err(statement_based("LOAD DATA")),
            et::PRE_GA_WRITE_ROWS..=et::PRE_GA_DELETE_ROWS => {
                return Err(BinlogError::Unsupported {
                    at: at.clone(),
                    event_type,
                    detail: "pre-GA rows event".into(),
                    hint: "binlogs from MySQL 5.1 betas are not supported",
                });
            }
            et::MARIADB_START_ENCRYPTION => {
                return Err(BinlogError::Unsupported {
                    at: at.clone(),
                    event_type,
                    detail: "encrypted binlog file".into(),
                    hint: "read the binlog through the replication protocol, which decrypts it",
                });
            }
            // Cannot carry row data: file-format, statement-context and group-replication
            // events, and MariaDB's GTID bookkeeping.
            0x01 // START_EVENT_V3
            | et::STOP
            | et::INTVAR
            | et::RAND
            | et::USER_VAR
            | et::SLAVE
            | et::IGNORABLE
            | et::PREVIOUS_GTIDS
            | et::TRANSACTION_CONTEXT
            | et::VIEW_CHANGE
            | et::XA_PREPARE
            | et::MARIADB_BINLOG_CHECKPOINT
            | et::MARIADB_GTID_LIST => EventData::Ignored,
            _ if header.flags & IGNORABLE_FLAG != 0 => EventData::Ignored,
            _ => {
                return Err(BinlogError::Unsupported {
                    at: at.clone(),
                    event_type,
                    detail: if in_payload {
                        "unknown event type inside a transaction payload".into()
                    } else {
                        "unknown event type that may carry row data".into()
                    },
                    hint: "upgrade Tributary to a version that knows this server's events",
                });
            }
        })
    }

    fn parse_mc<'s, T>(&'s self, body: &'s [u8], t: u8, at: &Position) -> Result<T, BinlogError>
    where
        T: MyDeserialize<'s, Ctx = BinlogCtx<'s>>,
    {
        let ctx = BinlogCtx::new(HEADER_LEN + body.len(), &self.fde, t);
        let mut buf = ParseBuf(body);
        let value: T = buf.parse(ctx).map_err(|e| BinlogError::Malformed {
            at: at.clone(),
            event_type: EventTypeName(t),
            detail: e.to_string(),
        })?;
        if !buf.is_empty() {
            return Err(BinlogError::Malformed {
                at: at.clone(),
                event_type: EventTypeName(t),
                detail: format!("{} bytes left over", buf.len()),
            });
        }
        Ok(value)
    }

    fn rows<'a>(&self, t: u8, body: &'a [u8], at: &Position) -> Result<EventData<'a>, BinlogError> {
        let event_type = EventTypeName(t);
        let (kind, extra, compressed) = match t {
            et::WRITE_ROWS_V1 => (RowsKind::Insert, false, false),
            et::UPDATE_ROWS_V1 => (RowsKind::Update, false, false),
            et::DELETE_ROWS_V1 => (RowsKind::Delete, false, false),
            et::WRITE_ROWS => (RowsKind::Insert, true, false),
            et::UPDATE_ROWS | et::PARTIAL_UPDATE_ROWS => (RowsKind::Update, true, false),
            et::DELETE_ROWS => (RowsKind::Delete, true, false),
            et::MARIADB_WRITE_ROWS_COMPRESSED_V1 => (RowsKind::Insert, false, true),
            et::MARIADB_UPDATE_ROWS_COMPRESSED_V1 => (RowsKind::Update, false, true),
            et::MARIADB_DELETE_ROWS_COMPRESSED_V1 => (RowsKind::Delete, false, true),
            et::MARIADB_WRITE_ROWS_COMPRESSED => (RowsKind::Insert, true, true),
            et::MARIADB_UPDATE_ROWS_COMPRESSED => (RowsKind::Update, true, true),
            _ => (RowsKind::Delete, true, true),
        };
        let header = RowsHeader::parse(body, kind, self.table_id_len(), extra).map_err(|d| {
            BinlogError::Malformed {
                at: at.clone(),
                event_type,
                detail: d,
            }
        })?;
        let Some(table) = self.tables.get(&header.table_id) else {
            // A dummy end-of-statement event (table id 0x00ffffff) carries no rows.
            if header.rows.is_empty() {
                return Ok(EventData::Ignored);
            }
            return Err(BinlogError::UnknownTable {
                at: at.clone(),
                event_type,
                table_id: header.table_id,
            });
        };
        let data = if compressed {
            Cow::Owned(
                mariadb_uncompress(header.rows).map_err(|d| BinlogError::Malformed {
                    at: at.clone(),
                    event_type,
                    detail: d,
                })?,
            )
        } else {
            Cow::Borrowed(header.rows)
        };
        Ok(EventData::Rows(RowsEvent::new(
            kind,
            t,
            Arc::clone(table),
            &header,
            t == et::PARTIAL_UPDATE_ROWS,
            data,
            at.clone(),
        )))
    }
}

fn apply_unsigned(mut map: TableMap, flags: &[bool]) -> TableMap {
    for (col, &unsigned) in map.columns.iter_mut().zip(flags) {
        col.unsigned = Some(unsigned);
    }
    map
}

fn has_checksum_footer(server_version: &str) -> bool {
    let mut parts = server_version
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let v = (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    );
    v >= (5, 6, 1)
}

fn verify_crc(
    content: &[u8],
    trailer: &[u8],
    at: &Position,
    event_type: EventTypeName,
) -> Result<(), BinlogError> {
    check(crc32fast::hash(content), trailer, at, event_type)
}

fn check(
    computed: u32,
    trailer: &[u8],
    at: &Position,
    event_type: EventTypeName,
) -> Result<(), BinlogError> {
    let stored = Cursor::new(trailer).u32_le().unwrap_or(!computed);
    if stored == computed {
        Ok(())
    } else {
        Err(BinlogError::ChecksumMismatch {
            at: at.clone(),
            event_type,
            stored,
            computed,
        })
    }
}

/// Splits a statement into its leading keywords, skipping whitespace and `/* */`, `-- ` and
/// `#` comments (but not `/*! */` executable comments, whose content is the statement).
fn leading_words(query: &str, n: usize) -> Vec<String> {
    let mut s = query;
    let mut words = Vec::new();
    while words.len() < n {
        s = s.trim_start();
        if let Some(rest) = s.strip_prefix("/*").filter(|r| !r.starts_with('!')) {
            s = rest.split_once("*/").map_or("", |(_, after)| after);
        } else if s.starts_with("--") || s.starts_with('#') {
            s = s.split_once('\n').map_or("", |(_, after)| after);
        } else {
            let s2 = s
                .strip_prefix("/*!")
                .map_or(s, |r| r.trim_start_matches(|c: char| c.is_ascii_digit()));
            let end = s2
                .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .unwrap_or(s2.len());
            if end == 0 {
                break;
            }
            words.push(s2.get(..end).unwrap_or_default().to_ascii_uppercase());
            s = s2.get(end..).unwrap_or_default();
        }
    }
    words
}

/// What a QUERY event's statement means.
fn classify_query(
    schema: &str,
    query: &str,
    at: &Position,
) -> Result<EventData<'static>, BinlogError> {
    let words = leading_words(query, 2);
    let first = words.first().map_or("", String::as_str);
    let second = words.get(1).map_or("", String::as_str);
    Ok(match first {
        "BEGIN" => EventData::Begin,
        "COMMIT" => EventData::Commit { xid: None },
        "ROLLBACK" if second == "TO" => EventData::Ignored,
        "ROLLBACK" => EventData::Rollback,
        "SAVEPOINT" | "RELEASE" => EventData::Ignored,
        "XA" => EventData::Xa {
            statement: query.to_owned(),
        },
        "INSERT" | "UPDATE" | "DELETE" | "REPLACE" | "LOAD" => {
            return Err(BinlogError::StatementBasedDml {
                at: at.clone(),
                schema: schema.to_owned(),
                statement_start: query.chars().take(40).collect(),
            });
        }
        _ => EventData::Ddl {
            schema: schema.to_owned(),
            statement: query.to_owned(),
        },
    })
}

/// MariaDB `log_bin_compress`: one header byte (`0x80 | n`), the uncompressed length in `n`
/// big-endian bytes, then a zlib stream (`binlog_buf_compress` in MariaDB's log_event.cc).
fn mariadb_uncompress(data: &[u8]) -> Result<Vec<u8>, String> {
    let mut c = Cursor::new(data);
    let flag = c.u8().ok_or("compressed data truncated")?;
    let len_bytes = usize::from(flag & 0x07);
    if flag & 0x70 != 0 || !(1..=4).contains(&len_bytes) {
        return Err(format!("compressed data header {flag:#04x}"));
    }
    let len = c.uint_be(len_bytes).ok_or("compressed data truncated")?;
    if len > MAX_DECOMPRESSED {
        return Err(format!("uncompressed length {len} over the 1 GiB limit"));
    }
    let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0).min(1 << 20));
    flate2::read::ZlibDecoder::new(c.rest())
        .take(len)
        .read_to_end(&mut out)
        .map_err(|e| format!("zlib: {e}"))?;
    if out.len() as u64 != len {
        return Err(format!(
            "uncompressed {} bytes, header says {len}",
            out.len()
        ));
    }
    Ok(out)
}

/// MariaDB QUERY_COMPRESSED: a QUERY event whose statement text is compressed.
fn mariadb_compressed_query(body: &[u8]) -> Result<(String, String), String> {
    let short = || "truncated".to_owned();
    let mut c = Cursor::new(body);
    c.take(8).ok_or_else(short)?; // thread id, execution time
    let schema_len = usize::from(c.u8().ok_or_else(short)?);
    c.take(2).ok_or_else(short)?; // error code
    let status_len = usize::from(c.u16_le().ok_or_else(short)?);
    c.take(status_len).ok_or_else(short)?;
    let schema = String::from_utf8_lossy(c.take(schema_len).ok_or_else(short)?).into_owned();
    c.take(1).ok_or_else(short)?;
    let query = mariadb_uncompress(c.rest())?;
    Ok((schema, String::from_utf8_lossy(&query).into_owned()))
}

/// Checks a TRANSACTION_PAYLOAD header (libbinlogevents `Transaction_payload_event`): fields
/// `(type, length, value)` as length-encoded integers until the end mark (type 0); the
/// compression type must be ZSTD (0) or NONE (255).
fn validate_payload_header(body: &[u8]) -> Result<(), &'static str> {
    let mut c = Cursor::new(body);
    loop {
        match c.lenenc().ok_or("truncated payload header")? {
            0 => return Ok(()),
            kind => {
                let len = c.lenenc().ok_or("truncated payload header")?;
                let value = c
                    .take(usize::try_from(len).map_err(|_| "payload header field too long")?)
                    .ok_or("truncated payload header")?;
                if matches!(kind, 1..=3) {
                    let mut v = Cursor::new(value);
                    let n = v.lenenc().ok_or("bad payload header field")?;
                    if !v.is_empty() || (kind == 2 && n != 0 && n != 255) {
                        return Err("bad payload header field or unknown compression type");
                    }
                }
            }
        }
    }
}
