//! Start-up checks, run on a `mysql_async` connection before the dump starts.
//!
//! Every setting that would make streaming fail later, or silently lose or garble changes,
//! is checked first, and each failure says what to change: `log_bin`, `binlog_format=ROW`,
//! `binlog_row_image=FULL`, MySQL's `binlog_row_value_options` (absent on MariaDB), the
//! replication privileges, and whether the stored position is still on this server.
//!
//! # Privileges
//! The dump (`COM_REGISTER_SLAVE`, `COM_BINLOG_DUMP`) needs `REPLICATION SLAVE`;
//! `SHOW BINARY LOGS` and `SHOW MASTER STATUS` need `REPLICATION CLIENT`, which MariaDB 10.5.2+
//! renamed `BINLOG MONITOR` (the old name is an alias, and `SHOW GRANTS` prints the new one;
//! MariaDB KB, "GRANT", "BINLOG MONITOR"). `REPLICATION SLAVE ADMIN` (START/STOP SLAVE) is
//! not needed. Privileges granted through a role are not visible in `SHOW GRANTS` for the
//! user itself; when the user has roles the check is left to the server, whose refusal
//! (error 1227) carries the same hint.
//!
//! # Purged positions
//! File/position: the file must be listed by `SHOW BINARY LOGS` and the position within its
//! size. MariaDB GTID: `BINLOG_GTID_POS(oldest file, 4)` is the GTID state at the start of
//! the oldest binlog; a stored sequence number below it in the same domain means the
//! transactions between were purged. (MariaDB has no `@@gtid_purged`; `@@gtid_binlog_state`
//! holds the *last* GTID per domain and server, not the first available.) MySQL GTID: the
//! stored set must contain `@@gtid_purged`.
//!
//! # Server identity
//! A file/position is only meaningful on the server that wrote it. MySQL: the offset's
//! `server_uuid` must equal `@@server_uuid`. MariaDB has no server UUID; we compare the
//! offset's `server_id` with `@@server_id`, and when the offset also carries GTIDs, the
//! server's own `BINLOG_GTID_POS(file, pos)` must agree with them for every domain both
//! name — the same file name and position on another server maps to other transactions.

use mysql_async::Row;
use mysql_async::prelude::Queryable;
use tributary_decoders::binlog::ChecksumAlgorithm;

use super::config::MySqlConnectOptions;
use super::error::{MySqlError, PreflightError};
use super::gtid::{GtidState, MariaDbGtidPosition, MySqlGtidSet};
use super::offset::BinlogOffset;

/// Which server family the reader talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// MariaDB (version string contains `MariaDB`).
    MariaDb,
    /// MySQL (or a compatible server).
    MySql,
}

/// What the start-up checks learned about the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    /// MariaDB or MySQL.
    pub flavor: Flavor,
    /// `@@version`.
    pub version: String,
    /// `@@server_id`.
    pub server_id: u32,
    /// `@@server_uuid` (MySQL only).
    pub server_uuid: Option<String>,
    /// `@@global.binlog_checksum`, which the dump asks the server to keep.
    pub checksum: ChecksumAlgorithm,
}

/// A start position, checked and completed: GTIDs seeded where the server can tell them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedStart {
    /// The server.
    pub server: ServerInfo,
    /// The offset to start from.
    pub offset: BinlogOffset,
    /// Whether the dump starts from the offset's GTIDs (else from its file and position).
    pub by_gtid: bool,
}

/// Runs every start-up check for streaming from `start`, and seeds the offset's GTIDs on
/// MariaDB when only a file/position is known (so later offsets carry GTIDs).
pub async fn check_server(
    options: &MySqlConnectOptions,
    start: &BinlogOffset,
    prefer_gtid: bool,
) -> Result<CheckedStart, MySqlError> {
    let mut conn = connect(options).await?;
    let result = check_on(&mut conn, start, prefer_gtid).await;
    // Best effort: the result stands whether or not the polite goodbye succeeds.
    let _ = conn.disconnect().await;
    result
}

