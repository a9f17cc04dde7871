//! How far a snapshot is: rows read per table against the database's estimate of the
//! table's size, the read rate of this run, and the time left at that rate.
//!
//! Estimates come from statistics (`pg_class.reltuples`, `information_schema.TABLES`), so
//! they can be low, high or missing: a table never shows more than 100 %, and a table
//! without an estimate leaves the time left unknown rather than wrong. Updated once per
//! chunk, never per row.

use std::time::{Duration, Instant};

/// One table's count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableMeter {
    /// `schema.table` / `database.table`.
    pub name: String,
    /// Rows delivered (including those of an earlier, interrupted run).
    pub done: u64,
    /// The database's estimate of the table's rows, when it has one.
    pub estimated: Option<u64>,
    /// Whether the table is read completely.
    pub finished: bool,
}

impl TableMeter {
    /// The estimate, never below what was read (statistics lag behind inserts); the exact
    /// count once the table is finished.
    pub fn total(&self) -> Option<u64> {
        if self.finished {
            return Some(self.done);
        }
        self.estimated.map(|e| e.max(self.done))
    }
}

/// A snapshot's progress for logs, metrics and the progress bar.
#[derive(Debug, Clone)]
pub struct ProgressMeter {
    tables: Vec<TableMeter>,
    started: Instant,
    /// Rows delivered by this run (the rate's numerator).
    rows_this_run: u64,
    reported: Instant,
}

/// A point-in-time summary.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressSummary {
    /// Per table, in snapshot order.
    pub tables: Vec<TableMeter>,
    /// Rows delivered, all tables.
    pub rows_done: u64,
    /// Estimated rows, all tables; `None` if a table has no estimate.
    pub rows_total: Option<u64>,
    /// Rows per second read by this run.
    pub rows_per_second: f64,
    /// Time left at that rate; `None` when unknown.
    pub eta: Option<Duration>,
    /// Time since this run's snapshot started.
    pub elapsed: Duration,
}

impl ProgressSummary {
    /// Rows done as a fraction of the estimated total (0 to 1), when known.
    pub fn fraction(&self) -> Option<f64> {
        match self.rows_total {
            Some(0) => Some(1.0),
            Some(total) => Some((self.rows_done as f64 / total as f64).min(1.0)),
            None => None,
        }
    }

    /// The table being read: the first one not finished.
    pub fn current_table(&self) -> Option<&TableMeter> {
        self.tables.iter().find(|t| !t.finished)
    }

    /// Tables finished.
    pub fn tables_done(&self) -> usize {
        self.tables.iter().filter(|t| t.finished).count()
    }
}

impl ProgressMeter {
    /// A meter over `tables` (`name`, rows already delivered, estimate), started at `now`.
    pub fn new(tables: impl IntoIterator<Item = (String, u64, Option<u64>)>, now: Instant) -> Self {
        Self {
            tables: tables
                .into_iter()
                .map(|(name, done, estimated)| TableMeter {
                    name,
                    done,
                    estimated,
                    finished: false,
                })
                .collect(),
            started: now,
            rows_this_run: 0,
            reported: now,
        }
    }

    /// Counts `rows` more of `table`; `finished` when it was the table's last chunk.
    pub fn delivered(&mut self, table: &str, rows: u64, finished: bool) {
        self.rows_this_run += rows;
        if let Some(meter) = self.tables.iter_mut().find(|t| t.name == table) {
            meter.done += rows;
            meter.finished |= finished;
        }
    }

