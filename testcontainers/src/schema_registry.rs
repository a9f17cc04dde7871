//! A Confluent-compatible schema registry: Apicurio Registry, serving Confluent's REST API
//! under `/apis/ccompat/v7`, run from the Maven Central jars that `scripts/setup` turns into
//! a runnable Quarkus application in `.cache/apicurio/<version>`.
//!
//! # Why Apicurio 2.4
//! Confluent's own registry is not on Maven Central, and Karapace is not on PyPI. Apicurio 3
//! needs Java 21; 2.5 and 2.6 need modules Maven Central does not serve. 2.4.2 resolves
//! from Central (see `testcontainers/assets/apicurio/pom.xml` for the two substitutions).
//!
//! # Settings the tests rely on
//! H2 storage in a file of the server's own directory (Apicurio's default is the same H2 in
//! memory), written at every commit: [`SchemaRegistry::start_again`] keeps every schema and
//! id, also after [`SchemaRegistry::kill`]. No authentication.
//! The default compatibility level is `NONE`, as in Confluent's registry; set it per subject
//! with `PUT /config/{subject}`. Readiness is `GET /apis/ccompat/v7/subjects` answering 200.
//!
//! # Differences from Confluent's registry the tests may meet
//! Error bodies have Confluent's shape `{"error_code":…,"message":…}` and status codes (404
//! for an unknown id or subject, 409 for an incompatible schema, 422 for an invalid one), but
//! the texts are Apicurio's, and an incompatible schema has `error_code` 0 rather than 409.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::error::ServerError;
use crate::lifecycle::{self, Lifecycle, Readiness};
use crate::process::ServerCommand;
use crate::settings::Settings;
use crate::workdir::ServerDir;
use crate::{programs, start_on_port};

/// The Apicurio Registry release the harness runs (keep in step with `scripts/setup` and
/// `testcontainers/assets/apicurio/pom.xml`).
pub const APICURIO_VERSION: &str = "2.4.2.Final";

/// The path under which Apicurio serves Confluent's schema registry API.
const CCOMPAT_PATH: &str = "/apis/ccompat/v7";
const SERVER: &str = "schema-registry";
const RUNNER_JAR: &str = "registry-runner.jar";
/// How long one readiness probe may take before it counts as "not ready yet".
const PROBE_TIMEOUT: Duration = Duration::from_millis(500);

/// Options for a schema registry; [`SchemaRegistry::builder`] starts here.
#[derive(Debug, Clone)]
pub struct SchemaRegistryBuilder {
    app_dir: Option<PathBuf>,
    java: Option<PathBuf>,
    port: Option<u16>,
    heap: String,
    properties: Settings,
    startup_timeout: Duration,
}

impl Default for SchemaRegistryBuilder {
    fn default() -> Self {
        let mut properties = Settings::default();
        for (name, value) in [
            // Apicurio's production profile opens 20 database connections at start.
            ("quarkus.datasource.jdbc.min-size", "1"),
            ("quarkus.datasource.jdbc.initial-size", "1"),
            ("quarkus.log.console.color", "false"),
            // Sends nothing anywhere without a DSN, but says so on every request.
            ("quarkus.log.category.\"io.sentry\".level", "ERROR"),
        ] {
            properties.set_exact(name, Some(value.to_owned()));
        }
        Self {
            app_dir: None,
            java: None,
            port: None,
            heap: "512m".into(),
            properties,
            startup_timeout: Duration::from_secs(120),
        }
    }
}

