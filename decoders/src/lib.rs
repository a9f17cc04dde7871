//! Pure byte-level decoders for the two change logs Tributary reads: PostgreSQL's `pgoutput`
//! logical replication messages and MySQL/MariaDB binlog events.
//!
//! Nothing here does I/O: decoders take byte slices and return row changes or a typed error
//! naming what was malformed. Input comes from a database over the network, so these
//! functions must never panic on any bytes (they are fuzzed); indexing is checked.
#![deny(clippy::indexing_slicing)]

pub mod binlog;
pub mod pgoutput;
