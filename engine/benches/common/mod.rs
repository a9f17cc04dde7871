//! What the snapshot benches share: running `tributary run` on a property list until it
//! exits, timed from `snapshot started`.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Extra connector properties from `var` (`k=v;k=v`: converters, transaction sizes).
pub(crate) fn extra_properties(var: &str) -> Vec<(String, String)> {
    std::env::var(var)
        .unwrap_or_default()
        .split(';')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// Runs `tributary run` on `properties` (an `initial_only` snapshot) in `dir`; returns the
/// time from the log's `snapshot started` to the process's exit, and the log. `wrapper`
/// (e.g. `perf record -g -o /tmp/snap.perf --`) runs the engine under a profiler.
pub(crate) fn snapshot_with_tributary(
    dir: &std::path::Path,
    properties: &[(String, String)],
    wrapper: &str,
) -> (Duration, String) {
    std::fs::create_dir_all(dir).unwrap();
    let config = dir.join("connector.properties");
    let mut file = std::fs::File::create(&config).unwrap();
    for (key, value) in properties {
        writeln!(file, "{key}={value}").unwrap();
    }
    let log = dir.join("engine.log");
    let mut words = wrapper.split_whitespace();
    let mut command = match words.next() {
        Some(program) => {
            let mut command = Command::new(program);
            command.args(words).arg(env!("CARGO_BIN_EXE_tributary"));
            command
        }
        None => Command::new(env!("CARGO_BIN_EXE_tributary")),
    };
    let mut child = command
        .arg("run")
        .arg(&config)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let read_log = || std::fs::read_to_string(&log).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(1800);
    let started = loop {
        if read_log().contains("snapshot started") {
            break Instant::now();
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "tributary exited with {status} before its snapshot:\n{}",
                read_log()
            );
        }
        assert!(Instant::now() < deadline, "no snapshot:\n{}", read_log());
        std::thread::sleep(Duration::from_millis(5));
    };
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "snapshot unfinished:\n{}",
            read_log()
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = started.elapsed();
    let text = read_log();
    assert!(status.success(), "tributary failed: {status}\n{text}");
    (elapsed, text)
}

/// Writes the values of the first `sample` records of `topic` (read_committed) to `path`,
/// one per line (JsonConverter output has no newlines), for Kafka's producer tool to send
/// as its payloads; returns their mean size.
pub(crate) fn sample_payloads(
    bootstrap: &str,
    topic: &str,
    sample: usize,
    path: &std::path::Path,
) -> usize {
    use rdkafka::Message;
    use rdkafka::config::ClientConfig;
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "tributary-bench-sampler")
        .set("isolation.level", "read_committed")
        .create()
        .unwrap();
    let mut assignment = rdkafka::TopicPartitionList::new();
    assignment
        .add_partition_offset(topic, 0, rdkafka::Offset::Beginning)
        .unwrap();
    consumer.assign(&assignment).unwrap();
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let (mut bytes, mut n) = (0usize, 0usize);
    let deadline = Instant::now() + Duration::from_secs(60);
    while n < sample && Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200))
            && let Some(value) = m.payload()
        {
            out.write_all(value).unwrap();
            out.write_all(b"\n").unwrap();
            bytes += value.len();
            n += 1;
        }
    }
    out.flush().unwrap();
    bytes / n.max(1)
}

/// The sink's own limit: Kafka's producer performance tool (from the jars the test broker
/// runs on) sending `records` values drawn from `payloads` (the snapshot's own records, so
/// they compress alike) into a new topic, idempotent, acks=all, lz4, in transactions of
/// about `transaction_ms`. Returns the time its reported rate implies (JVM start excluded).
pub(crate) fn kafka_producer_baseline(
    bootstrap: &str,
    records: u64,
    payloads: &std::path::Path,
    transaction_ms: u64,
) -> Duration {
    let libs = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../.cache/kafka")
        .join(tributary_testcontainers::KAFKA_VERSION)
        .join("libs");
    let topic = tributary_testcontainers::unique_name("sinkbaseline");
    let began = Instant::now();
    let output = Command::new("java")
        .arg("-cp")
        .arg(format!("{}/*", libs.display()))
        .arg("org.apache.kafka.tools.ProducerPerformance")
        .args(["--topic", &topic, "--num-records", &records.to_string()])
        .arg("--payload-file")
        .arg(payloads)
        .args(["--throughput", "-1"])
        .args(["--transaction-duration-ms", &transaction_ms.to_string()])
        .args(["--transactional-id", &topic])
        .arg("--producer-props")
        .arg(format!("bootstrap.servers={bootstrap}"))
        .args([
            "acks=all",
            "enable.idempotence=true",
            "compression.type=lz4",
            "linger.ms=5",
        ])
        .stderr(Stdio::null())
        .output()
        .expect("java runs Kafka's ProducerPerformance");
    let elapsed = began.elapsed();
    assert!(
        output.status.success(),
        "ProducerPerformance failed: {output:?}"
    );
    // The last line: "N records sent, R records/sec (…)".
    let text = String::from_utf8_lossy(&output.stdout);
    let rate = text
        .lines()
        .rev()
        .find_map(|l| {
            let (_, rest) = l.split_once("records sent, ")?;
            rest.split_whitespace().next()?.parse::<f64>().ok()
        })
        .unwrap_or(0.0);
    if rate > 0.0 {
        Duration::from_secs_f64(records as f64 / rate)
    } else {
        elapsed
    }
}
