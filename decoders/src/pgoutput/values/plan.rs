//! A column's type resolved once into how its text is read.

use tributary_envelope::Value;

use super::super::Oid;
use super::catalog::{self as oid, builtin_array_element, builtin_delimiter};
use super::error::ValueError;
use super::resolver::{TypeResolver, UserType};
use super::{arrays, bits, geometric, interval, numeric, temporal, text};

/// How deep domains and arrays may nest before a type counts as unknown: real catalogs
/// stay far below, a cyclic or hostile resolver must not recurse forever.
const MAX_TYPE_DEPTH: u32 = 16;

/// How one value's text is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Kind {
    Bool,
    Int2,
    Int4,
    Int8,
    /// `oid`: unsigned 32-bit, widened to `Int64` as Debezium does.
    Oid,
    Float4,
    Float8,
    Numeric,
    Money,
    /// Character data and types Debezium writes as strings (network, ranges, tsvector,
    /// geometric types other than `point`, `xml`, `hstore`, ...).
    Text,
    Json,
    Bytea,
    Uuid,
    Date,
    Time,
    TimeTz,
    Timestamp,
    TimestampTz,
    Interval,
    Bits,
    Point,
    Geometry,
    Enum,
    /// A type nobody described: its text as `Value::Unknown`.
    Unknown,
    Array {
        element: Box<Kind>,
        delimiter: u8,
    },
}

impl Kind {
    fn name(&self) -> String {
        let name = match self {
            Kind::Bool => "bool",
            Kind::Int2 => "int2",
            Kind::Int4 => "int4",
            Kind::Int8 => "int8",
            Kind::Oid => "oid",
            Kind::Float4 => "float4",
            Kind::Float8 => "float8",
            Kind::Numeric => "numeric",
            Kind::Money => "money",
            Kind::Text => "text",
            Kind::Json => "json",
            Kind::Bytea => "bytea",
            Kind::Uuid => "uuid",
            Kind::Date => "date",
            Kind::Time => "time",
            Kind::TimeTz => "timetz",
            Kind::Timestamp => "timestamp",
            Kind::TimestampTz => "timestamptz",
            Kind::Interval => "interval",
            Kind::Bits => "bit",
            Kind::Point => "point",
            Kind::Geometry => "geometry",
            Kind::Enum => "enum",
            Kind::Unknown => "unknown type",
            Kind::Array { element, .. } => return format!("{}[]", element.name()),
        };
        name.to_owned()
    }

    /// Whether the decoded value is the (unescaped) text itself, so an array element can be
    /// unescaped straight into the value's own string.
    pub(super) fn is_textual(&self) -> bool {
        matches!(self, Kind::Text | Kind::Json | Kind::Enum | Kind::Unknown)
    }

    /// The value for text that is already unescaped and owned (only for
    /// [`Kind::is_textual`] kinds).
    pub(super) fn textual_value(&self, s: String) -> Value {
        let s = s.into_boxed_str();
        match self {
            Kind::Json => Value::Json(s),
            Kind::Enum => Value::Enum(s),
            Kind::Unknown => Value::Unknown(s),
            _ => Value::Text(s),
        }
    }

    /// Reads one value of this kind.
    pub(super) fn decode(&self, t: &[u8]) -> Result<Value, &'static str> {
        match self {
            Kind::Bool => numeric::bool(t),
            Kind::Int2 => numeric::int2(t),
            Kind::Int4 => numeric::int4(t),
            Kind::Int8 => numeric::int8(t),
            Kind::Oid => numeric::oid(t),
            Kind::Float4 => numeric::float4(t),
            Kind::Float8 => numeric::float8(t),
            Kind::Numeric => numeric::numeric(t),
            Kind::Money => numeric::money(t),
            Kind::Text => text::utf8(t).map(|s| Value::Text(s.into())),
            Kind::Json => text::utf8(t).map(|s| Value::Json(s.into())),
            Kind::Enum => text::utf8(t).map(|s| Value::Enum(s.into())),
            Kind::Unknown => text::utf8(t).map(|s| Value::Unknown(s.into())),
            Kind::Bytea => text::bytea(t),
            Kind::Uuid => text::uuid(t),
            Kind::Date => temporal::date(t),
            Kind::Time => temporal::time(t),
            Kind::TimeTz => temporal::timetz(t),
            Kind::Timestamp => temporal::timestamp(t),
            Kind::TimestampTz => temporal::timestamptz(t),
            Kind::Interval => interval::interval(t),
            Kind::Bits => bits::bits(t),
            Kind::Point => geometric::point(t),
            Kind::Geometry => geometric::geometry(t),
            Kind::Array { element, delimiter } => arrays::array(t, element, *delimiter),
        }
    }
}

