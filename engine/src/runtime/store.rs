//! The runtime's durable state: each registered connector's configuration (as the user
//! wrote it, indirections unresolved) and its target state, one JSON file per connector
//! in the state directory, so a restarted `tributary serve` (or a replacement node given
//! the same directory) resumes every connector as it was left.
//!
//! # Why files, written by rename
//! A connector's record is small and changes only on REST calls, so a file per connector
//! is enough, and writing a temporary file then renaming it over the old one means a
//! crash leaves either the old or the new record, never half of one.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::Properties;

/// What the user asked a connector to be; Kafka Connect's target states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TargetState {
    /// Running (Connect's `STARTED`).
    Started,
    /// Paused by `PUT /pause`: nothing is read until `PUT /resume`.
    Paused,
    /// Stopped by `PUT /stop`: no task runs; offsets may be changed.
    Stopped,
}

/// One connector's stored record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredConnector {
    /// The connector's name.
    pub name: String,
    /// Its properties as registered.
    pub config: Properties,
    /// Where the user left it.
    pub target: TargetState,
}

/// A state directory could not be read or written; names the file.
#[derive(Debug, thiserror::Error)]
#[error("state directory: {path}: {detail}")]
pub struct StoreError {
    /// The file or directory at fault.
    pub path: String,
    /// What went wrong.
    pub detail: String,
}

/// The connectors' records under `<dir>/connectors/`.
#[derive(Debug, Clone)]
pub struct StateStore {
    dir: PathBuf,
}

impl StateStore {
    /// Opens (creating when missing) the state directory.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let dir = dir.join("connectors");
        std::fs::create_dir_all(&dir).map_err(|e| error(&dir, &e))?;
        Ok(Self { dir })
    }

    /// Every stored connector, by name. A file that cannot be parsed is an error naming
    /// it: starting without a connector the user registered would lose it silently.
    pub fn load_all(&self) -> Result<Vec<StoredConnector>, StoreError> {
        let mut out = Vec::new();
        let entries = std::fs::read_dir(&self.dir).map_err(|e| error(&self.dir, &e))?;
        for entry in entries {
            let path = entry.map_err(|e| error(&self.dir, &e))?.path();
            if path.extension().is_none_or(|ext| ext != "json") {
                continue;
            }
            let text = std::fs::read_to_string(&path).map_err(|e| error(&path, &e))?;
            let stored: StoredConnector =
                serde_json::from_str(&text).map_err(|e| error(&path, &e))?;
            out.push(stored);
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Writes (or replaces) a connector's record.
    pub fn save(&self, connector: &StoredConnector) -> Result<(), StoreError> {
        let path = self.path_of(&connector.name);
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(connector).map_err(|e| error(&path, &e))?;
        std::fs::write(&tmp, text).map_err(|e| error(&tmp, &e))?;
        std::fs::rename(&tmp, &path).map_err(|e| error(&path, &e))
    }

    /// Removes a connector's record (no error when it is already gone).
    pub fn remove(&self, name: &str) -> Result<(), StoreError> {
        let path = self.path_of(name);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(error(&path, &e)),
            _ => Ok(()),
        }
    }

    /// A file name any connector name maps to one-to-one: letters, digits, `-` and `_`
    /// are kept, every other byte is written as `%XX`.
    fn path_of(&self, name: &str) -> PathBuf {
        let mut file = String::with_capacity(name.len() + 5);
        for byte in name.bytes() {
            if byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' {
                file.push(char::from(byte));
            } else {
                file.push_str(&format!("%{byte:02X}"));
            }
        }
        file.push_str(".json");
        self.dir.join(file)
    }
}

fn error(path: &Path, detail: &dyn std::fmt::Display) -> StoreError {
    StoreError {
        path: path.display().to_string(),
        detail: detail.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "tributary-store-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn connector(name: &str, target: TargetState) -> StoredConnector {
        let mut config = Properties::new();
        config.insert("name".into(), name.into());
        config.insert("database.password".into(), "${env:PGPASSWORD}".into());
        StoredConnector {
            name: name.into(),
            config,
            target,
        }
    }

    #[test]
    fn records_survive_a_reopen_and_names_with_any_character_stay_apart() {
        let dir = temp_dir("reopen");
        let store = StateStore::open(&dir).unwrap();
        let plain = connector("inventory-connector", TargetState::Started);
        let odd = connector("shop/orders a.b", TargetState::Paused);
        let lookalike = connector("shop%2Forders a.b", TargetState::Stopped);
        for c in [&plain, &odd, &lookalike] {
            store.save(c).unwrap();
        }
        let mut changed = plain.clone();
        changed.target = TargetState::Stopped;
        store.save(&changed).unwrap();

        let reopened = StateStore::open(&dir).unwrap();
        let loaded = reopened.load_all().unwrap();
        assert_eq!(loaded, vec![changed, lookalike, odd.clone()]);

        reopened.remove("inventory-connector").unwrap();
        reopened.remove("never-there").unwrap();
        assert_eq!(reopened.load_all().unwrap().len(), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_unreadable_record_is_an_error_naming_the_file() {
        let dir = temp_dir("corrupt");
        let store = StateStore::open(&dir).unwrap();
        std::fs::write(dir.join("connectors").join("broken.json"), "{not json").unwrap();
        let err = store.load_all().unwrap_err();
        assert!(err.path.ends_with("broken.json"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
