//! A stored position whose binlog was purged is refused, by file and by MariaDB GTID.

use std::time::{Duration, Instant};

use tributary::mysql::client::{
    BinlogOffset, MySqlConnectOptions, MySqlError, PreflightError, check_server, current_position,
};
use tributary_testcontainers::MariaDb;

#[tokio::test]
async fn purged_file_and_gtid_positions_are_refused() {
    let server = MariaDb::start().unwrap();
    let db = server.create_database().unwrap();
    let name = db.database.clone().unwrap();
    let opts = MySqlConnectOptions::new(&db.host, db.port, &db.user, 501).password(&db.password);
    server
        .sql(&format!(
            "CREATE TABLE `{name}`.t (id INT PRIMARY KEY); INSERT INTO `{name}`.t VALUES (1);"
        ))
        .unwrap();
    let old = current_position(&opts).await.unwrap();
    assert!(old.gtids.is_some(), "{old:?}");
    // Still there: accepted.
    check_server(&opts, &BinlogOffset::at_file(&old.file, old.pos), false)
        .await
        .unwrap();

    server
        .sql(&format!(
            "INSERT INTO `{name}`.t VALUES (2); FLUSH BINARY LOGS; \
             INSERT INTO `{name}`.t VALUES (3);"
        ))
        .unwrap();
    let now = current_position(&opts).await.unwrap();
    assert_ne!(now.file, old.file);
    // MariaDB keeps a file until its binlog checkpoint is written (it warns instead of
    // purging): retry until the file is gone, within a deadline.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        server
            .sql(&format!("PURGE BINARY LOGS TO '{}'", now.file))
            .unwrap();
        if !server.sql("SHOW BINARY LOGS").unwrap().contains(&old.file) {
            break;
        }
        assert!(Instant::now() < deadline, "{} was never purged", old.file);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let err = check_server(&opts, &BinlogOffset::at_file(&old.file, old.pos), false)
        .await
        .unwrap_err();
    assert!(!err.is_transient());
    let msg = err.to_string();
    assert!(
        matches!(
            err,
            MySqlError::Preflight(PreflightError::FilePurged { .. })
        ),
        "{msg}"
    );
    assert!(msg.contains("snapshot"), "{msg}");

    let gtids = old.gtids.clone().unwrap();
    let err = check_server(&opts, &BinlogOffset::at_gtids(&gtids), true)
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(
            err,
            MySqlError::Preflight(PreflightError::GtidPurged { .. })
        ),
        "{msg}"
    );

    // The current position is fine.
    check_server(&opts, &now, true).await.unwrap();
}