/// The server's current end of binlog, as an offset to start from (nothing before it is
/// read). Runs the configuration checks too.
pub async fn current_position(options: &MySqlConnectOptions) -> Result<BinlogOffset, MySqlError> {
    let mut conn = connect(options).await?;
    let result = async {
        let server = check_settings(&mut conn).await?;
        let row = match first_row(&mut conn, "SHOW MASTER STATUS").await {
            Ok(row) => row,
            // MySQL 8.4 removed the old name.
            Err(e) if e.server_code() == Some(1064) => {
                first_row(&mut conn, "SHOW BINARY LOG STATUS").await?
            }
            Err(e) => return Err(e),
        };
        let row = row.ok_or(PreflightError::BinlogDisabled)?;
        let file = text(&row, 0).unwrap_or_default();
        let pos = text(&row, 1).and_then(|p| p.parse().ok()).unwrap_or(4);
        let gtids = match server.flavor {
            Flavor::MariaDb => binlog_gtid_pos(&mut conn, &file, pos).await?,
            Flavor::MySql => scalar(&mut conn, "SELECT @@GLOBAL.gtid_executed")
                .await?
                .filter(|g| !g.trim().is_empty()),
        };
        Ok(BinlogOffset {
            file,
            pos,
            gtids,
            server_id: Some(server.server_id),
            server_uuid: server.server_uuid,
            ..BinlogOffset::default()
        })
    }
    .await;
    let _ = conn.disconnect().await;
    result
}

async fn connect(options: &MySqlConnectOptions) -> Result<mysql_async::Conn, MySqlError> {
    let limit = options.connect_timeout;
    match tokio::time::timeout(limit, mysql_async::Conn::new(options.sql_opts())).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(MySqlError::sql(format!("connect to {}", options.addr()), e)),
        Err(_) => Err(MySqlError::Timeout {
            addr: options.addr(),
            action: "connect",
            seconds: limit.as_secs(),
        }),
    }
}

async fn check_on(
    conn: &mut mysql_async::Conn,
    start: &BinlogOffset,
    prefer_gtid: bool,
) -> Result<CheckedStart, MySqlError> {
    let server = check_settings(conn).await?;
    check_privileges(conn, server.flavor).await?;
    let logs = binary_logs(conn).await?;
    let mut offset = start.clone();
    let by_gtid = prefer_gtid && start.gtids.is_some();
    if by_gtid {
        let stored = start.gtids.as_deref().unwrap_or_default();
        match server.flavor {
            Flavor::MariaDb => {
                let stored_pos = MariaDbGtidPosition::parse(stored)?;
                if let Some((oldest, _)) = logs.first() {
                    let at_start = binlog_gtid_pos(conn, oldest, 4).await?.unwrap_or_default();
                    let at_start = MariaDbGtidPosition::parse(&at_start)?;
                    let purged = at_start.domains().iter().any(|(d, (_, first))| {
                        stored_pos
                            .domains()
                            .get(d)
                            .is_some_and(|(_, seq)| seq < first)
                    });
                    if purged {
                        return Err(PreflightError::GtidPurged {
                            gtids: stored.to_owned(),
                            oldest: at_start.to_string(),
                        }
                        .into());
                    }
                }
            }
            Flavor::MySql => {
                let stored_set = MySqlGtidSet::parse(stored)?;
                let purged = scalar(conn, "SELECT @@GLOBAL.gtid_purged")
                    .await?
                    .unwrap_or_default();
                if !stored_set.contains(&MySqlGtidSet::parse(&purged)?) {
                    return Err(PreflightError::GtidPurged {
                        gtids: stored.to_owned(),
                        oldest: purged,
                    }
                    .into());
                }
            }
        }
    } else {
        // Identity first: on another server the file may exist with other contents.
        check_identity(conn, &server, start, &logs).await?;
        check_file_position(&logs, start)?;
        if server.flavor == Flavor::MariaDb && start.gtids.is_none() {
            offset.gtids = binlog_gtid_pos(conn, &start.file, start.pos).await?;
        }
    }
    offset.server_id = Some(server.server_id);
    offset.server_uuid.clone_from(&server.server_uuid);
    Ok(CheckedStart {
        server,
        offset,
        by_gtid,
    })
}

