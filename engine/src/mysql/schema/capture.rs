//! Initial schema capture: at a first start (an empty history) the binlog holds no DDL for
//! tables that already exist, so their definitions are read from the server
//! (`SHOW CREATE TABLE`, parsed by the same DDL parser as the binlog's statements) and
//! recorded in the history at the binlog position the stream will start from.
//!
//! # Consistency with the start position
//! The schema must be the one in force at the recorded position: a DDL committed between
//! reading the position and reading a table would be applied twice (once in the captured
//! definition, once when the binlog replays it). With [`SnapshotLocking::Global`] (the
//! default, Debezium's `snapshot.locking.mode=minimal`) the capture holds
//! `FLUSH TABLES WITH READ LOCK` while it reads the position and the definitions, so neither
//! can move; it needs the `RELOAD` privilege and blocks writers for that moment only.
//! [`SnapshotLocking::None`] takes no lock: then no DDL may run on captured tables while
//! the capture runs (Debezium's `snapshot.locking.mode=none` makes the same demand).
//!
//! # What is recorded
//! Per captured database a `CREATE DATABASE IF NOT EXISTS … CHARACTER SET …`, then one
//! record per captured table with its `SHOW CREATE TABLE` text: replaying the history
//! parses them again, exactly like binlog DDL.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mysql_async::prelude::Queryable;

use super::error::SchemaError;
use super::history::{BinlogPosition, DdlOutcome, HistoryRecord, SchemaHistory};
use super::model::TableId;
use super::store::SchemaHistoryStore;
use crate::mysql::client::{BinlogOffset, MySqlConnectOptions, MySqlError, current_position};

/// Databases that belong to the server, never captured.
const SYSTEM_DATABASES: &[&str] = &["mysql", "information_schema", "performance_schema", "sys"];

/// How the capture keeps the schema and the position consistent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SnapshotLocking {
    /// `FLUSH TABLES WITH READ LOCK` while reading (needs `RELOAD`).
    #[default]
    Global,
    /// No lock: no DDL may run on captured tables during the capture.
    None,
}

/// One statement of a captured schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturedStatement {
    /// The default database to apply it with.
    pub database: String,
    /// The DDL.
    pub ddl: String,
}

/// The schema of the captured tables at one binlog position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaSnapshot {
    /// Where the binlog stream starts: the schema is the one in force there.
    pub offset: BinlogOffset,
    /// `CREATE DATABASE` and `CREATE TABLE` statements, databases first.
    pub statements: Vec<CapturedStatement>,
}

/// Reads the definitions of every table `is_captured` accepts, and the position they are
/// valid at.
pub async fn read_server_schema(
    options: &MySqlConnectOptions,
    is_captured: &(dyn Fn(&TableId) -> bool + Send + Sync),
    locking: SnapshotLocking,
) -> Result<SchemaSnapshot, MySqlError> {
    let limit = options.connect_timeout;
    let mut conn =
        match tokio::time::timeout(limit, mysql_async::Conn::new(options.sql_opts())).await {
            Ok(Ok(conn)) => conn,
            Ok(Err(e)) => return Err(MySqlError::sql(format!("connect to {}", options.addr()), e)),
            Err(_) => {
                return Err(MySqlError::Timeout {
                    addr: options.addr(),
                    action: "connect",
                    seconds: limit.as_secs(),
                });
            }
        };
    let result = read_on(&mut conn, options, is_captured, locking).await;
    if locking == SnapshotLocking::Global {
        // Closing the connection releases the lock too; unlock first to free writers at once.
        let _ = conn.query_drop("UNLOCK TABLES").await;
    }
    let _ = conn.disconnect().await;
    result
}

