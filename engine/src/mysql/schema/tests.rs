//! Table-driven tests of DDL parsing and application, hostile input, the file store, and a
//! property test (seeded random DDL sequences) that recovery rebuilds the same model.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tributary_envelope::table::ConnectorKind;
use tributary_envelope::value::Value;

use super::ddl::{Ddl, parse};
use super::*;

fn pos(n: u64) -> BinlogPosition {
    BinlogPosition {
        file: "mysql-bin.000001".into(),
        pos: n,
        gtids: Some(format!("0-1-{n}")),
        server_id: 1,
        ts_sec: 1_700_000_000,
    }
}

/// Applies `stmts` (all with default database `db`) to a fresh in-memory history.
fn run(stmts: &[&str]) -> (SchemaHistory, MemorySchemaHistoryStore) {
    let mut h = SchemaHistory::new(HistoryOptions::capture_all("srv"));
    let mut store = MemorySchemaHistoryStore::new();
    for (i, s) in stmts.iter().enumerate() {
        let outcome = h.apply_ddl(&mut store, "db", s, &pos(i as u64 * 100 + 4), 1000);
        assert!(
            matches!(outcome, Ok(DdlOutcome::Applied(_) | DdlOutcome::Ignored)),
            "{s}: {outcome:?}"
        );
    }
    (h, store)
}

fn columns(h: &SchemaHistory, db: &str, t: &str) -> Vec<String> {
    h.model()
        .table(&TableId::new(db, t))
        .unwrap_or_else(|| panic!("no table {db}.{t}"))
        .columns
        .iter()
        .map(|c| c.name.clone())
        .collect()
}

fn table<'a>(h: &'a SchemaHistory, t: &str) -> &'a Table {
    h.model().table(&TableId::new("db", t)).unwrap()
}

const BASE: &str =
    "CREATE TABLE t (id INT NOT NULL AUTO_INCREMENT, a VARCHAR(10), b INT, PRIMARY KEY (id))";

#[test]
fn column_changes_and_positions() {
    let cases: &[(&[&str], &[&str])] = &[
        (&[BASE], &["id", "a", "b"]),
        (
            &[BASE, "ALTER TABLE t ADD COLUMN c INT AFTER id"],
            &["id", "c", "a", "b"],
        ),
        (
            &[BASE, "ALTER TABLE t ADD c INT FIRST"],
            &["c", "id", "a", "b"],
        ),
        (&[BASE, "ALTER TABLE t ADD c INT"], &["id", "a", "b", "c"]),
        (
            &[BASE, "ALTER TABLE t ADD COLUMN IF NOT EXISTS a INT"],
            &["id", "a", "b"],
        ),
        (
            &[BASE, "ALTER TABLE t ADD (c INT, d INT)"],
            &["id", "a", "b", "c", "d"],
        ),
        (
            &[BASE, "ALTER TABLE t ADD c INT AFTER a, ADD d INT FIRST"],
            &["d", "id", "a", "c", "b"],
        ),
        (&[BASE, "ALTER TABLE t DROP COLUMN a"], &["id", "b"]),
        (&[BASE, "ALTER TABLE t DROP a, DROP b"], &["id"]),
        (
            &[BASE, "ALTER TABLE t DROP COLUMN IF EXISTS zz"],
            &["id", "a", "b"],
        ),
        (
            &[BASE, "ALTER TABLE t MODIFY b BIGINT FIRST"],
            &["b", "id", "a"],
        ),
        (
            &[
                BASE,
                "ALTER TABLE t MODIFY COLUMN id BIGINT NOT NULL AFTER b",
            ],
            &["a", "b", "id"],
        ),
        (&[BASE, "ALTER TABLE t MODIFY a TEXT"], &["id", "a", "b"]),
        (
            &[BASE, "ALTER TABLE t CHANGE a a2 VARCHAR(20) AFTER b"],
            &["id", "b", "a2"],
        ),
        (
            &[BASE, "ALTER TABLE t CHANGE COLUMN `b` `B2` INT"],
            &["id", "a", "B2"],
        ),
        (
            &[BASE, "ALTER TABLE t RENAME COLUMN a TO z"],
            &["id", "z", "b"],
        ),
        (
            &[
                BASE,
                "ALTER TABLE `t` ADD `c` INT NOT NULL DEFAULT 0 AFTER `id`, ALGORITHM=INPLACE, LOCK=NONE",
            ],
            &["id", "c", "a", "b"],
        ),
        (
            &[BASE, "ALTER ONLINE TABLE t ADD c INT"],
            &["id", "a", "b", "c"],
        ),
        (
            &[BASE, "ALTER TABLE IF EXISTS t ADD c INT"],
            &["id", "a", "b", "c"],
        ),
        (
            &[
                BASE,
                "ALTER TABLE t ADD INDEX i (a), ADD UNIQUE KEY u (b), ENGINE=InnoDB",
            ],
            &["id", "a", "b"],
        ),
        (
            &[
                BASE,
                "ALTER TABLE t DROP INDEX i, DROP KEY u, DROP FOREIGN KEY f",
            ],
            &["id", "a", "b"],
        ),
        (
            &[
                BASE,
                "ALTER TABLE t ALTER COLUMN a SET DEFAULT 'x'",
                "ALTER TABLE t ALTER b DROP DEFAULT",
            ],
            &["id", "a", "b"],
        ),
        (&[BASE, "CREATE TABLE t2 LIKE t"], &["id", "a", "b"]),
        (
            &["/* hello */ CREATE TABLE `ü` (`é` INT, `a``b` INT)"],
            &["é", "a`b"],
        ),
    ];
    for (stmts, expected) in cases {
        let (h, _) = run(stmts);
        let name = if stmts.iter().any(|s| s.contains("t2")) {
            "t2"
        } else if stmts.iter().any(|s| s.contains('ü')) {
            "ü"
        } else {
            "t"
        };
        assert_eq!(columns(&h, "db", name), *expected, "{stmts:?}");
    }
}

