//! The decoded messages, borrowing names and values from the input bytes.

use std::fmt;

use super::lsn::Lsn;
use super::timestamp::PgTimestamp;
use super::tuple::TupleData;

/// A PostgreSQL object id (`oid`): relations and types are named by it.
pub type Oid = u32;

/// A PostgreSQL transaction id (32-bit `TransactionId`, as pgoutput sends it).
pub type Xid = u32;

/// The type of a pgoutput message: its first byte.
///
/// The byte values are PostgreSQL's `LogicalRepMsgType` (`src/include/replication/logicalproto.h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MessageKind {
    /// `B`
    Begin = b'B',
    /// `C`
    Commit = b'C',
    /// `O`
    Origin = b'O',
    /// `R`
    Relation = b'R',
    /// `Y`
    Type = b'Y',
    /// `I`
    Insert = b'I',
    /// `U`
    Update = b'U',
    /// `D`
    Delete = b'D',
    /// `T`
    Truncate = b'T',
    /// `M` (logical decoding message, `pg_logical_emit_message`)
    Message = b'M',
    /// `S` (protocol 2+)
    StreamStart = b'S',
    /// `E` (protocol 2+)
    StreamStop = b'E',
    /// `c` (protocol 2+)
    StreamCommit = b'c',
    /// `A` (protocol 2+)
    StreamAbort = b'A',
    /// `b` (protocol 3+)
    BeginPrepare = b'b',
    /// `P` (protocol 3+)
    Prepare = b'P',
    /// `K` (protocol 3+)
    CommitPrepared = b'K',
    /// `r` (protocol 3+)
    RollbackPrepared = b'r',
    /// `p` (protocol 3+)
    StreamPrepare = b'p',
}

impl MessageKind {
    /// Every message type, in the order of the protocol documentation.
    pub const ALL: [MessageKind; 19] = [
        MessageKind::Begin,
        MessageKind::Message,
        MessageKind::Commit,
        MessageKind::Origin,
        MessageKind::Relation,
        MessageKind::Type,
        MessageKind::Insert,
        MessageKind::Update,
        MessageKind::Delete,
        MessageKind::Truncate,
        MessageKind::StreamStart,
        MessageKind::StreamStop,
        MessageKind::StreamCommit,
        MessageKind::StreamAbort,
        MessageKind::BeginPrepare,
        MessageKind::Prepare,
        MessageKind::CommitPrepared,
        MessageKind::RollbackPrepared,
        MessageKind::StreamPrepare,
    ];

    /// The kind for a type byte, if pgoutput defines it.
    pub fn from_byte(byte: u8) -> Option<Self> {
        Some(match byte {
            b'B' => MessageKind::Begin,
            b'C' => MessageKind::Commit,
            b'O' => MessageKind::Origin,
            b'R' => MessageKind::Relation,
            b'Y' => MessageKind::Type,
            b'I' => MessageKind::Insert,
            b'U' => MessageKind::Update,
            b'D' => MessageKind::Delete,
            b'T' => MessageKind::Truncate,
            b'M' => MessageKind::Message,
            b'S' => MessageKind::StreamStart,
            b'E' => MessageKind::StreamStop,
            b'c' => MessageKind::StreamCommit,
            b'A' => MessageKind::StreamAbort,
            b'b' => MessageKind::BeginPrepare,
            b'P' => MessageKind::Prepare,
            b'K' => MessageKind::CommitPrepared,
            b'r' => MessageKind::RollbackPrepared,
            b'p' => MessageKind::StreamPrepare,
            _ => return None,
        })
    }

    /// The type byte.
    pub fn byte(self) -> u8 {
        self as u8
    }

    /// The first protocol version that sends this message: streaming (`S`, `E`, `c`, `A`)
    /// arrived in version 2 (PostgreSQL 14), two-phase commit (`b`, `P`, `K`, `r`, `p`) in
    /// version 3 (PostgreSQL 15).
    pub fn min_protocol_version(self) -> u32 {
        match self {
            MessageKind::StreamStart
            | MessageKind::StreamStop
            | MessageKind::StreamCommit
            | MessageKind::StreamAbort => 2,
            MessageKind::BeginPrepare
            | MessageKind::Prepare
            | MessageKind::CommitPrepared
            | MessageKind::RollbackPrepared
            | MessageKind::StreamPrepare => 3,
            _ => 1,
        }
    }

