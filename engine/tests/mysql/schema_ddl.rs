//! The schema model against a real MariaDB: a scripted DDL sequence is run on the server, read
//! back from its binlog files, applied to the model, and the model is compared with what
//! `information_schema` reports (column names, order, types, nullability, defaults, primary
//! key); the model recovered from the file store must be the same.

use std::path::{Path, PathBuf};

use tributary::mysql::schema::{
    BinlogPosition, Column, DdlOutcome, DefaultValue, FileSchemaHistoryStore, HistoryOptions,
    SchemaHistory, SchemaHistoryStore, TableId,
};
use tributary_decoders::binlog::{BinlogDecoder, EventData, Gtid};
use tributary_testcontainers::{MariaDb, unique_name};

/// The scripted DDL, run in order with the test's database as the default.
const SCRIPT: &[&str] = &[
    "CREATE TABLE customers (id INT NOT NULL AUTO_INCREMENT, name VARCHAR(100) NOT NULL DEFAULT 'anon', \
     email VARCHAR(255), created TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, score DECIMAL(8,2) DEFAULT NULL, \
     PRIMARY KEY (id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    "ALTER TABLE customers ADD COLUMN phone VARCHAR(20) NULL AFTER name",
    "ALTER TABLE customers DROP COLUMN email",
    "ALTER TABLE customers MODIFY score BIGINT UNSIGNED NOT NULL DEFAULT 7 FIRST",
    "ALTER TABLE customers CHANGE phone mobile CHAR(12) DEFAULT 'none'",
    "RENAME TABLE customers TO clients",
    "CREATE TABLE orders (id BIGINT NOT NULL PRIMARY KEY, client_id INT, \
     status ENUM('new','done') NOT NULL DEFAULT 'new', note TEXT) DEFAULT CHARSET=latin1",
    "ALTER TABLE orders ADD COLUMN amount DECIMAL(10,3) AFTER id, ADD INDEX idx_client (client_id)",
    "CREATE TABLE tmp LIKE orders",
    "DROP TABLE IF EXISTS tmp, never_existed",
    "ALTER TABLE clients RENAME COLUMN name TO full_name",
    "ALTER TABLE orders DROP PRIMARY KEY, ADD PRIMARY KEY (id, client_id)",
    "TRUNCATE TABLE orders",
    "/* a comment */ ALTER TABLE `orders` ADD `ü` INT FIRST, ADD COLUMN IF NOT EXISTS note TEXT",
    "ALTER TABLE orders CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
    "CREATE OR REPLACE VIEW v AS SELECT id FROM orders",
    "CREATE TABLE gone (a INT)",
    "ALTER TABLE gone RENAME TO gone2",
    "DROP TABLE gone2",
];

