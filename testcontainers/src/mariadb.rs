//! MariaDB 10.11 from Debian's packages, writing a row-based binlog with GTIDs.
//!
//! # Settings the tests rely on
//! `log_bin` (files `mysql-bin.*` in the data directory), `binlog_format=ROW`,
//! `binlog_row_image=FULL`, `server_id=1`, `gtid_domain_id=0` (MariaDB always writes GTID
//! events), `binlog_checksum=CRC32`, utf8mb4 as the server character set, `skip_name_resolve`,
//! listening on 127.0.0.1 only. `innodb_flush_log_at_trx_commit=2` makes commits fast and
//! still survives a killed server (only an operating-system crash could lose the last second).
//!
//! # Users
//! `root` without a password over the server's Unix socket (used by [`MariaDb::sql`]), and
//! `tributary`/`tributary` from any host with all privileges, for the code under test.
//! Tests of missing grants create their own, weaker users.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use nix::unistd::Uid;

use crate::error::ServerError;
use crate::lifecycle::{self, Lifecycle, Readiness};
use crate::process::ServerCommand;
use crate::settings::Settings;
use crate::workdir::ServerDir;
use crate::{programs, start_on_port, unique_name};

const SERVER: &str = "mariadb";
const READY_LINE: &str = "ready for connections";
const TEST_USER: &str = "tributary";
const TEST_PASSWORD: &str = "tributary";
const INSTALL_HINT: &str =
    "run scripts/setup (installs Debian's mariadb-server) or set TRIBUTARY_MARIADB_BINDIR";

/// Where to connect, as a test or the engine would be configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MariaDbConfig {
    /// Always `127.0.0.1`.
    pub host: String,
    /// The server's port.
    pub port: u16,
    /// User name.
    pub user: String,
    /// Password.
    pub password: String,
    /// Default database, if any.
    pub database: Option<String>,
}

impl MariaDbConfig {
    /// A `mysql://` URL (accepted by `mysql_async`).
    pub fn url(&self) -> String {
        format!(
            "mysql://{}:{}@{}:{}/{}",
            self.user,
            self.password,
            self.host,
            self.port,
            self.database.as_deref().unwrap_or("")
        )
    }
}

/// Options for a MariaDB server; [`MariaDb::builder`] starts here.
#[derive(Debug, Clone)]
pub struct MariaDbBuilder {
    bin_dir: Option<PathBuf>,
    port: Option<u16>,
    settings: Settings,
    startup_timeout: Duration,
}

