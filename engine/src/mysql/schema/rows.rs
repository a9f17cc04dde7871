//! From the schema model to what the per-row path needs: a [`RowConverter`] that turns binlog
//! row images into [`Value`](tributary_envelope::Value)s, and the envelope's
//! [`TableDescription`] that the Connect schemas are built from.
//!
//! # Why both come from the same model version
//! The converter fixes how each column's bytes are read (charset, signedness, labels) and
//! the description fixes the Connect schema they are written with. Building both from the
//! same [`Table`] — the one in force at the rows event's position — is what keeps a value
//! and its schema in step across DDL.

use tributary_decoders::binlog::{
    Charset, CharsetKind, ColumnKind, ColumnSpec, IntegerType, RowConverter,
};
use tributary_envelope::table::{ConnectorKind, TableDescription};

use super::error::SchemaError;
use super::model::{Column, SchemaModel, Table, TableId};

impl Column {
    /// How this column's binlog values convert to typed values.
    pub fn column_kind(&self) -> Result<ColumnKind, String> {
        let t = &self.data_type;
        let int = |ty| ColumnKind::Integer {
            ty,
            unsigned: t.unsigned,
        };
        let labels =
            || -> Box<[Box<str>]> { t.values.iter().map(|v| Box::from(v.as_str())).collect() };
        Ok(match t.name.as_str() {
            "BOOLEAN" => ColumnKind::Bool,
            "TINYINT" => int(IntegerType::Tiny),
            "SMALLINT" => int(IntegerType::Small),
            "MEDIUMINT" => int(IntegerType::Medium),
            "INT" => int(IntegerType::Int),
            "BIGINT" => int(IntegerType::Big),
            "FLOAT" | "DOUBLE" => ColumnKind::Floating,
            "DECIMAL" => ColumnKind::Decimal,
            "YEAR" => ColumnKind::Year,
            "DATE" => ColumnKind::Date,
            "TIME" => ColumnKind::Time,
            "DATETIME" => ColumnKind::DateTime,
            "TIMESTAMP" => ColumnKind::Timestamp,
            "BIT" => match t.length {
                Some(n) if n > 1 => ColumnKind::Bits { len: n.min(64) },
                _ => ColumnKind::Bool,
            },
            "ENUM" => ColumnKind::Enum(labels()),
            "SET" => ColumnKind::Set(labels()),
            "JSON" => ColumnKind::Json,
            "BINARY" | "VARBINARY" | "TINYBLOB" | "BLOB" | "MEDIUMBLOB" | "LONGBLOB" => {
                ColumnKind::Binary
            }
            "CHAR" | "VARCHAR" | "TINYTEXT" | "TEXT" | "MEDIUMTEXT" | "LONGTEXT" => {
                // A column without a known charset was defined under the server default,
                // which Tributary requires to be utf8mb4 (the harness and MariaDB 10.11
                // packages use it); a wrong guess shows up as invalid UTF-8, an error.
                match self.charset.as_deref().map(Charset::from_mysql_name) {
                    None => ColumnKind::Text(Charset::Utf8),
                    Some(Some(CharsetKind::Text(cs))) => ColumnKind::Text(cs),
                    Some(Some(CharsetKind::Binary)) => ColumnKind::Binary,
                    Some(None) => {
                        return Err(format!(
                            "character set `{}` cannot be decoded by Tributary (supported: \
                             utf8mb4, utf8mb3, latin1, ascii, ucs2, utf16, utf16le, utf32, \
                             binary)",
                            self.charset.as_deref().unwrap_or_default()
                        ));
                    }
                }
            }
            "GEOMETRY" | "POINT" | "LINESTRING" | "POLYGON" | "MULTIPOINT" | "MULTILINESTRING"
            | "MULTIPOLYGON" | "GEOMETRYCOLLECTION" => ColumnKind::Geometry,
            _ => ColumnKind::Unknown,
        })
    }

    /// Whether the column holds bytes although its type is a character type
    /// (`CHARACTER SET binary`), which MySQL treats as the binary type of the same shape.
    pub(crate) fn binary_charset_type(&self) -> Option<&'static str> {
        let binary = self
            .charset
            .as_deref()
            .and_then(Charset::from_mysql_name)
            .is_some_and(|k| k == CharsetKind::Binary);
        if !binary {
            return None;
        }
        Some(match self.data_type.name.as_str() {
            "CHAR" => "BINARY",
            "VARCHAR" => "VARBINARY",
            "TINYTEXT" => "TINYBLOB",
            "TEXT" => "BLOB",
            "MEDIUMTEXT" => "MEDIUMBLOB",
            "LONGTEXT" => "LONGBLOB",
            _ => return None,
        })
    }
}

impl Table {
    /// The converter for rows of this table version, stored as `id`.
    pub fn row_converter(&self, id: &TableId) -> Result<RowConverter, SchemaError> {
        let mut specs = Vec::with_capacity(self.columns.len());
        for c in &self.columns {
            let kind = c
                .column_kind()
                .map_err(|detail| SchemaError::UnsupportedColumn {
                    table: id.to_string(),
                    column: c.name.clone(),
                    detail,
                })?;
            specs.push(ColumnSpec::new(c.name.as_str(), kind));
        }
        Ok(RowConverter::new(
            id.database.as_str(),
            id.table.as_str(),
            specs,
        ))
    }
}

impl SchemaModel {
    /// The row converter for table `id`, `None` when the model does not know the table.
    pub fn row_converter(&self, id: &TableId) -> Result<Option<RowConverter>, SchemaError> {
        self.table(id).map(|t| t.row_converter(id)).transpose()
    }
}

/// Both views of one table version: what the pipeline asks for when a rows event for a new
/// table (or a table changed by DDL) arrives.
#[derive(Debug, Clone)]
pub struct CapturedTable {
    /// The envelope's description (Connect schemas are built from it).
    pub description: TableDescription,
    /// The converter for its row images.
    pub converter: RowConverter,
}

impl CapturedTable {
    /// Both views of `id` in `model`, `None` when the model does not know the table.
    pub fn from_model(
        model: &SchemaModel,
        id: &TableId,
        connector: ConnectorKind,
    ) -> Result<Option<Self>, SchemaError> {
        let Some(table) = model.table(id) else {
            return Ok(None);
        };
        Ok(Some(Self {
            description: table.to_description(id, connector),
            converter: table.row_converter(id)?,
        }))
    }
}
