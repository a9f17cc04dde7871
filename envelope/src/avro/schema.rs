//! Connect schema → Avro schema JSON, as Confluent's `AvroData.fromConnectSchema` writes it
//! (with `connect.meta.data=true`, its default) and Avro Java's `Schema.toString()` prints it.
//!
//! # Layout, property by property
//! Read in `confluentinc/schema-registry`,
//! `avro-data/src/main/java/io/confluent/connect/avro/AvroData.java`; see
//! docs/debezium-compat-findings.md, "Avro":
//! - Types: INT8/INT16/INT32 → `int` (INT8/INT16 add `"connect.type":"int8"`/`"int16"`),
//!   INT64 → `long`, FLOAT32 → `float`, FLOAT64 → `double`, STRING, BYTES, BOOLEAN as named,
//!   ARRAY → `array`, MAP with a required STRING key → `map`, any other MAP → `array` of
//!   records `{key, value}` (`io.confluent.connect.avro.MapEntry` when the map has no name;
//!   else the map's own name plus `"connect.internal.type":"MapEntry"`), STRUCT → `record`
//!   whose name and namespace split the Connect name at its last dot; unnamed structs are
//!   `io.confluent.connect.avro.ConnectDefault`, `ConnectDefault2`, … in order of first
//!   appearance.
//! - Properties are written in the order `AvroData` adds them (Avro keeps insertion order):
//!   Decimal's `scale` and `precision` first, then `connect.doc`, `connect.version`,
//!   `connect.parameters`, `connect.default`, `connect.name`, `connect.type`, then the
//!   `logicalType` (`decimal`, `date`, `time-millis`, `timestamp-millis` for Connect's own
//!   logical types only; Debezium's semantic types keep just `connect.name`).
//! - Optional: `["null", T]`, or `[T, "null"]` when the schema has a default (so the
//!   default can be the union's first branch). Optional structs are always `["null", T]`.
//! - Record fields: `name`, `type`, then `default`: the schema's default, else `null` when
//!   optional. A default Avro would reject (a struct default on an optional struct, whose
//!   union starts with null) is left out, as `addAvroRecordField` does after Avro's
//!   `AvroTypeException`.
//! - A named type is defined once; later uses are references, relative to the enclosing
//!   record's namespace (Avro's `Schema.toJson`). So the Debezium envelope's `after` is
//!   `["null","Value"]`.
//!
//! # Not reproduced
//! Confluent's `io.confluent.connect.avro.Union`/`Enum` schemas (generalized sum types,
//! enhanced schema support: never produced by Debezium), name scrubbing (off by default),
//! and defaults holding NaN or infinite floats (Jackson would write a bare `NaN` token;
//! Tributary leaves such defaults out). Two different schemas sharing one name are an error
//! ([`AvroSchemaError::Redefined`]) where Confluent may silently reuse the first definition.

use std::collections::HashMap;
use std::sync::Arc;

use crate::datum::Datum;
use crate::json::{JsonConverter, JsonConverterConfig, write_json_string};
use crate::logical::connect;
use crate::schema::{Field, Schema, SchemaBuilder, SchemaRef, SchemaType};

/// Namespace of Confluent's own Avro names (`AvroData.NAMESPACE`).
pub const CONFLUENT_NAMESPACE: &str = "io.confluent.connect.avro";
/// Record name given to unnamed structs (`AvroData.DEFAULT_SCHEMA_NAME`).
pub const DEFAULT_SCHEMA_NAME: &str = "ConnectDefault";
/// Record name of a map entry (`AvroData.MAP_ENTRY_TYPE_NAME`).
pub const MAP_ENTRY_NAME: &str = "MapEntry";
/// Decimal precision written when the schema has no `connect.decimal.precision`
/// (`AvroData.CONNECT_AVRO_DECIMAL_PRECISION_DEFAULT`; it was 38 in old releases).
pub const DEFAULT_DECIMAL_PRECISION: i32 = 64;

