//! Connector configuration: Debezium's property names and defaults, read once at the edge
//! into typed structs.
//!
//! A configuration arrives as a flat property map ([`properties`]: `.properties`, Connect's
//! JSON body, config-provider indirections) and is validated here into a
//! [`ConnectorConfig`]. Everything after this point works with typed values; an invalid
//! setting is an error naming the key, the value and what is allowed — secrets are never
//! echoed.

pub mod catalogue;
mod filter;
pub mod properties;

use std::time::Duration;

use tributary_envelope::EnvelopeOptions;
use tributary_envelope::table::ConnectorKind;
use tributary_envelope::transform::TransformChain;

pub use filter::TableFilter;
pub use properties::Properties;

use crate::mysql::client::{BinlogReaderConfig, MySqlConnectOptions};
use crate::postgres::{PgConnectOptions, PublicationAutocreate, Secret, SslMode, TlsOptions};
use crate::registry::{BasicAuth, RegistryConfig};

/// Properties whose values are secrets: never logged, never returned.
pub const SECRET_KEYS: &[&str] = &[
    "database.password",
    "key.converter.basic.auth.user.info",
    "value.converter.basic.auth.user.info",
];

/// A configuration that cannot be used; names the key at fault and what is allowed. A retry
/// cannot help: the configuration must change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A required property is not set.
    #[error("missing required property '{key}': {hint}")]
    Missing {
        /// The property.
        key: &'static str,
        /// What it is for.
        hint: &'static str,
    },
    /// A property has a value that is not allowed.
    #[error("invalid value '{value}' for property '{key}': allowed: {allowed}")]
    Invalid {
        /// The property.
        key: &'static str,
        /// The value given (never a secret's).
        value: String,
        /// What would be accepted.
        allowed: String,
    },
    /// Properties that cannot be set together.
    #[error("conflicting properties {keys}: {detail}")]
    Conflict {
        /// The properties.
        keys: &'static str,
        /// Why.
        detail: String,
    },
    /// The configuration file could not be read or parsed.
    #[error("configuration file '{path}': {detail}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        detail: String,
    },
    /// A `${provider:…}` reference could not be resolved.
    #[error("property '{key}': cannot resolve '{reference}': {detail}")]
    Indirection {
        /// The property.
        key: String,
        /// The reference as written.
        reference: String,
        /// What went wrong.
        detail: String,
    },
    /// A transform or predicate (`transforms.*`, `predicates.*`) is invalid.
    #[error(transparent)]
    Transform(#[from] tributary_envelope::transform::TransformConfigError),
    /// An envelope option (`decimal.handling.mode`, …) is invalid.
    #[error(transparent)]
    Envelope(#[from] tributary_envelope::OptionsError),
}

/// A connector, validated. Its `Debug` output masks secrets.
#[derive(Clone)]
pub struct ConnectorConfig {
    /// `name`: the connector's name, part of its offset key and transactional id.
    pub name: String,
    /// From `connector.class`.
    pub connector: ConnectorKind,
    /// `topic.prefix` (or Debezium 1.x's `database.server.name`).
    pub topic_prefix: String,
    /// The include/exclude lists.
    pub tables: TableFilter,
    /// The envelope and type-mapping options.
    pub envelope: EnvelopeOptions,
    /// Database-specific settings.
    pub source: SourceConfig,
    /// Where records and offsets go.
    pub kafka: KafkaConfig,
    /// `key.converter` and `value.converter`.
    pub converters: Converters,
    /// How many changes go into one Kafka transaction.
    pub transaction_limits: TransactionLimits,
    /// `snapshot.*`.
    pub snapshot: SnapshotConfig,
    /// `errors.*`: how long transient failures are retried.
    pub retry: RetryPolicy,
    /// Every property as given (transforms and later options read from it).
    pub properties: Properties,
}

/// How table data is snapshotted (`snapshot.*`).
#[derive(Debug, Clone)]
pub struct SnapshotConfig {
    /// `snapshot.mode` (default `initial`).
    pub mode: tributary_snapshot::SnapshotMode,
    /// `snapshot.fetch.size`: rows per chunk (default 10240, Debezium's).
    pub fetch_size: u64,
    /// `snapshot.max.threads`: tables read in parallel by an initial snapshot (default 1).
    pub max_threads: usize,
    /// `snapshot.select.statement.overrides` and its per-table
    /// `snapshot.select.statement.overrides.<table>` statements, by table name.
    pub select_overrides: Vec<(String, String)>,
    /// `signal.data.collection`: the signal table (`schema.table` / `database.table`) whose
    /// inserted rows start, stop, pause and resume incremental snapshots.
    pub signal_table: Option<(String, String)>,
    /// The Kafka signal channel, when `signal.enabled.channels` lists `kafka`.
    pub kafka_signals: Option<KafkaSignalConfig>,
}

/// Debezium's Kafka signal channel: messages keyed by `topic.prefix` on a topic of one
/// partition, each value `{"type": …, "data": {…}}`.
#[derive(Clone)]
pub struct KafkaSignalConfig {
    /// `signal.kafka.topic` (default `<topic.prefix>-signal`, Debezium's).
    pub topic: String,
    /// `signal.kafka.bootstrap.servers` (default: the connector's `bootstrap.servers`).
    pub bootstrap_servers: String,
    /// `signal.kafka.groupId` (default `kafka-signal`). The channel assigns its partition
    /// itself and keeps its position in the connector's offset, not in this group.
    pub group_id: String,
    /// `signal.consumer.*` properties, passed to librdkafka.
    pub consumer_overrides: Vec<(String, String)>,
    /// `signal.kafka.poll.timeout.ms` (default 100): how often the topic is checked.
    pub poll_interval: Duration,
}

impl std::fmt::Debug for KafkaSignalConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Consumer overrides may hold SASL credentials: names only.
        let overrides: Vec<&str> = self
            .consumer_overrides
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        f.debug_struct("KafkaSignalConfig")
            .field("topic", &self.topic)
            .field("bootstrap_servers", &self.bootstrap_servers)
            .field("group_id", &self.group_id)
            .field("consumer_overrides", &overrides)
            .field("poll_interval", &self.poll_interval)
            .finish()
    }
}

