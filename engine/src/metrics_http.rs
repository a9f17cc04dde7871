//! A minimal HTTP listener for Prometheus' scrapes of `GET /metrics` (and `GET /health` for
//! liveness probes) under `tributary run --metrics-listen`. One request per connection,
//! bounded reads; anything else is a 404. (`tributary serve` serves the same text on its
//! REST port.)

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::status::ConnectorStatus;

/// The longest request head read; a scrape's is a few hundred bytes.
const MAX_REQUEST: usize = 8 * 1024;

/// How long one request may take.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves `status` as Prometheus text on `listener` until the task is dropped.
pub async fn serve_metrics(listener: TcpListener, status: Arc<ConnectorStatus>, connector: String) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of descriptors and the like: back off instead of spinning.
                tracing::debug!(error = %e, "metrics listener: accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let status = Arc::clone(&status);
        let connector = connector.clone();
        tokio::spawn(async move {
            // A client that never finishes its request must not hold a task forever.
            let answered =
                tokio::time::timeout(REQUEST_TIMEOUT, answer(stream, &status, &connector)).await;
            match answered {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::debug!(error = %e, "metrics request failed"),
                Err(_) => tracing::debug!("metrics request timed out"),
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
    } else if head.starts_with(b"GET /health ") {
        // Liveness: the sidecar serves while its connector runs (it exits when it fails).
        ("200 OK", "healthy\n".to_owned())
    } else {
        (
            "404 Not Found",
            "only GET /metrics and GET /health are served here\n".to_owned(),
        )
    };
    let response = format!(
        "HTTP/1.1 {code}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}
