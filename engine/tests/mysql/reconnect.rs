//! A server restart mid-stream: the reader reconnects and resumes where its forwarded
//! events end, so the pipeline sees every row exactly once.

use std::time::Duration;

use tributary::mysql::client::{BinlogReaderConfig, current_position, start_binlog_reader};
use tributary_testcontainers::MariaDb;

use crate::support::{Changes, options};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_mid_stream_loses_and_repeats_nothing() {
    let mut server = MariaDb::start().unwrap();
    let db = server.create_database().unwrap();
    let name = db.database.clone().unwrap();
    server
        .sql(&format!(
            "CREATE TABLE `{name}`.t (id INT PRIMARY KEY, pad VARCHAR(3000))"
        ))
        .unwrap();
    let opts = options(&db, 601);
    let start = current_position(&opts).await.unwrap();
    // Single-row transactions, then one transaction of many statements (many rows events),
    // then more single-row transactions.
    let mut sql = format!("USE `{name}`;");
    // About 3 MB of binlog: more than the socket buffers hold, so the reader is partway
    // through it (likely inside the big transaction) when the server goes down.
    let row = |i: u32| format!("INSERT INTO t VALUES ({i}, REPEAT('x', 3000));");
    for i in 1..=100 {
        sql.push_str(&row(i));
    }
    sql.push_str("BEGIN;");
    for i in 101..=900 {
        sql.push_str(&row(i));
    }
    sql.push_str("COMMIT;");
    for i in 901..=1000 {
        sql.push_str(&row(i));
    }
    server.sql(&sql).unwrap();

    // A one-event channel and a consumer that has not started: the reader stops partway
    // through the binlog, holding its connection, when the server goes down.
    let config = BinlogReaderConfig {
        channel_capacity: 1,
        heartbeat_interval: Duration::from_secs(1),
        reconnect_backoff: Duration::from_millis(50),
        max_reconnect_backoff: Duration::from_millis(500),
        ..BinlogReaderConfig::default()
    };
    let mut reader = start_binlog_reader(opts, config, &start).await.unwrap();
    let mut changes = Changes::new(&name);
    changes.collect(&mut reader, 60).await;
    let restarted = tokio::task::spawn_blocking(move || {
        server.restart().unwrap();
        server
    });
    // Keep reading while the server goes down and comes back.
    changes.collect(&mut reader, 200).await;
    let server = restarted.await.unwrap();
    server
        .sql(&format!("INSERT INTO `{name}`.t VALUES (1001, 'end')"))
        .unwrap();
    let got = changes.collect(&mut reader, 1001).await;
    let ids: Vec<u32> = got
        .iter()
        .map(|c| {
            c["t I (".len()..]
                .split(',')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    let want: Vec<u32> = (1..=1001).collect();
    assert_eq!(ids, want);
    assert!(!reader.task.is_finished());
}
