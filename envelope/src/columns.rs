//! Debezium's column options: which columns reach the value (`column.include.list` /
//! `column.exclude.list`), which character columns are masked (`column.mask.with.<N>.chars`)
//! or truncated (`column.truncate.to.<N>.chars`), and which carry their source type in the
//! field schema (`column.propagate.source.type`, `datatype.propagate.source.type`: the
//! `__debezium.source.column.type|length|scale` parameters).
//!
//! Columns are named `<schema>.<table>.<column>` (PostgreSQL) or `<database>.<table>.<column>`
//! (MySQL/MariaDB) and matched by anchored regular expressions, as Debezium's lists are.
//! The policy is applied when a table's schema is built, so excluded or masked values are
//! never converted into a record: they cannot reach Kafka, a log line or an error message.
//!
//! `column.mask.hash.<algorithm>.with.salt.<salt>` (and its `v2` form) hashes the value as
//! Debezium's `MaskStrings` does, byte for byte: the digest of the salt followed by the
//! value's Java serialization (`v1`, the default) or its UTF-8 bytes (`v2`), in lowercase hex,
//! cut to the column's declared length.

use regex::Regex;

use crate::options::OptionsError;

/// What happens to a captured column's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueRule {
    /// Replaced by this many `*`, NULL included (as Debezium's `MaskStrings`).
    Mask(usize),
    /// Cut to at most this many characters.
    Truncate(usize),
    /// Replaced by a salted hash (NULL stays NULL: Debezium hashes only values).
    Hash(HashMask),
}

/// `column.mask.hash[.v2].<algorithm>.with.salt.<salt>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashMask {
    algorithm: HashAlgorithm,
    salt: Box<[u8]>,
    /// `v2`: the value's UTF-8 bytes; `v1`: its Java serialization.
    v2: bool,
}

/// The digests accepted, by their Java `MessageDigest` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HashAlgorithm {
    Md5,
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlgorithm {
    fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().as_str() {
            "MD5" => Some(Self::Md5),
            "SHA-1" | "SHA1" | "SHA" => Some(Self::Sha1),
            "SHA-256" | "SHA256" => Some(Self::Sha256),
            "SHA-384" | "SHA384" => Some(Self::Sha384),
            "SHA-512" | "SHA512" => Some(Self::Sha512),
            _ => None,
        }
    }
}

impl HashMask {
    /// The hash of `text` in lowercase hex, cut to `max_chars` when the column declares a
    /// length.
    pub fn apply(&self, text: &str, max_chars: Option<usize>) -> String {
        use sha2::Digest as _;
        let mut data = Vec::with_capacity(text.len() + 8);
        if self.v2 {
            data.extend_from_slice(text.as_bytes());
        } else {
            java_serialized_string(text, &mut data);
        }
        let digest: Vec<u8> = match self.algorithm {
            HashAlgorithm::Md5 => md5::Md5::new()
                .chain_update(&self.salt)
                .chain_update(&data)
                .finalize()
                .to_vec(),
            HashAlgorithm::Sha1 => sha1::Sha1::new()
                .chain_update(&self.salt)
                .chain_update(&data)
                .finalize()
                .to_vec(),
            HashAlgorithm::Sha256 => sha2::Sha256::new()
                .chain_update(&self.salt)
                .chain_update(&data)
                .finalize()
                .to_vec(),
            HashAlgorithm::Sha384 => sha2::Sha384::new()
                .chain_update(&self.salt)
                .chain_update(&data)
                .finalize()
                .to_vec(),
            HashAlgorithm::Sha512 => sha2::Sha512::new()
                .chain_update(&self.salt)
                .chain_update(&data)
                .finalize()
                .to_vec(),
        };
        let mut hex = String::with_capacity(digest.len() * 2);
        for byte in digest {
            hex.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
            hex.push(char::from(b"0123456789abcdef"[usize::from(byte & 15)]));
        }
        if let Some(max) = max_chars.filter(|m| *m > 0) {
            hex.truncate(max);
        }
        hex
    }
}

