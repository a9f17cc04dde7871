//! Kafka Connect values: what a [`Schema`](crate::schema::Schema) describes and the
//! converters serialise.
//!
//! # Why borrowed
//! A change event is built and serialised once, then dropped. [`Datum`] borrows strings,
//! bytes (`Cow`) and child values ([`Seq`]), so the envelope builder can point at the decoded row's
//! [`Value`](crate::value::Value)s instead of copying each field, and can lay a struct out as
//! one `Vec<Datum>` (or a stack array) in schema field order: no per-field allocation and no
//! field-name lookups. Owned children are allowed too (`Seq::Owned`), which keeps schema
//! defaults (`Datum<'static>`) and tests simple.
//!
//! Logical types carry their Connect encoding: `Decimal` is [`Datum::Bytes`] holding the
//! minimal two's complement unscaled value, `Date` an [`Datum::Int32`] of days, and so on.
//! The type mapping produces those; the converters never interpret names except to follow
//! Connect's own rules.

use std::borrow::Cow;
use std::ops::Deref;

/// A borrowed or owned sequence: `Cow<'a, [T]>` without its invariance.
///
/// `Cow<'a, [Datum<'a>]>` would make [`Datum`] invariant in `'a` (the owned type is an
/// associated-type projection), so a `Datum<'static>` could not sit inside a shorter-lived
/// struct value. This enum is covariant.
#[derive(Debug, Clone, PartialEq)]
pub enum Seq<'a, T> {
    /// Points at values that live elsewhere (a row, a stack array).
    Borrowed(&'a [T]),
    /// Owns its values.
    Owned(Vec<T>),
}

impl<T> Deref for Seq<'_, T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match self {
            Seq::Borrowed(items) => items,
            Seq::Owned(items) => items,
        }
    }
}

