//! Kafka Connect's `Cast$Key`/`$Value`: `spec` is either one type (the whole key/value) or
//! `field:type,…`; types `int8`, `int16`, `int32`, `int64`, `float32`, `float64`, `boolean`,
//! `string`.
//!
//! # Conversions (`Cast.castValueToType`)
//! Numbers narrow as Java's `Number.byteValue()`/`shortValue()`/`intValue()`/`longValue()`
//! do (integers wrap, floats go through `int`/`long` with saturation), widen to floats with
//! rounding to nearest; booleans become 1/0; a number is `true` when its `longValue()` is not
//! 0; strings parse strictly (`Byte.parseByte`, …, `Boolean.parseBoolean`); integers and
//! booleans print as Java does; BYTES print as base64. A cast field gets the plain target
//! schema (no name), optional when the input was, with its default cast too; the struct is
//! rebuilt with `copySchemaBasics` (required).
//!
//! # Refused (error on the first record of a schema that needs it)
//! Casting a float to string (Java's `Double.toString` digits are not reproduced here) and
//! casting Connect logical types (`Decimal`, `Date`, `Time`, `Timestamp`).

use std::borrow::Cow;

use super::config::{Options, TransformConfigError};
use super::fields::Side;
use super::schema_copy::{SchemaCache, copy_basics, with_default};
use super::{is_null_value, struct_fields};
use crate::datum::Datum;
use crate::event::ChangeRecord;
use crate::schema::{Schema, SchemaBuilder, SchemaRef, SchemaType};

/// The target of one cast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Boolean,
    String,
}

impl Target {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "int8" => Target::Int8,
            "int16" => Target::Int16,
            "int32" => Target::Int32,
            "int64" => Target::Int64,
            "float32" => Target::Float32,
            "float64" => Target::Float64,
            "boolean" => Target::Boolean,
            "string" => Target::String,
            _ => return None,
        })
    }

    fn builder(self) -> SchemaBuilder {
        match self {
            Target::Int8 => SchemaBuilder::int8(),
            Target::Int16 => SchemaBuilder::int16(),
            Target::Int32 => SchemaBuilder::int32(),
            Target::Int64 => SchemaBuilder::int64(),
            Target::Float32 => SchemaBuilder::float32(),
            Target::Float64 => SchemaBuilder::float64(),
            Target::Boolean => SchemaBuilder::boolean(),
            Target::String => SchemaBuilder::string(),
        }
    }
}

/// What `spec` asks for.
#[derive(Debug)]
enum Spec {
    Whole(Target),
    Fields(Vec<(Box<str>, Target)>),
}

/// Per input schema: the output schema and, per field, the cast to apply (`None` = keep).
#[derive(Debug)]
struct Plan {
    schema: SchemaRef,
    casts: Vec<Option<Target>>,
}

/// `org.apache.kafka.connect.transforms.Cast$Key`/`$Value`.
#[derive(Debug)]
pub(super) struct Cast {
    spec: Spec,
    cache: SchemaCache<Plan>,
}