async fn check_settings(conn: &mut mysql_async::Conn) -> Result<ServerInfo, MySqlError> {
    let sql = "SELECT @@version, @@server_id, @@log_bin, @@binlog_format, \
               @@binlog_row_image, @@GLOBAL.binlog_checksum";
    let row = first_row(conn, sql)
        .await?
        .ok_or_else(|| MySqlError::protocol(sql, "no row"))?;
    let version = text(&row, 0).unwrap_or_default();
    let flavor = if version.contains("MariaDB") {
        Flavor::MariaDb
    } else {
        Flavor::MySql
    };
    let server_id = text(&row, 1).and_then(|v| v.parse().ok()).unwrap_or(0);
    let log_bin = text(&row, 2).unwrap_or_default();
    if log_bin != "1" && !log_bin.eq_ignore_ascii_case("ON") {
        return Err(PreflightError::BinlogDisabled.into());
    }
    let format = text(&row, 3).unwrap_or_default();
    if !format.eq_ignore_ascii_case("ROW") {
        return Err(PreflightError::BinlogFormat { actual: format }.into());
    }
    let image = text(&row, 4).unwrap_or_default();
    if !image.eq_ignore_ascii_case("FULL") {
        return Err(PreflightError::BinlogRowImage { actual: image }.into());
    }
    let checksum = match text(&row, 5) {
        Some(c) if c.eq_ignore_ascii_case("NONE") => ChecksumAlgorithm::None,
        _ => ChecksumAlgorithm::Crc32,
    };
    // Only MySQL 8.0.3+ has it; absence (MariaDB, older MySQL) means full JSON images.
    let options = first_row(
        conn,
        "SHOW GLOBAL VARIABLES LIKE 'binlog_row_value_options'",
    )
    .await?
    .and_then(|r| text(&r, 1))
    .unwrap_or_default();
    if options.to_ascii_uppercase().contains("PARTIAL_JSON") {
        return Err(PreflightError::PartialJson { actual: options }.into());
    }
    let server_uuid = match flavor {
        Flavor::MySql => scalar(conn, "SELECT @@server_uuid").await?,
        Flavor::MariaDb => None,
    };
    Ok(ServerInfo {
        flavor,
        version,
        server_id,
        server_uuid,
        checksum,
    })
}

async fn check_privileges(conn: &mut mysql_async::Conn, flavor: Flavor) -> Result<(), MySqlError> {
    let user = scalar(conn, "SELECT CURRENT_USER()")
        .await?
        .unwrap_or_default();
    let grants: Vec<Row> = conn
        .query("SHOW GRANTS")
        .await
        .map_err(|e| MySqlError::sql("SHOW GRANTS", e))?;
    let lines: Vec<String> = grants.iter().filter_map(|r| text(r, 0)).collect();
    let privileges = global_privileges(&lines);
    let has = |name: &str| {
        privileges
            .iter()
            .any(|p| p == "ALL PRIVILEGES" || p == "ALL" || p == name)
    };
    let has_roles = lines.iter().any(|l| is_role_grant(l));
    if has_roles {
        return Ok(());
    }
    if !has("REPLICATION SLAVE") && !has("REPLICATION REPLICA") {
        return Err(PreflightError::MissingPrivilege {
            user,
            missing: "REPLICATION SLAVE",
            purpose: "read the binlog (COM_BINLOG_DUMP)",
        }
        .into());
    }
    if !has("REPLICATION CLIENT") && !has("BINLOG MONITOR") && !has("SUPER") {
        return Err(PreflightError::MissingPrivilege {
            user,
            missing: match flavor {
                Flavor::MariaDb => "BINLOG MONITOR",
                Flavor::MySql => "REPLICATION CLIENT",
            },
            purpose: "list the binlog files and positions (SHOW BINARY LOGS)",
        }
        .into());
    }
    Ok(())
}

