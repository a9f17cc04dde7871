//! An ordinary (non-replication) SQL session, for snapshot reads.
//!
//! Snapshot chunks are read here, inside `REPEATABLE READ` transactions that import the
//! slot's exported snapshot (`SET TRANSACTION SNAPSHOT`) or take their own. Rows arrive as
//! raw `DataRow` bodies in the same text formats as pgoutput's tuples (the session starts
//! with the same `DateStyle`/`IntervalStyle`/`extra_float_digits`), so the stream's value
//! decoders read them unchanged.

use super::config::PgConnectOptions;
use super::error::PgError;
use super::session::{Session, TextRow};

pub use super::session::data_row_columns as split_data_row;

/// An ordinary SQL session.
#[derive(Debug)]
pub struct SqlSession {
    session: Session,
}

impl SqlSession {
    /// Connects and authenticates.
    pub async fn connect(options: &PgConnectOptions) -> Result<Self, PgError> {
        Ok(Self {
            session: Session::connect_as(options, false).await?,
        })
    }

    /// Runs SQL and returns its rows as text.
    pub async fn simple_query(&mut self, sql: &str) -> Result<Vec<TextRow>, PgError> {
        self.session.simple_query(sql).await
    }

    /// Runs SQL and hands every row's raw `DataRow` body to `on_row`; returns the row count.
    pub async fn query_raw(
        &mut self,
        sql: &str,
        on_row: &mut (dyn FnMut(&[u8]) -> Result<(), PgError> + Send),
    ) -> Result<u64, PgError> {
        self.session.query_raw(sql, on_row).await
    }

    /// Ends the session.
    pub async fn close(self) -> Result<(), PgError> {
        self.session.close().await
    }
}
