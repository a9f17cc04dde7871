//! Event type codes of MySQL (libbinlogevents `Log_event_type`) and MariaDB
//! (`sql/log_event.h`, codes 160 and up), and their names for error messages.

use std::fmt;

pub(crate) const QUERY: u8 = 0x02;
pub(crate) const STOP: u8 = 0x03;
pub(crate) const ROTATE: u8 = 0x04;
pub(crate) const INTVAR: u8 = 0x05;
pub(crate) const LOAD: u8 = 0x06;
pub(crate) const SLAVE: u8 = 0x07;
pub(crate) const CREATE_FILE: u8 = 0x08;
pub(crate) const APPEND_BLOCK: u8 = 0x09;
pub(crate) const EXEC_LOAD: u8 = 0x0a;
pub(crate) const DELETE_FILE: u8 = 0x0b;
pub(crate) const NEW_LOAD: u8 = 0x0c;
pub(crate) const RAND: u8 = 0x0d;
pub(crate) const USER_VAR: u8 = 0x0e;
pub(crate) const FORMAT_DESCRIPTION: u8 = 0x0f;
pub(crate) const XID: u8 = 0x10;
pub(crate) const BEGIN_LOAD_QUERY: u8 = 0x11;
pub(crate) const EXECUTE_LOAD_QUERY: u8 = 0x12;
pub(crate) const TABLE_MAP: u8 = 0x13;
pub(crate) const PRE_GA_WRITE_ROWS: u8 = 0x14;
pub(crate) const PRE_GA_DELETE_ROWS: u8 = 0x16;
pub(crate) const WRITE_ROWS_V1: u8 = 0x17;
pub(crate) const UPDATE_ROWS_V1: u8 = 0x18;
pub(crate) const DELETE_ROWS_V1: u8 = 0x19;
pub(crate) const INCIDENT: u8 = 0x1a;
pub(crate) const HEARTBEAT: u8 = 0x1b;
pub(crate) const IGNORABLE: u8 = 0x1c;
pub(crate) const ROWS_QUERY: u8 = 0x1d;
pub(crate) const WRITE_ROWS: u8 = 0x1e;
pub(crate) const UPDATE_ROWS: u8 = 0x1f;
pub(crate) const DELETE_ROWS: u8 = 0x20;
pub(crate) const GTID: u8 = 0x21;
pub(crate) const ANONYMOUS_GTID: u8 = 0x22;
pub(crate) const PREVIOUS_GTIDS: u8 = 0x23;
pub(crate) const TRANSACTION_CONTEXT: u8 = 0x24;
pub(crate) const VIEW_CHANGE: u8 = 0x25;
pub(crate) const XA_PREPARE: u8 = 0x26;
pub(crate) const PARTIAL_UPDATE_ROWS: u8 = 0x27;
pub(crate) const TRANSACTION_PAYLOAD: u8 = 0x28;
pub(crate) const HEARTBEAT_V2: u8 = 0x29;
pub(crate) const GTID_TAGGED: u8 = 0x2a;

pub(crate) const MARIADB_ANNOTATE_ROWS: u8 = 0xa0;
pub(crate) const MARIADB_BINLOG_CHECKPOINT: u8 = 0xa1;
pub(crate) const MARIADB_GTID: u8 = 0xa2;
pub(crate) const MARIADB_GTID_LIST: u8 = 0xa3;
pub(crate) const MARIADB_START_ENCRYPTION: u8 = 0xa4;
pub(crate) const MARIADB_QUERY_COMPRESSED: u8 = 0xa5;
pub(crate) const MARIADB_WRITE_ROWS_COMPRESSED_V1: u8 = 0xa6;
pub(crate) const MARIADB_UPDATE_ROWS_COMPRESSED_V1: u8 = 0xa7;
pub(crate) const MARIADB_DELETE_ROWS_COMPRESSED_V1: u8 = 0xa8;
pub(crate) const MARIADB_WRITE_ROWS_COMPRESSED: u8 = 0xa9;
pub(crate) const MARIADB_UPDATE_ROWS_COMPRESSED: u8 = 0xaa;
pub(crate) const MARIADB_DELETE_ROWS_COMPRESSED: u8 = 0xab;

/// An event type code, displayed by name (`WRITE_ROWS_EVENT_V1`, `MARIADB_GTID_EVENT`) or as
/// `UNKNOWN_EVENT(0xNN)`. Errors carry it so a message says which event failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventTypeName(pub u8);

