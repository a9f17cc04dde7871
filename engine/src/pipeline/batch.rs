//! One Kafka transaction's worth of converted records, in one byte arena.
//!
//! # Why an arena
//! Keys, values and header values of every record are appended to a single `Vec<u8>`, and
//! each record keeps ranges into it: converting an event costs no allocation once the
//! buffers have grown to their working size, and a committed batch is cleared and reused
//! rather than freed. The sink borrows the ranges as slices when it produces.

use std::ops::Range;
use std::sync::Arc;

use tributary_envelope::EpochNanos;
use tributary_envelope::options::Operation;

use crate::kafka::OutRecord;
use crate::stream_metrics::{CommitSample, OpCounts};

/// Records and the source offset that follows the last of them.
#[derive(Debug, Default)]
pub struct Batch {
    bytes: Vec<u8>,
    records: Vec<RecordSpan>,
    headers: Vec<HeaderSpan>,
    topics: Vec<Arc<str>>,
    /// Data events in the batch (tombstones and metadata records excluded).
    events: usize,
    /// Those events by operation, in [`crate::stream_metrics::OPS`] order.
    ops: OpCounts,
    /// Source time (ms) of the last streamed (not snapshot) event.
    last_source_ms: Option<i64>,
}

#[derive(Debug, Clone)]
struct RecordSpan {
    topic: u32,
    key: Option<Range<usize>>,
    value: Option<Range<usize>>,
    headers: Range<usize>,
}

#[derive(Debug, Clone)]
struct HeaderSpan {
    name: &'static str,
    value: Range<usize>,
}

/// A record being appended: its parts are written straight into the arena.
pub struct RecordWriter<'b> {
    batch: &'b mut Batch,
    topic: u32,
    key: Option<Range<usize>>,
    value: Option<Range<usize>>,
    headers_start: usize,
    rollback: (usize, usize),
}

impl Batch {
    /// Records in the batch.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the batch holds no record.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Bytes of keys, values and headers.
    pub fn byte_len(&self) -> usize {
        self.bytes.len()
    }

    /// Data events counted with [`Batch::count_event`].
    pub fn events(&self) -> usize {
        self.events
    }

    /// Counts one data event (for limits and metrics), with its operation and when it
    /// happened in the database.
    pub fn count_event(&mut self, op: Operation, source_time: EpochNanos) {
        self.events += 1;
        let slot = match op {
            Operation::Create => 0,
            Operation::Update => 1,
            Operation::Delete => 2,
            Operation::Read => 3,
            Operation::Truncate => 4,
        };
        self.ops[slot] += 1;
        if op != Operation::Read {
            self.last_source_ms = Some(source_time.millis());
        }
    }

    /// Counts a PostgreSQL logical-decoding message (`op: m`) as a data event.
    pub fn count_message(&mut self, source_time: EpochNanos) {
        self.events += 1;
        self.ops[5] += 1;
        self.last_source_ms = Some(source_time.millis());
    }

    /// What committing this batch contributes to the metrics.
    pub fn commit_sample(&self, took: std::time::Duration) -> CommitSample<'_> {
        let mut per_topic = vec![0_u64; self.topics.len()];
        for record in &self.records {
            if let Some(n) = per_topic.get_mut(record.topic as usize) {
                *n += 1;
            }
        }
        CommitSample {
            ops: self.ops,
            records: self
                .topics
                .iter()
                .zip(per_topic)
                .map(|(topic, n)| (&**topic, n))
                .collect(),
            last_source_ms: self.last_source_ms,
            took,
        }
    }

    /// Empties the batch, keeping its buffers.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.records.clear();
        self.headers.clear();
        self.topics.clear();
        self.events = 0;
        self.ops = OpCounts::default();
        self.last_source_ms = None;
    }

    /// Starts a record for `topic`.
    pub fn record(&mut self, topic: &str) -> RecordWriter<'_> {
        let topic = self.intern(topic);
        let rollback = (self.bytes.len(), self.headers.len());
        let headers_start = self.headers.len();
        RecordWriter {
            batch: self,
            topic,
            key: None,
            value: None,
            headers_start,
            rollback,
        }
    }

    /// Index of `topic` in the batch's topic list. Events of one table arrive together, so
    /// the last topic is checked first.
    fn intern(&mut self, topic: &str) -> u32 {
        if let Some(last) = self.topics.len().checked_sub(1)
            && self.topics.get(last).is_some_and(|t| &**t == topic)
        {
            return last as u32;
        }
        if let Some(i) = self.topics.iter().position(|t| &**t == topic) {
            return i as u32;
        }
        self.topics.push(Arc::from(topic));
        (self.topics.len() - 1) as u32
    }

    /// Every header as (name, value), for [`Batch::out_records`]. One vector per Kafka
    /// transaction.
    pub fn header_refs(&self) -> Vec<(&str, &[u8])> {
        self.headers
            .iter()
            .map(|h| (h.name, self.bytes.get(h.value.clone()).unwrap_or_default()))
            .collect()
    }

    /// The batch as the sink's records; `headers` is [`Batch::header_refs`].
    pub fn out_records<'a>(&'a self, headers: &'a [(&'a str, &'a [u8])]) -> Vec<OutRecord<'a>> {
        let slice = |r: &Range<usize>| self.bytes.get(r.clone()).unwrap_or_default();
        self.records
            .iter()
            .map(|r| OutRecord {
                topic: self.topics.get(r.topic as usize).map_or("", |t| &**t),
                key: r.key.as_ref().map(slice),
                value: r.value.as_ref().map(slice),
                headers: headers.get(r.headers.clone()).unwrap_or_default(),
            })
            .collect()
    }
}

