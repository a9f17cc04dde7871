//! `tributary`, the change-data-capture engine's binary: a thin front over the library.
//!
//! `tributary run <config>` runs one connector in the foreground (the sidecar mode): it
//! exits 0 after SIGTERM/SIGINT once the in-flight Kafka transaction is committed, and
//! non-zero with the reason on a definite error.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::{Parser, Subcommand};
use tributary::config::{ConnectorConfig, properties};
use tributary::kafka::send_signal;
use tributary::metrics_http::serve_metrics;
use tributary::pipeline::run_connector;
use tributary::runtime::serve::{ServeOptions, serve};
use tributary::status::ConnectorStatus;

/// Change data capture from PostgreSQL and MySQL/MariaDB into Kafka, exactly once, with
/// Debezium-compatible records and configuration.
#[derive(Debug, Parser)]
#[command(name = "tributary", version, about, long_about = None)]
struct Cli {
    /// Log format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run one connector in the foreground (sidecar mode). The file is a Java `.properties`
    /// file, Kafka Connect's JSON body `{"name": …, "config": {…}}`, or TOML (`.toml`) or
    /// YAML (`.yaml`/`.yml`) of the same shapes, with Debezium's property names plus
    /// `bootstrap.servers`.
    Run {
        /// The connector configuration file.
        config: PathBuf,
        /// Serve Prometheus metrics (`GET /metrics`) on this address, e.g. `127.0.0.1:9404`.
        #[arg(long)]
        metrics_listen: Option<std::net::SocketAddr>,
    },
    /// Send a signal to a running connector through its Kafka signal topic: start, pause,
    /// resume or stop an incremental snapshot without writing to the database. The
    /// connector must read that channel (`signal.enabled.channels` includes `kafka`).
    Signal {
        /// The connector configuration file (the one `tributary run` was given).
        config: PathBuf,
        #[command(subcommand)]
        action: SignalAction,
        /// How long to wait for Kafka, in seconds.
        #[arg(long, default_value_t = 30)]
        timeout_secs: u64,
    },
    /// Run the REST runtime: connectors are registered, inspected, paused, stopped and
    /// restarted over Kafka Connect's REST API (`/connectors`, …) and kept in a state
    /// directory, so a restarted node resumes them.
    Serve {
        /// Worker properties: `listeners`, `tributary.state.dir`, and defaults for every
        /// connector (`bootstrap.servers`, `offset.storage.topic`, converters, …).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Listen here instead of `listeners` (default 127.0.0.1:8083).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// Keep connector configurations and states here (default ./tributary-state).
        #[arg(long)]
        state_dir: Option<PathBuf>,
    },
    /// Show, set or reset the source offset a connector resumes from (in its offsets topic,
    /// Kafka Connect's format). Stop the connector first: a running one overwrites the
    /// offset with its next commit.
    Offsets {
        /// The connector configuration file.
        config: PathBuf,
        #[command(subcommand)]
        action: OffsetsAction,
    },
    /// Check a connector configuration and print it with secrets masked.
    Validate {
        /// The connector configuration file.
        config: PathBuf,
    },
    /// Print the version.
    Version,
}

/// What `tributary offsets` does.
#[derive(Debug, Subcommand)]
enum OffsetsAction {
    /// Print the stored offset as `{"offsets": [{"partition": …, "offset": …}]}`.
    Show,
    /// Store this offset (a JSON object in Debezium's offset shape, e.g.
    /// `{"file": "mysql-bin.000003", "pos": 154}` or `{"lsn": 24023128}`): the connector
    /// replays from there at its next start.
    Set {
        /// The offset as JSON.
        offset: String,
    },
    /// Remove the stored offset: the connector starts as a new one (snapshot mode applies).
    Reset,
}

