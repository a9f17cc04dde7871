//! Decodes the checked-in pgoutput fixtures (`tests/fixtures/pgoutput/`) without a server,
//! so `cargo test` covers every message type offline.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use tributary_decoders::pgoutput::{
    DecodeError, Decoder, Lsn, Message, MessageKind, OldTuple, PgTimestamp, RelationCache,
    ReplicaIdentity, TupleValue,
};

/// Reads a fixture: one message per line, hex; `#` starts a comment; spaces are ignored.
fn load(name: &str) -> Vec<Vec<u8>> {
    let path = format!(
        "{}/tests/fixtures/pgoutput/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .map(|line| line.split('#').next().unwrap().replace([' ', '\t'], ""))
        .filter(|hex| !hex.is_empty())
        .map(|hex| {
            assert!(hex.len() % 2 == 0, "{name}: odd hex length: {hex}");
            (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect()
        })
        .collect()
}

fn decode_all(proto_version: u32, messages: &[Vec<u8>]) -> Vec<Message<'_>> {
    let mut decoder = Decoder::new(proto_version);
    messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            decoder
                .decode(m)
                .unwrap_or_else(|e| panic!("message {i}: {e}"))
        })
        .collect()
}

/// Message type letters, with runs of row changes collapsed (block sizes depend on the
/// server's memory accounting).
fn summary(messages: &[Message<'_>]) -> String {
    let mut out = String::new();
    for m in messages {
        let k = char::from(m.kind().byte());
        if !(k == 'I' && out.ends_with('I')) {
            out.push(k);
        }
    }
    out
}

fn text<'a>(v: Option<TupleValue<'a>>) -> Option<&'a str> {
    match v {
        Some(TupleValue::Null) => None,
        Some(v) => Some(v.as_str().unwrap_or_else(|| panic!("not text: {v:?}"))),
        None => panic!("missing column"),
    }
}

#[test]
fn dml_proto1() {
    let raw = load("dml_proto1.hex");
    let messages = decode_all(1, &raw);
    assert_eq!(summary(&messages), "BYRICBUCBUCBDCBRIUDCBMCMBYRICBYRRTC");
    let mut cache = RelationCache::new();
    messages.iter().for_each(|m| cache.observe(m));

    let Message::Relation(person) = &messages[2] else {
        panic!()
    };
    let Message::Type(mood) = &messages[1] else {
        panic!()
    };
    assert_eq!((mood.namespace, mood.name), ("public", "mood"));
    assert_eq!(person.columns[2].type_oid, mood.oid);
    assert_eq!(cache.type_info(mood.oid).unwrap().name, "mood");

    let Message::Insert(ann) = &messages[3] else {
        panic!()
    };
    let values: Vec<_> = ann.new.iter().map(|v| text(Some(v))).collect();
    assert_eq!(values, [Some("1"), Some("Ann"), Some("happy"), None]);

    let Message::Update(bobby) = &messages[7] else {
        panic!()
    };
    assert_eq!(bobby.old, None);
    assert_eq!(bobby.new.get(3), Some(TupleValue::UnchangedToast));
    let Message::Update(key_change) = &messages[10] else {
        panic!()
    };
    assert!(matches!(key_change.old, Some(OldTuple::Key(k)) if text(k.get(0)) == Some("1")));

    let Message::Relation(audit) = &messages[16] else {
        panic!()
    };
    assert_eq!(
        (audit.name, audit.replica_identity),
        ("audit", ReplicaIdentity::Full)
    );
    let Message::Delete(d) = &messages[19] else {
        panic!()
    };
    assert!(matches!(d.old, OldTuple::Full(o) if text(o.get(1)) == Some("b")));

    let Message::Message(m) = &messages[22] else {
        panic!()
    };
    assert!(m.transactional() && m.content == b"in a transaction");
    let Message::Message(m) = &messages[24] else {
        panic!()
    };
    assert!(!m.transactional() && m.content == [0x00, 0xff]);

    // The cache holds the description sent after ALTER TABLE ... ADD COLUMN age.
    let info = cache.require(person.oid).unwrap();
    assert_eq!(info.columns.len(), 5);
    let Message::Insert(cy) = &messages[28] else {
        panic!()
    };
    let row: Vec<_> = info
        .zip(&cy.new)
        .unwrap()
        .map(|(c, v)| (c.name.as_str(), v.as_str()))
        .collect();
    assert_eq!(row[4], ("age", Some("42")));
    // A tuple of the old shape no longer fits the new description.
    assert!(info.zip(&ann.new).is_err());

    let Message::Truncate(t) = &messages[34] else {
        panic!()
    };
    assert!(t.cascade() && t.restart_identity());
    let names: BTreeSet<_> = t
        .relation_oids
        .iter()
        .map(|oid| cache.require(*oid).unwrap().name.as_str())
        .collect();
    assert_eq!(names, BTreeSet::from(["person", "child"]));

    // Begin/Commit agree, and the timestamps are in 2026 (PostgreSQL epoch conversion).
    let (Message::Begin(b), Message::Commit(c)) = (&messages[0], &messages[5]) else {
        panic!()
    };
    assert_eq!(b.final_lsn, c.commit_lsn);
    assert_eq!(b.commit_timestamp, c.commit_timestamp);
    let year_2026 = 1_767_225_600_000..1_798_761_600_000;
    assert!(year_2026.contains(&c.commit_timestamp.unix_millis().unwrap()));
}

