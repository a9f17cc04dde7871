//! The connector properties that change what a change event looks like.
//!
//! # Same names as Debezium
//! A user moves from Debezium by pointing Tributary at the same connector properties, so each
//! field documents the Debezium property it reads and [`EnvelopeOptions::from_properties`]
//! parses exactly those names and values. Properties this crate does not use (connection
//! settings, filters) are ignored here; the runtime validates them elsewhere. A bad value is
//! an [`OptionsError`] naming the property, the value and what is allowed.

use std::collections::BTreeSet;

use regex::Regex;

use crate::table::ConnectorKind;

/// `decimal.handling.mode`: how `numeric`/`DECIMAL` (and PostgreSQL `money`) are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecimalHandlingMode {
    /// `precise` (default): Connect `Decimal` (BYTES), or `VariableScaleDecimal` for a
    /// PostgreSQL `numeric` without a declared scale.
    #[default]
    Precise,
    /// `double`: FLOAT64, losing precision.
    Double,
    /// `string`: STRING as Java's `BigDecimal.toString()` writes it.
    String,
}

/// `time.precision.mode`: how temporal values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimePrecisionMode {
    /// `adaptive` (PostgreSQL default): the Debezium type follows the column's precision
    /// (`Time`/`MicroTime`, `Timestamp`/`MicroTimestamp`).
    Adaptive,
    /// `adaptive_time_microseconds` (MySQL/MariaDB default): as `adaptive`, but every TIME is
    /// `MicroTime`.
    AdaptiveTimeMicroseconds,
    /// `connect`: Kafka Connect's `Date`, `Time`, `Timestamp` (millisecond precision).
    Connect,
}

/// `binary.handling.mode`: how binary columns (`bytea`, `BLOB`, ...) are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BinaryHandlingMode {
    /// `bytes` (default): BYTES.
    #[default]
    Bytes,
    /// `base64`: STRING, standard alphabet with padding.
    Base64,
    /// `base64-url-safe`: STRING, URL-safe alphabet with padding (Java's `getUrlEncoder`).
    Base64UrlSafe,
    /// `hex`: STRING, lower-case hex.
    Hex,
}

/// `bigint.unsigned.handling.mode` (MySQL/MariaDB): how `BIGINT UNSIGNED` is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BigIntUnsignedHandlingMode {
    /// `long` (default): INT64; values above `i64::MAX` wrap to negative, as in Debezium.
    #[default]
    Long,
    /// `precise`: Connect `Decimal` with scale 0 and precision 20.
    Precise,
}

/// `interval.handling.mode` (PostgreSQL): how `interval` is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IntervalHandlingMode {
    /// `numeric` (default): INT64 `MicroDuration`, a month counted as 365.25/12 days.
    #[default]
    Numeric,
    /// `string`: STRING `Interval`, ISO-8601 `P<y>Y<m>M<d>DT<h>H<m>M<s>S`.
    String,
}

/// `hstore.handling.mode` (PostgreSQL): how `hstore` is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HstoreHandlingMode {
    /// `json` (default): STRING `io.debezium.data.Json` holding a JSON object.
    #[default]
    Json,
    /// `map`: MAP from STRING to optional STRING.
    Map,
}

/// A row operation as Debezium names it in `skipped.operations` and the `op` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operation {
    /// `c`: insert.
    Create,
    /// `u`: update.
    Update,
    /// `d`: delete.
    Delete,
    /// `r`: snapshot read.
    Read,
    /// `t`: truncate.
    Truncate,
}

impl Operation {
    /// The one-letter code written in `op`.
    pub fn code(self) -> &'static str {
        match self {
            Operation::Create => "c",
            Operation::Update => "u",
            Operation::Delete => "d",
            Operation::Read => "r",
            Operation::Truncate => "t",
        }
    }
}

/// A bad connector property.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid value {value:?} for connector property `{property}`: {allowed}")]
pub struct OptionsError {
    /// The property name (`decimal.handling.mode`).
    pub property: &'static str,
    /// The value given, cut to 200 characters.
    pub value: String,
    /// What would have been accepted.
    pub allowed: String,
}

impl OptionsError {
    pub(crate) fn new(property: &'static str, value: &str, allowed: impl Into<String>) -> Self {
        Self {
            property,
            value: value.chars().take(200).collect(),
            allowed: allowed.into(),
        }
    }
}

/// One `message.key.columns` rule: tables whose `<namespace>.<table>` fully matches
/// `table`, and the columns that form their key.
#[derive(Debug, Clone)]
pub struct MessageKeyRule {
    /// Anchored, case-insensitive pattern over `<namespace>.<table>`.
    pub table: Regex,
    /// Key column names, in the order given.
    pub columns: Vec<Box<str>>,
}

