//! Servers of the same kind run side by side, and dropping a handle stops its server.

// Integration tests assert by unwrapping, in helpers too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tributary_testcontainers::{MariaDb, Postgres, port_is_open};

#[test]
fn two_postgres_servers_run_at_once_and_drop_closes_the_port() {
    let a = Postgres::start().unwrap();
    let b = Postgres::start().unwrap();
    assert_ne!(a.port(), b.port());
    assert_ne!(a.data_dir(), b.data_dir());
    assert_eq!(a.psql("postgres", "SELECT 1").unwrap().trim(), "1");
    assert_eq!(b.psql("postgres", "SELECT 2").unwrap().trim(), "2");

    let (port_a, dir_a) = (a.port(), a.data_dir());
    drop(a);
    assert!(
        !port_is_open(port_a),
        "dropped server still listens on {port_a}"
    );
    assert!(!dir_a.exists(), "dropped server's directory is removed");
    assert_eq!(
        b.psql("postgres", "SELECT 3").unwrap().trim(),
        "3",
        "the other server is untouched"
    );
}

#[test]
fn two_mariadb_servers_run_at_once_and_drop_closes_the_port() {
    let a = MariaDb::start().unwrap();
    let b = MariaDb::start().unwrap();
    assert_ne!(a.port(), b.port());
    assert_eq!(a.sql("SELECT 1").unwrap().trim(), "1");
    assert_eq!(b.sql("SELECT 2").unwrap().trim(), "2");

    let port_a = a.port();
    drop(a);
    assert!(
        !port_is_open(port_a),
        "dropped server still listens on {port_a}"
    );
    assert_eq!(
        b.sql("SELECT 3").unwrap().trim(),
        "3",
        "the other server is untouched"
    );
}
