//! A Confluent `AvroConverter`-compatible serialiser: Connect schemas as the Avro schemas
//! Confluent registers for them, and Connect values as Confluent-framed Avro binary.
//!
//! # Split between this crate and the engine
//! Everything here is pure: [`render_avro_schema`] (cached per schema version by
//! [`AvroSchemaCache`]) and [`write_framed`]. Registering a schema and learning its id is
//! I/O, so it lives in the engine's schema registry client, which hands the id back here.
//!
//! # Wire format
//! Byte 0 is the magic byte `0`, bytes 1-4 the registry's schema id (big-endian), then the
//! Avro binary of the value with no container header (Confluent's
//! `AbstractKafkaAvroSerializer`). A null value, with or without a schema, is a Kafka null
//! (no bytes): `AvroConverter` hands the serializer null, which returns null.
//!
//! See `schema.rs` for the schema translation and `encode.rs` for the binary encoding, each
//! with the Confluent rules they reproduce.

mod encode;
mod schema;

pub use encode::{AvroError, AvroErrorKind, write_long};
pub use schema::{
    AvroSchema, AvroSchemaCache, AvroSchemaError, CONFLUENT_NAMESPACE, DEFAULT_DECIMAL_PRECISION,
    DEFAULT_SCHEMA_NAME, MAP_ENTRY_NAME, render_avro_schema,
};

use crate::datum::Datum;
use crate::schema::Schema;
use encode::PathError;

/// The first byte of every Confluent-framed message.
pub const MAGIC_BYTE: u8 = 0;
/// Magic byte plus the 4-byte schema id.
pub const HEADER_LEN: usize = 5;

/// What [`write_framed`] produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AvroWritten {
    /// A null value: the Kafka record key or value is null (e.g. a tombstone). Nothing was
    /// appended.
    KafkaNull,
    /// A framed Avro message was appended.
    Avro,
}

/// Appends the Confluent-framed Avro encoding of `value` to `out`: magic byte, `schema_id`
/// big-endian, then the Avro binary under the schema [`render_avro_schema`] gives for
/// `schema`.
///
/// On error `out` is restored to its length at the call, so a reused buffer never carries
/// half a message.
pub fn write_framed(
    schema_id: u32,
    schema: Option<&Schema>,
    value: &Datum<'_>,
    out: &mut Vec<u8>,
) -> Result<AvroWritten, AvroError> {
    if value.is_null() {
        return match schema {
            Some(s) if !s.is_optional() => Err(PathError::new(AvroErrorKind::NullForRequired {
                expected: s.schema_type(),
            })
            .finish()),
            _ => Ok(AvroWritten::KafkaNull),
        };
    }
    let Some(schema) = schema else {
        return Err(PathError::new(AvroErrorKind::MissingSchema).finish());
    };
    let start = out.len();
    out.push(MAGIC_BYTE);
    out.extend_from_slice(&schema_id.to_be_bytes());
    match encode::write_value(out, schema, value) {
        Ok(()) => Ok(AvroWritten::Avro),
        Err(err) => {
            out.truncate(start);
            Err(err.finish())
        }
    }
}

/// Appends the bare Avro binary of `value` under `schema` (no Confluent header), for
/// callers that frame differently, and for tests.
pub fn write_avro(schema: &Schema, value: &Datum<'_>, out: &mut Vec<u8>) -> Result<(), AvroError> {
    let start = out.len();
    encode::write_value(out, schema, value).map_err(|err| {
        out.truncate(start);
        err.finish()
    })
}

/// Splits a Confluent-framed message into its schema id and Avro body; `None` when the
/// magic byte or the header is missing.
pub fn split_frame(message: &[u8]) -> Option<(u32, &[u8])> {
    match message {
        [MAGIC_BYTE, a, b, c, d, body @ ..] => Some((u32::from_be_bytes([*a, *b, *c, *d]), body)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::SchemaBuilder;

    #[test]
    fn frame_is_magic_then_big_endian_id() {
        let s = SchemaBuilder::int32().build().unwrap();
        let mut out = b"x".to_vec();
        let w = write_framed(0x0102_0304, Some(&s), &Datum::Int32(-1), &mut out).unwrap();
        assert_eq!(w, AvroWritten::Avro);
        assert_eq!(out, [b'x', 0, 1, 2, 3, 4, 0x01]);
        assert_eq!(split_frame(&out[1..]), Some((0x0102_0304, &[0x01][..])));
        assert_eq!(split_frame(&[1, 0, 0, 0, 0]), None);
        assert_eq!(split_frame(&[0, 0]), None);
    }

    #[test]
    fn null_values_are_kafka_nulls_and_errors_leave_the_buffer() {
        let opt = SchemaBuilder::string().optional().build().unwrap();
        let req = SchemaBuilder::string().build().unwrap();
        let mut out = b"keep".to_vec();
        assert_eq!(
            write_framed(1, Some(&opt), &Datum::Null, &mut out).unwrap(),
            AvroWritten::KafkaNull
        );
        assert_eq!(
            write_framed(1, None, &Datum::Null, &mut out).unwrap(),
            AvroWritten::KafkaNull
        );
        assert!(write_framed(1, Some(&req), &Datum::Null, &mut out).is_err());
        let err = write_framed(1, Some(&req), &Datum::Int32(3), &mut out).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot convert the top-level value to Avro: found a int32 value where the schema expects String"
        );
        assert_eq!(
            write_framed(1, None, &Datum::Int32(3), &mut out)
                .unwrap_err()
                .kind,
            AvroErrorKind::MissingSchema
        );
        assert_eq!(out, b"keep");
    }
}
