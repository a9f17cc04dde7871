//! Framing of PostgreSQL's frontend/backend protocol over any async byte stream.
//!
//! Frontend messages are built with `postgres-protocol`. Backend messages are split and
//! parsed here because `postgres-protocol`'s parser rejects `CopyBothResponse` (`W`), the
//! message that opens a replication stream, and because the replication hot path wants
//! `CopyData` bodies as zero-copy [`Bytes`] slices of the read buffer.
//!
//! Every read is bounds-checked: bytes from the server never cause a panic.

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::error::{PgError, ServerError};

/// PostgreSQL never sends a message larger than 1 GiB (its `MaxAllocSize`); a larger length
/// means the stream is out of step.
const MAX_MESSAGE_LEN: usize = 1 << 30;
/// Read at least this much at a time, so a stream of small CopyData messages costs few
/// system calls.
const READ_CHUNK: usize = 64 * 1024;

/// One backend message: its type byte and its body (without the length word).
#[derive(Debug)]
pub(crate) struct Frame {
    pub(crate) tag: u8,
    pub(crate) body: Bytes,
}

/// A connection's byte stream with its read and write buffers.
#[derive(Debug)]
pub(crate) struct Wire<S> {
    stream: S,
    addr: String,
    read: BytesMut,
    write: BytesMut,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Wire<S> {
    pub(crate) fn new(stream: S, addr: String) -> Self {
        Self {
            stream,
            addr,
            read: BytesMut::with_capacity(READ_CHUNK),
            write: BytesMut::with_capacity(1024),
        }
    }

    /// The buffer frontend messages are written into; [`Wire::flush`] sends it.
    pub(crate) fn out(&mut self) -> &mut BytesMut {
        &mut self.write
    }

    /// Sends everything written into [`Wire::out`].
    pub(crate) async fn flush(&mut self) -> Result<(), PgError> {
        let result = async {
            self.stream.write_all(&self.write).await?;
            self.stream.flush().await
        }
        .await;
        self.write.clear();
        result.map_err(|source| PgError::Io {
            addr: self.addr.clone(),
            action: "write",
            source,
        })
    }

    /// Reads the next backend message.
    pub(crate) async fn read_frame(&mut self) -> Result<Frame, PgError> {
        loop {
            if let Some(frame) = self.split_frame()? {
                return Ok(frame);
            }
            if self.read.capacity() - self.read.len() < READ_CHUNK / 4 {
                self.read.reserve(READ_CHUNK);
            }
            let n = self
                .stream
                .read_buf(&mut self.read)
                .await
                .map_err(|source| PgError::Io {
                    addr: self.addr.clone(),
                    action: "read",
                    source,
                })?;
            if n == 0 {
                return Err(PgError::Io {
                    addr: self.addr.clone(),
                    action: "read",
                    source: std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the server closed the connection",
                    ),
                });
            }
        }
    }

    /// Splits one complete message off the read buffer, if one is there.
    fn split_frame(&mut self) -> Result<Option<Frame>, PgError> {
        let Some(header) = self.read.get(..5) else {
            return Ok(None);
        };
        let tag = header[0];
        let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
        if !(4..=MAX_MESSAGE_LEN).contains(&len) {
            return Err(PgError::protocol(
                "read",
                format!("message '{}' has impossible length {len}", char::from(tag)),
            ));
        }
        let total = 1 + len;
        if self.read.len() < total {
            self.read.reserve(total - self.read.len());
            return Ok(None);
        }
        let mut frame = self.read.split_to(total);
        frame.advance(5);
        Ok(Some(Frame {
            tag,
            body: frame.freeze(),
        }))
    }
}

/// A bounds-checked reader over a message body.
#[derive(Debug)]
pub(crate) struct Body<'a> {
    bytes: &'a [u8],
    during: &'a str,
}

