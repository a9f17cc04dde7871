//! A server that cannot start says which server, which command and what its log says —
//! it never hangs.

// Integration tests assert by unwrapping, in helpers too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::{Ipv4Addr, TcpListener};
use std::time::Duration;

use tributary_testcontainers::{Kafka, MariaDb, Postgres, ServerError};

#[test]
fn postgres_on_a_taken_port_fails_with_its_log() {
    let taken = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = taken.local_addr().unwrap().port();
    let err = Postgres::builder().port(port).start().unwrap_err();
    assert!(matches!(err, ServerError::Exited { .. }), "{err}");
    let text = err.to_string();
    assert!(text.starts_with("postgres:"), "{text}");
    assert!(
        text.contains(&format!("port={port}")),
        "names the command: {text}"
    );
    assert!(
        text.contains("could not bind"),
        "carries the server's log: {text}"
    );
}

#[test]
fn mariadb_on_a_taken_port_fails_with_its_log() {
    let taken = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = taken.local_addr().unwrap().port();
    let err = MariaDb::builder().port(port).start().unwrap_err();
    assert!(matches!(err, ServerError::Exited { .. }), "{err}");
    let text = err.to_string();
    assert!(text.starts_with("mariadb:"), "{text}");
    assert!(
        text.contains(&format!("--port={port}")),
        "names the command: {text}"
    );
    assert!(
        text.contains("Address already in use"),
        "carries the server's log: {text}"
    );
}

#[test]
fn missing_programs_are_named_with_a_hint() {
    let err = Postgres::builder()
        .bin_dir("/nonexistent/pg/bin")
        .start()
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ServerError::ProgramMissing { .. }), "{text}");
    assert!(
        text.contains("initdb") && text.contains("/nonexistent/pg/bin"),
        "{text}"
    );
    assert!(text.contains("scripts/setup"), "{text}");

    let err = Kafka::builder()
        .libs_dir("/nonexistent/kafka/libs")
        .start()
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ServerError::ProgramMissing { .. }), "{text}");
    assert!(
        text.starts_with("kafka:") && text.contains("/nonexistent/kafka/libs"),
        "{text}"
    );

    let err = Kafka::builder()
        .java("/nonexistent/java")
        .start()
        .unwrap_err();
    assert!(matches!(err, ServerError::Spawn { .. }), "{err}");
    assert!(err.to_string().contains("/nonexistent/java"), "{err}");
}

#[test]
fn a_server_that_is_not_ready_in_time_times_out_with_its_log() {
    let err = Postgres::builder()
        .startup_timeout(Duration::from_millis(1))
        .start()
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ServerError::Timeout { .. }), "{text}");
    assert!(
        text.contains("not ready after") && text.contains("last log lines"),
        "{text}"
    );
}
