//! pgoutput text values from a real PostgreSQL 15: a row with one column per type (and arrays
//! of them) holding edge values is read back through a pgoutput slot and every column is
//! decoded to the exact expected `Value`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tokio_postgres::{Client, NoTls};
use tributary_decoders::pgoutput::values::{
    RowDecoder, TextDecoder, UserType, UserTypes, builtin_array_element, builtin_arrays,
};
use tributary_decoders::pgoutput::{Decoder, Insert, Message, Oid, RelationCache};
use tributary_envelope::Value;
use tributary_envelope::decimal::Decimal;
use tributary_envelope::value::{Extended, Numeric};
use tributary_testcontainers::{PgConfig, Postgres, unique_name};

/// `(column, type, SQL literal, expected value)`.
type Case = (&'static str, &'static str, &'static str, Value);

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

fn dec(s: &str) -> Value {
    Value::Numeric(Numeric::Finite(Decimal::parse(s).unwrap()))
}

fn arr(items: Vec<Value>) -> Value {
    Value::Array(items.into_boxed_slice())
}

fn cases() -> Vec<Case> {
    vec![
        ("c_bool", "bool", "true", Value::Bool(true)),
        ("c_int2", "int2", "-32768", Value::Int16(i16::MIN)),
        ("c_int4", "int4", "2147483647", Value::Int32(i32::MAX)),
        (
            "c_int8",
            "int8",
            "-9223372036854775808",
            Value::Int64(i64::MIN),
        ),
        ("c_oid", "oid", "4294967295", Value::Int64(4_294_967_295)),
        (
            "c_float4",
            "float4",
            "3.4028235e38",
            Value::Float32(f32::MAX),
        ),
        (
            "c_float4_ninf",
            "float4",
            "'-Infinity'",
            Value::Float32(f32::NEG_INFINITY),
        ),
        ("c_float8", "float8", "0.1", Value::Float64(0.1)),
        ("c_float8_nan", "float8", "'NaN'", Value::Float64(f64::NAN)),
        (
            "c_float8_min",
            "float8",
            "2.2250738585072014e-308",
            Value::Float64(f64::MIN_POSITIVE),
        ),
        (
            "c_numeric",
            "numeric",
            "'-12345678901234567890.000001234500'",
            dec("-12345678901234567890.000001234500"),
        ),
        (
            "c_numeric_nan",
            "numeric",
            "'NaN'",
            Value::Numeric(Numeric::NaN),
        ),
        (
            "c_numeric_ninf",
            "numeric",
            "'-Infinity'",
            Value::Numeric(Numeric::NegativeInfinity),
        ),
        ("c_numeric_scaled", "numeric(10,2)", "3.14159", dec("3.14")),
        ("c_money", "money", "-1234.56", dec("-1234.56")),
        (
            "c_money_max",
            "money",
            "92233720368547758.07",
            dec("92233720368547758.07"),
        ),
        ("c_char", "\"char\"", "'x'", text("x")),
        ("c_bpchar", "char(5)", "'ab'", text("ab   ")),
        ("c_varchar", "varchar(10)", "'héllo'", text("héllo")),
        (
            "c_text",
            "text",
            r#"'quote'' "dq" back\slash 日本 🚀'"#,
            text(r#"quote' "dq" back\slash 日本 🚀"#),
        ),
        ("c_text_empty", "text", "''", text("")),
        ("c_name", "name", "'n'", text("n")),
        (
            "c_bytea",
            "bytea",
            r"'\x00ff10'",
            Value::Bytes(Box::new([0, 0xff, 0x10])),
        ),
        ("c_bytea_empty", "bytea", "''", Value::Bytes(Box::new([]))),
        (
            "c_date_min",
            "date",
            "'4714-11-24 BC'",
            Value::Date(Extended::Finite(-2_440_588)),
        ),
        (
            "c_date_max",
            "date",
            "'5874897-12-31'",
            Value::Date(Extended::Finite(2_145_042_905)),
        ),
        (
            "c_date_inf",
            "date",
            "'infinity'",
            Value::Date(Extended::PositiveInfinity),
        ),
        ("c_time", "time", "'24:00:00'", Value::Time(86_400_000_000)),
        (
            "c_time_frac",
            "time(3)",
            "'13:14:15.1239'",
            Value::Time(47_655_124_000),
        ),
        (
            "c_timetz",
            "timetz",
            "'04:05:06.789-08'",
            Value::TimeTz {
                micros: 14_706_789_000,
                offset_seconds: -8 * 3600,
            },
        ),
        (
            "c_timestamp",
            "timestamp",
            "'1999-12-31 23:59:59.999999'",
            Value::Timestamp(Extended::Finite(946_684_799_999_999)),
        ),
        (
            "c_timestamp_bc",
            "timestamp",
            "'0044-03-15 12:00:00 BC'",
            Value::Timestamp(Extended::Finite(-63_517_780_800_000_000)),
        ),
        (
            "c_timestamp_inf",
            "timestamp",
            "'infinity'",
            Value::Timestamp(Extended::PositiveInfinity),
        ),
        (
            "c_timestamptz",
            "timestamptz",
            "'2000-01-01 00:00:00+00'",
            Value::TimestampTz(Extended::Finite(946_684_800_000_000)),
        ),
        (
            "c_timestamptz_lmt",
            "timestamptz",
            "'1850-06-01 00:00:00+00'",
            Value::TimestampTz(Extended::Finite(-3_773_779_200_000_000)),
        ),
        (
            "c_timestamptz_ninf",
            "timestamptz",
            "'-infinity'",
            Value::TimestampTz(Extended::NegativeInfinity),
        ),
        (
            "c_interval",
            "interval",
            "'-1 years -2 mons +3 days -04:05:06.789'",
            Value::Interval {
                months: -14,
                days: 3,
                micros: -14_706_789_000,
            },
        ),
        (
            "c_interval_max",
            "interval",
            "'178956970 years 7 mons 2147483647 days 2562047788:00:54.775807'",
            Value::Interval {
                months: i32::MAX,
                days: i32::MAX,
                micros: i64::MAX,
            },
        ),
        (
            "c_interval_zero",
            "interval",
            "'0'",
            Value::Interval {
                months: 0,
                days: 0,
                micros: 0,
            },
        ),
        (
            "c_uuid",
            "uuid",
            "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'",
            Value::Uuid([
                0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38,
                0x0a, 0x11,
            ]),
        ),
        (
            "c_json",
            "json",
            r#"'{"a": [1, "x"]}'"#,
            Value::Json(r#"{"a": [1, "x"]}"#.into()),
        ),
        (
            "c_jsonb",
            "jsonb",
            r#"'{"b":1, "a":"é"}'"#,
            Value::Json(r#"{"a": "é", "b": 1}"#.into()),
        ),
        ("c_xml", "xml", "'<a>é</a>'", text("<a>é</a>")),
        ("c_inet", "inet", "'192.168.0.1/24'", text("192.168.0.1/24")),
        (
            "c_inet6",
            "inet",
            "'::ffff:1.2.3.4'",
            text("::ffff:1.2.3.4"),
        ),
        ("c_cidr", "cidr", "'10.0.0.0/8'", text("10.0.0.0/8")),
        (
            "c_macaddr",
            "macaddr",
            "'08-00-2B-01-02-03'",
            text("08:00:2b:01:02:03"),
        ),
        (
            "c_macaddr8",
            "macaddr8",
            "'08:00:2b:01:02:03:04:05'",
            text("08:00:2b:01:02:03:04:05"),
        ),
        (
            "c_bit",
            "bit(12)",
            "B'110000000001'",
            Value::Bits {
                len: 12,
                bytes: Box::new([0x0c, 0x01]),
            },
        ),
        (
            "c_bit1",
            "bit(1)",
            "B'1'",
            Value::Bits {
                len: 1,
                bytes: Box::new([1]),
            },
        ),
        (
            "c_varbit_empty",
            "varbit",
            "B''",
            Value::Bits {
                len: 0,
                bytes: Box::new([]),
            },
        ),
        (
            "c_tsvector",
            "tsvector",
            "'a fat cat'",
            text("'a' 'cat' 'fat'"),
        ),
        (
            "c_point",
            "point",
            "'(1.5,-2)'",
            Value::Point { x: 1.5, y: -2.0 },
        ),
        ("c_line", "line", "'{1,2,3}'", text("{1,2,3}")),
        ("c_lseg", "lseg", "'[(0,0),(1,1)]'", text("[(0,0),(1,1)]")),
        ("c_box", "box", "'(0,0),(1,1)'", text("(1,1),(0,0)")),
        (
            "c_path",
            "path",
            "'((0,0),(1,0),(1,1))'",
            text("((0,0),(1,0),(1,1))"),
        ),
        (
            "c_polygon",
            "polygon",
            "'((0,0),(1,0),(1,1))'",
            text("((0,0),(1,0),(1,1))"),
        ),
        ("c_circle", "circle", "'<(0,0),2>'", text("<(0,0),2>")),
        ("c_int4range", "int4range", "'[1,5]'", text("[1,6)")),
        (
            "c_tstzrange",
            "tstzrange",
            "'[2000-01-01 00:00:00+00,infinity)'",
            text(r#"["2000-01-01 05:45:00+05:45",infinity)"#),
        ),
        ("c_numrange", "numrange", "'empty'", text("empty")),
        (
            "c_enum",
            "mood",
            "'very sad'",
            Value::Enum("very sad".into()),
        ),
        ("c_domain", "posint", "7", Value::Int32(7)),
        (
            "c_hstore",
            "hstore",
            "'a=>b, c=>NULL'",
            text(r#""a"=>"b", "c"=>NULL"#),
        ),
        (
            "c_userrange",
            "floatrange",
            "'[1.5,2.5]'",
            text("[1.5,2.5]"),
        ),
        (
            "c_composite",
            "pair",
            "ROW(1, 'a b')",
            Value::Unknown(r#"(1,"a b")"#.into()),
        ),
        (
            "c_lsn",
            "pg_lsn",
            "'16/B374D848'",
            Value::Unknown("16/B374D848".into()),
        ),
        // Arrays.
        (
            "a_int4",
            "int4[]",
            "'[0:1]={1,NULL}'",
            arr(vec![Value::Int32(1), Value::Null]),
        ),
        (
            "a_int4_2d",
            "int4[]",
            "'{{1,2},{3,4}}'",
            arr(vec![
                arr(vec![Value::Int32(1), Value::Int32(2)]),
                arr(vec![Value::Int32(3), Value::Int32(4)]),
            ]),
        ),
        ("a_empty", "int8[]", "'{}'", arr(vec![])),
        (
            "a_text",
            "text[]",
            r#"ARRAY['a b', 'NULL', NULL, 'q"\', '', '{}', 'é,;']"#,
            arr(vec![
                text("a b"),
                text("NULL"),
                Value::Null,
                text(r#"q"\"#),
                text(""),
                text("{}"),
                text("é,;"),
            ]),
        ),
        (
            "a_text_3d",
            "text[]",
            r#"'{{{a,"b c"}},{{NULL,d}}}'"#,
            arr(vec![
                arr(vec![arr(vec![text("a"), text("b c")])]),
                arr(vec![arr(vec![Value::Null, text("d")])]),
            ]),
        ),
        (
            "a_bytea",
            "bytea[]",
            r"ARRAY['\x00ff'::bytea, NULL]",
            arr(vec![Value::Bytes(Box::new([0, 0xff])), Value::Null]),
        ),
        (
            "a_timestamptz",
            "timestamptz[]",
            "ARRAY['infinity', '2000-01-01 00:00:00+00']::timestamptz[]",
            arr(vec![
                Value::TimestampTz(Extended::PositiveInfinity),
                Value::TimestampTz(Extended::Finite(946_684_800_000_000)),
            ]),
        ),
        (
            "a_numeric",
            "numeric[]",
            "'{1.50,NaN,-Infinity}'",
            arr(vec![
                dec("1.50"),
                Value::Numeric(Numeric::NaN),
                Value::Numeric(Numeric::NegativeInfinity),
            ]),
        ),
        (
            "a_interval",
            "interval[]",
            "ARRAY['1 day -00:00:01'::interval]",
            arr(vec![Value::Interval {
                months: 0,
                days: 1,
                micros: -1_000_000,
            }]),
        ),
        (
            "a_box",
            "box[]",
            "ARRAY['(1,1),(0,0)'::box, '(2,2),(1,1)'::box]",
            arr(vec![text("(1,1),(0,0)"), text("(2,2),(1,1)")]),
        ),
        (
            "a_point",
            "point[]",
            "ARRAY[point(1,2), NULL]",
            arr(vec![Value::Point { x: 1.0, y: 2.0 }, Value::Null]),
        ),
        (
            "a_bool",
            "bool[]",
            "'{t,f,NULL}'",
            arr(vec![Value::Bool(true), Value::Bool(false), Value::Null]),
        ),
        (
            "a_date",
            "date[]",
            "'{2000-01-01,-infinity}'",
            arr(vec![
                Value::Date(Extended::Finite(10_957)),
                Value::Date(Extended::NegativeInfinity),
            ]),
        ),
        (
            "a_enum",
            "mood[]",
            r#"'{happy,"very sad",NULL}'"#,
            arr(vec![
                Value::Enum("happy".into()),
                Value::Enum("very sad".into()),
                Value::Null,
            ]),
        ),
        (
            "a_jsonb",
            "jsonb[]",
            r#"ARRAY['{"a": "x,y"}'::jsonb]"#,
            arr(vec![Value::Json(r#"{"a": "x,y"}"#.into())]),
        ),
        (
            "a_money",
            "money[]",
            "'{1.00,-2.50}'",
            arr(vec![dec("1.00"), dec("-2.50")]),
        ),
        (
            "a_varbit",
            "varbit[]",
            "ARRAY[B'101', B'']",
            arr(vec![
                Value::Bits {
                    len: 3,
                    bytes: Box::new([5]),
                },
                Value::Bits {
                    len: 0,
                    bytes: Box::new([]),
                },
            ]),
        ),
        (
            "a_domain",
            "posint[]",
            "ARRAY[1, 2]::posint[]",
            arr(vec![Value::Int32(1), Value::Int32(2)]),
        ),
        (
            "a_uuid",
            "uuid[]",
            "ARRAY['00000000-0000-0000-0000-000000000000'::uuid]",
            arr(vec![Value::Uuid([0; 16])]),
        ),
        (
            "a_hstore",
            "hstore[]",
            r#"ARRAY['"k\"q"=>"v"'::hstore]"#,
            arr(vec![text(r#""k\"q"=>"v""#)]),
        ),
        (
            "a_inet",
            "inet[]",
            "'{::1,10.1.2.3/8}'",
            arr(vec![text("::1"), text("10.1.2.3/8")]),
        ),
        (
            "a_char",
            "\"char\"[]",
            r#"'{a,"\""}'"#,
            arr(vec![text("a"), text("\"")]),
        ),
    ]
}

async fn connect(config: &PgConfig) -> Client {
    let (client, connection) = tokio_postgres::connect(&config.connection_string(), NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    client
}

/// Creates the schema, inserts the edge-value row and an all-NULL row, and returns the
/// client and the slot name.
async fn set_up(config: &PgConfig) -> (Client, String) {
    let client = connect(config).await;
    let columns: Vec<String> = cases()
        .iter()
        .map(|(name, ty, _, _)| format!("{name} {ty}"))
        .collect();
    client
        .batch_execute(&format!(
            "CREATE EXTENSION hstore;
             CREATE TYPE mood AS ENUM ('happy', 'very sad');
             CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
             CREATE TYPE floatrange AS RANGE (subtype = float8);
             CREATE TYPE pair AS (n int, s text);
             CREATE TABLE t (c_big text, {});
             CREATE PUBLICATION tributary_pub FOR TABLE t;",
            columns.join(", ")
        ))
        .await
        .expect("schema");
    let slot = unique_name("slot");
    client
        .execute(
            "SELECT pg_create_logical_replication_slot($1::text::name, 'pgoutput')",
            &[&slot],
        )
        .await
        .expect("create slot");
    let names: Vec<&str> = cases().iter().map(|c| c.0).collect();
    let literals: Vec<&str> = cases().iter().map(|c| c.2).collect();
    client
        .batch_execute(&format!(
            "INSERT INTO t (c_big, {}) VALUES (repeat('x', 1048576), {});
             INSERT INTO t DEFAULT VALUES;",
            names.join(", "),
            literals.join(", ")
        ))
        .await
        .expect("insert");
    (client, slot)
}

/// Reads the slot (without consuming it) in a session configured like the engine's
/// replication connection. `pg_logical_slot_peek_binary_changes` runs pgoutput in this
/// backend, so `SET` applies; a walsender needs the start-up `options` instead.
async fn peek(client: &Client, slot: &str, session: &str) -> Vec<Vec<u8>> {
    client.batch_execute(session).await.unwrap();
    client
        .query(
            "SELECT data FROM pg_logical_slot_peek_binary_changes($1::text::name, NULL, NULL, \
             'proto_version', '1', 'publication_names', 'tributary_pub')",
            &[&slot],
        )
        .await
        .expect("peek changes")
        .iter()
        .map(|r| r.get::<_, Vec<u8>>(0))
        .collect()
}

/// Fills a resolver from `pg_type` for every column type that is not built in, the way
/// the engine does after a Type message.
async fn user_types(client: &Client, oids: &[Oid]) -> UserTypes {
    let rows = client
        .query(
            "SELECT t.oid, t.typtype::text, t.typname::text, t.typbasetype, t.typtypmod, \
             t.typelem, coalesce(e.typdelim::text, ',') \
             FROM pg_type t LEFT JOIN pg_type e ON e.oid = t.typelem WHERE t.oid = ANY($1)",
            &[&oids],
        )
        .await
        .unwrap();
    let mut types = UserTypes::new();
    for row in rows {
        let typtype: String = row.get(1);
        let delim: String = row.get(6);
        if let Some(kind) = UserType::from_pg_type(
            typtype.as_bytes()[0],
            &row.get::<_, String>(2),
            row.get(3),
            row.get(4),
            row.get(5),
            delim.as_bytes()[0],
        ) {
            types.insert(row.get(0), kind);
        }
    }
    types
}

fn inserts<'a>(
    decoder: &mut Decoder,
    cache: &mut RelationCache,
    messages: &'a [Vec<u8>],
) -> Vec<Insert<'a>> {
    let mut out = Vec::new();
    for bytes in messages {
        let message = decoder.decode(bytes).expect("decode");
        cache.observe(&message);
        if let Message::Insert(insert) = message {
            out.push(insert);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_type_decodes_exactly_from_a_real_insert() {
    let server = Postgres::shared().expect("start PostgreSQL 15");
    let config = server.create_database().unwrap();
    let (client, slot) = set_up(&config).await;
    let messages = peek(
        &client,
        &slot,
        "SET DateStyle = ISO; SET IntervalStyle = postgres; SET extra_float_digits = 3; \
         SET TimeZone = 'Asia/Kathmandu'",
    )
    .await;
    let mut decoder = Decoder::new(1);
    let mut cache = RelationCache::new();
    let rows = inserts(&mut decoder, &mut cache, &messages);
    assert_eq!(rows.len(), 2);
    let relation = cache.require(rows[0].relation_oid).unwrap().clone();

    let oids: Vec<Oid> = relation.columns.iter().map(|c| c.type_oid).collect();
    let types = user_types(&client, &oids).await;
    let mut unknown = Vec::new();
    let row_decoder = RowDecoder::new(&relation, &types, &mut |u| {
        unknown.push((u.column.name.clone(), u.unknown_type_oid));
    });
    // A composite and pg_lsn are unmapped: each is reported once, and decoded to its text.
    assert_eq!(unknown.len(), 2, "{unknown:?}");
    assert_eq!(unknown[0].0, "c_composite");
    assert_eq!(unknown[1], ("c_lsn".to_owned(), 3220));

    let values = row_decoder.decode(&relation, &rows[0].new).unwrap();
    let Value::Text(big) = &values[0] else {
        panic!("{:?}", &values[0])
    };
    assert_eq!(big.len(), 1_048_576);
    let mut failures = Vec::new();
    for ((name, ty, literal, want), got) in cases().iter().zip(&values[1..]) {
        // Debug form: NaN compares equal to itself there.
        if format!("{got:?}") != format!("{want:?}") {
            failures.push(format!(
                "{name} {ty} = {literal}: got {got:?}, want {want:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The all-NULL row decodes to nulls, never to defaults.
    let nulls = row_decoder.decode(&relation, &rows[1].new).unwrap();
    assert!(nulls.iter().all(Value::is_null), "{nulls:?}");

    // Another DateStyle is refused with the fix, not misread.
    let messages = peek(&client, &slot, "SET DateStyle = 'SQL, DMY'").await;
    let mut decoder = Decoder::new(1);
    let mut cache = RelationCache::new();
    let rows = inserts(&mut decoder, &mut cache, &messages);
    let err = row_decoder.decode(&relation, &rows[0].new).unwrap_err();
    assert!(err.to_string().contains("DateStyle=ISO"), "{err}");
}

/// The walsender takes settings from the start-up packet's `options`: a replication
/// connection started with `-c DateStyle=...` reports it (SHOW works on a
/// `replication=database` connection).
#[test]
fn replication_connection_options_set_the_walsender_session() {
    let server = Postgres::shared().expect("start PostgreSQL 15");
    let config = server.create_database().unwrap();
    let conninfo = format!(
        "dbname={} replication=database options='-c DateStyle=ISO -c IntervalStyle=postgres \
         -c extra_float_digits=3'",
        config.dbname
    );
    assert_eq!(
        server.psql(&conninfo, "SHOW DateStyle").unwrap().trim(),
        "ISO, MDY"
    );
    assert_eq!(
        server.psql(&conninfo, "SHOW IntervalStyle").unwrap().trim(),
        "postgres"
    );
    assert_eq!(
        server
            .psql(&conninfo, "SHOW extra_float_digits")
            .unwrap()
            .trim(),
        "3"
    );
}

/// The built-in oid tables match the server's catalog.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builtin_array_oids_match_pg_type() {
    let server = Postgres::shared().expect("start PostgreSQL 15");
    let client = connect(&server.create_database().unwrap()).await;
    for (array, element) in builtin_arrays() {
        let row = client
            .query_one(
                "SELECT t.typelem, e.typdelim::text FROM pg_type t JOIN pg_type e \
                 ON e.oid = t.typelem WHERE t.oid = $1",
                &[array],
            )
            .await
            .unwrap_or_else(|e| panic!("array oid {array}: {e}"));
        assert_eq!(row.get::<_, Oid>(0), *element, "array oid {array}");
        let delimiter: String = row.get(1);
        let decoder = TextDecoder::new(*array, -1, &UserTypes::new());
        let two = format!("{{NULL{delimiter}NULL}}");
        assert_eq!(
            decoder.decode(two.as_bytes()),
            Ok(Value::Array(Box::new([Value::Null, Value::Null]))),
            "array oid {array} with delimiter {delimiter:?}"
        );
        assert_eq!(builtin_array_element(*array), Some(*element));
    }
}
