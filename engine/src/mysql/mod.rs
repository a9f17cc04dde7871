//! MySQL/MariaDB source: the binlog client with its start-up checks, and the schema history
//! that decodes every row with the table schema in force at its binlog position.

pub mod client;
pub mod schema;
