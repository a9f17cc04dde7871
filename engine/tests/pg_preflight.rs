//! Start-up checks against real PostgreSQL servers: each unsupported setting or broken slot
//! is refused before streaming, with the fix in the message.

// Integration tests assert by unwrapping, in helpers too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tributary::postgres::{
    PgConnectOptions, PgOutputOptions, PreflightError, PublicationAutocreate, ReplicationSession,
    SlotSnapshot, SlotState, check_server, connect_replication, ensure_publication, ensure_slot,
};
use tributary_decoders::pgoutput::Lsn;
use tributary_testcontainers::{PgConfig, Postgres, unique_name};

fn options(config: &PgConfig) -> PgConnectOptions {
    PgConnectOptions::new(&config.host, config.port, &config.user, &config.dbname)
        .password(&config.password)
}

#[tokio::test]
async fn wal_level_replica_is_refused_with_the_fix() {
    let server = Postgres::builder()
        .setting("wal_level", "replica")
        .start()
        .unwrap();
    let mut session = connect_replication(&options(&server.superuser_config()))
        .await
        .unwrap();
    let err = check_server(&mut session, "postgres").await.unwrap_err();
    assert!(
        matches!(err, PreflightError::WalLevel { ref actual } if actual == "replica"),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("ALTER SYSTEM SET wal_level = logical"),
        "{err}"
    );
    assert!(!err.is_transient());
}

