//! The client/server protocol for the binlog connection: packet framing, the v10 handshake
//! with `mysql_native_password`, `COM_QUERY` for session variables, `COM_REGISTER_SLAVE`,
//! `COM_BINLOG_DUMP` and `COM_BINLOG_DUMP_GTID`.
//!
//! Sources: MySQL's client/server protocol documentation (`page_protocol_basic_packets`,
//! `page_protocol_connection_phase_packets_protocol_handshake_v10`,
//! `page_protocol_com_binlog_dump`, `page_protocol_com_binlog_dump_gtid`,
//! `page_protocol_com_register_slave`) and MariaDB's `sql/sql_repl.cc`
//! (`mysql_binlog_send`, `get_binlog_checksum_value_at_connect`).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::config::MySqlConnectOptions;
use super::error::MySqlError;

/// A payload of this length continues in the next packet.
const MAX_PAYLOAD: usize = 0xff_ffff;
/// Upper bound on one reassembled packet (an event): MySQL's and MariaDB's
/// `max_allowed_packet` cannot exceed 1 GiB.
const MAX_MESSAGE: usize = 1 << 30;

const CLIENT_LONG_PASSWORD: u32 = 0x1;
const CLIENT_LONG_FLAG: u32 = 0x4;
const CLIENT_PROTOCOL_41: u32 = 0x200;
const CLIENT_TRANSACTIONS: u32 = 0x2000;
const CLIENT_SECURE_CONNECTION: u32 = 0x8000;
const CLIENT_PLUGIN_AUTH: u32 = 0x8_0000;

const COM_QUERY: u8 = 0x03;
const COM_BINLOG_DUMP: u8 = 0x12;
const COM_REGISTER_SLAVE: u8 = 0x15;
const COM_BINLOG_DUMP_GTID: u8 = 0x1e;
/// `BINLOG_THROUGH_GTID`: the GTID set follows in `COM_BINLOG_DUMP_GTID`.
const BINLOG_THROUGH_GTID: u16 = 0x04;
const NATIVE_PASSWORD: &str = "mysql_native_password";
/// utf8mb4_general_ci: session variables and error messages in UTF-8.
const CHARSET_UTF8MB4: u8 = 45;

/// One packet of a binlog dump.
#[derive(Debug)]
pub(crate) enum DumpPacket {
    /// A raw event: header, body and checksum, as the decoder takes it.
    Event(Vec<u8>),
    /// The server ended the stream (EOF packet).
    End,
}

/// An authenticated connection used only for the binlog dump.
#[derive(Debug)]
pub(crate) struct BinlogConnection {
    io: BufReader<TcpStream>,
    seq: u8,
    addr: String,
    /// The server's version string (`…-MariaDB…` on MariaDB).
    pub(crate) server_version: String,
}

impl BinlogConnection {
    /// Connects and authenticates within `options.connect_timeout`.
    pub(crate) async fn connect(options: &MySqlConnectOptions) -> Result<Self, MySqlError> {
        let addr = options.addr();
        let limit = options.connect_timeout;
        match tokio::time::timeout(limit, Self::connect_inner(options, addr.clone())).await {
            Ok(result) => result,
            Err(_) => Err(MySqlError::Timeout {
                addr,
                action: "connect and authenticate",
                seconds: limit.as_secs(),
            }),
        }
    }