/// What `ObjectOutputStream.writeObject(String)` writes: the stream header, then
/// `TC_STRING` with a 16-bit length (or `TC_LONGSTRING` with a 64-bit one) and the text in
/// Java's modified UTF-8 (NUL as two bytes, characters beyond the BMP as surrogate pairs).
fn java_serialized_string(text: &str, out: &mut Vec<u8>) {
    let mut modified = Vec::with_capacity(text.len());
    for unit in text.encode_utf16() {
        match unit {
            0x0001..=0x007f => modified.push(unit as u8),
            0x0000 | 0x0080..=0x07ff => {
                modified.push(0xc0 | (unit >> 6) as u8);
                modified.push(0x80 | (unit & 0x3f) as u8);
            }
            _ => {
                modified.push(0xe0 | (unit >> 12) as u8);
                modified.push(0x80 | ((unit >> 6) & 0x3f) as u8);
                modified.push(0x80 | (unit & 0x3f) as u8);
            }
        }
    }
    out.extend_from_slice(&[0xac, 0xed, 0x00, 0x05]);
    match u16::try_from(modified.len()) {
        Ok(len) => {
            out.push(0x74);
            out.extend_from_slice(&len.to_be_bytes());
        }
        Err(_) => {
            out.push(0x7c);
            out.extend_from_slice(&(modified.len() as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&modified);
}

/// The parsed column options.
#[derive(Debug, Clone, Default)]
pub struct ColumnPolicy {
    include: Vec<Regex>,
    exclude: Vec<Regex>,
    masks: Vec<(Vec<Regex>, usize)>,
    truncations: Vec<(Vec<Regex>, usize)>,
    hashes: Vec<(Vec<Regex>, HashMask)>,
    propagate_columns: Vec<Regex>,
    propagate_types: Vec<Regex>,
}

impl ColumnPolicy {
    /// Whether `key` is one of the options read here (including the `<N>` families).
    pub fn is_column_option(key: &str) -> bool {
        matches!(
            key,
            "column.include.list"
                | "column.exclude.list"
                | "column.propagate.source.type"
                | "datatype.propagate.source.type"
        ) || key.starts_with("column.mask.")
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
                "column.propagate.source.type" => {
                    policy.propagate_columns =
                        insensitive_regexes("column.propagate.source.type", value)?;
                }
                "datatype.propagate.source.type" => {
                    policy.propagate_types =
                        insensitive_regexes("datatype.propagate.source.type", value)?;
                }
                _ if key.starts_with("column.mask.hash.") => {
                    let hash = hash_mask(key)?;
                    policy.hashes.push((
                        regexes("column.mask.hash.<algorithm>.with.salt.<salt>", value)?,
                        hash,
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

    /// The mask, hash or truncation for the column, in that order of precedence.
    pub fn value_rule(&self, full_name: &str) -> Option<ValueRule> {
        let matches = |patterns: &[Regex]| patterns.iter().any(|r| r.is_match(full_name));
        let find = |rules: &[(Vec<Regex>, usize)]| {
            rules
                .iter()
                .find(|(patterns, _)| matches(patterns))
                .map(|(_, n)| *n)
        };
        find(&self.masks)
            .map(ValueRule::Mask)
            .or_else(|| {
                self.hashes
                    .iter()
                    .find(|(patterns, _)| matches(patterns))
                    .map(|(_, h)| ValueRule::Hash(h.clone()))
            })
            .or_else(|| find(&self.truncations).map(ValueRule::Truncate))
    }
}

impl ColumnPolicy {
    /// Whether the column's field schema carries its source type: the column
    /// (`<namespace>.<table>.<column>`) is named by `column.propagate.source.type`, or its
    /// type (`<namespace>.<table>.<TYPE>`) by `datatype.propagate.source.type`. Both match
    /// case-insensitively, as Debezium's lists do.
    pub fn propagates(&self, full_column: &str, data_collection: &str, type_name: &str) -> bool {
        self.propagate_columns
            .iter()
            .any(|r| r.is_match(full_column))
            || (!self.propagate_types.is_empty() && {
                let full_type = format!("{data_collection}.{type_name}");
                self.propagate_types.iter().any(|r| r.is_match(&full_type))
            })
    }
}

fn insensitive_regexes(property: &'static str, list: &str) -> Result<Vec<Regex>, OptionsError> {
    let patterns: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("(?i:{p})"))
        .collect();
    regexes(property, &patterns.join(","))
}

/// `column.mask.hash[.v2].<algorithm>.with.salt.<salt>`.
fn hash_mask(key: &str) -> Result<HashMask, OptionsError> {
    let property = "column.mask.hash.<algorithm>.with.salt.<salt>";
    let invalid = || {
        OptionsError::new(
            property,
            key,
            "column.mask.hash.<algorithm>.with.salt.<salt> or column.mask.hash.v2.<algorithm>.with.salt.<salt>, \
             <algorithm> one of MD5, SHA-1, SHA-256, SHA-384, SHA-512",
        )
    };
    let rest = key.strip_prefix("column.mask.hash.").ok_or_else(invalid)?;
    let (v2, rest) = match rest.strip_prefix("v2.") {
        Some(rest) => (true, rest),
        None => (false, rest.strip_prefix("v1.").unwrap_or(rest)),
    };
    let (algorithm, salt) = rest.split_once(".with.salt.").ok_or_else(invalid)?;
    let algorithm = HashAlgorithm::parse(algorithm).ok_or_else(invalid)?;
    Ok(HashMask {
        algorithm,
        salt: salt.as_bytes().into(),
        v2,
    })
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

/// Applies `rule` to a string value; `max_chars` is the column's declared length (hashes
/// are cut to it, as Debezium does).
pub fn apply_to_str<'t>(
    rule: &ValueRule,
    text: &'t str,
    max_chars: Option<usize>,
) -> std::borrow::Cow<'t, str> {
    match *rule {
        ValueRule::Mask(n) => std::borrow::Cow::Owned("*".repeat(n)),
        ValueRule::Hash(ref hash) => std::borrow::Cow::Owned(hash.apply(text, max_chars)),
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
        assert_eq!(
            apply_to_str(&ValueRule::Mask(6), "4111-1111", None),
            "******"
        );
        assert_eq!(
            apply_to_str(&ValueRule::Truncate(3), "Zoë Ada", None),
            "Zoë"
        );
        assert_eq!(apply_to_str(&ValueRule::Truncate(3), "Al", None), "Al");
        for bad in [
            "column.mask.with.0.chars",
            "column.mask.with.x.chars",
            "column.truncate.to.5",
        ] {
            assert!(policy(&[(bad, "a.b.c")]).is_err(), "{bad}");
        }
    }

    /// Expected digests computed independently (Python's hashlib over the salt and the bytes
    /// Java's `ObjectOutputStream` writes for the string: `AC ED 00 05 74 <u16 len> <utf-8>`).
    #[test]
    fn hashes_match_debeziums_v1_and_v2_byte_for_byte() {
        let rule = |key: &str| {
            policy(&[(key, "a.b.card")])
                .unwrap()
                .value_rule("a.b.card")
                .unwrap()
        };
        let hashed = |key: &str, max| apply_to_str(&rule(key), "4111-1111", max).into_owned();
        assert_eq!(
            hashed("column.mask.hash.SHA-256.with.salt.pepper", None),
            "4a1b86cf52c1065e8f76dc76c652c77257d6134f00b88b955d0352c9d9464312"
        );
        assert_eq!(
            hashed("column.mask.hash.v2.SHA-256.with.salt.pepper", None),
            "10524a1f23451241ecfaa4c52de1357a1c69cf6fa9f52b812693cb2dbc6a67a0"
        );
        assert_eq!(
            hashed("column.mask.hash.MD5.with.salt.pepper", None),
            "f84ebfdad881f0264737072cd8879de6"
        );
        assert_eq!(
            hashed("column.mask.hash.v2.MD5.with.salt.pepper", Some(10)),
            "2fef771c05",
            "cut to the column's declared length"
        );
        for bad in [
            "column.mask.hash.SHA-999.with.salt.x",
            "column.mask.hash.SHA-256",
        ] {
            assert!(policy(&[(bad, "a.b.c")]).is_err(), "{bad}");
        }
    }

    #[test]
    fn source_types_propagate_by_column_or_by_type_case_insensitively() {
        let p = policy(&[
            ("column.propagate.source.type", "public.t.amount"),
            (
                "datatype.propagate.source.type",
                ".+\\.VARCHAR,.+\\.NUMERIC",
            ),
        ])
        .unwrap();
        assert!(p.propagates("public.t.amount", "public.t", "int4"));
        assert!(p.propagates("public.t.note", "public.t", "varchar"));
        assert!(p.propagates("public.t.note", "public.t", "VARCHAR"));
        assert!(!p.propagates("public.t.id", "public.t", "int4"));
        assert!(
            !p.propagates("public.t.id", "public.t", "varchar2x"),
            "anchored"
        );
    }

    #[test]
    fn java_serialization_uses_modified_utf8() {
        let mut out = Vec::new();
        java_serialized_string("a\u{0}é😀", &mut out);
        assert_eq!(
            out,
            [
                0xac, 0xed, 0x00, 0x05, 0x74, 0x00, 0x0b, b'a', 0xc0, 0x80, 0xc3, 0xa9, 0xed, 0xa0,
                0xbd, 0xed, 0xb8, 0x80
            ]
        );
    }
}
