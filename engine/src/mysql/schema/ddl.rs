//! A recursive-descent parser for the DDL MySQL and MariaDB write to the binlog.
//!
//! # Why not `sqlparser`
//! `sqlparser` 0.64 with `MySqlDialect` was tried on the statements MariaDB 10.11 logs and
//! fails on many that change table structure: `ALTER TABLE … CONVERT TO CHARACTER SET`,
//! `ADD COLUMN IF NOT EXISTS`, `ADD (c1 …, c2 …)`, table options in ALTER (`DEFAULT
//! CHARSET=…`, `ENGINE=…`, `COMMENT=…`), `RENAME t2` without `TO`, `DROP KEY`, `CHARSET x`
//! and `BINARY` as column attributes, `NATIONAL VARCHAR`, MariaDB's `PERSISTENT` generated
//! columns, `PARTITION BY`, `WITH SYSTEM VERSIONING`, `ALTER ONLINE TABLE`. Debezium itself
//! uses its own MySQL grammar. This parser reads only what changes a table's shape and skips
//! the rest by structure (balanced parentheses, top-level commas), so an index or partition
//! clause it does not model cannot derail it; a column attribute it does not know is an error,
//! because guessing there would give a wrong schema.
//!
//! It never panics and never recurses on input: nesting is skipped with a depth counter.

use super::error::ParseError;
use super::lexer::{Token, TokenKind, tokenize};
use super::model::{Column, ColumnType, DefaultValue};

/// A possibly qualified table name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ObjName {
    /// The database, when written.
    pub(crate) database: Option<String>,
    /// The table.
    pub(crate) name: String,
}

/// A parsed DDL statement: what it does to the schema model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ddl {
    /// `CREATE DATABASE`.
    CreateDatabase {
        name: String,
        if_not_exists: bool,
        charset: Option<String>,
    },
    /// `ALTER DATABASE` (`name` absent: the default database).
    AlterDatabase {
        name: Option<String>,
        charset: Option<String>,
    },
    /// `DROP DATABASE`.
    DropDatabase { name: String },
    /// `CREATE TABLE name (…)`.
    CreateTable {
        name: ObjName,
        if_not_exists: bool,
        or_replace: bool,
        definition: TableDef,
    },
    /// `CREATE TABLE name LIKE other`.
    CreateTableLike {
        name: ObjName,
        like: ObjName,
        if_not_exists: bool,
        or_replace: bool,
    },
    /// `ALTER TABLE`.
    AlterTable {
        name: ObjName,
        if_exists: bool,
        ops: Vec<AlterOp>,
    },
    /// `RENAME TABLE a TO b, …`.
    RenameTables(Vec<(ObjName, ObjName)>),
    /// `DROP TABLE …`.
    DropTables { names: Vec<ObjName> },
    /// `TRUNCATE TABLE`.
    Truncate(ObjName),
    /// `CREATE INDEX … ON table` / `DROP INDEX … ON table`: no column change, but Debezium
    /// records an ALTER of the table.
    Index(ObjName),
    /// A statement that does not change any table's structure (GRANT, CREATE VIEW, …).
    Ignored,
}

/// The body of a `CREATE TABLE`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct TableDef {
    pub(crate) columns: Vec<ColumnDef>,
    pub(crate) primary_key: Option<Vec<String>>,
    pub(crate) options: TableOptions,
}

/// The table options the model keeps.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct TableOptions {
    pub(crate) charset: Option<String>,
    pub(crate) collation: Option<String>,
    pub(crate) comment: Option<String>,
}

/// A column definition and whether it declared itself the primary key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ColumnDef {
    pub(crate) column: Column,
    pub(crate) primary_key: bool,
}

/// Where ADD/MODIFY/CHANGE put a column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ColumnPosition {
    /// Unchanged (MODIFY/CHANGE) or last (ADD).
    Default,
    /// `FIRST`.
    First,
    /// `AFTER col`.
    After(String),
}

/// One ALTER TABLE operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AlterOp {
    AddColumns {
        columns: Vec<ColumnDef>,
        position: ColumnPosition,
        if_not_exists: bool,
    },
    DropColumn {
        name: String,
        if_exists: bool,
    },
    ModifyColumn {
        column: ColumnDef,
        position: ColumnPosition,
        if_exists: bool,
    },
    ChangeColumn {
        old: String,
        column: ColumnDef,
        position: ColumnPosition,
        if_exists: bool,
    },
    RenameColumn {
        old: String,
        new: String,
    },
    SetDefault {
        name: String,
        default: Option<DefaultValue>,
    },
    AddPrimaryKey(Vec<String>),
    DropPrimaryKey,
    ConvertCharset {
        charset: Option<String>,
        collation: Option<String>,
    },
    Options(TableOptions),
    RenameTable(ObjName),
    /// Indexes, foreign keys, engine, algorithm, partitions, …: no column change.
    Other,
}

/// Parses one DDL statement (a trailing `;` is allowed).
pub(crate) fn parse(sql: &str) -> Result<Ddl, ParseError> {
    let tokens = tokenize(sql)?;
    let mut p = Parser {
        tokens,
        pos: 0,
        sql,
    };
    if p.at_end() {
        return Err(ParseError::Empty);
    }
    let ddl = p.statement()?;
    if !matches!(ddl, Ddl::Ignored) && !p.at_end() {
        return Err(p.unexpected("end of statement"));
    }
    Ok(ddl)
}

