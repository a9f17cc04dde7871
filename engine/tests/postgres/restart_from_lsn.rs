//! Restarting the stream from a position yields exactly the transactions committed after
//! it: from the slot's acknowledged position, and from a later LSN given explicitly.

use tributary::postgres::WalReaderConfig;
use tributary_testcontainers::Postgres;

use super::{Capture, Change, Transaction, confirmed_flush, sql_client, wait_until};

fn ids(transactions: &[Transaction]) -> Vec<String> {
    transactions
        .iter()
        .map(|txn| {
            txn.changes
                .iter()
                .filter_map(|c| match c {
                    Change::Insert { new, .. } => Some(format!("{:?}", new[0].1)),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect()
}

#[tokio::test]
async fn restarting_from_an_lsn_yields_exactly_the_later_transactions() {
    let server = Postgres::shared().unwrap();
    let db = server.create_database().unwrap();
    let sql = sql_client(&db).await;
    sql.batch_execute(
        "CREATE TABLE r (id int PRIMARY KEY);
         CREATE PUBLICATION pub FOR TABLE r;",
    )
    .await
    .unwrap();
    let mut capture = Capture::new_slot(&db, "pub", WalReaderConfig::default()).await;
    let slot = capture.slot.clone();
    for id in 1..=4 {
        sql.execute("INSERT INTO r VALUES ($1)", &[&id])
            .await
            .unwrap();
    }
    let mut first_run = Vec::new();
    for _ in 0..4 {
        first_run.push(capture.next_transaction().await);
    }
    assert_eq!(
        ids(&first_run),
        ["Text(\"1\")", "Text(\"2\")", "Text(\"3\")", "Text(\"4\")"]
    );
    // The sink made the first transaction durable, then the connector stopped.
    let acked = first_run[0].end_lsn;
    capture.ack(acked);
    wait_until(|| async { confirmed_flush(&sql, &slot).await == acked }).await;
    capture.stop(&sql).await;

    // Resume from the acknowledged position: transactions 2-4, once each, then new ones.
    let mut capture = Capture::resume(&db, &slot, acked, "pub", WalReaderConfig::default()).await;
    sql.execute("INSERT INTO r VALUES (5)", &[]).await.unwrap();
    let mut second_run = Vec::new();
    for _ in 0..4 {
        second_run.push(capture.next_transaction().await);
    }
    assert_eq!(
        ids(&second_run),
        ["Text(\"2\")", "Text(\"3\")", "Text(\"4\")", "Text(\"5\")"]
    );
    for (before, after) in first_run[1..].iter().zip(&second_run) {
        assert_eq!(before.end_lsn, after.end_lsn);
        assert_eq!(before.xid, after.xid);
    }
    capture.stop(&sql).await;

    // Resume from an explicit later LSN (the end of transaction 3): only 4 and 5.
    let from = first_run[2].end_lsn;
    let mut capture = Capture::resume(&db, &slot, from, "pub", WalReaderConfig::default()).await;
    sql.execute("INSERT INTO r VALUES (6)", &[]).await.unwrap();
    let mut third_run = Vec::new();
    for _ in 0..3 {
        third_run.push(capture.next_transaction().await);
    }
    assert_eq!(
        ids(&third_run),
        ["Text(\"4\")", "Text(\"5\")", "Text(\"6\")"]
    );
    capture.stop(&sql).await;
}
