//! Position integrity: may a stored source offset be resumed on this server and slot?
//!
//! A stored offset (in Kafka) says "every change up to this LSN, on this cluster and
//! timeline, is delivered". Resuming from it is only correct when the server and the slot
//! are the ones that offset was taken from; otherwise the stream silently skips or repeats
//! changes. [`check_position`] compares the offset with what the server reports at start-up
//! (`IDENTIFY_SYSTEM` and `pg_replication_slots`) and refuses every case where changes would
//! be lost or invented.
//!
//! # What is normal
//! The stored LSN may be *ahead* of the slot's `confirmed_flush_lsn`: the sink commits to
//! Kafka first and acknowledges to the server afterwards, so a crash between the two leaves
//! the slot behind the offset. Resuming is correct (the server streams from its confirmed
//! position; the pipeline skips what the offset already covers). A higher timeline on the
//! same system is a promotion of a standby and is fine too: positions are comparable across
//! timelines of one cluster.
//!
//! # What is refused
//! - The slot was invalidated (`wal_status = lost`): WAL it needed is gone.
//! - A different system identifier: the address now serves another cluster (a restore from
//!   a backup into a new cluster, a failover to a cluster built separately, a re-initdb).
//!   Its LSNs have nothing to do with the stored ones.
//! - The slot's `confirmed_flush_lsn` is *ahead* of the stored LSN: the slot was dropped
//!   and recreated, or someone advanced it (`pg_replication_slot_advance`, another consumer
//!   using the same slot name). Transactions committed between the stored position and the
//!   slot's position will never be streamed again: they were never delivered.
//! - The stored LSN is behind the slot's `restart_lsn` (when the slot has no confirmed
//!   position to compare with): the WAL from the stored position on is no longer kept.
//! - The server is behind the stored position (its WAL end is before the stored LSN, or its
//!   timeline is lower than the stored one): the cluster went back in time (restored from an
//!   older backup of the same cluster); the LSNs after its end will be reused by different
//!   transactions.
//!
//! Every refusal is definite: only an operator can decide to re-snapshot or reset offsets.

use tributary_decoders::pgoutput::Lsn;

use super::preflight::SlotInfo;
use super::replication::SystemIdentity;

/// The hint shared by every refusal: the two ways out.
const RECOVER: &str = "to recover, take a new snapshot (delete the connector's stored offset \
     and start with snapshot.mode=initial or when_needed), or, if losing the changes in \
     between is acceptable, reset the stored offset to the slot's position";

/// The source position stored with the last committed Kafka transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredPosition<'a> {
    /// The system identifier the offset was taken on; `None` for offsets written before it
    /// was recorded (then that check is skipped).
    pub system_id: Option<&'a str>,
    /// The timeline the offset was taken on; `None` when not recorded.
    pub timeline: Option<u32>,
    /// The LSN up to which every change is delivered.
    pub lsn: Lsn,
}