/// Statement keywords that never change a table's structure.
const IGNORED_STATEMENTS: &[&str] = &[
    "GRANT",
    "REVOKE",
    "SET",
    "ANALYZE",
    "OPTIMIZE",
    "REPAIR",
    "CHECK",
    "CHECKSUM",
    "FLUSH",
    "INSTALL",
    "UNINSTALL",
    "USE",
    "RESET",
    "PURGE",
    "KILL",
    "SHOW",
    "SELECT",
    "DO",
    "CALL",
    "LOCK",
    "UNLOCK",
    "XA",
    "SAVEPOINT",
    "RELEASE",
    "HANDLER",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "START",
    "STOP",
    "CHANGE",
    "BINLOG",
    "SIGNAL",
    "RESIGNAL",
    "DEALLOCATE",
    "PREPARE",
    "EXECUTE",
    "BACKUP",
    "SHUTDOWN",
    "HELP",
    "CACHE",
    "LOAD",
];

/// Objects of CREATE/ALTER/DROP that are not tables or databases.
const IGNORED_OBJECTS: &[&str] = &[
    "VIEW",
    "PROCEDURE",
    "FUNCTION",
    "TRIGGER",
    "EVENT",
    "USER",
    "ROLE",
    "SEQUENCE",
    "SERVER",
    "TABLESPACE",
    "LOGFILE",
    "PACKAGE",
    "SYNONYM",
    "INSTANCE",
    "SPATIAL",
    "RESOURCE",
    "UNDO",
];

/// First words of ALTER TABLE operations that change no column: table options,
/// partitioning, maintenance. Anything else unknown is a parse error, not a silent no-op.
const ALTER_OTHER_OPS: &[&str] = &[
    "DEFAULT",
    "CHARSET",
    "CHARACTER",
    "CHAR",
    "COLLATE",
    "COMMENT",
    "ENGINE",
    "ALGORITHM",
    "LOCK",
    "FORCE",
    "ORDER",
    "AUTO_INCREMENT",
    "ROW_FORMAT",
    "KEY_BLOCK_SIZE",
    "AVG_ROW_LENGTH",
    "MAX_ROWS",
    "MIN_ROWS",
    "PACK_KEYS",
    "CHECKSUM",
    "TABLE_CHECKSUM",
    "PAGE_CHECKSUM",
    "DELAY_KEY_WRITE",
    "STATS_AUTO_RECALC",
    "STATS_PERSISTENT",
    "STATS_SAMPLE_PAGES",
    "TRANSACTIONAL",
    "PAGE_COMPRESSED",
    "PAGE_COMPRESSION_LEVEL",
    "ENCRYPTED",
    "ENCRYPTION",
    "ENCRYPTION_KEY_ID",
    "INSERT_METHOD",
    "UNION",
    "DATA",
    "INDEX",
    "CONNECTION",
    "PASSWORD",
    "COMPRESSION",
    "TABLESPACE",
    "DISCARD",
    "IMPORT",
    "ENABLE",
    "DISABLE",
    "PARTITION",
    "REMOVE",
    "COALESCE",
    "REORGANIZE",
    "EXCHANGE",
    "ANALYZE",
    "CHECK",
    "OPTIMIZE",
    "REBUILD",
    "REPAIR",
    "TRUNCATE",
    "WITH",
    "WITHOUT",
    "SEQUENCE",
    "IETF_QUOTES",
    "STORAGE",
    "SECONDARY_ENGINE",
    "UPGRADE",
    "CONVERT",
    "ALTER",
];

struct Parser<'a> {
    tokens: Vec<Token>,
    pos: usize,
    sql: &'a str,
}

