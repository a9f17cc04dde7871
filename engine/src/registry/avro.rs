//! Change records → Confluent-framed Avro, with ids from the schema registry.
//!
//! # Per record
//! A record's key and value schemas are the table's shared `Arc`s, so the id of each is
//! found by pointer in a small map (with the topic, since one schema can go to several
//! topics): no hashing of the schema, no allocation and no I/O once a schema version has
//! been seen. The first record of a version renders its Avro schema (once per schema, see
//! `AvroSchemaCache`) and makes one registry call per subject.

use std::collections::HashMap;
use std::sync::Arc;

use tributary_envelope::avro::{
    AvroError, AvroSchemaCache, AvroSchemaError, AvroWritten, write_framed,
};
use tributary_envelope::{ChangeRecord, Datum, SchemaRef};

use crate::registry::client::{RegistryError, SchemaRegistryClient, key_subject, value_subject};

/// Why a record could not be converted; names the topic and whether the key or the value
/// was at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AvroConvertError {
    /// The registry refused or could not be reached.
    #[error("topic {topic}, record {part}: {source}")]
    Registry {
        /// The destination topic.
        topic: String,
        /// `key` or `value`.
        part: &'static str,
        /// The registry failure.
        source: RegistryError,
    },
    /// The Connect schema has no Avro translation.
    #[error("topic {topic}, record {part}: {source}")]
    Schema {
        /// The destination topic.
        topic: String,
        /// `key` or `value`.
        part: &'static str,
        /// The translation failure.
        source: AvroSchemaError,
    },
    /// The value does not match its schema.
    #[error("topic {topic}, record {part}: {source}")]
    Encode {
        /// The destination topic.
        topic: String,
        /// `key` or `value`.
        part: &'static str,
        /// The encoding failure.
        source: AvroError,
    },
}

impl AvroConvertError {
    /// Whether retrying can help: only registry transport trouble can heal; a schema or a
    /// value that does not convert never will.
    pub fn is_transient(&self) -> bool {
        match self {
            AvroConvertError::Registry { source, .. } => source.is_transient(),
            AvroConvertError::Schema { .. } | AvroConvertError::Encode { .. } => false,
        }
    }
}

/// Ids learnt for one schema: the schema is held so its address stays unique.
struct KnownIds {
    schema: SchemaRef,
    /// (topic, id) pairs; almost always one.
    by_topic: Vec<(Box<str>, u32)>,
}

/// Confluent `AvroConverter` for change records (`TopicNameStrategy` subjects).
pub struct AvroConverter {
    registry: Arc<SchemaRegistryClient>,
    schemas: AvroSchemaCache,
    /// (schema address, is key) → ids per topic.
    ids: HashMap<(usize, bool), KnownIds>,
}

impl std::fmt::Debug for AvroConverter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AvroConverter")
            .field("registry", &self.registry)
            .field("schemas", &self.schemas.len())
            .finish_non_exhaustive()
    }
}

impl AvroConverter {
    /// A converter registering (or looking up) schemas with `registry`.
    pub fn new(registry: Arc<SchemaRegistryClient>) -> Self {
        Self {
            registry,
            schemas: AvroSchemaCache::new(),
            ids: HashMap::new(),
        }
    }

    /// The registry id of `schema` for `topic`'s keys or values; one registry call per new
    /// (schema, topic, part).
    pub fn schema_id(
        &mut self,
        topic: &str,
        is_key: bool,
        schema: &SchemaRef,
    ) -> Result<u32, AvroConvertError> {
        let part = if is_key { "key" } else { "value" };
        let slot = (Arc::as_ptr(schema) as usize, is_key);
        if let Some(known) = self.ids.get(&slot)
            && Arc::ptr_eq(&known.schema, schema)
            && let Some((_, id)) = known.by_topic.iter().find(|(t, _)| &**t == topic)
        {
            return Ok(*id);
        }
        let avro = self
            .schemas
            .get(schema)
            .map_err(|source| AvroConvertError::Schema {
                topic: topic.to_owned(),
                part,
                source,
            })?;
        let subject = if is_key {
            key_subject(topic)
        } else {
            value_subject(topic)
        };
        let id = self
            .registry
            .id_for(&subject, avro.json())
            .map_err(|source| AvroConvertError::Registry {
                topic: topic.to_owned(),
                part,
                source,
            })?;
        let known = self.ids.entry(slot).or_insert_with(|| KnownIds {
            schema: Arc::clone(schema),
            by_topic: Vec::new(),
        });
        if !Arc::ptr_eq(&known.schema, schema) {
            // A stale entry cannot exist (the held Arc pins the address); stay correct anyway.
            known.schema = Arc::clone(schema);
            known.by_topic.clear();
        }
        known.by_topic.push((topic.into(), id));
        Ok(id)
    }

    /// Appends one key or value (`None` = null) as Confluent-framed Avro.
    pub fn write(
        &mut self,
        topic: &str,
        is_key: bool,
        part: Option<(&SchemaRef, &Datum<'_>)>,
        out: &mut Vec<u8>,
    ) -> Result<AvroWritten, AvroConvertError> {
        let label = if is_key { "key" } else { "value" };
        let Some((schema, value)) = part else {
            return Ok(AvroWritten::KafkaNull);
        };
        if value.is_null() && schema.is_optional() {
            // A Kafka null needs no schema id.
            return Ok(AvroWritten::KafkaNull);
        }
        let id = self.schema_id(topic, is_key, schema)?;
        write_framed(id, Some(schema), value, out).map_err(|source| AvroConvertError::Encode {
            topic: topic.to_owned(),
            part: label,
            source,
        })
    }

    /// Serialises a record's key and value, appending to the two buffers.
    pub fn write_record(
        &mut self,
        record: &ChangeRecord<'_>,
        key_out: &mut Vec<u8>,
        value_out: &mut Vec<u8>,
    ) -> Result<(AvroWritten, AvroWritten), AvroConvertError> {
        let key = self.write(
            &record.topic,
            true,
            record.key.as_ref().map(|(s, d)| (s, d)),
            key_out,
        )?;
        let value = self.write(
            &record.topic,
            false,
            record.value.as_ref().map(|(s, d)| (s, d)),
            value_out,
        )?;
        Ok((key, value))
    }
}
