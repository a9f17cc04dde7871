//! Every connector property Tributary reads, with its type, default and meaning: the one
//! list behind unknown-key warnings, the REST validate endpoint's definitions and
//! `docs/configuration.md` (generated from it; a test fails when the two differ, and the
//! parser asserts in debug builds that every key it reads is listed here).
//!
//! Names and defaults are Debezium's; `tributary.*` keys are Tributary's own.

use std::fmt::Write as _;

use super::Properties;

/// The value type, named as Kafka Connect's `ConfigDef.Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text.
    String,
    /// A whole number.
    Int,
    /// A whole number of milliseconds (or a large count).
    Long,
    /// `true` / `false`.
    Boolean,
    /// Comma-separated values (regular expressions for include/exclude lists).
    List,
    /// A secret: never logged, returned as `[hidden]`.
    Password,
    /// A Java class name (Tributary also accepts a short name).
    Class,
}

impl Kind {
    /// Connect's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::String => "STRING",
            Kind::Int => "INT",
            Kind::Long => "LONG",
            Kind::Boolean => "BOOLEAN",
            Kind::List => "LIST",
            Kind::Password => "PASSWORD",
            Kind::Class => "CLASS",
        }
    }
}

/// Which connectors read a property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applies {
    /// Every connector.
    All,
    /// PostgreSQL only.
    Postgres,
    /// MySQL and MariaDB only.
    Binlog,
}

/// One documented property.
#[derive(Debug, Clone, Copy)]
pub struct Property {
    /// The key.
    pub name: &'static str,
    /// Its type.
    pub kind: Kind,
    /// The default, as text (`None`: no default; required ones say so in `required`).
    pub default: Option<&'static str>,
    /// Whether a connector cannot start without it.
    pub required: bool,
    /// Which connectors read it.
    pub applies: Applies,
    /// The section of the reference it belongs to.
    pub group: &'static str,
    /// What it does.
    pub doc: &'static str,
}

const fn p(
    name: &'static str,
    kind: Kind,
    default: Option<&'static str>,
    applies: Applies,
    group: &'static str,
    doc: &'static str,
) -> Property {
    Property {
        name,
        kind,
        default,
        required: false,
        applies,
        group,
        doc,
    }
}

const fn required(
    name: &'static str,
    kind: Kind,
    applies: Applies,
    group: &'static str,
    doc: &'static str,
) -> Property {
    Property {
        name,
        kind,
        default: None,
        required: true,
        applies,
        group,
        doc,
    }
}

const CONNECTOR: &str = "Connector";
const DATABASE: &str = "Database";
const TABLES: &str = "Tables";
const EVENTS: &str = "Events and type mapping";
const SNAPSHOT: &str = "Snapshots";
const SIGNALS: &str = "Signals";
const HISTORY: &str = "Schema history (MySQL/MariaDB)";
const KAFKA: &str = "Kafka";
const CONVERTERS: &str = "Converters";
const ERRORS: &str = "Errors and retries";

use Applies::{All, Binlog, Postgres};
use Kind::{Boolean, Class, Int, List, Long, Password, String as Text};

