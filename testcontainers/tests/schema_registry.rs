//! The schema registry the Avro converter is tested against speaks Confluent's API: register,
//! fetch by id, per-subject compatibility, and Confluent-shaped error bodies.

// Integration tests assert by unwrapping, in helpers too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use serde_json::{Value, json};
use tributary_testcontainers::{SchemaRegistry, port_is_open, unique_name};

const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

/// Sends `body` (if any) with `method` to `url`; returns the status and the parsed JSON body.
fn call(method: &str, url: &str, body: Option<&Value>) -> (u16, Value) {
    let agent = agent();
    let mut response = match (method, body) {
        ("GET", None) => agent.get(url).call(),
        ("POST", Some(body)) => agent
            .post(url)
            .header("Content-Type", CONTENT_TYPE)
            .send(body.to_string()),
        ("PUT", Some(body)) => agent
            .put(url)
            .header("Content-Type", CONTENT_TYPE)
            .send(body.to_string()),
        other => panic!("unsupported request {other:?}"),
    }
    .unwrap_or_else(|err| panic!("{method} {url}: {err}"));
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap();
    let value = serde_json::from_str(&text).unwrap_or_else(|err| {
        panic!("{method} {url} answered {status} with non-JSON {text:?}: {err}")
    });
    (status, value)
}

fn order_schema(extra_fields: Value) -> Value {
    let mut fields = vec![
        json!({"name": "id", "type": "long"}),
        json!({"name": "customer", "type": "string"}),
    ];
    fields.extend(extra_fields.as_array().cloned().unwrap_or_default());
    json!({
        "type": "record",
        "name": "Value",
        "namespace": "tributary.test.orders",
        "fields": fields,
    })
}

fn register(registry: &SchemaRegistry, subject: &str, schema: &Value) -> (u16, Value) {
    call(
        "POST",
        &format!("{}/subjects/{subject}/versions", registry.url()),
        Some(&json!({ "schema": schema.to_string() })),
    )
}

#[test]
fn avro_schema_registers_fetches_by_id_and_backward_compatibility_is_enforced() {
    let registry = SchemaRegistry::shared().unwrap();
    assert!(registry.url().starts_with("http://127.0.0.1:"));
    let subject = format!("{}-value", unique_name("orders"));

    // Register, then fetch the same schema back by the id the registry gave.
    let v1 = order_schema(json!([]));
    let (status, body) = register(registry, &subject, &v1);
    assert_eq!(status, 200, "{body}");
    let id = body["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id in {body}"));
    let (status, body) = call("GET", &format!("{}/schemas/ids/{id}", registry.url()), None);
    assert_eq!(status, 200, "{body}");
    let fetched: Value = serde_json::from_str(body["schema"].as_str().unwrap()).unwrap();
    assert_eq!(fetched, v1);

    // Registering the same schema again gives the same id.
    let (_, again) = register(registry, &subject, &v1);
    assert_eq!(again["id"].as_i64(), Some(id));

    // BACKWARD: a reader with the new schema must read data written with the old one.
    let (status, body) = call(
        "PUT",
        &format!("{}/config/{subject}", registry.url()),
        Some(&json!({"compatibility": "BACKWARD"})),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["compatibility"], "BACKWARD");

    // A new required field (no default) cannot be read from old data.
    let incompatible = order_schema(json!([{"name": "quantity", "type": "int"}]));
    let (status, body) = call(
        "POST",
        &format!(
            "{}/compatibility/subjects/{subject}/versions/latest",
            registry.url()
        ),
        Some(&json!({ "schema": incompatible.to_string() })),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["is_compatible"], false, "{body}");
    let (status, body) = register(registry, &subject, &incompatible);
    assert_eq!(status, 409, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        body["error_code"].is_i64(),
        "Confluent-shaped error: {body}"
    );
    assert!(
        message.contains("Incompatible") && message.contains("quantity"),
        "the registry's own reason: {message}"
    );

    // With a default, old data reads fine: accepted as a new version with a new id.
    let compatible = order_schema(json!([{"name": "quantity", "type": "int", "default": 1}]));
    let (status, body) = call(
        "POST",
        &format!(
            "{}/compatibility/subjects/{subject}/versions/latest",
            registry.url()
        ),
        Some(&json!({ "schema": compatible.to_string() })),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["is_compatible"], true, "{body}");
    let (status, body) = register(registry, &subject, &compatible);
    assert_eq!(status, 200, "{body}");
    assert_ne!(body["id"].as_i64(), Some(id));
    let (status, versions) = call(
        "GET",
        &format!("{}/subjects/{subject}/versions", registry.url()),
        None,
    );
    assert_eq!(status, 200, "{versions}");
    assert_eq!(versions, json!([1, 2]));
}

#[test]
fn unknown_ids_and_invalid_schemas_get_confluent_error_bodies() {
    let registry = SchemaRegistry::shared().unwrap();
    let (status, body) = call(
        "GET",
        &format!("{}/schemas/ids/987654321", registry.url()),
        None,
    );
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error_code"], 40403, "{body}");
    assert!(body["message"].is_string(), "{body}");

    let subject = format!("{}-value", unique_name("broken"));
    let (status, body) = call(
        "POST",
        &format!("{}/subjects/{subject}/versions", registry.url()),
        Some(&json!({"schema": "{\"type\": \"record\", \"name\": "})),
    );
    assert_eq!(status, 422, "{body}");
    assert!(body["error_code"].is_i64(), "{body}");
    assert!(body["message"].is_string(), "{body}");
}

#[test]
fn kill_start_again_keeps_port_and_schemas_and_pause_freezes_it() {
    let mut registry = SchemaRegistry::start().unwrap();
    let port = registry.port();
    let subject = format!("{}-value", unique_name("kept"));
    let schema = order_schema(json!([]));
    let (status, body) = register(&registry, &subject, &schema);
    assert_eq!(status, 200, "{body}");
    let id = body["id"].as_i64().unwrap();

    registry.kill();
    assert!(!registry.is_running());
    assert!(!port_is_open(port));
    registry.start_again().unwrap();
    assert_eq!(registry.port(), port);
    let (status, body) = call("GET", &format!("{}/schemas/ids/{id}", registry.url()), None);
    assert_eq!(status, 200, "schemas survive a crash: {body}");

    // A paused registry accepts the TCP connection (the kernel does) but answers nothing.
    registry.pause().unwrap();
    let frozen: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(1)))
        .build()
        .into();
    assert!(
        frozen
            .get(&format!("{}/subjects", registry.url()))
            .call()
            .is_err(),
        "a paused registry must not answer"
    );
    registry.resume().unwrap();
    let (status, subjects) = call("GET", &format!("{}/subjects", registry.url()), None);
    assert_eq!(status, 200, "{subjects}");
    assert!(subjects.as_array().unwrap().contains(&json!(subject)));
}
