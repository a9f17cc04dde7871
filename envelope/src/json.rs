//! A Kafka Connect `JsonConverter`-compatible serialiser.
//!
//! # Output, byte for byte
//! Checked against Kafka's `connect/json/.../JsonConverter.java` (`asJsonSchema`,
//! `convertToJson`, `fromConnectData`) and the Jackson generator it writes with:
//! - `schemas.enable=true`: `{"schema":<schema>,"payload":<payload>}`; `false`: the payload.
//!   A null schema with a null value is a Kafka null (no bytes at all); see [`Written`].
//! - Schema objects: `type`; then `fields` (struct) / `items` (array) / `keys`, `values`
//!   (map); `optional` (always); then `name`, `version`, `doc`, `parameters`, `default` only
//!   when set. A struct field is its schema object with `"field":"<name>"` added last
//!   (`fieldJsonSchema.put("field", name)` after the copy). `FLOAT32` is `"float"`,
//!   `FLOAT64` `"double"`. `parameters` is an object of strings in insertion order.
//! - Payloads: integers and booleans as JSON numbers/literals; floats as Java prints them,
//!   with NaN/±Infinity as the strings `"NaN"`, `"Infinity"`, `"-Infinity"` (Jackson's
//!   default `QUOTE_NON_NUMERIC_NUMBERS`; see `json/float.rs`); BYTES and `Decimal` as
//!   standard base64 with padding (Jackson `BinaryNode`); maps with STRING keys as objects,
//!   others as arrays of `[key, value]` pairs; structs as objects in field order.
//! - Null: `convertToJson` writes the schema's default when there is one and
//!   `replace.null.with.default` is true (its default), else `null` if optional, else fails
//!   with "null value for field that is required and has no default value".
//! - Compact output (no spaces). Strings are escaped as Jackson does (`json/escape.rs`).
//!
//! `decimal.format=NUMERIC` and schemaless values are not supported: Debezium events always
//! carry schemas, and BASE64 is the default decimal format.
//!
//! # Cost
//! The schema part is the bytes rendered once when the schema was built ([`Schema::json`]);
//! struct field keys are pre-escaped. The payload is written straight into the caller's
//! `Vec<u8>` (reuse it across events) with no allocation except on error paths.

mod base64;
mod escape;
mod float;

/// Jackson's string escaping and standard base64, shared with the type mapping (hstore as a
/// JSON object, `binary.handling.mode=base64`) so every JSON text in an event is written by
/// one escaper.
pub(crate) use base64::write_base64;
pub(crate) use escape::write_str as write_json_string;

use crate::datum::Datum;
use crate::schema::{Schema, SchemaType, Shape};

/// `JsonConverter` settings that change the bytes written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonConverterConfig {
    /// `schemas.enable`: wrap each payload with its schema (Kafka's default: true).
    pub schemas_enable: bool,
    /// `replace.null.with.default`: write a null value that has a schema default as the
    /// default (Kafka's default: true).
    pub replace_null_with_default: bool,
}

impl Default for JsonConverterConfig {
    fn default() -> Self {
        Self {
            schemas_enable: true,
            replace_null_with_default: true,
        }
    }
}

/// What [`JsonConverter::write`] produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Null schema and null value: the Kafka record value (or key) is null, e.g. a
    /// tombstone. Nothing was appended.
    KafkaNull,
    /// JSON was appended to the buffer.
    Json,
}

/// Why a value could not be written; `path` names the field at fault (`after.price`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot convert {} to JSON: {kind}", path_label(.path))]
pub struct JsonError {
    /// Dotted field path from the top-level value (`[3]` for array elements); empty for the
    /// top level.
    pub path: String,
    /// What did not match.
    pub kind: JsonErrorKind,
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
pub enum JsonErrorKind {
    /// Null for a required schema that has no default.
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

/// Serialises Connect values with their schemas the way Kafka's `JsonConverter` does.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonConverter {
    config: JsonConverterConfig,
}

impl JsonConverter {
    /// A converter with the given settings.
    pub fn new(config: JsonConverterConfig) -> Self {
        Self { config }
    }

    /// The converter's settings.
    pub fn config(&self) -> JsonConverterConfig {
        self.config
    }

