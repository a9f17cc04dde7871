//! A connector's streaming metrics: what was committed (events by operation, records by
//! topic), how far behind the source it is, how full the sink's queue is, how long Kafka
//! commits take, failures and restarts, and how much the source retains on its behalf.
//!
//! # Cost
//! Nothing here is touched per row: a batch counts its own events as they are appended
//! (plain integers, [`crate::pipeline::Batch`]), and the sink thread folds the counts in
//! once per committed Kafka transaction. Counters are atomics; the per-topic map takes a
//! lock once per commit. Only committed work is counted, so the numbers agree with what a
//! read_committed consumer sees.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Operation codes in the order [`OpCounts`] keeps them.
pub const OPS: [&str; 6] = ["c", "u", "d", "r", "t", "m"];

/// Upper bounds (seconds) of the commit-latency histogram's buckets.
const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Data events by operation, in [`OPS`] order.
pub type OpCounts = [u64; 6];

/// What one committed Kafka transaction contributes.
#[derive(Debug, Default)]
pub struct CommitSample<'a> {
    /// Data events by operation.
    pub ops: OpCounts,
    /// Records per topic (tombstones and metadata records included).
    pub records: Vec<(&'a str, u64)>,
    /// The source time (ms since the epoch) of the batch's last streamed event.
    pub last_source_ms: Option<i64>,
    /// How long the commit took.
    pub took: Duration,
}

/// Shared between the pipeline (writers) and the metrics endpoints (readers).
#[derive(Debug)]
pub struct StreamMetrics {
    ops: [AtomicU64; 6],
    records: Mutex<BTreeMap<Arc<str>, u64>>,
    commits: AtomicU64,
    latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    latency_sum_micros: AtomicU64,
    behind_source_ms: AtomicI64,
    in_flight: AtomicI64,
    errors: AtomicU64,
    restarts: AtomicU64,
    retained_bytes: AtomicI64,
    binlog_files_behind: AtomicI64,
    /// The binlog file of the last committed position (MySQL/MariaDB).
    binlog_file: Mutex<Option<String>>,
}

impl Default for StreamMetrics {
    fn default() -> Self {
        Self {
            ops: Default::default(),
            records: Mutex::default(),
            commits: AtomicU64::new(0),
            latency_buckets: Default::default(),
            latency_sum_micros: AtomicU64::new(0),
            behind_source_ms: AtomicI64::new(-1),
            in_flight: AtomicI64::new(0),
            errors: AtomicU64::new(0),
            restarts: AtomicU64::new(0),
            retained_bytes: AtomicI64::new(-1),
            binlog_files_behind: AtomicI64::new(-1),
            binlog_file: Mutex::new(None),
        }
    }
}

