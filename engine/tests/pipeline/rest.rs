//! `tributary serve`: Kafka Connect's REST API against a running node, real servers and a
//! real HTTP client — status codes and body shapes, pause/resume without loss, a FAILED
//! task recovered by a restart, offsets altered on a stopped connector and replayed, and
//! the node's state surviving its restart.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tributary_testcontainers::{Kafka, MariaDb, Postgres, unique_name};

use crate::support::{Engine, deadline, read_all, read_records};

/// A REST client for one node.
struct Rest {
    base: String,
    agent: ureq::Agent,
}

impl Rest {
    fn new(port: u16) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        Self {
            base: format!("http://127.0.0.1:{port}"),
            agent,
        }
    }

    /// Sends a request; returns the status and the body (JSON, or `Null` when empty).
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let text = body.map(Value::to_string);
        let result = match (method, &text) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            ("POST", Some(t)) => self
                .agent
                .post(&url)
                .content_type("application/json")
                .send(t),
            ("POST", None) => self.agent.post(&url).send_empty(),
            ("PUT", Some(t)) => self
                .agent
                .put(&url)
                .content_type("application/json")
                .send(t),
            ("PUT", None) => self.agent.put(&url).send_empty(),
            ("PATCH", Some(t)) => self
                .agent
                .patch(&url)
                .content_type("application/json")
                .send(t),
            other => panic!("unsupported request {other:?}"),
        };
        let mut response = result.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    fn get(&self, path: &str) -> (u16, Value) {
        self.call("GET", path, None)
    }

    /// Waits for the node to answer `GET /`.
    fn wait_ready(&self, node: &mut Engine) {
        let deadline = Instant::now() + deadline();
        loop {
            node.assert_running();
            let url = format!("{}/", self.base);
            if let Ok(mut response) = self.agent.get(&url).call()
                && response.status().as_u16() == 200
            {
                let _ = response.body_mut().read_to_string();
                return;
            }
            assert!(
                Instant::now() < deadline,
                "node never answered:\n{}",
                node.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until `GET /connectors/{name}/status` shows the connector and task states.
    fn wait_state(&self, name: &str, connector: &str, task: Option<&str>) -> Value {
        let deadline = Instant::now() + deadline();
        loop {
            let (code, status) = self.get(&format!("/connectors/{name}/status"));
            assert_eq!(code, 200, "{status}");
            let task_state = status["tasks"].get(0).map(|t| t["state"].clone());
            if status["connector"]["state"] == connector
                && task_state.as_ref().and_then(Value::as_str) == task
            {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "connector {name} never reached {connector}/{task:?}: {status}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tributary-test-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn worker(kafka: &Kafka, name: &str) -> Vec<(String, String)> {
    vec![
        ("bootstrap.servers".to_owned(), kafka.bootstrap_servers()),
        ("offset.storage.topic".to_owned(), format!("{name}-offsets")),
        ("tributary.transaction.max.ms".to_owned(), "50".to_owned()),
    ]
}

fn start_node(dir: &Path, kafka: &Kafka, name: &str) -> (Engine, Rest) {
    let (mut node, port) = Engine::serve(dir, &worker(kafka, name));
    let rest = Rest::new(port);
    rest.wait_ready(&mut node);
    (node, rest)
}

/// A PostgreSQL connector's Connect body, with no Kafka settings (the node supplies them).
fn pg_connector(db: &tributary_testcontainers::PgConfig, name: &str) -> Value {
    json!({
        "name": name,
        "config": {
            "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
            "database.hostname": db.host,
            "database.port": db.port,
            "database.user": db.user,
            "database.password": db.password,
            "database.dbname": db.dbname,
            "topic.prefix": name,
            "slot.name": name,
            "publication.name": name,
            "table.include.list": "public.items",
        }
    })
}

/// Drops a finished test's slot (when it exists) so the shared server's slots are not used up.
fn drop_slot(server: &Postgres, db: &tributary_testcontainers::PgConfig, slot: &str) {
    server
        .psql(
            &db.dbname,
            &format!(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots \
                 WHERE slot_name = '{slot}'"
            ),
        )
        .unwrap();
}

fn ids(records: &[crate::support::Record]) -> Vec<i64> {
    records
        .iter()
        .filter_map(|r| match r.op() {
            Some("d") => r.field("before", "id"),
            Some(_) => r.field("after", "id"),
            None => None,
        })
        .filter_map(Value::as_i64)
        .collect()
}

#[test]
fn the_connect_rest_api_runs_a_postgres_connector_through_its_whole_lifecycle() {
    let server = Postgres::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let name = unique_name("restpg");
    server
        .psql(
            &db.dbname,
            "CREATE TABLE items (id int PRIMARY KEY, label text);",
        )
        .unwrap();
    let dir = tempdir(&name);
    let topic = format!("{name}.public.items");
    let (mut node, rest) = start_node(&dir, kafka, &name);

    // The node itself.
    let (code, root) = rest.get("/");
    assert_eq!(code, 200);
    assert_eq!(root["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        root["kafka_cluster_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{root}"
    );
    assert_eq!(rest.get("/connectors"), (200, json!([])));
    let (code, plugins) = rest.get("/connector-plugins");
    assert_eq!(code, 200);
    let classes: Vec<&str> = plugins
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p["type"], "source");
            p["class"].as_str().unwrap()
        })
        .collect();
    assert!(classes.contains(&"io.debezium.connector.postgresql.PostgresConnector"));
    assert!(classes.contains(&"io.debezium.connector.mysql.MySqlConnector"));
    assert!(classes.contains(&"io.debezium.connector.mariadb.MariaDbConnector"));
    // Plugin definitions and validation, from the configuration reference.
    let (code, definitions) =
        rest.get("/connector-plugins/io.debezium.connector.postgresql.PostgresConnector/config");
    assert_eq!(code, 200);
    let slot = definitions
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "slot.name")
        .unwrap();
    assert_eq!(
        (slot["type"].clone(), slot["default_value"].clone()),
        (json!("STRING"), json!("debezium"))
    );
    let mut checked = pg_connector(&db, "validated")["config"].clone();
    checked["name"] = json!("validated");
    checked["snapshot.mode"] = json!("sometimes");
    let (code, verdict) = rest.call(
        "PUT",
        "/connector-plugins/PostgresConnector/config/validate",
        Some(&checked),
    );
    assert_eq!(code, 200, "{verdict}");
    assert_eq!(
        verdict["name"],
        "io.debezium.connector.postgresql.PostgresConnector"
    );
    assert_eq!(verdict["error_count"], 1, "{verdict}");
    let value_of = |key: &str| {
        verdict["configs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["value"]["name"] == key)
            .map(|c| c["value"].clone())
            .unwrap()
    };
    assert!(
        value_of("snapshot.mode")["errors"][0]
            .as_str()
            .unwrap()
            .contains("sometimes")
    );
    assert_eq!(value_of("database.password")["value"], "[hidden]");
    checked["snapshot.mode"] = json!("initial");
    let (_, verdict) = rest.call(
        "PUT",
        "/connector-plugins/PostgresConnector/config/validate",
        Some(&checked),
    );
    assert_eq!(verdict["error_count"], 0, "{verdict}");
    let (code, openapi) = rest.get("/openapi.json");
    assert_eq!(code, 200);
    assert!(
        openapi["paths"]["/connectors/{name}/offsets"]["patch"].is_object(),
        "{openapi}"
    );
    let (code, missing) = rest.get("/no/such/path");
    assert_eq!(code, 404);
    assert_eq!(missing["error_code"], 404);

    // Create: 201 with ConnectorInfo, the secret masked; a second create is 409; an
    // invalid config is 400 naming the property.
    let body = pg_connector(&db, &name);
    let (code, info) = rest.call("POST", "/connectors", Some(&body));
    assert_eq!(code, 201, "{info}");
    assert_eq!(info["name"], name.as_str());
    assert_eq!(info["type"], "source");
    assert_eq!(info["tasks"], json!([{"connector": name, "task": 0}]));
    assert_eq!(info["config"]["database.password"], "[hidden]");
    assert_eq!(info["config"]["database.port"], db.port.to_string());
    let (code, conflict) = rest.call("POST", "/connectors", Some(&body));
    assert_eq!(
        (code, conflict["error_code"].clone()),
        (409, json!(409)),
        "{conflict}"
    );
    let mut invalid = pg_connector(&db, &format!("{name}-bad"));
    invalid["config"]["snapshot.mode"] = json!("sometimes");
    let (code, refused) = rest.call("POST", "/connectors", Some(&invalid));
    assert_eq!(code, 400, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("snapshot.mode"),
        "{refused}"
    );
    assert_eq!(rest.get("/connectors"), (200, json!([name])));

    let status = rest.wait_state(&name, "RUNNING", Some("RUNNING"));
    assert_eq!(status["type"], "source");
    assert_eq!(status["tasks"][0]["id"], 0);
    assert!(status["connector"]["worker_id"].as_str().is_some());
    node.wait_for_log("streaming from PostgreSQL");
    server
        .psql(&db.dbname, "INSERT INTO items VALUES (1, 'a'), (2, 'b');")
        .unwrap();
    assert_eq!(ids(&read_records(kafka, &topic, 2, &mut node)), [1, 2]);

    // Pause: the task ends after committing; a change made meanwhile is not read until
    // resume, then exactly once.
    assert_eq!(
        rest.call("PUT", &format!("/connectors/{name}/pause"), None)
            .0,
        202
    );
    rest.wait_state(&name, "PAUSED", Some("PAUSED"));
    server
        .psql(&db.dbname, "INSERT INTO items VALUES (3, 'c');")
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        ids(&read_all(kafka, &topic)),
        [1, 2],
        "a paused connector emitted"
    );
    assert_eq!(
        rest.call("PUT", &format!("/connectors/{name}/resume"), None)
            .0,
        202
    );
    rest.wait_state(&name, "RUNNING", Some("RUNNING"));
    assert_eq!(ids(&read_records(kafka, &topic, 3, &mut node)), [1, 2, 3]);

    // Expanded listing.
    let (code, expanded) = rest.get("/connectors?expand=status&expand=info");
    assert_eq!(code, 200);
    assert_eq!(expanded[&name]["status"]["connector"]["state"], "RUNNING");
    assert_eq!(expanded[&name]["info"]["name"], name.as_str());

    // The config read back (secret masked) and sent back with a change keeps the secret.
    let (code, mut config) = rest.get(&format!("/connectors/{name}/config"));
    assert_eq!(code, 200);
    assert_eq!(config["database.password"], "[hidden]");
    config["tributary.transaction.max.events"] = json!("500");
    let (code, updated) = rest.call("PUT", &format!("/connectors/{name}/config"), Some(&config));
    assert_eq!(code, 200, "{updated}");
    assert_eq!(updated["config"]["tributary.transaction.max.events"], "500");
    let (code, patched) = rest.call(
        "PATCH",
        &format!("/connectors/{name}/config"),
        Some(&json!({"tributary.transaction.max.events": null})),
    );
    assert_eq!(code, 200, "{patched}");
    assert!(
        patched["config"]
            .get("tributary.transaction.max.events")
            .is_none()
    );
    rest.wait_state(&name, "RUNNING", Some("RUNNING"));
    server
        .psql(&db.dbname, "UPDATE items SET label = 'aa' WHERE id = 1;")
        .unwrap();
    let records = read_records(kafka, &topic, 4, &mut node);
    assert_eq!(
        ids(&records),
        [1, 2, 3, 1],
        "the kept password still connects"
    );

    // Metrics: what was committed, across the task's restarts, and the slot's retention.
    let wanted = [
        format!("tributary_events_total{{connector=\"{name}\",op=\"c\"}} 3"),
        format!("tributary_events_total{{connector=\"{name}\",op=\"u\"}} 1"),
        format!("tributary_records_total{{connector=\"{name}\",topic=\"{topic}\"}} 4"),
        format!("tributary_transaction_commit_seconds_count{{connector=\"{name}\"}}"),
    ];
    let gauge = |text: &str, metric: &str| {
        let prefix = format!("{metric}{{connector=\"{name}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
            .and_then(|v| v.parse::<i64>().ok())
    };
    let deadline = Instant::now() + deadline();
    let metrics = loop {
        let (code, text) = rest.get("/metrics");
        assert_eq!(code, 200);
        let text = text.as_str().unwrap_or_default().to_owned();
        let retained = gauge(&text, "tributary_source_retained_bytes");
        if wanted.iter().all(|w| text.contains(w.as_str())) && retained.is_some_and(|b| b >= 0) {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "metrics never showed {wanted:?}:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let behind = gauge(&metrics, "tributary_milliseconds_behind_source").unwrap();
    assert!(
        behind >= 0,
        "a streamed change was committed, so the lag is known: {behind}"
    );

    // Active topics, and their reset.
    let (code, active) = rest.get(&format!("/connectors/{name}/topics"));
    assert_eq!(code, 200);
    assert_eq!(active, json!({ name.as_str(): {"topics": [topic]} }));
    assert_eq!(
        rest.call("PUT", &format!("/connectors/{name}/topics/reset"), None)
            .0,
        202
    );
    assert_eq!(
        rest.get(&format!("/connectors/{name}/topics")).1,
        json!({ name.as_str(): {"topics": []} })
    );

    // Tasks.
    let (code, tasks) = rest.get(&format!("/connectors/{name}/tasks"));
    assert_eq!(code, 200);
    assert_eq!(tasks[0]["id"], json!({"connector": name, "task": 0}));
    assert_eq!(tasks[0]["config"]["database.password"], "[hidden]");
    let (code, task) = rest.get(&format!("/connectors/{name}/tasks/0/status"));
    assert_eq!(
        (code, task["id"].clone(), task["state"].clone()),
        (200, json!(0), json!("RUNNING"))
    );
    assert_eq!(
        rest.get(&format!("/connectors/{name}/tasks/1/status")).0,
        404
    );

    // Restarts: 204 plain, 202 with the restarting states otherwise; nothing repeated.
    assert_eq!(
        rest.call("POST", &format!("/connectors/{name}/restart"), None)
            .0,
        204
    );
    let (code, restarting) = rest.call(
        "POST",
        &format!("/connectors/{name}/restart?includeTasks=true"),
        None,
    );
    assert_eq!(code, 202, "{restarting}");
    assert_eq!(restarting["connector"]["state"], "RESTARTING");
    assert_eq!(restarting["tasks"][0]["state"], "RESTARTING");
    assert_eq!(
        rest.call("POST", &format!("/connectors/{name}/tasks/0/restart"), None)
            .0,
        204
    );
    rest.wait_state(&name, "RUNNING", Some("RUNNING"));
    server
        .psql(&db.dbname, "DELETE FROM items WHERE id = 2;")
        .unwrap();
    // The delete and its tombstone.
    let records = read_records(kafka, &topic, 6, &mut node);
    assert_eq!(ids(&records), [1, 2, 3, 1, 2], "{records:#?}");

    // Offsets: altering needs a STOPPED connector; reading works and shows the partition.
    let (code, refused) = rest.call(
        "PATCH",
        &format!("/connectors/{name}/offsets"),
        Some(&json!({"offsets": []})),
    );
    assert_eq!(code, 400);
    assert!(
        refused["message"].as_str().unwrap().contains("STOPPED"),
        "{refused}"
    );
    assert_eq!(
        rest.call("PUT", &format!("/connectors/{name}/stop"), None)
            .0,
        204
    );
    let status = rest.wait_state(&name, "STOPPED", None);
    assert_eq!(status["tasks"], json!([]));
    assert_eq!(
        rest.get(&format!("/connectors/{name}/tasks")),
        (200, json!([]))
    );
    let (code, offsets) = rest.get(&format!("/connectors/{name}/offsets"));
    assert_eq!(code, 200, "{offsets}");
    assert_eq!(offsets["offsets"][0]["partition"], json!({"server": name}));
    assert!(
        offsets["offsets"][0]["offset"]["lsn"].as_u64().is_some(),
        "{offsets}"
    );
    let (code, refused) = rest.call(
        "PATCH",
        &format!("/connectors/{name}/offsets"),
        Some(&json!({"offsets": [{"partition": {"server": "other"}, "offset": {"lsn": 1}}]})),
    );
    assert_eq!(code, 400);
    assert!(
        refused["message"].as_str().unwrap().contains("partition"),
        "{refused}"
    );

    // The node's state survives its restart: the connector comes back STOPPED, and
    // resumes where it stopped.
    assert!(node.terminate().success());
    let (mut node, rest) = start_node(&dir, kafka, &name);
    rest.wait_state(&name, "STOPPED", None);
    assert_eq!(
        rest.call("PUT", &format!("/connectors/{name}/resume"), None)
            .0,
        202
    );
    rest.wait_state(&name, "RUNNING", Some("RUNNING"));
    node.wait_for_log("streaming from PostgreSQL");
    server
        .psql(&db.dbname, "INSERT INTO items VALUES (4, 'd');")
        .unwrap();
    let records = read_records(kafka, &topic, 7, &mut node);
    assert_eq!(ids(&records), [1, 2, 3, 1, 2, 4], "{records:#?}");

    // Delete: 204, then 404 in Connect's error shape.
    assert_eq!(
        rest.call("DELETE", &format!("/connectors/{name}"), None).0,
        204
    );
    let (code, gone) = rest.get(&format!("/connectors/{name}"));
    assert_eq!((code, gone["error_code"].clone()), (404, json!(404)));
    assert_eq!(rest.get("/connectors"), (200, json!([])));
    assert!(node.terminate().success());
    drop_slot(server, &db, &name);
}

#[test]
fn a_failed_task_shows_its_trace_and_a_restart_recovers_it() {
    let server = Postgres::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let name = unique_name("restfail");
    server
        .psql(
            &db.dbname,
            "CREATE TABLE items (id int PRIMARY KEY, label text);",
        )
        .unwrap();
    let dir = tempdir(&name);
    let (mut node, rest) = start_node(&dir, kafka, &name);
    let mut body = pg_connector(&db, &name);
    body["config"]["publication.autocreate.mode"] = json!("disabled");
    assert_eq!(rest.call("POST", "/connectors", Some(&body)).0, 201);

    // The missing publication fails the task; the node keeps serving.
    let status = rest.wait_state(&name, "RUNNING", Some("FAILED"));
    let trace = status["tasks"][0]["trace"].as_str().unwrap();
    assert!(trace.contains("CREATE PUBLICATION"), "{trace}");
    let (code, only_failed) = rest.call(
        "POST",
        &format!("/connectors/{name}/restart?includeTasks=true&onlyFailed=true"),
        None,
    );
    assert_eq!(code, 202);
    assert_eq!(only_failed["tasks"][0]["state"], "RESTARTING");
    rest.wait_state(&name, "RUNNING", Some("FAILED"));

    server
        .psql(
            &db.dbname,
            &format!("CREATE PUBLICATION \"{name}\" FOR TABLE items;"),
        )
        .unwrap();
    assert_eq!(
        rest.call("POST", &format!("/connectors/{name}/tasks/0/restart"), None)
            .0,
        204
    );
    rest.wait_state(&name, "RUNNING", Some("RUNNING"));
    node.wait_for_log("streaming from PostgreSQL");
    server
        .psql(&db.dbname, "INSERT INTO items VALUES (1, 'a');")
        .unwrap();
    let records = read_records(kafka, &format!("{name}.public.items"), 1, &mut node);
    assert_eq!(ids(&records), [1]);
    // A running connector is not restarted by onlyFailed: 202 with its RUNNING state.
    let (code, untouched) = rest.call(
        "POST",
        &format!("/connectors/{name}/restart?includeTasks=true&onlyFailed=true"),
        None,
    );
    assert_eq!(
        (code, untouched["tasks"][0]["state"].clone()),
        (202, json!("RUNNING"))
    );
    assert_eq!(
        rest.call("DELETE", &format!("/connectors/{name}"), None).0,
        204
    );
    assert!(node.terminate().success());
    drop_slot(server, &db, &name);
}

#[test]
fn offsets_patched_on_a_stopped_mariadb_connector_replay_from_there() {
    let server = MariaDb::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let name = unique_name("restmy");
    let database = db.database.clone().unwrap();
    server
        .sql(&format!(
            "CREATE TABLE `{database}`.items (id int PRIMARY KEY, label text);"
        ))
        .unwrap();
    let dir = tempdir(&name);
    let topic = format!("{name}.{database}.items");
    let (mut node, rest) = start_node(&dir, kafka, &name);
    let body = json!({
        "name": name,
        "config": {
            "connector.class": "io.debezium.connector.mariadb.MariaDbConnector",
            "database.hostname": db.host,
            "database.port": db.port,
            "database.user": db.user,
            "database.password": db.password,
            "topic.prefix": name,
            "database.include.list": database,
            "schema.history.internal.kafka.topic": format!("{name}-history"),
        }
    });
    let (code, info) = rest.call("POST", "/connectors", Some(&body));
    assert_eq!(code, 201, "{info}");
    rest.wait_state(&name, "RUNNING", Some("RUNNING"));
    node.wait_for_log("streaming from the binlog");
    server
        .sql(&format!("INSERT INTO `{database}`.items VALUES (1, 'a');"))
        .unwrap();
    assert_eq!(ids(&read_records(kafka, &topic, 1, &mut node)), [1]);

    // Where the connector stood after row 1.
    assert_eq!(
        rest.call("PUT", &format!("/connectors/{name}/stop"), None)
            .0,
        204
    );
    let (code, after_first) = rest.get(&format!("/connectors/{name}/offsets"));
    assert_eq!(code, 200, "{after_first}");
    let offset = after_first["offsets"][0]["offset"].clone();
    assert!(
        offset["file"].is_string() && offset["pos"].is_u64(),
        "{after_first}"
    );

    assert_eq!(
        rest.call("PUT", &format!("/connectors/{name}/resume"), None)
            .0,
        202
    );
    rest.wait_state(&name, "RUNNING", Some("RUNNING"));
    server
        .sql(&format!("INSERT INTO `{database}`.items VALUES (2, 'b');"))
        .unwrap();
    assert_eq!(ids(&read_records(kafka, &topic, 2, &mut node)), [1, 2]);

    // A malformed offset is refused naming what it needs; the stored one is untouched.
    assert_eq!(
        rest.call("PUT", &format!("/connectors/{name}/stop"), None)
            .0,
        204
    );
    let partition = json!({"server": name});
    let (code, refused) = rest.call(
        "PATCH",
        &format!("/connectors/{name}/offsets"),
        Some(&json!({"offsets": [{"partition": partition, "offset": {"pos": "x"}}]})),
    );
    assert_eq!(code, 400, "{refused}");
    assert!(
        refused["message"].as_str().unwrap().contains("file"),
        "{refused}"
    );

    // Back to the position after row 1: resuming reads row 2 again (a replay asked for).
    let (code, altered) = rest.call(
        "PATCH",
        &format!("/connectors/{name}/offsets"),
        Some(&json!({"offsets": [{"partition": partition, "offset": offset}]})),
    );
    assert_eq!(code, 200, "{altered}");
    assert!(
        altered["message"].as_str().unwrap().contains("altered"),
        "{altered}"
    );
    let (_, stored) = rest.get(&format!("/connectors/{name}/offsets"));
    assert_eq!(stored["offsets"][0]["offset"], offset);
    assert_eq!(
        rest.call("PUT", &format!("/connectors/{name}/resume"), None)
            .0,
        202
    );
    rest.wait_state(&name, "RUNNING", Some("RUNNING"));
    assert_eq!(ids(&read_records(kafka, &topic, 3, &mut node)), [1, 2, 2]);

    // How far behind the server's binlog it reads: known (≥ 0) once a position is committed.
    let prefix = format!("tributary_source_binlog_files_behind{{connector=\"{name}\"}} ");
    let deadline = Instant::now() + deadline();
    loop {
        let (_, text) = rest.get("/metrics");
        let behind = text
            .as_str()
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
            .and_then(|v| v.parse::<i64>().ok());
        if behind.is_some_and(|b| b >= 0) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "files behind never measured: {text}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }

    // Reset: no offset stored any more.
    assert_eq!(
        rest.call("PUT", &format!("/connectors/{name}/stop"), None)
            .0,
        204
    );
    let (code, reset) = rest.call("DELETE", &format!("/connectors/{name}/offsets"), None);
    assert_eq!(code, 200, "{reset}");
    assert_eq!(
        rest.get(&format!("/connectors/{name}/offsets")),
        (200, json!({"offsets": []}))
    );
    assert!(node.terminate().success());
}

/// Debezium's tutorial registers this MySQL connector body (debezium.io, "Debezium
/// Tutorial", deploying the MySQL connector); it is sent as written there, apart from the
/// host names and port.
const DEBEZIUM_TUTORIAL_CONNECTOR: &str = r#"{
  "name": "inventory-connector",
  "config": {
    "connector.class": "io.debezium.connector.mysql.MySqlConnector",
    "tasks.max": "1",
    "database.hostname": "mysql",
    "database.port": "3306",
    "database.user": "debezium",
    "database.password": "dbz",
    "database.server.id": "184054",
    "topic.prefix": "dbserver1",
    "database.include.list": "inventory",
    "schema.history.internal.kafka.bootstrap.servers": "kafka:9092",
    "schema.history.internal.kafka.topic": "schemahistory.inventory"
  }
}"#;

#[test]
fn the_debezium_tutorial_connector_runs_unchanged_apart_from_host_names() {
    let server = MariaDb::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    // The tutorial's database and user, as its MySQL image has them.
    server
        .sql(
            "DROP DATABASE IF EXISTS inventory; CREATE DATABASE inventory;
             CREATE TABLE inventory.customers (id int PRIMARY KEY AUTO_INCREMENT,
               first_name varchar(255) NOT NULL, last_name varchar(255) NOT NULL,
               email varchar(255) NOT NULL UNIQUE) AUTO_INCREMENT = 1001;
             INSERT INTO inventory.customers VALUES (default, 'Sally', 'Thomas', 'sally.thomas@acme.com'),
               (default, 'George', 'Bailey', 'gbailey@foobar.com'),
               (default, 'Edward', 'Walker', 'ed@walker.com'),
               (default, 'Anne', 'Kretchmar', 'annek@noanswer.org');
             CREATE USER IF NOT EXISTS 'debezium'@'%' IDENTIFIED BY 'dbz';
             CREATE USER IF NOT EXISTS 'debezium'@'localhost' IDENTIFIED BY 'dbz';
             GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'debezium'@'%';
             GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'debezium'@'localhost';",
        )
        .unwrap();
    let name = unique_name("tutorial");
    let dir = tempdir(&name);
    let (mut node, rest) = start_node(&dir, kafka, &name);
    let body = DEBEZIUM_TUTORIAL_CONNECTOR
        .replace("\"mysql\"", &format!("\"{}\"", server.config().host))
        .replace("\"3306\"", &format!("\"{}\"", server.config().port))
        .replace("kafka:9092", &kafka.bootstrap_servers());
    let body: Value = serde_json::from_str(&body).unwrap();
    let (code, info) = rest.call("POST", "/connectors", Some(&body));
    assert_eq!(code, 201, "{info}");
    rest.wait_state("inventory-connector", "RUNNING", Some("RUNNING"));

    // The snapshot, then a change: Debezium's topic, key and envelope.
    let topic = "dbserver1.inventory.customers";
    let snapshot = read_records(kafka, topic, 4, &mut node);
    assert!(
        snapshot.iter().all(|r| r.op() == Some("r")),
        "{snapshot:#?}"
    );
    assert_eq!(ids(&snapshot), [1001, 1002, 1003, 1004]);
    let first = snapshot[0].value.as_ref().unwrap();
    assert_eq!(first["payload"]["source"]["connector"], "mysql");
    assert_eq!(first["payload"]["source"]["name"], "dbserver1");
    assert_eq!(first["payload"]["source"]["db"], "inventory");
    assert_eq!(first["payload"]["after"]["first_name"], "Sally");
    assert_eq!(
        snapshot[0].key.as_ref().unwrap()["payload"],
        json!({"id": 1001})
    );
    node.wait_for_log("streaming from the binlog");
    server
        .sql("UPDATE inventory.customers SET first_name = 'Anne Marie' WHERE id = 1004;")
        .unwrap();
    let records = read_records(kafka, topic, 5, &mut node);
    assert_eq!(records[4].op(), Some("u"));
    assert_eq!(
        records[4].field("before", "first_name"),
        Some(&json!("Anne"))
    );
    assert_eq!(
        records[4].field("after", "first_name"),
        Some(&json!("Anne Marie"))
    );
    // `tasks.max` is Connect's and has no effect here: accepted without a warning.
    assert!(!node.log().contains("property=tasks.max"), "{}", node.log());

    assert_eq!(
        rest.call("DELETE", "/connectors/inventory-connector", None)
            .0,
        204
    );
    assert!(node.terminate().success());
}

/// One HTTPS request with a client that trusts only `ca_pem`; returns the status code.
fn https_status(port: u16, ca_pem: &str, path: &str, authorization: Option<&str>) -> u16 {
    use rustls::pki_types::pem::PemObject;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let mut tls = connector.connect(name, tcp).await.unwrap();
        let auth = authorization.map_or_else(String::new, |a| format!("Authorization: {a}\r\n"));
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n{auth}Connection: close\r\n\r\n");
        tls.write_all(request.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        let _ = tls.read_to_end(&mut response).await;
        let text = String::from_utf8_lossy(&response);
        text.split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("no status in {text:?}"))
    })
}

#[test]
fn the_rest_api_can_require_a_token_and_serve_only_tls() {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let kafka = Kafka::shared().unwrap();
    let name = unique_name("resttls");
    let dir = tempdir(&name);
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    std::fs::write(dir.join("rest.crt"), cert.pem()).unwrap();
    std::fs::write(dir.join("rest.key"), key.serialize_pem()).unwrap();
    let mut properties = worker(kafka, &name);
    for (k, v) in [
        ("listeners", "https://127.0.0.1:8443".to_owned()),
        (
            "tributary.rest.tls.cert.file",
            dir.join("rest.crt").display().to_string(),
        ),
        (
            "tributary.rest.tls.key.file",
            dir.join("rest.key").display().to_string(),
        ),
        (
            "tributary.rest.auth.token",
            "${env:TRIBUTARY_TEST_REST_TOKEN}".to_owned(),
        ),
    ] {
        properties.push((k.to_owned(), v));
    }
    let (mut node, port) = Engine::serve_with_env(
        &dir,
        &properties,
        &[("TRIBUTARY_TEST_REST_TOKEN", "t0ken-s3cret")],
    );
    let deadline = Instant::now() + deadline();
    // Probes need no credentials.
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        node.assert_running();
        assert!(
            Instant::now() < deadline,
            "node never listened:\n{}",
            node.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let ca_pem = ca.pem();
    assert_eq!(https_status(port, &ca_pem, "/health", None), 200);
    assert_eq!(https_status(port, &ca_pem, "/connectors", None), 401);
    assert_eq!(
        https_status(port, &ca_pem, "/connectors", Some("Bearer wrong")),
        401
    );
    assert_eq!(
        https_status(port, &ca_pem, "/connectors", Some("Bearer t0ken-s3cret")),
        200
    );
    // Plain HTTP on the TLS port gets no answer.
    let plain = Rest::new(port);
    assert!(
        plain
            .agent
            .get(&format!("{}/connectors", plain.base))
            .call()
            .is_err()
    );
    assert!(!node.log().contains("t0ken-s3cret"), "the token was logged");
    assert!(node.terminate().success());
}

/// Issue 7's runtime trigger: an incremental snapshot started with `POST
/// /connectors/{name}/signals`, through the connector's Kafka signal topic (nothing is
/// written to the database); a malformed signal and a connector without the Kafka channel
/// are refused with the reason.
#[test]
fn an_incremental_snapshot_is_started_over_the_rest_api() {
    let server = Postgres::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let name = unique_name("restsig");
    server
        .psql(
            &db.dbname,
            "CREATE TABLE items (id int PRIMARY KEY, label text);
             INSERT INTO items SELECT g, 'row ' || g FROM generate_series(1, 250) g;",
        )
        .unwrap();
    let dir = tempdir(&name);
    let (mut node, rest) = start_node(&dir, kafka, &name);
    let mut body = pg_connector(&db, &name);
    body["config"]["snapshot.mode"] = json!("no_data");
    body["config"]["snapshot.fetch.size"] = json!("100");
    body["config"]["signal.enabled.channels"] = json!("kafka");
    assert_eq!(rest.call("POST", "/connectors", Some(&body)).0, 201);
    rest.wait_state(&name, "RUNNING", Some("RUNNING"));
    node.wait_for_log("streaming from PostgreSQL");

    let path = format!("/connectors/{name}/signals");
    let (code, refused) = rest.call(
        "POST",
        &path,
        Some(&json!({"type": "execute-snapshot", "data": {}})),
    );
    assert_eq!(code, 400, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("data-collections"),
        "{refused}"
    );
    let (code, sent) = rest.call(
        "POST",
        &path,
        Some(&json!({"type": "execute-snapshot",
                     "data": {"data-collections": ["public.items"], "type": "incremental"}})),
    );
    assert_eq!(code, 202, "{sent}");
    assert_eq!(sent["topic"], format!("{name}-signal"));
    let records = read_records(kafka, &format!("{name}.public.items"), 250, &mut node);
    assert!(records.iter().all(|r| r.op() == Some("r")), "{records:#?}");
    let markers: Vec<&Value> = records
        .iter()
        .filter_map(|r| r.value.as_ref()?.pointer("/payload/source/snapshot"))
        .collect();
    assert!(markers.iter().all(|m| *m == "incremental"), "{markers:?}");
    let mut seen = ids(&records);
    seen.sort_unstable();
    assert_eq!(seen, (1..=250).collect::<Vec<i64>>());

    // A connector that reads no Kafka signals: refused with the property to set.
    let other = format!("{name}_nosig");
    let mut plain = pg_connector(&db, &other);
    plain["config"]["snapshot.mode"] = json!("no_data");
    assert_eq!(rest.call("POST", "/connectors", Some(&plain)).0, 201);
    let (code, refused) = rest.call(
        "POST",
        &format!("/connectors/{other}/signals"),
        Some(&json!({"type": "pause-snapshot"})),
    );
    assert_eq!(code, 400, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("signal.enabled.channels"),
        "{refused}"
    );
    for connector in [&name, &other] {
        assert_eq!(
            rest.call("DELETE", &format!("/connectors/{connector}"), None)
                .0,
            204
        );
    }
    assert!(node.terminate().success());
    for slot in [&name, &other] {
        drop_slot(server, &db, slot);
    }
}
