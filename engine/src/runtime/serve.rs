//! `tributary serve`: one node running the REST runtime until SIGTERM/SIGINT.
//!
//! The node's own settings come from an optional worker properties file, as a Connect
//! worker's do: `listeners` (default `http://127.0.0.1:8083`, loopback so nothing is
//! exposed by accident), `tributary.state.dir` (default `./tributary-state`) and every
//! other property — `bootstrap.servers`, `offset.storage.topic`, converters, `producer.*` —
//! as a default for each connector, so a connector config copied from a Debezium tutorial
//! needs no Kafka settings of its own.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::Runtime;
use super::access::{Credentials, TlsListener, tls_acceptor};
use super::rest::{ServerInfo, router};
use super::store::StateStore;
use crate::config::Properties;
use crate::config::catalogue::WORKER_PROPERTIES;
use crate::config::properties::load_file;

/// What `tributary serve` was given.
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// The worker properties file.
    pub worker_config: Option<PathBuf>,
    /// Overrides `listeners`.
    pub listen: Option<SocketAddr>,
    /// Overrides `tributary.state.dir`.
    pub state_dir: Option<PathBuf>,
}

/// The node's validated settings.
struct NodeSettings {
    listen: SocketAddr,
    state_dir: PathBuf,
    defaults: Properties,
    credentials: Option<Credentials>,
    /// PEM certificate chain and key files, for an `https://` listener.
    tls: Option<(PathBuf, PathBuf)>,
}

fn node_settings(options: &ServeOptions) -> Result<NodeSettings, String> {
    let worker = match &options.worker_config {
        Some(path) => load_file(path).map_err(|e| e.to_string())?,
        None => Properties::new(),
    };
    let (listen, https) = match (options.listen, worker.get("listeners")) {
        (Some(listen), listeners) => (
            listen,
            listeners.is_some_and(|l| l.trim_start().starts_with("https://")),
        ),
        (None, Some(listeners)) => parse_listener(listeners)?,
        (None, None) => (SocketAddr::from(([127, 0, 0, 1], 8083)), false),
    };
    let credentials = match (
        worker.get("tributary.rest.auth.token"),
        worker.get("tributary.rest.auth.basic"),
    ) {
        (Some(_), Some(_)) => {
            return Err("conflicting properties tributary.rest.auth.token and \
                        tributary.rest.auth.basic: set one"
                .to_owned());
        }
        (Some(token), None) if !token.is_empty() => Some(Credentials::Bearer(token.clone())),
        (None, Some(basic)) if basic.contains(':') => Some(Credentials::Basic(basic.clone())),
        (None, Some(_)) => {
            return Err(
                "invalid value for property 'tributary.rest.auth.basic': allowed: \
                        user:password (use ${env:VAR} to keep it out of the file)"
                    .to_owned(),
            );
        }
        _ => None,
    };
    let tls = match (
        worker.get("tributary.rest.tls.cert.file"),
        worker.get("tributary.rest.tls.key.file"),
    ) {
        (Some(cert), Some(key)) => Some((PathBuf::from(cert), PathBuf::from(key))),
        (None, None) if https => {
            return Err(
                "listeners is https:// but tributary.rest.tls.cert.file and \
                        tributary.rest.tls.key.file (PEM files) are not set"
                    .to_owned(),
            );
        }
        (None, None) => None,
        _ => {
            return Err(
                "tributary.rest.tls.cert.file and tributary.rest.tls.key.file must \
                        be set together"
                    .to_owned(),
            );
        }
    };
    let state_dir = options.state_dir.clone().unwrap_or_else(|| {
        PathBuf::from(
            worker
                .get("tributary.state.dir")
                .map_or("tributary-state", String::as_str),
        )
    });
    let defaults = worker
        .into_iter()
        .filter(|(k, _)| !WORKER_PROPERTIES.iter().any(|(node, _, _)| node == k) && k != "name")
        .collect();
    Ok(NodeSettings {
        listen,
        state_dir,
        defaults,
        credentials,
        tls,
    })
}

