//! Insert, update, delete and truncate through the reader with REPLICA IDENTITY DEFAULT
//! (old key only when the key changes) and FULL (the whole old row every time).

use tributary::postgres::WalReaderConfig;
use tributary_testcontainers::Postgres;

use super::{Capture, Change, Val, cols, sql_client, t};

#[tokio::test]
async fn default_and_full_identity_give_the_expected_before_and_after_values() {
    let server = Postgres::shared().unwrap();
    let db = server.create_database().unwrap();
    let sql = sql_client(&db).await;
    sql.batch_execute(
        "CREATE TABLE d (id int PRIMARY KEY, v text);
         CREATE TABLE f (id int PRIMARY KEY, v text);
         ALTER TABLE f REPLICA IDENTITY FULL;
         CREATE PUBLICATION pub FOR TABLE d, f;",
    )
    .await
    .unwrap();
    let mut capture = Capture::new_slot(&db, "pub", WalReaderConfig::default()).await;

    for statement in [
        "INSERT INTO d VALUES (1, 'x')",
        "UPDATE d SET v = 'y' WHERE id = 1",
        "UPDATE d SET id = 2 WHERE id = 1",
        "DELETE FROM d WHERE id = 2",
        "INSERT INTO f VALUES (1, 'x')",
        "UPDATE f SET v = NULL WHERE id = 1",
        "UPDATE f SET id = 2 WHERE id = 1",
        "DELETE FROM f WHERE id = 2",
        "INSERT INTO d VALUES (3, 'z'); INSERT INTO f VALUES (3, 'z')",
        "TRUNCATE d, f",
    ] {
        sql.batch_execute(statement).await.unwrap();
    }
    let mut changes = Vec::new();
    for _ in 0..10 {
        changes.extend(
            capture
                .next_transaction()
                .await
                .changes
                .into_iter()
                .filter(|c| !matches!(c, Change::Relation(..))),
        );
    }
    let row = |id: &str, v: Val| cols(&[("id", t(id)), ("v", v)]);
    let ins = |table: &str, id: &str, v: &str| Change::Insert {
        table: table.into(),
        new: row(id, t(v)),
    };
    let expected = vec![
        ins("d", "1", "x"),
        // DEFAULT, key unchanged: no old values at all.
        Change::Update {
            table: "d".into(),
            old: None,
            new: row("1", t("y")),
        },
        // DEFAULT, key changed: the old key, other columns null.
        Change::Update {
            table: "d".into(),
            old: Some(('K', row("1", Val::Null))),
            new: row("2", t("y")),
        },
        Change::Delete {
            table: "d".into(),
            old: ('K', row("2", Val::Null)),
        },
        ins("f", "1", "x"),
        // FULL: the whole old row on every update and delete.
        Change::Update {
            table: "f".into(),
            old: Some(('O', row("1", t("x")))),
            new: row("1", Val::Null),
        },
        Change::Update {
            table: "f".into(),
            old: Some(('O', row("1", Val::Null))),
            new: row("2", Val::Null),
        },
        Change::Delete {
            table: "f".into(),
            old: ('O', row("2", Val::Null)),
        },
        ins("d", "3", "z"),
        ins("f", "3", "z"),
        Change::Truncate(vec!["d".into(), "f".into()]),
    ];
    assert_eq!(changes, expected);
    capture.stop(&sql).await;
}
