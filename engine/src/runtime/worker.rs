//! One connector's task: the pipeline on its own thread, with the stop flag that ends it
//! cleanly (the in-flight Kafka transaction committed) and the state REST shows.
//!
//! Tributary runs a connector as exactly one task (task 0), as Debezium's connectors do:
//! one log reader per database. Pausing, stopping and restarting all end the pipeline the
//! same clean way and start a new one from the offset stored in Kafka, so none of them
//! can lose or repeat a change.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::config::ConnectorConfig;
use crate::pipeline::run_connector;
use crate::status::ConnectorStatus;

/// Kafka Connect's connector and task states, spelled as its REST API spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Registered but not running (e.g. its configuration could not be used).
    Unassigned,
    /// Reading.
    Running,
    /// Paused by the user.
    Paused,
    /// Stopped by an error; `trace` says why. A restart tries again.
    Failed,
    /// Being restarted.
    Restarting,
    /// Stopped by the user.
    Stopped,
}

impl State {
    /// The REST spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Unassigned => "UNASSIGNED",
            State::Running => "RUNNING",
            State::Paused => "PAUSED",
            State::Failed => "FAILED",
            State::Restarting => "RESTARTING",
            State::Stopped => "STOPPED",
        }
    }
}

/// A task's state with the error that failed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskState {
    /// The state.
    pub state: State,
    /// Why it failed, when it did.
    pub trace: Option<String>,
}

/// A running (or finished) pipeline thread.
#[derive(Debug)]
pub struct Worker {
    stop: Arc<AtomicBool>,
    state: Arc<Mutex<TaskState>>,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts the connector's pipeline on a new thread.
    pub fn start(
        config: ConnectorConfig,
        runtime: tokio::runtime::Handle,
        status: Arc<ConnectorStatus>,
    ) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let state = Arc::new(Mutex::new(TaskState {
            state: State::Running,
            trace: None,
        }));
        let thread = {
            let stop = Arc::clone(&stop);
            let state = Arc::clone(&state);
            std::thread::Builder::new()
                .name(format!("connector-{}", config.name))
                .spawn(move || {
                    config.warn_unknown_properties();
                    let result = run_connector(&config, &runtime, &stop, &status);
                    // A snapshot interrupted by a stop is no longer running.
                    status.end_snapshot(false);
                    match result {
                        Ok(()) => {
                            tracing::info!(connector = %config.name, "connector task ended");
                        }
                        Err(err) => {
                            tracing::error!(connector = %config.name, error = %err, "connector task failed");
                            set(&state, State::Failed, Some(err.to_string()));
                        }
                    }
                })?
        };
        Ok(Self {
            stop,
            state,
            thread: Some(thread),
        })
    }

    /// The task's state as the pipeline thread left it.
    pub fn state(&self) -> TaskState {
        self.state.lock().map_or(
            TaskState {
                state: State::Failed,
                trace: Some("the task's state lock was poisoned".to_owned()),
            },
            |s| s.clone(),
        )
    }

    /// Asks the pipeline to finish (committing what is in flight) and waits for it. Blocks:
    /// call it off the async runtime.
    pub fn stop(mut self) -> TaskState {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            set(
                &self.state,
                State::Failed,
                Some("the connector thread panicked".to_owned()),
            );
        }
        self.state()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // A worker dropped without `stop` (the runtime shutting down) still ends cleanly.
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn set(state: &Mutex<TaskState>, to: State, trace: Option<String>) {
    if let Ok(mut s) = state.lock() {
        s.state = to;
        s.trace = trace;
    }
}
