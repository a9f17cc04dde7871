//! Confluent schema registry support: a blocking, caching REST client ([`client`]) and the
//! Avro converter that frames change records with registry schema ids ([`avro`]).
//!
//! # Why the converter is split across crates
//! Translating a Connect schema to Avro and encoding values are pure and live in
//! `tributary_envelope::avro`, where they are tested on values alone and benchmarked. Only
//! learning the schema id needs the network, so this module glues the two: it renders each
//! schema version once, asks the registry for its id once per subject, then writes every
//! record of that version without further I/O.

pub mod avro;
pub mod client;

pub use avro::{AvroConvertError, AvroConverter};
pub use client::{
    BasicAuth, RegistryConfig, RegistryError, SchemaRegistryClient, key_subject, value_subject,
};
