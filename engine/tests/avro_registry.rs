//! Tributary's Avro converter against a real Confluent-compatible schema registry: change
//! events are read back by id with `apache-avro`, incompatible changes are refused with the
//! registry's message, and lookups without auto-registration fail clearly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use apache_avro::types::Value as Avro;
use tributary::registry::{
    AvroConvertError, AvroConverter, RegistryConfig, RegistryError, SchemaRegistryClient,
    value_subject,
};
use tributary_envelope::avro::split_frame;
use tributary_envelope::decimal::Decimal;
use tributary_envelope::logical::connect;
use tributary_envelope::{
    AvroWritten, ChangeRecord, ColumnDescription, ConnectorKind, Datum, EnvelopeOptions,
    EpochNanos, EventBuilder, Extended, Numeric, Operation, PostgresSource, RowChange, Schema,
    SchemaType, SnapshotMarker, SourcePosition, TableDescription, Value,
};
use tributary_testcontainers::{SchemaRegistry, unique_name};

fn client(registry: &SchemaRegistry, auto_register: bool) -> Arc<SchemaRegistryClient> {
    let mut config = RegistryConfig::new(registry.url());
    config.auto_register = auto_register;
    config.request_timeout = Duration::from_secs(30);
    Arc::new(SchemaRegistryClient::new(&config).unwrap())
}

fn builder(prefix: &str) -> EventBuilder {
    let props = vec![
        ("topic.prefix", prefix),
        ("database.dbname", "inventory"),
        ("source.version", "3.0.0.Final"),
    ];
    EventBuilder::new(EnvelopeOptions::from_properties(ConnectorKind::Postgres, props).unwrap())
        .unwrap()
}

fn table(extra_required_column: bool) -> TableDescription {
    let mut columns = vec![
        ColumnDescription::new("id", "int4").not_null(),
        ColumnDescription::new("name", "varchar").not_null(),
        ColumnDescription::new("price", "numeric").precision_scale(10, 2),
        ColumnDescription::new("qty", "int2"),
        ColumnDescription::new("note", "text"),
        ColumnDescription::new("updated_at", "timestamptz"),
    ];
    if extra_required_column {
        columns.push(ColumnDescription::new("quantity", "int4").not_null());
    }
    TableDescription {
        connector: ConnectorKind::Postgres,
        namespace: "public".into(),
        table: "orders".into(),
        columns,
        primary_key: vec!["id".into()],
    }
}

fn row(id: i32, extra: bool) -> Vec<Value> {
    let mut row = vec![
        Value::Int32(id),
        Value::Text(format!("order {id}").into()),
        Value::Numeric(Numeric::Finite(Decimal::parse("-12.34").unwrap())),
        Value::Int16(3),
        Value::Null,
        Value::TimestampTz(Extended::Finite(1_704_164_645_123_456)),
    ];
    if extra {
        row.push(Value::Int32(9));
    }
    row
}

fn change<'a>(
    op: Operation,
    before: Option<&'a [Value]>,
    after: Option<&'a [Value]>,
) -> RowChange<'a> {
    RowChange {
        op,
        before,
        after,
        source: SourcePosition::Postgres(PostgresSource {
            commit_time: EpochNanos::from_millis(1_704_164_645_000),
            snapshot: SnapshotMarker::False,
            tx_id: Some(771),
            lsn: Some(33_816_880),
            xmin: None,
            last_commit_lsn: Some(33_816_704),
        }),
        transaction: None,
        processed_at: EpochNanos(1_704_164_646_000_123_456),
    }
}

/// What `apache-avro` decodes for a Connect value, following Confluent's `AvroData`.
fn expected(schema: &Schema, value: &Datum<'_>) -> Avro {
    if schema.is_optional() {
        let null_first =
            schema.schema_type() == SchemaType::Struct || schema.default_value().is_none();
        let (n, v) = if null_first { (0, 1) } else { (1, 0) };
        return match value {
            Datum::Null => Avro::Union(n, Box::new(Avro::Null)),
            d => Avro::Union(v, Box::new(plain(schema, d))),
        };
    }
    plain(schema, value)
}