impl SnapshotConfig {
    /// Whether `namespace`.`table` is the signal table.
    pub fn is_signal_table(&self, namespace: &str, table: &str) -> bool {
        self.signal_table
            .as_ref()
            .is_some_and(|(n, t)| n == namespace && t == table)
    }

    /// The override statement for `table` (`<schema>.<table>` / `<database>.<table>`).
    pub fn select_override(&self, table: &str) -> Option<&str> {
        self.select_overrides
            .iter()
            .find(|(t, _)| t == table)
            .map(|(_, sql)| sql.as_str())
    }
}

/// The database side.
#[derive(Debug, Clone)]
pub enum SourceConfig {
    /// PostgreSQL logical replication.
    Postgres(PostgresConfig),
    /// MySQL/MariaDB binlog.
    MySql(MySqlConfig),
}

/// PostgreSQL settings.
#[derive(Debug, Clone)]
pub struct PostgresConfig {
    /// `database.*`.
    pub connect: PgConnectOptions,
    /// `slot.name` (default `debezium`).
    pub slot_name: String,
    /// `publication.name` (default `dbz_publication`).
    pub publication_name: String,
    /// `publication.autocreate.mode` (default `all_tables`); `filtered` is resolved against
    /// the catalog at start.
    pub publication_autocreate: PublicationAutocreateMode,
    /// `slot.drop.on.stop` (default false).
    pub slot_drop_on_stop: bool,
    /// `status.update.interval.ms` (default 10 s).
    pub status_interval: Duration,
}

/// `publication.autocreate.mode` before the table list is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicationAutocreateMode {
    /// `all_tables`.
    AllTables,
    /// `filtered`.
    Filtered,
    /// `disabled`.
    Disabled,
}

impl PublicationAutocreateMode {
    /// The preflight mode for the captured tables.
    pub fn resolve(self, tables: Vec<(String, String)>) -> PublicationAutocreate {
        match self {
            Self::AllTables => PublicationAutocreate::AllTables,
            Self::Filtered => PublicationAutocreate::Filtered(tables),
            Self::Disabled => PublicationAutocreate::Disabled,
        }
    }
}

