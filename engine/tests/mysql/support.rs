//! Helpers shared by the MySQL/MariaDB scenarios: connection options for the test server, a
//! decoder that turns forwarded binlog events into one comparable line per row change, and
//! one that converts them into typed values through the schema history ([`TypedChanges`]).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tributary::mysql::client::{BinlogEvent, BinlogOffset, BinlogReader, MySqlConnectOptions};
use tributary::mysql::schema::{
    BinlogPosition, CapturedTable, DdlOutcome, SchemaHistory, SchemaHistoryStore, TableId,
};
use tributary_decoders::binlog::{
    BinlogDecoder, ChecksumAlgorithm, ColumnValue, EventData, Row, RowChange,
};
use tributary_envelope::{ConnectorKind, Value};
use tributary_testcontainers::MariaDbConfig;

/// How long a scenario waits for the stream before it fails.
pub(crate) const DEADLINE: Duration = Duration::from_secs(30);

/// Connection options for the test server's replication user, as replica `server_id`.
pub(crate) fn options(config: &MariaDbConfig, server_id: u32) -> MySqlConnectOptions {
    MySqlConnectOptions::new(&config.host, config.port, &config.user, server_id)
        .password(&config.password)
}

/// One column rendered for comparison: `-` when absent from the row image.
fn show(v: Option<&ColumnValue<'_>>) -> String {
    match v {
        None => "-".to_owned(),
        Some(ColumnValue::Null) => "NULL".to_owned(),
        Some(ColumnValue::Int(i)) => i.to_string(),
        Some(ColumnValue::UInt(u)) => u.to_string(),
        Some(ColumnValue::IntUnknownSign { raw, .. }) => raw.to_string(),
        Some(ColumnValue::Bytes(b)) => String::from_utf8_lossy(b).into_owned(),
        Some(other) => format!("{other:?}"),
    }
}

/// A row image rendered as `(v1,v2,...)`.
pub(crate) fn row_text(row: &Row<'_>) -> String {
    let cols: Vec<String> = row.values().iter().map(|v| show(v.as_ref())).collect();
    format!("({})", cols.join(","))
}

/// Decodes forwarded events like the pipeline would, keeping the changes of one database.
pub(crate) struct Changes {
    decoder: BinlogDecoder,
    database: String,
    /// One line per row change, in stream order: `table I|U|D (values)`.
    pub(crate) changes: Vec<String>,
    /// The offset of the last event fed.
    pub(crate) last_offset: Option<BinlogOffset>,
    /// Each change with the offset of the event that carried it.
    pub(crate) offsets: Vec<(String, BinlogOffset)>,
}

impl Changes {
    pub(crate) fn new(database: &str) -> Self {
        Self {
            decoder: BinlogDecoder::new(),
            database: database.to_owned(),
            changes: Vec::new(),
            last_offset: None,
            offsets: Vec::new(),
        }
    }

    pub(crate) fn feed(&mut self, event: &BinlogEvent) {
        for decoded in self.decoder.decode(&event.raw).unwrap() {
            if let EventData::Rows(rows) = &decoded.data {
                if rows.table().schema != self.database {
                    continue;
                }
                let table = rows.table().table.clone();
                for change in rows.rows().skip(usize::try_from(event.skip_rows).unwrap()) {
                    let text = match change.unwrap() {
                        RowChange::Insert(r) => format!("{table} I {}", row_text(&r)),
                        RowChange::Update { before, after } => {
                            format!("{table} U {}->{}", row_text(&before), row_text(&after))
                        }
                        RowChange::Delete(r) => format!("{table} D {}", row_text(&r)),
                    };
                    self.offsets.push((text.clone(), event.offset.clone()));
                    self.changes.push(text);
                }
            }
        }
        self.last_offset = Some(event.offset.clone());
    }

    /// Reads until `want` changes are collected or the deadline passes.
    pub(crate) async fn collect(&mut self, reader: &mut BinlogReader, want: usize) -> Vec<String> {
        let deadline = Instant::now() + DEADLINE;
        while self.changes.len() < want {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, reader.events.recv()).await {
                Ok(Some(event)) => self.feed(&event),
                Ok(None) => panic!("reader ended: {:?}", (&mut reader.task).await),
                Err(_) => panic!(
                    "timed out with {} of {want} changes: {:?}",
                    self.changes.len(),
                    self.changes
                ),
            }
        }
        self.changes.clone()
    }
}

/// One converted row change: the table, `I`/`U`/`D`, and the (after, or deleted) row as
/// column name → typed value, in table order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TypedRow {
    pub(crate) table: String,
    pub(crate) op: char,
    pub(crate) values: Vec<(String, Value)>,
}

