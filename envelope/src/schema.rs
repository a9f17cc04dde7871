//! The Kafka Connect schema model.
//!
//! # Built once, shared
//! A schema is built once per table schema version (and once for the fixed `source` and
//! envelope structs) and shared as [`SchemaRef`] (`Arc<Schema>`) by every event of that
//! version. It is immutable, so everything a converter derives from it can be computed at
//! build time: [`SchemaBuilder::build`] renders the JsonConverter schema JSON then
//! ([`Schema::json`]), and each struct field pre-renders its `"name":` payload key.
//! Serialising an event therefore copies the schema bytes and never walks the schema tree
//! for it.
//!
//! # Connect semantics kept
//! As in Connect's `SchemaBuilder`: struct field names are unique and ordered; parameters
//! keep insertion order (a `LinkedHashMap` in Java), an empty parameter set is the same as
//! none; a default is checked against the schema when the schema is built.

use std::sync::Arc;

use crate::datum::Datum;
use crate::json;

/// A shared, immutable schema.
pub type SchemaRef = Arc<Schema>;

/// Kafka Connect's schema types (`Schema.Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaType {
    /// `BOOLEAN`.
    Boolean,
    /// `INT8`.
    Int8,
    /// `INT16`.
    Int16,
    /// `INT32`.
    Int32,
    /// `INT64`.
    Int64,
    /// `FLOAT32` (JsonConverter calls it `"float"`).
    Float32,
    /// `FLOAT64` (JsonConverter calls it `"double"`).
    Float64,
    /// `BYTES`.
    Bytes,
    /// `STRING`.
    String,
    /// `ARRAY`.
    Array,
    /// `MAP`.
    Map,
    /// `STRUCT`.
    Struct,
}

impl SchemaType {
    /// The `"type"` name JsonConverter writes (`JsonSchema.*_TYPE_NAME`).
    pub fn json_name(self) -> &'static str {
        match self {
            SchemaType::Boolean => "boolean",
            SchemaType::Int8 => "int8",
            SchemaType::Int16 => "int16",
            SchemaType::Int32 => "int32",
            SchemaType::Int64 => "int64",
            SchemaType::Float32 => "float",
            SchemaType::Float64 => "double",
            SchemaType::Bytes => "bytes",
            SchemaType::String => "string",
            SchemaType::Array => "array",
            SchemaType::Map => "map",
            SchemaType::Struct => "struct",
        }
    }
}

/// A struct field: a name and its schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    name: Box<str>,
    schema: SchemaRef,
    /// `"name":` rendered and escaped once, written before the field's payload.
    json_key: Box<[u8]>,
}

impl Field {
    /// The field name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The field's schema.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// `"<escaped name>":`, ready to write before the field's JSON value.
    pub(crate) fn json_key(&self) -> &[u8] {
        &self.json_key
    }
}

/// The children of a composite schema.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Shape {
    Primitive,
    Array { items: SchemaRef },
    Map { keys: SchemaRef, values: SchemaRef },
    Struct { fields: Box<[Field]> },
}

/// An immutable Kafka Connect schema. Build it with [`SchemaBuilder`].
#[derive(Debug, PartialEq)]
pub struct Schema {
    ty: SchemaType,
    shape: Shape,
    optional: bool,
    name: Option<Box<str>>,
    version: Option<i32>,
    doc: Option<Box<str>>,
    parameters: Box<[(Box<str>, Box<str>)]>,
    default: Option<Datum<'static>>,
    /// The JsonConverter rendering of this schema, computed once by `build`.
    json: Box<[u8]>,
}

impl Schema {
    /// This schema with the parameter `key` set to `value` (replacing an earlier value):
    /// for options that mark a field after its type is mapped, such as a masked column's
    /// `masked=true`.
    pub fn with_parameter(&self, key: &str, value: &str) -> Result<SchemaRef, SchemaError> {
        let mut parameters: Vec<(Box<str>, Box<str>)> = self
            .parameters
            .iter()
            .filter(|(k, _)| &**k != key)
            .cloned()
            .collect();
        parameters.push((key.into(), value.into()));
        let mut schema = Schema {
            ty: self.ty,
            shape: self.shape.clone(),
            optional: self.optional,
            name: self.name.clone(),
            version: self.version,
            doc: self.doc.clone(),
            parameters: parameters.into(),
            default: self.default.clone(),
            json: Box::default(),
        };
        schema.json =
            json::render_schema(&schema).map_err(|reason| SchemaError::InvalidDefault {
                schema: schema.name.as_deref().unwrap_or("<unnamed>").to_owned(),
                ty: schema.ty,
                reason,
            })?;
        Ok(Arc::new(schema))
    }

