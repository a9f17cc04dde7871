//! Applies parsed DDL to the schema model, reporting which tables it created, altered or
//! dropped (the `tableChanges` of a schema history record).
//!
//! Each statement is applied to a copy and swapped in only on success, so a statement that
//! fails half-way (an unknown column in its third operation) leaves the model as it was.

use super::ddl::{
    AlterOp, ColumnDef, ColumnPosition, Ddl, ObjName, TableOptions, charset_of_collation,
};
use super::error::ApplyError;
use super::model::{Column, SchemaModel, Table, TableId, same_column};

/// What a statement did to one table.
#[derive(Debug, Clone, PartialEq, Eq, Copy, serde::Serialize, serde::Deserialize)]
pub enum TableChangeKind {
    /// The table was created.
    #[serde(rename = "CREATE")]
    Create,
    /// The table was altered or renamed.
    #[serde(rename = "ALTER")]
    Alter,
    /// The table was dropped.
    #[serde(rename = "DROP")]
    Drop,
}

/// One table change with the table as it is after it (before it, for a drop).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Change {
    pub(crate) kind: TableChangeKind,
    pub(crate) id: TableId,
    pub(crate) previous: Option<TableId>,
    pub(crate) table: Table,
}

/// Resolves a possibly unqualified name against the statement's default database.
pub(crate) fn resolve(name: &ObjName, default_db: Option<&str>) -> Result<TableId, ApplyError> {
    match (&name.database, default_db) {
        (Some(db), _) => Ok(TableId::new(db.as_str(), name.name.as_str())),
        (None, Some(db)) if !db.is_empty() => Ok(TableId::new(db, name.name.as_str())),
        (None, _) => Err(ApplyError::NoDatabase {
            table: name.name.clone(),
        }),
    }
}

/// The tables a statement names (for the captured-table check).
pub(crate) fn named_tables(ddl: &Ddl, default_db: Option<&str>) -> Vec<TableId> {
    let names: Vec<&ObjName> = match ddl {
        Ddl::CreateTable { name, .. } | Ddl::Truncate(name) | Ddl::Index(name) => vec![name],
        Ddl::CreateTableLike { name, like, .. } => vec![name, like],
        Ddl::AlterTable { name, ops, .. } => {
            let mut v = vec![name];
            v.extend(ops.iter().filter_map(|op| match op {
                AlterOp::RenameTable(n) => Some(n),
                _ => None,
            }));
            v
        }
        Ddl::RenameTables(pairs) => pairs.iter().flat_map(|(a, b)| [a, b]).collect(),
        Ddl::DropTables { names } => names.iter().collect(),
        Ddl::CreateDatabase { .. }
        | Ddl::AlterDatabase { .. }
        | Ddl::DropDatabase { .. }
        | Ddl::Ignored => Vec::new(),
    };
    names
        .into_iter()
        .filter_map(|n| resolve(n, default_db).ok())
        .collect()
}

/// Applies `ddl` to `model`. On error the model is unchanged.
pub(crate) fn apply(
    model: &mut SchemaModel,
    ddl: &Ddl,
    default_db: Option<&str>,
) -> Result<Vec<Change>, ApplyError> {
    let mut next = model.clone();
    let changes = apply_in_place(&mut next, ddl, default_db)?;
    *model = next;
    Ok(changes)
}

