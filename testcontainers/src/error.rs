//! Why a server could not be started or driven.

use std::path::PathBuf;
use std::time::Duration;

/// A server the harness could not start, stop, drive or set up.
///
/// Every variant names the server and, where one was run, the command; errors that come
/// from a running or exited server carry the tail of its log so a failing test shows the
/// server's own words instead of a hang.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A program the server needs is not installed where the harness looks for it.
    #[error("{server}: program `{program}` not found (looked in {searched}); hint: {hint}")]
    ProgramMissing {
        /// Which server (`postgres`, `mariadb`, `kafka`).
        server: &'static str,
        /// The program's file name.
        program: String,
        /// Where the harness looked.
        searched: String,
        /// How to install or point at it.
        hint: String,
    },
    /// The operating system refused to start the process.
    #[error("{server}: could not run `{command}`: {source}")]
    Spawn {
        /// Which server.
        server: &'static str,
        /// The command line.
        command: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The server (or a set-up command) exited before it became ready.
    #[error(
        "{server}: `{command}` exited with {status} before it was ready; last log lines:\n{log_tail}"
    )]
    Exited {
        /// Which server.
        server: &'static str,
        /// The command line.
        command: String,
        /// Exit status as text.
        status: String,
        /// The last lines of the server's log or the command's output.
        log_tail: String,
    },
    /// The server did not become ready in time.
    #[error("{server}: `{command}` not ready after {waited:?}; last log lines:\n{log_tail}")]
    Timeout {
        /// Which server.
        server: &'static str,
        /// The command line.
        command: String,
        /// How long the harness waited.
        waited: Duration,
        /// The last lines of the server's log.
        log_tail: String,
    },
    /// A file or directory the harness manages could not be written.
    #[error("{server}: {action} `{path}`: {source}")]
    Io {
        /// Which server.
        server: &'static str,
        /// What the harness was doing.
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A signal could not be delivered to the server's process group.
    #[error("{server}: could not send {signal} to process group {pid}: {source}")]
    Signal {
        /// Which server.
        server: &'static str,
        /// The signal's name.
        signal: &'static str,
        /// The process group id.
        pid: i32,
        /// The OS error.
        #[source]
        source: nix::Error,
    },
    /// A server shared by all tests of this binary failed to start earlier; every test that
    /// asks for it gets this copy of the first error.
    #[error("shared {server} server failed to start earlier: {message}")]
    SharedFailed {
        /// Which server.
        server: &'static str,
        /// The first error, rendered.
        message: String,
    },
    /// The operation needs a running server, and this one is stopped.
    #[error("{server}: not running (call start() after stop() or kill())")]
    NotRunning {
        /// Which server.
        server: &'static str,
    },
}
