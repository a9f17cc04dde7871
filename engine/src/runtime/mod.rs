//! The runtime behind `tributary serve`: the registered connectors, their lifecycle as Kafka
//! Connect defines it (create, reconfigure, pause, resume, stop, restart, delete), their
//! stored offsets, and the state that survives a restart of the node.
//!
//! # Shape
//! [`Runtime`] owns one [`Entry`] per connector: its stored record ([`store`]), the
//! snapshot status it publishes, and at most one [`worker::Worker`] (the pipeline thread).
//! Every call is synchronous and may block for as long as a pipeline takes to commit its
//! in-flight transaction, so the REST layer ([`rest`]) calls it off the async runtime.
//! Mutating calls are serialized by one lock; the map itself is locked only briefly, so
//! `GET …/status` answers while a connector is being stopped.
//!
//! # Configuration
//! A connector's effective configuration is the node's defaults (the worker properties
//! of `tributary serve`, e.g. `bootstrap.servers`) overlaid by the connector's own
//! properties, with `${env:…}`/`${file:…}` resolved when the task starts — the stored and
//! returned configuration keeps the references, so secrets never reach the state files
//! unless the user typed them there.

pub mod access;
pub mod offsets;
pub mod rest;
pub mod serve;
pub mod store;
pub mod worker;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Map, Value, json};

use crate::config::properties::resolve_indirections;
use crate::config::{ConfigError, ConnectorConfig, Properties, mask_secrets};
use crate::status::ConnectorStatus;
use store::{StateStore, StoreError, StoredConnector, TargetState};
use worker::{State, TaskState, Worker};

/// What a masked secret reads as; a config sent back with it keeps the stored value.
pub const HIDDEN: &str = "[hidden]";

/// Why a runtime call was refused. Each maps to the HTTP status Kafka Connect answers with.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// No connector (or task) of that name: 404.
    #[error("{0}")]
    NotFound(String),
    /// A connector of that name already exists: 409.
    #[error("Connector {0} already exists")]
    Exists(String),
    /// The request cannot be carried out as sent (invalid config, wrong state): 400.
    #[error("{0}")]
    BadRequest(String),
    /// The state directory failed: 500. A retry may help once the disk is fixed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Kafka could not be reached for offsets or signals: 500; a retry can help.
    #[error("{0}")]
    Unavailable(String),
}

/// A connector's state for `GET /connectors/{name}/status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorState {
    /// The connector's own state (and trace when its configuration could not be used).
    pub connector: TaskState,
    /// Its tasks (none while stopped or when it failed before starting one).
    pub tasks: Vec<TaskState>,
}

struct Entry {
    stored: StoredConnector,
    status: Arc<ConnectorStatus>,
    worker: Option<Worker>,
    /// Why the connector could not start a task (its effective configuration is invalid).
    failure: Option<String>,
}

/// The registered connectors of one node.
pub struct Runtime {
    store: StateStore,
    defaults: Properties,
    handle: tokio::runtime::Handle,
    /// The node's id in status bodies (`host:port`, as Connect's `worker_id`).
    pub worker_id: String,
    connectors: Mutex<BTreeMap<String, Entry>>,
    /// Serializes the calls that start or stop workers.
    ops: Mutex<()>,
}

impl Runtime {
    /// Opens the state store and starts every stored connector that was left running.
    pub fn start(
        store: StateStore,
        defaults: Properties,
        handle: tokio::runtime::Handle,
        worker_id: String,
    ) -> Result<Self, RuntimeError> {
        let runtime = Self {
            store,
            defaults,
            handle,
            worker_id,
            connectors: Mutex::new(BTreeMap::new()),
            ops: Mutex::new(()),
        };
        for stored in runtime.store.load_all()? {
            let name = stored.name.clone();
            let mut entry = Entry {
                stored,
                status: Arc::new(ConnectorStatus::default()),
                worker: None,
                failure: None,
            };
            runtime.start_task(&mut entry);
            tracing::info!(connector = %name, target = ?entry.stored.target, "connector restored");
            runtime.map().insert(name, entry);
        }
        Ok(runtime)
    }

    /// The connectors' names, sorted.
    pub fn names(&self) -> Vec<String> {
        self.map().keys().cloned().collect()
    }

    /// Registers and starts a new connector.
    pub fn create(&self, name: &str, config: Properties) -> Result<Value, RuntimeError> {
        let _ops = self.ops();
        self.create_locked(name, config)
    }

