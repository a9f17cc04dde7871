//! Helpers shared by the MySQL/MariaDB scenarios: connection options for the test server and
//! a decoder that turns forwarded binlog events into one comparable line per row change.

use std::time::{Duration, Instant};

use tributary::mysql::client::{BinlogEvent, BinlogOffset, BinlogReader, MySqlConnectOptions};
use tributary_decoders::binlog::{BinlogDecoder, ColumnValue, EventData, Row, RowChange};
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
