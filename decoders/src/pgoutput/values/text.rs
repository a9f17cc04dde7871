//! Character data, `bytea` and `uuid`.
//!
//! Character types (`text`, `varchar`, `bpchar` with its padding, `name`, `"char"`), `xml`,
//! `json`/`jsonb`, the network types (`inet`, `cidr`, `macaddr`, `macaddr8`), ranges and
//! multiranges, `tsvector`, and extension types such as `hstore` are kept as the server
//! wrote them: Debezium maps all of them to strings (or JSON text), so there is nothing
//! to parse, only UTF-8 to check.

use tributary_envelope::Value;

pub(super) const NOT_UTF8: &str =
    "not valid UTF-8; connect with client_encoding=UTF8 (and a UTF8 database)";

/// The text as `&str`: pgoutput writes the client encoding, which must be UTF-8.
pub(super) fn utf8(t: &[u8]) -> Result<&str, &'static str> {
    std::str::from_utf8(t).map_err(|_| NOT_UTF8)
}

pub(super) fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `byteaout`: `\x` and two hex digits per byte (`bytea_output=hex`, the default since
/// 9.0), or the legacy escape format (`bytea_output=escape`): printable ASCII as itself,
/// `\\` for a backslash and `\ooo` (octal) for everything else.
pub(super) fn bytea(t: &[u8]) -> Result<Value, &'static str> {
    if let Some(hex) = t.strip_prefix(b"\\x") {
        if !hex.len().is_multiple_of(2) {
            return Err("odd number of hex digits");
        }
        let mut out = Vec::with_capacity(hex.len() / 2);
        for pair in hex.chunks_exact(2) {
            let (Some(&hi), Some(&lo)) = (pair.first(), pair.get(1)) else {
                return Err("odd number of hex digits");
            };
            match (hex_digit(hi), hex_digit(lo)) {
                (Some(h), Some(l)) => out.push(h << 4 | l),
                _ => return Err("invalid hex digit"),
            }
        }
        return Ok(Value::Bytes(out.into_boxed_slice()));
    }
    // Escape format: count first so the value is allocated once at its exact size.
    let mut len = 0usize;
    escape_walk(t, |_| len += 1)?;
    let mut out = Vec::with_capacity(len);
    escape_walk(t, |b| out.push(b))?;
    Ok(Value::Bytes(out.into_boxed_slice()))
}

fn escape_walk(t: &[u8], mut emit: impl FnMut(u8)) -> Result<(), &'static str> {
    let mut i = 0;
    while let Some(&b) = t.get(i) {
        if b != b'\\' {
            emit(b);
            i += 1;
            continue;
        }
        match (t.get(i + 1), t.get(i + 2), t.get(i + 3)) {
            (Some(b'\\'), _, _) => {
                emit(b'\\');
                i += 2;
            }
            (Some(&a @ b'0'..=b'3'), Some(&b @ b'0'..=b'7'), Some(&c @ b'0'..=b'7')) => {
                emit(((a - b'0') << 6) | ((b - b'0') << 3) | (c - b'0'));
                i += 4;
            }
            _ => return Err("invalid escape: expected \\\\ or \\ooo (octal)"),
        }
    }
    Ok(())
}

/// `uuid_out`: 32 lowercase hex digits in 8-4-4-4-12 groups (hyphens optional on input).
pub(super) fn uuid(t: &[u8]) -> Result<Value, &'static str> {
    const BAD: &str = "expected 32 hex digits as xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    let mut out = [0u8; 16];
    let mut nibbles = 0usize;
    for &b in t {
        if b == b'-' {
            continue;
        }
        let d = hex_digit(b).ok_or(BAD)?;
        let slot = out.get_mut(nibbles / 2).ok_or(BAD)?;
        *slot = if nibbles.is_multiple_of(2) {
            d << 4
        } else {
            *slot | d
        };
        nibbles += 1;
    }
    if nibbles != 32 {
        return Err(BAD);
    }
    Ok(Value::Uuid(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytea_reads_hex_and_escape_formats() {
        assert_eq!(bytea(b"\\x"), Ok(Value::Bytes(Box::new([]))));
        assert_eq!(
            bytea(b"\\x00ff7FaB"),
            Ok(Value::Bytes(Box::new([0, 0xff, 0x7f, 0xab])))
        );
        assert!(bytea(b"\\x0").is_err());
        assert!(bytea(b"\\xzz").is_err());
        assert_eq!(
            bytea(b"a\\\\b\\000\\377"),
            Ok(Value::Bytes(Box::new([b'a', b'\\', b'b', 0, 0xff])))
        );
        assert_eq!(bytea(b""), Ok(Value::Bytes(Box::new([]))));
        assert!(bytea(b"\\9").is_err());
        assert!(bytea(b"\\").is_err());
    }

    #[test]
    fn uuid_reads_canonical_and_bare_forms() {
        let want = Value::Uuid([
            0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38,
            0x0a, 0x11,
        ]);
        assert_eq!(
            uuid(b"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
            Ok(want.clone())
        );
        assert_eq!(uuid(b"A0EEBC999C0B4EF8BB6D6BB9BD380A11"), Ok(want));
        assert!(uuid(b"a0eebc99").is_err());
        assert!(uuid(b"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1100").is_err());
        assert!(uuid(b"").is_err());
    }

    #[test]
    fn invalid_utf8_is_an_error_naming_the_setting() {
        assert!(utf8(b"\xff").unwrap_err().contains("client_encoding"));
        assert_eq!(utf8("日本".as_bytes()), Ok("日本"));
    }
}
