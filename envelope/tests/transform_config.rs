//! Transform chain configuration: Connect's keys, validated once, errors naming the key.
//!
//! Documented behaviour: Kafka documentation, Connect › Transformations ("`transforms` — List
//! of aliases for the transformation, specifying the order in which the transformations will
//! be applied. `transforms.$alias.type` — Fully qualified class name for the transformation.
//! `transforms.$alias.$transformationSpecificConfig`") and › Predicates (`predicates`,
//! `predicates.$alias.type`, `transforms.$alias.predicate`, `transforms.$alias.negate`).
//! Tributary refuses unknown options and aliases (Connect only logs unused ones); see
//! docs/transforms.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tributary_envelope::transform::TransformChain;

fn err(props: &[(&str, &str)]) -> (String, String) {
    let e = TransformChain::from_properties(props.iter().copied()).unwrap_err();
    (e.key.clone(), e.to_string())
}

/// A configuration, the property its error must name, and a phrase of the problem.
type Case = (
    &'static [(&'static str, &'static str)],
    &'static str,
    &'static str,
);

const ROUTER: &str = "org.apache.kafka.connect.transforms.RegexRouter";

#[test]
fn no_transforms_is_an_empty_chain_and_other_keys_are_ignored() {
    let c = TransformChain::from_properties([
        (
            "connector.class",
            "io.debezium.connector.postgresql.PostgresConnector",
        ),
        ("topic.prefix", "dbserver1"),
    ])
    .unwrap();
    assert!(c.is_empty());
}

#[test]
fn aliases_keep_their_order() {
    let c = TransformChain::from_properties([
        ("transforms", " b , a "),
        ("transforms.a.type", ROUTER),
        ("transforms.a.regex", "x"),
        ("transforms.a.replacement", "y"),
        (
            "transforms.b.type",
            "org.apache.kafka.connect.transforms.Filter",
        ),
    ])
    .unwrap();
    assert_eq!(c.aliases().collect::<Vec<_>>(), ["b", "a"]);
}

#[test]
fn invalid_configurations_name_the_property() {
    // Table-driven: each case is a configuration and the property its error must name.
    let cases: &[Case] = &[
        (
            &[
                ("transforms", "r"),
                ("transforms.r.type", "com.acme.Mystery"),
            ],
            "transforms.r.type",
            "not a transform class",
        ),
        (
            &[("transforms", "r")],
            "transforms.r.type",
            "required and missing",
        ),
        (
            &[
                ("transforms", "r"),
                ("transforms.r.type", ROUTER),
                ("transforms.r.regex", "a"),
                ("transforms.r.replacement", "b"),
                ("transforms.r.regx", "typo"),
            ],
            "transforms.r.regx",
            "not an option",
        ),
        (
            &[("transforms", "r,r"), ("transforms.r.type", ROUTER)],
            "transforms",
            "twice",
        ),
        (
            &[
                ("transforms", "r"),
                ("transforms.r.type", ROUTER),
                ("transforms.r.regex", "a"),
                ("transforms.r.replacement", "b"),
                ("transforms.other.type", ROUTER),
            ],
            "transforms.other.type",
            "no alias listed",
        ),
        (
            &[
                ("transforms", "r"),
                ("transforms.r.type", ROUTER),
                ("transforms.r.regex", "(a"),
                ("transforms.r.replacement", "b"),
            ],
            "transforms.r.regex",
            "regular expression",
        ),
        (
            &[
                ("transforms", "r"),
                ("transforms.r.type", ROUTER),
                ("transforms.r.regex", "(a)"),
                ("transforms.r.replacement", "$2"),
            ],
            "transforms.r.replacement",
            "group 2",
        ),
        (
            &[
                ("transforms", "f"),
                (
                    "transforms.f.type",
                    "org.apache.kafka.connect.transforms.Filter",
                ),
                ("transforms.f.predicate", "missing"),
            ],
            "transforms.f.predicate",
            "not listed in `predicates`",
        ),
        (
            &[
                ("transforms", "f"),
                (
                    "transforms.f.type",
                    "org.apache.kafka.connect.transforms.Filter",
                ),
                ("transforms.f.predicate", "p"),
                ("predicates", "p"),
                (
                    "predicates.p.type",
                    "org.apache.kafka.connect.transforms.predicates.Nope",
                ),
            ],
            "predicates.p.type",
            "not a predicate class",
        ),
        (
            &[
                ("transforms", "f"),
                (
                    "transforms.f.type",
                    "org.apache.kafka.connect.transforms.Filter",
                ),
                ("transforms.f.negate", "maybe"),
            ],
            "transforms.f.negate",
            "not a boolean",
        ),
        (
            &[
                ("transforms", "u"),
                (
                    "transforms.u.type",
                    "io.debezium.transforms.ExtractNewRecordState",
                ),
                ("transforms.u.delete.tombstone.handling.mode", "shred"),
            ],
            "transforms.u.delete.tombstone.handling.mode",
            "not a delete/tombstone handling mode",
        ),
        (
            &[
                ("transforms", "c"),
                (
                    "transforms.c.type",
                    "org.apache.kafka.connect.transforms.TimestampRouter",
                ),
            ],
            "transforms.c.type",
            "does not run yet",
        ),
        (
            &[
                ("transforms", "c"),
                (
                    "transforms.c.type",
                    "org.apache.kafka.connect.transforms.Cast$Value",
                ),
                ("transforms.c.spec", "id:int64,float32"),
            ],
            "transforms.c.spec",
            "mixes a whole-value type",
        ),
        (
            &[
                ("transforms", "rf"),
                (
                    "transforms.rf.type",
                    "org.apache.kafka.connect.transforms.ReplaceField$Value",
                ),
                ("transforms.rf.renames", "a:b:c"),
            ],
            "transforms.rf.renames",
            "invalid rename mapping",
        ),
        (
            &[
                ("transforms", "m"),
                (
                    "transforms.m.type",
                    "org.apache.kafka.connect.transforms.MaskField$Value",
                ),
            ],
            "transforms.m.fields",
            "at least one field",
        ),
        (
            &[
                ("transforms", "i"),
                (
                    "transforms.i.type",
                    "org.apache.kafka.connect.transforms.InsertField$Value",
                ),
                ("transforms.i.offset.field", "off"),
            ],
            "transforms.i.offset.field",
            "sink connectors",
        ),
        (
            &[
                ("transforms", "s"),
                (
                    "transforms.s.type",
                    "org.apache.kafka.connect.transforms.SetSchemaMetadata$Value",
                ),
            ],
            "transforms.s.schema.name",
            "neither schema name nor version",
        ),
        (
            &[
                ("transforms", "l"),
                (
                    "transforms.l.type",
                    "io.debezium.transforms.ByLogicalTableRouter",
                ),
                ("transforms.l.topic.regex", "(.*)"),
                ("transforms.l.topic.replacement", "all"),
                ("transforms.l.key.field.regex", "(.*)"),
            ],
            "transforms.l.key.field.replacement",
            "must be non-empty",
        ),
    ];
    for (props, key, problem) in cases {
        let (got_key, text) = err(props);
        assert_eq!(&got_key, key, "{text}");
        assert!(text.contains(problem), "{key}: {text}");
    }
}
