//! `io.debezium.transforms.ExtractNewRecordState` on Debezium's own PostgreSQL records.
//!
//! Documented behaviour: Debezium reference, Transformations › New Record State Extraction
//! (`transformations/event-flattening.html`), sections "Behavior" (the `after` state replaces
//! the envelope; deletes and tombstones), "Configuration options" (`drop.tombstones`,
//! `delete.handling.mode`, `delete.tombstone.handling.mode`, `add.fields`, `add.headers`,
//! `route.by.field`) and "Adding Debezium metadata to Kafka records"; the schema details follow
//! `ExtractNewRecordState.addFields` (`SchemaUtil.copySchemaBasics`, fields made optional).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;
mod transform_fixture;

use std::sync::Arc;

use transform_fixture::{builder, chain, records, row, run, table};
use tributary_envelope::{Operation, Value};

const UNWRAP: (&str, &str) = ("transforms", "unwrap");
const TYPE: (&str, &str) = (
    "transforms.unwrap.type",
    "io.debezium.transforms.ExtractNewRecordState",
);

#[test]
fn create_becomes_the_after_row_with_a_required_copy_of_the_row_schema() {
    // "Behavior": the SMT replaces the change event with its `after` field.
    let b = builder();
    let t = b.table_schema(&table("customers")).unwrap();
    let after = row(1, "Sally", Some("gold"));
    let out = run(
        &mut chain(&[UNWRAP, TYPE]),
        records(&b, &t, Operation::Create, None, Some(&after)),
    );
    assert!(
        out.contains(r#""payload":{"id":1,"first_name":"Sally""#),
        "{out}"
    );
    insta::assert_snapshot!(out);
}

#[test]
fn default_mode_turns_a_delete_into_a_null_value_and_drops_the_tombstone() {
    // "Configuration options", delete.tombstone.handling.mode=tombstone (the default, and the
    // legacy drop.tombstones=true + delete.handling.mode=none): Debezium's tombstone is
    // removed and the delete record keeps only a null value (with the row schema).
    let b = builder();
    let t = b.table_schema(&table("customers")).unwrap();
    let before = row(1, "Sally", None);
    let input = records(&b, &t, Operation::Delete, Some(&before), None);
    assert_eq!(input.len(), 2);
    let out = run(&mut chain(&[UNWRAP, TYPE]), input);
    assert!(out.ends_with("<dropped>"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn delete_handling_modes() {
    // "Configuration options": drop removes deletes and tombstones; rewrite adds
    // `__deleted` ("true" on deletes, "false" otherwise) and drops tombstones;
    // rewrite-with-tombstone also keeps the tombstones.
    let b = builder();
    let t = b.table_schema(&table("customers")).unwrap();
    let before = row(1, "Sally", None);
    let after = row(2, "Anne", None);
    let mut lines = Vec::new();
    for mode in ["drop", "rewrite", "rewrite-with-tombstone"] {
        let mut c = chain(&[
            UNWRAP,
            TYPE,
            ("transforms.unwrap.delete.tombstone.handling.mode", mode),
        ]);
        let mut input = records(&b, &t, Operation::Delete, Some(&before), None);
        input.extend(records(&b, &t, Operation::Create, None, Some(&after)));
        lines.push(format!("## {mode}\n{}", run(&mut c, input)));
    }
    let text = lines.join("\n\n");
    assert!(text.contains(r#""__deleted":"true""#) && text.contains(r#""__deleted":"false""#));
    insta::assert_snapshot!(text);
}

#[test]
fn legacy_options_keep_tombstones_and_rewrite() {
    // "Configuration options": the deprecated drop.tombstones=false and
    // delete.handling.mode=rewrite still work when delete.tombstone.handling.mode is unset.
    let b = builder();
    let t = b.table_schema(&table("customers")).unwrap();
    let before = row(1, "Sally", None);
    let out = run(
        &mut chain(&[
            UNWRAP,
            TYPE,
            ("transforms.unwrap.drop.tombstones", "false"),
            ("transforms.unwrap.delete.handling.mode", "rewrite"),
        ]),
        records(&b, &t, Operation::Delete, Some(&before), None),
    );
    // The rewritten delete, then the kept tombstone (Kafka null value).
    assert!(out.contains(r#""__deleted":"true""#), "{out}");
    assert!(out.ends_with("value: <kafka null>"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn add_fields_and_headers_carry_envelope_metadata() {
    // "Adding Debezium metadata to Kafka records": add.fields=op,table,source.ts_ms adds
    // `__op`, `__table`, `__source_ts_ms`; `:name` renames; add.headers adds headers with the
    // same naming.
    let b = builder();
    let t = b.table_schema(&table("customers")).unwrap();
    let before = row(1, "Sally", None);
    let after = row(1, "Sally Ann", Some("gold"));
    let out = run(
        &mut chain(&[
            UNWRAP,
            TYPE,
            (
                "transforms.unwrap.add.fields",
                "op,table,source.ts_ms,lsn:log_position",
            ),
            ("transforms.unwrap.add.headers", "op,db"),
            ("transforms.unwrap.drop.tombstones", "false"),
        ]),
        {
            let mut v = records(&b, &t, Operation::Update, Some(&before), Some(&after));
            v.extend(records(&b, &t, Operation::Delete, Some(&before), None));
            v
        },
    );
    assert!(out.contains(r#""__op":"u","__table":"customers""#), "{out}");
    assert!(out.contains(r#""__log_position":33816880"#), "{out}");
    assert!(out.contains("header __op: \"u\"") && out.contains("header __db: \"inventory\""));
    // The kept tombstone gets only the `op` header, "d".
    assert!(
        out.ends_with("value: <kafka null>\nheader __op: \"d\""),
        "{out}"
    );
    insta::assert_snapshot!(out);
}

#[test]
fn route_by_field_sets_the_topic_from_the_row() {
    // "Configuration options", route.by.field: the topic is the field's value in `after`
    // (in `before` for deletes).
    let b = builder();
    let t = b.table_schema(&table("customers")).unwrap();
    let after = row(1, "Sally", Some("gold"));
    let before = row(2, "Anne", Some("silver"));
    let mut c = chain(&[
        UNWRAP,
        TYPE,
        ("transforms.unwrap.route.by.field", "status"),
        ("transforms.unwrap.delete.handling.mode", "rewrite"),
    ]);
    let mut input = records(&b, &t, Operation::Create, None, Some(&after));
    input.extend(records(&b, &t, Operation::Delete, Some(&before), None));
    let outputs: Vec<_> = input
        .into_iter()
        .filter_map(|r| c.apply(r).unwrap())
        .map(|r| r.topic.into_owned())
        .collect();
    assert_eq!(outputs, ["gold", "silver"]);
}

#[test]
fn non_envelope_records_and_truncates() {
    // "Behavior": records that are not change events (heartbeats) pass unchanged; a truncate
    // (no before, no after) is dropped.
    let b = builder();
    let t = b.table_schema(&table("customers")).unwrap();
    let mut c = chain(&[UNWRAP, TYPE]);
    let heartbeat = b.heartbeat(transform_fixture::PROCESSED);
    assert_eq!(c.apply(heartbeat.clone()).unwrap(), Some(heartbeat));
    let props = [
        ("topic.prefix", "dbserver1"),
        ("database.dbname", "inventory"),
        ("skipped.operations", "none"),
    ];
    let b2 = tributary_envelope::EventBuilder::new(
        tributary_envelope::EnvelopeOptions::from_properties(
            tributary_envelope::ConnectorKind::Postgres,
            props,
        )
        .unwrap(),
    )
    .unwrap();
    let t2 = b2.table_schema(&table("customers")).unwrap();
    let mut out = Vec::new();
    b2.truncate(
        &t2,
        &transform_fixture::source(),
        None,
        transform_fixture::PROCESSED,
        &mut out,
    )
    .unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(c.apply(out.remove(0)).unwrap(), None);
    let _ = (t, Value::Null);
}

#[test]
fn the_unwrapped_schema_is_derived_once_per_table_schema() {
    // Schemas are derived per input schema (the SMT's schemaUpdateCache), not per record:
    // two records of one table share the output schema object.
    let b = builder();
    let t = b.table_schema(&table("customers")).unwrap();
    let (r1, r2) = (row(1, "Sally", None), row(2, "Anne", None));
    let mut c = chain(&[UNWRAP, TYPE, ("transforms.unwrap.add.fields", "op")]);
    let a = c
        .apply(records(&b, &t, Operation::Create, None, Some(&r1)).remove(0))
        .unwrap()
        .unwrap();
    let z = c
        .apply(records(&b, &t, Operation::Create, None, Some(&r2)).remove(0))
        .unwrap()
        .unwrap();
    let (sa, sz) = (&a.value.as_ref().unwrap().0, &z.value.as_ref().unwrap().0);
    assert!(Arc::ptr_eq(sa, sz));
    assert!(!sa.is_optional(), "copySchemaBasics does not copy optional");
}