    async fn connect_inner(
        options: &MySqlConnectOptions,
        addr: String,
    ) -> Result<Self, MySqlError> {
        let stream = TcpStream::connect((options.host.as_str(), options.port))
            .await
            .map_err(|source| MySqlError::Io {
                addr: addr.clone(),
                action: "connect",
                source,
            })?;
        // Best effort: events are latency-sensitive and small commands must not wait.
        let _ = stream.set_nodelay(true);
        let mut conn = Self {
            io: BufReader::with_capacity(64 * 1024, stream),
            seq: 0,
            addr,
            server_version: String::new(),
        };
        let greeting = conn.read_packet("handshake").await?;
        if greeting.first() == Some(&0xff) {
            return Err(err_packet(&greeting, "handshake"));
        }
        let hello = Handshake::parse(&greeting)?;
        conn.server_version = hello.server_version.clone();
        let password = options.password.as_ref().map(|p| p.expose()).unwrap_or("");
        let caps = (CLIENT_LONG_PASSWORD
            | CLIENT_LONG_FLAG
            | CLIENT_PROTOCOL_41
            | CLIENT_TRANSACTIONS
            | CLIENT_SECURE_CONNECTION
            | CLIENT_PLUGIN_AUTH)
            & (hello.capabilities | CLIENT_PROTOCOL_41);
        if hello.capabilities & CLIENT_PROTOCOL_41 == 0 {
            return Err(MySqlError::protocol(
                "handshake",
                "the server does not speak protocol 4.1 (MySQL 4.1+/MariaDB required)",
            ));
        }
        let (plugin, scramble) = if hello.plugin.is_empty() {
            (NATIVE_PASSWORD.to_owned(), hello.scramble)
        } else {
            (hello.plugin, hello.scramble)
        };
        let auth = if plugin == NATIVE_PASSWORD {
            native_password(password, &scramble)
        } else {
            // Answer with nothing; the server then switches us to a method it accepts for
            // this account, or we report the one it insists on.
            Vec::new()
        };
        let mut response = Vec::with_capacity(128);
        response.extend_from_slice(&caps.to_le_bytes());
        response.extend_from_slice(&(MAX_MESSAGE as u32).to_le_bytes());
        response.push(CHARSET_UTF8MB4);
        response.extend_from_slice(&[0; 23]);
        response.extend_from_slice(options.user.as_bytes());
        response.push(0);
        response.push(u8::try_from(auth.len()).unwrap_or(0));
        response.extend_from_slice(&auth);
        if caps & CLIENT_PLUGIN_AUTH != 0 {
            response.extend_from_slice(plugin.as_bytes());
            response.push(0);
        }
        conn.write_packet(&response, "authenticate").await?;
        loop {
            let reply = conn.read_packet("authenticate").await?;
            match reply.first() {
                Some(0x00) => return Ok(conn),
                Some(0xff) => return Err(err_packet(&reply, "authenticate")),
                Some(0xfe) => {
                    // AuthSwitchRequest: plugin name NUL-terminated, then its data.
                    let rest = reply.get(1..).unwrap_or_default();
                    let (name, data) = split_nul(rest);
                    let name = String::from_utf8_lossy(name).into_owned();
                    if name != NATIVE_PASSWORD {
                        return Err(MySqlError::UnsupportedAuthentication { plugin: name });
                    }
                    let data = data.strip_suffix(&[0]).unwrap_or(data);
                    let answer = native_password(password, data);
                    conn.write_packet(&answer, "authenticate").await?;
                }
                _ => {
                    return Err(MySqlError::UnsupportedAuthentication { plugin });
                }
            }
        }
    }

    /// Runs a statement that returns no rows (`SET …`).
    pub(crate) async fn execute(&mut self, sql: &str) -> Result<(), MySqlError> {
        self.seq = 0;
        let mut payload = Vec::with_capacity(sql.len() + 1);
        payload.push(COM_QUERY);
        payload.extend_from_slice(sql.as_bytes());
        self.write_packet(&payload, "query").await?;
        self.expect_ok(sql).await
    }

    /// `COM_REGISTER_SLAVE`: shows the reader in `SHOW SLAVE HOSTS` under `server_id`, and
    /// makes the server end an older dump with the same id.
    pub(crate) async fn register_replica(&mut self, server_id: u32) -> Result<(), MySqlError> {
        self.seq = 0;
        self.write_packet(&register_replica_command(server_id), "COM_REGISTER_SLAVE")
            .await?;
        self.expect_ok("COM_REGISTER_SLAVE").await
    }

    /// Sends a prepared `COM_BINLOG_DUMP`/`COM_BINLOG_DUMP_GTID`; events follow.
    pub(crate) async fn request_dump(&mut self, command: &[u8]) -> Result<(), MySqlError> {
        self.seq = 0;
        self.write_packet(command, "binlog dump request").await
    }

    /// The next packet of a dump, waiting at most `limit`.
    pub(crate) async fn read_dump_packet(
        &mut self,
        limit: Duration,
    ) -> Result<DumpPacket, MySqlError> {
        let packet = match tokio::time::timeout(limit, self.read_packet("binlog dump")).await {
            Ok(packet) => packet?,
            Err(_) => {
                return Err(MySqlError::Timeout {
                    addr: self.addr.clone(),
                    action: "the next binlog event or heartbeat",
                    seconds: limit.as_secs(),
                });
            }
        };
        match packet.first() {
            Some(0x00) => {
                let mut event = packet;
                event.remove(0);
                Ok(DumpPacket::Event(event))
            }
            Some(0xff) => Err(err_packet(&packet, "binlog dump")),
            Some(0xfe) if packet.len() < 9 => Ok(DumpPacket::End),
            other => Err(MySqlError::protocol(
                "binlog dump",
                format!("unexpected packet starting with {other:?}"),
            )),
        }
    }

