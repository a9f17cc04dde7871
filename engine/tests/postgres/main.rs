//! The PostgreSQL reader end to end against a real PostgreSQL 15: SQL on one side, the WAL
//! reader's events decoded on the other, one scenario per module. One test binary (each
//! extra binary costs a link in CI); each test gets its own database and slot on the
//! binary's shared server, or its own server when it needs other settings.

// Integration tests assert by unwrapping, in helpers too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod position_integrity;
mod replica_identity;
mod restart_from_lsn;
mod schema_change;
mod streamed_transactions;
mod toast_unchanged;

use std::collections::HashMap;
use std::time::Duration;

use tokio_postgres::NoTls;
use tributary::postgres::{
    PgConnectOptions, PgOutputOptions, ReplicationSession, SlotSnapshot, WalEvent, WalReader,
    WalReaderConfig, spawn_wal_reader,
};
use tributary_decoders::pgoutput::{Decoder, Lsn, Message, Oid, OldTuple, TupleData, TupleValue};
use tributary_testcontainers::{PgConfig, unique_name};

/// Every wait in these tests ends by this deadline.
pub(crate) const DEADLINE: Duration = Duration::from_secs(60);

pub(crate) fn options(config: &PgConfig) -> PgConnectOptions {
    PgConnectOptions::new(&config.host, config.port, &config.user, &config.dbname)
        .password(&config.password)
}

pub(crate) async fn sql_client(config: &PgConfig) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&config.connection_string(), NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

/// A column value as the test compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Val {
    Null,
    /// The unchanged-TOAST marker (`u`).
    Unchanged,
    Text(String),
}

pub(crate) fn t(text: &str) -> Val {
    Val::Text(text.to_owned())
}

/// A decoded change, owned, with column names from the Relation in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    /// A Relation message: table and column names.
    Relation(String, Vec<String>),
    Insert {
        table: String,
        new: Vec<(String, Val)>,
    },
    Update {
        table: String,
        /// `('K' | 'O', values)`.
        old: Option<(char, Vec<(String, Val)>)>,
        new: Vec<(String, Val)>,
    },
    Delete {
        table: String,
        old: (char, Vec<(String, Val)>),
    },
    Truncate(Vec<String>),
}

/// One committed transaction as the pipeline received it.
#[derive(Debug)]
pub(crate) struct Transaction {
    pub(crate) xid: u32,
    pub(crate) end_lsn: Lsn,
    pub(crate) changes: Vec<Change>,
}

/// A slot, a replication stream and the WAL reader on it; decodes what the reader forwards.
pub(crate) struct Capture {
    pub(crate) slot: String,
    pub(crate) reader: WalReader,
    decoder: Decoder,
    relations: HashMap<Oid, (String, Vec<String>)>,
    /// Transactions received but not yet returned.
    pending: Vec<Transaction>,
}

pub(crate) fn pgoutput(publication: &str) -> PgOutputOptions {
    PgOutputOptions {
        proto_version: 3,
        publications: vec![publication.to_owned()],
        messages: true,
        streaming: true,
    }
}

impl Capture {
    /// Creates a slot and starts reading it from its consistent point.
    pub(crate) async fn new_slot(
        db: &PgConfig,
        publication: &str,
        config: WalReaderConfig,
    ) -> Self {
        let mut session = ReplicationSession::connect(&options(db)).await.unwrap();
        let slot = unique_name("slot");
        let start = session
            .create_logical_slot(&slot, SlotSnapshot::Nothing)
            .await
            .unwrap()
            .consistent_point;
        Self::start(session, slot, start, publication, config).await
    }

    /// Reads an existing slot from `start`.
    pub(crate) async fn resume(
        db: &PgConfig,
        slot: &str,
        start: Lsn,
        publication: &str,
        config: WalReaderConfig,
    ) -> Self {
        let session = ReplicationSession::connect(&options(db)).await.unwrap();
        Self::start(session, slot.to_owned(), start, publication, config).await
    }

    async fn start(
        session: ReplicationSession,
        slot: String,
        start: Lsn,
        publication: &str,
        config: WalReaderConfig,
    ) -> Self {
        let stream = session
            .start_logical_replication(&slot, start, &pgoutput(publication))
            .await
            .unwrap();
        Self {
            slot,
            reader: spawn_wal_reader(stream, start, config),
            decoder: Decoder::new(3),
            relations: HashMap::new(),
            pending: Vec::new(),
        }
    }

    /// The next committed transaction. Panics on a streaming message: the reader must
    /// hand the pipeline ordinary transactions only.
    pub(crate) async fn next_transaction(&mut self) -> Transaction {
        if !self.pending.is_empty() {
            return self.pending.remove(0);
        }
        let mut open: Option<Transaction> = None;
        loop {
            let event = tokio::time::timeout(DEADLINE, self.reader.events.recv())
                .await
                .expect("a transaction within the deadline")
                .expect("the reader is running");
            let WalEvent::Message(message) = event else {
                continue;
            };
            let decoded = self.decoder.decode(&message.data).unwrap();
            match decoded {
                Message::Begin(begin) => {
                    assert!(open.is_none(), "Begin inside a transaction");
                    open = Some(Transaction {
                        xid: begin.xid,
                        end_lsn: Lsn::INVALID,
                        changes: Vec::new(),
                    });
                }
                Message::Commit(commit) => {
                    let mut done = open.take().expect("Commit without Begin");
                    done.end_lsn = commit.end_lsn;
                    return done;
                }
                Message::StreamStart(_)
                | Message::StreamStop
                | Message::StreamCommit(_)
                | Message::StreamAbort(_) => {
                    panic!("a streaming message reached the pipeline: {decoded:?}")
                }
                other => {
                    let changes = &mut open.as_mut().expect("change outside a transaction").changes;
                    if let Some(change) = self.change(&other) {
                        changes.push(change);
                    }
                }
            }
        }
    }

