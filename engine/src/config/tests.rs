use super::*;

fn props(pairs: &[(&str, &str)]) -> Properties {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn postgres_base() -> Vec<(&'static str, &'static str)> {
    vec![
        ("name", "inventory-connector"),
        (
            "connector.class",
            "io.debezium.connector.postgresql.PostgresConnector",
        ),
        ("database.hostname", "db"),
        ("database.user", "postgres"),
        ("database.password", "postgres"),
        ("database.dbname", "postgres"),
        ("topic.prefix", "dbserver1"),
        ("bootstrap.servers", "kafka:9092"),
    ]
}

#[test]
fn debezium_postgres_defaults() {
    let c = ConnectorConfig::from_properties(props(&postgres_base())).unwrap();
    assert_eq!(c.connector, ConnectorKind::Postgres);
    assert_eq!(c.kafka.transactional_id, "inventory-connector-0");
    assert_eq!(c.kafka.offsets_topic, "connect-offsets");
    let SourceConfig::Postgres(pg) = &c.source else {
        panic!("postgres expected")
    };
    assert_eq!(pg.slot_name, "debezium");
    assert_eq!(pg.publication_name, "dbz_publication");
    assert_eq!(pg.connect.port, 5432);
    assert_eq!(
        pg.publication_autocreate,
        PublicationAutocreateMode::AllTables
    );
    assert!(matches!(
        c.converters.value,
        ConverterKind::Json {
            schemas_enable: true
        }
    ));
}

#[test]
fn each_error_class_names_the_key() {
    let mut missing = postgres_base();
    missing.retain(|(k, _)| *k != "database.dbname");
    let err = ConnectorConfig::from_properties(props(&missing)).unwrap_err();
    assert!(
        matches!(
            err,
            ConfigError::Missing {
                key: "database.dbname",
                ..
            }
        ),
        "{err}"
    );

    let mut bad = postgres_base();
    bad.push(("database.port", "70000"));
    let err = ConnectorConfig::from_properties(props(&bad))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("database.port") && err.contains("70000"),
        "{err}"
    );

    let mut bad = postgres_base();
    bad.push(("decimal.handling.mode", "exact"));
    let err = ConnectorConfig::from_properties(props(&bad))
        .unwrap_err()
        .to_string();
    assert!(err.contains("decimal.handling.mode"), "{err}");

    let mut bad = postgres_base();
    bad.push(("plugin.name", "decoderbufs"));
    let err = ConnectorConfig::from_properties(props(&bad))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("plugin.name") && err.contains("pgoutput"),
        "{err}"
    );
}

#[test]
fn mysql_server_id_is_stable_and_secrets_are_masked() {
    let base = [
        ("name", "mysql-connector"),
        (
            "connector.class",
            "io.debezium.connector.mysql.MySqlConnector",
        ),
        ("database.hostname", "db"),
        ("database.user", "debezium"),
        ("database.password", "dbz"),
        ("topic.prefix", "dbserver1"),
        ("bootstrap.servers", "kafka:9092"),
        (
            "schema.history.internal.kafka.topic",
            "schema-changes.inventory",
        ),
    ];
    let a = ConnectorConfig::from_properties(props(&base)).unwrap();
    let b = ConnectorConfig::from_properties(props(&base)).unwrap();
    let (SourceConfig::MySql(a_src), SourceConfig::MySql(b_src)) = (&a.source, &b.source) else {
        panic!("mysql expected")
    };
    assert_eq!(a_src.connect.server_id, b_src.connect.server_id);
    assert!((5400..6400).contains(&a_src.connect.server_id));
    assert_eq!(a.masked_properties()["database.password"], "[hidden]");
    assert!(!format!("{a:?}").contains("dbz\""));
}

