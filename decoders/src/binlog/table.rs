//! TABLE_MAP events: the column layout that every following rows event is decoded with.
//!
//! # Why we parse TABLE_MAP ourselves
//! `mysql_common`'s `TableMapEvent` parses the event, but (0.38) looks up a column's metadata
//! by walking all earlier columns (quadratic per event, and a TABLE_MAP precedes every
//! transaction's rows), and its optional-metadata iterator counts `YEAR` (and the pre-5.0
//! `DECIMAL`) as numeric columns and `GEOMETRY` as non-character, whereas the server
//! (`is_numeric_type` / `is_character_type` in `log_event.cc`) does not: signedness and
//! charset flags would shift onto the wrong columns for tables with such columns. The format
//! is simple (libbinlogevents `rows_event.h`, `Table_map_event`), so we read it once per
//! event into [`TableMap`], with each column's type-specific metadata already decoded.

use super::cursor::Cursor;

/// A column's binlog type with its TABLE_MAP metadata decoded.
///
/// The binlog type is coarser than the SQL type: `TEXT` and `BLOB` are both [`Self::Blob`],
/// `CHAR` and `BINARY` both [`Self::String`]; the charset (optional metadata, or the caller's
/// schema) tells text from bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// `TINYINT`, 1 byte.
    Tiny,
    /// `SMALLINT`, 2 bytes.
    Short,
    /// `MEDIUMINT`, 3 bytes.
    Int24,
    /// `INT`, 4 bytes.
    Long,
    /// `BIGINT`, 8 bytes.
    LongLong,
    /// `FLOAT`, IEEE single.
    Float,
    /// `DOUBLE`, IEEE double.
    Double,
    /// `DECIMAL(precision, scale)`.
    NewDecimal {
        /// Total digits.
        precision: u8,
        /// Digits after the point.
        scale: u8,
    },
    /// `YEAR`, 1 byte.
    Year,
    /// `DATE`, 3 bytes.
    Date,
    /// `TIME` in the pre-5.6 format (no fractional seconds).
    Time,
    /// `TIME(fsp)`.
    Time2 {
        /// Fractional-second digits, 0..=6.
        fsp: u8,
    },
    /// `DATETIME` in the pre-5.6 format.
    DateTime,
    /// `DATETIME(fsp)`.
    DateTime2 {
        /// Fractional-second digits, 0..=6.
        fsp: u8,
    },
    /// `TIMESTAMP` in the pre-5.6 format.
    Timestamp,
    /// `TIMESTAMP(fsp)`.
    Timestamp2 {
        /// Fractional-second digits, 0..=6.
        fsp: u8,
    },
    /// `BIT(bits)`.
    Bit {
        /// Width in bits, 1..=64.
        bits: u16,
    },
    /// `ENUM`, stored as its 1-based index.
    Enum {
        /// Bytes of the index: 1 or 2.
        pack_len: u8,
    },
    /// `SET`, stored as a bitmask.
    Set {
        /// Bytes of the mask: 1..=8.
        pack_len: u8,
    },
    /// `CHAR(n)` / `BINARY(n)`.
    String {
        /// Maximum length in bytes.
        max_len: u16,
    },
    /// `VARCHAR(n)` / `VARBINARY(n)`.
    VarChar {
        /// Maximum length in bytes.
        max_len: u16,
    },
    /// `TINY/MEDIUM/LONG/TEXT` or `BLOB` (and MariaDB's `JSON`, an alias of `LONGTEXT`).
    Blob {
        /// Bytes of the length prefix: 1..=4.
        len_bytes: u8,
    },
    /// MySQL's binary `JSON`.
    Json {
        /// Bytes of the length prefix: 1..=4.
        len_bytes: u8,
    },
    /// A spatial type: 4-byte SRID then WKB.
    Geometry {
        /// Bytes of the length prefix: 1..=4.
        len_bytes: u8,
    },
    /// MySQL 9 `VECTOR`.
    Vector {
        /// Bytes of the length prefix: 1..=4.
        len_bytes: u8,
    },
    /// A type code this decoder does not read (pre-5.0 `DECIMAL`, typed arrays, …).
    Unsupported {
        /// The binlog type code.
        code: u8,
    },
}

impl ColumnType {
    /// Whether the server writes a signedness bit for this column (libbinlogevents
    /// `is_numeric_type`: integers, `DECIMAL`, `FLOAT`, `DOUBLE`; not `YEAR`).
    fn has_signedness_bit(code: u8) -> bool {
        matches!(code, 1 | 2 | 3 | 4 | 5 | 8 | 9 | 246)
    }

