//! Topic routers: Kafka Connect's `RegexRouter` and Debezium's `ByLogicalTableRouter`.
//!
//! # Java regular expressions and replacements
//! Both compile their pattern with `java.util.regex.Pattern` and use `Matcher.matches()` (the
//! whole topic must match) then `replaceFirst(replacement)`. Since the match spans the whole
//! topic, the result is the replacement with its group references expanded. The replacement
//! follows `Matcher.appendReplacement`: `$n` (greedy over digits while the number is a group),
//! `${name}`, and `\` escaping the next character; a group that did not take part adds
//! nothing. It is parsed once into [`Replacement`].
//!
//! # Output topics are interned
//! A router's output depends only on the input topic, so the set of output topics is bounded
//! by the captured tables; each is interned once and records carry a borrowed `&'static str`.

use std::borrow::Cow;
use std::collections::HashMap;

use regex::{Captures, Regex};

use super::config::{Options, TransformConfigError};
use super::predicate::full_match_regex;
use super::schema_copy::{SchemaCache, intern, with_default};
use super::{is_null_value, struct_fields};
use crate::datum::{Datum, Seq};
use crate::event::ChangeRecord;
use crate::schema::{Schema, SchemaBuilder, SchemaRef};

/// A parsed Java replacement string.
#[derive(Debug, Clone)]
pub(super) struct Replacement {
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone)]
enum Piece {
    Literal(String),
    Group(usize),
    Named(String),
}

impl Replacement {
    /// Parses `text` for a pattern with `groups` capturing groups and the given group names.
    fn parse(text: &str, regex: &Regex) -> Result<Self, String> {
        let groups = regex.captures_len().saturating_sub(1);
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(escaped) => literal.push(escaped),
                    None => return Err("ends with `\\` that escapes nothing".into()),
                },
                '$' => {
                    if !literal.is_empty() {
                        pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                    }
                    match chars.peek().copied() {
                        Some('{') => {
                            chars.next();
                            let mut name = String::new();
                            loop {
                                match chars.next() {
                                    Some('}') => break,
                                    Some(ch) if ch.is_ascii_alphanumeric() => name.push(ch),
                                    _ => return Err("has an unterminated `${name}` group".into()),
                                }
                            }
                            if !regex.capture_names().flatten().any(|n| n == name) {
                                return Err(format!("names group `{name}` the regex lacks"));
                            }
                            pieces.push(Piece::Named(name));
                        }
                        Some(d) if d.is_ascii_digit() => {
                            chars.next();
                            let mut n = d as usize - '0' as usize;
                            if n > groups {
                                return Err(format!(
                                    "refers to group {n} but the regex has {groups}"
                                ));
                            }
                            while let Some(next) = chars.peek().and_then(|ch| ch.to_digit(10)) {
                                let candidate = n * 10 + next as usize;
                                if candidate > groups {
                                    break;
                                }
                                n = candidate;
                                chars.next();
                            }
                            pieces.push(Piece::Group(n));
                        }
                        _ => return Err(
                            "has `$` that is not a group reference (write `\\$` for a literal `$`)"
                                .into(),
                        ),
                    }
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal(literal));
        }
        Ok(Self { pieces })
    }

    fn expand(&self, caps: &Captures<'_>) -> String {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Literal(s) => out.push_str(s),
                Piece::Group(n) => out.push_str(caps.get(*n).map_or("", |m| m.as_str())),
                Piece::Named(n) => out.push_str(caps.name(n).map_or("", |m| m.as_str())),
            }
        }
        out
    }
}

/// A full-match regex and its replacement, with a bounded cache of results per topic.
#[derive(Debug)]
struct TopicRewrite {
    regex: Regex,
    replacement: Replacement,
    cache: HashMap<Box<str>, Option<&'static str>>,
}

const TOPIC_CACHE_LIMIT: usize = 4096;

