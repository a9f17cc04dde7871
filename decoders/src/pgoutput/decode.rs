//! From bytes to [`Message`]: the stateless [`decode`] and the stream-tracking [`Decoder`].

use super::error::{DecodeError, Field, TupleRole};
use super::lsn::Lsn;
use super::message::*;
use super::reader::Reader;
use super::timestamp::PgTimestamp;
use super::tuple::TupleData;

/// The highest pgoutput protocol version this decoder reads (PostgreSQL 16 and 17 send 4).
pub const MAX_PROTOCOL_VERSION: u32 = 4;

/// What the decoder must know besides the bytes.
///
/// pgoutput messages are not self-describing: inside a streamed block (between Stream
/// Start and Stream Stop) Relation, Type, Insert, Update, Delete, Truncate and Message
/// carry an extra `Int32` xid right after the type byte ("Xid of the transaction (only
/// present for streamed transactions). This field is available since protocol version 2."
/// — PostgreSQL docs, "Logical Replication Message Formats"). [`Decoder`] tracks this for
/// you; use this with [`decode`] when the caller tracks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeContext {
    /// The `proto_version` the replication stream was started with (1-4).
    pub protocol_version: u32,
    /// Whether the message is inside a streamed block.
    pub in_stream: bool,
}

impl DecodeContext {
    /// A context outside any streamed block.
    pub fn new(protocol_version: u32) -> Self {
        Self {
            protocol_version,
            in_stream: false,
        }
    }
}

