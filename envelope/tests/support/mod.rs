//! Helpers shared by the JSON golden tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use tributary_envelope::{Datum, JsonConverter, JsonConverterConfig, Schema, Written};

/// The JSON JsonConverter would write for `value`, with or without the schema envelope.
pub(crate) fn json(schema: &Schema, value: &Datum<'_>, schemas_enable: bool) -> String {
    let converter = JsonConverter::new(JsonConverterConfig {
        schemas_enable,
        replace_null_with_default: true,
    });
    let mut out = Vec::new();
    let written = converter.write(Some(schema), value, &mut out).unwrap();
    assert_eq!(written, Written::Json);
    String::from_utf8(out).unwrap()
}

/// One line per value and mode: `<label> | schemas=<on|off> | <json>`.
pub(crate) fn render(schema: &Schema, values: &[(&str, Datum<'_>)]) -> String {
    let mut lines = Vec::new();
    for (label, value) in values {
        lines.push(format!(
            "{label} | schemas=on  | {}",
            json(schema, value, true)
        ));
        lines.push(format!(
            "{label} | schemas=off | {}",
            json(schema, value, false)
        ));
    }
    lines.join("\n")
}

/// One change record as text: topic, key and value as JsonConverter writes them (schemas
/// on), and headers (name and the key struct's payload), one per line.
pub(crate) fn record(record: &tributary_envelope::ChangeRecord<'_>) -> String {
    let converter = JsonConverter::new(JsonConverterConfig {
        schemas_enable: true,
        replace_null_with_default: true,
    });
    let payload_only = JsonConverter::new(JsonConverterConfig {
        schemas_enable: false,
        replace_null_with_default: true,
    });
    let (mut key, mut value) = (Vec::new(), Vec::new());
    let (k, v) = record.write_json(&converter, &mut key, &mut value).unwrap();
    let text = |w: Written, bytes: Vec<u8>| match w {
        Written::KafkaNull => "<kafka null>".to_owned(),
        Written::Json => String::from_utf8(bytes).unwrap(),
    };
    let mut lines = vec![
        format!("topic: {}", record.topic),
        format!("key: {}", text(k, key)),
        format!("value: {}", text(v, value)),
    ];
    for h in &record.headers {
        let mut out = Vec::new();
        payload_only
            .write(Some(&h.schema), &h.value, &mut out)
            .unwrap();
        lines.push(format!(
            "header {}: {}",
            h.name,
            String::from_utf8(out).unwrap()
        ));
    }
    lines.join("\n")
}

/// Several records, separated by a blank line.
pub(crate) fn records(records: &[tributary_envelope::ChangeRecord<'_>]) -> String {
    records.iter().map(record).collect::<Vec<_>>().join("\n\n")
}

/// A column's field schema and the payloads of some values under the given connector
/// properties: `schema: <json>` then `<label>: <payload>` lines.
pub(crate) fn type_case(
    connector: tributary_envelope::ConnectorKind,
    properties: &[(&str, &str)],
    column: tributary_envelope::ColumnDescription,
    values: &[(&str, tributary_envelope::Value)],
) -> String {
    let mut props = vec![("topic.prefix", "t")];
    props.extend_from_slice(properties);
    let options = tributary_envelope::EnvelopeOptions::from_properties(connector, props).unwrap();
    let converter = tributary_envelope::mapping::plan_column(&column, &options)
        .unwrap()
        .expect("the column is captured");
    let schema = converter.schema();
    let mut lines = vec![format!(
        "schema: {}",
        std::str::from_utf8(schema.json()).unwrap()
    )];
    for (label, value) in values {
        let datum = converter.convert(value).unwrap();
        lines.push(format!("{label}: {}", json(schema, &datum, false)));
    }
    lines.join("\n")
}
