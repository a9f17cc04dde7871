//! A bounds-checked reader over a byte slice: every read returns `None` past the end, so
//! decoding code cannot index out of range.

/// Reads little-endian fields front to back; `None` means the input ended early.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    pub(crate) fn rest(&self) -> &'a [u8] {
        self.buf
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = self.buf.split_at_checked(n)?;
        self.buf = tail;
        Some(head)
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        let (&first, tail) = self.buf.split_first()?;
        self.buf = tail;
        Some(first)
    }

    /// An unsigned little-endian integer of `n` (at most 8) bytes.
    pub(crate) fn uint_le(&mut self, n: usize) -> Option<u64> {
        if n > 8 {
            return None;
        }
        let bytes = self.take(n)?;
        Some(
            bytes
                .iter()
                .rev()
                .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)),
        )
    }

    /// An unsigned big-endian integer of `n` (at most 8) bytes.
    pub(crate) fn uint_be(&mut self, n: usize) -> Option<u64> {
        if n > 8 {
            return None;
        }
        let bytes = self.take(n)?;
        Some(bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    pub(crate) fn u16_le(&mut self) -> Option<u16> {
        self.uint_le(2).and_then(|v| u16::try_from(v).ok())
    }

    pub(crate) fn u32_le(&mut self) -> Option<u32> {
        self.uint_le(4).and_then(|v| u32::try_from(v).ok())
    }

    pub(crate) fn u64_le(&mut self) -> Option<u64> {
        self.uint_le(8)
    }

    /// A length-encoded integer as the binlog writes it (`net_store_length`): one byte below
    /// 251, else a 0xfc/0xfd/0xfe prefix and 2, 3 or 8 bytes.
    pub(crate) fn lenenc(&mut self) -> Option<u64> {
        match self.u8()? {
            b @ 0..=0xfa => Some(u64::from(b)),
            0xfc => self.uint_le(2),
            0xfd => self.uint_le(3),
            0xfe => self.uint_le(8),
            _ => None,
        }
    }

    /// A length-encoded byte string.
    pub(crate) fn lenenc_bytes(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.lenenc()?).ok()?;
        self.take(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stop_at_the_end() {
        let mut c = Cursor::new(&[1, 2, 3]);
        assert_eq!(c.uint_le(2), Some(0x0201));
        assert_eq!(c.u16_le(), None);
        assert_eq!(c.u8(), Some(3));
        assert_eq!(c.u8(), None);
        assert_eq!(Cursor::new(&[0xfc, 0x01, 0x01]).lenenc(), Some(257));
        assert_eq!(Cursor::new(&[0xff]).lenenc(), None);
        assert_eq!(Cursor::new(&[1, 2]).uint_be(2), Some(0x0102));
    }
}
