//! Golden PostgreSQL change records through JsonConverter (schemas on): one per operation,
//! key change, truncate, TOAST placeholder, logical decoding message, heartbeat and
//! transaction metadata.
//!
//! Hand-checked against Debezium's code and real Debezium 2.7.3 output (see
//! docs/debezium-compat-findings.md): envelope field order `before, after, source,
//! transaction, op, ts_ms, ts_us, ts_ns` with version 2;
//! `io.debezium.connector.postgresql.Source` fields and the snapshot Enum default; message
//! value `op, ts_ms, source, transaction, message`; heartbeat and transaction schemas from
//! `SchemaFactory`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use tributary_envelope::decimal::Decimal;
use tributary_envelope::{
    ColumnDescription, ConnectorKind, EnvelopeOptions, EpochNanos, EventBuilder, Extended,
    LogicalMessage, Numeric, Operation, PostgresSource, RowChange, SnapshotMarker, SourcePosition,
    TableDescription, TransactionBlock, Value,
};

fn builder(extra: &[(&str, &str)]) -> EventBuilder {
    let mut props = vec![
        ("topic.prefix", "dbserver1"),
        ("database.dbname", "inventory"),
        ("source.version", "3.0.0.Final"),
    ];
    props.extend_from_slice(extra);
    EventBuilder::new(EnvelopeOptions::from_properties(ConnectorKind::Postgres, props).unwrap())
        .unwrap()
}

fn table() -> TableDescription {
    TableDescription {
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
    }
}

fn row(id: i32, name: &str, note: Value) -> Vec<Value> {
    vec![
        Value::Int32(id),
        Value::Text(name.into()),
        Value::Numeric(Numeric::Finite(Decimal::parse("99.99").unwrap())),
        Value::Int32(3),
        note,
        Value::TimestampTz(Extended::Finite(1_704_164_645_123_456)),
    ]
}

fn source() -> SourcePosition<'static> {
    SourcePosition::Postgres(PostgresSource {
        commit_time: EpochNanos::from_micros(1_704_164_645_123_456),
        snapshot: SnapshotMarker::False,
        tx_id: Some(771),
        lsn: Some(33_816_880),
        xmin: None,
        last_commit_lsn: Some(33_816_704),
    })
}

const PROCESSED: EpochNanos = EpochNanos(1_704_164_646_000_123_456);

fn change<'a>(
    op: Operation,
    before: Option<&'a [Value]>,
    after: Option<&'a [Value]>,
) -> RowChange<'a> {
    RowChange {
        op,
        before,
        after,
        source: source(),
        transaction: None,
        processed_at: PROCESSED,
    }
}

fn run(b: &EventBuilder, c: RowChange<'_>) -> String {
    let t = b.table_schema(&table()).unwrap();
    let mut out = Vec::new();
    b.row_change(&t, &c, &mut out).unwrap();
    support::records(&out)
}

#[test]
fn create() {
    let after = row(1, "Sally", Value::Text("first".into()));
    insta::assert_snapshot!(run(
        &builder(&[]),
        change(Operation::Create, None, Some(&after))
    ));
}

#[test]
fn update_without_before_image() {
    // REPLICA IDENTITY DEFAULT: pgoutput sends no old tuple unless the key changed.
    let after = row(1, "Sally Ann", Value::Null);
    insta::assert_snapshot!(run(
        &builder(&[]),
        change(Operation::Update, None, Some(&after))
    ));
}

#[test]
fn update_with_unchanged_toast() {
    let before = row(1, "Sally", Value::Text("long text".into()));
    let after = row(1, "Sally", Value::UnchangedToast);
    insta::assert_snapshot!(run(
        &builder(&[]),
        change(Operation::Update, Some(&before), Some(&after))
    ));
}

#[test]
fn delete_then_tombstone() {
    let before = row(1, "Sally", Value::Null);
    let b = builder(&[]);
    let t = b.table_schema(&table()).unwrap();
    let mut out = Vec::new();
    let data = b
        .row_change(
            &t,
            &change(Operation::Delete, Some(&before), None),
            &mut out,
        )
        .unwrap();
    assert_eq!((data, out.len()), (1, 2));
    assert!(out[1].is_tombstone());
    insta::assert_snapshot!(support::records(&out));
}

