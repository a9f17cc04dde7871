//! Errors naming the type, the offending text and the fix.

use super::super::{Oid, RowError};

/// Longest prefix of the offending text an error keeps (values can be megabytes).
const MAX_ERROR_TEXT: usize = 64;

/// A column value whose text could not be read as its type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("pgoutput: cannot decode {type_name} (type oid {type_oid}) text {text:?}: {reason}")]
pub struct ValueError {
    /// The column's type oid.
    pub type_oid: Oid,
    /// What the decoder read it as (`int4`, `timestamptz`, `numeric[]`, ...).
    pub type_name: String,
    /// The offending text, lossily decoded and cut to its first 64 characters.
    pub text: String,
    /// What was wrong, with the setting that fixes it when one exists.
    pub reason: &'static str,
}

impl ValueError {
    pub(super) fn new(type_oid: Oid, type_name: String, text: &[u8], reason: &'static str) -> Self {
        let cut = text.get(..MAX_ERROR_TEXT * 4).unwrap_or(text);
        Self {
            type_oid,
            type_name,
            text: String::from_utf8_lossy(cut)
                .chars()
                .take(MAX_ERROR_TEXT)
                .collect(),
            reason,
        }
    }
}

/// A row that could not be decoded into values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowValueError {
    /// The tuple does not match the relation's description.
    #[error(transparent)]
    Shape(#[from] RowError),
    /// One column's text was malformed for its type.
    #[error("pgoutput: column `{column}` of {namespace}.{table}: {source}")]
    Value {
        /// The table's schema.
        namespace: String,
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// What was wrong with the value (boxed: errors are rare, results are not).
        source: Box<ValueError>,
    },
    /// A value arrived in binary format: this decoder reads the text format only.
    #[error(
        "pgoutput: column `{column}` of {namespace}.{table} arrived in binary format; \
         start replication without the `binary` option (the decoder reads text values)"
    )]
    Binary {
        /// The table's schema.
        namespace: String,
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
}