impl SchemaRegistryBuilder {
    /// The directory holding `registry-runner.jar` and `lib/`. Default:
    /// `TRIBUTARY_APICURIO_DIR`, then `<workspace>/.cache/apicurio/<APICURIO_VERSION>`.
    pub fn app_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.app_dir = Some(dir.into());
        self
    }

    /// The `java` program. Default: `$JAVA_HOME/bin/java`, then `java` on `PATH`.
    pub fn java(mut self, java: impl Into<PathBuf>) -> Self {
        self.java = Some(java.into());
        self
    }

    /// Listen on this port instead of a free one chosen by the OS.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// The JVM's maximum heap (`-Xmx`), e.g. `"1g"`. Default `512m`.
    pub fn heap(mut self, heap: &str) -> Self {
        self.heap = heap.to_owned();
        self
    }

    /// Sets an Apicurio or Quarkus configuration property (passed as `-Dname=value`),
    /// replacing the harness default, e.g. `("registry.ccompat.legacy-id-mode.enabled",
    /// "true")`.
    pub fn property(mut self, name: &str, value: &str) -> Self {
        // Not through `Settings::set`'s `-`→`_` spelling: Quarkus names use dashes.
        self.properties.set_exact(name, Some(value.to_owned()));
        self
    }

    /// How long to wait for the registry to answer. Default 120 s.
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = timeout;
        self
    }

    /// Starts the registry in a new temporary directory and waits until it answers.
    pub fn start(self) -> Result<SchemaRegistry, ServerError> {
        let started = Instant::now();
        let java = programs::java(SERVER, self.java.as_deref())?;
        let app = self.resolve_app_dir()?;
        let dir = ServerDir::create(SERVER, None)?;
        let database = dir.join("registry");

        let (mut lifecycle, _) = start_on_port(self.port, |port| {
            let command = ServerCommand::new(&java)
                .args(["-Xms64m".to_owned(), format!("-Xmx{}", self.heap)])
                .args([
                    // Start-up speed over peak throughput: a test registry serves a handful
                    // of requests.
                    "-XX:TieredStopAtLevel=1",
                    "-XX:+UseSerialGC",
                    "-XX:+ExitOnOutOfMemoryError",
                    "-Djava.awt.headless=true",
                ])
                .args([
                    "-Dquarkus.http.host=127.0.0.1".to_owned(),
                    format!("-Dquarkus.http.port={port}"),
                    // WRITE_DELAY=0: H2 writes each commit at once, so a schema registered
                    // just before kill() is still there after start_again().
                    format!(
                        "-Dquarkus.datasource.jdbc.url=jdbc:h2:file:{};WRITE_DELAY=0",
                        database.display()
                    ),
                ])
                .args(
                    self.properties
                        .iter()
                        .map(|(name, value)| format!("-D{name}={value}")),
                )
                .arg("-jar")
                .arg(app.join(RUNNER_JAR))
                .cwd(dir.path());
            Lifecycle::spawn(
                SERVER,
                command,
                dir.join("server.log"),
                port,
                Readiness::Probe(subjects_answer),
                Signal::SIGTERM,
                self.startup_timeout,
            )
        })?;
        lifecycle.mark_started(started);
        Ok(SchemaRegistry { lifecycle, dir })
    }

    fn resolve_app_dir(&self) -> Result<PathBuf, ServerError> {
        let app = self
            .app_dir
            .clone()
            .or_else(|| programs::dir_from_env("TRIBUTARY_APICURIO_DIR"))
            .unwrap_or_else(|| {
                programs::workspace_cache()
                    .join("apicurio")
                    .join(APICURIO_VERSION)
            });
        if app.join(RUNNER_JAR).is_file() {
            Ok(app)
        } else {
            Err(ServerError::ProgramMissing {
                server: SERVER,
                program: RUNNER_JAR.into(),
                searched: app.display().to_string(),
                hint: "run scripts/setup (builds Apicurio Registry from Maven Central jars) or \
                       set TRIBUTARY_APICURIO_DIR"
                    .into(),
            })
        }
    }
}

/// A running Apicurio Registry speaking Confluent's schema registry API. Dropping it kills
/// the registry and removes its directory.
#[derive(Debug)]
pub struct SchemaRegistry {
    lifecycle: Lifecycle,
    // Declared last: dropped after the process is gone.
    dir: ServerDir,
}

impl SchemaRegistry {
    /// Options for a new registry.
    pub fn builder() -> SchemaRegistryBuilder {
        SchemaRegistryBuilder::default()
    }

    /// Starts a registry with the harness defaults. It keeps its schemas itself (H2), so it
    /// needs no Kafka.
    pub fn start() -> Result<Self, ServerError> {
        Self::builder().start()
    }

    /// One registry for every test of this test binary, started on first use. Give each test
    /// its own subjects (`<topic>-value` with a topic from [`crate::unique_name`]). Tests that
    /// stop, pause or kill a registry must start their own instead.
    pub fn shared() -> Result<&'static Self, ServerError> {
        static SHARED: OnceLock<Result<SchemaRegistry, String>> = OnceLock::new();
        lifecycle::shared(&SHARED, SERVER, Self::start)
    }

    /// The base URL of Confluent's API, for `schema.registry.url`:
    /// `http://127.0.0.1:PORT/apis/ccompat/v7` (append `/subjects`, `/schemas/ids/1`, …).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}{CCOMPAT_PATH}", self.lifecycle.port())
    }

    lifecycle::fault_controls!();

    /// The registry's directory (its H2 database and log).
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }
}

/// Whether `GET /apis/ccompat/v7/subjects` on 127.0.0.1:`port` answers 200: the REST layer
/// and the storage are both up.
fn subjects_answer(port: u16) -> bool {
    http_get_status(port, &format!("{CCOMPAT_PATH}/subjects")) == Some(200)
}

/// The status code of a plain HTTP/1.1 GET, or `None` if nothing answered in time. Enough
/// for a readiness probe; the library needs no HTTP client for it.
fn http_get_status(port: u16, path: &str) -> Option<u16> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, PROBE_TIMEOUT).ok()?;
    stream.set_read_timeout(Some(PROBE_TIMEOUT)).ok()?;
    stream.set_write_timeout(Some(PROBE_TIMEOUT)).ok()?;
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    // The status line is in the first bytes of the answer: "HTTP/1.1 200 OK".
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    status_code(&head)
}

/// The status code in the start of an HTTP/1.x status line.
fn status_code(head: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(head).ok()?;
    let rest = text.strip_prefix("HTTP/1.")?;
    rest.get(2..5)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_code_is_read_from_the_status_line() {
        assert_eq!(status_code(b"HTTP/1.1 200 "), Some(200));
        assert_eq!(status_code(b"HTTP/1.0 503 "), Some(503));
        assert_eq!(status_code(b"SSH-2.0-Open"), None);
        assert_eq!(status_code(b"HTTP/1.1 2x0 "), None);
    }

    #[test]
    fn nothing_listening_is_not_ready() {
        let port = crate::free_port().unwrap();
        assert!(!subjects_answer(port));
    }
}
