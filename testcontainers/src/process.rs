//! A server as a child process: its own process group, output appended to a log file, and
//! no way to outlive the test process.
//!
//! # Lifetime
//! Every server is spawned from one long-lived thread (the *spawner*) with
//! `PR_SET_PDEATHSIG = SIGKILL`. The kernel delivers that signal when the thread that forked
//! the child exits; the spawner only exits with the process, so a server shared through a
//! `static` (never dropped) still dies with the test binary, and a handle dropped during a
//! panic kills its server in `Drop`. Spawning from the test's own thread would kill a shared
//! server as soon as the first test using it returned.
//!
//! # Process groups
//! Servers run in a process group of their own so that pause (SIGSTOP), resume and kill reach
//! every process of the server (PostgreSQL's backends, not only the postmaster).

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc::{self, Sender};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{self, Signal};
use nix::unistd::{Gid, Pid, Uid};

use crate::error::ServerError;

/// How often readiness conditions are polled.
const POLL_INTERVAL: Duration = Duration::from_millis(25);
/// How many log lines an error carries.
pub(crate) const LOG_TAIL_LINES: usize = 30;

/// Everything needed to (re)start a server the same way.
#[derive(Debug, Clone)]
pub(crate) struct ServerCommand {
    pub(crate) program: PathBuf,
    pub(crate) args: Vec<OsString>,
    pub(crate) env: Vec<(OsString, OsString)>,
    pub(crate) cwd: Option<PathBuf>,
    /// Drop to this user and group before exec (PostgreSQL refuses to run as root).
    pub(crate) run_as: Option<(Uid, Gid)>,
}

impl ServerCommand {
    pub(crate) fn new(program: impl Into<PathBuf>) -> Self {
        Self {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            cwd: None,
            run_as: None,
        }
    }

    pub(crate) fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub(crate) fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub(crate) fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    pub(crate) fn cwd(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    pub(crate) fn run_as(mut self, run_as: Option<(Uid, Gid)>) -> Self {
        self.run_as = run_as;
        self
    }

    /// The command line as a user would type it, for error messages.
    pub(crate) fn display(&self) -> String {
        let mut line = self.program.display().to_string();
        for arg in &self.args {
            line.push(' ');
            line.push_str(&arg.to_string_lossy());
        }
        line
    }

    fn to_command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args).stdin(Stdio::null());
        for (key, value) in &self.env {
            command.env(key, value);
        }
        if let Some(cwd) = &self.cwd {
            command.current_dir(cwd);
        }
        if let Some((uid, gid)) = self.run_as {
            command.uid(uid.as_raw()).gid(gid.as_raw());
        }
        command
    }

    /// Runs a short set-up command to completion (initdb, a client query), capturing its
    /// output; a non-zero exit becomes [`ServerError::Exited`] with the output's tail.
    pub(crate) fn run_to_completion(&self, server: &'static str) -> Result<String, ServerError> {
        let output = self
            .to_command()
            .output()
            .map_err(|source| ServerError::Spawn {
                server,
                command: self.display(),
                source,
            })?;
        let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stderr));
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(ServerError::Exited {
                server,
                command: self.display(),
                status: output.status.to_string(),
                log_tail: tail_lines(&text, LOG_TAIL_LINES),
            })
        }
    }
}

/// A running (or stopped) server process and its log.
#[derive(Debug)]
pub(crate) struct ServerProcess {
    server: &'static str,
    command: ServerCommand,
    log_path: PathBuf,
    child: Option<Child>,
    /// Length of the log when the current process was spawned: readiness lines are only
    /// looked for after it, so a restart does not see the previous run's "ready".
    log_offset_at_spawn: u64,
}

impl ServerProcess {
    /// Spawns `command` with stdout and stderr appended to `log_path`.
    pub(crate) fn spawn(
        server: &'static str,
        command: ServerCommand,
        log_path: PathBuf,
    ) -> Result<Self, ServerError> {
        let mut process = Self {
            server,
            command,
            log_path,
            child: None,
            log_offset_at_spawn: 0,
        };
        process.respawn()?;
        Ok(process)
    }