    /// The schema type.
    pub fn schema_type(&self) -> SchemaType {
        self.ty
    }

    /// Whether null is a valid value.
    pub fn is_optional(&self) -> bool {
        self.optional
    }

    /// The schema name (logical type or record name), if any.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The schema version, if any.
    pub fn version(&self) -> Option<i32> {
        self.version
    }

    /// The documentation string, if any.
    pub fn doc(&self) -> Option<&str> {
        self.doc.as_deref()
    }

    /// The parameters in insertion order (empty when none were set).
    pub fn parameters(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.parameters.iter().map(|(k, v)| (&**k, &**v))
    }

    /// One parameter's value.
    pub fn parameter(&self, key: &str) -> Option<&str> {
        self.parameters
            .iter()
            .find(|(k, _)| &**k == key)
            .map(|(_, v)| &**v)
    }

    /// The default value, if any (never [`Datum::Null`]).
    pub fn default_value(&self) -> Option<&Datum<'static>> {
        self.default.as_ref()
    }

    /// A struct's fields in order; empty for other types.
    pub fn fields(&self) -> &[Field] {
        match &self.shape {
            Shape::Struct { fields } => fields,
            _ => &[],
        }
    }

    /// A struct field by name, with its index in the struct value.
    pub fn field(&self, name: &str) -> Option<(usize, &Field)> {
        self.fields()
            .iter()
            .enumerate()
            .find(|(_, f)| f.name() == name)
    }

    /// An array's element schema or a map's value schema (Connect's `valueSchema()`).
    pub fn value_schema(&self) -> Option<&SchemaRef> {
        match &self.shape {
            Shape::Array { items } => Some(items),
            Shape::Map { values, .. } => Some(values),
            _ => None,
        }
    }

    /// A map's key schema.
    pub fn key_schema(&self) -> Option<&SchemaRef> {
        match &self.shape {
            Shape::Map { keys, .. } => Some(keys),
            _ => None,
        }
    }

    /// This schema as JsonConverter writes it under `"schema"` (compact JSON, UTF-8),
    /// rendered once when the schema was built.
    pub fn json(&self) -> &[u8] {
        &self.json
    }

    pub(crate) fn shape(&self) -> &Shape {
        &self.shape
    }
}

/// Why a schema could not be built; each variant names the schema at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchemaError {
    /// Two fields of one struct share a name.
    #[error("struct schema {schema} has two fields named {field:?}; field names must be unique")]
    DuplicateField {
        /// The struct's name, or `<unnamed struct>`.
        schema: String,
        /// The repeated field name.
        field: String,
    },
    /// `field` was called on a builder for a type other than struct.
    #[error("{ty:?} schema {schema} cannot have fields; only struct schemas do")]
    FieldsOnNonStruct {
        /// The schema's name, or `<unnamed>`.
        schema: String,
        /// The schema's type.
        ty: SchemaType,
    },
    /// The default value does not match the schema.
    #[error("invalid default value for {ty:?} schema {schema}: {reason}")]
    InvalidDefault {
        /// The schema's name, or `<unnamed>`.
        schema: String,
        /// The schema's type.
        ty: SchemaType,
        /// What did not match.
        reason: String,
    },
}

/// Builds a [`Schema`]; mirrors Connect's `SchemaBuilder`.
#[derive(Debug, Clone)]
pub struct SchemaBuilder {
    ty: SchemaType,
    items: Option<SchemaRef>,
    keys: Option<SchemaRef>,
    fields: Vec<(Box<str>, SchemaRef)>,
    optional: bool,
    name: Option<Box<str>>,
    version: Option<i32>,
    doc: Option<Box<str>>,
    parameters: Vec<(Box<str>, Box<str>)>,
    default: Option<Datum<'static>>,
}

impl SchemaBuilder {
    fn new(ty: SchemaType) -> Self {
        Self {
            ty,
            items: None,
            keys: None,
            fields: Vec::new(),
            optional: false,
            name: None,
            version: None,
            doc: None,
            parameters: Vec::new(),
            default: None,
        }
    }