fn apply_in_place(
    model: &mut SchemaModel,
    ddl: &Ddl,
    default_db: Option<&str>,
) -> Result<Vec<Change>, ApplyError> {
    match ddl {
        Ddl::Ignored | Ddl::Truncate(_) => Ok(Vec::new()),
        Ddl::CreateDatabase { name, charset, .. } => {
            let db = model.databases.entry(name.clone()).or_default();
            if charset.is_some() {
                db.default_charset.clone_from(charset);
            }
            Ok(Vec::new())
        }
        Ddl::AlterDatabase { name, charset } => {
            if let Some(name) = name.as_deref().or(default_db).filter(|n| !n.is_empty()) {
                let db = model.databases.entry(name.to_owned()).or_default();
                if charset.is_some() {
                    db.default_charset.clone_from(charset);
                }
            }
            Ok(Vec::new())
        }
        Ddl::DropDatabase { name } => Ok(model
            .databases
            .remove(name)
            .map(|db| {
                db.tables
                    .into_iter()
                    .map(|(t, table)| Change {
                        kind: TableChangeKind::Drop,
                        id: TableId::new(name.as_str(), t),
                        previous: None,
                        table,
                    })
                    .collect()
            })
            .unwrap_or_default()),
        Ddl::CreateTable {
            name,
            if_not_exists,
            definition,
            ..
        } => {
            let id = resolve(name, default_db)?;
            if *if_not_exists && model.table(&id).is_some() {
                return Ok(Vec::new());
            }
            let db = model.databases.entry(id.database.clone()).or_default();
            let charset = table_charset(&definition.options).or_else(|| db.default_charset.clone());
            let mut table = Table {
                columns: Vec::new(),
                primary_key: Vec::new(),
                default_charset: charset,
                comment: definition.options.comment.clone(),
            };
            for def in &definition.columns {
                if table.column_index(&def.column.name).is_some() {
                    return Err(ApplyError::AlreadyExists {
                        what: format!("column `{}` in {id}", def.column.name),
                    });
                }
                let column = resolved_column(def, &table);
                table.columns.push(column);
            }
            if let Some(pk) = &definition.primary_key {
                set_primary_key(&mut table, pk, &id)?;
            }
            db.tables.insert(id.table.clone(), table.clone());
            Ok(vec![Change {
                kind: TableChangeKind::Create,
                id,
                previous: None,
                table,
            }])
        }
        Ddl::CreateTableLike {
            name,
            like,
            if_not_exists,
            ..
        } => {
            let id = resolve(name, default_db)?;
            let like = resolve(like, default_db)?;
            if *if_not_exists && model.table(&id).is_some() {
                return Ok(Vec::new());
            }
            let table = model
                .table(&like)
                .cloned()
                .ok_or_else(|| ApplyError::UnknownTable {
                    table: like.to_string(),
                })?;
            model
                .databases
                .entry(id.database.clone())
                .or_default()
                .tables
                .insert(id.table.clone(), table.clone());
            Ok(vec![Change {
                kind: TableChangeKind::Create,
                id,
                previous: None,
                table,
            }])
        }
        Ddl::AlterTable {
            name,
            if_exists,
            ops,
        } => {
            let id = resolve(name, default_db)?;
            let Some(mut table) = model.table(&id).cloned() else {
                if *if_exists {
                    return Ok(Vec::new());
                }
                return Err(ApplyError::UnknownTable {
                    table: id.to_string(),
                });
            };
            let db_charset = model
                .databases
                .get(&id.database)
                .and_then(|d| d.default_charset.clone());
            let mut new_id = id.clone();
            for op in ops {
                if let AlterOp::RenameTable(to) = op {
                    new_id = resolve(to, Some(&id.database))?;
                } else {
                    alter(&mut table, op, &id, db_charset.as_deref())?;
                }
            }
            if new_id != id {
                if model.table(&new_id).is_some() {
                    return Err(ApplyError::AlreadyExists {
                        what: format!("table {new_id}"),
                    });
                }
                if let Some(db) = model.databases.get_mut(&id.database) {
                    db.tables.remove(&id.table);
                }
            }
            model
                .databases
                .entry(new_id.database.clone())
                .or_default()
                .tables
                .insert(new_id.table.clone(), table.clone());
            Ok(vec![Change {
                kind: TableChangeKind::Alter,
                previous: (new_id != id).then_some(id),
                id: new_id,
                table,
            }])
        }
        Ddl::RenameTables(pairs) => {
            let mut changes = Vec::new();
            for (from, to) in pairs {
                let from = resolve(from, default_db)?;
                let to = resolve(to, default_db)?;
                let table = model
                    .databases
                    .get_mut(&from.database)
                    .and_then(|d| d.tables.remove(&from.table))
                    .ok_or_else(|| ApplyError::UnknownTable {
                        table: from.to_string(),
                    })?;
                if model.table(&to).is_some() {
                    return Err(ApplyError::AlreadyExists {
                        what: format!("table {to}"),
                    });
                }
                model
                    .databases
                    .entry(to.database.clone())
                    .or_default()
                    .tables
                    .insert(to.table.clone(), table.clone());
                changes.push(Change {
                    kind: TableChangeKind::Alter,
                    id: to,
                    previous: Some(from),
                    table,
                });
            }
            Ok(changes)
        }
        Ddl::DropTables { names } => {
            let mut changes = Vec::new();
            for name in names {
                let id = resolve(name, default_db)?;
                if let Some(table) = model
                    .databases
                    .get_mut(&id.database)
                    .and_then(|d| d.tables.remove(&id.table))
                {
                    changes.push(Change {
                        kind: TableChangeKind::Drop,
                        id,
                        previous: None,
                        table,
                    });
                }
            }
            Ok(changes)
        }
        Ddl::Index(name) => {
            let id = resolve(name, default_db)?;
            Ok(model
                .table(&id)
                .map(|t| Change {
                    kind: TableChangeKind::Alter,
                    id: id.clone(),
                    previous: None,
                    table: t.clone(),
                })
                .into_iter()
                .collect())
        }
    }
}

