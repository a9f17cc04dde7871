//! Errors of the binlog client, classified by whether a retry can help.

use tributary_decoders::binlog::BinlogError;

/// A fault talking to MySQL/MariaDB or reading its binlog.
#[derive(Debug, thiserror::Error)]
pub enum MySqlError {
    /// The TCP connection could not be made or broke. A retry (with backoff) can help.
    #[error("mysql {addr}: {action}: {source}")]
    Io {
        /// `host:port`.
        addr: String,
        /// What was being done (`connect`, `read`, `write`).
        action: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The server did not answer in time (for the binlog stream: no event and no heartbeat
    /// within twice the heartbeat period). A retry can help.
    #[error("mysql {addr}: no answer to {action} within {seconds} s")]
    Timeout {
        /// `host:port`.
        addr: String,
        /// What was being waited for.
        action: &'static str,
        /// The limit.
        seconds: u64,
    },
    /// The server answered with an ERR packet.
    #[error("mysql {during}: error {code} ({state}): {message}{hint}", hint = hint_for(*.code))]
    Server {
        /// The command or phase that failed.
        during: String,
        /// The server's error number, e.g. 1236.
        code: u16,
        /// SQLSTATE.
        state: String,
        /// The server's message.
        message: String,
    },
    /// A query on the checking connection (through `mysql_async`) failed.
    #[error("mysql {during}: {source}")]
    Sql {
        /// The statement or phase.
        during: String,
        /// The driver's error.
        #[source]
        source: Box<mysql_async::Error>,
    },
    /// The server asked for an authentication method the binlog connection does not speak.
    #[error(
        "mysql: the server asks for {plugin} authentication on the binlog connection, which is \
         not supported; fix: ALTER USER the connector's user IDENTIFIED WITH \
         mysql_native_password (MariaDB: IDENTIFIED VIA mysql_native_password USING \
         PASSWORD('…'))"
    )]
    UnsupportedAuthentication {
        /// The plugin's name.
        plugin: String,
    },
    /// The server sent bytes that break the client/server protocol. Definite: a retry reads
    /// the same bytes.
    #[error("mysql protocol violation during {during}: {detail}")]
    Protocol {
        /// What was being done.
        during: String,
        /// What was wrong.
        detail: String,
    },
    /// A binlog event did not decode (corrupt, checksum mismatch, statement-based DML).
    #[error("mysql binlog: {0}")]
    Decode(#[from] BinlogError),
    /// A start-up check failed; the message says what to change.
    #[error(transparent)]
    Preflight(#[from] PreflightError),
    /// The stored offset cannot be used as given (an unparsable GTID set, a position the
    /// dump command cannot express).
    #[error("mysql offset: {detail}")]
    InvalidOffset {
        /// What is wrong and how to fix it.
        detail: String,
    },
    /// The reader gave up reconnecting.
    #[error("mysql binlog: gave up after {attempts} reconnect attempts; last error: {last}")]
    ReconnectExhausted {
        /// How many attempts were made.
        attempts: u32,
        /// The last attempt's error.
        last: Box<MySqlError>,
    },
}

/// `ER_MASTER_FATAL_ERROR_READING_BINLOG`: the dump cannot be served from the requested
/// position (purged file, GTID not in any binlog, position not at an event boundary).
pub(crate) const ER_BINLOG_POSITION: u16 = 1236;

fn hint_for(code: u16) -> &'static str {
    match code {
        ER_BINLOG_POSITION => {
            "; hint: the stored position is no longer (or never was) in this server's binlog: \
             the binlog was purged or the offset belongs to another server; take a new snapshot \
             (snapshot.mode=when_needed) or restore the binlog files"
        }
        1045 => "; hint: check database.user and database.password",
        1227 => {
            "; hint: GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO the connector's user \
             (MariaDB 10.5+: REPLICATION SLAVE, BINLOG MONITOR)"
        }
        _ => "",
    }
}

/// Server error numbers after which the same request fails the same way until someone
/// changes something. Everything else (connection errors, shutdown, too many connections,
/// killed connections, and codes we do not know) counts as transient.
const DEFINITE_CODES: &[u16] = &[
    1044, // ER_DBACCESS_DENIED_ERROR
    1045, // ER_ACCESS_DENIED_ERROR
    1064, // ER_PARSE_ERROR
    1142, // ER_TABLEACCESS_DENIED_ERROR
    1193, // ER_UNKNOWN_SYSTEM_VARIABLE
    1227, // ER_SPECIFIC_ACCESS_DENIED_ERROR
    1236, // ER_MASTER_FATAL_ERROR_READING_BINLOG
    1698, // ER_ACCESS_DENIED_NO_PASSWORD_ERROR
];

impl MySqlError {
    /// Whether retrying (after a backoff, on a new connection) can help.
    ///
    /// Connection loss, timeouts and server errors not known to be definite are transient
    /// (unknown errors count as transient). Authentication and privilege failures, purged
    /// positions, protocol violations, undecodable events and failed start-up checks are
    /// definite.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Io { .. } | Self::Timeout { .. } => true,
            Self::Server { code, .. } => !DEFINITE_CODES.contains(code),
            Self::Sql { source, .. } => match source.as_ref() {
                mysql_async::Error::Server(e) => !DEFINITE_CODES.contains(&e.code),
                mysql_async::Error::Io(_) | mysql_async::Error::Other(_) => true,
                mysql_async::Error::Driver(_) | mysql_async::Error::Url(_) => false,
            },
            Self::UnsupportedAuthentication { .. }
            | Self::Protocol { .. }
            | Self::Decode(_)
            | Self::Preflight(_)
            | Self::InvalidOffset { .. }
            | Self::ReconnectExhausted { .. } => false,
        }
    }

    /// The server's error number, when the server reported the error.
    pub fn server_code(&self) -> Option<u16> {
        match self {
            Self::Server { code, .. } => Some(*code),
            Self::Sql { source, .. } => match source.as_ref() {
                mysql_async::Error::Server(e) => Some(e.code),
                _ => None,
            },
            _ => None,
        }
    }

    pub(crate) fn protocol(during: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::Protocol {
            during: during.into(),
            detail: detail.into(),
        }
    }

    pub(crate) fn sql(during: impl Into<String>, source: mysql_async::Error) -> Self {
        Self::Sql {
            during: during.into(),
            source: Box::new(source),
        }
    }
}