/// The signals `tributary signal` sends (Debezium's signal types).
#[derive(Debug, Subcommand)]
#[allow(clippy::enum_variant_names)] // the variants are Debezium's signal names, as typed
enum SignalAction {
    /// Start an incremental snapshot of tables (added to a running one's queue).
    ExecuteSnapshot {
        /// Full table names, comma-separated: `schema.table` (PostgreSQL) or
        /// `database.table` (MySQL/MariaDB).
        #[arg(long, value_delimiter = ',', required = true)]
        tables: Vec<String>,
        /// Read only the rows of a table matching a SQL condition: `TABLE=CONDITION`,
        /// e.g. `public.orders=status = 'open'`. Repeatable.
        #[arg(long = "condition", value_parser = parse_condition)]
        conditions: Vec<(String, String)>,
    },
    /// Stop the incremental snapshot, or only drop some tables from it.
    StopSnapshot {
        /// Tables to drop, comma-separated; all when omitted.
        #[arg(long, value_delimiter = ',')]
        tables: Vec<String>,
    },
    /// Pause the incremental snapshot; streaming goes on.
    PauseSnapshot,
    /// Resume a paused incremental snapshot.
    ResumeSnapshot,
}

impl SignalAction {
    /// The signal's type and `data`, in Debezium's layout.
    fn to_message(&self) -> (&'static str, Option<serde_json::Value>) {
        use serde_json::json;
        match self {
            SignalAction::ExecuteSnapshot { tables, conditions } => {
                let mut data = json!({"data-collections": tables, "type": "incremental"});
                if !conditions.is_empty() {
                    data["additional-conditions"] = conditions
                        .iter()
                        .map(|(table, filter)| json!({"data-collection": table, "filter": filter}))
                        .collect();
                }
                ("execute-snapshot", Some(data))
            }
            SignalAction::StopSnapshot { tables } if tables.is_empty() => {
                ("stop-snapshot", Some(json!({"type": "incremental"})))
            }
            SignalAction::StopSnapshot { tables } => (
                "stop-snapshot",
                Some(json!({"data-collections": tables, "type": "incremental"})),
            ),
            SignalAction::PauseSnapshot => ("pause-snapshot", None),
            SignalAction::ResumeSnapshot => ("resume-snapshot", None),
        }
    }
}

/// `TABLE=CONDITION`, split at the first `=`; the table must be a full name (`a.b`, no
/// spaces) so that a condition typed without its table (`id >= 3`) is refused, not misread.
fn parse_condition(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((table, condition))
            if table.contains('.')
                && !table.contains(char::is_whitespace)
                && !condition.trim().is_empty() =>
        {
            Ok((table.to_owned(), condition.trim().to_owned()))
        }
        _ => Err(format!(
            "'{text}' is not TABLE=CONDITION (e.g. public.orders=id > 100)"
        )),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(cli.log_format);
    match cli.command {
        Command::Version => {
            println_out(&format!("tributary {}", env!("CARGO_PKG_VERSION")));
            ExitCode::SUCCESS
        }
        Command::Validate { config } => match load(&config) {
            Ok(connector) => {
                connector.warn_unknown_properties();
                for (key, value) in connector.masked_properties() {
                    println_out(&format!("{key}={value}"));
                }
                ExitCode::SUCCESS
            }
            Err(message) => fail(&message),
        },
        Command::Signal {
            config,
            action,
            timeout_secs,
        } => match load(&config) {
            Ok(connector) => signal(&connector, &action, Duration::from_secs(timeout_secs)),
            Err(message) => fail(&message),
        },
        Command::Serve {
            config,
            listen,
            state_dir,
        } => match serve(&ServeOptions {
            worker_config: config,
            listen,
            state_dir,
        }) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => fail(&message),
        },
        Command::Offsets { config, action } => match load(&config) {
            Ok(connector) => offsets(&connector, &action),
            Err(message) => fail(&message),
        },
        Command::Run {
            config,
            metrics_listen,
        } => match load(&config) {
            Ok(connector) => run(&connector, metrics_listen),
            Err(message) => fail(&message),
        },
    }
}

