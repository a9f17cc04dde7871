//! The WAL a connector's replication slot makes the server keep, as a metric: the
//! source-side cost of a slow or stopped connector (Debezium's WAL-growth problem), worth
//! an alert long before the disk fills.
//!
//! A background task on the runtime asks `pg_current_wal_lsn() - restart_lsn` for the slot
//! every [`INTERVAL`] over an ordinary session of its own, so a slow answer never delays
//! the stream. A failed query leaves the gauge at -1 (unknown) and reconnects next time.

use std::sync::Arc;
use std::time::Duration;

use crate::postgres::PgConnectOptions;
use crate::postgres::SqlSession;
use crate::status::ConnectorStatus;

/// How often the slot is measured.
const INTERVAL: Duration = Duration::from_secs(10);

/// Starts measuring `slot` until the returned task is aborted.
pub(crate) fn spawn(
    runtime: &tokio::runtime::Handle,
    connect: PgConnectOptions,
    slot: &str,
    status: Arc<ConnectorStatus>,
) -> tokio::task::JoinHandle<()> {
    let sql = format!(
        "SELECT pg_current_wal_lsn() - restart_lsn FROM pg_replication_slots WHERE slot_name = '{}'",
        slot.replace('\'', "''")
    );
    runtime.spawn(async move {
        let mut session: Option<SqlSession> = None;
        loop {
            if session.is_none() {
                session = SqlSession::connect(&connect).await.ok();
            }
            let measured = match session.as_mut() {
                Some(s) => s.simple_query(&sql).await.ok(),
                None => None,
            };
            if measured.is_none() {
                session = None;
            }
            let bytes = measured
                .and_then(|rows| rows.into_iter().next())
                .and_then(|row| row.into_iter().next().flatten())
                .and_then(|text| text.parse::<f64>().ok())
                .map_or(-1, |b| b as i64);
            status.stream.set_retained_bytes(bytes);
            tokio::time::sleep(INTERVAL).await;
        }
    })
}
