//! Snapshot chunks read while streaming, merged through watermark windows
//! ([`tributary_snapshot::window`]): how an interrupted initial snapshot resumes at its
//! next chunk, and how `always` (and a slot that exists without an offset) snapshot while
//! the slot streams.
//!
//! Each chunk is read in its own `REPEATABLE READ` transaction whose first statement takes
//! the snapshot (`pg_current_snapshot()`) and the high watermark
//! (`pg_current_wal_insert_lsn()`). The chunk then waits until the stream passes the high
//! watermark; streamed changes of transactions the read did not see drop their rows from
//! it. After the read, a non-transactional logical message (`pg_logical_emit_message`,
//! prefix [`WATERMARK_PREFIX`]) puts a WAL record past the watermark, so a quiet database
//! does not keep the chunk waiting for the next keepalive; the message itself is not
//! emitted. Where the function is not allowed, the window closes on the next keepalive
//! instead (logged once).

use tributary_decoders::pgoutput::{Lsn, Oid, TupleData, TupleValue};
use tributary_snapshot::window::{ChunkWindow, XidSnapshot};

use super::snapshot::{RowArena, SnapshotTable, key_text, read_chunk};
use crate::postgres::{PgError, SqlSession, split_data_row};

/// The prefix of the logical messages that mark a read's position in the WAL.
pub const WATERMARK_PREFIX: &str = "tributary-watermark";

/// A chunk waiting for the stream.
#[derive(Debug)]
pub struct OpenWindow {
    /// Index of the table in the snapshot's table list.
    pub table: usize,
    /// The table's oid.
    pub oid: Oid,
    /// Names of the key columns, to find them in the stream's tuples.
    pub key_names: Vec<String>,
    /// The rows read.
    pub rows: RowArena,
    /// Which rows survive.
    pub window: ChunkWindow<usize>,
    /// Whether the chunk ends the table.
    pub last: bool,
    /// The key of the last row read (superseded or not): the next chunk starts after it.
    pub range_end: Option<Vec<String>>,
}

/// Encodes key values the same way for chunk rows and streamed tuples: per column a
/// 4-byte length (`u32::MAX` for NULL) and the text bytes.
fn push_key_part(out: &mut Vec<u8>, value: Option<&[u8]>) {
    match value {
        Some(bytes) => {
            out.extend_from_slice(&u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_be_bytes());
            out.extend_from_slice(bytes);
        }
        None => out.extend_from_slice(&u32::MAX.to_be_bytes()),
    }
}

/// The key bytes of a streamed tuple; `None` when a key column is not in it.
pub fn tuple_key(tuple: &TupleData<'_>, key_index: &[usize]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for &i in key_index {
        match tuple.get(i)? {
            TupleValue::Text(bytes) => push_key_part(&mut out, Some(bytes)),
            TupleValue::Null => push_key_part(&mut out, None),
            TupleValue::UnchangedToast | TupleValue::Binary(_) => return None,
        }
    }
    Some(out)
}

fn row_key(row: &[u8], key_index: &[usize]) -> Result<Vec<u8>, PgError> {
    let mut columns = Vec::new();
    split_data_row(row, &mut columns)?;
    let mut out = Vec::new();
    for &i in key_index {
        push_key_part(&mut out, columns.get(i).copied().flatten());
    }
    Ok(out)
}

/// Reads the chunk of `table` after `after` and opens its window. Returns whether the
/// watermark message could be written (`nudge` asks for it).
pub async fn read_window(
    session: &mut SqlSession,
    index: usize,
    table: &SnapshotTable,
    after: Option<&[String]>,
    nudge: bool,
) -> Result<(OpenWindow, bool), PgError> {
    session
        .simple_query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await?;
    let marks = session
        .simple_query("SELECT pg_current_snapshot()::text, pg_current_wal_insert_lsn()::text")
        .await?;
    let read = async {
        let row = marks
            .first()
            .ok_or_else(|| PgError::protocol("watermark", "no row"))?;
        let snapshot_text = row.first().cloned().flatten().unwrap_or_default();
        let snapshot = XidSnapshot::parse(&snapshot_text)
            .map_err(|e| PgError::protocol("watermark", e.to_string()))?;
        let high: Lsn = row
            .get(1)
            .cloned()
            .flatten()
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| {
                PgError::protocol("watermark", "pg_current_wal_insert_lsn() unreadable")
            })?;
        let (rows, last) = read_chunk(session, &table.query, after).await?;
        Ok::<_, PgError>((snapshot, high, rows, last))
    };
    let result = read.await;
    session.simple_query("COMMIT").await?;
    let (snapshot, high, rows, last) = result?;
    let mut keyed = Vec::with_capacity(rows.len());
    for i in 0..rows.len() {
        let row = rows.get(i).unwrap_or_default();
        keyed.push((row_key(row, &table.key_index)?, i));
    }
    let range_end = match rows.len().checked_sub(1).and_then(|i| rows.get(i)) {
        Some(row) => Some(key_text(row, &table.key_index)?),
        None => after.map(<[String]>::to_vec),
    };
    let nudged = nudge
        && session
            .simple_query(&format!(
                "SELECT pg_logical_emit_message(false, '{WATERMARK_PREFIX}', '')"
            ))
            .await
            .is_ok();
    Ok((
        OpenWindow {
            table: index,
            oid: table.info.oid,
            key_names: table.query.key.clone(),
            rows,
            window: ChunkWindow::new(high.0, snapshot, keyed),
            last,
            range_end,
        },
        nudged,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_rows_and_streamed_tuples_encode_keys_alike() {
        // DataRow: 2 columns, "7" and NULL.
        let mut row = 2i16.to_be_bytes().to_vec();
        row.extend_from_slice(&1i32.to_be_bytes());
        row.extend_from_slice(b"7");
        row.extend_from_slice(&(-1i32).to_be_bytes());
        let mut expected = 1u32.to_be_bytes().to_vec();
        expected.push(b'7');
        assert_eq!(row_key(&row, &[0]).unwrap(), expected);
        let mut both = expected.clone();
        both.extend_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(row_key(&row, &[0, 1]).unwrap(), both);
    }
}
