//! Kafka Connect's transform and predicate properties → validated steps.
//!
//! # Keys read
//! `transforms` (comma list of aliases, trimmed, no duplicates), `transforms.<alias>.type`
//! (the Java class name), `transforms.<alias>.predicate` (an alias from `predicates`),
//! `transforms.<alias>.negate` (boolean, default false), `transforms.<alias>.<option>`;
//! `predicates`, `predicates.<alias>.type`, `predicates.<alias>.<option>`
//! (Connect's `ConnectorConfig.TRANSFORMS_CONFIG` / `PREDICATES_CONFIG` and their
//! `enrich` step, which scopes each alias's options under its prefix). List values follow
//! `ConfigDef.Type.LIST`: split on commas, each item trimmed, an empty value is an empty list.

use std::cell::Cell;
use std::collections::{BTreeMap, HashSet};

use super::predicate::Predicate;
use super::{Transform, cast, fields, headers, route, unwrap};

/// A transform or predicate property that cannot be used. Three parts: the property, what
/// is wrong, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid transform configuration: property `{key}`{}: {problem}; {hint}", value_label(.value))]
pub struct TransformConfigError {
    /// The full property name (`transforms.route.regex`).
    pub key: String,
    /// The value given, when there was one.
    pub value: Option<String>,
    /// What is wrong.
    pub problem: String,
    /// How to fix it.
    pub hint: String,
}

fn value_label(value: &Option<String>) -> String {
    match value {
        Some(v) => format!(" = {v:?}"),
        None => String::new(),
    }
}

impl TransformConfigError {
    pub(super) fn new(
        key: impl Into<String>,
        value: Option<&str>,
        problem: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Self {
            key: key.into(),
            value: value.map(str::to_owned),
            problem: problem.into(),
            hint: hint.into(),
        }
    }
}

/// One step as configured.
pub(super) struct StepSpec {
    pub(super) alias: Box<str>,
    pub(super) transform: Transform,
    pub(super) predicate: Option<(Predicate, bool)>,
}

/// The options of one alias: `<prefix><name>` → value, each remembered once read so unknown
/// options can be reported.
pub(super) struct Options<'p> {
    prefix: String,
    entries: Vec<(&'p str, &'p str, Cell<bool>)>,
}

impl<'p> Options<'p> {
    /// The value of `name` as given, if set. Kafka's `ConfigDef` trims STRING values; callers
    /// reading a Connect option trim it.
    pub(super) fn raw(&self, name: &str) -> Option<&'p str> {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == name)
            .map(|(_, v, used)| {
                used.set(true);
                *v
            })
    }

    /// The full property name of `name`.
    pub(super) fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// An error about option `name`.
    pub(super) fn error(
        &self,
        name: &str,
        problem: impl Into<String>,
        hint: impl Into<String>,
    ) -> TransformConfigError {
        let value = self
            .entries
            .iter()
            .find(|(k, _, _)| *k == name)
            .map(|(_, v, _)| *v);
        TransformConfigError::new(self.key(name), value, problem, hint)
    }

    /// A trimmed string value; empty counts as unset (Connect's `NonEmptyString` fields).
    pub(super) fn string(&self, name: &str) -> Option<&'p str> {
        self.raw(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// A value that must be set and non-empty.
    pub(super) fn required(&self, name: &str) -> Result<&'p str, TransformConfigError> {
        self.string(name).ok_or_else(|| {
            self.error(
                name,
                "is required and missing",
                format!("set `{}`", self.key(name)),
            )
        })
    }

    /// A comma-separated list, items trimmed; unset or blank → empty.
    pub(super) fn list(&self, name: &str) -> Vec<&'p str> {
        match self.raw(name).map(str::trim) {
            None | Some("") => Vec::new(),
            Some(v) => v.split(',').map(str::trim).collect(),
        }
    }

    /// A boolean (`true`/`false`, any case).
    pub(super) fn boolean(&self, name: &str, default: bool) -> Result<bool, TransformConfigError> {
        match self.raw(name).map(str::trim) {
            None => Ok(default),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(_) => Err(self.error(name, "is not a boolean", "use `true` or `false`")),
        }
    }

    /// The first option that was never read, as an error.
    fn unknown(&self, what: &str, class: &str) -> Option<TransformConfigError> {
        self.entries
            .iter()
            .find(|(_, _, used)| !used.get())
            .map(|(k, v, _)| {
                TransformConfigError::new(
                    self.key(k),
                    Some(v),
                    format!("is not an option of {what} {class} that Tributary supports"),
                    "remove it or check its spelling against docs/transforms.md",
                )
            })
    }
}