    /// Starts the same command again (after a stop or kill), same data, same port.
    pub(crate) fn respawn(&mut self) -> Result<(), ServerError> {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .map_err(|source| ServerError::Io {
                server: self.server,
                action: "open log file",
                path: self.log_path.clone(),
                source,
            })?;
        let io_err = |source| ServerError::Io {
            server: self.server,
            action: "open log file",
            path: self.log_path.clone(),
            source,
        };
        self.log_offset_at_spawn = log.metadata().map_err(io_err)?.len();
        let stderr = log.try_clone().map_err(io_err)?;
        let mut command = self.command.to_command();
        command
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(stderr))
            .process_group(0);
        let child = spawn_tied_to_process(command).map_err(|source| ServerError::Spawn {
            server: self.server,
            command: self.command.display(),
            source,
        })?;
        self.child = Some(child);
        Ok(())
    }

    pub(crate) fn command_line(&self) -> String {
        self.command.display()
    }

    pub(crate) fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Polls `ready` until it holds, the process exits, or `timeout` passes. Errors carry
    /// the log's tail.
    pub(crate) fn wait_until(
        &mut self,
        timeout: Duration,
        mut ready: impl FnMut(&Self) -> bool,
    ) -> Result<(), ServerError> {
        let started = Instant::now();
        loop {
            if ready(self) {
                return Ok(());
            }
            let exited = match self.child.as_mut() {
                Some(child) => child.try_wait().ok().flatten(),
                None => {
                    return Err(ServerError::NotRunning {
                        server: self.server,
                    });
                }
            };
            if let Some(status) = exited {
                self.child = None;
                return Err(ServerError::Exited {
                    server: self.server,
                    command: self.command.display(),
                    status: status.to_string(),
                    log_tail: self.log_tail(LOG_TAIL_LINES),
                });
            }
            if started.elapsed() >= timeout {
                // A server that never came up is of no use: do not leave it running.
                self.kill();
                return Err(ServerError::Timeout {
                    server: self.server,
                    command: self.command.display(),
                    waited: timeout,
                    log_tail: self.log_tail(LOG_TAIL_LINES),
                });
            }
            thread::sleep(POLL_INTERVAL);
        }
    }

    /// Whether the log written since the last spawn contains `needle`.
    pub(crate) fn log_contains_since_spawn(&self, needle: &str) -> bool {
        let Ok(mut file) = File::open(&self.log_path) else {
            return false;
        };
        if file
            .seek(SeekFrom::Start(self.log_offset_at_spawn))
            .is_err()
        {
            return false;
        }
        let mut text = Vec::new();
        if file.read_to_end(&mut text).is_err() {
            return false;
        }
        String::from_utf8_lossy(&text).contains(needle)
    }

    /// The last `lines` lines of the server's log (all runs).
    pub(crate) fn log_tail(&self, lines: usize) -> String {
        read_log_tail(&self.log_path, lines)
    }

    /// Sends `signal` to the whole process group.
    pub(crate) fn signal_group(&self, signal: Signal) -> Result<(), ServerError> {
        let Some(pid) = self.pid() else {
            return Err(ServerError::NotRunning {
                server: self.server,
            });
        };
        signal::killpg(pid, signal).map_err(|source| ServerError::Signal {
            server: self.server,
            signal: signal.as_str(),
            pid: pid.as_raw(),
            source,
        })
    }

    fn pid(&self) -> Option<Pid> {
        let raw = self.child.as_ref()?.id();
        i32::try_from(raw).ok().map(Pid::from_raw)
    }

    /// Asks the server to shut down with `signal` sent to its main process, waits up to
    /// `grace`, then kills what is left.
    pub(crate) fn stop(&mut self, signal: Signal, grace: Duration) {
        let Some(pid) = self.pid() else { return };
        // A paused server cannot act on a shutdown request.
        let _ = signal::killpg(pid, Signal::SIGCONT);
        let _ = signal::kill(pid, signal);
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if !self.is_running() {
                break;
            }
            thread::sleep(POLL_INTERVAL);
        }
        self.kill();
    }

    /// Kills the whole process group with SIGKILL and reaps the main process.
    pub(crate) fn kill(&mut self) {
        if let Some(pid) = self.pid() {
            let _ = signal::killpg(pid, Signal::SIGKILL);
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

type SpawnJob = (Command, Sender<io::Result<Child>>);

/// Spawns `command` from the long-lived spawner thread with SIGKILL as its parent-death
/// signal (see the module docs, "Lifetime").
fn spawn_tied_to_process(mut command: Command) -> io::Result<Child> {
    static SPAWNER: OnceLock<Option<Sender<SpawnJob>>> = OnceLock::new();

    // SAFETY: the closure runs in the forked child before exec and only calls prctl(2),
    // which is async-signal-safe; it touches no memory shared with the parent.
    #[allow(unsafe_code)]
    unsafe {
        command
            .pre_exec(|| nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(io::Error::from));
    }

    let spawner = SPAWNER.get_or_init(|| {
        let (jobs, inbox) = mpsc::channel::<SpawnJob>();
        thread::Builder::new()
            .name("testcontainers-spawner".into())
            .spawn(move || {
                for (mut command, reply) in inbox {
                    let _ = reply.send(command.spawn());
                }
            })
            .ok()
            .map(|_| jobs)
    });
    let Some(spawner) = spawner else {
        return Err(io::Error::other(
            "the testcontainers spawner thread could not be started",
        ));
    };
    let (reply, answer) = mpsc::channel();
    spawner
        .send((command, reply))
        .map_err(|_| io::Error::other("the testcontainers spawner thread has stopped"))?;
    answer
        .recv()
        .map_err(|_| io::Error::other("the testcontainers spawner thread has stopped"))?
}

/// The last `lines` lines of a log file; reads at most its last 256 KiB.
pub(crate) fn read_log_tail(path: &Path, lines: usize) -> String {
    const MAX_READ: u64 = 256 * 1024;
    let Ok(mut file) = File::open(path) else {
        return format!("(no log at {})", path.display());
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(len.saturating_sub(MAX_READ)));
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    tail_lines(&String::from_utf8_lossy(&bytes), lines)
}

fn tail_lines(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    let start = all.len().saturating_sub(lines);
    let mut tail = all[start..].join("\n");
    if tail.is_empty() {
        tail.push_str("(log is empty)");
    }
    tail
}

/// Writes a line straight to the process's stderr. The test harness captures `eprintln!`,
/// but start-up times belong in every test log, passing or not.
pub(crate) fn report(line: &str) {
    let _ = writeln!(io::stderr(), "testcontainers: {line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_last_lines_and_says_when_empty() {
        assert_eq!(tail_lines("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail_lines("a", 5), "a");
        assert_eq!(tail_lines("", 5), "(log is empty)");
    }
}
