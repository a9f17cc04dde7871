//! Real servers for Tributary's tests, benchmarks and demo: PostgreSQL, MariaDB, Apache
//! Kafka (KRaft) and a Confluent-compatible schema registry (Apicurio), each started as a
//! local child process on a free loopback port in a temporary directory of its own.
//!
//! ```no_run
//! use tributary_testcontainers::Postgres;
//!
//! // One server for the whole test binary, a fresh database per test.
//! let pg = Postgres::shared()?;
//! let db = pg.create_database()?;
//! println!("connect with: {}", db.connection_string());
//! # Ok::<(), tributary_testcontainers::ServerError>(())
//! ```
//!
//! # Guarantees
//! - A server is killed when its handle is dropped (also while a test panics) and, for
//!   servers shared through [`Postgres::shared`] and friends, when the test process exits —
//!   see the `process` module's "Lifetime" section.
//! - Start-up waits end: an exited or silent server gives a [`ServerError`] naming the server,
//!   its command line and the tail of its log.
//! - Fault controls for recovery tests: `stop`, `kill`, `start_again`, `restart`, `pause`,
//!   `resume` on an owned handle.
//!
//! See `testcontainers/README.md` for the programs each server needs and the environment
//! variables that point at them.

mod error;
mod kafka;
mod lifecycle;
mod mariadb;
mod net;
mod postgres;
mod process;
mod programs;
mod schema_registry;
mod settings;
mod workdir;

use std::sync::atomic::{AtomicU64, Ordering};

pub use error::ServerError;
pub use kafka::{KAFKA_VERSION, Kafka, KafkaBuilder};
pub use mariadb::{MariaDb, MariaDbBuilder, MariaDbConfig};
pub use net::{free_port, port_is_open};
pub use postgres::{PgConfig, Postgres, PostgresBuilder};
pub use schema_registry::{APICURIO_VERSION, SchemaRegistry, SchemaRegistryBuilder};

/// A name no other call in this process returns, usable as a database, topic or slot name:
/// lowercase ASCII letters, digits and `_`, starting with `prefix`.
pub fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}_{}_{n}", std::process::id())
}

/// How many ports an automatic-port start tries before giving up.
const PORT_ATTEMPTS: usize = 3;

/// Runs `start` on `port` if one was asked for; otherwise on a free port, trying a new one
/// when the server exits at start (another process took the port in between).
fn start_on_port<T>(
    port: Option<u16>,
    mut start: impl FnMut(u16) -> Result<T, ServerError>,
) -> Result<(T, u16), ServerError> {
    if let Some(port) = port {
        return start(port).map(|t| (t, port));
    }
    let mut attempt = 1;
    loop {
        let port = net::free_port().map_err(|source| ServerError::Io {
            server: "harness",
            action: "find a free port on",
            path: "127.0.0.1".into(),
            source,
        })?;
        match start(port) {
            Ok(t) => return Ok((t, port)),
            Err(ServerError::Exited { log_tail, .. })
                if attempt < PORT_ATTEMPTS && log_tail.contains("in use") =>
            {
                attempt += 1;
            }
            Err(err) => return Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_names_differ_and_are_identifier_safe() {
        let a = unique_name("db");
        let b = unique_name("db");
        assert_ne!(a, b);
        assert!(a.starts_with("db_"));
        assert!(
            a.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        );
    }
}
