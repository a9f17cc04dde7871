//! pgoutput decoding against a real PostgreSQL 15: each scenario runs SQL, reads the slot
//! with `pg_logical_slot_peek_binary_changes` and checks the decoded messages; with
//! `TRIBUTARY_WRITE_PGOUTPUT_FIXTURES=1` it also (re)writes `tests/fixtures/pgoutput/*.hex`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use tokio_postgres::{Client, NoTls};
use tributary_decoders::pgoutput::{
    Decoder, Lsn, Message, OldTuple, RelationCache, ReplicaIdentity, TupleValue,
};
use tributary_testcontainers::{PgConfig, Postgres, unique_name};

/// One server for this file, with prepared transactions enabled for the two-phase scenario.
fn server() -> &'static Postgres {
    static SERVER: OnceLock<Postgres> = OnceLock::new();
    SERVER.get_or_init(|| {
        Postgres::builder()
            .setting("max_prepared_transactions", "10")
            .start()
            .expect("start PostgreSQL 15")
    })
}

async fn connect(config: &PgConfig) -> Client {
    let (client, connection) = tokio_postgres::connect(&config.connection_string(), NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    client
}

/// A scenario: its set-up, the changes it decodes and the slot options.
struct Scenario {
    /// File stem of the fixture.
    name: &'static str,
    proto_version: u32,
    /// Run before the slot is created (schema, publication).
    setup: &'static str,
    /// Creates the slot with two_phase enabled (needed for prepared transactions).
    two_phase_slot: bool,
    /// The changes: each line is run as one simple-query batch.
    changes: &'static str,
    /// Extra `pg_logical_slot_peek_binary_changes` options after proto_version and
    /// publication_names.
    options: &'static [(&'static str, &'static str)],
    /// `SET` in the session that reads the slot.
    session: &'static str,
}

/// What a scenario captured: the raw messages and the xid column of each row.
struct Captured {
    messages: Vec<Vec<u8>>,
    xids: Vec<u32>,
}

async fn capture(scenario: &Scenario) -> (Client, Captured) {
    let config = server().create_database().expect("create database");
    let client = connect(&config).await;
    client
        .batch_execute(scenario.setup)
        .await
        .expect("set-up SQL");
    client
        .batch_execute("CREATE PUBLICATION tributary_pub FOR ALL TABLES")
        .await
        .unwrap();
    let slot = unique_name("slot");
    client
        .execute(
            "SELECT pg_create_logical_replication_slot($1::text::name, 'pgoutput', false, $2)",
            &[&slot, &scenario.two_phase_slot],
        )
        .await
        .expect("create slot");
    // One batch per line: a multi-statement simple query is one implicit transaction, and
    // COMMIT PREPARED may not run inside one.
    for line in scenario.changes.lines() {
        client
            .batch_execute(line)
            .await
            .unwrap_or_else(|e| panic!("{line}: {e:?}"));
    }
    client.batch_execute(scenario.session).await.unwrap();

    let mut options = vec![
        "proto_version".to_owned(),
        scenario.proto_version.to_string(),
        "publication_names".to_owned(),
        "tributary_pub".to_owned(),
    ];
    for (k, v) in scenario.options {
        options.push((*k).to_owned());
        options.push((*v).to_owned());
    }
    let rows = client
        .query(
            "SELECT xid::text, data FROM pg_logical_slot_peek_binary_changes(\
             $1::text::name, NULL, NULL, VARIADIC $2::text[])",
            &[&slot, &options],
        )
        .await
        .expect("peek changes");
    client
        .execute("SELECT pg_drop_replication_slot($1::text::name)", &[&slot])
        .await
        .unwrap();
    let captured = Captured {
        xids: rows
            .iter()
            .map(|r| r.get::<_, String>(0).parse().unwrap())
            .collect(),
        messages: rows.iter().map(|r| r.get::<_, Vec<u8>>(1)).collect(),
    };
    if std::env::var_os("TRIBUTARY_WRITE_PGOUTPUT_FIXTURES").is_some() {
        write_fixture(scenario, &captured.messages);
    }
    (client, captured)
}

/// Writes the messages as hex, one per line, under a header naming the SQL that made them.
fn write_fixture(scenario: &Scenario, messages: &[Vec<u8>]) {
    let mut text = String::new();
    writeln!(
        text,
        "# Captured from PostgreSQL 15 by decoders/tests/pgoutput_fixtures.rs"
    )
    .unwrap();
    writeln!(
        text,
        "# (TRIBUTARY_WRITE_PGOUTPUT_FIXTURES=1): one pgoutput message per line, hex."
    )
    .unwrap();
    writeln!(text, "# proto_version {}", scenario.proto_version).unwrap();
    let mut options = String::new();
    for (k, v) in scenario.options {
        write!(options, ", '{k}', '{v}'").unwrap();
    }
    writeln!(
        text,
        "# read with: {} SELECT data FROM pg_logical_slot_peek_binary_changes(slot, NULL, NULL, \
         'proto_version', '{}', 'publication_names', 'tributary_pub'{options})",
        scenario.session, scenario.proto_version
    )
    .unwrap();
    writeln!(
        text,
        "# slot: pg_create_logical_replication_slot(slot, 'pgoutput', false, {})",
        scenario.two_phase_slot
    )
    .unwrap();
    writeln!(text, "# set-up SQL:").unwrap();
    for line in scenario
        .setup
        .lines()
        .chain(["CREATE PUBLICATION tributary_pub FOR ALL TABLES"])
    {
        writeln!(text, "#   {}", line.trim()).unwrap();
    }
    writeln!(text, "# SQL that produced the messages:").unwrap();
    for line in scenario.changes.lines() {
        writeln!(text, "#   {}", line.trim()).unwrap();
    }
    for m in messages {
        for b in m {
            write!(text, "{b:02x}").unwrap();
        }
        text.push('\n');
    }
    let path = format!(
        "{}/tests/fixtures/pgoutput/{}.hex",
        env!("CARGO_MANIFEST_DIR"),
        scenario.name
    );
    std::fs::write(&path, text).unwrap();
}

/// Decodes every message with one [`Decoder`], as a replication connection would.
fn decode_all(proto_version: u32, messages: &[Vec<u8>]) -> Vec<Message<'_>> {
    let mut decoder = Decoder::new(proto_version);
    messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            decoder
                .decode(m)
                .unwrap_or_else(|e| panic!("message {i} ({m:02x?}): {e}"))
        })
        .collect()
}

