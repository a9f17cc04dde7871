//! Finding the programs a server needs.

use std::path::{Path, PathBuf};

use crate::error::ServerError;

/// Looks for `program` in `dirs` (in order), then on `PATH`.
pub(crate) fn find(
    server: &'static str,
    program: &str,
    dirs: &[PathBuf],
    hint: &str,
) -> Result<PathBuf, ServerError> {
    let path_dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    let searched: Vec<PathBuf> = dirs.iter().chain(path_dirs.iter()).cloned().collect();
    find_in(server, program, &searched, hint)
}

/// Looks for `program` in `dirs` only: a directory the caller named must hold it.
pub(crate) fn find_in(
    server: &'static str,
    program: &str,
    searched: &[PathBuf],
    hint: &str,
) -> Result<PathBuf, ServerError> {
    searched
        .iter()
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
        .ok_or_else(|| ServerError::ProgramMissing {
            server,
            program: program.to_owned(),
            searched: searched
                .iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(":"),
            hint: hint.to_owned(),
        })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A directory given by the environment variable `var`, if set and not empty.
pub(crate) fn dir_from_env(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The `java` program: `explicit` if given, then `$JAVA_HOME/bin/java`, then `PATH`.
pub(crate) fn java(server: &'static str, explicit: Option<&Path>) -> Result<PathBuf, ServerError> {
    if let Some(java) = explicit {
        return Ok(java.to_path_buf());
    }
    let dirs: Vec<PathBuf> = dir_from_env("JAVA_HOME")
        .map(|home| home.join("bin"))
        .into_iter()
        .collect();
    find(
        server,
        "java",
        &dirs,
        "run scripts/setup (installs openjdk-17-jdk-headless)",
    )
}

/// The workspace's `.cache/` folder, where `scripts/setup` puts what Maven resolves.
pub(crate) fn workspace_cache() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .join(".cache")
}