/// Every property, in reference order.
pub const PROPERTIES: &[Property] = &[
    required(
        "name",
        Text,
        All,
        CONNECTOR,
        "The connector's name: part of its offset key and of the default `transactional.id`. Set from the URL by the REST API.",
    ),
    required(
        "connector.class",
        Class,
        All,
        CONNECTOR,
        "`io.debezium.connector.postgresql.PostgresConnector` (`postgres`), `io.debezium.connector.mysql.MySqlConnector` (`mysql`) or `io.debezium.connector.mariadb.MariaDbConnector` (`mariadb`).",
    ),
    required(
        "topic.prefix",
        Text,
        All,
        CONNECTOR,
        "Prefix of every topic name (`<prefix>.<schema|db>.<table>`) and the offsets' source partition `{\"server\": …}`. Debezium 1.x's `database.server.name` is read when this is unset.",
    ),
    p(
        "database.server.name",
        Text,
        None,
        All,
        CONNECTOR,
        "Debezium 1.x's name for `topic.prefix`; read only when `topic.prefix` is unset.",
    ),
    required(
        "database.hostname",
        Text,
        All,
        DATABASE,
        "The database server's host.",
    ),
    p(
        "database.port",
        Int,
        Some("5432 (PostgreSQL), 3306 (MySQL/MariaDB)"),
        All,
        DATABASE,
        "The database server's port.",
    ),
    required(
        "database.user",
        Text,
        All,
        DATABASE,
        "The user to connect as: REPLICATION (PostgreSQL) or REPLICATION SLAVE, REPLICATION CLIENT, SELECT, RELOAD (MySQL/MariaDB).",
    ),
    p(
        "database.password",
        Password,
        None,
        All,
        DATABASE,
        "The user's password; `${env:VAR}` or `${file:path:key}` keep it out of the configuration.",
    ),
    required(
        "database.dbname",
        Text,
        Postgres,
        DATABASE,
        "The PostgreSQL database to capture.",
    ),
    p(
        "database.sslmode",
        Text,
        Some("prefer"),
        Postgres,
        DATABASE,
        "`disable`, `prefer`, `require`, `verify-ca` or `verify-full`, as libpq.",
    ),
    p(
        "database.sslrootcert",
        Text,
        None,
        Postgres,
        DATABASE,
        "A PEM file of CA certificates for `verify-ca`/`verify-full` (default: the system's roots).",
    ),
    p(
        "plugin.name",
        Text,
        Some("pgoutput"),
        Postgres,
        DATABASE,
        "Only `pgoutput` is supported (decoderbufs and wal2json are refused).",
    ),
    p(
        "slot.name",
        Text,
        Some("debezium"),
        Postgres,
        DATABASE,
        "The logical replication slot, created when missing.",
    ),
    p(
        "slot.drop.on.stop",
        Boolean,
        Some("false"),
        Postgres,
        DATABASE,
        "Drop the slot when the connector stops cleanly (for tests and throw-away setups: the position is lost).",
    ),
    p(
        "publication.name",
        Text,
        Some("dbz_publication"),
        Postgres,
        DATABASE,
        "The publication the slot streams.",
    ),
    p(
        "publication.autocreate.mode",
        Text,
        Some("all_tables"),
        Postgres,
        DATABASE,
        "`all_tables` (create it FOR ALL TABLES), `filtered` (for the captured tables, kept in step with them) or `disabled` (it must exist).",
    ),
    p(
        "status.update.interval.ms",
        Long,
        Some("10000"),
        Postgres,
        DATABASE,
        "How often the replication connection reports its positions to the server.",
    ),
    p(
        "database.server.id",
        Long,
        Some("derived from `name`"),
        Binlog,
        DATABASE,
        "The replica id this connector registers with; unique among the server's replicas.",
    ),
    p(
        "binlog.heartbeat.interval.ms",
        Long,
        Some("30000"),
        Binlog,
        DATABASE,
        "The heartbeat period asked of the server, so a silent connection is noticed.",
    ),
    p(
        "schema.include.list",
        List,
        None,
        Postgres,
        TABLES,
        "Regular expressions of schemas to capture (whole-name match).",
    ),
    p(
        "schema.exclude.list",
        List,
        None,
        Postgres,
        TABLES,
        "Regular expressions of schemas not to capture.",
    ),
    p(
        "database.include.list",
        List,
        None,
        Binlog,
        TABLES,
        "Regular expressions of databases to capture (whole-name match).",
    ),
    p(
        "database.exclude.list",
        List,
        None,
        Binlog,
        TABLES,
        "Regular expressions of databases not to capture.",
    ),
    p(
        "table.include.list",
        List,
        None,
        All,
        TABLES,
        "Regular expressions of `schema.table` / `database.table` names to capture.",
    ),
    p(
        "table.exclude.list",
        List,
        None,
        All,
        TABLES,
        "Regular expressions of tables not to capture.",
    ),
    p(
        "decimal.handling.mode",
        Text,
        Some("precise"),
        All,
        EVENTS,
        "`precise` (Connect Decimal bytes), `double` or `string`.",
    ),
    p(
        "time.precision.mode",
        Text,
        Some("adaptive (PostgreSQL), adaptive_time_microseconds (MySQL)"),
        All,
        EVENTS,
        "`adaptive`, `adaptive_time_microseconds`, `connect`, `isostring`, `microseconds` or `nanoseconds`, as Debezium.",
    ),
    p(
        "binary.handling.mode",
        Text,
        Some("bytes"),
        All,
        EVENTS,
        "`bytes`, `base64`, `base64-url-safe` or `hex`.",
    ),
    p(
        "bigint.unsigned.handling.mode",
        Text,
        Some("long"),
        Binlog,
        EVENTS,
        "`long` or `precise` (Decimal) for BIGINT UNSIGNED.",
    ),
    p(
        "interval.handling.mode",
        Text,
        Some("numeric"),
        Postgres,
        EVENTS,
        "`numeric` (MicroDuration) or `string` (ISO 8601).",
    ),
    p(
        "hstore.handling.mode",
        Text,
        Some("json"),
        Postgres,
        EVENTS,
        "`json` or `map`.",
    ),
    p(
        "money.fraction.digits",
        Int,
        Some("2"),
        Postgres,
        EVENTS,
        "Digits after the point of `money` values.",
    ),
    p(
        "tombstones.on.delete",
        Boolean,
        Some("true"),
        All,
        EVENTS,
        "Write a tombstone (null value) after each delete event.",
    ),
    p(
        "provide.transaction.metadata",
        Boolean,
        Some("false"),
        All,
        EVENTS,
        "Add the `transaction` block and write BEGIN/END records to `<prefix>.transaction`.",
    ),
    p(
        "topic.transaction",
        Text,
        Some("transaction"),
        All,
        EVENTS,
        "The transaction-metadata topic's suffix.",
    ),
    p(
        "topic.heartbeat.prefix",
        Text,
        Some("__debezium-heartbeat"),
        All,
        EVENTS,
        "The heartbeat topic's prefix.",
    ),
    p(
        "include.unknown.datatypes",
        Boolean,
        Some("false"),
        All,
        EVENTS,
        "Emit columns of types without a mapping as bytes instead of leaving them out.",
    ),
    p(
        "skipped.operations",
        List,
        Some("t"),
        All,
        EVENTS,
        "Operations not emitted: any of `c`, `u`, `d`, `t`, or `none`.",
    ),
    p(
        "unavailable.value.placeholder",
        Text,
        Some("__debezium_unavailable_value"),
        Postgres,
        EVENTS,
        "What an unchanged TOASTed column carries (`hex:…` for bytes).",
    ),
    p(
        "message.key.columns",
        Text,
        None,
        All,
        EVENTS,
        "Key columns for tables without a primary key (or instead of it): `<table regex>:<col>,<col>;…`.",
    ),
    p(
        "source.version",
        Text,
        Some("Tributary's Debezium-compatible version"),
        All,
        EVENTS,
        "The `source.version` field's text.",
    ),
    p(
        "column.include.list",
        List,
        None,
        All,
        TABLES,
        "Regular expressions of `<schema|db>.<table>.<column>` names whose values are emitted (the others are left out of the value; key columns stay in the key).",
    ),
    p(
        "column.propagate.source.type",
        List,
        None,
        All,
        TABLES,
        "Regular expressions of full column names whose field schema gets `__debezium.source.column.type` (upper-cased), `…length` and `…scale` (when the column declares them).",
    ),
    p(
        "datatype.propagate.source.type",
        List,
        None,
        All,
        TABLES,
        "As `column.propagate.source.type`, for columns whose `<schema|db>.<table>.<type>` matches (case-insensitive), e.g. `.+\\.NUMERIC`.",
    ),
    p(
        "column.exclude.list",
        List,
        None,
        All,
        TABLES,
        "Regular expressions of columns left out of the value (never converted, never in Kafka or logs).",
    ),
    p(
        "snapshot.mode",
        Text,
        Some("initial"),
        All,
        SNAPSHOT,
        "`initial`, `initial_only`, `no_data` (also `never`, `schema_only`), `when_needed` or `always`.",
    ),
    p(
        "snapshot.fetch.size",
        Int,
        Some("10240"),
        All,
        SNAPSHOT,
        "Rows per snapshot chunk (a chunk and its progress commit together).",
    ),
    p(
        "snapshot.max.threads",
        Int,
        Some("1"),
        All,
        SNAPSHOT,
        "Tables an initial PostgreSQL snapshot reads in parallel.",
    ),
    p(
        "snapshot.locking.mode",
        Text,
        Some("minimal"),
        Binlog,
        SNAPSHOT,
        "`minimal` (a global read lock while the snapshot starts; `minimal_percona` is the same) or `none`.",
    ),
    p(
        "snapshot.select.statement.overrides",
        List,
        None,
        All,
        SNAPSHOT,
        "Tables whose snapshot SELECT is given by `snapshot.select.statement.overrides.<table>`.",
    ),
    p(
        "signal.data.collection",
        Text,
        None,
        All,
        SIGNALS,
        "The signal table (`schema.table` / `database.table`) whose inserted rows are signals.",
    ),
    p(
        "signal.enabled.channels",
        List,
        Some("source"),
        All,
        SIGNALS,
        "Channels signals are read from: `source` (the signal table) and `kafka`.",
    ),
    p(
        "signal.kafka.topic",
        Text,
        Some("<topic.prefix>-signal"),
        All,
        SIGNALS,
        "The Kafka signal topic (one partition).",
    ),
    p(
        "signal.kafka.bootstrap.servers",
        Text,
        Some("bootstrap.servers"),
        All,
        SIGNALS,
        "The Kafka cluster of the signal topic.",
    ),
    p(
        "signal.kafka.groupId",
        Text,
        Some("kafka-signal"),
        All,
        SIGNALS,
        "The signal consumer's group (its position is kept in the connector's offset).",
    ),
    p(
        "signal.kafka.poll.timeout.ms",
        Long,
        Some("100"),
        All,
        SIGNALS,
        "How often the signal topic is checked.",
    ),
    p(
        "schema.history.internal",
        Class,
        Some("io.debezium.storage.kafka.history.KafkaSchemaHistory"),
        Binlog,
        HISTORY,
        "Where DDL history is kept: `…KafkaSchemaHistory` (`kafka`) or `io.debezium.storage.file.history.FileSchemaHistory` (`file`).",
    ),
    p(
        "schema.history.internal.kafka.topic",
        Text,
        None,
        Binlog,
        HISTORY,
        "The history topic (required for the Kafka store; one partition, infinite retention).",
    ),
    p(
        "schema.history.internal.kafka.bootstrap.servers",
        Text,
        Some("bootstrap.servers"),
        Binlog,
        HISTORY,
        "The Kafka cluster of the history topic.",
    ),
    p(
        "schema.history.internal.file.filename",
        Text,
        None,
        Binlog,
        HISTORY,
        "The history file (required for the file store).",
    ),
    p(
        "schema.history.internal.skip.unparseable.ddl",
        Boolean,
        Some("false"),
        Binlog,
        HISTORY,
        "Skip DDL that cannot be parsed instead of stopping.",
    ),
    required(
        "bootstrap.servers",
        Text,
        All,
        KAFKA,
        "The Kafka cluster records and offsets are written to (a worker property of `tributary serve`).",
    ),
    p(
        "offset.storage.topic",
        Text,
        Some("connect-offsets"),
        All,
        KAFKA,
        "The offsets topic, in Kafka Connect's format.",
    ),
    p(
        "transactional.id",
        Text,
        Some("<name>-0"),
        All,
        KAFKA,
        "The producer's transactional id; a second instance with it fences the first.",
    ),
    p(
        "tributary.kafka.timeout.ms",
        Long,
        Some("30000"),
        All,
        KAFKA,
        "Limit on each blocking Kafka call (transaction start, commit, offsets read).",
    ),
    p(
        "tributary.transaction.max.events",
        Int,
        Some("20000"),
        All,
        KAFKA,
        "Most records in one Kafka transaction.",
    ),
    p(
        "tributary.transaction.max.bytes",
        Int,
        Some("16777216"),
        All,
        KAFKA,
        "Most record bytes in one Kafka transaction.",
    ),
    p(
        "tributary.transaction.max.ms",
        Long,
        Some("100"),
        All,
        KAFKA,
        "The longest a change waits for its commit under light load.",
    ),
    p(
        "errors.retry.timeout",
        Long,
        Some("-1"),
        All,
        ERRORS,
        "How long (ms) transient failures are retried before the connector fails; -1: no limit, 0: no retry.",
    ),
    p(
        "errors.retry.delay.max.ms",
        Long,
        Some("60000"),
        All,
        ERRORS,
        "The longest wait between retries (the backoff doubles from 500 ms, with jitter).",
    ),
    p(
        "errors.max.retries",
        Long,
        Some("-1"),
        All,
        ERRORS,
        "Consecutive retries before the connector fails; -1: no limit.",
    ),
    p(
        "key.converter",
        Class,
        Some("org.apache.kafka.connect.json.JsonConverter"),
        All,
        CONVERTERS,
        "`org.apache.kafka.connect.json.JsonConverter` (`json`) or `io.confluent.connect.avro.AvroConverter` (`avro`).",
    ),
    p(
        "value.converter",
        Class,
        Some("org.apache.kafka.connect.json.JsonConverter"),
        All,
        CONVERTERS,
        "As `key.converter`, for values.",
    ),
    p(
        "transforms",
        List,
        None,
        All,
        CONVERTERS,
        "Single Message Transforms, configured under `transforms.<alias>.*` (see docs/transforms.md).",
    ),
    p(
        "predicates",
        List,
        None,
        All,
        CONVERTERS,
        "Transform predicates, configured under `predicates.<alias>.*`.",
    ),
];