    /// Appends the JSON for `value` with `schema` to `out` (`fromConnectData`).
    ///
    /// On error `out` is restored to its length at the call, so a reused buffer never
    /// carries half a message.
    pub fn write(
        &self,
        schema: Option<&Schema>,
        value: &Datum<'_>,
        out: &mut Vec<u8>,
    ) -> Result<Written, JsonError> {
        let Some(schema) = schema else {
            return if value.is_null() {
                Ok(Written::KafkaNull)
            } else {
                Err(JsonError {
                    path: String::new(),
                    kind: JsonErrorKind::MissingSchema,
                })
            };
        };
        let start = out.len();
        let result = if self.config.schemas_enable {
            out.extend_from_slice(b"{\"schema\":");
            out.extend_from_slice(schema.json());
            out.extend_from_slice(b",\"payload\":");
            let r = write_value(out, schema, value, self.config.replace_null_with_default);
            out.push(b'}');
            r
        } else {
            write_value(out, schema, value, self.config.replace_null_with_default)
        };
        match result {
            Ok(()) => Ok(Written::Json),
            Err(err) => {
                out.truncate(start);
                Err(err.finish())
            }
        }
    }
}

/// An error on its way up the value tree; collects path segments innermost first.
struct PathError {
    segments: Vec<Segment>,
    kind: JsonErrorKind,
}

enum Segment {
    Field(Box<str>),
    Index(usize),
    MapKey,
    MapValue,
}

impl PathError {
    fn new(kind: JsonErrorKind) -> Self {
        Self {
            segments: Vec::new(),
            kind,
        }
    }

    fn within(mut self, segment: Segment) -> Self {
        self.segments.push(segment);
        self
    }

    fn finish(self) -> JsonError {
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
        JsonError {
            path,
            kind: self.kind,
        }
    }
}

fn mismatch(schema: &Schema, value: &Datum<'_>) -> PathError {
    PathError::new(JsonErrorKind::TypeMismatch {
        expected: schema.schema_type(),
        found: value.kind_name(),
    })
}

/// Writes one payload value (`convertToJson`).
fn write_value(
    out: &mut Vec<u8>,
    schema: &Schema,
    value: &Datum<'_>,
    replace_null: bool,
) -> Result<(), PathError> {
    match (schema.shape(), value) {
        (_, Datum::Null) => {
            match schema.default_value() {
                // A stored default is never Null, so this recursion is one level deep.
                Some(default) if replace_null => write_value(out, schema, default, replace_null)?,
                _ if schema.is_optional() => out.extend_from_slice(b"null"),
                _ => {
                    return Err(PathError::new(JsonErrorKind::NullForRequired {
                        expected: schema.schema_type(),
                    }));
                }
            }
        }
        (Shape::Primitive, v) => write_primitive(out, schema, v)?,
        (Shape::Struct { fields }, Datum::Struct(values)) => {
            if fields.len() != values.len() {
                return Err(PathError::new(JsonErrorKind::StructArity {
                    expected: fields.len(),
                    found: values.len(),
                }));
            }
            out.push(b'{');
            for (i, (field, v)) in fields.iter().zip(values.iter()).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(field.json_key());
                write_value(out, field.schema(), v, replace_null)
                    .map_err(|e| e.within(Segment::Field(field.name().into())))?;
            }
            out.push(b'}');
        }
        (Shape::Array { items }, Datum::Array(elements)) => {
            out.push(b'[');
            for (i, v) in elements.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, items, v, replace_null)
                    .map_err(|e| e.within(Segment::Index(i)))?;
            }
            out.push(b']');
        }
        (Shape::Map { keys, values }, Datum::Map(entries)) => {
            if keys.schema_type() == SchemaType::String {
                out.push(b'{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_object_key(out, keys, k, replace_null)
                        .map_err(|e| e.within(Segment::MapKey))?;
                    out.push(b':');
                    write_value(out, values, v, replace_null)
                        .map_err(|e| e.within(Segment::MapValue))?;
                }
                out.push(b'}');
            } else {
                out.push(b'[');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.push(b'[');
                    write_value(out, keys, k, replace_null)
                        .map_err(|e| e.within(Segment::MapKey))?;
                    out.push(b',');
                    write_value(out, values, v, replace_null)
                        .map_err(|e| e.within(Segment::MapValue))?;
                    out.push(b']');
                }
                out.push(b']');
            }
        }
        (_, v) => return Err(mismatch(schema, v)),
    }
    Ok(())
}

/// A STRING-keyed map's key: JsonConverter takes `convertToJson(keySchema, k).asText()`,
/// so a null key becomes the default's text or, for an optional key schema, `"null"`.
fn write_object_key(
    out: &mut Vec<u8>,
    schema: &Schema,
    key: &Datum<'_>,
    replace_null: bool,
) -> Result<(), PathError> {
    match key {
        Datum::String(s) => escape::write_str(out, s),
        Datum::Null => match schema.default_value() {
            Some(default) if replace_null => write_object_key(out, schema, default, false)?,
            _ if schema.is_optional() => out.extend_from_slice(b"\"null\""),
            _ => {
                return Err(PathError::new(JsonErrorKind::NullForRequired {
                    expected: SchemaType::String,
                }));
            }
        },
        other => return Err(mismatch(schema, other)),
    }
    Ok(())
}

