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

use clap::{Parser, Subcommand};
use tributary::config::{ConnectorConfig, properties};
use tributary::metrics_http::serve_metrics;
use tributary::pipeline::run_connector;
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
    /// file or Kafka Connect's JSON body `{"name": …, "config": {…}}`, with Debezium's
    /// property names plus `bootstrap.servers`.
    Run {
        /// The connector configuration file.
        config: PathBuf,
        /// Serve Prometheus metrics (`GET /metrics`) on this address, e.g. `127.0.0.1:9404`.
        #[arg(long)]
        metrics_listen: Option<std::net::SocketAddr>,
    },
    /// Check a connector configuration and print it with secrets masked.
    Validate {
        /// The connector configuration file.
        config: PathBuf,
    },
    /// Print the version.
    Version,
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
                for (key, value) in connector.masked_properties() {
                    println_out(&format!("{key}={value}"));
                }
                ExitCode::SUCCESS
            }
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
