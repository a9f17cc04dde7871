//! Golden Avro schemas for Connect schemas, as Confluent's `AvroData.fromConnectSchema`
//! writes them: every Connect type, optional and default combinations, logical and semantic
//! types, unnamed structs, maps, and the Debezium key and envelope of one PostgreSQL and one
//! MySQL table. Each rendered schema must also parse with the `apache-avro` crate.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tributary_envelope::decimal::Decimal;
use tributary_envelope::logical::{connect, debezium};
use tributary_envelope::{AvroSchemaCache, AvroSchemaError, BinlogSource, SchemaType};
use tributary_envelope::{
    ColumnDescription, ConnectorKind, Datum, EnvelopeOptions, EpochNanos, EventBuilder, Extended,
    Numeric, Operation, PostgresSource, RowChange, SchemaBuilder, SchemaRef, SnapshotMarker,
    SourcePosition, TableDescription, Value, render_avro_schema,
};

fn avro(schema: &SchemaRef) -> String {
    let json = render_avro_schema(schema).unwrap().json().to_owned();
    if let Err(err) = apache_avro::Schema::parse_str(&json) {
        panic!("apache-avro rejects {json}: {err}");
    }
    json
}

fn lines(cases: Vec<(&str, SchemaRef)>) -> String {
    cases
        .into_iter()
        .map(|(label, s)| format!("{label} | {}", avro(&s)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn b(builder: SchemaBuilder) -> SchemaRef {
    builder.build().unwrap()
}

#[test]
fn primitives_required_and_optional() {
    let mut cases = Vec::new();
    for ty in [
        SchemaType::Boolean,
        SchemaType::Int8,
        SchemaType::Int16,
        SchemaType::Int32,
        SchemaType::Int64,
        SchemaType::Float32,
        SchemaType::Float64,
        SchemaType::Bytes,
        SchemaType::String,
    ] {
        let name = ty.json_name();
        cases.push((name, b(SchemaBuilder::primitive(ty).unwrap())));
        cases.push((name, b(SchemaBuilder::primitive(ty).unwrap().optional())));
    }
    insta::assert_snapshot!(lines(cases));
}

#[test]
fn defaults_docs_versions_parameters() {
    insta::assert_snapshot!(lines(vec![
        (
            "required int32 with default",
            b(SchemaBuilder::int32().default_value(Datum::Int32(0)))
        ),
        (
            "optional int32 with default",
            b(SchemaBuilder::int32()
                .optional()
                .default_value(Datum::Int32(7)))
        ),
        (
            "optional int8 with default",
            b(SchemaBuilder::int8()
                .optional()
                .default_value(Datum::Int8(-3)))
        ),
        (
            "optional string with default",
            b(SchemaBuilder::string()
                .optional()
                .default_value(Datum::str("a\"b")))
        ),
        (
            "optional bytes with default",
            b(SchemaBuilder::bytes()
                .optional()
                .default_value(Datum::bytes(&[0x00, 0x41, 0xE9, 0xFF])))
        ),
        (
            "float64 with default",
            b(SchemaBuilder::float64().default_value(Datum::Float64(1.0e10)))
        ),
        (
            "float32 with default",
            b(SchemaBuilder::float32().default_value(Datum::Float32(0.5)))
        ),
        (
            "float64 with NaN default (left out)",
            b(SchemaBuilder::float64().default_value(Datum::Float64(f64::NAN)))
        ),
        (
            "boolean with default",
            b(SchemaBuilder::boolean()
                .optional()
                .default_value(Datum::Boolean(false)))
        ),
        (
            "named string with doc, version and parameters",
            b(SchemaBuilder::string()
                .name("io.debezium.data.Enum")
                .version(1)
                .doc("a \"doc\"")
                .parameter("allowed", "a,b"))
        ),
        (
            "enum with default (Debezium snapshot field)",
            b(SchemaBuilder::string()
                .name("io.debezium.data.Enum")
                .version(1)
                .parameter("allowed", "true,last,false,incremental")
                .optional()
                .default_value(Datum::str("false")))
        ),
    ]));
}

#[test]
fn logical_and_semantic_types() {
    insta::assert_snapshot!(lines(vec![
        (
            "decimal with precision",
            b(connect::decimal_with_precision(2, 10))
        ),
        ("decimal without precision", b(connect::decimal(3))),
        (
            "optional decimal",
            b(connect::decimal_with_precision(2, 10).optional())
        ),
        (
            "decimal with scale above precision",
            b(connect::decimal_with_precision(5, 3))
        ),
        ("connect date", b(connect::date())),
        ("connect time", b(connect::time())),
        ("connect timestamp", b(connect::timestamp().optional())),
        ("debezium date", b(debezium::date())),
        ("debezium micro timestamp", b(debezium::micro_timestamp())),
        ("debezium zoned timestamp", b(debezium::zoned_timestamp())),
        ("debezium json", b(debezium::json().optional())),
        ("debezium bits", b(debezium::bits(3))),
        (
            "debezium variable scale decimal",
            b(debezium::variable_scale_decimal())
        ),
        ("debezium geometry", b(debezium::geometry().optional())),
        ("debezium point", b(debezium::point())),
    ]));
}

#[test]
fn arrays_maps_and_structs() {
    let s = b(SchemaBuilder::string());
    let os = b(SchemaBuilder::string().optional());
    let i = b(SchemaBuilder::int32());
    let inner = b(SchemaBuilder::structure()
        .field("a", i.clone())
        .field("b", os.clone()));
    let inner2 = b(SchemaBuilder::structure().field("c", i.clone()));
    insta::assert_snapshot!(lines(vec![
        (
            "array of optional strings",
            b(SchemaBuilder::array(os.clone()))
        ),
        (
            "optional array of ints",
            b(SchemaBuilder::array(i.clone()).optional())
        ),
        (
            "map string to optional string (hstore)",
            b(SchemaBuilder::map(s.clone(), os.clone()))
        ),
        (
            "map int to string",
            b(SchemaBuilder::map(i.clone(), s.clone()))
        ),
        (
            "map optional string to int",
            b(SchemaBuilder::map(os.clone(), i.clone()).optional())
        ),
        (
            "named map int to string",
            b(SchemaBuilder::map(i.clone(), s.clone())
                .name("t.Pairs")
                .version(2))
        ),
        (
            "unnamed structs: first, reused, second",
            b(SchemaBuilder::structure()
                .name("t.Outer")
                .field("x", inner.clone())
                .field(
                    "y",
                    b(SchemaBuilder::structure()
                        .field("a", i.clone())
                        .field("b", os.clone())
                        .optional())
                )
                .field("z", inner2))
        ),
        (
            "nested named struct in another namespace, then reused",
            b(SchemaBuilder::structure()
                .name("a.b.Outer")
                .field("p", b(debezium::point().optional()))
                .field("q", b(SchemaBuilder::array(b(debezium::point()))))
                .field(
                    "r",
                    b(SchemaBuilder::structure()
                        .name("a.b.Inner")
                        .field("v", i.clone()))
                )
                .field(
                    "s",
                    b(SchemaBuilder::structure().name("Bare").field("w", i))
                )
                .doc("outer doc")
                .version(3))
        ),
        (
            "top-level optional struct",
            b(SchemaBuilder::structure()
                .name("t.Key")
                .field("id", s)
                .optional())
        ),
    ]));
}

#[test]
fn same_name_for_different_structs_is_an_error() {
    let i = b(SchemaBuilder::int32());
    let s = b(SchemaBuilder::string());
    let a = b(SchemaBuilder::structure().name("t.X").field("a", i));
    let other = b(SchemaBuilder::structure().name("t.X").field("a", s));
    let outer = b(SchemaBuilder::structure()
        .field("one", a)
        .field("two", other));
    let err = render_avro_schema(&outer).unwrap_err();
    assert_eq!(err, AvroSchemaError::Redefined { name: "t.X".into() });
}

#[test]
fn malformed_decimal_is_an_error_not_a_panic() {
    let s = b(SchemaBuilder::bytes().name(connect::DECIMAL));
    assert!(matches!(
        render_avro_schema(&s),
        Err(AvroSchemaError::InvalidDecimal { .. })
    ));
    let s = b(SchemaBuilder::bytes()
        .name(connect::DECIMAL)
        .parameter("scale", "x"));
    assert!(render_avro_schema(&s).is_err());
    let s = b(SchemaBuilder::int64().name(connect::DATE));
    assert!(matches!(
        render_avro_schema(&s),
        Err(AvroSchemaError::LogicalTypeMismatch { .. })
    ));
}

#[test]
fn cache_renders_once_per_schema_pointer() {
    let s = b(SchemaBuilder::structure()
        .name("t.V")
        .field("a", b(SchemaBuilder::int64())));
    let mut cache = AvroSchemaCache::new();
    let first = cache.get(&s).unwrap();
    let again = cache.get(&s).unwrap();
    assert!(std::sync::Arc::ptr_eq(&first, &again));
    assert_eq!(cache.len(), 1);
    // An equal schema at another address is another entry, with the same text.
    let twin = b(SchemaBuilder::structure()
        .name("t.V")
        .field("a", b(SchemaBuilder::int64())));
    assert_eq!(cache.get(&twin).unwrap().json(), first.json());
    assert_eq!(cache.len(), 2);
}

fn postgres_records() -> (SchemaRef, SchemaRef) {
    let props = vec![
        ("topic.prefix", "dbserver1"),
        ("database.dbname", "inventory"),
        ("source.version", "3.0.0.Final"),
    ];
    let builder = EventBuilder::new(
        EnvelopeOptions::from_properties(ConnectorKind::Postgres, props).unwrap(),
    )
    .unwrap();
    let table = TableDescription {
        connector: ConnectorKind::Postgres,
        namespace: "public".into(),
        table: "orders".into(),
        columns: vec![
            ColumnDescription::new("id", "int4").not_null(),
            ColumnDescription::new("name", "varchar").not_null(),
            ColumnDescription::new("price", "numeric").precision_scale(10, 2),
            ColumnDescription::new("qty", "int4")
                .not_null()
                .default_value(Value::Int32(1)),
            ColumnDescription::new("note", "text"),
            ColumnDescription::new("updated_at", "timestamptz"),
        ],
        primary_key: vec!["id".into()],
    };
    let t = builder.table_schema(&table).unwrap();
    let row = vec![
        Value::Int32(1),
        Value::Text("a".into()),
        Value::Numeric(Numeric::Finite(Decimal::parse("9.99").unwrap())),
        Value::Int32(3),
        Value::Null,
        Value::TimestampTz(Extended::Finite(1_704_164_645_123_456)),
    ];
    let change = RowChange {
        op: Operation::Create,
        before: None,
        after: Some(&row),
        source: SourcePosition::Postgres(PostgresSource {
            commit_time: EpochNanos::from_millis(1_704_164_645_000),
            snapshot: SnapshotMarker::False,
            tx_id: Some(100),
            lsn: Some(0x1000),
            xmin: None,
            last_commit_lsn: None,
        }),
        transaction: None,
        processed_at: EpochNanos(1_704_164_646_000_000_000),
    };
    let mut out = Vec::new();
    builder.row_change(&t, &change, &mut out).unwrap();
    let (key, _) = out[0].key.clone().unwrap();
    let (value, _) = out[0].value.clone().unwrap();
    (key, value)
}

fn mysql_records() -> (SchemaRef, SchemaRef) {
    let props = vec![
        ("topic.prefix", "mysqlserver1"),
        ("source.version", "3.0.0.Final"),
    ];
    let builder =
        EventBuilder::new(EnvelopeOptions::from_properties(ConnectorKind::MySql, props).unwrap())
            .unwrap();
    let table = TableDescription {
        connector: ConnectorKind::MySql,
        namespace: "inventory".into(),
        table: "customers".into(),
        columns: vec![
            ColumnDescription::new("id", "INT").not_null(),
            ColumnDescription::new("email", "VARCHAR").not_null(),
            ColumnDescription::new("balance", "DECIMAL").precision_scale(12, 2),
            ColumnDescription::new("created", "DATETIME")
                .fsp(6)
                .not_null(),
            ColumnDescription::new("tier", "ENUM").labels(["gold", "silver"]),
            ColumnDescription::new("small", "TINYINT"),
        ],
        primary_key: vec!["id".into()],
    };
    let t = builder.table_schema(&table).unwrap();
    let row = vec![
        Value::Int32(1),
        Value::Text("a@b".into()),
        Value::Numeric(Numeric::Finite(Decimal::parse("1234.50").unwrap())),
        Value::Timestamp(Extended::Finite(1_704_164_645_123_456)),
        Value::Enum("gold".into()),
        Value::Int16(3),
    ];
    let change = RowChange {
        op: Operation::Create,
        before: None,
        after: Some(&row),
        source: SourcePosition::Binlog(BinlogSource {
            event_time: EpochNanos::from_millis(1_704_164_645_000),
            snapshot: SnapshotMarker::False,
            server_id: 1,
            gtid: None,
            file: "mysql-bin.000003",
            pos: 154,
            row: 0,
            thread: None,
            query: None,
        }),
        transaction: None,
        processed_at: EpochNanos(1_704_164_646_000_000_000),
    };
    let mut out = Vec::new();
    builder.row_change(&t, &change, &mut out).unwrap();
    let (key, _) = out[0].key.clone().unwrap();
    let (value, _) = out[0].value.clone().unwrap();
    (key, value)
}

#[test]
fn postgres_key_and_envelope() {
    let (key, value) = postgres_records();
    insta::assert_snapshot!(format!("key | {}\nvalue | {}", avro(&key), avro(&value)));
}

#[test]
fn mysql_key_and_envelope() {
    let (key, value) = mysql_records();
    insta::assert_snapshot!(format!("key | {}\nvalue | {}", avro(&key), avro(&value)));
}
