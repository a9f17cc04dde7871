//! Debezium's column options: which columns reach the value (`column.include.list` /
//! `column.exclude.list`), which character columns are masked (`column.mask.with.<N>.chars`)
//! or truncated (`column.truncate.to.<N>.chars`). (`column.propagate.source.type` and
//! `datatype.propagate.source.type` are not built yet; they are warned about as unknown.)
//!
//! Columns are named `<schema>.<table>.<column>` (PostgreSQL) or `<database>.<table>.<column>`
//! (MySQL/MariaDB) and matched by anchored regular expressions, as Debezium's lists are.
//! The policy is applied when a table's schema is built, so excluded or masked values are
//! never converted into a record: they cannot reach Kafka, a log line or an error message.
//!
//! `column.mask.hash.*` (Debezium's salted hashes) is refused rather than ignored: a user
//! who asked for a column to be hidden must not get it in clear because an option is missing.

use regex::Regex;

use crate::options::OptionsError;

/// What happens to a captured column's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueRule {
    /// Replaced by this many `*`, NULL included (as Debezium's `MaskStrings`).
    Mask(usize),
    /// Cut to at most this many characters.
    Truncate(usize),
}

/// The parsed column options.
#[derive(Debug, Clone, Default)]
pub struct ColumnPolicy {
    include: Vec<Regex>,
    exclude: Vec<Regex>,
    masks: Vec<(Vec<Regex>, usize)>,
    truncations: Vec<(Vec<Regex>, usize)>,
}

impl ColumnPolicy {
    /// Whether `key` is one of the options read here (including the `<N>` families).
    pub fn is_column_option(key: &str) -> bool {
        matches!(key, "column.include.list" | "column.exclude.list")
            || key.starts_with("column.mask.")
            || key.starts_with("column.truncate.to.")
    }

    /// Reads the options from `(key, value)` pairs (others are ignored).
    pub fn from_properties<'a>(
        properties: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, OptionsError> {
        let mut policy = Self::default();
        for (key, value) in properties {
            match key {
                "column.include.list" => policy.include = regexes("column.include.list", value)?,
                "column.exclude.list" => policy.exclude = regexes("column.exclude.list", value)?,
                _ if key.starts_with("column.mask.hash.") => {
                    return Err(OptionsError::new(
                        "column.mask.hash.<algorithm>.with.salt.<salt>",
                        key,
                        "not supported yet: use column.mask.with.<N>.chars to hide the \
                         column, or column.exclude.list to leave it out",
                    ));
                }
                _ if key.starts_with("column.mask.with.") => {
                    let n = count(
                        key,
                        "column.mask.with.",
                        ".chars",
                        "column.mask.with.<N>.chars",
                    )?;
                    policy
                        .masks
                        .push((regexes("column.mask.with.<N>.chars", value)?, n));
                }
                _ if key.starts_with("column.truncate.to.") => {
                    let n = count(
                        key,
                        "column.truncate.to.",
                        ".chars",
                        "column.truncate.to.<N>.chars",
                    )?;
                    policy
                        .truncations
                        .push((regexes("column.truncate.to.<N>.chars", value)?, n));
                }
                _ if key.starts_with("column.mask.") => {
                    return Err(OptionsError::new(
                        "column.mask.with.<N>.chars",
                        key,
                        "column.mask.with.<N>.chars, e.g. column.mask.with.8.chars",
                    ));
                }
                _ => {}
            }
        }
        if !policy.include.is_empty() && !policy.exclude.is_empty() {
            return Err(OptionsError::new(
                "column.include.list",
                "(set together with column.exclude.list)",
                "one of column.include.list and column.exclude.list, not both",
            ));
        }
        Ok(policy)
    }

    /// Whether the column (`namespace.table.column`) belongs in the value.
    pub fn captures(&self, full_name: &str) -> bool {
        if !self.include.is_empty() {
            return self.include.iter().any(|r| r.is_match(full_name));
        }
        !self.exclude.iter().any(|r| r.is_match(full_name))
    }

