//! A PostgreSQL replication session: start-up, authentication, and the simple-query
//! protocol.
//!
//! # Authentication
//! cleartext (`password`), `md5` and `scram-sha-256` (without channel binding). The SCRAM
//! and MD5 computations come from `postgres-protocol`. TLS comes first when configured
//! (see the `tls` module).

use postgres_protocol::authentication::md5_hash;
use postgres_protocol::authentication::sasl::{ChannelBinding, SCRAM_SHA_256, ScramSha256};
use postgres_protocol::message::frontend;
use tokio::net::TcpStream;

use super::config::PgConnectOptions;
use super::error::PgError;
use super::tls::{PgStream, negotiate};
use super::wire::{Body, Frame, Wire, parse_error_fields};

/// One row of a simple-query result, every column as text (or NULL).
pub type TextRow = Vec<Option<String>>;

/// An authenticated `replication=database` session, ready for commands and queries.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) wire: Wire<PgStream>,
    tls: bool,
    server_version: String,
}

impl Session {
    /// Connects and authenticates a `replication=database` session, within
    /// `options.connect_timeout`.
    pub(crate) async fn connect(options: &PgConnectOptions) -> Result<Self, PgError> {
        Self::connect_as(options, true).await
    }

    /// Connects and authenticates; `replication` makes it a `replication=database` session,
    /// otherwise an ordinary one (snapshot reads run in ordinary sessions, which can import
    /// an exported snapshot into a transaction).
    pub(crate) async fn connect_as(
        options: &PgConnectOptions,
        replication: bool,
    ) -> Result<Self, PgError> {
        let timeout = options.connect_timeout;
        tokio::time::timeout(timeout, Self::connect_inner(options, replication))
            .await
            .map_err(|_| PgError::Timeout {
                addr: options.addr(),
                action: "connect and authenticate",
                seconds: timeout.as_secs(),
            })?
    }

    async fn connect_inner(options: &PgConnectOptions, replication: bool) -> Result<Self, PgError> {
        let addr = options.addr();
        let stream = TcpStream::connect((options.host.as_str(), options.port))
            .await
            .map_err(|source| PgError::Io {
                addr: addr.clone(),
                action: "connect",
                source,
            })?;
        stream.set_nodelay(true).map_err(|source| PgError::Io {
            addr: addr.clone(),
            action: "connect",
            source,
        })?;
        let stream = negotiate(
            stream,
            &options.host,
            &addr,
            options.tls.mode,
            options.tls.root_cert.as_deref(),
        )
        .await?;
        let tls = stream.is_tls();
        let mut wire = Wire::new(stream, addr);

        // `replication=database`: a logical replication session that also accepts SQL on
        // the named database (used by the start-up checks).
        let params = [
            ("user", options.user.as_str()),
            ("database", options.dbname.as_str()),
            ("application_name", options.application_name.as_str()),
            ("client_encoding", "UTF8"),
            (
                "replication",
                if replication { "database" } else { "false" },
            ),
            // The walsender formats text values with these session settings, and `SET`
            // cannot reach it: the value decoders expect ISO dates, postgres-style
            // intervals and round-trippable floats (see decoders' `pgoutput::values`).
            (
                "options",
                "-c DateStyle=ISO -c IntervalStyle=postgres -c extra_float_digits=3",
            ),
        ];
        frontend::startup_message(params, wire.out())
            .map_err(|e| PgError::protocol("start-up", e.to_string()))?;
        wire.flush().await?;

        authenticate(&mut wire, options).await?;

        let mut server_version = String::new();
        loop {
            let frame = wire.read_frame().await?;
            match frame.tag {
                b'S' => {
                    let mut body = Body::new(&frame.body, "start-up");
                    let name = body.cstr("parameter name")?;
                    let value = body.cstr("parameter value")?;
                    if name == "server_version" {
                        server_version = value.to_owned();
                    }
                }
                b'K' | b'N' => {}
                b'Z' => break,
                b'E' => return Err(server_error("start-up", &frame)),
                other => return Err(unexpected("start-up", other)),
            }
        }
        Ok(Self {
            wire,
            tls,
            server_version,
        })
    }

