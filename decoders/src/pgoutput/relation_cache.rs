//! The table descriptions a stream has announced, so its rows can be interpreted.

use std::collections::HashMap;

use super::message::{Message, Oid, Relation, ReplicaIdentity, Type};
use super::tuple::{TupleData, TupleValue};

/// An owned copy of a [`Relation`] message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationInfo {
    /// The table's oid.
    pub oid: Oid,
    /// Schema name. PostgreSQL sends an empty string for `pg_catalog`; this keeps what was
    /// sent.
    pub namespace: String,
    /// Table name.
    pub name: String,
    /// Replica identity.
    pub replica_identity: ReplicaIdentity,
    /// The published columns, in tuple order.
    pub columns: Vec<ColumnInfo>,
}

/// An owned copy of a [`RelationColumn`](super::RelationColumn).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnInfo {
    /// Flags; bit 0 marks a replica-identity column.
    pub flags: u8,
    /// Column name.
    pub name: String,
    /// Data type oid.
    pub type_oid: Oid,
    /// Type modifier (-1 for none).
    pub type_modifier: i32,
}

impl ColumnInfo {
    /// Whether the column is part of the replica identity.
    pub fn is_key(&self) -> bool {
        self.flags & super::RelationColumn::FLAG_KEY != 0
    }
}

impl From<&Relation<'_>> for RelationInfo {
    fn from(rel: &Relation<'_>) -> Self {
        RelationInfo {
            oid: rel.oid,
            namespace: rel.namespace.to_owned(),
            name: rel.name.to_owned(),
            replica_identity: rel.replica_identity,
            columns: rel
                .columns
                .iter()
                .map(|c| ColumnInfo {
                    flags: c.flags,
                    name: c.name.to_owned(),
                    type_oid: c.type_oid,
                    type_modifier: c.type_modifier,
                })
                .collect(),
        }
    }
}

/// A row whose shape does not match its relation's description.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowError {
    /// A change names a relation no Relation message described. pgoutput sends the
    /// Relation message before a table's first change in each session, so this means the
    /// cache missed messages (for example it was created after the stream started).
    #[error(
        "pgoutput: change for relation oid {oid}, which no Relation message described; \
         feed every message of the stream to the relation cache from its start"
    )]
    UnknownRelation {
        /// The relation oid of the change.
        oid: Oid,
    },
    /// The tuple has a different number of values than the relation has columns.
    #[error(
        "pgoutput: tuple for {namespace}.{name} (oid {oid}) has {tuple_columns} values but the \
         relation has {relation_columns} columns"
    )]
    ColumnCountMismatch {
        /// The relation oid.
        oid: Oid,
        /// Its schema.
        namespace: String,
        /// Its name.
        name: String,
        /// Values in the tuple.
        tuple_columns: usize,
        /// Columns in the last Relation message.
        relation_columns: usize,
    },
}

impl RelationInfo {
    /// Pairs each value of `tuple` with its column description.
    pub fn zip<'r, 't>(
        &'r self,
        tuple: &TupleData<'t>,
    ) -> Result<impl Iterator<Item = (&'r ColumnInfo, TupleValue<'t>)> + use<'r, 't>, RowError>
    {
        if tuple.len() != self.columns.len() {
            return Err(RowError::ColumnCountMismatch {
                oid: self.oid,
                namespace: self.namespace.clone(),
                name: self.name.clone(),
                tuple_columns: tuple.len(),
                relation_columns: self.columns.len(),
            });
        }
        Ok(self.columns.iter().zip(tuple.iter()))
    }
}

/// An owned copy of a [`Type`] message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeInfo {
    /// The type's oid.
    pub oid: Oid,
    /// Schema name (empty for `pg_catalog`).
    pub namespace: String,
    /// Type name.
    pub name: String,
}

impl From<&Type<'_>> for TypeInfo {
    fn from(t: &Type<'_>) -> Self {
        TypeInfo {
            oid: t.oid,
            namespace: t.namespace.to_owned(),
            name: t.name.to_owned(),
        }
    }
}

/// The latest Relation (and Type) message of each oid seen on a stream.
///
/// pgoutput describes a table once per session, before its first change, and again after
/// its definition changes (e.g. `ALTER TABLE ... ADD COLUMN` mid-stream): a new description
/// replaces the old one, and changes decoded after it use the new column list.
///
/// Descriptions inside a streamed block belong to a transaction that may still abort;
/// pgoutput then re-sends the description before the table's next change, so replacing
/// eagerly is safe.
#[derive(Debug, Clone, Default)]
pub struct RelationCache {
    relations: HashMap<Oid, RelationInfo>,
    types: HashMap<Oid, TypeInfo>,
}

