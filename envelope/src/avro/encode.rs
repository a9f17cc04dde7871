//! Connect values → Avro binary, laid out by the Avro schema `schema.rs` renders for the
//! same Connect schema.
//!
//! # Encoding (Avro 1.11 specification, "Binary Encoding")
//! `int`/`long` are zig-zag varints; `float`/`double` little-endian IEEE 754; `bytes` and
//! `string` a `long` length then the bytes; a record its fields in order; a union the
//! `long` index of the branch then the value; arrays and maps one block of `count` items
//! (keys are strings) followed by a `0` block (an empty one is just the `0`).
//!
//! # Connect rules reproduced (`AvroData.fromConnectData`)
//! - A null struct field takes the field schema's default (`Struct.get`), then is encoded
//!   like any value; null elsewhere is the union's null branch, and null for a required
//!   schema is an error.
//! - The union branch order is the schema's: `["null", T]` (null = 0) unless the schema has
//!   a default and is not a struct (`[T, "null"]`, null = 1).
//! - Maps with a required STRING key are Avro maps; others arrays of `{key, value}` records.
//!
//! Nothing here allocates: every byte goes straight into the caller's buffer.

use crate::avro::schema::{is_avro_map, null_first};
use crate::datum::Datum;
use crate::schema::{Schema, SchemaType};

/// Why a value could not be encoded; `path` names the field at fault (`after.price`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot convert {} to Avro: {kind}", path_label(.path))]
pub struct AvroError {
    /// Dotted field path from the top-level value (`[3]` for array elements, `{key}` and
    /// `{value}` inside maps); empty for the top level.
    pub path: String,
    /// What did not match.
    pub kind: AvroErrorKind,
}

fn path_label(path: &str) -> String {
    if path.is_empty() {
        "the top-level value".to_owned()
    } else {
        format!("field `{path}`")
    }
}

/// The ways a value can disagree with its schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AvroErrorKind {
    /// Null for a required schema (with no default where one would apply).
    #[error("null value for a required {expected:?} schema with no default value")]
    NullForRequired {
        /// The schema's type.
        expected: SchemaType,
    },
    /// The value's kind is not the schema's type.
    #[error("found a {found} value where the schema expects {expected:?}")]
    TypeMismatch {
        /// The schema's type.
        expected: SchemaType,
        /// The value's kind ([`Datum::kind_name`]).
        found: &'static str,
    },
    /// A struct value with a different number of fields than its schema.
    #[error("struct value has {found} fields but its schema has {expected}")]
    StructArity {
        /// Fields in the schema.
        expected: usize,
        /// Values given.
        found: usize,
    },
    /// A non-null value without a schema: schemaless conversion is not supported.
    #[error("a non-null value has no schema; Tributary only writes values with schemas")]
    MissingSchema,
}

/// An error on its way up the value tree; collects path segments innermost first, so the
/// success path carries nothing.
pub(crate) struct PathError {
    segments: Vec<Segment>,
    kind: AvroErrorKind,
}

enum Segment {
    Field(Box<str>),
    Index(usize),
    MapKey,
    MapValue,
}

impl PathError {
    pub(crate) fn new(kind: AvroErrorKind) -> Self {
        Self {
            segments: Vec::new(),
            kind,
        }
    }

    fn within(mut self, segment: Segment) -> Self {
        self.segments.push(segment);
        self
    }

    pub(crate) fn finish(self) -> AvroError {
        let mut path = String::new();
        for seg in self.segments.iter().rev() {
            match seg {
                Segment::Field(name) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(name);
                }
                Segment::Index(i) => {
                    path.push('[');
                    path.push_str(itoa::Buffer::new().format(*i));
                    path.push(']');
                }
                Segment::MapKey => path.push_str("{key}"),
                Segment::MapValue => path.push_str("{value}"),
            }
        }
        AvroError {
            path,
            kind: self.kind,
        }
    }
}

