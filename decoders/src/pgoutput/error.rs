//! What can be wrong with a pgoutput message, said precisely enough to find the byte.

use std::fmt;

use super::message::MessageKind;

/// Which part of a message a [`DecodeError`] is about.
///
/// Tuple and relation columns are numbered from 1, as a person counting columns would,
/// with the total so "column 3 of 5" needs no other context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// A fixed field, by its name in PostgreSQL's "Logical Replication Message Formats".
    Named(&'static str),
    /// A value in a `TupleData`.
    TupleColumn {
        /// Which tuple of the message.
        tuple: TupleRole,
        /// 1-based column number.
        column: u32,
        /// Number of columns the tuple declares.
        count: u32,
        /// The part of the column (`"kind"`, `"length"`), or empty when the error message
        /// already says which part.
        part: &'static str,
    },
    /// A column description in a Relation message.
    RelationColumn {
        /// 1-based column number.
        column: u32,
        /// Number of columns the message declares.
        count: u32,
        /// The part of the description: `"flags"`, `"name"`, `"type oid"`, `"type modifier"`.
        part: &'static str,
    },
    /// One of the relation ids of a Truncate message.
    TruncateRelation {
        /// 1-based position.
        index: u32,
        /// Number of relations the message declares.
        count: u32,
    },
}

/// Which `TupleData` of a message a column belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TupleRole {
    /// The only tuple of an Insert.
    Inserted,
    /// The new tuple (`N`) of an Update.
    New,
    /// A full old tuple (`O`, `REPLICA IDENTITY FULL`).
    Old,
    /// An old key (`K`: the replica-identity columns, others null).
    Key,
}

impl fmt::Display for TupleRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TupleRole::Inserted => "tuple",
            TupleRole::New => "new tuple",
            TupleRole::Old => "old tuple",
            TupleRole::Key => "key tuple",
        })
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (part, _) = match self {
            Field::Named(name) => return f.write_str(name),
            Field::TruncateRelation { index, count } => {
                return write!(f, "relation id {index} of {count}");
            }
            Field::TupleColumn {
                tuple,
                column,
                count,
                part,
            } => (part, write!(f, "{tuple} column {column} of {count}")?),
            Field::RelationColumn {
                column,
                count,
                part,
            } => (part, write!(f, "column {column} of {count}")?),
        };
        if part.is_empty() {
            Ok(())
        } else {
            write!(f, " {part}")
        }
    }
}

/// A pgoutput message that could not be decoded.
///
/// Every variant names the message type, the field and the byte offset from the start of
/// the message (the type byte is offset 0), so a report can be matched against a hex dump.
/// All of these are definite errors: the same bytes will fail the same way, so retrying
/// cannot help; the fix is in the configuration (protocol version, streaming) or a bug
/// report with the bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A zero-length message: not even a type byte.
    #[error("pgoutput: empty message (no type byte)")]
    Empty,

    /// The first byte is not a pgoutput message type.
    #[error(
        "pgoutput: unknown message type byte 0x{byte:02X}{} at offset 0; the stream is not \
         pgoutput, or is from a newer protocol version than this decoder knows (1-4)",
        printable(*byte)
    )]
    UnknownMessageType {
        /// The type byte.
        byte: u8,
    },

    /// The caller asked for a protocol version this decoder does not implement.
    #[error("pgoutput: protocol version {version} is not supported; request proto_version 1 to 4")]
    UnsupportedProtocolVersion {
        /// The version in the decode context.
        version: u32,
    },

    /// A message type that only exists from a later protocol version than the one negotiated.
    #[error(
        "pgoutput {message}: this message needs protocol version {required} or later, but the \
         stream was started with proto_version {negotiated}; check the decode context"
    )]
    NotInProtocolVersion {
        /// The message type.
        message: MessageKind,
        /// The first protocol version that has it.
        required: u32,
        /// The version in the decode context.
        negotiated: u32,
    },

    /// A fixed-size field runs past the end of the message.
    #[error(
        "pgoutput {message}: {field}: needs {needed} bytes but only {remaining} remain at \
         offset {offset}"
    )]
    Truncated {
        /// The message type.
        message: MessageKind,
        /// The field being read.
        field: Field,
        /// Where the field starts.
        offset: usize,
        /// Its size.
        needed: usize,
        /// Bytes left in the message.
        remaining: usize,
    },

    /// A length prefix claims more bytes than the message has left.
    #[error(
        "pgoutput {message}: {field}: length {length} exceeds remaining {remaining} bytes at \
         offset {offset}"
    )]
    LengthExceedsRemaining {
        /// The message type.
        message: MessageKind,
        /// The length-prefixed field.
        field: Field,
        /// Where the data after the length prefix starts.
        offset: usize,
        /// The declared length.
        length: i64,
        /// Bytes left in the message.
        remaining: usize,
    },

    /// A count or length is negative.
    #[error("pgoutput {message}: {field}: negative length {length} at offset {offset}")]
    NegativeLength {
        /// The message type.
        message: MessageKind,
        /// The field.
        field: Field,
        /// Where the length prefix starts.
        offset: usize,
        /// The declared value.
        length: i64,
    },

    /// A NUL-terminated string has no NUL before the end of the message.
    #[error(
        "pgoutput {message}: {field}: string starting at offset {offset} has no terminating NUL"
    )]
    UnterminatedString {
        /// The message type.
        message: MessageKind,
        /// The field.
        field: Field,
        /// Where the string starts.
        offset: usize,
    },

    /// A string (relation, namespace, column, type, origin, prefix or GID name) is not
    /// UTF-8. The replication connection should set `client_encoding` to `UTF8`, which
    /// makes the server convert names before sending them.
    #[error(
        "pgoutput {message}: {field}: string at offset {offset} is not valid UTF-8; set \
         client_encoding=UTF8 on the replication connection"
    )]
    InvalidUtf8 {
        /// The message type.
        message: MessageKind,
        /// The field.
        field: Field,
        /// Where the string starts.
        offset: usize,
    },

    /// A tag byte (tuple marker, column kind, replica identity) has a value the protocol
    /// does not define.
    #[error(
        "pgoutput {message}: {field}: unexpected byte 0x{value:02X}{} at offset {offset}, \
         expected {expected}",
        printable(*value)
    )]
    UnexpectedByte {
        /// The message type.
        message: MessageKind,
        /// The field.
        field: Field,
        /// Where the byte is.
        offset: usize,
        /// The byte.
        value: u8,
        /// What the protocol allows there.
        expected: &'static str,
    },

    /// The message has bytes after its last field. Each pgoutput message arrives in its own
    /// `XLogData` payload, so extra bytes mean the layout was misread (for example a wrong
    /// `in_stream` flag: streamed messages carry an extra xid).
    #[error(
        "pgoutput {message}: {count} unexpected trailing bytes at offset {offset}; is the \
         decode context's protocol version or in_stream flag wrong?"
    )]
    TrailingBytes {
        /// The message type.
        message: MessageKind,
        /// Where the unread bytes start.
        offset: usize,
        /// How many there are.
        count: usize,
    },

    /// A Stream Start arrived inside a streamed block, or a Stream Stop outside one.
    #[error("pgoutput {message}: {detail}")]
    StreamState {
        /// The message type.
        message: MessageKind,
        /// What was wrong.
        detail: &'static str,
    },
}

/// ` ('x')` for printable ASCII, so a type byte shows as the letter the docs use.
fn printable(byte: u8) -> String {
    if byte.is_ascii_graphic() {
        format!(" ('{}')", char::from(byte))
    } else {
        String::new()
    }
}
