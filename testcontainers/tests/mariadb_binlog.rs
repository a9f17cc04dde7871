//! The harness's MariaDB writes a row-based binlog with GTIDs that advances on writes.

// Integration tests assert by unwrapping, in helpers too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mysql_async::prelude::Queryable;
use tributary_testcontainers::MariaDb;

async fn variable(conn: &mut mysql_async::Conn, name: &str) -> String {
    // SHOW cannot be prepared; the names are the test's own constants.
    let row: Option<(String, String)> = conn
        .query_first(format!("SHOW GLOBAL VARIABLES LIKE '{name}'"))
        .await
        .unwrap();
    row.unwrap_or_else(|| panic!("variable {name} exists")).1
}

async fn master_status(conn: &mut mysql_async::Conn) -> (String, u64) {
    let row: mysql_async::Row = conn
        .query_first("SHOW MASTER STATUS")
        .await
        .unwrap()
        .unwrap();
    let file: String = row.get(0).unwrap();
    let position: u64 = row.get(1).unwrap();
    (file, position)
}

#[tokio::test]
async fn binlog_is_row_based_and_advances_on_insert() {
    let server = MariaDb::shared().expect("mariadb starts");
    let db = server.create_database().expect("fresh database");
    let pool = mysql_async::Pool::new(db.url().as_str());
    let mut conn = pool.get_conn().await.unwrap();

    assert_eq!(variable(&mut conn, "log_bin").await, "ON");
    assert_eq!(variable(&mut conn, "binlog_format").await, "ROW");
    assert_eq!(variable(&mut conn, "binlog_row_image").await, "FULL");
    assert_eq!(variable(&mut conn, "server_id").await, "1");

    conn.query_drop("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(64))")
        .await
        .unwrap();
    let (file_before, pos_before) = master_status(&mut conn).await;
    let gtid_before = variable(&mut conn, "gtid_binlog_pos").await;

    conn.query_drop("INSERT INTO items VALUES (1, 'hello tributary')")
        .await
        .unwrap();

    let (file_after, pos_after) = master_status(&mut conn).await;
    let gtid_after = variable(&mut conn, "gtid_binlog_pos").await;
    assert!(
        file_after > file_before || pos_after > pos_before,
        "binlog position advances: {file_before}:{pos_before} -> {file_after}:{pos_after}"
    );
    assert_ne!(gtid_before, gtid_after, "the insert got a GTID");
    assert!(
        gtid_after.starts_with("0-1-"),
        "domain 0, server 1: {gtid_after}"
    );

    drop(conn);
    pool.disconnect().await.unwrap();
}
