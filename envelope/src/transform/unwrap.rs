//! Debezium's `io.debezium.transforms.ExtractNewRecordState` (event flattening).
//!
//! Replaces the change event envelope with the row state, following Debezium's
//! `ExtractNewRecordState` / `AbstractExtractNewRecordState` and its delete strategies
//! (`DefaultDeleteHandlingStrategy`, `LegacyDeleteHandlingStrategy`):
//!
//! # Records that are not change events
//! A value whose schema name does not end in `.Envelope` (heartbeats, transaction metadata,
//! logical decoding messages) passes unchanged (`SmtManager.isValidEnvelope`). A change event
//! with both `before` and `after` null (a truncate) is dropped.
//!
//! # Deletes and tombstones
//! `delete.tombstone.handling.mode` (Debezium 2.5+), when set, decides; otherwise the
//! deprecated `drop.tombstones` (default true) and `delete.handling.mode` (default `none`):
//!
//! | mode | Debezium tombstone | delete event |
//! |---|---|---|
//! | `drop` | dropped | dropped |
//! | `tombstone` (= legacy defaults) | dropped | value null **with** the row schema |
//! | `rewrite` | dropped | `before` + `__deleted: "true"` |
//! | `rewrite-with-tombstone` | kept | `before` + `__deleted: "true"` |
//!
//! The delete "tombstone" is `ExtractField$Value(after)` applied to the delete: the value is
//! null but the value schema is the row schema, so `JsonConverter` with schemas writes
//! `{"schema":{…},"payload":null}`, not a Kafka null. In the rewrite modes every create, read
//! and update also gets `__deleted: "false"` (an optional string field added last).
//!
//! # Schemas
//! The unwrapped value is rebuilt by `addFields` with `SchemaUtil.copySchemaBasics`, so its
//! schema is the row schema's name, version, doc and parameters, with the row fields and any
//! `add.fields`, but **required** (the envelope's `after` is optional). Added fields and
//! headers take the referenced field's schema copied with `copySchemaBasics` and made
//! optional (its default is not kept). Both are derived once per envelope schema.
//!
//! # add.fields / add.headers
//! Comma list of `field`, `struct.field` or either with `:newName`. Unqualified `op`,
//! `ts_ms` (and `ts_us`, `ts_ns`) are envelope fields; `id`, `total_order`,
//! `data_collection_order` are in `transaction`; anything else is in `source`. Names are
//! `<prefix><field>` or `<prefix><struct>_<field>` (prefix `add.fields.prefix` /
//! `add.headers.prefix`, default `__`), or `<prefix><newName>`. A field found in neither
//! place is skipped. Headers are appended after the record's own; a kept tombstone gets only
//! the `op` header, with value `"d"`.
//!
//! # route.by.field
//! The topic becomes the named row field's value (`after`, or `before` for a delete); a null
//! or blank value keeps the topic.

use std::borrow::Cow;

use super::config::{Options, TransformConfigError};
use super::schema_copy::{SchemaCache, copy_basics, copy_basics_same_type, intern, with_default};
use super::{is_null_value, struct_fields};
use crate::datum::Datum;
use crate::event::{ChangeRecord, Header};
use crate::schema::{Schema, SchemaBuilder, SchemaRef};

/// `ExtractNewRecordStateConfigDefinition.DELETED_FIELD`.
const DELETED_FIELD: &str = "__deleted";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DeleteAction {
    Drop,
    NullValue,
    Rewrite,
}

/// A reference from `add.fields` / `add.headers`.
#[derive(Debug, Clone)]
struct FieldRef {
    /// `source`, `transaction`, or `None` for an envelope field.
    parent: Option<Box<str>>,
    field: Box<str>,
    new_name: &'static str,
}

