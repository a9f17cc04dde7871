//! Debezium's signals: a row `(id, type, data)` inserted into the signal table
//! (`signal.data.collection`), or a message on a signal channel, asks a running connector
//! to start, stop, pause or resume an incremental snapshot.
//!
//! `data` is JSON. `execute-snapshot` names its `data-collections` (full names:
//! `schema.table`, `database.table`), optionally a `type` (`incremental`, the default; a
//! `blocking` snapshot is refused) and `additional-conditions`: per collection, a `filter`
//! that becomes a SQL `WHERE` term, so only matching rows are read. The older single
//! `additional-condition` string applies to every collection. `stop-snapshot` may name the
//! collections to drop; without them it stops the whole snapshot. Collection names are
//! matched exactly (Debezium also accepts regular expressions; not supported here).

use serde_json::Value;

/// What a signal asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// `execute-snapshot`: read these tables incrementally, with optional filters.
    ExecuteSnapshot {
        /// `(table, filter)` in the order given.
        tables: Vec<(String, Option<String>)>,
    },
    /// `stop-snapshot`: drop these tables (all when `None`) from the snapshot.
    StopSnapshot {
        /// The tables to stop, or all.
        tables: Option<Vec<String>>,
    },
    /// `pause-snapshot`.
    PauseSnapshot,
    /// `resume-snapshot`.
    ResumeSnapshot,
    /// `log`: a message to write to the connector's log.
    Log(String),
}

/// A signal that cannot be acted on. Definite: the same row fails again; the connector
/// logs it and goes on (a bad signal must not stop the stream).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("signal '{id}' ({kind}): {detail}")]
pub struct SignalError {
    /// The signal's id.
    pub id: String,
    /// Its type.
    pub kind: String,
    /// What is wrong.
    pub detail: String,
}

