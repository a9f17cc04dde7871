//! Kafka Connect's predicates (KIP-585): `TopicNameMatches`, `RecordIsTombstone`,
//! `HasHeaderKey` (`org.apache.kafka.connect.transforms.predicates.*`).

use regex::Regex;

use super::config::{Options, TransformConfigError};
use crate::event::ChangeRecord;

/// A condition on a record that gates a transform (`transforms.<alias>.predicate`).
#[derive(Debug, Clone)]
pub enum Predicate {
    /// `TopicNameMatches`: the whole topic name matches `pattern` (Java `Matcher.matches`).
    TopicNameMatches(Regex),
    /// `RecordIsTombstone`: the record value is null.
    RecordIsTombstone,
    /// `HasHeaderKey`: at least one header is named `name`.
    HasHeaderKey(Box<str>),
}

impl Predicate {
    pub(super) fn configure(class: &str, o: &Options<'_>) -> Result<Self, TransformConfigError> {
        match class.strip_prefix("org.apache.kafka.connect.transforms.predicates.") {
            Some("TopicNameMatches") => {
                let pattern = o.required("pattern")?;
                Ok(Predicate::TopicNameMatches(full_match_regex(o, "pattern", pattern)?))
            }
            Some("RecordIsTombstone") => Ok(Predicate::RecordIsTombstone),
            Some("HasHeaderKey") => Ok(Predicate::HasHeaderKey(Box::from(o.required("name")?))),
            _ => Err(o.error(
                "type",
                "is not a predicate class Tributary knows",
                "use org.apache.kafka.connect.transforms.predicates.TopicNameMatches, RecordIsTombstone or HasHeaderKey",
            )),
        }
    }

    /// Whether the predicate holds for `record`.
    pub fn test(&self, record: &ChangeRecord<'_>) -> bool {
        match self {
            Predicate::TopicNameMatches(re) => re.is_match(&record.topic),
            Predicate::RecordIsTombstone => super::is_null_value(&record.value),
            Predicate::HasHeaderKey(name) => record.headers.iter().any(|h| h.name == &**name),
        }
    }
}

/// Compiles a Java pattern that must match the whole input (`Matcher.matches()`).
pub(super) fn full_match_regex(
    o: &Options<'_>,
    option: &str,
    pattern: &str,
) -> Result<Regex, TransformConfigError> {
    Regex::new(&format!(r"\A(?:{pattern})\z")).map_err(|e| {
        o.error(
            option,
            format!("is not a regular expression Tributary can compile ({e})"),
            "Tributary supports the common subset of Java regular expressions (no look-around or back-references)",
        )
    })
}
