//! Kafka Connect's field transforms after an unwrap: `MaskField`, `ReplaceField`,
//! `InsertField`, `ValueToKey`, `ExtractField`, `HoistField`, `SetSchemaMetadata`.
//!
//! Documented behaviour: Kafka documentation, Connect › Transformations (the per-transform
//! reference generated from each class's `OVERVIEW_DOC` and `ConfigDef`):
//! MaskField "Mask specified fields with a valid null value for the field type (i.e. 0,
//! false, empty string, and so on). For numeric and string fields, an optional replacement
//! value can be specified"; ReplaceField "Filter or rename fields" (`exclude`, `include`,
//! `renames`); InsertField "Insert field(s) using attributes from the record metadata or a
//! configured static value" (`topic.field`, `static.field`, `static.value`, `!`/`?` suffix);
//! ValueToKey "Replace the record key with a new key formed from a subset of fields in the
//! record value"; ExtractField "Extract the specified field from a Struct … and replace the
//! entire value/key with the extracted field"; HoistField "Wrap data using the specified field
//! name in a Struct"; SetSchemaMetadata "Set the schema name, version or both".
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;
mod transform_fixture;

use transform_fixture::{builder, chain, records, row, run, table};
use tributary_envelope::Operation;
use tributary_envelope::transform::TransformChain;

/// `unwrap` followed by `extra` transforms (aliases listed in `list`).
fn with_unwrap(list: &str, extra: &[(&'static str, &'static str)]) -> TransformChain {
    let aliases = format!("unwrap,{list}");
    let mut props: Vec<(&str, &str)> = vec![
        ("transforms", aliases.as_str()),
        (
            "transforms.unwrap.type",
            "io.debezium.transforms.ExtractNewRecordState",
        ),
    ];
    props.extend_from_slice(extra);
    chain(&props)
}

fn create_output(c: &mut TransformChain, status: Option<&str>) -> String {
    let b = builder();
    let t = b.table_schema(&table("customers")).unwrap();
    let after = row(1, "Sally", status);
    run(c, records(&b, &t, Operation::Create, None, Some(&after)))
}

