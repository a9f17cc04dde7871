//! Kafka Connect single message transforms (SMTs) and Debezium's transforms, run natively on
//! the typed [`ChangeRecord`] between the event builder and the converters.
//!
//! # Configuration
//! [`TransformChain::from_properties`] reads Kafka Connect's keys from the connector's flat
//! property map (`transforms=a,b`, `transforms.a.type=<Java class>`, `transforms.a.<option>`,
//! `transforms.a.predicate`, `transforms.a.negate`, `predicates=p`, `predicates.p.type`,
//! `predicates.p.<option>`), validates everything once and returns the running chain. Keys that
//! do not start with `transforms`/`predicates` are ignored (they belong to the connector). An
//! unknown transform class, predicate class, option or alias is a [`TransformConfigError`]
//! naming the property. Kafka Connect itself only logs unknown options; Tributary refuses them
//! so a typo cannot silently change what reaches Kafka.
//!
//! # Applying
//! [`TransformChain::apply`] runs the steps in order on one record; `Ok(None)` means a step
//! dropped it. A step with a predicate runs only when the predicate (negated with
//! `negate=true`) holds, as in Connect's `TransformationChain`.
//!
//! # Schemas are derived once
//! Records of one table share their schemas ([`crate::SchemaRef`]). Every step that changes a
//! schema computes the new schema, and the field plan that moves values into it, once per input
//! schema and keeps it in a cache keyed by the input schema's pointer (the cache holds the
//! input `Arc`, so a pointer cannot be reused while its entry lives). Per record a step only
//! moves [`Datum`]s into place; nothing goes through JSON.
//!
//! # Differences from Connect
//! Where Connect throws on a tombstone (null value) for `MaskField`, `ValueToKey`,
//! `SetSchemaMetadata`, `HoistField`, `HeaderFrom` and `Flatten`, Tributary passes the
//! tombstone through unchanged (`Cast` too); see `docs/transforms.md` for the full list.

mod cast;
mod config;
mod fields;
mod headers;
mod predicate;
mod route;
mod schema_copy;
mod unwrap;

use crate::datum::Datum;
use crate::event::ChangeRecord;

pub use config::TransformConfigError;
pub use predicate::Predicate;

use self::config::StepSpec;

/// Why a record could not be transformed. The message names the transform alias, the topic
/// and the field; it never contains row values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "transform `{alias}` ({transform}) failed on a record for topic {topic}: {reason}; fix the transform configuration or the captured table"
)]
pub struct TransformError {
    /// The alias from `transforms=`.
    pub alias: String,
    /// The transform's short name (`ReplaceField$Value`).
    pub transform: &'static str,
    /// The record's topic when the step failed.
    pub topic: String,
    /// What did not fit.
    pub reason: String,
}

/// One configured step: the transform, and the predicate that gates it.
#[derive(Debug)]
struct Step {
    alias: Box<str>,
    transform: Transform,
    predicate: Option<(Predicate, bool)>,
}

/// The transforms Tributary runs (one variant per Connect/Debezium class).
#[derive(Debug)]
enum Transform {
    Unwrap(Box<unwrap::ExtractNewRecordState>),
    RegexRouter(route::RegexRouter),
    LogicalTableRouter(Box<route::ByLogicalTableRouter>),
    Filter,
    MaskField(fields::Side, fields::MaskField),
    ReplaceField(fields::Side, fields::ReplaceField),
    InsertField(fields::Side, fields::InsertField),
    ValueToKey(fields::ValueToKey),
    ExtractField(fields::Side, fields::ExtractField),
    HoistField(fields::Side, fields::HoistField),
    SetSchemaMetadata(fields::Side, fields::SetSchemaMetadata),
    InsertHeader(headers::InsertHeader),
    DropHeaders(headers::DropHeaders),
    HeaderFrom(fields::Side, headers::HeaderFrom),
    Flatten(fields::Side, fields::Flatten),
    Cast(fields::Side, cast::Cast),
}