/// MySQL/MariaDB settings.
#[derive(Debug, Clone)]
pub struct MySqlConfig {
    /// `database.*`, including `database.server.id`.
    pub connect: MySqlConnectOptions,
    /// Reader pacing (`heartbeat.interval.ms` for the binlog heartbeat).
    pub reader: BinlogReaderConfig,
    /// Where the schema history lives (`schema.history.internal*`).
    pub history: HistoryStoreConfig,
    /// `schema.history.internal.skip.unparseable.ddl` (default false).
    pub skip_unparseable_ddl: bool,
    /// `snapshot.locking.mode`: `minimal` (default: a global read lock while the snapshot
    /// transaction starts and the schema is read) or `none` (no lock; no DDL may run on
    /// captured tables meanwhile).
    pub snapshot_locking: crate::mysql::schema::SnapshotLocking,
}

/// The schema history store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryStoreConfig {
    /// `io.debezium.storage.kafka.history.KafkaSchemaHistory` (Debezium's default):
    /// `schema.history.internal.kafka.topic` on
    /// `schema.history.internal.kafka.bootstrap.servers` (default `bootstrap.servers`).
    Kafka {
        /// The bootstrap servers.
        bootstrap_servers: String,
        /// The topic.
        topic: String,
    },
    /// `io.debezium.storage.file.history.FileSchemaHistory`:
    /// `schema.history.internal.file.filename`.
    File {
        /// The file.
        path: std::path::PathBuf,
    },
}

/// Kafka settings. `Debug` names the producer overrides without their values (they may
/// hold SASL credentials).
#[derive(Clone)]
pub struct KafkaConfig {
    /// `bootstrap.servers`.
    pub bootstrap_servers: String,
    /// `offset.storage.topic` (default `connect-offsets`, Kafka Connect's usual name, so
    /// Connect tools find the offsets).
    pub offsets_topic: String,
    /// `transactional.id` (default `<name>-0`).
    pub transactional_id: String,
    /// `producer.override.*` and `producer.*` properties, passed to librdkafka.
    pub producer_overrides: Vec<(String, String)>,
    /// Limit on each blocking transactional call (`tributary.kafka.timeout.ms`, 30 s).
    pub timeout: Duration,
}

impl std::fmt::Debug for KafkaConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let overrides: Vec<&str> = self
            .producer_overrides
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        f.debug_struct("KafkaConfig")
            .field("bootstrap_servers", &self.bootstrap_servers)
            .field("offsets_topic", &self.offsets_topic)
            .field("transactional_id", &self.transactional_id)
            .field("producer_overrides", &overrides)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The two converters.
#[derive(Debug, Clone)]
pub struct Converters {
    /// `key.converter`.
    pub key: ConverterKind,
    /// `value.converter`.
    pub value: ConverterKind,
}

/// One converter.
#[derive(Debug, Clone)]
pub enum ConverterKind {
    /// `org.apache.kafka.connect.json.JsonConverter` with `schemas.enable`.
    Json {
        /// `<prefix>.schemas.enable` (default true).
        schemas_enable: bool,
    },
    /// `io.confluent.connect.avro.AvroConverter`.
    Avro(RegistryConfig),
}

/// How a connector retries after a transient failure (a lost connection, Kafka briefly
/// unavailable): restart from the stored offset with jittered exponential backoff, until
/// one of the limits says give up — then the connector fails (the sidecar exits non-zero,
/// the REST runtime shows the task FAILED).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// `errors.retry.timeout` (ms; default -1: no limit): give up once failures have lasted
    /// this long without a successful minute in between; 0 means never retry.
    pub timeout: Option<Duration>,
    /// `errors.retry.delay.max.ms` (default 60000): the longest wait between attempts.
    pub max_delay: Duration,
    /// `errors.max.retries` (Debezium's; default -1: no limit): give up after this many
    /// consecutive retries.
    pub max_retries: Option<u64>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            timeout: None,
            max_delay: Duration::from_secs(60),
            max_retries: None,
        }
    }
}

/// Bounds of one Kafka transaction: whichever is reached first ends it (at a source
/// transaction boundary when possible).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransactionLimits {
    /// `tributary.transaction.max.events` (default 20 000).
    pub max_events: usize,
    /// `tributary.transaction.max.bytes` (default 16 MiB).
    pub max_bytes: usize,
    /// `tributary.transaction.max.ms` (default 100 ms): the longest a change waits for its
    /// commit under light load.
    pub max_wait: Duration,
}