/// An Avro schema rendered from a Connect schema: the JSON text a registry stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvroSchema {
    json: Box<str>,
}

impl AvroSchema {
    /// The schema as compact JSON, in the property order Avro Java prints.
    pub fn json(&self) -> &str {
        &self.json
    }
}

/// Why a Connect schema has no Avro translation; names the schema at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AvroSchemaError {
    /// Two different schemas would define the same Avro name.
    #[error(
        "two different schemas are both named {name}; an Avro schema can define a name only once (rename one of them)"
    )]
    Redefined {
        /// The full Avro name.
        name: String,
    },
    /// A Decimal schema whose `scale` or `connect.decimal.precision` is missing or not a
    /// number, or whose precision is below 1.
    #[error("Decimal schema {schema}: {reason}")]
    InvalidDecimal {
        /// The Connect name.
        schema: String,
        /// What is wrong.
        reason: String,
    },
    /// A Connect logical type on the wrong base type (e.g. `Date` on INT64).
    #[error("logical type {name} cannot be carried by a {ty:?} schema")]
    LogicalTypeMismatch {
        /// The Connect name.
        name: String,
        /// The schema's type.
        ty: SchemaType,
    },
    /// A default value that does not match its schema.
    #[error("the default value of schema {schema} does not match it: found {found}")]
    InvalidDefault {
        /// The schema's name, or `<unnamed>`.
        schema: String,
        /// The kind of value found.
        found: &'static str,
    },
}

/// Renders `schema` as the Avro schema Confluent's `AvroConverter` registers for it.
pub fn render_avro_schema(schema: &Schema) -> Result<AvroSchema, AvroSchemaError> {
    let mut r = Renderer::default();
    r.schema(schema)?;
    // The renderer writes only ASCII punctuation and valid UTF-8 strings.
    let json = String::from_utf8(r.out).unwrap_or_default();
    Ok(AvroSchema { json: json.into() })
}

/// Avro schemas rendered once per Connect schema.
///
/// # Why keyed by pointer, holding the schema
/// Schemas are shared `Arc`s built once per table schema version, so the pointer identifies
/// a version without hashing the tree. Each entry keeps its [`SchemaRef`] alive, so the
/// address cannot be reused by a different schema while it is cached.
#[derive(Debug, Default)]
pub struct AvroSchemaCache {
    entries: HashMap<usize, (SchemaRef, Arc<AvroSchema>)>,
}

impl AvroSchemaCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The Avro schema for `schema`, rendered on first use.
    pub fn get(&mut self, schema: &SchemaRef) -> Result<Arc<AvroSchema>, AvroSchemaError> {
        let key = Arc::as_ptr(schema) as usize;
        if let Some((held, avro)) = self.entries.get(&key)
            && Arc::ptr_eq(held, schema)
        {
            return Ok(Arc::clone(avro));
        }
        let avro = Arc::new(render_avro_schema(schema)?);
        self.entries
            .insert(key, (Arc::clone(schema), Arc::clone(&avro)));
        Ok(avro)
    }

    /// How many schemas are cached.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// What a defined Avro name stands for, to tell a reuse from a clash.