#[test]
fn column_attributes() {
    let (h, _) = run(&["CREATE TABLE IF NOT EXISTS `db`.`t` (\n\
         `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT COMMENT 'key',\n\
         `name` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci DEFAULT 'x' COMMENT 'hi',\n\
         d decimal(10,2) DEFAULT 0.00, n NUMERIC, f FLOAT(30), r REAL,\n\
         ts timestamp(3) NOT NULL DEFAULT current_timestamp(3) ON UPDATE current_timestamp(3),\n\
         e enum('a','b''c') DEFAULT 'a', s set('x','y') CHARSET latin1,\n\
         g int GENERATED ALWAYS AS (id+1) VIRTUAL, p int AS (id * 2) PERSISTENT,\n\
         j json CHECK (json_valid(j)), c char(3) BINARY, bo BOOLEAN DEFAULT TRUE,\n\
         neg int DEFAULT -1, nv NATIONAL VARCHAR(5), z int(5) zerofill, sr SERIAL,\n\
         KEY `idx` (`name`(10)), UNIQUE KEY u (d), CONSTRAINT fk FOREIGN KEY (n) REFERENCES t2 (id) ON DELETE CASCADE,\n\
         PRIMARY KEY (`id`) USING BTREE\n\
         ) ENGINE=InnoDB AUTO_INCREMENT=5 DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci COMMENT='tbl' PARTITION BY HASH(id) PARTITIONS 4"]);
    let t = table(&h, "t");
    assert_eq!(t.primary_key, vec!["id"]);
    assert_eq!(t.default_charset.as_deref(), Some("latin1"));
    assert_eq!(t.comment.as_deref(), Some("tbl"));
    let c = |n: &str| t.column(n).unwrap();
    assert_eq!(c("id").data_type.full_name(), "BIGINT UNSIGNED");
    assert!(c("id").auto_increment && !c("id").nullable);
    assert_eq!(c("name").charset.as_deref(), Some("utf8mb4"));
    assert_eq!(c("name").collation.as_deref(), Some("utf8mb4_unicode_ci"));
    assert_eq!(c("name").default, Some(DefaultValue::Literal("x".into())));
    assert_eq!(c("name").comment.as_deref(), Some("hi"));
    assert_eq!(
        (c("d").data_type.length, c("d").data_type.scale),
        (Some(10), Some(2))
    );
    assert_eq!(
        (
            c("n").data_type.name.as_str(),
            c("n").data_type.length,
            c("n").data_type.scale
        ),
        ("DECIMAL", Some(10), Some(0))
    );
    assert_eq!(c("f").data_type.name, "DOUBLE");
    assert_eq!(c("r").data_type.name, "DOUBLE");
    assert_eq!(c("ts").data_type.length, Some(3));
    assert_eq!(
        c("ts").default,
        Some(DefaultValue::Expression("current_timestamp(3)".into()))
    );
    assert_eq!(c("e").data_type.values, vec!["a", "b'c"]);
    assert_eq!(c("e").charset.as_deref(), Some("latin1"));
    assert_eq!(c("s").charset.as_deref(), Some("latin1"));
    assert!(c("g").generated && c("p").generated);
    assert_eq!(c("bo").data_type.name, "BOOLEAN");
    assert_eq!(c("neg").default, Some(DefaultValue::Number("-1".into())));
    assert_eq!(c("nv").data_type.name, "VARCHAR");
    assert!(c("z").data_type.zerofill && c("z").data_type.unsigned);
    assert!(c("sr").auto_increment && c("sr").data_type.unsigned && !c("sr").nullable);
    assert_eq!(c("id").charset, None);

    let d = h
        .model()
        .table_description(&TableId::new("db", "t"), ConnectorKind::MariaDb)
        .unwrap();
    assert_eq!(&*d.namespace, "db");
    assert_eq!(d.primary_key, vec![Box::<str>::from("id")]);
    let col = |n: &str| d.columns.iter().find(|c| &*c.name == n).unwrap();
    assert_eq!(&*col("id").type_name, "BIGINT UNSIGNED");
    assert_eq!(col("ts").fsp, Some(3));
    assert_eq!(col("ts").length, None);
    assert_eq!(col("neg").default, Some(Value::Int32(-1)));
    assert_eq!(col("name").default, Some(Value::Text("x".into())));
    assert_eq!(col("e").enum_values.len(), 2);
}

