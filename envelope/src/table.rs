//! What a log reader knows about a captured table: the input of the type mapping.
//!
//! # Why a plain description
//! Both readers learn a table's shape differently (pgoutput `Relation` messages plus the
//! catalog; MySQL DDL parsed from the binlog and `information_schema`). They meet here in one
//! small owned struct, so the schemas and converters can be built from it once per table
//! schema version ([`crate::event::TableSchema::build`]) and nothing about the database's
//! catalog leaks into the per-row path.

use crate::value::Value;

/// Which Debezium connector Tributary stands in for. It decides the `source` block's schema
/// name and fields, the default `time.precision.mode` and how a few types map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectorKind {
    /// `io.debezium.connector.postgresql.PostgresConnector`.
    Postgres,
    /// `io.debezium.connector.mysql.MySqlConnector`.
    MySql,
    /// `io.debezium.connector.mariadb.MariaDbConnector` (Debezium 2.7+): same binlog layout as
    /// MySQL, its own `source` schema name and `connector` value.
    MariaDb,
}

impl ConnectorKind {
    /// The value of `source.connector` (`postgresql`, `mysql`, `mariadb`).
    pub fn name(self) -> &'static str {
        match self {
            ConnectorKind::Postgres => "postgresql",
            ConnectorKind::MySql => "mysql",
            ConnectorKind::MariaDb => "mariadb",
        }
    }

    /// Whether this connector reads a binlog (MySQL or MariaDB), which share every type rule.
    pub fn is_binlog(self) -> bool {
        matches!(self, ConnectorKind::MySql | ConnectorKind::MariaDb)
    }
}

/// One column as the reader knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDescription {
    /// The column name, used as the Connect field name unchanged (Debezium's default
    /// `field.name.adjustment.mode=none`).
    pub name: Box<str>,
    /// The database's type name: PostgreSQL's `pg_type.typname` (`int4`, `numeric`,
    /// `timestamptz`, `_int4` or `int4[]` for arrays, an enum's own name); MySQL's type as
    /// DDL spells it (`BIGINT UNSIGNED`, `DATETIME`, `ENUM`). Matched case-insensitively.
    pub type_name: Box<str>,
    /// Length or precision: digits of a `numeric(p,s)`/`DECIMAL(p,s)`, bits of a `bit(n)`,
    /// bytes of a MySQL `BINARY(n)`, `p` of MySQL `FLOAT(p)`. `None` when the type has none
    /// (PostgreSQL `numeric` without a declared precision maps to `VariableScaleDecimal`).
    pub length: Option<u32>,
    /// Scale of a `numeric(p,s)`/`DECIMAL(p,s)`.
    pub scale: Option<u32>,
    /// Fractional-second digits of a temporal type (`timestamp(3)`, `DATETIME(6)`). `None`
    /// means the database default: 6 for PostgreSQL (what its JDBC metadata reports and
    /// Debezium reads), 0 for MySQL.
    pub fsp: Option<u32>,
    /// Whether NULL is allowed: makes the Connect field optional.
    pub nullable: bool,
    /// The column default when known, already typed by the reader; it becomes the field
    /// schema's `"default"`, converted like any value of the column.
    pub default: Option<Value>,
    /// The allowed labels of an enum (PostgreSQL enum type, MySQL `ENUM`) or MySQL `SET`, in
    /// definition order: Debezium lists them in the schema parameter `allowed`.
    pub enum_values: Box<[Box<str>]>,
}

impl ColumnDescription {
    /// A nullable column of `type_name` with no length, scale, default or labels; set the
    /// rest with struct update syntax.
    pub fn new(name: impl Into<Box<str>>, type_name: impl Into<Box<str>>) -> Self {
        Self {
            name: name.into(),
            type_name: type_name.into(),
            length: None,
            scale: None,
            fsp: None,
            nullable: true,
            default: None,
            enum_values: Box::default(),
        }
    }

    /// Sets `nullable = false`.
    pub fn not_null(mut self) -> Self {
        self.nullable = false;
        self
    }

    /// Sets the length or precision.
    pub fn length(mut self, length: u32) -> Self {
        self.length = Some(length);
        self
    }

    /// Sets precision and scale of a decimal type.
    pub fn precision_scale(mut self, precision: u32, scale: u32) -> Self {
        self.length = Some(precision);
        self.scale = Some(scale);
        self
    }

    /// Sets the fractional-second digits of a temporal type.
    pub fn fsp(mut self, fsp: u32) -> Self {
        self.fsp = Some(fsp);
        self
    }

    /// Sets the column default.
    pub fn default_value(mut self, value: Value) -> Self {
        self.default = Some(value);
        self
    }

    /// Sets the enum or set labels.
    pub fn labels<I, S>(mut self, labels: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Box<str>>,
    {
        self.enum_values = labels.into_iter().map(Into::into).collect();
        self
    }
}

/// A captured table, in the reader's terms.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDescription {
    /// The connector whose rules apply.
    pub connector: ConnectorKind,
    /// PostgreSQL schema (`public`) or MySQL database (`inventory`): the middle part of the
    /// topic and schema names.
    pub namespace: Box<str>,
    /// The table name.
    pub table: Box<str>,
    /// Columns in table order, which is also the order of the `&[Value]` row images.
    pub columns: Vec<ColumnDescription>,
    /// Primary-key column names in key order (the constraint's order, which Debezium keeps
    /// for the key struct, not the table's column order). Empty when the table has none.
    pub primary_key: Vec<Box<str>>,
}

impl TableDescription {
    /// `<namespace>.<table>`: the data collection name used in transaction metadata and
    /// matched by `message.key.columns`.
    pub fn data_collection(&self) -> String {
        format!("{}.{}", self.namespace, self.table)
    }
}
