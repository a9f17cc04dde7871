//! The in-memory schema model: databases → tables → ordered columns, as the DDL left them.
//!
//! # Why our own model
//! The binlog's TABLE_MAP carries column types but not names, nullability, defaults, charsets
//! or the primary key (MariaDB writes no optional metadata by default), so the reader keeps
//! the schema itself, built from every DDL in the binlog. This model holds exactly what the
//! envelope ([`TableDescription`]) and Debezium's schema history record need, and nothing of
//! the server's catalog that does not change a change event (indexes, engines, partitions).
//!
//! # Names
//! Database and table names are compared exactly (case-sensitive, as on Linux with
//! `lower_case_table_names=0`); column names case-insensitively, as MySQL does everywhere.

use std::collections::BTreeMap;
use std::fmt;

use tributary_envelope::decimal::Decimal;
use tributary_envelope::table::{ColumnDescription, ConnectorKind, TableDescription};
use tributary_envelope::value::{Numeric, Value};

/// A table's identity: database and table name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableId {
    /// The database (MySQL's schema).
    pub database: String,
    /// The table name.
    pub table: String,
}

impl TableId {
    /// A table id from its parts.
    pub fn new(database: impl Into<String>, table: impl Into<String>) -> Self {
        Self {
            database: database.into(),
            table: table.into(),
        }
    }

    /// `"db"."tbl"`: the `id` of a Debezium schema history table change.
    pub fn quoted(&self) -> String {
        format!("\"{}\".\"{}\"", self.database, self.table)
    }

    /// Parses [`TableId::quoted`] back (used when replaying a history record).
    pub fn parse_quoted(s: &str) -> Option<Self> {
        let inner = s.strip_prefix('"')?.strip_suffix('"')?;
        let (db, table) = inner.split_once("\".\"")?;
        Some(Self::new(db, table))
    }
}

impl fmt::Display for TableId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.database, self.table)
    }
}

/// A column default as the DDL wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaultValue {
    /// `DEFAULT NULL`.
    Null,
    /// A string literal, unescaped and without quotes.
    Literal(String),
    /// A numeric, hexadecimal or bit literal as written (`-1`, `0.00`, `b'101'`).
    Number(String),
    /// Anything evaluated by the server: `CURRENT_TIMESTAMP`, `uuid()`, `(a + 1)`.
    Expression(String),
}

impl DefaultValue {
    /// Debezium's `defaultValueExpression`: the literal without quotes, `None` for NULL.
    pub fn expression(&self) -> Option<&str> {
        match self {
            DefaultValue::Null => None,
            DefaultValue::Literal(s) | DefaultValue::Number(s) | DefaultValue::Expression(s) => {
                Some(s)
            }
        }
    }
}

/// A column's type: the base name and its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ColumnType {
    /// Upper-case base name with the server's aliases resolved (`INTEGER` → `INT`, `DEC` →
    /// `DECIMAL`, `DOUBLE PRECISION` → `DOUBLE`); `BOOLEAN` is kept, as Debezium's parser
    /// keeps it, so a `BOOLEAN` column maps to a Connect boolean.
    pub name: String,
    /// Length, precision or display width (`VARCHAR(n)`, `DECIMAL(p,s)`, `INT(11)`,
    /// `BIT(n)`), or the fractional-second digits of `TIME`/`DATETIME`/`TIMESTAMP`, as
    /// Debezium's `length`. `None` when not declared (and not implied: `DECIMAL` is 10).
    pub length: Option<u32>,
    /// Scale of `DECIMAL(p,s)`/`FLOAT(m,d)`/`DOUBLE(m,d)`.
    pub scale: Option<u32>,
    /// `UNSIGNED` (also implied by `ZEROFILL`).
    pub unsigned: bool,
    /// `ZEROFILL`.
    pub zerofill: bool,
    /// Labels of an `ENUM`/`SET`, in definition order, unquoted.
    pub values: Vec<String>,
}

