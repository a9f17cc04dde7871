//! Kafka Connect's REST API over the [`Runtime`]: the same paths, bodies and status codes
//! (`../shared/reference/debezium-compat.md` §8), so curl recipes and tools written for a
//! Connect worker work against `tributary serve` unchanged.
//!
//! Errors are Connect's `{"error_code": <http status>, "message": …}` everywhere, including
//! unknown paths and malformed bodies. Handlers that start or stop a pipeline run on the
//! blocking pool: stopping commits the in-flight Kafka transaction first.
//!
//! Tributary's additions, outside Connect's paths' meanings: `POST
//! /connectors/{name}/signals` (Debezium's signals, sent through the connector's Kafka
//! signal topic), `GET /metrics` (Prometheus) and `GET /openapi.json`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::{Map, Value, json};

use super::worker::TaskState;
use super::{ConnectorState, Runtime, RuntimeError, offsets};
use crate::config::{ConfigError, Properties, catalogue, mask_secrets, properties};

/// What `GET /` reports.
#[derive(Debug, Clone)]
pub struct ServerInfo {
    /// Tributary's version.
    pub version: String,
    /// The build's commit, when known.
    pub commit: String,
    /// The Kafka cluster's id, when Kafka answered at start.
    pub kafka_cluster_id: Option<String>,
}

#[derive(Clone)]
struct App {
    runtime: Arc<Runtime>,
    info: Arc<ServerInfo>,
}

/// The connector classes this runtime runs (Debezium's names, so configs are unchanged).
pub const PLUGINS: &[&str] = &[
    "io.debezium.connector.mariadb.MariaDbConnector",
    "io.debezium.connector.mysql.MySqlConnector",
    "io.debezium.connector.postgresql.PostgresConnector",
];

/// The router for `tributary serve`; with `credentials`, every path but `/health` needs
/// them.
pub fn router(
    runtime: Arc<Runtime>,
    info: ServerInfo,
    credentials: Option<&super::access::Credentials>,
) -> Router {
    let app = App {
        runtime,
        info: Arc::new(info),
    };
    let router = routes().with_state(app);
    match credentials {
        Some(credentials) => router.layer(axum::middleware::from_fn_with_state(
            super::access::expected(credentials),
            super::access::require,
        )),
        None => router,
    }
}

fn routes() -> Router<App> {
    Router::new()
        .route("/", get(root))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/connectors", get(list).post(create))
        .route("/connectors/{name}", get(connector_info).delete(delete))
        .route(
            "/connectors/{name}/config",
            get(config).put(put_config).patch(patch_config),
        )
        .route("/connectors/{name}/status", get(status))
        .route("/connectors/{name}/tasks", get(tasks))
        .route("/connectors/{name}/tasks/{task}/status", get(task_status))
        .route(
            "/connectors/{name}/tasks/{task}/restart",
            post(restart_task),
        )
        .route("/connectors/{name}/pause", put(pause))
        .route("/connectors/{name}/resume", put(resume))
        .route("/connectors/{name}/stop", put(stop))
        .route("/connectors/{name}/restart", post(restart))
        .route(
            "/connectors/{name}/offsets",
            get(get_offsets).patch(alter_offsets).delete(reset_offsets),
        )
        .route("/connectors/{name}/signals", post(signal))
        .route("/connectors/{name}/topics", get(topics))
        .route("/connectors/{name}/topics/reset", put(reset_topics))
        .route("/connector-plugins", get(plugins))
        .route("/connector-plugins/{plugin}/config", get(plugin_config))
        .route("/connector-plugins/{plugin}/config/validate", put(validate))
        .fallback(not_found)
}

/// A refused request as Connect writes it.
struct ApiError(StatusCode, String);