impl Transform {
    fn name(&self) -> &'static str {
        use fields::Side::{Key, Value};
        match self {
            Transform::Unwrap(_) => "ExtractNewRecordState",
            Transform::RegexRouter(_) => "RegexRouter",
            Transform::LogicalTableRouter(_) => "ByLogicalTableRouter",
            Transform::Filter => "Filter",
            Transform::MaskField(Key, _) => "MaskField$Key",
            Transform::MaskField(Value, _) => "MaskField$Value",
            Transform::ReplaceField(Key, _) => "ReplaceField$Key",
            Transform::ReplaceField(Value, _) => "ReplaceField$Value",
            Transform::InsertField(Key, _) => "InsertField$Key",
            Transform::InsertField(Value, _) => "InsertField$Value",
            Transform::ValueToKey(_) => "ValueToKey",
            Transform::ExtractField(Key, _) => "ExtractField$Key",
            Transform::ExtractField(Value, _) => "ExtractField$Value",
            Transform::HoistField(Key, _) => "HoistField$Key",
            Transform::HoistField(Value, _) => "HoistField$Value",
            Transform::SetSchemaMetadata(Key, _) => "SetSchemaMetadata$Key",
            Transform::SetSchemaMetadata(Value, _) => "SetSchemaMetadata$Value",
            Transform::InsertHeader(_) => "InsertHeader",
            Transform::DropHeaders(_) => "DropHeaders",
            Transform::HeaderFrom(Key, _) => "HeaderFrom$Key",
            Transform::HeaderFrom(Value, _) => "HeaderFrom$Value",
            Transform::Flatten(Key, _) => "Flatten$Key",
            Transform::Flatten(Value, _) => "Flatten$Value",
            Transform::Cast(Key, _) => "Cast$Key",
            Transform::Cast(Value, _) => "Cast$Value",
        }
    }

    /// Transforms `record` in place; `Ok(false)` drops it.
    fn apply(&mut self, record: &mut ChangeRecord<'_>) -> Result<bool, String> {
        match self {
            Transform::Unwrap(t) => t.apply(record),
            Transform::RegexRouter(t) => t.apply(record).map(|()| true),
            Transform::LogicalTableRouter(t) => t.apply(record).map(|()| true),
            Transform::Filter => Ok(false),
            Transform::MaskField(side, t) => t.apply(*side, record).map(|()| true),
            Transform::ReplaceField(side, t) => t.apply(*side, record).map(|()| true),
            Transform::InsertField(side, t) => t.apply(*side, record).map(|()| true),
            Transform::ValueToKey(t) => t.apply(record).map(|()| true),
            Transform::ExtractField(side, t) => t.apply(*side, record).map(|()| true),
            Transform::HoistField(side, t) => t.apply(*side, record).map(|()| true),
            Transform::SetSchemaMetadata(side, t) => t.apply(*side, record).map(|()| true),
            Transform::InsertHeader(t) => t.apply(record).map(|()| true),
            Transform::HeaderFrom(side, t) => t.apply(*side, record).map(|()| true),
            Transform::Flatten(side, t) => t.apply(*side, record).map(|()| true),
            Transform::Cast(side, t) => t.apply(*side, record).map(|()| true),
            Transform::DropHeaders(t) => {
                t.apply(record);
                Ok(true)
            }
        }
    }
}

/// A validated transform chain, ready to apply to every record of one connector task.
///
/// It owns per-schema caches, so `apply` takes `&mut self`: give each pipeline task its own
/// chain (build it from the same properties).
#[derive(Debug, Default)]
pub struct TransformChain {
    steps: Vec<Step>,
}

impl TransformChain {
    /// Reads `transforms*` and `predicates*` from a connector's properties and builds the
    /// chain. Other properties are ignored. No `transforms` property (or an empty one) gives an
    /// empty chain that returns every record unchanged.
    pub fn from_properties<'p, I>(properties: I) -> Result<Self, TransformConfigError>
    where
        I: IntoIterator<Item = (&'p str, &'p str)>,
    {
        let specs = config::parse(properties)?;
        let steps = specs.into_iter().map(build_step).collect();
        Ok(Self { steps })
    }

    /// Whether the chain has no steps.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The aliases in order, for logs and the REST runtime.
    pub fn aliases(&self) -> impl Iterator<Item = &str> {
        self.steps.iter().map(|s| &*s.alias)
    }

    /// Applies every step in order. `Ok(None)` = the record was dropped (by `Filter`,
    /// `ExtractNewRecordState`'s tombstone/delete handling, …).
    pub fn apply<'a>(
        &mut self,
        record: ChangeRecord<'a>,
    ) -> Result<Option<ChangeRecord<'a>>, TransformError> {
        let mut record = record;
        for step in &mut self.steps {
            if let Some((predicate, negate)) = &step.predicate
                && predicate.test(&record) == *negate
            {
                continue;
            }
            match step.transform.apply(&mut record) {
                Ok(true) => {}
                Ok(false) => return Ok(None),
                Err(reason) => {
                    return Err(TransformError {
                        alias: step.alias.to_string(),
                        transform: step.transform.name(),
                        topic: record.topic.to_string(),
                        reason,
                    });
                }
            }
        }
        Ok(Some(record))
    }
}

fn build_step(spec: StepSpec) -> Step {
    Step {
        alias: spec.alias,
        transform: spec.transform,
        predicate: spec.predicate,
    }
}

/// A struct value's fields, owned, or `None` when the value is not a struct.
fn struct_fields(value: Datum<'_>) -> Option<Vec<Datum<'_>>> {
    match value {
        Datum::Struct(crate::datum::Seq::Owned(fields)) => Some(fields),
        Datum::Struct(crate::datum::Seq::Borrowed(fields)) => Some(fields.to_vec()),
        _ => None,
    }
}

/// Connect's `record.value() == null` (or `key()`): no value, or a null value with a schema
/// (what `ExtractNewRecordState` leaves for a delete in `tombstone` mode).
fn is_null_value(part: &Option<(crate::schema::SchemaRef, Datum<'_>)>) -> bool {
    matches!(part, None | Some((_, Datum::Null)))
}
