//! Fuzzes the pgoutput decoder: any bytes must give `Ok` or `Err`, never a panic, and an
//! accepted tuple must iterate exactly its declared number of values.
//!
//! Input layout: byte 0 selects the context (protocol version `b % 6`, so 0 and 5 test the
//! version check; bit 7 = inside a streamed block); the rest is fed both as one message to
//! `decode` and, split at every `0xFF 0xFE` pair, as a message sequence to a `Decoder`
//! (which exercises the Stream Start/Stop state). Seed the corpus with the messages of
//! `decoders/tests/fixtures/pgoutput/*.hex`, prefixed by a context byte.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tributary_decoders::pgoutput::{DecodeContext, Decoder, Message, TupleData, decode};

fn check(message: &Message<'_>) {
    let check = |t: &TupleData<'_>| assert_eq!(t.iter().count(), t.len());
    match message {
        Message::Insert(i) => check(&i.new),
        Message::Update(u) => {
            check(&u.new);
            if let Some(old) = &u.old {
                check(old.tuple());
            }
        }
        Message::Delete(d) => check(d.old.tuple()),
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let ctx = DecodeContext {
        protocol_version: u32::from(selector % 6),
        in_stream: selector & 0x80 != 0,
    };
    match decode(body, ctx) {
        Ok(message) => check(&message),
        Err(error) => drop(error.to_string()),
    }

    let mut decoder = Decoder::new(ctx.protocol_version);
    let mut rest = body;
    loop {
        let (message, next) = match rest.windows(2).position(|w| w == [0xFF, 0xFE]) {
            Some(at) => (&rest[..at], Some(&rest[at + 2..])),
            None => (rest, None),
        };
        if let Ok(m) = decoder.decode(message) {
            check(&m);
        }
        match next {
            Some(next) => rest = next,
            None => break,
        }
    }
});
