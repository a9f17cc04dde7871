//! The PostgreSQL source offset, in Debezium's shape plus what exactly-once resumption needs.
//!
//! Debezium's keys (`lsn`, `lsn_proc`, `lsn_commit`, `txId`, `ts_usec`; LSNs as numbers)
//! are written so Debezium and Connect tools read the position. Tributary adds:
//! - `tributary_txn_final_lsn` and `tributary_txn_events`: when a Kafka transaction ends in
//!   the middle of a source transaction, the commit LSN of that source transaction (from its
//!   Begin message) and how many of its changes are already in Kafka. On restart the server
//!   resends the whole transaction and those changes are skipped.
//! - `tributary_system_id` and `tributary_timeline`: the cluster the position belongs to,
//!   checked at start ([`crate::postgres::check_position`]).
//!
//! Debezium ignores keys it does not know, so the offsets stay readable by both.

use serde_json::{Map, Value};
use tributary_decoders::pgoutput::Lsn;

/// Where a PostgreSQL connector stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PgOffset {
    /// End LSN of the last source transaction fully in Kafka (or an idle position with
    /// nothing pending): the position acknowledged to the server.
    pub lsn_commit: Lsn,
    /// LSN of the last change processed.
    pub lsn_proc: Lsn,
    /// Transaction id of the last change.
    pub tx_id: Option<u32>,
    /// Commit time of the last change's transaction, microseconds since the epoch.
    pub ts_usec: i64,
    /// The partly delivered source transaction: (its commit LSN, changes delivered).
    pub partial: Option<(Lsn, u64)>,
    /// `IDENTIFY_SYSTEM`'s system identifier.
    pub system_id: Option<String>,
    /// The timeline.
    pub timeline: Option<u32>,
}

/// A stored offset that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "stored PostgreSQL offset has no valid '{key}' (offset: {offset}); fix or reset it with `tributary offsets`"
)]
pub struct OffsetFormatError {
    /// The key at fault.
    pub key: &'static str,
    /// The offset as stored.
    pub offset: String,
}

impl PgOffset {
    /// The offset as stored in the offsets topic.
    pub fn to_json(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("lsn_proc".into(), self.lsn_proc.0.into());
        map.insert("lsn_commit".into(), self.lsn_commit.0.into());
        map.insert("lsn".into(), self.lsn_proc.max(self.lsn_commit).0.into());
        if let Some(tx_id) = self.tx_id {
            map.insert("txId".into(), tx_id.into());
        }
        map.insert("ts_usec".into(), self.ts_usec.into());
        if let Some((final_lsn, events)) = self.partial {
            map.insert("tributary_txn_final_lsn".into(), final_lsn.0.into());
            map.insert("tributary_txn_events".into(), events.into());
        }
        if let Some(system_id) = &self.system_id {
            map.insert("tributary_system_id".into(), system_id.clone().into());
        }
        if let Some(timeline) = self.timeline {
            map.insert("tributary_timeline".into(), timeline.into());
        }
        map
    }

    /// Reads a stored offset: Tributary's, or Debezium's (then `lsn_commit`, falling back
    /// to `lsn_proc` and `lsn` as Debezium does, is where streaming resumes).
    pub fn from_json(map: &Map<String, Value>) -> Result<Self, OffsetFormatError> {
        let error = |key| OffsetFormatError {
            key,
            offset: Value::Object(map.clone()).to_string(),
        };
        let lsn = |key: &'static str| -> Result<Option<Lsn>, OffsetFormatError> {
            match map.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v.as_u64().map(|n| Some(Lsn(n))).ok_or_else(|| error(key)),
            }
        };
        let lsn_commit = match (lsn("lsn_commit")?, lsn("lsn_proc")?, lsn("lsn")?) {
            (Some(commit), _, _) => commit,
            (None, Some(proc), _) => proc,
            (None, None, Some(any)) => any,
            (None, None, None) => return Err(error("lsn_commit")),
        };
        let partial = match (
            lsn("tributary_txn_final_lsn")?,
            map.get("tributary_txn_events"),
        ) {
            (Some(final_lsn), Some(events)) => Some((
                final_lsn,
                events
                    .as_u64()
                    .ok_or_else(|| error("tributary_txn_events"))?,
            )),
            _ => None,
        };
        Ok(Self {
            lsn_commit,
            lsn_proc: lsn("lsn_proc")?.unwrap_or(lsn_commit),
            tx_id: map
                .get("txId")
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok()),
            ts_usec: map.get("ts_usec").and_then(Value::as_i64).unwrap_or(0),
            partial,
            system_id: map
                .get("tributary_system_id")
                .and_then(Value::as_str)
                .map(str::to_owned),
            timeline: map
                .get("tributary_timeline")
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_a_partial_transaction() {
        let offset = PgOffset {
            lsn_commit: Lsn(100),
            lsn_proc: Lsn(150),
            tx_id: Some(7),
            ts_usec: 1_700_000_000_000_000,
            partial: Some((Lsn(200), 3)),
            system_id: Some("7311".into()),
            timeline: Some(1),
        };
        let json = offset.to_json();
        assert_eq!(json["lsn"], 150);
        assert_eq!(PgOffset::from_json(&json).unwrap(), offset);
    }

    #[test]
    fn debezium_offsets_are_read() {
        let stored: Map<String, Value> = serde_json::from_str(
            r#"{"transaction_id":null,"lsn_proc":37094192,"messageType":"INSERT","lsn":37094192,"txId":612,"ts_usec":1}"#,
        )
        .unwrap();
        let offset = PgOffset::from_json(&stored).unwrap();
        assert_eq!(offset.lsn_commit, Lsn(37_094_192));
        assert_eq!(offset.partial, None);
        let bad: Map<String, Value> = serde_json::from_str(r#"{"lsn":"x"}"#).unwrap();
        assert!(
            PgOffset::from_json(&bad)
                .unwrap_err()
                .to_string()
                .contains("'lsn'")
        );
    }
}
