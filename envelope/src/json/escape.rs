//! JSON string escaping exactly as Jackson's generator does it.
//!
//! Jackson (`com.fasterxml.jackson.core.io.CharTypes.sOutputEscapes128`, used by
//! `UTF8JsonGenerator`, which writes every Kafka `JsonConverter` message) escapes only:
//! `"` and `\` with a backslash; `\b`, `\t`, `\n`, `\f`, `\r` with their short forms; every
//! other control character below U+0020 as `\u00XX` with UPPER-case hex. It does not escape
//! `/`, DEL (U+007F) or any non-ASCII character: those are written as raw UTF-8.

/// For each byte: 0 = copy as is; b'u' = `\u00XX`; anything else = backslash + that byte.
const ESCAPES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        table[i] = b'u';
        i += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0A] = b'n';
    table[0x0C] = b'f';
    table[0x0D] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Appends `s` as a quoted JSON string.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    write_str_body(out, s);
    out.push(b'"');
}

/// Appends `s` escaped, without quotes. Runs of bytes that need no escape are copied in
/// one `extend_from_slice`.
pub(crate) fn write_str_body(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc = ESCAPES[usize::from(b)];
        if esc == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        if esc == b'u' {
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX_UPPER[usize::from(b >> 4)],
                HEX_UPPER[usize::from(b & 0x0F)],
            ]);
        } else {
            out.extend_from_slice(&[b'\\', esc]);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str) -> String {
        let mut out = Vec::new();
        write_str(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_like_jackson() {
        assert_eq!(esc(""), r#""""#);
        assert_eq!(esc("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(esc("\u{8}\t\n\u{c}\r"), r#""\b\t\n\f\r""#);
        assert_eq!(esc("\u{0}\u{1}\u{1f}"), r#""\u0000\u0001\u001F""#);
        assert_eq!(esc("\u{b}"), r#""\u000B""#);
    }

    #[test]
    fn leaves_slash_del_and_non_ascii_alone() {
        assert_eq!(esc("a/b\u{7f}é€😀\u{2028}"), "\"a/b\u{7f}é€😀\u{2028}\"");
    }

    #[test]
    fn every_escape_parses_back() {
        let all: String = (0u8..=0x7F).map(char::from).collect();
        let json = esc(&all);
        let back: String = serde_json::from_str(&json).unwrap();
        assert_eq!(back, all);
    }
}