    /// A BOOLEAN schema.
    pub fn boolean() -> Self {
        Self::new(SchemaType::Boolean)
    }
    /// An INT8 schema.
    pub fn int8() -> Self {
        Self::new(SchemaType::Int8)
    }
    /// An INT16 schema.
    pub fn int16() -> Self {
        Self::new(SchemaType::Int16)
    }
    /// An INT32 schema.
    pub fn int32() -> Self {
        Self::new(SchemaType::Int32)
    }
    /// An INT64 schema.
    pub fn int64() -> Self {
        Self::new(SchemaType::Int64)
    }
    /// A FLOAT32 schema.
    pub fn float32() -> Self {
        Self::new(SchemaType::Float32)
    }
    /// A FLOAT64 schema.
    pub fn float64() -> Self {
        Self::new(SchemaType::Float64)
    }
    /// A BYTES schema.
    pub fn bytes() -> Self {
        Self::new(SchemaType::Bytes)
    }
    /// A STRING schema.
    pub fn string() -> Self {
        Self::new(SchemaType::String)
    }

    /// An ARRAY schema of `items`.
    pub fn array(items: SchemaRef) -> Self {
        let mut b = Self::new(SchemaType::Array);
        b.items = Some(items);
        b
    }

    /// A MAP schema from `keys` to `values`.
    pub fn map(keys: SchemaRef, values: SchemaRef) -> Self {
        let mut b = Self::new(SchemaType::Map);
        b.keys = Some(keys);
        b.items = Some(values);
        b
    }

    /// A STRUCT schema; add fields with [`SchemaBuilder::field`].
    pub fn structure() -> Self {
        Self::new(SchemaType::Struct)
    }

    /// A primitive schema of `ty` with no name or default. Composite types need their
    /// children: use [`SchemaBuilder::array`], [`SchemaBuilder::map`] or
    /// [`SchemaBuilder::structure`]; for them this returns `None`.
    pub fn primitive(ty: SchemaType) -> Option<Self> {
        match ty {
            SchemaType::Array | SchemaType::Map | SchemaType::Struct => None,
            _ => Some(Self::new(ty)),
        }
    }

    /// Appends a struct field (order is kept). Errors (non-struct, duplicate name) are
    /// reported by [`SchemaBuilder::build`] so builder chains stay fluent.
    pub fn field(mut self, name: impl Into<Box<str>>, schema: SchemaRef) -> Self {
        self.fields.push((name.into(), schema));
        self
    }

    /// Null is a valid value.
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// Null is not a valid value (the default).
    pub fn required(mut self) -> Self {
        self.optional = false;
        self
    }

    /// Sets `optional` from a flag (a column's nullability).
    pub fn optional_if(mut self, optional: bool) -> Self {
        self.optional = optional;
        self
    }

    /// The schema name.
    pub fn name(mut self, name: impl Into<Box<str>>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The schema version.
    pub fn version(mut self, version: i32) -> Self {
        self.version = Some(version);
        self
    }

    /// The documentation string.
    pub fn doc(mut self, doc: impl Into<Box<str>>) -> Self {
        self.doc = Some(doc.into());
        self
    }

    /// Sets a parameter; a key set again keeps its first position, like Java's
    /// `LinkedHashMap.put`.
    pub fn parameter(mut self, key: impl Into<Box<str>>, value: impl Into<Box<str>>) -> Self {
        let (key, value) = (key.into(), value.into());
        match self.parameters.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.parameters.push((key, value)),
        }
        self
    }

    /// The default value, checked against the schema by [`SchemaBuilder::build`].
    /// [`Datum::Null`] means "no default", as a null default does in Connect.
    pub fn default_value(mut self, value: Datum<'static>) -> Self {
        self.default = (!value.is_null()).then_some(value);
        self
    }

