//! The offsets endpoints (`GET`/`PATCH`/`DELETE /connectors/{name}/offsets`, KIP-875): read,
//! alter or reset the source offset a connector resumes from, in Connect's body shape
//! `{"offsets": [{"partition": {"server": …}, "offset": {…}}]}`.
//!
//! Altering and resetting require the connector to be STOPPED, as in Connect: the offset
//! is then written outside a transaction while no transactional writer exists, and the
//! next start reads it like any other stored offset. An altered offset is parsed with the
//! connector's own offset reader first, so one that would fail at start is refused here,
//! naming the field.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::{Runtime, RuntimeError};
use crate::config::{ConnectorConfig, SourceConfig};
use crate::kafka::{OffsetKey, read_offset, write_offset};
use crate::mysql::client::BinlogOffset;
use crate::pipeline::postgres::offset::PgOffset;

/// `GET /connectors/{name}/offsets`.
pub async fn get(runtime: &Arc<Runtime>, name: &str) -> Result<Value, RuntimeError> {
    let config = runtime.effective_config(name)?;
    stored(config).await
}

/// The connector's stored offset in Connect's `{"offsets": [...]}` shape (empty when none).
pub async fn stored(config: ConnectorConfig) -> Result<Value, RuntimeError> {
    let key = offset_key(&config);
    let stored = tokio::task::spawn_blocking(move || {
        read_offset(
            &config.kafka.bootstrap_servers,
            &config.kafka.offsets_topic,
            &key,
            config.kafka.timeout,
        )
        .map(|offset| (offset, key))
    })
    .await
    .map_err(|e| RuntimeError::Unavailable(format!("offsets reader: {e}")))?
    .map_err(|e| RuntimeError::Unavailable(e.to_string()))?;
    let (offset, key) = stored;
    let offsets: Vec<Value> = offset
        .map(|offset| json!({"partition": partition(&key), "offset": offset}))
        .into_iter()
        .collect();
    Ok(json!({ "offsets": offsets }))
}

/// `PATCH /connectors/{name}/offsets`: the body's offset for the connector's partition is
/// validated and written; `"offset": null` removes it.
pub async fn alter(
    runtime: &Arc<Runtime>,
    name: &str,
    body: &Value,
) -> Result<Value, RuntimeError> {
    runtime.require_stopped(name)?;
    let config = runtime.effective_config(name)?;
    let key = offset_key(&config);
    let offset = parse_alteration(&config, &key, body)?;
    write(&config, &key, offset.as_ref()).await?;
    tracing::info!(connector = %name, "offsets altered");
    Ok(json!({"message": "The offsets for this connector have been altered successfully"}))
}

/// Validates `offset` for the connector and stores it (`None` removes it): `tributary
/// offsets set|reset`. The connector must not be running.
pub async fn replace(
    config: &ConnectorConfig,
    offset: Option<&Map<String, Value>>,
) -> Result<(), RuntimeError> {
    if let Some(offset) = offset {
        check_offset(config, offset).map_err(|detail| {
            RuntimeError::BadRequest(format!(
                "the offset {} cannot be used: {detail}",
                Value::Object(offset.clone())
            ))
        })?;
    }
    write(config, &offset_key(config), offset).await
}

/// `DELETE /connectors/{name}/offsets`: the connector starts as a new one next time.
pub async fn reset(runtime: &Arc<Runtime>, name: &str) -> Result<Value, RuntimeError> {
    runtime.require_stopped(name)?;
    let config = runtime.effective_config(name)?;
    let key = offset_key(&config);
    write(&config, &key, None).await?;
    tracing::info!(connector = %name, "offsets reset");
    Ok(json!({"message": "The offsets for this connector have been reset successfully"}))
}

async fn write(
    config: &ConnectorConfig,
    key: &OffsetKey,
    offset: Option<&Map<String, Value>>,
) -> Result<(), RuntimeError> {
    write_offset(
        &config.kafka.bootstrap_servers,
        &config.kafka.offsets_topic,
        key,
        offset,
        config.kafka.timeout,
    )
    .await
    .map_err(|e| RuntimeError::Unavailable(e.to_string()))
}

fn offset_key(config: &ConnectorConfig) -> OffsetKey {
    OffsetKey {
        connector: config.name.clone(),
        server: config.topic_prefix.clone(),
    }
}

fn partition(key: &OffsetKey) -> Value {
    json!({"server": key.server})
}

/// The one offset the body sets (or `None` to remove it), checked against the connector.
fn parse_alteration(
    config: &ConnectorConfig,
    key: &OffsetKey,
    body: &Value,
) -> Result<Option<Map<String, Value>>, RuntimeError> {
    let bad = |message: String| RuntimeError::BadRequest(message);
    let entries = body
        .get("offsets")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            bad(
                "the body must be {\"offsets\": [{\"partition\": {…}, \"offset\": {…}}]}"
                    .to_owned(),
            )
        })?;
    let [entry] = entries.as_slice() else {
        return Err(bad(format!(
            "expected exactly one offset, for partition {}: a Tributary connector has one source partition",
            partition(key)
        )));
    };
    let given = entry.get("partition");
    if given != Some(&partition(key)) {
        return Err(bad(format!(
            "unknown partition {}: this connector's only partition is {}",
            given.map_or("(missing)".to_owned(), Value::to_string),
            partition(key)
        )));
    }
    match entry.get("offset") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(offset)) => {
            check_offset(config, offset).map_err(|detail| {
                bad(format!(
                    "the offset {} cannot be used: {detail}",
                    Value::Object(offset.clone())
                ))
            })?;
            Ok(Some(offset.clone()))
        }
        Some(other) => Err(bad(format!(
            "\"offset\" must be an object or null, found {other}"
        ))),
    }
}

/// Parses the offset with the reader the connector will use at start.
fn check_offset(config: &ConnectorConfig, offset: &Map<String, Value>) -> Result<(), String> {
    match &config.source {
        SourceConfig::Postgres(_) => PgOffset::from_json(offset)
            .map(drop)
            .map_err(|e| e.to_string()),
        SourceConfig::MySql(_) => serde_json::from_value::<BinlogOffset>(Value::Object(
            offset.clone(),
        ))
        .map(drop)
        .map_err(|e| {
            format!("not a MySQL/MariaDB offset ({e}); it needs \"file\" and \"pos\", or \"gtids\"")
        }),
    }
}
