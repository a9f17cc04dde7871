//! The MySQL/MariaDB log reader against real MariaDB servers: streaming, resuming, reconnecting,
//! start-up checks, DDL-tracked schema history (file and Kafka stores), and every column type
//! converted into typed values. One test binary, so the suites share one
//! build and link step; scenarios that change server settings start servers of their own.

// Integration tests assert by unwrapping, in helpers too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod binlog_stream;
mod ddl_mid_stream;
mod preflight;
mod purged_position;
mod reconnect;
mod resume;
mod schema_ddl;
mod support;
mod types_round_trip;