/// A table's default charset from its options: declared, or the collation's.
fn table_charset(o: &TableOptions) -> Option<String> {
    o.charset
        .clone()
        .or_else(|| o.collation.as_deref().map(charset_of_collation))
}

/// A column as the server stores it: a character column gets the charset it declared, its
/// collation's, or the table's default; other columns have none.
fn resolved_column(def: &ColumnDef, table: &Table) -> Column {
    let mut c = def.column.clone();
    if c.data_type.is_character() {
        if c.charset.is_none() {
            c.charset = c
                .collation
                .as_deref()
                .map(charset_of_collation)
                .or_else(|| table.default_charset.clone());
        }
    } else {
        c.charset = None;
        c.collation = None;
    }
    c
}

fn set_primary_key(table: &mut Table, pk: &[String], id: &TableId) -> Result<(), ApplyError> {
    let mut names = Vec::with_capacity(pk.len());
    for name in pk {
        let col = table
            .column_index(name)
            .and_then(|i| table.columns.get_mut(i))
            .ok_or_else(|| ApplyError::UnknownColumn {
                table: id.to_string(),
                column: name.clone(),
            })?;
        col.nullable = false;
        names.push(col.name.clone());
    }
    table.primary_key = names;
    Ok(())
}

/// Where to insert a column given its position clause; `current` is where it was (MODIFY,
/// CHANGE) and has already been removed.
fn insert_index(
    table: &Table,
    position: &ColumnPosition,
    current: Option<usize>,
    id: &TableId,
) -> Result<usize, ApplyError> {
    match position {
        ColumnPosition::Default => Ok(current
            .unwrap_or(table.columns.len())
            .min(table.columns.len())),
        ColumnPosition::First => Ok(0),
        ColumnPosition::After(name) => {
            table
                .column_index(name)
                .map(|i| i + 1)
                .ok_or_else(|| ApplyError::UnknownColumn {
                    table: id.to_string(),
                    column: name.clone(),
                })
        }
    }
}

fn missing(id: &TableId, column: &str) -> ApplyError {
    ApplyError::UnknownColumn {
        table: id.to_string(),
        column: column.to_owned(),
    }
}

/// Replaces column `old` (at `index`) by `def`, moved to `position`, keeping the primary key
/// pointing at it.
fn replace_column(
    table: &mut Table,
    index: usize,
    def: &ColumnDef,
    position: &ColumnPosition,
    id: &TableId,
) -> Result<(), ApplyError> {
    let old = table.columns.remove(index);
    if table.column_index(&def.column.name).is_some() {
        return Err(ApplyError::AlreadyExists {
            what: format!("column `{}` in {id}", def.column.name),
        });
    }
    let mut column = resolved_column(def, table);
    for pk in &mut table.primary_key {
        if same_column(pk, &old.name) {
            pk.clone_from(&column.name);
            column.nullable = false;
        }
    }
    let at = insert_index(table, position, Some(index), id)?;
    table.columns.insert(at, column);
    if def.primary_key {
        set_primary_key(table, std::slice::from_ref(&def.column.name), id)?;
    }
    Ok(())
}