/// Families of keys accepted by prefix, with what they configure.
pub const PREFIXES: &[(&str, &str)] = &[
    (
        "key.converter.",
        "Options of the key converter: `schemas.enable`, `schema.registry.url`, `auto.register.schemas`, `basic.auth.credentials.source`, `basic.auth.user.info`.",
    ),
    (
        "value.converter.",
        "Options of the value converter (as `key.converter.`).",
    ),
    ("transforms.", "A transform's `type` and options."),
    ("predicates.", "A predicate's `type` and options."),
    (
        "producer.",
        "librdkafka producer settings (e.g. `producer.compression.type`).",
    ),
    (
        "producer.override.",
        "As `producer.`, in Kafka Connect's per-connector spelling.",
    ),
    (
        "signal.consumer.",
        "librdkafka consumer settings of the Kafka signal channel.",
    ),
    (
        "snapshot.select.statement.overrides.",
        "`snapshot.select.statement.overrides.<table>`: that table's snapshot SELECT.",
    ),
    (
        "column.mask.with.",
        "`column.mask.with.<N>.chars`: regular expressions of character columns whose values become N `*` (NULL included; the field schema gets `masked=true`, as Debezium).",
    ),
    (
        "column.truncate.to.",
        "`column.truncate.to.<N>.chars`: regular expressions of character columns cut to N characters.",
    ),
    (
        "column.mask.hash.",
        "`column.mask.hash[.v2].<algorithm>.with.salt.<salt>`: character columns replaced by the salted hash (MD5, SHA-1, SHA-256, SHA-384, SHA-512; lowercase hex cut to the column length), byte-identical to Debezium (`v1`: the value's Java serialization, `v2`: its UTF-8 bytes).",
    ),
];

