//! The MySQL/MariaDB initial snapshot's reading side: one session inside the consistent
//! snapshot transaction reads every captured table in primary-key chunks of
//! `snapshot.fetch.size` and hands them, in order, through a bounded channel to the
//! processing thread, which converts and emits them (see [`super::mysql`]).
//!
//! # One reading session
//! MySQL and MariaDB cannot hand one transaction's view to another session (PostgreSQL's
//! exported snapshots): more sessions would each need their own transaction started under
//! the global read lock, holding writers back for as long as it takes to open them all.
//! One session keeps the lock to a moment; `snapshot.max.threads` applies to PostgreSQL.
//!
//! # Memory
//! A chunk is at most `snapshot.fetch.size` rows (the look-ahead row is dropped), and the
//! channel holds two: a table is never in memory whole. A table without a primary key is
//! read in one pass, in chunks of the same size taken from the one result set.

use std::sync::Arc;

use mysql_async::consts::ColumnType as WireType;
use mysql_async::prelude::Queryable;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tributary_snapshot::{ChunkQuery, Dialect};

use crate::config::SnapshotConfig;
use crate::mysql::client::MySqlError;
use crate::mysql::schema::{SchemaModel, TableId};

/// A table to read.
#[derive(Debug, Clone)]
pub struct SnapshotTable {
    /// The table.
    pub id: TableId,
    /// How it is read.
    pub query: ChunkQuery,
    /// Positions of the primary-key columns, in key order.
    pub key_index: Vec<usize>,
}

impl SnapshotTable {
    /// The snapshot's view of table `id` in `model`.
    pub fn from_model(model: &SchemaModel, id: &TableId, config: &SnapshotConfig) -> Option<Self> {
        let table = model.table(id)?;
        let key_index: Vec<usize> = table
            .primary_key
            .iter()
            .filter_map(|k| table.column_index(k))
            .collect();
        let columns: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
        let key = key_index
            .iter()
            .filter_map(|&i| columns.get(i).cloned())
            .collect();
        Some(Self {
            id: id.clone(),
            query: ChunkQuery {
                dialect: Dialect::MySql,
                namespace: id.database.clone(),
                table: id.table.clone(),
                columns,
                key,
                fetch_size: config.fetch_size,
                select_override: config
                    .select_override(&format!("{}.{}", id.database, id.table))
                    .map(str::to_owned),
                condition: None,
            },
            key_index,
        })
    }

    /// `database.table`, the name progress and logs use.
    pub fn name(&self) -> String {
        format!("{}.{}", self.id.database, self.id.table)
    }
}

/// Rows of one chunk, in key order.
#[derive(Debug)]
pub struct Chunk {
    /// Index of the table in the snapshot's list.
    pub table: usize,
    /// The rows (text protocol: every value is bytes or NULL).
    pub rows: Vec<mysql_async::Row>,
    /// Per column: whether it is a `FLOAT` (the result set's type).
    pub float32: Arc<[bool]>,
    /// Whether this chunk ends its table.
    pub last: bool,
    /// The key of the chunk's last row, as text (`None` for a keyless table).
    pub last_key: Option<Vec<String>>,
}

/// A table to read and the key to start after.
#[derive(Debug, Clone)]
pub struct Job {
    /// Index in the snapshot's table list.
    pub table: usize,
    /// The key to start after (`None`: from the first row).
    pub after: Option<Vec<String>>,
}

/// The reading task.
#[derive(Debug)]
pub struct ChunkReader {
    /// Chunks in reading order; an error ends it.
    pub chunks: mpsc::Receiver<Result<Chunk, MySqlError>>,
    task: JoinHandle<()>,
}

impl ChunkReader {
    /// Starts reading `jobs` of `tables` on `conn`, a session inside the snapshot's
    /// transaction; the transaction ends with the last job.
    pub fn start(conn: mysql_async::Conn, tables: Arc<[SnapshotTable]>, jobs: Vec<Job>) -> Self {
        let (sender, chunks) = mpsc::channel(2);
        let task = tokio::spawn(async move {
            if let Err(err) = read_jobs(conn, &tables, jobs, &sender).await {
                let _ = sender.send(Err(err)).await;
            }
        });
        Self { chunks, task }
    }
}