/// The Java class names Connect users have in their configs, for transforms Tributary knows
/// but does not run yet (reported as such rather than as unknown).
const NOT_YET_SUPPORTED: &[&str] = &[
    "org.apache.kafka.connect.transforms.TimestampConverter$Key",
    "org.apache.kafka.connect.transforms.TimestampConverter$Value",
    "org.apache.kafka.connect.transforms.TimestampRouter",
    "io.debezium.transforms.ContentBasedRouter",
    "io.debezium.transforms.Filter",
    "io.debezium.transforms.outbox.EventRouter",
    "io.debezium.transforms.ExtractChangedRecordState",
    "io.debezium.transforms.HeaderToValue",
    "io.debezium.transforms.partitions.PartitionRouting",
    "io.debezium.transforms.TimezoneConverter",
];

fn build_transform(class: &str, o: &Options<'_>) -> Result<Transform, TransformConfigError> {
    use fields::Side::{Key, Value};
    const KC: &str = "org.apache.kafka.connect.transforms.";
    const DBZ: &str = "io.debezium.transforms.";
    let t = if let Some(name) = class.strip_prefix(KC) {
        match name {
            "RegexRouter" => Transform::RegexRouter(route::RegexRouter::configure(o)?),
            "Filter" => Transform::Filter,
            "MaskField$Key" => Transform::MaskField(Key, fields::MaskField::configure(o)?),
            "MaskField$Value" => Transform::MaskField(Value, fields::MaskField::configure(o)?),
            "ReplaceField$Key" => Transform::ReplaceField(Key, fields::ReplaceField::configure(o)?),
            "ReplaceField$Value" => {
                Transform::ReplaceField(Value, fields::ReplaceField::configure(o)?)
            }
            "InsertField$Key" => Transform::InsertField(Key, fields::InsertField::configure(o)?),
            "InsertField$Value" => {
                Transform::InsertField(Value, fields::InsertField::configure(o)?)
            }
            "ValueToKey" => Transform::ValueToKey(fields::ValueToKey::configure(o)?),
            "ExtractField$Key" => Transform::ExtractField(Key, fields::ExtractField::configure(o)?),
            "ExtractField$Value" => {
                Transform::ExtractField(Value, fields::ExtractField::configure(o)?)
            }
            "HoistField$Key" => Transform::HoistField(Key, fields::HoistField::configure(o)?),
            "HoistField$Value" => Transform::HoistField(Value, fields::HoistField::configure(o)?),
            "SetSchemaMetadata$Key" => {
                Transform::SetSchemaMetadata(Key, fields::SetSchemaMetadata::configure(o)?)
            }
            "SetSchemaMetadata$Value" => {
                Transform::SetSchemaMetadata(Value, fields::SetSchemaMetadata::configure(o)?)
            }
            "InsertHeader" => Transform::InsertHeader(headers::InsertHeader::configure(o)?),
            "DropHeaders" => Transform::DropHeaders(headers::DropHeaders::configure(o)?),
            "Cast$Key" => Transform::Cast(Key, cast::Cast::configure(o)?),
            "Cast$Value" => Transform::Cast(Value, cast::Cast::configure(o)?),
            "Flatten$Key" => Transform::Flatten(Key, fields::Flatten::configure(o)?),
            "Flatten$Value" => Transform::Flatten(Value, fields::Flatten::configure(o)?),
            "HeaderFrom$Key" => Transform::HeaderFrom(Key, headers::HeaderFrom::configure(o)?),
            "HeaderFrom$Value" => Transform::HeaderFrom(Value, headers::HeaderFrom::configure(o)?),
            _ => return Err(unknown_class(o, class)),
        }
    } else if let Some(name) = class.strip_prefix(DBZ) {
        match name {
            "ExtractNewRecordState" => {
                Transform::Unwrap(Box::new(unwrap::ExtractNewRecordState::configure(o)?))
            }
            "ByLogicalTableRouter" => {
                Transform::LogicalTableRouter(Box::new(route::ByLogicalTableRouter::configure(o)?))
            }
            _ => return Err(unknown_class(o, class)),
        }
    } else {
        return Err(unknown_class(o, class));
    };
    Ok(t)
}

fn unknown_class(o: &Options<'_>, class: &str) -> TransformConfigError {
    if NOT_YET_SUPPORTED.contains(&class) {
        o.error(
            "type",
            "names a transform Tributary does not run yet",
            "remove the transform or run this connector on Kafka Connect; docs/transforms.md lists what is supported",
        )
    } else {
        o.error(
            "type",
            "is not a transform class Tributary knows",
            "use the fully qualified Java class name, e.g. org.apache.kafka.connect.transforms.RegexRouter or org.apache.kafka.connect.transforms.ReplaceField$Value",
        )
    }
}

