//! Where and how to connect to PostgreSQL.

use std::fmt;
use std::time::Duration;

use super::tls::TlsOptions;

/// A password that never appears in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("********")
    }
}

/// Connection settings for one PostgreSQL server (Debezium's `database.*` properties).
#[derive(Debug, Clone)]
pub struct PgConnectOptions {
    /// `database.hostname`.
    pub host: String,
    /// `database.port`.
    pub port: u16,
    /// `database.user`.
    pub user: String,
    /// `database.password`.
    pub password: Option<Secret>,
    /// `database.dbname`.
    pub dbname: String,
    /// Shown in `pg_stat_activity` / `pg_stat_replication`.
    pub application_name: String,
    /// Limit on TCP connect plus authentication.
    pub connect_timeout: Duration,
    /// `database.sslmode` and `database.sslrootcert`.
    pub tls: TlsOptions,
}

impl PgConnectOptions {
    /// Options with Tributary's defaults for the rest.
    pub fn new(host: &str, port: u16, user: &str, dbname: &str) -> Self {
        Self {
            host: host.to_owned(),
            port,
            user: user.to_owned(),
            password: None,
            dbname: dbname.to_owned(),
            application_name: "tributary".to_owned(),
            connect_timeout: Duration::from_secs(30),
            tls: TlsOptions::default(),
        }
    }

    /// Sets the password.
    pub fn password(mut self, password: &str) -> Self {
        self.password = Some(Secret::new(password));
        self
    }

    pub(crate) fn addr(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_not_printed() {
        let options = PgConnectOptions::new("h", 5432, "u", "d").password("hunter2");
        assert!(!format!("{options:?}").contains("hunter2"));
    }
}