    /// The name the protocol documentation uses.
    pub fn name(self) -> &'static str {
        match self {
            MessageKind::Begin => "Begin",
            MessageKind::Commit => "Commit",
            MessageKind::Origin => "Origin",
            MessageKind::Relation => "Relation",
            MessageKind::Type => "Type",
            MessageKind::Insert => "Insert",
            MessageKind::Update => "Update",
            MessageKind::Delete => "Delete",
            MessageKind::Truncate => "Truncate",
            MessageKind::Message => "Message",
            MessageKind::StreamStart => "Stream Start",
            MessageKind::StreamStop => "Stream Stop",
            MessageKind::StreamCommit => "Stream Commit",
            MessageKind::StreamAbort => "Stream Abort",
            MessageKind::BeginPrepare => "Begin Prepare",
            MessageKind::Prepare => "Prepare",
            MessageKind::CommitPrepared => "Commit Prepared",
            MessageKind::RollbackPrepared => "Rollback Prepared",
            MessageKind::StreamPrepare => "Stream Prepare",
        }
    }
}

impl fmt::Display for MessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One decoded pgoutput message. Strings and column values borrow from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message<'a> {
    /// Start of a (non-streamed) transaction.
    Begin(Begin),
    /// End of a (non-streamed) transaction.
    Commit(Commit),
    /// The transaction came from another node (replication origin).
    Origin(Origin<'a>),
    /// A table's description; precedes its first change and follows any change to its shape.
    Relation(Relation<'a>),
    /// A user-defined type used by a published column.
    Type(Type<'a>),
    /// A row was inserted.
    Insert(Insert<'a>),
    /// A row was updated.
    Update(Update<'a>),
    /// A row was deleted.
    Delete(Delete<'a>),
    /// Tables were truncated.
    Truncate(Truncate),
    /// A logical decoding message (`pg_logical_emit_message`).
    Message(LogicalMessage<'a>),
    /// A block of a large in-progress transaction begins (protocol 2+).
    StreamStart(StreamStart),
    /// The current streamed block ends (protocol 2+).
    StreamStop,
    /// A streamed transaction committed (protocol 2+).
    StreamCommit(StreamCommit),
    /// A streamed transaction, or one of its subtransactions, aborted (protocol 2+).
    StreamAbort(StreamAbort),
    /// A two-phase transaction's changes begin (protocol 3+).
    BeginPrepare(BeginPrepare<'a>),
    /// A two-phase transaction was prepared (protocol 3+).
    Prepare(Prepare<'a>),
    /// A prepared transaction was committed (protocol 3+).
    CommitPrepared(CommitPrepared<'a>),
    /// A prepared transaction was rolled back (protocol 3+).
    RollbackPrepared(RollbackPrepared<'a>),
    /// A streamed transaction was prepared (protocol 3+); same fields as Prepare.
    StreamPrepare(Prepare<'a>),
}

impl Message<'_> {
    /// The message's type.
    pub fn kind(&self) -> MessageKind {
        match self {
            Message::Begin(_) => MessageKind::Begin,
            Message::Commit(_) => MessageKind::Commit,
            Message::Origin(_) => MessageKind::Origin,
            Message::Relation(_) => MessageKind::Relation,
            Message::Type(_) => MessageKind::Type,
            Message::Insert(_) => MessageKind::Insert,
            Message::Update(_) => MessageKind::Update,
            Message::Delete(_) => MessageKind::Delete,
            Message::Truncate(_) => MessageKind::Truncate,
            Message::Message(_) => MessageKind::Message,
            Message::StreamStart(_) => MessageKind::StreamStart,
            Message::StreamStop => MessageKind::StreamStop,
            Message::StreamCommit(_) => MessageKind::StreamCommit,
            Message::StreamAbort(_) => MessageKind::StreamAbort,
            Message::BeginPrepare(_) => MessageKind::BeginPrepare,
            Message::Prepare(_) => MessageKind::Prepare,
            Message::CommitPrepared(_) => MessageKind::CommitPrepared,
            Message::RollbackPrepared(_) => MessageKind::RollbackPrepared,
            Message::StreamPrepare(_) => MessageKind::StreamPrepare,
        }
    }
}

/// `B`: a transaction's changes follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Begin {
    /// The LSN of the commit record: where the transaction ends in the WAL.
    pub final_lsn: Lsn,
    /// Commit time.
    pub commit_timestamp: PgTimestamp,
    /// Transaction id.
    pub xid: Xid,
}

/// `C`: the transaction that the last Begin opened is complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Commit {
    /// Flags; currently always 0 (PostgreSQL rejects others when it reads this message).
    pub flags: u8,
    /// The LSN of the commit record.
    pub commit_lsn: Lsn,
    /// The LSN just past the commit record: the position to confirm as flushed once the
    /// transaction is durable downstream.
    pub end_lsn: Lsn,
    /// Commit time.
    pub commit_timestamp: PgTimestamp,
}

/// `O`: the current transaction was replicated from another node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin<'a> {
    /// The commit LSN on the origin server (`0/0` if the origin session did not set one).
    pub commit_lsn: Lsn,
    /// The replication origin's name.
    pub name: &'a str,
}

/// A table's replica identity (`pg_class.relreplident`): which old values Update and
/// Delete carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReplicaIdentity {
    /// `d`: the primary key (old key tuple `K` only when a key column changed).
    Default,
    /// `n`: nothing; updates and deletes cannot be published.
    Nothing,
    /// `f`: all columns (old tuple `O` on every update and delete).
    Full,
    /// `i`: the columns of a chosen unique index.
    Index,
}

impl ReplicaIdentity {
    /// The identity for its `relreplident` byte.
    pub fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            b'd' => Some(Self::Default),
            b'n' => Some(Self::Nothing),
            b'f' => Some(Self::Full),
            b'i' => Some(Self::Index),
            _ => None,
        }
    }

    /// The `relreplident` byte.
    pub fn byte(self) -> u8 {
        match self {
            Self::Default => b'd',
            Self::Nothing => b'n',
            Self::Full => b'f',
            Self::Index => b'i',
        }
    }
}

/// `R`: the description of a published table, sent before its first change in a session
/// and again whenever its definition (or the publication's column list) changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation<'a> {
    /// Inside a streamed block (protocol 2+): the xid of the (sub)transaction. `None`
    /// outside a block.
    pub xid: Option<Xid>,
    /// The table's oid; the changes that follow name the table by it.
    pub oid: Oid,
    /// Schema name; PostgreSQL sends an empty string for `pg_catalog`.
    pub namespace: &'a str,
    /// Table name.
    pub name: &'a str,
    /// Replica identity.
    pub replica_identity: ReplicaIdentity,
    /// The published columns, in the order tuple data lists their values (dropped and
    /// generated columns, and columns outside a publication column list, are absent).
    pub columns: Vec<RelationColumn<'a>>,
}

/// One column of a [`Relation`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelationColumn<'a> {
    /// Flags; bit 0 ([`RelationColumn::FLAG_KEY`]) marks a replica-identity column.
    pub flags: u8,
    /// Column name.
    pub name: &'a str,
    /// Data type oid (`pg_type.oid`).
    pub type_oid: Oid,
    /// Type modifier (`atttypmod`), e.g. `varchar(10)` is 14; -1 when there is none.
    pub type_modifier: i32,
}

impl RelationColumn<'_> {
    /// The flag bit for "part of the replica identity key".
    pub const FLAG_KEY: u8 = 1;

    /// Whether the column is part of the replica identity (usually the primary key).
    pub fn is_key(&self) -> bool {
        self.flags & Self::FLAG_KEY != 0
    }
}

/// `Y`: a user-defined data type (oid at or above `FirstGenbkiObjectId`) used by a column
/// of a relation about to be described.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Type<'a> {
    /// Inside a streamed block (protocol 2+): the xid of the (sub)transaction that made
    /// the change, which a Stream Abort's `subxid` may name. `None` outside a block.
    pub xid: Option<Xid>,
    /// The type's oid.
    pub oid: Oid,
    /// Schema name; empty for `pg_catalog`.
    pub namespace: &'a str,
    /// Type name.
    pub name: &'a str,
}

