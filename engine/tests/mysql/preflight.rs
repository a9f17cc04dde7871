//! Start-up checks against real MariaDB servers: each unsupported setting, missing
//! privilege or foreign offset is refused before streaming, with the fix in the message.

use tributary::mysql::client::{
    BinlogOffset, MySqlConnectOptions, MySqlError, PreflightError, check_server, current_position,
};
use tributary_testcontainers::{MariaDb, unique_name};

use crate::support::options;

fn preflight(err: MySqlError) -> PreflightError {
    assert!(!err.is_transient(), "{err}");
    match err {
        MySqlError::Preflight(p) => p,
        other => panic!("expected a start-up check failure, got {other}"),
    }
}

#[tokio::test]
async fn binlog_off_is_refused_with_the_fix() {
    let server = MariaDb::builder()
        .without_setting("log_bin")
        .start()
        .unwrap();
    let err = check_server(
        &options(&server.config(), 401),
        &BinlogOffset::at_file("mysql-bin.000001", 4),
        true,
    )
    .await
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(preflight(err), PreflightError::BinlogDisabled),
        "{msg}"
    );
    assert!(msg.contains("log_bin"), "{msg}");
}

#[tokio::test]
async fn statement_format_is_refused_with_the_fix() {
    let server = MariaDb::builder()
        .setting("binlog_format", "STATEMENT")
        .start()
        .unwrap();
    let err = current_position(&options(&server.config(), 402))
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(preflight(err), PreflightError::BinlogFormat { ref actual } if actual == "STATEMENT"),
        "{msg}"
    );
    assert!(msg.contains("SET GLOBAL binlog_format = 'ROW'"), "{msg}");
}

#[tokio::test]
async fn minimal_row_image_is_refused_with_the_fix() {
    let server = MariaDb::builder()
        .setting("binlog_row_image", "MINIMAL")
        .start()
        .unwrap();
    let err = current_position(&options(&server.config(), 403))
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(preflight(err), PreflightError::BinlogRowImage { ref actual } if actual == "MINIMAL"),
        "{msg}"
    );
    assert!(msg.contains("binlog_row_image = 'FULL'"), "{msg}");
}

#[tokio::test]
async fn missing_replication_privileges_are_named_with_the_grant() {
    let server = MariaDb::shared().unwrap();
    let start = current_position(&options(&server.config(), 404))
        .await
        .unwrap();
    let user = unique_name("cdc");
    server
        .sql(&format!(
            "CREATE USER '{user}'@'%' IDENTIFIED BY 'pw'; GRANT SELECT ON *.* TO '{user}'@'%';"
        ))
        .unwrap();
    let opts = MySqlConnectOptions::new("127.0.0.1", server.port(), &user, 404).password("pw");

    let err = check_server(&opts, &start, true).await.unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(
            preflight(err),
            PreflightError::MissingPrivilege {
                missing: "REPLICATION SLAVE",
                ..
            }
        ),
        "{msg}"
    );
    assert!(msg.contains("GRANT REPLICATION SLAVE ON *.*"), "{msg}");

    server
        .sql(&format!("GRANT REPLICATION SLAVE ON *.* TO '{user}'@'%';"))
        .unwrap();
    let err = check_server(&opts, &start, true).await.unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(
            preflight(err),
            PreflightError::MissingPrivilege {
                missing: "BINLOG MONITOR",
                ..
            }
        ),
        "{msg}"
    );

    // The pre-10.5 name is accepted and shown as BINLOG MONITOR by MariaDB 10.11.
    server
        .sql(&format!("GRANT REPLICATION CLIENT ON *.* TO '{user}'@'%';"))
        .unwrap();
    let grants = server
        .sql(&format!("SHOW GRANTS FOR '{user}'@'%'"))
        .unwrap();
    assert!(
        grants.contains("REPLICATION SLAVE, BINLOG MONITOR"),
        "{grants}"
    );
    check_server(&opts, &start, true).await.unwrap();
}

#[tokio::test]
async fn file_position_from_another_server_is_refused() {
    let shared = MariaDb::shared().unwrap();
    let offset = current_position(&options(&shared.config(), 405))
        .await
        .unwrap();
    let other = MariaDb::builder()
        .setting("server_id", "2")
        .start()
        .unwrap();
    let start = BinlogOffset {
        gtids: None,
        ..offset
    };
    let err = check_server(&options(&other.config(), 405), &start, true)
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(preflight(err), PreflightError::DifferentServer { .. }),
        "{msg}"
    );
    assert!(
        msg.contains("server_id 1") && msg.contains("server_id 2"),
        "{msg}"
    );
}
