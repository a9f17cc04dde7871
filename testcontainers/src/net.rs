//! Loopback ports for servers.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

/// A port that was free on 127.0.0.1 a moment ago.
///
/// The OS picks it from its ephemeral range, so two harnesses rarely get the same one; the
/// small race between this call and the server's bind shows up as a start error naming the
/// port (never a hang), and the automatic-port start path retries with a new port.
pub fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
pub fn port_is_open(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}
