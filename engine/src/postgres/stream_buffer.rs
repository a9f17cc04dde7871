//! Holds large in-progress transactions that the server streams (pgoutput protocol 2+,
//! `streaming = on`) until they commit, and replays each as an ordinary transaction.
//!
//! # Why
//! With `streaming`, once a transaction's changes exceed the server's
//! `logical_decoding_work_mem` the server sends them before the transaction ends, in blocks
//! (Stream Start `S` … Stream Stop `E`, interleaved with other transactions), and later
//! sends Stream Commit `c` or Stream Abort `A`. Those changes must not reach Kafka before
//! the commit, and must vanish on abort: either the whole transaction (`A` with
//! `subxid == xid`) or one subtransaction (`ROLLBACK TO SAVEPOINT`: `A` naming the
//! subtransaction; every data message inside a block carries the xid of the
//! (sub)transaction that made it — PostgreSQL's `pgoutput_change` sends `change->txn->xid`).
//!
//! # What the pipeline sees
//! Only ordinary transactions: at Stream Commit the held messages are replayed, with their
//! streamed xid removed, between a Begin built from the Stream Commit (final LSN = commit
//! LSN, its time and xid) and a Commit with its commit and end LSNs. Stream Start/Stop/
//! Commit/Abort never leave this module. Transactions are replayed in commit order, which
//! is the order the server sends their Stream Commits in.
//!
//! Relation and Type messages are kept even when the subtransaction that carried them
//! aborts: pgoutput sends a table's Relation once per streamed top-level transaction
//! (whichever subtransaction touched it first), and later changes of the same transaction
//! rely on it.
//!
//! # Memory bound
//! Held messages are kept in memory while their total size (message bytes plus
//! [`RECORD_OVERHEAD`] each) stays within `memory_limit`, counted over all open streamed
//! transactions together. A message that would pass the limit, and every later message of
//! the same transaction, goes to that transaction's spill file instead. So the memory used
//! is at most `memory_limit`, plus one [`SPILL_CHUNK`] write buffer per transaction that has
//! spilled, plus one [`SPILL_CHUNK`] read batch while a spilled transaction is replayed
//! (or one message, when a single message is larger than that). A 1-million-row
//! transaction costs disk, not memory.
//!
//! # Spill files
//! Created in the configured directory (the OS temporary directory by default) with a
//! unique name and unlinked at once: the open handle keeps the data, nothing is left behind
//! when the process dies, and the space returns when the transaction commits or aborts.
//! File I/O runs on tokio's blocking pool, one chunk at a time.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::{BufMut, Bytes, BytesMut};
use tributary_decoders::pgoutput::Lsn;

use super::error::PgError;
use super::wal_reader::WalMessage;

/// Bookkeeping counted per held message on top of its bytes (positions, the subtransaction
/// id, the queue slot), so that a flood of tiny messages is bounded too.
pub(crate) const RECORD_OVERHEAD: usize = 64;

/// Size of the buffer that gathers spilled messages before one write, and of one read batch
/// during replay.
pub(crate) const SPILL_CHUNK: usize = 256 * 1024;

/// Header of a spilled record: data length, WAL start, WAL end, server time, subxid.
const SPILL_HEADER: usize = 4 + 8 + 8 + 8 + 4;

/// Distinguishes spill files of one process.
static SPILL_SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// What the reader does with a message it received.
#[derive(Debug)]
pub(crate) enum Accepted {
    /// Not part of a streamed transaction: forward it as it is.
    Forward(WalMessage),
    /// Held (or a streaming control message that has no meaning downstream).
    Held,
    /// A streamed transaction committed: forward everything the replay yields.
    Commit(Replay),
}

/// The in-progress streamed transactions of one replication stream.
#[derive(Debug)]
pub(crate) struct StreamBuffers {
    memory_limit: usize,
    memory_used: usize,
    spill_dir: PathBuf,
    open: HashMap<u32, OpenTransaction>,
    /// The transaction whose block is being received (between Stream Start and Stop).
    current: Option<u32>,
}

#[derive(Debug, Default)]
struct OpenTransaction {
    memory: VecDeque<Held>,
    memory_bytes: usize,
    spill: Option<Spill>,
    aborted_subxids: HashSet<u32>,
}