impl Parser<'_> {
    fn kind_at(&self, n: usize) -> Option<&TokenKind> {
        self.tokens.get(self.pos + n).map(|t| &t.kind)
    }

    fn is_kw_at(&self, n: usize, kw: &str) -> bool {
        matches!(self.kind_at(n), Some(TokenKind::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn is_kw(&self, kw: &str) -> bool {
        self.is_kw_at(0, kw)
    }

    fn is_any_kw(&self, kws: &[&str]) -> bool {
        kws.iter().any(|k| self.is_kw(k))
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        let hit = self.is_kw(kw);
        if hit {
            self.pos += 1;
        }
        hit
    }

    /// Eats a sequence of keywords, all or nothing.
    fn eat_kws(&mut self, kws: &[&str]) -> bool {
        let hit = kws.iter().enumerate().all(|(i, k)| self.is_kw_at(i, k));
        if hit {
            self.pos += kws.len();
        }
        hit
    }

    fn expect_kw(&mut self, kw: &str) -> Result<(), ParseError> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(self.unexpected(kw))
        }
    }

    fn is_punct_at(&self, n: usize, c: char) -> bool {
        self.kind_at(n) == Some(&TokenKind::Punct(c))
    }

    fn is_punct(&self, c: char) -> bool {
        self.is_punct_at(0, c)
    }

    fn eat_punct(&mut self, c: char) -> bool {
        let hit = self.is_punct(c);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn expect_punct(&mut self, c: char) -> Result<(), ParseError> {
        if self.eat_punct(c) {
            Ok(())
        } else {
            Err(self.unexpected(&format!("`{c}`")))
        }
    }

    /// No tokens left but `;`.
    fn at_end(&self) -> bool {
        self.tokens
            .get(self.pos..)
            .is_none_or(|rest| rest.iter().all(|t| t.kind == TokenKind::Punct(';')))
    }

    fn unexpected(&self, expected: &str) -> ParseError {
        match self.tokens.get(self.pos) {
            Some(t) if !self.at_end() => ParseError::Unexpected {
                expected: expected.to_owned(),
                found: format!(
                    "`{}`",
                    self.sql
                        .get(t.start..t.end)
                        .unwrap_or_default()
                        .chars()
                        .take(64)
                        .collect::<String>()
                ),
                at: t.start,
            },
            _ => ParseError::Unexpected {
                expected: expected.to_owned(),
                found: "end of statement".to_owned(),
                at: self.sql.len(),
            },
        }
    }

    /// An identifier: a word or a backquoted name.
    fn ident(&mut self) -> Result<String, ParseError> {
        match self.kind_at(0) {
            Some(TokenKind::Word(w) | TokenKind::Quoted(w)) => {
                let w = w.clone();
                self.pos += 1;
                Ok(w)
            }
            _ => Err(self.unexpected("an identifier")),
        }
    }

    /// A name that may also be written as a string (`CHARSET 'utf8mb4'`).
    fn name_or_string(&mut self) -> Result<String, ParseError> {
        if let Some(TokenKind::Str(s)) = self.kind_at(0) {
            let s = s.clone();
            self.pos += 1;
            return Ok(s);
        }
        self.ident()
    }

    fn string(&mut self) -> Result<String, ParseError> {
        match self.kind_at(0) {
            Some(TokenKind::Str(s)) => {
                let s = s.clone();
                self.pos += 1;
                Ok(s)
            }
            _ => Err(self.unexpected("a string literal")),
        }
    }

    /// `name` or `db.name`.
    fn obj_name(&mut self) -> Result<ObjName, ParseError> {
        let first = self.ident()?;
        if self.eat_punct('.') {
            let name = self.ident()?;
            Ok(ObjName {
                database: Some(first),
                name,
            })
        } else {
            Ok(ObjName {
                database: None,
                name: first,
            })
        }
    }

    fn eat_if_not_exists(&mut self) -> bool {
        self.eat_kws(&["IF", "NOT", "EXISTS"])
    }

    fn eat_if_exists(&mut self) -> bool {
        self.eat_kws(&["IF", "EXISTS"])
    }

    /// MariaDB's `WAIT n` / `NOWAIT` lock options.
    fn eat_wait(&mut self) {
        if self.eat_kw("NOWAIT") {
            return;
        }
        if self.is_kw("WAIT") && matches!(self.kind_at(1), Some(TokenKind::Number(_))) {
            self.pos += 2;
        }
    }

    /// At `(`: skips through the matching `)` and returns the text between them.
    fn balanced(&mut self) -> Result<String, ParseError> {
        let open = self.tokens.get(self.pos).map(|t| t.end).unwrap_or_default();
        self.expect_punct('(')?;
        let mut depth = 1usize;
        while let Some(t) = self.tokens.get(self.pos) {
            self.pos += 1;
            match t.kind {
                TokenKind::Punct('(') => depth += 1,
                TokenKind::Punct(')') => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(self
                            .sql
                            .get(open..t.start)
                            .unwrap_or_default()
                            .trim()
                            .to_owned());
                    }
                }
                _ => {}
            }
        }
        Err(self.unexpected("`)`"))
    }

    /// Skips to the end of the current list element: a `,` or `)` at depth 0 (not consumed),
    /// or the end.
    fn skip_element(&mut self) -> Result<(), ParseError> {
        while !self.at_end() && !self.is_punct(',') && !self.is_punct(')') {
            if self.is_punct('(') {
                self.balanced()?;
            } else {
                self.pos += 1;
            }
        }
        Ok(())
    }

    /// `DEFINER = user` in CREATE/ALTER of views, routines, triggers, events.
    fn skip_definer(&mut self) -> Result<(), ParseError> {
        if self.eat_kw("DEFINER") {
            self.eat_punct('=');
            if self.eat_kw("CURRENT_USER") {
                if self.is_punct('(') {
                    self.balanced()?;
                }
            } else {
                self.name_or_string()?;
                if self.eat_punct('@') {
                    self.name_or_string()?;
                }
            }
        }
        Ok(())
    }

    fn statement(&mut self) -> Result<Ddl, ParseError> {
        let first = match self.kind_at(0) {
            Some(TokenKind::Word(w)) => w.to_ascii_uppercase(),
            _ => return Err(self.unexpected("a statement keyword")),
        };
        self.pos += 1;
        match first.as_str() {
            "CREATE" => self.create(),
            "ALTER" => self.alter(),
            "DROP" => self.drop(),
            "RENAME" => self.rename(),
            "TRUNCATE" => {
                self.eat_kw("TABLE");
                let name = self.obj_name()?;
                self.eat_wait();
                Ok(Ddl::Truncate(name))
            }
            w if IGNORED_STATEMENTS.contains(&w) => Ok(Ddl::Ignored),
            _ => Err(ParseError::Unrecognised {
                start: self.sql.trim().chars().take(40).collect(),
            }),
        }
    }

    fn object_is_ignored(&self) -> bool {
        self.is_any_kw(IGNORED_OBJECTS)
    }

    fn create(&mut self) -> Result<Ddl, ParseError> {
        let or_replace = self.eat_kws(&["OR", "REPLACE"]);
        loop {
            if self.is_kw("DEFINER") {
                self.skip_definer()?;
            } else if self.eat_kw("ALGORITHM") {
                self.eat_punct('=');
                self.ident()?;
            } else if self.eat_kws(&["SQL", "SECURITY"]) {
                self.ident()?;
            } else if self.eat_kw("AGGREGATE") || self.eat_kw("ONLINE") || self.eat_kw("OFFLINE") {
            } else {
                break;
            }
        }
        if self.eat_kw("TEMPORARY") {
            // Temporary tables are per-session and not written to a row-based binlog.
            return Ok(Ddl::Ignored);
        }
        if self.eat_kw("TABLE") {
            return self.create_table(or_replace);
        }
        if self.eat_kw("DATABASE") || self.eat_kw("SCHEMA") {
            let if_not_exists = self.eat_if_not_exists();
            let name = self.ident()?;
            let options = self.table_options(false)?;
            return Ok(Ddl::CreateDatabase {
                name,
                if_not_exists,
                charset: options
                    .charset
                    .or_else(|| options.collation.as_deref().map(charset_of_collation)),
            });
        }
        if self.eat_kw("UNIQUE") || self.eat_kw("FULLTEXT") {
            // CREATE UNIQUE/FULLTEXT INDEX.
            return self.create_index();
        }
        if self.is_kw("SPATIAL") && self.is_kw_at(1, "INDEX") {
            self.pos += 1;
            return self.create_index();
        }
        if self.is_kw("INDEX") {
            return self.create_index();
        }
        if self.object_is_ignored() {
            return Ok(Ddl::Ignored);
        }
        Err(self.unexpected("TABLE, DATABASE, INDEX or another object type"))
    }

    fn create_index(&mut self) -> Result<Ddl, ParseError> {
        self.expect_kw("INDEX")?;
        self.eat_if_not_exists();
        self.ident()?;
        if self.eat_kw("USING") || self.eat_kw("TYPE") {
            self.ident()?;
        }
        self.expect_kw("ON")?;
        let table = self.obj_name()?;
        self.skip_rest();
        Ok(Ddl::Index(table))
    }

    fn skip_rest(&mut self) {
        self.pos = self.tokens.len();
    }

    fn create_table(&mut self, or_replace: bool) -> Result<Ddl, ParseError> {
        let if_not_exists = self.eat_if_not_exists();
        let name = self.obj_name()?;
        if self.eat_kw("LIKE") {
            let like = self.obj_name()?;
            return Ok(Ddl::CreateTableLike {
                name,
                like,
                if_not_exists,
                or_replace,
            });
        }
        if self.is_punct('(') && self.is_kw_at(1, "LIKE") {
            self.pos += 2;
            let like = self.obj_name()?;
            self.expect_punct(')')?;
            return Ok(Ddl::CreateTableLike {
                name,
                like,
                if_not_exists,
                or_replace,
            });
        }
        self.expect_punct('(')?;
        let mut definition = TableDef::default();
        loop {
            self.create_element(&mut definition)?;
            if self.eat_punct(',') {
                continue;
            }
            self.expect_punct(')')?;
            break;
        }
        definition.options = self.table_options(false)?;
        // `CREATE TABLE … (…) [AS] SELECT …`: the binlog of a row-based server carries the
        // columns explicitly, so the query part adds nothing to the model.
        self.skip_rest();
        Ok(Ddl::CreateTable {
            name,
            if_not_exists,
            or_replace,
            definition,
        })
    }

    /// One element of a CREATE TABLE body: a column, a key, or a constraint.
    fn create_element(&mut self, def: &mut TableDef) -> Result<(), ParseError> {
        let quoted = matches!(self.kind_at(0), Some(TokenKind::Quoted(_)));
        if !quoted {
            if self.eat_kw("CONSTRAINT") {
                if !self.is_any_kw(&["PRIMARY", "UNIQUE", "FOREIGN", "CHECK"]) {
                    self.ident()?;
                }
                return self.key_element(def);
            }
            if self.is_any_kw(&[
                "PRIMARY", "KEY", "INDEX", "UNIQUE", "FULLTEXT", "SPATIAL", "FOREIGN", "CHECK",
            ]) || (self.is_kw("PERIOD") && self.is_kw_at(1, "FOR"))
            {
                return self.key_element(def);
            }
        }
        let column = self.column_def()?;
        if column.primary_key {
            def.primary_key = Some(vec![column.column.name.clone()]);
        }
        def.columns.push(column);
        Ok(())
    }

    fn key_element(&mut self, def: &mut TableDef) -> Result<(), ParseError> {
        if self.eat_kws(&["PRIMARY", "KEY"]) {
            def.primary_key = Some(self.key_parts()?);
        }
        self.skip_element()
    }

    /// After PRIMARY KEY: `[USING t] [name] (col[(n)] [ASC|DESC], …)`.
    fn key_parts(&mut self) -> Result<Vec<String>, ParseError> {
        if self.eat_kw("USING") {
            self.ident()?;
        }
        if !self.is_punct('(') {
            self.ident()?;
        }
        if self.eat_kw("USING") {
            self.ident()?;
        }
        self.expect_punct('(')?;
        let mut cols = Vec::new();
        loop {
            cols.push(self.ident()?);
            if self.is_punct('(') {
                self.balanced()?;
            }
            let _ = self.eat_kw("ASC") || self.eat_kw("DESC");
            if self.eat_punct(',') {
                continue;
            }
            self.expect_punct(')')?;
            return Ok(cols);
        }
    }

    /// Table (or database) options; stops at a top-level `,` when `in_alter`. Only the
    /// character set, collation and comment are kept; `PARTITION BY …` ends the options.
    fn table_options(&mut self, in_alter: bool) -> Result<TableOptions, ParseError> {
        let mut o = TableOptions::default();
        while !self.at_end() && !(in_alter && (self.is_punct(',') || self.is_punct(')'))) {
            if self.eat_kw("DEFAULT") {
                continue;
            }
            if self.eat_kw("CHARSET")
                || self.eat_kws(&["CHARACTER", "SET"])
                || self.eat_kws(&["CHAR", "SET"])
            {
                self.eat_punct('=');
                o.charset = Some(self.name_or_string()?);
            } else if self.eat_kw("COLLATE") {
                self.eat_punct('=');
                o.collation = Some(self.name_or_string()?);
            } else if self.eat_kw("COMMENT") {
                self.eat_punct('=');
                o.comment = Some(self.string()?);
            } else if self.is_kw("PARTITION") || self.is_kw("SELECT") || self.is_kw("AS") {
                if in_alter {
                    self.skip_element()?;
                } else {
                    self.skip_rest();
                }
            } else if self.is_punct('(') {
                self.balanced()?;
            } else if self.is_punct(')') {
                return Err(self.unexpected("a table option"));
            } else {
                self.pos += 1;
            }
        }
        Ok(o)
    }

    fn column_def(&mut self) -> Result<ColumnDef, ParseError> {
        let name = self.ident()?;
        let (data_type, serial) = self.data_type()?;
        let mut column = Column::new(name, data_type);
        let mut primary_key = false;
        if serial {
            column.nullable = false;
            column.auto_increment = true;
        }
        loop {
            if self.at_end()
                || self.is_punct(',')
                || self.is_punct(')')
                || self.is_kw("FIRST")
                || self.is_kw("AFTER")
            {
                break;
            }
            if self.eat_kws(&["NOT", "NULL"]) {
                column.nullable = false;
            } else if self.eat_kw("NULL") {
                column.nullable = true;
            } else if self.eat_kw("DEFAULT") {
                column.default = Some(self.default_value()?);
            } else if self.eat_kw("AUTO_INCREMENT") {
                column.auto_increment = true;
            } else if self.eat_kws(&["PRIMARY", "KEY"]) || self.eat_kw("KEY") {
                primary_key = true;
                column.nullable = false;
            } else if self.eat_kw("UNIQUE") {
                self.eat_kw("KEY");
            } else if self.eat_kw("COMMENT") {
                column.comment = Some(self.string()?);
            } else if self.eat_kw("CHARSET")
                || self.eat_kws(&["CHARACTER", "SET"])
                || self.eat_kws(&["CHAR", "SET"])
            {
                column.charset = Some(self.name_or_string()?);
            } else if self.eat_kw("COLLATE") {
                column.collation = Some(self.name_or_string()?);
            } else if self.eat_kw("BINARY") || self.eat_kw("BYTE") {
                // `CHAR(3) BINARY`: the binary collation of the column's charset; no change
                // to the value's type.
            } else if self.eat_kw("ASCII") {
                column.charset = Some("latin1".to_owned());
            } else if self.eat_kw("UNICODE") {
                column.charset = Some("ucs2".to_owned());
            } else if self.eat_kws(&["ON", "UPDATE"]) {
                self.default_value()?;
            } else if self.eat_kws(&["GENERATED", "ALWAYS", "AS"]) || self.eat_kw("AS") {
                if self.is_punct('(') {
                    self.balanced()?;
                } else {
                    // `GENERATED ALWAYS AS ROW START|END` (system-versioned tables).
                    self.eat_kw("ROW");
                    self.ident()?;
                }
                column.generated = true;
            } else if self.eat_kw("VIRTUAL") || self.eat_kw("STORED") || self.eat_kw("PERSISTENT") {
                column.generated = true;
            } else if self.eat_kw("INVISIBLE") || self.eat_kw("VISIBLE") {
            } else if self.eat_kw("COLUMN_FORMAT") || self.eat_kw("STORAGE") {
                self.ident()?;
            } else if self.eat_kw("REF_SYSTEM_ID") {
                self.eat_punct('=');
                self.default_value()?;
            } else if self.eat_kw("COMPRESSED") {
                if self.eat_punct('=') {
                    self.ident()?;
                }
            } else if self.eat_kws(&["WITH", "SYSTEM", "VERSIONING"])
                || self.eat_kws(&["WITHOUT", "SYSTEM", "VERSIONING"])
            {
            } else if self.eat_kw("CONSTRAINT") {
                // `CONSTRAINT [name] CHECK (…)`: the CHECK is read next.
                if !self.is_kw("CHECK") {
                    self.ident()?;
                }
                continue;
            } else if self.eat_kw("CHECK") {
                let check = self.balanced()?;
                // MariaDB's JSON is an alias: `SHOW CREATE TABLE` prints the column as
                // `longtext … CHECK (json_valid(`c`))`. Read back, it is still JSON, so a
                // captured schema maps it as the binlog's `JSON` DDL does.
                if column.data_type.name == "LONGTEXT" && is_json_valid_check(&check, &column.name)
                {
                    column.data_type.name = "JSON".to_owned();
                }
            } else if self.eat_kws(&["SERIAL", "DEFAULT", "VALUE"]) {
                column.nullable = false;
                column.auto_increment = true;
            } else if self.eat_kw("REFERENCES") {
                self.obj_name()?;
                if self.is_punct('(') {
                    self.balanced()?;
                }
                loop {
                    if self.eat_kw("MATCH") {
                        self.ident()?;
                    } else if self.eat_kw("ON") {
                        self.ident()?;
                        let _ = self.eat_kw("RESTRICT")
                            || self.eat_kw("CASCADE")
                            || self.eat_kws(&["SET", "NULL"])
                            || self.eat_kws(&["SET", "DEFAULT"])
                            || self.eat_kws(&["NO", "ACTION"]);
                    } else {
                        break;
                    }
                }
            } else {
                return Err(self.unexpected("a column attribute"));
            }
        }
        Ok(ColumnDef {
            column,
            primary_key,
        })
    }

    fn default_value(&mut self) -> Result<DefaultValue, ParseError> {
        let start = self
            .tokens
            .get(self.pos)
            .map(|t| t.start)
            .unwrap_or_default();
        match self.kind_at(0).cloned() {
            Some(TokenKind::Str(s)) => {
                self.pos += 1;
                Ok(DefaultValue::Literal(s))
            }
            Some(TokenKind::Number(n)) => {
                self.pos += 1;
                Ok(DefaultValue::Number(n))
            }
            Some(TokenKind::Punct(sign @ ('-' | '+'))) => match self.kind_at(1).cloned() {
                Some(TokenKind::Number(n)) => {
                    self.pos += 2;
                    Ok(DefaultValue::Number(if sign == '-' {
                        format!("-{n}")
                    } else {
                        n
                    }))
                }
                _ => Err(self.unexpected("a number")),
            },
            Some(TokenKind::Punct('(')) => Ok(DefaultValue::Expression(self.balanced()?)),
            Some(TokenKind::Word(w)) => {
                let upper = w.to_ascii_uppercase();
                // Charset introducers (`_utf8mb4'x'`, `N'x'`) and typed literals
                // (`DATE '2020-01-01'`).
                if let Some(TokenKind::Str(s)) = self.kind_at(1).cloned()
                    && (w.starts_with('_')
                        || matches!(upper.as_str(), "N" | "DATE" | "TIME" | "TIMESTAMP"))
                {
                    self.pos += 2;
                    return Ok(DefaultValue::Literal(s));
                }
                self.pos += 1;
                match upper.as_str() {
                    "NULL" => return Ok(DefaultValue::Null),
                    "TRUE" => return Ok(DefaultValue::Number("1".to_owned())),
                    "FALSE" => return Ok(DefaultValue::Number("0".to_owned())),
                    _ => {}
                }
                let mut end = self
                    .tokens
                    .get(self.pos - 1)
                    .map(|t| t.end)
                    .unwrap_or_default();
                if self.is_punct('(') {
                    self.balanced()?;
                    end = self.tokens.get(self.pos - 1).map(|t| t.end).unwrap_or(end);
                }
                Ok(DefaultValue::Expression(
                    self.sql.get(start..end).unwrap_or_default().to_owned(),
                ))
            }
            _ => Err(self.unexpected("a default value")),
        }
    }

    /// A data type; the flag says `SERIAL` (NOT NULL AUTO_INCREMENT UNIQUE implied).
    fn data_type(&mut self) -> Result<(ColumnType, bool), ParseError> {
        let word = match self.kind_at(0) {
            Some(TokenKind::Word(w)) => w.to_ascii_uppercase(),
            _ => return Err(self.unexpected("a data type")),
        };
        self.pos += 1;
        let mut serial = false;
        let name = match word.as_str() {
            "NATIONAL" => {
                let next = self.ident()?.to_ascii_uppercase();
                match next.as_str() {
                    "VARCHAR" | "VARCHARACTER" => "VARCHAR",
                    "CHAR" | "CHARACTER" if self.eat_kw("VARYING") => "VARCHAR",
                    "CHAR" | "CHARACTER" => "CHAR",
                    _ => return Err(self.unexpected("CHAR or VARCHAR")),
                }
            }
            "CHAR" | "CHARACTER" | "NCHAR" if self.eat_kw("VARYING") => "VARCHAR",
            "CHAR" | "CHARACTER" | "NCHAR" => "CHAR",
            "VARCHAR" | "VARCHARACTER" | "NVARCHAR" => "VARCHAR",
            "DOUBLE" => {
                self.eat_kw("PRECISION");
                "DOUBLE"
            }
            "LONG" if self.eat_kw("VARBINARY") => "MEDIUMBLOB",
            "LONG" => {
                let _ = self.eat_kw("VARCHAR") || self.eat_kw("VARCHARACTER");
                "MEDIUMTEXT"
            }
            "BIT" => "BIT",
            "BOOL" | "BOOLEAN" => "BOOLEAN",
            "TINYINT" | "INT1" => "TINYINT",
            "SMALLINT" | "INT2" => "SMALLINT",
            "MEDIUMINT" | "MIDDLEINT" | "INT3" => "MEDIUMINT",
            "INT" | "INTEGER" | "INT4" => "INT",
            "BIGINT" | "INT8" => "BIGINT",
            "SERIAL" => {
                serial = true;
                "BIGINT"
            }
            "DECIMAL" | "DEC" | "NUMERIC" | "FIXED" => "DECIMAL",
            "FLOAT" | "FLOAT4" => "FLOAT",
            "FLOAT8" | "REAL" => "DOUBLE",
            "DATE" => "DATE",
            "TIME" => "TIME",
            "DATETIME" => "DATETIME",
            "TIMESTAMP" => "TIMESTAMP",
            "YEAR" => "YEAR",
            "BINARY" => "BINARY",
            "VARBINARY" => "VARBINARY",
            "TINYBLOB" => "TINYBLOB",
            "BLOB" => "BLOB",
            "MEDIUMBLOB" => "MEDIUMBLOB",
            "LONGBLOB" => "LONGBLOB",
            "TINYTEXT" => "TINYTEXT",
            "TEXT" => "TEXT",
            "MEDIUMTEXT" => "MEDIUMTEXT",
            "LONGTEXT" => "LONGTEXT",
            "ENUM" => "ENUM",
            "SET" => "SET",
            "JSON" => "JSON",
            "GEOMETRY" | "POINT" | "LINESTRING" | "POLYGON" | "MULTIPOINT" | "MULTILINESTRING"
            | "MULTIPOLYGON" | "GEOMETRYCOLLECTION" | "INET4" | "INET6" | "UUID" => word.as_str(),
            "GEOMCOLLECTION" => "GEOMETRYCOLLECTION",
            _ => {
                self.pos -= 1;
                return Err(self.unexpected("a data type"));
            }
        };
        let mut t = ColumnType::named(name);
        if serial {
            t.unsigned = true;
        }
        if self.is_punct('(') {
            self.pos += 1;
            if matches!(name, "ENUM" | "SET") {
                loop {
                    t.values.push(self.string()?);
                    if !self.eat_punct(',') {
                        break;
                    }
                }
            } else {
                t.length = Some(self.number()?);
                if self.eat_punct(',') {
                    t.scale = Some(self.number()?);
                }
            }
            self.expect_punct(')')?;
        }
        loop {
            if self.eat_kw("UNSIGNED") {
                t.unsigned = true;
            } else if self.eat_kw("SIGNED") {
            } else if self.eat_kw("ZEROFILL") {
                t.zerofill = true;
                t.unsigned = true;
            } else {
                break;
            }
        }
        match t.name.as_str() {
            "DECIMAL" => {
                t.length = Some(t.length.unwrap_or(10));
                t.scale = Some(t.scale.unwrap_or(0));
            }
            // FLOAT(p): the precision only picks single or double (MySQL: p > 24 is DOUBLE).
            "FLOAT" if t.scale.is_none() => {
                if t.length.is_some_and(|p| p > 24) {
                    t.name = "DOUBLE".to_owned();
                }
                t.length = None;
            }
            // TEXT(n)/BLOB(n) pick the smallest type holding n; the length is not kept.
            "TEXT" | "BLOB" => t.length = None,
            _ => {}
        }
        Ok((t, serial))
    }

    fn number(&mut self) -> Result<u32, ParseError> {
        match self.kind_at(0) {
            Some(TokenKind::Number(n)) => match n.parse::<u32>() {
                Ok(v) => {
                    self.pos += 1;
                    Ok(v)
                }
                Err(_) => Err(self.unexpected("an unsigned 32-bit number")),
            },
            _ => Err(self.unexpected("a number")),
        }
    }

    fn position(&mut self) -> Result<ColumnPosition, ParseError> {
        if self.eat_kw("FIRST") {
            Ok(ColumnPosition::First)
        } else if self.eat_kw("AFTER") {
            Ok(ColumnPosition::After(self.ident()?))
        } else {
            Ok(ColumnPosition::Default)
        }
    }

    fn alter(&mut self) -> Result<Ddl, ParseError> {
        loop {
            if !(self.eat_kw("ONLINE") || self.eat_kw("OFFLINE") || self.eat_kw("IGNORE")) {
                break;
            }
        }
        self.skip_definer()?;
        if self.eat_kw("TABLE") {
            let if_exists = self.eat_if_exists();
            let name = self.obj_name()?;
            self.eat_wait();
            let mut ops = Vec::new();
            while !self.at_end() {
                ops.push(self.alter_op()?);
                if !self.eat_punct(',') {
                    break;
                }
            }
            return Ok(Ddl::AlterTable {
                name,
                if_exists,
                ops,
            });
        }
        if self.eat_kw("DATABASE") || self.eat_kw("SCHEMA") {
            let name = if self.is_any_kw(&["DEFAULT", "CHARACTER", "CHARSET", "COLLATE", "COMMENT"])
            {
                None
            } else {
                Some(self.ident()?)
            };
            if self.is_kw("UPGRADE") {
                return Ok(Ddl::Ignored);
            }
            let options = self.table_options(false)?;
            return Ok(Ddl::AlterDatabase {
                name,
                charset: options
                    .charset
                    .or_else(|| options.collation.as_deref().map(charset_of_collation)),
            });
        }
        if self.object_is_ignored() {
            return Ok(Ddl::Ignored);
        }
        Err(self.unexpected("TABLE, DATABASE or another object type"))
    }

    fn alter_op(&mut self) -> Result<AlterOp, ParseError> {
        if self.eat_kw("ADD") {
            if self.eat_kw("CONSTRAINT")
                && !self.is_any_kw(&["PRIMARY", "UNIQUE", "FOREIGN", "CHECK"])
            {
                self.ident()?;
            }
            if self.eat_kws(&["PRIMARY", "KEY"]) {
                let cols = self.key_parts()?;
                self.skip_element()?;
                return Ok(AlterOp::AddPrimaryKey(cols));
            }
            let is_column = self.eat_kw("COLUMN");
            if !is_column
                && self.is_any_kw(&[
                    "INDEX",
                    "KEY",
                    "UNIQUE",
                    "FULLTEXT",
                    "SPATIAL",
                    "FOREIGN",
                    "CHECK",
                    "PARTITION",
                    "PERIOD",
                    "SYSTEM",
                    "CONSTRAINT",
                ])
            {
                self.skip_element()?;
                return Ok(AlterOp::Other);
            }
            let if_not_exists = self.eat_if_not_exists();
            if self.eat_punct('(') {
                let mut columns = Vec::new();
                loop {
                    if !is_column
                        && self.is_any_kw(&[
                            "INDEX",
                            "KEY",
                            "UNIQUE",
                            "FULLTEXT",
                            "SPATIAL",
                            "FOREIGN",
                            "CHECK",
                            "PRIMARY",
                            "CONSTRAINT",
                        ])
                    {
                        // `ADD (c1 INT, INDEX (c1))`: the primary key, if any, is applied as
                        // its own operation.
                        self.skip_element()?;
                    } else {
                        columns.push(self.column_def()?);
                    }
                    if !self.eat_punct(',') {
                        break;
                    }
                }
                self.expect_punct(')')?;
                return Ok(AlterOp::AddColumns {
                    columns,
                    position: ColumnPosition::Default,
                    if_not_exists,
                });
            }
            let column = self.column_def()?;
            let position = self.position()?;
            return Ok(AlterOp::AddColumns {
                columns: vec![column],
                position,
                if_not_exists,
            });
        }
        if self.eat_kw("DROP") {
            if self.eat_kws(&["PRIMARY", "KEY"]) {
                return Ok(AlterOp::DropPrimaryKey);
            }
            let is_column = self.eat_kw("COLUMN");
            if !is_column
                && self.is_any_kw(&[
                    "INDEX",
                    "KEY",
                    "FOREIGN",
                    "CONSTRAINT",
                    "CHECK",
                    "PARTITION",
                    "PERIOD",
                    "SYSTEM",
                ])
            {
                self.skip_element()?;
                return Ok(AlterOp::Other);
            }
            let if_exists = self.eat_if_exists();
            let name = self.ident()?;
            let _ = self.eat_kw("RESTRICT") || self.eat_kw("CASCADE");
            return Ok(AlterOp::DropColumn { name, if_exists });
        }
        if self.eat_kw("MODIFY") {
            self.eat_kw("COLUMN");
            let if_exists = self.eat_if_exists();
            let column = self.column_def()?;
            let position = self.position()?;
            return Ok(AlterOp::ModifyColumn {
                column,
                position,
                if_exists,
            });
        }
        if self.eat_kw("CHANGE") {
            self.eat_kw("COLUMN");
            let if_exists = self.eat_if_exists();
            let old = self.ident()?;
            let column = self.column_def()?;
            let position = self.position()?;
            return Ok(AlterOp::ChangeColumn {
                old,
                column,
                position,
                if_exists,
            });
        }
        if self.eat_kw("RENAME") {
            if self.eat_kw("COLUMN") {
                let old = self.ident()?;
                self.expect_kw("TO")?;
                let new = self.ident()?;
                return Ok(AlterOp::RenameColumn { old, new });
            }
            if self.eat_kw("INDEX") || self.eat_kw("KEY") {
                self.skip_element()?;
                return Ok(AlterOp::Other);
            }
            let _ = self.eat_kw("TO") || self.eat_kw("AS");
            return Ok(AlterOp::RenameTable(self.obj_name()?));
        }
        if self.is_kw("ALTER")
            && !self.is_kw_at(1, "INDEX")
            && !self.is_kw_at(1, "KEY")
            && !self.is_kw_at(1, "CHECK")
        {
            self.pos += 1;
            self.eat_kw("COLUMN");
            self.eat_if_exists();
            let name = self.ident()?;
            if self.eat_kws(&["SET", "DEFAULT"]) {
                let default = Some(self.default_value()?);
                return Ok(AlterOp::SetDefault { name, default });
            }
            if self.eat_kws(&["DROP", "DEFAULT"]) {
                return Ok(AlterOp::SetDefault {
                    name,
                    default: None,
                });
            }
            self.skip_element()?;
            return Ok(AlterOp::Other);
        }
        if self.eat_kws(&["CONVERT", "TO"]) {
            let _ = self.eat_kw("CHARSET")
                || self.eat_kws(&["CHARACTER", "SET"])
                || self.eat_kws(&["CHAR", "SET"]);
            let charset = if self.eat_kw("DEFAULT") {
                None
            } else {
                Some(self.name_or_string()?)
            };
            let collation = if self.eat_kw("COLLATE") {
                Some(self.name_or_string()?)
            } else {
                None
            };
            return Ok(AlterOp::ConvertCharset { charset, collation });
        }
        if !self.is_any_kw(ALTER_OTHER_OPS) {
            return Err(self.unexpected("an ALTER TABLE operation"));
        }
        let options = self.table_options(true)?;
        if options == TableOptions::default() {
            Ok(AlterOp::Other)
        } else {
            Ok(AlterOp::Options(options))
        }
    }

    fn drop(&mut self) -> Result<Ddl, ParseError> {
        if self.eat_kw("TEMPORARY") {
            return Ok(Ddl::Ignored);
        }
        if self.eat_kw("TABLE") || self.eat_kw("TABLES") {
            self.eat_if_exists();
            let mut names = Vec::new();
            loop {
                names.push(self.obj_name()?);
                if !self.eat_punct(',') {
                    break;
                }
            }
            self.eat_wait();
            let _ = self.eat_kw("RESTRICT") || self.eat_kw("CASCADE");
            return Ok(Ddl::DropTables { names });
        }
        if self.eat_kw("DATABASE") || self.eat_kw("SCHEMA") {
            self.eat_if_exists();
            return Ok(Ddl::DropDatabase {
                name: self.ident()?,
            });
        }
        if self.eat_kw("INDEX") {
            self.eat_if_exists();
            self.ident()?;
            self.expect_kw("ON")?;
            let table = self.obj_name()?;
            self.skip_rest();
            return Ok(Ddl::Index(table));
        }
        if self.object_is_ignored() {
            return Ok(Ddl::Ignored);
        }
        Err(self.unexpected("TABLE, DATABASE, INDEX or another object type"))
    }

    fn rename(&mut self) -> Result<Ddl, ParseError> {
        if self.eat_kw("USER") {
            return Ok(Ddl::Ignored);
        }
        if !(self.eat_kw("TABLE") || self.eat_kw("TABLES")) {
            return Err(self.unexpected("TABLE"));
        }
        self.eat_if_exists();
        let mut pairs = Vec::new();
        loop {
            let from = self.obj_name()?;
            self.eat_wait();
            self.expect_kw("TO")?;
            let to = self.obj_name()?;
            pairs.push((from, to));
            if !self.eat_punct(',') {
                break;
            }
        }
        Ok(Ddl::RenameTables(pairs))
    }
}