/// Debezium and Connect keys that are accepted and have no effect here, with why.
pub const NO_EFFECT: &[(&str, &str)] = &[
    (
        "tasks.max",
        "a connector always runs one task, as Debezium's do",
    ),
    ("errors.log.enable", "errors are always logged"),
    ("errors.log.include.messages", "row values are never logged"),
    (
        "group.id",
        "a Kafka Connect worker property (no cluster protocol here)",
    ),
    (
        "config.storage.topic",
        "a Kafka Connect worker property (`tributary serve` keeps configs in its state directory)",
    ),
    (
        "status.storage.topic",
        "a Kafka Connect worker property (`tributary serve` keeps states in its state directory)",
    ),
    (
        "config.storage.replication.factor",
        "a Kafka Connect worker property",
    ),
    (
        "offset.storage.replication.factor",
        "a Kafka Connect worker property",
    ),
    (
        "status.storage.replication.factor",
        "a Kafka Connect worker property",
    ),
    (
        "offset.flush.interval.ms",
        "offsets are committed with every Kafka transaction, not flushed on a timer",
    ),
    ("plugin.path", "a Kafka Connect worker property"),
];

/// Properties of `tributary serve`'s worker file that configure the node itself; every
/// other worker property is a default for each connector.
pub const WORKER_PROPERTIES: &[(&str, &str, &str)] = &[
    (
        "listeners",
        "http://127.0.0.1:8083",
        "The REST listener, `http://<ip>:<port>` or `https://<ip>:<port>` (one). Loopback by default.",
    ),
    (
        "tributary.state.dir",
        "./tributary-state",
        "Where connector configurations and target states are kept (a file per connector).",
    ),
    (
        "tributary.rest.auth.token",
        "—",
        "Require `Authorization: Bearer <token>` on every path but `/health`.",
    ),
    (
        "tributary.rest.auth.basic",
        "—",
        "Require HTTP basic credentials, given as `user:password` (use `${env:VAR}`).",
    ),
    (
        "tributary.rest.tls.cert.file",
        "—",
        "PEM certificate chain for an `https://` listener.",
    ),
    (
        "tributary.rest.tls.key.file",
        "—",
        "PEM private key for an `https://` listener.",
    ),
];