impl From<RuntimeError> for ApiError {
    fn from(e: RuntimeError) -> Self {
        let status = match &e {
            RuntimeError::NotFound(_) => StatusCode::NOT_FOUND,
            RuntimeError::Exists(_) => StatusCode::CONFLICT,
            RuntimeError::BadRequest(_) => StatusCode::BAD_REQUEST,
            RuntimeError::Store(_) | RuntimeError::Unavailable(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        ApiError(status, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error_code": self.0.as_u16(), "message": self.1});
        (self.0, axum::Json(body)).into_response()
    }
}

type Answer = Result<Response, ApiError>;

fn ok(status: StatusCode, body: Value) -> Answer {
    Ok((status, axum::Json(body)).into_response())
}

fn empty(status: StatusCode) -> Answer {
    Ok(status.into_response())
}

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, message.into())
}

/// Runs a runtime call on the blocking pool (it may wait for a pipeline to commit).
async fn blocking<T: Send + 'static>(
    app: &App,
    call: impl FnOnce(&Runtime) -> Result<T, RuntimeError> + Send + 'static,
) -> Result<T, ApiError> {
    let runtime = Arc::clone(&app.runtime);
    tokio::task::spawn_blocking(move || call(&runtime))
        .await
        .map_err(|e| {
            ApiError(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("request failed: {e}"),
            )
        })?
        .map_err(ApiError::from)
}

async fn not_found() -> ApiError {
    ApiError(StatusCode::NOT_FOUND, "HTTP 404 Not Found".to_owned())
}

async fn root(State(app): State<App>) -> Answer {
    ok(
        StatusCode::OK,
        json!({
            "version": app.info.version,
            "commit": app.info.commit,
            "kafka_cluster_id": app.info.kafka_cluster_id,
        }),
    )
}

async fn health() -> Answer {
    ok(
        StatusCode::OK,
        json!({"status": "healthy", "message": "Worker has completed startup and is ready to handle requests."}),
    )
}

async fn list(State(app): State<App>, RawQuery(query): RawQuery) -> Answer {
    let expand = query_values(query.as_deref(), "expand");
    let names = app.runtime.names();
    if expand.is_empty() {
        return ok(StatusCode::OK, json!(names));
    }
    let mut out = Map::new();
    for name in names {
        let mut item = Map::new();
        // A connector deleted between the listing and this read is left out.
        if expand.iter().any(|e| e == "status") {
            let Ok(state) = app.runtime.state(&name) else {
                continue;
            };
            item.insert(
                "status".into(),
                status_body(&name, &state, &app.runtime.worker_id),
            );
        }
        if expand.iter().any(|e| e == "info") {
            let Ok(info) = app.runtime.info(&name) else {
                continue;
            };
            item.insert("info".into(), info);
        }
        out.insert(name, Value::Object(item));
    }
    ok(StatusCode::OK, Value::Object(out))
}

async fn create(State(app): State<App>, body: Bytes) -> Answer {
    let root: Value = parse_body(&body)?;
    let Some(name) = root.get("name").and_then(Value::as_str).map(str::to_owned) else {
        return Err(bad_request(
            "the body must be {\"name\": \"<connector>\", \"config\": {…}} with a name",
        ));
    };
    if !root.get("config").is_some_and(Value::is_object) {
        return Err(bad_request("the body must have a \"config\" object"));
    }
    let config = properties::parse_json(&String::from_utf8_lossy(&body)).map_err(bad_request)?;
    let info = blocking(&app, move |rt| rt.create(&name, config)).await?;
    ok(StatusCode::CREATED, info)
}

async fn connector_info(State(app): State<App>, Path(name): Path<String>) -> Answer {
    ok(StatusCode::OK, app.runtime.info(&name)?)
}

async fn delete(State(app): State<App>, Path(name): Path<String>) -> Answer {
    blocking(&app, move |rt| rt.delete(&name)).await?;
    empty(StatusCode::NO_CONTENT)
}

async fn config(State(app): State<App>, Path(name): Path<String>) -> Answer {
    ok(StatusCode::OK, json!(app.runtime.config(&name)?))
}

async fn put_config(State(app): State<App>, Path(name): Path<String>, body: Bytes) -> Answer {
    let root: Value = parse_body(&body)?;
    if !root.is_object() {
        return Err(bad_request("the body must be a JSON object of properties"));
    }
    let config = properties::parse_json(&String::from_utf8_lossy(&body)).map_err(bad_request)?;
    let (created, info) = blocking(&app, move |rt| rt.put_config(&name, config)).await?;
    ok(
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        info,
    )
}

async fn patch_config(State(app): State<App>, Path(name): Path<String>, body: Bytes) -> Answer {
    let Value::Object(object) = parse_body(&body)? else {
        return Err(bad_request("the body must be a JSON object of properties"));
    };
    let mut patch = BTreeMap::new();
    for (key, value) in object {
        let value = match value {
            Value::Null => None,
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => {
                return Err(bad_request(format!(
                    "property '{key}' must be a string, number, boolean or null"
                )));
            }
        };
        patch.insert(key, value);
    }
    let info = blocking(&app, move |rt| rt.patch_config(&name, patch)).await?;
    ok(StatusCode::OK, info)
}

