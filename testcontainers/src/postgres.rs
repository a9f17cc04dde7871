//! PostgreSQL 15 from Debian's packages, with logical decoding enabled.
//!
//! # Settings the tests rely on
//! `wal_level=logical`, 32 replication slots and WAL senders, 200 connections, listening on
//! 127.0.0.1 only, the Unix socket in the server's own directory. `fsync=off` and
//! `full_page_writes=off` make tests fast; they only risk data on an operating-system crash,
//! never on a killed server, so crash tests that SIGKILL PostgreSQL stay meaningful.
//! `synchronous_commit` keeps its default (`on`): a commit the client saw survives SIGKILL.
//!
//! # Users
//! The superuser `postgres` with password `postgres`; TCP connections (including
//! replication connections) authenticate with SCRAM-SHA-256, the Unix socket trusts.
//!
//! # Running as root
//! PostgreSQL refuses to run as root, so when the caller is root the server (and `initdb`)
//! run as the `postgres` OS user that Debian's package creates.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use nix::unistd::{Gid, Uid, User};

use crate::error::ServerError;
use crate::lifecycle::{self, Lifecycle, Readiness};
use crate::process::ServerCommand;
use crate::settings::Settings;
use crate::workdir::ServerDir;
use crate::{programs, start_on_port, unique_name};

const SERVER: &str = "postgres";
const SUPERUSER: &str = "postgres";
const SUPERUSER_PASSWORD: &str = "postgres";
const READY_LINE: &str = "database system is ready to accept connections";
const INSTALL_HINT: &str =
    "run scripts/setup (installs Debian's postgresql-15) or set TRIBUTARY_PG_BINDIR";

/// Where to connect, as a test or the engine would be configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgConfig {
    /// Always `127.0.0.1`.
    pub host: String,
    /// The server's port.
    pub port: u16,
    /// User name.
    pub user: String,
    /// Password.
    pub password: String,
    /// Database name.
    pub dbname: String,
}

impl PgConfig {
    /// A libpq-style `key=value` connection string (accepted by `tokio-postgres`).
    pub fn connection_string(&self) -> String {
        format!(
            "host={} port={} user={} password={} dbname={}",
            self.host, self.port, self.user, self.password, self.dbname
        )
    }
}

/// Options for a PostgreSQL server; [`Postgres::builder`] starts here.
#[derive(Debug, Clone)]
pub struct PostgresBuilder {
    bin_dir: Option<PathBuf>,
    port: Option<u16>,
    settings: Settings,
    startup_timeout: Duration,
}

impl Default for PostgresBuilder {
    fn default() -> Self {
        let mut settings = Settings::default();
        for (name, value) in [
            ("listen_addresses", "127.0.0.1"),
            ("wal_level", "logical"),
            ("max_replication_slots", "32"),
            ("max_wal_senders", "32"),
            ("max_connections", "200"),
            ("fsync", "off"),
            ("full_page_writes", "off"),
            ("shared_buffers", "64MB"),
        ] {
            settings.set(name, Some(value.to_owned()));
        }
        Self {
            bin_dir: None,
            port: None,
            settings,
            startup_timeout: Duration::from_secs(60),
        }
    }
}

impl PostgresBuilder {
    /// The directory holding `initdb`, `postgres` and `psql`. Default: `TRIBUTARY_PG_BINDIR`,
    /// then `/usr/lib/postgresql/15/bin`, then `PATH`.
    pub fn bin_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.bin_dir = Some(dir.into());
        self
    }

    /// Listen on this port instead of a free one chosen by the OS.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Sets a server parameter (as `postgres -c name=value`), replacing the harness default;
    /// e.g. `setting("wal_level", "replica")` for a test of the start-up checks.
    pub fn setting(mut self, name: &str, value: &str) -> Self {
        self.settings.set(name, Some(value.to_owned()));
        self
    }

    /// How long to wait for the server to accept connections. Default 60 s.
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = timeout;
        self
    }

    /// Creates a cluster in a new temporary directory and starts the server.
    pub fn start(self) -> Result<Postgres, ServerError> {
        let started = Instant::now();
        let bin_dir = self.resolve_bin_dir()?;
        let run_as = run_as_postgres_when_root()?;
        let dir = ServerDir::create(SERVER, run_as)?;
        init_cluster(&bin_dir, &dir, run_as)?;
        let (mut lifecycle, _) = start_on_port(self.port, |port| {
            let mut command = ServerCommand::new(bin_dir.join("postgres"))
                .args(["-D".into(), dir.join("data").into_os_string()])
                .args(["-c".to_owned(), format!("port={port}")])
                .args([
                    "-c".to_owned(),
                    format!("unix_socket_directories={}", dir.path().display()),
                ])
                .run_as(run_as);
            for (name, value) in self.settings.iter() {
                command = command.args(["-c".to_owned(), format!("{name}={value}")]);
            }
            // SIGINT is PostgreSQL's fast shutdown (`pg_ctl stop -m fast`).
            Lifecycle::spawn(
                SERVER,
                command,
                dir.join("server.log"),
                port,
                Readiness::LogLine(READY_LINE),
                Signal::SIGINT,
                self.startup_timeout,
            )
        })?;
        lifecycle.mark_started(started);
        Ok(Postgres {
            lifecycle,
            bin_dir,
            dir,
        })
    }

    fn resolve_bin_dir(&self) -> Result<PathBuf, ServerError> {
        let bin_dir = match &self.bin_dir {
            Some(dir) => dir.clone(),
            None => {
                let mut dirs: Vec<PathBuf> = programs::dir_from_env("TRIBUTARY_PG_BINDIR")
                    .into_iter()
                    .collect();
                dirs.push(PathBuf::from("/usr/lib/postgresql/15/bin"));
                let initdb = programs::find(SERVER, "initdb", &dirs, INSTALL_HINT)?;
                // `initdb` on PATH may be a symlink into the real bin directory, which also
                // holds `postgres` and `psql`.
                let initdb = std::fs::canonicalize(&initdb).unwrap_or(initdb);
                initdb.parent().map(PathBuf::from).unwrap_or_default()
            }
        };
        // The three programs must come from one installation.
        for program in ["initdb", "postgres", "psql"] {
            programs::find_in(
                SERVER,
                program,
                std::slice::from_ref(&bin_dir),
                INSTALL_HINT,
            )?;
        }
        Ok(bin_dir)
    }
}