fn write_primitive(out: &mut Vec<u8>, schema: &Schema, value: &Datum<'_>) -> Result<(), PathError> {
    let mut ibuf = itoa::Buffer::new();
    match (schema.schema_type(), value) {
        (SchemaType::Boolean, Datum::Boolean(b)) => {
            out.extend_from_slice(if *b { b"true" } else { b"false" })
        }
        (SchemaType::Int8, Datum::Int8(v)) => out.extend_from_slice(ibuf.format(*v).as_bytes()),
        (SchemaType::Int16, Datum::Int16(v)) => out.extend_from_slice(ibuf.format(*v).as_bytes()),
        (SchemaType::Int32, Datum::Int32(v)) => out.extend_from_slice(ibuf.format(*v).as_bytes()),
        (SchemaType::Int64, Datum::Int64(v)) => out.extend_from_slice(ibuf.format(*v).as_bytes()),
        (SchemaType::Float32, Datum::Float32(v)) => float::write_f32(out, *v),
        (SchemaType::Float64, Datum::Float64(v)) => float::write_f64(out, *v),
        (SchemaType::String, Datum::String(s)) => escape::write_str(out, s),
        (SchemaType::Bytes, Datum::Bytes(b)) => {
            out.push(b'"');
            base64::write_base64(out, b);
            out.push(b'"');
        }
        (_, v) => return Err(mismatch(schema, v)),
    }
    Ok(())
}

/// `"<escaped name>":` for a struct field, rendered once per schema build.
pub(crate) fn field_key(name: &str) -> Box<[u8]> {
    let mut out = Vec::with_capacity(name.len() + 3);
    escape::write_str(&mut out, name);
    out.push(b':');
    out.into()
}