async fn status(State(app): State<App>, Path(name): Path<String>) -> Answer {
    let state = app.runtime.state(&name)?;
    ok(
        StatusCode::OK,
        status_body(&name, &state, &app.runtime.worker_id),
    )
}

async fn tasks(State(app): State<App>, Path(name): Path<String>) -> Answer {
    let state = app.runtime.state(&name)?;
    let config = app.runtime.config(&name)?;
    let tasks: Vec<Value> = (0..state.tasks.len())
        .map(|id| json!({"id": {"connector": name, "task": id}, "config": config}))
        .collect();
    ok(StatusCode::OK, json!(tasks))
}

async fn task_status(State(app): State<App>, Path((name, task)): Path<(String, String)>) -> Answer {
    let state = app.runtime.state(&name)?;
    let task_state = task_of(&name, &task, &state)?;
    ok(
        StatusCode::OK,
        task_body(0, task_state, &app.runtime.worker_id),
    )
}

async fn restart_task(
    State(app): State<App>,
    Path((name, task)): Path<(String, String)>,
) -> Answer {
    let state = app.runtime.state(&name)?;
    task_of(&name, &task, &state)?;
    blocking(&app, move |rt| rt.restart(&name, false)).await?;
    empty(StatusCode::NO_CONTENT)
}

fn task_of<'a>(
    name: &str,
    task: &str,
    state: &'a ConnectorState,
) -> Result<&'a TaskState, ApiError> {
    task.parse::<usize>()
        .ok()
        .and_then(|id| state.tasks.get(id))
        .ok_or_else(|| {
            ApiError(
                StatusCode::NOT_FOUND,
                format!("Task {name}-{task} not found"),
            )
        })
}

async fn pause(State(app): State<App>, Path(name): Path<String>) -> Answer {
    blocking(&app, move |rt| rt.pause(&name)).await?;
    empty(StatusCode::ACCEPTED)
}

async fn resume(State(app): State<App>, Path(name): Path<String>) -> Answer {
    blocking(&app, move |rt| rt.resume(&name)).await?;
    empty(StatusCode::ACCEPTED)
}

async fn stop(State(app): State<App>, Path(name): Path<String>) -> Answer {
    blocking(&app, move |rt| rt.stop(&name)).await?;
    empty(StatusCode::NO_CONTENT)
}

