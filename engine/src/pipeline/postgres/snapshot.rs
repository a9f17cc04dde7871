//! PostgreSQL initial snapshots in one consistent snapshot: the captured tables read in
//! keyset chunks by `snapshot.max.threads` sessions that share one exported snapshot.
//!
//! A new connector creates its slot with `SNAPSHOT 'export'`: the snapshot sees exactly the
//! transactions committed before the slot's consistent point, so streaming from that point
//! after the snapshot has no gap and no duplicate. Every reading session imports it into a
//! `REPEATABLE READ` transaction (`SET TRANSACTION SNAPSHOT`); the replication session stays
//! idle until the last table is read (a command on it would end the export).
//! `initial_only` needs no slot: one reading session exports its own snapshot
//! (`pg_export_snapshot()`) for the others.
//!
//! Chunks go to the processing thread through a bounded channel (two per reader), so at
//! most `2 × threads + threads` chunks of `snapshot.fetch.size` rows are in memory.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tributary_decoders::pgoutput::{ColumnInfo, Oid, RelationInfo, ReplicaIdentity};
use tributary_snapshot::{ChunkQuery, Dialect};

use crate::config::{SnapshotConfig, TableFilter};
use crate::postgres::{PgConnectOptions, PgError, SqlSession, split_data_row};

/// A captured table as the snapshot reads it.
#[derive(Debug, Clone)]
pub struct SnapshotTable {
    /// The columns as pgoutput would announce them (non-dropped, non-generated).
    pub info: RelationInfo,
    /// Positions of the primary-key columns in `info.columns`, in key order.
    pub key_index: Vec<usize>,
    /// How its chunks are queried.
    pub query: ChunkQuery,
    /// `pg_class.reltuples`, when the table was ever analyzed or vacuumed.
    pub estimated_rows: Option<u64>,
}

impl SnapshotTable {
    /// `<schema>.<table>`, the name progress is kept under.
    pub fn name(&self) -> String {
        format!("{}.{}", self.info.namespace, self.info.name)
    }
}

/// Rows of one chunk: the raw `DataRow` bodies back to back, so a chunk costs two
/// allocations however many rows it has.
#[derive(Debug, Default)]
pub struct RowArena {
    data: Vec<u8>,
    ends: Vec<usize>,
}

impl RowArena {
    /// Appends a row.
    pub fn push(&mut self, body: &[u8]) {
        self.data.extend_from_slice(body);
        self.ends.push(self.data.len());
    }

    /// Rows held.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Row `i`.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { *self.ends.get(i - 1)? };
        self.data.get(start..end)
    }

    /// Keeps the first `n` rows.
    pub fn truncate(&mut self, n: usize) {
        if n < self.ends.len() {
            self.ends.truncate(n);
            let end = self.ends.last().copied().unwrap_or(0);
            self.data.truncate(end);
        }
    }
}

/// The text of row `row`'s key columns, as the progress stores it.
pub fn key_text(row: &[u8], key_index: &[usize]) -> Result<Vec<String>, PgError> {
    let mut columns = Vec::new();
    split_data_row(row, &mut columns)?;
    key_index
        .iter()
        .map(|&i| match columns.get(i) {
            Some(Some(bytes)) => Ok(String::from_utf8_lossy(bytes).into_owned()),
            _ => Err(PgError::protocol(
                "snapshot row",
                format!("primary-key column {i} is missing or NULL"),
            )),
        })
        .collect()
}

/// One chunk read.
#[derive(Debug)]
pub struct Chunk {
    /// Index of the table in the snapshot's table list.
    pub table: usize,
    /// The rows, in key order.
    pub rows: RowArena,
    /// Whether the chunk ends its table.
    pub last: bool,
}

