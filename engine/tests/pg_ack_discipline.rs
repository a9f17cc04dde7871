//! The slot's confirmed position follows the sink's acknowledgements and nothing else; an
//! idle stream offers the sink positions past WAL it has nothing to send for, so the slot
//! can advance once the sink stores and acknowledges them.

// Integration tests assert by unwrapping, in helpers too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use tokio::sync::mpsc::Receiver;
use tokio_postgres::NoTls;
use tributary::postgres::{
    PgConnectOptions, PgOutputOptions, ReplicationSession, SlotSnapshot, WalEvent, WalReaderConfig,
    spawn_wal_reader,
};
use tributary_decoders::pgoutput::{DecodeContext, Lsn, Message, decode};
use tributary_testcontainers::{PgConfig, Postgres, unique_name};

const DEADLINE: Duration = Duration::from_secs(30);

fn options(config: &PgConfig) -> PgConnectOptions {
    PgConnectOptions::new(&config.host, config.port, &config.user, &config.dbname)
        .password(&config.password)
}

/// (write, flush) as the server last heard them, and the slot's confirmed position.
async fn positions(sql: &tokio_postgres::Client, slot: &str) -> (Lsn, Lsn, Lsn) {
    let row = sql
        .query_one(
            "SELECT r.write_lsn::text, r.flush_lsn::text, s.confirmed_flush_lsn::text \
             FROM pg_replication_slots s JOIN pg_stat_replication r ON r.pid = s.active_pid \
             WHERE s.slot_name = $1",
            &[&slot],
        )
        .await
        .unwrap();
    let lsn = |i: usize| {
        row.get::<_, Option<String>>(i)
            .map_or(Lsn::INVALID, |t| t.parse().unwrap())
    };
    (lsn(0), lsn(1), lsn(2))
}

async fn current_wal(sql: &tokio_postgres::Client) -> Lsn {
    let text: String = sql
        .query_one("SELECT pg_current_wal_lsn()::text", &[])
        .await
        .unwrap()
        .get(0);
    text.parse().unwrap()
}

/// Receives messages until `commits` Commit messages arrived; returns their end LSNs.
async fn commit_ends(events: &mut Receiver<WalEvent>, commits: usize) -> Vec<Lsn> {
    let mut ends = Vec::new();
    while ends.len() < commits {
        let event = tokio::time::timeout(DEADLINE, events.recv())
            .await
            .unwrap()
            .unwrap();
        if let WalEvent::Message(message) = event
            && let Message::Commit(commit) = decode(&message.data, DecodeContext::new(3)).unwrap()
        {
            ends.push(commit.end_lsn);
        }
    }
    ends
}

/// Receives events until an idle position at or beyond `lsn` is offered.
async fn idle_offer_reaching(events: &mut Receiver<WalEvent>, lsn: Lsn) -> Lsn {
    loop {
        match tokio::time::timeout(DEADLINE, events.recv())
            .await
            .unwrap()
            .unwrap()
        {
            WalEvent::Idle { lsn: offered } if offered >= lsn => return offered,
            WalEvent::Idle { .. } => {}
            WalEvent::Message(message) => panic!("nothing captured was written: {message:?}"),
        }
    }
}