/// Whether a column CHECK is MariaDB's `json_valid(`column`)`.
fn is_json_valid_check(check: &str, column: &str) -> bool {
    let compact: String = check
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '`')
        .collect::<String>()
        .to_lowercase();
    compact == format!("json_valid({})", column.to_lowercase())
}

/// The character set a collation belongs to: its name up to the first `_` (`binary` is its
/// own).
pub(crate) fn charset_of_collation(collation: &str) -> String {
    collation.split('_').next().unwrap_or(collation).to_owned()
}

/// Every identifier-like token of a statement (words, backquoted names, and `a.b` pairs),
/// for the conservative "does this unparseable statement touch a captured table" check. If
/// the statement cannot even be tokenized, the raw text split on non-identifier characters is
/// used, so a broken quote cannot hide a name.
pub(crate) fn mentioned_names(sql: &str) -> Vec<(Option<String>, String)> {
    match tokenize(sql) {
        Ok(tokens) => {
            let mut names = Vec::new();
            let mut prev_ident: Option<String> = None;
            let mut dot = false;
            for t in tokens {
                match t.kind {
                    TokenKind::Word(w) | TokenKind::Quoted(w) | TokenKind::Str(w) => {
                        if dot && let Some(db) = prev_ident.take() {
                            names.push((Some(db), w.clone()));
                        }
                        names.push((None, w.clone()));
                        prev_ident = Some(w);
                        dot = false;
                    }
                    TokenKind::Punct('.') => dot = prev_ident.is_some(),
                    _ => {
                        prev_ident = None;
                        dot = false;
                    }
                }
            }
            names
        }
        Err(_) => sql
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$' || !c.is_ascii()))
            .filter(|w| !w.is_empty())
            .map(|w| (None, w.to_owned()))
            .collect(),
    }
}