    /// Whether the server writes a charset for this column in `DEFAULT_CHARSET` /
    /// `COLUMN_CHARSET` (`is_character_type`: `CHAR`, `VARCHAR`, `TEXT`/`BLOB`, `GEOMETRY`).
    fn has_charset(code: u8, real: &ColumnType) -> bool {
        match code {
            254 => matches!(real, ColumnType::String { .. }),
            253 | 15 | 252 | 255 => true,
            _ => false,
        }
    }

    /// Whether the column is an integer type whose signedness changes the decoded value.
    pub fn is_integer(&self) -> bool {
        matches!(
            self,
            Self::Tiny | Self::Short | Self::Int24 | Self::Long | Self::LongLong
        )
    }

    /// Bytes of TABLE_MAP metadata the type code carries (libbinlogevents
    /// `Table_map_event` column-type table).
    fn metadata_len(code: u8) -> Option<usize> {
        Some(match code {
            4 | 5 | 17 | 18 | 19 | 242 | 245 | 249..=252 | 255 => 1,
            15 | 16 | 246..=248 | 254 => 2,
            0..=3 | 6..=14 | 253 => 0,
            _ => return None,
        })
    }

    fn from_code(code: u8, meta: &[u8]) -> Result<Self, String> {
        let m0 = meta.first().copied().unwrap_or(0);
        let m1 = meta.get(1).copied().unwrap_or(0);
        let len_bytes = |what: &str| {
            if (1..=4).contains(&m0) {
                Ok(m0)
            } else {
                Err(format!(
                    "{what} length prefix of {m0} bytes (expected 1..=4)"
                ))
            }
        };
        let fsp = || {
            if m0 <= 6 {
                Ok(m0)
            } else {
                Err(format!("fractional-second precision {m0} (expected 0..=6)"))
            }
        };
        Ok(match code {
            1 => Self::Tiny,
            2 => Self::Short,
            3 => Self::Long,
            4 => Self::Float,
            5 => Self::Double,
            7 => Self::Timestamp,
            8 => Self::LongLong,
            9 => Self::Int24,
            // MYSQL_TYPE_DATE has not been written since before row-based replication; the
            // server logs NEWDATE's 3-byte format under either code.
            10 | 14 => Self::Date,
            11 => Self::Time,
            12 => Self::DateTime,
            13 => Self::Year,
            15 => Self::VarChar {
                max_len: u16::from_le_bytes([m0, m1]),
            },
            16 => {
                let bits = u16::from(m1) * 8 + u16::from(m0);
                if !(1..=64).contains(&bits) {
                    return Err(format!("BIT width {bits} (expected 1..=64)"));
                }
                Self::Bit { bits }
            }
            17 => Self::Timestamp2 { fsp: fsp()? },
            18 => Self::DateTime2 { fsp: fsp()? },
            19 => Self::Time2 { fsp: fsp()? },
            242 => Self::Vector {
                len_bytes: len_bytes("VECTOR")?,
            },
            245 => Self::Json {
                len_bytes: len_bytes("JSON")?,
            },
            246 => {
                if m0 == 0 || m0 > 65 || m1 > 30 || m1 > m0 {
                    return Err(format!("DECIMAL({m0},{m1}) out of range"));
                }
                Self::NewDecimal {
                    precision: m0,
                    scale: m1,
                }
            }
            247 => Self::Enum { pack_len: m1 },
            248 => Self::Set { pack_len: m1 },
            249..=252 => Self::Blob {
                len_bytes: len_bytes("BLOB")?,
            },
            255 => Self::Geometry {
                len_bytes: len_bytes("GEOMETRY")?,
            },
            254 => {
                // CHAR: byte 0 is the real type (STRING, ENUM or SET) with the two high bits
                // of the length folded in, byte 1 the low byte (Field_string::save_field_metadata).
                if m0 == 0 {
                    Self::String {
                        max_len: u16::from(m1),
                    }
                } else {
                    let (real, max_len) = if m0 & 0x30 != 0x30 {
                        (
                            m0 | 0x30,
                            u16::from(m1) | (u16::from((m0 & 0x30) ^ 0x30) << 4),
                        )
                    } else {
                        (m0, u16::from(m1))
                    };
                    match real {
                        0xfe => Self::String { max_len },
                        0xf7 if matches!(m1, 1 | 2) => Self::Enum { pack_len: m1 },
                        0xf8 if (1..=8).contains(&m1) => Self::Set { pack_len: m1 },
                        _ => return Err(format!("CHAR metadata {m0:#04x} {m1:#04x}")),
                    }
                }
            }
            other => Self::Unsupported { code: other },
        })
    }
}

