//! The replication protocol against a real PostgreSQL: identify, create a slot, stream
//! pgoutput messages, and move the slot's confirmed position only as far as acknowledged.

// Integration tests assert by unwrapping, in helpers too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use tokio_postgres::NoTls;
use tributary::postgres::{
    PgConnectOptions, PgOutputOptions, ReplicationMessage, ReplicationSession, ReplicationStream,
    SlotSnapshot, StandbyStatus, pgoutput_protocol_for,
};
use tributary_decoders::pgoutput::Lsn;
use tributary_testcontainers::{PgConfig, Postgres, unique_name};

fn options(config: &PgConfig) -> PgConnectOptions {
    PgConnectOptions::new(&config.host, config.port, &config.user, &config.dbname)
        .password(&config.password)
}

async fn sql_client(config: &PgConfig) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&config.connection_string(), NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

async fn confirmed_flush(client: &tokio_postgres::Client, slot: &str) -> Lsn {
    let text: String = client
        .query_one(
            "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1",
            &[&slot],
        )
        .await
        .unwrap()
        .get(0);
    text.parse().unwrap()
}

/// Reads until `count` XLogData messages arrived; returns (message tags, end LSN of the last).
async fn read_messages(stream: &mut ReplicationStream, count: usize) -> (Vec<u8>, Lsn) {
    let mut tags = Vec::new();
    let mut last = Lsn::INVALID;
    while tags.len() < count {
        let message = tokio::time::timeout(Duration::from_secs(30), stream.recv())
            .await
            .expect("replication message within 30 s")
            .unwrap()
            .expect("stream still open");
        match message {
            ReplicationMessage::XLogData {
                wal_start, data, ..
            } => {
                tags.push(data[0]);
                last = wal_start;
            }
            ReplicationMessage::Keepalive {
                reply_requested: true,
                wal_end,
                ..
            } => {
                let status = StandbyStatus {
                    write: wal_end,
                    ..StandbyStatus::default()
                };
                stream.send_status(status, false).await.unwrap();
            }
            ReplicationMessage::Keepalive { .. } => {}
        }
    }
    (tags, last)
}

#[tokio::test]
async fn streams_pgoutput_and_confirms_only_acknowledged_positions() {
    let server = Postgres::shared().unwrap();
    let db = server.create_database().unwrap();
    let sql = sql_client(&db).await;
    sql.batch_execute(
        "CREATE TABLE items (id int PRIMARY KEY, name text);
         CREATE PUBLICATION items_pub FOR TABLE items;",
    )
    .await
    .unwrap();

    let mut session = ReplicationSession::connect(&options(&db)).await.unwrap();
    let identity = session.identify_system().await.unwrap();
    assert!(!identity.system_id.is_empty());
    assert_eq!(identity.timeline, 1);
    assert_eq!(identity.dbname.as_deref(), Some(db.dbname.as_str()));
    // The walsender formats values with the session's settings; the value decoders
    // rely on these, and only the start-up packet can set them.
    for (setting, expected) in [
        ("DateStyle", "ISO"),
        ("IntervalStyle", "postgres"),
        ("extra_float_digits", "3"),
    ] {
        let rows = session
            .simple_query(&format!("SHOW {setting}"))
            .await
            .unwrap();
        let value = rows[0][0].clone().unwrap();
        assert!(value.starts_with(expected), "{setting} = {value}");
    }
    let major = session.server_major_version().unwrap();
    assert_eq!(major, 15);

    let slot = unique_name("slot");
    let created = session
        .create_logical_slot(&slot, SlotSnapshot::Nothing)
        .await
        .unwrap();
    assert_eq!(created.name, slot);
    assert!(created.snapshot_name.is_none());
    assert!(created.consistent_point >= identity.xlog_pos);

    let pgoutput = PgOutputOptions {
        proto_version: pgoutput_protocol_for(major),
        publications: vec!["items_pub".into()],
        messages: true,
        streaming: true,
    };
    let mut stream = session
        .start_logical_replication(&slot, Lsn::INVALID, &pgoutput)
        .await
        .unwrap();

    sql.execute("INSERT INTO items VALUES (1, 'one')", &[])
        .await
        .unwrap();
    let (tags, first_commit) = read_messages(&mut stream, 4).await;
    assert_eq!(tags, b"BRIC", "Begin, Relation, Insert, Commit");

    sql.execute("INSERT INTO items VALUES (2, 'two')", &[])
        .await
        .unwrap();
    let (tags, _) = read_messages(&mut stream, 3).await;
    assert_eq!(tags, b"BIC", "the relation is sent once per stream");

    // Acknowledge the first transaction only: the slot must confirm exactly that.
    let before_ack = confirmed_flush(&sql, &slot).await;
    assert!(
        before_ack <= first_commit,
        "slot moved past an unacknowledged position"
    );
    let ack = StandbyStatus {
        write: first_commit,
        flush: first_commit,
        apply: first_commit,
    };
    stream.send_status(ack, true).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let confirmed = confirmed_flush(&sql, &slot).await;
        assert!(
            confirmed <= first_commit,
            "slot confirmed {confirmed} beyond the ack {first_commit}"
        );
        if confirmed == first_commit {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "slot never confirmed {first_commit}"
        );
        // Answer keepalives while waiting so the server is not starved of replies.
        let _ = tokio::time::timeout(Duration::from_millis(50), stream.recv()).await;
    }

    stream.close().await.unwrap();
    let mut session = ReplicationSession::connect(&options(&db)).await.unwrap();
    session.drop_slot(&slot).await.unwrap();
}

#[tokio::test]
async fn exported_snapshot_is_named_and_errors_carry_sqlstate() {
    let server = Postgres::shared().unwrap();
    let db = server.create_database().unwrap();
    let mut session = ReplicationSession::connect(&options(&db)).await.unwrap();
    let slot = unique_name("slot");
    let created = session
        .create_logical_slot(&slot, SlotSnapshot::Export)
        .await
        .unwrap();
    assert!(created.snapshot_name.is_some_and(|name| !name.is_empty()));

    // A slot name that is already taken is a definite error with the server's SQLSTATE.
    let mut other = ReplicationSession::connect(&options(&db)).await.unwrap();
    let err = other
        .create_logical_slot(&slot, SlotSnapshot::Nothing)
        .await
        .unwrap_err();
    assert_eq!(err.sqlstate(), Some("42710"), "{err}");
    assert!(!err.is_transient(), "{err}");
    assert!(err.to_string().contains(&slot), "{err}");
    drop(session);

    let err = other
        .start_logical_replication(
            "no_such_slot",
            Lsn::INVALID,
            &PgOutputOptions {
                proto_version: 3,
                publications: vec!["p".into()],
                messages: false,
                streaming: false,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.sqlstate(), Some("42704"), "{err}");
    assert!(err.to_string().contains("no_such_slot"), "{err}");
}