fn builtin_scalar(type_oid: Oid) -> Option<Kind> {
    Some(match type_oid {
        oid::BOOL => Kind::Bool,
        oid::INT2 => Kind::Int2,
        oid::INT4 => Kind::Int4,
        oid::INT8 => Kind::Int8,
        oid::OID => Kind::Oid,
        oid::FLOAT4 => Kind::Float4,
        oid::FLOAT8 => Kind::Float8,
        oid::NUMERIC => Kind::Numeric,
        oid::MONEY => Kind::Money,
        oid::JSON | oid::JSONB => Kind::Json,
        oid::BYTEA => Kind::Bytea,
        oid::UUID => Kind::Uuid,
        oid::DATE => Kind::Date,
        oid::TIME => Kind::Time,
        oid::TIMETZ => Kind::TimeTz,
        oid::TIMESTAMP => Kind::Timestamp,
        oid::TIMESTAMPTZ => Kind::TimestampTz,
        oid::INTERVAL => Kind::Interval,
        oid::BIT | oid::VARBIT => Kind::Bits,
        oid::POINT => Kind::Point,
        oid::CHAR
        | oid::NAME
        | oid::TEXT
        | oid::BPCHAR
        | oid::VARCHAR
        | oid::XML
        | oid::JSONPATH
        | oid::INET
        | oid::CIDR
        | oid::MACADDR
        | oid::MACADDR8
        | oid::TSVECTOR
        | oid::TSQUERY
        | oid::LSEG
        | oid::PATH
        | oid::BOX
        | oid::POLYGON
        | oid::LINE
        | oid::CIRCLE
        | oid::INT4RANGE
        | oid::INT8RANGE
        | oid::NUMRANGE
        | oid::TSRANGE
        | oid::TSTZRANGE
        | oid::DATERANGE
        | oid::INT4MULTIRANGE
        | oid::INT8MULTIRANGE
        | oid::NUMMULTIRANGE
        | oid::TSMULTIRANGE
        | oid::TSTZMULTIRANGE
        | oid::DATEMULTIRANGE => Kind::Text,
        _ => return None,
    })
}

/// Reads the text values of one column type. Build once per column (per Relation
/// message), then [`decode`](Self::decode) each value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextDecoder {
    type_oid: Oid,
    kind: Kind,
    /// The innermost type oid that nobody described, if any.
    unknown: Option<Oid>,
}

impl TextDecoder {
    /// Plans type `type_oid` with modifier `typmod`: built-in types first, then `types`
    /// for enums, domains, user arrays and extension types.
    ///
    /// The modifier does not change how text is read (the output functions already apply
    /// `numeric` scale, `bit(n)` length, `timestamp(p)` precision); it is accepted so a
    /// domain's base modifier can flow through unchanged.
    pub fn new(type_oid: Oid, typmod: i32, types: &dyn TypeResolver) -> Self {
        let _ = typmod;
        let mut unknown = None;
        let kind = plan(type_oid, types, 0, &mut unknown);
        Self {
            type_oid,
            kind,
            unknown,
        }
    }

    /// The type oid this decoder was planned for.
    pub fn type_oid(&self) -> Oid {
        self.type_oid
    }

    /// The oid of a type no one described (the column's own type, or the element or base
    /// type inside it), whose values therefore decode to `Value::Unknown` text. The caller
    /// warns about it once per column; nothing here logs.
    pub fn unknown_type(&self) -> Option<Oid> {
        self.unknown
    }

    /// Decodes one text value.
    pub fn decode(&self, text: &[u8]) -> Result<Value, ValueError> {
        self.kind
            .decode(text)
            .map_err(|reason| ValueError::new(self.type_oid, self.kind.name(), text, reason))
    }
}

fn plan(type_oid: Oid, types: &dyn TypeResolver, depth: u32, unknown: &mut Option<Oid>) -> Kind {
    if let Some(kind) = builtin_scalar(type_oid) {
        return kind;
    }
    if depth >= MAX_TYPE_DEPTH {
        *unknown = Some(type_oid);
        return Kind::Unknown;
    }
    if let Some(element) = builtin_array_element(type_oid) {
        return Kind::Array {
            element: Box::new(plan(element, types, depth + 1, unknown)),
            delimiter: builtin_delimiter(element),
        };
    }
    match types.user_type(type_oid) {
        Some(UserType::Enum) => Kind::Enum,
        Some(UserType::Domain { base_oid, .. }) => plan(base_oid, types, depth + 1, unknown),
        Some(UserType::Array {
            element_oid,
            delimiter,
        }) => Kind::Array {
            element: Box::new(plan(element_oid, types, depth + 1, unknown)),
            delimiter,
        },
        Some(UserType::Text) => Kind::Text,
        Some(UserType::Geometry) => Kind::Geometry,
        None => {
            *unknown = Some(type_oid);
            Kind::Unknown
        }
    }
}