impl FieldRef {
    fn parse(prefix: &str, spec: &str) -> Result<Self, String> {
        let parts: Vec<&str> = spec.split(':').collect();
        if parts.len() > 2 {
            return Err(format!("`{spec}` has more than one `:`"));
        }
        let splits: Vec<&str> = parts[0].split('.').collect();
        let field = if splits.len() == 1 {
            splits[0]
        } else {
            splits[1]
        };
        if field.is_empty() {
            return Err(format!("`{spec}` names no field"));
        }
        let parent: Option<&str> = if splits.len() == 1 {
            match field {
                "id" | "total_order" | "data_collection_order" => Some("transaction"),
                "op" | "ts_ms" | "ts_us" | "ts_ns" => None,
                _ => Some("source"),
            }
        } else {
            Some(splits[0])
        };
        let new_name = match (parts.get(1), splits.len(), parent) {
            (Some(new), _, _) => format!("{prefix}{new}"),
            (None, 1, _) | (None, _, None) => format!("{prefix}{field}"),
            (None, _, Some(p)) => format!("{prefix}{p}_{field}"),
        };
        Ok(Self {
            parent: parent.map(Box::from),
            field: Box::from(field),
            new_name: intern(&new_name),
        })
    }

    /// Where the referenced value is in an envelope of `schema` (`FieldReference.getField`).
    fn locate<'s>(&self, schema: &'s Schema) -> Option<(Access, &'s SchemaRef)> {
        if let Some(parent) = &self.parent
            && let Some((pi, pf)) = schema.field(parent)
            && let Some((fi, f)) = pf.schema().field(&self.field)
        {
            return Some((Access::Nested(pi, fi), f.schema()));
        }
        if self.parent.is_none()
            && let Some((i, f)) = schema.field(&self.field)
        {
            return Some((Access::Top(i), f.schema()));
        }
        // "Field not found in <struct>. Trying in main payload".
        schema
            .field(&self.field)
            .map(|(i, f)| (Access::Top(i), f.schema()))
    }
}

/// How to read one referenced value from the envelope's fields.
#[derive(Debug, Clone, Copy)]
enum Access {
    Top(usize),
    Nested(usize, usize),
}

impl Access {
    fn read<'a>(self, envelope: &[Datum<'a>]) -> Datum<'a> {
        match self {
            Access::Top(i) => envelope.get(i).cloned().unwrap_or(Datum::Null),
            Access::Nested(s, f) => match envelope.get(s) {
                Some(Datum::Struct(fields)) => fields.get(f).cloned().unwrap_or(Datum::Null),
                _ => Datum::Null,
            },
        }
    }
}

