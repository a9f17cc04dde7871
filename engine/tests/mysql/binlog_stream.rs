//! Streaming a real MariaDB binlog: inserts, updates and deletes arrive as raw events whose
//! decoded rows match what was written, with offsets that follow the stream.

use std::time::Instant;

use tributary::mysql::client::{BinlogReaderConfig, Flavor, current_position, start_binlog_reader};
use tributary_testcontainers::MariaDb;

use crate::support::{Changes, DEADLINE, options};

#[tokio::test]
async fn inserts_updates_and_deletes_arrive_decoded_with_offsets() {
    let server = MariaDb::shared().unwrap();
    let db = server.create_database().unwrap();
    let name = db.database.clone().unwrap();
    server
        .sql(&format!(
            "CREATE TABLE `{name}`.t (id INT PRIMARY KEY, name VARCHAR(20))"
        ))
        .unwrap();
    let opts = options(&db, 201);
    let start = current_position(&opts).await.unwrap();
    assert!(
        start.gtids.is_some(),
        "MariaDB always has a GTID position: {start:?}"
    );
    let mut reader = start_binlog_reader(opts, BinlogReaderConfig::default(), &start)
        .await
        .unwrap();
    assert_eq!(reader.server.flavor, Flavor::MariaDb);

    server
        .sql(&format!(
            "USE `{name}`; BEGIN; INSERT INTO t VALUES (1, 'one'), (2, 'two'); COMMIT;              UPDATE t SET name = 'uno' WHERE id = 1; DELETE FROM t WHERE id = 2;"
        ))
        .unwrap();
    let mut changes = Changes::new(&name);
    let got = changes.collect(&mut reader, 4).await;
    assert_eq!(
        got,
        vec![
            "t I (1,one)",
            "t I (2,two)",
            "t U (1,one)->(1,uno)",
            "t D (2,two)",
        ]
    );
    // Inside the first transaction the offset is its start with events to skip; after
    // the last commit it is the next event's position with nothing to skip.
    let (_, first) = &changes.offsets[0];
    assert!(first.event > 0, "{first:?}");
    assert_eq!(first.file, start.file);
    assert!(first.pos >= start.pos, "{first:?} vs {start:?}");
    let end = current_position(&options(&db, 201)).await.unwrap();
    // Read on to the commit of the DELETE.
    let deadline = Instant::now() + DEADLINE;
    while changes.last_offset.as_ref().map(|o| (o.pos, o.event)) != Some((end.pos, 0)) {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = tokio::time::timeout(left, reader.events.recv())
            .await
            .expect("offset reaches the server's position")
            .unwrap();
        changes.feed(&event);
    }
    let last = changes.last_offset.clone().unwrap();
    assert_eq!(last.gtids, end.gtids);
    assert_eq!(last.server_id, Some(1));
    drop(reader.events);
    assert!(reader.task.await.unwrap().is_ok());
}
