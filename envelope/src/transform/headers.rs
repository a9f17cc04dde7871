//! Header transforms: Kafka Connect's `InsertHeader`, `DropHeaders` and `HeaderFrom`
//! (KIP-145).

use super::config::{Options, TransformConfigError};
use super::fields::Side;
use super::schema_copy::{SchemaCache, copy_basics, intern, with_default};
use super::{is_null_value, struct_fields};
use crate::datum::Datum;
use crate::event::{ChangeRecord, Header};
use crate::schema::{SchemaBuilder, SchemaRef};

/// `org.apache.kafka.connect.transforms.InsertHeader`: `header`, `value.literal`.
///
/// The literal's schema is inferred as Connect's `Values.parseString` does for the forms
/// supported here: `true`/`false` → BOOLEAN, an integer → the smallest of INT8, INT16, INT32,
/// INT64 that holds it, anything else → STRING. Literals Connect would parse as a float,
/// decimal, date, time, timestamp, array or map are refused at configuration time.
#[derive(Debug)]
pub(super) struct InsertHeader {
    name: &'static str,
    schema: SchemaRef,
    value: Datum<'static>,
}

impl InsertHeader {
    pub(super) fn configure(o: &Options<'_>) -> Result<Self, TransformConfigError> {
        let name = intern(o.required("header")?);
        let literal = o.raw("value.literal").map(str::trim).ok_or_else(|| {
            o.error(
                "value.literal",
                "is required and missing",
                format!("set `{}`", o.key("value.literal")),
            )
        })?;
        let (builder, value) = parse_literal(literal).ok_or_else(|| {
            o.error(
                "value.literal",
                "would be parsed by Connect as a float, decimal, temporal, array or map value, which Tributary does not infer",
                "use a boolean, an integer or plain text",
            )
        })?;
        let schema = builder.build().map_err(|e| {
            o.error(
                "value.literal",
                e.to_string(),
                "use a boolean, an integer or plain text",
            )
        })?;
        Ok(Self {
            name,
            schema,
            value,
        })
    }

    pub(super) fn apply(&self, record: &mut ChangeRecord<'_>) -> Result<(), String> {
        record.headers.push(Header {
            name: self.name,
            schema: self.schema.clone(),
            value: self.value.clone(),
        });
        Ok(())
    }
}

fn parse_literal(text: &str) -> Option<(SchemaBuilder, Datum<'static>)> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("true") || t.eq_ignore_ascii_case("false") {
        return Some((
            SchemaBuilder::boolean(),
            Datum::Boolean(t.eq_ignore_ascii_case("true")),
        ));
    }
    if let Ok(n) = t.parse::<i64>() {
        return Some(if let Ok(v) = i8::try_from(n) {
            (SchemaBuilder::int8(), Datum::Int8(v))
        } else if let Ok(v) = i16::try_from(n) {
            (SchemaBuilder::int16(), Datum::Int16(v))
        } else if let Ok(v) = i32::try_from(n) {
            (SchemaBuilder::int32(), Datum::Int32(v))
        } else {
            (SchemaBuilder::int64(), Datum::Int64(n))
        });
    }
    let looks_numeric = t.parse::<f64>().is_ok() && t.chars().any(|c| c.is_ascii_digit());
    let bytes = t.as_bytes();
    let looks_temporal = bytes.len() >= 8
        && ((bytes.len() >= 10
            && bytes[..4].iter().all(u8::is_ascii_digit)
            && bytes[4] == b'-'
            && bytes[7] == b'-')
            || (bytes[..2].iter().all(u8::is_ascii_digit) && bytes[2] == b':'));
    let composite = t.starts_with('[') || t.starts_with('{');
    if looks_numeric || looks_temporal || composite {
        return None;
    }
    Some((SchemaBuilder::string(), Datum::str(intern(text))))
}

/// `org.apache.kafka.connect.transforms.DropHeaders`: `headers` (every header with one of
/// these names is removed).
#[derive(Debug)]
pub(super) struct DropHeaders {
    names: Vec<Box<str>>,
}

impl DropHeaders {
    pub(super) fn configure(o: &Options<'_>) -> Result<Self, TransformConfigError> {
        let names: Vec<Box<str>> = o.list("headers").into_iter().map(Box::from).collect();
        if names.is_empty() {
            return Err(o.error(
                "headers",
                "is required and must list at least one header name",
                format!("set `{}`", o.key("headers")),
            ));
        }
        Ok(Self { names })
    }