/// `I`: a new row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insert<'a> {
    /// Inside a streamed block (protocol 2+): the xid of the (sub)transaction that made
    /// the change, which a Stream Abort's `subxid` may name. `None` outside a block.
    pub xid: Option<Xid>,
    /// The relation (see the last [`Relation`] with this oid).
    pub relation_oid: Oid,
    /// The inserted row.
    pub new: TupleData<'a>,
}

/// The old values an Update or Delete carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OldTuple<'a> {
    /// `K`: the replica-identity columns; other columns are null.
    Key(TupleData<'a>),
    /// `O`: the whole old row (`REPLICA IDENTITY FULL`).
    Full(TupleData<'a>),
}

impl<'a> OldTuple<'a> {
    /// The tuple, whichever kind.
    pub fn tuple(&self) -> &TupleData<'a> {
        match self {
            OldTuple::Key(t) | OldTuple::Full(t) => t,
        }
    }
}

/// `U`: a row changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Update<'a> {
    /// Inside a streamed block (protocol 2+): the xid of the (sub)transaction that made
    /// the change, which a Stream Abort's `subxid` may name. `None` outside a block.
    pub xid: Option<Xid>,
    /// The relation.
    pub relation_oid: Oid,
    /// The old key or row. With `REPLICA IDENTITY DEFAULT`/`INDEX` it is present only when
    /// a key column changed; with `FULL` always; never with `NOTHING`.
    pub old: Option<OldTuple<'a>>,
    /// The new row. TOASTed columns that did not change are
    /// [`TupleValue::UnchangedToast`](super::TupleValue::UnchangedToast).
    pub new: TupleData<'a>,
}