    /// The mask or truncation for the column; a mask wins over a truncation.
    pub fn value_rule(&self, full_name: &str) -> Option<ValueRule> {
        let find = |rules: &[(Vec<Regex>, usize)]| {
            rules
                .iter()
                .find(|(patterns, _)| patterns.iter().any(|r| r.is_match(full_name)))
                .map(|(_, n)| *n)
        };
        find(&self.masks)
            .map(ValueRule::Mask)
            .or_else(|| find(&self.truncations).map(ValueRule::Truncate))
    }
}

/// `<prefix><N><suffix>` → N (≥ 1).
fn count(
    key: &str,
    prefix: &str,
    suffix: &str,
    property: &'static str,
) -> Result<usize, OptionsError> {
    key.strip_prefix(prefix)
        .and_then(|rest| rest.strip_suffix(suffix))
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| OptionsError::new(property, key, format!("{prefix}<N>{suffix} with N ≥ 1")))
}

fn regexes(property: &'static str, list: &str) -> Result<Vec<Regex>, OptionsError> {
    list.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pattern| {
            Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
                OptionsError::new(
                    property,
                    list,
                    format!("comma-separated regular expressions of full column names ({e})"),
                )
            })
        })
        .collect()
}

/// Applies `rule` to a string value.
pub fn apply_to_str(rule: ValueRule, text: &str) -> std::borrow::Cow<'_, str> {
    match rule {
        ValueRule::Mask(n) => std::borrow::Cow::Owned("*".repeat(n)),
        ValueRule::Truncate(n) => match text.char_indices().nth(n) {
            Some((cut, _)) => std::borrow::Cow::Borrowed(&text[..cut]),
            None => std::borrow::Cow::Borrowed(text),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(pairs: &[(&str, &str)]) -> Result<ColumnPolicy, OptionsError> {
        ColumnPolicy::from_properties(pairs.iter().copied())
    }

    #[test]
    fn exclude_and_include_lists_match_full_column_names() {
        let p = policy(&[(
            "column.exclude.list",
            "public.customers.ssn, .*\\.secret_.*",
        )])
        .unwrap();
        assert!(!p.captures("public.customers.ssn"));
        assert!(!p.captures("shop.orders.secret_note"));
        assert!(p.captures("public.customers.name"));
        assert!(
            p.captures("public.customers.ssn_hint"),
            "anchored: a prefix is not a match"
        );
        let p = policy(&[("column.include.list", "public.customers.(id|name)")]).unwrap();
        assert!(p.captures("public.customers.id"));
        assert!(!p.captures("public.customers.email"));
        let both = policy(&[
            ("column.include.list", "a.b.c"),
            ("column.exclude.list", "a.b.d"),
        ]);
        assert!(
            both.unwrap_err()
                .to_string()
                .contains("column.exclude.list")
        );
    }

    #[test]
    fn masks_and_truncations_name_their_length_in_the_key() {
        let p = policy(&[
            ("column.mask.with.6.chars", "public.customers.card"),
            ("column.truncate.to.3.chars", "public.customers.(card|name)"),
        ])
        .unwrap();
        assert_eq!(
            p.value_rule("public.customers.card"),
            Some(ValueRule::Mask(6))
        );
        assert_eq!(
            p.value_rule("public.customers.name"),
            Some(ValueRule::Truncate(3))
        );
        assert_eq!(p.value_rule("public.customers.id"), None);
        assert_eq!(apply_to_str(ValueRule::Mask(6), "4111-1111"), "******");
        assert_eq!(apply_to_str(ValueRule::Truncate(3), "Zoë Ada"), "Zoë");
        assert_eq!(apply_to_str(ValueRule::Truncate(3), "Al"), "Al");
        for bad in [
            "column.mask.with.0.chars",
            "column.mask.with.x.chars",
            "column.truncate.to.5",
        ] {
            assert!(policy(&[(bad, "a.b.c")]).is_err(), "{bad}");
        }
    }

    #[test]
    fn hashed_masks_are_refused_rather_than_ignored() {
        let err = policy(&[("column.mask.hash.SHA-256.with.salt.pepper", "a.b.c")]).unwrap_err();
        assert!(err.to_string().contains("not supported"), "{err}");
    }
}