impl ColumnType {
    /// A type with no parameters.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// The name with its modifiers, as Debezium's `typeName`: `INT UNSIGNED`,
    /// `BIGINT UNSIGNED ZEROFILL`, `VARCHAR`.
    pub fn full_name(&self) -> String {
        let mut s = self.name.clone();
        if self.unsigned {
            s.push_str(" UNSIGNED");
        }
        if self.zerofill {
            s.push_str(" ZEROFILL");
        }
        s
    }

    /// Whether values of this type are text in a character set (so the column has one).
    pub fn is_character(&self) -> bool {
        matches!(
            self.name.as_str(),
            "CHAR"
                | "VARCHAR"
                | "TINYTEXT"
                | "TEXT"
                | "MEDIUMTEXT"
                | "LONGTEXT"
                | "ENUM"
                | "SET"
                | "JSON"
        )
    }

    /// Whether this is a temporal type whose `length` is its fractional-second digits.
    pub fn has_fsp(&self) -> bool {
        matches!(self.name.as_str(), "TIME" | "DATETIME" | "TIMESTAMP")
    }

    /// The `java.sql.Types` code Debezium's MySQL parser assigns (`jdbcType`).
    pub fn jdbc_type(&self) -> i32 {
        match self.name.as_str() {
            "BIT" => -7,
            "BOOLEAN" => 16,
            "TINYINT" => -6,
            "SMALLINT" => 5,
            "MEDIUMINT" | "INT" | "YEAR" => 4,
            "BIGINT" => -5,
            "DECIMAL" => 3,
            "FLOAT" => 6,
            "DOUBLE" => 8,
            "DATE" => 91,
            "TIME" => 92,
            "DATETIME" => 93,
            "TIMESTAMP" => 2014,
            "CHAR" | "ENUM" | "SET" => 1,
            "VARCHAR" | "TINYTEXT" | "TEXT" | "MEDIUMTEXT" | "LONGTEXT" => 12,
            "BINARY" => -2,
            "VARBINARY" => -3,
            "TINYBLOB" | "BLOB" | "MEDIUMBLOB" | "LONGBLOB" => 2004,
            _ => 1111,
        }
    }
}

/// One column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The name as declared.
    pub name: String,
    /// The type.
    pub data_type: ColumnType,
    /// Character set of a character column: declared, derived from the collation, or the
    /// table's default at the time the column was defined (MySQL fixes it then).
    pub charset: Option<String>,
    /// Declared collation.
    pub collation: Option<String>,
    /// Whether NULL is allowed (`PRIMARY KEY` columns never are).
    pub nullable: bool,
    /// The declared default, if any.
    pub default: Option<DefaultValue>,
    /// `AUTO_INCREMENT` (or `SERIAL`).
    pub auto_increment: bool,
    /// A generated (`AS (…)` virtual/stored/persistent) column.
    pub generated: bool,
    /// `COMMENT '…'`.
    pub comment: Option<String>,
}

impl Column {
    /// A nullable column of `data_type` with nothing else set.
    pub fn new(name: impl Into<String>, data_type: ColumnType) -> Self {
        Self {
            name: name.into(),
            data_type,
            charset: None,
            collation: None,
            nullable: true,
            default: None,
            auto_increment: false,
            generated: false,
            comment: None,
        }
    }

    /// The envelope's view of this column.
    pub fn to_description(&self) -> ColumnDescription {
        let t = &self.data_type;
        let (length, fsp) = if t.has_fsp() {
            (None, t.length)
        } else {
            (t.length, None)
        };
        ColumnDescription {
            name: self.name.as_str().into(),
            type_name: match self.binary_charset_type() {
                Some(binary) => binary.into(),
                None => t.full_name().into(),
            },
            length,
            scale: t.scale,
            fsp,
            nullable: self.nullable,
            default: self.default.as_ref().and_then(|d| typed_default(t, d)),
            enum_values: t.values.iter().map(|v| v.as_str().into()).collect(),
        }
    }
}