/// Appends `n` as a zig-zag varint (Avro `long`; `int` is the same bytes for an `i32`).
#[inline]
pub fn write_long(out: &mut Vec<u8>, n: i64) {
    let mut z = ((n << 1) ^ (n >> 63)) as u64;
    while z >= 0x80 {
        out.push((z as u8) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

fn write_len(out: &mut Vec<u8>, len: usize) {
    // A Vec cannot be longer than isize::MAX, so this never saturates in practice.
    write_long(out, i64::try_from(len).unwrap_or(i64::MAX));
}

fn write_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    write_len(out, bytes.len());
    out.extend_from_slice(bytes);
}

/// Appends the Avro binary of `value` under `schema` (no framing).
pub(crate) fn write_value(
    out: &mut Vec<u8>,
    schema: &Schema,
    value: &Datum<'_>,
) -> Result<(), PathError> {
    if schema.is_optional() {
        let null_index = if null_first(schema) { 0 } else { 1 };
        if value.is_null() {
            write_long(out, null_index);
            return Ok(());
        }
        write_long(out, 1 - null_index);
    } else if value.is_null() {
        return Err(PathError::new(AvroErrorKind::NullForRequired {
            expected: schema.schema_type(),
        }));
    }
    write_plain(out, schema, value)
}

fn mismatch(schema: &Schema, value: &Datum<'_>) -> PathError {
    PathError::new(AvroErrorKind::TypeMismatch {
        expected: schema.schema_type(),
        found: value.kind_name(),
    })
}

/// A non-null value in the schema's base (non-union) type.
fn write_plain(out: &mut Vec<u8>, schema: &Schema, value: &Datum<'_>) -> Result<(), PathError> {
    match (schema.schema_type(), value) {
        (SchemaType::Boolean, Datum::Boolean(b)) => out.push(u8::from(*b)),
        (SchemaType::Int8, Datum::Int8(v)) => write_long(out, i64::from(*v)),
        (SchemaType::Int16, Datum::Int16(v)) => write_long(out, i64::from(*v)),
        (SchemaType::Int32, Datum::Int32(v)) => write_long(out, i64::from(*v)),
        (SchemaType::Int64, Datum::Int64(v)) => write_long(out, *v),
        (SchemaType::Float32, Datum::Float32(v)) => out.extend_from_slice(&v.to_le_bytes()),
        (SchemaType::Float64, Datum::Float64(v)) => out.extend_from_slice(&v.to_le_bytes()),
        (SchemaType::String, Datum::String(s)) => write_bytes(out, s.as_bytes()),
        (SchemaType::Bytes, Datum::Bytes(b)) => write_bytes(out, b),
        (SchemaType::Struct, Datum::Struct(values)) => {
            let fields = schema.fields();
            if fields.len() != values.len() {
                return Err(PathError::new(AvroErrorKind::StructArity {
                    expected: fields.len(),
                    found: values.len(),
                }));
            }
            for (field, v) in fields.iter().zip(values.iter()) {
                // `Struct.get` hands AvroData the field default in place of null.
                let v = match (v, field.schema().default_value()) {
                    (Datum::Null, Some(default)) => default,
                    _ => v,
                };
                write_value(out, field.schema(), v)
                    .map_err(|e| e.within(Segment::Field(field.name().into())))?;
            }
        }
        (SchemaType::Array, Datum::Array(items)) => {
            let Some(item_schema) = schema.value_schema() else {
                return Err(mismatch(schema, value));
            };
            if !items.is_empty() {
                write_len(out, items.len());
                for (i, item) in items.iter().enumerate() {
                    write_value(out, item_schema, item).map_err(|e| e.within(Segment::Index(i)))?;
                }
            }
            out.push(0);
        }
        (SchemaType::Map, Datum::Map(entries)) => {
            let (Some(ks), Some(vs)) = (schema.key_schema(), schema.value_schema()) else {
                return Err(mismatch(schema, value));
            };
            let avro_map = is_avro_map(schema);
            if !entries.is_empty() {
                write_len(out, entries.len());
                for (k, v) in entries.iter() {
                    if avro_map {
                        // Keys are plain strings: no union even if the key schema had one.
                        match k {
                            Datum::String(k) => write_bytes(out, k.as_bytes()),
                            Datum::Null => {
                                return Err(PathError::new(AvroErrorKind::NullForRequired {
                                    expected: SchemaType::String,
                                })
                                .within(Segment::MapKey));
                            }
                            other => return Err(mismatch(ks, other).within(Segment::MapKey)),
                        }
                    } else {
                        write_value(out, ks, k).map_err(|e| e.within(Segment::MapKey))?;
                    }
                    write_value(out, vs, v).map_err(|e| e.within(Segment::MapValue))?;
                }
            }
            out.push(0);
        }
        (_, v) => return Err(mismatch(schema, v)),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zigzag_matches_the_specification_table() {
        // Avro specification, "Binary Encoding": 0→00, -1→01, 1→02, -2→03, 2→04, -64→7f,
        // 64→80 01.
        for (n, want) in [
            (0i64, &[0x00u8][..]),
            (-1, &[0x01]),
            (1, &[0x02]),
            (-2, &[0x03]),
            (2, &[0x04]),
            (-64, &[0x7f]),
            (64, &[0x80, 0x01]),
        ] {
            let mut out = Vec::new();
            write_long(&mut out, n);
            assert_eq!(out, want, "{n}");
        }
        let mut out = Vec::new();
        write_long(&mut out, i64::MIN);
        assert_eq!(out.len(), 10);
    }
}