    async fn expect_ok(&mut self, during: &str) -> Result<(), MySqlError> {
        let reply = self.read_packet("query").await?;
        match reply.first() {
            Some(0x00) => Ok(()),
            Some(0xff) => Err(err_packet(&reply, during)),
            _ => Err(MySqlError::protocol(
                during.to_owned(),
                "expected OK, the server sent a result set",
            )),
        }
    }

    /// Reads one message, joining packets of the maximum length with their continuations.
    async fn read_packet(&mut self, during: &'static str) -> Result<Vec<u8>, MySqlError> {
        let mut message = Vec::new();
        loop {
            let mut header = [0u8; 4];
            self.io
                .read_exact(&mut header)
                .await
                .map_err(|source| self.io_error("read", source))?;
            let len =
                usize::from(header[0]) | usize::from(header[1]) << 8 | usize::from(header[2]) << 16;
            self.seq = header[3].wrapping_add(1);
            if message.len() + len > MAX_MESSAGE {
                return Err(MySqlError::protocol(
                    during,
                    format!("a message longer than {MAX_MESSAGE} bytes"),
                ));
            }
            let start = message.len();
            message.resize(start + len, 0);
            let chunk = message.get_mut(start..).unwrap_or_default();
            self.io
                .read_exact(chunk)
                .await
                .map_err(|source| self.io_error("read", source))?;
            if len < MAX_PAYLOAD {
                return Ok(message);
            }
        }
    }

    async fn write_packet(
        &mut self,
        payload: &[u8],
        during: &'static str,
    ) -> Result<(), MySqlError> {
        if payload.len() >= MAX_PAYLOAD {
            return Err(MySqlError::protocol(during, "command too long"));
        }
        let len = payload.len().to_le_bytes();
        let mut packet = Vec::with_capacity(payload.len() + 4);
        packet.extend_from_slice(&[len[0], len[1], len[2], self.seq]);
        packet.extend_from_slice(payload);
        self.seq = self.seq.wrapping_add(1);
        let stream = self.io.get_mut();
        stream
            .write_all(&packet)
            .await
            .map_err(|source| MySqlError::Io {
                addr: self.addr.clone(),
                action: "write",
                source,
            })
    }

    fn io_error(&self, action: &'static str, source: std::io::Error) -> MySqlError {
        MySqlError::Io {
            addr: self.addr.clone(),
            action,
            source,
        }
    }
}

/// The fields of the server's greeting that the client needs.
#[derive(Debug)]
struct Handshake {
    server_version: String,
    capabilities: u32,
    scramble: Vec<u8>,
    plugin: String,
}

impl Handshake {
    fn parse(p: &[u8]) -> Result<Self, MySqlError> {
        let bad = |detail: &str| MySqlError::protocol("handshake", detail.to_owned());
        if p.first() != Some(&10) {
            return Err(bad("not a protocol-10 greeting"));
        }
        let rest = p.get(1..).unwrap_or_default();
        let (version, rest) = split_nul(rest);
        // connection id (4), scramble part 1 (8), filler (1), capabilities low (2)
        let part1 = rest.get(4..12).ok_or_else(|| bad("truncated"))?;
        let caps_lo = rest.get(13..15).ok_or_else(|| bad("truncated"))?;
        let mut capabilities = u32::from(u16::from_le_bytes([caps_lo[0], caps_lo[1]]));
        let mut scramble = part1.to_vec();
        let mut plugin = String::new();
        // charset (1), status (2), capabilities high (2), scramble length (1), reserved (10)
        if let Some(caps_hi) = rest.get(18..20) {
            capabilities |= u32::from(u16::from_le_bytes([caps_hi[0], caps_hi[1]])) << 16;
            let scramble_len = usize::from(rest.get(20).copied().unwrap_or(0));
            let tail = rest.get(31..).unwrap_or_default();
            if capabilities & CLIENT_SECURE_CONNECTION != 0 {
                let n = scramble_len.saturating_sub(8).max(13).min(tail.len());
                let part2 = tail.get(..n).unwrap_or_default();
                scramble.extend_from_slice(part2.strip_suffix(&[0]).unwrap_or(part2));
                if capabilities & CLIENT_PLUGIN_AUTH != 0 {
                    let (name, _) = split_nul(tail.get(n..).unwrap_or_default());
                    plugin = String::from_utf8_lossy(name).into_owned();
                }
            }
        }
        Ok(Self {
            server_version: String::from_utf8_lossy(version).into_owned(),
            capabilities,
            scramble,
            plugin,
        })
    }
}

