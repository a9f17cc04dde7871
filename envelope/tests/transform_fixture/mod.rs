//! Records for the transform golden tests: a PostgreSQL `public.customers` table captured by
//! the `dbserver1` connector, turned into Debezium change records by `EventBuilder`, and a
//! renderer that runs a chain and prints each output through JsonConverter (schemas on).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use tributary_envelope::decimal::Decimal;
use tributary_envelope::transform::TransformChain;
use tributary_envelope::{
    ChangeRecord, ColumnDescription, ConnectorKind, EnvelopeOptions, EpochNanos, EventBuilder,
    Numeric, Operation, PostgresSource, RowChange, SnapshotMarker, SourcePosition,
    TableDescription, TableSchema, Value,
};

pub(crate) const PROCESSED: EpochNanos = EpochNanos(1_704_164_646_000_123_456);

/// A connector with Debezium's defaults (`tombstones.on.delete=true`).
pub(crate) fn builder() -> EventBuilder {
    let props = [
        ("topic.prefix", "dbserver1"),
        ("database.dbname", "inventory"),
        ("source.version", "3.0.0.Final"),
    ];
    EventBuilder::new(EnvelopeOptions::from_properties(ConnectorKind::Postgres, props).unwrap())
        .unwrap()
}

/// `public.<name>`: id (PK), first_name, email, balance numeric(10,2), ssn, status with a
/// default.
pub(crate) fn table(name: &str) -> TableDescription {
    TableDescription {
        connector: ConnectorKind::Postgres,
        namespace: "public".into(),
        table: name.into(),
        columns: vec![
            ColumnDescription::new("id", "int4").not_null(),
            ColumnDescription::new("first_name", "varchar").not_null(),
            ColumnDescription::new("email", "varchar"),
            ColumnDescription::new("balance", "numeric").precision_scale(10, 2),
            ColumnDescription::new("ssn", "varchar"),
            ColumnDescription::new("status", "varchar").default_value(Value::Text("active".into())),
        ],
        primary_key: vec!["id".into()],
    }
}

pub(crate) fn row(id: i32, name: &str, status: Option<&str>) -> Vec<Value> {
    vec![
        Value::Int32(id),
        Value::Text(name.into()),
        Value::Text(format!("{}@example.com", name.to_lowercase()).into()),
        Value::Numeric(Numeric::Finite(Decimal::parse("1234.50").unwrap())),
        Value::Text("078-05-1120".into()),
        status.map_or(Value::Null, |s| Value::Text(s.into())),
    ]
}

pub(crate) fn source() -> SourcePosition<'static> {
    SourcePosition::Postgres(PostgresSource {
        commit_time: EpochNanos::from_micros(1_704_164_645_123_456),
        snapshot: SnapshotMarker::False,
        tx_id: Some(771),
        lsn: Some(33_816_880),
        xmin: None,
        last_commit_lsn: Some(33_816_704),
    })
}

/// The records Debezium writes for one change.
pub(crate) fn records<'a>(
    b: &'a EventBuilder,
    t: &'a Arc<TableSchema>,
    op: Operation,
    before: Option<&'a [Value]>,
    after: Option<&'a [Value]>,
) -> Vec<ChangeRecord<'a>> {
    let change = RowChange {
        op,
        before,
        after,
        source: source(),
        transaction: None,
        processed_at: PROCESSED,
    };
    let mut out = Vec::new();
    b.row_change(t, &change, &mut out).unwrap();
    out
}

pub(crate) fn chain(props: &[(&str, &str)]) -> TransformChain {
    TransformChain::from_properties(props.iter().copied()).unwrap()
}

/// Runs `chain` on each record; prints each output (topic, key, value, headers) or
/// `<dropped>`, separated by blank lines.
pub(crate) fn run(chain: &mut TransformChain, input: Vec<ChangeRecord<'_>>) -> String {
    input
        .into_iter()
        .map(|r| match chain.apply(r).unwrap() {
            Some(out) => super::support::record(&out),
            None => "<dropped>".to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}