impl Default for MariaDbBuilder {
    fn default() -> Self {
        let mut settings = Settings::default();
        for (name, value) in [
            ("server_id", "1"),
            ("log_bin", "mysql-bin"),
            ("binlog_format", "ROW"),
            ("binlog_row_image", "FULL"),
            ("binlog_checksum", "CRC32"),
            ("gtid_domain_id", "0"),
            ("character_set_server", "utf8mb4"),
            ("collation_server", "utf8mb4_general_ci"),
            ("skip_name_resolve", "ON"),
            ("max_connections", "300"),
            ("performance_schema", "OFF"),
            ("innodb_buffer_pool_size", "64M"),
            ("innodb_log_file_size", "48M"),
            ("innodb_flush_log_at_trx_commit", "2"),
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

impl MariaDbBuilder {
    /// A directory holding `mariadbd`, `mariadb-install-db` and `mariadb`, searched before
    /// `TRIBUTARY_MARIADB_BINDIR`, `/usr/sbin`, `/usr/bin` and `PATH`.
    pub fn bin_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.bin_dir = Some(dir.into());
        self
    }

    /// Listen on this port instead of a free one chosen by the OS.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Sets a server option (as `mariadbd --name=value`), replacing the harness default;
    /// e.g. `setting("binlog_format", "STATEMENT")` or `setting("default_time_zone", "+05:30")`.
    pub fn setting(mut self, name: &str, value: &str) -> Self {
        self.settings.set(name, Some(value.to_owned()));
        self
    }

    /// Removes a harness default so the server's own default applies; e.g.
    /// `without_setting("log_bin")` starts a server with no binlog.
    pub fn without_setting(mut self, name: &str) -> Self {
        self.settings.set(name, None);
        self
    }

    /// How long to wait for the server to accept connections. Default 60 s.
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = timeout;
        self
    }

    /// Creates a data directory in a new temporary directory and starts the server.
    pub fn start(self) -> Result<MariaDb, ServerError> {
        let started = Instant::now();
        let programs = self.programs()?;
        let dir = ServerDir::create(SERVER, None)?;
        let as_root = Uid::effective().is_root();

        let mut install = ServerCommand::new(&programs.install_db)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", dir.join("data").display()))
            .args(["--auth-root-authentication-method=normal", "--skip-test-db"])
            .arg("--skip-name-resolve")
            // Bootstrap servers started side by side must not share `/tmp` temp tables: with
            // the default tmpdir one bootstrap can remove another's and abort it.
            .arg(format!("--tmpdir={}", dir.path().display()));
        if as_root {
            install = install.arg("--user=root");
        }
        install.run_to_completion(SERVER)?;

        let socket = dir.join("mysqld.sock");
        let (lifecycle, _) = start_on_port(self.port, |port| {
            let mut command = ServerCommand::new(&programs.server)
                .arg("--no-defaults")
                .arg(format!("--datadir={}", dir.join("data").display()))
                .arg(format!("--port={port}"))
                .arg("--bind-address=127.0.0.1")
                .arg(format!("--socket={}", socket.display()))
                .arg(format!("--pid-file={}", dir.join("mysqld.pid").display()))
                .arg(format!("--tmpdir={}", dir.path().display()));
            if as_root {
                command = command.arg("--user=root");
            }
            for (name, value) in self.settings.iter() {
                command = command.arg(format!("--{name}={value}"));
            }
            Lifecycle::spawn(
                SERVER,
                command,
                dir.join("server.log"),
                port,
                Readiness::LogLine(READY_LINE),
                Signal::SIGTERM,
                self.startup_timeout,
            )
        })?;
        let mut server = MariaDb {
            lifecycle,
            client: programs.client,
            socket,
            dir,
        };
        server.sql(&format!(
            "CREATE USER '{TEST_USER}'@'%' IDENTIFIED BY '{TEST_PASSWORD}'; \
             GRANT ALL PRIVILEGES ON *.* TO '{TEST_USER}'@'%' WITH GRANT OPTION;"
        ))?;
        server.lifecycle.mark_started(started);
        Ok(server)
    }

    fn programs(&self) -> Result<Programs, ServerError> {
        let mut dirs: Vec<PathBuf> = self.bin_dir.iter().cloned().collect();
        dirs.extend(programs::dir_from_env("TRIBUTARY_MARIADB_BINDIR"));
        dirs.push(PathBuf::from("/usr/sbin"));
        dirs.push(PathBuf::from("/usr/bin"));
        Ok(Programs {
            server: programs::find(SERVER, "mariadbd", &dirs, INSTALL_HINT)?,
            install_db: programs::find(SERVER, "mariadb-install-db", &dirs, INSTALL_HINT)?,
            client: programs::find(SERVER, "mariadb", &dirs, INSTALL_HINT)?,
        })
    }
}

struct Programs {
    server: PathBuf,
    install_db: PathBuf,
    client: PathBuf,
}

/// A running MariaDB server. Dropping it kills the server and removes its directory.
#[derive(Debug)]
pub struct MariaDb {
    lifecycle: Lifecycle,
    client: PathBuf,
    socket: PathBuf,
    // Declared last: dropped after the process is gone.
    dir: ServerDir,
}

impl MariaDb {
    /// Options for a new server.
    pub fn builder() -> MariaDbBuilder {
        MariaDbBuilder::default()
    }

    /// Starts a server with the harness defaults.
    pub fn start() -> Result<Self, ServerError> {
        Self::builder().start()
    }

    /// One server for every test of this test binary, started on first use. Give each test
    /// its own database with [`MariaDb::create_database`]. Tests that stop, pause or kill a
    /// server must start their own instead.
    pub fn shared() -> Result<&'static Self, ServerError> {
        static SHARED: OnceLock<Result<MariaDb, String>> = OnceLock::new();
        lifecycle::shared(&SHARED, SERVER, Self::start)
    }

    /// The data directory (holds the binlog files).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The test user's connection, with no default database.
    pub fn config(&self) -> MariaDbConfig {
        MariaDbConfig {
            host: "127.0.0.1".into(),
            port: self.lifecycle.port(),
            user: TEST_USER.into(),
            password: TEST_PASSWORD.into(),
            database: None,
        }
    }

    /// Creates a database with a unique name and returns the test user's connection to it.
    pub fn create_database(&self) -> Result<MariaDbConfig, ServerError> {
        let name = unique_name("db");
        self.sql(&format!("CREATE DATABASE `{name}`"))?;
        Ok(MariaDbConfig {
            database: Some(name),
            ..self.config()
        })
    }

    /// Runs SQL with the `mariadb` client as root over the Unix socket and returns its
    /// tab-separated output without column names. For set-up in tests.
    pub fn sql(&self, sql: &str) -> Result<String, ServerError> {
        ServerCommand::new(&self.client)
            .args([
                "--no-defaults",
                "--protocol=socket",
                "--batch",
                "--skip-column-names",
            ])
            .arg(format!("--socket={}", self.socket.display()))
            .args(["--connect-timeout=10", "-uroot", "-e", sql])
            .run_to_completion(SERVER)
    }

    lifecycle::fault_controls!();
}
