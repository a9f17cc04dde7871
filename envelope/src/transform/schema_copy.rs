//! Schema copies the way Connect's transforms make them, the per-schema plan cache, and the
//! interning of configured strings.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use crate::datum::Datum;
use crate::schema::{Schema, SchemaBuilder, SchemaError, SchemaRef, SchemaType};

/// `SchemaUtil.copySchemaBasics(source, builder)`: name, version, doc and parameters. Not
/// `optional` and not the default: a struct rebuilt this way is required, as in Connect.
pub(super) fn copy_basics(source: &Schema, mut builder: SchemaBuilder) -> SchemaBuilder {
    if let Some(name) = source.name() {
        builder = builder.name(name);
    }
    if let Some(version) = source.version() {
        builder = builder.version(version);
    }
    if let Some(doc) = source.doc() {
        builder = builder.doc(doc);
    }
    for (k, v) in source.parameters() {
        builder = builder.parameter(k, v);
    }
    builder
}

/// `SchemaUtil.copySchemaBasics(source)`: a builder of the same type (arrays and maps keep
/// their children; struct fields are copied too, see `docs/transforms.md`) with the basics.
pub(super) fn copy_basics_same_type(source: &Schema) -> SchemaBuilder {
    let builder = match source.schema_type() {
        SchemaType::Array => match source.value_schema() {
            Some(items) => SchemaBuilder::array(items.clone()),
            None => SchemaBuilder::structure(),
        },
        SchemaType::Map => match (source.key_schema(), source.value_schema()) {
            (Some(k), Some(v)) => SchemaBuilder::map(k.clone(), v.clone()),
            _ => SchemaBuilder::structure(),
        },
        SchemaType::Struct => source
            .fields()
            .iter()
            .fold(SchemaBuilder::structure(), |b, f| {
                b.field(f.name(), f.schema().clone())
            }),
        ty => SchemaBuilder::primitive(ty).unwrap_or_else(SchemaBuilder::structure),
    };
    copy_basics(source, builder)
}

/// A copy of `source` keeping everything (optional, default) but with other struct fields;
/// what `new ConnectSchema(type, optional, default, name, …)` builds in `SetSchemaMetadata`.
pub(super) fn struct_like(
    source: &Schema,
    fields: impl IntoIterator<Item = (String, SchemaRef)>,
    keep_optional: bool,
) -> Result<SchemaRef, SchemaError> {
    let mut b = copy_basics(source, SchemaBuilder::structure());
    for (name, schema) in fields {
        b = b.field(name, schema);
    }
    b.optional_if(keep_optional && source.is_optional()).build()
}

/// Connect's `Struct.get(field)`: a null field value reads as the field schema's default.
pub(super) fn with_default<'a>(schema: &Schema, value: Datum<'a>) -> Datum<'a> {
    match (value, schema.default_value()) {
        (Datum::Null, Some(default)) => default.clone(),
        (value, _) => value,
    }
}

/// Most distinct input schemas a cache keeps before it starts over (a connector has one
/// schema per table version; this bounds memory under endless schema churn).
const CACHE_LIMIT: usize = 4096;

/// Derived data per input schema, keyed by the schema's pointer. The entry holds the input
/// `Arc`, so the address cannot be freed and reused while the entry exists.
#[derive(Debug)]
pub(super) struct SchemaCache<P> {
    entries: HashMap<usize, (SchemaRef, P)>,
}

impl<P> Default for SchemaCache<P> {
    fn default() -> Self {
        Self {
            entries: HashMap::new(),
        }
    }
}

impl<P> SchemaCache<P> {
    /// The plan for `schema`, computed by `make` the first time.
    pub(super) fn get_or_try_insert<E>(
        &mut self,
        schema: &SchemaRef,
        make: impl FnOnce(&SchemaRef) -> Result<P, E>,
    ) -> Result<&P, E> {
        let key = Arc::as_ptr(schema) as usize;
        if self.entries.len() >= CACHE_LIMIT && !self.entries.contains_key(&key) {
            self.entries.clear();
        }
        match self.entries.entry(key) {
            Entry::Occupied(e) => Ok(&e.into_mut().1),
            Entry::Vacant(v) => {
                let plan = make(schema)?;
                Ok(&v.insert((schema.clone(), plan)).1)
            }
        }
    }
}

/// A configured string (header name, static value, replacement) as `&'static str`, so
/// records can carry it without allocating. Each distinct string is leaked once per process:
/// the set is bounded by what connector configurations contain. [`crate::Header::name`] is
/// `&'static str`, which is why header names must be interned.
pub(super) fn intern(s: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut set = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(existing) = set.get(s) {
        return existing;
    }
    let leaked: &'static str = Box::leak(Box::from(s));
    set.insert(leaked);
    leaked
}
