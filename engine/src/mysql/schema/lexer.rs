//! Tokens of a MySQL/MariaDB statement, for the DDL parser.
//!
//! # What it understands
//! Words, backquoted identifiers (`` `a``b` `` is `` a`b ``), string literals in single or
//! double quotes with backslash escapes and doubled quotes, numbers, hexadecimal and bit
//! literals (`0x1F`, `x'1F'`, `b'101'`), and punctuation. Comments (`/* */`, `-- `, `#`) are
//! dropped; executable comments (`/*!40101 … */`, MariaDB's `/*M!100100 … */`) are read as
//! their content, as the server does, because `mysqldump`-style DDL hides table options in
//! them. Every token keeps its byte span, so the parser can copy an expression (a column
//! default, a generated-column body) exactly as it was written.
//!
//! The lexer never panics: it walks characters, not byte indexes, and reports an unterminated
//! literal or comment as an error.

use super::error::ParseError;

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// An unquoted word: a keyword or an identifier (compared case-insensitively).
    Word(String),
    /// A backquoted identifier, unescaped.
    Quoted(String),
    /// A string literal, unescaped (quotes removed).
    Str(String),
    /// A number as written (`12`, `1.5`, `1e3`, `0x1F`, `x'1F'`, `b'101'`).
    Number(String),
    /// One punctuation character (`(`, `)`, `,`, `.`, `=`, `;`, `@`, operators).
    Punct(char),
}

/// A token and where it is in the statement (byte offsets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    /// What it is.
    pub(crate) kind: TokenKind,
    /// Byte offset of its first character.
    pub(crate) start: usize,
    /// Byte offset just past its last character.
    pub(crate) end: usize,
}

/// Splits `sql` into tokens.
pub(crate) fn tokenize(sql: &str) -> Result<Vec<Token>, ParseError> {
    let mut tokens = Vec::new();
    let mut chars = sql.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let rest = sql.get(start..).unwrap_or_default();
        // Comments.
        if rest.starts_with("/*") {
            let body = rest.get(2..).unwrap_or_default();
            let executable = body.strip_prefix('!').or_else(|| body.strip_prefix("M!"));
            if let Some(exec) = executable {
                // Executable comment: drop the marker and version, keep the content; the
                // closing `*/` is skipped when reached.
                let digits = exec.chars().take_while(char::is_ascii_digit).count();
                let skip = 2 + (body.len() - exec.len()) + digits;
                advance_bytes(&mut chars, start + skip);
                // Find the matching `*/` and blank it out by remembering its position.
                let after = sql.get(start + skip..).unwrap_or_default();
                let close = after
                    .find("*/")
                    .ok_or(ParseError::UnterminatedComment { at: start })?;
                let inner = tokenize(after.get(..close).unwrap_or_default())?;
                tokens.extend(inner.into_iter().map(|t| Token {
                    start: t.start + start + skip,
                    end: t.end + start + skip,
                    kind: t.kind,
                }));
                advance_bytes(&mut chars, start + skip + close + 2);
                continue;
            }
            let close = body
                .find("*/")
                .ok_or(ParseError::UnterminatedComment { at: start })?;
            advance_bytes(&mut chars, start + 2 + close + 2);
            continue;
        }
        if rest.starts_with('#')
            || rest.starts_with("-- ")
            || rest == "--"
            || rest.starts_with("--\n")
            || rest.starts_with("--\t")
        {
            let end = rest.find('\n').map_or(sql.len(), |n| start + n + 1);
            advance_bytes(&mut chars, end);
            continue;
        }
        match c {
            '`' => {
                let (text, end) = quoted(sql, start, '`', false)?;
                tokens.push(Token {
                    kind: TokenKind::Quoted(text),
                    start,
                    end,
                });
                advance_bytes(&mut chars, end);
            }
            '\'' | '"' => {
                let (text, end) = quoted(sql, start, c, true)?;
                tokens.push(Token {
                    kind: TokenKind::Str(text),
                    start,
                    end,
                });
                advance_bytes(&mut chars, end);
            }
            '0'..='9' => {
                let end = number_end(sql, start);
                let text = sql.get(start..end).unwrap_or_default().to_owned();
                tokens.push(Token {
                    kind: TokenKind::Number(text),
                    start,
                    end,
                });
                advance_bytes(&mut chars, end);
            }
            '.' if rest.chars().nth(1).is_some_and(|d| d.is_ascii_digit())
                && !matches!(
                    tokens.last().map(|t| &t.kind),
                    Some(TokenKind::Word(_) | TokenKind::Quoted(_))
                ) =>
            {
                let end = number_end(sql, start);
                let text = sql.get(start..end).unwrap_or_default().to_owned();
                tokens.push(Token {
                    kind: TokenKind::Number(text),
                    start,
                    end,
                });
                advance_bytes(&mut chars, end);
            }
            c if is_word_char(c) => {
                let end = rest
                    .char_indices()
                    .find(|&(_, ch)| !is_word_char(ch))
                    .map_or(sql.len(), |(i, _)| start + i);
                let word = sql.get(start..end).unwrap_or_default();
                // x'1F' and b'101' literals.
                if matches!(word, "x" | "X" | "b" | "B")
                    && sql.get(end..).is_some_and(|r| r.starts_with('\''))
                {
                    let (_, lit_end) = quoted(sql, end, '\'', false)?;
                    let text = sql.get(start..lit_end).unwrap_or_default().to_owned();
                    tokens.push(Token {
                        kind: TokenKind::Number(text),
                        start,
                        end: lit_end,
                    });
                    advance_bytes(&mut chars, lit_end);
                    continue;
                }
                tokens.push(Token {
                    kind: TokenKind::Word(word.to_owned()),
                    start,
                    end,
                });
                advance_bytes(&mut chars, end);
            }
            other => {
                let end = start + other.len_utf8();
                tokens.push(Token {
                    kind: TokenKind::Punct(other),
                    start,
                    end,
                });
                chars.next();
            }
        }
    }
    Ok(tokens)
}