#[test]
fn binary_origin_proto2() {
    let raw = load("binary_origin_proto2.hex");
    let messages = decode_all(2, &raw);
    assert_eq!(summary(&messages), "BORIC");
    let Message::Origin(o) = &messages[1] else {
        panic!()
    };
    assert_eq!(
        (o.name, o.commit_lsn.to_string().as_str()),
        ("upstream", "0/ABCDEF")
    );
    let Message::Insert(i) = &messages[3] else {
        panic!()
    };
    assert_eq!(
        i.new.iter().collect::<Vec<_>>(),
        [
            TupleValue::Binary(&[0, 0, 0, 7]),
            TupleValue::Binary(b"lamp"),
            TupleValue::Null
        ]
    );
}

#[test]
fn streaming_proto2() {
    let raw = load("streaming_proto2.hex");
    let messages = decode_all(2, &raw);
    assert_eq!(summary(&messages), "SRIESIESIEcSRIESIEASRIESIEASRIEc");
    let aborts: Vec<_> = messages
        .iter()
        .filter_map(|m| match m {
            Message::StreamAbort(a) => Some((a.xid == a.subxid, a.abort_lsn)),
            _ => None,
        })
        .collect();
    assert_eq!(aborts, [(true, None), (false, None)]);
    // The same bytes read without the stream state misparse the xid, and say so.
    let inside = raw.iter().find(|m| m[0] == b'I').unwrap();
    let err = tributary_decoders::pgoutput::decode(
        inside,
        tributary_decoders::pgoutput::DecodeContext {
            protocol_version: 0,
            in_stream: true,
        },
    )
    .unwrap_err();
    assert!(matches!(
        err,
        DecodeError::UnsupportedProtocolVersion { version: 0 }
    ));
    let err = tributary_decoders::pgoutput::decode(
        inside,
        tributary_decoders::pgoutput::DecodeContext::new(2),
    )
    .unwrap_err();
    assert!(
        matches!(err, DecodeError::UnexpectedByte { offset: 5, .. }),
        "{err}"
    );
}

#[test]
fn two_phase_proto3() {
    let raw = load("two_phase_proto3.hex");
    let messages = decode_all(3, &raw);
    assert_eq!(summary(&messages), "bRIPKbIPrSRIESIESIEpK");
    let gids: Vec<_> = messages
        .iter()
        .filter_map(|m| match m {
            Message::BeginPrepare(p) => Some(("b", p.gid)),
            Message::Prepare(p) => Some(("P", p.gid)),
            Message::CommitPrepared(p) => Some(("K", p.gid)),
            Message::RollbackPrepared(p) => Some(("r", p.gid)),
            Message::StreamPrepare(p) => Some(("p", p.gid)),
            _ => None,
        })
        .collect();
    assert_eq!(
        gids,
        [
            ("b", "tributary-g1"),
            ("P", "tributary-g1"),
            ("K", "tributary-g1"),
            ("b", "tributary-g2"),
            ("P", "tributary-g2"),
            ("r", "tributary-g2"),
            ("p", "tributary-g3"),
            ("K", "tributary-g3"),
        ]
    );
    // Two-phase messages do not exist before protocol 3.
    let err = tributary_decoders::pgoutput::decode(
        &raw[0],
        tributary_decoders::pgoutput::DecodeContext::new(2),
    )
    .unwrap_err();
    assert_eq!(
        err,
        DecodeError::NotInProtocolVersion {
            message: MessageKind::BeginPrepare,
            required: 3,
            negotiated: 2
        }
    );
}

#[test]
fn handmade_proto4_stream_abort() {
    let raw = load("handmade_proto4.hex");
    let messages = decode_all(4, &raw);
    assert_eq!(summary(&messages), "SRIEAA");
    let Message::Relation(r) = &messages[1] else {
        panic!()
    };
    assert_eq!(
        (r.xid, r.oid, r.namespace, r.name),
        (Some(750), 16393, "public", "orders")
    );
    let Message::Insert(i) = &messages[2] else {
        panic!()
    };
    assert_eq!((i.xid, text(i.new.get(0))), (Some(751), Some("42")));
    let Message::StreamAbort(a) = &messages[4] else {
        panic!()
    };
    assert_eq!((a.xid, a.subxid), (750, 751));
    assert_eq!(a.abort_lsn, Some(Lsn(0x157A0B8)));
    assert_eq!(a.abort_lsn.unwrap().to_string(), "0/157A0B8");
    let ts = a.abort_timestamp.unwrap();
    assert_eq!(ts, PgTimestamp(849_009_600_000_000));
    assert_eq!(ts.unix_micros(), Some(1_795_694_400_000_000));
    let Message::StreamAbort(a) = &messages[5] else {
        panic!()
    };
    assert_eq!((a.abort_lsn, a.abort_timestamp), (None, None));
    // Before protocol 4 the abort info would be trailing bytes.
    let err = tributary_decoders::pgoutput::decode(
        &raw[4],
        tributary_decoders::pgoutput::DecodeContext::new(3),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::TrailingBytes {
                offset: 9,
                count: 16,
                ..
            }
        ),
        "{err}"
    );
}