/// `POST /restart?includeTasks=&onlyFailed=`. The connector and its one task are a single
/// pipeline here, so every form restarts that pipeline; Connect's answers are kept: 204
/// for the plain form, 202 with the restarting states otherwise.
async fn restart(
    State(app): State<App>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Answer {
    let flag = |key: &str| -> Result<bool, ApiError> {
        match query_values(query.as_deref(), key)
            .last()
            .map(String::as_str)
        {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => Err(bad_request(format!(
                "query parameter '{key}' must be true or false, not '{other}'"
            ))),
        }
    };
    let include_tasks = flag("includeTasks")?;
    let only_failed = flag("onlyFailed")?;
    let worker_id = app.runtime.worker_id.clone();
    let restarted = {
        let name = name.clone();
        blocking(&app, move |rt| rt.restart(&name, only_failed)).await?
    };
    if !include_tasks && !only_failed {
        return empty(StatusCode::NO_CONTENT);
    }
    ok(
        StatusCode::ACCEPTED,
        status_body(&name, &restarted, &worker_id),
    )
}

async fn get_offsets(State(app): State<App>, Path(name): Path<String>) -> Answer {
    ok(StatusCode::OK, offsets::get(&app.runtime, &name).await?)
}

async fn alter_offsets(State(app): State<App>, Path(name): Path<String>, body: Bytes) -> Answer {
    let body = parse_body(&body)?;
    ok(
        StatusCode::OK,
        offsets::alter(&app.runtime, &name, &body).await?,
    )
}

async fn reset_offsets(State(app): State<App>, Path(name): Path<String>) -> Answer {
    ok(StatusCode::OK, offsets::reset(&app.runtime, &name).await?)
}

/// `POST /connectors/{name}/signals` with Debezium's signal `{"type": …, "data": {…}}`:
/// sent through the connector's Kafka signal topic, so it works on a read-only database
/// and reaches the connector even while it restarts.
async fn signal(State(app): State<App>, Path(name): Path<String>, body: Bytes) -> Answer {
    let body = parse_body(&body)?;
    let Some(kind) = body.get("type").and_then(Value::as_str) else {
        return Err(bad_request(
            "the body must be a Debezium signal {\"type\": \"execute-snapshot\", \"data\": {…}}",
        ));
    };
    let config = app.runtime.effective_config(&name)?;
    let Some(channel) = &config.snapshot.kafka_signals else {
        return Err(bad_request(format!(
            "connector '{name}' reads no Kafka signals: add kafka to signal.enabled.channels \
             (e.g. signal.enabled.channels=source,kafka)"
        )));
    };
    let sent = crate::kafka::send_signal(
        channel,
        &config.topic_prefix,
        kind,
        body.get("data"),
        config.kafka.timeout,
    )
    .await
    .map_err(|e| {
        if e.is_transient() {
            ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
        } else {
            bad_request(e.to_string())
        }
    })?;
    ok(
        StatusCode::ACCEPTED,
        json!({"type": kind, "topic": sent.topic, "offset": sent.offset}),
    )
}

/// `GET /connectors/{name}/topics`: the topics the connector has committed records to.
async fn topics(State(app): State<App>, Path(name): Path<String>) -> Answer {
    let status = app.runtime.status_of(&name)?;
    ok(
        StatusCode::OK,
        json!({ name: {"topics": status.stream.topics()} }),
    )
}

/// `PUT /connectors/{name}/topics/reset`.
async fn reset_topics(State(app): State<App>, Path(name): Path<String>) -> Answer {
    app.runtime.status_of(&name)?.stream.reset_topics();
    empty(StatusCode::ACCEPTED)
}

async fn plugins() -> Answer {
    let version = env!("CARGO_PKG_VERSION");
    let list: Vec<Value> = PLUGINS
        .iter()
        .map(|class| json!({"class": class, "type": "source", "version": version}))
        .collect();
    ok(StatusCode::OK, json!(list))
}

/// `PUT /connector-plugins/{plugin}/config/validate`: Connect's ConfigInfos body. The
/// configuration is validated exactly as `POST /connectors` would (node defaults
/// overlaid); an error is attached to the property it names.
async fn validate(State(app): State<App>, Path(plugin): Path<String>, body: Bytes) -> Answer {
    let class = plugin_class(&plugin)
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, format!("Plugin {plugin} not found")))?;
    if !parse_body(&body)?.is_object() {
        return Err(bad_request("the body must be a JSON object of properties"));
    }
    let mut config =
        properties::parse_json(&String::from_utf8_lossy(&body)).map_err(bad_request)?;
    if let Some(given) = config.get("connector.class")
        && plugin_class(given) != Some(class)
    {
        return Err(bad_request(format!(
            "connector.class '{given}' does not match the plugin in the URL ({class})"
        )));
    }
    config.insert("connector.class".into(), class.to_owned());
    let config_for_call = config.clone();
    let error = blocking(&app, move |rt| Ok(rt.validate_config(&config_for_call)))
        .await?
        .err();
    ok(
        StatusCode::OK,
        validation_body(class, &config, error.as_ref()),
    )
}

fn plugin_class(name: &str) -> Option<&'static str> {
    PLUGINS
        .iter()
        .copied()
        .find(|class| *class == name || class.rsplit('.').next() == Some(name))
}