impl TopicRewrite {
    fn configure(
        o: &Options<'_>,
        regex_option: &str,
        replacement_option: &str,
    ) -> Result<Self, TransformConfigError> {
        let regex = full_match_regex(o, regex_option, o.required(regex_option)?)?;
        let text = o.raw(replacement_option).map(str::trim).ok_or_else(|| {
            o.error(
                replacement_option,
                "is required and missing",
                format!("set `{}`", o.key(replacement_option)),
            )
        })?;
        let replacement = Replacement::parse(text, &regex).map_err(|problem| {
            o.error(
                replacement_option,
                problem,
                "use $1…$9 or ${name} for groups and \\$ for a literal dollar sign",
            )
        })?;
        Ok(Self {
            regex,
            replacement,
            cache: HashMap::new(),
        })
    }

    /// The rewritten topic, or `None` when the topic does not match.
    fn rewrite(&mut self, topic: &str) -> Option<&'static str> {
        if let Some(hit) = self.cache.get(topic) {
            return *hit;
        }
        let result = self
            .regex
            .captures(topic)
            .map(|caps| intern(&self.replacement.expand(&caps)));
        if self.cache.len() >= TOPIC_CACHE_LIMIT {
            self.cache.clear();
        }
        self.cache.insert(Box::from(topic), result);
        result
    }
}

/// `org.apache.kafka.connect.transforms.RegexRouter`: `regex`, `replacement`.
#[derive(Debug)]
pub(super) struct RegexRouter {
    rewrite: TopicRewrite,
}

impl RegexRouter {
    pub(super) fn configure(o: &Options<'_>) -> Result<Self, TransformConfigError> {
        Ok(Self {
            rewrite: TopicRewrite::configure(o, "regex", "replacement")?,
        })
    }

    pub(super) fn apply(&mut self, record: &mut ChangeRecord<'_>) -> Result<(), String> {
        if let Some(topic) = self.rewrite.rewrite(&record.topic) {
            record.topic = Cow::Borrowed(topic);
        }
        Ok(())
    }
}

/// `schema.name.adjustment.mode` of `ByLogicalTableRouter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameAdjustment {
    None,
    Avro,
}

impl NameAdjustment {
    /// Debezium's Avro adjuster: a name character that Avro does not allow becomes `_`
    /// (first character a letter or `_`; then letters, digits, `_` and `.`).
    fn adjust(self, name: &str) -> String {
        match self {
            NameAdjustment::None => name.to_owned(),
            NameAdjustment::Avro => name
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    let ok = c.is_ascii_alphabetic()
                        || c == '_'
                        || (i > 0 && (c.is_ascii_digit() || c == '.'));
                    if ok { c } else { '_' }
                })
                .collect(),
        }
    }
}

/// A derived schema and the topic it was derived for.
#[derive(Debug)]
struct Routed {
    topic: &'static str,
    schema: SchemaRef,
}

/// `io.debezium.transforms.ByLogicalTableRouter`.
#[derive(Debug)]
pub(super) struct ByLogicalTableRouter {
    topic: TopicRewrite,
    key_enforce_uniqueness: bool,
    key_field_name: Box<str>,
    key_field: Option<TopicRewrite>,
    adjustment: NameAdjustment,
    key_cache: SchemaCache<Routed>,
    envelope_cache: SchemaCache<Routed>,
}

impl ByLogicalTableRouter {
    pub(super) fn configure(o: &Options<'_>) -> Result<Self, TransformConfigError> {
        let topic = TopicRewrite::configure(o, "topic.regex", "topic.replacement")?;
        let key_field = match o.string("key.field.regex") {
            None => {
                let _ = o.raw("key.field.replacement");
                None
            }
            Some(_) => {
                if o.string("key.field.replacement").is_none() {
                    return Err(o.error(
                        "key.field.replacement",
                        "must be non-empty if key.field.regex is set",
                        format!("set `{}`", o.key("key.field.replacement")),
                    ));
                }
                Some(TopicRewrite::configure(
                    o,
                    "key.field.regex",
                    "key.field.replacement",
                )?)
            }
        };
        let adjustment = match o.string("schema.name.adjustment.mode") {
            None | Some("none") => NameAdjustment::None,
            Some("avro") => NameAdjustment::Avro,
            Some(_) => {
                return Err(o.error(
                    "schema.name.adjustment.mode",
                    "is not a supported mode",
                    "use `none` (the default) or `avro`",
                ));
            }
        };
        if let Some(size) = o.string("logical.table.cache.size")
            && size.parse::<u32>().map_or(true, |n| n == 0)
        {
            return Err(o.error(
                "logical.table.cache.size",
                "is not a positive integer",
                "remove it (Tributary sizes its caches itself) or give a positive integer",
            ));
        }
        Ok(Self {
            topic,
            key_enforce_uniqueness: o.boolean("key.enforce.uniqueness", true)?,
            key_field_name: Box::from(
                o.string("key.field.name")
                    .unwrap_or("__dbz__physicalTableIdentifier"),
            ),
            key_field,
            adjustment,
            key_cache: SchemaCache::default(),
            envelope_cache: SchemaCache::default(),
        })
    }