fn run_as_postgres_when_root() -> Result<Option<(Uid, Gid)>, ServerError> {
    if !Uid::effective().is_root() {
        return Ok(None);
    }
    match User::from_name(SUPERUSER) {
        Ok(Some(user)) => Ok(Some((user.uid, user.gid))),
        _ => Err(ServerError::ProgramMissing {
            server: SERVER,
            program: "OS user `postgres`".into(),
            searched: "/etc/passwd".into(),
            hint: "PostgreSQL refuses to run as root; install Debian's postgresql-15 (it creates \
                   the user) or run the tests as a non-root user"
                .into(),
        }),
    }
}

fn init_cluster(
    bin_dir: &std::path::Path,
    dir: &ServerDir,
    run_as: Option<(Uid, Gid)>,
) -> Result<(), ServerError> {
    let pwfile = dir.join("pwfile");
    std::fs::write(&pwfile, SUPERUSER_PASSWORD).map_err(|source| ServerError::Io {
        server: SERVER,
        action: "write",
        path: pwfile.clone(),
        source,
    })?;
    if let Some((uid, gid)) = run_as {
        nix::unistd::chown(&pwfile, Some(uid), Some(gid)).map_err(|errno| ServerError::Io {
            server: SERVER,
            action: "change owner of",
            path: pwfile.clone(),
            source: errno.into(),
        })?;
    }
    ServerCommand::new(bin_dir.join("initdb"))
        .arg("-D")
        .arg(dir.join("data"))
        .args([
            "-U",
            SUPERUSER,
            "--no-locale",
            "-E",
            "UTF8",
            "--no-sync",
            "--no-instructions",
        ])
        .args(["--auth-local=trust", "--auth-host=scram-sha-256"])
        .arg(format!("--pwfile={}", pwfile.display()))
        .run_as(run_as)
        .run_to_completion(SERVER)
        .map(|_| ())
}

/// A running PostgreSQL server. Dropping it kills the server and removes its directory.
#[derive(Debug)]
pub struct Postgres {
    lifecycle: Lifecycle,
    bin_dir: PathBuf,
    // Declared last: dropped after the process is gone.
    dir: ServerDir,
}

impl Postgres {
    /// Options for a new server.
    pub fn builder() -> PostgresBuilder {
        PostgresBuilder::default()
    }

    /// Starts a server with the harness defaults.
    pub fn start() -> Result<Self, ServerError> {
        Self::builder().start()
    }

    /// One server for every test of this test binary, started on first use. Give each test
    /// its own database with [`Postgres::create_database`]. Tests that stop, pause or kill a
    /// server must start their own instead.
    pub fn shared() -> Result<&'static Self, ServerError> {
        static SHARED: OnceLock<Result<Postgres, String>> = OnceLock::new();
        lifecycle::shared(&SHARED, SERVER, Self::start)
    }

    /// The data directory (PGDATA).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The superuser's connection to the `postgres` database.
    pub fn superuser_config(&self) -> PgConfig {
        self.config_for("postgres")
    }

    fn config_for(&self, dbname: &str) -> PgConfig {
        PgConfig {
            host: "127.0.0.1".into(),
            port: self.lifecycle.port(),
            user: SUPERUSER.into(),
            password: SUPERUSER_PASSWORD.into(),
            dbname: dbname.into(),
        }
    }

    /// Creates a database with a unique name and returns the superuser's connection to it.
    pub fn create_database(&self) -> Result<PgConfig, ServerError> {
        let name = unique_name("db");
        self.psql("postgres", &format!("CREATE DATABASE \"{name}\""))?;
        Ok(self.config_for(&name))
    }

    /// Runs SQL through `psql` as the superuser and returns its unaligned, tuples-only output.
    /// For set-up in tests; the code under test uses its own client.
    pub fn psql(&self, dbname: &str, sql: &str) -> Result<String, ServerError> {
        ServerCommand::new(self.bin_dir.join("psql"))
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
            ])
            .args(["-p".to_owned(), self.lifecycle.port().to_string()])
            .args(["-U", SUPERUSER])
            .args(["-d", dbname, "-c", sql])
            .env("PGPASSWORD", SUPERUSER_PASSWORD)
            .env("PGCONNECT_TIMEOUT", "10")
            .run_to_completion(SERVER)
    }

    lifecycle::fault_controls!();
}