/// Types a literal default for the envelope. Only what is unambiguous without the server's
/// session state: integers, floating point, decimals, text and `NULL`. Temporal and binary
/// defaults, and expressions, are left out (`None`): a wrong default in a Connect schema is
/// worse than none.
fn typed_default(t: &ColumnType, d: &DefaultValue) -> Option<Value> {
    let raw = match d {
        DefaultValue::Null => return Some(Value::Null),
        DefaultValue::Expression(_) => return None,
        DefaultValue::Literal(s) | DefaultValue::Number(s) => s.as_str(),
    };
    let text = raw.trim();
    let unsigned = t.unsigned;
    match t.name.as_str() {
        "BOOLEAN" => text.parse::<i64>().ok().map(|v| Value::Bool(v != 0)),
        "TINYINT" => text.parse::<i16>().ok().map(Value::Int16),
        "SMALLINT" if !unsigned => text.parse::<i16>().ok().map(Value::Int16),
        "SMALLINT" | "MEDIUMINT" => text.parse::<i32>().ok().map(Value::Int32),
        "INT" if !unsigned => text.parse::<i32>().ok().map(Value::Int32),
        "INT" => text.parse::<i64>().ok().map(Value::Int64),
        "BIGINT" if !unsigned => text.parse::<i64>().ok().map(Value::Int64),
        "BIGINT" => text.parse::<u64>().ok().map(Value::UInt64),
        "FLOAT" => text.parse::<f32>().ok().map(Value::Float32),
        "DOUBLE" => text.parse::<f64>().ok().map(Value::Float64),
        "DECIMAL" => Decimal::parse(text)
            .ok()
            .map(|v| Value::Numeric(Numeric::Finite(v))),
        "CHAR" | "VARCHAR" | "TINYTEXT" | "TEXT" | "MEDIUMTEXT" | "LONGTEXT" | "ENUM" | "SET" => {
            Some(Value::Text(raw.into()))
        }
        _ => None,
    }
}

/// One table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Columns in table order.
    pub columns: Vec<Column>,
    /// Primary-key column names in key order; empty when the table has none.
    pub primary_key: Vec<String>,
    /// The table's default character set.
    pub default_charset: Option<String>,
    /// `COMMENT='…'`.
    pub comment: Option<String>,
}

impl Table {
    /// The index of column `name` (case-insensitive).
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| same_column(&c.name, name))
    }

    /// The column called `name` (case-insensitive).
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.column_index(name).and_then(|i| self.columns.get(i))
    }

    /// The envelope's description of this table as `id`, for `connector`.
    pub fn to_description(&self, id: &TableId, connector: ConnectorKind) -> TableDescription {
        TableDescription {
            connector,
            namespace: id.database.as_str().into(),
            table: id.table.as_str().into(),
            columns: self.columns.iter().map(Column::to_description).collect(),
            primary_key: self.primary_key.iter().map(|c| c.as_str().into()).collect(),
        }
    }
}

/// Whether two column names are the same column (MySQL: case-insensitive).
pub(crate) fn same_column(a: &str, b: &str) -> bool {
    a == b || a.to_lowercase() == b.to_lowercase()
}

/// One database.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Database {
    /// `DEFAULT CHARACTER SET`, if the DDL said.
    pub default_charset: Option<String>,
    /// Tables by name.
    pub tables: BTreeMap<String, Table>,
}

/// All captured databases.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SchemaModel {
    /// Databases by name.
    pub databases: BTreeMap<String, Database>,
}

impl SchemaModel {
    /// An empty model.
    pub fn new() -> Self {
        Self::default()
    }

    /// The table `id`, if known.
    pub fn table(&self, id: &TableId) -> Option<&Table> {
        self.databases.get(&id.database)?.tables.get(&id.table)
    }

    /// Every table id, ordered.
    pub fn table_ids(&self) -> Vec<TableId> {
        self.databases
            .iter()
            .flat_map(|(db, d)| {
                d.tables
                    .keys()
                    .map(|t| TableId::new(db.as_str(), t.as_str()))
            })
            .collect()
    }

    /// The envelope's description of table `id` for `connector` (`MySql` or `MariaDb`).
    pub fn table_description(
        &self,
        id: &TableId,
        connector: ConnectorKind,
    ) -> Option<TableDescription> {
        self.table(id).map(|t| t.to_description(id, connector))
    }
}