/// A start-up check that failed. Every variant is definite and names the fix.
#[derive(Debug, thiserror::Error)]
pub enum PreflightError {
    /// The server writes no binlog.
    #[error(
        "mysql: the binary log is disabled (log_bin=OFF), there is nothing to capture; fix: \
         start the server with log_bin (MariaDB: log_bin=mysql-bin; MySQL 8 enables it by \
         default unless skip-log-bin/disable-log-bin is set) and restart it"
    )]
    BinlogDisabled,
    /// Changes are logged as statements, not row images.
    #[error(
        "mysql: binlog_format is {actual}, change data capture needs ROW; fix: SET GLOBAL \
         binlog_format = 'ROW' (and binlog_format=ROW in the server's configuration file), then \
         reconnect clients that still log statements"
    )]
    BinlogFormat {
        /// The server's value.
        actual: String,
    },
    /// Row images omit unchanged columns.
    #[error(
        "mysql: binlog_row_image is {actual}, change events need every column; fix: SET GLOBAL \
         binlog_row_image = 'FULL' (and binlog_row_image=FULL in the server's configuration \
         file)"
    )]
    BinlogRowImage {
        /// The server's value.
        actual: String,
    },
    /// MySQL logs JSON updates as partial diffs that carry no full after-image.
    #[error(
        "mysql: binlog_row_value_options is {actual}, so JSON updates are logged as partial \
         diffs without the full value; fix: SET GLOBAL binlog_row_value_options = '' (and in \
         the configuration file)"
    )]
    PartialJson {
        /// The server's value.
        actual: String,
    },
    /// The user lacks a privilege the reader needs.
    #[error(
        "mysql: user {user} lacks {missing} on *.*, needed to {purpose}; fix: GRANT {missing} \
         ON *.* TO {user};"
    )]
    MissingPrivilege {
        /// The account, as `CURRENT_USER()` names it.
        user: String,
        /// The privilege's name as this server spells it.
        missing: &'static str,
        /// Why the reader needs it.
        purpose: &'static str,
    },
    /// The stored binlog file is no longer on the server.
    #[error(
        "mysql: the stored offset is in binlog file {file}, which the server no longer has \
         (its oldest is {oldest}): changes after the offset were purged and cannot be read; \
         fix: take a new snapshot (snapshot.mode=when_needed), and keep binlogs longer \
         (binlog_expire_logs_seconds / expire_logs_days)"
    )]
    FilePurged {
        /// The stored file.
        file: String,
        /// The oldest file the server has (`-` when it has none).
        oldest: String,
    },
    /// The stored position is past the end of its file.
    #[error(
        "mysql: the stored offset {file}:{pos} is beyond the end of that file ({size} bytes): \
         the offset belongs to another server or the binlog was reset; fix: point the \
         connector at the server the offset came from, or take a new snapshot \
         (snapshot.mode=when_needed)"
    )]
    PositionBeyondEnd {
        /// The stored file.
        file: String,
        /// The stored position.
        pos: u64,
        /// The file's size on the server.
        size: u64,
    },
    /// Transactions after the stored GTID position were purged from the binlog.
    #[error(
        "mysql: the stored GTID position {gtids} is older than the oldest binlog on the server, \
         which starts at {oldest}: changes after the offset were purged; fix: take a new \
         snapshot (snapshot.mode=when_needed), and keep binlogs longer"
    )]
    GtidPurged {
        /// The stored GTID position.
        gtids: String,
        /// The GTID state at the start of the oldest binlog (MariaDB) or `@@gtid_purged`
        /// (MySQL).
        oldest: String,
    },
    /// The server is not the one the stored file/position came from.
    #[error(
        "mysql: the stored offset came from {expected}, but this server is {actual}: a binlog \
         file/position means nothing on another server; fix: point the connector at the \
         original server, or (after a fail-over) start from a GTID position, or take a new \
         snapshot (snapshot.mode=when_needed)"
    )]
    DifferentServer {
        /// The identity recorded in the offset.
        expected: String,
        /// This server's identity.
        actual: String,
    },
}
