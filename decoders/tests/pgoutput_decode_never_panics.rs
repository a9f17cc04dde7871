//! The pgoutput decoder returns `Ok` or `Err` for any bytes, never panics, and whatever it
//! accepts is internally consistent: arbitrary bytes, mutated real messages, truncations.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use tributary_decoders::pgoutput::{
    DecodeContext, Decoder, Message, MessageKind, OldTuple, TupleData, decode,
};

/// Every fixture message with the protocol version it was produced for.
fn corpus() -> Vec<(u32, bool, Vec<u8>)> {
    let mut out = Vec::new();
    for (name, version) in [
        ("dml_proto1.hex", 1),
        ("binary_origin_proto2.hex", 2),
        ("streaming_proto2.hex", 2),
        ("two_phase_proto3.hex", 3),
        ("handmade_proto4.hex", 4),
    ] {
        let path = format!(
            "{}/tests/fixtures/pgoutput/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let mut decoder = Decoder::new(version);
        let mut kept_inserts = 0;
        for line in text.lines() {
            let hex = line.split('#').next().unwrap().replace([' ', '\t'], "");
            if hex.is_empty() {
                continue;
            }
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            let in_stream = decoder.context().in_stream;
            decoder.decode(&bytes).unwrap();
            // The streamed fixtures are thousands of near-identical inserts: keep a few.
            if bytes[0] == b'I' {
                kept_inserts += 1;
                if kept_inserts > 5 {
                    continue;
                }
            }
            out.push((version, in_stream, bytes));
        }
    }
    out
}

fn corpus_cached() -> &'static [(u32, bool, Vec<u8>)] {
    static CORPUS: std::sync::OnceLock<Vec<(u32, bool, Vec<u8>)>> = std::sync::OnceLock::new();
    CORPUS.get_or_init(corpus)
}

/// What must hold for any message the decoder accepts: a validated tuple iterates exactly
/// its declared number of values.
fn check_accepted(message: &Message<'_>) {
    let check = |t: &TupleData<'_>| assert_eq!(t.iter().count(), t.len());
    match message {
        Message::Insert(i) => check(&i.new),
        Message::Update(u) => {
            check(&u.new);
            if let Some(old) = &u.old {
                check(old.tuple());
            }
        }
        Message::Delete(d) => match &d.old {
            OldTuple::Key(t) | OldTuple::Full(t) => check(t),
        },
        _ => {}
    }
    // Error messages and debug output are built for any message too.
    let _ = format!("{message:?}");
}

fn decode_any(bytes: &[u8], ctx: DecodeContext) {
    match decode(bytes, ctx) {
        Ok(m) => check_accepted(&m),
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip {
        at: usize,
        mask: u8,
    },
    Truncate {
        len: usize,
    },
    Insert {
        at: usize,
        byte: u8,
    },
    Remove {
        at: usize,
    },
    /// Overwrite 4 bytes (a length, count or oid) with an extreme value.
    Int32 {
        at: usize,
        value: u32,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        any::<usize>().prop_map(|len| Mutation::Truncate { len }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Insert { at, byte }),
        any::<usize>().prop_map(|at| Mutation::Remove { at }),
        (
            any::<usize>(),
            prop_oneof![
                Just(0u32),
                Just(1),
                Just(0x7FFF_FFFF),
                Just(0x8000_0000),
                Just(u32::MAX),
                any::<u32>()
            ]
        )
            .prop_map(|(at, value)| Mutation::Int32 { at, value }),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let len = bytes.len();
    match *m {
        Mutation::Flip { at, mask } => bytes[at % len] ^= mask,
        Mutation::Truncate { len: l } => bytes.truncate(l % (len + 1)),
        Mutation::Insert { at, byte } => bytes.insert(at % (len + 1), byte),
        Mutation::Remove { at } => {
            bytes.remove(at % len);
        }
        Mutation::Int32 { at, value } => {
            let at = at % len;
            for (i, b) in value.to_be_bytes().into_iter().enumerate() {
                if let Some(slot) = bytes.get_mut(at + i) {
                    *slot = b;
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(
        kind in prop_oneof![
            prop::sample::select(MessageKind::ALL.map(|k| k.byte()).to_vec()),
            any::<u8>()
        ],
        body in prop::collection::vec(any::<u8>(), 0..64),
        version in 0..6u32,
        in_stream: bool,
    ) {
        let mut bytes = vec![kind];
        bytes.extend(body);
        decode_any(&bytes, DecodeContext { protocol_version: version, in_stream });
    }

    #[test]
    fn mutated_real_messages(
        pick in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..4),
        flip_stream in prop::bool::weighted(0.1),
    ) {
        let (version, in_stream, original) = pick.get(corpus_cached());
        let mut bytes = original.clone();
        for m in &mutations {
            if bytes.is_empty() {
                break;
            }
            apply(&mut bytes, m);
        }
        decode_any(&bytes, DecodeContext { protocol_version: *version, in_stream: in_stream ^ flip_stream });
    }
}

/// Every strict prefix of a valid message is an error: a cut-off message is never mistaken
/// for a shorter valid one (Stream Abort excepted: protocol 4's abort info is optional).
#[test]
fn every_truncation_is_an_error() {
    for (version, in_stream, bytes) in corpus_cached() {
        let ctx = DecodeContext {
            protocol_version: *version,
            in_stream: *in_stream,
        };
        decode(bytes, ctx).unwrap();
        for len in 0..bytes.len() {
            let result = decode(&bytes[..len], ctx);
            if bytes[0] == b'A' && len == 9 {
                assert!(result.is_ok());
                continue;
            }
            assert!(
                result.is_err(),
                "prefix {len} of {bytes:02x?} decoded: {result:?}"
            );
        }
    }
}
