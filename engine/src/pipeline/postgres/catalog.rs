//! What pgoutput's Relation message does not say, from the catalog: type names, user types
//! (enums, domains, arrays of them), nullability and the primary key.
//!
//! The Relation message is authoritative for the columns and their types at that point of
//! the stream; the catalog is read when a Relation message arrives, as Debezium does, for the
//! rest. One catalog round trip per Relation message (start-up and after each ALTER TABLE),
//! never per row.
//!
//! Column defaults are not read yet: the Connect schemas carry no `default` for PostgreSQL
//! columns (Debezium parses literal defaults into typed schema defaults).

use std::collections::{HashMap, HashSet};

use tributary_decoders::pgoutput::values::{UserType, UserTypes};
use tributary_decoders::pgoutput::{Oid, RelationInfo};
use tributary_envelope::table::{ColumnDescription, ConnectorKind, TableDescription};

use crate::postgres::{PgError, ReplicationSession, TextRow};

/// A `pg_type` row, as much of it as the mapping needs.
#[derive(Debug, Clone)]
struct TypeRow {
    name: String,
    typtype: u8,
    base_oid: Oid,
    base_typmod: i32,
    element_oid: Oid,
    element_delimiter: u8,
}

/// Catalog lookups on a session of its own (the replication session is busy streaming).
#[derive(Debug)]
pub struct Catalog {
    session: ReplicationSession,
    types: HashMap<Oid, TypeRow>,
    /// User types known to the value decoders.
    pub user_types: UserTypes,
}

impl Catalog {
    /// Wraps a connected session.
    pub fn new(session: ReplicationSession) -> Self {
        Self {
            session,
            types: HashMap::new(),
            user_types: UserTypes::new(),
        }
    }

    /// Describes `relation` for the envelope, learning its column types on the way.
    pub async fn describe(&mut self, relation: &RelationInfo) -> Result<TableDescription, PgError> {
        self.learn_types(relation.columns.iter().map(|c| c.type_oid))
            .await?;
        let oid = relation.oid;
        let not_null: HashSet<String> = self
            .session
            .simple_query(&format!(
                "SELECT attname FROM pg_attribute WHERE attrelid = {oid} AND attnum > 0 \
                 AND NOT attisdropped AND attnotnull"
            ))
            .await?
            .into_iter()
            .filter_map(|row| text(&row, 0))
            .collect();
        let primary_key: Vec<Box<str>> = self
            .session
            .simple_query(&format!(
                "SELECT a.attname FROM pg_index i \
                 CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) \
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum \
                 WHERE i.indrelid = {oid} AND i.indisprimary ORDER BY k.ord"
            ))
            .await?
            .into_iter()
            .filter_map(|row| text(&row, 0).map(Into::into))
            .collect();
        let mut columns = Vec::with_capacity(relation.columns.len());
        for column in &relation.columns {
            let mut description = self.column(&column.name, column.type_oid, column.type_modifier);
            description.nullable = !not_null.contains(&column.name);
            if let Some(row) = self.types.get(&column.type_oid)
                && row.typtype == b'e'
            {
                description.enum_values = self.enum_labels(column.type_oid).await?;
            }
            columns.push(description);
        }
        Ok(TableDescription {
            connector: ConnectorKind::Postgres,
            namespace: relation.namespace.as_str().into(),
            table: relation.name.as_str().into(),
            columns,
            primary_key,
        })
    }

    /// Every captured table (`schema`, `table`) of the database, for a `filtered`
    /// publication.
    pub async fn tables(&mut self) -> Result<Vec<(String, String)>, PgError> {
        Ok(self
            .session
            .simple_query(
                "SELECT schemaname, tablename FROM pg_tables \
                 WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2",
            )
            .await?
            .into_iter()
            .filter_map(|row| Some((text(&row, 0)?, text(&row, 1)?)))
            .collect())
    }

    /// The column as the type mapping expects it: domains resolved to their base type, the
    /// type modifier split into length, scale or fractional digits.
    fn column(&self, name: &str, type_oid: Oid, typmod: i32) -> ColumnDescription {
        let (type_name, typmod) = match self.types.get(&type_oid) {
            Some(row) if row.typtype == b'd' => (
                self.types
                    .get(&row.base_oid)
                    .map_or_else(|| row.name.clone(), |base| base.name.clone()),
                row.base_typmod,
            ),
            Some(row) => (row.name.clone(), typmod),
            None => (format!("oid{type_oid}"), typmod),
        };
        let mut column = ColumnDescription::new(name, type_name.as_str());
        apply_typmod(&mut column, &type_name, typmod);
        column
    }