impl RecordWriter<'_> {
    /// Appends the key with `write`, which returns `Ok(false)` for a null key.
    pub fn key<E>(&mut self, write: impl FnOnce(&mut Vec<u8>) -> Result<bool, E>) -> Result<(), E> {
        self.key = self.part(write)?;
        Ok(())
    }

    /// Appends the value with `write`, which returns `Ok(false)` for a null value.
    pub fn value<E>(
        &mut self,
        write: impl FnOnce(&mut Vec<u8>) -> Result<bool, E>,
    ) -> Result<(), E> {
        self.value = self.part(write)?;
        Ok(())
    }

    /// Appends a header.
    pub fn header<E>(
        &mut self,
        name: &'static str,
        write: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    ) -> Result<(), E> {
        let start = self.batch.bytes.len();
        write(&mut self.batch.bytes)?;
        let end = self.batch.bytes.len();
        self.batch.headers.push(HeaderSpan {
            name,
            value: start..end,
        });
        Ok(())
    }

    fn part<E>(
        &mut self,
        write: impl FnOnce(&mut Vec<u8>) -> Result<bool, E>,
    ) -> Result<Option<Range<usize>>, E> {
        let start = self.batch.bytes.len();
        let present = write(&mut self.batch.bytes)?;
        Ok(present.then_some(start..self.batch.bytes.len()))
    }

    /// Adds the record to the batch.
    pub fn finish(self) {
        let headers = self.headers_start..self.batch.headers.len();
        self.batch.records.push(RecordSpan {
            topic: self.topic,
            key: self.key,
            value: self.value,
            headers,
        });
    }

    /// Drops what was appended for this record (after a conversion error).
    pub fn discard(self) {
        self.batch.bytes.truncate(self.rollback.0);
        self.batch.headers.truncate(self.rollback.1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_keep_their_parts_and_buffers_are_reused() {
        let mut batch = Batch::default();
        for i in 0..2 {
            let mut r = batch.record("t.a");
            r.key(|out| {
                out.extend_from_slice(format!("k{i}").as_bytes());
                Ok::<_, ()>(true)
            })
            .unwrap();
            r.value(|_| Ok::<_, ()>(false)).unwrap();
            r.header("h", |out| {
                out.push(b'x');
                Ok::<_, ()>(())
            })
            .unwrap();
            r.finish();
        }
        let mut r = batch.record("t.b");
        r.key(|out| {
            out.push(b'z');
            Ok::<_, ()>(true)
        })
        .unwrap();
        r.discard();
        let headers = batch.header_refs();
        let out = batch.out_records(&headers);
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].topic, "t.a");
        assert_eq!(out[1].key, Some(&b"k1"[..]));
        assert_eq!(out[1].value, None);
        assert_eq!(out[1].headers, &[("h", &b"x"[..])]);
        let capacity = batch.bytes.capacity();
        drop(out);
        drop(headers);
        batch.clear();
        assert!(batch.is_empty() && batch.bytes.capacity() == capacity);
    }
}