    /// Builds the schema and renders its JSON once.
    pub fn build(self) -> Result<SchemaRef, SchemaError> {
        let label = |name: &Option<Box<str>>, fallback: &str| {
            name.as_deref().unwrap_or(fallback).to_owned()
        };
        if self.ty != SchemaType::Struct && !self.fields.is_empty() {
            return Err(SchemaError::FieldsOnNonStruct {
                schema: label(&self.name, "<unnamed>"),
                ty: self.ty,
            });
        }
        let shape = match self.ty {
            SchemaType::Array => match self.items {
                Some(items) => Shape::Array { items },
                None => Shape::Primitive,
            },
            SchemaType::Map => match (self.keys, self.items) {
                (Some(keys), Some(values)) => Shape::Map { keys, values },
                _ => Shape::Primitive,
            },
            SchemaType::Struct => {
                let mut fields: Vec<Field> = Vec::with_capacity(self.fields.len());
                for (name, schema) in self.fields {
                    if fields.iter().any(|f| f.name == name) {
                        return Err(SchemaError::DuplicateField {
                            schema: label(&self.name, "<unnamed struct>"),
                            field: name.into(),
                        });
                    }
                    let json_key = json::field_key(&name);
                    fields.push(Field {
                        name,
                        schema,
                        json_key,
                    });
                }
                Shape::Struct {
                    fields: fields.into(),
                }
            }
            _ => Shape::Primitive,
        };
        let mut schema = Schema {
            ty: self.ty,
            shape,
            optional: self.optional,
            name: self.name,
            version: self.version,
            doc: self.doc,
            parameters: self.parameters.into(),
            default: self.default,
            json: Box::default(),
        };
        schema.json =
            json::render_schema(&schema).map_err(|reason| SchemaError::InvalidDefault {
                schema: label(&schema.name, "<unnamed>"),
                ty: schema.ty,
                reason,
            })?;
        Ok(Arc::new(schema))
    }
}

/// A primitive schema that can never fail to build (no default, no fields).
pub(crate) fn primitive_schema(ty: SchemaType, optional: bool) -> SchemaRef {
    let shape = Shape::Primitive;
    let mut schema = Schema {
        ty,
        shape,
        optional,
        name: None,
        version: None,
        doc: None,
        parameters: Box::default(),
        default: None,
        json: Box::default(),
    };
    // Without a default, rendering has nothing that can fail.
    schema.json = json::render_schema(&schema).unwrap_or_default();
    Arc::new(schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(json: &[u8]) -> &str {
        std::str::from_utf8(json).unwrap()
    }

    #[test]
    fn duplicate_field_names_are_rejected() {
        let int = SchemaBuilder::int32().build().unwrap();
        let err = SchemaBuilder::structure()
            .name("t.Value")
            .field("a", int.clone())
            .field("a", int)
            .build()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "struct schema t.Value has two fields named \"a\"; field names must be unique"
        );
    }

    #[test]
    fn fields_on_a_primitive_are_rejected() {
        let int = SchemaBuilder::int32().build().unwrap();
        let err = SchemaBuilder::string().field("a", int).build().unwrap_err();
        assert!(
            matches!(err, SchemaError::FieldsOnNonStruct { .. }),
            "{err}"
        );
    }

    #[test]
    fn a_default_of_the_wrong_type_is_rejected() {
        let err = SchemaBuilder::int32()
            .name("col")
            .default_value(Datum::str("x"))
            .build()
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid default value for Int32 schema col"),
            "{err}"
        );
    }

    #[test]
    fn parameters_keep_first_insertion_position() {
        let s = SchemaBuilder::bytes()
            .parameter("scale", "2")
            .parameter("connect.decimal.precision", "10")
            .parameter("scale", "3")
            .build()
            .unwrap();
        let params: Vec<_> = s.parameters().collect();
        assert_eq!(
            params,
            [("scale", "3"), ("connect.decimal.precision", "10")]
        );
        assert_eq!(s.parameter("scale"), Some("3"));
    }

    #[test]
    fn field_lookup_gives_the_struct_index() {
        let int = primitive_schema(SchemaType::Int32, false);
        let s = SchemaBuilder::structure()
            .field("a", int.clone())
            .field("b", int)
            .build()
            .unwrap();
        assert_eq!(s.field("b").map(|(i, f)| (i, f.name())), Some((1, "b")));
        assert!(s.field("c").is_none());
    }

    #[test]
    fn struct_json_splices_the_field_name_last() {
        let int = primitive_schema(SchemaType::Int32, true);
        let s = SchemaBuilder::structure()
            .name("n")
            .field("id", int)
            .build()
            .unwrap();
        assert_eq!(
            text(s.json()),
            r#"{"type":"struct","fields":[{"type":"int32","optional":true,"field":"id"}],"optional":false,"name":"n"}"#
        );
    }

    #[test]
    fn primitive_builder_refuses_composites() {
        assert!(SchemaBuilder::primitive(SchemaType::Struct).is_none());
        assert!(SchemaBuilder::primitive(SchemaType::Float32).is_some());
    }
}
