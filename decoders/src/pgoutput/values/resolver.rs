//! What the caller knows about types that are not built in.

use std::collections::HashMap;

use super::super::Oid;

/// A user-defined or extension type, as the engine learns it from `pg_type`.
///
/// pgoutput's Type message gives only a name, so the kind comes from the catalog
/// ([`UserType::from_pg_type`] classifies a `pg_type` row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserType {
    /// An enum (`typtype = 'e'`): values are labels, decoded to `Value::Enum`.
    Enum,
    /// A domain (`typtype = 'd'`): values use the base type's text form.
    Domain {
        /// `typbasetype`.
        base_oid: Oid,
        /// `typtypmod` (the base type's modifier; `-1` for none).
        base_typmod: i32,
    },
    /// An array of another type (`typcategory = 'A'`, e.g. `_myenum`).
    Array {
        /// `typelem`.
        element_oid: Oid,
        /// The element type's `typdelim` (`,` for all but `box`).
        delimiter: u8,
    },
    /// A type carried as its text: extension types such as `hstore` (the mapping parses
    /// its `"k"=>"v"` text), `citext`, `ltree`, `isbn`, and user-defined ranges.
    Text,
    /// PostGIS `geometry`/`geography`, whose text output is hex EWKB.
    Geometry,
}

impl UserType {
    /// Classifies a `pg_type` row: `typtype`, `typname`, `typbasetype`, `typtypmod`,
    /// `typelem` and the element's `typdelim` (ignored unless it is an array). Returns
    /// `None` for what the decoders do not know (composites, pseudo-types, other
    /// extension types): those decode to their text as `Value::Unknown`.
    pub fn from_pg_type(
        typtype: u8,
        typname: &str,
        typbasetype: Oid,
        typtypmod: i32,
        typelem: Oid,
        element_delimiter: u8,
    ) -> Option<UserType> {
        match typtype {
            b'e' => Some(UserType::Enum),
            b'd' => Some(UserType::Domain {
                base_oid: typbasetype,
                base_typmod: typtypmod,
            }),
            // A true array type has `typelem` set and its name starts with `_`
            // (fixed-length types like `point` also set `typelem` for subscripting).
            b'b' if typelem != 0 && typname.starts_with('_') => Some(UserType::Array {
                element_oid: typelem,
                delimiter: element_delimiter,
            }),
            b'b' => match typname {
                "hstore" | "citext" | "ltree" | "lquery" | "ltxtquery" | "isbn" | "isbn13"
                | "ismn" | "ismn13" | "issn" | "issn13" | "ean13" | "upc" | "cube" | "seg" => {
                    Some(UserType::Text)
                }
                "geometry" | "geography" => Some(UserType::Geometry),
                _ => None,
            },
            // User-defined ranges and multiranges: Debezium writes ranges as strings.
            b'r' | b'm' => Some(UserType::Text),
            _ => None,
        }
    }
}

/// Answers "what is type `oid`?" for types that are not built in.
pub trait TypeResolver {
    /// The kind of user type `oid`, or `None` when unknown.
    fn user_type(&self, oid: Oid) -> Option<UserType>;
}

/// A resolver that knows no user types (only built-in types decode to typed values).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoUserTypes;

impl TypeResolver for NoUserTypes {
    fn user_type(&self, _oid: Oid) -> Option<UserType> {
        None
    }
}

/// A map of user types, filled by the caller from `pg_type`.
#[derive(Debug, Clone, Default)]
pub struct UserTypes {
    types: HashMap<Oid, UserType>,
}

impl UserTypes {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records (or replaces) type `oid`.
    pub fn insert(&mut self, oid: Oid, kind: UserType) {
        self.types.insert(oid, kind);
    }

    /// Forgets type `oid` (e.g. after `DROP TYPE`).
    pub fn remove(&mut self, oid: Oid) -> Option<UserType> {
        self.types.remove(&oid)
    }
}

impl TypeResolver for UserTypes {
    fn user_type(&self, oid: Oid) -> Option<UserType> {
        self.types.get(&oid).copied()
    }
}
