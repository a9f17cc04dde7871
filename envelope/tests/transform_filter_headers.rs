//! `Filter` with predicates, `InsertHeader` and `DropHeaders`.
//!
//! Documented behaviour: Kafka documentation, Connect › Transformations › Predicates
//! (KIP-585: "`TopicNameMatches` … whose topic name matches a particular Java regular
//! expression", "`HasHeaderKey` … records with at least one header with the configured name",
//! "`RecordIsTombstone` … tombstones, that is records with a null value"; `negate` inverts;
//! "Filter … drops all records, designed to be used in conjunction with a Predicate"), and
//! Connect › Transformations › `InsertHeader` ("Add a header to each record", `header`,
//! `value.literal`) and `DropHeaders` ("Removes one or more headers from each record").
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;
mod transform_fixture;

use transform_fixture::{builder, chain, records, row, run, table};
use tributary_envelope::Operation;

#[test]
fn filter_with_topic_predicate_drops_only_matching_topics() {
    let b = builder();
    let customers = b.table_schema(&table("customers")).unwrap();
    let audit = b.table_schema(&table("audit_log")).unwrap();
    let r = row(1, "Sally", None);
    let mut c = chain(&[
        ("transforms", "dropAudit"),
        (
            "transforms.dropAudit.type",
            "org.apache.kafka.connect.transforms.Filter",
        ),
        ("transforms.dropAudit.predicate", "isAudit"),
        ("predicates", "isAudit"),
        (
            "predicates.isAudit.type",
            "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
        ),
        ("predicates.isAudit.pattern", r".*\.audit_.*"),
    ]);
    let kept = c
        .apply(records(&b, &customers, Operation::Create, None, Some(&r)).remove(0))
        .unwrap();
    let dropped = c
        .apply(records(&b, &audit, Operation::Create, None, Some(&r)).remove(0))
        .unwrap();
    assert!(kept.is_some());
    assert!(dropped.is_none());
}

#[test]
fn negated_tombstone_predicate_keeps_only_tombstones() {
    // negate=true: the Filter applies to records that are NOT tombstones.
    let b = builder();
    let t = b.table_schema(&table("customers")).unwrap();
    let before = row(1, "Sally", None);
    let mut c = chain(&[
        ("transforms", "onlyTombstones"),
        (
            "transforms.onlyTombstones.type",
            "org.apache.kafka.connect.transforms.Filter",
        ),
        ("transforms.onlyTombstones.predicate", "tomb"),
        ("transforms.onlyTombstones.negate", "true"),
        ("predicates", "tomb"),
        (
            "predicates.tomb.type",
            "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
        ),
    ]);
    let out = run(
        &mut c,
        records(&b, &t, Operation::Delete, Some(&before), None),
    );
    assert!(out.starts_with("<dropped>\n\ntopic:"), "{out}");
    assert!(out.ends_with("value: <kafka null>"), "{out}");
}

#[test]
fn insert_header_then_drop_headers_gated_by_has_header_key() {
    // InsertHeader infers the literal's schema (an integer fits INT8); DropHeaders removes
    // every header of the given name; HasHeaderKey gates a step on a header's presence.
    let b = builder();
    let t = b.table_schema(&table("customers")).unwrap();
    let r = row(1, "Sally", None);
    let mut c = chain(&[
        ("transforms", "tag,version,dropTag"),
        (
            "transforms.tag.type",
            "org.apache.kafka.connect.transforms.InsertHeader",
        ),
        ("transforms.tag.header", "source-system"),
        ("transforms.tag.value.literal", "crm"),
        (
            "transforms.version.type",
            "org.apache.kafka.connect.transforms.InsertHeader",
        ),
        ("transforms.version.header", "schema-rev"),
        ("transforms.version.value.literal", "7"),
        ("transforms.version.predicate", "tagged"),
        (
            "transforms.dropTag.type",
            "org.apache.kafka.connect.transforms.DropHeaders",
        ),
        ("transforms.dropTag.headers", "source-system"),
        ("predicates", "tagged"),
        (
            "predicates.tagged.type",
            "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
        ),
        ("predicates.tagged.name", "source-system"),
    ]);
    let out = c
        .apply(records(&b, &t, Operation::Create, None, Some(&r)).remove(0))
        .unwrap()
        .unwrap();
    let names: Vec<_> = out.headers.iter().map(|h| h.name).collect();
    assert_eq!(names, ["schema-rev"]);
    assert_eq!(
        std::str::from_utf8(out.headers[0].schema.json()).unwrap(),
        r#"{"type":"int8","optional":false}"#
    );
    assert_eq!(out.headers[0].value, tributary_envelope::Datum::Int8(7));
}

#[test]
fn header_from_moves_fields_into_headers() {
    // HeaderFrom ("Moves or copies fields in the key/value of a record into that record's
    // headers"): each header takes the field's schema and value; `move` removes the fields
    // from the value, `copy` keeps them.
    let b = builder();
    let t = b.table_schema(&table("customers")).unwrap();
    let r = row(1, "Sally", None);
    let props = |operation: &'static str| {
        chain(&[
            ("transforms", "unwrap,hf"),
            (
                "transforms.unwrap.type",
                "io.debezium.transforms.ExtractNewRecordState",
            ),
            (
                "transforms.hf.type",
                "org.apache.kafka.connect.transforms.HeaderFrom$Value",
            ),
            ("transforms.hf.fields", "email,status"),
            ("transforms.hf.headers", "mail,state"),
            ("transforms.hf.operation", operation),
        ])
    };
    let moved = run(
        &mut props("move"),
        records(&b, &t, Operation::Create, None, Some(&r)),
    );
    insta::assert_snapshot!(moved);
    assert!(moved.contains("header mail: \"sally@example.com\"\nheader state: \"active\""));
    assert!(!moved.contains(r#""field":"email""#), "{moved}");
    let copied = run(
        &mut props("copy"),
        records(&b, &t, Operation::Create, None, Some(&r)),
    );
    assert!(copied.contains(r#""field":"email""#), "{copied}");
    assert!(
        copied.contains("header mail: \"sally@example.com\""),
        "{copied}"
    );
}
