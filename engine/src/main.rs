//! `tributary`, the change-data-capture engine's binary.
//!
//! Status: the foundation only lays out the binary. It answers `--version` and `--help`;
//! the readers, the pipeline and the runtime arrive with their issues (see README.md).

use std::io::Write;
use std::process::ExitCode;

const USAGE: &str = "\
tributary — change data capture from PostgreSQL and MySQL/MariaDB into Kafka

USAGE:
    tributary --version
    tributary --help

The `run` and `serve` commands arrive with the runtime (not built yet).
";

fn main() -> ExitCode {
    let arg = std::env::args().nth(1);
    let mut out = std::io::stdout().lock();
    let written = match arg.as_deref() {
        Some("--version" | "-V") => writeln!(out, "tributary {}", env!("CARGO_PKG_VERSION")),
        None | Some("--help" | "-h") => write!(out, "{USAGE}"),
        Some(other) => {
            let _ = writeln!(
                std::io::stderr(),
                "tributary: unknown argument `{other}`\n\n{USAGE}"
            );
            return ExitCode::from(2);
        }
    };
    if written.is_err() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