fn alter(
    table: &mut Table,
    op: &AlterOp,
    id: &TableId,
    db_charset: Option<&str>,
) -> Result<(), ApplyError> {
    match op {
        AlterOp::Other | AlterOp::RenameTable(_) => {}
        AlterOp::AddColumns {
            columns,
            position,
            if_not_exists,
        } => {
            let mut at = insert_index(table, position, None, id)?;
            for def in columns {
                if table.column_index(&def.column.name).is_some() {
                    if *if_not_exists {
                        continue;
                    }
                    return Err(ApplyError::AlreadyExists {
                        what: format!("column `{}` in {id}", def.column.name),
                    });
                }
                let column = resolved_column(def, table);
                table.columns.insert(at.min(table.columns.len()), column);
                at += 1;
                if def.primary_key {
                    set_primary_key(table, std::slice::from_ref(&def.column.name), id)?;
                }
            }
        }
        AlterOp::DropColumn { name, if_exists } => match table.column_index(name) {
            Some(i) => {
                let removed = table.columns.remove(i);
                table
                    .primary_key
                    .retain(|pk| !same_column(pk, &removed.name));
            }
            None if *if_exists => {}
            None => return Err(missing(id, name)),
        },
        AlterOp::ModifyColumn {
            column,
            position,
            if_exists,
        } => match table.column_index(&column.column.name) {
            Some(i) => replace_column(table, i, column, position, id)?,
            None if *if_exists => {}
            None => return Err(missing(id, &column.column.name)),
        },
        AlterOp::ChangeColumn {
            old,
            column,
            position,
            if_exists,
        } => match table.column_index(old) {
            Some(i) => replace_column(table, i, column, position, id)?,
            None if *if_exists => {}
            None => return Err(missing(id, old)),
        },
        AlterOp::RenameColumn { old, new } => {
            let i = table.column_index(old).ok_or_else(|| missing(id, old))?;
            if table.column_index(new).is_some_and(|j| j != i) {
                return Err(ApplyError::AlreadyExists {
                    what: format!("column `{new}` in {id}"),
                });
            }
            if let Some(c) = table.columns.get_mut(i) {
                c.name.clone_from(new);
            }
            for pk in &mut table.primary_key {
                if same_column(pk, old) {
                    pk.clone_from(new);
                }
            }
        }
        AlterOp::SetDefault { name, default } => {
            let c = table
                .column_index(name)
                .and_then(|i| table.columns.get_mut(i))
                .ok_or_else(|| missing(id, name))?;
            c.default.clone_from(default);
        }
        AlterOp::AddPrimaryKey(cols) => set_primary_key(table, cols, id)?,
        AlterOp::DropPrimaryKey => table.primary_key.clear(),
        AlterOp::ConvertCharset { charset, collation } => {
            let charset = charset
                .clone()
                .or_else(|| collation.as_deref().map(charset_of_collation))
                .or_else(|| db_charset.map(str::to_owned));
            table.default_charset.clone_from(&charset);
            for c in &mut table.columns {
                if c.data_type.is_character() {
                    widen_text(c, charset.as_deref());
                    c.charset.clone_from(&charset);
                    c.collation.clone_from(collation);
                }
            }
        }
        AlterOp::Options(o) => {
            if let Some(cs) = table_charset(o) {
                table.default_charset = Some(cs);
            }
            if o.comment.is_some() {
                table.comment.clone_from(&o.comment);
            }
        }
    }
    Ok(())
}

/// Longest character of a charset in bytes (MySQL's `MAXLEN`); single-byte sets are 1.
fn charset_max_bytes(charset: &str) -> u64 {
    match charset.to_ascii_lowercase().as_str() {
        "utf8mb4" | "utf16" | "utf16le" | "utf32" | "gb18030" => 4,
        "utf8" | "utf8mb3" | "ujis" | "eucjpms" => 3,
        "ucs2" | "gbk" | "big5" | "sjis" | "euckr" | "cp932" | "gb2312" => 2,
        _ => 1,
    }
}

/// `CONVERT TO CHARACTER SET` widens `TINYTEXT`/`TEXT`/`MEDIUMTEXT` to the smallest type that
/// holds as many characters in the new charset as the old type held in the old one (the
/// MySQL manual, ALTER TABLE, "Changing the Character Set"): latin1 `TEXT` becomes utf8mb4
/// `MEDIUMTEXT`.
fn widen_text(c: &mut Column, new_charset: Option<&str>) {
    const SIZES: [(&str, u64); 4] = [
        ("TINYTEXT", 255),
        ("TEXT", 65_535),
        ("MEDIUMTEXT", 16_777_215),
        ("LONGTEXT", 4_294_967_295),
    ];
    let (Some(old), Some(new)) = (c.charset.as_deref(), new_charset) else {
        return;
    };
    let Some(&(_, capacity)) = SIZES.iter().find(|(n, _)| *n == c.data_type.name) else {
        return;
    };
    let needed = capacity / charset_max_bytes(old) * charset_max_bytes(new);
    if let Some(&(name, _)) = SIZES.iter().find(|(_, cap)| *cap >= needed) {
        c.data_type.name = name.to_owned();
    } else {
        c.data_type.name = "LONGTEXT".to_owned();
    }
}
