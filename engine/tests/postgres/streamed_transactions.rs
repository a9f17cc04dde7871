//! Large transactions that the server streams before they end (`logical_decoding_work_mem`
//! = 64kB, `streaming` on): nothing reaches the pipeline before the commit, aborted
//! transactions and rolled-back savepoints vanish, a 200k-row transaction arrives whole and
//! in order through the spill file, and the slot never confirms past the sink's ack.

use tributary::postgres::{ReplicationSession, WalReaderConfig};
use tributary_testcontainers::{PgConfig, Postgres};

use super::{Capture, Change, Val, confirmed_flush, options, sql_client, t, wait_until};

/// A database whose walsenders stream any transaction over 64 kB, with a captured table
/// `big` and a marker table `mark`.
async fn streaming_database() -> (PgConfig, tokio_postgres::Client) {
    let server = Postgres::shared().unwrap();
    let db = server.create_database().unwrap();
    server
        .psql(
            "postgres",
            &format!(
                "ALTER DATABASE \"{}\" SET logical_decoding_work_mem = '64kB'",
                db.dbname
            ),
        )
        .unwrap();
    let sql = sql_client(&db).await;
    sql.batch_execute(
        "CREATE TABLE big (id int PRIMARY KEY, payload text);
         CREATE TABLE mark (id int PRIMARY KEY);
         CREATE PUBLICATION pub FOR TABLE big, mark;",
    )
    .await
    .unwrap();
    // The walsender reads the setting at connection: check that it applies.
    let mut session = ReplicationSession::connect(&options(&db)).await.unwrap();
    let rows = session
        .simple_query("SHOW logical_decoding_work_mem")
        .await
        .unwrap();
    assert_eq!(rows[0][0].as_deref(), Some("64kB"));
    (db, sql)
}

/// Small memory limit: streamed transactions of these tests spill to disk.
fn spilling_config() -> WalReaderConfig {
    WalReaderConfig {
        stream_memory_limit: 256 * 1024,
        channel_capacity: 64,
        ..WalReaderConfig::default()
    }
}

/// Bytes the server has streamed for the slot so far (`pg_stat_replication_slots`).
async fn streamed_bytes(sql: &tokio_postgres::Client, slot: &str) -> i64 {
    sql.query_opt(
        "SELECT stream_bytes FROM pg_stat_replication_slots WHERE slot_name = $1",
        &[&slot],
    )
    .await
    .unwrap()
    .map_or(0, |row| row.get(0))
}

/// The ids of `big` inserted by a transaction, in arrival order.
fn inserted_ids(changes: &[Change]) -> Vec<i32> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::Insert { table, new } if table == "big" => match &new[0].1 {
                Val::Text(id) => Some(id.parse().unwrap()),
                other => panic!("id is {other:?}"),
            },
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn open_and_aborted_streamed_transactions_reach_nothing_and_savepoint_rollbacks_vanish() {
    let (db, sql) = streaming_database().await;
    let mut capture = Capture::new_slot(&db, "pub", spilling_config()).await;

    // A transaction well over 64 kB, left open: the server streams it.
    let writer = sql_client(&db).await;
    writer
        .batch_execute(
            "BEGIN;
             INSERT INTO big SELECT g, repeat('x', 100) FROM generate_series(1, 20000) g;",
        )
        .await
        .unwrap();
    let slot = capture.slot.clone();
    wait_until(|| async { streamed_bytes(&sql, &slot).await > 0 }).await;
    // A marker committed after the streamed blocks: everything before it has passed the
    // reader. Only the marker's transaction may have reached the pipeline.
    sql.execute("INSERT INTO mark VALUES (1)", &[])
        .await
        .unwrap();
    let received = capture.until_insert_into("mark").await;
    assert_eq!(received.len(), 1, "only the marker: {:?}", received.len());
    assert!(inserted_ids(&received[0].changes).is_empty());

    // The open transaction aborts: its streamed changes never arrive.
    writer.batch_execute("ROLLBACK").await.unwrap();
    sql.execute("INSERT INTO mark VALUES (2)", &[])
        .await
        .unwrap();
    let received = capture.until_insert_into("mark").await;
    assert_eq!(
        received.len(),
        1,
        "the aborted transaction forwarded something"
    );

    // A committed streamed transaction with a rolled-back savepoint in the middle: exactly
    // the rows outside the savepoint arrive, in order.
    writer
        .batch_execute(
            "BEGIN;
             INSERT INTO big SELECT g, repeat('a', 100) FROM generate_series(1, 5000) g;
             SAVEPOINT s1;
             INSERT INTO big SELECT g, repeat('b', 100) FROM generate_series(10001, 15000) g;
             ROLLBACK TO SAVEPOINT s1;
             SAVEPOINT s2;
             INSERT INTO big SELECT g, repeat('c', 100) FROM generate_series(20001, 25000) g;
             RELEASE SAVEPOINT s2;
             COMMIT;",
        )
        .await
        .unwrap();
    let txn = capture.next_transaction().await;
    let expected: Vec<i32> = (1..=5000).chain(20001..=25000).collect();
    let ids = inserted_ids(&txn.changes);
    assert_eq!(ids.len(), expected.len());
    assert_eq!(
        ids, expected,
        "rows of the rolled-back savepoint, or order, wrong"
    );
    assert!(
        txn.changes
            .iter()
            .any(|c| matches!(c, Change::Relation(table, _) if table == "big")),
        "the Relation of the streamed transaction is replayed with it"
    );
    capture.stop(&sql).await;
}

#[tokio::test]
async fn a_200k_row_streamed_transaction_arrives_whole_in_order_and_acks_hold() {
    let (db, sql) = streaming_database().await;
    let mut capture = Capture::new_slot(&db, "pub", spilling_config()).await;

    sql.execute("INSERT INTO mark VALUES (1)", &[])
        .await
        .unwrap();
    let first = capture.next_transaction().await;
    capture.ack(first.end_lsn);
    let slot = capture.slot.clone();
    wait_until(|| async { confirmed_flush(&sql, &slot).await == first.end_lsn }).await;

    const ROWS: i32 = 200_000;
    sql.execute(
        "INSERT INTO big SELECT g, 'row ' || g FROM generate_series(1, $1) g",
        &[&ROWS],
    )
    .await
    .unwrap();
    assert!(
        streamed_bytes(&sql, &slot).await > 0,
        "the server did not stream the transaction"
    );
    let big = capture.next_transaction().await;
    let ids = inserted_ids(&big.changes);
    assert_eq!(ids.len(), ROWS as usize);
    assert!(
        ids.iter().copied().eq(1..=ROWS),
        "rows out of order or missing"
    );
    match big
        .changes
        .iter()
        .find(|c| matches!(c, Change::Insert { .. }))
    {
        Some(Change::Insert { new, .. }) => assert_eq!(new[1].1, t("row 1")),
        other => panic!("{other:?}"),
    }

    // The big transaction is received but not acknowledged: the slot stays at the first.
    sql.execute("INSERT INTO mark VALUES (2)", &[])
        .await
        .unwrap();
    let marker = capture.next_transaction().await;
    let confirmed = confirmed_flush(&sql, &slot).await;
    assert_eq!(
        confirmed, first.end_lsn,
        "the slot passed the sink's acknowledgement"
    );
    capture.ack(big.end_lsn);
    wait_until(|| async { confirmed_flush(&sql, &slot).await == big.end_lsn }).await;
    assert!(marker.end_lsn > big.end_lsn);
    assert_eq!(confirmed_flush(&sql, &slot).await, big.end_lsn);
    capture.stop(&sql).await;
}
