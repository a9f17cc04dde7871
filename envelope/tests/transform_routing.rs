//! Topic routing: Kafka Connect's `RegexRouter` and Debezium's `ByLogicalTableRouter`.
//!
//! Documented behaviour: Kafka documentation, Connect › Transformations ›
//! `org.apache.kafka.connect.transforms.RegexRouter` ("Update the record topic using the
//! configured regular expression and replacement string … Java regex … `regex`,
//! `replacement`"); Debezium reference, Transformations › Topic Routing
//! (`transformations/topic-routing.html`), sections "Example", "Ensure unique keys across
//! records routed to the same topic" (`key.field.name` default `__dbz__physicalTableIdentifier`,
//! `key.field.regex`/`key.field.replacement`) and "Configuration options".
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;
mod transform_fixture;

use transform_fixture::{builder, chain, records, row, run, table};
use tributary_envelope::Operation;

#[test]
fn regex_router_rewrites_matching_topics_only() {
    // RegexRouter: the whole topic must match (`Matcher.matches`); `$1` refers to a group;
    // a topic that does not match is left alone. Key and value are untouched.
    let b = builder();
    let customers = b.table_schema(&table("customers")).unwrap();
    let after = row(1, "Sally", None);
    let mut c = chain(&[
        ("transforms", "route"),
        (
            "transforms.route.type",
            "org.apache.kafka.connect.transforms.RegexRouter",
        ),
        ("transforms.route.regex", r"dbserver1\.public\.(.*)"),
        ("transforms.route.replacement", "cdc.$1"),
    ]);
    let input = records(&b, &customers, Operation::Create, None, Some(&after));
    let original = input[0].clone();
    let out = c.apply(input.into_iter().next().unwrap()).unwrap().unwrap();
    assert_eq!(out.topic, "cdc.customers");
    assert_eq!(
        (out.key, out.value),
        (original.key.clone(), original.value.clone())
    );
    // A partial match is no match.
    let mut partial = original.clone();
    partial.topic = "xdbserver1.public.customers".into();
    assert_eq!(
        c.apply(partial.clone()).unwrap().unwrap().topic,
        partial.topic
    );
}

#[test]
fn logical_table_router_merges_shards_and_keeps_keys_unique() {
    // Topic Routing "Example": customers_shard1/2 → one topic; "Ensure unique keys": the key
    // gets `__dbz__physicalTableIdentifier` = the original topic; key, envelope and row
    // schemas are renamed after the new topic. The tombstone is routed too, with its key
    // rewritten and its value left null.
    let b = builder();
    let shard1 = b.table_schema(&table("customers_shard1")).unwrap();
    let before = row(7, "Sally", None);
    let after = row(1, "Anne", Some("gold"));
    let mut c = chain(&[
        ("transforms", "Reroute"),
        (
            "transforms.Reroute.type",
            "io.debezium.transforms.ByLogicalTableRouter",
        ),
        ("transforms.Reroute.topic.regex", r"(.*)customers_shard(.*)"),
        (
            "transforms.Reroute.topic.replacement",
            "$1customers_all_shards",
        ),
    ]);
    let mut input = records(&b, &shard1, Operation::Create, None, Some(&after));
    input.extend(records(&b, &shard1, Operation::Delete, Some(&before), None));
    let out = run(&mut c, input);
    assert!(
        out.contains("topic: dbserver1.public.customers_all_shards"),
        "{out}"
    );
    assert!(
        out.contains(r#""__dbz__physicalTableIdentifier":"dbserver1.public.customers_shard1""#)
    );
    assert!(out.contains(r#""name":"dbserver1.public.customers_all_shards.Envelope""#));
    insta::assert_snapshot!(out);
}

#[test]
fn logical_table_router_key_field_regex_and_no_uniqueness() {
    // "Ensure unique keys": key.field.regex/key.field.replacement derive the identifier from
    // the original topic; key.enforce.uniqueness=false leaves the key fields alone (only the
    // key schema is renamed).
    let b = builder();
    let shard2 = b.table_schema(&table("customers_shard2")).unwrap();
    let after = row(1, "Anne", None);
    let base = [
        ("transforms", "Reroute"),
        (
            "transforms.Reroute.type",
            "io.debezium.transforms.ByLogicalTableRouter",
        ),
        ("transforms.Reroute.topic.regex", r"(.*)customers_shard(.*)"),
        (
            "transforms.Reroute.topic.replacement",
            "$1customers_all_shards",
        ),
    ];
    let mut with_regex = base.to_vec();
    with_regex.extend([
        ("transforms.Reroute.key.field.name", "shard_id"),
        (
            "transforms.Reroute.key.field.regex",
            r"(.*)customers_shard(.*)",
        ),
        ("transforms.Reroute.key.field.replacement", "$2"),
    ]);
    let keyed = c_apply(&with_regex, &b, &shard2, &after);
    assert!(
        keyed.contains(r#""payload":{"id":1,"shard_id":"2"}"#),
        "{keyed}"
    );
    let mut no_unique = base.to_vec();
    no_unique.push(("transforms.Reroute.key.enforce.uniqueness", "false"));
    let plain = c_apply(&no_unique, &b, &shard2, &after);
    assert!(
        plain
            .contains(r#""name":"dbserver1.public.customers_all_shards.Key"},"payload":{"id":1}}"#),
        "{plain}"
    );
}

fn c_apply(
    props: &[(&str, &str)],
    b: &tributary_envelope::EventBuilder,
    t: &std::sync::Arc<tributary_envelope::TableSchema>,
    after: &[tributary_envelope::Value],
) -> String {
    run(
        &mut chain(props),
        records(b, t, Operation::Create, None, Some(after)),
    )
    .lines()
    .find(|l| l.starts_with("key: "))
    .unwrap()
    .to_owned()
}
