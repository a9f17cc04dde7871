//! Standard base64 with padding, as Jackson writes `byte[]` values.
//!
//! JsonConverter turns BYTES (and Connect `Decimal`) into Jackson `BinaryNode`s, which are
//! written with `Base64Variants.MIME_NO_LINEFEEDS`: the standard alphabet (`+`, `/`), `=`
//! padding, no line breaks.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Appends `bytes` base64-encoded (no quotes).
pub(crate) fn write_base64(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len().div_ceil(3) * 4);
    let mut chunks = bytes.chunks_exact(3);
    for c in &mut chunks {
        let n = (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]);
        out.extend_from_slice(&[
            ALPHABET[(n >> 18) as usize & 63],
            ALPHABET[(n >> 12) as usize & 63],
            ALPHABET[(n >> 6) as usize & 63],
            ALPHABET[n as usize & 63],
        ]);
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            out.extend_from_slice(&[
                ALPHABET[(n >> 18) as usize & 63],
                ALPHABET[(n >> 12) as usize & 63],
                b'=',
                b'=',
            ]);
        }
        [a, b] => {
            let n = (u32::from(a) << 16) | (u32::from(b) << 8);
            out.extend_from_slice(&[
                ALPHABET[(n >> 18) as usize & 63],
                ALPHABET[(n >> 12) as usize & 63],
                ALPHABET[(n >> 6) as usize & 63],
                b'=',
            ]);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn b64(bytes: &[u8]) -> String {
        let mut out = Vec::new();
        write_base64(&mut out, bytes);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn rfc4648_vectors() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(b64(input.as_bytes()), want);
        }
        // The reference doc's decimal examples: 9999 -> 0x270F, 5 -> 0x05.
        assert_eq!(b64(&[0x27, 0x0F]), "Jw8=");
        assert_eq!(b64(&[0x05]), "BQ==");
        assert_eq!(b64(&[0xFB, 0xFF]), "+/8=");
    }

    #[test]
    fn agrees_with_the_base64_crate() {
        let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        for len in 0..70 {
            let want = base64::engine::general_purpose::STANDARD.encode(&data[..len * 7 % 1000]);
            assert_eq!(b64(&data[..len * 7 % 1000]), want);
        }
    }
}