/// Characters of an unquoted identifier: MySQL allows letters, digits, `_`, `$` and any
/// character above U+0080.
fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$' || !c.is_ascii()
}

/// Skips the iterator to byte offset `to`.
fn advance_bytes(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>, to: usize) {
    while chars.peek().is_some_and(|&(i, _)| i < to) {
        chars.next();
    }
}

/// End of a number starting at `start`: digits, one `.`, an exponent, or a `0x` prefix.
fn number_end(sql: &str, start: usize) -> usize {
    let rest = sql.get(start..).unwrap_or_default();
    let bytes = rest.as_bytes();
    let mut i = 0;
    if rest.starts_with("0x") || rest.starts_with("0X") || rest.starts_with("0b") {
        i = 2;
        while bytes.get(i).is_some_and(u8::is_ascii_alphanumeric) {
            i += 1;
        }
        return start + i;
    }
    while bytes.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    if matches!(bytes.get(i), Some(b'e' | b'E'))
        && (bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
            || (matches!(bytes.get(i + 1), Some(b'+' | b'-'))
                && bytes.get(i + 2).is_some_and(u8::is_ascii_digit)))
    {
        i += 2;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    // An identifier may start with digits (`1abc`): keep it one token.
    while bytes
        .get(i)
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
    {
        i += 1;
    }
    start + i
}

/// Reads a quoted token starting at `start` (the opening quote). A doubled quote stands for
/// one; in string literals (`escapes`) a backslash escapes the next character as the default
/// `sql_mode` does. Returns the unescaped text and the end offset.
fn quoted(
    sql: &str,
    start: usize,
    quote: char,
    escapes: bool,
) -> Result<(String, usize), ParseError> {
    let body = sql.get(start + quote.len_utf8()..).unwrap_or_default();
    let mut out = String::new();
    let mut it = body.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if c == quote {
            if it.peek().is_some_and(|&(_, n)| n == quote) {
                out.push(quote);
                it.next();
                continue;
            }
            return Ok((out, start + quote.len_utf8() + i + c.len_utf8()));
        }
        if escapes && c == '\\' {
            match it.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, 'r')) => out.push('\r'),
                Some((_, '0')) => out.push('\0'),
                Some((_, 'Z')) => out.push('\u{1a}'),
                Some((_, 'b')) => out.push('\u{8}'),
                // MySQL keeps the backslash of `\%` and `\_` (they matter to LIKE).
                Some((_, e @ ('%' | '_'))) => {
                    out.push('\\');
                    out.push(e);
                }
                Some((_, other)) => out.push(other),
                None => break,
            }
            continue;
        }
        out.push(c);
    }
    Err(ParseError::UnterminatedLiteral { at: start })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str) -> Vec<TokenKind> {
        tokenize(sql).unwrap().into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn words_quotes_numbers_and_comments() {
        use TokenKind::*;
        assert_eq!(
            kinds("/* c */ CREATE `a``b` 'it''s\\n' 1.5e3 x'1F' -- tail\n#x\n,"),
            vec![
                Word("CREATE".into()),
                Quoted("a`b".into()),
                Str("it's\n".into()),
                Number("1.5e3".into()),
                Number("x'1F'".into()),
                Punct(','),
            ]
        );
    }

    #[test]
    fn executable_comments_are_read() {
        use TokenKind::*;
        assert_eq!(
            kinds("t /*!40101 CHARSET=utf8 */ /*M!100100 x */"),
            vec![
                Word("t".into()),
                Word("CHARSET".into()),
                Punct('='),
                Word("utf8".into()),
                Word("x".into())
            ]
        );
    }

    #[test]
    fn unterminated_input_is_an_error() {
        for sql in ["'abc", "`abc", "/* abc", "/*!4 abc", "x'1"] {
            assert!(tokenize(sql).is_err(), "{sql}");
        }
    }

    #[test]
    fn unicode_identifiers() {
        assert_eq!(
            kinds("ü.`é`"),
            vec![
                TokenKind::Word("ü".into()),
                TokenKind::Punct('.'),
                TokenKind::Quoted("é".into())
            ]
        );
    }
}