/// Reads the captured tables, their columns and primary keys, in the session's current
/// transaction (so in the snapshot's schema).
///
/// A column's place in the primary key comes from `unnest … WITH ORDINALITY` (1-based):
/// `indkey` is an `int2vector`, whose subscripts start at 0, so `array_position` would
/// give the first key column 0 — "not a key column" — and read the table in one pass.
pub async fn captured_tables(
    session: &mut SqlSession,
    filter: &TableFilter,
    config: &SnapshotConfig,
) -> Result<Vec<SnapshotTable>, PgError> {
    let rows = session
        .simple_query(
            "SELECT c.oid, n.nspname, c.relname, a.attname, a.atttypid, a.atttypmod, \
             COALESCE((SELECT k.position FROM pg_index i, \
                       unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, position) \
                       WHERE i.indrelid = c.oid AND i.indisprimary AND k.attnum = a.attnum), 0), \
             c.reltuples::bigint \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 \
                  AND NOT a.attisdropped AND a.attgenerated = '' \
             WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
                   AND n.nspname NOT LIKE 'pg_toast%' \
             ORDER BY n.nspname, c.relname, a.attnum",
        )
        .await?;
    let mut tables: Vec<(SnapshotTable, Vec<(usize, usize)>)> = Vec::new();
    for row in rows {
        let text = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
        let number = |i: usize| text(i).parse::<i64>().unwrap_or(0);
        let oid = Oid::try_from(number(0)).unwrap_or(0);
        let (namespace, name) = (text(1), text(2));
        if !filter.captures(&namespace, &name) {
            continue;
        }
        let key_position = usize::try_from(number(6)).unwrap_or(0);
        if tables.last().is_none_or(|(t, _)| t.info.oid != oid) {
            let full_name = format!("{namespace}.{name}");
            tables.push((
                SnapshotTable {
                    info: RelationInfo {
                        oid,
                        namespace: namespace.clone(),
                        name: name.clone(),
                        replica_identity: ReplicaIdentity::Default,
                        columns: Vec::new(),
                    },
                    key_index: Vec::new(),
                    query: ChunkQuery {
                        dialect: Dialect::Postgres,
                        namespace,
                        table: name,
                        columns: Vec::new(),
                        key: Vec::new(),
                        fetch_size: config.fetch_size,
                        select_override: config.select_override(&full_name).map(str::to_owned),
                        condition: None,
                    },
                    // -1: never analyzed.
                    estimated_rows: u64::try_from(number(7)).ok(),
                },
                Vec::new(),
            ));
        }
        let Some((table, keys)) = tables.last_mut() else {
            continue;
        };
        let column = text(3);
        if key_position > 0 {
            keys.push((key_position, table.info.columns.len()));
        }
        table.info.columns.push(ColumnInfo {
            flags: u8::from(key_position > 0),
            name: column.clone(),
            type_oid: Oid::try_from(number(4)).unwrap_or(0),
            type_modifier: i32::try_from(number(5)).unwrap_or(-1),
        });
        table.query.columns.push(column);
    }
    Ok(tables
        .into_iter()
        .map(|(mut table, mut keys)| {
            keys.sort_unstable();
            table.key_index = keys.iter().map(|(_, i)| *i).collect();
            table.query.key = table
                .key_index
                .iter()
                .filter_map(|&i| table.info.columns.get(i).map(|c| c.name.clone()))
                .collect();
            table
        })
        .collect())
}

/// A table to read, from where the progress says.
#[derive(Debug, Clone)]
pub struct Job {
    /// Index in the snapshot's table list.
    pub table: usize,
    /// How to query it.
    pub query: ChunkQuery,
    /// Key columns' positions.
    pub key_index: Vec<usize>,
    /// The key to start after (`None`: from the first row).
    pub after: Option<Vec<String>>,
}

/// The reading sessions of a snapshot, feeding chunks to the processing thread.
#[derive(Debug)]
pub struct SnapshotReaders {
    /// Chunks in the order they were read (per table, in key order); an error ends it.
    pub chunks: mpsc::Receiver<Result<Chunk, PgError>>,
    tasks: Vec<JoinHandle<()>>,
}

impl SnapshotReaders {
    /// Starts `threads` readers over `jobs`. `first` is a session already inside the
    /// snapshot's transaction; the others import `snapshot_name`.
    pub fn start(
        first: SqlSession,
        connect: &PgConnectOptions,
        snapshot_name: String,
        threads: usize,
        jobs: Vec<Job>,
    ) -> Self {
        let threads = threads.clamp(1, jobs.len().max(1));
        let (sender, chunks) = mpsc::channel(2 * threads);
        let jobs = Arc::new(Mutex::new(VecDeque::from(jobs)));
        let mut tasks = Vec::with_capacity(threads);
        let mut first = Some(first);
        for _ in 0..threads {
            let session = first.take();
            let connect = connect.clone();
            let snapshot_name = snapshot_name.clone();
            let jobs = Arc::clone(&jobs);
            let sender = sender.clone();
            tasks.push(tokio::spawn(async move {
                let result = read_jobs(session, &connect, &snapshot_name, &jobs, &sender).await;
                if let Err(err) = result {
                    let _ = sender.send(Err(err)).await;
                }
            }));
        }
        Self { chunks, tasks }
    }
}