impl RelationCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `message` if it is a Relation or Type message; ignores other messages.
    /// Feed every decoded message through this.
    pub fn observe(&mut self, message: &Message<'_>) {
        match message {
            Message::Relation(rel) => {
                self.insert(rel);
            }
            Message::Type(t) => {
                self.types.insert(t.oid, TypeInfo::from(t));
            }
            _ => {}
        }
    }

    /// Stores `rel`, replacing any earlier description of the same oid, and returns the
    /// stored copy.
    pub fn insert(&mut self, rel: &Relation<'_>) -> &RelationInfo {
        let info = RelationInfo::from(rel);
        match self.relations.entry(rel.oid) {
            std::collections::hash_map::Entry::Occupied(mut e) => {
                e.insert(info);
                e.into_mut()
            }
            std::collections::hash_map::Entry::Vacant(e) => e.insert(info),
        }
    }

    /// The latest description of relation `oid`.
    pub fn get(&self, oid: Oid) -> Option<&RelationInfo> {
        self.relations.get(&oid)
    }

    /// The latest description of relation `oid`, or an error saying it was never described.
    pub fn require(&self, oid: Oid) -> Result<&RelationInfo, RowError> {
        self.get(oid).ok_or(RowError::UnknownRelation { oid })
    }

    /// The user-defined type `oid`, if a Type message described it.
    pub fn type_info(&self, oid: Oid) -> Option<&TypeInfo> {
        self.types.get(&oid)
    }

    /// Forgets relation `oid` (e.g. after the table was dropped).
    pub fn remove(&mut self, oid: Oid) -> Option<RelationInfo> {
        self.relations.remove(&oid)
    }

    /// Number of relations described.
    pub fn len(&self) -> usize {
        self.relations.len()
    }

    /// Whether no relation was described yet.
    pub fn is_empty(&self) -> bool {
        self.relations.is_empty()
    }

    /// Forgets everything: a new replication session re-sends every description.
    pub fn clear(&mut self) {
        self.relations.clear();
        self.types.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pgoutput::{DecodeContext, RelationColumn, decode};

    fn relation(columns: &[&'static str]) -> Relation<'static> {
        Relation {
            xid: None,
            oid: 16384,
            namespace: "public",
            name: "t",
            replica_identity: ReplicaIdentity::Default,
            columns: columns
                .iter()
                .enumerate()
                .map(|(i, name)| RelationColumn {
                    flags: u8::from(i == 0),
                    name,
                    type_oid: 23,
                    type_modifier: -1,
                })
                .collect(),
        }
    }

    #[test]
    fn a_new_description_replaces_the_old_one() {
        let mut cache = RelationCache::new();
        assert_eq!(
            cache.require(16384),
            Err(RowError::UnknownRelation { oid: 16384 })
        );
        cache.observe(&Message::Relation(relation(&["id"])));
        cache.observe(&Message::Relation(relation(&["id", "added"])));
        assert_eq!(cache.len(), 1);
        let info = cache.require(16384).unwrap();
        let keys: Vec<_> = info.columns.iter().map(ColumnInfo::is_key).collect();
        assert_eq!(keys, [true, false]);

        // Insert into 16384: id = '1', added = null.
        let bytes = [
            b'I', 0, 0, 0x40, 0, b'N', 0, 2, b't', 0, 0, 0, 1, b'1', b'n',
        ];
        let Ok(Message::Insert(insert)) = decode(&bytes, DecodeContext::new(1)) else {
            panic!()
        };
        let row: Vec<_> = info
            .zip(&insert.new)
            .unwrap()
            .map(|(c, v)| (c.name.as_str(), v.as_str()))
            .collect();
        assert_eq!(row, [("id", Some("1")), ("added", None)]);

        cache.insert(&relation(&["id"]));
        let err = cache
            .require(16384)
            .unwrap()
            .zip(&insert.new)
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            "pgoutput: tuple for public.t (oid 16384) has 2 values but the relation has 1 columns"
        );
        assert!(cache.remove(16384).is_some());
        assert!(cache.is_empty());
    }
}
