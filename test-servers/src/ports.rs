//! Picking ports for servers so that two test processes never pick the same one.
//!
//! A port that was free a moment ago is not enough when several test binaries start
//! servers at once (`scripts/stress-servers.sh` runs them all in parallel): another server
//! may take it first, or, in the kernel's ephemeral range, an outgoing connection of any
//! test may. So ports are picked below the ephemeral range, and each pick is reserved by a
//! symbolic link `openid-test-ports/PORT -> the instance's directory`, made under a file
//! lock. The watchdog removes the instance directory when the test process ends, which
//! leaves the link dangling and the port free for the next pick: a reservation cannot
//! outlive its server, even after a crash.

use std::fs::File;
use std::hash::{BuildHasher as _, RandomState};
use std::io;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};

/// The lowest port picked (below it live well-known services).
const FIRST: u16 = 10_000;
/// The Redis cluster bus listens on its node's port + this.
pub(crate) const BUS_OFFSET: u16 = 10_000;
/// How many candidates to try before giving up.
const ATTEMPTS: u32 = 2_000;

/// Reserves a free port for the instance whose directory is `dir` (and the port
/// `BUS_OFFSET` above it, which no other pick can take: picks stay below the first bus
/// port).
pub(crate) fn reserve(dir: &Path) -> io::Result<u16> {
    let registry = registry()?;
    let lock = File::create(registry.join(".lock"))?;
    lock.lock()?;
    let (low, high) = range();
    let state = RandomState::new();
    for attempt in 0..ATTEMPTS {
        let span = u64::from(high - low);
        let offset = u16::try_from(state.hash_one(attempt) % span).unwrap_or(0);
        let port = low + offset;
        let link = registry.join(port.to_string());
        if link.exists() {
            // Reserved by a live instance (the link resolves to its directory).
            continue;
        }
        if !is_free(port) || port.checked_add(BUS_OFFSET).is_none_or(|bus| !is_free(bus)) {
            continue;
        }
        // A dangling link is a reservation whose server is gone.
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(dir, &link)?;
        return Ok(port);
    }
    Err(io::Error::other(format!(
        "no free port among {ATTEMPTS} tries in {low}..{high} (reservations in {})",
        registry.display()
    )))
}

/// Picks stay in `[FIRST, end)` where the bus ports (`+ BUS_OFFSET`) stay below the
/// kernel's ephemeral range, so no outgoing connection can hold either.
fn range() -> (u16, u16) {
    let ephemeral_low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32_768);
    let end = ephemeral_low.saturating_sub(BUS_OFFSET).clamp(FIRST + 1_000, FIRST + BUS_OFFSET);
    (FIRST, end)
}

fn is_free(port: u16) -> bool {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok()
}

fn registry() -> io::Result<PathBuf> {
    let registry = std::env::temp_dir().join("openid-test-ports");
    match std::fs::create_dir(&registry) {
        Err(error) if error.kind() != io::ErrorKind::AlreadyExists => return Err(error),
        _ => {}
    }
    Ok(registry)
}
