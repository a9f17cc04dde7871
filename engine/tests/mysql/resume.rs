//! Resuming from a stored offset — a file/position, a MariaDB GTID position, or a position
//! inside a transaction with events to skip — yields exactly what came after it.

use tributary::mysql::client::{
    BinlogOffset, BinlogReaderConfig, current_position, start_binlog_reader,
};
use tributary_testcontainers::{MariaDb, MariaDbConfig};

use crate::support::{Changes, options};

/// Writes rows 1 (before the returned offset), 2 and 3 (after it), and returns the offset.
async fn three_transactions(server: &MariaDb, db: &MariaDbConfig, id: u32) -> BinlogOffset {
    let name = db.database.clone().unwrap();
    server
        .sql(&format!(
            "CREATE TABLE `{name}`.t (id INT PRIMARY KEY); INSERT INTO `{name}`.t VALUES (1);"
        ))
        .unwrap();
    let after_first = current_position(&options(db, id)).await.unwrap();
    server
        .sql(&format!(
            "INSERT INTO `{name}`.t VALUES (2); INSERT INTO `{name}`.t VALUES (3);"
        ))
        .unwrap();
    after_first
}

async fn resume(
    db: &MariaDbConfig,
    id: u32,
    start: &BinlogOffset,
    by_gtid: bool,
    sentinel: u32,
) -> Vec<String> {
    let config = BinlogReaderConfig {
        prefer_gtid: by_gtid,
        ..BinlogReaderConfig::default()
    };
    let mut reader = start_binlog_reader(options(db, id), config, start)
        .await
        .unwrap();
    let name = db.database.clone().unwrap();
    // A sentinel after the rows we expect: reading up to it proves nothing else came first.
    MariaDb::shared()
        .unwrap()
        .sql(&format!("INSERT INTO `{name}`.t VALUES ({sentinel})"))
        .unwrap();
    let mut changes = Changes::new(&name);
    let mut got = Vec::new();
    let marker = format!("({sentinel})");
    while !got.iter().any(|c: &String| c.contains(&marker)) {
        got = changes.collect(&mut reader, got.len() + 1).await;
    }
    got
}

#[tokio::test]
async fn resume_from_file_and_position_yields_only_later_transactions() {
    let server = MariaDb::shared().unwrap();
    let db = server.create_database().unwrap();
    let offset = three_transactions(server, &db, 301).await;
    let start = BinlogOffset::at_file(&offset.file, offset.pos);
    let got = resume(&db, 301, &start, false, 99).await;
    assert_eq!(got, vec!["t I (2)", "t I (3)", "t I (99)"]);
}

#[tokio::test]
async fn resume_from_mariadb_gtid_position_yields_only_later_transactions() {
    let server = MariaDb::shared().unwrap();
    let db = server.create_database().unwrap();
    let offset = three_transactions(server, &db, 302).await;
    let gtids = offset.gtids.clone().unwrap();
    let got = resume(&db, 302, &BinlogOffset::at_gtids(&gtids), true, 99).await;
    assert_eq!(got, vec!["t I (2)", "t I (3)", "t I (99)"]);
}

#[tokio::test]
async fn resume_inside_a_transaction_skips_its_processed_events() {
    let server = MariaDb::shared().unwrap();
    let db = server.create_database().unwrap();
    let name = db.database.clone().unwrap();
    server
        .sql(&format!("CREATE TABLE `{name}`.t (id INT PRIMARY KEY)"))
        .unwrap();
    let start = current_position(&options(&db, 303)).await.unwrap();
    // One transaction, three statements: three rows events.
    server
        .sql(&format!(
            "USE `{name}`; BEGIN; INSERT INTO t VALUES (1); INSERT INTO t VALUES (2);              INSERT INTO t VALUES (3); COMMIT;"
        ))
        .unwrap();
    let mut reader = start_binlog_reader(options(&db, 303), BinlogReaderConfig::default(), &start)
        .await
        .unwrap();
    let mut changes = Changes::new(&name);
    changes.collect(&mut reader, 3).await;
    drop(reader);
    // The offset stored after the first row: the transaction's start, events to skip.
    let (_, mid) = changes.offsets[0].clone();
    assert!(mid.event >= 3, "GTID, BEGIN, TABLE_MAP, rows: {mid:?}");
    let got = resume(&db, 304, &mid, false, 99).await;
    assert_eq!(got, vec!["t I (2)", "t I (3)", "t I (99)"]);
    let got = resume(&db, 305, &mid, true, 98).await;
    assert_eq!(got, vec!["t I (2)", "t I (3)", "t I (99)", "t I (98)"]);
}
