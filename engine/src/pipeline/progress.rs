//! A running snapshot's progress, reported once per chunk: to the connector's status (for
//! the metrics and the progress bar) at every chunk, to the log every
//! [`LOG_EVERY`] and when a table is done.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tributary_snapshot::progress::SnapshotKind;
use tributary_snapshot::{ProgressMeter, ProgressSummary, SnapshotProgress};

use crate::status::{ConnectorStatus, SnapshotStatus};

/// How often a long snapshot logs its progress.
pub(crate) const LOG_EVERY: Duration = Duration::from_secs(10);

/// The meter of one snapshot and where it is published.
pub(crate) struct SnapshotReport {
    meter: ProgressMeter,
    kind: SnapshotKind,
    status: Arc<ConnectorStatus>,
}

impl SnapshotReport {
    /// Starts reporting `progress`'s tables, with the database's row estimates
    /// (`estimate(table)`).
    pub(crate) fn start(
        status: Arc<ConnectorStatus>,
        progress: &SnapshotProgress,
        estimate: impl Fn(&str) -> Option<u64>,
    ) -> Self {
        let meter = ProgressMeter::new(
            progress
                .tables
                .iter()
                .map(|t| (t.table.clone(), t.rows, estimate(&t.table))),
            Instant::now(),
        );
        let report = Self {
            meter,
            kind: progress.kind,
            status,
        };
        report.publish(progress.paused);
        report
    }

    /// Counts a delivered chunk of `table`.
    pub(crate) fn delivered(&mut self, table: &str, rows: u64, finished: bool, paused: bool) {
        self.meter.delivered(table, rows, finished);
        let now = Instant::now();
        if finished || self.meter.report_due(now, LOG_EVERY) {
            log_progress(&self.meter.summary(now), table);
        }
        self.publish(paused);
    }

    /// Drops tables a `stop-snapshot` removed from `progress`, and publishes a pause.
    pub(crate) fn follow(&mut self, progress: &SnapshotProgress) {
        self.meter.retain(|t| progress.table(t).is_some());
        self.publish(progress.paused);
    }

    /// The snapshot ended; returns its final summary.
    pub(crate) fn end(self, completed: bool) -> ProgressSummary {
        self.status.end_snapshot(completed);
        self.meter.summary(Instant::now())
    }

    fn publish(&self, paused: bool) {
        self.status.publish_snapshot(SnapshotStatus {
            kind: self.kind,
            paused,
            summary: self.meter.summary(Instant::now()),
        });
    }
}

fn log_progress(summary: &ProgressSummary, table: &str) {
    let total = summary
        .rows_total
        .map_or_else(|| "?".to_owned(), |t| t.to_string());
    let percent = summary
        .fraction()
        .map_or_else(|| "?".to_owned(), |f| format!("{:.0}", f * 100.0));
    let eta = summary
        .eta
        .map_or_else(|| "?".to_owned(), |d| format!("{}s", d.as_secs()));
    tracing::info!(
        table,
        rows = summary.rows_done,
        rows_estimated = summary.rows_total,
        rows_per_second = summary.rows_per_second.round() as u64,
        eta_seconds = summary.eta.map(|d| d.as_secs()),
        tables_done = summary.tables_done(),
        tables = summary.tables.len(),
        "snapshot progress: {percent}% ({} of ~{total} rows), {:.0} rows/s, ETA {eta}",
        summary.rows_done,
        summary.rows_per_second,
    );
}
