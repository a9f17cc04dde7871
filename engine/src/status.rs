//! What a running connector shows outside the pipeline: the snapshot's progress for the
//! metrics endpoint and the CLI's progress bar.
//!
//! The pipeline publishes a summary once per snapshot chunk; readers copy it out. A mutex
//! is enough at that rate, and it keeps the summary consistent (rows, total and rate from
//! the same moment).

use std::fmt::Write as _;
use std::sync::Mutex;

use tributary_snapshot::progress::SnapshotKind;

use crate::stream_metrics::escape;
use tributary_snapshot::{ProgressSummary, TableMeter};

/// A running snapshot as last published.
#[derive(Debug, Clone)]
pub struct SnapshotStatus {
    /// Initial or incremental.
    pub kind: SnapshotKind,
    /// Whether an incremental snapshot is paused by a signal.
    pub paused: bool,
    /// Rows, totals, rate and time left.
    pub summary: ProgressSummary,
}

/// Shared between the pipeline (writer) and the front ends (readers).
#[derive(Debug, Default)]
pub struct ConnectorStatus {
    snapshot: Mutex<Option<SnapshotStatus>>,
    snapshots_completed: Mutex<u64>,
    /// Streaming metrics: committed events, lag, queue depth, commit latency, failures.
    pub stream: crate::stream_metrics::StreamMetrics,
}

impl ConnectorStatus {
    /// Publishes the running snapshot's state.
    pub fn publish_snapshot(&self, status: SnapshotStatus) {
        if let Ok(mut slot) = self.snapshot.lock() {
            *slot = Some(status);
        }
    }

    /// The snapshot has ended (completed or stopped).
    pub fn end_snapshot(&self, completed: bool) {
        if let Ok(mut slot) = self.snapshot.lock() {
            *slot = None;
        }
        if completed && let Ok(mut n) = self.snapshots_completed.lock() {
            *n += 1;
        }
    }

    /// The running snapshot, if any.
    pub fn snapshot(&self) -> Option<SnapshotStatus> {
        self.snapshot.lock().ok().and_then(|s| s.clone())
    }

    /// The snapshot metrics in Prometheus' text format, labelled with the connector's
    /// name. Names follow Debezium's snapshot MBean (`RowsScanned`, `RemainingTableCount`,
    /// …) in Prometheus style.
    pub fn render_prometheus(&self, connector: &str) -> String {
        let mut out = String::new();
        let snapshot = self.snapshot();
        let completed = self.snapshots_completed.lock().map_or(0, |n| *n);
        let label = escape(connector);
        let mut gauge = |name: &str, help: &str, value: f64| {
            let _ = writeln!(out, "# HELP tributary_snapshot_{name} {help}");
            let _ = writeln!(out, "# TYPE tributary_snapshot_{name} gauge");
            let _ = writeln!(
                out,
                "tributary_snapshot_{name}{{connector=\"{label}\"}} {value}"
            );
        };
        let summary = snapshot.as_ref().map(|s| &s.summary);
        gauge(
            "running",
            "1 while a snapshot is read.",
            f64::from(u8::from(snapshot.is_some())),
        );
        gauge(
            "paused",
            "1 while an incremental snapshot is paused.",
            f64::from(u8::from(snapshot.as_ref().is_some_and(|s| s.paused))),
        );
        gauge(
            "completed_total",
            "Snapshots completed by this process.",
            completed as f64,
        );
        gauge(
            "total_tables",
            "Tables in the running snapshot.",
            summary.map_or(0.0, |s| s.tables.len() as f64),
        );
        gauge(
            "remaining_tables",
            "Tables of the running snapshot not yet read.",
            summary.map_or(0.0, |s| (s.tables.len() - s.tables_done()) as f64),
        );
        gauge(
            "rows_per_second",
            "Snapshot rows read per second by this run.",
            summary.map_or(0.0, |s| s.rows_per_second),
        );
        gauge(
            "eta_seconds",
            "Estimated time left (-1 when unknown).",
            summary.map_or(0.0, |s| s.eta.map_or(-1.0, |d| d.as_secs_f64())),
        );
        gauge(
            "duration_seconds",
            "Time since the running snapshot started in this run.",
            summary.map_or(0.0, |s| s.elapsed.as_secs_f64()),
        );
        if let Some(summary) = summary {
            per_table(
                &mut out,
                "rows_scanned",
                "Rows read per table.",
                &label,
                summary,
                |t| Some(t.done),
            );
            per_table(
                &mut out,
                "rows_estimated",
                "The database's estimate of each table's rows.",
                &label,
                summary,
                TableMeter::total,
            );
        }
        self.stream.render(&mut out, &label);
        out
    }
}