fn kinds(messages: &[Message<'_>]) -> String {
    messages
        .iter()
        .map(|m| char::from(m.kind().byte()))
        .collect()
}

/// The captured messages that line up with `expected` (one message kind letter each).
///
/// PostgreSQL may announce a relation (Relation, and Type for its user-defined column
/// types) again at any point: every relcache invalidation, including ones caused by
/// unrelated activity on the server, makes pgoutput resend the schema before the next row.
/// Such extra announcements are skipped; any other difference fails the test.
fn aligned<'m, 'a>(messages: &'m [Message<'a>], expected: &str) -> Vec<&'m Message<'a>> {
    let actual = kinds(messages);
    let mut wanted = expected.chars().peekable();
    let mut kept = Vec::with_capacity(expected.len());
    for (message, kind) in messages.iter().zip(actual.chars()) {
        if wanted.peek() == Some(&kind) {
            wanted.next();
            kept.push(message);
        } else if kind != 'R' && kind != 'Y' {
            panic!("message kinds {actual} do not match {expected} (extra {kind})");
        }
    }
    assert!(
        wanted.peek().is_none(),
        "message kinds {actual} do not match {expected} (missing messages)"
    );
    kept
}

fn text(value: Option<TupleValue<'_>>) -> Option<&str> {
    match value {
        Some(TupleValue::Text(t)) => Some(std::str::from_utf8(t).unwrap()),
        Some(TupleValue::Null) => None,
        other => panic!("expected text or null, got {other:?}"),
    }
}

async fn oid(client: &Client, regclass: &str) -> u32 {
    client
        .query_one("SELECT $1::text::regclass::oid", &[&regclass])
        .await
        .unwrap()
        .get(0)
}

/// Commit timestamps must be "now": checks the 2000-01-01 epoch conversion.
fn assert_recent(ts: tributary_decoders::pgoutput::PgTimestamp) {
    let t = ts.to_system_time().unwrap();
    let age = SystemTime::now()
        .duration_since(t)
        .unwrap_or_else(|e| e.duration());
    assert!(
        age < Duration::from_secs(600),
        "timestamp {ts:?} is {age:?} from now"
    );
}

