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
use crate::process::{ServerCommand, ServerProcess, report};
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

        let (process, port) = start_on_port(self.port, |port| {
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
            let mut process = ServerProcess::spawn(SERVER, command, dir.join("server.log"))?;
            process.wait_until(self.startup_timeout, |p| {
                p.log_contains_since_spawn(READY_LINE)
            })?;
            Ok(process)
        })?;
        let startup_time = started.elapsed();
        report(&format!(
            "kafka ready on 127.0.0.1:{port} in {startup_time:.2?}"
        ));
        Ok(Kafka {
            process,
            port,
            startup_time,
            startup_timeout: self.startup_timeout,
            dir,
        })
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
    process: ServerProcess,
    port: u16,
    startup_time: Duration,
    startup_timeout: Duration,
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
        match SHARED.get_or_init(|| Self::start().map_err(|e| e.to_string())) {
            Ok(server) => Ok(server),
            Err(message) => Err(ServerError::SharedFailed {
                server: SERVER,
                message: message.clone(),
            }),
        }
    }

    /// `bootstrap.servers` for clients.
    pub fn bootstrap_servers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The client port (kept across restarts).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// How long the last start took, from formatting storage to "Kafka Server started".
    pub fn startup_time(&self) -> Duration {
        self.startup_time
    }

    /// The broker's log directory.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Whether the broker process is alive (paused counts as alive).
    pub fn is_running(&mut self) -> bool {
        self.process.is_running()
    }

    /// Controlled shutdown (SIGTERM); waits for it.
    pub fn stop(&mut self) {
        self.process.stop(Signal::SIGTERM, Duration::from_secs(30));
    }

    /// SIGKILL: a crash. Start it again with [`Kafka::start_again`].
    pub fn kill(&mut self) {
        self.process.kill();
    }

    /// Starts the stopped or killed broker again: same ports, same data.
    pub fn start_again(&mut self) -> Result<(), ServerError> {
        let started = Instant::now();
        self.process.respawn()?;
        self.process.wait_until(self.startup_timeout, |p| {
            p.log_contains_since_spawn(READY_LINE)
        })?;
        self.startup_time = started.elapsed();
        report(&format!(
            "kafka restarted on 127.0.0.1:{} in {:.2?}",
            self.port, self.startup_time
        ));
        Ok(())
    }

    /// Controlled shutdown, then start again in place.
    pub fn restart(&mut self) -> Result<(), ServerError> {
        self.stop();
        self.start_again()
    }

    /// Freezes the broker (SIGSTOP): requests hang, nothing is refused.
    pub fn pause(&self) -> Result<(), ServerError> {
        self.process.signal_group(Signal::SIGSTOP)
    }

    /// Thaws a paused broker (SIGCONT).
    pub fn resume(&self) -> Result<(), ServerError> {
        self.process.signal_group(Signal::SIGCONT)
    }

    /// The last `lines` lines of the broker's log.
    pub fn log_tail(&self, lines: usize) -> String {
        self.process.log_tail(lines)
    }

    /// The command line the broker was started with.
    pub fn command_line(&self) -> String {
        self.process.command_line()
    }
}