/// A Kafka Connect value. Composite values list their children in schema order.
#[derive(Debug, Clone, PartialEq)]
pub enum Datum<'a> {
    /// Null: written as JSON `null`, or replaced by the schema's default.
    Null,
    /// BOOLEAN.
    Boolean(bool),
    /// INT8.
    Int8(i8),
    /// INT16.
    Int16(i16),
    /// INT32 (also Connect `Date`/`Time`, Debezium `Date`, `Time`, `Year`).
    Int32(i32),
    /// INT64 (also Connect `Timestamp`, Debezium `MicroTime`, `*Timestamp`, `MicroDuration`).
    Int64(i64),
    /// FLOAT32.
    Float32(f32),
    /// FLOAT64.
    Float64(f64),
    /// STRING.
    String(Cow<'a, str>),
    /// BYTES (also Connect `Decimal`: minimal big-endian two's complement unscaled value).
    Bytes(Cow<'a, [u8]>),
    /// ARRAY: the elements.
    Array(Seq<'a, Datum<'a>>),
    /// MAP: key/value pairs in the order they are written.
    Map(Seq<'a, (Datum<'a>, Datum<'a>)>),
    /// STRUCT: one value per schema field, in the schema's field order.
    Struct(Seq<'a, Datum<'a>>),
}

impl<'a> Datum<'a> {
    /// A borrowed string.
    pub fn str(s: &'a str) -> Self {
        Datum::String(Cow::Borrowed(s))
    }

    /// Borrowed bytes.
    pub fn bytes(b: &'a [u8]) -> Self {
        Datum::Bytes(Cow::Borrowed(b))
    }

    /// A struct over borrowed field values (schema order).
    pub fn structure(fields: &'a [Datum<'a>]) -> Self {
        Datum::Struct(Seq::Borrowed(fields))
    }

    /// A struct owning its field values (schema order).
    pub fn structure_owned(fields: Vec<Datum<'a>>) -> Self {
        Datum::Struct(Seq::Owned(fields))
    }

    /// An array owning its elements.
    pub fn array_owned(items: Vec<Datum<'a>>) -> Self {
        Datum::Array(Seq::Owned(items))
    }

    /// A map owning its entries.
    pub fn map_owned(entries: Vec<(Datum<'a>, Datum<'a>)>) -> Self {
        Datum::Map(Seq::Owned(entries))
    }

    /// Whether this is [`Datum::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Datum::Null)
    }

    /// The kind's name, for error messages ("found string where int32 was expected").
    pub fn kind_name(&self) -> &'static str {
        match self {
            Datum::Null => "null",
            Datum::Boolean(_) => "boolean",
            Datum::Int8(_) => "int8",
            Datum::Int16(_) => "int16",
            Datum::Int32(_) => "int32",
            Datum::Int64(_) => "int64",
            Datum::Float32(_) => "float32",
            Datum::Float64(_) => "float64",
            Datum::String(_) => "string",
            Datum::Bytes(_) => "bytes",
            Datum::Array(_) => "array",
            Datum::Map(_) => "map",
            Datum::Struct(_) => "struct",
        }
    }

    /// A copy that owns all its data, e.g. to keep a value as a schema default.
    pub fn into_owned(self) -> Datum<'static> {
        match self {
            Datum::Null => Datum::Null,
            Datum::Boolean(v) => Datum::Boolean(v),
            Datum::Int8(v) => Datum::Int8(v),
            Datum::Int16(v) => Datum::Int16(v),
            Datum::Int32(v) => Datum::Int32(v),
            Datum::Int64(v) => Datum::Int64(v),
            Datum::Float32(v) => Datum::Float32(v),
            Datum::Float64(v) => Datum::Float64(v),
            Datum::String(s) => Datum::String(Cow::Owned(s.into_owned())),
            Datum::Bytes(b) => Datum::Bytes(Cow::Owned(b.into_owned())),
            Datum::Array(items) => Datum::Array(Seq::Owned(owned_all(items))),
            Datum::Struct(fields) => Datum::Struct(Seq::Owned(owned_all(fields))),
            Datum::Map(entries) => Datum::Map(Seq::Owned(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone().into_owned(), v.clone().into_owned()))
                    .collect(),
            )),
        }
    }
}

fn owned_all(items: Seq<'_, Datum<'_>>) -> Vec<Datum<'static>> {
    match items {
        Seq::Borrowed(items) => items.iter().map(|d| d.clone().into_owned()).collect(),
        Seq::Owned(items) => items.into_iter().map(Datum::into_owned).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn into_owned_keeps_the_value() {
        let text = String::from("héllo");
        let inner = [Datum::str(&text), Datum::Int32(7)];
        let d = Datum::structure_owned(vec![
            Datum::structure(&inner),
            Datum::map_owned(vec![(Datum::str("k"), Datum::bytes(b"v"))]),
            Datum::array_owned(vec![Datum::Null, Datum::Float64(f64::INFINITY)]),
        ]);
        let owned: Datum<'static> = d.clone().into_owned();
        drop(text);
        assert_eq!(owned.kind_name(), "struct");
        let Datum::Struct(fields) = &owned else {
            panic!("not a struct")
        };
        assert_eq!(
            fields[0],
            Datum::structure_owned(vec![Datum::str("héllo"), Datum::Int32(7)])
        );
        assert_eq!(fields.len(), 3);
    }

    #[test]
    fn datum_is_covariant() {
        // A 'static value (a schema default, a constant) must fit inside a borrowed struct.
        fn shorten<'a>(d: Datum<'static>) -> Datum<'a> {
            d
        }
        let local = String::from("x");
        let fields = [shorten(Datum::Int32(1)), Datum::str(&local)];
        assert_eq!(Datum::structure(&fields).kind_name(), "struct");
    }

    #[test]
    fn datum_stays_small() {
        assert!(
            std::mem::size_of::<Datum<'_>>() <= 32,
            "{}",
            std::mem::size_of::<Datum<'_>>()
        );
    }
}