/// Opens a connection inside a `START TRANSACTION WITH CONSISTENT SNAPSHOT` whose view is
/// the database at the returned schema's position, for an initial snapshot's data reads.
///
/// With [`SnapshotLocking::Global`] (Debezium's `minimal`) a second connection holds
/// `FLUSH TABLES WITH READ LOCK` while the transaction starts and the position and the
/// definitions are read, then releases it: writers wait for that moment only, on MySQL and
/// MariaDB alike, and the data reads that follow take no lock. With
/// [`SnapshotLocking::None`] no lock is taken and no DDL may run meanwhile (as for
/// [`read_server_schema`]); the data is still consistent with the position on MariaDB,
/// which reports the exact position of the transaction's view
/// (`binlog_snapshot_file`/`binlog_snapshot_position`, used whenever present), but not on
/// MySQL, which has no such status.
///
/// The snapshot session prints `TIMESTAMP`s in UTC (`time_zone = '+00:00'`), returns
/// strings in their column's own charset (`character_set_results = NULL`, the bytes the
/// binlog holds) and allows backslash escapes in literals (the chunk queries use them).
pub async fn open_consistent_snapshot(
    options: &MySqlConnectOptions,
    is_captured: &(dyn Fn(&TableId) -> bool + Send + Sync),
    locking: SnapshotLocking,
) -> Result<(mysql_async::Conn, SchemaSnapshot), MySqlError> {
    let mut snapshot = connect_snapshot_session(options).await?;
    let isolation = "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ";
    snapshot
        .query_drop(isolation)
        .await
        .map_err(|e| MySqlError::sql(isolation, e))?;
    let mut lock = connect(options).await?;
    let result = async {
        if locking == SnapshotLocking::Global {
            lock.query_drop("FLUSH TABLES WITH READ LOCK")
                .await
                .map_err(|e| {
                    MySqlError::sql(
                        "FLUSH TABLES WITH READ LOCK (needs the RELOAD privilege; or set \
                         snapshot.locking.mode=none when no DDL runs during the snapshot's start)",
                        e,
                    )
                })?;
        }
        let start = "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY";
        snapshot
            .query_drop(start)
            .await
            .map_err(|e| MySqlError::sql(start, e))?;
        let mut schema = read_on(&mut lock, options, is_captured, SnapshotLocking::None).await?;
        let status: Vec<(String, String)> = snapshot
            .query("SHOW SESSION STATUS LIKE 'binlog_snapshot_%'")
            .await
            .map_err(|e| MySqlError::sql("SHOW SESSION STATUS LIKE 'binlog_snapshot_%'", e))?;
        let file = status
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("binlog_snapshot_file"));
        let pos = status
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("binlog_snapshot_position"))
            .and_then(|(_, v)| v.parse::<u64>().ok());
        match (file, pos) {
            // MariaDB: the transaction's own position, exact with or without the lock.
            // (Under the lock it equals the one read; without it, the GTID set read
            // elsewhere would not match, so none is kept.)
            (Some((_, file)), Some(pos))
                if !file.is_empty()
                    && (file.as_str(), pos) != (schema.offset.file.as_str(), schema.offset.pos) =>
            {
                schema.offset.file.clone_from(file);
                schema.offset.pos = pos;
                schema.offset.gtids = None;
            }
            _ => {}
        }
        Ok(schema)
    }
    .await;
    if locking == SnapshotLocking::Global {
        let _ = lock.query_drop("UNLOCK TABLES").await;
    }
    let _ = lock.disconnect().await;
    match result {
        Ok(schema) => Ok((snapshot, schema)),
        Err(e) => {
            let _ = snapshot.disconnect().await;
            Err(e)
        }
    }
}

/// A connection whose result sets a snapshot can decode: `TIMESTAMP`s in UTC, strings in
/// their column's own charset (the binlog's bytes), backslash escapes allowed in literals.
pub async fn connect_snapshot_session(
    options: &MySqlConnectOptions,
) -> Result<mysql_async::Conn, MySqlError> {
    let mut conn = connect(options).await?;
    for statement in [
        "SET SESSION time_zone = '+00:00'",
        "SET SESSION sql_mode = REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', '')",
        "SET SESSION character_set_results = NULL",
    ] {
        conn.query_drop(statement)
            .await
            .map_err(|e| MySqlError::sql(statement, e))?;
    }
    Ok(conn)
}

async fn connect(options: &MySqlConnectOptions) -> Result<mysql_async::Conn, MySqlError> {
    let limit = options.connect_timeout;
    match tokio::time::timeout(limit, mysql_async::Conn::new(options.sql_opts())).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(MySqlError::sql(format!("connect to {}", options.addr()), e)),
        Err(_) => Err(MySqlError::Timeout {
            addr: options.addr(),
            action: "connect",
            seconds: limit.as_secs(),
        }),
    }
}