/// Decodes one pgoutput message (the payload of one `XLogData` message, or the `data`
/// column of `pg_logical_slot_peek_binary_changes`).
///
/// Never panics; any malformed input is a [`DecodeError`]. The whole slice must be
/// consumed: trailing bytes are an error, because they mean the layout was misread.
pub fn decode(bytes: &[u8], ctx: DecodeContext) -> Result<Message<'_>, DecodeError> {
    if !(1..=MAX_PROTOCOL_VERSION).contains(&ctx.protocol_version) {
        return Err(DecodeError::UnsupportedProtocolVersion {
            version: ctx.protocol_version,
        });
    }
    let (&type_byte, _) = bytes.split_first().ok_or(DecodeError::Empty)?;
    let kind = MessageKind::from_byte(type_byte)
        .ok_or(DecodeError::UnknownMessageType { byte: type_byte })?;
    if ctx.protocol_version < kind.min_protocol_version() {
        return Err(DecodeError::NotInProtocolVersion {
            message: kind,
            required: kind.min_protocol_version(),
            negotiated: ctx.protocol_version,
        });
    }
    let mut r = Reader::new(bytes, 1, kind);
    // Only data messages carry the streamed xid; the protocol allows it from version 2.
    let stream_xid = |r: &mut Reader<'_>| -> Result<Option<Xid>, DecodeError> {
        if ctx.in_stream && ctx.protocol_version >= 2 {
            r.u32(Field::Named("xid")).map(Some)
        } else {
            Ok(None)
        }
    };
    let message = match kind {
        MessageKind::Begin => Message::Begin(Begin {
            final_lsn: lsn(&mut r, "final LSN")?,
            commit_timestamp: timestamp(&mut r, "commit timestamp")?,
            xid: r.u32(Field::Named("xid"))?,
        }),
        MessageKind::Commit => Message::Commit(Commit {
            flags: r.u8(Field::Named("flags"))?,
            commit_lsn: lsn(&mut r, "commit LSN")?,
            end_lsn: lsn(&mut r, "end LSN")?,
            commit_timestamp: timestamp(&mut r, "commit timestamp")?,
        }),
        MessageKind::Origin => Message::Origin(Origin {
            commit_lsn: lsn(&mut r, "origin commit LSN")?,
            name: r.cstr(Field::Named("origin name"))?,
        }),
        MessageKind::Relation => Message::Relation(relation(&mut r, stream_xid)?),
        MessageKind::Type => Message::Type(Type {
            xid: stream_xid(&mut r)?,
            oid: r.u32(Field::Named("type oid"))?,
            namespace: r.cstr(Field::Named("namespace"))?,
            name: r.cstr(Field::Named("type name"))?,
        }),
        MessageKind::Insert => {
            let xid = stream_xid(&mut r)?;
            let relation_oid = r.u32(Field::Named("relation oid"))?;
            expect_byte(&mut r, "tuple marker", b'N', "'N' (new tuple)")?;
            Message::Insert(Insert {
                xid,
                relation_oid,
                new: TupleData::read(&mut r, TupleRole::Inserted)?,
            })
        }
        MessageKind::Update => {
            let xid = stream_xid(&mut r)?;
            let relation_oid = r.u32(Field::Named("relation oid"))?;
            let marker_offset = r.offset();
            let (old, marker_offset, marker) = match r.u8(Field::Named("tuple marker"))? {
                b'N' => (None, marker_offset, b'N'),
                b'K' => {
                    let old = OldTuple::Key(TupleData::read(&mut r, TupleRole::Key)?);
                    let offset = r.offset();
                    (Some(old), offset, r.u8(Field::Named("new tuple marker"))?)
                }
                b'O' => {
                    let old = OldTuple::Full(TupleData::read(&mut r, TupleRole::Old)?);
                    let offset = r.offset();
                    (Some(old), offset, r.u8(Field::Named("new tuple marker"))?)
                }
                value => {
                    return Err(unexpected(
                        &r,
                        "tuple marker",
                        marker_offset,
                        value,
                        "'K' (old key), 'O' (old tuple) or 'N' (new tuple)",
                    ));
                }
            };
            if marker != b'N' {
                return Err(unexpected(
                    &r,
                    "new tuple marker",
                    marker_offset,
                    marker,
                    "'N' (new tuple)",
                ));
            }
            Message::Update(Update {
                xid,
                relation_oid,
                old,
                new: TupleData::read(&mut r, TupleRole::New)?,
            })
        }
        MessageKind::Delete => {
            let xid = stream_xid(&mut r)?;
            let relation_oid = r.u32(Field::Named("relation oid"))?;
            let marker_offset = r.offset();
            let old = match r.u8(Field::Named("tuple marker"))? {
                b'K' => OldTuple::Key(TupleData::read(&mut r, TupleRole::Key)?),
                b'O' => OldTuple::Full(TupleData::read(&mut r, TupleRole::Old)?),
                value => {
                    return Err(unexpected(
                        &r,
                        "tuple marker",
                        marker_offset,
                        value,
                        "'K' (old key) or 'O' (old tuple)",
                    ));
                }
            };
            Message::Delete(Delete {
                xid,
                relation_oid,
                old,
            })
        }
        MessageKind::Truncate => {
            let xid = stream_xid(&mut r)?;
            let count_offset = r.offset();
            let count = r.i32(Field::Named("number of relations"))?;
            let options = r.u8(Field::Named("options"))?;
            let n = usize::try_from(count).map_err(|_| DecodeError::NegativeLength {
                message: kind,
                field: Field::Named("number of relations"),
                offset: count_offset,
                length: i64::from(count),
            })?;
            // Check the declared count against the bytes before allocating for it.
            if n.saturating_mul(4) > r.remaining() {
                return Err(DecodeError::LengthExceedsRemaining {
                    message: kind,
                    field: Field::Named("relation ids"),
                    offset: r.offset(),
                    length: i64::from(count).saturating_mul(4),
                    remaining: r.remaining(),
                });
            }
            let total = count.unsigned_abs();
            let mut relation_oids = Vec::with_capacity(n);
            for index in 1..=total {
                relation_oids.push(r.u32(Field::TruncateRelation {
                    index,
                    count: total,
                })?);
            }
            Message::Truncate(Truncate {
                xid,
                options,
                relation_oids,
            })
        }
        MessageKind::Message => Message::Message(LogicalMessage {
            xid: stream_xid(&mut r)?,
            flags: r.u8(Field::Named("flags"))?,
            lsn: lsn(&mut r, "message LSN")?,
            prefix: r.cstr(Field::Named("prefix"))?,
            content: r.length_prefixed(Field::Named("content length"), Field::Named("content"))?,
        }),
        MessageKind::StreamStart => Message::StreamStart(StreamStart {
            xid: r.u32(Field::Named("xid"))?,
            first_segment: r.u8(Field::Named("first segment"))?,
        }),
        MessageKind::StreamStop => Message::StreamStop,
        MessageKind::StreamCommit => Message::StreamCommit(StreamCommit {
            xid: r.u32(Field::Named("xid"))?,
            flags: r.u8(Field::Named("flags"))?,
            commit_lsn: lsn(&mut r, "commit LSN")?,
            end_lsn: lsn(&mut r, "end LSN")?,
            commit_timestamp: timestamp(&mut r, "commit timestamp")?,
        }),
        MessageKind::StreamAbort => {
            let xid = r.u32(Field::Named("xid"))?;
            let subxid = r.u32(Field::Named("subtransaction xid"))?;
            // Protocol 4 adds the abort LSN and time, but only when the subscriber asked
            // for `streaming = parallel` (pgoutput's `write_abort_info`), which the decoder
            // is not told; the message length says which form this is.
            let (abort_lsn, abort_timestamp) = if ctx.protocol_version >= 4 && r.remaining() > 0 {
                (
                    Some(lsn(&mut r, "abort LSN")?),
                    Some(timestamp(&mut r, "abort timestamp")?),
                )
            } else {
                (None, None)
            };
            Message::StreamAbort(StreamAbort {
                xid,
                subxid,
                abort_lsn,
                abort_timestamp,
            })
        }
        MessageKind::BeginPrepare => Message::BeginPrepare(BeginPrepare {
            prepare_lsn: lsn(&mut r, "prepare LSN")?,
            end_lsn: lsn(&mut r, "end LSN")?,
            prepare_timestamp: timestamp(&mut r, "prepare timestamp")?,
            xid: r.u32(Field::Named("xid"))?,
            gid: r.cstr(Field::Named("gid"))?,
        }),
        MessageKind::Prepare => Message::Prepare(prepare(&mut r)?),
        MessageKind::StreamPrepare => Message::StreamPrepare(prepare(&mut r)?),
        MessageKind::CommitPrepared => Message::CommitPrepared(CommitPrepared {
            flags: r.u8(Field::Named("flags"))?,
            commit_lsn: lsn(&mut r, "commit LSN")?,
            end_lsn: lsn(&mut r, "end LSN")?,
            commit_timestamp: timestamp(&mut r, "commit timestamp")?,
            xid: r.u32(Field::Named("xid"))?,
            gid: r.cstr(Field::Named("gid"))?,
        }),
        MessageKind::RollbackPrepared => Message::RollbackPrepared(RollbackPrepared {
            flags: r.u8(Field::Named("flags"))?,
            prepare_end_lsn: lsn(&mut r, "prepare end LSN")?,
            rollback_end_lsn: lsn(&mut r, "rollback end LSN")?,
            prepare_timestamp: timestamp(&mut r, "prepare timestamp")?,
            rollback_timestamp: timestamp(&mut r, "rollback timestamp")?,
            xid: r.u32(Field::Named("xid"))?,
            gid: r.cstr(Field::Named("gid"))?,
        }),
    };
    r.finish()?;
    Ok(message)
}