/// The connector properties that shape change events, validated once.
#[derive(Debug, Clone)]
pub struct EnvelopeOptions {
    /// The connector being replaced; decides defaults and the `source` block.
    pub connector: ConnectorKind,
    /// `topic.prefix` (required): the first part of every topic and schema name, and
    /// `source.name`.
    pub topic_prefix: Box<str>,
    /// `database.dbname` (PostgreSQL): `source.db` for every event. MySQL takes `source.db`
    /// from each table's database instead.
    pub database_name: Box<str>,
    /// `decimal.handling.mode` (default `precise`).
    pub decimal_handling_mode: DecimalHandlingMode,
    /// `time.precision.mode` (default `adaptive` for PostgreSQL, `adaptive_time_microseconds`
    /// for MySQL/MariaDB).
    pub time_precision_mode: TimePrecisionMode,
    /// `binary.handling.mode` (default `bytes`).
    pub binary_handling_mode: BinaryHandlingMode,
    /// `bigint.unsigned.handling.mode` (MySQL/MariaDB; default `long`).
    pub bigint_unsigned_handling_mode: BigIntUnsignedHandlingMode,
    /// `interval.handling.mode` (PostgreSQL; default `numeric`).
    pub interval_handling_mode: IntervalHandlingMode,
    /// `hstore.handling.mode` (PostgreSQL; default `json`).
    pub hstore_handling_mode: HstoreHandlingMode,
    /// `money.fraction.digits` (PostgreSQL; default 2): the scale of `money` as a Decimal.
    pub money_fraction_digits: i32,
    /// `tombstones.on.delete` (default true): follow each delete with a tombstone so log
    /// compaction can drop the key.
    pub tombstones_on_delete: bool,
    /// `skipped.operations` (default `t`): operations not emitted. `none` empties the set.
    pub skipped_operations: BTreeSet<Operation>,
    /// `unavailable.value.placeholder` (default `__debezium_unavailable_value`) as bytes: a
    /// `hex:` prefix means the rest is hex. Replaces unchanged TOASTed PostgreSQL values.
    pub unavailable_value_placeholder: Box<[u8]>,
    /// `provide.transaction.metadata` (default false): fill the envelope's `transaction`
    /// block and emit BEGIN/END records on `<prefix>.<topic.transaction>`.
    pub provide_transaction_metadata: bool,
    /// `topic.transaction` (default `transaction`): suffix of the transaction topic.
    pub topic_transaction: Box<str>,
    /// `topic.heartbeat.prefix` (default `__debezium-heartbeat`): heartbeat topic prefix.
    pub topic_heartbeat_prefix: Box<str>,
    /// `message.key.columns`: per-table key columns replacing the primary key.
    pub message_key_columns: Vec<MessageKeyRule>,
    /// `include.unknown.datatypes` (default false): keep columns of types Debezium does not
    /// know, as `binary.handling.mode` data of their text; otherwise they are left out.
    pub include_unknown_datatypes: bool,
    /// `source.version` (Tributary-specific): the string written in `source.version`, where
    /// Debezium writes its own release.
    pub source_version: Box<str>,
    /// `column.include.list`/`column.exclude.list`, `column.mask.with.<N>.chars`,
    /// `column.truncate.to.<N>.chars`.
    pub columns: crate::columns::ColumnPolicy,
}

/// The placeholder Debezium writes for unchanged TOASTed values by default.
pub const DEFAULT_UNAVAILABLE_VALUE_PLACEHOLDER: &str = "__debezium_unavailable_value";

/// Every connector property this crate reads. `from_properties` skips any other key
/// before matching, so an option missing here is never applied (and the engine's
/// configuration reference is checked against this list).
pub const PROPERTY_NAMES: &[&str] = &[
    "topic.prefix",
    "database.dbname",
    "decimal.handling.mode",
    "time.precision.mode",
    "binary.handling.mode",
    "bigint.unsigned.handling.mode",
    "interval.handling.mode",
    "hstore.handling.mode",
    "money.fraction.digits",
    "tombstones.on.delete",
    "provide.transaction.metadata",
    "include.unknown.datatypes",
    "skipped.operations",
    "unavailable.value.placeholder",
    "topic.transaction",
    "topic.heartbeat.prefix",
    "message.key.columns",
    "source.version",
];

/// What `source.version` holds unless `source.version` is set.
pub const DEFAULT_SOURCE_VERSION: &str = concat!("tributary-", env!("CARGO_PKG_VERSION"));

