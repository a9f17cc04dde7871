//! Start-up checks for a PostgreSQL source, and slot and publication management.
//!
//! Every setting that would make streaming fail later, or silently lose changes, is checked
//! before streaming starts, and each failure says what to change. The checks run over the
//! replication session itself (SQL is allowed in `replication=database` mode), so they see
//! exactly the privileges the stream will have.

use tributary_decoders::pgoutput::Lsn;

use super::error::PgError;
use super::replication::{
    CreatedSlot, ReplicationSession, SlotSnapshot, quote_ident, quote_literal,
};

/// The oldest server with `pgoutput`.
const MIN_MAJOR_VERSION: u32 = 10;

/// A start-up check that failed.
#[derive(Debug, thiserror::Error)]
pub enum PreflightError {
    /// `wal_level` is not `logical`.
    #[error(
        "postgres: wal_level is '{actual}', logical decoding needs 'logical'; fix: run \
         ALTER SYSTEM SET wal_level = logical; and restart PostgreSQL"
    )]
    WalLevel {
        /// The server's value.
        actual: String,
    },
    /// The user may not stream.
    #[error(
        "postgres: user '{user}' lacks the REPLICATION privilege; fix: ALTER ROLE {user} \
         REPLICATION; (or connect as a superuser)"
    )]
    MissingReplicationPrivilege {
        /// The connecting user.
        user: String,
    },
    /// Another process is streaming from the slot.
    #[error(
        "postgres: replication slot '{slot}' is in use by process {pid}; hint: another \
         connector (or one that is shutting down) streams from it — stop it, or end it with \
         SELECT pg_terminate_backend({pid});"
    )]
    SlotInUse {
        /// The slot.
        slot: String,
        /// The walsender's process id.
        pid: i32,
    },
    /// The server discarded WAL the slot still needed.
    #[error(
        "postgres: replication slot '{slot}' is invalidated (wal_status = {wal_status}): the \
         server removed WAL it still needed, so changes were lost; fix: drop the slot \
         (SELECT pg_drop_replication_slot('{slot}');) and take a new snapshot \
         (snapshot.mode=when_needed or initial)"
    )]
    SlotInvalidated {
        /// The slot.
        slot: String,
        /// `lost` (or `unreserved` on its way there).
        wal_status: String,
    },
    /// The slot exists but was made for another plugin or database.
    #[error(
        "postgres: replication slot '{slot}' exists for plugin '{plugin}' on database \
         '{database}', expected pgoutput on '{expected_database}'; fix: choose another \
         slot.name or drop that slot"
    )]
    SlotMismatch {
        /// The slot.
        slot: String,
        /// Its output plugin.
        plugin: String,
        /// Its database.
        database: String,
        /// The configured database.
        expected_database: String,
    },
    /// The publication does not exist and may not be created.
    #[error(
        "postgres: publication '{publication}' does not exist and publication.autocreate.mode \
         is 'disabled'; fix: CREATE PUBLICATION {publication} FOR TABLE …; or set \
         publication.autocreate.mode to all_tables or filtered"
    )]
    PublicationMissing {
        /// The publication.
        publication: String,
    },
    /// The server is older than PostgreSQL 10.
    #[error("postgres: server version {version} has no pgoutput; PostgreSQL 10 or newer is needed")]
    ServerTooOld {
        /// The server's `server_version`.
        version: String,
    },
    /// The checks themselves could not run.
    #[error(transparent)]
    Pg(#[from] PgError),
}

impl PreflightError {
    /// Whether trying again later can help: a slot held by a walsender that is going away is
    /// released within seconds, and connection faults pass; the rest needs an operator.
    pub fn is_transient(&self) -> bool {
        match self {
            PreflightError::SlotInUse { .. } => true,
            PreflightError::Pg(err) => err.is_transient(),
            _ => false,
        }
    }
}

/// `publication.autocreate.mode`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicationAutocreate {
    /// `all_tables` (Debezium's default): `CREATE PUBLICATION … FOR ALL TABLES`.
    AllTables,
    /// `filtered`: a publication for exactly these `schema.table`s, kept in step with
    /// `table.include.list`.
    Filtered(Vec<(String, String)>),
    /// `disabled`: the publication must exist.
    Disabled,
}

/// A slot's state as the server reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotInfo {
    /// `confirmed_flush_lsn`: where the stream resumes.
    pub confirmed_flush: Option<Lsn>,
    /// `restart_lsn`: the oldest WAL the slot keeps.
    pub restart_lsn: Option<Lsn>,
    /// `wal_status` (PostgreSQL 13+).
    pub wal_status: Option<String>,
}

/// What [`ensure_slot`] found or did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotState {
    /// The slot was created now: a new stream (and, if asked, its exported snapshot).
    Created(CreatedSlot),
    /// The slot existed and is usable.
    Existing(SlotInfo),
}

/// Opens the replication session, turning the server's refusal of a user without the
/// REPLICATION privilege (SQLSTATE 42501 at start-up) into the error that says how to grant it.
pub async fn connect_replication(
    options: &super::config::PgConnectOptions,
) -> Result<ReplicationSession, PreflightError> {
    ReplicationSession::connect(options)
        .await
        .map_err(|err| match err.sqlstate() {
            Some("42501") => PreflightError::MissingReplicationPrivilege {
                user: options.user.clone(),
            },
            _ => PreflightError::Pg(err),
        })
}