fn plain(schema: &Schema, value: &Datum<'_>) -> Avro {
    let name = schema.name().unwrap_or("");
    match value {
        Datum::Null => panic!("null for a required schema {schema:?}"),
        Datum::Boolean(b) => Avro::Boolean(*b),
        Datum::Int8(v) => Avro::Int(i32::from(*v)),
        Datum::Int16(v) => Avro::Int(i32::from(*v)),
        Datum::Int32(v) => Avro::Int(*v),
        Datum::Int64(v) => Avro::Long(*v),
        Datum::Float32(v) => Avro::Float(*v),
        Datum::Float64(v) => Avro::Double(*v),
        Datum::String(s) => Avro::String(s.to_string()),
        Datum::Bytes(b) if name == connect::DECIMAL => {
            Avro::Decimal(apache_avro::Decimal::from(b.to_vec()))
        }
        Datum::Bytes(b) => Avro::Bytes(b.to_vec()),
        Datum::Array(items) => Avro::Array(
            items
                .iter()
                .map(|v| expected(schema.value_schema().unwrap(), v))
                .collect(),
        ),
        Datum::Map(entries) => Avro::Map(
            entries
                .iter()
                .map(|(k, v)| {
                    let Datum::String(k) = k else { panic!("key") };
                    (k.to_string(), expected(schema.value_schema().unwrap(), v))
                })
                .collect::<HashMap<_, _>>(),
        ),
        Datum::Struct(values) => Avro::Record(
            schema
                .fields()
                .iter()
                .zip(values.iter())
                .map(|(f, v)| {
                    let v = match (v, f.schema().default_value()) {
                        (Datum::Null, Some(d)) => d,
                        _ => v,
                    };
                    (f.name().to_owned(), expected(f.schema(), v))
                })
                .collect(),
        ),
    }
}

/// The schema the registry holds under `id`, fetched with a plain HTTP GET (not through
/// Tributary's client, whose cache already knows it).
fn schema_by_id(registry: &SchemaRegistry, id: u32) -> apache_avro::Schema {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let text = agent
        .get(&format!("{}/schemas/ids/{id}", registry.url()))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    apache_avro::Schema::parse_str(body["schema"].as_str().unwrap())
        .unwrap_or_else(|e| panic!("apache-avro rejects the registry's schema {body}: {e}"))
}

/// Decodes one framed message with the registry's schema and compares it with the source.
fn check(registry: &SchemaRegistry, message: &[u8], schema: &Schema, datum: &Datum<'_>) -> u32 {
    let (id, mut body) = split_frame(message).expect("Confluent frame");
    let avro = schema_by_id(registry, id);
    let decoded = apache_avro::from_avro_datum(&avro, &mut body, None).unwrap();
    assert!(body.is_empty(), "{} bytes left over", body.len());
    assert_eq!(decoded, expected(schema, datum));
    id
}

#[test]
fn change_events_read_back_by_schema_id_equal_the_source_values() {
    let registry = SchemaRegistry::shared().unwrap();
    let prefix = unique_name("avro");
    let events = builder(&prefix);
    let t = events.table_schema(&table(false)).unwrap();
    let (old, new) = (row(1, false), row(1, false));
    let mut records: Vec<ChangeRecord<'_>> = Vec::new();
    events
        .row_change(
            &t,
            &change(Operation::Create, None, Some(&old)),
            &mut records,
        )
        .unwrap();
    events
        .row_change(
            &t,
            &change(Operation::Update, Some(&old), Some(&new)),
            &mut records,
        )
        .unwrap();
    events
        .row_change(
            &t,
            &change(Operation::Delete, Some(&old), None),
            &mut records,
        )
        .unwrap();
    assert_eq!(records.len(), 4, "create, update, delete, tombstone");

    let mut converter = AvroConverter::new(client(registry, true));
    let (mut key_ids, mut value_ids) = (Vec::new(), Vec::new());
    for record in &records {
        let (mut key, mut value) = (Vec::new(), Vec::new());
        let (k, v) = converter
            .write_record(record, &mut key, &mut value)
            .unwrap();
        let (ks, kd) = record.key.as_ref().unwrap();
        assert_eq!(k, AvroWritten::Avro);
        key_ids.push(check(registry, &key, ks, kd));
        match &record.value {
            Some((vs, vd)) => {
                assert_eq!(v, AvroWritten::Avro);
                value_ids.push(check(registry, &value, vs, vd));
            }
            None => {
                assert_eq!(v, AvroWritten::KafkaNull, "a tombstone is a Kafka null");
                assert!(value.is_empty());
            }
        }
    }
    // One schema per subject: every record of the version carries the same ids.
    assert!(key_ids.windows(2).all(|w| w[0] == w[1]), "{key_ids:?}");
    assert!(value_ids.windows(2).all(|w| w[0] == w[1]), "{value_ids:?}");
    assert_ne!(key_ids[0], value_ids[0]);
}