    pub(super) fn apply(&mut self, record: &mut ChangeRecord<'_>) -> Result<(), String> {
        let old_topic: &str = &record.topic;
        let Some(new_topic) = self.topic.rewrite(old_topic) else {
            return Ok(());
        };
        if new_topic.is_empty() {
            // "Routing regex returned an empty topic name, propagating original record".
            return Ok(());
        }
        let identifier = match &mut self.key_field {
            Some(rewrite) => rewrite
                .rewrite(old_topic)
                .unwrap_or_else(|| intern(old_topic)),
            None => intern(old_topic),
        };

        // The key: a null key stays null (and loses its schema, as `newRecord(…, null, null,
        // …)` does); a struct key gets the new name and the physical table field.
        let key = record.key.take();
        record.key = match key {
            Some((schema, value)) if !value.is_null() => {
                let new_schema = self.key_schema(&schema, new_topic)?;
                let mut fields = struct_fields(value)
                    .ok_or_else(|| "the record key is not a struct".to_owned())?;
                for (f, v) in schema.fields().iter().zip(fields.iter_mut()) {
                    *v = with_default(f.schema(), std::mem::replace(v, Datum::Null));
                }
                if self.key_enforce_uniqueness {
                    fields.push(Datum::str(identifier));
                }
                Some((new_schema, Datum::structure_owned(fields)))
            }
            _ => None,
        };

        // The value: tombstones and non-envelope records (heartbeats, messages) keep theirs.
        if !is_null_value(&record.value)
            && let Some((schema, _)) = &record.value
            && schema.name().is_some_and(|n| n.ends_with(".Envelope"))
        {
            let new_schema = self.envelope_schema(schema, new_topic)?;
            if let Some((s, value)) = &mut record.value {
                // `updateValue` copies `before`/`after` with `Struct.get`, which reads defaults.
                let row = s.field("before").map(|(_, f)| f.schema().clone());
                if let (Some(row), Datum::Struct(fields)) = (row, value) {
                    let mut envelope = match std::mem::replace(fields, Seq::Owned(Vec::new())) {
                        Seq::Owned(v) => v,
                        Seq::Borrowed(b) => b.to_vec(),
                    };
                    for name in ["before", "after"] {
                        if let Some((i, _)) = s.field(name)
                            && let Some(slot) = envelope.get_mut(i)
                            && let Some(mut cols) =
                                struct_fields(std::mem::replace(slot, Datum::Null))
                        {
                            for (v, f) in cols.iter_mut().zip(row.fields()) {
                                *v = with_default(f.schema(), std::mem::replace(v, Datum::Null));
                            }
                            *slot = Datum::structure_owned(cols);
                        }
                    }
                    *fields = Seq::Owned(envelope);
                }
                *s = new_schema;
            }
        }
        record.topic = Cow::Borrowed(new_topic);
        Ok(())
    }

    fn key_schema(&mut self, old: &SchemaRef, topic: &'static str) -> Result<SchemaRef, String> {
        let (adjust, enforce) = (self.adjustment, self.key_enforce_uniqueness);
        let field = &self.key_field_name;
        let routed = self.key_cache.get_or_try_insert(old, |old| {
            make_uncached_key(old, topic, adjust, enforce, field)
                .map(|schema| Routed { topic, schema })
        })?;
        if routed.topic == topic {
            return Ok(routed.schema.clone());
        }
        // The same key schema routed to another topic (not seen with Debezium's own events):
        // derive without caching.
        make_uncached_key(old, topic, adjust, enforce, field)
    }