    pub(super) fn apply(&self, record: &mut ChangeRecord<'_>) {
        record
            .headers
            .retain(|h| !self.names.iter().any(|n| **n == *h.name));
    }
}

/// `HeaderFrom$Key`/`$Value`: `fields`, `headers` (same length), `operation` (`move` or
/// `copy`). Each header takes the field's schema and value (`Struct.get`, so a null reads as
/// the default); `move` also removes the fields, rebuilding the struct with
/// `copySchemaBasics` (required).
#[derive(Debug)]
pub(super) struct HeaderFrom {
    fields: Vec<Box<str>>,
    headers: Vec<&'static str>,
    moving: bool,
    cache: SchemaCache<HeaderFromPlan>,
}

/// Per input schema: the headers' field indices and schemas, and for `move` the remaining
/// schema with the indices it keeps.
#[derive(Debug)]
struct HeaderFromPlan {
    headers: Vec<(&'static str, usize, SchemaRef)>,
    moved: Option<(SchemaRef, Vec<usize>)>,
}

impl HeaderFrom {
    pub(super) fn configure(o: &Options<'_>) -> Result<Self, TransformConfigError> {
        let fields: Vec<Box<str>> = o.list("fields").into_iter().map(Box::from).collect();
        let headers: Vec<&'static str> = o.list("headers").into_iter().map(intern).collect();
        if fields.is_empty() {
            return Err(o.error(
                "fields",
                "is required and must list at least one field",
                format!("set `{}`", o.key("fields")),
            ));
        }
        if headers.len() != fields.len() {
            return Err(o.error(
                "headers",
                "must have the same number of elements as `fields`",
                "list one header name per field, in the same order",
            ));
        }
        let moving = match o.string("operation") {
            Some("move") => true,
            Some("copy") => false,
            _ => {
                return Err(o.error(
                    "operation",
                    "must be `move` or `copy`",
                    format!("set `{}`", o.key("operation")),
                ));
            }
        };
        Ok(Self {
            fields,
            headers,
            moving,
            cache: SchemaCache::default(),
        })
    }

    pub(super) fn apply(
        &mut self,
        side: Side,
        record: &mut ChangeRecord<'_>,
    ) -> Result<(), String> {
        let part = match side {
            Side::Key => &mut record.key,
            Side::Value => &mut record.value,
        };
        if is_null_value(part) {
            return Ok(());
        }
        let Some((schema, value)) = part.take() else {
            return Ok(());
        };
        let (fields, headers, moving) = (&self.fields, &self.headers, self.moving);
        let plan = self.cache.get_or_try_insert(&schema, |s| {
            let mut hs = Vec::with_capacity(fields.len());
            for (f, h) in fields.iter().zip(headers) {
                let (i, field) = s
                    .field(f)
                    .ok_or_else(|| format!("field `{f}` does not exist"))?;
                hs.push((*h, i, field.schema().clone()));
            }
            let moved = if moving {
                let mut kept = Vec::new();
                let mut b = copy_basics(s, SchemaBuilder::structure());
                for (i, f) in s.fields().iter().enumerate() {
                    if !fields.iter().any(|n| **n == *f.name()) {
                        b = b.field(f.name(), f.schema().clone());
                        kept.push(i);
                    }
                }
                Some((b.build().map_err(|e| e.to_string())?, kept))
            } else {
                None
            };
            Ok::<_, String>(HeaderFromPlan { headers: hs, moved })
        })?;
        let values = struct_fields(value).ok_or("the record part is not a struct")?;
        for (name, i, field_schema) in &plan.headers {
            let v = values.get(*i).cloned().unwrap_or(Datum::Null);
            record.headers.push(Header {
                name,
                schema: field_schema.clone(),
                value: with_default(field_schema, v),
            });
        }
        let part = match side {
            Side::Key => &mut record.key,
            Side::Value => &mut record.value,
        };
        *part = Some(match &plan.moved {
            Some((moved_schema, kept)) => {
                let mut values = values;
                let out = kept
                    .iter()
                    .map(|&i| {
                        with_default(
                            schema.fields()[i].schema(),
                            std::mem::replace(&mut values[i], Datum::Null),
                        )
                    })
                    .collect();
                (moved_schema.clone(), Datum::structure_owned(out))
            }
            None => (schema, Datum::structure_owned(values)),
        });
        Ok(())
    }
}