fn lsn(r: &mut Reader<'_>, field: &'static str) -> Result<Lsn, DecodeError> {
    r.u64(Field::Named(field)).map(Lsn)
}

fn timestamp(r: &mut Reader<'_>, field: &'static str) -> Result<PgTimestamp, DecodeError> {
    r.i64(Field::Named(field)).map(PgTimestamp)
}

fn unexpected(
    r: &Reader<'_>,
    field: &'static str,
    offset: usize,
    value: u8,
    expected: &'static str,
) -> DecodeError {
    DecodeError::UnexpectedByte {
        message: r.message(),
        field: Field::Named(field),
        offset,
        value,
        expected,
    }
}

fn expect_byte(
    r: &mut Reader<'_>,
    field: &'static str,
    want: u8,
    expected: &'static str,
) -> Result<(), DecodeError> {
    let offset = r.offset();
    match r.u8(Field::Named(field))? {
        value if value == want => Ok(()),
        value => Err(unexpected(r, field, offset, value, expected)),
    }
}

fn relation<'a>(
    r: &mut Reader<'a>,
    stream_xid: impl Fn(&mut Reader<'a>) -> Result<Option<Xid>, DecodeError>,
) -> Result<Relation<'a>, DecodeError> {
    let xid = stream_xid(r)?;
    let oid = r.u32(Field::Named("relation oid"))?;
    let namespace = r.cstr(Field::Named("namespace"))?;
    let name = r.cstr(Field::Named("relation name"))?;
    let identity_offset = r.offset();
    let identity = r.u8(Field::Named("replica identity"))?;
    let replica_identity = ReplicaIdentity::from_byte(identity).ok_or_else(|| {
        unexpected(
            r,
            "replica identity",
            identity_offset,
            identity,
            "'d', 'n', 'f' or 'i'",
        )
    })?;
    let count = r.u16(Field::Named("number of columns"))?;
    // Each column takes at least 10 bytes (flags, empty name, type oid, typmod): bound the
    // allocation by what the message can hold.
    let mut columns = Vec::with_capacity(usize::from(count).min(r.remaining() / 10));
    let total = u32::from(count);
    for column in 1..=total {
        let field = |part| Field::RelationColumn {
            column,
            count: total,
            part,
        };
        columns.push(RelationColumn {
            flags: r.u8(field("flags"))?,
            name: r.cstr(field("name"))?,
            type_oid: r.u32(field("type oid"))?,
            type_modifier: r.i32(field("type modifier"))?,
        });
    }
    Ok(Relation {
        xid,
        oid,
        namespace,
        name,
        replica_identity,
        columns,
    })
}