fn load(path: &std::path::Path) -> Result<ConnectorConfig, String> {
    let properties = properties::load_file(path).map_err(|e| e.to_string())?;
    ConnectorConfig::from_properties(properties).map_err(|e| e.to_string())
}

fn offsets(config: &ConnectorConfig, action: &OffsetsAction) -> ExitCode {
    use tributary::runtime::offsets;
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("cannot start the runtime: {e}")),
    };
    let result = match action {
        OffsetsAction::Show => runtime
            .block_on(offsets::stored(config.clone()))
            .map(|v| println_out(&v.to_string())),
        OffsetsAction::Set { offset } => match serde_json::from_str::<serde_json::Value>(offset) {
            Ok(serde_json::Value::Object(map)) => runtime
                .block_on(offsets::replace(config, Some(&map)))
                .map(|()| println_out(&format!("offset of '{}' set", config.name))),
            _ => return fail(&format!("the offset must be a JSON object, not {offset}")),
        },
        OffsetsAction::Reset => runtime
            .block_on(offsets::replace(config, None))
            .map(|()| println_out(&format!("offset of '{}' reset", config.name))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&format!("connector '{}': {e}", config.name)),
    }
}

fn signal(config: &ConnectorConfig, action: &SignalAction, timeout: Duration) -> ExitCode {
    let Some(channel) = &config.snapshot.kafka_signals else {
        return fail(&format!(
            "connector '{}' reads no Kafka signals: add kafka to signal.enabled.channels \
             (e.g. signal.enabled.channels=source,kafka) and restart it",
            config.name
        ));
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("cannot start the runtime: {e}")),
    };
    let (kind, data) = action.to_message();
    match runtime.block_on(send_signal(
        channel,
        &config.topic_prefix,
        kind,
        data.as_ref(),
        timeout,
    )) {
        Ok(sent) => {
            println_out(&format!(
                "{kind} sent to {} at offset {} for connector '{}'",
                sent.topic, sent.offset, config.name
            ));
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.to_string()),
    }
}

fn run(config: &ConnectorConfig, metrics_listen: Option<std::net::SocketAddr>) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("tributary-io")
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("cannot start the runtime: {e}")),
    };
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signals::SIGTERM, signals::SIGINT] {
        let stop = Arc::clone(&stop);
        runtime.spawn(async move {
            if signals::wait(signal).await {
                tracing::info!("stop requested: committing what is in flight");
                stop.store(true, Ordering::Relaxed);
            }
        });
    }
    let status = Arc::new(ConnectorStatus::default());
    if let Some(address) = metrics_listen {
        let listener = match runtime.block_on(tokio::net::TcpListener::bind(address)) {
            Ok(listener) => listener,
            Err(e) => return fail(&format!("--metrics-listen {address}: cannot listen: {e}")),
        };
        tracing::info!(%address, "serving metrics at /metrics");
        runtime.spawn(serve_metrics(
            listener,
            Arc::clone(&status),
            config.name.clone(),
        ));
    }
    let bar = std::io::stderr()
        .is_terminal()
        .then(|| progress_bar::spawn(Arc::clone(&status), Arc::clone(&stop)));
    tracing::info!(connector = %config.name, "starting");
    config.warn_unknown_properties();
    let result = run_connector(config, runtime.handle(), &stop, &status);
    stop.store(true, Ordering::Relaxed);
    if let Some(bar) = bar {
        let _ = bar.join();
    }
    match result {
        Ok(()) => {
            tracing::info!(connector = %config.name, "stopped");
            ExitCode::SUCCESS
        }
        Err(err) => fail(&format!("connector '{}' failed: {err}", config.name)),
    }
}

/// SIGTERM/SIGINT through tokio's signal support.
mod signals {
    use tokio::signal::unix::{SignalKind, signal};

    pub(crate) const SIGTERM: i32 = 15;
    pub(crate) const SIGINT: i32 = 2;

    /// Resolves when the signal arrives; false if it cannot be watched.
    pub(crate) async fn wait(number: i32) -> bool {
        match signal(SignalKind::from_raw(number)) {
            Ok(mut stream) => stream.recv().await.is_some(),
            Err(_) => false,
        }
    }
}