fn aliases<'p>(
    map: &BTreeMap<&'p str, &'p str>,
    key: &'static str,
) -> Result<Vec<&'p str>, TransformConfigError> {
    let Some(raw) = map.get(key) else {
        return Ok(Vec::new());
    };
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for alias in raw.split(',').map(str::trim) {
        if alias.is_empty() {
            return Err(TransformConfigError::new(
                key,
                Some(raw),
                "has an empty alias",
                "list aliases separated by single commas",
            ));
        }
        if !seen.insert(alias) {
            return Err(TransformConfigError::new(
                key,
                Some(raw),
                format!("lists alias `{alias}` twice"),
                "give every step its own alias",
            ));
        }
        out.push(alias);
    }
    Ok(out)
}

/// Takes the `<prefix>*` entries out of `map` as one alias's options.
fn take_options<'p>(map: &mut BTreeMap<&'p str, &'p str>, prefix: String) -> Options<'p> {
    let keys: Vec<&'p str> = map
        .keys()
        .filter(|k| k.starts_with(prefix.as_str()))
        .copied()
        .collect();
    let mut entries = Vec::with_capacity(keys.len());
    for k in keys {
        if let Some(v) = map.remove(k) {
            entries.push((&k[prefix.len()..], v, Cell::new(false)));
        }
    }
    Options { prefix, entries }
}

/// Parses and validates the chain.
pub(super) fn parse<'p, I>(properties: I) -> Result<Vec<StepSpec>, TransformConfigError>
where
    I: IntoIterator<Item = (&'p str, &'p str)>,
{
    let mut map: BTreeMap<&'p str, &'p str> = properties
        .into_iter()
        .filter(|(k, _)| {
            *k == "transforms"
                || *k == "predicates"
                || k.starts_with("transforms.")
                || k.starts_with("predicates.")
        })
        .collect();
    let transform_aliases = aliases(&map, "transforms")?;
    let predicate_aliases = aliases(&map, "predicates")?;
    map.remove("transforms");
    map.remove("predicates");

    // Longest aliases first, so `a.b` claims `transforms.a.b.x` before `a` could.
    let mut predicates: Vec<(&str, Options<'p>)> = Vec::new();
    let mut sorted = predicate_aliases.clone();
    sorted.sort_by_key(|a| std::cmp::Reverse(a.len()));
    for alias in sorted {
        predicates.push((
            alias,
            take_options(&mut map, format!("predicates.{alias}.")),
        ));
    }
    let mut transforms: Vec<(&str, Options<'p>)> = Vec::new();
    let mut sorted = transform_aliases.clone();
    sorted.sort_by_key(|a| std::cmp::Reverse(a.len()));
    for alias in sorted {
        transforms.push((
            alias,
            take_options(&mut map, format!("transforms.{alias}.")),
        ));
    }
    if let Some((key, value)) = map.iter().next() {
        let list = if key.starts_with("transforms.") {
            "transforms"
        } else {
            "predicates"
        };
        return Err(TransformConfigError::new(
            *key,
            Some(value),
            format!("belongs to no alias listed in `{list}`"),
            format!("add its alias to `{list}` or remove the property"),
        ));
    }

    let mut built_predicates: Vec<(&str, Predicate, bool)> = Vec::new();
    for (alias, o) in &predicates {
        let class = o.required("type")?;
        let p = Predicate::configure(class, o)?;
        if let Some(e) = o.unknown("predicate", class) {
            return Err(e);
        }
        built_predicates.push((alias, p, false));
    }

    let mut steps = Vec::with_capacity(transform_aliases.len());
    for alias in &transform_aliases {
        let Some((_, o)) = transforms.iter().find(|(a, _)| a == alias) else {
            continue;
        };
        let class = o.required("type")?;
        let predicate = match o.string("predicate") {
            None => None,
            Some(name) => {
                let Some(entry) = built_predicates.iter_mut().find(|(a, _, _)| *a == name) else {
                    return Err(o.error(
                        "predicate",
                        "names a predicate alias that is not listed in `predicates`",
                        "add the alias to `predicates` and define `predicates.<alias>.type`",
                    ));
                };
                entry.2 = true;
                Some(entry.1.clone())
            }
        };
        let negate = o.boolean("negate", false)?;
        let transform = build_transform(class, o)?;
        if let Some(e) = o.unknown("transform", class) {
            return Err(e);
        }
        steps.push(StepSpec {
            alias: Box::from(*alias),
            transform,
            predicate: predicate.map(|p| (p, negate)),
        });
    }
    Ok(steps)
}
