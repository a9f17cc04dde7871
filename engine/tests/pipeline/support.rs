//! Running the engine binary and reading its output topics.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Message, Offset, TopicPartitionList};
use serde_json::Value;
use tributary_testcontainers::{Kafka, unique_name};

/// How long a scenario waits for records before it fails.
pub(crate) fn deadline() -> Duration {
    // `TEST_DEADLINE_SECS` for the runs at the 1M rows, whose reads take longer.
    let seconds = std::env::var("TEST_DEADLINE_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(180);
    Duration::from_secs(seconds)
}

/// A `tributary run` child process; killed on drop.
pub(crate) struct Engine {
    child: Option<Child>,
    log: PathBuf,
}

impl Engine {
    /// Writes `properties` to a file in `dir` and starts `tributary run` on it.
    pub(crate) fn run(dir: &Path, properties: &[(String, String)]) -> Self {
        Self::run_with_env(dir, properties, &[])
    }

    /// [`run`](Self::run) with extra environment variables (failpoints).
    pub(crate) fn run_with_env(
        dir: &Path,
        properties: &[(String, String)],
        env: &[(&str, &str)],
    ) -> Self {
        Self::run_with(dir, properties, env, &[])
    }

    /// [`run`](Self::run) serving metrics; returns the engine and the metrics port.
    pub(crate) fn run_with_metrics(dir: &Path, properties: &[(String, String)]) -> (Self, u16) {
        let port = tributary_testcontainers::free_port().unwrap();
        let listen = format!("127.0.0.1:{port}");
        let engine = Self::run_with(dir, properties, &[], &["--metrics-listen", &listen]);
        (engine, port)
    }

    /// Starts `tributary serve` (the REST runtime) with `worker` as its worker properties
    /// file and its state in `dir/state`; returns the node and its REST port.
    pub(crate) fn serve(dir: &Path, worker: &[(String, String)]) -> (Self, u16) {
        Self::serve_with_env(dir, worker, &[])
    }

    /// [`serve`](Self::serve) with extra environment variables.
    pub(crate) fn serve_with_env(
        dir: &Path,
        worker: &[(String, String)],
        env: &[(&str, &str)],
    ) -> (Self, u16) {
        let port = tributary_testcontainers::free_port().unwrap();
        let config = write_properties(&dir.join("worker.properties"), worker);
        let state = dir.join("state");
        let listen = format!("127.0.0.1:{port}");
        let engine = Self::spawn(
            dir,
            &[
                "serve".as_ref(),
                "--config".as_ref(),
                config.as_os_str(),
                "--state-dir".as_ref(),
                state.as_os_str(),
                "--listen".as_ref(),
                listen.as_ref(),
            ],
            env,
        );
        (engine, port)
    }

    fn run_with(
        dir: &Path,
        properties: &[(String, String)],
        env: &[(&str, &str)],
        args: &[&str],
    ) -> Self {
        let config = write_properties(&dir.join("connector.properties"), properties);
        let mut all: Vec<&std::ffi::OsStr> = vec!["run".as_ref(), config.as_os_str()];
        all.extend(args.iter().map(std::ffi::OsStr::new));
        Self::spawn(dir, &all, env)
    }

    fn spawn(dir: &Path, args: &[&std::ffi::OsStr], env: &[(&str, &str)]) -> Self {
        let log = dir.join(format!("engine-{}.log", unique_name("run")));
        let child = Command::new(env!("CARGO_BIN_EXE_tributary"))
            .args(args)
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Self {
            child: Some(child),
            log,
        }
    }

    /// The engine's log so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the engine's log contains `text`.
    pub(crate) fn wait_for_log(&mut self, text: &str) {
        let deadline = Instant::now() + deadline();
        while !self.log().contains(text) {
            self.assert_running();
            assert!(
                Instant::now() < deadline,
                "engine never logged {text:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends SIGTERM and waits for the exit.
    pub(crate) fn terminate(mut self) -> ExitStatus {
        let mut child = self.child.take().unwrap();
        let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        let deadline = Instant::now() + deadline();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "engine ignored SIGTERM:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// [`wait_for_exit`](Self::wait_for_exit), and the log.
    pub(crate) fn wait_for_exit_with_log(self) -> (ExitStatus, String) {
        let log = self.log.clone();
        let status = self.wait_for_exit();
        (status, std::fs::read_to_string(log).unwrap_or_default())
    }

    /// Waits for the engine to exit by itself (a failpoint, `initial_only`).
    pub(crate) fn wait_for_exit(mut self) -> ExitStatus {
        let mut child = self.child.take().unwrap();
        let deadline = Instant::now() + deadline();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "engine did not exit:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the engine with SIGKILL.
    pub(crate) fn kill(mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Fails the test with the log when the engine has exited.
    pub(crate) fn assert_running(&mut self) {
        if let Some(child) = self.child.as_mut()
            && let Some(status) = child.try_wait().unwrap()
        {
            panic!("engine exited with {status}:\n{}", self.log());
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn write_properties(path: &Path, properties: &[(String, String)]) -> PathBuf {
    let mut file = std::fs::File::create(path).unwrap();
    for (key, value) in properties {
        writeln!(file, "{key}={value}").unwrap();
    }
    path.to_owned()
}

/// One record as a read_committed consumer sees it.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(crate) key: Option<Value>,
    pub(crate) value: Option<Value>,
}

impl Record {
    /// `payload.op` of a JSON-with-schema value.
    pub(crate) fn op(&self) -> Option<&str> {
        self.value.as_ref()?.pointer("/payload/op")?.as_str()
    }

    /// A field of `payload.after` (or of `payload.before` for deletes).
    pub(crate) fn field(&self, image: &str, name: &str) -> Option<&Value> {
        self.value
            .as_ref()?
            .pointer(&format!("/payload/{image}/{name}"))
    }
}

/// Reads partition 0 of `topic` from the beginning, read_committed, until `want` records
/// arrived; fails after [`deadline`] with what was seen. `engine` is checked while waiting.
pub(crate) fn read_records(
    kafka: &Kafka,
    topic: &str,
    want: usize,
    engine: &mut Engine,
) -> Vec<Record> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", kafka.bootstrap_servers())
        .set("group.id", unique_name("reader"))
        .set("isolation.level", "read_committed")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset(topic, 0, Offset::Beginning)
        .unwrap();
    consumer.assign(&assignment).unwrap();
    let json = |b: Option<&[u8]>| b.map(parse_record_json);
    let deadline = Instant::now() + deadline();
    let mut seen = Vec::new();
    while seen.len() < want {
        engine.assert_running();
        assert!(
            Instant::now() < deadline,
            "timed out with {} of {want} records in {topic}: {seen:#?}\nengine log:\n{}",
            seen.len(),
            engine.log()
        );
        // Errors are expected until the engine's first record creates the topic.
        if let Some(Ok(message)) = consumer.poll(Duration::from_millis(200)) {
            seen.push(Record {
                key: json(message.key()),
                value: json(message.payload()),
            });
        }
    }
    seen
}

/// Everything committed in partition 0 of `topic` (its whole read_committed content).
pub(crate) fn read_all(kafka: &Kafka, topic: &str) -> Vec<Record> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", kafka.bootstrap_servers())
        .set("group.id", unique_name("reader"))
        .set("isolation.level", "read_committed")
        .create()
        .unwrap();
    let high = match consumer.fetch_watermarks(topic, 0, deadline()) {
        Ok((_, high)) => high,
        // No topic yet: nothing was committed to it.
        Err(rdkafka::error::KafkaError::MetadataFetch(
            rdkafka::types::RDKafkaErrorCode::UnknownPartition
            | rdkafka::types::RDKafkaErrorCode::UnknownTopicOrPartition,
        )) => return Vec::new(),
        Err(e) => panic!("watermarks of {topic}: {e}"),
    };
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset(topic, 0, Offset::Beginning)
        .unwrap();
    consumer.assign(&assignment).unwrap();
    let json = |b: Option<&[u8]>| b.map(parse_record_json);
    let deadline = Instant::now() + deadline();
    let mut seen = Vec::new();
    loop {
        let position = consumer.position().unwrap();
        if matches!(position.find_partition(topic, 0).map(|p| p.offset()), Some(Offset::Offset(o)) if o >= high)
        {
            return seen;
        }
        assert!(Instant::now() < deadline, "timed out reading {topic}");
        if let Some(message) = consumer.poll(Duration::from_millis(100)) {
            let message = message.unwrap();
            seen.push(Record {
                key: json(message.key()),
                value: json(message.payload()),
            });
        }
    }
}

/// Sends signal messages to `topic` as Debezium's Kafka channel expects them: keyed by the
/// connector's `topic.prefix`, each value `{"type": …, "data": …}`. The topic is created by
/// the broker on first use (one partition).
pub(crate) fn send_signals(kafka: &Kafka, topic: &str, prefix: &str, signals: &[Value]) {
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", kafka.bootstrap_servers())
        .set("linger.ms", "20")
        .create()
        .unwrap();
    for signal in signals {
        let value = signal.to_string();
        producer
            .send(BaseRecord::to(topic).key(prefix).payload(&value))
            .unwrap();
    }
    producer.flush(deadline()).unwrap();
}

/// Runs `tributary signal <config> <args…>` on the configuration [`Engine::run`] wrote to
/// `dir`, and asserts it succeeded.
pub(crate) fn signal_cli(dir: &Path, args: &[&str]) {
    let output = Command::new(env!("CARGO_BIN_EXE_tributary"))
        .arg("signal")
        .arg(dir.join("connector.properties"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "tributary signal {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(" sent to "), "{stdout}");
}

/// `GET /metrics` from an engine started with [`Engine::run_with_metrics`].
pub(crate) fn scrape_metrics(port: u16) -> String {
    use std::io::Read;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            stream
                .write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")
                .unwrap();
            let mut response = String::new();
            stream.read_to_string(&mut response).unwrap();
            assert!(response.starts_with("HTTP/1.1 200"), "{response}");
            return response;
        }
        assert!(
            Instant::now() < deadline,
            "no metrics listener on port {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A key or value as JSON, with its Connect `schema` replaced by a digest of it: tests
/// compare schemas for equality, never read them, and a 1M-record read would otherwise
/// hold gigabytes of identical schemas.
pub(crate) fn parse_record_json(bytes: &[u8]) -> Value {
    use std::hash::{Hash, Hasher};
    let mut value: Value = serde_json::from_slice(bytes).unwrap();
    if let Some(schema) = value.as_object_mut().and_then(|o| o.get_mut("schema")) {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        schema.to_string().hash(&mut hasher);
        *schema = Value::String(format!("schema digest {:016x}", hasher.finish()));
    }
    value
}
