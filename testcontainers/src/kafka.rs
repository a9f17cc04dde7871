//! Apache Kafka 4 as a single KRaft node (broker and controller in one JVM), from the Maven
//! Central jars that `scripts/setup` copies into `.cache/kafka/<version>/libs`.
//!
//! # Settings the tests rely on
//! One node, `PLAINTEXT` on 127.0.0.1, topics auto-created with one partition. The
//! transaction state log, the consumer offsets topic and the share-group state topic have
//! replication factor 1 and min ISR 1 — on one node, transactions otherwise never complete.
//! Both internal topics get one partition instead of 50 so the first transaction and the
//! first consumer group do not wait for 50 partitions to be created; the partition count
//! does not change how transactions or groups behave. `group.initial.rebalance.delay.ms=0`
//! lets a consumer start reading at once.

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

/// The Kafka release the harness runs (keep in step with `scripts/setup` and
/// `scripts/kafka/pom.xml`).
pub const KAFKA_VERSION: &str = "4.1.1";

const SERVER: &str = "kafka";
const READY_LINE: &str = "Kafka Server started";
/// Any valid cluster id works: every harness broker formats its own storage.
const CLUSTER_ID: &str = "q1Sh-9_ISia_zwGINzRvyQ";
const NODE_ID: u32 = 1;

/// Options for a Kafka broker; [`Kafka::builder`] starts here.
#[derive(Debug, Clone)]
pub struct KafkaBuilder {
    libs_dir: Option<PathBuf>,
    java: Option<PathBuf>,
    port: Option<u16>,
    heap: String,
    properties: Settings,
    startup_timeout: Duration,
}

impl Default for KafkaBuilder {
    fn default() -> Self {
        let mut properties = Settings::default();
        for (name, value) in [
            ("num.partitions", "1"),
            ("default.replication.factor", "1"),
            ("min.insync.replicas", "1"),
            ("auto.create.topics.enable", "true"),
            ("offsets.topic.replication.factor", "1"),
            ("offsets.topic.num.partitions", "1"),
            ("transaction.state.log.replication.factor", "1"),
            ("transaction.state.log.min.isr", "1"),
            ("transaction.state.log.num.partitions", "1"),
            ("share.coordinator.state.topic.replication.factor", "1"),
            ("share.coordinator.state.topic.min.isr", "1"),
            ("group.initial.rebalance.delay.ms", "0"),
        ] {
            properties.set(name, Some(value.to_owned()));
        }
        Self {
            libs_dir: None,
            java: None,
            port: None,
            heap: "512m".into(),
            properties,
            startup_timeout: Duration::from_secs(90),
        }
    }
}

