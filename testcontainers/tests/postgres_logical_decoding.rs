//! The harness's PostgreSQL really has logical decoding: a `pgoutput` slot sees an insert.

// Integration tests assert by unwrapping, in helpers too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tokio_postgres::NoTls;
use tributary_testcontainers::{Postgres, unique_name};

async fn connect(pg: &tributary_testcontainers::PgConfig) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&pg.connection_string(), NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    client
}

#[tokio::test]
async fn pgoutput_slot_sees_an_inserted_row() {
    let server = Postgres::shared().expect("postgres starts");
    let db = server.create_database().expect("fresh database");
    let client = connect(&db).await;

    let wal_level: String = client
        .query_one("SHOW wal_level", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(wal_level, "logical");

    let slot = unique_name("slot");
    client
        .batch_execute(
            "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);
             CREATE PUBLICATION items_pub FOR TABLE items;",
        )
        .await
        .unwrap();
    client
        .execute(
            "SELECT pg_create_logical_replication_slot($1, 'pgoutput')",
            &[&slot],
        )
        .await
        .unwrap();
    client
        .execute("INSERT INTO items VALUES (1, 'hello tributary')", &[])
        .await
        .unwrap();

    let rows = client
        .query(
            "SELECT data FROM pg_logical_slot_peek_binary_changes($1, NULL, NULL, \
             'proto_version', '1', 'publication_names', 'items_pub')",
            &[&slot],
        )
        .await
        .unwrap();
    let messages: Vec<Vec<u8>> = rows.iter().map(|row| row.get(0)).collect();
    let kinds: Vec<char> = messages.iter().map(|m| char::from(m[0])).collect();
    // Begin, Relation, Insert, Commit: one transaction with one new row.
    assert_eq!(kinds, vec!['B', 'R', 'I', 'C'], "pgoutput message types");

    let relation = String::from_utf8_lossy(&messages[1]);
    assert!(
        relation.contains("items"),
        "relation message names the table: {relation:?}"
    );
    let insert = &messages[2];
    assert!(
        insert
            .windows(b"hello tributary".len())
            .any(|w| w == b"hello tributary"),
        "insert message carries the new row's text value"
    );

    client
        .execute("SELECT pg_drop_replication_slot($1)", &[&slot])
        .await
        .unwrap();
}

#[tokio::test]
async fn each_test_gets_its_own_database() {
    let server = Postgres::shared().expect("postgres starts");
    let a = server.create_database().unwrap();
    let b = server.create_database().unwrap();
    assert_ne!(a.dbname, b.dbname);
    let client = connect(&a).await;
    let current: String = client
        .query_one("SELECT current_database()", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(current, a.dbname);
}
