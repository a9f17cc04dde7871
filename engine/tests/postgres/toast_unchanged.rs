//! An UPDATE that leaves a large out-of-line (TOASTed) column alone carries the
//! unchanged-TOAST marker for it, not NULL and not the value; changing it sends the value.

use tributary::postgres::WalReaderConfig;
use tributary_testcontainers::Postgres;

use super::{Capture, Change, Val, cols, sql_client, t};

#[tokio::test]
async fn an_update_leaving_a_toasted_column_alone_yields_the_unchanged_marker() {
    let server = Postgres::shared().unwrap();
    let db = server.create_database().unwrap();
    let sql = sql_client(&db).await;
    // EXTERNAL storage: out of line and uncompressed, so 100 kB is surely TOASTed.
    sql.batch_execute(
        "CREATE TABLE docs (id int PRIMARY KEY, body text, n int);
         ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL;
         CREATE PUBLICATION pub FOR TABLE docs;",
    )
    .await
    .unwrap();
    let mut capture = Capture::new_slot(&db, "pub", WalReaderConfig::default()).await;

    let body = "é".repeat(50_000);
    sql.execute("INSERT INTO docs VALUES (1, $1, 1)", &[&body])
        .await
        .unwrap();
    sql.execute("UPDATE docs SET n = 2 WHERE id = 1", &[])
        .await
        .unwrap();
    sql.execute(
        "UPDATE docs SET body = body || '!', n = 3 WHERE id = 1",
        &[],
    )
    .await
    .unwrap();
    sql.execute("UPDATE docs SET body = NULL, n = 4 WHERE id = 1", &[])
        .await
        .unwrap();

    let mut updates = Vec::new();
    let insert = capture.next_transaction().await;
    let Some(Change::Insert { new, .. }) = insert.changes.last() else {
        panic!("{:?}", insert.changes);
    };
    assert_eq!(new[1].1, t(&body), "the inserted value arrives whole");
    for _ in 0..3 {
        let txn = capture.next_transaction().await;
        updates.extend(txn.changes.into_iter().filter_map(|c| match c {
            Change::Update { old, new, .. } => Some((old, new)),
            _ => None,
        }));
    }
    let row = |body: Val, n: &str| cols(&[("id", t("1")), ("body", body), ("n", t(n))]);
    assert_eq!(
        updates,
        vec![
            (None, row(Val::Unchanged, "2")),
            (None, row(t(&format!("{body}!")), "3")),
            (None, row(Val::Null, "4")),
        ]
    );
    capture.stop(&sql).await;
}