impl KafkaBuilder {
    /// The directory of Kafka's jars. Default: `TRIBUTARY_KAFKA_LIBS`, then
    /// `<workspace>/.cache/kafka/<KAFKA_VERSION>/libs`.
    pub fn libs_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.libs_dir = Some(dir.into());
        self
    }

    /// The `java` program. Default: `$JAVA_HOME/bin/java`, then `java` on `PATH`.
    pub fn java(mut self, java: impl Into<PathBuf>) -> Self {
        self.java = Some(java.into());
        self
    }

    /// Listen for clients on this port instead of a free one chosen by the OS.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// The JVM's maximum heap (`-Xmx`), e.g. `"1g"`. Default `512m`.
    pub fn heap(mut self, heap: &str) -> Self {
        self.heap = heap.to_owned();
        self
    }

    /// Sets a broker property, replacing the harness default.
    pub fn property(mut self, name: &str, value: &str) -> Self {
        self.properties.set(name, Some(value.to_owned()));
        self
    }

    /// How long to wait for the broker to start. Default 90 s.
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = timeout;
        self
    }

    /// Formats storage in a new temporary directory and starts the broker.
    pub fn start(self) -> Result<Kafka, ServerError> {
        let started = Instant::now();
        let java = self.resolve_java()?;
        let libs = self.resolve_libs()?;
        let dir = ServerDir::create(SERVER, None)?;
        let controller_port = crate::free_port().map_err(|source| ServerError::Io {
            server: SERVER,
            action: "find a free port on",
            path: "127.0.0.1".into(),
            source,
        })?;
        let classpath = format!("{}/*", libs.display());
        let log4j = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/kafka-log4j2.yaml");
        let jvm = |main: &str| {
            ServerCommand::new(&java)
                .args(["-Xms128m".to_owned(), format!("-Xmx{}", self.heap)])
                .args([
                    "-XX:+UseG1GC",
                    "-XX:MaxGCPauseMillis=20",
                    "-XX:+ExitOnOutOfMemoryError",
                ])
                .args([
                    "-Djava.awt.headless=true".to_owned(),
                    format!("-Dlog4j2.configurationFile={}", log4j.display()),
                ])
                .args(["-cp", classpath.as_str(), main])
        };

        let (mut lifecycle, _) = start_on_port(self.port, |port| {
            let properties_path = dir.join("server.properties");
            let text = self.render_properties(port, controller_port, &dir.join("data"));
            std::fs::write(&properties_path, text).map_err(|source| ServerError::Io {
                server: SERVER,
                action: "write",
                path: properties_path.clone(),
                source,
            })?;
            if !dir.join("data/meta.properties").exists() {
                jvm("kafka.tools.StorageTool")
                    .args(["format", "--ignore-formatted", "-t", CLUSTER_ID, "-c"])
                    .arg(&properties_path)
                    .run_to_completion(SERVER)?;
            }
            let command = jvm("kafka.Kafka").arg(&properties_path);
            // SIGTERM is a controlled shutdown.
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
        lifecycle.mark_started(started);
        Ok(Kafka { lifecycle, dir })
    }

    fn render_properties(&self, port: u16, controller_port: u16, data: &Path) -> String {
        let mut text = format!(
            "process.roles=broker,controller\n\
             node.id={NODE_ID}\n\
             controller.quorum.voters={NODE_ID}@127.0.0.1:{controller_port}\n\
             listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}\n\
             advertised.listeners=PLAINTEXT://127.0.0.1:{port}\n\
             controller.listener.names=CONTROLLER\n\
             inter.broker.listener.name=PLAINTEXT\n\
             listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT\n\
             log.dirs={}\n",
            data.display()
        );
        for (name, value) in self.properties.iter() {
            text.push_str(&format!("{name}={value}\n"));
        }
        text
    }

    fn resolve_java(&self) -> Result<PathBuf, ServerError> {
        programs::java(SERVER, self.java.as_deref())
    }

    fn resolve_libs(&self) -> Result<PathBuf, ServerError> {
        let libs = self
            .libs_dir
            .clone()
            .or_else(|| programs::dir_from_env("TRIBUTARY_KAFKA_LIBS"))
            .unwrap_or_else(default_libs_dir);
        let broker_jar = libs.join(format!("kafka_2.13-{KAFKA_VERSION}.jar"));
        if broker_jar.is_file() {
            Ok(libs)
        } else {
            Err(ServerError::ProgramMissing {
                server: SERVER,
                program: format!("kafka_2.13-{KAFKA_VERSION}.jar"),
                searched: libs.display().to_string(),
                hint: "run scripts/setup (resolves Kafka's jars with Maven) or set TRIBUTARY_KAFKA_LIBS"
                    .into(),
            })
        }
    }
}

fn default_libs_dir() -> PathBuf {
    programs::workspace_cache()
        .join("kafka")
        .join(KAFKA_VERSION)
        .join("libs")
}

/// A running single-node Kafka. Dropping it kills the broker and removes its directory.
#[derive(Debug)]
pub struct Kafka {
    lifecycle: Lifecycle,
    // Declared last: dropped after the process is gone.
    dir: ServerDir,
}

impl Kafka {
    /// Options for a new broker.
    pub fn builder() -> KafkaBuilder {
        KafkaBuilder::default()
    }

    /// Starts a broker with the harness defaults.
    pub fn start() -> Result<Self, ServerError> {
        Self::builder().start()
    }

    /// One broker for every test of this test binary, started on first use. Give each test
    /// its own topic names with [`crate::unique_name`]. Tests that stop, pause or kill a
    /// broker must start their own instead.
    pub fn shared() -> Result<&'static Self, ServerError> {
        static SHARED: OnceLock<Result<Kafka, String>> = OnceLock::new();
        lifecycle::shared(&SHARED, SERVER, Self::start)
    }

    /// `bootstrap.servers` for clients.
    pub fn bootstrap_servers(&self) -> String {
        format!("127.0.0.1:{}", self.lifecycle.port())
    }

    /// The broker's log directory.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    lifecycle::fault_controls!();
}
