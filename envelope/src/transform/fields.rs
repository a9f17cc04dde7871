//! Kafka Connect's field transforms: `MaskField`, `ReplaceField`, `InsertField`,
//! `ValueToKey`, `ExtractField`, `HoistField`, `SetSchemaMetadata`, `Flatten`.
//!
//! # Struct.get and defaults
//! Connect's transforms copy field values with `Struct.get(field)`, which reads a null field
//! as its schema default. The copies here do the same ([`with_default`]), so the output is the
//! same under converters that do not replace nulls themselves (Avro).
//!
//! # Rebuilt schemas are required
//! `SchemaUtil.copySchemaBasics` copies name, version, doc and parameters but not
//! `optional`: a struct rebuilt by `ReplaceField`, `InsertField` or `Flatten` is required even
//! when the input was optional. Reproduced.

use std::borrow::Cow;

use super::config::{Options, TransformConfigError};
use super::schema_copy::{
    SchemaCache, copy_basics, copy_basics_same_type, intern, struct_like, with_default,
};
use super::{is_null_value, struct_fields};
use crate::datum::Datum;
use crate::decimal::Decimal;
use crate::event::ChangeRecord;
use crate::logical::connect;
use crate::schema::{Schema, SchemaBuilder, SchemaRef, SchemaType};

/// Which part of the record a `$Key`/`$Value` transform works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    /// `…$Key`.
    Key,
    /// `…$Value`.
    Value,
}

type Part<'a> = Option<(SchemaRef, Datum<'a>)>;

impl Side {
    fn part<'r, 'a>(self, record: &'r mut ChangeRecord<'a>) -> &'r mut Part<'a> {
        match self {
            Side::Key => &mut record.key,
            Side::Value => &mut record.value,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Side::Key => "key",
            Side::Value => "value",
        }
    }
}

fn not_struct(side: Side) -> String {
    format!("the record {} is not a struct", side.label())
}

/// Takes a struct part apart: `None` when the part is null (the caller leaves it as is).
fn take_struct<'a>(
    side: Side,
    part: &mut Part<'a>,
) -> Result<Option<(SchemaRef, Vec<Datum<'a>>)>, String> {
    if is_null_value(part) {
        return Ok(None);
    }
    let Some((schema, value)) = part.take() else {
        return Ok(None);
    };
    if schema.schema_type() != SchemaType::Struct {
        *part = Some((schema, value));
        return Err(not_struct(side));
    }
    let fields = struct_fields(value).ok_or_else(|| not_struct(side))?;
    if fields.len() != schema.fields().len() {
        return Err(format!(
            "the record {} has {} fields but its schema has {}",
            side.label(),
            fields.len(),
            schema.fields().len()
        ));
    }
    Ok(Some((schema, fields)))
}

// ---------------------------------------------------------------------------------------
// MaskField
// ---------------------------------------------------------------------------------------

/// `MaskField$Key`/`$Value`: `fields`, `replacement`.
///
/// Without `replacement` a field becomes the "null value" of its Java class
/// (`PRIMITIVE_VALUE_MAPPING`): `false`, `0`, `0.0`, `""`, `BigDecimal.ZERO`, `new Date(0)`,
/// an empty array or map. BYTES and STRUCT fields cannot be masked. With `replacement`, only
/// numbers, decimals and strings can be (`REPLACEMENT_MAPPING_FUNC`). Null stays null. A
/// `Decimal` must keep its schema's scale when the JsonConverter writes it
/// (`Decimal.fromLogical`), so `BigDecimal.ZERO` (scale 0) fails for scale ≠ 0 in Connect, and
/// does here.
#[derive(Debug)]
pub(super) struct MaskField {
    fields: Vec<Box<str>>,
    replacement: Option<&'static str>,
    cache: SchemaCache<Vec<Option<Mask>>>,
}