impl EnvelopeOptions {
    /// Debezium's defaults for `connector` with the given `topic.prefix`.
    pub fn new(connector: ConnectorKind, topic_prefix: &str) -> Result<Self, OptionsError> {
        Self::from_properties(connector, [("topic.prefix", topic_prefix)])
    }

    /// Reads the properties this crate uses from a connector configuration, with Debezium's
    /// defaults for the missing ones. Unrelated properties are ignored.
    pub fn from_properties<'a, I>(
        connector: ConnectorKind,
        properties: I,
    ) -> Result<Self, OptionsError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut o = EnvelopeOptions {
            connector,
            topic_prefix: Box::from(""),
            database_name: Box::from(""),
            decimal_handling_mode: DecimalHandlingMode::Precise,
            time_precision_mode: if connector.is_binlog() {
                TimePrecisionMode::AdaptiveTimeMicroseconds
            } else {
                TimePrecisionMode::Adaptive
            },
            binary_handling_mode: BinaryHandlingMode::Bytes,
            bigint_unsigned_handling_mode: BigIntUnsignedHandlingMode::Long,
            interval_handling_mode: IntervalHandlingMode::Numeric,
            hstore_handling_mode: HstoreHandlingMode::Json,
            money_fraction_digits: 2,
            tombstones_on_delete: true,
            skipped_operations: BTreeSet::from([Operation::Truncate]),
            unavailable_value_placeholder: Box::from(
                DEFAULT_UNAVAILABLE_VALUE_PLACEHOLDER.as_bytes(),
            ),
            provide_transaction_metadata: false,
            topic_transaction: Box::from("transaction"),
            topic_heartbeat_prefix: Box::from("__debezium-heartbeat"),
            message_key_columns: Vec::new(),
            include_unknown_datatypes: false,
            source_version: Box::from(DEFAULT_SOURCE_VERSION),
            columns: crate::columns::ColumnPolicy::default(),
        };
        let mut prefix_seen = false;
        let mut column_options: Vec<(&str, &str)> = Vec::new();
        for (key, raw) in properties {
            if crate::columns::ColumnPolicy::is_column_option(key) {
                column_options.push((key, raw));
                continue;
            }
            if !PROPERTY_NAMES.contains(&key) {
                continue;
            }
            let value = raw.trim();
            match key {
                "topic.prefix" => {
                    o.topic_prefix = parse_topic_name("topic.prefix", value)?.into();
                    prefix_seen = true;
                }
                "database.dbname" => o.database_name = value.into(),
                "decimal.handling.mode" => {
                    o.decimal_handling_mode = match value.to_ascii_lowercase().as_str() {
                        "precise" => DecimalHandlingMode::Precise,
                        "double" => DecimalHandlingMode::Double,
                        "string" => DecimalHandlingMode::String,
                        _ => {
                            return Err(one_of(
                                "decimal.handling.mode",
                                raw,
                                "precise, double, string",
                            ));
                        }
                    }
                }
                "time.precision.mode" => {
                    o.time_precision_mode = match value.to_ascii_lowercase().as_str() {
                        "adaptive" => TimePrecisionMode::Adaptive,
                        "adaptive_time_microseconds" => TimePrecisionMode::AdaptiveTimeMicroseconds,
                        "connect" => TimePrecisionMode::Connect,
                        _ => {
                            return Err(one_of(
                                "time.precision.mode",
                                raw,
                                "adaptive, adaptive_time_microseconds, connect",
                            ));
                        }
                    }
                }
                "binary.handling.mode" => {
                    o.binary_handling_mode = match value.to_ascii_lowercase().as_str() {
                        "bytes" => BinaryHandlingMode::Bytes,
                        "base64" => BinaryHandlingMode::Base64,
                        "base64-url-safe" => BinaryHandlingMode::Base64UrlSafe,
                        "hex" => BinaryHandlingMode::Hex,
                        _ => {
                            return Err(one_of(
                                "binary.handling.mode",
                                raw,
                                "bytes, base64, base64-url-safe, hex",
                            ));
                        }
                    }
                }
                "bigint.unsigned.handling.mode" => {
                    o.bigint_unsigned_handling_mode = match value.to_ascii_lowercase().as_str() {
                        "long" => BigIntUnsignedHandlingMode::Long,
                        "precise" => BigIntUnsignedHandlingMode::Precise,
                        _ => {
                            return Err(one_of(
                                "bigint.unsigned.handling.mode",
                                raw,
                                "long, precise",
                            ));
                        }
                    }
                }
                "interval.handling.mode" => {
                    o.interval_handling_mode = match value.to_ascii_lowercase().as_str() {
                        "numeric" => IntervalHandlingMode::Numeric,
                        "string" => IntervalHandlingMode::String,
                        _ => return Err(one_of("interval.handling.mode", raw, "numeric, string")),
                    }
                }
                "hstore.handling.mode" => {
                    o.hstore_handling_mode = match value.to_ascii_lowercase().as_str() {
                        "json" => HstoreHandlingMode::Json,
                        "map" => HstoreHandlingMode::Map,
                        _ => return Err(one_of("hstore.handling.mode", raw, "json, map")),
                    }
                }
                "money.fraction.digits" => {
                    o.money_fraction_digits = value
                        .parse::<i32>()
                        .ok()
                        .filter(|d| (0..=1000).contains(d))
                        .ok_or_else(|| {
                            OptionsError::new(
                                "money.fraction.digits",
                                raw,
                                "an integer from 0 to 1000",
                            )
                        })?;
                }
                "tombstones.on.delete" => {
                    o.tombstones_on_delete = parse_bool("tombstones.on.delete", raw)?
                }
                "provide.transaction.metadata" => {
                    o.provide_transaction_metadata =
                        parse_bool("provide.transaction.metadata", raw)?
                }
                "include.unknown.datatypes" => {
                    o.include_unknown_datatypes = parse_bool("include.unknown.datatypes", raw)?
                }
                "skipped.operations" => o.skipped_operations = parse_skipped(raw)?,
                "unavailable.value.placeholder" => {
                    o.unavailable_value_placeholder = parse_placeholder(raw)?.into()
                }
                "topic.transaction" => {
                    o.topic_transaction = parse_topic_name("topic.transaction", value)?.into()
                }
                "topic.heartbeat.prefix" => {
                    o.topic_heartbeat_prefix =
                        parse_topic_name("topic.heartbeat.prefix", value)?.into()
                }
                "message.key.columns" => o.message_key_columns = parse_message_key_columns(raw)?,
                "source.version" => o.source_version = value.into(),
                _ => {}
            }
        }
        if !prefix_seen {
            return Err(OptionsError::new(
                "topic.prefix",
                "",
                "a non-empty topic prefix is required (letters, digits, '.', '_', '-')",
            ));
        }
        o.columns = crate::columns::ColumnPolicy::from_properties(column_options)?;
        Ok(o)
    }

    /// Whether events of `op` are emitted.
    pub fn emits(&self, op: Operation) -> bool {
        !self.skipped_operations.contains(&op)
    }

    /// The `message.key.columns` override for a `<namespace>.<table>`, if a rule matches.
    pub fn key_columns_for(&self, data_collection: &str) -> Option<&[Box<str>]> {
        self.message_key_columns
            .iter()
            .find(|r| r.table.is_match(data_collection))
            .map(|r| r.columns.as_slice())
    }
}

