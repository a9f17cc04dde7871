//! PostgreSQL connections: sessions, authentication and the logical replication protocol.

mod ack;
mod config;
mod error;
mod position_check;
mod preflight;
mod query;
mod replication;
mod session;
mod stream_buffer;
mod tls;
mod wal_reader;
mod wire;

pub use ack::AckTracker;
pub use config::{PgConnectOptions, Secret};
pub use error::{PgError, ServerError};
pub use position_check::{PositionError, StoredPosition, check_position};
pub use preflight::{
    PreflightError, PublicationAutocreate, SlotInfo, SlotState, check_server, connect_replication,
    ensure_publication, ensure_slot,
};
pub use query::{SqlSession, split_data_row};
pub use replication::{
    CreatedSlot, PgOutputOptions, ReplicationMessage, ReplicationSession, ReplicationStream,
    SlotSnapshot, StandbyStatus, SystemIdentity, pgoutput_protocol_for,
};
pub use session::TextRow;
pub use tls::{SslMode, TlsOptions};
pub use wal_reader::{WalEvent, WalMessage, WalReader, WalReaderConfig, spawn_wal_reader};