    /// Whether a transaction arrives before `marker_table` gets a row; used to prove that
    /// nothing of an open or aborted transaction was forwarded: returns everything received
    /// up to and including the marker's transaction.
    pub(crate) async fn until_insert_into(&mut self, marker_table: &str) -> Vec<Transaction> {
        let mut out = Vec::new();
        loop {
            let txn = self.next_transaction().await;
            let is_marker = txn
                .changes
                .iter()
                .any(|c| matches!(c, Change::Insert { table, .. } if table == marker_table));
            out.push(txn);
            if is_marker {
                return out;
            }
        }
    }

    fn change(&mut self, message: &Message<'_>) -> Option<Change> {
        Some(match message {
            Message::Relation(rel) => {
                let columns: Vec<String> = rel.columns.iter().map(|c| c.name.to_owned()).collect();
                self.relations
                    .insert(rel.oid, (rel.name.to_owned(), columns.clone()));
                Change::Relation(rel.name.to_owned(), columns)
            }
            Message::Insert(insert) => {
                let (table, columns) = self.relation(insert.relation_oid);
                Change::Insert {
                    table,
                    new: row(&columns, &insert.new),
                }
            }
            Message::Update(update) => {
                let (table, columns) = self.relation(update.relation_oid);
                Change::Update {
                    table,
                    old: update.old.as_ref().map(|old| old_row(&columns, old)),
                    new: row(&columns, &update.new),
                }
            }
            Message::Delete(delete) => {
                let (table, columns) = self.relation(delete.relation_oid);
                Change::Delete {
                    table,
                    old: old_row(&columns, &delete.old),
                }
            }
            Message::Truncate(truncate) => Change::Truncate(
                truncate
                    .relation_oids
                    .iter()
                    .map(|oid| self.relation(*oid).0)
                    .collect(),
            ),
            _ => return None,
        })
    }

    fn relation(&self, oid: Oid) -> (String, Vec<String>) {
        self.relations
            .get(&oid)
            .cloned()
            .unwrap_or_else(|| panic!("a change of relation {oid} before its Relation message"))
    }

    /// Acknowledges `lsn` as durable, as the sink would after the Kafka commit.
    pub(crate) fn ack(&self, lsn: Lsn) {
        self.reader.durable.send(lsn).unwrap();
    }

    /// Stops the reader and waits until the server released the slot.
    pub(crate) async fn stop(self, sql: &tokio_postgres::Client) {
        let Capture { slot, reader, .. } = self;
        drop(reader.events);
        tokio::time::timeout(DEADLINE, reader.task)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        wait_until(|| async {
            !sql.query_one(
                "SELECT active FROM pg_replication_slots WHERE slot_name = $1",
                &[&slot],
            )
            .await
            .unwrap()
            .get::<_, bool>(0)
        })
        .await;
    }
}

fn row(columns: &[String], tuple: &TupleData<'_>) -> Vec<(String, Val)> {
    assert_eq!(tuple.len(), columns.len(), "tuple and Relation disagree");
    columns
        .iter()
        .cloned()
        .zip(tuple.iter().map(|value| match value {
            TupleValue::Null => Val::Null,
            TupleValue::UnchangedToast => Val::Unchanged,
            TupleValue::Text(bytes) => Val::Text(String::from_utf8(bytes.to_vec()).unwrap()),
            TupleValue::Binary(_) => panic!("binary values were not asked for"),
        }))
        .collect()
}

fn old_row(columns: &[String], old: &OldTuple<'_>) -> (char, Vec<(String, Val)>) {
    match old {
        OldTuple::Key(tuple) => ('K', row(columns, tuple)),
        OldTuple::Full(tuple) => ('O', row(columns, tuple)),
    }
}

/// `[("id", "1"), ("v", NULL)]` built from pairs, for expected rows.
pub(crate) fn cols(pairs: &[(&str, Val)]) -> Vec<(String, Val)> {
    pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), value.clone()))
        .collect()
}

/// Polls `done` until it holds, failing at [`DEADLINE`].
pub(crate) async fn wait_until<F, Fut>(done: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !done().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not reached in {DEADLINE:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The slot's `confirmed_flush_lsn`.
pub(crate) async fn confirmed_flush(sql: &tokio_postgres::Client, slot: &str) -> Lsn {
    let text: String = sql
        .query_one(
            "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1",
            &[&slot],
        )
        .await
        .unwrap()
        .get(0);
    text.parse().unwrap()
}

/// `pg_current_wal_lsn()`.
pub(crate) async fn current_wal(sql: &tokio_postgres::Client) -> Lsn {
    let text: String = sql
        .query_one("SELECT pg_current_wal_lsn()::text", &[])
        .await
        .unwrap()
        .get(0);
    text.parse().unwrap()
}