/// One held message, its streamed xid removed.
#[derive(Debug)]
struct Held {
    wal_start: Lsn,
    wal_end: Lsn,
    server_time_us: i64,
    /// The (sub)transaction that made it.
    subxid: u32,
    data: Bytes,
}

impl Held {
    fn cost(&self) -> usize {
        self.data.len().saturating_add(RECORD_OVERHEAD)
    }

    /// Whether an abort of its subtransaction discards it (changes do; schema does not).
    fn is_change(&self) -> bool {
        matches!(self.data.first(), Some(b'I' | b'U' | b'D' | b'T' | b'M'))
    }
}

#[derive(Debug)]
struct Spill {
    path: PathBuf,
    file: File,
    pending: Vec<u8>,
    records: u64,
}

impl StreamBuffers {
    /// Buffers holding at most `memory_limit` bytes in memory, spilling into `spill_dir`.
    pub(crate) fn new(memory_limit: usize, spill_dir: PathBuf) -> Self {
        Self {
            memory_limit,
            memory_used: 0,
            spill_dir,
            open: HashMap::new(),
            current: None,
        }
    }

    /// Bytes held in memory now, over all open streamed transactions.
    #[cfg(test)]
    pub(crate) fn memory_used(&self) -> usize {
        self.memory_used
    }

    /// Takes one received message.
    pub(crate) async fn accept(&mut self, message: WalMessage) -> Result<Accepted, PgError> {
        let data = &message.data;
        match data.first() {
            Some(b'S') => {
                let xid = field_u32(data, 1, "Stream Start xid")?;
                let first = data.get(5).copied() == Some(1);
                if first && let Some(stale) = self.open.remove(&xid) {
                    self.release(stale);
                }
                self.open.entry(xid).or_default();
                self.current = Some(xid);
                Ok(Accepted::Held)
            }
            Some(b'E') => {
                self.current = None;
                Ok(Accepted::Held)
            }
            Some(b'c') => {
                let xid = field_u32(data, 1, "Stream Commit xid")?;
                let commit_lsn = Lsn(field_u64(data, 6, "Stream Commit LSN")?);
                let end_lsn = Lsn(field_u64(data, 14, "Stream Commit end LSN")?);
                let timestamp = field_u64(data, 22, "Stream Commit timestamp")?;
                let transaction = self.open.remove(&xid).unwrap_or_default();
                self.memory_used = self.memory_used.saturating_sub(transaction.memory_bytes);
                Ok(Accepted::Commit(
                    Replay::new(
                        transaction,
                        ReplayEnds {
                            xid,
                            commit_lsn,
                            end_lsn,
                            timestamp,
                            wal_end: message.wal_end,
                            server_time_us: message.server_time_us,
                        },
                    )
                    .await?,
                ))
            }
            Some(b'A') => {
                let xid = field_u32(data, 1, "Stream Abort xid")?;
                let subxid = field_u32(data, 5, "Stream Abort subxid")?;
                if xid == subxid {
                    if let Some(transaction) = self.open.remove(&xid) {
                        self.release(transaction);
                    }
                } else if let Some(transaction) = self.open.get_mut(&xid) {
                    let before = transaction.memory_bytes;
                    transaction
                        .memory
                        .retain(|held| !(held.subxid == subxid && held.is_change()));
                    transaction.memory_bytes = transaction.memory.iter().map(Held::cost).sum();
                    self.memory_used = self
                        .memory_used
                        .saturating_sub(before - transaction.memory_bytes.min(before));
                    // Spilled changes of the subtransaction are skipped at replay.
                    transaction.aborted_subxids.insert(subxid);
                }
                Ok(Accepted::Held)
            }
            Some(_) if self.current.is_some() => {
                self.hold(message).await?;
                Ok(Accepted::Held)
            }
            _ => Ok(Accepted::Forward(message)),
        }
    }