#[test]
fn delete_without_tombstone_when_disabled() {
    let before = row(1, "Sally", Value::Null);
    let b = builder(&[("tombstones.on.delete", "false")]);
    let t = b.table_schema(&table()).unwrap();
    let mut out = Vec::new();
    b.row_change(
        &t,
        &change(Operation::Delete, Some(&before), None),
        &mut out,
    )
    .unwrap();
    assert_eq!(out.len(), 1);
    assert!(!out[0].is_tombstone());
}

#[test]
fn delete_with_key_only_before_image_uses_fallbacks() {
    // REPLICA IDENTITY DEFAULT delete: only the key is sent; NOT NULL columns get their
    // default or Debezium's fallback, nullable ones null.
    let before = vec![
        Value::Int32(1),
        Value::Null,
        Value::Null,
        Value::Null,
        Value::Null,
        Value::Null,
    ];
    insta::assert_snapshot!(run(
        &builder(&[]),
        change(Operation::Delete, Some(&before), None)
    ));
}

#[test]
fn snapshot_read() {
    let after = row(1, "Sally", Value::Null);
    let mut c = change(Operation::Read, None, Some(&after));
    c.source = SourcePosition::Postgres(PostgresSource {
        commit_time: EpochNanos::from_micros(1_704_164_645_123_456),
        snapshot: SnapshotMarker::First,
        tx_id: Some(770),
        lsn: Some(33_816_704),
        xmin: None,
        last_commit_lsn: None,
    });
    insta::assert_snapshot!(run(&builder(&[]), c));
}

#[test]
fn truncate_is_skipped_by_default_and_emitted_when_enabled() {
    let b = builder(&[]);
    let t = b.table_schema(&table()).unwrap();
    let mut out = Vec::new();
    assert_eq!(
        b.truncate(&t, &source(), None, PROCESSED, &mut out)
            .unwrap(),
        0
    );
    assert!(out.is_empty());
    let b = builder(&[("skipped.operations", "none")]);
    let t = b.table_schema(&table()).unwrap();
    b.truncate(&t, &source(), None, PROCESSED, &mut out)
        .unwrap();
    insta::assert_snapshot!(support::records(&out));
}

#[test]
fn primary_key_change_is_delete_tombstone_create() {
    let before = row(1, "Sally", Value::Null);
    let after = row(2, "Sally", Value::Null);
    let b = builder(&[]);
    let t = b.table_schema(&table()).unwrap();
    let mut out = Vec::new();
    let data = b
        .row_change(
            &t,
            &change(Operation::Update, Some(&before), Some(&after)),
            &mut out,
        )
        .unwrap();
    assert_eq!((data, out.len()), (2, 3));
    assert_eq!(out[0].headers[0].name, "__debezium.newkey");
    assert!(out[1].is_tombstone());
    // Regression guard: Debezium's tombstone copies the delete's headers.
    assert_eq!(out[1].headers[0].name, "__debezium.newkey");
    assert_eq!(out[2].headers[0].name, "__debezium.oldkey");
    insta::assert_snapshot!(support::records(&out));
}

#[test]
fn skipped_updates_emit_nothing() {
    let after = row(1, "Sally", Value::Null);
    let b = builder(&[("skipped.operations", "u,t")]);
    let t = b.table_schema(&table()).unwrap();
    let mut out = Vec::new();
    let c = change(Operation::Update, None, Some(&after));
    assert_eq!(b.row_change(&t, &c, &mut out).unwrap(), 0);
    assert!(out.is_empty());
}

#[test]
fn logical_decoding_message() {
    let b = builder(&[]);
    let record = b.message(&LogicalMessage {
        prefix: "audit",
        content: b"hello",
        source: PostgresSource {
            commit_time: EpochNanos::from_micros(1_704_164_645_123_456),
            snapshot: SnapshotMarker::False,
            tx_id: None,
            lsn: Some(33_817_000),
            xmin: None,
            last_commit_lsn: Some(33_816_880),
        },
        transaction: None,
        processed_at: PROCESSED,
    });
    insta::assert_snapshot!(support::record(&record));
}

