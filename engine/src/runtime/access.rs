//! Who may call the REST API, and over what: optional authentication (a bearer token or
//! HTTP basic credentials, compared in constant time) and optional TLS, both set in the
//! worker properties of `tributary serve`.
//!
//! Without either the API listens on loopback only by default, like a Connect worker
//! behind a firewall; anyone binding it to another interface should set one of them.
//! `GET /health` stays open so probes need no credentials.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// What a request must carry.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// `Authorization: Bearer <token>` (`tributary.rest.auth.token`).
    Bearer(String),
    /// `Authorization: Basic base64(user:password)` (`tributary.rest.auth.basic`, as
    /// `user:password`).
    Basic(String),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Credentials::Bearer(_) => "Bearer([hidden])",
            Credentials::Basic(_) => "Basic([hidden])",
        })
    }
}

impl Credentials {
    /// The `Authorization` header value that is accepted.
    fn expected_header(&self) -> String {
        match self {
            Credentials::Bearer(token) => format!("Bearer {token}"),
            Credentials::Basic(user_password) => {
                format!("Basic {}", base64(user_password.as_bytes()))
            }
        }
    }
}

/// The middleware: refuses a request without the right `Authorization` header with
/// Connect's error body and `401`.
pub async fn require(
    State(expected): State<Arc<String>>,
    request: Request<Body>,
    next: Next,
) -> Response {
    if request.uri().path() == "/health" {
        return next.run(request).await;
    }
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if constant_time_eq(given, expected.as_bytes()) {
        return next.run(request).await;
    }
    let body = serde_json::json!({"error_code": 401, "message": "Unauthorized: missing or wrong Authorization header"});
    (
        StatusCode::UNAUTHORIZED,
        [(
            header::WWW_AUTHENTICATE,
            "Basic realm=\"tributary\", Bearer",
        )],
        axum::Json(body),
    )
        .into_response()
}

/// The header value the middleware compares with.
pub fn expected(credentials: &Credentials) -> Arc<String> {
    Arc::new(credentials.expected_header())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    crate::registry::client::base64_into(bytes, &mut out);
    out
}

/// Loads a PEM certificate chain and private key for the REST listener; errors name the
/// file and the property.
pub fn tls_acceptor(cert_file: &Path, key_file: &Path) -> Result<TlsAcceptor, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_file)
        .and_then(|iter| iter.collect::<Result<_, _>>())
        .map_err(|e| {
            format!(
                "tributary.rest.tls.cert.file: cannot read certificates from {}: {e}",
                cert_file.display()
            )
        })?;
    if certs.is_empty() {
        return Err(format!(
            "tributary.rest.tls.cert.file: {} holds no PEM certificate",
            cert_file.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key_file).map_err(|e| {
        format!(
            "tributary.rest.tls.key.file: cannot read a private key from {}: {e}",
            key_file.display()
        )
    })?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("TLS: {e}"))?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| {
        format!("tributary.rest.tls.*: the certificate and key do not form a usable pair: {e}")
    })?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// How long a client may take over its TLS handshake before it is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A TLS listener for `axum::serve`. Handshakes run one at a time, bounded by
/// [`HANDSHAKE_TIMEOUT`]: an administrative API sees few connections, and a failed
/// handshake only drops that connection.
pub struct TlsListener {
    /// The TCP listener.
    pub tcp: TcpListener,
    /// The acceptor built by [`tls_acceptor`].
    pub acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (stream, peer) = match self.tcp.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::debug!(error = %e, "REST listener: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, self.acceptor.accept(stream)).await {
                Ok(Ok(tls)) => return (tls, peer),
                Ok(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "REST listener: TLS handshake failed")
                }
                Err(_) => tracing::debug!(%peer, "REST listener: TLS handshake timed out"),
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_encoded_as_http_sends_them() {
        assert_eq!(
            Credentials::Basic("Aladdin:open sesame".into()).expected_header(),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(
            Credentials::Bearer("t0k".into()).expected_header(),
            "Bearer t0k"
        );
        assert_eq!(
            format!("{:?}", Credentials::Bearer("t0k".into())),
            "Bearer([hidden])"
        );
    }

    #[test]
    fn comparison_needs_the_exact_bytes() {
        assert!(constant_time_eq(b"Bearer x", b"Bearer x"));
        assert!(!constant_time_eq(b"Bearer x", b"Bearer y"));
        assert!(!constant_time_eq(b"Bearer", b"Bearer x"));
    }
}