/// Decodes forwarded events like the pipeline will: DDL of the database goes through the
/// schema history (and its store), rows are converted with the table version in force.
pub(crate) struct TypedChanges {
    decoder: BinlogDecoder,
    database: String,
    pub(crate) history: SchemaHistory,
    pub(crate) store: Box<dyn SchemaHistoryStore + Send>,
    tables: HashMap<TableId, CapturedTable>,
    buf: Vec<Value>,
    pub(crate) rows: Vec<TypedRow>,
    /// Applied DDL statements, in order.
    pub(crate) ddl: Vec<String>,
    pub(crate) last_offset: Option<BinlogOffset>,
}

impl TypedChanges {
    /// `checksum` is the reader's `server.checksum`: the stream's first event (the
    /// artificial ROTATE) comes before any FORMAT_DESCRIPTION and carries a CRC32 when the
    /// server checksums, which the decoder must be told, or the trailer is read as part of
    /// the file name.
    pub(crate) fn new(
        database: &str,
        checksum: ChecksumAlgorithm,
        history: SchemaHistory,
        store: Box<dyn SchemaHistoryStore + Send>,
    ) -> Self {
        let mut decoder = BinlogDecoder::new();
        decoder.set_checksum_algorithm(checksum);
        Self {
            decoder,
            database: database.to_owned(),
            history,
            store,
            tables: HashMap::new(),
            buf: Vec::new(),
            rows: Vec::new(),
            ddl: Vec::new(),
            last_offset: None,
        }
    }

    pub(crate) fn feed(&mut self, event: &BinlogEvent) {
        for decoded in self.decoder.decode(&event.raw).unwrap() {
            match &decoded.data {
                // Only the test's database: other tests share the server (Debezium's
                // `schema.history.internal.store.only.captured.databases.ddl`).
                EventData::Ddl { schema, statement } if *schema == self.database => {
                    let position = BinlogPosition {
                        file: decoded.position.file.as_deref().unwrap().to_owned(),
                        pos: decoded.position.offset,
                        gtids: event.offset.gtids.clone(),
                        server_id: decoded.header.server_id,
                        ts_sec: i64::from(decoded.header.timestamp),
                    };
                    let outcome = self
                        .history
                        .apply_ddl(
                            self.store.as_mut(),
                            schema,
                            statement,
                            &position,
                            position.ts_sec * 1000,
                        )
                        .unwrap();
                    if let DdlOutcome::Applied(_) = outcome {
                        self.ddl.push(statement.clone());
                    }
                    // Every table version may have changed.
                    self.tables.clear();
                }
                EventData::Rows(rows) if rows.table().schema == self.database => {
                    let id = TableId::new(&rows.table().schema, &rows.table().table);
                    if !self.tables.contains_key(&id) {
                        let captured = self
                            .history
                            .captured_table(&id, ConnectorKind::MariaDb)
                            .unwrap()
                            .unwrap_or_else(|| panic!("{id} is not in the schema history"));
                        self.tables.insert(id.clone(), captured);
                    }
                    let captured = &self.tables[&id];
                    let skip = usize::try_from(event.skip_rows).unwrap();
                    for change in rows.rows().skip(skip) {
                        let (op, row) = match change.unwrap() {
                            RowChange::Insert(r) => ('I', r),
                            RowChange::Update { after, .. } => ('U', after),
                            RowChange::Delete(r) => ('D', r),
                        };
                        captured
                            .converter
                            .convert_row(&row, rows.position(), &mut self.buf)
                            .unwrap();
                        let names = captured
                            .description
                            .columns
                            .iter()
                            .map(|c| c.name.to_string());
                        self.rows.push(TypedRow {
                            table: id.table.clone(),
                            op,
                            values: names.zip(self.buf.drain(..)).collect(),
                        });
                    }
                }
                _ => {}
            }
        }
        self.last_offset = Some(event.offset.clone());
    }

    /// Reads until `want` rows are converted or the deadline passes.
    pub(crate) async fn collect(&mut self, reader: &mut BinlogReader, want: usize) {
        let deadline = Instant::now() + DEADLINE;
        while self.rows.len() < want {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, reader.events.recv()).await {
                Ok(Some(event)) => self.feed(&event),
                Ok(None) => panic!("reader ended: {:?}", (&mut reader.task).await),
                Err(_) => panic!(
                    "timed out with {} of {want} rows: {:?}",
                    self.rows.len(),
                    self.rows
                ),
            }
        }
    }
}