/// Why a stored position may not be resumed. Every variant is definite: retrying cannot
/// help, an operator must choose how to recover (the message says how).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PositionError {
    /// The slot lost WAL it needed.
    #[error(
        "postgres: replication slot '{slot}' is invalidated (wal_status = {wal_status}): the \
         server removed WAL from before the stored offset {stored}, so changes were lost; \
         drop the slot (SELECT pg_drop_replication_slot('{slot}');) and {RECOVER}"
    )]
    SlotInvalidated {
        /// The slot.
        slot: String,
        /// What the server reports (`lost`).
        wal_status: String,
        /// The stored LSN.
        stored: Lsn,
    },
    /// The server is another cluster.
    #[error(
        "postgres: the server's system identifier is {server}, but the stored offset {stored} \
         was taken on system {stored_system}: this is a different cluster (restored into a new \
         cluster, a failover to a separately built cluster, or a re-initdb), and its LSNs do \
         not correspond to the stored ones; {RECOVER}"
    )]
    SystemChanged {
        /// The identifier stored with the offset.
        stored_system: String,
        /// The server's identifier now.
        server: String,
        /// The stored LSN.
        stored: Lsn,
    },
    /// The slot is ahead of the stored offset.
    #[error(
        "postgres: replication slot '{slot}' confirmed {confirmed_flush}, ahead of the stored \
         offset {stored}: the slot was dropped and recreated, or advanced by someone else, \
         and the transactions committed between {stored} and {confirmed_flush} were never \
         delivered and will not be streamed again; {RECOVER}"
    )]
    SlotAhead {
        /// The slot.
        slot: String,
        /// The slot's `confirmed_flush_lsn`.
        confirmed_flush: Lsn,
        /// The stored LSN.
        stored: Lsn,
    },
    /// The slot no longer keeps the WAL the stored offset needs.
    #[error(
        "postgres: the stored offset {stored} is behind replication slot '{slot}''s \
         restart_lsn {restart_lsn}: the WAL from the stored offset on is no longer kept, so \
         the changes in between cannot be streamed; {RECOVER}"
    )]
    BehindRestart {
        /// The slot.
        slot: String,
        /// The slot's `restart_lsn`.
        restart_lsn: Lsn,
        /// The stored LSN.
        stored: Lsn,
    },
    /// The server is behind the stored offset: it went back in time.
    #[error(
        "postgres: the server is at timeline {server_timeline}, WAL {server_lsn}, behind the \
         stored offset {stored} on timeline {stored_timeline}: the cluster went backwards \
         (restored from an older backup), so LSNs after {server_lsn} will name different \
         transactions than the ones already delivered; {RECOVER}"
    )]
    ServerBehind {
        /// The server's current WAL flush position.
        server_lsn: Lsn,
        /// The server's timeline.
        server_timeline: u32,
        /// The stored LSN.
        stored: Lsn,
        /// The stored timeline (the server's, when none was stored).
        stored_timeline: u32,
    },
}

impl PositionError {
    /// Always `false`: the server and slot will report the same until an operator acts.
    pub fn is_transient(&self) -> bool {
        false
    }
}