    /// Holds a data message of the current block, its streamed xid removed.
    async fn hold(&mut self, message: WalMessage) -> Result<(), PgError> {
        let Some(xid) = self.current else {
            return Ok(());
        };
        let data = &message.data;
        let subxid = field_u32(data, 1, "streamed message xid")?;
        let mut stripped = BytesMut::with_capacity(data.len() - 4);
        stripped.put_slice(data.get(..1).unwrap_or_default());
        stripped.put_slice(data.get(5..).unwrap_or_default());
        let held = Held {
            wal_start: message.wal_start,
            wal_end: message.wal_end,
            server_time_us: message.server_time_us,
            subxid,
            data: stripped.freeze(),
        };
        let cost = held.cost();
        let fits = self.memory_used.saturating_add(cost) <= self.memory_limit;
        let spill_dir = self.spill_dir.clone();
        let transaction = self.open.entry(xid).or_default();
        if transaction.spill.is_none() && fits {
            transaction.memory_bytes += cost;
            transaction.memory.push_back(held);
            self.memory_used += cost;
            return Ok(());
        }
        let spill = match &mut transaction.spill {
            Some(spill) => spill,
            none => none.insert(Spill::create(&spill_dir, xid)?),
        };
        spill.push(&held).await
    }

    fn release(&mut self, transaction: OpenTransaction) {
        self.memory_used = self.memory_used.saturating_sub(transaction.memory_bytes);
        // Dropping the spill closes the (already unlinked) file.
    }
}

impl Spill {
    fn create(dir: &Path, xid: u32) -> Result<Self, PgError> {
        let sequence = SPILL_SEQUENCE.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(
            "tributary-stream-{}-{xid}-{sequence}.spill",
            std::process::id()
        ));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|source| spill_error(&path, "create", source))?;
        // Unlinked at once: the handle keeps the data, a crash leaves nothing behind.
        std::fs::remove_file(&path).map_err(|source| spill_error(&path, "unlink", source))?;
        Ok(Self {
            path,
            file,
            pending: Vec::with_capacity(SPILL_CHUNK),
            records: 0,
        })
    }

    async fn push(&mut self, held: &Held) -> Result<(), PgError> {
        let length = u32::try_from(held.data.len())
            .map_err(|_| PgError::protocol("streamed transaction", "message over 4 GiB"))?;
        self.pending.put_u32(length);
        self.pending.put_u64(held.wal_start.0);
        self.pending.put_u64(held.wal_end.0);
        self.pending.put_i64(held.server_time_us);
        self.pending.put_u32(held.subxid);
        self.pending.put_slice(&held.data);
        self.records += 1;
        if self.pending.len() >= SPILL_CHUNK {
            self.write_pending().await?;
        }
        Ok(())
    }

    async fn write_pending(&mut self) -> Result<(), PgError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.pending, Vec::with_capacity(SPILL_CHUNK));
        let mut file = self
            .file
            .try_clone()
            .map_err(|source| spill_error(&self.path, "write", source))?;
        blocking(&self.path, "write", move || file.write_all(&chunk)).await
    }
}

/// The Stream Commit's fields, for the Begin and Commit that frame the replay.
#[derive(Debug, Clone, Copy)]
struct ReplayEnds {
    xid: u32,
    commit_lsn: Lsn,
    end_lsn: Lsn,
    timestamp: u64,
    wal_end: Lsn,
    server_time_us: i64,
}

/// A committed streamed transaction, yielded message by message as an ordinary one.
#[derive(Debug)]
pub(crate) struct Replay {
    ends: ReplayEnds,
    state: ReplayState,
    memory: VecDeque<Held>,
    aborted_subxids: HashSet<u32>,
    spill: Option<SpillReader>,
    batch: VecDeque<Held>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReplayState {
    Begin,
    Body,
    Done,
}

#[derive(Debug)]
struct SpillReader {
    path: PathBuf,
    reader: Option<BufReader<File>>,
    remaining: u64,
}

impl Replay {
    async fn new(transaction: OpenTransaction, ends: ReplayEnds) -> Result<Self, PgError> {
        let spill = match transaction.spill {
            Some(mut spill) => {
                spill.write_pending().await?;
                let mut file = spill.file;
                file.seek(SeekFrom::Start(0))
                    .map_err(|source| spill_error(&spill.path, "rewind", source))?;
                Some(SpillReader {
                    path: spill.path,
                    reader: Some(BufReader::with_capacity(SPILL_CHUNK, file)),
                    remaining: spill.records,
                })
            }
            None => None,
        };
        Ok(Self {
            ends,
            state: ReplayState::Begin,
            memory: transaction.memory,
            aborted_subxids: transaction.aborted_subxids,
            spill,
            batch: VecDeque::new(),
        })
    }