    fn envelope_schema(
        &mut self,
        old: &SchemaRef,
        topic: &'static str,
    ) -> Result<SchemaRef, String> {
        let adjust = self.adjustment;
        let routed = self
            .envelope_cache
            .get_or_try_insert(old, |old| derive_envelope(old, topic, adjust))?;
        if routed.topic == topic {
            return Ok(routed.schema.clone());
        }
        Ok(derive_envelope(old, topic, adjust)?.schema)
    }
}

fn make_uncached_key(
    old: &Schema,
    topic: &str,
    adjust: NameAdjustment,
    enforce: bool,
    field: &str,
) -> Result<SchemaRef, String> {
    let mut b = copy_excluding_name(old, true).name(adjust.adjust(&format!("{topic}.Key")));
    if enforce {
        b = b.field(
            field,
            SchemaBuilder::string().build().map_err(|e| e.to_string())?,
        );
    }
    b.build().map_err(|e| format!("new key schema: {e}"))
}

/// `copySchemaExcludingName`: version, doc, parameters, optional and (optionally) fields.
fn copy_excluding_name(source: &Schema, copy_fields: bool) -> SchemaBuilder {
    let mut b = SchemaBuilder::structure().optional_if(source.is_optional());
    if let Some(v) = source.version() {
        b = b.version(v);
    }
    if let Some(d) = source.doc() {
        b = b.doc(d);
    }
    for (k, v) in source.parameters() {
        b = b.parameter(k, v);
    }
    if copy_fields {
        for f in source.fields() {
            b = b.field(f.name(), f.schema().clone());
        }
    }
    b
}

/// `updateEnvelopeSchema`: `before`/`after` get a row schema named `<topic>.Value`, the
/// envelope is renamed `<topic>.Envelope`; other fields are kept.
fn derive_envelope(
    old: &Schema,
    topic: &'static str,
    adjust: NameAdjustment,
) -> Result<Routed, String> {
    let Some((_, before)) = old.field("before") else {
        return Err("the envelope schema has no `before` field".into());
    };
    let row = copy_excluding_name(before.schema(), true)
        .name(adjust.adjust(&format!("{topic}.Value")))
        .build()
        .map_err(|e| format!("new row schema: {e}"))?;
    let mut b = copy_excluding_name(old, false);
    for f in old.fields() {
        let schema = if f.name() == "before" || f.name() == "after" {
            row.clone()
        } else {
            f.schema().clone()
        };
        b = b.field(f.name(), schema);
    }
    let schema = b
        .name(adjust.adjust(&format!("{topic}.Envelope")))
        .build()
        .map_err(|e| format!("new envelope schema: {e}"))?;
    Ok(Routed { topic, schema })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(pattern: &str, replacement: &str, input: &str) -> Result<String, String> {
        let re = Regex::new(&format!(r"\A(?:{pattern})\z")).map_err(|e| e.to_string())?;
        let r = Replacement::parse(replacement, &re)?;
        let caps = re.captures(input).ok_or("no match")?;
        Ok(r.expand(&caps))
    }

    #[test]
    fn java_replacement_rules() {
        // Matcher.appendReplacement: `$1` then a literal digit when group 10 does not exist.
        assert_eq!(expand("(a)(b)", "$21", "ab").as_deref(), Ok("b1"));
        assert_eq!(expand("(a)b", r"x\$$1", "ab").as_deref(), Ok("x$a"));
        assert_eq!(
            expand("(?P<db>[a-z]+)_1", "${db}-all", "shop_1").as_deref(),
            Ok("shop-all")
        );
        assert_eq!(expand("(a)?b", "[$1]", "b").as_deref(), Ok("[]"));
        assert!(expand("(a)", "$2", "a").is_err());
        assert!(expand("(a)", "$x", "a").is_err());
        assert!(expand("(a)", "tail\\", "a").is_err());
    }

    #[test]
    fn avro_adjustment_replaces_invalid_characters() {
        assert_eq!(NameAdjustment::Avro.adjust("1db-x.t.Key"), "_db_x.t.Key");
        assert_eq!(NameAdjustment::None.adjust("1db-x"), "1db-x");
    }
}
