//! A bounds-checked cursor over one message: every read names its field so a short or
//! corrupt message becomes a [`DecodeError`] that points at the byte.

use super::error::{DecodeError, Field};
use super::message::MessageKind;

/// Reads big-endian integers and NUL-terminated strings, as PostgreSQL's `pq_getmsg*`
/// functions do, but returns errors instead of raising them.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    message: MessageKind,
}

impl<'a> Reader<'a> {
    /// A reader over the whole message, positioned at `pos` (1: just after the type byte).
    pub(crate) fn new(buf: &'a [u8], pos: usize, message: MessageKind) -> Self {
        Self { buf, pos, message }
    }

    pub(crate) fn message(&self) -> MessageKind {
        self.message
    }

    pub(crate) fn offset(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// The bytes read since `start` (an earlier [`Reader::offset`]).
    pub(crate) fn since(&self, start: usize) -> &'a [u8] {
        self.buf.get(start..self.pos).unwrap_or_default()
    }

    pub(crate) fn take(&mut self, n: usize, field: Field) -> Result<&'a [u8], DecodeError> {
        let slice = self
            .pos
            .checked_add(n)
            .and_then(|end| self.buf.get(self.pos..end))
            .ok_or(DecodeError::Truncated {
                message: self.message,
                field,
                offset: self.pos,
                needed: n,
                remaining: self.remaining(),
            })?;
        self.pos += n;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self, field: Field) -> Result<[u8; N], DecodeError> {
        let slice = self.take(N, field)?;
        // `take` returned exactly N bytes, so the conversion cannot fail; map it anyway
        // rather than unwrap.
        slice.try_into().map_err(|_| DecodeError::Truncated {
            message: self.message,
            field,
            offset: self.pos,
            needed: N,
            remaining: self.remaining(),
        })
    }

    pub(crate) fn u8(&mut self, field: Field) -> Result<u8, DecodeError> {
        Ok(u8::from_be_bytes(self.array(field)?))
    }

    pub(crate) fn u16(&mut self, field: Field) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    pub(crate) fn u32(&mut self, field: Field) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    pub(crate) fn i32(&mut self, field: Field) -> Result<i32, DecodeError> {
        Ok(i32::from_be_bytes(self.array(field)?))
    }

    pub(crate) fn u64(&mut self, field: Field) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array(field)?))
    }

    pub(crate) fn i64(&mut self, field: Field) -> Result<i64, DecodeError> {
        Ok(i64::from_be_bytes(self.array(field)?))
    }

    /// An `Int32` length followed by that many bytes (tuple values, message content).
    pub(crate) fn length_prefixed(
        &mut self,
        length_field: Field,
        field: Field,
    ) -> Result<&'a [u8], DecodeError> {
        let length_offset = self.pos;
        let length = self.i32(length_field)?;
        let Ok(n) = usize::try_from(length) else {
            return Err(DecodeError::NegativeLength {
                message: self.message,
                field,
                offset: length_offset,
                length: i64::from(length),
            });
        };
        if n > self.remaining() {
            return Err(DecodeError::LengthExceedsRemaining {
                message: self.message,
                field,
                offset: self.pos,
                length: i64::from(length),
                remaining: self.remaining(),
            });
        }
        self.take(n, field)
    }

    /// A NUL-terminated string (`String` in the protocol docs), borrowed without the NUL.
    pub(crate) fn cstr(&mut self, field: Field) -> Result<&'a str, DecodeError> {
        let start = self.pos;
        let rest = self.buf.get(start..).unwrap_or_default();
        let Some(len) = rest.iter().position(|&b| b == 0) else {
            return Err(DecodeError::UnterminatedString {
                message: self.message,
                field,
                offset: start,
            });
        };
        let bytes = self.take(len, field)?;
        self.pos += 1; // the NUL, known to be there
        std::str::from_utf8(bytes).map_err(|_| DecodeError::InvalidUtf8 {
            message: self.message,
            field,
            offset: start,
        })
    }

    /// Fails if any byte is left: every message is exactly one `XLogData` payload.
    pub(crate) fn finish(self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            count => Err(DecodeError::TrailingBytes {
                message: self.message,
                offset: self.pos,
                count,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: Field = Field::Named("f");

    #[test]
    fn reads_big_endian_and_reports_truncation() {
        let buf = [b'B', 0, 0, 0, 1, 0xFF];
        let mut r = Reader::new(&buf, 1, MessageKind::Begin);
        assert_eq!(r.u32(F).unwrap(), 1);
        assert_eq!(
            r.u32(F),
            Err(DecodeError::Truncated {
                message: MessageKind::Begin,
                field: F,
                offset: 5,
                needed: 4,
                remaining: 1
            })
        );
        assert_eq!(r.u8(F).unwrap(), 0xFF);
        r.finish().unwrap();
    }

    #[test]
    fn strings_need_a_nul_and_utf8() {
        let buf = [b'O', b'a', b'b', 0, 0xC3, 0];
        let mut r = Reader::new(&buf, 1, MessageKind::Origin);
        assert_eq!(r.cstr(F).unwrap(), "ab");
        assert!(matches!(
            r.cstr(F),
            Err(DecodeError::InvalidUtf8 { offset: 4, .. })
        ));
        let mut r = Reader::new(&buf[..3], 1, MessageKind::Origin);
        assert!(matches!(
            r.cstr(F),
            Err(DecodeError::UnterminatedString { offset: 1, .. })
        ));
    }

    #[test]
    fn length_prefixed_rejects_negative_and_oversized() {
        let buf = [b'M', 0xFF, 0xFF, 0xFF, 0xFF];
        let mut r = Reader::new(&buf, 1, MessageKind::Message);
        assert!(matches!(
            r.length_prefixed(F, F),
            Err(DecodeError::NegativeLength { length: -1, .. })
        ));
        let buf = [b'M', 0, 0, 0, 3, 1];
        let mut r = Reader::new(&buf, 1, MessageKind::Message);
        assert!(matches!(
            r.length_prefixed(F, F),
            Err(DecodeError::LengthExceedsRemaining {
                length: 3,
                remaining: 1,
                offset: 5,
                ..
            })
        ));
    }
}