#[test]
fn avro_converter_needs_a_registry_url() {
    let mut base = postgres_base();
    base.push(("value.converter", "io.confluent.connect.avro.AvroConverter"));
    let err = ConnectorConfig::from_properties(props(&base)).unwrap_err();
    assert!(
        matches!(
            err,
            ConfigError::Missing {
                key: "value.converter.schema.registry.url",
                ..
            }
        ),
        "{err}"
    );
    base.push((
        "value.converter.schema.registry.url",
        "http://registry:8081",
    ));
    let c = ConnectorConfig::from_properties(props(&base)).unwrap();
    assert!(matches!(c.converters.value, ConverterKind::Avro(_)));
}

#[test]
fn the_kafka_signal_channel_defaults_to_debeziums_topic_and_the_connectors_kafka() {
    let mut pairs = postgres_base();
    pairs.push(("signal.enabled.channels", "source,kafka"));
    pairs.push(("signal.data.collection", "public.signals"));
    pairs.push(("signal.consumer.security.protocol", "PLAINTEXT"));
    let c = ConnectorConfig::from_properties(props(&pairs)).unwrap();
    let kafka = c
        .snapshot
        .kafka_signals
        .clone()
        .expect("kafka channel enabled");
    assert_eq!(kafka.topic, "dbserver1-signal");
    assert_eq!(kafka.bootstrap_servers, "kafka:9092");
    assert_eq!(kafka.group_id, "kafka-signal");
    assert_eq!(
        kafka.consumer_overrides,
        vec![("security.protocol".to_owned(), "PLAINTEXT".to_owned())]
    );
    assert!(c.snapshot.is_signal_table("public", "signals"));

    // The default is the source channel only.
    let c = ConnectorConfig::from_properties(props(&postgres_base())).unwrap();
    assert!(c.snapshot.kafka_signals.is_none());

    // Without the source channel the signal table's rows are ordinary rows.
    let mut pairs = postgres_base();
    pairs.push(("signal.enabled.channels", "kafka"));
    pairs.push(("signal.data.collection", "public.signals"));
    pairs.push(("signal.kafka.topic", "ops-signals"));
    let c = ConnectorConfig::from_properties(props(&pairs)).unwrap();
    assert!(!c.snapshot.is_signal_table("public", "signals"));
    assert_eq!(c.snapshot.kafka_signals.unwrap().topic, "ops-signals");
}

#[test]
fn an_unsupported_signal_channel_is_refused_with_the_alternative() {
    let mut pairs = postgres_base();
    pairs.push(("signal.enabled.channels", "source,jmx"));
    let err = ConnectorConfig::from_properties(props(&pairs)).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("signal.enabled.channels"), "{text}");
    assert!(text.contains("'jmx'") && text.contains("kafka"), "{text}");
}

#[test]
fn snapshot_locking_defaults_to_minimal_accepts_none_and_refuses_extended() {
    let base = [
        ("name", "shop-connector"),
        ("connector.class", "mariadb"),
        ("database.hostname", "db"),
        ("database.user", "cdc"),
        ("topic.prefix", "shop"),
        ("bootstrap.servers", "kafka:9092"),
        ("schema.history.internal.kafka.topic", "shop-history"),
    ];
    let locking = |extra: &[(&'static str, &'static str)]| {
        let pairs: Vec<_> = base.iter().chain(extra).copied().collect();
        ConnectorConfig::from_properties(props(&pairs)).map(|c| match c.source {
            SourceConfig::MySql(my) => my.snapshot_locking,
            SourceConfig::Postgres(_) => panic!("mysql expected"),
        })
    };
    use crate::mysql::schema::SnapshotLocking;
    assert_eq!(locking(&[]).unwrap(), SnapshotLocking::Global);
    assert_eq!(
        locking(&[("snapshot.locking.mode", "none")]).unwrap(),
        SnapshotLocking::None
    );
    let text = locking(&[("snapshot.locking.mode", "extended")])
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("snapshot.locking.mode") && text.contains("'extended'"),
        "{text}"
    );
}