    fn create_locked(&self, name: &str, config: Properties) -> Result<Value, RuntimeError> {
        if self.map().contains_key(name) {
            return Err(RuntimeError::Exists(name.to_owned()));
        }
        let config = with_name(name, config)?;
        self.validate(&config)?;
        let mut entry = Entry {
            stored: StoredConnector {
                name: name.to_owned(),
                config,
                target: TargetState::Started,
            },
            status: Arc::new(ConnectorStatus::default()),
            worker: None,
            failure: None,
        };
        self.store.save(&entry.stored)?;
        self.start_task(&mut entry);
        let info = info_of(&entry);
        self.map().insert(name.to_owned(), entry);
        tracing::info!(connector = %name, "connector created");
        Ok(info)
    }

    /// Replaces a connector's configuration (creating the connector when it does not
    /// exist); returns whether it was created, and its info. A running task is restarted
    /// with the new configuration from the stored offset.
    pub fn put_config(
        &self,
        name: &str,
        config: Properties,
    ) -> Result<(bool, Value), RuntimeError> {
        let _ops = self.ops();
        let Some(previous) = self.map().get(name).map(|e| e.stored.config.clone()) else {
            return self.create_locked(name, config).map(|info| (true, info));
        };
        let config = keep_hidden_secrets(with_name(name, config)?, &previous);
        self.validate(&config)?;
        self.reconfigure(name, config).map(|info| (false, info))
    }

    /// Merges `patch` into a connector's configuration; a `None` value removes the key.
    pub fn patch_config(
        &self,
        name: &str,
        patch: BTreeMap<String, Option<String>>,
    ) -> Result<Value, RuntimeError> {
        let _ops = self.ops();
        let mut config = self.with_entry(name, |e| e.stored.config.clone())?;
        let previous = config.clone();
        for (key, value) in patch {
            match value {
                Some(value) => config.insert(key, value),
                None => config.remove(&key),
            };
        }
        let config = keep_hidden_secrets(with_name(name, config)?, &previous);
        self.validate(&config)?;
        self.reconfigure(name, config)
    }

    fn reconfigure(&self, name: &str, config: Properties) -> Result<Value, RuntimeError> {
        let worker = self.take_worker(name)?;
        stop_worker(name, worker);
        let mut map = self.map();
        let entry = map.get_mut(name).ok_or_else(|| not_found(name))?;
        entry.stored.config = config;
        self.store.save(&entry.stored)?;
        self.start_task(entry);
        tracing::info!(connector = %name, "connector reconfigured");
        Ok(info_of(entry))
    }

    /// Stops and removes a connector. Its offsets stay in Kafka, as in Connect, so a
    /// connector registered again under the name resumes where this one stopped.
    pub fn delete(&self, name: &str) -> Result<(), RuntimeError> {
        let _ops = self.ops();
        let worker = self.take_worker(name)?;
        stop_worker(name, worker);
        self.store.remove(name)?;
        self.map().remove(name);
        tracing::info!(connector = %name, "connector deleted");
        Ok(())
    }

    /// `PUT /pause`: the task commits what is in flight and ends; nothing is read until
    /// resumed. (Connect keeps a paused task alive; ending it frees the database
    /// connection and loses nothing: resuming starts from the committed offset.)
    pub fn pause(&self, name: &str) -> Result<(), RuntimeError> {
        self.set_target(name, TargetState::Paused)
    }

    /// `PUT /resume`: starts the task again from the stored offset.
    pub fn resume(&self, name: &str) -> Result<(), RuntimeError> {
        self.set_target(name, TargetState::Started)
    }

    /// `PUT /stop`: the task ends; its offsets may then be read, altered or reset.
    pub fn stop(&self, name: &str) -> Result<(), RuntimeError> {
        self.set_target(name, TargetState::Stopped)
    }

    fn set_target(&self, name: &str, target: TargetState) -> Result<(), RuntimeError> {
        let _ops = self.ops();
        let current = self.with_entry(name, |e| e.stored.target)?;
        if current == target {
            return Ok(());
        }
        if target != TargetState::Started {
            let worker = self.take_worker(name)?;
            stop_worker(name, worker);
        }
        let mut map = self.map();
        let entry = map.get_mut(name).ok_or_else(|| not_found(name))?;
        entry.stored.target = target;
        self.store.save(&entry.stored)?;
        if target == TargetState::Started {
            self.start_task(entry);
        }
        tracing::info!(connector = %name, ?target, "connector target state changed");
        Ok(())
    }