/// One column of a [`TableMap`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnInfo {
    /// Binlog type with its metadata.
    pub column_type: ColumnType,
    /// Whether the column may hold NULL.
    pub nullable: bool,
    /// `Some(true)` for `UNSIGNED`, `Some(false)` for signed, `None` when neither the TABLE_MAP
    /// (MySQL `SIGNEDNESS` optional metadata) nor the caller
    /// ([`BinlogDecoder::set_unsigned_columns`](super::BinlogDecoder::set_unsigned_columns))
    /// said. Only meaningful for numeric columns.
    pub unsigned: Option<bool>,
    /// Column name (MySQL `binlog_row_metadata=FULL`, MariaDB `binlog_row_metadata=FULL`).
    pub name: Option<String>,
    /// Collation id of a character column (optional metadata; 63 = binary).
    pub charset: Option<u16>,
    /// ENUM labels, in index order (`binlog_row_metadata=FULL`).
    pub enum_values: Option<Vec<String>>,
    /// SET labels, in bit order (`binlog_row_metadata=FULL`).
    pub set_values: Option<Vec<String>>,
    /// Geometry subtype code (optional metadata `GEOMETRY_TYPE`).
    pub geometry_type: Option<u64>,
    /// The binlog type code as written in the event.
    pub type_code: u8,
}

/// A decoded TABLE_MAP event: which table a table id means, and how its columns are laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableMap {
    /// Table id used by the rows events that follow.
    pub table_id: u64,
    /// Schema (database) name.
    pub schema: String,
    /// Table name.
    pub table: String,
    /// Columns in table order.
    pub columns: Vec<ColumnInfo>,
    /// Primary-key column indexes (optional metadata `SIMPLE_PRIMARY_KEY` or
    /// `PRIMARY_KEY_WITH_PREFIX`), when the server sent them.
    pub primary_key: Option<Vec<usize>>,
    /// Whether the signedness came from the event itself (MySQL always sends it unless
    /// `binlog_row_metadata` is off; MariaDB only with `binlog_row_metadata=FULL`).
    pub signedness_from_event: bool,
}

impl TableMap {
    /// The label of ENUM index `index` (1-based; 0 is the empty "invalid" value) of column
    /// `column`, when the TABLE_MAP carried the labels.
    pub fn enum_label(&self, column: usize, index: u16) -> Option<&str> {
        let values = self.columns.get(column)?.enum_values.as_ref()?;
        values
            .get(usize::from(index).checked_sub(1)?)
            .map(String::as_str)
    }

    /// Parses a TABLE_MAP body (post-header and payload, without checksum).
    /// `table_id_len` is 6, or 4 for pre-5.1.4 servers (FORMAT_DESCRIPTION post-header 6).
    pub(crate) fn parse(body: &[u8], table_id_len: usize) -> Result<Self, String> {
        let mut c = Cursor::new(body);
        let short = || "truncated".to_owned();
        let table_id = c.uint_le(table_id_len).ok_or_else(short)?;
        c.take(2).ok_or_else(short)?; // flags
        let schema_len = usize::from(c.u8().ok_or_else(short)?);
        let schema = lossy(c.take(schema_len).ok_or_else(short)?);
        c.take(1).ok_or_else(short)?; // NUL
        let table_len = usize::from(c.u8().ok_or_else(short)?);
        let table = lossy(c.take(table_len).ok_or_else(short)?);
        c.take(1).ok_or_else(short)?; // NUL
        let count = usize::try_from(c.lenenc().ok_or_else(short)?).map_err(|_| short())?;
        let types = c.take(count).ok_or_else(short)?;
        let meta_block = c.lenenc_bytes().ok_or_else(short)?;
        let null_bits = c.take(count.div_ceil(8)).ok_or_else(short)?;
        let optional = c.rest();

        let mut meta = Cursor::new(meta_block);
        let mut columns = Vec::with_capacity(count);
        for (index, &code) in types.iter().enumerate() {
            let len = ColumnType::metadata_len(code)
                .ok_or_else(|| format!("column {index}: unknown type code {code}"))?;
            let bytes = meta
                .take(len)
                .ok_or_else(|| format!("column {index}: metadata block too short"))?;
            let column_type =
                ColumnType::from_code(code, bytes).map_err(|e| format!("column {index}: {e}"))?;
            columns.push(ColumnInfo {
                column_type,
                nullable: bit_lsb(null_bits, index),
                unsigned: None,
                name: None,
                charset: None,
                enum_values: None,
                set_values: None,
                geometry_type: None,
                type_code: code,
            });
        }
        let mut map = TableMap {
            table_id,
            schema,
            table,
            columns,
            primary_key: None,
            signedness_from_event: false,
        };
        map.read_optional_metadata(optional)?;
        Ok(map)
    }