impl Default for TransactionLimits {
    fn default() -> Self {
        Self {
            max_events: 20_000,
            max_bytes: 16 << 20,
            max_wait: Duration::from_millis(100),
        }
    }
}

impl std::fmt::Debug for ConnectorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectorConfig")
            .field("name", &self.name)
            .field("connector", &self.connector)
            .field("topic_prefix", &self.topic_prefix)
            .field("source", &self.source)
            .field("kafka", &self.kafka)
            .field("transaction_limits", &self.transaction_limits)
            .field("properties", &self.masked_properties())
            .finish_non_exhaustive()
    }
}

impl ConnectorConfig {
    /// Validates `properties` into a connector configuration.
    pub fn from_properties(properties: Properties) -> Result<Self, ConfigError> {
        let p = Reader(&properties);
        let name = p.required("name", "the connector's name")?.to_owned();
        let connector = connector_kind(p.required(
            "connector.class",
            "io.debezium.connector.postgresql.PostgresConnector, \
             io.debezium.connector.mysql.MySqlConnector or \
             io.debezium.connector.mariadb.MariaDbConnector",
        )?)?;
        let topic_prefix = match p.get("topic.prefix").or(p.get("database.server.name")) {
            Some(prefix) => prefix.to_owned(),
            None => {
                return Err(ConfigError::Missing {
                    key: "topic.prefix",
                    hint: "the prefix of every topic name and the offsets' server partition",
                });
            }
        };
        let binlog = connector.is_binlog();
        let tables = TableFilter::new(
            binlog,
            p.get(if binlog {
                "database.include.list"
            } else {
                "schema.include.list"
            }),
            p.get(if binlog {
                "database.exclude.list"
            } else {
                "schema.exclude.list"
            }),
            p.get("table.include.list"),
            p.get("table.exclude.list"),
        )?;
        let envelope = EnvelopeOptions::from_properties(
            connector,
            properties
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .chain(std::iter::once(("topic.prefix", topic_prefix.as_str()))),
        )?;
        let source = if binlog {
            SourceConfig::MySql(mysql_config(&p, &name)?)
        } else {
            SourceConfig::Postgres(postgres_config(&p)?)
        };
        let kafka = KafkaConfig {
            bootstrap_servers: p
                .required("bootstrap.servers", "the Kafka cluster to write to")?
                .to_owned(),
            offsets_topic: p
                .get("offset.storage.topic")
                .unwrap_or("connect-offsets")
                .to_owned(),
            transactional_id: p
                .get("transactional.id")
                .map_or_else(|| format!("{name}-0"), str::to_owned),
            producer_overrides: producer_overrides(&properties),
            timeout: p.millis("tributary.kafka.timeout.ms", 30_000)?,
        };
        let converters = Converters {
            key: converter(&p, "key.converter")?,
            value: converter(&p, "value.converter")?,
        };
        // Validated here, at the edge; each run builds its own chain (it owns caches).
        TransformChain::from_properties(properties.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
        let defaults = TransactionLimits::default();
        let transaction_limits = TransactionLimits {
            max_events: p.positive("tributary.transaction.max.events", defaults.max_events)?,
            max_bytes: p.positive("tributary.transaction.max.bytes", defaults.max_bytes)?,
            max_wait: p.millis("tributary.transaction.max.ms", 100)?,
        };
        let snapshot = snapshot_config(&p)?;
        let retry = RetryPolicy {
            timeout: p
                .optional_limit("errors.retry.timeout")?
                .map(Duration::from_millis),
            max_delay: p.millis("errors.retry.delay.max.ms", 60_000)?,
            max_retries: p.optional_limit("errors.max.retries")?,
        };
        Ok(Self {
            name,
            connector,
            topic_prefix,
            tables,
            envelope,
            source,
            kafka,
            converters,
            transaction_limits,
            snapshot,
            retry,
            properties,
        })
    }

    /// Properties nothing reads (typos, or Debezium options Tributary does not have).
    pub fn unknown_properties(&self) -> Vec<&str> {
        catalogue::unknown_keys(&self.properties)
    }

    /// Logs a warning for each of [`unknown_properties`](Self::unknown_properties).
    pub fn warn_unknown_properties(&self) {
        for key in self.unknown_properties() {
            tracing::warn!(connector = %self.name, property = key, "unknown property ignored: a typo, or an option Tributary does not have (see docs/configuration.md)");
        }
    }

    /// The properties with secrets masked, for logs and the REST API.
    pub fn masked_properties(&self) -> Properties {
        mask_secrets(&self.properties)
    }

    /// A fresh transform chain (`transforms=…`), already validated.
    pub fn transform_chain(&self) -> Result<TransformChain, ConfigError> {
        Ok(TransformChain::from_properties(
            self.properties
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        )?)
    }
}

/// `properties` with every secret replaced by `[hidden]`, as Kafka Connect shows them.
pub fn mask_secrets(properties: &Properties) -> Properties {
    properties
        .iter()
        .map(|(k, v)| {
            let secret = SECRET_KEYS.contains(&k.as_str())
                || k.ends_with(".password")
                || k.ends_with("sasl.jaas.config");
            (
                k.clone(),
                if secret {
                    "[hidden]".to_owned()
                } else {
                    v.clone()
                },
            )
        })
        .collect()
}

fn connector_kind(class: &str) -> Result<ConnectorKind, ConfigError> {
    match class {
        "io.debezium.connector.postgresql.PostgresConnector" | "postgres" | "postgresql" => {
            Ok(ConnectorKind::Postgres)
        }
        "io.debezium.connector.mysql.MySqlConnector" | "mysql" => Ok(ConnectorKind::MySql),
        "io.debezium.connector.mariadb.MariaDbConnector" | "mariadb" => Ok(ConnectorKind::MariaDb),
        other => Err(ConfigError::Invalid {
            key: "connector.class",
            value: other.to_owned(),
            allowed: "io.debezium.connector.postgresql.PostgresConnector (postgres), \
                      io.debezium.connector.mysql.MySqlConnector (mysql), \
                      io.debezium.connector.mariadb.MariaDbConnector (mariadb)"
                .to_owned(),
        }),
    }
}

fn snapshot_config(p: &Reader<'_>) -> Result<SnapshotConfig, ConfigError> {
    let mode = tributary_snapshot::SnapshotMode::parse(p.get("snapshot.mode").unwrap_or("initial"))
        .map_err(|e| ConfigError::Invalid {
            key: "snapshot.mode",
            value: e.value.clone(),
            allowed: format!(
                "initial, initial_only, no_data (also never, schema_only), when_needed, always{}",
                e.hint
            ),
        })?;
    let mut select_overrides = Vec::new();
    if let Some(list) = p.get("snapshot.select.statement.overrides") {
        for table in list.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let key = format!("snapshot.select.statement.overrides.{table}");
            let Some(statement) = p.get(&key) else {
                return Err(ConfigError::Conflict {
                    keys: "snapshot.select.statement.overrides",
                    detail: format!(
                        "table '{table}' is listed but '{key}' (its SELECT statement) is not set"
                    ),
                });
            };
            select_overrides.push((table.to_owned(), statement.to_owned()));
        }
    }
    let (source_channel, kafka_channel) = signal_channels(p)?;
    let signal_table = match p.get("signal.data.collection").map(str::trim) {
        _ if !source_channel => None,
        None | Some("") => None,
        Some(name) => {
            // `schema.table` / `database.table`; the SQL Server/Oracle form with a database
            // in front has no meaning here.
            let Some((namespace, table)) = name.rsplit_once('.') else {
                return Err(ConfigError::Conflict {
                    keys: "signal.data.collection",
                    detail: format!(
                        "'{name}' is not a full table name (schema.table or database.table)"
                    ),
                });
            };
            let namespace = namespace.rsplit_once('.').map_or(namespace, |(_, n)| n);
            Some((namespace.to_owned(), table.to_owned()))
        }
    };
    let kafka_signals = if kafka_channel {
        let prefix = p
            .get("topic.prefix")
            .or(p.get("database.server.name"))
            .unwrap_or_default();
        Some(KafkaSignalConfig {
            topic: p
                .get("signal.kafka.topic")
                .map_or_else(|| format!("{prefix}-signal"), str::to_owned),
            bootstrap_servers: p
                .get("signal.kafka.bootstrap.servers")
                .or(p.get("bootstrap.servers"))
                .unwrap_or_default()
                .to_owned(),
            group_id: p
                .get("signal.kafka.groupId")
                .unwrap_or("kafka-signal")
                .to_owned(),
            consumer_overrides: p
                .0
                .iter()
                .filter_map(|(k, v)| {
                    Some((k.strip_prefix("signal.consumer.")?.to_owned(), v.clone()))
                })
                .collect(),
            poll_interval: p.millis("signal.kafka.poll.timeout.ms", 100)?,
        })
    } else {
        None
    };
    Ok(SnapshotConfig {
        signal_table,
        kafka_signals,
        mode,
        fetch_size: p.positive("snapshot.fetch.size", 10_240)? as u64,
        max_threads: p.positive("snapshot.max.threads", 1)?,
        select_overrides,
    })
}

