//! Built-in type oids (`src/include/catalog/pg_type.dat`; stable across releases, checked
//! against a real server's `pg_type` by `tests/pgoutput_values_real.rs`).

use super::super::Oid;

pub(super) const BOOL: Oid = 16;
pub(super) const BYTEA: Oid = 17;
pub(super) const CHAR: Oid = 18;
pub(super) const NAME: Oid = 19;
pub(super) const INT8: Oid = 20;
pub(super) const INT2: Oid = 21;
pub(super) const INT4: Oid = 23;
pub(super) const TEXT: Oid = 25;
pub(super) const OID: Oid = 26;
pub(super) const JSON: Oid = 114;
pub(super) const XML: Oid = 142;
pub(super) const POINT: Oid = 600;
pub(super) const LSEG: Oid = 601;
pub(super) const PATH: Oid = 602;
pub(super) const BOX: Oid = 603;
pub(super) const POLYGON: Oid = 604;
pub(super) const LINE: Oid = 628;
pub(super) const CIDR: Oid = 650;
pub(super) const FLOAT4: Oid = 700;
pub(super) const FLOAT8: Oid = 701;
pub(super) const CIRCLE: Oid = 718;
pub(super) const MACADDR8: Oid = 774;
pub(super) const MONEY: Oid = 790;
pub(super) const MACADDR: Oid = 829;
pub(super) const INET: Oid = 869;
pub(super) const BPCHAR: Oid = 1042;
pub(super) const VARCHAR: Oid = 1043;
pub(super) const DATE: Oid = 1082;
pub(super) const TIME: Oid = 1083;
pub(super) const TIMESTAMP: Oid = 1114;
pub(super) const TIMESTAMPTZ: Oid = 1184;
pub(super) const INTERVAL: Oid = 1186;
pub(super) const TIMETZ: Oid = 1266;
pub(super) const BIT: Oid = 1560;
pub(super) const VARBIT: Oid = 1562;
pub(super) const NUMERIC: Oid = 1700;
pub(super) const UUID: Oid = 2950;
pub(super) const TSVECTOR: Oid = 3614;
pub(super) const TSQUERY: Oid = 3615;
pub(super) const JSONB: Oid = 3802;
pub(super) const JSONPATH: Oid = 4072;
pub(super) const INT4RANGE: Oid = 3904;
pub(super) const NUMRANGE: Oid = 3906;
pub(super) const TSRANGE: Oid = 3908;
pub(super) const TSTZRANGE: Oid = 3910;
pub(super) const DATERANGE: Oid = 3912;
pub(super) const INT8RANGE: Oid = 3926;
pub(super) const INT4MULTIRANGE: Oid = 4451;
pub(super) const NUMMULTIRANGE: Oid = 4532;
pub(super) const TSMULTIRANGE: Oid = 4533;
pub(super) const TSTZMULTIRANGE: Oid = 4534;
pub(super) const DATEMULTIRANGE: Oid = 4535;
pub(super) const INT8MULTIRANGE: Oid = 4536;

/// `(array oid, element oid)` of every built-in array whose element this module decodes.
const ARRAYS: &[(Oid, Oid)] = &[
    (1000, BOOL),
    (1001, BYTEA),
    (1002, CHAR),
    (1003, NAME),
    (1016, INT8),
    (1005, INT2),
    (1007, INT4),
    (1009, TEXT),
    (1028, OID),
    (199, JSON),
    (143, XML),
    (1017, POINT),
    (1018, LSEG),
    (1019, PATH),
    (1020, BOX),
    (1027, POLYGON),
    (629, LINE),
    (651, CIDR),
    (1021, FLOAT4),
    (1022, FLOAT8),
    (719, CIRCLE),
    (775, MACADDR8),
    (791, MONEY),
    (1040, MACADDR),
    (1041, INET),
    (1014, BPCHAR),
    (1015, VARCHAR),
    (1182, DATE),
    (1183, TIME),
    (1115, TIMESTAMP),
    (1185, TIMESTAMPTZ),
    (1187, INTERVAL),
    (1270, TIMETZ),
    (1561, BIT),
    (1563, VARBIT),
    (1231, NUMERIC),
    (2951, UUID),
    (3643, TSVECTOR),
    (3645, TSQUERY),
    (3807, JSONB),
    (4073, JSONPATH),
    (3905, INT4RANGE),
    (3907, NUMRANGE),
    (3909, TSRANGE),
    (3911, TSTZRANGE),
    (3913, DATERANGE),
    (3927, INT8RANGE),
    (6150, INT4MULTIRANGE),
    (6151, NUMMULTIRANGE),
    (6152, TSMULTIRANGE),
    (6153, TSTZMULTIRANGE),
    (6155, DATEMULTIRANGE),
    (6157, INT8MULTIRANGE),
];

/// The element type of a built-in array type (`_int4` → `int4`), if this module knows it.
pub fn builtin_array_element(array_oid: Oid) -> Option<Oid> {
    ARRAYS
        .iter()
        .find(|(a, _)| *a == array_oid)
        .map(|(_, e)| *e)
}

/// Every built-in `(array oid, element oid)` pair this module decodes (tests compare them
/// with a server's `pg_type`).
pub fn builtin_arrays() -> &'static [(Oid, Oid)] {
    ARRAYS
}

/// The array delimiter of a built-in element type (`typdelim`): `;` for `box` (whose own
/// text contains commas), `,` for everything else.
pub(super) fn builtin_delimiter(element_oid: Oid) -> u8 {
    if element_oid == BOX { b';' } else { b',' }
}