#[test]
fn primary_keys() {
    let cases: &[(&[&str], &[&str])] = &[
        (&["CREATE TABLE t (a INT PRIMARY KEY, b INT)"], &["a"]),
        (
            &["CREATE TABLE t (a INT, b INT, CONSTRAINT pk PRIMARY KEY (b, a))"],
            &["b", "a"],
        ),
        (
            &[
                "CREATE TABLE t (a INT, b INT)",
                "ALTER TABLE t ADD PRIMARY KEY (a)",
            ],
            &["a"],
        ),
        (
            &[
                "CREATE TABLE t (a INT, b INT)",
                "ALTER TABLE t ADD CONSTRAINT p PRIMARY KEY (b)",
            ],
            &["b"],
        ),
        (
            &[
                "CREATE TABLE t (a INT PRIMARY KEY, b INT)",
                "ALTER TABLE t DROP PRIMARY KEY",
            ],
            &[],
        ),
        (
            &[
                "CREATE TABLE t (a INT PRIMARY KEY, b INT)",
                "ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (a, b)",
            ],
            &["a", "b"],
        ),
        (
            &[
                "CREATE TABLE t (a INT PRIMARY KEY, b INT)",
                "ALTER TABLE t CHANGE a x INT",
            ],
            &["x"],
        ),
        (
            &[
                "CREATE TABLE t (a INT PRIMARY KEY, b INT)",
                "ALTER TABLE t RENAME COLUMN a TO y",
            ],
            &["y"],
        ),
        (
            &[
                "CREATE TABLE t (a INT, b INT, PRIMARY KEY (a, b))",
                "ALTER TABLE t DROP COLUMN b",
            ],
            &["a"],
        ),
    ];
    for (stmts, pk) in cases {
        let (h, _) = run(stmts);
        assert_eq!(table(&h, "t").primary_key, *pk, "{stmts:?}");
        for name in *pk {
            assert!(!table(&h, "t").column(name).unwrap().nullable, "{stmts:?}");
        }
    }
}

#[test]
fn table_and_database_statements() {
    let (h, store) = run(&[
        "CREATE DATABASE IF NOT EXISTS `other` CHARACTER SET utf8mb4",
        BASE,
        "CREATE TABLE other.x (v TEXT)",
        "RENAME TABLE t TO t2, other.x TO other.y",
        "ALTER TABLE t2 RENAME TO t3",
        "ALTER TABLE t3 RENAME t4",
        "TRUNCATE TABLE t4",
        "TRUNCATE t4",
        "CREATE INDEX i ON t4 (a)",
        "CREATE UNIQUE INDEX j ON t4 (b)",
        "DROP INDEX IF EXISTS i ON t4",
        "CREATE TABLE d1 (a INT)",
        "CREATE TABLE d2 (a INT)",
        "DROP TABLE IF EXISTS `d1`, db.d2, nothere /* generated by server */",
        "CREATE OR REPLACE TABLE d3 (a INT)",
    ]);
    let ids: Vec<String> = h
        .model()
        .table_ids()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(ids, vec!["db.d3", "db.t4", "other.y"]);
    assert_eq!(
        h.model()
            .table(&TableId::new("other", "y"))
            .unwrap()
            .columns[0]
            .charset
            .as_deref(),
        Some("utf8mb4")
    );
    let records = store.records().unwrap();
    let rename = &records[3];
    assert_eq!(rename.table_changes.len(), 2);
    assert_eq!(rename.table_changes[0].kind, TableChangeKind::Alter);
    assert_eq!(rename.table_changes[0].id, "\"db\".\"t2\"");
    assert_eq!(
        rename.table_changes[0].previous_id.as_deref(),
        Some("\"db\".\"t\"")
    );
    let drop = records
        .iter()
        .find(|r| r.ddl.starts_with("DROP TABLE"))
        .unwrap();
    assert_eq!(
        drop.table_changes
            .iter()
            .map(|c| c.kind)
            .collect::<Vec<_>>(),
        vec![TableChangeKind::Drop; 2]
    );

    let (h, _) = run(&[
        BASE,
        "DROP DATABASE db",
        "CREATE SCHEMA s2",
        "DROP SCHEMA IF EXISTS s2",
    ]);
    assert!(h.model().table_ids().is_empty());
}

