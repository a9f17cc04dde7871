//! Keyset chunk queries: a table read in primary-key order, `fetch_size` rows at a time,
//! each chunk starting strictly after the last key delivered.
//!
//! Keyset (not `OFFSET`) paging keeps every chunk an index range scan, whatever its depth,
//! and makes a chunk restartable from a key alone — which is what the offset stores. Each
//! query asks for one row more than the chunk size: when it arrives, the chunk is not the
//! table's last (the extra row is not delivered; the next chunk reads it again). So the
//! reader knows the table's last row when it reads it, for Debezium's
//! `last_in_data_collection` marker, without an empty final query.
//!
//! Key values travel as the database prints them and return as quoted literals; the
//! database converts them back to the column's type, so no value is interpreted here.

use std::fmt::Write as _;

/// Which SQL the query is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// PostgreSQL: `"ident"`, `'literal'`, row comparison `(a, b) > (x, y)` (an index
    /// range scan).
    Postgres,
    /// MySQL/MariaDB: `` `ident` ``, `'literal'` with backslash escapes (the snapshot
    /// session's `sql_mode` must not contain `NO_BACKSLASH_ESCAPES`), and the comparison
    /// spelled out as `a > x OR (a = x AND b > y)`, which both optimisers turn into a range.
    MySql,
}

impl Dialect {
    /// Quotes an identifier.
    pub fn ident(self, name: &str) -> String {
        match self {
            Dialect::Postgres => format!("\"{}\"", name.replace('"', "\"\"")),
            Dialect::MySql => format!("`{}`", name.replace('`', "``")),
        }
    }

    /// Quotes a text literal.
    pub fn literal(self, value: &str) -> String {
        match self {
            Dialect::Postgres => format!("'{}'", value.replace('\'', "''")),
            Dialect::MySql => {
                let mut out = String::with_capacity(value.len() + 2);
                out.push('\'');
                for c in value.chars() {
                    match c {
                        '\'' => out.push_str("''"),
                        '\\' => out.push_str("\\\\"),
                        '\0' => out.push_str("\\0"),
                        c => out.push(c),
                    }
                }
                out.push('\'');
                out
            }
        }
    }
}

/// How one table is read.
#[derive(Debug, Clone)]
pub struct ChunkQuery {
    /// The SQL dialect.
    pub dialect: Dialect,
    /// Schema (PostgreSQL) or database (MySQL/MariaDB).
    pub namespace: String,
    /// The table.
    pub table: String,
    /// The columns to select, in the order the decoder expects.
    pub columns: Vec<String>,
    /// The primary-key columns, in key order; empty for a table without a primary key,
    /// which is read in one pass.
    pub key: Vec<String>,
    /// Rows per chunk (`snapshot.fetch.size`).
    pub fetch_size: u64,
    /// `snapshot.select.statement.overrides.<table>`: a statement read instead of the
    /// table; it must return the table's columns. Chunks are taken from its result.
    pub select_override: Option<String>,
    /// A condition every row must meet (an incremental snapshot's
    /// `additional-conditions`), as SQL.
    pub condition: Option<String>,
}

impl ChunkQuery {
    /// Whether the table is read in key-ordered chunks (it has a primary key).
    pub fn is_chunked(&self) -> bool {
        !self.key.is_empty()
    }

    /// The query for the chunk after `after` (the key of the last row delivered; `None` for
    /// the first chunk). A table without a key gets one query for all its rows.
    pub fn sql(&self, after: Option<&[String]>) -> String {
        let d = self.dialect;
        let mut sql = String::from("SELECT ");
        for (i, column) in self.columns.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&d.ident(column));
        }
        sql.push_str(" FROM ");
        match &self.select_override {
            Some(statement) => {
                let _ = write!(sql, "({statement}) AS tributary_snapshot_override");
            }
            None => {
                let _ = write!(sql, "{}.{}", d.ident(&self.namespace), d.ident(&self.table));
            }
        }
        let mut conditions = Vec::new();
        if let Some(condition) = &self.condition {
            conditions.push(format!("({condition})"));
        }
        if self.is_chunked()
            && let Some(after) = after
        {
            conditions.push(self.after_condition(after));
        }
        for (i, condition) in conditions.iter().enumerate() {
            sql.push_str(if i == 0 { " WHERE " } else { " AND " });
            sql.push_str(condition);
        }
        if self.is_chunked() {
            sql.push_str(" ORDER BY ");
            sql.push_str(&self.key_list());
            let _ = write!(sql, " LIMIT {}", self.fetch_size.saturating_add(1));
        }
        sql
    }

    fn key_list(&self) -> String {
        self.key
            .iter()
            .map(|k| self.dialect.ident(k))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `key > after`, lexicographically over the key columns.
    fn after_condition(&self, after: &[String]) -> String {
        let d = self.dialect;
        let pairs: Vec<(String, String)> = self
            .key
            .iter()
            .zip(after)
            .map(|(k, v)| (d.ident(k), d.literal(v)))
            .collect();
        match d {
            Dialect::Postgres => {
                let values = pairs
                    .iter()
                    .map(|(_, v)| v.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("({}) > ({values})", self.key_list())
            }
            Dialect::MySql => {
                let mut alternatives = Vec::with_capacity(pairs.len());
                for i in 0..pairs.len() {
                    let mut terms: Vec<String> = pairs
                        .iter()
                        .take(i)
                        .map(|(k, v)| format!("{k} = {v}"))
                        .collect();
                    if let Some((k, v)) = pairs.get(i) {
                        terms.push(format!("{k} > {v}"));
                    }
                    alternatives.push(format!("({})", terms.join(" AND ")));
                }
                format!("({})", alternatives.join(" OR "))
            }
        }
    }
}

/// What one chunk query returned, seen from the row count alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkShape {
    /// Rows to deliver (the lookahead row excluded).
    pub deliver: usize,
    /// Whether this chunk ends the table.
    pub last: bool,
}

