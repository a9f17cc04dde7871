//! Snapshot progress, carried in the source offset.
//!
//! The progress is written into the offset of every Kafka transaction that holds snapshot
//! rows, so what a read_committed consumer sees and what a restart resumes from are the same
//! thing. It lists the tables still to read, in order; a finished table leaves the list, so
//! the offset stays small however many tables were done. For the table being read it keeps
//! the primary-key values (as the database prints them) of the last row delivered: the next
//! chunk starts strictly after them.
//!
//! Stored under the offset key [`OFFSET_KEY`] as
//! `{"kind":"initial","tables":[{"table":"public.orders","after":["42"],"rows":41}, …]}`.
//! Debezium's own `snapshot`/`last_snapshot_record` keys are set by the engine beside it.

use serde_json::{Map, Value};

/// The offset key holding the progress.
pub const OFFSET_KEY: &str = "tributary_snapshot";

/// Why a snapshot runs: the initial one, or one asked for while streaming.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotKind {
    /// The connector's first snapshot (or `always`/`when_needed`'s at start).
    Initial,
    /// An incremental snapshot requested while streaming (`execute-snapshot`).
    Incremental,
}

/// One table still to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableProgress {
    /// `<schema>.<table>` (PostgreSQL) or `<database>.<table>` (MySQL/MariaDB).
    pub table: String,
    /// The key of the last row delivered, in key-column order, as text; `None` before the
    /// first row.
    pub after: Option<Vec<String>>,
    /// Rows delivered so far.
    pub rows: u64,
    /// An incremental snapshot's `additional-conditions` filter for this table, as SQL.
    pub condition: Option<String>,
}

/// The progress of a running snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotProgress {
    /// Initial or incremental.
    pub kind: SnapshotKind,
    /// The tables not finished yet, in reading order; the first ones are in progress.
    pub tables: Vec<TableProgress>,
    /// Rows delivered by the whole snapshot so far (finished tables included).
    pub rows: u64,
    /// Paused by a `pause-snapshot` signal (no chunk is read until `resume-snapshot`).
    pub paused: bool,
}

/// A stored progress that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "stored offset has an unreadable '{OFFSET_KEY}' ({detail}): {value}; delete the connector's \
     offset (tributary offsets) to snapshot again from the start"
)]
pub struct ProgressError {
    /// What is wrong.
    pub detail: &'static str,
    /// The stored value.
    pub value: String,
}

impl SnapshotProgress {
    /// A snapshot of `tables`, none read yet.
    pub fn new(kind: SnapshotKind, tables: impl IntoIterator<Item = String>) -> Self {
        Self {
            kind,
            tables: tables
                .into_iter()
                .map(|table| TableProgress {
                    table,
                    after: None,
                    rows: 0,
                    condition: None,
                })
                .collect(),
            rows: 0,
            paused: false,
        }
    }

    /// Adds `table` to read (after the ones listed), with an optional filter; a table
    /// already listed keeps its place and gets the new filter.
    pub fn add(&mut self, table: String, condition: Option<String>) {
        match self.tables.iter_mut().find(|t| t.table == table) {
            Some(entry) => entry.condition = condition,
            None => self.tables.push(TableProgress {
                table,
                after: None,
                rows: 0,
                condition,
            }),
        }
    }

    /// Drops `tables` (all of them when `None`) from what is left to read.
    pub fn stop(&mut self, tables: Option<&[String]>) {
        match tables {
            Some(names) => self.tables.retain(|t| !names.contains(&t.table)),
            None => self.tables.clear(),
        }
    }

    /// Whether every table is done.
    pub fn is_done(&self) -> bool {
        self.tables.is_empty()
    }

    /// The entry of `table`, if it is still to read.
    pub fn table(&self, table: &str) -> Option<&TableProgress> {
        self.tables.iter().find(|t| t.table == table)
    }

    /// Records that `rows` more rows of `table` were delivered, up to the key `after`
    /// (the next chunk starts after it).
    pub fn delivered(&mut self, table: &str, rows: u64, after: Option<Vec<String>>) {
        self.rows += rows;
        if let Some(entry) = self.tables.iter_mut().find(|t| t.table == table) {
            entry.rows += rows;
            if after.is_some() {
                entry.after = after;
            }
        }
    }

    /// Records that `table` was read to its end.
    pub fn finished(&mut self, table: &str) {
        self.tables.retain(|t| t.table != table);
    }

