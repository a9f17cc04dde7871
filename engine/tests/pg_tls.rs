//! TLS with libpq's sslmode semantics against a real PostgreSQL that serves a certificate
//! signed by a test CA for the name `localhost` only.

// Integration tests assert by unwrapping, in helpers too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use tributary::postgres::{PgConnectOptions, PgError, ReplicationSession, SslMode, TlsOptions};
use tributary_testcontainers::Postgres;

struct TlsServer {
    server: Postgres,
    ca_file: PathBuf,
    other_ca_file: PathBuf,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.ca_file);
        let _ = std::fs::remove_file(&self.other_ca_file);
    }
}

fn write_owned_like(path: &Path, contents: &str, owner_of: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, contents).unwrap();
    let meta = std::fs::metadata(owner_of).unwrap();
    std::os::unix::fs::chown(path, Some(meta.uid()), Some(meta.gid())).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn new_ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

/// Starts PostgreSQL, then turns TLS on with a reload (PostgreSQL 10+ reloads SSL settings).
fn tls_server() -> TlsServer {
    let server = Postgres::start().unwrap();
    let data = server.data_dir();
    let ca = new_ca("tributary test CA");
    let server_key = KeyPair::generate().unwrap();
    let server_cert = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&server_key, &ca)
        .unwrap();
    write_owned_like(&data.join("server.crt"), &server_cert.pem(), &data, 0o644);
    write_owned_like(
        &data.join("server.key"),
        &server_key.serialize_pem(),
        &data,
        0o600,
    );
    let dir = std::env::temp_dir().join(format!("tributary-pg-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join(format!("ca-{}.pem", server.port()));
    std::fs::write(&ca_file, ca.pem()).unwrap();
    let other_ca_file = dir.join(format!("other-ca-{}.pem", server.port()));
    std::fs::write(&other_ca_file, new_ca("some other CA").pem()).unwrap();
    server
        .psql("postgres", "ALTER SYSTEM SET ssl = on")
        .unwrap();
    server.psql("postgres", "SELECT pg_reload_conf()").unwrap();
    TlsServer {
        server,
        ca_file,
        other_ca_file,
    }
}

async fn connect(
    port: u16,
    host: &str,
    mode: SslMode,
    root_cert: Option<&Path>,
) -> Result<ReplicationSession, PgError> {
    let mut options =
        PgConnectOptions::new(host, port, "postgres", "postgres").password("postgres");
    options.tls = TlsOptions {
        mode,
        root_cert: root_cert.map(Path::to_path_buf),
    };
    ReplicationSession::connect(&options).await
}

/// Polls until the server's reload made it accept TLS (a reload is asynchronous).
async fn wait_for_tls(port: u16) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if connect(port, "127.0.0.1", SslMode::Require, None)
            .await
            .is_ok()
        {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "server never enabled TLS"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn sslmodes_encrypt_and_verify_as_libpq_does() {
    let tls = tls_server();
    let port = tls.server.port();
    wait_for_tls(port).await;
    let ip = "127.0.0.1";

    let plain = connect(port, ip, SslMode::Disable, None).await.unwrap();
    assert!(!plain.is_tls(), "disable never encrypts");
    let preferred = connect(port, ip, SslMode::Prefer, None).await.unwrap();
    assert!(preferred.is_tls(), "prefer encrypts when offered");
    let required = connect(port, ip, SslMode::Require, None).await.unwrap();
    assert!(required.is_tls(), "require encrypts without verifying");

    // verify-ca: the chain must lead to the given root; the name is not checked.
    let mut by_ca = connect(port, ip, SslMode::VerifyCa, Some(&tls.ca_file))
        .await
        .unwrap();
    assert!(by_ca.is_tls());
    assert!(!by_ca.identify_system().await.unwrap().system_id.is_empty());
    let err = connect(port, ip, SslMode::VerifyCa, Some(&tls.other_ca_file))
        .await
        .unwrap_err();
    assert!(
        matches!(err, PgError::Tls { .. }) && !err.is_transient(),
        "{err}"
    );
    assert!(
        err.to_string().contains("verify-ca"),
        "names the mode: {err}"
    );

    // require with a root certificate behaves as verify-ca (libpq's rule).
    let err = connect(port, ip, SslMode::Require, Some(&tls.other_ca_file))
        .await
        .unwrap_err();
    assert!(matches!(err, PgError::Tls { .. }), "{err}");

    // verify-full: the certificate names `localhost`, not 127.0.0.1.
    let err = connect(port, ip, SslMode::VerifyFull, Some(&tls.ca_file))
        .await
        .unwrap_err();
    assert!(matches!(err, PgError::Tls { .. }), "{err}");
    let by_name = connect(port, "localhost", SslMode::VerifyFull, Some(&tls.ca_file))
        .await
        .unwrap();
    assert!(by_name.is_tls());
}

#[tokio::test]
async fn requiring_tls_from_a_server_without_it_says_how_to_fix_it() {
    let server = Postgres::shared().unwrap();
    let err = connect(server.port(), "127.0.0.1", SslMode::Require, None)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("does not accept TLS") && text.contains("database.sslmode"),
        "{text}"
    );
    assert!(!err.is_transient());
    let fallback = connect(server.port(), "127.0.0.1", SslMode::Prefer, None)
        .await
        .unwrap();
    assert!(!fallback.is_tls(), "prefer falls back to plaintext");
}
