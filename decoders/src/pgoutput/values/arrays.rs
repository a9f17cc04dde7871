//! Arrays of any decodable element type.
//!
//! `array_out` (`src/backend/utils/adt/arrayfuncs.c`) writes `{e1,e2}` with one nested
//! brace level per dimension (`{{1,2},{3,4}}`), `{}` for an empty array, and a
//! `[lo:hi][lo:hi]=` prefix when a lower bound is not 1 (dropped here, as Debezium does).
//! An element is written bare unless it is empty, equals `NULL` case-insensitively, or
//! contains the delimiter, braces, quotes, backslashes or whitespace: then it is quoted,
//! with `"` and `\` backslash-escaped. A bare `NULL` is SQL NULL; `"NULL"` is the string.
//! The delimiter is the element type's `typdelim` (`;` for `box`).

use tributary_envelope::Value;

use super::plan::Kind;

/// PostgreSQL's `MAXDIM`: arrays have at most six dimensions.
const MAX_DIMENSIONS: usize = 6;

pub(super) fn array(t: &[u8], element: &Kind, delimiter: u8) -> Result<Value, &'static str> {
    let body = skip_dimensions(t)?;
    let mut p = Parser {
        s: body,
        pos: 0,
        element,
        delimiter,
        scratch: Vec::new(),
    };
    p.skip_ws();
    let value = p.level(1)?;
    p.skip_ws();
    if p.pos < p.s.len() {
        return Err("text after the array's closing brace");
    }
    Ok(value)
}

/// Strips a `[lo:hi]...=` dimension decoration.
fn skip_dimensions(t: &[u8]) -> Result<&[u8], &'static str> {
    if t.first() != Some(&b'[') {
        return Ok(t);
    }
    let eq = t
        .iter()
        .position(|&b| b == b'=')
        .ok_or("array dimensions without `=`")?;
    let (dims, rest) = t.split_at(eq);
    if !dims
        .iter()
        .all(|b| b.is_ascii_digit() || matches!(b, b'[' | b']' | b':' | b'-' | b'+'))
    {
        return Err("malformed array dimensions");
    }
    Ok(rest.get(1..).unwrap_or_default())
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    element: &'a Kind,
    delimiter: u8,
    /// Unescaping buffer for non-text elements that were quoted with escapes (e.g. `bytea`
    /// elements `"\\x00"`); one per array, reused.
    scratch: Vec<u8>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(is_space) {
            self.pos += 1;
        }
    }

    /// One `{...}` level, starting at its `{`.
    fn level(&mut self, depth: usize) -> Result<Value, &'static str> {
        if depth > MAX_DIMENSIONS {
            return Err("more than 6 array dimensions");
        }
        if self.peek() != Some(b'{') {
            return Err("expected `{` to open an array");
        }
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Array(items.into_boxed_slice()));
        }
        loop {
            self.skip_ws();
            let item = match self.peek() {
                Some(b'{') => self.level(depth + 1)?,
                Some(b'"') => self.quoted()?,
                Some(_) => self.unquoted()?,
                None => return Err("array ends inside braces"),
            };
            items.push(item);
            self.skip_ws();
            match self.peek() {
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                Some(d) if d == self.delimiter => self.pos += 1,
                _ => return Err("expected the delimiter or `}` after an array element"),
            }
        }
        Ok(Value::Array(items.into_boxed_slice()))
    }

    /// A `"..."` element, starting at its opening quote.
    fn quoted(&mut self) -> Result<Value, &'static str> {
        let start = self.pos + 1;
        let mut i = start;
        let mut escaped = false;
        loop {
            match self.s.get(i) {
                Some(b'\\') => {
                    escaped = true;
                    i += 2;
                }
                Some(b'"') => break,
                Some(_) => i += 1,
                None => return Err("unterminated quoted array element"),
            }
        }
        let raw = self
            .s
            .get(start..i)
            .ok_or("unterminated quoted array element")?;
        self.pos = i + 1;
        self.element_value(raw, escaped)
    }

    /// A bare element: up to the delimiter or `}`, trailing whitespace trimmed.
    fn unquoted(&mut self) -> Result<Value, &'static str> {
        let start = self.pos;
        let mut end = start;
        let mut escaped = false;
        while let Some(b) = self.peek() {
            if b == self.delimiter || b == b'}' || b == b'{' || b == b'"' {
                break;
            }
            if b == b'\\' {
                escaped = true;
                self.pos += 2;
                if self.pos > self.s.len() {
                    return Err("array ends after a backslash");
                }
                end = self.pos;
            } else {
                self.pos += 1;
                if !is_space(b) {
                    end = self.pos;
                }
            }
        }
        let raw = self.s.get(start..end).unwrap_or_default();
        if raw.is_empty() {
            return Err("empty unquoted array element");
        }
        if !escaped && raw.eq_ignore_ascii_case(b"NULL") {
            return Ok(Value::Null);
        }
        self.element_value(raw, escaped)
    }

    fn element_value(&mut self, raw: &[u8], escaped: bool) -> Result<Value, &'static str> {
        if !escaped {
            return self.element.decode(raw);
        }
        if self.element.is_textual() {
            // Unescape straight into the string the value will own.
            let mut bytes = Vec::with_capacity(raw.len());
            unescape(raw, &mut bytes);
            let s = String::from_utf8(bytes).map_err(|_| super::text::NOT_UTF8)?;
            return Ok(self.element.textual_value(s));
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        unescape(raw, &mut scratch);
        let result = self.element.decode(&scratch);
        self.scratch = scratch;
        result
    }
}