/// Everything derived from one envelope schema.
#[derive(Debug)]
struct Plan {
    before: usize,
    after: usize,
    /// The envelope's `after` field schema: the value schema of a delete in `tombstone` mode.
    row: SchemaRef,
    /// Row fields, then `add.fields`, then `__deleted` in the rewrite modes.
    out: SchemaRef,
    added: Vec<Access>,
    headers: Vec<(&'static str, SchemaRef, Access)>,
    /// Index of `route.by.field` in the row.
    route: Option<usize>,
}

/// The validated options.
#[derive(Debug)]
struct Settings {
    drop_tombstones: bool,
    deletes: DeleteAction,
    add_fields: Vec<FieldRef>,
    add_headers: Vec<FieldRef>,
    route_by_field: Option<Box<str>>,
    replace_null_with_default: bool,
}

/// `io.debezium.transforms.ExtractNewRecordState`.
#[derive(Debug)]
pub(super) struct ExtractNewRecordState {
    settings: Settings,
    cache: SchemaCache<Plan>,
    op_header: SchemaRef,
}

impl ExtractNewRecordState {
    pub(super) fn configure(o: &Options<'_>) -> Result<Self, TransformConfigError> {
        let legacy_drop_tombstones = o.boolean("drop.tombstones", true)?;
        let legacy_deletes = match o.string("delete.handling.mode") {
            None | Some("none") => DeleteAction::NullValue,
            Some("drop") => DeleteAction::Drop,
            Some("rewrite") => DeleteAction::Rewrite,
            Some(_) => {
                return Err(o.error(
                    "delete.handling.mode",
                    "is not a delete handling mode",
                    "use none, drop or rewrite (or the newer delete.tombstone.handling.mode)",
                ));
            }
        };
        let (drop_tombstones, deletes) = match o.string("delete.tombstone.handling.mode") {
            None => (legacy_drop_tombstones, legacy_deletes),
            Some("drop") => (true, DeleteAction::Drop),
            Some("tombstone") => (true, DeleteAction::NullValue),
            Some("rewrite") => (true, DeleteAction::Rewrite),
            Some("rewrite-with-tombstone") => (false, DeleteAction::Rewrite),
            Some(_) => {
                return Err(o.error(
                    "delete.tombstone.handling.mode",
                    "is not a delete/tombstone handling mode",
                    "use drop, tombstone, rewrite or rewrite-with-tombstone",
                ));
            }
        };
        let refs =
            |list: &str, prefix_option: &str| -> Result<Vec<FieldRef>, TransformConfigError> {
                let prefix = o.raw(prefix_option).unwrap_or("__");
                o.list(list)
                    .into_iter()
                    .map(|spec| {
                        FieldRef::parse(prefix, spec).map_err(|problem| {
                            o.error(
                            list,
                            problem,
                            "list envelope fields such as op,table,source.ts_ms or op:operation",
                        )
                        })
                    })
                    .collect()
            };
        let op_header = SchemaBuilder::string().build().map_err(|e| {
            o.error(
                "add.headers",
                e.to_string(),
                "report this as a Tributary bug",
            )
        })?;
        Ok(Self {
            settings: Settings {
                drop_tombstones,
                deletes,
                add_fields: refs("add.fields", "add.fields.prefix")?,
                add_headers: refs("add.headers", "add.headers.prefix")?,
                route_by_field: o.string("route.by.field").map(Box::from),
                replace_null_with_default: o.boolean("replace.null.with.default", true)?,
            },
            cache: SchemaCache::default(),
            op_header,
        })
    }

    fn plan(settings: &Settings, envelope: &Schema) -> Result<Plan, String> {
        let (before, _) = envelope
            .field("before")
            .ok_or("the envelope schema has no `before` field")?;
        let (after, after_field) = envelope
            .field("after")
            .ok_or("the envelope schema has no `after` field")?;
        let row = after_field.schema().clone();
        let mut b = copy_basics(&row, SchemaBuilder::structure());
        for f in row.fields() {
            b = b.field(f.name(), f.schema().clone());
        }
        let optional_copy = |s: &Schema| {
            copy_basics_same_type(s)
                .optional()
                .build()
                .map_err(|e| e.to_string())
        };
        let mut added = Vec::new();
        for r in &settings.add_fields {
            if let Some((access, schema)) = r.locate(envelope) {
                b = b.field(r.new_name, optional_copy(schema)?);
                added.push(access);
            }
        }
        if settings.deletes == DeleteAction::Rewrite {
            b = b.field(
                DELETED_FIELD,
                SchemaBuilder::string()
                    .optional()
                    .build()
                    .map_err(|e| e.to_string())?,
            );
        }
        let out = b
            .build()
            .map_err(|e| format!("cannot build the unwrapped value schema: {e}"))?;
        let mut headers = Vec::new();
        for r in &settings.add_headers {
            if let Some((access, schema)) = r.locate(envelope) {
                headers.push((r.new_name, optional_copy(schema)?, access));
            }
        }
        let route = match &settings.route_by_field {
            Some(name) => Some(
                row.field(name)
                    .map(|(i, _)| i)
                    .ok_or_else(|| format!("route.by.field `{name}` is not a row field"))?,
            ),
            None => None,
        };
        Ok(Plan {
            before,
            after,
            row,
            out,
            added,
            headers,
            route,
        })
    }

