//! The whole pipeline against real servers: the `tributary` binary runs a connector as a
//! child process, reading a real database and committing to a real Kafka; a read_committed
//! consumer checks what arrived.

// Integration tests assert by unwrapping, in helpers too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod mysql;
mod postgres;
mod rest;
mod snapshot_mysql;
mod snapshot_pg;
mod support;
mod workload;
