//! `tributary validate` on configurations with each class of mistake: the binary a user
//! runs, and the message they see.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Output;

/// A PostgreSQL connector that validates, plus `extra` lines (a key set twice takes the
/// later value, as in Java properties files).
fn config(extra: &str) -> String {
    format!(
        "name=inventory-connector\n\
         connector.class=io.debezium.connector.postgresql.PostgresConnector\n\
         database.hostname=localhost\n\
         database.user=postgres\n\
         database.password=s3cret-password\n\
         database.dbname=inventory\n\
         topic.prefix=dbserver1\n\
         bootstrap.servers=localhost:9092\n\
         {extra}\n"
    )
}

fn validate(text: &str) -> Output {
    validate_file(text, "connector.properties")
}

fn validate_file(text: &str, file_name: &str) -> Output {
    let dir = std::env::temp_dir().join(format!(
        "tributary-cli-config-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(file_name);
    std::fs::write(&file, text).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tributary"))
        .arg("validate")
        .arg(&file)
        .env_remove("TRIBUTARY_TEST_UNSET_VARIABLE")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    output
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_valid_configuration_is_printed_with_its_secret_masked() {
    let output = validate(&config(""));
    assert!(output.status.success(), "{}", stderr(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("database.password=[hidden]"), "{stdout}");
    assert!(!stdout.contains("s3cret-password") && !stderr(&output).contains("s3cret-password"));
}

#[test]
fn a_bad_value_names_the_key_the_value_and_what_is_allowed() {
    let output = validate(&config("snapshot.mode=sometimes"));
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains("'snapshot.mode'") && message.contains("sometimes"),
        "{message}"
    );
    assert!(
        message.contains("when_needed"),
        "the allowed values are listed: {message}"
    );
}

#[test]
fn a_missing_required_key_is_named() {
    let text = config("").replace("database.dbname=inventory\n", "");
    let output = validate(&text);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains("missing required property 'database.dbname'"),
        "{message}"
    );
}

#[test]
fn an_unknown_key_is_a_warning_naming_it_not_an_error() {
    let output = validate(&config("table.incude.list=public.orders\ntasks.max=1"));
    assert!(output.status.success(), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("table.incude.list") && message.contains("unknown property"),
        "{message}"
    );
    assert!(
        !message.contains("tasks.max"),
        "tasks.max is accepted without effect: {message}"
    );
}

#[test]
fn a_bad_indirection_names_the_property_and_the_variable_and_never_the_secret() {
    let output = validate(&config(
        "database.password=${env:TRIBUTARY_TEST_UNSET_VARIABLE}",
    ));
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("'database.password'"), "{message}");
    assert!(
        message.contains("TRIBUTARY_TEST_UNSET_VARIABLE"),
        "{message}"
    );
    let output = validate(&config(
        "database.password=${file:/nonexistent/secrets.properties:pw}",
    ));
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("/nonexistent/secrets.properties"),
        "{}",
        stderr(&output)
    );
}

/// `tributary run` against a Kafka that is not there: a transient failure, retried until
/// `errors.retry.timeout` / `errors.max.retries` say stop; then a non-zero exit naming
/// the limit and the last error.
#[test]
fn transient_failures_are_retried_until_the_retry_limits_then_the_sidecar_fails() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    for limit in ["errors.retry.timeout=1500", "errors.max.retries=2"] {
        let text = config(&format!(
            "bootstrap.servers=127.0.0.1:{port}\ntributary.kafka.timeout.ms=300\n\
             errors.retry.delay.max.ms=200\n{limit}"
        ));
        let dir = std::env::temp_dir().join(format!(
            "tributary-cli-retry-{}-{}",
            std::process::id(),
            limit.len()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("connector.properties");
        std::fs::write(&file, text).unwrap();
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_tributary"))
            .arg("run")
            .arg(&file)
            .output()
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let message = stderr(&output);
        assert!(!output.status.success(), "{limit}: {message}");
        assert!(message.contains("gave up after"), "{limit}: {message}");
        assert!(
            message.contains("errors.retry.timeout"),
            "{limit}: {message}"
        );
        assert!(
            message.contains("retrying") || message.contains("restarting from the stored offset"),
            "{limit}: it retried first: {message}"
        );
    }
}

#[test]
fn yaml_and_toml_files_validate_like_the_properties_file() {
    let properties = validate(&config(""));
    let yaml = validate_file(
        "name: inventory-connector\n\
         connector.class: io.debezium.connector.postgresql.PostgresConnector\n\
         database:\n  hostname: localhost\n  user: postgres\n  password: s3cret-password\n  dbname: inventory\n\
         topic.prefix: dbserver1\n\
         bootstrap.servers: localhost:9092\n",
        "connector.yaml",
    );
    let toml = validate_file(
        "name = \"inventory-connector\"\n\
         [config]\n\
         \"connector.class\" = \"io.debezium.connector.postgresql.PostgresConnector\"\n\
         database = { hostname = \"localhost\", user = \"postgres\", password = \"s3cret-password\", dbname = \"inventory\" }\n\
         \"topic.prefix\" = \"dbserver1\"\n\
         \"bootstrap.servers\" = \"localhost:9092\"\n",
        "connector.toml",
    );
    for output in [&yaml, &toml] {
        assert!(output.status.success(), "{}", stderr(output));
        assert_eq!(
            output.stdout, properties.stdout,
            "the same properties, masked the same way"
        );
    }
    let broken = validate_file("name: [unclosed\n", "connector.yml");
    assert!(!broken.status.success());
    assert!(stderr(&broken).contains("connector.yml") && stderr(&broken).contains("YAML"));
}