impl Drop for ChunkReader {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn read_jobs(
    mut conn: mysql_async::Conn,
    tables: &[SnapshotTable],
    jobs: Vec<Job>,
    sender: &mpsc::Sender<Result<Chunk, MySqlError>>,
) -> Result<(), MySqlError> {
    for job in jobs {
        let Some(table) = tables.get(job.table) else {
            continue;
        };
        if !table.query.is_chunked() {
            // One pass: the one result set is cut into chunks as it streams in.
            let sent = read_keyless(&mut conn, table, job.table, |chunk| {
                let sender = sender.clone();
                async move { sender.send(Ok(chunk)).await.is_ok() }
            })
            .await?;
            if !sent {
                return Ok(());
            }
            continue;
        }
        let mut after = job.after;
        loop {
            let chunk = read_chunk(&mut conn, table, job.table, after.as_deref()).await?;
            let last = chunk.last;
            after.clone_from(&chunk.last_key);
            if sender.send(Ok(chunk)).await.is_err() {
                return Ok(());
            }
            if last {
                break;
            }
        }
    }
    let _ = conn.query_drop("COMMIT").await;
    let _ = conn.disconnect().await;
    Ok(())
}

fn float32_columns(columns: Option<Arc<[mysql_async::Column]>>) -> Arc<[bool]> {
    columns
        .map(|columns| {
            columns
                .iter()
                .map(|c| c.column_type() == WireType::MYSQL_TYPE_FLOAT)
                .collect()
        })
        .unwrap_or_default()
}

/// Reads the chunk of a keyed `table` after `after`.
pub async fn read_chunk(
    conn: &mut mysql_async::Conn,
    table: &SnapshotTable,
    index: usize,
    after: Option<&[String]>,
) -> Result<Chunk, MySqlError> {
    let during = || format!("snapshot of {}", table.name());
    let sql = table.query.sql(after);
    let mut result = conn
        .query_iter(sql.as_str())
        .await
        .map_err(|e| MySqlError::sql(during(), e))?;
    let float32 = float32_columns(result.columns());
    let mut rows: Vec<mysql_async::Row> = result
        .collect()
        .await
        .map_err(|e| MySqlError::sql(during(), e))?;
    let shape = table.query.shape(rows.len());
    rows.truncate(shape.deliver);
    let last_key = match rows.last() {
        Some(row) => {
            Some(
                key_text(row, &table.key_index).map_err(|detail| MySqlError::Protocol {
                    during: during(),
                    detail,
                })?,
            )
        }
        None => None,
    };
    Ok(Chunk {
        table: index,
        rows,
        float32,
        last: shape.last,
        last_key,
    })
}

/// Reads a table without a primary key in one pass, handing `deliver` chunks of
/// `snapshot.fetch.size` rows; returns `false` when `deliver` refused one.
pub async fn read_keyless<F, Fut>(
    conn: &mut mysql_async::Conn,
    table: &SnapshotTable,
    index: usize,
    mut deliver: F,
) -> Result<bool, MySqlError>
where
    F: FnMut(Chunk) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let during = || format!("snapshot of {}", table.name());
    let sql = table.query.sql(None);
    let mut result = conn
        .query_iter(sql.as_str())
        .await
        .map_err(|e| MySqlError::sql(during(), e))?;
    let float32 = float32_columns(result.columns());
    let size = usize::try_from(table.query.fetch_size).unwrap_or(usize::MAX);
    let mut rows = Vec::with_capacity(size.min(65_536));
    while let Some(row) = result
        .next()
        .await
        .map_err(|e| MySqlError::sql(during(), e))?
    {
        rows.push(row);
        if rows.len() == size {
            let chunk = Chunk {
                table: index,
                rows: std::mem::take(&mut rows),
                float32: Arc::clone(&float32),
                last: false,
                last_key: None,
            };
            if !deliver(chunk).await {
                // Read the rest of the result set so the connection stays usable.
                while result
                    .next()
                    .await
                    .map_err(|e| MySqlError::sql(during(), e))?
                    .is_some()
                {}
                return Ok(false);
            }
        }
    }
    Ok(deliver(Chunk {
        table: index,
        rows,
        float32,
        last: true,
        last_key: None,
    })
    .await)
}

