//! ALTER TABLE ADD COLUMN and DROP COLUMN while streaming: the server re-sends the
//! Relation before the next change, and rows on both sides decode against the right shape.

use tributary::postgres::WalReaderConfig;
use tributary_testcontainers::Postgres;

use super::{Capture, Change, cols, sql_client, t};

#[tokio::test]
async fn add_and_drop_column_mid_stream_decode_rows_on_both_sides() {
    let server = Postgres::shared().unwrap();
    let db = server.create_database().unwrap();
    let sql = sql_client(&db).await;
    sql.batch_execute(
        "CREATE TABLE s (id int PRIMARY KEY, a text);
         CREATE PUBLICATION pub FOR TABLE s;",
    )
    .await
    .unwrap();
    let mut capture = Capture::new_slot(&db, "pub", WalReaderConfig::default()).await;

    for statement in [
        "INSERT INTO s VALUES (1, 'one')",
        "ALTER TABLE s ADD COLUMN b int DEFAULT 7",
        "INSERT INTO s VALUES (2, 'two', 8)",
        "UPDATE s SET a = 'uno' WHERE id = 1",
        "ALTER TABLE s DROP COLUMN a",
        "INSERT INTO s VALUES (3, 9)",
        // DDL and rows in one transaction: the shape changes between two rows of it.
        "BEGIN; INSERT INTO s VALUES (4, 10); ALTER TABLE s ADD COLUMN c text; \
         INSERT INTO s VALUES (5, 11, 'five'); COMMIT",
    ] {
        sql.batch_execute(statement).await.unwrap();
    }
    let mut changes: Vec<Change> = Vec::new();
    for _ in 0..5 {
        for change in capture.next_transaction().await.changes {
            // The server may re-send an unchanged Relation (any invalidation of the table
            // does, e.g. the DDL's own transaction); only shape changes matter here.
            let repeated = matches!(&change, Change::Relation(..))
                && changes
                    .iter()
                    .rev()
                    .find(|c| matches!(c, Change::Relation(..)))
                    == Some(&change);
            if !repeated {
                changes.push(change);
            }
        }
    }
    let relation = |columns: &[&str]| {
        Change::Relation(
            "s".into(),
            columns.iter().map(|c| (*c).to_owned()).collect(),
        )
    };
    let insert = |pairs: &[(&str, &str)]| Change::Insert {
        table: "s".into(),
        new: cols(&pairs.iter().map(|(c, v)| (*c, t(v))).collect::<Vec<_>>()),
    };
    assert_eq!(
        changes,
        vec![
            relation(&["id", "a"]),
            insert(&[("id", "1"), ("a", "one")]),
            relation(&["id", "a", "b"]),
            insert(&[("id", "2"), ("a", "two"), ("b", "8")]),
            Change::Update {
                table: "s".into(),
                old: None,
                new: cols(&[("id", t("1")), ("a", t("uno")), ("b", t("7"))]),
            },
            relation(&["id", "b"]),
            insert(&[("id", "3"), ("b", "9")]),
            insert(&[("id", "4"), ("b", "10")]),
            relation(&["id", "b", "c"]),
            insert(&[("id", "5"), ("b", "11"), ("c", "five")]),
        ]
    );
    capture.stop(&sql).await;
}