fn one_of(property: &'static str, value: &str, allowed: &str) -> OptionsError {
    OptionsError::new(property, value, format!("expected one of: {allowed}"))
}

fn parse_bool(property: &'static str, raw: &str) -> Result<bool, OptionsError> {
    // Kafka's ConfigDef BOOLEAN parser: case-insensitive "true"/"false" only.
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(one_of(property, raw, "true, false")),
    }
}

/// Kafka topic names: 1-249 characters from `[A-Za-z0-9._-]`.
fn parse_topic_name<'a>(property: &'static str, value: &'a str) -> Result<&'a str, OptionsError> {
    let ok = !value.is_empty()
        && value.len() <= 249
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(value)
    } else {
        Err(OptionsError::new(
            property,
            value,
            "1 to 249 characters from letters, digits, '.', '_' and '-' (Kafka topic name rules)",
        ))
    }
}

fn parse_skipped(raw: &str) -> Result<BTreeSet<Operation>, OptionsError> {
    let mut set = BTreeSet::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.to_ascii_lowercase().as_str() {
            "c" => set.insert(Operation::Create),
            "u" => set.insert(Operation::Update),
            "d" => set.insert(Operation::Delete),
            "t" => set.insert(Operation::Truncate),
            "none" => {
                set.clear();
                continue;
            }
            _ => {
                return Err(OptionsError::new(
                    "skipped.operations",
                    raw,
                    "a comma-separated list of c, u, d, t, or none",
                ));
            }
        };
    }
    Ok(set)
}