/// Reads the next chunk of `table` in a transaction of its own and returns it with the
/// binlog position its view is exact at (MariaDB's `binlog_snapshot_file`/`_position`):
/// the chunk is the table's content after every transaction up to that position and none
/// after, so it is emitted when the stream reaches it — a resumed snapshot, read while
/// streaming. A keyless table is read whole (it cannot be split by key).
pub async fn read_chunk_at_position(
    conn: &mut mysql_async::Conn,
    table: &SnapshotTable,
    index: usize,
    after: Option<&[String]>,
) -> Result<(Vec<Chunk>, String, u64), MySqlError> {
    let start = "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY";
    conn.query_drop(start)
        .await
        .map_err(|e| MySqlError::sql(start, e))?;
    let status_query = "SHOW SESSION STATUS LIKE 'binlog_snapshot_%'";
    let status: Vec<(String, String)> = conn
        .query(status_query)
        .await
        .map_err(|e| MySqlError::sql(status_query, e))?;
    let value = |name: &str| {
        status
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let file = value("binlog_snapshot_file").filter(|f| !f.is_empty());
    let pos = value("binlog_snapshot_position").and_then(|p| p.parse::<u64>().ok());
    let (Some(file), Some(pos)) = (file, pos) else {
        let _ = conn.query_drop("ROLLBACK").await;
        return Err(MySqlError::Protocol {
            during: format!("snapshot of {} while streaming", table.name()),
            detail: "the server does not report binlog_snapshot_file/binlog_snapshot_position \
                     (MariaDB does; MySQL does not), so a chunk cannot be placed exactly in \
                     the stream; resuming a snapshot while streaming needs MariaDB — on \
                     MySQL delete the connector's offsets and schema history to snapshot \
                     again"
                .to_owned(),
        });
    };
    let chunks = if table.query.is_chunked() {
        vec![read_chunk(conn, table, index, after).await?]
    } else {
        let mut chunks = Vec::new();
        read_keyless(conn, table, index, |chunk| {
            chunks.push(chunk);
            async { true }
        })
        .await?;
        chunks
    };
    let _ = conn.query_drop("COMMIT").await;
    Ok((chunks, file, pos))
}

/// A session for snapshot reads: UTC `TIMESTAMP`s, strings in their column's charset,
/// backslash escapes allowed (see [`crate::mysql::schema::open_consistent_snapshot`]).
pub async fn snapshot_session(
    options: &crate::mysql::client::MySqlConnectOptions,
) -> Result<mysql_async::Conn, MySqlError> {
    let mut conn = crate::mysql::schema::connect_snapshot_session(options).await?;
    let isolation = "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ";
    conn.query_drop(isolation)
        .await
        .map_err(|e| MySqlError::sql(isolation, e))?;
    Ok(conn)
}

/// The key columns of `row` as text, for the next chunk's `WHERE`.
fn key_text(row: &mysql_async::Row, key_index: &[usize]) -> Result<Vec<String>, String> {
    key_index
        .iter()
        .map(|&i| match row.as_ref(i) {
            Some(mysql_async::Value::Bytes(bytes)) => String::from_utf8(bytes.clone())
                .map_err(|_| format!("primary-key column {i} is not UTF-8 text")),
            Some(mysql_async::Value::NULL) => Err(format!("primary-key column {i} is NULL")),
            _ => Err(format!("primary-key column {i} is missing from the row")),
        })
        .collect()
}

/// The server's row estimates (`information_schema.TABLES.TABLE_ROWS`, InnoDB's sampled
/// count) for `tables`, as `(database.table, rows)`. For progress only: an error leaves
/// the estimates out rather than failing the snapshot.
pub async fn estimate_rows(
    conn: &mut mysql_async::Conn,
    tables: &[SnapshotTable],
) -> Vec<(String, u64)> {
    let mut estimates = Vec::with_capacity(tables.len());
    for table in tables {
        let row: Result<Option<Option<u64>>, _> = conn
            .exec_first(
                "SELECT TABLE_ROWS FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
                (&table.id.database, &table.id.table),
            )
            .await;
        match row {
            Ok(Some(Some(rows))) => estimates.push((table.name(), rows)),
            Ok(_) => {}
            Err(e) => {
                tracing::debug!(table = %table.name(), error = %e, "no row estimate");
            }
        }
    }
    estimates
}