/// `signal.enabled.channels` (default `source`): whether the signal table and the Kafka
/// signal topic are read.
fn signal_channels(p: &Reader<'_>) -> Result<(bool, bool), ConfigError> {
    let list = p.get("signal.enabled.channels").unwrap_or("source");
    let (mut source, mut kafka) = (false, false);
    for channel in list.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        match channel {
            "source" => source = true,
            "kafka" => kafka = true,
            other => {
                return Err(ConfigError::Invalid {
                    key: "signal.enabled.channels",
                    value: list.to_owned(),
                    allowed: format!(
                        "a list of source, kafka ('{other}' is not supported: the JMX and file \
                         channels need a JVM or a watched file; use the kafka channel)"
                    ),
                });
            }
        }
    }
    Ok((source, kafka))
}

fn postgres_config(p: &Reader<'_>) -> Result<PostgresConfig, ConfigError> {
    let host = p.required("database.hostname", "the PostgreSQL server's host")?;
    let user = p.required("database.user", "a user with the REPLICATION privilege")?;
    let dbname = p.required("database.dbname", "the database to capture")?;
    let port = p.port("database.port", 5432)?;
    let mut connect = PgConnectOptions::new(host, port, user, dbname);
    connect.password = p.get("database.password").map(Secret::new);
    let sslmode = p.get("database.sslmode").unwrap_or("prefer");
    connect.tls = TlsOptions {
        mode: SslMode::parse(sslmode).ok_or_else(|| ConfigError::Invalid {
            key: "database.sslmode",
            value: sslmode.to_owned(),
            allowed: "disable, prefer, require, verify-ca, verify-full".to_owned(),
        })?,
        root_cert: p.get("database.sslrootcert").map(Into::into),
    };
    if let Some(plugin) = p.get("plugin.name")
        && plugin != "pgoutput"
    {
        return Err(ConfigError::Invalid {
            key: "plugin.name",
            value: plugin.to_owned(),
            allowed: "pgoutput (the only plugin Tributary reads; decoderbufs is not supported)"
                .to_owned(),
        });
    }
    let mode = p.get("publication.autocreate.mode").unwrap_or("all_tables");
    let publication_autocreate = match mode {
        "all_tables" => PublicationAutocreateMode::AllTables,
        "filtered" => PublicationAutocreateMode::Filtered,
        "disabled" => PublicationAutocreateMode::Disabled,
        other => {
            return Err(ConfigError::Invalid {
                key: "publication.autocreate.mode",
                value: other.to_owned(),
                allowed: "all_tables, filtered, disabled".to_owned(),
            });
        }
    };
    Ok(PostgresConfig {
        connect,
        slot_name: p.get("slot.name").unwrap_or("debezium").to_owned(),
        publication_name: p
            .get("publication.name")
            .unwrap_or("dbz_publication")
            .to_owned(),
        publication_autocreate,
        slot_drop_on_stop: p.boolean("slot.drop.on.stop", false)?,
        status_interval: p.millis("status.update.interval.ms", 10_000)?,
    })
}