    /// `POST /restart` and `POST /tasks/0/restart`: ends the task and starts it again from
    /// the stored offset, or only when it failed (`only_failed`). Returns the states that
    /// are being restarted (as `RESTARTING`), for Connect's 202 body.
    pub fn restart(&self, name: &str, only_failed: bool) -> Result<ConnectorState, RuntimeError> {
        let _ops = self.ops();
        let before = self.state(name)?;
        let failed = before.connector.state == State::Failed
            || before.tasks.iter().any(|t| t.state == State::Failed);
        let target = self.with_entry(name, |e| e.stored.target)?;
        if (only_failed && !failed) || target != TargetState::Started {
            return Ok(before);
        }
        let worker = self.take_worker(name)?;
        stop_worker(name, worker);
        {
            let mut map = self.map();
            let entry = map.get_mut(name).ok_or_else(|| not_found(name))?;
            self.start_task(entry);
        }
        tracing::info!(connector = %name, "connector restarted");
        let restarting = TaskState {
            state: State::Restarting,
            trace: None,
        };
        Ok(ConnectorState {
            connector: restarting.clone(),
            tasks: vec![restarting],
        })
    }

    /// The connector's and its task's states.
    pub fn state(&self, name: &str) -> Result<ConnectorState, RuntimeError> {
        self.with_entry(name, state_of)
    }

    /// Connect's ConnectorInfo body: name, config (secrets masked), tasks, type.
    pub fn info(&self, name: &str) -> Result<Value, RuntimeError> {
        self.with_entry(name, info_of)
    }

    /// The connector's configuration as registered, secrets masked.
    pub fn config(&self, name: &str) -> Result<Properties, RuntimeError> {
        self.with_entry(name, |e| mask_secrets(&e.stored.config))
    }

    /// The published snapshot status of a connector (for metrics).
    pub fn status_of(&self, name: &str) -> Result<Arc<ConnectorStatus>, RuntimeError> {
        self.with_entry(name, |e| Arc::clone(&e.status))
    }

    /// The connector's effective, validated configuration (defaults overlaid, references
    /// resolved).
    pub fn effective_config(&self, name: &str) -> Result<ConnectorConfig, RuntimeError> {
        let config = self.with_entry(name, |e| e.stored.config.clone())?;
        self.effective(&config)
            .map_err(|e| RuntimeError::BadRequest(e.to_string()))
    }

    /// Whether the connector is stopped by the user (the offsets endpoints require it).
    pub fn require_stopped(&self, name: &str) -> Result<(), RuntimeError> {
        let target = self.with_entry(name, |e| e.stored.target)?;
        if target == TargetState::Stopped {
            Ok(())
        } else {
            Err(RuntimeError::BadRequest(format!(
                "Connectors must be in the STOPPED state before their offsets can be modified. \
                 This can be done for the specified connector by issuing a 'PUT' request to the \
                 '/connectors/{name}/stop' endpoint"
            )))
        }
    }

    /// Validates a configuration as it would run on this node (defaults overlaid).
    pub fn validate(&self, config: &Properties) -> Result<ConnectorConfig, RuntimeError> {
        self.effective(config).map_err(|e| {
            RuntimeError::BadRequest(format!("Connector configuration is invalid: {e}"))
        })
    }

    /// Validates a configuration as it would run here, keeping the typed error (for the
    /// validate endpoint, which attaches it to the property it names).
    pub fn validate_config(&self, config: &Properties) -> Result<ConnectorConfig, ConfigError> {
        self.effective(config)
    }

    fn effective(&self, config: &Properties) -> Result<ConnectorConfig, ConfigError> {
        let mut merged = self.defaults.clone();
        merged.extend(config.iter().map(|(k, v)| (k.clone(), v.clone())));
        ConnectorConfig::from_properties(resolve_indirections(merged)?)
    }

    /// Starts the entry's task when its target is `STARTED`; a configuration that cannot be
    /// used (e.g. an `${env:…}` no longer set) fails the connector with the reason.
    fn start_task(&self, entry: &mut Entry) {
        entry.failure = None;
        if entry.stored.target != TargetState::Started {
            return;
        }
        let config = match self.effective(&entry.stored.config) {
            Ok(config) => config,
            Err(e) => {
                tracing::error!(connector = %entry.stored.name, error = %e, "connector configuration is invalid");
                entry.failure = Some(e.to_string());
                return;
            }
        };
        // The status outlives each task: counters keep counting across restarts, as
        // Prometheus expects of a counter that is not reset by the process.
        match Worker::start(config, self.handle.clone(), Arc::clone(&entry.status)) {
            Ok(worker) => entry.worker = Some(worker),
            Err(e) => entry.failure = Some(format!("cannot start the connector thread: {e}")),
        }
    }

    fn take_worker(&self, name: &str) -> Result<Option<Worker>, RuntimeError> {
        let mut map = self.map();
        let entry = map.get_mut(name).ok_or_else(|| not_found(name))?;
        Ok(entry.worker.take())
    }

    fn with_entry<T>(&self, name: &str, f: impl FnOnce(&Entry) -> T) -> Result<T, RuntimeError> {
        self.map().get(name).map(f).ok_or_else(|| not_found(name))
    }

