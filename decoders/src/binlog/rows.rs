//! WRITE/UPDATE/DELETE rows events (v1, v2, MySQL PARTIAL_UPDATE, MariaDB compressed) and
//! their row images.
//!
//! A [`RowsEvent`] keeps its bytes and the [`TableMap`] that was in force when it arrived;
//! rows are decoded lazily by [`RowsEvent::rows`], so a consumer that filters tables out
//! pays nothing for their values.

use std::borrow::Cow;
use std::sync::Arc;

use super::cursor::Cursor;
use super::error::{BinlogError, ColumnError, Position};
use super::event_type::EventTypeName;
use super::table::{ColumnType, TableMap};
use super::value::{ColumnValue, decode_value};

/// Which change a rows event carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowsKind {
    /// WRITE_ROWS: after images.
    Insert,
    /// UPDATE_ROWS / PARTIAL_UPDATE_ROWS: before and after images.
    Update,
    /// DELETE_ROWS: before images.
    Delete,
}

/// One row image: `values[i]` is column `i` of the table; `None` when the column is not in
/// the image (`binlog_row_image=MINIMAL` or `NOBLOB`), `Some(ColumnValue::Null)` for SQL NULL.
#[derive(Debug, Clone, PartialEq)]
pub struct Row<'a> {
    values: Vec<Option<ColumnValue<'a>>>,
}

impl<'a> Row<'a> {
    /// Column `i`'s value; `None` if the column is not in the image or out of range.
    pub fn get(&self, i: usize) -> Option<&ColumnValue<'a>> {
        self.values.get(i).and_then(Option::as_ref)
    }

    /// All columns, in table order.
    pub fn values(&self) -> &[Option<ColumnValue<'a>>] {
        &self.values
    }

    /// The values, for moving them out.
    pub fn into_values(self) -> Vec<Option<ColumnValue<'a>>> {
        self.values
    }
}

/// One changed row.
#[derive(Debug, Clone, PartialEq)]
pub enum RowChange<'a> {
    /// An inserted row.
    Insert(Row<'a>),
    /// An updated row, before and after.
    Update {
        /// The row before the update.
        before: Row<'a>,
        /// The row after the update.
        after: Row<'a>,
    },
    /// A deleted row.
    Delete(Row<'a>),
}

/// A rows event: the changed rows of one table, with the table map in force.
#[derive(Debug, Clone)]
pub struct RowsEvent<'a> {
    kind: RowsKind,
    event_type: u8,
    table: Arc<TableMap>,
    flags: u16,
    num_columns: usize,
    before_columns: Option<Cow<'a, [u8]>>,
    after_columns: Option<Cow<'a, [u8]>>,
    partial: bool,
    data: Cow<'a, [u8]>,
    at: Position,
}

/// The fixed part of a rows event body, before the row images.
pub(crate) struct RowsHeader<'a> {
    pub(crate) table_id: u64,
    pub(crate) flags: u16,
    pub(crate) num_columns: usize,
    pub(crate) before_columns: Option<&'a [u8]>,
    pub(crate) after_columns: Option<&'a [u8]>,
    pub(crate) rows: &'a [u8],
}

impl<'a> RowsHeader<'a> {
    /// Parses the post-header and column bitmaps (libbinlogevents `Rows_event`).
    pub(crate) fn parse(
        body: &'a [u8],
        kind: RowsKind,
        table_id_len: usize,
        has_extra_data: bool,
    ) -> Result<Self, String> {
        let short = || "truncated".to_owned();
        let mut c = Cursor::new(body);
        let table_id = c.uint_le(table_id_len).ok_or_else(short)?;
        let flags = c.u16_le().ok_or_else(short)?;
        if has_extra_data {
            let len = usize::from(c.u16_le().ok_or_else(short)?);
            c.take(len.saturating_sub(2)).ok_or_else(short)?;
        }
        let num_columns = usize::try_from(c.lenenc().ok_or_else(short)?).map_err(|_| short())?;
        let bitmap = num_columns.div_ceil(8);
        let before_columns = match kind {
            RowsKind::Update | RowsKind::Delete => Some(c.take(bitmap).ok_or_else(short)?),
            RowsKind::Insert => None,
        };
        let after_columns = match kind {
            RowsKind::Update | RowsKind::Insert => Some(c.take(bitmap).ok_or_else(short)?),
            RowsKind::Delete => None,
        };
        Ok(Self {
            table_id,
            flags,
            num_columns,
            before_columns,
            after_columns,
            rows: c.rest(),
        })
    }
}

