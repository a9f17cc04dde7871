//! What every harness server shares once it runs: readiness, start-up time, and the fault
//! controls recovery tests use. Server types hold a [`Lifecycle`] and expose its controls
//! through [`fault_controls!`], so the behaviour (and its documentation) exists once.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::error::ServerError;
use crate::process::{ServerCommand, ServerProcess, report};

/// How a server shows it is ready to serve.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Readiness {
    /// A line its log prints once it accepts clients (looked for after the latest spawn).
    LogLine(&'static str),
    /// A probe of its port that succeeds once it answers.
    Probe(fn(u16) -> bool),
}

/// A spawned server process with everything needed to stop and start it in place.
#[derive(Debug)]
pub(crate) struct Lifecycle {
    server: &'static str,
    process: ServerProcess,
    port: u16,
    readiness: Readiness,
    stop_signal: Signal,
    startup_timeout: Duration,
    startup_time: Duration,
}

/// Grace period for a clean shutdown before the harness kills what is left.
const STOP_GRACE: Duration = Duration::from_secs(30);

impl Lifecycle {
    /// Spawns `command` (output appended to `log`) and waits until it is ready.
    /// `stop_signal` is what asks this server for a clean shutdown.
    pub(crate) fn spawn(
        server: &'static str,
        command: ServerCommand,
        log: PathBuf,
        port: u16,
        readiness: Readiness,
        stop_signal: Signal,
        startup_timeout: Duration,
    ) -> Result<Self, ServerError> {
        let process = ServerProcess::spawn(server, command, log)?;
        let mut lifecycle = Self {
            server,
            process,
            port,
            readiness,
            stop_signal,
            startup_timeout,
            startup_time: Duration::ZERO,
        };
        lifecycle.wait_ready()?;
        Ok(lifecycle)
    }

    /// Records the whole start (set-up included) and writes it to the test log.
    pub(crate) fn mark_started(&mut self, started: Instant) {
        self.startup_time = started.elapsed();
        report(&format!(
            "{} ready on 127.0.0.1:{} in {:.2?}",
            self.server, self.port, self.startup_time
        ));
    }

    fn wait_ready(&mut self) -> Result<(), ServerError> {
        let port = self.port;
        match self.readiness {
            Readiness::LogLine(line) => self
                .process
                .wait_until(self.startup_timeout, |p| p.log_contains_since_spawn(line)),
            Readiness::Probe(probe) => self
                .process
                .wait_until(self.startup_timeout, |_| probe(port)),
        }
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    pub(crate) fn startup_time(&self) -> Duration {
        self.startup_time
    }

    pub(crate) fn is_running(&mut self) -> bool {
        self.process.is_running()
    }

    pub(crate) fn stop(&mut self) {
        self.process.stop(self.stop_signal, STOP_GRACE);
    }

    pub(crate) fn kill(&mut self) {
        self.process.kill();
    }

    pub(crate) fn start_again(&mut self) -> Result<(), ServerError> {
        let started = Instant::now();
        self.process.respawn()?;
        self.wait_ready()?;
        self.startup_time = started.elapsed();
        report(&format!(
            "{} restarted on 127.0.0.1:{} in {:.2?}",
            self.server, self.port, self.startup_time
        ));
        Ok(())
    }

    pub(crate) fn pause(&self) -> Result<(), ServerError> {
        self.process.signal_group(Signal::SIGSTOP)
    }

    pub(crate) fn resume(&self) -> Result<(), ServerError> {
        self.process.signal_group(Signal::SIGCONT)
    }

    pub(crate) fn log_tail(&self, lines: usize) -> String {
        self.process.log_tail(lines)
    }

    pub(crate) fn command_line(&self) -> String {
        self.process.command_line()
    }
}

/// The server shared by every test of this binary: started on first use, and its start
/// error (rendered) handed to every later caller.
pub(crate) fn shared<T>(
    cell: &'static OnceLock<Result<T, String>>,
    server: &'static str,
    start: fn() -> Result<T, ServerError>,
) -> Result<&'static T, ServerError> {
    match cell.get_or_init(|| start().map_err(|e| e.to_string())) {
        Ok(value) => Ok(value),
        Err(message) => Err(ServerError::SharedFailed {
            server,
            message: message.clone(),
        }),
    }
}

/// The fault controls and accessors every server type exposes, delegating to its
/// `lifecycle` field.
macro_rules! fault_controls {
    () => {
        /// The port clients connect to (kept across restarts).
        pub fn port(&self) -> u16 {
            self.lifecycle.port()
        }

        /// How long the last start took, set-up included (or the last `start_again`).
        pub fn startup_time(&self) -> std::time::Duration {
            self.lifecycle.startup_time()
        }

        /// Whether the server process is alive (paused counts as alive).
        pub fn is_running(&mut self) -> bool {
            self.lifecycle.is_running()
        }

        /// Asks for a clean shutdown and waits for it (up to 30 s, then kills).
        pub fn stop(&mut self) {
            self.lifecycle.stop()
        }

        /// SIGKILL to every process of the server: a crash. Start it again with
        /// `start_again`.
        pub fn kill(&mut self) {
            self.lifecycle.kill()
        }

        /// Starts the stopped or killed server again: same port, same data.
        pub fn start_again(&mut self) -> Result<(), crate::ServerError> {
            self.lifecycle.start_again()
        }

        /// Clean shutdown, then start again in place.
        pub fn restart(&mut self) -> Result<(), crate::ServerError> {
            self.lifecycle.stop();
            self.lifecycle.start_again()
        }

        /// Freezes every process of the server (SIGSTOP): connections hang, nothing is
        /// refused.
        pub fn pause(&self) -> Result<(), crate::ServerError> {
            self.lifecycle.pause()
        }

        /// Thaws a paused server (SIGCONT).
        pub fn resume(&self) -> Result<(), crate::ServerError> {
            self.lifecycle.resume()
        }

        /// The last `lines` lines of the server's log.
        pub fn log_tail(&self, lines: usize) -> String {
            self.lifecycle.log_tail(lines)
        }

        /// The command line the server was started with.
        pub fn command_line(&self) -> String {
            self.lifecycle.command_line()
        }
    };
}

pub(crate) use fault_controls;