enum Defined<'s> {
    Record(&'s Schema),
    MapEntry(&'s Schema),
}

#[derive(Default)]
struct Renderer<'s> {
    out: Vec<u8>,
    /// Full Avro names defined so far.
    named: Vec<(String, Defined<'s>)>,
    /// How many `ConnectDefault` names were handed out.
    default_names: u32,
    /// The enclosing record's namespace: names in it are written short.
    space: Option<String>,
}

/// Splits a Connect name at its last dot (`AvroData.splitName`).
fn split_name(full: &str) -> (Option<&str>, &str) {
    match full.rfind('.') {
        Some(i) => (Some(&full[..i]), &full[i + 1..]),
        None => (None, full),
    }
}

/// Connect equality without `optional`: `AvroData` caches the non-optional form.
fn same_ignoring_optional(a: &Schema, b: &Schema) -> bool {
    a.schema_type() == b.schema_type()
        && a.name() == b.name()
        && a.version() == b.version()
        && a.doc() == b.doc()
        && a.parameters().eq(b.parameters())
        && a.default_value() == b.default_value()
        && a.fields() == b.fields()
        && a.key_schema() == b.key_schema()
        && a.value_schema() == b.value_schema()
}

fn label(schema: &Schema) -> String {
    schema.name().unwrap_or("<unnamed>").to_owned()
}

/// `"string"`-keyed maps become Avro maps only with a required key
/// (`allow.optional.map.keys` is off by default).
pub(crate) fn is_avro_map(schema: &Schema) -> bool {
    schema
        .key_schema()
        .is_some_and(|k| k.schema_type() == SchemaType::String && !k.is_optional())
}

/// Whether an optional schema's union puts null first (`maybeMakeOptional`).
pub(crate) fn null_first(schema: &Schema) -> bool {
    schema.schema_type() == SchemaType::Struct || schema.default_value().is_none()
}

/// Whether a default can be written as JSON Avro accepts (no NaN or infinities).
fn representable(value: &Datum<'_>) -> bool {
    match value {
        Datum::Float32(f) => f.is_finite(),
        Datum::Float64(f) => f.is_finite(),
        Datum::Array(items) | Datum::Struct(items) => items.iter().all(representable),
        Datum::Map(entries) => entries
            .iter()
            .all(|(k, v)| representable(k) && representable(v)),
        _ => true,
    }
}

impl<'s> Renderer<'s> {
    fn raw(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    fn string(&mut self, s: &str) {
        write_json_string(&mut self.out, s);
    }

    /// A schema in a type position, optional ones as unions.
    fn schema(&mut self, schema: &'s Schema) -> Result<(), AvroSchemaError> {
        if !schema.is_optional() {
            return self.base(schema);
        }
        if null_first(schema) {
            self.raw(b"[\"null\",");
            self.base(schema)?;
            self.raw(b"]");
        } else {
            self.raw(b"[");
            self.base(schema)?;
            self.raw(b",\"null\"]");
        }
        Ok(())
    }

    /// Looks `full` up among defined names: `Some(true)` = same definition (write a
    /// reference), `None` = not defined yet, clash = error.
    fn lookup(&self, full: &str, def: &Defined<'s>) -> Result<bool, AvroSchemaError> {
        let Some((_, existing)) = self.named.iter().find(|(n, _)| n == full) else {
            return Ok(false);
        };
        let same = match (existing, def) {
            (Defined::Record(a), Defined::Record(b)) => same_ignoring_optional(a, b),
            (Defined::MapEntry(a), Defined::MapEntry(b)) => {
                a.key_schema() == b.key_schema() && a.value_schema() == b.value_schema()
            }
            _ => false,
        };
        if same {
            Ok(true)
        } else {
            Err(AvroSchemaError::Redefined {
                name: full.to_owned(),
            })
        }
    }

    /// A reference to a defined name, short when it is in the current namespace.
    fn reference(&mut self, namespace: Option<&str>, name: &str) {
        match namespace {
            Some(ns) if Some(ns) != self.space.as_deref() => {
                let full = format!("{ns}.{name}");
                self.string(&full);
            }
            _ => self.string(name),
        }
    }

    /// `"name":…[,"namespace":…]` for a definition (Avro's `Name.writeName`).
    fn name_and_namespace(&mut self, namespace: Option<&str>, name: &str) {
        self.raw(b"\"name\":");
        self.string(name);
        match namespace {
            Some(ns) if Some(ns) != self.space.as_deref() => {
                self.raw(b",\"namespace\":");
                self.string(ns);
            }
            None if self.space.is_some() => self.raw(b",\"namespace\":\"\""),
            _ => {}
        }
    }

    /// The non-optional form of `schema`.
    fn base(&mut self, schema: &'s Schema) -> Result<(), AvroSchemaError> {
        match schema.schema_type() {
            SchemaType::Struct => self.record(schema),
            SchemaType::Array => {
                self.raw(b"{\"type\":\"array\",\"items\":");
                match schema.value_schema() {
                    Some(items) => self.schema(items)?,
                    None => self.raw(b"\"null\""),
                }
                self.props(schema, None)?;
                self.raw(b"}");
                Ok(())
            }
            SchemaType::Map if is_avro_map(schema) => {
                self.raw(b"{\"type\":\"map\",\"values\":");
                match schema.value_schema() {
                    Some(values) => self.schema(values)?,
                    None => self.raw(b"\"null\""),
                }
                self.props(schema, None)?;
                self.raw(b"}");
                Ok(())
            }
            SchemaType::Map => {
                self.raw(b"{\"type\":\"array\",\"items\":");
                self.map_entry(schema)?;
                self.props(schema, None)?;
                self.raw(b"}");
                Ok(())
            }
            ty => self.primitive(schema, ty),
        }
    }

    fn primitive(&mut self, schema: &'s Schema, ty: SchemaType) -> Result<(), AvroSchemaError> {
        let (avro, connect_type): (&[u8], Option<&str>) = match ty {
            SchemaType::Boolean => (b"boolean", None),
            SchemaType::Int8 => (b"int", Some("int8")),
            SchemaType::Int16 => (b"int", Some("int16")),
            SchemaType::Int32 => (b"int", None),
            SchemaType::Int64 => (b"long", None),
            SchemaType::Float32 => (b"float", None),
            SchemaType::Float64 => (b"double", None),
            SchemaType::Bytes => (b"bytes", None),
            _ => (b"string", None),
        };
        let start = self.out.len();
        self.raw(b"{\"type\":\"");
        self.raw(avro);
        self.raw(b"\"");
        let bare = self.out.len();
        // Decimal: `scale` and `precision` are added while building the base type, before
        // every other property.
        let decimal = decimal_parameters(schema)?;
        if let Some((scale, precision)) = decimal {
            let mut b = itoa::Buffer::new();
            self.raw(b",\"scale\":");
            self.raw(b.format(scale).as_bytes());
            self.raw(b",\"precision\":");
            self.raw(b.format(precision).as_bytes());
        }
        self.props(schema, connect_type)?;
        if self.out.len() == bare {
            // No property at all: Avro prints a primitive as its bare name.
            self.out.truncate(start);
            self.raw(b"\"");
            self.raw(avro);
            self.raw(b"\"");
        } else {
            self.raw(b"}");
        }
        Ok(())
    }

    /// Connect metadata, the `connect.type` and the logical type, in `AvroData`'s order.
    fn props(
        &mut self,
        schema: &'s Schema,
        connect_type: Option<&str>,
    ) -> Result<(), AvroSchemaError> {
        if let Some(doc) = schema.doc() {
            self.raw(b",\"connect.doc\":");
            self.string(doc);
        }
        if let Some(version) = schema.version() {
            self.raw(b",\"connect.version\":");
            self.raw(itoa::Buffer::new().format(version).as_bytes());
        }
        if schema.parameters().len() > 0 {
            self.raw(b",\"connect.parameters\":{");
            for (i, (k, v)) in schema.parameters().enumerate() {
                if i > 0 {
                    self.raw(b",");
                }
                self.string(k);
                self.raw(b":");
                self.string(v);
            }
            self.raw(b"}");
        }
        if let Some(default) = schema.default_value()
            && representable(default)
        {
            self.raw(b",\"connect.default\":");
            self.default_json(schema, default)?;
        }
        if let Some(name) = schema.name() {
            self.raw(b",\"connect.name\":");
            self.string(name);
        }
        if let Some(t) = connect_type {
            self.raw(b",\"connect.type\":");
            self.string(t);
        }
        if let Some(logical) = logical_type(schema)? {
            self.raw(b",\"logicalType\":");
            self.string(logical);
        }
        // Parameters starting with "avro" are copied as properties too.
        for (k, v) in schema.parameters() {
            if k.starts_with("avro") {
                self.raw(b",");
                self.string(k);
                self.raw(b":");
                self.string(v);
            }
        }
        Ok(())
    }

    fn record(&mut self, schema: &'s Schema) -> Result<(), AvroSchemaError> {
        let full = match schema.name() {
            Some(name) => {
                if self.lookup(name, &Defined::Record(schema))? {
                    let (ns, short) = split_name(name);
                    self.reference(ns, short);
                    return Ok(());
                }
                name.to_owned()
            }
            None => {
                // An equal unnamed struct seen before is reused (AvroData's schema map).
                let seen = self.named.iter().find_map(|(n, d)| match d {
                    Defined::Record(s)
                        if s.name().is_none() && same_ignoring_optional(s, schema) =>
                    {
                        Some(n.clone())
                    }
                    _ => None,
                });
                if let Some(full) = seen {
                    let (ns, short) = split_name(&full);
                    self.reference(ns, short);
                    return Ok(());
                }
                self.default_names += 1;
                if self.default_names > 1 {
                    format!(
                        "{CONFLUENT_NAMESPACE}.{DEFAULT_SCHEMA_NAME}{}",
                        self.default_names
                    )
                } else {
                    format!("{CONFLUENT_NAMESPACE}.{DEFAULT_SCHEMA_NAME}")
                }
            }
        };
        self.named.push((full.clone(), Defined::Record(schema)));
        let (ns, short) = split_name(&full);
        self.raw(b"{\"type\":\"record\",");
        self.name_and_namespace(ns, short);
        if let Some(doc) = schema.parameter("io.confluent.connect.avro.record.doc") {
            self.raw(b",\"doc\":");
            self.string(doc);
        }
        self.raw(b",\"fields\":[");
        let outer = std::mem::replace(&mut self.space, ns.map(str::to_owned));
        let mut result = Ok(());
        for (i, field) in schema.fields().iter().enumerate() {
            if i > 0 {
                self.raw(b",");
            }
            let doc_key = format!("io.confluent.connect.avro.field.doc.{}", field.name());
            let doc = schema.parameter(&doc_key);
            result = self.field(field.name(), field.schema(), doc);
            if result.is_err() {
                break;
            }
        }
        self.space = outer;
        result?;
        self.raw(b"]");
        self.props(schema, None)?;
        self.raw(b"}");
        Ok(())
    }

    /// The `{key, value}` record a non-Avro map is an array of.
    fn map_entry(&mut self, map: &'s Schema) -> Result<(), AvroSchemaError> {
        let full = match map.name() {
            Some(name) => name.to_owned(),
            None => format!("{CONFLUENT_NAMESPACE}.{MAP_ENTRY_NAME}"),
        };
        let (ns, short) = split_name(&full);
        if self.lookup(&full, &Defined::MapEntry(map))? {
            let (ns, short) = (ns.map(str::to_owned), short.to_owned());
            self.reference(ns.as_deref(), &short);
            return Ok(());
        }
        self.named.push((full.clone(), Defined::MapEntry(map)));
        let (ns, short) = split_name(&full);
        self.raw(b"{\"type\":\"record\",");
        self.name_and_namespace(ns, short);
        self.raw(b",\"fields\":[");
        let outer = std::mem::replace(&mut self.space, ns.map(str::to_owned));
        let mut result = Ok(());
        if let (Some(k), Some(v)) = (map.key_schema(), map.value_schema()) {
            result = self.field("key", k, None);
            if result.is_ok() {
                self.raw(b",");
                result = self.field("value", v, None);
            }
        }
        self.space = outer;
        result?;
        self.raw(b"]");
        if map.name().is_some() {
            self.raw(b",\"connect.internal.type\":\"MapEntry\"");
        }
        self.raw(b"}");
        Ok(())
    }

    /// One record field (`addAvroRecordField`).
    fn field(
        &mut self,
        name: &str,
        schema: &'s Schema,
        doc: Option<&str>,
    ) -> Result<(), AvroSchemaError> {
        self.raw(b"{\"name\":");
        self.string(name);
        self.raw(b",\"type\":");
        self.schema(schema)?;
        if let Some(doc) = doc {
            self.raw(b",\"doc\":");
            self.string(doc);
        }
        match schema.default_value() {
            // An optional struct's union starts with null: Avro rejects a non-null default
            // there, and AvroData then builds the field without one.
            Some(_) if schema.is_optional() && schema.schema_type() == SchemaType::Struct => {}
            Some(default) if representable(default) => {
                self.raw(b",\"default\":");
                self.default_json(schema, default)?;
            }
            Some(_) => {}
            None if schema.is_optional() => self.raw(b",\"default\":null"),
            None => {}
        }
        self.raw(b"}");
        Ok(())
    }

    /// A Connect value as Avro default JSON (`defaultValueFromConnect`).
    fn default_json(&mut self, schema: &Schema, value: &Datum<'_>) -> Result<(), AvroSchemaError> {
        let bad = || AvroSchemaError::InvalidDefault {
            schema: label(schema),
            found: value.kind_name(),
        };
        let mut b = itoa::Buffer::new();
        match (schema.schema_type(), value) {
            (_, Datum::Null) => self.raw(b"null"),
            (SchemaType::Boolean, Datum::Boolean(v)) => {
                self.raw(if *v { b"true" } else { b"false" })
            }
            (SchemaType::Int8, Datum::Int8(v)) => self.raw(b.format(*v).as_bytes()),
            (SchemaType::Int16, Datum::Int16(v)) => self.raw(b.format(*v).as_bytes()),
            (SchemaType::Int32, Datum::Int32(v)) => self.raw(b.format(*v).as_bytes()),
            (SchemaType::Int64, Datum::Int64(v)) => self.raw(b.format(*v).as_bytes()),
            (
                SchemaType::Float32 | SchemaType::Float64,
                v @ (Datum::Float32(_) | Datum::Float64(_)),
            ) => {
                // Jackson prints floats as Java's `toString`, as JsonConverter's writer does.
                let float = if schema.schema_type() == SchemaType::Float32 {
                    SchemaBuilder::float32()
                } else {
                    SchemaBuilder::float64()
                };
                let float = float.build().map_err(|_| bad())?;
                let converter = JsonConverter::new(JsonConverterConfig {
                    schemas_enable: false,
                    replace_null_with_default: false,
                });
                converter
                    .write(Some(&float), v, &mut self.out)
                    .map_err(|_| bad())?;
            }
            (SchemaType::String, Datum::String(s)) => self.string(s),
            (SchemaType::Bytes, Datum::Bytes(bytes)) => {
                // Avro's JSON form of bytes: one character per byte (ISO-8859-1).
                let text: String = bytes.iter().map(|&b| char::from(b)).collect();
                self.string(&text);
            }
            (SchemaType::Array, Datum::Array(items)) => {
                let item_schema = schema.value_schema().ok_or_else(bad)?;
                self.raw(b"[");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.raw(b",");
                    }
                    self.default_json(item_schema, item)?;
                }
                self.raw(b"]");
            }
            (SchemaType::Map, Datum::Map(entries)) => {
                let (ks, vs) = match (schema.key_schema(), schema.value_schema()) {
                    (Some(k), Some(v)) => (k, v),
                    _ => return Err(bad()),
                };
                let object = is_avro_map(schema);
                self.raw(if object { b"{" } else { b"[" });
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        self.raw(b",");
                    }
                    if object {
                        let Datum::String(k) = k else {
                            return Err(bad());
                        };
                        self.string(k);
                        self.raw(b":");
                        self.default_json(vs, v)?;
                    } else {
                        self.raw(b"[");
                        self.default_json(ks, k)?;
                        self.raw(b",");
                        self.default_json(vs, v)?;
                        self.raw(b"]");
                    }
                }
                self.raw(if object { b"}" } else { b"]" });
            }
            (SchemaType::Struct, Datum::Struct(values)) => {
                let fields: &[Field] = schema.fields();
                if fields.len() != values.len() {
                    return Err(bad());
                }
                self.raw(b"{");
                for (i, (field, v)) in fields.iter().zip(values.iter()).enumerate() {
                    if i > 0 {
                        self.raw(b",");
                    }
                    self.string(field.name());
                    self.raw(b":");
                    // `Struct.get` substitutes the field's default for null.
                    let v = match (v, field.schema().default_value()) {
                        (Datum::Null, Some(d)) => d,
                        _ => v,
                    };
                    self.default_json(field.schema(), v)?;
                }
                self.raw(b"}");
            }
            _ => return Err(bad()),
        }
        Ok(())
    }
}

