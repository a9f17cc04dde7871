//! Change records → Kafka bytes in the batch, with the configured key and value converters.
//!
//! Headers (`__debezium.oldkey`, `__debezium.newkey`) are written as schemaless JSON of the
//! key struct, e.g. `{"id":1}`. Kafka Connect's default `header.converter`
//! (`SimpleHeaderConverter`) renders structs in the same JSON-like form; a header converter
//! option is not offered yet.

use std::sync::Arc;

use tributary_envelope::{ChangeRecord, JsonConverter, JsonConverterConfig, JsonError, Written};

use super::batch::Batch;
use crate::config::{ConverterKind, Converters};
use crate::registry::{AvroConvertError, AvroConverter, RegistryError, SchemaRegistryClient};

/// Why a record could not be converted.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// The JSON converter refused a value (names the topic and field).
    #[error("topic {topic}: {source}")]
    Json {
        /// The record's topic.
        topic: String,
        /// The converter's error.
        source: JsonError,
    },
    /// The Avro converter or the schema registry failed.
    #[error(transparent)]
    Avro(#[from] AvroConvertError),
    /// The schema registry client could not be built.
    #[error("schema registry: {0}")]
    Registry(#[from] RegistryError),
}

impl ConvertError {
    /// Whether a retry can help (an unreachable registry).
    pub fn is_transient(&self) -> bool {
        match self {
            ConvertError::Avro(e) => e.is_transient(),
            ConvertError::Registry(e) => e.is_transient(),
            ConvertError::Json { .. } => false,
        }
    }
}

enum Part {
    Json(JsonConverter),
    Avro,
}

/// Converts records into a [`Batch`]. Holds the Avro converter's schema-id cache, so one
/// instance lives as long as the connector.
pub struct RecordConverter {
    key: Part,
    value: Part,
    avro: Option<AvroConverter>,
    headers: JsonConverter,
}

impl std::fmt::Debug for RecordConverter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordConverter")
            .field("avro", &self.avro.is_some())
            .finish()
    }
}

impl RecordConverter {
    /// Builds the converters; an Avro key and value share one registry client and cache.
    pub fn new(converters: &Converters) -> Result<Self, ConvertError> {
        let mut avro = None;
        let mut part = |kind: &ConverterKind| -> Result<Part, ConvertError> {
            Ok(match kind {
                ConverterKind::Json { schemas_enable } => {
                    Part::Json(JsonConverter::new(JsonConverterConfig {
                        schemas_enable: *schemas_enable,
                        ..JsonConverterConfig::default()
                    }))
                }
                ConverterKind::Avro(registry) => {
                    if avro.is_none() {
                        let client = SchemaRegistryClient::new(registry)?;
                        avro = Some(AvroConverter::new(Arc::new(client)));
                    }
                    Part::Avro
                }
            })
        };
        let key = part(&converters.key)?;
        let value = part(&converters.value)?;
        Ok(Self {
            key,
            value,
            avro,
            headers: JsonConverter::new(JsonConverterConfig {
                schemas_enable: false,
                ..JsonConverterConfig::default()
            }),
        })
    }

    /// Appends `record` to `batch`. On error nothing of the record stays in the batch.
    pub fn append(
        &mut self,
        record: &ChangeRecord<'_>,
        batch: &mut Batch,
    ) -> Result<(), ConvertError> {
        let topic: &str = &record.topic;
        let mut writer = batch.record(topic);
        let result = (|| {
            writer.key(|out| {
                write_part(&self.key, self.avro.as_mut(), topic, true, &record.key, out)
            })?;
            writer.value(|out| {
                write_part(
                    &self.value,
                    self.avro.as_mut(),
                    topic,
                    false,
                    &record.value,
                    out,
                )
            })?;
            for header in &record.headers {
                writer.header(header.name, |out| {
                    self.headers
                        .write(Some(&header.schema), &header.value, out)
                        .map(|_| ())
                        .map_err(|source| ConvertError::Json {
                            topic: topic.to_owned(),
                            source,
                        })
                })?;
            }
            Ok(())
        })();
        match result {
            Ok(()) => {
                writer.finish();
                Ok(())
            }
            Err(err) => {
                writer.discard();
                Err(err)
            }
        }
    }
}

fn write_part(
    part: &Part,
    avro: Option<&mut AvroConverter>,
    topic: &str,
    is_key: bool,
    data: &Option<(tributary_envelope::SchemaRef, tributary_envelope::Datum<'_>)>,
    out: &mut Vec<u8>,
) -> Result<bool, ConvertError> {
    match part {
        Part::Json(json) => {
            let written = match data {
                Some((schema, datum)) => json.write(Some(schema), datum, out),
                None => json.write(None, &tributary_envelope::Datum::Null, out),
            }
            .map_err(|source| ConvertError::Json {
                topic: topic.to_owned(),
                source,
            })?;
            Ok(written == Written::Json)
        }
        Part::Avro => {
            let Some(avro) = avro else {
                return Ok(false);
            };
            let written = avro.write(topic, is_key, data.as_ref().map(|(s, d)| (s, d)), out)?;
            Ok(written == tributary_envelope::AvroWritten::Avro)
        }
    }
}