    /// Drops tables no longer read (a `stop-snapshot`), keeping the others.
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.tables.retain(|t| t.finished || keep(&t.name));
    }

    /// Whether a periodic report is due (`every` since the last one); if so, the next one
    /// is due `every` from `now`.
    pub fn report_due(&mut self, now: Instant, every: Duration) -> bool {
        let due = now.saturating_duration_since(self.reported) >= every;
        if due {
            self.reported = now;
        }
        due
    }

    /// The summary at `now`.
    pub fn summary(&self, now: Instant) -> ProgressSummary {
        let elapsed = now.saturating_duration_since(self.started);
        let rows_done = self.tables.iter().map(|t| t.done).sum();
        let rows_total = self
            .tables
            .iter()
            .map(TableMeter::total)
            .sum::<Option<u64>>();
        let seconds = elapsed.as_secs_f64();
        let rows_per_second = if seconds > 0.0 {
            self.rows_this_run as f64 / seconds
        } else {
            0.0
        };
        let eta = match rows_total {
            Some(total) if rows_done >= total => Some(Duration::ZERO),
            Some(total) if rows_per_second > 0.0 => Some(Duration::from_secs_f64(
                (total - rows_done) as f64 / rows_per_second,
            )),
            _ => None,
        };
        ProgressSummary {
            tables: self.tables.clone(),
            rows_done,
            rows_total,
            rows_per_second,
            eta,
            elapsed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meter(now: Instant) -> ProgressMeter {
        ProgressMeter::new(
            [
                ("public.a".to_owned(), 0, Some(1_000)),
                ("public.b".to_owned(), 0, Some(3_000)),
            ],
            now,
        )
    }

    #[test]
    fn rate_and_time_left_follow_the_rows_read_by_this_run() {
        let start = Instant::now();
        let mut m = meter(start);
        m.delivered("public.a", 1_000, true);
        m.delivered("public.b", 1_000, false);
        let s = m.summary(start + Duration::from_secs(2));
        assert_eq!(s.rows_done, 2_000);
        assert_eq!(s.rows_total, Some(4_000));
        assert_eq!(s.rows_per_second, 1_000.0);
        assert_eq!(s.eta, Some(Duration::from_secs(2)));
        assert_eq!(s.fraction(), Some(0.5));
        assert_eq!(s.tables_done(), 1);
        assert_eq!(s.current_table().map(|t| t.name.as_str()), Some("public.b"));
    }

    #[test]
    fn a_low_estimate_never_shows_more_than_all_and_a_finished_table_counts_exactly() {
        let start = Instant::now();
        let mut m = ProgressMeter::new([("db.t".to_owned(), 0, Some(10))], start);
        m.delivered("db.t", 50, false);
        let s = m.summary(start + Duration::from_secs(1));
        assert_eq!(s.rows_total, Some(50));
        assert_eq!(s.fraction(), Some(1.0));
        m.delivered("db.t", 5, true);
        assert_eq!(m.summary(start).rows_total, Some(55));
    }

    #[test]
    fn without_an_estimate_the_time_left_is_unknown() {
        let start = Instant::now();
        let mut m = ProgressMeter::new(
            [
                ("db.a".to_owned(), 0, None),
                ("db.b".to_owned(), 0, Some(5)),
            ],
            start,
        );
        m.delivered("db.a", 10, false);
        let s = m.summary(start + Duration::from_secs(1));
        assert_eq!(s.rows_total, None);
        assert_eq!(s.eta, None);
        assert_eq!(s.fraction(), None);
    }

    #[test]
    fn rows_of_an_interrupted_run_count_as_done_but_not_in_the_rate() {
        let start = Instant::now();
        let mut m = ProgressMeter::new([("db.t".to_owned(), 600, Some(1_000))], start);
        m.delivered("db.t", 100, false);
        let s = m.summary(start + Duration::from_secs(1));
        assert_eq!(s.rows_done, 700);
        assert_eq!(s.rows_per_second, 100.0);
        assert_eq!(s.eta, Some(Duration::from_secs(3)));
    }

    #[test]
    fn reports_are_due_once_per_interval() {
        let start = Instant::now();
        let mut m = meter(start);
        let every = Duration::from_secs(10);
        assert!(!m.report_due(start + Duration::from_secs(5), every));
        assert!(m.report_due(start + Duration::from_secs(10), every));
        assert!(!m.report_due(start + Duration::from_secs(15), every));
        assert!(m.report_due(start + Duration::from_secs(21), every));
    }

    #[test]
    fn a_stopped_table_leaves_the_meter() {
        let start = Instant::now();
        let mut m = meter(start);
        m.retain(|t| t != "public.b");
        assert_eq!(m.summary(start).rows_total, Some(1_000));
    }
}