    /// Reads the optional metadata TLVs (libbinlogevents `Table_map_event::Optional_metadata_fields`).
    /// Unknown field types are skipped: a newer server may add fields we do not need.
    fn read_optional_metadata(&mut self, data: &[u8]) -> Result<(), String> {
        let mut c = Cursor::new(data);
        while !c.is_empty() {
            let kind = c.u8().ok_or("optional metadata truncated")?;
            let value = c
                .lenenc_bytes()
                .ok_or_else(|| format!("optional metadata field {kind} truncated"))?;
            let mut v = Cursor::new(value);
            let bad = || format!("optional metadata field {kind} malformed");
            match kind {
                // SIGNEDNESS: one bit per numeric column, most significant bit first.
                1 => {
                    let mut k = 0;
                    for col in &mut self.columns {
                        if ColumnType::has_signedness_bit(col.type_code) {
                            col.unsigned = Some(bit_msb(value, k).ok_or_else(bad)?);
                            k += 1;
                        }
                    }
                    self.signedness_from_event = true;
                }
                // DEFAULT_CHARSET: default collation, then (character-column index, collation) pairs.
                2 | 10 => {
                    let default = v.lenenc().ok_or_else(bad)?;
                    let mut overrides = Vec::new();
                    while !v.is_empty() {
                        let i = v.lenenc().ok_or_else(bad)?;
                        let cs = v.lenenc().ok_or_else(bad)?;
                        overrides.push((i, cs));
                    }
                    let enum_set = kind == 10;
                    let mut k = 0u64;
                    for col in &mut self.columns {
                        if self::charset_target(col, enum_set) {
                            let cs = overrides
                                .iter()
                                .find(|(i, _)| *i == k)
                                .map_or(default, |(_, cs)| *cs);
                            col.charset = u16::try_from(cs).ok();
                            k += 1;
                        }
                    }
                }
                // COLUMN_CHARSET: one collation per character column.
                3 | 11 => {
                    let enum_set = kind == 11;
                    for col in &mut self.columns {
                        if self::charset_target(col, enum_set) {
                            col.charset = u16::try_from(v.lenenc().ok_or_else(bad)?).ok();
                        }
                    }
                }
                // COLUMN_NAME: one length-prefixed name per column.
                4 => {
                    for col in &mut self.columns {
                        col.name = Some(lossy(v.lenenc_bytes().ok_or_else(bad)?));
                    }
                }
                // SET_STR_VALUE / ENUM_STR_VALUE: per SET/ENUM column, a count then labels.
                5 | 6 => {
                    for col in &mut self.columns {
                        let wanted = match col.column_type {
                            ColumnType::Set { .. } => kind == 5,
                            ColumnType::Enum { .. } => kind == 6,
                            _ => false,
                        };
                        if !wanted {
                            continue;
                        }
                        let n = v.lenenc().ok_or_else(bad)?;
                        let mut labels = Vec::new();
                        for _ in 0..n {
                            labels.push(lossy(v.lenenc_bytes().ok_or_else(bad)?));
                        }
                        if kind == 5 {
                            col.set_values = Some(labels);
                        } else {
                            col.enum_values = Some(labels);
                        }
                    }
                }
                // GEOMETRY_TYPE: one code per geometry column.
                7 => {
                    for col in &mut self.columns {
                        if matches!(col.column_type, ColumnType::Geometry { .. }) {
                            col.geometry_type = Some(v.lenenc().ok_or_else(bad)?);
                        }
                    }
                }
                // SIMPLE_PRIMARY_KEY: column indexes; PRIMARY_KEY_WITH_PREFIX: (index, prefix).
                8 | 9 => {
                    let mut pk = Vec::new();
                    while !v.is_empty() {
                        let i = v.lenenc().ok_or_else(bad)?;
                        if kind == 9 {
                            v.lenenc().ok_or_else(bad)?;
                        }
                        let i = usize::try_from(i).map_err(|_| bad())?;
                        if i >= self.columns.len() {
                            return Err(bad());
                        }
                        pk.push(i);
                    }
                    self.primary_key = Some(pk);
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Whether a charset field of the given family (character columns, or ENUM/SET columns)
/// has an entry for `col`.
fn charset_target(col: &ColumnInfo, enum_set: bool) -> bool {
    if enum_set {
        matches!(
            col.column_type,
            ColumnType::Enum { .. } | ColumnType::Set { .. }
        )
    } else {
        ColumnType::has_charset(col.type_code, &col.column_type)
    }
}

fn bit_lsb(bits: &[u8], i: usize) -> bool {
    bits.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0)
}

fn bit_msb(bits: &[u8], i: usize) -> Option<bool> {
    bits.get(i / 8).map(|b| b & (0x80 >> (i % 8)) != 0)
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