/// Checks the server version, `wal_level` and the user's privilege.
pub async fn check_server(
    session: &mut ReplicationSession,
    user: &str,
) -> Result<(), PreflightError> {
    match session.server_major_version() {
        Some(major) if major >= MIN_MAJOR_VERSION => {}
        _ => {
            let rows = session.simple_query("SHOW server_version").await?;
            let version = first_text(&rows).unwrap_or_default();
            return Err(PreflightError::ServerTooOld { version });
        }
    }
    let rows = session.simple_query("SHOW wal_level").await?;
    let wal_level = first_text(&rows).unwrap_or_default();
    if wal_level != "logical" {
        return Err(PreflightError::WalLevel { actual: wal_level });
    }
    let rows = session
        .simple_query(
            "SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user",
        )
        .await?;
    if first_text(&rows).as_deref() != Some("t") {
        return Err(PreflightError::MissingReplicationPrivilege {
            user: user.to_owned(),
        });
    }
    Ok(())
}

/// Looks the slot up; creates it when missing. An existing slot must be a `pgoutput` slot of
/// this database, not in use, and not invalidated.
pub async fn ensure_slot(
    session: &mut ReplicationSession,
    slot: &str,
    database: &str,
    snapshot: SlotSnapshot,
) -> Result<SlotState, PreflightError> {
    let has_wal_status = session.server_major_version().is_some_and(|v| v >= 13);
    let wal_status = if has_wal_status { "wal_status" } else { "NULL" };
    let rows = session
        .simple_query(&format!(
            "SELECT plugin, database, active, active_pid, confirmed_flush_lsn, restart_lsn, \
             {wal_status} FROM pg_replication_slots WHERE slot_name = {}",
            quote_literal(slot)
        ))
        .await?;
    let Some(row) = rows.first() else {
        return Ok(SlotState::Created(
            session.create_logical_slot(slot, snapshot).await?,
        ));
    };
    let column = |i: usize| row.get(i).cloned().flatten();
    let plugin = column(0).unwrap_or_default();
    let slot_database = column(1).unwrap_or_default();
    if plugin != "pgoutput" || slot_database != database {
        return Err(PreflightError::SlotMismatch {
            slot: slot.to_owned(),
            plugin,
            database: slot_database,
            expected_database: database.to_owned(),
        });
    }
    if column(2).as_deref() == Some("t") {
        let pid = column(3).and_then(|p| p.parse().ok()).unwrap_or(0);
        return Err(PreflightError::SlotInUse {
            slot: slot.to_owned(),
            pid,
        });
    }
    let wal_status = column(6);
    if matches!(wal_status.as_deref(), Some("lost")) {
        return Err(PreflightError::SlotInvalidated {
            slot: slot.to_owned(),
            wal_status: wal_status.unwrap_or_default(),
        });
    }
    let parse = |v: Option<String>| v.and_then(|t| t.parse::<Lsn>().ok());
    Ok(SlotState::Existing(SlotInfo {
        confirmed_flush: parse(column(4)),
        restart_lsn: parse(column(5)),
        wal_status,
    }))
}

/// Makes sure the publication exists as `mode` asks.
pub async fn ensure_publication(
    session: &mut ReplicationSession,
    publication: &str,
    mode: &PublicationAutocreate,
) -> Result<(), PreflightError> {
    let rows = session
        .simple_query(&format!(
            "SELECT 1 FROM pg_publication WHERE pubname = {}",
            quote_literal(publication)
        ))
        .await?;
    let exists = !rows.is_empty();
    let name = quote_ident(publication);
    match mode {
        PublicationAutocreate::Disabled if exists => Ok(()),
        PublicationAutocreate::Disabled => Err(PreflightError::PublicationMissing {
            publication: publication.to_owned(),
        }),
        PublicationAutocreate::AllTables if exists => Ok(()),
        PublicationAutocreate::AllTables => {
            session
                .simple_query(&format!("CREATE PUBLICATION {name} FOR ALL TABLES"))
                .await?;
            Ok(())
        }
        PublicationAutocreate::Filtered(tables) if tables.is_empty() => {
            // Nothing matches the include list (yet): an empty publication streams nothing,
            // which is what the filter says. PostgreSQL cannot SET an empty table list.
            if !exists {
                session
                    .simple_query(&format!("CREATE PUBLICATION {name}"))
                    .await?;
            }
            Ok(())
        }
        PublicationAutocreate::Filtered(tables) => {
            let list = tables
                .iter()
                .map(|(schema, table)| format!("{}.{}", quote_ident(schema), quote_ident(table)))
                .collect::<Vec<_>>()
                .join(", ");
            let verb = if exists {
                "ALTER PUBLICATION"
            } else {
                "CREATE PUBLICATION"
            };
            let clause = if exists { "SET TABLE" } else { "FOR TABLE" };
            session
                .simple_query(&format!("{verb} {name} {clause} {list}"))
                .await?;
            Ok(())
        }
    }
}

fn first_text(rows: &[super::session::TextRow]) -> Option<String> {
    rows.first()?.first()?.clone()
}
