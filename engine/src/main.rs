//! `tributary`, the change-data-capture engine's binary: a thin front over the library.
//!
//! `tributary run <config>` runs one connector in the foreground (the sidecar mode): it
//! exits 0 after SIGTERM/SIGINT once the in-flight Kafka transaction is committed, and
//! non-zero with the reason on a definite error.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Parser, Subcommand};
use tributary::config::{ConnectorConfig, properties};
use tributary::pipeline::run_connector;

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
        Command::Run { config } => match load(&config) {
            Ok(connector) => run(&connector),
            Err(message) => fail(&message),
        },
    }
}

fn load(path: &std::path::Path) -> Result<ConnectorConfig, String> {
    let properties = properties::load_file(path).map_err(|e| e.to_string())?;
    ConnectorConfig::from_properties(properties).map_err(|e| e.to_string())
}

fn run(config: &ConnectorConfig) -> ExitCode {
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
    tracing::info!(connector = %config.name, "starting");
    match run_connector(config, runtime.handle(), &stop) {
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

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
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