/// Checks that `stored` can be resumed from `slot` on the server that answered
/// `IDENTIFY_SYSTEM` with `server` and reported `slot_info` for the slot.
///
/// Call it with an offset actually read from the store; a connector without a stored
/// offset starts from the slot and has nothing to check. See the module docs for what is
/// accepted and refused, and why.
pub fn check_position(
    slot: &str,
    server: &SystemIdentity,
    slot_info: &SlotInfo,
    stored: &StoredPosition<'_>,
) -> Result<(), PositionError> {
    if let Some(stored_system) = stored.system_id
        && stored_system != server.system_id
    {
        return Err(PositionError::SystemChanged {
            stored_system: stored_system.to_owned(),
            server: server.system_id.clone(),
            stored: stored.lsn,
        });
    }
    if let Some(wal_status @ "lost") = slot_info.wal_status.as_deref() {
        return Err(PositionError::SlotInvalidated {
            slot: slot.to_owned(),
            wal_status: wal_status.to_owned(),
            stored: stored.lsn,
        });
    }
    let stored_timeline = stored.timeline.unwrap_or(server.timeline);
    if stored_timeline > server.timeline || stored.lsn > server.xlog_pos {
        return Err(PositionError::ServerBehind {
            server_lsn: server.xlog_pos,
            server_timeline: server.timeline,
            stored: stored.lsn,
            stored_timeline,
        });
    }
    match (slot_info.confirmed_flush, slot_info.restart_lsn) {
        (Some(confirmed_flush), _) if confirmed_flush > stored.lsn => {
            Err(PositionError::SlotAhead {
                slot: slot.to_owned(),
                confirmed_flush,
                stored: stored.lsn,
            })
        }
        (None, Some(restart_lsn)) if restart_lsn > stored.lsn => {
            Err(PositionError::BehindRestart {
                slot: slot.to_owned(),
                restart_lsn,
                stored: stored.lsn,
            })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(system_id: &str, timeline: u32, xlog_pos: u64) -> SystemIdentity {
        SystemIdentity {
            system_id: system_id.to_owned(),
            timeline,
            xlog_pos: Lsn(xlog_pos),
            dbname: Some("db".to_owned()),
        }
    }

    fn slot(confirmed: Option<u64>, restart: Option<u64>, wal_status: &str) -> SlotInfo {
        SlotInfo {
            confirmed_flush: confirmed.map(Lsn),
            restart_lsn: restart.map(Lsn),
            wal_status: Some(wal_status.to_owned()),
        }
    }

    fn stored(system_id: Option<&str>, timeline: Option<u32>, lsn: u64) -> StoredPosition<'_> {
        StoredPosition {
            system_id,
            timeline,
            lsn: Lsn(lsn),
        }
    }

    const SYS: &str = "7300000000000000001";

    #[test]
    fn own_slot_at_or_behind_the_stored_offset_is_accepted() {
        let s = server(SYS, 1, 10_000);
        let info = slot(Some(500), Some(400), "reserved");
        // Exactly at the slot's position.
        check_position("s", &s, &info, &stored(Some(SYS), Some(1), 500)).unwrap();
        // Committed to Kafka, not yet acknowledged to the server: normal after a crash.
        check_position("s", &s, &info, &stored(Some(SYS), Some(1), 900)).unwrap();
        // Old offsets without system id or timeline skip those checks.
        check_position("s", &s, &info, &stored(None, None, 500)).unwrap();
        // A promoted standby of the same cluster has a higher timeline.
        check_position(
            "s",
            &server(SYS, 2, 10_000),
            &info,
            &stored(Some(SYS), Some(1), 600),
        )
        .unwrap();
        // `unreserved` still streams (it is lost only once a checkpoint removes the WAL).
        check_position(
            "s",
            &s,
            &slot(Some(500), Some(400), "unreserved"),
            &stored(None, None, 500),
        )
        .unwrap();
    }

    #[test]
    fn a_different_system_is_refused() {
        let err = check_position(
            "s",
            &server("7399999999999999999", 1, 10_000),
            &slot(Some(100), Some(100), "reserved"),
            &stored(Some(SYS), Some(1), 500),
        )
        .unwrap_err();
        assert!(matches!(err, PositionError::SystemChanged { .. }), "{err}");
        let text = err.to_string();
        assert!(
            text.contains(SYS) && text.contains("7399999999999999999"),
            "{text}"
        );
        assert!(
            text.contains("different cluster") && text.contains("new snapshot"),
            "{text}"
        );
        assert!(!err.is_transient());
    }

    #[test]
    fn a_slot_ahead_of_the_offset_is_refused() {
        let err = check_position(
            "my_slot",
            &server(SYS, 1, 10_000),
            &slot(Some(700), Some(650), "reserved"),
            &stored(Some(SYS), Some(1), 500),
        )
        .unwrap_err();
        assert_eq!(
            err,
            PositionError::SlotAhead {
                slot: "my_slot".into(),
                confirmed_flush: Lsn(700),
                stored: Lsn(500)
            }
        );
        let text = err.to_string();
        assert!(
            text.contains("recreated") && text.contains("0/2BC"),
            "{text}"
        );
        assert!(
            text.contains("never") && text.contains("delivered"),
            "{text}"
        );
    }

    #[test]
    fn an_offset_behind_the_restart_point_is_refused() {
        let err = check_position(
            "s",
            &server(SYS, 1, 10_000),
            &slot(None, Some(650), "reserved"),
            &stored(Some(SYS), Some(1), 500),
        )
        .unwrap_err();
        assert!(matches!(err, PositionError::BehindRestart { .. }), "{err}");
        assert!(err.to_string().contains("no longer kept"), "{err}");
    }

    #[test]
    fn a_server_that_went_backwards_is_refused() {
        // WAL end before the stored offset.
        let err = check_position(
            "s",
            &server(SYS, 1, 400),
            &slot(Some(300), Some(300), "reserved"),
            &stored(Some(SYS), Some(1), 500),
        )
        .unwrap_err();
        assert!(matches!(err, PositionError::ServerBehind { .. }), "{err}");
        assert!(err.to_string().contains("backwards"), "{err}");
        // A lower timeline than the stored one.
        let err = check_position(
            "s",
            &server(SYS, 1, 10_000),
            &slot(Some(300), Some(300), "reserved"),
            &stored(Some(SYS), Some(2), 500),
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                PositionError::ServerBehind {
                    stored_timeline: 2,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn an_invalidated_slot_is_refused() {
        let err = check_position(
            "s",
            &server(SYS, 1, 10_000),
            &slot(Some(500), None, "lost"),
            &stored(Some(SYS), Some(1), 500),
        )
        .unwrap_err();
        assert!(
            matches!(err, PositionError::SlotInvalidated { .. }),
            "{err}"
        );
        assert!(
            err.to_string().contains("pg_drop_replication_slot('s')"),
            "{err}"
        );
    }
}
