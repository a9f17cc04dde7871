//! Where schema history records are kept: the [`SchemaHistoryStore`] contract and the local
//! file implementation (the Kafka-topic store is in `kafka_store.rs`).
//!
//! # File format and crash safety
//! One JSON record per line, appended and `fsync`ed before `append` returns. A record is a
//! single `write` of the JSON text and its `\n` (JSON strings escape newlines, so a record is
//! exactly one line). A crash can leave only a prefix of the last write: a last line without
//! its `\n`. [`FileSchemaHistoryStore::open`] detects it and truncates it away (that record
//! was never acknowledged, so its DDL will be read again from the binlog); any other line
//! that is not a valid record is reported as corruption, never skipped.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::error::SchemaError;
use super::history::HistoryRecord;

/// Durable, ordered storage of schema history records.
///
/// # Contract
/// - A record is **durable when `append` returns `Ok`**: a crash or power loss after that
///   cannot lose it. The reader applies a DDL to its model only after that, and the binlog
///   offset past the DDL is committed only after that.
/// - If `append` returns an error, the record may or may not have been stored; the store
///   stays usable and consistent (no partial record is ever returned by `records`).
/// - `records` returns every durable record **in append order**.
///
/// Calls block on I/O: call them from a blocking thread, not an async executor.
pub trait SchemaHistoryStore {
    /// Appends one record and makes it durable before returning.
    fn append(&mut self, record: &HistoryRecord) -> Result<(), SchemaError>;

    /// Every stored record, oldest first.
    fn records(&self) -> Result<Vec<HistoryRecord>, SchemaError>;
}

/// A schema history in a local append-only file of JSON lines
/// (`schema.history.internal=io.debezium.storage.file.history.FileSchemaHistory`).
#[derive(Debug)]
pub struct FileSchemaHistoryStore {
    path: PathBuf,
    file: File,
    /// Length of the valid content: appends write here.
    len: u64,
    records: Vec<HistoryRecord>,
}

impl FileSchemaHistoryStore {
    /// Opens (creating if missing) the history file at `path`, reads every record, and
    /// truncates a torn last line left by a crash.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, SchemaError> {
        let path = path.as_ref().to_path_buf();
        let io = |source| SchemaError::Io {
            path: path.clone(),
            source,
        };
        let existed = path.exists();
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        if !existed {
            // Make the new file's directory entry durable too.
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
            }
        }
        let mut content = Vec::new();
        file.read_to_end(&mut content).map_err(io)?;
        let complete = content
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        if complete < content.len() {
            // A torn last record: never acknowledged, so drop it.
            file.set_len(complete as u64).map_err(io)?;
            file.sync_all().map_err(io)?;
        }
        let mut records = Vec::new();
        for (i, line) in content
            .get(..complete)
            .unwrap_or_default()
            .split(|&b| b == b'\n')
            .enumerate()
        {
            if line.is_empty() {
                continue;
            }
            let record = serde_json::from_slice(line).map_err(|e| SchemaError::Corrupt {
                path: path.clone(),
                line: i + 1,
                detail: e.to_string(),
            })?;
            records.push(record);
        }
        Ok(Self {
            path,
            file,
            len: complete as u64,
            records,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn write_at_end(&mut self, line: &[u8]) -> std::io::Result<()> {
        self.file.seek(SeekFrom::Start(self.len))?;
        self.file.write_all(line)?;
        self.file.sync_data()
    }
}

impl SchemaHistoryStore for FileSchemaHistoryStore {
    fn append(&mut self, record: &HistoryRecord) -> Result<(), SchemaError> {
        let mut line = serde_json::to_vec(record)?;
        line.push(b'\n');
        if let Err(source) = self.write_at_end(&line) {
            // Cut a partial write off so the next append starts on a clean line.
            let _ = self
                .file
                .set_len(self.len)
                .and_then(|()| self.file.sync_data());
            return Err(SchemaError::Io {
                path: self.path.clone(),
                source,
            });
        }
        self.len += line.len() as u64;
        self.records.push(record.clone());
        Ok(())
    }

    fn records(&self) -> Result<Vec<HistoryRecord>, SchemaError> {
        Ok(self.records.clone())
    }
}

/// A history kept in memory only: for tests and for a connector that re-snapshots its schema
/// on every start. Records are "durable" for the life of the process.
#[derive(Debug, Default, Clone)]
pub struct MemorySchemaHistoryStore {
    records: Vec<HistoryRecord>,
}

impl MemorySchemaHistoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl SchemaHistoryStore for MemorySchemaHistoryStore {
    fn append(&mut self, record: &HistoryRecord) -> Result<(), SchemaError> {
        self.records.push(record.clone());
        Ok(())
    }

    fn records(&self) -> Result<Vec<HistoryRecord>, SchemaError> {
        Ok(self.records.clone())
    }
}