/// `(scale, precision)` for a Connect Decimal schema, `None` for anything else.
fn decimal_parameters(schema: &Schema) -> Result<Option<(i32, i32)>, AvroSchemaError> {
    let Some(name) = schema.name() else {
        return Ok(None);
    };
    if !name.eq_ignore_ascii_case(connect::DECIMAL) {
        return Ok(None);
    }
    let invalid = |reason: String| AvroSchemaError::InvalidDecimal {
        schema: name.to_owned(),
        reason,
    };
    if schema.schema_type() != SchemaType::Bytes {
        return Err(AvroSchemaError::LogicalTypeMismatch {
            name: name.to_owned(),
            ty: schema.schema_type(),
        });
    }
    let scale = schema
        .parameter("scale")
        .ok_or_else(|| invalid("no `scale` parameter".into()))?;
    let scale: i32 = scale
        .parse()
        .map_err(|_| invalid(format!("`scale` {scale:?} is not an integer")))?;
    let precision = match schema.parameter(connect::DECIMAL_PRECISION_PARAMETER) {
        Some(p) => p.parse().map_err(|_| {
            invalid(format!(
                "`{}` {p:?} is not an integer",
                connect::DECIMAL_PRECISION_PARAMETER
            ))
        })?,
        None => DEFAULT_DECIMAL_PRECISION,
    };
    if precision < 1 {
        return Err(invalid(format!(
            "precision {precision} is below 1; Avro's decimal needs a positive precision"
        )));
    }
    Ok(Some((scale, precision)))
}

/// The Avro `logicalType` for Connect's own logical types.
fn logical_type(schema: &Schema) -> Result<Option<&'static str>, AvroSchemaError> {
    let Some(name) = schema.name() else {
        return Ok(None);
    };
    let (logical, ty) = if name.eq_ignore_ascii_case(connect::DECIMAL) {
        ("decimal", SchemaType::Bytes)
    } else if name.eq_ignore_ascii_case(connect::DATE) {
        ("date", SchemaType::Int32)
    } else if name.eq_ignore_ascii_case(connect::TIME) {
        ("time-millis", SchemaType::Int32)
    } else if name.eq_ignore_ascii_case(connect::TIMESTAMP) {
        ("timestamp-millis", SchemaType::Int64)
    } else {
        return Ok(None);
    };
    if schema.schema_type() != ty {
        return Err(AvroSchemaError::LogicalTypeMismatch {
            name: name.to_owned(),
            ty: schema.schema_type(),
        });
    }
    Ok(Some(logical))
}
