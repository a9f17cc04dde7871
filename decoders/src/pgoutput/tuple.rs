//! `TupleData`: a row's column values, validated once and then read without copying.

use super::error::{DecodeError, Field, TupleRole};
use super::reader::Reader;

/// One column value of a [`TupleData`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TupleValue<'a> {
    /// `n`: SQL `NULL`.
    Null,
    /// `u`: a TOASTed value that the change did not touch, so PostgreSQL did not send it
    /// (the consumer keeps the value it already has; Debezium emits its
    /// `unavailable.value.placeholder`).
    UnchangedToast,
    /// `t`: the value in the type's text output format (what `psql` would print).
    Text(&'a [u8]),
    /// `b`: the value in the type's binary send format (only with the `binary` option).
    Binary(&'a [u8]),
}

impl<'a> TupleValue<'a> {
    /// The text-format bytes, if this is a text value.
    pub fn as_text(&self) -> Option<&'a [u8]> {
        match self {
            TupleValue::Text(b) => Some(b),
            _ => None,
        }
    }

    /// The text value as `&str`, if it is text and valid UTF-8 (PostgreSQL converts
    /// text output to the connection's `client_encoding`).
    pub fn as_str(&self) -> Option<&'a str> {
        self.as_text().and_then(|b| std::str::from_utf8(b).ok())
    }
}

/// The column values of one row, as pgoutput sends them (`TupleData` in the protocol
/// docs): an `Int16` count, then per column a kind byte (`n`, `u`, `t` or `b`) and, for
/// `t` and `b`, an `Int32` length and the bytes.
///
/// Decoding walks the whole tuple once to check every length against the message (so
/// iterating later cannot fail) and keeps only the borrowed bytes: no allocation per row.
/// Values are in the order of the columns of the last [`Relation`](super::Relation)
/// message for the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TupleData<'a> {
    column_count: u16,
    /// The column entries, after the count.
    raw: &'a [u8],
}

impl<'a> TupleData<'a> {
    /// Number of columns.
    pub fn len(&self) -> usize {
        usize::from(self.column_count)
    }

    /// Whether the tuple has no columns (a table without published columns).
    pub fn is_empty(&self) -> bool {
        self.column_count == 0
    }

    /// The values, in column order.
    pub fn iter(&self) -> TupleIter<'a> {
        TupleIter {
            rest: self.raw,
            remaining: self.column_count,
        }
    }

    /// The value of column `index` (0-based); walks the preceding columns.
    pub fn get(&self, index: usize) -> Option<TupleValue<'a>> {
        self.iter().nth(index)
    }

    /// The encoded column entries (after the `Int16` count), as they appeared on the wire.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Reads and validates a tuple at the reader's position.
    pub(crate) fn read(r: &mut Reader<'a>, role: TupleRole) -> Result<Self, DecodeError> {
        let column_count = r.u16(Field::Named(match role {
            TupleRole::Inserted => "tuple column count",
            TupleRole::New => "new tuple column count",
            TupleRole::Old => "old tuple column count",
            TupleRole::Key => "key tuple column count",
        }))?;
        let start = r.offset();
        let count = u32::from(column_count);
        for column in 1..=count {
            let field = |part| Field::TupleColumn {
                tuple: role,
                column,
                count,
                part,
            };
            let kind_offset = r.offset();
            match r.u8(field("kind"))? {
                b'n' | b'u' => {}
                b't' | b'b' => {
                    r.length_prefixed(field("length"), field(""))?;
                }
                value => {
                    return Err(DecodeError::UnexpectedByte {
                        message: r.message(),
                        field: field("kind"),
                        offset: kind_offset,
                        value,
                        expected: "'n' (null), 'u' (unchanged TOAST), 't' (text) or 'b' (binary)",
                    });
                }
            }
        }
        Ok(TupleData {
            column_count,
            raw: r.since(start),
        })
    }
}

impl<'a> IntoIterator for &TupleData<'a> {
    type Item = TupleValue<'a>;
    type IntoIter = TupleIter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Iterator over a [`TupleData`]'s values.
#[derive(Debug, Clone)]
pub struct TupleIter<'a> {
    rest: &'a [u8],
    remaining: u16,
}

impl<'a> Iterator for TupleIter<'a> {
    type Item = TupleValue<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        self.remaining = self.remaining.checked_sub(1)?;
        // The tuple was validated when decoded; a failed read here would mean a bug, and
        // ends the iteration rather than panicking.
        let (&kind, rest) = self.rest.split_first()?;
        self.rest = rest;
        match kind {
            b'n' => Some(TupleValue::Null),
            b'u' => Some(TupleValue::UnchangedToast),
            b't' | b'b' => {
                let (len, rest) = self.rest.split_first_chunk::<4>()?;
                let len = usize::try_from(u32::from_be_bytes(*len)).ok()?;
                let (value, rest) = rest.split_at_checked(len)?;
                self.rest = rest;
                Some(if kind == b't' {
                    TupleValue::Text(value)
                } else {
                    TupleValue::Binary(value)
                })
            }
            _ => None,
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(usize::from(self.remaining)))
    }
}