    /// The next message of the transaction: Begin, the held messages in order, Commit;
    /// then `None`.
    pub(crate) async fn next(&mut self) -> Result<Option<WalMessage>, PgError> {
        let ends = self.ends;
        match self.state {
            ReplayState::Begin => {
                self.state = ReplayState::Body;
                let mut begin = BytesMut::with_capacity(21);
                begin.put_u8(b'B');
                begin.put_u64(ends.commit_lsn.0);
                begin.put_u64(ends.timestamp);
                begin.put_u32(ends.xid);
                return Ok(Some(WalMessage {
                    wal_start: ends.commit_lsn,
                    wal_end: ends.wal_end,
                    server_time_us: ends.server_time_us,
                    data: begin.freeze(),
                }));
            }
            ReplayState::Done => return Ok(None),
            ReplayState::Body => {}
        }
        loop {
            let held = match self.memory.pop_front() {
                Some(held) => held,
                None => match self.batch.pop_front() {
                    Some(held) => held,
                    None => {
                        if !self.refill().await? {
                            break;
                        }
                        continue;
                    }
                },
            };
            if held.is_change() && self.aborted_subxids.contains(&held.subxid) {
                continue;
            }
            return Ok(Some(WalMessage {
                wal_start: held.wal_start,
                wal_end: held.wal_end,
                server_time_us: held.server_time_us,
                data: held.data,
            }));
        }
        self.state = ReplayState::Done;
        let mut commit = BytesMut::with_capacity(26);
        commit.put_u8(b'C');
        commit.put_u8(0);
        commit.put_u64(ends.commit_lsn.0);
        commit.put_u64(ends.end_lsn.0);
        commit.put_u64(ends.timestamp);
        Ok(Some(WalMessage {
            wal_start: ends.end_lsn,
            wal_end: ends.wal_end,
            server_time_us: ends.server_time_us,
            data: commit.freeze(),
        }))
    }

    /// Reads the next batch of spilled messages; `false` when none are left.
    async fn refill(&mut self) -> Result<bool, PgError> {
        let Some(spill) = &mut self.spill else {
            return Ok(false);
        };
        let Some(mut reader) = spill.reader.take() else {
            return Ok(false);
        };
        if spill.remaining == 0 {
            return Ok(false);
        }
        let remaining = spill.remaining;
        let (reader, batch) = blocking(&spill.path, "read", move || {
            let batch = read_batch(&mut reader, remaining)?;
            Ok((reader, batch))
        })
        .await?;
        spill.remaining -= batch.len() as u64;
        spill.reader = Some(reader);
        self.batch = batch;
        Ok(!self.batch.is_empty())
    }
}

/// Reads spilled records until about [`SPILL_CHUNK`] bytes or `remaining` records.
fn read_batch(reader: &mut BufReader<File>, remaining: u64) -> std::io::Result<VecDeque<Held>> {
    let mut batch = VecDeque::new();
    let mut bytes = 0usize;
    while (batch.len() as u64) < remaining && bytes < SPILL_CHUNK {
        let mut header = [0u8; SPILL_HEADER];
        reader.read_exact(&mut header)?;
        let word = |at: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&header[at..at + 8]);
            u64::from_be_bytes(w)
        };
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let mut data = vec![0u8; length];
        reader.read_exact(&mut data)?;
        bytes += length + SPILL_HEADER;
        batch.push_back(Held {
            wal_start: Lsn(word(4)),
            wal_end: Lsn(word(12)),
            server_time_us: word(20) as i64,
            subxid: u32::from_be_bytes([header[28], header[29], header[30], header[31]]),
            data: Bytes::from(data),
        });
    }
    Ok(batch)
}

/// Runs file I/O on the blocking pool.
async fn blocking<T: Send + 'static>(
    path: &Path,
    action: &'static str,
    work: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, PgError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(|source| spill_error(path, action, source)),
        Err(join) => Err(spill_error(path, action, std::io::Error::other(join))),
    }
}

fn spill_error(path: &Path, action: &'static str, source: std::io::Error) -> PgError {
    PgError::Spill {
        path: path.to_path_buf(),
        action,
        source,
    }
}

fn field_u32(data: &[u8], at: usize, field: &str) -> Result<u32, PgError> {
    data.get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| truncated(field))
}

