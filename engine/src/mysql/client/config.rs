//! Where and how to connect, and how the reader paces itself.

use std::time::Duration;

use crate::postgres::Secret;

/// Connection settings for one MySQL/MariaDB server (Debezium's `database.*` properties).
#[derive(Debug, Clone)]
pub struct MySqlConnectOptions {
    /// `database.hostname`.
    pub host: String,
    /// `database.port`.
    pub port: u16,
    /// `database.user`.
    pub user: String,
    /// `database.password`.
    pub password: Option<Secret>,
    /// `database.server.id`: the replica id this reader registers with. It must differ from
    /// the server's own `server_id` and from every other replica and connector of the same
    /// server — a second connection with the same id makes the server end the first dump.
    pub server_id: u32,
    /// Limit on TCP connect plus authentication, and on each start-up query.
    pub connect_timeout: Duration,
}

impl MySqlConnectOptions {
    /// Options with Tributary's defaults for the rest.
    pub fn new(host: &str, port: u16, user: &str, server_id: u32) -> Self {
        Self {
            host: host.to_owned(),
            port,
            user: user.to_owned(),
            password: None,
            server_id,
            connect_timeout: Duration::from_secs(30),
        }
    }

    /// Sets the password.
    pub fn password(mut self, password: &str) -> Self {
        self.password = Some(Secret::new(password));
        self
    }

    pub(crate) fn addr(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// Options for the `mysql_async` connection that runs the start-up checks.
    pub(crate) fn sql_opts(&self) -> mysql_async::Opts {
        mysql_async::OptsBuilder::default()
            .ip_or_hostname(self.host.clone())
            .tcp_port(self.port)
            .user(Some(self.user.clone()))
            .pass(self.password.as_ref().map(|p| p.expose().to_owned()))
            .prefer_socket(false)
            .into()
    }
}

/// How the binlog reader paces itself and recovers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BinlogReaderConfig {
    /// `@master_heartbeat_period`: how often an idle server sends a heartbeat. The reader
    /// treats twice this (plus a second) without any packet as a dead connection.
    pub heartbeat_interval: Duration,
    /// Events buffered between the reader and the pipeline.
    pub channel_capacity: usize,
    /// First wait before reconnecting after a transient error; doubled per failed attempt.
    pub reconnect_backoff: Duration,
    /// Longest wait between reconnect attempts.
    pub max_reconnect_backoff: Duration,
    /// Consecutive failed reconnect attempts before the reader gives up.
    pub max_reconnect_attempts: u32,
    /// Start from the offset's GTID position when it has one (MariaDB
    /// `@slave_connect_state`, MySQL `COM_BINLOG_DUMP_GTID`); otherwise from its file and
    /// position. GTIDs survive fail-over and binlog renames; file/position do not.
    pub prefer_gtid: bool,
}

impl Default for BinlogReaderConfig {
    fn default() -> Self {
        Self {
            heartbeat_interval: Duration::from_secs(30),
            channel_capacity: 8192,
            reconnect_backoff: Duration::from_millis(100),
            max_reconnect_backoff: Duration::from_secs(10),
            max_reconnect_attempts: 30,
            prefer_gtid: true,
        }
    }
}