/// `D`: a row was deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delete<'a> {
    /// Inside a streamed block (protocol 2+): the xid of the (sub)transaction that made
    /// the change, which a Stream Abort's `subxid` may name. `None` outside a block.
    pub xid: Option<Xid>,
    /// The relation.
    pub relation_oid: Oid,
    /// The deleted row's key, or the whole row with `REPLICA IDENTITY FULL`.
    pub old: OldTuple<'a>,
}

/// `T`: one `TRUNCATE` statement's published tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truncate {
    /// Inside a streamed block (protocol 2+): the xid of the (sub)transaction that made
    /// the change, which a Stream Abort's `subxid` may name. `None` outside a block.
    pub xid: Option<Xid>,
    /// Option bits: [`Truncate::CASCADE`], [`Truncate::RESTART_IDENTITY`].
    pub options: u8,
    /// The truncated relations.
    pub relation_oids: Vec<Oid>,
}

impl Truncate {
    /// Option bit: `TRUNCATE ... CASCADE`.
    pub const CASCADE: u8 = 1;
    /// Option bit: `TRUNCATE ... RESTART IDENTITY`.
    pub const RESTART_IDENTITY: u8 = 2;

    /// Whether `CASCADE` was given.
    pub fn cascade(&self) -> bool {
        self.options & Self::CASCADE != 0
    }

    /// Whether `RESTART IDENTITY` was given.
    pub fn restart_identity(&self) -> bool {
        self.options & Self::RESTART_IDENTITY != 0
    }
}

/// `M`: a logical decoding message. Sent only when the `messages` option is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogicalMessage<'a> {
    /// Inside a streamed block (protocol 2+): the xid of the (sub)transaction that made
    /// the change, which a Stream Abort's `subxid` may name. `None` outside a block.
    pub xid: Option<Xid>,
    /// Flags; bit 0 ([`LogicalMessage::FLAG_TRANSACTIONAL`]) marks a transactional message.
    pub flags: u8,
    /// The LSN of the message's WAL record.
    pub lsn: Lsn,
    /// The prefix given to `pg_logical_emit_message`.
    pub prefix: &'a str,
    /// The content, as bytes (`pg_logical_emit_message` accepts `text` or `bytea`).
    pub content: &'a [u8],
}