impl<'a> Body<'a> {
    pub(crate) fn new(bytes: &'a [u8], during: &'a str) -> Self {
        Self { bytes, during }
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], PgError> {
        if self.bytes.len() < n {
            return Err(PgError::protocol(
                self.during,
                format!("{what}: needs {n} bytes, {} left", self.bytes.len()),
            ));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    pub(crate) fn u8(&mut self, what: &str) -> Result<u8, PgError> {
        Ok(self.take(1, what)?[0])
    }

    pub(crate) fn i16(&mut self, what: &str) -> Result<i16, PgError> {
        let b = self.take(2, what)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn i32(&mut self, what: &str) -> Result<i32, PgError> {
        let b = self.take(4, what)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn u64(&mut self, what: &str) -> Result<u64, PgError> {
        let b = self.take(8, what)?;
        let mut word = [0u8; 8];
        word.copy_from_slice(b);
        Ok(u64::from_be_bytes(word))
    }

    pub(crate) fn i64(&mut self, what: &str) -> Result<i64, PgError> {
        self.u64(what).map(|v| v as i64)
    }

    pub(crate) fn bytes(&mut self, n: usize, what: &str) -> Result<&'a [u8], PgError> {
        self.take(n, what)
    }

    /// A NUL-terminated string.
    pub(crate) fn cstr(&mut self, what: &str) -> Result<&'a str, PgError> {
        let Some(end) = self.bytes.iter().position(|&b| b == 0) else {
            return Err(PgError::protocol(
                self.during,
                format!("{what}: missing NUL terminator"),
            ));
        };
        let (text, rest) = self.bytes.split_at(end);
        self.bytes = rest.get(1..).unwrap_or_default();
        std::str::from_utf8(text)
            .map_err(|_| PgError::protocol(self.during, format!("{what}: not UTF-8")))
    }

    pub(crate) fn rest(&self) -> &'a [u8] {
        self.bytes
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// Parses an ErrorResponse (or NoticeResponse) body.
pub(crate) fn parse_error_fields(body: &[u8]) -> ServerError {
    let mut error = ServerError::default();
    let mut rest = body;
    while let Some((&kind, tail)) = rest.split_first() {
        if kind == 0 {
            break;
        }
        let end = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
        let value = String::from_utf8_lossy(tail.get(..end).unwrap_or_default()).into_owned();
        rest = tail.get(end + 1..).unwrap_or_default();
        match kind {
            b'V' => error.severity = value,
            b'S' if error.severity.is_empty() => error.severity = value,
            b'C' => error.code = value,
            b'M' => error.message = value,
            b'D' => error.detail = Some(value),
            b'H' => error.hint = Some(value),
            _ => {}
        }
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_split_across_reads_and_bad_lengths_are_errors() {
        let (client, mut server) = tokio::io::duplex(64);
        let mut wire = Wire::new(client, "test".into());
        // A CopyData 'd' with 3 bytes of body, sent in two pieces.
        let writer = tokio::spawn(async move {
            server.write_all(&[b'd', 0, 0, 0, 7, 1]).await.unwrap();
            server.write_all(&[2, 3]).await.unwrap();
            server.write_all(&[b'Z', 0, 0, 0, 2]).await.unwrap();
        });
        let frame = wire.read_frame().await.unwrap();
        assert_eq!((frame.tag, &frame.body[..]), (b'd', &[1u8, 2, 3][..]));
        let err = wire.read_frame().await.unwrap_err();
        assert!(err.to_string().contains("impossible length 2"), "{err}");
        writer.await.unwrap();
    }

    #[test]
    fn error_fields_are_parsed_and_truncation_is_tolerated() {
        let body = b"SERROR\0VERROR\0C42704\0Mslot \"x\" does not exist\0Hcreate it\0\0";
        let error = parse_error_fields(body);
        assert_eq!(error.code, "42704");
        assert_eq!(error.message, "slot \"x\" does not exist");
        assert_eq!(error.hint.as_deref(), Some("create it"));
        let truncated = parse_error_fields(b"C08006\0Mbroken");
        assert_eq!(truncated.code, "08006");
        assert_eq!(truncated.message, "broken");
    }

    #[test]
    fn body_reads_are_checked() {
        let mut body = Body::new(&[0, 1, b'a', 0], "test");
        assert_eq!(body.i16("n").unwrap(), 1);
        assert_eq!(body.cstr("s").unwrap(), "a");
        assert!(body.is_empty());
        assert!(body.u64("x").is_err());
        let mut unterminated = Body::new(b"abc", "test");
        assert!(unterminated.cstr("s").is_err());
    }
}
