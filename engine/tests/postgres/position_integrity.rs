//! A stored offset is resumed only on the cluster and slot it came from: a slot recreated
//! after writes, and another cluster, are refused with what happened and how to recover.

use tributary::postgres::{
    PositionError, ReplicationSession, SlotSnapshot, SlotState, StoredPosition, check_position,
    ensure_slot,
};
use tributary_decoders::pgoutput::Lsn;
use tributary_testcontainers::{Postgres, unique_name};

use super::{current_wal, options, sql_client};

/// Reads the server's identity and the slot's state as the connector does at start-up.
async fn identity_and_slot(
    db: &tributary_testcontainers::PgConfig,
    slot: &str,
) -> (
    tributary::postgres::SystemIdentity,
    tributary::postgres::SlotInfo,
) {
    let mut session = ReplicationSession::connect(&options(db)).await.unwrap();
    let identity = session.identify_system().await.unwrap();
    let SlotState::Existing(info) =
        ensure_slot(&mut session, slot, &db.dbname, SlotSnapshot::Nothing)
            .await
            .unwrap()
    else {
        panic!("slot {slot} should exist");
    };
    (identity, info)
}

#[tokio::test]
async fn recreated_slot_and_other_cluster_are_refused() {
    let server = Postgres::shared().unwrap();
    let db = server.create_database().unwrap();
    let sql = sql_client(&db).await;
    sql.batch_execute("CREATE TABLE t (id int PRIMARY KEY)")
        .await
        .unwrap();
    let slot = unique_name("slot");
    sql.execute(
        "SELECT pg_create_logical_replication_slot($1, 'pgoutput')",
        &[&slot],
    )
    .await
    .unwrap();

    // The connector delivered the first transaction and acknowledged it.
    sql.execute("INSERT INTO t VALUES (1)", &[]).await.unwrap();
    let delivered = current_wal(&sql).await;
    sql.execute(
        "SELECT pg_replication_slot_advance($1, $2::text::pg_lsn)",
        &[&slot, &delivered.to_string()],
    )
    .await
    .unwrap();
    let (identity, info) = identity_and_slot(&db, &slot).await;
    assert_eq!(info.confirmed_flush, Some(delivered));
    let stored = StoredPosition {
        system_id: Some(&identity.system_id),
        timeline: Some(identity.timeline),
        lsn: delivered,
    };
    check_position(&slot, &identity, &info, &stored).unwrap();

    // A second transaction committed to Kafka, the ack to the server not sent yet (crash
    // in between): the stored offset is ahead of the slot, which is normal.
    sql.execute("INSERT INTO t VALUES (2)", &[]).await.unwrap();
    let committed_not_acked = current_wal(&sql).await;
    let (identity, info) = identity_and_slot(&db, &slot).await;
    let ahead = StoredPosition {
        lsn: committed_not_acked,
        ..stored
    };
    check_position(&slot, &identity, &info, &ahead).unwrap();

    // Someone drops the slot; writes happen; the slot is recreated under the same name. The
    // writes in between were never delivered.
    sql.execute("SELECT pg_drop_replication_slot($1)", &[&slot])
        .await
        .unwrap();
    sql.execute("INSERT INTO t VALUES (3)", &[]).await.unwrap();
    sql.execute(
        "SELECT pg_create_logical_replication_slot($1, 'pgoutput')",
        &[&slot],
    )
    .await
    .unwrap();
    let (identity, info) = identity_and_slot(&db, &slot).await;
    let err = check_position(&slot, &identity, &info, &ahead).unwrap_err();
    match &err {
        PositionError::SlotAhead {
            confirmed_flush,
            stored,
            ..
        } => {
            assert!(confirmed_flush > stored);
            assert_eq!(*stored, committed_not_acked);
        }
        other => panic!("expected SlotAhead, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains(&slot) && text.contains("recreated"), "{text}");
    assert!(text.contains("new snapshot"), "{text}");
    assert!(!err.is_transient());

    // A second cluster at another address would be a different server; here the same
    // offset meets a brand-new cluster (as after a restore into a new cluster).
    let other = Postgres::start().unwrap();
    let other_db = other.create_database().unwrap();
    let other_sql = sql_client(&other_db).await;
    other_sql
        .execute(
            "SELECT pg_create_logical_replication_slot($1, 'pgoutput')",
            &[&slot],
        )
        .await
        .unwrap();
    let (other_identity, other_info) = identity_and_slot(&other_db, &slot).await;
    assert_ne!(other_identity.system_id, identity.system_id);
    let err = check_position(&slot, &other_identity, &other_info, &stored).unwrap_err();
    match &err {
        PositionError::SystemChanged {
            stored_system,
            server,
            stored: lsn,
        } => {
            assert_eq!(stored_system, &identity.system_id);
            assert_eq!(server, &other_identity.system_id);
            assert_eq!(*lsn, delivered);
        }
        other => panic!("expected SystemChanged, got {other:?}"),
    }
    assert!(err.to_string().contains("different cluster"), "{err}");

    // An offset without a system id on the new cluster: its WAL is behind the stored
    // position or its slot ahead; either way it is refused, never resumed.
    let anonymous = StoredPosition {
        system_id: None,
        timeline: None,
        lsn: Lsn(delivered.0 + (1 << 32)),
    };
    let err = check_position(&slot, &other_identity, &other_info, &anonymous).unwrap_err();
    assert!(
        matches!(err, PositionError::ServerBehind { .. }),
        "expected ServerBehind, got {err:?}"
    );
}
