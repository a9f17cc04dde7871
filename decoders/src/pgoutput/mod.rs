//! PostgreSQL `pgoutput` logical replication messages (protocol versions 1-4).
//!
//! [`decode`] turns one message (an `XLogData` payload of a `START_REPLICATION ... LOGICAL`
//! stream, or a `data` row of `pg_logical_slot_peek_binary_changes`) into a [`Message`]
//! that borrows its strings and column values from the input; [`Decoder`] does the same
//! for a stream, tracking the state the format depends on. [`RelationCache`] keeps the
//! table descriptions needed to interpret rows.
//!
//! The format is PostgreSQL's "Logical Replication Message Formats" (protocol chapter),
//! written by `src/backend/replication/logical/proto.c`. All integers are big-endian;
//! strings are NUL-terminated.
//!
//! # Protocol versions
//! - 1 (PostgreSQL 10+): transactions, relations, types, row changes, truncate (11+),
//!   logical messages (14+, `messages` option).
//! - 2 (14+): streaming of large in-progress transactions (`streaming` option): Stream
//!   Start/Stop/Commit/Abort, and an extra xid in data messages inside a streamed block.
//! - 3 (15+): two-phase commit (`two_phase` option): Begin Prepare, Prepare, Commit
//!   Prepared, Rollback Prepared, Stream Prepare.
//! - 4 (16+): parallel apply of streamed transactions; Stream Abort then also carries the
//!   abort LSN and time (only when the subscriber asked for `streaming = parallel`).
//!
//! # Streamed blocks
//! Between Stream Start and Stream Stop, data messages (Relation, Type, Insert, Update,
//! Delete, Truncate, Message) start with an xid; elsewhere they do not. That xid is the
//! *subtransaction's* when the change was made after a `SAVEPOINT` (pgoutput sends
//! `change->txn->xid`, observed on PostgreSQL 15), so it can differ from the Stream Start
//! xid; a Stream Abort whose `subxid` differs from its `xid` discards exactly the changes
//! carrying that subxid.
//! Nothing in the message says which, so [`DecodeContext::in_stream`] must; [`Decoder`]
//! sets it from the Stream Start/Stop messages it decodes.
//!
//! # Tuple values
//! Column values are `n` (null), `u` (unchanged TOASTed value, not sent), `t` (text
//! output format) or `b` (binary send format, with the `binary` option). [`TupleData`]
//! validates them once at decode time and iterates them without allocating.
//!
//! # Never panics
//! The input comes from a server over the network: every read is bounds-checked and any
//! malformed input is a [`DecodeError`] naming the message type, field and byte offset.
//! A property test and a `cargo fuzz` target (`decoders/fuzz/`) hold the decoder to this.

mod decode;
mod error;
mod lsn;
mod message;
mod reader;
mod relation_cache;
mod timestamp;
mod tuple;
pub mod values;

pub use decode::{DecodeContext, Decoder, MAX_PROTOCOL_VERSION, decode};
pub use error::{DecodeError, Field, TupleRole};
pub use lsn::{Lsn, ParseLsnError};
pub use message::{
    Begin, BeginPrepare, Commit, CommitPrepared, Delete, Insert, LogicalMessage, Message,
    MessageKind, Oid, OldTuple, Origin, Prepare, Relation, RelationColumn, ReplicaIdentity,
    RollbackPrepared, StreamAbort, StreamCommit, StreamStart, Truncate, Type, Update, Xid,
};
pub use relation_cache::{ColumnInfo, RelationCache, RelationInfo, RowError, TypeInfo};
pub use timestamp::{POSTGRES_EPOCH_UNIX_MICROS, PgTimestamp};
pub use tuple::{TupleData, TupleIter, TupleValue};
pub use values::{RowDecoder, TextDecoder, TypeResolver, ValueError, decode_text_value};