impl EventTypeName {
    /// The event type's name in the server sources, if the code is known.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x01 => "START_EVENT_V3",
            QUERY => "QUERY_EVENT",
            STOP => "STOP_EVENT",
            ROTATE => "ROTATE_EVENT",
            INTVAR => "INTVAR_EVENT",
            LOAD => "LOAD_EVENT",
            SLAVE => "SLAVE_EVENT",
            CREATE_FILE => "CREATE_FILE_EVENT",
            APPEND_BLOCK => "APPEND_BLOCK_EVENT",
            EXEC_LOAD => "EXEC_LOAD_EVENT",
            DELETE_FILE => "DELETE_FILE_EVENT",
            NEW_LOAD => "NEW_LOAD_EVENT",
            RAND => "RAND_EVENT",
            USER_VAR => "USER_VAR_EVENT",
            FORMAT_DESCRIPTION => "FORMAT_DESCRIPTION_EVENT",
            XID => "XID_EVENT",
            BEGIN_LOAD_QUERY => "BEGIN_LOAD_QUERY_EVENT",
            EXECUTE_LOAD_QUERY => "EXECUTE_LOAD_QUERY_EVENT",
            TABLE_MAP => "TABLE_MAP_EVENT",
            PRE_GA_WRITE_ROWS => "PRE_GA_WRITE_ROWS_EVENT",
            0x15 => "PRE_GA_UPDATE_ROWS_EVENT",
            PRE_GA_DELETE_ROWS => "PRE_GA_DELETE_ROWS_EVENT",
            WRITE_ROWS_V1 => "WRITE_ROWS_EVENT_V1",
            UPDATE_ROWS_V1 => "UPDATE_ROWS_EVENT_V1",
            DELETE_ROWS_V1 => "DELETE_ROWS_EVENT_V1",
            INCIDENT => "INCIDENT_EVENT",
            HEARTBEAT => "HEARTBEAT_EVENT",
            IGNORABLE => "IGNORABLE_EVENT",
            ROWS_QUERY => "ROWS_QUERY_EVENT",
            WRITE_ROWS => "WRITE_ROWS_EVENT",
            UPDATE_ROWS => "UPDATE_ROWS_EVENT",
            DELETE_ROWS => "DELETE_ROWS_EVENT",
            GTID => "GTID_EVENT",
            ANONYMOUS_GTID => "ANONYMOUS_GTID_EVENT",
            PREVIOUS_GTIDS => "PREVIOUS_GTIDS_EVENT",
            TRANSACTION_CONTEXT => "TRANSACTION_CONTEXT_EVENT",
            VIEW_CHANGE => "VIEW_CHANGE_EVENT",
            XA_PREPARE => "XA_PREPARE_LOG_EVENT",
            PARTIAL_UPDATE_ROWS => "PARTIAL_UPDATE_ROWS_EVENT",
            TRANSACTION_PAYLOAD => "TRANSACTION_PAYLOAD_EVENT",
            HEARTBEAT_V2 => "HEARTBEAT_LOG_EVENT_V2",
            GTID_TAGGED => "GTID_TAGGED_LOG_EVENT",
            MARIADB_ANNOTATE_ROWS => "MARIADB_ANNOTATE_ROWS_EVENT",
            MARIADB_BINLOG_CHECKPOINT => "MARIADB_BINLOG_CHECKPOINT_EVENT",
            MARIADB_GTID => "MARIADB_GTID_EVENT",
            MARIADB_GTID_LIST => "MARIADB_GTID_LIST_EVENT",
            MARIADB_START_ENCRYPTION => "MARIADB_START_ENCRYPTION_EVENT",
            MARIADB_QUERY_COMPRESSED => "MARIADB_QUERY_COMPRESSED_EVENT",
            MARIADB_WRITE_ROWS_COMPRESSED_V1 => "MARIADB_WRITE_ROWS_COMPRESSED_EVENT_V1",
            MARIADB_UPDATE_ROWS_COMPRESSED_V1 => "MARIADB_UPDATE_ROWS_COMPRESSED_EVENT_V1",
            MARIADB_DELETE_ROWS_COMPRESSED_V1 => "MARIADB_DELETE_ROWS_COMPRESSED_EVENT_V1",
            MARIADB_WRITE_ROWS_COMPRESSED => "MARIADB_WRITE_ROWS_COMPRESSED_EVENT",
            MARIADB_UPDATE_ROWS_COMPRESSED => "MARIADB_UPDATE_ROWS_COMPRESSED_EVENT",
            MARIADB_DELETE_ROWS_COMPRESSED => "MARIADB_DELETE_ROWS_COMPRESSED_EVENT",
            _ => return None,
        })
    }
}

impl fmt::Display for EventTypeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "UNKNOWN_EVENT({:#04x})", self.0),
        }
    }
}
