//! Authentication methods a PostgreSQL server may ask for: SCRAM-SHA-256, md5 and
//! cleartext password; a wrong password is a definite error naming the user.

// Integration tests assert by unwrapping, in helpers too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tributary::postgres::{PgConnectOptions, ReplicationSession};
use tributary_testcontainers::Postgres;

/// A server whose pg_hba.conf sends `md5_user` to md5 and `plain_user` to cleartext.
fn server_with_methods() -> Postgres {
    let server = Postgres::start().unwrap();
    let hba = server.data_dir().join("pg_hba.conf");
    let existing = std::fs::read_to_string(&hba).unwrap();
    let rules = "host all,replication md5_user 127.0.0.1/32 md5\n\
                 host all,replication plain_user 127.0.0.1/32 password\n";
    std::fs::write(&hba, format!("{rules}{existing}")).unwrap();
    server
        .psql(
            "postgres",
            "SET password_encryption = 'md5';
             CREATE USER md5_user REPLICATION PASSWORD 'md5 secret';
             RESET password_encryption;
             CREATE USER plain_user REPLICATION PASSWORD 'plain secret';
             CREATE USER scram_user REPLICATION PASSWORD 'scram secret';
             SELECT pg_reload_conf();",
        )
        .unwrap();
    server
}

async fn identify(server: &Postgres, user: &str, password: &str) -> Result<String, String> {
    let options =
        PgConnectOptions::new("127.0.0.1", server.port(), user, "postgres").password(password);
    let mut session = ReplicationSession::connect(&options)
        .await
        .map_err(|e| e.to_string())?;
    Ok(session
        .identify_system()
        .await
        .map_err(|e| e.to_string())?
        .system_id)
}

#[tokio::test]
async fn scram_md5_and_cleartext_authenticate_and_wrong_password_is_definite() {
    let server = server_with_methods();
    let scram = identify(&server, "scram_user", "scram secret")
        .await
        .unwrap();
    let md5 = identify(&server, "md5_user", "md5 secret").await.unwrap();
    let plain = identify(&server, "plain_user", "plain secret")
        .await
        .unwrap();
    assert_eq!(scram, md5);
    assert_eq!(md5, plain);

    for user in ["scram_user", "md5_user", "plain_user"] {
        let options =
            PgConnectOptions::new("127.0.0.1", server.port(), user, "postgres").password("wrong");
        let err = ReplicationSession::connect(&options).await.unwrap_err();
        assert!(!err.is_transient(), "{user}: {err}");
        let text = err.to_string();
        assert!(
            text.contains(user) || err.sqlstate() == Some("28P01"),
            "{user}: {text}"
        );
    }

    let no_password = PgConnectOptions::new("127.0.0.1", server.port(), "scram_user", "postgres");
    let err = ReplicationSession::connect(&no_password).await.unwrap_err();
    assert!(err.to_string().contains("database.password"), "{err}");
}