impl Drop for SnapshotReaders {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Opens a session inside `snapshot_name`.
pub async fn import_snapshot(
    connect: &PgConnectOptions,
    snapshot_name: &str,
) -> Result<SqlSession, PgError> {
    let mut session = SqlSession::connect(connect).await?;
    session
        .simple_query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await?;
    session
        .simple_query(&format!(
            "SET TRANSACTION SNAPSHOT {}",
            Dialect::Postgres.literal(snapshot_name)
        ))
        .await?;
    Ok(session)
}

/// Opens a session in a new `REPEATABLE READ` transaction and exports its snapshot for
/// other sessions (the `initial_only` case, which has no slot).
pub async fn export_snapshot(connect: &PgConnectOptions) -> Result<(SqlSession, String), PgError> {
    let mut session = SqlSession::connect(connect).await?;
    session
        .simple_query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await?;
    let rows = session.simple_query("SELECT pg_export_snapshot()").await?;
    let name = rows
        .first()
        .and_then(|r| r.first().cloned().flatten())
        .ok_or_else(|| PgError::protocol("pg_export_snapshot()", "no snapshot name returned"))?;
    Ok((session, name))
}

async fn read_jobs(
    session: Option<SqlSession>,
    connect: &PgConnectOptions,
    snapshot_name: &str,
    jobs: &Mutex<VecDeque<Job>>,
    sender: &mpsc::Sender<Result<Chunk, PgError>>,
) -> Result<(), PgError> {
    let mut session = match session {
        Some(session) => session,
        None => import_snapshot(connect, snapshot_name).await?,
    };
    loop {
        let job = match jobs.lock() {
            Ok(mut queue) => queue.pop_front(),
            Err(_) => None,
        };
        let Some(mut job) = job else {
            break;
        };
        loop {
            let (rows, last) = read_chunk(&mut session, &job.query, job.after.as_deref()).await?;
            if !last {
                let Some(row) = rows.get(rows.len().saturating_sub(1)) else {
                    return Err(PgError::protocol(
                        "snapshot chunk",
                        "a full chunk without rows",
                    ));
                };
                job.after = Some(key_text(row, &job.key_index)?);
            }
            let chunk = Chunk {
                table: job.table,
                rows,
                last,
            };
            if sender.send(Ok(chunk)).await.is_err() {
                return Ok(());
            }
            if last {
                break;
            }
        }
    }
    let _ = session.simple_query("COMMIT").await;
    let _ = session.close().await;
    Ok(())
}

/// Reads one chunk after `after`: its rows and whether it ends the table.
pub async fn read_chunk(
    session: &mut SqlSession,
    query: &ChunkQuery,
    after: Option<&[String]>,
) -> Result<(RowArena, bool), PgError> {
    let sql = query.sql(after);
    let mut rows = RowArena::default();
    session
        .query_raw(&sql, &mut |body| {
            rows.push(body);
            Ok(())
        })
        .await?;
    let shape = query.shape(rows.len());
    rows.truncate(shape.deliver);
    Ok((rows, shape.last))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data_row(values: &[Option<&str>]) -> Vec<u8> {
        let mut body = (values.len() as i16).to_be_bytes().to_vec();
        for value in values {
            match value {
                Some(v) => {
                    body.extend_from_slice(&(v.len() as i32).to_be_bytes());
                    body.extend_from_slice(v.as_bytes());
                }
                None => body.extend_from_slice(&(-1i32).to_be_bytes()),
            }
        }
        body
    }

    #[test]
    fn the_arena_keeps_rows_apart_and_truncates() {
        let mut arena = RowArena::default();
        arena.push(b"one");
        arena.push(b"");
        arena.push(b"three");
        assert_eq!(arena.get(0), Some(&b"one"[..]));
        assert_eq!(arena.get(1), Some(&b""[..]));
        assert_eq!(arena.get(2), Some(&b"three"[..]));
        assert_eq!(arena.get(3), None);
        arena.truncate(1);
        assert_eq!(arena.len(), 1);
        arena.push(b"x");
        assert_eq!(arena.get(1), Some(&b"x"[..]));
    }

    #[test]
    fn key_text_reads_the_key_columns_in_key_order() {
        let row = data_row(&[Some("7"), Some("note"), Some("b"), None]);
        assert_eq!(key_text(&row, &[2, 0]).unwrap(), ["b", "7"]);
        assert!(key_text(&row, &[3]).is_err());
        assert!(key_text(&row, &[9]).is_err());
        assert!(key_text(&[0, 5, 0], &[0]).is_err());
    }
}
