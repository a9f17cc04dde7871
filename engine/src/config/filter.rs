//! Which tables a connector captures: Debezium's include/exclude lists.
//!
//! Each list is comma-separated regular expressions matched against the whole name (anchored
//! at both ends, as Java's `Pattern.matches`): `<schema>.<table>` for PostgreSQL,
//! `<database>.<table>` for MySQL/MariaDB; the namespace lists match the schema or database
//! alone. An include list and the matching exclude list are mutually exclusive, as in
//! Debezium. Without an include list, system namespaces are left out.

use regex::Regex;

use super::ConfigError;

/// Namespaces never captured unless explicitly included.
const POSTGRES_SYSTEM: &[&str] = &["pg_catalog", "information_schema", "pg_toast"];
const MYSQL_SYSTEM: &[&str] = &["mysql", "sys", "performance_schema", "information_schema"];

/// The compiled table filter.
#[derive(Debug, Clone, Default)]
pub struct TableFilter {
    namespace_include: Vec<Regex>,
    namespace_exclude: Vec<Regex>,
    table_include: Vec<Regex>,
    table_exclude: Vec<Regex>,
    system: &'static [&'static str],
}

impl TableFilter {
    /// Builds the filter from the four lists (`*.include.list`/`*.exclude.list` values,
    /// `None` when unset). `namespace_key` is `schema` or `database` for error messages.
    pub fn new(
        binlog: bool,
        namespace_include: Option<&str>,
        namespace_exclude: Option<&str>,
        table_include: Option<&str>,
        table_exclude: Option<&str>,
    ) -> Result<Self, ConfigError> {
        let ns = if binlog { "database" } else { "schema" };
        let ns_include_key = if binlog {
            "database.include.list"
        } else {
            "schema.include.list"
        };
        let ns_exclude_key = if binlog {
            "database.exclude.list"
        } else {
            "schema.exclude.list"
        };
        if namespace_include.is_some() && namespace_exclude.is_some() {
            return Err(ConfigError::Conflict {
                keys: if binlog {
                    "database.include.list, database.exclude.list"
                } else {
                    "schema.include.list, schema.exclude.list"
                },
                detail: format!("set either the {ns} include list or the exclude list, not both"),
            });
        }
        if table_include.is_some() && table_exclude.is_some() {
            return Err(ConfigError::Conflict {
                keys: "table.include.list, table.exclude.list",
                detail: "set either the table include list or the exclude list, not both".into(),
            });
        }
        Ok(Self {
            namespace_include: compile(ns_include_key, namespace_include)?,
            namespace_exclude: compile(ns_exclude_key, namespace_exclude)?,
            table_include: compile("table.include.list", table_include)?,
            table_exclude: compile("table.exclude.list", table_exclude)?,
            system: if binlog {
                MYSQL_SYSTEM
            } else {
                POSTGRES_SYSTEM
            },
        })
    }

    /// Whether `<namespace>.<table>` is captured.
    pub fn captures(&self, namespace: &str, table: &str) -> bool {
        if !self.namespace_include.is_empty() {
            if !self.namespace_include.iter().any(|r| r.is_match(namespace)) {
                return false;
            }
        } else if self.system.contains(&namespace)
            || self.namespace_exclude.iter().any(|r| r.is_match(namespace))
        {
            return false;
        }
        let full = format!("{namespace}.{table}");
        if !self.table_include.is_empty() {
            return self.table_include.iter().any(|r| r.is_match(&full));
        }
        !self.table_exclude.iter().any(|r| r.is_match(&full))
    }
}

/// Compiles a comma-separated list of anchored regular expressions.
fn compile(key: &'static str, list: Option<&str>) -> Result<Vec<Regex>, ConfigError> {
    let Some(list) = list else {
        return Ok(Vec::new());
    };
    list.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pattern| {
            Regex::new(&format!("^(?:{pattern})$")).map_err(|e| ConfigError::Invalid {
                key,
                value: list.to_owned(),
                allowed: format!("comma-separated regular expressions ({e})"),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_lists_are_anchored_regexes() {
        let f =
            TableFilter::new(false, None, None, Some("public.cust.*, inv\\.orders"), None).unwrap();
        assert!(f.captures("public", "customers"));
        assert!(f.captures("inv", "orders"));
        assert!(!f.captures("public", "orders"));
        assert!(!f.captures("xpublic", "customers"));
    }

    #[test]
    fn system_namespaces_are_excluded_by_default() {
        let f = TableFilter::new(true, None, None, None, Some("shop\\.audit")).unwrap();
        assert!(f.captures("shop", "orders"));
        assert!(!f.captures("shop", "audit"));
        assert!(!f.captures("mysql", "user"));
        let f = TableFilter::new(true, Some("mysql"), None, None, None).unwrap();
        assert!(f.captures("mysql", "user"));
        assert!(!f.captures("shop", "orders"));
    }

    #[test]
    fn both_lists_or_a_bad_regex_are_errors_naming_the_key() {
        let err = TableFilter::new(false, None, None, Some("a"), Some("b")).unwrap_err();
        assert!(err.to_string().contains("table.include.list"), "{err}");
        let err = TableFilter::new(false, Some("("), None, None, None).unwrap_err();
        assert!(err.to_string().contains("schema.include.list"), "{err}");
    }
}
