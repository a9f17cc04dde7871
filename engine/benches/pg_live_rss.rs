//! Footprint of `tributary run` streaming a steady live load from PostgreSQL: peak RSS
//! (`VmHWM`) and CPU seconds per million events of the engine process while a workload
//! commits `PG_LIVE_RATE` row inserts per second (default 10 000, in transactions of 100
//! rows every 10 ms) for `PG_LIVE_SECONDS` (default 60). Issue 8's goal: ≤ 64 MB at 10k
//! events/s. The run checks that every change was committed to Kafka (from the engine's
//! own `tributary_events_total`), so a stalled engine cannot report a small footprint.
//!
//! Run: `cargo bench -p tributary --bench pg_live_rss`.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs
)]

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tributary_testcontainers::{Kafka, Postgres, unique_name};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `VmRSS` and `VmHWM` of a process, in kB.
fn memory_kb(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// User + system CPU seconds of a process.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat; index 11 and 12 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

fn committed_creates(port: u16, connector: &str) -> u64 {
    use std::io::Read;
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return 0;
    };
    let _ = stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let mut text = String::new();
    let _ = stream.read_to_string(&mut text);
    let prefix = format!("tributary_events_total{{connector=\"{connector}\",op=\"c\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    let rate = env_or("PG_LIVE_RATE", 10_000);
    let seconds = env_or("PG_LIVE_SECONDS", 60);
    let server = Postgres::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    server
        .psql(
            &db.dbname,
            "CREATE TABLE live (id bigint PRIMARY KEY, n int NOT NULL, label text NOT NULL, \
             at timestamptz NOT NULL DEFAULT now())",
        )
        .unwrap();
    let name = unique_name("pglive");
    let dir = std::env::temp_dir().join(&name);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("connector.properties");
    let metrics_port = tributary_testcontainers::free_port().unwrap();
    let mut file = std::fs::File::create(&config).unwrap();
    for (key, value) in [
        ("name", name.clone()),
        (
            "connector.class",
            "io.debezium.connector.postgresql.PostgresConnector".to_owned(),
        ),
        ("database.hostname", db.host.clone()),
        ("database.port", db.port.to_string()),
        ("database.user", db.user.clone()),
        ("database.password", db.password.clone()),
        ("database.dbname", db.dbname.clone()),
        ("topic.prefix", name.clone()),
        ("slot.name", name.clone()),
        ("publication.name", name.clone()),
        ("table.include.list", "public.live".to_owned()),
        ("bootstrap.servers", kafka.bootstrap_servers()),
        ("offset.storage.topic", format!("{name}-offsets")),
    ] {
        writeln!(file, "{key}={value}").unwrap();
    }
    let log = dir.join("engine.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tributary"))
        .arg("run")
        .arg(&config)
        .args(["--metrics-listen", &format!("127.0.0.1:{metrics_port}")])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("streaming from PostgreSQL")
    {
        assert!(child.try_wait().unwrap().is_none(), "engine exited");
        assert!(Instant::now() < deadline, "engine never streamed");
        std::thread::sleep(Duration::from_millis(50));
    }
    let idle_kb = memory_kb(pid).0;
    let cpu_before = cpu_seconds(pid);

    // The workload: 100-row transactions, paced to `rate` rows per second.
    let per_tx = 100_u64;
    let interval = Duration::from_secs_f64(per_tx as f64 / rate as f64);
    let total = rate * seconds;
    let url = db.connection_string();
    let workload = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(connection);
            let began = Instant::now();
            let mut next = 0_u64;
            while next < total {
                let due = began + interval.mul_f64((next / per_tx) as f64);
                tokio::time::sleep_until(due.into()).await;
                client
                    .batch_execute(&format!(
                        "INSERT INTO live (id, n, label) SELECT g, g % 1000, 'row ' || g \
                         FROM generate_series({}, {}) g",
                        next + 1,
                        next + per_tx
                    ))
                    .await
                    .unwrap();
                next += per_tx;
            }
            began.elapsed()
        })
    });
    let mut peak_rss = 0;
    while !workload.is_finished() {
        peak_rss = peak_rss.max(memory_kb(pid).0);
        std::thread::sleep(Duration::from_millis(100));
    }
    let wrote_in = workload.join().unwrap();
    let drain = Instant::now();
    while committed_creates(metrics_port, &name) < total {
        peak_rss = peak_rss.max(memory_kb(pid).0);
        assert!(child.try_wait().unwrap().is_none(), "engine exited");
        assert!(
            drain.elapsed() < Duration::from_secs(300),
            "only {} of {total} changes committed",
            committed_creates(metrics_port, &name)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let drained_after = drain.elapsed();
    let (_, hwm) = memory_kb(pid);
    let cpu = cpu_seconds(pid) - cpu_before;
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status();
    let _ = child.wait();
    let achieved = total as f64 / wrote_in.as_secs_f64();
    println!(
        "pg_live_rss: {total} row inserts in {wrote_in:.1?} ({achieved:.0} events/s asked {rate}/s), \
         all committed {drained_after:.1?} after the workload ended"
    );
    println!(
        "pg_live_rss: RSS idle {:.1} MB, peak sampled {:.1} MB, VmHWM {:.1} MB; CPU {:.1} s \
         = {:.1} s per million events",
        idle_kb as f64 / 1024.0,
        peak_rss as f64 / 1024.0,
        hwm as f64 / 1024.0,
        cpu,
        cpu / (total as f64 / 1e6)
    );
}