fn parse_placeholder(raw: &str) -> Result<Vec<u8>, OptionsError> {
    let Some(hex) = raw.strip_prefix("hex:") else {
        return Ok(raw.as_bytes().to_vec());
    };
    let bad = || {
        OptionsError::new(
            "unavailable.value.placeholder",
            raw,
            "text, or `hex:` followed by an even number of hex digits",
        )
    };
    if hex.len() % 2 != 0 {
        return Err(bad());
    }
    let digit = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    };
    hex.as_bytes()
        .chunks_exact(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(bad)
}

fn parse_message_key_columns(raw: &str) -> Result<Vec<MessageKeyRule>, OptionsError> {
    let bad = |why: &str| {
        OptionsError::new(
            "message.key.columns",
            raw,
            format!("`<table regex>:<column>,<column>;...` ({why})"),
        )
    };
    let mut rules = Vec::new();
    for rule in raw.split(';').map(str::trim).filter(|r| !r.is_empty()) {
        let Some((table, columns)) = rule.rsplit_once(':') else {
            return Err(bad("a rule has no ':'"));
        };
        let columns: Vec<Box<str>> = columns
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(Box::from)
            .collect();
        if columns.is_empty() {
            return Err(bad("a rule lists no columns"));
        }
        let table = Regex::new(&format!("(?i)^(?:{})$", table.trim()))
            .map_err(|_| bad("a table pattern is not a valid regular expression"))?;
        rules.push(MessageKeyRule { table, columns });
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(props: &[(&str, &str)]) -> Result<EnvelopeOptions, OptionsError> {
        let mut all = vec![("topic.prefix", "dbserver1")];
        all.extend_from_slice(props);
        EnvelopeOptions::from_properties(ConnectorKind::Postgres, all)
    }

    #[test]
    fn defaults_follow_the_connector() {
        let pg = EnvelopeOptions::new(ConnectorKind::Postgres, "p").unwrap();
        assert_eq!(pg.time_precision_mode, TimePrecisionMode::Adaptive);
        assert!(pg.tombstones_on_delete);
        assert!(!pg.emits(Operation::Truncate));
        assert!(pg.emits(Operation::Create));
        let my = EnvelopeOptions::new(ConnectorKind::MySql, "p").unwrap();
        assert_eq!(
            my.time_precision_mode,
            TimePrecisionMode::AdaptiveTimeMicroseconds
        );
    }

    #[test]
    fn hostile_values_are_rejected_with_the_property_name() {
        let cases: &[(&str, &str)] = &[
            ("decimal.handling.mode", "exact"),
            ("time.precision.mode", "nanos"),
            ("binary.handling.mode", "base32"),
            ("bigint.unsigned.handling.mode", ""),
            ("interval.handling.mode", "iso"),
            ("hstore.handling.mode", "xml"),
            ("money.fraction.digits", "-1"),
            ("money.fraction.digits", "two"),
            ("tombstones.on.delete", "yes"),
            ("skipped.operations", "c,x"),
            ("unavailable.value.placeholder", "hex:abc"),
            ("unavailable.value.placeholder", "hex:zz"),
            ("topic.heartbeat.prefix", "bad topic"),
            ("message.key.columns", "public.t"),
            ("message.key.columns", "public.(:id"),
            ("topic.prefix", ""),
            ("topic.prefix", "a/b"),
        ];
        for (key, value) in cases {
            let err = opts(&[(key, value)]).unwrap_err();
            assert_eq!(err.property, *key, "{key}={value}");
            assert!(err.to_string().contains(key), "{err}");
        }
    }

    #[test]
    fn missing_prefix_is_an_error() {
        let err = EnvelopeOptions::from_properties(ConnectorKind::MySql, [("x", "y")]).unwrap_err();
        assert_eq!(err.property, "topic.prefix");
    }

    #[test]
    fn values_parse() {
        let o = opts(&[
            ("decimal.handling.mode", "STRING"),
            ("skipped.operations", "none"),
            ("unavailable.value.placeholder", "hex:00ff"),
            ("message.key.columns", "inventory.c.*:a,b; public.orders:id"),
        ])
        .unwrap();
        assert_eq!(o.decimal_handling_mode, DecimalHandlingMode::String);
        assert!(o.emits(Operation::Truncate));
        assert_eq!(&*o.unavailable_value_placeholder, &[0x00, 0xff]);
        assert_eq!(o.key_columns_for("public.orders").map(|c| c.len()), Some(1));
        assert_eq!(
            o.key_columns_for("inventory.customers").map(|c| c.len()),
            Some(2)
        );
        assert!(o.key_columns_for("public.orders2").is_none());
    }
}