#[test]
fn an_incompatible_change_under_backward_fails_with_the_registry_message() {
    let registry = SchemaRegistry::shared().unwrap();
    let prefix = unique_name("avrocompat");
    let events = builder(&prefix);
    let registry_client = client(registry, true);
    let mut converter = AvroConverter::new(Arc::clone(&registry_client));

    let v1 = events.table_schema(&table(false)).unwrap();
    let subject = value_subject(v1.topic());
    let first = row(1, false);
    let mut records = Vec::new();
    events
        .row_change(
            &v1,
            &change(Operation::Create, None, Some(&first)),
            &mut records,
        )
        .unwrap();
    let (mut key, mut value) = (Vec::new(), Vec::new());
    converter
        .write_record(&records[0], &mut key, &mut value)
        .unwrap();
    registry_client
        .set_compatibility(&subject, "BACKWARD")
        .unwrap();

    // A new NOT NULL column without a default: a reader with the new schema cannot read
    // the old records.
    let v2 = events.table_schema(&table(true)).unwrap();
    let second = row(2, true);
    let mut records = Vec::new();
    events
        .row_change(
            &v2,
            &change(Operation::Create, None, Some(&second)),
            &mut records,
        )
        .unwrap();
    let (mut key, mut value) = (Vec::new(), Vec::new());
    let err = converter
        .write_record(&records[0], &mut key, &mut value)
        .unwrap_err();
    assert!(!err.is_transient(), "{err}");
    let AvroConvertError::Registry {
        source:
            RegistryError::Incompatible {
                subject: at,
                message,
            },
        ..
    } = &err
    else {
        panic!("expected an incompatibility, got {err}");
    };
    assert_eq!(at, &subject);
    assert!(!message.is_empty());
    let text = err.to_string();
    assert!(text.contains(&subject), "{text}");
    assert!(text.contains(message.as_str()), "{text}");
    assert!(value.is_empty(), "nothing written for the refused record");
}

#[test]
fn without_auto_register_a_missing_schema_fails_clearly_and_a_registered_one_is_found() {
    let registry = SchemaRegistry::shared().unwrap();
    let prefix = unique_name("avrolookup");
    let events = builder(&prefix);
    let t = events.table_schema(&table(false)).unwrap();
    let r = row(1, false);
    let mut records = Vec::new();
    events
        .row_change(&t, &change(Operation::Create, None, Some(&r)), &mut records)
        .unwrap();

    let mut lookup_only = AvroConverter::new(client(registry, false));
    let (mut key, mut value) = (Vec::new(), Vec::new());
    let err = lookup_only
        .write_record(&records[0], &mut key, &mut value)
        .unwrap_err();
    assert!(!err.is_transient(), "{err}");
    assert!(
        matches!(
            &err,
            AvroConvertError::Registry {
                source: RegistryError::NotRegistered { .. },
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("auto.register.schemas=false"),
        "{err}"
    );

    // Registered by someone else: the lookup finds the same ids.
    let mut registering = AvroConverter::new(client(registry, true));
    let (mut k1, mut v1) = (Vec::new(), Vec::new());
    registering
        .write_record(&records[0], &mut k1, &mut v1)
        .unwrap();
    let (mut k2, mut v2) = (Vec::new(), Vec::new());
    lookup_only
        .write_record(&records[0], &mut k2, &mut v2)
        .unwrap();
    assert_eq!((k1, v1), (k2, v2));
}

#[test]
fn an_unknown_schema_id_is_a_definite_error_with_the_registry_message() {
    let registry = SchemaRegistry::shared().unwrap();
    let err = client(registry, true)
        .schema_by_id(987_654_321)
        .unwrap_err();
    assert!(matches!(err, RegistryError::UnknownId { .. }), "{err}");
    assert!(!err.is_transient());
    assert!(
        err.registry_message().is_some_and(|m| !m.is_empty()),
        "{err}"
    );
}
