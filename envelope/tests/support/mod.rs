//! Helpers shared by the JSON golden tests.
#![allow(dead_code, clippy::unwrap_used)]

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