fn prepare<'a>(r: &mut Reader<'a>) -> Result<Prepare<'a>, DecodeError> {
    Ok(Prepare {
        flags: r.u8(Field::Named("flags"))?,
        prepare_lsn: lsn(r, "prepare LSN")?,
        end_lsn: lsn(r, "end LSN")?,
        prepare_timestamp: timestamp(r, "prepare timestamp")?,
        xid: r.u32(Field::Named("xid"))?,
        gid: r.cstr(Field::Named("gid"))?,
    })
}

/// Decodes a replication stream message by message, tracking whether it is inside a
/// streamed block (Stream Start … Stream Stop) so the streamed xid is read where it is
/// present.
///
/// Rejects a Stream Start inside a block and a Stream Stop outside one: either means
/// messages were lost or reordered, and decoding further would misread the xid field.
/// A message that fails to decode leaves the state unchanged.
#[derive(Debug, Clone)]
pub struct Decoder {
    ctx: DecodeContext,
    stream_xid: Option<Xid>,
}

impl Decoder {
    /// A decoder for a stream started with `proto_version = protocol_version`, outside any
    /// streamed block (a replication connection always starts outside one).
    pub fn new(protocol_version: u32) -> Self {
        Self {
            ctx: DecodeContext::new(protocol_version),
            stream_xid: None,
        }
    }

    /// The context the next message will be decoded with.
    pub fn context(&self) -> DecodeContext {
        self.ctx
    }

    /// The transaction of the current streamed block, if inside one.
    pub fn streaming_xid(&self) -> Option<Xid> {
        self.stream_xid
    }