impl Signal {
    /// Parses a signal row.
    pub fn parse(id: &str, kind: &str, data: Option<&str>) -> Result<Self, SignalError> {
        let error = |detail: String| SignalError {
            id: id.to_owned(),
            kind: kind.to_owned(),
            detail,
        };
        let data: Value = match data.map(str::trim).filter(|d| !d.is_empty()) {
            Some(text) => {
                serde_json::from_str(text).map_err(|e| error(format!("data is not JSON: {e}")))?
            }
            None => Value::Object(serde_json::Map::new()),
        };
        let collections = |data: &Value| -> Result<Option<Vec<String>>, SignalError> {
            match data.get("data-collections") {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(|s| s.trim().to_owned())
                            .ok_or_else(|| error("a data-collections entry is not text".into()))
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Some),
                Some(Value::String(one)) => Ok(Some(vec![one.trim().to_owned()])),
                Some(_) => Err(error("data-collections is not a list".into())),
            }
        };
        match kind.trim().to_ascii_lowercase().as_str() {
            "execute-snapshot" => {
                match data
                    .get("type")
                    .and_then(Value::as_str)
                    .map(str::to_ascii_lowercase)
                {
                    None => {}
                    Some(t) if t == "incremental" => {}
                    Some(t) => {
                        return Err(error(format!(
                            "snapshot type '{t}' is not supported (only incremental)"
                        )));
                    }
                }
                let tables = collections(&data)?
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| error("execute-snapshot needs data-collections".into()))?;
                let common = data
                    .get("additional-condition")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                let mut filters: Vec<(String, String)> = Vec::new();
                if let Some(conditions) = data.get("additional-conditions") {
                    let list = conditions
                        .as_array()
                        .ok_or_else(|| error("additional-conditions is not a list".into()))?;
                    for entry in list {
                        let collection = entry
                            .get("data-collection")
                            .and_then(Value::as_str)
                            .ok_or_else(|| {
                                error(
                                    "an additional-conditions entry has no data-collection".into(),
                                )
                            })?;
                        let filter =
                            entry.get("filter").and_then(Value::as_str).ok_or_else(|| {
                                error("an additional-conditions entry has no filter".into())
                            })?;
                        filters.push((collection.trim().to_owned(), filter.to_owned()));
                    }
                }
                Ok(Self::ExecuteSnapshot {
                    tables: tables
                        .into_iter()
                        .map(|table| {
                            let filter = filters
                                .iter()
                                .find(|(t, _)| *t == table)
                                .map(|(_, f)| f.clone())
                                .or_else(|| common.clone());
                            (table, filter)
                        })
                        .collect(),
                })
            }
            "stop-snapshot" => Ok(Self::StopSnapshot {
                tables: collections(&data)?.filter(|t| !t.is_empty()),
            }),
            "pause-snapshot" => Ok(Self::PauseSnapshot),
            "resume-snapshot" => Ok(Self::ResumeSnapshot),
            "log" => Ok(Self::Log(
                data.get("message")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            )),
            other => Err(error(format!(
                "unknown signal type '{other}' (known: execute-snapshot, stop-snapshot, \
                 pause-snapshot, resume-snapshot, log)"
            ))),
        }
    }

    /// Parses a signal-topic message value, Debezium's Kafka channel layout:
    /// `{"type": "execute-snapshot", "data": {...}}` (`data` an object or JSON text).
    /// `id` names the message in errors (the channel uses its Kafka offset).
    pub fn from_message(id: &str, value: &[u8]) -> Result<Self, SignalError> {
        let error = |detail: String| SignalError {
            id: id.to_owned(),
            kind: String::new(),
            detail,
        };
        let message: Value = serde_json::from_slice(value)
            .map_err(|e| error(format!("the message value is not JSON: {e}")))?;
        let kind = message
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| error("the message has no \"type\" text field".into()))?;
        let data = match message.get("data") {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(text.clone()),
            Some(other) => Some(other.to_string()),
        };
        Self::parse(id, kind, data.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execute_snapshot_reads_collections_and_their_filters() {
        let signal = Signal::parse(
            "s1",
            "execute-snapshot",
            Some(
                r#"{"data-collections": ["public.a", "public.b"], "type": "INCREMENTAL",
                    "additional-conditions": [{"data-collection": "public.b", "filter": "n > 3"}]}"#,
            ),
        )
        .unwrap();
        assert_eq!(
            signal,
            Signal::ExecuteSnapshot {
                tables: vec![
                    ("public.a".into(), None),
                    ("public.b".into(), Some("n > 3".into()))
                ]
            }
        );
        let old_style = Signal::parse(
            "s2",
            "execute-snapshot",
            Some(r#"{"data-collections": ["db.t"], "additional-condition": "id < 10"}"#),
        )
        .unwrap();
        assert_eq!(
            old_style,
            Signal::ExecuteSnapshot {
                tables: vec![("db.t".into(), Some("id < 10".into()))]
            }
        );
    }

    #[test]
    fn a_signal_topic_message_carries_type_and_data_as_an_object_or_text() {
        let object = Signal::from_message(
            "offset 7",
            br#"{"type": "execute-snapshot", "data": {"data-collections": ["db.t"], "type": "INCREMENTAL"}}"#,
        )
        .unwrap();
        assert_eq!(
            object,
            Signal::ExecuteSnapshot {
                tables: vec![("db.t".into(), None)]
            }
        );
        let text = Signal::from_message("offset 8", br#"{"type": "pause-snapshot", "data": "{}"}"#)
            .unwrap();
        assert_eq!(text, Signal::PauseSnapshot);
        let bad = Signal::from_message("offset 9", b"not json").unwrap_err();
        assert_eq!(bad.id, "offset 9");
        assert!(bad.detail.contains("not JSON"), "{bad}");
        let untyped = Signal::from_message("offset 10", br#"{"data": {}}"#).unwrap_err();
        assert!(untyped.detail.contains("type"), "{untyped}");
    }

    #[test]
    fn stop_pause_resume_and_log() {
        assert_eq!(
            Signal::parse("x", "stop-snapshot", Some(r#"{"type": "incremental"}"#)).unwrap(),
            Signal::StopSnapshot { tables: None }
        );
        assert_eq!(
            Signal::parse(
                "x",
                "stop-snapshot",
                Some(r#"{"data-collections": ["a.b"]}"#)
            )
            .unwrap(),
            Signal::StopSnapshot {
                tables: Some(vec!["a.b".into()])
            }
        );
        assert_eq!(
            Signal::parse("x", "pause-snapshot", None).unwrap(),
            Signal::PauseSnapshot
        );
        assert_eq!(
            Signal::parse("x", "resume-snapshot", Some("")).unwrap(),
            Signal::ResumeSnapshot
        );
        assert_eq!(
            Signal::parse("x", "log", Some(r#"{"message": "hi"}"#)).unwrap(),
            Signal::Log("hi".into())
        );
    }

    #[test]
    fn bad_signals_name_the_signal_and_the_fault() {
        let err = Signal::parse("s9", "execute-snapshot", Some("{nope")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("signal 's9' (execute-snapshot): data is not JSON")
        );
        let err = Signal::parse("s9", "execute-snapshot", Some("{}")).unwrap_err();
        assert!(err.detail.contains("needs data-collections"), "{err}");
        let err = Signal::parse(
            "s9",
            "execute-snapshot",
            Some(r#"{"data-collections": ["a.b"], "type": "blocking"}"#),
        )
        .unwrap_err();
        assert!(err.detail.contains("only incremental"), "{err}");
        assert!(Signal::parse("s9", "explode", None).is_err());
    }
}
