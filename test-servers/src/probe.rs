//! Readiness probes: a real protocol exchange, not just an open port.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

const IO_TIMEOUT: Duration = Duration::from_millis(500);

/// Polls `ready` every 100 ms until it holds or `limit` passes.
pub(crate) fn wait_until(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if ready() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Sends `request` (if any) and returns what the server answers first.
fn exchange(port: u16, request: &[u8]) -> Option<Vec<u8>> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&address, IO_TIMEOUT).ok()?;
    stream.set_read_timeout(Some(IO_TIMEOUT)).ok()?;
    stream.set_write_timeout(Some(IO_TIMEOUT)).ok()?;
    if !request.is_empty() {
        stream.write_all(request).ok()?;
    }
    let mut buffer = vec![0u8; 4096];
    let read = stream.read(&mut buffer).ok()?;
    buffer.truncate(read);
    (read > 0).then_some(buffer)
}

/// Something accepts connections on `port` (a TLS server, which a plain request cannot
/// probe further).
pub(crate) fn accepts(port: u16) -> bool {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpStream::connect_timeout(&address, IO_TIMEOUT).is_ok()
}

pub(crate) fn redis_ping(port: u16) -> bool {
    exchange(port, b"PING\r\n").is_some_and(|answer| answer.starts_with(b"+PONG"))
}

/// The master on `port` has one replica, online (caught up and streaming).
pub(crate) fn redis_replica_online(port: u16) -> bool {
    exchange(port, b"INFO replication\r\n").is_some_and(|answer| {
        let info = String::from_utf8_lossy(&answer);
        info.contains("connected_slaves:1") && info.contains("state=online")
    })
}

pub(crate) fn redis_cluster_ok(port: u16) -> bool {
    exchange(port, b"CLUSTER INFO\r\n")
        .is_some_and(|answer| String::from_utf8_lossy(&answer).contains("cluster_state:ok"))
}

pub(crate) fn memcached_version(port: u16) -> bool {
    exchange(port, b"version\r\n").is_some_and(|answer| answer.starts_with(b"VERSION "))
}

/// A MySQL/MariaDB server greets first: a packet whose payload starts with protocol 10.
pub(crate) fn mysql_greeting(port: u16) -> bool {
    exchange(port, b"").is_some_and(|answer| answer.get(4) == Some(&10))
}