impl StreamMetrics {
    /// Folds in a committed transaction.
    pub fn committed(&self, sample: &CommitSample<'_>) {
        for (counter, n) in self.ops.iter().zip(sample.ops) {
            counter.fetch_add(n, Ordering::Relaxed);
        }
        if let Ok(mut records) = self.records.lock() {
            for (topic, n) in &sample.records {
                match records.get_mut(*topic) {
                    Some(total) => *total += n,
                    None => {
                        records.insert(Arc::from(*topic), *n);
                    }
                }
            }
        }
        self.commits.fetch_add(1, Ordering::Relaxed);
        let seconds = sample.took.as_secs_f64();
        for (bucket, bound) in self.latency_buckets.iter().zip(LATENCY_BUCKETS) {
            if seconds <= bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_sum_micros.fetch_add(
            u64::try_from(sample.took.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        if let Some(source_ms) = sample.last_source_ms {
            let behind = now_ms().saturating_sub(source_ms).max(0);
            self.behind_source_ms.store(behind, Ordering::Relaxed);
        }
    }

    /// A batch was handed to the sink (`+1`) or finished there (`-1`).
    pub fn in_flight(&self, delta: i64) {
        self.in_flight.fetch_add(delta, Ordering::Relaxed);
    }

    /// A connector attempt failed.
    pub fn failed(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    /// The connector restarted after a transient failure (a reconnect).
    pub fn restarted(&self) {
        self.restarts.fetch_add(1, Ordering::Relaxed);
    }

    /// WAL the replication slot holds back (`pg_current_wal_lsn() - restart_lsn`).
    pub fn set_retained_bytes(&self, bytes: i64) {
        self.retained_bytes.store(bytes, Ordering::Relaxed);
    }

    /// The binlog file of the last committed position.
    pub fn set_binlog_file(&self, file: &str) {
        if let Ok(mut slot) = self.binlog_file.lock()
            && slot.as_deref() != Some(file)
        {
            *slot = Some(file.to_owned());
        }
    }

    /// What [`set_binlog_file`](Self::set_binlog_file) last stored.
    pub fn binlog_file(&self) -> Option<String> {
        self.binlog_file.lock().ok().and_then(|f| f.clone())
    }

    /// Binlog files newer than the one the connector reads.
    pub fn set_binlog_files_behind(&self, files: i64) {
        self.binlog_files_behind.store(files, Ordering::Relaxed);
    }

    /// The topics records were committed to since the start or the last
    /// [`reset_topics`](Self::reset_topics) (Connect's "active topics").
    pub fn topics(&self) -> Vec<String> {
        self.records
            .lock()
            .map(|r| r.keys().map(|t| t.to_string()).collect())
            .unwrap_or_default()
    }

    /// Forgets the active topics (`PUT /connectors/{name}/topics/reset`); their record
    /// counters start again from zero.
    pub fn reset_topics(&self) {
        if let Ok(mut records) = self.records.lock() {
            records.clear();
        }
    }

    /// Data events committed with operation `op` (one of [`OPS`]).
    pub fn events(&self, op: &str) -> u64 {
        OPS.iter()
            .position(|o| *o == op)
            .map_or(0, |i| self.ops[i].load(Ordering::Relaxed))
    }

    /// Appends the metrics in Prometheus' text format, labelled with `label` (an escaped
    /// connector name).
    pub fn render(&self, out: &mut String, label: &str) {
        header(
            out,
            "events_total",
            "counter",
            "Data change events committed to Kafka, by operation.",
        );
        for (op, counter) in OPS.iter().zip(&self.ops) {
            let _ = writeln!(
                out,
                "tributary_events_total{{connector=\"{label}\",op=\"{op}\"}} {}",
                counter.load(Ordering::Relaxed)
            );
        }
        header(
            out,
            "records_total",
            "counter",
            "Records committed to Kafka, by topic (tombstones and metadata records included).",
        );
        if let Ok(records) = self.records.lock() {
            for (topic, n) in records.iter() {
                let _ = writeln!(
                    out,
                    "tributary_records_total{{connector=\"{label}\",topic=\"{}\"}} {n}",
                    escape(topic)
                );
            }
        }
        let gauges: [(&str, &str, &str, i64); 6] = [
            (
                "milliseconds_behind_source",
                "gauge",
                "Time between the last committed streamed change's commit in the database and its commit to Kafka (-1 before the first).",
                self.behind_source_ms.load(Ordering::Relaxed),
            ),
            (
                "sink_batches_in_flight",
                "gauge",
                "Batches handed to the Kafka sink and not yet committed (the queue depth; at most 2).",
                self.in_flight.load(Ordering::Relaxed),
            ),
            (
                "errors_total",
                "counter",
                "Connector attempts that failed (each is retried or fails the connector).",
                self.errors.load(Ordering::Relaxed) as i64,
            ),
            (
                "restarts_total",
                "counter",
                "Restarts from the stored offset after a transient failure (reconnects).",
                self.restarts.load(Ordering::Relaxed) as i64,
            ),
            (
                "source_retained_bytes",
                "gauge",
                "PostgreSQL: WAL bytes the replication slot holds on the server (-1 unknown).",
                self.retained_bytes.load(Ordering::Relaxed),
            ),
            (
                "source_binlog_files_behind",
                "gauge",
                "MySQL/MariaDB: binlog files on the server newer than the one being read (-1 unknown).",
                self.binlog_files_behind.load(Ordering::Relaxed),
            ),
        ];
        for (name, kind, help, value) in gauges {
            header(out, name, kind, help);
            let _ = writeln!(out, "tributary_{name}{{connector=\"{label}\"}} {value}");
        }
        header(
            out,
            "transaction_commit_seconds",
            "histogram",
            "Time to commit one Kafka transaction (records and offset).",
        );
        for (bucket, bound) in self.latency_buckets.iter().zip(LATENCY_BUCKETS) {
            let _ = writeln!(
                out,
                "tributary_transaction_commit_seconds_bucket{{connector=\"{label}\",le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let commits = self.commits.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "tributary_transaction_commit_seconds_bucket{{connector=\"{label}\",le=\"+Inf\"}} {commits}"
        );
        let _ = writeln!(
            out,
            "tributary_transaction_commit_seconds_sum{{connector=\"{label}\"}} {}",
            self.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(
            out,
            "tributary_transaction_commit_seconds_count{{connector=\"{label}\"}} {commits}"
        );
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP tributary_{name} {help}");
    let _ = writeln!(out, "# TYPE tributary_{name} {kind}");
}

/// Milliseconds since the Unix epoch.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A label value with `\`, `"` and newlines escaped.
pub fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_accumulate_by_operation_topic_and_latency_bucket() {
        let metrics = StreamMetrics::default();
        metrics.committed(&CommitSample {
            ops: [2, 1, 1, 0, 0, 0],
            records: vec![("p.public.a", 3), ("p.public.b", 2)],
            last_source_ms: Some(now_ms() - 1500),
            took: Duration::from_millis(30),
        });
        metrics.committed(&CommitSample {
            ops: [1, 0, 0, 0, 0, 0],
            records: vec![("p.public.a", 1)],
            last_source_ms: None,
            took: Duration::from_millis(3),
        });
        assert_eq!(metrics.events("c"), 3);
        assert_eq!(metrics.events("d"), 1);
        let mut text = String::new();
        metrics.render(&mut text, "conn");
        assert!(
            text.contains("tributary_records_total{connector=\"conn\",topic=\"p.public.a\"} 4"),
            "{text}"
        );
        assert!(
            text.contains("tributary_records_total{connector=\"conn\",topic=\"p.public.b\"} 2")
        );
        assert!(text.contains(
            "tributary_transaction_commit_seconds_bucket{connector=\"conn\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "tributary_transaction_commit_seconds_bucket{connector=\"conn\",le=\"0.05\"} 2"
        ));
        assert!(text.contains("tributary_transaction_commit_seconds_count{connector=\"conn\"} 2"));
        // The second commit had no streamed event: the lag stays the first one's.
        let behind = text
            .lines()
            .find(|l| l.starts_with("tributary_milliseconds_behind_source{"))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap();
        assert!((1500..60_000).contains(&behind), "{behind}");
    }
}