/// Polls until `done(write, flush, confirmed)` holds, asserting `invariant` on every sample.
async fn wait_for(
    sql: &tokio_postgres::Client,
    slot: &str,
    invariant: impl Fn(Lsn, Lsn, Lsn),
    done: impl Fn(Lsn, Lsn, Lsn) -> bool,
) -> (Lsn, Lsn, Lsn) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let (write, flush, confirmed) = positions(sql, slot).await;
        invariant(write, flush, confirmed);
        if done(write, flush, confirmed) {
            return (write, flush, confirmed);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out at write {write} flush {flush} confirmed {confirmed}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn confirmed_flush_never_passes_the_sinks_ack_and_advances_when_idle() {
    // Short sender timeout: an idle walsender pings often, so the idle advance shows quickly.
    let server = Postgres::builder()
        .setting("wal_sender_timeout", "2s")
        .start()
        .unwrap();
    let db = server.create_database().unwrap();
    let (sql, connection) = tokio_postgres::connect(&db.connection_string(), NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    sql.batch_execute(
        "CREATE TABLE captured (id int PRIMARY KEY);
         CREATE TABLE other (id int);
         CREATE PUBLICATION pub FOR TABLE captured;",
    )
    .await
    .unwrap();

    let mut session = ReplicationSession::connect(&options(&db)).await.unwrap();
    let slot = unique_name("slot");
    let start = session
        .create_logical_slot(&slot, SlotSnapshot::Nothing)
        .await
        .unwrap()
        .consistent_point;
    let pgoutput = PgOutputOptions {
        proto_version: 3,
        publications: vec!["pub".into()],
        messages: true,
        streaming: true,
    };
    let stream = session
        .start_logical_replication(&slot, start, &pgoutput)
        .await
        .unwrap();
    let config = WalReaderConfig {
        status_interval: Duration::from_millis(100),
        channel_capacity: 16,
        ..WalReaderConfig::default()
    };
    let mut reader = spawn_wal_reader(stream, start, config);

    for id in 1..=3 {
        sql.execute("INSERT INTO captured VALUES ($1)", &[&id])
            .await
            .unwrap();
    }
    let ends = commit_ends(&mut reader.events, 3).await;

    // Acknowledge only the first transaction. Once the server has heard that everything
    // was received (write >= last commit), flush and the slot must sit exactly at the ack.
    reader.durable.send(ends[0]).unwrap();
    let beyond_ack = |_: Lsn, flush: Lsn, confirmed: Lsn| {
        assert!(flush <= ends[0], "flush {flush} beyond the ack {}", ends[0]);
        assert!(
            confirmed <= ends[0],
            "slot confirmed {confirmed} beyond the ack {}",
            ends[0]
        );
    };
    let (_, flush, confirmed) = wait_for(&sql, &slot, beyond_ack, |write, flush, confirmed| {
        write >= ends[2] && flush == ends[0] && confirmed == ends[0]
    })
    .await;
    assert_eq!((flush, confirmed), (ends[0], ends[0]));

    // Writes to a table outside the publication stream nothing; while transactions 2 and 3
    // are unacknowledged the slot must still not move.
    sql.execute("INSERT INTO other VALUES (1)", &[])
        .await
        .unwrap();
    let wal_after_other = current_wal(&sql).await;
    wait_for(&sql, &slot, beyond_ack, |write, _, _| {
        write >= wal_after_other
    })
    .await;

    // Acknowledge everything: the slot reaches the last commit and stops there.
    reader.durable.send(ends[2]).unwrap();
    wait_for(
        &sql,
        &slot,
        |_, _, _| {},
        |_, _, confirmed| confirmed == ends[2],
    )
    .await;

    // Idle: the reader offers the sink a position past WAL that only the uncaptured table
    // wrote; the slot moves there only once the sink acknowledges it.
    sql.execute("INSERT INTO other VALUES (2)", &[])
        .await
        .unwrap();
    let wal_after_more = current_wal(&sql).await;
    let offered = idle_offer_reaching(&mut reader.events, wal_after_more).await;
    let (_, flush, confirmed) = positions(&sql, &slot).await;
    assert_eq!(
        (flush, confirmed),
        (ends[2], ends[2]),
        "an offer is not an acknowledgement"
    );
    reader.durable.send(offered).unwrap();
    wait_for(
        &sql,
        &slot,
        |_, _, c| assert!(c <= offered),
        |_, _, c| c == offered,
    )
    .await;

    // Dropping the pipeline's end stops the reader and releases the slot.
    drop(reader.events);
    tokio::time::timeout(DEADLINE, reader.task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let active: bool = sql
            .query_one(
                "SELECT active FROM pg_replication_slots WHERE slot_name = $1",
                &[&slot],
            )
            .await
            .unwrap()
            .get(0);
        if !active {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the slot is never released"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