/// The privileges granted `ON *.*` by `SHOW GRANTS` lines, upper-cased.
pub(crate) fn global_privileges(lines: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for line in lines {
        let Some(rest) = line.strip_prefix("GRANT ") else {
            continue;
        };
        let Some((privs, _)) = rest.split_once(" ON *.* TO ") else {
            continue;
        };
        out.extend(privs.split(',').map(|p| p.trim().to_ascii_uppercase()));
    }
    out
}

/// `GRANT role TO user` (no `ON` clause).
fn is_role_grant(line: &str) -> bool {
    line.starts_with("GRANT ") && !line.contains(" ON ")
}

pub(super) async fn binary_logs(
    conn: &mut mysql_async::Conn,
) -> Result<Vec<(String, u64)>, MySqlError> {
    let rows: Vec<Row> = conn
        .query("SHOW BINARY LOGS")
        .await
        .map_err(|e| MySqlError::sql("SHOW BINARY LOGS", e))?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let name = text(r, 0)?;
            let size = text(r, 1).and_then(|s| s.parse().ok()).unwrap_or(0);
            Some((name, size))
        })
        .collect())
}

fn check_file_position(logs: &[(String, u64)], start: &BinlogOffset) -> Result<(), MySqlError> {
    if start.file.is_empty() {
        return Err(MySqlError::InvalidOffset {
            detail: "the offset has neither a binlog file nor GTIDs; start from \
                     current_position() or a snapshot"
                .to_owned(),
        });
    }
    match logs.iter().find(|(name, _)| *name == start.file) {
        Some((_, size)) if start.pos > *size => Err(PreflightError::PositionBeyondEnd {
            file: start.file.clone(),
            pos: start.pos,
            size: *size,
        }
        .into()),
        Some(_) => Ok(()),
        None => {
            let newest = logs.last().map(|(n, _)| n.as_str()).unwrap_or("-");
            if logs.is_empty() || start.file.as_str() < logs.first().map_or("", |(n, _)| n) {
                Err(PreflightError::FilePurged {
                    file: start.file.clone(),
                    oldest: logs.first().map_or("-", |(n, _)| n).to_owned(),
                }
                .into())
            } else {
                Err(PreflightError::DifferentServer {
                    expected: format!("a server with binlog file {}", start.file),
                    actual: format!("a server whose binlog files end at {newest}"),
                }
                .into())
            }
        }
    }
}

async fn check_identity(
    conn: &mut mysql_async::Conn,
    server: &ServerInfo,
    start: &BinlogOffset,
    logs: &[(String, u64)],
) -> Result<(), MySqlError> {
    if let (Some(expected), Some(actual)) = (&start.server_uuid, &server.server_uuid)
        && expected != actual
    {
        return Err(PreflightError::DifferentServer {
            expected: format!("server_uuid {expected}"),
            actual: format!("server_uuid {actual}"),
        }
        .into());
    }
    if let Some(expected) = start.server_id
        && expected != server.server_id
    {
        return Err(PreflightError::DifferentServer {
            expected: format!("server_id {expected}"),
            actual: format!("server_id {}", server.server_id),
        }
        .into());
    }
    let file_here = logs.iter().any(|(name, _)| *name == start.file);
    if server.flavor == Flavor::MariaDb
        && file_here
        && let Some(stored) = &start.gtids
    {
        let stored_pos = MariaDbGtidPosition::parse(stored)?;
        let here = binlog_gtid_pos(conn, &start.file, start.pos)
            .await?
            .unwrap_or_default();
        let here_pos = MariaDbGtidPosition::parse(&here)?;
        let disagree = stored_pos
            .domains()
            .iter()
            .any(|(d, v)| here_pos.domains().get(d).is_some_and(|h| h != v));
        if disagree {
            return Err(PreflightError::DifferentServer {
                expected: format!("GTID position {stored} at {}:{}", start.file, start.pos),
                actual: format!("GTID position {here} there"),
            }
            .into());
        }
    }
    Ok(())
}