/// The snapshot progress bar on a terminal's last line, redrawn a few times a second.
mod progress_bar {
    use std::io::Write;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::thread::JoinHandle;
    use std::time::Duration;

    use tributary::status::{ConnectorStatus, progress_line};

    const WIDTH: usize = 110;

    pub(crate) fn spawn(status: Arc<ConnectorStatus>, stop: Arc<AtomicBool>) -> JoinHandle<()> {
        std::thread::spawn(move || {
            let mut drawn = false;
            while !stop.load(Ordering::Relaxed) {
                let mut err = std::io::stderr().lock();
                match status.snapshot() {
                    Some(snapshot) => {
                        let _ = write!(err, "\r\x1b[2K{}", progress_line(&snapshot, WIDTH));
                        drawn = true;
                    }
                    None if drawn => {
                        let _ = write!(err, "\r\x1b[2K");
                        drawn = false;
                    }
                    None => {}
                }
                let _ = err.flush();
                drop(err);
                std::thread::sleep(Duration::from_millis(250));
            }
            if drawn {
                let _ = write!(std::io::stderr(), "\r\x1b[2K");
            }
        })
    }
}

/// Log lines on a terminal first clear the progress bar's line (it is redrawn after).
struct ClearLine;

impl std::io::Write for ClearLine {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut err = std::io::stderr().lock();
        err.write_all(b"\r\x1b[2K")?;
        err.write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let terminal = std::io::stderr().is_terminal();
    let writer = move || -> Box<dyn std::io::Write> {
        if terminal {
            Box::new(ClearLine)
        } else {
            Box::new(std::io::stderr())
        }
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(terminal);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

#[allow(clippy::print_stdout)]
fn println_out(line: &str) {
    println!("{line}");
}

fn fail(message: &str) -> ExitCode {
    tracing::error!("{message}");
    ExitCode::FAILURE
}

#[cfg(test)]
mod tests {
    use super::*;
    use tributary_snapshot::Signal;

    fn parsed(args: &[&str]) -> Signal {
        let cli = Cli::try_parse_from(
            ["tributary", "signal", "c.properties"]
                .iter()
                .chain(args)
                .copied(),
        )
        .unwrap();
        let Command::Signal { action, .. } = cli.command else {
            panic!("not a signal command")
        };
        let (kind, data) = action.to_message();
        let value = serde_json::json!({"type": kind, "data": data});
        Signal::from_message("test", value.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn signal_commands_become_the_signals_the_connector_parses() {
        assert_eq!(
            parsed(&[
                "execute-snapshot",
                "--tables",
                "public.a,public.b",
                "--condition",
                "public.b=note = 'x=y'",
            ]),
            Signal::ExecuteSnapshot {
                tables: vec![
                    ("public.a".into(), None),
                    ("public.b".into(), Some("note = 'x=y'".into())),
                ]
            }
        );
        assert_eq!(
            parsed(&["stop-snapshot"]),
            Signal::StopSnapshot { tables: None }
        );
        assert_eq!(
            parsed(&["stop-snapshot", "--tables", "shop.orders"]),
            Signal::StopSnapshot {
                tables: Some(vec!["shop.orders".into()])
            }
        );
        assert_eq!(parsed(&["pause-snapshot"]), Signal::PauseSnapshot);
        assert_eq!(parsed(&["resume-snapshot"]), Signal::ResumeSnapshot);
    }

    #[test]
    fn a_condition_without_a_table_is_refused_with_an_example() {
        let err = Cli::try_parse_from([
            "tributary",
            "signal",
            "c.properties",
            "execute-snapshot",
            "--tables",
            "public.a",
            "--condition",
            "id >= 3",
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("TABLE=CONDITION"), "{err}");
        let err = Cli::try_parse_from(["tributary", "signal", "c.properties", "execute-snapshot"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--tables"), "{err}");
    }
}