#[test]
fn heartbeat() {
    let b = builder(&[]);
    insta::assert_snapshot!(support::record(&b.heartbeat(PROCESSED)));
}

#[test]
fn transaction_metadata_begin_event_end() {
    let b = builder(&[("provide.transaction.metadata", "true")]);
    let t = b.table_schema(&table()).unwrap();
    let after = row(1, "Sally", Value::Null);
    let mut out = Vec::new();
    out.push(b.transaction_begin("771:33816880", PROCESSED).unwrap());
    let mut c = change(Operation::Create, None, Some(&after));
    c.transaction = Some(TransactionBlock {
        id: "771:33816880",
        total_order: 1,
        data_collection_order: 1,
    });
    b.row_change(&t, &c, &mut out).unwrap();
    let counts = [("public.orders", 1)];
    out.push(
        b.transaction_end("771:33816880", PROCESSED, &counts)
            .unwrap(),
    );
    insta::assert_snapshot!(support::records(&out));
}

#[test]
fn transaction_records_need_the_option() {
    let b = builder(&[]);
    assert!(b.transaction_begin("1:2", PROCESSED).is_none());
}

#[test]
fn envelope_field_order_matches_debezium() {
    let b = builder(&[]);
    let t = b.table_schema(&table()).unwrap();
    let names: Vec<_> = t
        .envelope_schema()
        .fields()
        .iter()
        .map(|f| f.name())
        .collect();
    assert_eq!(
        names,
        [
            "before",
            "after",
            "source",
            "transaction",
            "op",
            "ts_ms",
            "ts_us",
            "ts_ns"
        ]
    );
    assert_eq!(t.envelope_schema().version(), Some(2));
    assert_eq!(
        t.envelope_schema().name(),
        Some("dbserver1.public.orders.Envelope")
    );
    assert_eq!(t.topic(), "dbserver1.public.orders");
}

#[test]
fn source_schema_is_debeziums() {
    // Written out by hand from SchemaFactory.sourceInfoSchemaBuilder() and
    // PostgresSourceInfoStructMaker.
    let b = builder(&[]);
    let json = std::str::from_utf8(b.source_schema().json()).unwrap();
    assert_eq!(
        json,
        concat!(
            r#"{"type":"struct","fields":["#,
            r#"{"type":"string","optional":false,"field":"version"},"#,
            r#"{"type":"string","optional":false,"field":"connector"},"#,
            r#"{"type":"string","optional":false,"field":"name"},"#,
            r#"{"type":"int64","optional":false,"field":"ts_ms"},"#,
            r#"{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},"default":"false","field":"snapshot"},"#,
            r#"{"type":"string","optional":false,"field":"db"},"#,
            r#"{"type":"string","optional":true,"field":"sequence"},"#,
            r#"{"type":"int64","optional":true,"field":"ts_us"},"#,
            r#"{"type":"int64","optional":true,"field":"ts_ns"},"#,
            r#"{"type":"string","optional":false,"field":"schema"},"#,
            r#"{"type":"string","optional":false,"field":"table"},"#,
            r#"{"type":"int64","optional":true,"field":"txId"},"#,
            r#"{"type":"int64","optional":true,"field":"lsn"},"#,
            r#"{"type":"int64","optional":true,"field":"xmin"}],"#,
            r#""optional":false,"name":"io.debezium.connector.postgresql.Source","version":1}"#
        )
    );
}

#[test]
fn errors_name_table_and_column() {
    let b = builder(&[]);
    let t = b.table_schema(&table()).unwrap();
    let mut after = row(1, "Sally", Value::Null);
    after[2] = Value::Numeric(Numeric::NaN);
    let mut out = Vec::new();
    let err = b
        .row_change(&t, &change(Operation::Create, None, Some(&after)), &mut out)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "table public.orders, column `price`: NaN cannot be written as a Connect Decimal; set decimal.handling.mode=string (or double) to capture it"
    );
    let short = vec![Value::Int32(1)];
    let err = b
        .row_change(&t, &change(Operation::Create, None, Some(&short)), &mut out)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("has 1 values but the table has 6 columns"),
        "{err}"
    );
    assert!(out.is_empty());
}