fn validation_body(class: &str, config: &Properties, error: Option<&ConfigError>) -> Value {
    let at_fault = error.map(config_error_keys).unwrap_or_default();
    let message = error.map(ToString::to_string);
    // Every property this connector reads, then what else was given, then what the error
    // names (a required key that is missing).
    let mut keys: Vec<String> = catalogue::PROPERTIES
        .iter()
        .filter(|p| applies_to(p.applies, class))
        .map(|p| p.name.to_owned())
        .collect();
    for key in config.keys().chain(at_fault.iter()) {
        if !keys.contains(key) {
            keys.push(key.clone());
        }
    }
    let masked = mask_secrets(config);
    let mut error_count = 0;
    let mut groups: Vec<&str> = Vec::new();
    let configs: Vec<Value> = keys
        .iter()
        .enumerate()
        .map(|(order, key)| {
            let errors: Vec<&str> = match &message {
                Some(m) if at_fault.contains(key) => vec![m.as_str()],
                _ => Vec::new(),
            };
            error_count += errors.len();
            let definition = catalogue::lookup(key);
            let group = definition.map_or("Other", |d| d.group);
            if !groups.contains(&group) {
                groups.push(group);
            }
            json!({
                "definition": definition_body(key, definition, order),
                "value": {"name": key, "value": masked.get(key), "recommended_values": [],
                    "errors": errors, "visible": true},
            })
        })
        .collect();
    // An error that names no property (a malformed transform chain) still counts.
    if message.is_some() && at_fault.is_empty() {
        error_count += 1;
    }
    json!({"name": class, "error_count": error_count, "groups": groups, "configs": configs})
}

/// Connect's ConfigKeyInfo for a property (a bare one for keys outside the catalogue).
fn definition_body(key: &str, definition: Option<&catalogue::Property>, order: usize) -> Value {
    match definition {
        Some(d) => json!({
            "name": d.name, "type": d.kind.as_str(), "required": d.required,
            "default_value": d.default, "importance": if d.required { "HIGH" } else { "MEDIUM" },
            "documentation": d.doc, "group": d.group, "width": "MEDIUM", "display_name": d.name,
            "dependents": [], "order": order,
        }),
        None => json!({
            "name": key, "type": "STRING", "required": false, "default_value": null,
            "importance": "LOW", "documentation": "", "group": "Other", "width": "NONE",
            "display_name": key, "dependents": [], "order": order,
        }),
    }
}

fn applies_to(applies: catalogue::Applies, class: &str) -> bool {
    match applies {
        catalogue::Applies::All => true,
        catalogue::Applies::Postgres => class.contains("postgresql"),
        catalogue::Applies::Binlog => !class.contains("postgresql"),
    }
}

/// `GET /connector-plugins/{plugin}/config`: the plugin's property definitions.
async fn plugin_config(Path(plugin): Path<String>) -> Answer {
    let class = plugin_class(&plugin)
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, format!("Plugin {plugin} not found")))?;
    let definitions: Vec<Value> = catalogue::PROPERTIES
        .iter()
        .filter(|p| applies_to(p.applies, class))
        .enumerate()
        .map(|(order, p)| definition_body(p.name, Some(p), order))
        .collect();
    ok(StatusCode::OK, json!(definitions))
}