    /// Applies the transform; `Ok(false)` drops the record.
    pub(super) fn apply(&mut self, record: &mut ChangeRecord<'_>) -> Result<bool, String> {
        if is_null_value(&record.value) {
            if self.settings.drop_tombstones {
                return Ok(false);
            }
            for r in &self.settings.add_headers {
                if r.parent.is_none() && &*r.field == "op" {
                    record.headers.push(Header {
                        name: r.new_name,
                        schema: self.op_header.clone(),
                        value: Datum::str("d"),
                    });
                }
            }
            return Ok(true);
        }
        let is_envelope = record
            .value
            .as_ref()
            .and_then(|(s, _)| s.name())
            .is_some_and(|n| n.ends_with(".Envelope"));
        if !is_envelope {
            return Ok(true);
        }
        let Some((schema, value)) = record.value.take() else {
            return Ok(true);
        };
        let mut envelope = struct_fields(value).ok_or("the envelope value is not a struct")?;
        let settings = &self.settings;
        let plan = self
            .cache
            .get_or_try_insert(&schema, |s| Self::plan(settings, s))?;
        for (name, header_schema, access) in &plan.headers {
            record.headers.push(Header {
                name,
                schema: header_schema.clone(),
                value: access.read(&envelope),
            });
        }
        let added: Vec<Datum<'_>> = plan.added.iter().map(|a| a.read(&envelope)).collect();
        let after = take(&mut envelope, plan.after);
        let (row, deleted) = if after.is_null() {
            let before = take(&mut envelope, plan.before);
            if before.is_null() {
                // A truncate: "Truncate event arrived and requested to be dropped".
                return Ok(false);
            }
            match self.settings.deletes {
                DeleteAction::Drop => return Ok(false),
                DeleteAction::NullValue => {
                    route(plan.route, &before, record)?;
                    record.value = Some((plan.row.clone(), Datum::Null));
                    return Ok(true);
                }
                DeleteAction::Rewrite => (before, "true"),
            }
        } else {
            (after, "false")
        };
        route(plan.route, &row, record)?;
        let mut fields = struct_fields(row).ok_or("the row value is not a struct")?;
        let rewrite = self.settings.deletes == DeleteAction::Rewrite;
        if rewrite && self.settings.replace_null_with_default {
            // InsertField copies the row with `Struct.get`, which reads defaults.
            for (v, f) in fields.iter_mut().zip(plan.row.fields()) {
                *v = with_default(f.schema(), std::mem::replace(v, Datum::Null));
            }
        }
        fields.extend(added);
        if rewrite {
            fields.push(Datum::str(deleted));
        }
        record.value = Some((plan.out.clone(), Datum::structure_owned(fields)));
        Ok(true)
    }
}

/// Moves field `i` out of the envelope (null when absent).
fn take<'a>(envelope: &mut [Datum<'a>], i: usize) -> Datum<'a> {
    envelope
        .get_mut(i)
        .map(|d| std::mem::replace(d, Datum::Null))
        .unwrap_or(Datum::Null)
}

/// `route.by.field`: the row field's string value becomes the topic (blank keeps it).
fn route<'a>(
    index: Option<usize>,
    row: &Datum<'a>,
    record: &mut ChangeRecord<'a>,
) -> Result<(), String> {
    let Some(i) = index else {
        return Ok(());
    };
    let Datum::Struct(fields) = row else {
        return Err("the row value is not a struct".into());
    };
    match fields.get(i) {
        Some(Datum::String(topic)) if !topic.trim().is_empty() => {
            record.topic = Cow::Owned(topic.to_string());
            Ok(())
        }
        Some(Datum::String(_)) | Some(Datum::Null) | None => Ok(()),
        Some(other) => Err(format!(
            "route.by.field names a {} field; it must be a string",
            other.kind_name()
        )),
    }
}