impl Cast {
    pub(super) fn configure(o: &Options<'_>) -> Result<Self, TransformConfigError> {
        let items = o.list("spec");
        let bad = |problem: String| {
            o.error(
                "spec",
                problem,
                "use one type (int8, int16, int32, int64, float32, float64, boolean, string) or field:type pairs",
            )
        };
        if items.is_empty() {
            return Err(bad("is required and must not be empty".into()));
        }
        let spec = if items.len() == 1 && !items[0].contains(':') {
            Spec::Whole(
                Target::parse(items[0])
                    .ok_or_else(|| bad(format!("`{}` is not a type", items[0])))?,
            )
        } else {
            let mut fields = Vec::with_capacity(items.len());
            for item in items {
                let Some((field, ty)) = item.split_once(':') else {
                    return Err(bad("mixes a whole-value type with field casts".into()));
                };
                let ty =
                    Target::parse(ty.trim()).ok_or_else(|| bad(format!("`{ty}` is not a type")))?;
                fields.push((Box::from(field.trim()), ty));
            }
            Spec::Fields(fields)
        };
        Ok(Self {
            spec,
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
        let spec = &self.spec;
        let plan = self
            .cache
            .get_or_try_insert(&schema, |s| make_plan(spec, s))?;
        let out = match spec {
            Spec::Whole(target) => cast(&schema, value, *target)?,
            Spec::Fields(_) => {
                let mut fields = struct_fields(value).ok_or("a field cast needs a struct value")?;
                for ((v, f), c) in fields.iter_mut().zip(schema.fields()).zip(&plan.casts) {
                    let d = with_default(f.schema(), std::mem::replace(v, Datum::Null));
                    *v = match c {
                        Some(target) => cast(f.schema(), d, *target)
                            .map_err(|e| format!("field `{}`: {e}", f.name()))?,
                        None => d,
                    };
                }
                Datum::structure_owned(fields)
            }
        };
        *part = Some((plan.schema.clone(), out));
        Ok(())
    }
}

fn make_plan(spec: &Spec, s: &Schema) -> Result<Plan, String> {
    let cast_schema = |orig: &Schema, target: Target| -> Result<SchemaRef, String> {
        check_input(orig, target)?;
        let mut b = target.builder().optional_if(orig.is_optional());
        if let Some(d) = orig.default_value() {
            b = b.default_value(cast(orig, d.clone(), target)?.into_owned());
        }
        b.build().map_err(|e| e.to_string())
    };
    match spec {
        Spec::Whole(target) => Ok(Plan {
            schema: cast_schema(s, *target)?,
            casts: Vec::new(),
        }),
        Spec::Fields(list) => {
            if s.schema_type() != SchemaType::Struct {
                return Err("a field cast needs a struct schema".into());
            }
            let mut b = copy_basics(s, SchemaBuilder::structure());
            let mut casts = Vec::with_capacity(s.fields().len());
            for f in s.fields() {
                match list.iter().find(|(n, _)| **n == *f.name()) {
                    Some((_, target)) => {
                        let schema = cast_schema(f.schema(), *target)
                            .map_err(|e| format!("field `{}`: {e}", f.name()))?;
                        b = b.field(f.name(), schema);
                        casts.push(Some(*target));
                    }
                    None => {
                        b = b.field(f.name(), f.schema().clone());
                        casts.push(None);
                    }
                }
            }
            Ok(Plan {
                schema: b.build().map_err(|e| e.to_string())?,
                casts,
            })
        }
    }
}

fn check_input(orig: &Schema, target: Target) -> Result<(), String> {
    use crate::logical::connect;
    if let Some(name) = orig.name()
        && [
            connect::DECIMAL,
            connect::DATE,
            connect::TIME,
            connect::TIMESTAMP,
        ]
        .contains(&name)
    {
        return Err(format!(
            "casting the Connect logical type {name} is not supported"
        ));
    }
    match (orig.schema_type(), target) {
        (SchemaType::Float32 | SchemaType::Float64, Target::String) => {
            Err("casting a float to string is not supported (Java's Double.toString digits)".into())
        }
        (SchemaType::Bytes, Target::String) => Ok(()),
        (SchemaType::Bytes, _) => Err("BYTES can only be cast to string".into()),
        (SchemaType::Array | SchemaType::Map | SchemaType::Struct, _) => {
            Err(format!("{:?} values cannot be cast", orig.schema_type()))
        }
        _ => Ok(()),
    }
}

/// A numeric view of a value: integer or floating.
enum Num {
    I(i64),
    F(f64),
}

fn cast<'a>(schema: &Schema, value: Datum<'a>, target: Target) -> Result<Datum<'a>, String> {
    let num = match &value {
        Datum::Null => return Ok(Datum::Null),
        Datum::Int8(v) => Some(Num::I(i64::from(*v))),
        Datum::Int16(v) => Some(Num::I(i64::from(*v))),
        Datum::Int32(v) => Some(Num::I(i64::from(*v))),
        Datum::Int64(v) => Some(Num::I(*v)),
        Datum::Float32(v) => Some(Num::F(f64::from(*v))),
        Datum::Float64(v) => Some(Num::F(*v)),
        Datum::Boolean(b) => Some(Num::I(i64::from(*b))),
        _ => None,
    };
    let unparsable = || {
        format!(
            "the {} value cannot be parsed as {target:?}",
            schema.schema_type().json_name()
        )
    };
    // Java: long → narrower wraps; double → int/long saturates, NaN → 0, then int → narrower wraps.
    let as_i64 = |n: &Num| match n {
        Num::I(i) => *i,
        Num::F(f) => *f as i64,
    };
    let as_i32 = |n: &Num| match n {
        Num::I(i) => *i as i32,
        Num::F(f) => *f as i32,
    };
    Ok(match (target, num, value) {
        (Target::Int8, Some(n), _) => Datum::Int8(as_i32(&n) as i8),
        (Target::Int16, Some(n), _) => Datum::Int16(as_i32(&n) as i16),
        (Target::Int32, Some(n), _) => Datum::Int32(as_i32(&n)),
        (Target::Int64, Some(n), _) => Datum::Int64(as_i64(&n)),
        (Target::Float32, Some(Num::I(i)), _) => Datum::Float32(i as f32),
        (Target::Float32, Some(Num::F(f)), _) => Datum::Float32(f as f32),
        (Target::Float64, Some(Num::I(i)), _) => Datum::Float64(i as f64),
        (Target::Float64, Some(Num::F(f)), _) => Datum::Float64(f),
        (Target::Boolean, Some(n), _) => Datum::Boolean(as_i64(&n) != 0),
        (Target::String, Some(_), Datum::Boolean(b)) => {
            Datum::str(if b { "true" } else { "false" })
        }
        (Target::String, Some(Num::I(i)), _) => Datum::String(Cow::Owned(i.to_string())),
        (Target::String, Some(Num::F(_)), _) => {
            return Err("casting a float to string is not supported".into());
        }
        (Target::String, None, Datum::String(s)) => Datum::String(s),
        (Target::String, None, Datum::Bytes(b)) => {
            let mut out = Vec::new();
            crate::json::write_base64(&mut out, &b);
            Datum::String(Cow::Owned(String::from_utf8_lossy(&out).into_owned()))
        }
        (Target::Boolean, None, Datum::String(s)) => Datum::Boolean(s.eq_ignore_ascii_case("true")),
        (t, None, Datum::String(s)) => {
            let s = s.as_ref();
            match t {
                Target::Int8 => Datum::Int8(s.parse().map_err(|_| unparsable())?),
                Target::Int16 => Datum::Int16(s.parse().map_err(|_| unparsable())?),
                Target::Int32 => Datum::Int32(s.parse().map_err(|_| unparsable())?),
                Target::Int64 => Datum::Int64(s.parse().map_err(|_| unparsable())?),
                Target::Float32 => Datum::Float32(s.trim().parse().map_err(|_| unparsable())?),
                Target::Float64 => Datum::Float64(s.trim().parse().map_err(|_| unparsable())?),
                Target::Boolean | Target::String => return Err(unparsable()),
            }
        }
        (_, None, other) => {
            return Err(format!(
                "a {} value cannot be cast to {target:?}",
                other.kind_name()
            ));
        }
    })
}