/// `listeners=http://host:port` or `https://host:port` (one listener; Connect's list form
/// with one entry is accepted). Returns the address and whether it is HTTPS.
fn parse_listener(text: &str) -> Result<(SocketAddr, bool), String> {
    let invalid = |why: &str| {
        format!(
            "invalid value '{text}' for property 'listeners': {why}; allowed: http://<ip>:<port> or https://<ip>:<port>, e.g. http://127.0.0.1:8083"
        )
    };
    let entries: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let [entry] = entries.as_slice() else {
        return Err(invalid("exactly one listener is supported"));
    };
    let (address, https) = match (
        entry.strip_prefix("http://"),
        entry.strip_prefix("https://"),
    ) {
        (Some(a), _) => (a, false),
        (_, Some(a)) => (a, true),
        _ => return Err(invalid("the scheme must be http:// or https://")),
    };
    let address = address.replace("localhost", "127.0.0.1");
    address
        .parse()
        .map(|a| (a, https))
        .map_err(|_| invalid("not an IP address and port"))
}

/// Runs the node until SIGTERM/SIGINT; then every connector commits what is in flight and
/// stops. Returns the reason when the node cannot start.
pub fn serve(options: &ServeOptions) -> Result<(), String> {
    let settings = node_settings(options)?;
    let io = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("tributary-io")
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let listener = io
        .block_on(tokio::net::TcpListener::bind(settings.listen))
        .map_err(|e| format!("listeners: cannot listen on {}: {e}", settings.listen))?;
    let store = StateStore::open(&settings.state_dir).map_err(|e| e.to_string())?;
    let kafka_cluster_id = settings
        .defaults
        .get("bootstrap.servers")
        .and_then(|servers| crate::kafka::cluster_id(servers, Duration::from_secs(10)));
    let runtime = Arc::new(
        Runtime::start(
            store,
            settings.defaults,
            io.handle().clone(),
            settings.listen.to_string(),
        )
        .map_err(|e| e.to_string())?,
    );
    let info = ServerInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        commit: option_env!("TRIBUTARY_COMMIT")
            .unwrap_or("unknown")
            .to_owned(),
        kafka_cluster_id,
    };
    tracing::info!(address = %settings.listen, state_dir = %settings.state_dir.display(), "REST runtime listening");
    let app = router(Arc::clone(&runtime), info, settings.credentials.as_ref());
    let served = match &settings.tls {
        None => io.block_on(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown_requested())
                .await
        }),
        Some((cert, key)) => {
            let acceptor = tls_acceptor(cert, key)?;
            io.block_on(async move {
                axum::serve(
                    TlsListener {
                        tcp: listener,
                        acceptor,
                    },
                    app,
                )
                .with_graceful_shutdown(shutdown_requested())
                .await
            })
        }
    };
    tracing::info!("stop requested: stopping every connector");
    runtime.shutdown();
    served.map_err(|e| format!("REST listener failed: {e}"))
}

async fn shutdown_requested() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        // Without signal handlers the node can only be killed; keep serving.
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listeners_take_one_http_address_and_name_the_property_otherwise() {
        assert_eq!(
            parse_listener("http://localhost:8083").unwrap(),
            (SocketAddr::from(([127, 0, 0, 1], 8083)), false)
        );
        assert_eq!(
            parse_listener("https://0.0.0.0:18083").unwrap(),
            (SocketAddr::from(([0, 0, 0, 0], 18083)), true)
        );
        for bad in ["ftp://127.0.0.1:8443", "http://a:1,http://b:2", "8083"] {
            let err = parse_listener(bad).unwrap_err();
            assert!(err.contains("'listeners'"), "{bad}: {err}");
        }
    }

    #[test]
    fn node_properties_are_not_connector_defaults() {
        let dir = std::env::temp_dir().join(format!("tributary-worker-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("worker.properties");
        std::fs::write(
            &file,
            "listeners=http://127.0.0.1:18084\ntributary.state.dir=/tmp/x\nbootstrap.servers=k:9092\n",
        )
        .unwrap();
        let settings = node_settings(&ServeOptions {
            worker_config: Some(file),
            ..ServeOptions::default()
        })
        .unwrap();
        assert_eq!(settings.listen.port(), 18084);
        assert_eq!(settings.state_dir, PathBuf::from("/tmp/x"));
        assert_eq!(
            settings.defaults.into_iter().collect::<Vec<_>>(),
            vec![("bootstrap.servers".to_owned(), "k:9092".to_owned())]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
