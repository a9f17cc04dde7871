//! pgoutput column values in the text output format → [`tributary_envelope::Value`].
//!
//! pgoutput sends every column (unless the `binary` option is on) as the text its type's
//! output function writes: what `psql` prints. This module turns that text into the typed
//! [`Value`] the envelope's type mapping consumes, choosing the variant the mapping expects
//! for each PostgreSQL type (`numeric`/`money` → [`Value::Numeric`], `interval` →
//! [`Value::Interval`], `point` → [`Value::Point`], ranges/`inet`/`hstore` →
//! [`Value::Text`], ...).
//!
//! # Plan once, decode per value
//! [`TextDecoder::new`] resolves a column's type oid and modifier once (built-in table, then
//! the caller's [`TypeResolver`] for enums, domains, user arrays, extension types) into a
//! small plan; [`TextDecoder::decode`] then parses one value with no lookups. A whole row
//! goes through [`RowDecoder`], built once per Relation message. The only heap memory a
//! decoded value uses is what the [`Value`] itself owns (its `Box<str>`, `Box<[u8]>`,
//! array elements); the single exception is an array element that needs unescaping *and* is
//! not itself text, which is unescaped into a temporary buffer.
//!
//! # Session settings the replication connection must force
//! Several output functions depend on session settings. The decoders assume:
//! - `DateStyle=ISO` (date/timestamp output `YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM]][ BC]`,
//!   `EncodeDateTime` in `src/backend/utils/adt/datetime.c`);
//! - `IntervalStyle=postgres` (`1 year 2 mons 3 days 04:05:06.789`, `EncodeInterval`);
//! - `extra_float_digits=3` (any value > 0 gives the shortest exact output since
//!   PostgreSQL 12, `float8out_internal`; pgjdbc and Debezium set 3);
//! - `client_encoding=UTF8` (pgoutput converts text values to the client encoding in
//!   `pq_sendcountedtext`; the model holds Unicode only, and other bytes are an error).
//!
//! A `SET` in some SQL session does not reach the walsender that runs pgoutput: the
//! settings must travel in the replication connection's start-up packet, as its
//! `options` parameter: `options='-c DateStyle=ISO -c IntervalStyle=postgres -c
//! extra_float_digits=3'` (plus `client_encoding=UTF8` as its own start-up parameter).
//! `pg_logical_slot_peek_binary_changes`/`_get_` run the output plugin inside the calling
//! backend, so there a plain `SET` in that session works (the integration test does that).
//! The `TimeZone` setting does not matter: `timestamptz` text carries its offset.
//!
//! # Money and `lc_monetary`
//! `money` output (`cash_out`, `src/backend/utils/adt/cash.c`) follows the server's
//! `lc_monetary`. The decoder accepts what `C`/`POSIX` and English locales write: an
//! optional currency symbol, `,` thousands separators, `.` as the decimal point, and a
//! leading `-` or surrounding parentheses for negatives (`$1,234.56`, `-$1.00`,
//! `($1.00)`). Locales with `,` as the decimal point (`de_DE`: `1.234,56 €`) are rejected
//! with an error naming the setting rather than misread. Debezium (pgjdbc `PGmoney`) parses
//! the same text into a `double` and then rescales it to `money.fraction.digits`; the
//! decoder keeps the exact decimal, which agrees with Debezium whenever the amount fits a
//! double's 15-16 significant digits (every amount below about 90 trillion).
//!
//! # Types the caller describes
//! pgoutput's Type message names a user type but does not say what it is; the engine
//! reads `pg_type` (`typtype`, `typbasetype`, `typelem`, `typdelim`) and answers through
//! [`TypeResolver`]: an enum, a domain over another type, an array of another type, or an
//! extension type known by name (`hstore`, `citext`, `ltree`, `geometry`, ...). A type
//! nobody knows decodes to [`Value::Unknown`] holding its text; [`TextDecoder::unknown_type`]
//! and [`RowDecoder::new`]'s hook report it once per column so the caller can warn —
//! the decoder itself stays pure and never logs.
//!
//! # Never panics
//! Values come from the network; every parser is bounds-checked and returns a
//! [`ValueError`] naming the type and the (truncated) text on bad input.

mod arrays;
mod bits;
mod catalog;
mod error;
mod geometric;
mod interval;
mod numeric;
mod plan;
mod resolver;
mod row;
mod temporal;
#[cfg(test)]
mod tests;
mod text;

pub use catalog::{builtin_array_element, builtin_arrays};
pub use error::{RowValueError, ValueError};
pub use plan::TextDecoder;
pub use resolver::{NoUserTypes, TypeResolver, UserType, UserTypes};
pub use row::{RowDecoder, UnknownColumn};

use tributary_envelope::Value;

use super::Oid;

/// Decodes one text-format column value of type `type_oid` (modifier `typmod`, `-1` for
/// none). NULL and unchanged-TOAST markers are the caller's ([`RowDecoder`] handles them).
///
/// Plans the type on every call: to decode many values of one column, build a
/// [`TextDecoder`] once instead.
pub fn decode_text_value(
    type_oid: Oid,
    typmod: i32,
    text: &[u8],
    types: &dyn TypeResolver,
) -> Result<Value, ValueError> {
    TextDecoder::new(type_oid, typmod, types).decode(text)
}
