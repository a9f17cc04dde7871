//! A minimal HTTP listener for Prometheus' scrapes of `GET /metrics` under `tributary run
//! --metrics-listen`. One request per connection, bounded reads; anything else is a 404.
//! (The REST runtime will serve the same text on its own port.)

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::status::ConnectorStatus;

/// The longest request head read; a scrape's is a few hundred bytes.
const MAX_REQUEST: usize = 8 * 1024;

/// Serves `status` as Prometheus text on `listener` until the task is dropped.
pub async fn serve_metrics(listener: TcpListener, status: Arc<ConnectorStatus>, connector: String) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let status = Arc::clone(&status);
        let connector = connector.clone();
        tokio::spawn(async move {
            if let Err(e) = answer(stream, &status, &connector).await {
                tracing::debug!(error = %e, "metrics request failed");
            }
        });
    }
}

async fn answer(
    mut stream: TcpStream,
    status: &ConnectorStatus,
    connector: &str,
) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_REQUEST {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let (code, body) = if head.starts_with(b"GET /metrics ") || head.starts_with(b"GET /metrics?") {
        ("200 OK", status.render_prometheus(connector))
    } else {
        (
            "404 Not Found",
            "only GET /metrics is served here\n".to_owned(),
        )
    };
    let response = format!(
        "HTTP/1.1 {code}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}