    /// The server's major version, from its `server_version` parameter (`15` for
    /// `15.18 (Debian 15.18-0+deb12u1)`), when it parses.
    pub(crate) fn server_major_version(&self) -> Option<u32> {
        self.server_version.split(['.', ' ']).next()?.parse().ok()
    }

    /// Whether the session is encrypted.
    pub(crate) fn is_tls(&self) -> bool {
        self.tls
    }

    /// Runs one statement (or a replication command) with the simple-query protocol and
    /// returns its rows as text.
    pub(crate) async fn simple_query(&mut self, sql: &str) -> Result<Vec<TextRow>, PgError> {
        frontend::query(sql, self.wire.out()).map_err(|e| PgError::protocol(sql, e.to_string()))?;
        self.wire.flush().await?;
        let mut rows = Vec::new();
        let mut failure = None;
        loop {
            let frame = self.wire.read_frame().await?;
            match frame.tag {
                b'T' | b'C' | b'I' | b'N' | b'S' => {}
                b'D' => rows.push(parse_data_row(&frame.body, sql)?),
                b'E' => failure = Some(server_error(sql, &frame)),
                b'Z' => break,
                other => return Err(unexpected(sql, other)),
            }
        }
        match failure {
            Some(err) => Err(err),
            None => Ok(rows),
        }
    }

    /// Runs one statement and hands each result row's raw `DataRow` body to `on_row`
    /// without copying it (snapshot chunks: see [`data_row_columns`]). Returns the rows.
    pub(crate) async fn query_raw(
        &mut self,
        sql: &str,
        on_row: &mut (dyn FnMut(&[u8]) -> Result<(), PgError> + Send),
    ) -> Result<u64, PgError> {
        frontend::query(sql, self.wire.out()).map_err(|e| PgError::protocol(sql, e.to_string()))?;
        self.wire.flush().await?;
        let mut rows = 0;
        let mut failure = None;
        loop {
            let frame = self.wire.read_frame().await?;
            match frame.tag {
                b'T' | b'C' | b'I' | b'N' | b'S' => {}
                b'D' if failure.is_none() => {
                    rows += 1;
                    if let Err(err) = on_row(&frame.body) {
                        failure = Some(err);
                    }
                }
                b'D' => {}
                b'E' => failure = Some(server_error(sql, &frame)),
                b'Z' => break,
                other => return Err(unexpected(sql, other)),
            }
        }
        match failure {
            Some(err) => Err(err),
            None => Ok(rows),
        }
    }

    /// Ends the session politely.
    pub(crate) async fn close(mut self) -> Result<(), PgError> {
        frontend::terminate(self.wire.out());
        self.wire.flush().await
    }
}