#[tokio::test]
async fn a_user_without_replication_privilege_is_told_how_to_grant_it() {
    let server = Postgres::shared().unwrap();
    let user = unique_name("plain");
    server
        .psql("postgres", &format!("CREATE USER {user} PASSWORD 'secret'"))
        .unwrap();
    let options =
        PgConnectOptions::new("127.0.0.1", server.port(), &user, "postgres").password("secret");
    let err = connect_replication(&options).await.unwrap_err();
    assert!(
        matches!(err, PreflightError::MissingReplicationPrivilege { .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains(&format!("ALTER ROLE {user} REPLICATION")),
        "{err}"
    );

    // A superuser passes every server check on the harness's server.
    let mut session = connect_replication(&options_for_superuser(server))
        .await
        .unwrap();
    check_server(&mut session, "postgres").await.unwrap();
}

fn options_for_superuser(server: &Postgres) -> PgConnectOptions {
    options(&server.superuser_config())
}

#[tokio::test]
async fn slots_are_created_reused_and_refused_when_busy_or_foreign() {
    let server = Postgres::shared().unwrap();
    let db = server.create_database().unwrap();
    server
        .psql(&db.dbname, "CREATE PUBLICATION p FOR ALL TABLES")
        .unwrap();
    let slot = unique_name("slot");

    let mut session = connect_replication(&options(&db)).await.unwrap();
    let created = ensure_slot(&mut session, &slot, &db.dbname, SlotSnapshot::Nothing)
        .await
        .unwrap();
    assert!(
        matches!(created, SlotState::Created(ref c) if c.name == slot),
        "{created:?}"
    );
    let again = ensure_slot(&mut session, &slot, &db.dbname, SlotSnapshot::Nothing)
        .await
        .unwrap();
    let SlotState::Existing(info) = again else {
        panic!("second call must find the slot")
    };
    assert!(info.confirmed_flush.is_some_and(|lsn| lsn.is_valid()));
    assert_eq!(info.wal_status.as_deref(), Some("reserved"));

    // Busy: another session streams from it.
    let streaming = ReplicationSession::connect(&options(&db)).await.unwrap();
    let pgoutput = PgOutputOptions {
        proto_version: 3,
        publications: vec!["p".into()],
        messages: false,
        streaming: false,
    };
    let stream = streaming
        .start_logical_replication(&slot, Lsn::INVALID, &pgoutput)
        .await
        .unwrap();
    let err = ensure_slot(&mut session, &slot, &db.dbname, SlotSnapshot::Nothing)
        .await
        .unwrap_err();
    assert!(
        matches!(err, PreflightError::SlotInUse { pid, .. } if pid > 0),
        "{err}"
    );
    assert!(
        err.is_transient(),
        "a busy slot may be released soon: {err}"
    );
    assert!(err.to_string().contains("pg_terminate_backend"), "{err}");
    stream.close().await.unwrap();

    // Foreign: a slot of another plugin under the configured name.
    let foreign = unique_name("foreign");
    server
        .psql(
            &db.dbname,
            &format!("SELECT pg_create_logical_replication_slot('{foreign}', 'test_decoding')"),
        )
        .unwrap();
    let err = ensure_slot(&mut session, &foreign, &db.dbname, SlotSnapshot::Nothing)
        .await
        .unwrap_err();
    assert!(
        matches!(err, PreflightError::SlotMismatch { ref plugin, .. } if plugin == "test_decoding"),
        "{err}"
    );
    server
        .psql(
            &db.dbname,
            &format!("SELECT pg_drop_replication_slot('{foreign}')"),
        )
        .unwrap();
    session.drop_slot(&slot).await.unwrap();
}

#[tokio::test]
async fn an_invalidated_slot_is_refused_with_the_recovery() {
    // Keep at most 1 MB of WAL for slots, so a few segment switches invalidate an idle slot.
    let server = Postgres::builder()
        .setting("max_slot_wal_keep_size", "1MB")
        .start()
        .unwrap();
    let config = server.superuser_config();
    let slot = unique_name("slot");
    let mut session = connect_replication(&options(&config)).await.unwrap();
    ensure_slot(&mut session, &slot, "postgres", SlotSnapshot::Nothing)
        .await
        .unwrap();
    server
        .psql("postgres", "CREATE TABLE filler (v text)")
        .unwrap();
    for _ in 0..4 {
        server
            .psql("postgres", "INSERT INTO filler SELECT repeat('x', 1000) FROM generate_series(1, 2000); SELECT pg_switch_wal();")
            .unwrap();
    }
    server.psql("postgres", "CHECKPOINT").unwrap();

    let err = ensure_slot(&mut session, &slot, "postgres", SlotSnapshot::Nothing)
        .await
        .unwrap_err();
    assert!(
        matches!(err, PreflightError::SlotInvalidated { ref wal_status, .. } if wal_status == "lost"),
        "{err}"
    );
    assert!(
        err.to_string().contains("pg_drop_replication_slot"),
        "{err}"
    );
    assert!(!err.is_transient());
}

#[tokio::test]
async fn publications_follow_the_autocreate_mode() {
    let server = Postgres::shared().unwrap();
    let db = server.create_database().unwrap();
    server
        .psql(
            &db.dbname,
            "CREATE TABLE a (id int primary key); CREATE TABLE b (id int primary key)",
        )
        .unwrap();
    let mut session = connect_replication(&options(&db)).await.unwrap();

    let err = ensure_publication(
        &mut session,
        "missing_pub",
        &PublicationAutocreate::Disabled,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, PreflightError::PublicationMissing { .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("CREATE PUBLICATION missing_pub"),
        "{err}"
    );

    ensure_publication(&mut session, "all_pub", &PublicationAutocreate::AllTables)
        .await
        .unwrap();
    let all = server
        .psql(
            &db.dbname,
            "SELECT puballtables FROM pg_publication WHERE pubname = 'all_pub'",
        )
        .unwrap();
    assert_eq!(all.trim(), "t");

    let only_a = PublicationAutocreate::Filtered(vec![("public".into(), "a".into())]);
    ensure_publication(&mut session, "filtered_pub", &only_a)
        .await
        .unwrap();
    let only_b = PublicationAutocreate::Filtered(vec![("public".into(), "b".into())]);
    ensure_publication(&mut session, "filtered_pub", &only_b)
        .await
        .unwrap();
    let tables = server
        .psql(
            &db.dbname,
            "SELECT tablename FROM pg_publication_tables WHERE pubname = 'filtered_pub'",
        )
        .unwrap();
    assert_eq!(
        tables.trim(),
        "b",
        "the filtered publication follows the include list"
    );

    // Disabled accepts a publication that exists.
    ensure_publication(
        &mut session,
        "filtered_pub",
        &PublicationAutocreate::Disabled,
    )
    .await
    .unwrap();
}