#[test]
fn message_key_columns_replace_the_primary_key() {
    let b = builder(&[("message.key.columns", "public.orders:name")]);
    let t = b.table_schema(&table()).unwrap();
    let key = t.key_schema().unwrap();
    assert_eq!(key.fields()[0].name(), "name");
    let b = builder(&[("message.key.columns", "public.orders:missing")]);
    assert!(b.table_schema(&table()).is_err());
}

/// Debezium's column options (PostgreSQL connector docs, "column.exclude.list",
/// "column.mask.with.length.chars", "column.truncate.to.length.chars"): an excluded column
/// is absent from the value schema and payload but a key column stays in the key; a masked
/// column keeps its string schema and carries N asterisks; a truncated one its first N
/// characters.
#[test]
fn column_options_exclude_mask_and_truncate_before_conversion() {
    let b = builder(&[
        ("column.exclude.list", "public.orders.(id|updated_at)"),
        ("column.mask.with.5.chars", "public.orders.note"),
        ("column.truncate.to.3.chars", "public.orders.name"),
    ]);
    let after = row(7, "Sally Ann", Value::Text("card 4111-1111".into()));
    let json = run(&b, change(Operation::Create, None, Some(&after)));
    assert!(
        !json.contains("4111"),
        "the masked value reached the record: {json}"
    );
    assert!(!json.contains("updated_at"), "{json}");
    let record: serde_json::Value = serde_json::from_str(
        json.lines()
            .find(|l| l.starts_with("value: "))
            .unwrap()
            .trim_start_matches("value: "),
    )
    .unwrap();
    let after = &record["payload"]["after"];
    assert_eq!(after["note"], "*****");
    assert_eq!(after["name"], "Sal");
    assert!(
        after.get("id").is_none(),
        "excluded from the value: {after}"
    );
    let key: serde_json::Value = serde_json::from_str(
        json.lines()
            .find(|l| l.starts_with("key: "))
            .unwrap()
            .trim_start_matches("key: "),
    )
    .unwrap();
    assert_eq!(
        key["payload"],
        serde_json::json!({"id": 7}),
        "the key keeps its column"
    );
    // The mask replaces NULL too, and marks the field's schema, as Debezium's MaskStrings
    // (`MaskingValueConverter` returns the mask for any value; `alterFieldSchema` adds
    // `masked=true`).
    let after = row(8, "Al", Value::Null);
    let json = run(&b, change(Operation::Create, None, Some(&after)));
    assert!(
        json.contains("\"note\":\"*****\"") && json.contains("\"name\":\"Al\""),
        "{json}"
    );
    assert!(
        json.contains("\"parameters\":{\"masked\":\"true\"},\"field\":\"note\""),
        "the masked field's schema carries masked=true: {json}"
    );
    // A mask on a non-character column is refused, naming the column.
    let b = builder(&[("column.mask.with.4.chars", "public.orders.qty")]);
    let err = b.table_schema(&table()).unwrap_err().to_string();
    assert!(
        err.contains("qty") && err.contains("column.exclude.list"),
        "{err}"
    );
}

/// Debezium's `column.propagate.source.type` / `datatype.propagate.source.type`
/// (`PropagateSourceTypeToSchemaParameter`): the field schema gains the upper-cased source
/// type, and its length and scale when declared, after the parameters it already had.
#[test]
fn source_types_are_propagated_as_schema_parameters() {
    let b = builder(&[
        ("column.propagate.source.type", "public.orders.price"),
        ("datatype.propagate.source.type", ".+\\.varchar"),
    ]);
    let after = row(1, "Sally", Value::Null);
    let json = run(&b, change(Operation::Create, None, Some(&after)));
    assert!(
        json.contains(
            "\"parameters\":{\"scale\":\"2\",\"connect.decimal.precision\":\"10\",\
             \"__debezium.source.column.type\":\"NUMERIC\",\
             \"__debezium.source.column.length\":\"10\",\
             \"__debezium.source.column.scale\":\"2\"},\"field\":\"price\""
        ),
        "{json}"
    );
    assert!(
        json.contains(
            "\"parameters\":{\"__debezium.source.column.type\":\"VARCHAR\"},\"field\":\"name\""
        ),
        "{json}"
    );
    assert!(
        !json.contains("INT4"),
        "int4 columns were not named: {json}"
    );
}