/// Renders `schema` as JsonConverter's `asJsonSchema` does, reusing the already rendered
/// JSON of its children. Fails only when the default value does not match the schema.
pub(crate) fn render_schema(schema: &Schema) -> Result<Box<[u8]>, String> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(b"{\"type\":\"");
    out.extend_from_slice(schema.schema_type().json_name().as_bytes());
    out.push(b'"');
    match schema.shape() {
        Shape::Primitive => {}
        Shape::Array { items } => {
            out.extend_from_slice(b",\"items\":");
            out.extend_from_slice(items.json());
        }
        Shape::Map { keys, values } => {
            out.extend_from_slice(b",\"keys\":");
            out.extend_from_slice(keys.json());
            out.extend_from_slice(b",\"values\":");
            out.extend_from_slice(values.json());
        }
        Shape::Struct { fields } => {
            out.extend_from_slice(b",\"fields\":[");
            for (i, field) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                // The child object without its closing brace, then "field" last.
                let child = field.schema().json();
                out.extend_from_slice(child.strip_suffix(b"}").unwrap_or(child));
                out.extend_from_slice(b",\"field\":");
                escape::write_str(&mut out, field.name());
                out.push(b'}');
            }
            out.push(b']');
        }
    }
    out.extend_from_slice(b",\"optional\":");
    out.extend_from_slice(if schema.is_optional() {
        b"true"
    } else {
        b"false"
    });
    if let Some(name) = schema.name() {
        out.extend_from_slice(b",\"name\":");
        escape::write_str(&mut out, name);
    }
    if let Some(version) = schema.version() {
        out.extend_from_slice(b",\"version\":");
        out.extend_from_slice(itoa::Buffer::new().format(version).as_bytes());
    }
    if let Some(doc) = schema.doc() {
        out.extend_from_slice(b",\"doc\":");
        escape::write_str(&mut out, doc);
    }
    if schema.parameters().len() > 0 {
        out.extend_from_slice(b",\"parameters\":{");
        for (i, (k, v)) in schema.parameters().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            escape::write_str(&mut out, k);
            out.push(b':');
            escape::write_str(&mut out, v);
        }
        out.push(b'}');
    }
    if let Some(default) = schema.default_value() {
        out.extend_from_slice(b",\"default\":");
        write_value(&mut out, schema, default, true).map_err(|e| {
            let e = e.finish();
            if e.path.is_empty() {
                e.kind.to_string()
            } else {
                format!("at `{}`: {}", e.path, e.kind)
            }
        })?;
    }
    out.push(b'}');
    Ok(out.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::SchemaBuilder;

    fn write(
        cfg: JsonConverterConfig,
        schema: &Schema,
        v: &Datum<'_>,
    ) -> Result<String, JsonError> {
        let mut out = Vec::new();
        JsonConverter::new(cfg).write(Some(schema), v, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    const ON: JsonConverterConfig = JsonConverterConfig {
        schemas_enable: true,
        replace_null_with_default: true,
    };
    const OFF: JsonConverterConfig = JsonConverterConfig {
        schemas_enable: false,
        replace_null_with_default: true,
    };

    #[test]
    fn null_schema_and_null_value_is_a_kafka_null() {
        let mut out = b"keep".to_vec();
        let w = JsonConverter::default()
            .write(None, &Datum::Null, &mut out)
            .unwrap();
        assert_eq!(w, Written::KafkaNull);
        assert_eq!(out, b"keep");
    }

    #[test]
    fn value_without_schema_is_an_error() {
        let err = JsonConverter::default()
            .write(None, &Datum::Int32(1), &mut Vec::new())
            .unwrap_err();
        assert_eq!(err.kind, JsonErrorKind::MissingSchema);
    }

    #[test]
    fn errors_name_the_field_and_leave_the_buffer_untouched() {
        let int = SchemaBuilder::int32().build().unwrap();
        let inner = SchemaBuilder::structure()
            .field("price", int)
            .build()
            .unwrap();
        let outer = SchemaBuilder::structure()
            .field("after", inner)
            .build()
            .unwrap();
        let inner_v = [Datum::str("12")];
        let v = Datum::structure_owned(vec![Datum::structure(&inner_v)]);
        let mut out = b"prefix".to_vec();
        let err = JsonConverter::default()
            .write(Some(&outer), &v, &mut out)
            .unwrap_err();
        assert_eq!(out, b"prefix");
        assert_eq!(err.path, "after.price");
        assert_eq!(
            err.to_string(),
            "cannot convert field `after.price` to JSON: found a string value where the schema expects Int32"
        );
    }

    #[test]
    fn required_null_without_default_fails() {
        let s = SchemaBuilder::string().build().unwrap();
        let err = write(OFF, &s, &Datum::Null).unwrap_err();
        assert_eq!(
            err.kind,
            JsonErrorKind::NullForRequired {
                expected: SchemaType::String
            }
        );
    }

    #[test]
    fn null_with_default_writes_the_default_unless_disabled() {
        let s = SchemaBuilder::int32()
            .optional()
            .default_value(Datum::Int32(7))
            .build()
            .unwrap();
        assert_eq!(write(OFF, &s, &Datum::Null).unwrap(), "7");
        let keep_null = JsonConverterConfig {
            schemas_enable: false,
            replace_null_with_default: false,
        };
        assert_eq!(write(keep_null, &s, &Datum::Null).unwrap(), "null");
        assert_eq!(
            write(ON, &s, &Datum::Null).unwrap(),
            r#"{"schema":{"type":"int32","optional":true,"default":7},"payload":7}"#
        );
    }

    #[test]
    fn struct_arity_is_checked() {
        let int = SchemaBuilder::int32().build().unwrap();
        let s = SchemaBuilder::structure().field("a", int).build().unwrap();
        let err = write(OFF, &s, &Datum::structure_owned(vec![])).unwrap_err();
        assert_eq!(
            err.kind,
            JsonErrorKind::StructArity {
                expected: 1,
                found: 0
            }
        );
    }

    #[test]
    fn map_with_non_string_keys_is_an_array_of_pairs() {
        let k = SchemaBuilder::int32().build().unwrap();
        let v = SchemaBuilder::string().optional().build().unwrap();
        let s = SchemaBuilder::map(k, v).build().unwrap();
        let d = Datum::map_owned(vec![
            (Datum::Int32(1), Datum::str("a")),
            (Datum::Int32(2), Datum::Null),
        ]);
        assert_eq!(write(OFF, &s, &d).unwrap(), r#"[[1,"a"],[2,null]]"#);
    }

    #[test]
    fn map_with_optional_string_keys_writes_null_key_as_text() {
        let k = SchemaBuilder::string().optional().build().unwrap();
        let v = SchemaBuilder::int64().build().unwrap();
        let s = SchemaBuilder::map(k, v).build().unwrap();
        let d = Datum::map_owned(vec![
            (Datum::str("a\""), Datum::Int64(1)),
            (Datum::Null, Datum::Int64(2)),
        ]);
        assert_eq!(write(OFF, &s, &d).unwrap(), r#"{"a\"":1,"null":2}"#);
    }
}
