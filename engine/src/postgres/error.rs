//! Errors of the PostgreSQL connections, classified by whether a retry can help.

use std::fmt;

/// A fault talking to PostgreSQL.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// The TCP connection could not be made or broke. A retry (with backoff) can help.
    #[error("postgres {addr}: {action}: {source}")]
    Io {
        /// `host:port`.
        addr: String,
        /// What was being done (`connect`, `read`, `write`).
        action: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The server did not answer in time. A retry can help.
    #[error("postgres {addr}: no answer to {action} within {seconds} s")]
    Timeout {
        /// `host:port`.
        addr: String,
        /// What was being waited for.
        action: &'static str,
        /// The limit.
        seconds: u64,
    },
    /// The server sent an ErrorResponse.
    #[error("postgres {during}: {0}", .error)]
    Server {
        /// The command or phase that failed (e.g. `START_REPLICATION SLOT "s" …`).
        during: String,
        /// The server's error fields (boxed: errors are rare, `Result`s are everywhere).
        error: Box<ServerError>,
    },
    /// The server asked for an authentication method Tributary does not speak.
    #[error(
        "postgres: the server asks for {method} authentication, which is not supported; \
         hint: configure pg_hba.conf for scram-sha-256, md5 or password for this user"
    )]
    UnsupportedAuthentication {
        /// The method's name.
        method: String,
    },
    /// TLS could not be set up as configured (no TLS on the server, an untrusted or
    /// misnamed certificate, an unreadable root certificate file). Definite.
    #[error("postgres {addr}: {detail}")]
    Tls {
        /// `host:port`.
        addr: String,
        /// What failed and how to fix it.
        detail: String,
    },
    /// A spill file of a large streamed transaction could not be written or read back
    /// (disk full, directory missing or not writable). A retry re-streams the transaction
    /// from the slot and can help once space is freed.
    #[error(
        "postgres: cannot {action} the spill file {path} of a large streamed transaction: \
         {source}; hint: free disk space there or point the spill directory elsewhere"
    )]
    Spill {
        /// The file (already unlinked once created).
        path: std::path::PathBuf,
        /// `create`, `write`, `read`, ...
        action: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The server sent bytes that break the protocol. Retrying the same server rarely helps.
    #[error("postgres protocol violation during {during}: {detail}")]
    Protocol {
        /// What was being done.
        during: String,
        /// What was wrong.
        detail: String,
    },
}

impl PgError {
    /// Whether retrying (after a backoff, on a new connection) can help.
    ///
    /// Connection loss, timeouts and server errors of the classes that mean "not now"
    /// (connection exceptions 08, insufficient resources 53, operator intervention 57, object
    /// in use 55006 — e.g. a replication slot still held by a dying walsender) are transient.
    /// Authentication failures, missing privileges, unknown objects and protocol violations
    /// are definite: the same request will fail the same way until someone changes something.
    pub fn is_transient(&self) -> bool {
        match self {
            PgError::Io { .. } | PgError::Timeout { .. } | PgError::Spill { .. } => true,
            PgError::Server { error, .. } => {
                let code = error.code.as_str();
                code.starts_with("08")
                    || code.starts_with("53")
                    || code.starts_with("57")
                    || code == "55006"
                    || code == "40001"
                    || code == "40P01"
            }
            PgError::UnsupportedAuthentication { .. }
            | PgError::Tls { .. }
            | PgError::Protocol { .. } => false,
        }
    }

    /// The SQLSTATE code when the server reported the error.
    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            PgError::Server { error, .. } => Some(&error.code),
            _ => None,
        }
    }

    pub(crate) fn protocol(during: impl Into<String>, detail: impl Into<String>) -> Self {
        PgError::Protocol {
            during: during.into(),
            detail: detail.into(),
        }
    }
}

/// The fields of a server ErrorResponse that an operator needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerError {
    /// `ERROR`, `FATAL`, `PANIC`.
    pub severity: String,
    /// SQLSTATE, e.g. `42704`.
    pub code: String,
    /// The primary message.
    pub message: String,
    /// Optional detail.
    pub detail: Option<String>,
    /// Optional hint.
    pub hint: Option<String>,
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.severity, self.code, self.message)?;
        if let Some(detail) = &self.detail {
            write!(f, "; detail: {detail}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "; hint: {hint}")?;
        }
        Ok(())
    }
}
