//! A whole row: one [`TextDecoder`] per column of a Relation message.

use tributary_envelope::Value;

use super::super::{ColumnInfo, Oid, RelationInfo, TupleData, TupleValue};
use super::error::RowValueError;
use super::plan::TextDecoder;
use super::resolver::TypeResolver;

/// A column whose type (or element/base type) nobody described, reported once when its
/// [`RowDecoder`] is built so the caller can warn (its values decode to
/// `Value::Unknown` text).
#[derive(Debug, Clone, Copy)]
pub struct UnknownColumn<'a> {
    /// The table.
    pub relation: &'a RelationInfo,
    /// The column.
    pub column: &'a ColumnInfo,
    /// The type oid that was not known (the column's type or one inside it).
    pub unknown_type_oid: Oid,
}

/// Decodes the rows of one relation. Build it when a Relation message arrives (pgoutput
/// re-sends one after every schema change) and keep it until the next one.
#[derive(Debug, Clone)]
pub struct RowDecoder {
    relation_oid: Oid,
    columns: Box<[TextDecoder]>,
}

impl RowDecoder {
    /// Plans every column of `relation`; `on_unknown` is called once for each column whose
    /// type is unknown, which is the caller's cue to warn (naming the column, not values).
    pub fn new(
        relation: &RelationInfo,
        types: &dyn TypeResolver,
        on_unknown: &mut dyn FnMut(UnknownColumn<'_>),
    ) -> Self {
        let columns = relation
            .columns
            .iter()
            .map(|column| {
                let decoder = TextDecoder::new(column.type_oid, column.type_modifier, types);
                if let Some(unknown_type_oid) = decoder.unknown_type() {
                    on_unknown(UnknownColumn {
                        relation,
                        column,
                        unknown_type_oid,
                    });
                }
                decoder
            })
            .collect();
        Self {
            relation_oid: relation.oid,
            columns,
        }
    }

    /// The relation this decoder was built for.
    pub fn relation_oid(&self) -> Oid {
        self.relation_oid
    }

    /// The per-column decoders, in column order.
    pub fn columns(&self) -> &[TextDecoder] {
        &self.columns
    }

    /// Decodes `tuple` (of `relation`, the description this decoder was built from) into
    /// `out`, which is cleared first so a caller can reuse one vector for every row.
    /// NULL becomes [`Value::Null`], an unchanged TOASTed value [`Value::UnchangedToast`].
    pub fn decode_into(
        &self,
        relation: &RelationInfo,
        tuple: &TupleData<'_>,
        out: &mut Vec<Value>,
    ) -> Result<(), RowValueError> {
        out.clear();
        out.reserve(tuple.len());
        let err_names = |column: &ColumnInfo| {
            (
                relation.namespace.clone(),
                relation.name.clone(),
                column.name.clone(),
            )
        };
        for ((column, value), decoder) in relation.zip(tuple)?.zip(self.columns.iter()) {
            out.push(match value {
                TupleValue::Null => Value::Null,
                TupleValue::UnchangedToast => Value::UnchangedToast,
                TupleValue::Text(text) => decoder.decode(text).map_err(|source| {
                    let (namespace, table, column) = err_names(column);
                    RowValueError::Value {
                        namespace,
                        table,
                        column,
                        source: Box::new(source),
                    }
                })?,
                TupleValue::Binary(_) => {
                    let (namespace, table, column) = err_names(column);
                    return Err(RowValueError::Binary {
                        namespace,
                        table,
                        column,
                    });
                }
            });
        }
        Ok(())
    }

    /// [`decode_into`](Self::decode_into) a new vector.
    pub fn decode(
        &self,
        relation: &RelationInfo,
        tuple: &TupleData<'_>,
    ) -> Result<Vec<Value>, RowValueError> {
        let mut out = Vec::new();
        self.decode_into(relation, tuple, &mut out)?;
        Ok(out)
    }
}