/// The property of that name.
pub fn lookup(name: &str) -> Option<&'static Property> {
    PROPERTIES.iter().find(|p| p.name == name)
}

/// Whether `name` is read by Tributary (listed, by prefix, or accepted without effect).
pub fn is_known(name: &str) -> bool {
    lookup(name).is_some()
        || PREFIXES.iter().any(|(prefix, _)| name.starts_with(prefix))
        || NO_EFFECT.iter().any(|(key, _)| *key == name)
}

/// The keys of `properties` nothing reads: each is worth a warning (a typo, or a Debezium
/// option Tributary does not have).
pub fn unknown_keys(properties: &Properties) -> Vec<&str> {
    properties
        .keys()
        .map(String::as_str)
        .filter(|k| !is_known(k))
        .collect()
}

/// `docs/configuration.md`.
pub fn render_markdown() -> String {
    let mut out = String::from(
        "# Configuration reference\n\n\
         Generated from `engine/src/config/catalogue.rs` (a test fails when this file and the \
         catalogue differ; regenerate with `TRIBUTARY_BLESS=1 cargo test -p tributary \
         configuration_reference`). Names and defaults are Debezium's; `tributary.*` keys are \
         Tributary's own. A configuration is a Java `.properties` file, Kafka Connect's JSON \
         body (`{\"name\": …, \"config\": {…}}`) or a flat JSON object, or TOML (`.toml`) or \
         YAML (`.yaml`, `.yml`) in either shape (nested keys are joined with `.`, lists with \
         `,`). Any value may be an indirection: `${env:VAR}` or \
         `${file:/path/to.properties:key}`. Unknown keys are logged as warnings at start.\n",
    );
    let mut groups: Vec<&str> = Vec::new();
    for property in PROPERTIES {
        if !groups.contains(&property.group) {
            groups.push(property.group);
        }
    }
    for group in groups {
        let _ = write!(
            out,
            "\n## {group}\n\n| property | type | default | connectors | meaning |\n|---|---|---|---|---|\n"
        );
        for property in PROPERTIES.iter().filter(|p| p.group == group) {
            let default = match (property.required, property.default) {
                (true, _) => "required".to_owned(),
                (false, Some(d)) => format!("`{d}`"),
                (false, None) => "—".to_owned(),
            };
            let applies = match property.applies {
                Applies::All => "all",
                Applies::Postgres => "PostgreSQL",
                Applies::Binlog => "MySQL, MariaDB",
            };
            let _ = writeln!(
                out,
                "| `{}` | {} | {default} | {applies} | {} |",
                property.name,
                property.kind.as_str(),
                property.doc.replace('|', "\\|")
            );
        }
    }
    out.push_str(
        "\n## Worker properties (`tributary serve --config`)\n\n\
         Every other worker property (`bootstrap.servers`, `offset.storage.topic`, converters, \
         `producer.*`, …) is a default for each connector registered on the node.\n\n\
         | property | default | meaning |\n|---|---|---|\n",
    );
    for (key, default, doc) in WORKER_PROPERTIES {
        let _ = writeln!(out, "| `{key}` | `{default}` | {doc} |");
    }
    out.push_str("\n## Key families\n\n| prefix | meaning |\n|---|---|\n");
    for (prefix, doc) in PREFIXES {
        let _ = writeln!(out, "| `{prefix}*` | {doc} |");
    }
    out.push_str("\n## Accepted without effect\n\n| property | why |\n|---|---|\n");
    for (key, why) in NO_EFFECT {
        let _ = writeln!(out, "| `{key}` | {why} |");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_reference_matches_the_catalogue() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/configuration.md");
        let expected = render_markdown();
        if std::env::var_os("TRIBUTARY_BLESS").is_some() {
            std::fs::write(path, &expected).unwrap();
        }
        let actual = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            actual == expected,
            "docs/configuration.md is out of date with engine/src/config/catalogue.rs; \
             regenerate it: TRIBUTARY_BLESS=1 cargo test -p tributary configuration_reference"
        );
    }

    #[test]
    fn every_envelope_option_is_documented() {
        for key in tributary_envelope::options::PROPERTY_NAMES {
            assert!(
                lookup(key).is_some(),
                "envelope option '{key}' is not in the catalogue"
            );
        }
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = PROPERTIES.iter().map(|p| p.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "a property is listed twice");
    }

    #[test]
    fn typos_and_foreign_options_are_reported_and_families_are_not() {
        let properties: Properties = [
            "table.incude.list",
            "transforms.unwrap.type",
            "producer.compression.type",
            "tasks.max",
            "snapshot.mode",
        ]
        .iter()
        .map(|k| ((*k).to_owned(), "x".to_owned()))
        .collect();
        assert_eq!(unknown_keys(&properties), vec!["table.incude.list"]);
    }
}