    async fn enum_labels(&mut self, oid: Oid) -> Result<Box<[Box<str>]>, PgError> {
        Ok(self
            .session
            .simple_query(&format!(
                "SELECT enumlabel FROM pg_enum WHERE enumtypid = {oid} ORDER BY enumsortorder"
            ))
            .await?
            .into_iter()
            .filter_map(|row| text(&row, 0).map(Into::into))
            .collect())
    }

    /// Loads the `pg_type` rows of `oids` and of every type they refer to (domain bases,
    /// array elements), and registers the user types with the value decoders.
    async fn learn_types(&mut self, oids: impl Iterator<Item = Oid>) -> Result<(), PgError> {
        let mut wanted: Vec<Oid> = oids.filter(|o| !self.types.contains_key(o)).collect();
        // Domains of arrays of domains…: a few rounds at most.
        for _ in 0..4 {
            wanted.sort_unstable();
            wanted.dedup();
            if wanted.is_empty() {
                return Ok(());
            }
            let list = wanted
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let rows = self
                .session
                .simple_query(&format!(
                    "SELECT t.oid, t.typname, t.typtype, t.typbasetype, t.typtypmod, t.typelem, \
                     COALESCE(e.typdelim, ',') FROM pg_type t \
                     LEFT JOIN pg_type e ON e.oid = t.typelem WHERE t.oid IN ({list})"
                ))
                .await?;
            wanted.clear();
            for row in rows {
                let Some((oid, type_row)) = parse_type_row(&row) else {
                    continue;
                };
                if let Some(kind) = UserType::from_pg_type(
                    type_row.typtype,
                    &type_row.name,
                    type_row.base_oid,
                    type_row.base_typmod,
                    type_row.element_oid,
                    type_row.element_delimiter,
                ) {
                    self.user_types.insert(oid, kind);
                }
                for referenced in [type_row.base_oid, type_row.element_oid] {
                    if referenced != 0 && !self.types.contains_key(&referenced) {
                        wanted.push(referenced);
                    }
                }
                self.types.insert(oid, type_row);
            }
        }
        Ok(())
    }
}

fn text(row: &TextRow, i: usize) -> Option<String> {
    row.get(i).cloned().flatten()
}

fn parse_type_row(row: &TextRow) -> Option<(Oid, TypeRow)> {
    let number = |i| text(row, i).and_then(|t| t.parse::<i64>().ok());
    let oid = Oid::try_from(number(0)?).ok()?;
    Some((
        oid,
        TypeRow {
            name: text(row, 1)?,
            typtype: text(row, 2)?.bytes().next()?,
            base_oid: Oid::try_from(number(3)?).ok()?,
            base_typmod: i32::try_from(number(4)?).ok()?,
            element_oid: Oid::try_from(number(5)?).ok()?,
            element_delimiter: text(row, 6)?.bytes().next().unwrap_or(b','),
        },
    ))
}

/// Splits a type modifier the way PostgreSQL's `format_type` reads it.
fn apply_typmod(column: &mut ColumnDescription, type_name: &str, typmod: i32) {
    if typmod < 0 {
        return;
    }
    let typmod = typmod as u32;
    match type_name {
        "numeric" | "_numeric" => {
            let packed = typmod.saturating_sub(4);
            column.length = Some((packed >> 16) & 0xffff);
            column.scale = Some(packed & 0xffff);
        }
        "varchar" | "bpchar" | "_varchar" | "_bpchar" => {
            column.length = Some(typmod.saturating_sub(4));
        }
        "bit" | "varbit" | "_bit" | "_varbit" => column.length = Some(typmod),
        "time" | "timetz" | "timestamp" | "timestamptz" | "_time" | "_timetz" | "_timestamp"
        | "_timestamptz" => column.fsp = Some(typmod),
        "interval" | "_interval" => {
            // The low 16 bits hold the precision (0xffff = unspecified).
            let precision = typmod & 0xffff;
            if precision != 0xffff {
                column.fsp = Some(precision);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typmods_split_like_format_type() {
        let mut c = ColumnDescription::new("c", "numeric");
        apply_typmod(&mut c, "numeric", ((10 << 16) | 2) + 4);
        assert_eq!((c.length, c.scale), (Some(10), Some(2)));
        let mut c = ColumnDescription::new("c", "varchar");
        apply_typmod(&mut c, "varchar", 255 + 4);
        assert_eq!(c.length, Some(255));
        let mut c = ColumnDescription::new("c", "timestamptz");
        apply_typmod(&mut c, "timestamptz", 3);
        assert_eq!(c.fsp, Some(3));
        let mut c = ColumnDescription::new("c", "numeric");
        apply_typmod(&mut c, "numeric", -1);
        assert_eq!((c.length, c.scale), (None, None));
    }
}