impl<'a> RowsEvent<'a> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        kind: RowsKind,
        event_type: u8,
        table: Arc<TableMap>,
        header: &RowsHeader<'a>,
        partial: bool,
        data: Cow<'a, [u8]>,
        at: Position,
    ) -> Self {
        Self {
            kind,
            event_type,
            table,
            flags: header.flags,
            num_columns: header.num_columns,
            before_columns: header.before_columns.map(Cow::Borrowed),
            after_columns: header.after_columns.map(Cow::Borrowed),
            partial,
            data,
            at,
        }
    }

    /// Insert, update or delete.
    pub fn kind(&self) -> RowsKind {
        self.kind
    }

    /// The table map in force when the event arrived.
    pub fn table(&self) -> &Arc<TableMap> {
        &self.table
    }

    /// The event's rows flags (`STMT_END_F` = 1, …).
    pub fn flags(&self) -> u16 {
        self.flags
    }

    /// Where the event starts.
    pub fn position(&self) -> &Position {
        &self.at
    }

    /// Decodes the rows one by one. The iterator ends after the first error.
    pub fn rows(&self) -> Rows<'_> {
        Rows {
            event: self,
            cursor: Cursor::new(&self.data),
            index: 0,
            failed: false,
        }
    }

    /// A `'static` copy, for events decoded from a buffer that is about to be dropped.
    pub fn into_owned(self) -> RowsEvent<'static> {
        RowsEvent {
            kind: self.kind,
            event_type: self.event_type,
            table: self.table,
            flags: self.flags,
            num_columns: self.num_columns,
            before_columns: self.before_columns.map(|c| Cow::Owned(c.into_owned())),
            after_columns: self.after_columns.map(|c| Cow::Owned(c.into_owned())),
            partial: self.partial,
            data: Cow::Owned(self.data.into_owned()),
            at: self.at,
        }
    }

    fn error(&self, column: usize, detail: String) -> BinlogError {
        BinlogError::Column(Box::new(ColumnError {
            at: self.at.clone(),
            event_type: EventTypeName(self.event_type),
            table_id: self.table.table_id,
            schema: self.table.schema.clone(),
            table: self.table.table.clone(),
            column,
            column_type: self
                .table
                .columns
                .get(column)
                .map_or_else(|| "?".to_owned(), |c| format!("{:?}", c.column_type)),
            detail,
        }))
    }

    fn malformed(&self, detail: String) -> BinlogError {
        BinlogError::Malformed {
            at: self.at.clone(),
            event_type: EventTypeName(self.event_type),
            detail: format!(
                "{detail} (table `{}`.`{}`, table id {})",
                self.table.schema, self.table.table, self.table.table_id
            ),
        }
    }

    /// Reads one row image whose present columns are `present`.
    fn image<'b>(
        &'b self,
        c: &mut Cursor<'b>,
        present: &[u8],
        shared_image: bool,
        row: usize,
    ) -> Result<Row<'b>, BinlogError> {
        let columns = &self.table.columns;
        if self.num_columns > columns.len() {
            return Err(self.malformed(format!(
                "rows event has {} columns, its TABLE_MAP {}",
                self.num_columns,
                columns.len()
            )));
        }
        if shared_image {
            // PARTIAL_UPDATE_ROWS after image (WL#2955): value options, then a bit per JSON
            // column saying whether it is logged as a diff.
            let options = c
                .lenenc()
                .ok_or_else(|| self.malformed(format!("row {row}: truncated value options")))?;
            if options & 1 != 0 {
                let json = columns
                    .iter()
                    .filter(|col| matches!(col.column_type, ColumnType::Json { .. }))
                    .count();
                let bits = c
                    .take(json.div_ceil(8))
                    .ok_or_else(|| self.malformed(format!("row {row}: truncated JSON bitmap")))?;
                if bits.iter().any(|b| *b != 0) {
                    return Err(BinlogError::Unsupported {
                        at: self.at.clone(),
                        event_type: EventTypeName(self.event_type),
                        detail: format!(
                            "partial JSON update of `{}`.`{}`",
                            self.table.schema, self.table.table
                        ),
                        hint: "set binlog_row_value_options='' so the server logs full JSON values",
                    });
                }
            }
        }
        let in_image = (0..self.num_columns).filter(|&i| bit(present, i)).count();
        let nulls = c
            .take(in_image.div_ceil(8))
            .ok_or_else(|| self.malformed(format!("row {row}: truncated NULL bitmap")))?;
        let mut values = Vec::with_capacity(columns.len());
        let mut k = 0;
        for (i, col) in columns.iter().enumerate() {
            if i >= self.num_columns || !bit(present, i) {
                values.push(None);
                continue;
            }
            let value = if bit(nulls, k) {
                ColumnValue::Null
            } else {
                decode_value(col, col.unsigned, c).map_err(|e| self.error(i, e))?
            };
            k += 1;
            values.push(Some(value));
        }
        Ok(Row { values })
    }

    fn next_row<'b>(
        &'b self,
        c: &mut Cursor<'b>,
        row: usize,
    ) -> Result<RowChange<'b>, BinlogError> {
        let missing = || self.malformed("column bitmap missing".to_owned());
        Ok(match self.kind {
            RowsKind::Insert => {
                let after = self.after_columns.as_deref().ok_or_else(missing)?;
                RowChange::Insert(self.image(c, after, false, row)?)
            }
            RowsKind::Delete => {
                let before = self.before_columns.as_deref().ok_or_else(missing)?;
                RowChange::Delete(self.image(c, before, false, row)?)
            }
            RowsKind::Update => {
                let before_cols = self.before_columns.as_deref().ok_or_else(missing)?;
                let after_cols = self.after_columns.as_deref().ok_or_else(missing)?;
                let before = self.image(c, before_cols, false, row)?;
                let after = self.image(c, after_cols, self.partial, row)?;
                RowChange::Update { before, after }
            }
        })
    }
}

/// Iterator over the rows of a [`RowsEvent`].
#[derive(Debug)]
pub struct Rows<'b> {
    event: &'b RowsEvent<'b>,
    cursor: Cursor<'b>,
    index: usize,
    failed: bool,
}

impl<'b> Iterator for Rows<'b> {
    type Item = Result<RowChange<'b>, BinlogError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.cursor.is_empty() {
            return None;
        }
        let result = self.event.next_row(&mut self.cursor, self.index);
        self.index += 1;
        if result.is_err() {
            self.failed = true;
        }
        Some(result)
    }
}

fn bit(bits: &[u8], i: usize) -> bool {
    bits.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0)
}