/// What a masked field becomes.
#[derive(Debug, Clone)]
enum Mask {
    Value(Datum<'static>),
    Fail(String),
}

impl MaskField {
    pub(super) fn configure(o: &Options<'_>) -> Result<Self, TransformConfigError> {
        let fields: Vec<Box<str>> = o.list("fields").into_iter().map(Box::from).collect();
        if fields.is_empty() {
            return Err(o.error(
                "fields",
                "is required and must list at least one field",
                format!("set `{}`", o.key("fields")),
            ));
        }
        let replacement = match o.raw("replacement").map(str::trim) {
            Some(r) if r.trim().is_empty() => {
                return Err(o.error(
                    "replacement",
                    "is empty",
                    "remove it to mask with the type's empty value, or give a non-empty value",
                ));
            }
            r => r.map(intern),
        };
        Ok(Self {
            fields,
            replacement,
            cache: SchemaCache::default(),
        })
    }

    pub(super) fn apply(
        &mut self,
        side: Side,
        record: &mut ChangeRecord<'_>,
    ) -> Result<(), String> {
        let part = side.part(record);
        let Some((schema, mut fields)) = take_struct(side, part)? else {
            return Ok(());
        };
        let (names, replacement) = (&self.fields, self.replacement);
        let plan = self.cache.get_or_try_insert(&schema, |s| {
            Ok::<_, String>(mask_plan(names, replacement, s))
        })?;
        for ((value, field), mask) in fields.iter_mut().zip(schema.fields()).zip(plan) {
            let v = with_default(field.schema(), std::mem::replace(value, Datum::Null));
            *value = match mask {
                Some(_) if v.is_null() => v,
                Some(Mask::Value(m)) => m.clone(),
                Some(Mask::Fail(reason)) => return Err(reason.clone()),
                None => v,
            };
        }
        *part = Some((schema, Datum::structure_owned(fields)));
        Ok(())
    }
}

/// The mask of every field of `schema` (`None` = not masked).
fn mask_plan(
    names: &[Box<str>],
    replacement: Option<&'static str>,
    schema: &Schema,
) -> Vec<Option<Mask>> {
    schema
        .fields()
        .iter()
        .map(|f| {
            names
                .iter()
                .any(|n| **n == *f.name())
                .then(|| mask_for(f.name(), f.schema(), replacement))
        })
        .collect()
}

fn mask_for(name: &str, schema: &Schema, replacement: Option<&'static str>) -> Mask {
    let ty = schema.schema_type();
    let is_decimal = schema.name() == Some(connect::DECIMAL);
    let scale = schema
        .parameter("scale")
        .and_then(|s| s.parse::<i32>().ok())
        .unwrap_or(0);
    let fail = |why: &str| Mask::Fail(format!("field `{name}` ({ty:?}) cannot be masked{why}"));
    match replacement {
        None => match ty {
            SchemaType::Boolean => Mask::Value(Datum::Boolean(false)),
            SchemaType::Int8 => Mask::Value(Datum::Int8(0)),
            SchemaType::Int16 => Mask::Value(Datum::Int16(0)),
            SchemaType::Int32 => Mask::Value(Datum::Int32(0)),
            SchemaType::Int64 => Mask::Value(Datum::Int64(0)),
            SchemaType::Float32 => Mask::Value(Datum::Float32(0.0)),
            SchemaType::Float64 => Mask::Value(Datum::Float64(0.0)),
            SchemaType::String => Mask::Value(Datum::str("")),
            SchemaType::Bytes if is_decimal && scale == 0 => Mask::Value(Datum::bytes(&[0])),
            SchemaType::Bytes if is_decimal => Mask::Fail(format!(
                "field `{name}`: the masked Decimal is BigDecimal.ZERO with scale 0, which Connect's Decimal.fromLogical refuses for a schema of scale {scale}; set `replacement` with {scale} decimal places"
            )),
            SchemaType::Array => Mask::Value(Datum::array_owned(Vec::new())),
            SchemaType::Map => Mask::Value(Datum::map_owned(Vec::new())),
            SchemaType::Bytes | SchemaType::Struct => fail(""),
        },
        Some(r) => {
            let number = |ok: Option<Datum<'static>>| match ok {
                Some(d) => Mask::Value(d),
                None => Mask::Fail(format!(
                    "field `{name}` ({ty:?}): the replacement is not a number of that type"
                )),
            };
            let t = r.trim();
            match ty {
                SchemaType::String => Mask::Value(Datum::str(r)),
                SchemaType::Int8 => number(t.parse().ok().map(Datum::Int8)),
                SchemaType::Int16 => number(t.parse().ok().map(Datum::Int16)),
                SchemaType::Int32 => number(t.parse().ok().map(Datum::Int32)),
                SchemaType::Int64 => number(t.parse().ok().map(Datum::Int64)),
                SchemaType::Float32 => number(t.parse().ok().map(Datum::Float32)),
                SchemaType::Float64 => number(t.parse().ok().map(Datum::Float64)),
                SchemaType::Bytes if is_decimal => match Decimal::parse(t) {
                    Ok(d) if d.scale() == scale => Mask::Value(Datum::Bytes(Cow::Owned(
                        d.unscaled_twos_complement().to_vec(),
                    ))),
                    Ok(_) => Mask::Fail(format!(
                        "field `{name}`: the replacement's scale differs from the Decimal schema's scale {scale}"
                    )),
                    Err(_) => number(None),
                },
                _ => fail(" with a custom replacement"),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// ReplaceField
// ---------------------------------------------------------------------------------------

/// `ReplaceField$Key`/`$Value`: `exclude` (or the deprecated `blacklist`), `include` (or
/// `whitelist`), `renames` (`old:new,…`). Exclusion wins over inclusion; field order is the
/// input's.
#[derive(Debug)]
pub(super) struct ReplaceField {
    exclude: Vec<Box<str>>,
    include: Vec<Box<str>>,
    renames: Vec<(Box<str>, Box<str>)>,
    cache: SchemaCache<(SchemaRef, Vec<usize>)>,
}

impl ReplaceField {
    pub(super) fn configure(o: &Options<'_>) -> Result<Self, TransformConfigError> {
        let pick = |new: &str, old: &str| {
            let v = o.list(new);
            let legacy = o.list(old);
            if v.is_empty() { legacy } else { v }
        };
        let own = |v: Vec<&str>| v.into_iter().map(Box::from).collect::<Vec<Box<str>>>();
        let mut renames = Vec::new();
        for mapping in o.list("renames") {
            let parts: Vec<&str> = mapping.split(':').collect();
            match parts.as_slice() {
                [from, to] if !from.is_empty() && !to.is_empty() => {
                    renames.push((Box::from(*from), Box::from(*to)));
                }
                _ => {
                    return Err(o.error(
                        "renames",
                        format!("has an invalid rename mapping `{mapping}`"),
                        "write colon-delimited pairs, e.g. foo:bar,abc:xyz",
                    ));
                }
            }
        }
        Ok(Self {
            exclude: own(pick("exclude", "blacklist")),
            include: own(pick("include", "whitelist")),
            renames,
            cache: SchemaCache::default(),
        })
    }

    pub(super) fn apply(
        &mut self,
        side: Side,
        record: &mut ChangeRecord<'_>,
    ) -> Result<(), String> {
        let part = side.part(record);
        let Some((schema, mut fields)) = take_struct(side, part)? else {
            return Ok(());
        };
        let (exclude, include, renames) = (&self.exclude, &self.include, &self.renames);
        let (new_schema, indices) = self.cache.get_or_try_insert(&schema, |s| {
            let mut kept = Vec::new();
            let mut out = Vec::new();
            for (i, f) in s.fields().iter().enumerate() {
                let name = f.name();
                let keep = !exclude.iter().any(|e| **e == *name)
                    && (include.is_empty() || include.iter().any(|n| **n == *name));
                if keep {
                    let renamed = renames
                        .iter()
                        .find(|(from, _)| **from == *name)
                        .map_or(name, |(_, to)| &**to);
                    out.push((renamed.to_owned(), f.schema().clone()));
                    kept.push(i);
                }
            }
            let schema = struct_like(s, out, false).map_err(|e| e.to_string())?;
            Ok::<_, String>((schema, kept))
        })?;
        let moved = indices
            .iter()
            .map(|&i| {
                with_default(
                    schema.fields()[i].schema(),
                    std::mem::replace(&mut fields[i], Datum::Null),
                )
            })
            .collect();
        *part = Some((new_schema.clone(), Datum::structure_owned(moved)));
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// InsertField
// ---------------------------------------------------------------------------------------

/// A field to insert: name, and `!` (required) or `?`/nothing (optional).
#[derive(Debug, Clone)]
struct Insertion {
    name: Box<str>,
    optional: bool,
}

impl Insertion {
    fn parse(spec: Option<&str>) -> Option<Self> {
        let spec = spec?;
        Some(if let Some(n) = spec.strip_suffix('?') {
            Self {
                name: n.into(),
                optional: true,
            }
        } else if let Some(n) = spec.strip_suffix('!') {
            Self {
                name: n.into(),
                optional: false,
            }
        } else {
            Self {
                name: spec.into(),
                optional: true,
            }
        })
    }
}

/// `InsertField$Key`/`$Value`: `topic.field`, `partition.field`, `timestamp.field`,
/// `static.field`, `static.value` (`offset.field` is for sink connectors and refused).
///
/// The partition and the record timestamp are not known while a source record is being built
/// (Debezium leaves the timestamp unset; the producer assigns both), so those fields are null;
/// a required (`!`) one is an error, as the converter's validation would report in Connect.
#[derive(Debug)]
pub(super) struct InsertField {
    topic: Option<Insertion>,
    partition: Option<Insertion>,
    timestamp: Option<Insertion>,
    static_field: Option<Insertion>,
    static_value: Option<&'static str>,
    cache: SchemaCache<SchemaRef>,
}

impl InsertField {
    pub(super) fn configure(o: &Options<'_>) -> Result<Self, TransformConfigError> {
        if o.string("offset.field").is_some() {
            return Err(o.error(
                "offset.field",
                "only applies to sink connectors (Connect fails every source record with it)",
                "remove it",
            ));
        }
        Ok(Self {
            topic: Insertion::parse(o.string("topic.field")),
            partition: Insertion::parse(o.string("partition.field")),
            timestamp: Insertion::parse(o.string("timestamp.field")),
            static_field: Insertion::parse(o.string("static.field")),
            static_value: o.raw("static.value").map(|v| intern(v.trim())),
            cache: SchemaCache::default(),
        })
    }

    pub(super) fn apply(
        &mut self,
        side: Side,
        record: &mut ChangeRecord<'_>,
    ) -> Result<(), String> {
        let topic = self.topic.is_some().then(|| record.topic.clone());
        let part = side.part(record);
        let Some((schema, mut fields)) = take_struct(side, part)? else {
            return Ok(());
        };
        let (topic_f, partition_f, timestamp_f, static_f) = (
            &self.topic,
            &self.partition,
            &self.timestamp,
            &self.static_field,
        );
        let make = |s: &SchemaRef| -> Result<SchemaRef, String> {
            let mut b = copy_basics(s, SchemaBuilder::structure());
            for f in s.fields() {
                b = b.field(f.name(), f.schema().clone());
            }
            let prim = |builder: SchemaBuilder, optional: bool| {
                builder
                    .optional_if(optional)
                    .build()
                    .map_err(|e| e.to_string())
            };
            if let Some(i) = topic_f {
                b = b.field(&*i.name, prim(SchemaBuilder::string(), i.optional)?);
            }
            if let Some(i) = partition_f {
                b = b.field(&*i.name, prim(SchemaBuilder::int32(), i.optional)?);
            }
            if let Some(i) = timestamp_f {
                b = b.field(&*i.name, prim(connect::timestamp(), i.optional)?);
            }
            if let Some(i) = static_f {
                b = b.field(&*i.name, prim(SchemaBuilder::string(), i.optional)?);
            }
            b.build().map_err(|e| e.to_string())
        };
        let new_schema = self.cache.get_or_try_insert(&schema, make)?.clone();
        for (v, f) in fields.iter_mut().zip(schema.fields()) {
            *v = with_default(f.schema(), std::mem::replace(v, Datum::Null));
        }
        if let Some(topic) = topic {
            fields.push(Datum::String(topic));
        }
        for (insertion, what) in [
            (&self.partition, "partition"),
            (&self.timestamp, "timestamp"),
        ] {
            if let Some(i) = insertion {
                if !i.optional {
                    return Err(format!(
                        "required field `{}` needs the record {what}, which a source record does not have before it is produced; make the field optional (drop the `!`)",
                        i.name
                    ));
                }
                fields.push(Datum::Null);
            }
        }
        if let Some(i) = &self.static_field {
            match self.static_value {
                Some(v) => fields.push(Datum::str(v)),
                None if i.optional => fields.push(Datum::Null),
                None => {
                    return Err(format!("required field `{}` has no `static.value`", i.name));
                }
            }
        }
        *part = Some((new_schema, Datum::structure_owned(fields)));
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// ValueToKey
// ---------------------------------------------------------------------------------------

/// `ValueToKey`: `fields`. The key becomes an unnamed, required struct of those value fields
/// in the listed order.
#[derive(Debug)]
pub(super) struct ValueToKey {
    fields: Vec<Box<str>>,
    cache: SchemaCache<(SchemaRef, Vec<usize>)>,
}

impl ValueToKey {
    pub(super) fn configure(o: &Options<'_>) -> Result<Self, TransformConfigError> {
        let fields: Vec<Box<str>> = o.list("fields").into_iter().map(Box::from).collect();
        if fields.is_empty() {
            return Err(o.error(
                "fields",
                "is required and must list at least one field",
                format!("set `{}`", o.key("fields")),
            ));
        }
        Ok(Self {
            fields,
            cache: SchemaCache::default(),
        })
    }

    pub(super) fn apply(&mut self, record: &mut ChangeRecord<'_>) -> Result<(), String> {
        if is_null_value(&record.value) {
            return Ok(());
        }
        let Some((schema, value)) = &record.value else {
            return Ok(());
        };
        let Datum::Struct(values) = value else {
            return Err(not_struct(Side::Value));
        };
        let names = &self.fields;
        let (key_schema, indices) = self.cache.get_or_try_insert(schema, |s| {
            let mut b = SchemaBuilder::structure();
            let mut idx = Vec::with_capacity(names.len());
            for n in names {
                let (i, f) = s
                    .field(n)
                    .ok_or_else(|| format!("field `{n}` does not exist in the value"))?;
                b = b.field(&**n, f.schema().clone());
                idx.push(i);
            }
            Ok::<_, String>((b.build().map_err(|e| e.to_string())?, idx))
        })?;
        let key = indices
            .iter()
            .map(|&i| {
                let v = values.get(i).cloned().unwrap_or(Datum::Null);
                with_default(schema.fields()[i].schema(), v)
            })
            .collect();
        record.key = Some((key_schema.clone(), Datum::structure_owned(key)));
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// ExtractField
// ---------------------------------------------------------------------------------------

/// `ExtractField$Key`/`$Value`: `field` (a top-level field; `field.syntax.version=V1`).
#[derive(Debug)]
pub(super) struct ExtractField {
    field: Box<str>,
}

impl ExtractField {
    pub(super) fn configure(o: &Options<'_>) -> Result<Self, TransformConfigError> {
        match o.string("field.syntax.version") {
            None | Some("V1") | Some("v1") => {}
            Some(_) => {
                return Err(o.error(
                    "field.syntax.version",
                    "only V1 (top-level field names) is supported",
                    "remove it or set V1",
                ));
            }
        }
        Ok(Self {
            field: Box::from(o.required("field")?),
        })
    }

    pub(super) fn apply(
        &mut self,
        side: Side,
        record: &mut ChangeRecord<'_>,
    ) -> Result<(), String> {
        let part = side.part(record);
        let Some((schema, value)) = part.take() else {
            return Ok(());
        };
        let Some((i, field)) = schema.field(&self.field) else {
            return Err(format!("unknown field `{}`", self.field));
        };
        let extracted = match value {
            Datum::Null => Datum::Null,
            other => {
                let mut fields = struct_fields(other).ok_or_else(|| not_struct(side))?;
                if i >= fields.len() {
                    return Err(not_struct(side));
                }
                with_default(field.schema(), fields.swap_remove(i))
            }
        };
        *part = Some((field.schema().clone(), extracted));
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// HoistField
// ---------------------------------------------------------------------------------------

/// `HoistField$Key`/`$Value`: `field`. Wraps the part in an unnamed, required struct with one
/// field.
#[derive(Debug)]
pub(super) struct HoistField {
    field: Box<str>,
    cache: SchemaCache<SchemaRef>,
}

impl HoistField {
    pub(super) fn configure(o: &Options<'_>) -> Result<Self, TransformConfigError> {
        Ok(Self {
            field: Box::from(o.required("field")?),
            cache: SchemaCache::default(),
        })
    }

    pub(super) fn apply(
        &mut self,
        side: Side,
        record: &mut ChangeRecord<'_>,
    ) -> Result<(), String> {
        let part = side.part(record);
        let Some((schema, value)) = part.take() else {
            return Ok(());
        };
        let name = &self.field;
        let new_schema = self
            .cache
            .get_or_try_insert(&schema, |s| {
                SchemaBuilder::structure()
                    .field(&**name, s.clone())
                    .build()
                    .map_err(|e| e.to_string())
            })?
            .clone();
        *part = Some((new_schema, Datum::structure_owned(vec![value])));
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// SetSchemaMetadata
// ---------------------------------------------------------------------------------------

/// `SetSchemaMetadata$Key`/`$Value`: `schema.name`, `schema.version`. Everything else of the
/// schema (optional, default, doc, parameters, fields) is kept.
#[derive(Debug)]
pub(super) struct SetSchemaMetadata {
    name: Option<Box<str>>,
    version: Option<i32>,
    cache: SchemaCache<SchemaRef>,
}

impl SetSchemaMetadata {
    pub(super) fn configure(o: &Options<'_>) -> Result<Self, TransformConfigError> {
        let name = o.string("schema.name").map(Box::from);
        let version = match o.string("schema.version") {
            None => None,
            Some(v) => Some(v.parse::<i32>().map_err(|_| {
                o.error(
                    "schema.version",
                    "is not an integer",
                    "give a schema version number",
                )
            })?),
        };
        if name.is_none() && version.is_none() {
            return Err(o.error(
                "schema.name",
                "neither schema name nor version is configured",
                format!(
                    "set `{}` or `{}`",
                    o.key("schema.name"),
                    o.key("schema.version")
                ),
            ));
        }
        Ok(Self {
            name,
            version,
            cache: SchemaCache::default(),
        })
    }

    pub(super) fn apply(
        &mut self,
        side: Side,
        record: &mut ChangeRecord<'_>,
    ) -> Result<(), String> {
        let part = side.part(record);
        let Some((schema, _)) = part.as_mut() else {
            return Ok(());
        };
        let (name, version) = (&self.name, self.version);
        let new_schema = self
            .cache
            .get_or_try_insert(schema, |s| {
                let mut b = copy_basics_same_type(s).optional_if(s.is_optional());
                if let Some(n) = name {
                    b = b.name(&**n);
                }
                if let Some(v) = version {
                    b = b.version(v);
                }
                if let Some(d) = s.default_value() {
                    b = b.default_value(d.clone());
                }
                b.build().map_err(|e| e.to_string())
            })?
            .clone();
        // `updateSchemaIn` rebuilds a struct with `Struct.get`, which reads defaults.
        if let Some((old, value @ Datum::Struct(_))) = part.as_mut() {
            let taken = std::mem::replace(value, Datum::Null);
            if let Some(mut fields) = struct_fields(taken) {
                for (v, f) in fields.iter_mut().zip(old.fields()) {
                    *v = with_default(f.schema(), std::mem::replace(v, Datum::Null));
                }
                *value = Datum::structure_owned(fields);
            }
        }
        if let Some((schema, _)) = part.as_mut() {
            *schema = new_schema;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Flatten
// ---------------------------------------------------------------------------------------

/// `Flatten$Key`/`$Value`: `delimiter` (default `.`). Nested struct fields become top-level
/// fields named `<parent><delimiter><child>`; a field is optional when it or any ancestor is
/// (`buildUpdatedSchema`), and takes its own default or the one its ancestors' defaults give
/// it. Arrays and maps are copied as they are. A null nested struct gives null fields.
#[derive(Debug)]
pub(super) struct Flatten {
    delimiter: Box<str>,
    cache: SchemaCache<(SchemaRef, Vec<Vec<usize>>)>,
}

impl Flatten {
    pub(super) fn configure(o: &Options<'_>) -> Result<Self, TransformConfigError> {
        Ok(Self {
            delimiter: Box::from(o.raw("delimiter").map_or(".", str::trim)),
            cache: SchemaCache::default(),
        })
    }

    pub(super) fn apply(
        &mut self,
        side: Side,
        record: &mut ChangeRecord<'_>,
    ) -> Result<(), String> {
        let part = side.part(record);
        let Some((schema, fields)) = take_struct(side, part)? else {
            return Ok(());
        };
        let delimiter = &self.delimiter;
        let (new_schema, paths) = self.cache.get_or_try_insert(&schema, |s| {
            let mut b = copy_basics(s, SchemaBuilder::structure());
            let mut paths = Vec::new();
            flatten_schema(
                s,
                "",
                delimiter,
                s.is_optional(),
                s.default_value(),
                &mut Vec::new(),
                &mut b,
                &mut paths,
            )?;
            Ok::<_, String>((b.build().map_err(|e| e.to_string())?, paths))
        })?;
        let flat = paths
            .iter()
            .map(|path| read_path(&schema, &fields, path))
            .collect();
        *part = Some((new_schema.clone(), Datum::structure_owned(flat)));
        Ok(())
    }
}

#[allow(clippy::too_many_arguments)]
fn flatten_schema(
    schema: &Schema,
    prefix: &str,
    delimiter: &str,
    optional: bool,
    parent_default: Option<&Datum<'static>>,
    path: &mut Vec<usize>,
    out: &mut SchemaBuilder,
    paths: &mut Vec<Vec<usize>>,
) -> Result<(), String> {
    for (i, f) in schema.fields().iter().enumerate() {
        let name = if prefix.is_empty() {
            f.name().to_owned()
        } else {
            format!("{prefix}{delimiter}{}", f.name())
        };
        let field_optional = optional || f.schema().is_optional();
        let default = f.schema().default_value().or(match parent_default {
            Some(Datum::Struct(values)) => values.get(i).filter(|d| !d.is_null()),
            _ => None,
        });
        path.push(i);
        if f.schema().schema_type() == SchemaType::Struct {
            flatten_schema(
                f.schema(),
                &name,
                delimiter,
                field_optional,
                default,
                path,
                out,
                paths,
            )?;
        } else {
            let mut b = copy_basics_same_type(f.schema()).optional_if(field_optional);
            if let Some(d) = default {
                b = b.default_value(d.clone());
            }
            let built = b.build().map_err(|e| format!("field `{name}`: {e}"))?;
            *out = std::mem::replace(out, SchemaBuilder::structure()).field(name, built);
            paths.push(path.clone());
        }
        path.pop();
    }
    Ok(())
}

/// The value at `path` (field indices from the top struct); null when a struct on the way is
/// null. The leaf reads its field's default like `Struct.get`.
fn read_path<'a>(schema: &Schema, fields: &[Datum<'a>], path: &[usize]) -> Datum<'a> {
    let (mut schema, mut values) = (schema, fields);
    for (depth, &i) in path.iter().enumerate() {
        let (Some(field), Some(value)) = (schema.fields().get(i), values.get(i)) else {
            return Datum::Null;
        };
        if depth + 1 == path.len() {
            return with_default(field.schema(), value.clone());
        }
        match value {
            Datum::Struct(nested) => {
                schema = field.schema();
                values = nested;
            }
            _ => return Datum::Null,
        }
    }
    Datum::Null
}