/// A fresh directory for the history file, removed at the end.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every DDL of database `db` in the server's binlog files, with its position.
fn ddl_from_binlog(data_dir: &Path, db: &str) -> Vec<(String, String, BinlogPosition)> {
    let mut files: Vec<String> = std::fs::read_dir(data_dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| {
            n.strip_prefix("mysql-bin.")
                .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let bytes = std::fs::read(data_dir.join(&file)).unwrap();
        assert_eq!(&bytes[..4], b"\xfebin", "{file} has no binlog magic");
        let mut decoder = BinlogDecoder::new();
        decoder.set_file(&file);
        let mut at = 4;
        let mut gtid = None;
        while at + 19 <= bytes.len() {
            let size = u32::from_le_bytes(bytes[at + 9..at + 13].try_into().unwrap()) as usize;
            if size < 19 || at + size > bytes.len() {
                break; // the event being written right now
            }
            for event in decoder.decode(&bytes[at..at + size]).unwrap() {
                match event.data {
                    EventData::Gtid(g @ Gtid::MariaDb { .. }) => gtid = Some(g.to_string()),
                    EventData::Ddl { schema, statement } if schema == db => {
                        let position = BinlogPosition {
                            file: file.clone(),
                            pos: event.position.offset,
                            gtids: gtid.clone(),
                            server_id: event.header.server_id,
                            ts_sec: i64::from(event.header.timestamp),
                        };
                        out.push((schema, statement, position));
                    }
                    _ => {}
                }
            }
            at += size;
        }
    }
    out
}

/// `information_schema` rendering of a model column default: MariaDB quotes string
/// literals, writes `NULL` for none, and `current_timestamp()` for the function.
fn rendered_default(c: &Column) -> String {
    match &c.default {
        None | Some(DefaultValue::Null) => "NULL".into(),
        Some(DefaultValue::Literal(s)) => format!("'{s}'"),
        Some(DefaultValue::Number(n)) => n.clone(),
        Some(DefaultValue::Expression(e)) => {
            let e = e.to_lowercase();
            if e.ends_with(')') {
                e
            } else {
                format!("{e}()")
            }
        }
    }
}

#[test]
fn scripted_ddl_matches_information_schema() {
    let server = MariaDb::shared().unwrap();
    let db = server.create_database().unwrap().database.unwrap();
    for stmt in SCRIPT {
        server.sql(&format!("USE `{db}`; {stmt}")).unwrap();
    }

    // Read the statements back from the binlog, as the reader will.
    let events = ddl_from_binlog(&server.data_dir(), &db);
    let statements: Vec<&str> = events.iter().map(|(_, s, _)| s.as_str()).collect();
    // The server logs `CREATE DATABASE` with the new database as its default, then every
    // script statement (the `mariadb` client strips the comments).
    assert_eq!(statements.len(), SCRIPT.len() + 1, "{statements:#?}");
    for (stmt, logged) in SCRIPT.iter().zip(&statements[1..]) {
        let first_words = |s: &str| -> Vec<String> {
            let s = s
                .strip_prefix("/*")
                .and_then(|c| c.split_once("*/"))
                .map_or(s, |(_, rest)| rest);
            s.split_whitespace().take(2).map(str::to_owned).collect()
        };
        assert_eq!(first_words(stmt), first_words(logged), "{stmt} vs {logged}");
    }

    let dir = TempDir(std::env::temp_dir().join(unique_name("schema-history")));
    std::fs::create_dir_all(&dir.0).unwrap();
    let path = dir.0.join("history.jsonl");
    let mut store = FileSchemaHistoryStore::open(&path).unwrap();
    let mut history = SchemaHistory::new(HistoryOptions::capture_all("srv"));
    for (schema, statement, position) in &events {
        let outcome = history
            .apply_ddl(
                &mut store,
                schema,
                statement,
                position,
                position.ts_sec * 1000,
            )
            .unwrap();
        assert!(
            matches!(outcome, DdlOutcome::Applied(_) | DdlOutcome::Ignored),
            "{statement}: {outcome:?}"
        );
    }

    let ids: Vec<String> = history
        .model()
        .table_ids()
        .into_iter()
        .filter(|id| id.database == db)
        .map(|id| id.table)
        .collect();
    assert_eq!(ids, vec!["clients", "orders"]);

    let rows = server
        .sql(&format!(
            "SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, \
             IFNULL(COLUMN_DEFAULT, 'NULL') FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = '{db}' AND TABLE_NAME <> 'v' ORDER BY TABLE_NAME, ORDINAL_POSITION"
        ))
        .unwrap();
    let mut compared = 0;
    for line in rows.lines().filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        let [
            table,
            column,
            ordinal,
            data_type,
            column_type,
            nullable,
            default,
        ] = f[..]
        else {
            panic!("unexpected row {line:?}");
        };
        let t = history.model().table(&TableId::new(&db, table)).unwrap();
        let index: usize = ordinal.parse::<usize>().unwrap() - 1;
        let c = t
            .columns
            .get(index)
            .unwrap_or_else(|| panic!("{table}: the model has no column {ordinal} ({column})"));
        assert_eq!(c.name, column, "{table} column {ordinal}");
        let model_type = match c.data_type.name.as_str() {
            "BOOLEAN" => "tinyint".to_owned(),
            n => n.to_lowercase(),
        };
        assert_eq!(model_type, data_type, "{table}.{column} type");
        assert_eq!(
            c.data_type.unsigned,
            column_type.contains("unsigned"),
            "{table}.{column} {column_type}"
        );
        if let (Some(len), false) = (c.data_type.length, c.data_type.name.ends_with("INT")) {
            let expected = match c.data_type.scale {
                Some(s) => format!("({len},{s})"),
                None => format!("({len})"),
            };
            assert!(
                column_type.contains(&expected),
                "{table}.{column}: {column_type} vs {expected}"
            );
        }
        if !c.data_type.values.is_empty() {
            let labels: Vec<String> = c
                .data_type
                .values
                .iter()
                .map(|v| format!("'{v}'"))
                .collect();
            assert_eq!(column_type, format!("enum({})", labels.join(",")));
        }
        assert_eq!(
            c.nullable,
            nullable == "YES",
            "{table}.{column} nullability"
        );
        assert_eq!(rendered_default(c), default, "{table}.{column} default");
        compared += 1;
    }
    let model_columns: usize = ["clients", "orders"]
        .iter()
        .map(|t| {
            history
                .model()
                .table(&TableId::new(&db, *t))
                .unwrap()
                .columns
                .len()
        })
        .sum();
    assert_eq!(
        compared, model_columns,
        "information_schema has other columns than the model"
    );

    for table in ["clients", "orders"] {
        let pk = server
            .sql(&format!(
                "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = '{db}' \
                 AND TABLE_NAME = '{table}' AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION"
            ))
            .unwrap();
        let pk: Vec<&str> = pk.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(
            history
                .model()
                .table(&TableId::new(&db, table))
                .unwrap()
                .primary_key,
            pk,
            "{table}"
        );
    }
    let orders = history.model().table(&TableId::new(&db, "orders")).unwrap();
    assert_eq!(orders.default_charset.as_deref(), Some("utf8mb4"));

    // A restart rebuilds the same model from the file, and a replay from an old position
    // the model as it was there.
    drop(store);
    let store = FileSchemaHistoryStore::open(&path).unwrap();
    assert_eq!(
        store.records().unwrap().len(),
        events.len() - 1,
        "every DDL but the view is recorded"
    );
    let recovered =
        SchemaHistory::recover(HistoryOptions::capture_all("srv"), &store, None).unwrap();
    assert_eq!(recovered.model(), history.model());
    let (_, _, first) = &events[1];
    let early =
        SchemaHistory::recover(HistoryOptions::capture_all("srv"), &store, Some(first)).unwrap();
    let customers = early
        .model()
        .table(&TableId::new(&db, "customers"))
        .unwrap();
    let names: Vec<&str> = customers.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "name", "email", "created", "score"]);
}