fn mysql_config(p: &Reader<'_>, name: &str) -> Result<MySqlConfig, ConfigError> {
    let host = p.required("database.hostname", "the MySQL/MariaDB server's host")?;
    let user = p.required(
        "database.user",
        "a user with REPLICATION SLAVE, REPLICATION CLIENT and SELECT",
    )?;
    let port = p.port("database.port", 3306)?;
    let server_id = match p.get("database.server.id") {
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| ConfigError::Invalid {
                key: "database.server.id",
                value: text.to_owned(),
                allowed: "a number from 1 to 4294967295, unique among the server's replicas"
                    .to_owned(),
            })?,
        // Debezium picks a random id in 5400..6400; a stable one derived from the name keeps
        // a restarted connector from looking like a second replica.
        None => 5400 + fnv1a(name.as_bytes()) % 1000,
    };
    let mut connect = MySqlConnectOptions::new(host, port, user, server_id);
    connect.password = p.get("database.password").map(Secret::new);
    let reader = BinlogReaderConfig {
        heartbeat_interval: p.millis("binlog.heartbeat.interval.ms", 30_000)?,
        ..BinlogReaderConfig::default()
    };
    let class = p
        .get("schema.history.internal")
        .unwrap_or("io.debezium.storage.kafka.history.KafkaSchemaHistory");
    let history = match class {
        "io.debezium.storage.kafka.history.KafkaSchemaHistory" | "kafka" => {
            HistoryStoreConfig::Kafka {
                bootstrap_servers: p
                    .get("schema.history.internal.kafka.bootstrap.servers")
                    .or(p.get("bootstrap.servers"))
                    .unwrap_or_default()
                    .to_owned(),
                topic: p
                    .required(
                        "schema.history.internal.kafka.topic",
                        "the topic that keeps the DDL history (one partition, infinite retention)",
                    )?
                    .to_owned(),
            }
        }
        "io.debezium.storage.file.history.FileSchemaHistory" | "file" => HistoryStoreConfig::File {
            path: p
                .required(
                    "schema.history.internal.file.filename",
                    "the file that keeps the DDL history",
                )?
                .into(),
        },
        other => {
            return Err(ConfigError::Invalid {
                key: "schema.history.internal",
                value: other.to_owned(),
                allowed: "io.debezium.storage.kafka.history.KafkaSchemaHistory, \
                          io.debezium.storage.file.history.FileSchemaHistory"
                    .to_owned(),
            });
        }
    };
    Ok(MySqlConfig {
        connect,
        reader,
        history,
        skip_unparseable_ddl: p.boolean("schema.history.internal.skip.unparseable.ddl", false)?,
        snapshot_locking: snapshot_locking(p)?,
    })
}