#[test]
fn mask_field_uses_the_type_null_value_or_the_replacement() {
    // MaskField: strings become "", a Decimal scale 2 needs a replacement of that scale (the
    // converter refuses BigDecimal.ZERO's scale 0), a string replacement is used as is.
    let mut c = with_unwrap(
        "mask,maskNum",
        &[
            (
                "transforms.mask.type",
                "org.apache.kafka.connect.transforms.MaskField$Value",
            ),
            ("transforms.mask.fields", "ssn,email"),
            (
                "transforms.maskNum.type",
                "org.apache.kafka.connect.transforms.MaskField$Value",
            ),
            ("transforms.maskNum.fields", "balance"),
            ("transforms.maskNum.replacement", "0.00"),
        ],
    );
    let out = create_output(&mut c, Some("gold"));
    assert!(
        out.contains(r#""email":"","balance":"AA==","ssn":"""#),
        "{out}"
    );
    assert!(
        !out.contains("078-05-1120"),
        "the masked value must not appear: {out}"
    );
    insta::assert_snapshot!(out);

    let mut replaced = with_unwrap(
        "mask",
        &[
            (
                "transforms.mask.type",
                "org.apache.kafka.connect.transforms.MaskField$Value",
            ),
            ("transforms.mask.fields", "ssn"),
            ("transforms.mask.replacement", "***-**-****"),
        ],
    );
    let out = create_output(&mut replaced, None);
    assert!(out.contains(r#""ssn":"***-**-****""#), "{out}");
}

#[test]
fn mask_field_refuses_what_connect_refuses() {
    // MaskField: a Decimal of scale 2 masked without replacement fails (as Connect's
    // Decimal.fromLogical does), and the error names the field but not its value.
    let mut c = with_unwrap(
        "mask",
        &[
            (
                "transforms.mask.type",
                "org.apache.kafka.connect.transforms.MaskField$Value",
            ),
            ("transforms.mask.fields", "balance"),
        ],
    );
    let b = builder();
    let t = b.table_schema(&table("customers")).unwrap();
    let after = row(1, "Sally", None);
    let err = c
        .apply(records(&b, &t, Operation::Create, None, Some(&after)).remove(0))
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("`balance`") && text.contains("`mask`"),
        "{text}"
    );
    assert!(!text.contains("1234"), "{text}");
}

#[test]
fn replace_field_excludes_and_renames_in_input_order() {
    // ReplaceField: `exclude` wins over `include`; `renames` maps old:new; the rebuilt struct
    // keeps the input's field order. A null `status` reads as its default ("active"), as
    // Struct.get does.
    let mut c = with_unwrap(
        "rf",
        &[
            (
                "transforms.rf.type",
                "org.apache.kafka.connect.transforms.ReplaceField$Value",
            ),
            ("transforms.rf.include", "id,first_name,ssn,status"),
            ("transforms.rf.exclude", "ssn"),
            ("transforms.rf.renames", "first_name:name,status:state"),
        ],
    );
    let out = create_output(&mut c, None);
    assert!(
        out.contains(r#""payload":{"id":1,"name":"Sally","state":"active"}"#),
        "{out}"
    );
    insta::assert_snapshot!(out);
}

#[test]
fn insert_field_adds_topic_and_static_fields() {
    // InsertField: `topic.field` (optional STRING) and `static.field`/`static.value`;
    // `!` makes the field required.
    let mut c = with_unwrap(
        "ins",
        &[
            (
                "transforms.ins.type",
                "org.apache.kafka.connect.transforms.InsertField$Value",
            ),
            ("transforms.ins.topic.field", "origin!"),
            ("transforms.ins.static.field", "region"),
            ("transforms.ins.static.value", "eu-west"),
        ],
    );
    let out = create_output(&mut c, Some("gold"));
    assert!(
        out.contains(r#""origin":"dbserver1.public.customers","region":"eu-west"}"#),
        "{out}"
    );
    insta::assert_snapshot!(out);
}

#[test]
fn value_to_key_and_extract_field_and_hoist_field() {
    // ValueToKey builds the key from value fields; ExtractField$Key then replaces the key by
    // one field; HoistField$Value wraps the value in a struct with one field.
    let mut c = with_unwrap(
        "v2k,xk,hoist",
        &[
            (
                "transforms.v2k.type",
                "org.apache.kafka.connect.transforms.ValueToKey",
            ),
            ("transforms.v2k.fields", "email,id"),
            (
                "transforms.xk.type",
                "org.apache.kafka.connect.transforms.ExtractField$Key",
            ),
            ("transforms.xk.field", "email"),
            (
                "transforms.hoist.type",
                "org.apache.kafka.connect.transforms.HoistField$Value",
            ),
            ("transforms.hoist.field", "row"),
        ],
    );
    let out = create_output(&mut c, None);
    assert!(
        out.contains(
            r#"key: {"schema":{"type":"string","optional":true},"payload":"sally@example.com"}"#
        ),
        "{out}"
    );
    assert!(out.contains(r#""payload":{"row":{"id":1,"#), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn set_schema_metadata_renames_the_value_schema() {
    // SetSchemaMetadata: sets the schema name and version, keeps everything else.
    let mut c = with_unwrap(
        "meta",
        &[
            (
                "transforms.meta.type",
                "org.apache.kafka.connect.transforms.SetSchemaMetadata$Value",
            ),
            ("transforms.meta.schema.name", "com.acme.Customer"),
            ("transforms.meta.schema.version", "3"),
        ],
    );
    let out = create_output(&mut c, None);
    assert!(
        out.contains(r#""optional":false,"name":"com.acme.Customer","version":3},"payload""#),
        "{out}"
    );
}

#[test]
fn tombstones_pass_through_field_transforms() {
    // Documented difference (docs/transforms.md, "Differences"): where Connect's field
    // transforms require a struct, a Debezium tombstone (null value) passes unchanged instead
    // of failing the connector; ReplaceField and InsertField return tombstones unchanged in
    // Connect too (KAFKA-9204, KAFKA-8523).
    let b = builder();
    let t = b.table_schema(&table("customers")).unwrap();
    let before = row(1, "Sally", None);
    let tombstone = records(&b, &t, Operation::Delete, Some(&before), None).remove(1);
    assert!(tombstone.is_tombstone());
    let mut c = chain(&[
        ("transforms", "mask,rf,ins,v2k,meta"),
        (
            "transforms.mask.type",
            "org.apache.kafka.connect.transforms.MaskField$Value",
        ),
        ("transforms.mask.fields", "ssn"),
        (
            "transforms.rf.type",
            "org.apache.kafka.connect.transforms.ReplaceField$Value",
        ),
        ("transforms.rf.exclude", "ssn"),
        (
            "transforms.ins.type",
            "org.apache.kafka.connect.transforms.InsertField$Value",
        ),
        ("transforms.ins.topic.field", "t"),
        (
            "transforms.v2k.type",
            "org.apache.kafka.connect.transforms.ValueToKey",
        ),
        ("transforms.v2k.fields", "id"),
        (
            "transforms.meta.type",
            "org.apache.kafka.connect.transforms.SetSchemaMetadata$Value",
        ),
        ("transforms.meta.schema.name", "x"),
    ]);
    assert_eq!(c.apply(tombstone.clone()).unwrap(), Some(tombstone));
}

#[test]
fn flatten_joins_nested_names_and_propagates_optionality() {
    // Flatten ("Flatten a nested data structure, generating names for each field by
    // concatenating the field names at each level with a configurable delimiter character";
    // `delimiter`, default "."): on the whole envelope, `before` (null on a create) gives
    // optional null `before_*` fields, `after_*` carry the row, `source_*` keep their schemas
    // (the snapshot Enum keeps its default).
    let mut c = chain(&[
        ("transforms", "flat"),
        (
            "transforms.flat.type",
            "org.apache.kafka.connect.transforms.Flatten$Value",
        ),
        ("transforms.flat.delimiter", "_"),
    ]);
    let out = create_output(&mut c, Some("gold"));
    assert!(out.contains(r#""before_id":null"#), "{out}");
    assert!(
        out.contains(r#""after_id":1,"after_first_name":"Sally""#),
        "{out}"
    );
    assert!(
        out.contains(r#"{"type":"int32","optional":true,"field":"after_id"}"#),
        "a required column under the optional `after` becomes optional: {out}"
    );
    insta::assert_snapshot!(out);
}

#[test]
fn cast_fields_and_the_whole_key() {
    // Cast ("Cast fields or the entire key or value to a specific type … Cast from integers,
    // floats, boolean and string to any other type, and cast binary to string (base64
    // encoded)"; `spec` is `type` or `field:type,…`): the cast field gets the plain target
    // schema, optional like the input; other fields keep theirs; Boolean.parseBoolean reads
    // anything but "true" as false.
    let mut c = with_unwrap(
        "castV,castK",
        &[
            (
                "transforms.castV.type",
                "org.apache.kafka.connect.transforms.Cast$Value",
            ),
            ("transforms.castV.spec", "id:string,email:boolean"),
            (
                "transforms.castK.type",
                "org.apache.kafka.connect.transforms.Cast$Key",
            ),
            ("transforms.castK.spec", "id:int64"),
        ],
    );
    let out = create_output(&mut c, None);
    assert!(
        out.contains(r#""payload":{"id":"1","first_name":"Sally","email":false,"#),
        "{out}"
    );
    assert!(
        out.contains(r#"{"type":"int64","optional":false,"field":"id"}"#),
        "{out}"
    );
    insta::assert_snapshot!(out);

    // A Connect Decimal cannot be cast here (documented as not supported).
    let mut d = with_unwrap(
        "castV",
        &[
            (
                "transforms.castV.type",
                "org.apache.kafka.connect.transforms.Cast$Value",
            ),
            ("transforms.castV.spec", "balance:float64"),
        ],
    );
    let b = builder();
    let t = b.table_schema(&table("customers")).unwrap();
    let after = row(1, "Sally", None);
    let err = d
        .apply(records(&b, &t, Operation::Create, None, Some(&after)).remove(0))
        .unwrap_err();
    assert!(err.to_string().contains("field `balance`"), "{err}");
}
