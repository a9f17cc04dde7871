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
        let mut after = job.after;
        loop {
            let sql = table.query.sql(after.as_deref());
            let mut result = conn
                .query_iter(sql.as_str())
                .await
                .map_err(|e| MySqlError::sql(format!("snapshot of {}", table.name()), e))?;
            let float32: Arc<[bool]> = result
                .columns()
                .map(|columns| {
                    columns
                        .iter()
                        .map(|c| c.column_type() == WireType::MYSQL_TYPE_FLOAT)
                        .collect()
                })
                .unwrap_or_default();
            if !table.query.is_chunked() {
                // One pass: cut the one result set into chunks as it streams in.
                let size = usize::try_from(table.query.fetch_size).unwrap_or(usize::MAX);
                let mut rows = Vec::with_capacity(size.min(65_536));
                while let Some(row) = result
                    .next()
                    .await
                    .map_err(|e| MySqlError::sql(format!("snapshot of {}", table.name()), e))?
                {
                    rows.push(row);
                    if rows.len() == size {
                        let chunk = Chunk {
                            table: job.table,
                            rows: std::mem::take(&mut rows),
                            float32: Arc::clone(&float32),
                            last: false,
                            last_key: None,
                        };
                        if sender.send(Ok(chunk)).await.is_err() {
                            return Ok(());
                        }
                    }
                }
                let chunk = Chunk {
                    table: job.table,
                    rows,
                    float32,
                    last: true,
                    last_key: None,
                };
                if sender.send(Ok(chunk)).await.is_err() {
                    return Ok(());
                }
                break;
            }
            let mut rows: Vec<mysql_async::Row> = result
                .collect()
                .await
                .map_err(|e| MySqlError::sql(format!("snapshot of {}", table.name()), e))?;
            let shape = table.query.shape(rows.len());
            rows.truncate(shape.deliver);
            let last_key = match rows.last() {
                Some(row) => Some(key_text(row, &table.key_index).map_err(|detail| {
                    MySqlError::Protocol {
                        during: format!("snapshot of {}", table.name()),
                        detail,
                    }
                })?),
                None => None,
            };
            if !shape.last {
                after.clone_from(&last_key);
            }
            let chunk = Chunk {
                table: job.table,
                rows,
                float32,
                last: shape.last,
                last_key,
            };
            if sender.send(Ok(chunk)).await.is_err() {
                return Ok(());
            }
            if shape.last {
                break;
            }
        }
    }
    let _ = conn.query_drop("COMMIT").await;
    let _ = conn.disconnect().await;
    Ok(())
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