fn field_u64(data: &[u8], at: usize, field: &str) -> Result<u64, PgError> {
    let bytes = data.get(at..at + 8).ok_or_else(|| truncated(field))?;
    let mut word = [0u8; 8];
    word.copy_from_slice(bytes);
    Ok(u64::from_be_bytes(word))
}

fn truncated(field: &str) -> PgError {
    PgError::protocol(
        "replication stream",
        format!("pgoutput message too short for its {field}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(data: Vec<u8>) -> WalMessage {
        WalMessage {
            wal_start: Lsn(1),
            wal_end: Lsn(2),
            server_time_us: 3,
            data: Bytes::from(data),
        }
    }

    fn start(xid: u32, first: bool) -> WalMessage {
        let mut m = vec![b'S'];
        m.extend_from_slice(&xid.to_be_bytes());
        m.push(u8::from(first));
        message(m)
    }

    fn stop() -> WalMessage {
        message(vec![b'E'])
    }

    /// A streamed change: tag, (sub)xid, then a payload naming `n`.
    fn change(tag: u8, subxid: u32, n: u32) -> WalMessage {
        let mut m = vec![tag];
        m.extend_from_slice(&subxid.to_be_bytes());
        m.extend_from_slice(&n.to_be_bytes());
        m.extend_from_slice(&[0xAB; 40]);
        message(m)
    }

    fn commit(xid: u32, commit_lsn: u64, end_lsn: u64) -> WalMessage {
        let mut m = vec![b'c'];
        m.extend_from_slice(&xid.to_be_bytes());
        m.push(0);
        m.extend_from_slice(&commit_lsn.to_be_bytes());
        m.extend_from_slice(&end_lsn.to_be_bytes());
        m.extend_from_slice(&77u64.to_be_bytes());
        message(m)
    }

    fn abort(xid: u32, subxid: u32) -> WalMessage {
        let mut m = vec![b'A'];
        m.extend_from_slice(&xid.to_be_bytes());
        m.extend_from_slice(&subxid.to_be_bytes());
        message(m)
    }

    async fn held(buffers: &mut StreamBuffers, m: WalMessage) {
        assert!(matches!(buffers.accept(m).await.unwrap(), Accepted::Held));
    }

    /// Replays a committed transaction: (tag, n) of each change, framed by B and C.
    async fn replayed(buffers: &mut StreamBuffers, m: WalMessage) -> Vec<(u8, u32)> {
        let Accepted::Commit(mut replay) = buffers.accept(m).await.unwrap() else {
            panic!("a stream commit replays");
        };
        let mut out = Vec::new();
        while let Some(m) = replay.next().await.unwrap() {
            let n = m
                .data
                .get(1..5)
                .filter(|_| !matches!(m.data[0], b'B' | b'C'))
                .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
            out.push((m.data[0], n));
        }
        out
    }

    fn buffers(limit: usize) -> StreamBuffers {
        StreamBuffers::new(limit, std::env::temp_dir())
    }

    #[tokio::test]
    async fn held_until_commit_then_replayed_as_an_ordinary_transaction() {
        let mut b = buffers(1 << 20);
        held(&mut b, start(7, true)).await;
        held(&mut b, change(b'R', 7, 0)).await;
        held(&mut b, change(b'I', 7, 1)).await;
        held(&mut b, stop()).await;
        // An ordinary transaction between blocks passes straight through.
        let plain = message(vec![b'B', 0, 0]);
        assert!(matches!(
            b.accept(plain).await.unwrap(),
            Accepted::Forward(_)
        ));
        held(&mut b, start(7, false)).await;
        held(&mut b, change(b'I', 7, 2)).await;
        held(&mut b, stop()).await;
        assert!(b.memory_used() > 0);

        let Accepted::Commit(mut replay) = b.accept(commit(7, 0x100, 0x180)).await.unwrap() else {
            panic!("a stream commit replays");
        };
        let begin = replay.next().await.unwrap().unwrap();
        assert_eq!(&begin.data[..], {
            let mut m = vec![b'B'];
            m.extend_from_slice(&0x100u64.to_be_bytes());
            m.extend_from_slice(&77u64.to_be_bytes());
            m.extend_from_slice(&7u32.to_be_bytes());
            m
        });
        let relation = replay.next().await.unwrap().unwrap();
        assert_eq!(relation.data[0], b'R');
        assert_eq!(
            relation.data.len(),
            1 + 4 + 40,
            "the streamed xid is removed"
        );
        assert_eq!(&relation.data[1..5], &0u32.to_be_bytes());
        replay.next().await.unwrap().unwrap();
        replay.next().await.unwrap().unwrap();
        let end = replay.next().await.unwrap().unwrap();
        assert_eq!(end.data[0], b'C');
        assert_eq!(&end.data[10..18], &0x180u64.to_be_bytes(), "end LSN");
        assert!(replay.next().await.unwrap().is_none());
        assert_eq!(b.memory_used(), 0);
    }

    #[tokio::test]
    async fn aborts_discard_the_transaction_or_only_the_subtransaction() {
        let mut b = buffers(1 << 20);
        held(&mut b, start(7, true)).await;
        held(&mut b, change(b'I', 7, 1)).await;
        held(&mut b, stop()).await;
        held(&mut b, abort(7, 7)).await;
        assert_eq!(b.memory_used(), 0);
        // A commit of an unknown (aborted) xid replays an empty transaction at worst.
        assert_eq!(
            replayed(&mut b, commit(7, 1, 2)).await,
            vec![(b'B', 0), (b'C', 0)]
        );

        held(&mut b, start(9, true)).await;
        held(&mut b, change(b'I', 9, 1)).await;
        held(&mut b, change(b'R', 10, 0)).await;
        held(&mut b, change(b'I', 10, 2)).await;
        held(&mut b, change(b'I', 11, 3)).await;
        held(&mut b, stop()).await;
        held(&mut b, abort(9, 10)).await;
        held(&mut b, start(9, false)).await;
        held(&mut b, change(b'I', 9, 4)).await;
        held(&mut b, stop()).await;
        assert_eq!(
            replayed(&mut b, commit(9, 5, 6)).await,
            vec![
                (b'B', 0),
                (b'I', 1),
                (b'R', 0),
                (b'I', 3),
                (b'I', 4),
                (b'C', 0)
            ],
            "the aborted subtransaction's change is gone, its Relation kept"
        );
    }

    #[tokio::test]
    async fn beyond_the_limit_messages_spill_and_replay_in_order() {
        // Room for about three messages in memory.
        let mut b = buffers(3 * (45 + RECORD_OVERHEAD));
        held(&mut b, start(5, true)).await;
        held(&mut b, start(6, true)).await;
        held(&mut b, change(b'I', 6, 0)).await;
        held(&mut b, stop()).await;
        held(&mut b, start(5, false)).await;
        let count = 20_000u32;
        for n in 1..=count {
            let subxid = if n % 1000 == 0 { 55 } else { 5 };
            held(&mut b, change(b'I', subxid, n)).await;
            assert!(b.memory_used() <= 3 * (45 + RECORD_OVERHEAD));
        }
        held(&mut b, stop()).await;
        held(&mut b, abort(5, 55)).await;
        let replay = replayed(&mut b, commit(5, 10, 20)).await;
        let expected: Vec<(u8, u32)> = std::iter::once((b'B', 0))
            .chain((1..=count).filter(|n| n % 1000 != 0).map(|n| (b'I', n)))
            .chain(std::iter::once((b'C', 0)))
            .collect();
        assert_eq!(replay.len(), expected.len());
        assert_eq!(
            replay, expected,
            "spilled messages replay in order, aborted ones skipped"
        );
        // The other transaction is still held, in memory.
        assert_eq!(
            replayed(&mut b, commit(6, 30, 40)).await,
            vec![(b'B', 0), (b'I', 0), (b'C', 0)]
        );
        assert_eq!(b.memory_used(), 0);
    }

    #[tokio::test]
    async fn truncated_stream_messages_are_errors_not_panics() {
        let mut b = buffers(1024);
        for bytes in [&b"S"[..], b"c\0\0\0\x07", b"A\0\0\0\x07\0", b"c"] {
            assert!(
                b.accept(message(bytes.to_vec())).await.is_err(),
                "{bytes:?}"
            );
        }
        held(&mut b, start(1, true)).await;
        assert!(matches!(
            b.accept(message(vec![b'I', 0])).await.unwrap_err(),
            PgError::Protocol { .. }
        ));
    }
}