/// `snapshot.locking.mode`. Debezium's `extended` (a lock held for the whole snapshot) and
/// `custom` (a Java class) are refused: the consistent-snapshot transaction already gives
/// what `extended` buys, without blocking writers.
fn snapshot_locking(p: &Reader<'_>) -> Result<crate::mysql::schema::SnapshotLocking, ConfigError> {
    use crate::mysql::schema::SnapshotLocking;
    match p.get("snapshot.locking.mode").map(str::trim) {
        None | Some("minimal") | Some("minimal_percona") => Ok(SnapshotLocking::Global),
        Some("none") => Ok(SnapshotLocking::None),
        Some(other) => Err(ConfigError::Invalid {
            key: "snapshot.locking.mode",
            value: other.to_owned(),
            allowed: "minimal (default: a read lock while the snapshot starts) or none (no lock; \
                      no DDL on captured tables during the snapshot's start); extended and custom \
                      are not supported: the consistent-snapshot transaction needs no lock held \
                      longer"
                .to_owned(),
        }),
    }
}

fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |hash, &b| {
        (hash ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

fn converter(p: &Reader<'_>, prefix: &'static str) -> Result<ConverterKind, ConfigError> {
    let class = p
        .get(prefix)
        .unwrap_or("org.apache.kafka.connect.json.JsonConverter");
    let sub = |name: &str| p.get(&format!("{prefix}.{name}"));
    match class {
        "org.apache.kafka.connect.json.JsonConverter" | "json" => {
            let schemas_enable = match sub("schemas.enable") {
                None => true,
                Some(v) => parse_bool(v).ok_or_else(|| ConfigError::Invalid {
                    key: if prefix == "key.converter" {
                        "key.converter.schemas.enable"
                    } else {
                        "value.converter.schemas.enable"
                    },
                    value: v.to_owned(),
                    allowed: "true, false".to_owned(),
                })?,
            };
            Ok(ConverterKind::Json { schemas_enable })
        }
        "io.confluent.connect.avro.AvroConverter"
        | "io.apicurio.registry.utils.converter.AvroConverter"
        | "avro" => {
            let url = sub("schema.registry.url").ok_or(ConfigError::Missing {
                key: if prefix == "key.converter" {
                    "key.converter.schema.registry.url"
                } else {
                    "value.converter.schema.registry.url"
                },
                hint: "the Confluent-compatible schema registry the Avro converter registers with",
            })?;
            // Confluent accepts a comma-separated list; the first is used.
            let url = url.split(',').next().unwrap_or(url).trim();
            let mut registry = RegistryConfig::new(url);
            if let Some(v) = sub("auto.register.schemas") {
                registry.auto_register = parse_bool(v).ok_or_else(|| ConfigError::Invalid {
                    key: "value.converter.auto.register.schemas",
                    value: v.to_owned(),
                    allowed: "true, false".to_owned(),
                })?;
            }
            if sub("basic.auth.credentials.source").unwrap_or("USER_INFO") == "USER_INFO"
                && let Some(info) = sub("basic.auth.user.info")
            {
                registry.basic_auth =
                    Some(
                        BasicAuth::from_user_info(info).map_err(|_| ConfigError::Invalid {
                            key: "value.converter.basic.auth.user.info",
                            value: "[hidden]".to_owned(),
                            allowed: "user:password with a non-empty user".to_owned(),
                        })?,
                    );
            }
            Ok(ConverterKind::Avro(registry))
        }
        other => Err(ConfigError::Invalid {
            key: if prefix == "key.converter" {
                "key.converter"
            } else {
                "value.converter"
            },
            value: other.to_owned(),
            allowed: "org.apache.kafka.connect.json.JsonConverter, \
                      io.confluent.connect.avro.AvroConverter"
                .to_owned(),
        }),
    }
}

fn producer_overrides(properties: &Properties) -> Vec<(String, String)> {
    let mut overrides = Vec::new();
    for prefix in ["producer.", "producer.override."] {
        for (key, value) in properties {
            if let Some(name) = key.strip_prefix(prefix)
                && !name.starts_with("override.")
            {
                overrides.push((name.to_owned(), value.clone()));
            }
        }
    }
    overrides
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// Typed reads of one property map.
struct Reader<'a>(&'a Properties);

impl Reader<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        // Every key the parser reads must be in the reference (docs/configuration.md).
        debug_assert!(
            catalogue::is_known(key),
            "config key '{key}' is read but not in config/catalogue.rs"
        );
        self.0
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    fn required(&self, key: &'static str, hint: &'static str) -> Result<&str, ConfigError> {
        self.get(key).ok_or(ConfigError::Missing { key, hint })
    }

    fn port(&self, key: &'static str, default: u16) -> Result<u16, ConfigError> {
        match self.get(key) {
            None => Ok(default),
            Some(text) => text
                .trim()
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| ConfigError::Invalid {
                    key,
                    value: text.to_owned(),
                    allowed: "a TCP port, 1 to 65535".to_owned(),
                }),
        }
    }

    fn boolean(&self, key: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.get(key) {
            None => Ok(default),
            Some(text) => parse_bool(text).ok_or_else(|| ConfigError::Invalid {
                key,
                value: text.to_owned(),
                allowed: "true, false".to_owned(),
            }),
        }
    }

    fn positive(&self, key: &'static str, default: usize) -> Result<usize, ConfigError> {
        match self.get(key) {
            None => Ok(default),
            Some(text) => text
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| ConfigError::Invalid {
                    key,
                    value: text.to_owned(),
                    allowed: "a positive whole number".to_owned(),
                }),
        }
    }

    /// A limit where -1 (or unset) means none.
    fn optional_limit(&self, key: &'static str) -> Result<Option<u64>, ConfigError> {
        match self.get(key).map(str::trim) {
            None | Some("-1") => Ok(None),
            Some(text) => text
                .parse::<u64>()
                .map(Some)
                .map_err(|_| ConfigError::Invalid {
                    key,
                    value: text.to_owned(),
                    allowed: "-1 (no limit) or a whole number ≥ 0".to_owned(),
                }),
        }
    }

    fn millis(&self, key: &'static str, default: u64) -> Result<Duration, ConfigError> {
        match self.get(key) {
            None => Ok(Duration::from_millis(default)),
            Some(text) => text
                .trim()
                .parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|_| ConfigError::Invalid {
                    key,
                    value: text.to_owned(),
                    allowed: "milliseconds, a whole number ≥ 0".to_owned(),
                }),
        }
    }
}

#[cfg(test)]
mod tests;