const DML: Scenario = Scenario {
    name: "dml_proto1",
    proto_version: 1,
    setup: "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
        CREATE TABLE person (id int PRIMARY KEY, name text NOT NULL, mood mood, note text);
        ALTER TABLE person ALTER COLUMN note SET STORAGE EXTERNAL;
        CREATE TABLE audit (id int PRIMARY KEY, payload text);
        ALTER TABLE audit REPLICA IDENTITY FULL;
        CREATE TABLE child (id serial PRIMARY KEY, person_id int REFERENCES person (id));",
    two_phase_slot: false,
    changes: "INSERT INTO person VALUES (1, 'Ann', 'happy', NULL), (2, 'Bob', NULL, repeat('x', 10000));
        UPDATE person SET name = 'Bobby' WHERE id = 2;
        UPDATE person SET id = 3 WHERE id = 1;
        DELETE FROM person WHERE id = 3;
        BEGIN; INSERT INTO audit VALUES (1, 'a'); UPDATE audit SET payload = 'b' WHERE id = 1; DELETE FROM audit WHERE id = 1; COMMIT;
        SELECT pg_logical_emit_message(true, 'tributary', 'in a transaction');
        SELECT pg_logical_emit_message(false, 'tributary', '\\x00ff'::bytea);
        ALTER TABLE person ADD COLUMN age int;
        INSERT INTO person (id, name, age) VALUES (10, 'Cy', 42);
        TRUNCATE person RESTART IDENTITY CASCADE;",
    options: &[("messages", "true")],
    session: "",
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dml_relation_type_truncate_and_messages() {
    let (client, captured) = capture(&DML).await;
    let messages = decode_all(DML.proto_version, &captured.messages);
    // Transactions: insert (type before relation), update, key update, delete, audit
    // (full identity), transactional message, non-transactional message (no Begin),
    // insert after ALTER TABLE (Type and Relation sent again), truncate (TRUNCATE
    // invalidates both tables' cached schema, so Type and two Relations precede T).
    let expected = aligned(&messages, "BYRIICBUCBUCBDCBRIUDCBMCMBYRICBYRRTC");

    let person = oid(&client, "person").await;
    let audit = oid(&client, "audit").await;
    let child = oid(&client, "child").await;
    let mood: u32 = client
        .query_one("SELECT 'mood'::regtype::oid", &[])
        .await
        .unwrap()
        .get(0);

    let mut cache = RelationCache::new();
    let mut begin_xid = None;
    let mut final_lsn = Lsn::INVALID;
    for (i, m) in messages.iter().enumerate() {
        cache.observe(m);
        match m {
            Message::Begin(b) => {
                assert_eq!(b.xid, captured.xids[i], "Begin xid is the row's xid");
                assert_recent(b.commit_timestamp);
                begin_xid = Some(b.xid);
                final_lsn = b.final_lsn;
            }
            Message::Commit(c) => {
                assert!(begin_xid.take().is_some(), "commit without begin");
                assert_eq!(c.commit_lsn, final_lsn);
                assert!(c.end_lsn > c.commit_lsn);
                assert_eq!(c.flags, 0);
                assert_recent(c.commit_timestamp);
            }
            _ => {}
        }
    }

    let Message::Type(t) = expected[1] else {
        panic!()
    };
    assert_eq!(
        (t.oid, t.namespace, t.name, t.xid),
        (mood, "public", "mood", None)
    );
    assert_eq!(cache.type_info(mood).unwrap().name, "mood");

    let Message::Relation(r) = expected[2] else {
        panic!()
    };
    assert_eq!((r.oid, r.namespace, r.name), (person, "public", "person"));
    assert_eq!(r.replica_identity, ReplicaIdentity::Default);
    let cols: Vec<_> = r
        .columns
        .iter()
        .map(|c| (c.name, c.is_key(), c.type_oid, c.type_modifier))
        .collect();
    assert_eq!(
        cols,
        [
            ("id", true, 23, -1),
            ("name", false, 25, -1),
            ("mood", false, mood, -1),
            ("note", false, 25, -1)
        ]
    );

    let Message::Insert(ins) = expected[3] else {
        panic!()
    };
    assert_eq!(ins.relation_oid, person);
    let values: Vec<_> = ins.new.iter().map(|v| text(Some(v))).collect();
    assert_eq!(values, [Some("1"), Some("Ann"), Some("happy"), None]);
    let Message::Insert(ins) = expected[4] else {
        panic!()
    };
    assert_eq!(
        ins.new.get(3).unwrap().as_text().unwrap(),
        "x".repeat(10000).as_bytes()
    );

    // Non-key update: no old tuple; the untouched external note is 'u'.
    let Message::Update(u) = expected[7] else {
        panic!()
    };
    assert_eq!(u.old, None);
    assert_eq!(text(u.new.get(1)), Some("Bobby"));
    assert_eq!(u.new.get(3), Some(TupleValue::UnchangedToast));

    // Key-changing update: old key 'K' with the key column set and the others null.
    let Message::Update(u) = expected[10] else {
        panic!()
    };
    let Some(OldTuple::Key(key)) = u.old else {
        panic!("{:?}", u.old)
    };
    assert_eq!(
        key.iter().collect::<Vec<_>>(),
        [
            TupleValue::Text(b"1"),
            TupleValue::Null,
            TupleValue::Null,
            TupleValue::Null
        ]
    );
    assert_eq!(text(u.new.get(0)), Some("3"));

    let Message::Delete(d) = expected[13] else {
        panic!()
    };
    assert!(matches!(d.old, OldTuple::Key(k) if k.get(0) == Some(TupleValue::Text(b"3"))));

    // REPLICA IDENTITY FULL: whole old rows 'O'.
    let Message::Relation(r) = expected[16] else {
        panic!()
    };
    assert_eq!((r.oid, r.replica_identity), (audit, ReplicaIdentity::Full));
    assert!(
        r.columns.iter().all(|c| c.is_key()),
        "FULL marks every column as key"
    );
    let Message::Update(u) = expected[18] else {
        panic!()
    };
    let Some(OldTuple::Full(old)) = u.old else {
        panic!("{:?}", u.old)
    };
    assert_eq!(
        (text(old.get(1)), text(u.new.get(1))),
        (Some("a"), Some("b"))
    );
    let Message::Delete(d) = expected[19] else {
        panic!()
    };
    assert!(matches!(d.old, OldTuple::Full(o) if o.get(1) == Some(TupleValue::Text(b"b"))));

    let Message::Message(m) = expected[22] else {
        panic!()
    };
    assert!(m.transactional());
    assert_eq!(
        (m.prefix, m.content),
        ("tributary", &b"in a transaction"[..])
    );
    assert!(m.lsn.is_valid());
    let Message::Message(m) = expected[24] else {
        panic!()
    };
    assert!(!m.transactional());
    assert_eq!((m.prefix, m.content), ("tributary", &[0x00, 0xff][..]));

    // ALTER TABLE: the new Relation replaces the cached one.
    let Message::Relation(r) = expected[27] else {
        panic!()
    };
    assert_eq!(r.columns.len(), 5);
    let info = cache.require(person).unwrap();
    assert_eq!(info.columns.last().unwrap().name, "age");
    let Message::Insert(ins) = expected[28] else {
        panic!()
    };
    let row: Vec<_> = info
        .zip(&ins.new)
        .unwrap()
        .map(|(c, v)| (c.name.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        row,
        [
            ("id", Some("10")),
            ("name", Some("Cy")),
            ("mood", None),
            ("note", None),
            ("age", Some("42"))
        ]
    );

    let truncated_relations: BTreeSet<_> = expected[32..34]
        .iter()
        .map(|m| match m {
            Message::Relation(r) => r.oid,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(truncated_relations, BTreeSet::from([person, child]));
    let Message::Truncate(t) = expected[34] else {
        panic!()
    };
    assert!(t.cascade() && t.restart_identity());
    assert_eq!(
        t.relation_oids.iter().copied().collect::<BTreeSet<_>>(),
        BTreeSet::from([person, child])
    );
    assert_eq!(cache.len(), 3);
}

const BINARY_ORIGIN: Scenario = Scenario {
    name: "binary_origin_proto2",
    proto_version: 2,
    setup: "CREATE TABLE item (id int PRIMARY KEY, label text, price numeric);
        SELECT pg_replication_origin_create('upstream');",
    two_phase_slot: false,
    changes: "SELECT pg_replication_origin_session_setup('upstream');
        BEGIN; SELECT pg_replication_origin_xact_setup('0/ABCDEF', now()); INSERT INTO item VALUES (7, 'lamp', NULL); COMMIT;
        SELECT pg_replication_origin_session_reset();",
    options: &[("binary", "true")],
    session: "",
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_values_and_replication_origin() {
    let (_client, captured) = capture(&BINARY_ORIGIN).await;
    let messages = decode_all(BINARY_ORIGIN.proto_version, &captured.messages);
    let expected = aligned(&messages, "BORIC");
    let Message::Origin(o) = expected[1] else {
        panic!()
    };
    assert_eq!(
        (o.name, o.commit_lsn),
        ("upstream", "0/ABCDEF".parse().unwrap())
    );
    let Message::Insert(ins) = expected[3] else {
        panic!()
    };
    assert_eq!(
        ins.new.iter().collect::<Vec<_>>(),
        [
            TupleValue::Binary(&[0, 0, 0, 7]),
            TupleValue::Binary(b"lamp"),
            TupleValue::Null
        ]
    );
}

const STREAMING: Scenario = Scenario {
    name: "streaming_proto2",
    proto_version: 2,
    setup: "CREATE TABLE big (id int PRIMARY KEY, pad text);",
    two_phase_slot: false,
    changes: "BEGIN; INSERT INTO big SELECT g, repeat('y', 10) FROM generate_series(1, 1000) g; COMMIT;
        BEGIN; INSERT INTO big SELECT g, repeat('z', 10) FROM generate_series(2001, 3000) g; ROLLBACK;
        BEGIN; INSERT INTO big VALUES (5000, 'kept'); SAVEPOINT s; INSERT INTO big SELECT g, repeat('w', 10) FROM generate_series(6001, 7000) g; ROLLBACK TO SAVEPOINT s; INSERT INTO big VALUES (5001, 'kept too'); COMMIT;",
    options: &[("streaming", "on")],
    session: "SET logical_decoding_work_mem = '64kB';",
};

/// Splits a stream into its streamed blocks and transaction-end messages.
fn summarize_streaming(messages: &[Message<'_>]) -> String {
    let mut out = String::new();
    let mut last = ' ';
    for m in messages {
        let k = char::from(m.kind().byte());
        // Collapse runs of row changes: the block sizes depend on memory accounting.
        if k == 'I' && last == 'I' {
            continue;
        }
        out.push(k);
        last = k;
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_transactions_commit_and_abort() {
    let (client, captured) = capture(&STREAMING).await;
    let messages = decode_all(STREAMING.proto_version, &captured.messages);
    let big = oid(&client, "big").await;
    let summary = summarize_streaming(&messages);
    assert!(summary.starts_with("SRIE"), "{summary}");
    assert!(
        !summary.contains('B'),
        "every transaction here is streamed: {summary}"
    );

    // Every data message inside a block carries an xid: the block's transaction or, for a
    // change made in a savepoint, the subtransaction (pgoutput_change sends
    // `change->txn->xid`), so a Stream Abort of a subxid can discard exactly those.
    let mut block_xid = None;
    let mut inserted = BTreeSet::new();
    let mut ends = Vec::new();
    let mut first_segments = 0;
    for m in &messages {
        match m {
            Message::StreamStart(s) => {
                block_xid = Some(s.xid);
                first_segments += usize::from(s.is_first_segment());
            }
            Message::StreamStop => block_xid = None,
            Message::Relation(r) => {
                assert!(r.xid.is_some() && block_xid.is_some());
                assert_eq!(r.oid, big);
            }
            Message::Insert(i) => {
                assert!(i.xid.is_some() && block_xid.is_some());
                inserted.insert((
                    i.xid.unwrap(),
                    text(i.new.get(0)).unwrap().parse::<u32>().unwrap(),
                ));
            }
            Message::StreamCommit(c) => {
                assert!(block_xid.is_none());
                assert!(c.end_lsn > c.commit_lsn);
                assert_recent(c.commit_timestamp);
                ends.push(('c', c.xid, c.xid));
            }
            Message::StreamAbort(a) => {
                assert_eq!((a.abort_lsn, a.abort_timestamp), (None, None));
                ends.push(('A', a.xid, a.subxid));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(first_segments, 3, "{summary}");
    // Commit of the first, abort of the second, subtransaction abort then commit of the third.
    let shape: Vec<_> = ends
        .iter()
        .map(|(k, xid, subxid)| (*k, xid == subxid))
        .collect();
    assert_eq!(
        shape,
        [('c', true), ('A', true), ('A', false), ('c', true)],
        "{summary}"
    );
    let (first, second, third) = (ends[0].1, ends[1].1, ends[3].1);
    assert_eq!(
        ends[2].1, third,
        "the subtransaction abort names its top-level xid"
    );
    assert_eq!(inserted.iter().filter(|(x, _)| *x == first).count(), 1000);
    // The rolled-back transaction streams only what the walsender decoded before it saw
    // the abort: PostgreSQL stops streaming a transaction it finds aborted (a concurrent
    // abort), so this may be none of its rows — but never a row from another transaction.
    assert!(
        inserted
            .iter()
            .filter(|(x, _)| *x == second)
            .all(|(_, id)| (2001..=3000).contains(id))
    );
    assert!(inserted.contains(&(third, 5000)));
    // The aborted subtransaction is the savepoint's: exactly the rolled-back rows.
    let rolled_back: Vec<_> = inserted
        .iter()
        .filter(|(x, _)| *x == ends[2].2)
        .map(|(_, id)| *id)
        .collect();
    assert!(!rolled_back.is_empty());
    assert!(rolled_back.iter().all(|id| (6001..=7000).contains(id)));
}

const TWO_PHASE: Scenario = Scenario {
    name: "two_phase_proto3",
    proto_version: 3,
    setup: "CREATE TABLE tp (id int PRIMARY KEY, pad text);",
    two_phase_slot: true,
    changes: "BEGIN; INSERT INTO tp VALUES (1, 'a'); PREPARE TRANSACTION 'tributary-g1';
        COMMIT PREPARED 'tributary-g1';
        BEGIN; INSERT INTO tp VALUES (2, 'b'); PREPARE TRANSACTION 'tributary-g2';
        ROLLBACK PREPARED 'tributary-g2';
        BEGIN; INSERT INTO tp SELECT g, repeat('p', 10) FROM generate_series(10, 1009) g; PREPARE TRANSACTION 'tributary-g3';
        COMMIT PREPARED 'tributary-g3';",
    options: &[("two_phase", "on"), ("streaming", "on")],
    session: "SET logical_decoding_work_mem = '64kB';",
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_phase_prepare_commit_rollback_and_stream_prepare() {
    let (_client, captured) = capture(&TWO_PHASE).await;
    let messages = decode_all(TWO_PHASE.proto_version, &captured.messages);
    let summary = summarize_streaming(&messages);
    // The large prepared transaction is streamed in several blocks, then Stream Prepare.
    let streamed = summary
        .strip_prefix("bRIPKbIPr")
        .and_then(|rest| rest.strip_suffix("pK"))
        .unwrap_or_else(|| panic!("{summary}"));
    // Each block: Stream Start, inserts, Stream Stop. The server may announce the relation
    // again inside a block (after a cache invalidation), so `R` may come before any insert.
    assert!(
        !streamed.is_empty()
            && streamed.split_terminator('E').all(|block| {
                block.strip_prefix('S').is_some_and(|body| {
                    body.contains('I') && body.chars().all(|c| c == 'R' || c == 'I')
                })
            }),
        "{summary}"
    );

    let Message::BeginPrepare(b) = &messages[0] else {
        panic!()
    };
    assert_eq!(b.gid, "tributary-g1");
    assert_eq!(b.xid, captured.xids[0]);
    assert!(b.end_lsn > b.prepare_lsn);
    assert_recent(b.prepare_timestamp);
    let Message::Prepare(p) = &messages[3] else {
        panic!()
    };
    assert_eq!(
        (p.gid, p.xid, p.prepare_lsn, p.end_lsn),
        (b.gid, b.xid, b.prepare_lsn, b.end_lsn)
    );
    let Message::CommitPrepared(k) = &messages[4] else {
        panic!()
    };
    assert_eq!((k.gid, k.xid), ("tributary-g1", b.xid));
    assert!(k.commit_lsn >= p.end_lsn, "{k:?} {p:?}");
    assert!(k.end_lsn > k.commit_lsn);

    let Message::Prepare(p2) = &messages[7] else {
        panic!()
    };
    let Message::RollbackPrepared(r) = &messages[8] else {
        panic!()
    };
    assert_eq!((r.gid, r.xid), ("tributary-g2", p2.xid));
    assert_eq!(r.prepare_end_lsn, p2.end_lsn);
    assert_eq!(r.prepare_timestamp, p2.prepare_timestamp);
    assert!(r.rollback_end_lsn > r.prepare_end_lsn);
    assert_recent(r.rollback_timestamp);

    let stream_prepare = messages
        .iter()
        .find_map(|m| match m {
            Message::StreamPrepare(p) => Some(*p),
            _ => None,
        })
        .unwrap();
    assert_eq!(stream_prepare.gid, "tributary-g3");
    let Message::CommitPrepared(k) = messages.last().unwrap() else {
        panic!()
    };
    assert_eq!((k.gid, k.xid), ("tributary-g3", stream_prepare.xid));
}