impl LogicalMessage<'_> {
    /// Flag bit: the message was emitted inside a transaction and is decoded with it
    /// (between Begin and Commit); otherwise it is sent immediately, on its own.
    pub const FLAG_TRANSACTIONAL: u8 = 1;

    /// Whether the message is transactional.
    pub fn transactional(&self) -> bool {
        self.flags & Self::FLAG_TRANSACTIONAL != 0
    }
}

/// `S`: the changes that follow (until Stream Stop) belong to in-progress transaction `xid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamStart {
    /// The streamed transaction.
    pub xid: Xid,
    /// 1 for the transaction's first block, else 0.
    pub first_segment: u8,
}

impl StreamStart {
    /// Whether this is the transaction's first streamed block.
    pub fn is_first_segment(&self) -> bool {
        self.first_segment == 1
    }
}

/// `c`: a streamed transaction committed; its blocks can be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamCommit {
    /// The transaction.
    pub xid: Xid,
    /// Flags; currently always 0.
    pub flags: u8,
    /// The LSN of the commit record.
    pub commit_lsn: Lsn,
    /// The LSN just past the commit record.
    pub end_lsn: Lsn,
    /// Commit time.
    pub commit_timestamp: PgTimestamp,
}

/// `A`: a streamed transaction (when `subxid == xid`) or one of its subtransactions
/// aborted; discard the blocks' changes for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamAbort {
    /// The top-level transaction.
    pub xid: Xid,
    /// The aborted (sub)transaction.
    pub subxid: Xid,
    /// The abort record's LSN: only with protocol 4 and `streaming = parallel`.
    pub abort_lsn: Option<Lsn>,
    /// Abort time: only with protocol 4 and `streaming = parallel`.
    pub abort_timestamp: Option<PgTimestamp>,
}

/// `b`: a two-phase transaction's changes follow (it reached `PREPARE TRANSACTION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BeginPrepare<'a> {
    /// The LSN of the prepare record.
    pub prepare_lsn: Lsn,
    /// The LSN just past the prepare record.
    pub end_lsn: Lsn,
    /// Prepare time.
    pub prepare_timestamp: PgTimestamp,
    /// Transaction id.
    pub xid: Xid,
    /// The global transaction identifier given to `PREPARE TRANSACTION`.
    pub gid: &'a str,
}

/// `P` (Prepare) and `p` (Stream Prepare): the transaction is prepared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prepare<'a> {
    /// Flags; currently always 0.
    pub flags: u8,
    /// The LSN of the prepare record.
    pub prepare_lsn: Lsn,
    /// The LSN just past the prepare record.
    pub end_lsn: Lsn,
    /// Prepare time.
    pub prepare_timestamp: PgTimestamp,
    /// Transaction id.
    pub xid: Xid,
    /// Global transaction identifier.
    pub gid: &'a str,
}

/// `K`: a prepared transaction was committed (`COMMIT PREPARED`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitPrepared<'a> {
    /// Flags; currently always 0.
    pub flags: u8,
    /// The LSN of the commit record.
    pub commit_lsn: Lsn,
    /// The LSN just past the commit record.
    pub end_lsn: Lsn,
    /// Commit time.
    pub commit_timestamp: PgTimestamp,
    /// Transaction id.
    pub xid: Xid,
    /// Global transaction identifier.
    pub gid: &'a str,
}

/// `r`: a prepared transaction was rolled back (`ROLLBACK PREPARED`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollbackPrepared<'a> {
    /// Flags; currently always 0.
    pub flags: u8,
    /// The end LSN of the prepared transaction.
    pub prepare_end_lsn: Lsn,
    /// The end LSN of the rollback record.
    pub rollback_end_lsn: Lsn,
    /// Prepare time.
    pub prepare_timestamp: PgTimestamp,
    /// Rollback time.
    pub rollback_timestamp: PgTimestamp,
    /// Transaction id.
    pub xid: Xid,
    /// Global transaction identifier.
    pub gid: &'a str,
}