    /// Writes the progress into `offset` under [`OFFSET_KEY`].
    pub fn write_into(&self, offset: &mut Map<String, Value>) {
        let tables = self
            .tables
            .iter()
            .map(|t| {
                let mut entry = Map::new();
                entry.insert("table".into(), t.table.clone().into());
                if let Some(after) = &t.after {
                    entry.insert("after".into(), after.clone().into());
                }
                entry.insert("rows".into(), t.rows.into());
                if let Some(condition) = &t.condition {
                    entry.insert("condition".into(), condition.clone().into());
                }
                Value::Object(entry)
            })
            .collect::<Vec<_>>();
        let mut map = Map::new();
        map.insert(
            "kind".into(),
            match self.kind {
                SnapshotKind::Initial => "initial",
                SnapshotKind::Incremental => "incremental",
            }
            .into(),
        );
        map.insert("tables".into(), tables.into());
        map.insert("rows".into(), self.rows.into());
        if self.paused {
            map.insert("paused".into(), true.into());
        }
        offset.insert(OFFSET_KEY.into(), Value::Object(map));
    }

    /// Reads the progress from a stored offset; `Ok(None)` when none is stored (no snapshot
    /// was running).
    pub fn read_from(offset: &Map<String, Value>) -> Result<Option<Self>, ProgressError> {
        let Some(stored) = offset.get(OFFSET_KEY) else {
            return Ok(None);
        };
        let error = |detail| ProgressError {
            detail,
            value: stored.to_string(),
        };
        let map = stored.as_object().ok_or_else(|| error("not an object"))?;
        let kind = match map.get("kind").and_then(Value::as_str) {
            Some("initial") => SnapshotKind::Initial,
            Some("incremental") => SnapshotKind::Incremental,
            _ => return Err(error("'kind' is not initial or incremental")),
        };
        let tables = map
            .get("tables")
            .and_then(Value::as_array)
            .ok_or_else(|| error("'tables' is not a list"))?
            .iter()
            .map(|entry| {
                let table = entry
                    .get("table")
                    .and_then(Value::as_str)
                    .ok_or_else(|| error("a table entry has no 'table' name"))?;
                let after = match entry.get("after") {
                    None | Some(Value::Null) => None,
                    Some(Value::Array(values)) => Some(
                        values
                            .iter()
                            .map(|v| v.as_str().map(str::to_owned))
                            .collect::<Option<Vec<_>>>()
                            .ok_or_else(|| error("an 'after' key value is not text"))?,
                    ),
                    Some(_) => return Err(error("'after' is not a list")),
                };
                Ok(TableProgress {
                    table: table.to_owned(),
                    after,
                    rows: entry.get("rows").and_then(Value::as_u64).unwrap_or(0),
                    condition: entry
                        .get("condition")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(Self {
            kind,
            tables,
            rows: map.get("rows").and_then(Value::as_u64).unwrap_or(0),
            paused: map.get("paused").and_then(Value::as_bool).unwrap_or(false),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_round_trips_through_the_offset() {
        let mut progress = SnapshotProgress::new(
            SnapshotKind::Initial,
            ["public.a".to_owned(), "public.b".to_owned()],
        );
        progress.delivered("public.a", 1, Some(vec!["1".into(), "it's".into()]));
        progress.delivered("public.a", 1, Some(vec!["2".into(), "x".into()]));
        // A chunk whose rows were all superseded keeps the last key.
        progress.delivered("public.a", 0, None);
        let mut offset = Map::new();
        offset.insert("lsn".into(), 5.into());
        progress.write_into(&mut offset);
        let read = SnapshotProgress::read_from(&offset).unwrap().unwrap();
        assert_eq!(read, progress);
        assert_eq!(read.table("public.a").unwrap().rows, 2);
        assert_eq!(
            read.table("public.a").unwrap().after.as_deref(),
            Some(&["2".to_owned(), "x".to_owned()][..])
        );
        assert_eq!(read.rows, 2);
    }

    #[test]
    fn finished_tables_leave_the_list() {
        let mut progress = SnapshotProgress::new(
            SnapshotKind::Incremental,
            ["db.a".to_owned(), "db.b".to_owned()],
        );
        progress.finished("db.a");
        assert_eq!(progress.tables.len(), 1);
        progress.finished("db.b");
        assert!(progress.is_done());
        let mut offset = Map::new();
        progress.write_into(&mut offset);
        let read = SnapshotProgress::read_from(&offset).unwrap().unwrap();
        assert!(read.is_done());
        assert_eq!(read.kind, SnapshotKind::Incremental);
    }

    #[test]
    fn no_progress_stored_is_none_and_garbage_is_an_error() {
        assert_eq!(SnapshotProgress::read_from(&Map::new()), Ok(None));
        for bad in [
            r#"{"tributary_snapshot": 3}"#,
            r#"{"tributary_snapshot": {"kind":"weird","tables":[]}}"#,
            r#"{"tributary_snapshot": {"kind":"initial"}}"#,
            r#"{"tributary_snapshot": {"kind":"initial","tables":[{"after":[]}]}}"#,
            r#"{"tributary_snapshot": {"kind":"initial","tables":[{"table":"a","after":[1]}]}}"#,
        ] {
            let offset: Map<String, Value> = serde_json::from_str(bad).unwrap();
            let err = SnapshotProgress::read_from(&offset).unwrap_err();
            assert!(err.to_string().contains("tributary_snapshot"), "{err}");
        }
    }
}