#[test]
fn charsets() {
    let (h, _) = run(&[
        "CREATE TABLE t (a VARCHAR(5), b INT, c TEXT COLLATE utf8mb4_bin) DEFAULT CHARSET=latin1",
        "ALTER TABLE t ADD d CHAR(1)",
    ]);
    let t = table(&h, "t");
    assert_eq!(t.column("a").unwrap().charset.as_deref(), Some("latin1"));
    assert_eq!(t.column("b").unwrap().charset, None);
    assert_eq!(t.column("c").unwrap().charset.as_deref(), Some("utf8mb4"));
    assert_eq!(t.column("d").unwrap().charset.as_deref(), Some("latin1"));
    let (h, _) = run(&[
        "CREATE TABLE t (a VARCHAR(5), b INT) DEFAULT CHARSET=latin1",
        "ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
    ]);
    assert_eq!(table(&h, "t").default_charset.as_deref(), Some("utf8mb4"));
    assert_eq!(
        table(&h, "t").column("a").unwrap().charset.as_deref(),
        Some("utf8mb4")
    );
    let (h, _) = run(&[
        "CREATE TABLE t (a TEXT, b TINYTEXT, c MEDIUMTEXT, d LONGTEXT, e INT) CHARSET latin1",
        "ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4",
    ]);
    let types: Vec<&str> = table(&h, "t")
        .columns
        .iter()
        .map(|c| c.data_type.name.as_str())
        .collect();
    assert_eq!(types, ["MEDIUMTEXT", "TEXT", "LONGTEXT", "LONGTEXT", "INT"]);
    let (h, _) = run(&[
        "CREATE TABLE t (a VARCHAR(5)) CHARSET latin1",
        "ALTER TABLE t DEFAULT CHARSET=utf8mb3",
        "ALTER TABLE t ADD b TEXT",
    ]);
    assert_eq!(
        table(&h, "t").column("a").unwrap().charset.as_deref(),
        Some("latin1")
    );
    assert_eq!(
        table(&h, "t").column("b").unwrap().charset.as_deref(),
        Some("utf8mb3")
    );
    let (h, _) = run(&["CREATE TABLE t (a VARCHAR(5)) /*!40101 DEFAULT CHARSET=koi8r */"]);
    assert_eq!(table(&h, "t").default_charset.as_deref(), Some("koi8r"));
}

#[test]
fn non_structural_statements_are_ignored() {
    for s in [
        "GRANT SELECT ON *.* TO 'u'@'%'",
        "CREATE USER 'u'@'%' IDENTIFIED BY 'p'",
        "SET PASSWORD FOR 'u'@'%' = 'x'",
        "ANALYZE TABLE t",
        "OPTIMIZE TABLE t",
        "CREATE VIEW v AS SELECT 1",
        "CREATE OR REPLACE ALGORITHM=UNDEFINED DEFINER=`root`@`localhost` SQL SECURITY DEFINER VIEW v AS SELECT 1",
        "CREATE DEFINER=`root`@`localhost` PROCEDURE p() BEGIN SELECT 1; END",
        "CREATE DEFINER=`root`@`localhost` TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1",
        "CREATE DEFINER=CURRENT_USER FUNCTION f() RETURNS int RETURN 1",
        "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO SELECT 1",
        "DROP VIEW v",
        "DROP USER u",
        "DROP PROCEDURE IF EXISTS p",
        "ALTER USER u IDENTIFIED BY 'x'",
        "RENAME USER a TO b",
        "FLUSH PRIVILEGES",
        "CREATE TEMPORARY TABLE tmp (a INT)",
        "DROP TEMPORARY TABLE IF EXISTS tmp",
        "CREATE SEQUENCE s",
        "REVOKE ALL ON *.* FROM u",
    ] {
        assert_eq!(parse(s), Ok(Ddl::Ignored), "{s}");
    }
}