fn split_nul(bytes: &[u8]) -> (&[u8], &[u8]) {
    match bytes.iter().position(|&b| b == 0) {
        Some(i) => (
            bytes.get(..i).unwrap_or_default(),
            bytes.get(i + 1..).unwrap_or_default(),
        ),
        None => (bytes, &[]),
    }
}

/// An ERR packet: `0xff`, code (2), `#` and SQLSTATE (5), message.
fn err_packet(p: &[u8], during: &str) -> MySqlError {
    let code = match p.get(1..3) {
        Some(c) => u16::from_le_bytes([c[0], c[1]]),
        None => 0,
    };
    let (state, message) = match p.get(3) {
        Some(b'#') => (
            String::from_utf8_lossy(p.get(4..9).unwrap_or_default()).into_owned(),
            p.get(9..).unwrap_or_default(),
        ),
        _ => ("HY000".to_owned(), p.get(3..).unwrap_or_default()),
    };
    MySqlError::Server {
        during: during.to_owned(),
        code,
        state,
        message: String::from_utf8_lossy(message).into_owned(),
    }
}

/// `mysql_native_password`: `SHA1(password) XOR SHA1(scramble + SHA1(SHA1(password)))`.
fn native_password(password: &str, scramble: &[u8]) -> Vec<u8> {
    if password.is_empty() {
        return Vec::new();
    }
    let stage1 = sha1(password.as_bytes());
    let stage2 = sha1(&stage1);
    let mut salted = Vec::with_capacity(scramble.len() + 20);
    salted.extend_from_slice(scramble);
    salted.extend_from_slice(&stage2);
    let mask = sha1(&salted);
    stage1.iter().zip(mask).map(|(a, b)| a ^ b).collect()
}

