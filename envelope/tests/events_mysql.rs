//! Golden MySQL (and MariaDB) change records through JsonConverter (schemas on): one per
//! operation, key change, truncate, heartbeat and transaction metadata.
//!
//! Hand-checked against Debezium's `MySqlSourceInfoStructMaker` (source fields `table,
//! server_id, gtid, file, pos, row, thread, query` after the common prefix, `sequence`
//! null), the envelope layout of `SchemaFactory`, and `BinlogValueConverters` type rules.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use tributary_envelope::decimal::Decimal;
use tributary_envelope::{
    BinlogSource, ColumnDescription, ConnectorKind, EnvelopeOptions, EpochNanos, EventBuilder,
    Extended, Numeric, Operation, RowChange, SnapshotMarker, SourcePosition, TableDescription,
    TransactionBlock, Value,
};

fn builder(connector: ConnectorKind, extra: &[(&str, &str)]) -> EventBuilder {
    let mut props = vec![
        ("topic.prefix", "mysqlserver1"),
        ("source.version", "3.0.0.Final"),
    ];
    props.extend_from_slice(extra);
    EventBuilder::new(EnvelopeOptions::from_properties(connector, props).unwrap()).unwrap()
}

fn table(connector: ConnectorKind) -> TableDescription {
    TableDescription {
        connector,
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
        ],
        primary_key: vec!["id".into()],
    }
}

fn row(id: i32, email: &str) -> Vec<Value> {
    vec![
        Value::Int32(id),
        Value::Text(email.into()),
        Value::Numeric(Numeric::Finite(Decimal::parse("1234.50").unwrap())),
        Value::Timestamp(Extended::Finite(1_704_164_645_123_456)),
        Value::Enum("gold".into()),
    ]
}

fn source(snapshot: SnapshotMarker) -> SourcePosition<'static> {
    SourcePosition::Binlog(BinlogSource {
        event_time: EpochNanos::from_millis(1_704_164_645_000),
        snapshot,
        server_id: 223_344,
        gtid: Some("3e11fa47-71ca-11e1-9e33-c80aa9429562:23"),
        file: "mysql-bin.000003",
        pos: 154,
        row: 0,
        thread: Some(7),
        query: None,
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
        source: source(SnapshotMarker::False),
        transaction: None,
        processed_at: PROCESSED,
    }
}

fn run(b: &EventBuilder, connector: ConnectorKind, c: RowChange<'_>) -> String {
    let t = b.table_schema(&table(connector)).unwrap();
    let mut out = Vec::new();
    b.row_change(&t, &c, &mut out).unwrap();
    support::records(&out)
}

const MY: ConnectorKind = ConnectorKind::MySql;

#[test]
fn create() {
    let after = row(1001, "sally@example.com");
    insta::assert_snapshot!(run(
        &builder(MY, &[]),
        MY,
        change(Operation::Create, None, Some(&after))
    ));
}

#[test]
fn update() {
    let before = row(1001, "sally@example.com");
    let after = row(1001, "sally.thomas@example.com");
    insta::assert_snapshot!(run(
        &builder(MY, &[]),
        MY,
        change(Operation::Update, Some(&before), Some(&after))
    ));
}

#[test]
fn delete_then_tombstone() {
    let before = row(1001, "sally@example.com");
    insta::assert_snapshot!(run(
        &builder(MY, &[]),
        MY,
        change(Operation::Delete, Some(&before), None)
    ));
}

#[test]
fn snapshot_read_last() {
    let after = row(1001, "sally@example.com");
    let mut c = change(Operation::Read, None, Some(&after));
    c.source = source(SnapshotMarker::Last);
    insta::assert_snapshot!(run(&builder(MY, &[]), MY, c));
}

#[test]
fn truncate_when_enabled() {
    let b = builder(MY, &[("skipped.operations", "none")]);
    let t = b.table_schema(&table(MY)).unwrap();
    let mut out = Vec::new();
    b.truncate(
        &t,
        &source(SnapshotMarker::False),
        None,
        PROCESSED,
        &mut out,
    )
    .unwrap();
    insta::assert_snapshot!(support::records(&out));
}

#[test]
fn primary_key_change() {
    let before = row(1001, "sally@example.com");
    let after = row(1002, "sally@example.com");
    insta::assert_snapshot!(run(
        &builder(MY, &[]),
        MY,
        change(Operation::Update, Some(&before), Some(&after))
    ));
}

#[test]
fn heartbeat() {
    insta::assert_snapshot!(support::record(&builder(MY, &[]).heartbeat(PROCESSED)));
}

#[test]
fn transaction_metadata() {
    let b = builder(MY, &[("provide.transaction.metadata", "true")]);
    let t = b.table_schema(&table(MY)).unwrap();
    let gtid = "3e11fa47-71ca-11e1-9e33-c80aa9429562:23";
    let after = row(1001, "sally@example.com");
    let mut out = vec![b.transaction_begin(gtid, PROCESSED).unwrap()];
    let mut c = change(Operation::Create, None, Some(&after));
    c.transaction = Some(TransactionBlock {
        id: gtid,
        total_order: 1,
        data_collection_order: 1,
    });
    b.row_change(&t, &c, &mut out).unwrap();
    let counts = [("inventory.customers", 1)];
    out.push(b.transaction_end(gtid, PROCESSED, &counts).unwrap());
    insta::assert_snapshot!(support::records(&out));
}

#[test]
fn mariadb_uses_its_own_source_name() {
    let md = ConnectorKind::MariaDb;
    let after = row(1001, "sally@example.com");
    insta::assert_snapshot!(run(
        &builder(md, &[]),
        md,
        change(Operation::Create, None, Some(&after))
    ));
}

#[test]
fn source_schema_is_debeziums() {
    let b = builder(MY, &[]);
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
            r#"{"type":"string","optional":true,"field":"table"},"#,
            r#"{"type":"int64","optional":false,"field":"server_id"},"#,
            r#"{"type":"string","optional":true,"field":"gtid"},"#,
            r#"{"type":"string","optional":false,"field":"file"},"#,
            r#"{"type":"int64","optional":false,"field":"pos"},"#,
            r#"{"type":"int32","optional":false,"field":"row"},"#,
            r#"{"type":"int64","optional":true,"field":"thread"},"#,
            r#"{"type":"string","optional":true,"field":"query"}],"#,
            r#""optional":false,"name":"io.debezium.connector.mysql.Source","version":1}"#
        )
    );
}

#[test]
fn position_from_the_wrong_connector_is_an_error() {
    let b = builder(MY, &[]);
    let t = b.table_schema(&table(MY)).unwrap();
    let after = row(1, "a");
    let mut c = change(Operation::Create, None, Some(&after));
    c.source = SourcePosition::Postgres(Default::default());
    let err = b.row_change(&t, &c, &mut Vec::new()).unwrap_err();
    assert!(err.to_string().contains("source position"), "{err}");
    let pg_table = TableDescription {
        connector: ConnectorKind::Postgres,
        ..table(MY)
    };
    assert!(b.table_schema(&pg_table).is_err());
}