async fn authenticate(
    wire: &mut Wire<PgStream>,
    options: &PgConnectOptions,
) -> Result<(), PgError> {
    let password = || {
        options
            .password
            .as_ref()
            .map(|p| p.expose().as_bytes())
            .ok_or_else(|| {
                PgError::protocol(
                    "authentication",
                    format!(
                        "the server asks user {:?} for a password and none is configured; \
                     hint: set database.password",
                        options.user
                    ),
                )
            })
    };
    let mut scram: Option<ScramSha256> = None;
    loop {
        let frame = wire.read_frame().await?;
        match frame.tag {
            b'E' => return Err(server_error("authentication", &frame)),
            b'R' => {}
            other => return Err(unexpected("authentication", other)),
        }
        let mut body = Body::new(&frame.body, "authentication");
        match body.i32("authentication code")? {
            0 => return Ok(()),
            3 => {
                frontend::password_message(password()?, wire.out())
                    .map_err(|e| PgError::protocol("authentication", e.to_string()))?;
            }
            5 => {
                let salt = body.bytes(4, "md5 salt")?;
                let salt = [salt[0], salt[1], salt[2], salt[3]];
                let hash = md5_hash(options.user.as_bytes(), password()?, salt);
                frontend::password_message(hash.as_bytes(), wire.out())
                    .map_err(|e| PgError::protocol("authentication", e.to_string()))?;
            }
            10 => {
                let mut offers_scram = false;
                while !body.is_empty() {
                    let mechanism = body.cstr("SASL mechanism")?;
                    offers_scram |= mechanism == SCRAM_SHA_256;
                    if mechanism.is_empty() {
                        break;
                    }
                }
                if !offers_scram {
                    return Err(PgError::UnsupportedAuthentication {
                        method: "SASL without SCRAM-SHA-256".into(),
                    });
                }
                let client = ScramSha256::new(password()?, ChannelBinding::unsupported());
                frontend::sasl_initial_response(SCRAM_SHA_256, client.message(), wire.out())
                    .map_err(|e| PgError::protocol("authentication", e.to_string()))?;
                scram = Some(client);
            }
            11 => {
                let client = scram.as_mut().ok_or_else(|| {
                    PgError::protocol("authentication", "SASL continue before SASL start")
                })?;
                client
                    .update(body.rest())
                    .map_err(|e| PgError::protocol("SCRAM authentication", e.to_string()))?;
                frontend::sasl_response(client.message(), wire.out())
                    .map_err(|e| PgError::protocol("authentication", e.to_string()))?;
            }
            12 => {
                let client = scram.as_mut().ok_or_else(|| {
                    PgError::protocol("authentication", "SASL final before SASL start")
                })?;
                client.finish(body.rest()).map_err(|e| {
                    PgError::protocol(
                        "SCRAM authentication",
                        format!("server proof rejected: {e}"),
                    )
                })?;
                continue;
            }
            2 => {
                return Err(PgError::UnsupportedAuthentication {
                    method: "Kerberos V5".into(),
                });
            }
            6 => {
                return Err(PgError::UnsupportedAuthentication {
                    method: "SCM credentials".into(),
                });
            }
            7 | 8 => {
                return Err(PgError::UnsupportedAuthentication {
                    method: "GSSAPI".into(),
                });
            }
            9 => {
                return Err(PgError::UnsupportedAuthentication {
                    method: "SSPI".into(),
                });
            }
            other => {
                return Err(PgError::UnsupportedAuthentication {
                    method: format!("code {other}"),
                });
            }
        }
        wire.flush().await?;
    }
}

/// Splits a `DataRow` body into its columns (`None` for NULL), reusing `out`.
pub fn data_row_columns<'a>(
    body: &'a [u8],
    out: &mut Vec<Option<&'a [u8]>>,
) -> Result<(), PgError> {
    out.clear();
    let mut body = Body::new(body, "snapshot row");
    let columns = body.i16("column count")?;
    for _ in 0..columns {
        let len = body.i32("column length")?;
        if len < 0 {
            out.push(None);
        } else {
            out.push(Some(body.bytes(len as usize, "column value")?));
        }
    }
    Ok(())
}

fn parse_data_row(body: &[u8], during: &str) -> Result<TextRow, PgError> {
    let mut body = Body::new(body, during);
    let columns = body.i16("column count")?;
    let mut row = Vec::with_capacity(usize::try_from(columns).unwrap_or(0));
    for _ in 0..columns {
        let len = body.i32("column length")?;
        if len < 0 {
            row.push(None);
        } else {
            let bytes = body.bytes(len as usize, "column value")?;
            row.push(Some(String::from_utf8_lossy(bytes).into_owned()));
        }
    }
    Ok(row)
}

pub(crate) fn server_error(during: &str, frame: &Frame) -> PgError {
    PgError::Server {
        during: during.to_owned(),
        error: Box::new(parse_error_fields(&frame.body)),
    }
}

pub(crate) fn unexpected(during: &str, tag: u8) -> PgError {
    PgError::protocol(during, format!("unexpected message '{}'", char::from(tag)))
}