/// The snapshot as one terminal line of at most `width` columns:
/// `snapshot [#####-----] 52% public.orders 1234567/~2400000 rows, 48211 rows/s, ETA 0:24`.
pub fn progress_line(status: &SnapshotStatus, width: usize) -> String {
    let summary = &status.summary;
    let bar_width = 20;
    let bar = match summary.fraction() {
        Some(f) => {
            let filled = ((f * bar_width as f64).round() as usize).min(bar_width);
            format!(
                "[{}{}] {:>3.0}%",
                "#".repeat(filled),
                "-".repeat(bar_width - filled),
                f * 100.0
            )
        }
        None => format!("[{}]   ?%", "?".repeat(bar_width)),
    };
    let table = summary
        .current_table()
        .map_or("", |t| t.name.as_str())
        .to_owned();
    let total = summary
        .rows_total
        .map_or_else(|| "?".to_owned(), |t| t.to_string());
    let eta = match (status.paused, summary.eta) {
        (true, _) => "paused".to_owned(),
        (false, Some(d)) => {
            let s = d.as_secs();
            format!("ETA {}:{:02}", s / 60, s % 60)
        }
        (false, None) => "ETA ?".to_owned(),
    };
    let kind = match status.kind {
        SnapshotKind::Initial => "snapshot",
        SnapshotKind::Incremental => "incremental snapshot",
    };
    let line = format!(
        "{kind} {bar} {table} {}/~{total} rows, {:.0} rows/s, {eta}",
        summary.rows_done, summary.rows_per_second
    );
    line.chars().take(width).collect()
}

/// One gauge with a sample per table (tables without a value are left out).
fn per_table(
    out: &mut String,
    name: &str,
    help: &str,
    connector: &str,
    summary: &ProgressSummary,
    value: impl Fn(&TableMeter) -> Option<u64>,
) {
    let _ = writeln!(out, "# HELP tributary_snapshot_{name} {help}");
    let _ = writeln!(out, "# TYPE tributary_snapshot_{name} gauge");
    for table in &summary.tables {
        if let Some(v) = value(table) {
            let _ = writeln!(
                out,
                "tributary_snapshot_{name}{{connector=\"{connector}\",table=\"{}\"}} {v}",
                escape(&table.name)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use tributary_snapshot::ProgressMeter;

    use super::*;

    #[test]
    fn the_progress_line_shows_bar_rows_rate_and_time_left_within_the_width() {
        let start = Instant::now();
        let mut meter = ProgressMeter::new([("public.orders".to_owned(), 0, Some(400))], start);
        meter.delivered("public.orders", 100, false);
        let status = SnapshotStatus {
            kind: SnapshotKind::Initial,
            paused: false,
            summary: meter.summary(start + Duration::from_secs(10)),
        };
        assert_eq!(
            progress_line(&status, 200),
            "snapshot [#####---------------]  25% public.orders 100/~400 rows, 10 rows/s, ETA 0:30"
        );
        assert_eq!(progress_line(&status, 12).chars().count(), 12);
        let paused = SnapshotStatus {
            paused: true,
            kind: SnapshotKind::Incremental,
            ..status
        };
        assert!(progress_line(&paused, 200).ends_with("paused"));
    }

    #[test]
    fn the_metrics_show_a_running_snapshot_per_table_and_nothing_after_it() {
        let status = ConnectorStatus::default();
        let start = Instant::now();
        let mut meter = ProgressMeter::new(
            [
                ("public.a".to_owned(), 0, Some(100)),
                ("public.\"b\"".to_owned(), 0, None),
            ],
            start,
        );
        meter.delivered("public.a", 100, true);
        status.publish_snapshot(SnapshotStatus {
            kind: SnapshotKind::Initial,
            paused: false,
            summary: meter.summary(start + Duration::from_secs(1)),
        });
        let text = status.render_prometheus("inventory");
        assert!(
            text.contains("tributary_snapshot_running{connector=\"inventory\"} 1"),
            "{text}"
        );
        assert!(text.contains("tributary_snapshot_remaining_tables{connector=\"inventory\"} 1"));
        assert!(text.contains(
            "tributary_snapshot_rows_scanned{connector=\"inventory\",table=\"public.a\"} 100"
        ));
        assert!(text.contains(
            "tributary_snapshot_rows_scanned{connector=\"inventory\",table=\"public.\\\"b\\\"\"} 0"
        ));
        assert!(text.contains("tributary_snapshot_eta_seconds{connector=\"inventory\"} -1"));
        status.end_snapshot(true);
        let text = status.render_prometheus("inventory");
        assert!(text.contains("tributary_snapshot_running{connector=\"inventory\"} 0"));
        assert!(text.contains("tributary_snapshot_completed_total{connector=\"inventory\"} 1"));
        assert!(!text.contains("rows_scanned"));
    }
}
