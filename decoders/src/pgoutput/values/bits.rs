//! `bit(n)` and `varbit`.

use tributary_envelope::Value;

/// `bit_out` writes one `0`/`1` per bit, leftmost first. [`Value::Bits`] wants them as a
/// right-aligned big-endian integer (`B'101'` → `[0x05]`), so the leftmost character is
/// the most significant bit of the first byte that holds a bit.
pub(super) fn bits(t: &[u8]) -> Result<Value, &'static str> {
    let len = u32::try_from(t.len()).map_err(|_| "bit string longer than 2^32 bits")?;
    let mut bytes = vec![0u8; t.len().div_ceil(8)].into_boxed_slice();
    let last = bytes.len();
    for (i, &c) in t.iter().enumerate() {
        // Position counted from the least significant (rightmost) bit.
        let pos = t.len() - 1 - i;
        let set = match c {
            b'1' => true,
            b'0' => false,
            _ => return Err("expected only 0 and 1"),
        };
        if set && let Some(byte) = bytes.get_mut(last - 1 - pos / 8) {
            *byte |= 1 << (pos % 8);
        }
    }
    Ok(Value::Bits { len, bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(len: u32, bytes: &[u8]) -> Result<Value, &'static str> {
        Ok(Value::Bits {
            len,
            bytes: bytes.into(),
        })
    }

    #[test]
    fn bits_are_right_aligned_big_endian() {
        assert_eq!(bits(b"101"), b(3, &[0x05]));
        assert_eq!(bits(b"1"), b(1, &[0x01]));
        assert_eq!(bits(b"0"), b(1, &[0x00]));
        assert_eq!(bits(b""), b(0, &[]));
        assert_eq!(bits(b"100000000"), b(9, &[0x01, 0x00]));
        assert_eq!(bits(b"0000000011111111"), b(16, &[0x00, 0xff]));
        assert_eq!(bits(b"110000000001"), b(12, &[0x0c, 0x01]));
        assert!(bits(b"102").is_err());
    }
}
