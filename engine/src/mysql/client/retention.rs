//! How far behind the server's binlog a connector reads, as a metric: the number of binlog
//! files on the server newer than the one holding the connector's last committed position.
//! A growing count warns that the connector falls behind and may find its position purged
//! by the server's binlog expiry.
//!
//! A background task asks `SHOW BINARY LOGS` every [`INTERVAL`] on a connection of its own;
//! the connector's file comes from its committed offsets. A failed query leaves the gauge at
//! -1 (unknown) and reconnects next time.

use std::sync::Arc;
use std::time::Duration;

use super::config::MySqlConnectOptions;
use super::preflight::binary_logs;
use crate::status::ConnectorStatus;

/// How often the server is asked.
const INTERVAL: Duration = Duration::from_secs(10);

/// Starts measuring until the returned task is aborted.
pub fn spawn_files_behind(
    runtime: &tokio::runtime::Handle,
    options: MySqlConnectOptions,
    status: Arc<ConnectorStatus>,
) -> tokio::task::JoinHandle<()> {
    runtime.spawn(async move {
        let mut conn: Option<mysql_async::Conn> = None;
        loop {
            if let Some(current) = status.stream.binlog_file() {
                if conn.is_none() {
                    conn = tokio::time::timeout(
                        options.connect_timeout,
                        mysql_async::Conn::new(options.sql_opts()),
                    )
                    .await
                    .ok()
                    .and_then(Result::ok);
                }
                let logs = match conn.as_mut() {
                    Some(c) => binary_logs(c).await.ok(),
                    None => None,
                };
                if logs.is_none() {
                    conn = None;
                }
                let behind = logs.map_or(-1, |logs| files_after(&logs, &current));
                status.stream.set_binlog_files_behind(behind);
            }
            tokio::time::sleep(INTERVAL).await;
        }
    })
}

/// Files listed after `current` (the server lists them oldest first); -1 when `current`
/// is not listed (purged, or another server).
fn files_after(logs: &[(String, u64)], current: &str) -> i64 {
    logs.iter()
        .position(|(name, _)| name == current)
        .map_or(-1, |i| (logs.len() - i - 1) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_the_files_after_the_current_one() {
        let logs: Vec<(String, u64)> = ["b.000001", "b.000002", "b.000003"]
            .iter()
            .map(|n| ((*n).to_owned(), 10))
            .collect();
        assert_eq!(files_after(&logs, "b.000003"), 0);
        assert_eq!(files_after(&logs, "b.000001"), 2);
        assert_eq!(files_after(&logs, "b.000000"), -1);
    }
}