async fn read_on(
    conn: &mut mysql_async::Conn,
    options: &MySqlConnectOptions,
    is_captured: &(dyn Fn(&TableId) -> bool + Send + Sync),
    locking: SnapshotLocking,
) -> Result<SchemaSnapshot, MySqlError> {
    let query = |sql: &'static str| move |e| MySqlError::sql(sql, e);
    if locking == SnapshotLocking::Global {
        conn.query_drop("FLUSH TABLES WITH READ LOCK")
            .await
            .map_err(query(
                "FLUSH TABLES WITH READ LOCK (needs the RELOAD privilege, or set the \
                 snapshot locking to none)",
            ))?;
    }
    // Under the lock no transaction can commit, so the position read on another
    // connection is exactly where the definitions below are valid.
    let offset = current_position(options).await?;
    let schemata: Vec<(String, Option<String>)> = conn
        .query(
            "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA \
             ORDER BY SCHEMA_NAME",
        )
        .await
        .map_err(query("read information_schema.SCHEMATA"))?;
    let tables: Vec<(String, String)> = conn
        .query(
            "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES \
             WHERE TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_SCHEMA, TABLE_NAME",
        )
        .await
        .map_err(query("read information_schema.TABLES"))?;
    let mut statements = Vec::new();
    for (database, charset) in schemata {
        if SYSTEM_DATABASES.contains(&database.as_str()) {
            continue;
        }
        let captured: Vec<&String> = tables
            .iter()
            .filter(|(db, t)| *db == database && is_captured(&TableId::new(db.as_str(), t)))
            .map(|(_, t)| t)
            .collect();
        if captured.is_empty() {
            continue;
        }
        let mut create_db = format!("CREATE DATABASE IF NOT EXISTS {}", quote(&database));
        if let Some(cs) = charset.filter(|c| !c.is_empty()) {
            create_db.push_str(" CHARACTER SET ");
            create_db.push_str(&cs);
        }
        statements.push(CapturedStatement {
            database: database.clone(),
            ddl: create_db,
        });
        for table in captured {
            let sql = format!("SHOW CREATE TABLE {}.{}", quote(&database), quote(table));
            let row: Option<(String, String)> = conn
                .query_first(sql.as_str())
                .await
                .map_err(|e| MySqlError::sql(sql.clone(), e))?;
            let Some((_, ddl)) = row else {
                continue;
            };
            statements.push(CapturedStatement {
                database: database.clone(),
                ddl,
            });
        }
    }
    Ok(SchemaSnapshot { offset, statements })
}

/// A backtick-quoted identifier.
fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

impl From<&BinlogOffset> for BinlogPosition {
    fn from(o: &BinlogOffset) -> Self {
        let ts_sec = if o.ts_sec > 0 {
            i64::try_from(o.ts_sec).unwrap_or(i64::MAX)
        } else {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or(Duration::ZERO)
                .as_secs()
                .try_into()
                .unwrap_or(i64::MAX)
        };
        Self {
            file: o.file.clone(),
            pos: o.pos,
            gtids: o.gtids.clone(),
            server_id: o.server_id.unwrap_or(0),
            ts_sec,
        }
    }
}

impl SchemaHistory {
    /// Records a captured schema (first start: `store` holds no records) and applies it to
    /// the model. Every statement must apply: a definition the parser cannot read stops the
    /// capture with the statement in the error, as a binlog DDL would.
    pub fn record_snapshot(
        &mut self,
        store: &mut dyn SchemaHistoryStore,
        snapshot: &SchemaSnapshot,
    ) -> Result<Vec<HistoryRecord>, SchemaError> {
        let position = BinlogPosition::from(&snapshot.offset);
        let ts_ms = position.ts_sec.saturating_mul(1000);
        let mut records = Vec::with_capacity(snapshot.statements.len());
        for s in &snapshot.statements {
            match self.apply_ddl(store, &s.database, &s.ddl, &position, ts_ms)? {
                DdlOutcome::Applied(record) => records.push(record),
                DdlOutcome::Ignored => {}
                DdlOutcome::Skipped { reason } => {
                    return Err(SchemaError::Replay {
                        statement: s.ddl.clone(),
                        position: Box::new(position.clone()),
                        detail: format!("the captured definition cannot be read: {reason}"),
                    });
                }
            }
        }
        Ok(records)
    }
}