/// SHA-1 (FIPS 180-4), only for `mysql_native_password`'s challenge response: the engine has
/// no SHA-1 dependency and this is the only use. Not for anything that needs collision
/// resistance.
fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [
        0x6745_2301,
        0xefcd_ab89,
        0x98ba_dcfe,
        0x1032_5476,
        0xc3d2_e1f0,
    ];
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for block in msg.chunks_exact(64) {
        let mut w = [0u32; 80];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5a82_7999),
                20..=39 => (b ^ c ^ d, 0x6ed9_eba1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8f1b_bcdc),
                _ => (b ^ c ^ d, 0xca62_c1d6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (chunk, word) in out.chunks_exact_mut(4).zip(h) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// `COM_REGISTER_SLAVE`: server id (4), hostname, user, password (each a 1-byte length and
/// bytes; we send none), port (2), replication rank (4, unused), master id (4, 0).
pub(crate) fn register_replica_command(server_id: u32) -> Vec<u8> {
    let mut c = vec![COM_REGISTER_SLAVE];
    c.extend_from_slice(&server_id.to_le_bytes());
    c.extend_from_slice(&[0, 0, 0]);
    c.extend_from_slice(&0u16.to_le_bytes());
    c.extend_from_slice(&0u32.to_le_bytes());
    c.extend_from_slice(&0u32.to_le_bytes());
    c
}

/// `COM_BINLOG_DUMP`: position (4), flags (2), server id (4), file name (rest of packet).
/// An empty file name with position 4 asks MariaDB to start from `@slave_connect_state`.
pub(crate) fn binlog_dump_command(
    file: &str,
    pos: u64,
    server_id: u32,
) -> Result<Vec<u8>, MySqlError> {
    let pos = u32::try_from(pos).map_err(|_| MySqlError::InvalidOffset {
        detail: format!(
            "position {pos} does not fit COM_BINLOG_DUMP's 4 bytes; start from a GTID position"
        ),
    })?;
    let mut c = vec![COM_BINLOG_DUMP];
    c.extend_from_slice(&pos.to_le_bytes());
    c.extend_from_slice(&0u16.to_le_bytes());
    c.extend_from_slice(&server_id.to_le_bytes());
    c.extend_from_slice(file.as_bytes());
    Ok(c)
}

/// `COM_BINLOG_DUMP_GTID` (MySQL 5.6+): flags (2), server id (4), file name length (4), file
/// name, position (8), then with `BINLOG_THROUGH_GTID` the encoded GTID set's length (4) and
/// the set (see [`super::gtid::MySqlGtidSet::encode`]). The server sends every transaction
/// not in the set.
pub(crate) fn binlog_dump_gtid_command(server_id: u32, encoded_set: &[u8]) -> Vec<u8> {
    let mut c = vec![COM_BINLOG_DUMP_GTID];
    c.extend_from_slice(&BINLOG_THROUGH_GTID.to_le_bytes());
    c.extend_from_slice(&server_id.to_le_bytes());
    c.extend_from_slice(&0u32.to_le_bytes()); // no file name: the set decides
    c.extend_from_slice(&4u64.to_le_bytes());
    c.extend_from_slice(
        &u32::try_from(encoded_set.len())
            .unwrap_or(u32::MAX)
            .to_le_bytes(),
    );
    c.extend_from_slice(encoded_set);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn sha1_known_vectors() {
        assert_eq!(hex(&sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            hex(&sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hex(&sha1(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
    }

    #[test]
    fn native_password_matches_the_server_formula() {
        // PASSWORD('tributary') on the server is '*' + hex(SHA1(SHA1(pw))); the response
        // XORed with SHA1(scramble + stage2) must give back SHA1(pw).
        let scramble = b"01234567890123456789";
        let resp = native_password("tributary", scramble);
        let stage2 = sha1(&sha1(b"tributary"));
        let mut salted = scramble.to_vec();
        salted.extend_from_slice(&stage2);
        let mask = sha1(&salted);
        let stage1: Vec<u8> = resp.iter().zip(mask).map(|(a, b)| a ^ b).collect();
        assert_eq!(sha1(&stage1), stage2);
        assert!(native_password("", scramble).is_empty());
    }

    #[test]
    fn handshake_parse_never_panics_on_truncation() {
        let mut g = vec![10];
        g.extend_from_slice(b"10.11.6-MariaDB\0");
        g.extend_from_slice(&[1, 0, 0, 0]);
        g.extend_from_slice(b"abcdefgh");
        g.push(0);
        g.extend_from_slice(&0xf7ffu16.to_le_bytes());
        g.push(45);
        g.extend_from_slice(&2u16.to_le_bytes());
        g.extend_from_slice(&0x81bfu16.to_le_bytes());
        g.push(21);
        g.extend_from_slice(&[0; 10]);
        g.extend_from_slice(b"ijklmnopqrst\0");
        g.extend_from_slice(b"mysql_native_password\0");
        let h = Handshake::parse(&g).unwrap();
        assert_eq!(h.server_version, "10.11.6-MariaDB");
        assert_eq!(h.scramble, b"abcdefghijklmnopqrst");
        assert_eq!(h.plugin, NATIVE_PASSWORD);
        for n in 0..g.len() {
            let _ = Handshake::parse(&g[..n]);
        }
    }

    #[test]
    fn dump_command_bytes() {
        let c = binlog_dump_command("mysql-bin.000002", 1234, 7).unwrap();
        let mut want = vec![0x12, 0xd2, 0x04, 0, 0, 0, 0, 7, 0, 0, 0];
        want.extend_from_slice(b"mysql-bin.000002");
        assert_eq!(c, want);
        assert!(binlog_dump_command("f", u64::from(u32::MAX) + 1, 1).is_err());
        assert_eq!(
            register_replica_command(258),
            vec![0x15, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
    }

    #[test]
    fn dump_gtid_command_bytes() {
        let c = binlog_dump_gtid_command(5, &[0xaa, 0xbb]);
        let want = vec![
            0x1e, 4, 0, 5, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0xaa, 0xbb,
        ];
        assert_eq!(c, want);
    }

    #[test]
    fn err_packet_fields() {
        let mut p = vec![0xff, 0xd4, 0x04, b'#'];
        p.extend_from_slice(b"HY000Could not find first log file");
        match err_packet(&p, "dump") {
            MySqlError::Server {
                code,
                state,
                message,
                ..
            } => {
                assert_eq!(code, 1236);
                assert_eq!(state, "HY000");
                assert_eq!(message, "Could not find first log file");
            }
            other => panic!("{other:?}"),
        }
        let _ = err_packet(&[0xff], "dump");
    }
}