    fn map(&self) -> MutexGuard<'_, BTreeMap<String, Entry>> {
        // A panic while holding the lock cannot leave an entry half-written (every write is
        // a single assignment), so the poisoned map is still consistent.
        self.connectors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn ops(&self) -> MutexGuard<'_, ()> {
        self.ops
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Stops every task (committing what is in flight); the node is shutting down.
    pub fn shutdown(&self) {
        let _ops = self.ops();
        let workers: Vec<(String, Worker)> = self
            .map()
            .iter_mut()
            .filter_map(|(name, e)| e.worker.take().map(|w| (name.clone(), w)))
            .collect();
        for (name, worker) in workers {
            stop_worker(&name, Some(worker));
        }
    }
}

fn stop_worker(name: &str, worker: Option<Worker>) {
    if let Some(worker) = worker {
        let ended = worker.stop();
        tracing::info!(connector = %name, state = ended.state.as_str(), "connector task stopped");
    }
}

fn not_found(name: &str) -> RuntimeError {
    RuntimeError::NotFound(format!("Connector {name} not found"))
}

/// Puts the URL's name into the config, refusing a config that names another connector.
fn with_name(name: &str, mut config: Properties) -> Result<Properties, RuntimeError> {
    if name.is_empty() || name.trim() != name {
        return Err(RuntimeError::BadRequest(format!(
            "Connector name '{name}' is invalid: it must be non-empty without leading or trailing spaces"
        )));
    }
    match config.get("name") {
        Some(given) if given != name => {
            return Err(RuntimeError::BadRequest(format!(
                "Connector name configuration ({given}) doesn't match connector name in the URL ({name})"
            )));
        }
        _ => {}
    }
    config.insert("name".to_owned(), name.to_owned());
    Ok(config)
}

/// A config read back from `GET …/config` carries `[hidden]` for secrets; sent back
/// unchanged, those keep the stored values instead of becoming the text `[hidden]`.
fn keep_hidden_secrets(mut config: Properties, previous: &Properties) -> Properties {
    let masked = mask_secrets(previous);
    for (key, value) in config.iter_mut() {
        if value == HIDDEN
            && masked.get(key).is_some_and(|m| m == HIDDEN)
            && let Some(old) = previous.get(key)
        {
            value.clone_from(old);
        }
    }
    config
}

fn state_of(entry: &Entry) -> ConnectorState {
    let state = |state| TaskState { state, trace: None };
    match entry.stored.target {
        TargetState::Stopped => ConnectorState {
            connector: state(State::Stopped),
            tasks: Vec::new(),
        },
        TargetState::Paused => ConnectorState {
            connector: state(State::Paused),
            tasks: vec![state(State::Paused)],
        },
        TargetState::Started => match (&entry.failure, &entry.worker) {
            (Some(trace), _) => ConnectorState {
                connector: TaskState {
                    state: State::Failed,
                    trace: Some(trace.clone()),
                },
                tasks: Vec::new(),
            },
            (None, Some(worker)) => ConnectorState {
                connector: state(State::Running),
                tasks: vec![worker.state()],
            },
            (None, None) => ConnectorState {
                connector: state(State::Unassigned),
                tasks: Vec::new(),
            },
        },
    }
}

fn info_of(entry: &Entry) -> Value {
    let name = &entry.stored.name;
    let tasks: Vec<Value> = if entry.stored.target == TargetState::Stopped {
        Vec::new()
    } else {
        vec![json!({"connector": name, "task": 0})]
    };
    let config: Map<String, Value> = mask_secrets(&entry.stored.config)
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    json!({"name": name, "config": config, "tasks": tasks, "type": "source"})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Properties {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_config_naming_another_connector_is_refused_and_the_url_name_is_added() {
        let err = with_name("a", props(&[("name", "b")])).unwrap_err();
        assert!(
            err.to_string().contains("(b)") && err.to_string().contains("(a)"),
            "{err}"
        );
        let named = with_name("a", props(&[("topic.prefix", "x")])).unwrap();
        assert_eq!(named.get("name").map(String::as_str), Some("a"));
        assert!(with_name(" a", Properties::new()).is_err());
    }

    #[test]
    fn a_masked_secret_sent_back_keeps_the_stored_value_but_a_new_one_replaces_it() {
        let stored = props(&[("database.password", "s3cret"), ("database.user", "u")]);
        let echoed = props(&[("database.password", HIDDEN), ("database.user", HIDDEN)]);
        let kept = keep_hidden_secrets(echoed, &stored);
        assert_eq!(kept["database.password"], "s3cret");
        // Only secrets are restored: a non-secret key really set to the text stays so.
        assert_eq!(kept["database.user"], HIDDEN);
        let changed = keep_hidden_secrets(props(&[("database.password", "new")]), &stored);
        assert_eq!(changed["database.password"], "new");
    }
}