    /// Decodes the next message and updates the streamed-block state.
    pub fn decode<'a>(&mut self, bytes: &'a [u8]) -> Result<Message<'a>, DecodeError> {
        let message = decode(bytes, self.ctx)?;
        match &message {
            Message::StreamStart(start) => {
                if self.ctx.in_stream {
                    return Err(DecodeError::StreamState {
                        message: MessageKind::StreamStart,
                        detail: "received inside a streamed block (no Stream Stop since the last \
                                 Stream Start)",
                    });
                }
                self.ctx.in_stream = true;
                self.stream_xid = Some(start.xid);
            }
            Message::StreamStop => {
                if !self.ctx.in_stream {
                    return Err(DecodeError::StreamState {
                        message: MessageKind::StreamStop,
                        detail: "received outside a streamed block",
                    });
                }
                self.ctx.in_stream = false;
                self.stream_xid = None;
            }
            _ => {}
        }
        Ok(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pgoutput::TupleValue;

    /// Builds messages field by field, big-endian, as PostgreSQL's `pq_send*` do.
    #[derive(Default)]
    struct Msg(Vec<u8>);

    impl Msg {
        fn new(kind: u8) -> Self {
            Msg(vec![kind])
        }
        fn u8(mut self, v: u8) -> Self {
            self.0.push(v);
            self
        }
        fn u16(mut self, v: u16) -> Self {
            self.0.extend(v.to_be_bytes());
            self
        }
        fn u32(mut self, v: u32) -> Self {
            self.0.extend(v.to_be_bytes());
            self
        }
        fn u64(mut self, v: u64) -> Self {
            self.0.extend(v.to_be_bytes());
            self
        }
        fn str(mut self, s: &str) -> Self {
            self.0.extend(s.as_bytes());
            self.0.push(0);
            self
        }
        fn text(self, s: &[u8]) -> Self {
            let mut m = self.u8(b't').u32(u32::try_from(s.len()).unwrap());
            m.0.extend(s);
            m
        }
    }

    const V1: DecodeContext = DecodeContext {
        protocol_version: 1,
        in_stream: false,
    };

    #[test]
    fn begin_commit_origin() {
        let b = Msg::new(b'B').u64(0x1_0000_0010).u64(5).u32(700).0;
        assert_eq!(
            decode(&b, V1).unwrap(),
            Message::Begin(Begin {
                final_lsn: Lsn(0x1_0000_0010),
                commit_timestamp: PgTimestamp(5),
                xid: 700
            })
        );
        let c = Msg::new(b'C').u8(0).u64(16).u64(24).u64(5).0;
        let Message::Commit(c) = decode(&c, V1).unwrap() else {
            panic!()
        };
        assert_eq!((c.commit_lsn, c.end_lsn), (Lsn(16), Lsn(24)));
        let o = Msg::new(b'O').u64(9).str("node-a").0;
        assert_eq!(
            decode(&o, V1).unwrap(),
            Message::Origin(Origin {
                commit_lsn: Lsn(9),
                name: "node-a"
            })
        );
    }

    #[test]
    fn update_with_old_key_and_unchanged_toast() {
        let bytes = Msg::new(b'U')
            .u32(16384)
            .u8(b'K')
            .u16(2)
            .text(b"1")
            .u8(b'n')
            .u8(b'N')
            .u16(2)
            .text(b"2")
            .u8(b'u')
            .0;
        let Message::Update(u) = decode(&bytes, V1).unwrap() else {
            panic!()
        };
        let Some(OldTuple::Key(key)) = u.old else {
            panic!()
        };
        assert_eq!(
            key.iter().collect::<Vec<_>>(),
            [TupleValue::Text(b"1"), TupleValue::Null]
        );
        assert_eq!(
            u.new.iter().collect::<Vec<_>>(),
            [TupleValue::Text(b"2"), TupleValue::UnchangedToast]
        );
        // An old tuple must be followed by the new one.
        let mut no_new = bytes.clone();
        *no_new.get_mut(15).unwrap() = b'X';
        let err = decode(&no_new, V1).unwrap_err();
        assert_eq!(
            err.to_string(),
            "pgoutput Update: new tuple marker: unexpected byte 0x58 ('X') at offset 15, \
             expected 'N' (new tuple)"
        );
    }

    #[test]
    fn errors_name_message_field_and_offset() {
        // Five columns; the third claims 1000 bytes.
        let mut bytes = Msg::new(b'I')
            .u32(16384)
            .u8(b'N')
            .u16(5)
            .text(b"a")
            .text(b"b")
            .u8(b't')
            .u32(1000)
            .0;
        bytes.extend([0; 12]);
        assert_eq!(
            decode(&bytes, V1).unwrap_err().to_string(),
            "pgoutput Insert: tuple column 3 of 5: length 1000 exceeds remaining 12 bytes at \
             offset 25"
        );
        assert_eq!(
            decode(b"Z", V1).unwrap_err().to_string(),
            "pgoutput: unknown message type byte 0x5A ('Z') at offset 0; the stream is not \
             pgoutput, or is from a newer protocol version than this decoder knows (1-4)"
        );
        assert_eq!(decode(b"", V1), Err(DecodeError::Empty));
        assert_eq!(
            decode(b"C\0", V1).unwrap_err().to_string(),
            "pgoutput Commit: commit LSN: needs 8 bytes but only 0 remain at offset 2"
        );
        let bad_kind = Msg::new(b'I').u32(1).u8(b'N').u16(1).u8(b'x').0;
        assert!(matches!(
            decode(&bad_kind, V1),
            Err(DecodeError::UnexpectedByte {
                offset: 8,
                value: b'x',
                ..
            })
        ));
        let trailing = Msg::new(b'E').u8(0).0;
        let v2 = DecodeContext::new(2);
        assert_eq!(
            decode(&trailing, v2),
            Err(DecodeError::TrailingBytes {
                message: MessageKind::StreamStop,
                offset: 1,
                count: 1
            })
        );
    }

    #[test]
    fn huge_counts_fail_without_allocating() {
        let truncate = Msg::new(b'T').u32(0x7FFF_FFFF).u8(0).u32(1).0;
        assert!(matches!(
            decode(&truncate, V1),
            Err(DecodeError::LengthExceedsRemaining { .. })
        ));
        let negative = Msg::new(b'T').u32(u32::MAX).u8(0).0;
        assert!(matches!(
            decode(&negative, V1),
            Err(DecodeError::NegativeLength { length: -1, .. })
        ));
        let relation = Msg::new(b'R')
            .u32(1)
            .str("public")
            .str("t")
            .u8(b'd')
            .u16(u16::MAX)
            .0;
        let err = decode(&relation, V1).unwrap_err();
        assert_eq!(
            err.to_string(),
            "pgoutput Relation: column 1 of 65535 flags: needs 1 bytes but only 0 remain at \
             offset 17"
        );
    }

    #[test]
    fn truncate_and_messages() {
        let t = Msg::new(b'T').u32(2).u8(3).u32(10).u32(11).0;
        let Message::Truncate(t) = decode(&t, V1).unwrap() else {
            panic!()
        };
        assert!(t.cascade() && t.restart_identity());
        assert_eq!(t.relation_oids, [10, 11]);
        let m = Msg::new(b'M')
            .u8(1)
            .u64(42)
            .str("p")
            .u32(3)
            .u8(1)
            .u8(2)
            .u8(3)
            .0;
        let Message::Message(m) = decode(&m, V1).unwrap() else {
            panic!()
        };
        assert!(m.transactional());
        assert_eq!((m.lsn, m.prefix, m.content), (Lsn(42), "p", &[1, 2, 3][..]));
    }

    #[test]
    fn decoder_tracks_streamed_blocks() {
        let mut d = Decoder::new(2);
        let insert_plain = Msg::new(b'I').u32(5).u8(b'N').u16(0).0;
        let insert_streamed = Msg::new(b'I').u32(900).u32(5).u8(b'N').u16(0).0;
        assert!(matches!(
            d.decode(&insert_plain).unwrap(),
            Message::Insert(Insert { xid: None, .. })
        ));
        assert_eq!(
            d.decode(&Msg::new(b'E').0).unwrap_err(),
            DecodeError::StreamState {
                message: MessageKind::StreamStop,
                detail: "received outside a streamed block"
            }
        );
        d.decode(&Msg::new(b'S').u32(900).u8(1).0).unwrap();
        assert_eq!(d.streaming_xid(), Some(900));
        assert!(d.decode(&Msg::new(b'S').u32(901).u8(0).0).is_err());
        assert_eq!(
            d.streaming_xid(),
            Some(900),
            "a failed message changes nothing"
        );
        assert!(matches!(
            d.decode(&insert_streamed).unwrap(),
            Message::Insert(Insert {
                xid: Some(900),
                relation_oid: 5,
                ..
            })
        ));
        assert!(
            d.decode(&insert_plain).is_err(),
            "xid expected inside a block"
        );
        d.decode(&Msg::new(b'E').0).unwrap();
        assert!(!d.context().in_stream);
        let commit = Msg::new(b'c').u32(900).u8(0).u64(1).u64(2).u64(3).0;
        assert!(matches!(
            d.decode(&commit).unwrap(),
            Message::StreamCommit(StreamCommit { xid: 900, .. })
        ));
    }

    #[test]
    fn protocol_versions_are_checked() {
        let stop = Msg::new(b'E').0;
        assert_eq!(
            decode(&stop, V1),
            Err(DecodeError::NotInProtocolVersion {
                message: MessageKind::StreamStop,
                required: 2,
                negotiated: 1
            })
        );
        for version in [0, 5] {
            assert_eq!(
                decode(&stop, DecodeContext::new(version)),
                Err(DecodeError::UnsupportedProtocolVersion { version })
            );
        }
        // Protocol 1 never has a streamed xid, even if the caller says "in stream".
        let insert = Msg::new(b'I').u32(5).u8(b'N').u16(0).0;
        let ctx = DecodeContext {
            protocol_version: 1,
            in_stream: true,
        };
        assert!(decode(&insert, ctx).is_ok());
    }

    #[test]
    fn every_kind_round_trips_its_byte() {
        for kind in MessageKind::ALL {
            assert_eq!(MessageKind::from_byte(kind.byte()), Some(kind));
        }
        assert_eq!(MessageKind::from_byte(b'Z'), None);
    }
}