impl ChunkQuery {
    /// Interprets `returned` rows of a query written by [`sql`](Self::sql).
    pub fn shape(&self, returned: usize) -> ChunkShape {
        let size = usize::try_from(self.fetch_size).unwrap_or(usize::MAX);
        if self.is_chunked() && returned > size {
            ChunkShape {
                deliver: size,
                last: false,
            }
        } else {
            ChunkShape {
                deliver: returned,
                last: true,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(dialect: Dialect, key: &[&str]) -> ChunkQuery {
        ChunkQuery {
            dialect,
            namespace: "inv".into(),
            table: "order\"s".into(),
            columns: vec!["id".into(), "line".into(), "note".into()],
            key: key.iter().map(|k| (*k).to_owned()).collect(),
            fetch_size: 1000,
            select_override: None,
            condition: None,
        }
    }

    #[test]
    fn postgres_chunks_use_a_row_comparison() {
        let q = query(Dialect::Postgres, &["id", "line"]);
        assert_eq!(
            q.sql(None),
            r#"SELECT "id", "line", "note" FROM "inv"."order""s" ORDER BY "id", "line" LIMIT 1001"#
        );
        assert_eq!(
            q.sql(Some(&["7".into(), "it's".into()])),
            r#"SELECT "id", "line", "note" FROM "inv"."order""s" WHERE ("id", "line") > ('7', 'it''s') ORDER BY "id", "line" LIMIT 1001"#
        );
    }

    #[test]
    fn mysql_chunks_spell_the_comparison_out() {
        let mut q = query(Dialect::MySql, &["id", "line"]);
        q.table = "orders".into();
        q.condition = Some("`note` <> 'x'".into());
        assert_eq!(
            q.sql(Some(&["7".into(), "a\\b'".into()])),
            "SELECT `id`, `line`, `note` FROM `inv`.`orders` WHERE (`note` <> 'x') AND \
             ((`id` > '7') OR (`id` = '7' AND `line` > 'a\\\\b''')) ORDER BY `id`, `line` LIMIT 1001"
        );
    }

    #[test]
    fn a_table_without_a_key_is_one_pass() {
        let q = query(Dialect::Postgres, &[]);
        assert_eq!(
            q.sql(Some(&["ignored".into()])),
            r#"SELECT "id", "line", "note" FROM "inv"."order""s""#
        );
        assert_eq!(
            q.shape(5000),
            ChunkShape {
                deliver: 5000,
                last: true
            }
        );
    }

    #[test]
    fn overrides_are_read_in_chunks_too() {
        let mut q = query(Dialect::Postgres, &["id"]);
        q.select_override = Some("SELECT * FROM inv.orders WHERE id > 100".into());
        assert_eq!(
            q.sql(Some(&["150".into()])),
            r#"SELECT "id", "line", "note" FROM (SELECT * FROM inv.orders WHERE id > 100) AS tributary_snapshot_override WHERE ("id") > ('150') ORDER BY "id" LIMIT 1001"#
        );
    }

    #[test]
    fn the_lookahead_row_says_whether_the_table_goes_on() {
        let q = query(Dialect::Postgres, &["id"]);
        assert_eq!(
            q.shape(1001),
            ChunkShape {
                deliver: 1000,
                last: false
            }
        );
        assert_eq!(
            q.shape(1000),
            ChunkShape {
                deliver: 1000,
                last: true
            }
        );
        assert_eq!(
            q.shape(0),
            ChunkShape {
                deliver: 0,
                last: true
            }
        );
    }
}