/// The properties a configuration error is about.
fn config_error_keys(error: &ConfigError) -> Vec<String> {
    match error {
        ConfigError::Missing { key, .. } | ConfigError::Invalid { key, .. } => {
            vec![(*key).to_owned()]
        }
        ConfigError::Indirection { key, .. } => vec![key.clone()],
        ConfigError::Conflict { keys, .. } => keys
            .split(|c: char| c == ',' || c.is_whitespace())
            .map(|k| k.trim_matches(|c| c == '\'' || c == '`'))
            .filter(|k| !k.is_empty() && k.contains('.'))
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

async fn metrics(State(app): State<App>) -> Response {
    let mut texts = Vec::new();
    for name in app.runtime.names() {
        if let Ok(status) = app.runtime.status_of(&name) {
            texts.push(status.render_prometheus(&name));
        }
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        merge_prometheus(&texts),
    )
        .into_response()
}

/// Joins several Prometheus texts into one exposition: each metric family's `# HELP` and
/// `# TYPE` once, followed by every connector's samples of it (a family split in two, or
/// announced twice, is invalid for Prometheus' parser).
fn merge_prometheus(texts: &[String]) -> String {
    let mut order: Vec<String> = Vec::new();
    let mut families: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for text in texts {
        for line in text.lines() {
            let (family, header) = if let Some(rest) = line
                .strip_prefix("# HELP ")
                .or_else(|| line.strip_prefix("# TYPE "))
            {
                (rest.split(' ').next().unwrap_or_default(), true)
            } else {
                (line.split(['{', ' ']).next().unwrap_or_default(), false)
            };
            if family.is_empty() {
                continue;
            }
            let entry = families.entry(family.to_owned()).or_insert_with(|| {
                order.push(family.to_owned());
                (Vec::new(), Vec::new())
            });
            if header {
                if !entry.0.iter().any(|h| h == line) {
                    entry.0.push(line.to_owned());
                }
            } else {
                entry.1.push(line.to_owned());
            }
        }
    }
    let mut out = String::new();
    for family in order {
        if let Some((headers, samples)) = families.get(&family) {
            for line in headers.iter().chain(samples) {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    out
}

async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
        .into_response()
}

fn status_body(name: &str, state: &ConnectorState, worker_id: &str) -> Value {
    let mut connector = json!({"state": state.connector.state.as_str(), "worker_id": worker_id});
    if let Some(trace) = &state.connector.trace {
        connector["trace"] = Value::String(trace.clone());
    }
    let tasks: Vec<Value> = state
        .tasks
        .iter()
        .enumerate()
        .map(|(id, t)| task_body(id, t, worker_id))
        .collect();
    json!({"name": name, "connector": connector, "tasks": tasks, "type": "source"})
}

fn task_body(id: usize, task: &TaskState, worker_id: &str) -> Value {
    let mut body = json!({"id": id, "state": task.state.as_str(), "worker_id": worker_id});
    if let Some(trace) = &task.trace {
        body["trace"] = Value::String(trace.clone());
    }
    body
}

fn parse_body(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| bad_request(format!("the request body is not valid JSON: {e}")))
}

/// Every value of `key` in a query string (`expand=status&expand=info`).
fn query_values(query: Option<&str>, key: &str) -> Vec<String> {
    query
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .filter(|(k, _)| *k == key)
        .map(|(_, v)| v.to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_from_several_connectors_are_announced_once_and_kept_together() {
        let a = "# HELP m_running 1 while\n# TYPE m_running gauge\nm_running{connector=\"a\"} 1\n\
                 # HELP m_rows Rows\n# TYPE m_rows gauge\nm_rows{connector=\"a\",table=\"t\"} 5\n";
        let b = a.replace("\"a\"", "\"b\"");
        let merged = merge_prometheus(&[a.to_owned(), b]);
        assert_eq!(
            merged,
            "# HELP m_running 1 while\n# TYPE m_running gauge\nm_running{connector=\"a\"} 1\n\
             m_running{connector=\"b\"} 1\n# HELP m_rows Rows\n# TYPE m_rows gauge\n\
             m_rows{connector=\"a\",table=\"t\"} 5\nm_rows{connector=\"b\",table=\"t\"} 5\n"
        );
    }

    #[test]
    fn repeated_query_parameters_are_all_read() {
        assert_eq!(
            query_values(Some("expand=status&expand=info&x=1"), "expand"),
            vec!["status", "info"]
        );
        assert!(query_values(None, "expand").is_empty());
    }

    #[test]
    fn plugins_are_found_by_class_or_short_name() {
        assert_eq!(
            plugin_class("PostgresConnector"),
            Some("io.debezium.connector.postgresql.PostgresConnector")
        );
        assert_eq!(
            plugin_class("io.debezium.connector.mysql.MySqlConnector"),
            Some(PLUGINS[1])
        );
        assert_eq!(plugin_class("FileStreamSource"), None);
    }

    #[test]
    fn a_validation_error_is_attached_to_the_property_it_names() {
        let config: Properties = [("snapshot.mode", "sometimes"), ("database.password", "pw")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let error = ConfigError::Invalid {
            key: "snapshot.mode",
            value: "sometimes".into(),
            allowed: "initial, …".into(),
        };
        let body = validation_body(PLUGINS[2], &config, Some(&error));
        assert_eq!(body["error_count"], 1);
        let configs = body["configs"].as_array().unwrap();
        let value_of = |key: &str| {
            configs
                .iter()
                .find(|c| c["value"]["name"] == key)
                .map(|c| c["value"].clone())
                .unwrap()
        };
        assert_eq!(value_of("snapshot.mode")["errors"][0], error.to_string());
        assert_eq!(value_of("database.password")["value"], "[hidden]");
        assert!(
            value_of("database.password")["errors"]
                .as_array()
                .unwrap()
                .is_empty()
        );

        let missing = ConfigError::Missing {
            key: "topic.prefix",
            hint: "the prefix",
        };
        let body = validation_body(PLUGINS[2], &config, Some(&missing));
        let added = body["configs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["value"]["name"] == "topic.prefix")
            .unwrap();
        assert_eq!(added["value"]["errors"].as_array().unwrap().len(), 1);
    }
}