#[test]
fn hostile_input_never_panics() {
    let long_ident = "a".repeat(100_000);
    let deep = format!(
        "CREATE TABLE t (a INT DEFAULT {}1{})",
        "(".repeat(50_000),
        ")".repeat(50_000)
    );
    let many_cols = format!(
        "CREATE TABLE t ({})",
        (0..5000)
            .map(|i| format!("c{i} INT"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let inputs: Vec<String> = vec![
        String::new(),
        "   ".into(),
        "/* only a comment */".into(),
        ";".into(),
        "garbage".into(),
        "CREATE".into(),
        "CREATE TABLE".into(),
        "CREATE TABLE t".into(),
        "CREATE TABLE t (".into(),
        "CREATE TABLE t (a".into(),
        "CREATE TABLE t (a INT".into(),
        "CREATE TABLE t (a INT DEFAULT".into(),
        "CREATE TABLE t (a ENUM(".into(),
        "CREATE TABLE t (a VARCHAR(99999999999))".into(),
        "ALTER TABLE".into(),
        "ALTER TABLE t ADD".into(),
        "ALTER TABLE t CHANGE a".into(),
        "RENAME TABLE a".into(),
        "DROP TABLE".into(),
        "CREATE TABLE t (a INT) '".into(),
        "CREATE TABLE `t".into(),
        "\u{0}\u{1}\u{ffff}".into(),
        "ALTER TABLE t ADD ((((((".into(),
        "CREATE TABLE t (a INT DEFAULT -)".into(),
        "CREATE TABLE t (a frobnicate)".into(),
        "CREATE TABLE t (a INT banana)".into(),
        "CREATE TABLE 表 (列 INT, `😀` VARCHAR(3) DEFAULT 'ü')".into(),
        format!("CREATE TABLE {long_ident} ({long_ident} INT)"),
        deep,
        many_cols,
        "x".repeat(1_000_000),
    ];
    for input in &inputs {
        let _ = parse(input);
        let mut h = SchemaHistory::new(HistoryOptions::capture_all("srv"));
        let mut store = MemorySchemaHistoryStore::new();
        let _ = h.apply_ddl(&mut store, "db", input, &pos(4), 0);
    }
    assert!(matches!(parse(""), Err(ParseError::Empty)));
    assert!(matches!(parse("/* c */"), Err(ParseError::Empty)));
    assert!(parse("CREATE TABLE t (a frobnicate)").is_err());
    let (h, _) = run(&["CREATE TABLE 表 (列 INT, `😀` VARCHAR(3) DEFAULT 'ü')"]);
    assert_eq!(columns(&h, "db", "表"), vec!["列", "😀"]);
}

#[test]
fn unparseable_ddl_policy() {
    let captured: CaptureFilter =
        Arc::new(|id: &TableId| id.database == "db" && id.table == "orders");
    let options = HistoryOptions {
        server_name: "srv".into(),
        skip_unparseable_ddl: false,
        is_captured: captured,
    };
    let mut h = SchemaHistory::new(options.clone());
    let mut store = MemorySchemaHistoryStore::new();
    // Touches a captured table: an error carrying the statement and the position.
    let bad = "ALTER TABLE orders FROBNICATE COLUMN x";
    assert!(parse(bad).is_err());
    match h.apply_ddl(
        &mut store,
        "db",
        "ALTER TABLE orders ADD x frobnicate",
        &pos(400),
        0,
    ) {
        Err(SchemaError::UnparseableDdl {
            statement,
            position,
            ..
        }) => {
            assert!(statement.contains("orders"));
            assert_eq!(*position, pos(400));
        }
        other => panic!("{other:?}"),
    }
    let err = h
        .apply_ddl(
            &mut store,
            "",
            "ALTER TABLE db.orders ADD x frobnicate",
            &pos(400),
            0,
        )
        .unwrap_err();
    assert!(err.to_string().contains("skip.unparseable.ddl"), "{err}");
    assert!(!err.is_transient());
    // An ALTER of a captured table the model does not know: inapplicable.
    assert!(matches!(
        h.apply_ddl(
            &mut store,
            "db",
            "ALTER TABLE orders ADD x INT",
            &pos(500),
            0
        ),
        Err(SchemaError::InapplicableDdl { .. })
    ));
    // Not captured: skipped.
    assert!(matches!(
        h.apply_ddl(
            &mut store,
            "db",
            "ALTER TABLE other ADD x frobnicate",
            &pos(600),
            0
        ),
        Ok(DdlOutcome::Skipped { .. })
    ));
    assert!(matches!(
        h.apply_ddl(
            &mut store,
            "db",
            "ALTER TABLE other ADD x INT",
            &pos(600),
            0
        ),
        Ok(DdlOutcome::Skipped { .. })
    ));
    // The option skips even captured tables.
    let mut lenient = SchemaHistory::new(HistoryOptions {
        skip_unparseable_ddl: true,
        ..options
    });
    assert!(matches!(
        lenient.apply_ddl(&mut store, "db", bad, &pos(700), 0),
        Ok(DdlOutcome::Skipped { .. })
    ));
    assert!(store.records().unwrap().is_empty());
    // An unparseable statement is only an error when a name in it is captured, even via a
    // broken quote.
    assert!(
        h.apply_ddl(
            &mut store,
            "db",
            "CREATE TABLE `orders (a INT",
            &pos(800),
            0
        )
        .is_err()
    );
}

#[test]
fn records_round_trip_as_debezium_json() {
    let (_, store) = run(&[
        "CREATE TABLE t (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20) DEFAULT 'x' COMMENT 'c', e ENUM('a','b'), v DATETIME(6) DEFAULT NULL) DEFAULT CHARSET=utf8mb4 COMMENT='tc'",
        "RENAME TABLE t TO u",
    ]);
    let records = store.records().unwrap();
    let json: serde_json::Value = serde_json::to_value(&records[0]).unwrap();
    assert_eq!(json["source"]["server"], "srv");
    assert_eq!(json["position"]["file"], "mysql-bin.000001");
    assert_eq!(json["position"]["pos"], 4);
    assert_eq!(json["position"]["gtids"], "0-1-4");
    assert_eq!(json["ts_ms"], 1000);
    assert_eq!(json["databaseName"], "db");
    let change = &json["tableChanges"][0];
    assert_eq!(change["type"], "CREATE");
    assert_eq!(change["id"], "\"db\".\"t\"");
    assert_eq!(change["comment"], "tc");
    assert!(change.get("previousId").is_none());
    let table = &change["table"];
    assert_eq!(table["defaultCharsetName"], "utf8mb4");
    assert_eq!(table["primaryKeyColumnNames"], serde_json::json!(["id"]));
    assert_eq!(table["attributes"], serde_json::json!([]));
    let id = &table["columns"][0];
    assert_eq!(id["typeName"], "INT UNSIGNED");
    assert_eq!(id["jdbcType"], 4);
    assert_eq!(id["position"], 1);
    assert_eq!(id["optional"], false);
    assert_eq!(id["autoIncremented"], true);
    assert_eq!(id["hasDefaultValue"], false);
    let name = &table["columns"][1];
    assert_eq!(name["length"], 20);
    assert_eq!(name["charsetName"], "utf8mb4");
    assert_eq!(name["defaultValueExpression"], "x");
    assert_eq!(name["comment"], "c");
    assert_eq!(
        table["columns"][2]["enumValues"],
        serde_json::json!(["a", "b"])
    );
    let v = &table["columns"][3];
    assert_eq!(v["length"], 6);
    assert_eq!(v["hasDefaultValue"], true);
    assert!(v.get("defaultValueExpression").is_none());
    for r in &records {
        let text = serde_json::to_string(r).unwrap();
        let back: HistoryRecord = serde_json::from_str(&text).unwrap();
        assert_eq!(&back, r);
    }
    assert_eq!(
        records[1].table_changes[0].previous_id.as_deref(),
        Some("\"db\".\"t\"")
    );
}

// ---- file store ----

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh directory under the system temp dir (no tempfile crate in this package).
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let dir = std::env::temp_dir().join(format!(
            "tributary-schema-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn file_store_appends_and_recovers_up_to_a_position() {
    let dir = TempDir::new();
    let path = dir.0.join("history.jsonl");
    let mut store = FileSchemaHistoryStore::open(&path).unwrap();
    let mut h = SchemaHistory::new(HistoryOptions::capture_all("srv"));
    let stmts = [
        BASE,
        "ALTER TABLE t ADD c INT AFTER id",
        "ALTER TABLE t DROP a",
        "RENAME TABLE t TO u",
    ];
    let mut snapshots = Vec::new();
    for (i, s) in stmts.iter().enumerate() {
        h.apply_ddl(&mut store, "db", s, &pos(100 * (i as u64 + 1)), 0)
            .unwrap();
        snapshots.push(h.model().clone());
    }
    drop(store);
    let store = FileSchemaHistoryStore::open(&path).unwrap();
    assert_eq!(store.records().unwrap().len(), 4);
    for (i, snapshot) in snapshots.iter().enumerate() {
        let r = SchemaHistory::recover(
            HistoryOptions::capture_all("srv"),
            &store,
            Some(&pos(100 * (i as u64 + 1))),
        )
        .unwrap();
        assert_eq!(r.model(), snapshot, "up to record {i}");
        // A position between records recovers the earlier one.
        let r = SchemaHistory::recover(
            HistoryOptions::capture_all("srv"),
            &store,
            Some(&pos(100 * (i as u64 + 1) + 50)),
        )
        .unwrap();
        assert_eq!(r.model(), snapshot);
    }
    let r =
        SchemaHistory::recover(HistoryOptions::capture_all("srv"), &store, Some(&pos(50))).unwrap();
    assert_eq!(r.model(), &SchemaModel::new());
    // A later file sorts after, whatever its text.
    let later = BinlogPosition {
        file: "mysql-bin.1000000".into(),
        pos: 4,
        ..pos(4)
    };
    assert_eq!(later.cmp_binlog(&pos(999_999)), std::cmp::Ordering::Greater);
}

#[test]
fn torn_last_line_is_truncated_and_corruption_is_reported() {
    let dir = TempDir::new();
    let path = dir.0.join("history.jsonl");
    {
        let mut store = FileSchemaHistoryStore::open(&path).unwrap();
        let mut h = SchemaHistory::new(HistoryOptions::capture_all("srv"));
        h.apply_ddl(&mut store, "db", BASE, &pos(4), 0).unwrap();
        h.apply_ddl(&mut store, "db", "ALTER TABLE t ADD z INT", &pos(100), 0)
            .unwrap();
    }
    let full = std::fs::read(&path).unwrap();
    // Simulate a crash in the middle of the second record's write.
    let first_end = full.iter().position(|&b| b == b'\n').unwrap() + 1;
    std::fs::write(&path, &full[..first_end + 30]).unwrap();
    let mut store = FileSchemaHistoryStore::open(&path).unwrap();
    assert_eq!(store.records().unwrap().len(), 1);
    assert_eq!(std::fs::read(&path).unwrap().len(), first_end);
    // Appending after the truncation gives a clean file.
    let mut h = SchemaHistory::recover(HistoryOptions::capture_all("srv"), &store, None).unwrap();
    h.apply_ddl(&mut store, "db", "ALTER TABLE t ADD z INT", &pos(100), 0)
        .unwrap();
    drop(store);
    let store = FileSchemaHistoryStore::open(&path).unwrap();
    assert_eq!(store.records().unwrap().len(), 2);
    // A complete line that is not a record is corruption, not silently dropped.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"{\"not\":\"a record\"}\n");
    std::fs::write(&path, &bytes).unwrap();
    match FileSchemaHistoryStore::open(&path) {
        Err(SchemaError::Corrupt { line, .. }) => assert_eq!(line, 3),
        other => panic!("{other:?}"),
    }
}

// ---- property test ----

/// xorshift64*: a deterministic generator so a failure reproduces from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const TYPES: &[&str] = &[
    "INT",
    "BIGINT UNSIGNED",
    "VARCHAR(20)",
    "DECIMAL(8,3)",
    "DATETIME(3)",
    "TEXT CHARACTER SET latin1",
    "ENUM('x','y')",
    "TINYINT(1) NOT NULL DEFAULT 0",
    "CHAR(4) DEFAULT 'ab'",
    "DOUBLE",
];

/// A random statement that is valid for the current model (or harmlessly idempotent).
fn random_statement(rng: &mut Rng, model: &SchemaModel, n: usize) -> String {
    let tables: Vec<TableId> = model.table_ids();
    let col = |rng: &mut Rng| format!("c{}_{}", n, rng.below(1000));
    if tables.is_empty() || rng.below(6) == 0 {
        return format!(
            "CREATE TABLE `t{n}` (id INT NOT NULL, {} {}, PRIMARY KEY (id)) DEFAULT CHARSET=utf8mb4",
            col(rng),
            rng.pick(TYPES)
        );
    }
    let id = &tables[rng.below(tables.len())];
    let table = model.table(id).unwrap();
    let existing = |rng: &mut Rng| table.columns[rng.below(table.columns.len())].name.clone();
    match rng.below(9) {
        0 => format!(
            "ALTER TABLE `{}` ADD COLUMN {} {} AFTER `{}`",
            id.table,
            col(rng),
            rng.pick(TYPES),
            existing(rng)
        ),
        1 => format!(
            "ALTER TABLE {} ADD {} {} FIRST",
            id.table,
            col(rng),
            rng.pick(TYPES)
        ),
        2 if table.columns.len() > 1 => {
            let c = existing(rng);
            format!("ALTER TABLE {} DROP COLUMN `{c}`", id.table)
        }
        3 => format!(
            "ALTER TABLE {} MODIFY `{}` {} FIRST",
            id.table,
            existing(rng),
            rng.pick(TYPES)
        ),
        4 => format!(
            "ALTER TABLE {} CHANGE `{}` {} {}",
            id.table,
            existing(rng),
            col(rng),
            rng.pick(TYPES)
        ),
        5 => format!("RENAME TABLE {} TO r{n}", id.table),
        6 => format!("DROP TABLE IF EXISTS {}", id.table),
        7 => format!("ALTER TABLE {} CONVERT TO CHARACTER SET latin1", id.table),
        _ => format!("CREATE TABLE t{n} LIKE {}", id.table),
    }
}

#[test]
fn property_random_ddl_recovers_to_the_same_model() {
    for seed in 1..=40u64 {
        let dir = TempDir::new();
        let path = dir.0.join("history.jsonl");
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let mut store = FileSchemaHistoryStore::open(&path).unwrap();
        let mut h = SchemaHistory::new(HistoryOptions::capture_all("srv"));
        let mut snapshots = Vec::new();
        let steps = 10 + rng.below(40);
        for n in 0..steps {
            let stmt = random_statement(&mut rng, h.model(), n);
            let p = BinlogPosition {
                file: format!("mysql-bin.{:06}", 1 + n / 10),
                pos: 4 + (n as u64 % 10) * 100,
                ..pos(0)
            };
            match h.apply_ddl(&mut store, "db", &stmt, &p, 0) {
                Ok(DdlOutcome::Applied(_)) => snapshots.push((p, h.model().clone())),
                other => panic!("seed {seed}: {stmt}: {other:?}"),
            }
        }
        drop(store);
        let store = FileSchemaHistoryStore::open(&path).unwrap();
        let recovered =
            SchemaHistory::recover(HistoryOptions::capture_all("srv"), &store, None).unwrap();
        assert_eq!(recovered.model(), h.model(), "seed {seed}");
        let (p, snapshot) = &snapshots[rng.below(snapshots.len())];
        let partial =
            SchemaHistory::recover(HistoryOptions::capture_all("srv"), &store, Some(p)).unwrap();
        assert_eq!(partial.model(), snapshot, "seed {seed} at {p}");
    }
}

#[test]
fn mariadb_json_check_reads_back_as_json() {
    // `SHOW CREATE TABLE` on MariaDB prints a JSON column as LONGTEXT with a json_valid
    // CHECK; a LONGTEXT with another CHECK stays LONGTEXT.
    let (h, _) = run(&[
        "CREATE TABLE t (`j` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL \
         CHECK (json_valid(`j`)), k longtext CHECK (json_valid(`j`)), l longtext CHECK (length(l) > 1))",
    ]);
    let t = table(&h, "t");
    let names: Vec<&str> = t
        .columns
        .iter()
        .map(|c| c.data_type.name.as_str())
        .collect();
    assert_eq!(names, ["JSON", "LONGTEXT", "LONGTEXT"]);
}

#[test]
fn replayed_ddl_after_recovery_is_applied_but_not_stored_again() {
    let stmts = [
        BASE,
        "ALTER TABLE t ADD COLUMN c INT AFTER id",
        "ALTER TABLE t DROP COLUMN b",
    ];
    let (_, store) = run(&stmts);
    assert_eq!(store.records().unwrap().len(), 3);
    // Restart at the first DDL's position: the two ALTERs come again from the binlog.
    let mut h =
        SchemaHistory::recover(HistoryOptions::capture_all("srv"), &store, Some(&pos(4))).unwrap();
    let mut store = store;
    for (i, s) in stmts.iter().enumerate().skip(1) {
        let outcome = h.apply_ddl(&mut store, "db", s, &pos(i as u64 * 100 + 4), 1000);
        assert!(
            matches!(outcome, Ok(DdlOutcome::Applied(_))),
            "{s}: {outcome:?}"
        );
    }
    assert_eq!(columns(&h, "db", "t"), ["id", "c", "a"]);
    assert_eq!(store.records().unwrap().len(), 3, "nothing stored twice");
    // A new DDL after the replayed ones is stored.
    h.apply_ddl(
        &mut store,
        "db",
        "ALTER TABLE t ADD COLUMN d INT",
        &pos(900),
        1000,
    )
    .unwrap();
    assert_eq!(store.records().unwrap().len(), 4);
}

#[test]
fn row_converter_and_description_follow_the_model() {
    let (h, _) = run(&[
        "CREATE TABLE t (id BIGINT UNSIGNED NOT NULL PRIMARY KEY, v VARCHAR(3) CHARACTER SET binary, \
         w TEXT CHARACTER SET latin1, x TEXT CHARACTER SET sjis, b BIT(1), e ENUM('a','b'))",
    ]);
    let id = TableId::new("db", "t");
    let err = h.captured_table(&id, ConnectorKind::MariaDb).unwrap_err();
    assert!(err.to_string().contains("sjis"), "{err}");
    let (h, _) = run(&[
        "CREATE TABLE t (id BIGINT UNSIGNED NOT NULL PRIMARY KEY, v VARCHAR(3) CHARACTER SET binary, \
         w TEXT CHARACTER SET latin1, b BIT(1), e ENUM('a','b'))",
    ]);
    let captured = h
        .captured_table(&id, ConnectorKind::MariaDb)
        .unwrap()
        .unwrap();
    use tributary_decoders::binlog::{Charset, ColumnKind, IntegerType};
    let kinds: Vec<&ColumnKind> = captured
        .converter
        .columns()
        .iter()
        .map(|c| &c.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            &ColumnKind::Integer {
                ty: IntegerType::Big,
                unsigned: true
            },
            &ColumnKind::Binary,
            &ColumnKind::Text(Charset::Latin1),
            &ColumnKind::Bool,
            &ColumnKind::Enum(vec!["a".into(), "b".into()].into()),
        ]
    );
    let types: Vec<&str> = captured
        .description
        .columns
        .iter()
        .map(|c| &*c.type_name)
        .collect();
    assert_eq!(
        types,
        ["BIGINT UNSIGNED", "VARBINARY", "TEXT", "BIT", "ENUM"]
    );
    assert_eq!(captured.description.connector, ConnectorKind::MariaDb);
    assert!(
        h.captured_table(&TableId::new("db", "nope"), ConnectorKind::MariaDb)
            .unwrap()
            .is_none()
    );
}