/// Drops each escaping backslash, keeping the character after it.
fn unescape(raw: &[u8], out: &mut Vec<u8>) {
    let mut iter = raw.iter();
    while let Some(&b) = iter.next() {
        if b == b'\\' {
            if let Some(&next) = iter.next() {
                out.push(next);
            }
        } else {
            out.push(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tributary_envelope::value::Extended;

    fn arr(items: Vec<Value>) -> Value {
        Value::Array(items.into_boxed_slice())
    }

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn empty_and_flat_arrays() {
        assert_eq!(array(b"{}", &Kind::Int4, b','), Ok(arr(vec![])));
        assert_eq!(
            array(b"{1,NULL,-3}", &Kind::Int4, b','),
            Ok(arr(vec![Value::Int32(1), Value::Null, Value::Int32(-3)]))
        );
        assert_eq!(
            array(b"[0:1]={1,2}", &Kind::Int2, b','),
            Ok(arr(vec![Value::Int16(1), Value::Int16(2)]))
        );
    }

    #[test]
    fn nested_arrays_with_nulls_quotes_and_escapes() {
        let t = br#"[1:2][-1:0]={{"a b","NULL"},{NULL,"q\"\\z"}}"#;
        assert_eq!(
            array(t, &Kind::Text, b','),
            Ok(arr(vec![
                arr(vec![text("a b"), text("NULL")]),
                arr(vec![Value::Null, text("q\"\\z")]),
            ]))
        );
        assert_eq!(
            array(r#"{"",null,"{}",é}"#.as_bytes(), &Kind::Text, b','),
            Ok(arr(vec![text(""), Value::Null, text("{}"), text("é")]))
        );
        // Whitespace around bare elements is not part of them; inside, it is.
        assert_eq!(
            array(b"{ a b , c }", &Kind::Text, b','),
            Ok(arr(vec![text("a b"), text("c")]))
        );
    }

    #[test]
    fn non_text_elements_unescape_through_the_scratch_buffer() {
        assert_eq!(
            array(br#"{"\\x00ff",NULL}"#, &Kind::Bytea, b','),
            Ok(arr(vec![Value::Bytes(Box::new([0, 0xff])), Value::Null]))
        );
        assert_eq!(
            array(
                br#"{"2000-01-01 00:00:00",infinity}"#,
                &Kind::Timestamp,
                b','
            ),
            Ok(arr(vec![
                Value::Timestamp(Extended::Finite(946_684_800_000_000)),
                Value::Timestamp(Extended::PositiveInfinity),
            ]))
        );
    }

    #[test]
    fn box_arrays_use_semicolons() {
        assert_eq!(
            array(b"{(1,1),(0,0);(2,2),(1,1)}", &Kind::Text, b';'),
            Ok(arr(vec![text("(1,1),(0,0)"), text("(2,2),(1,1)")]))
        );
    }

    #[test]
    fn malformed_arrays_are_errors() {
        for bad in [
            &b""[..],
            b"{",
            b"}",
            b"{1,}",
            b"{,1}",
            b"{1}}",
            b"{\"a}",
            b"{a\\",
            b"[1:2]{1,2}",
            b"[x]={1}",
            b"{{{{{{{1}}}}}}}",
            b"{1} x",
        ] {
            assert!(array(bad, &Kind::Text, b',').is_err(), "{bad:?}");
        }
        assert!(array(b"{1,x}", &Kind::Int4, b',').is_err());
        assert!(array(b"{{1},{2}}", &Kind::Int4, b',').is_ok());
    }
}