/// MariaDB's `BINLOG_GTID_POS(file, pos)`: the GTID position at a binlog position (NULL
/// when the file is not found; empty before the first GTID).
async fn binlog_gtid_pos(
    conn: &mut mysql_async::Conn,
    file: &str,
    pos: u64,
) -> Result<Option<String>, MySqlError> {
    let sql = "SELECT BINLOG_GTID_POS(?, ?)";
    let value: Option<Option<String>> = conn
        .exec_first(sql, (file, pos))
        .await
        .map_err(|e| MySqlError::sql(sql, e))?;
    Ok(value.flatten().filter(|g| !g.is_empty()))
}

/// Parses a GTID text of the server's flavour.
pub(crate) fn gtid_state(flavor: Flavor, text: &str) -> Result<GtidState, MySqlError> {
    Ok(match flavor {
        Flavor::MariaDb => GtidState::MariaDb(MariaDbGtidPosition::parse(text)?),
        Flavor::MySql => GtidState::MySql(MySqlGtidSet::parse(text)?),
    })
}

async fn first_row(conn: &mut mysql_async::Conn, sql: &str) -> Result<Option<Row>, MySqlError> {
    conn.query_first(sql)
        .await
        .map_err(|e| MySqlError::sql(sql, e))
}

async fn scalar(conn: &mut mysql_async::Conn, sql: &str) -> Result<Option<String>, MySqlError> {
    Ok(first_row(conn, sql).await?.and_then(|r| text(&r, 0)))
}

/// Column `i` as text (the text protocol sends every value as bytes).
fn text(row: &Row, i: usize) -> Option<String> {
    match row.as_ref(i)? {
        mysql_async::Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        mysql_async::Value::Int(v) => Some(v.to_string()),
        mysql_async::Value::UInt(v) => Some(v.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_privileges_from_show_grants() {
        let lines = vec![
            "GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `cdc`@`%` IDENTIFIED BY \
             PASSWORD '*X'"
                .to_owned(),
            "GRANT SELECT ON `db`.* TO `cdc`@`%`".to_owned(),
        ];
        assert_eq!(
            global_privileges(&lines),
            vec!["REPLICATION SLAVE".to_owned(), "BINLOG MONITOR".to_owned()]
        );
        assert!(is_role_grant("GRANT `cdc_role` TO `cdc`@`%`"));
        assert!(!is_role_grant(&lines[0]));
    }

    #[test]
    fn file_position_checks() {
        let logs = vec![
            ("mysql-bin.000003".to_owned(), 500),
            ("mysql-bin.000004".to_owned(), 300),
        ];
        assert!(
            check_file_position(&logs, &BinlogOffset::at_file("mysql-bin.000003", 400)).is_ok()
        );
        assert!(matches!(
            check_file_position(&logs, &BinlogOffset::at_file("mysql-bin.000001", 4)),
            Err(MySqlError::Preflight(PreflightError::FilePurged { .. }))
        ));
        assert!(matches!(
            check_file_position(&logs, &BinlogOffset::at_file("mysql-bin.000004", 301)),
            Err(MySqlError::Preflight(
                PreflightError::PositionBeyondEnd { .. }
            ))
        ));
        assert!(matches!(
            check_file_position(&logs, &BinlogOffset::at_file("mysql-bin.000009", 4)),
            Err(MySqlError::Preflight(
                PreflightError::DifferentServer { .. }
            ))
        ));
    }
}
