//! A small memcached client for the meta protocol (memcached 1.6+), the few commands this
//! store needs: `ms` (set and add), `mg` (get, with CAS value), `md` (delete).
//!
//! Written here rather than taken from the `memcache` crate: that crate's ASCII protocol
//! reports a duplicate `add` as success, which would let a replayed nonce through, and its
//! default client is about ten times slower than the protocol on this workload. The meta
//! protocol answers every command with an explicit status (`HD` stored, `NS` not stored,
//! `EX` CAS mismatch, `NF` not found), so "not stored" can never look like "stored".

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Largest value this client accepts from the server (associations are a few hundred
/// bytes; anything bigger is not ours).
const MAX_VALUE: usize = 64 * 1024;

/// Longest status line accepted.
const MAX_LINE: usize = 1024;

/// A failure talking to memcached.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ClientError {
    /// The connection failed or timed out.
    #[error("memcached connection: {0}")]
    Io(#[from] io::Error),
    /// The server answered something this client does not expect.
    #[error("memcached protocol: {0}")]
    Protocol(String),
    /// The server reported an error (`SERVER_ERROR`, `CLIENT_ERROR`, `ERROR`).
    #[error("memcached refused the command: {0}")]
    Server(String),
}

/// The outcome of a store command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// `HD`: stored.
    Stored,
    /// `NS`: not stored (an `add` of an existing key).
    NotStored,
    /// `EX`: the CAS value did not match.
    Exists,
    /// `NF`: a CAS store of a missing key.
    NotFound,
}

/// How a value is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Store unconditionally.
    Set,
    /// Store only if the key does not exist.
    Add,
}

/// One connection to one server.
///
/// Each command has a deadline, the timeout from when it is sent: a socket timeout alone
/// bounds each read, and a server that trickles its answer a byte at a time would keep a
/// command going for as long as it likes.
pub(crate) struct Connection {
    reader: BufReader<TcpStream>,
    buffer: Vec<u8>,
    timeout: Duration,
    deadline: Instant,
}

impl Connection {
    /// Connects with `timeout` for the connection and for every later read and write.
    pub(crate) fn connect(address: &str, timeout: Duration) -> Result<Self, ClientError> {
        let addresses: Vec<SocketAddr> = address.to_socket_addrs()?.collect();
        let mut last_error = io::Error::new(io::ErrorKind::NotFound, "no address");
        for socket_address in addresses {
            match TcpStream::connect_timeout(&socket_address, timeout) {
                Ok(stream) => {
                    stream.set_nodelay(true)?;
                    stream.set_read_timeout(Some(timeout))?;
                    stream.set_write_timeout(Some(timeout))?;
                    return Ok(Self {
                        reader: BufReader::new(stream),
                        buffer: Vec::with_capacity(512),
                        timeout,
                        deadline: Instant::now() + timeout,
                    });
                }
                Err(error) => last_error = error,
            }
        }
        Err(ClientError::Io(last_error))
    }

    /// `ms`: stores `value` under `key` with a TTL in seconds (0: no expiry), only if `cas`
    /// matches when given.
    pub(crate) fn store(
        &mut self,
        key: &str,
        value: &[u8],
        ttl: u32,
        mode: Mode,
        cas: Option<u64>,
    ) -> Result<Outcome, ClientError> {
        self.buffer.clear();
        let mode_flag = match mode {
            Mode::Set => "MS",
            Mode::Add => "ME",
        };
        write!(self.buffer, "ms {key} {} T{ttl} {mode_flag}", value.len())?;
        if let Some(cas) = cas {
            write!(self.buffer, " C{cas}")?;
        }
        self.buffer.extend_from_slice(b"\r\n");
        self.buffer.extend_from_slice(value);
        self.buffer.extend_from_slice(b"\r\n");
        self.send()?;
        let line = self.read_line()?;
        match line.split(' ').next() {
            Some("HD") => Ok(Outcome::Stored),
            Some("NS") => Ok(Outcome::NotStored),
            Some("EX") => Ok(Outcome::Exists),
            Some("NF") => Ok(Outcome::NotFound),
            _ => Err(unexpected(&line)),
        }
    }

    /// `mg`: the value and CAS value of `key`, if present.
    pub(crate) fn get(&mut self, key: &str) -> Result<Option<(Vec<u8>, u64)>, ClientError> {
        self.buffer.clear();
        write!(self.buffer, "mg {key} v c\r\n")?;
        self.send()?;
        let line = self.read_line()?;
        let mut words = line.split(' ');
        match words.next() {
            Some("EN") => Ok(None),
            Some("VA") => {
                let size: usize =
                    words.next().and_then(|s| s.parse().ok()).ok_or_else(|| unexpected(&line))?;
                if size > MAX_VALUE {
                    return Err(ClientError::Protocol(format!(
                        "value of {size} bytes is too large"
                    )));
                }
                let cas = words
                    .find_map(|w| w.strip_prefix('c'))
                    .and_then(|c| c.parse().ok())
                    .ok_or_else(|| unexpected(&line))?;
                let mut value = vec![0u8; size + 2];
                self.read_exact(&mut value)?;
                if !value.ends_with(b"\r\n") {
                    return Err(ClientError::Protocol("value not terminated by CRLF".into()));
                }
                value.truncate(size);
                Ok(Some((value, cas)))
            }
            _ => Err(unexpected(&line)),
        }
    }

    /// `md`: deletes `key`; `true` if it existed.
    pub(crate) fn delete(&mut self, key: &str) -> Result<bool, ClientError> {
        self.buffer.clear();
        write!(self.buffer, "md {key}\r\n")?;
        self.send()?;
        let line = self.read_line()?;
        match line.split(' ').next() {
            Some("HD") => Ok(true),
            Some("NF") => Ok(false),
            _ => Err(unexpected(&line)),
        }
    }

    /// One value of `stats settings` (such as `evictions`), if the server reports it.
    pub(crate) fn setting(&mut self, name: &str) -> Result<Option<String>, ClientError> {
        self.buffer.clear();
        self.buffer.extend_from_slice(b"stats settings\r\n");
        self.send()?;
        let mut found = None;
        // Bounded: memcached reports a few dozen settings.
        for _ in 0..1_000 {
            let line = self.read_line()?;
            if line == "END" {
                return Ok(found);
            }
            let mut words = line.splitn(3, ' ');
            if let (Some("STAT"), Some(key), Some(value)) =
                (words.next(), words.next(), words.next())
                && key == name
            {
                found = Some(value.to_owned());
            }
        }
        Err(ClientError::Protocol("stats settings did not end".into()))
    }

    /// Sends the command in the buffer, starting its deadline.
    fn send(&mut self) -> Result<(), ClientError> {
        self.deadline = Instant::now() + self.timeout;
        let stream = self.reader.get_mut();
        stream.set_write_timeout(Some(self.timeout))?;
        stream.write_all(&self.buffer)?;
        Ok(())
    }

    /// Sets the socket's read timeout to what is left of the command's deadline; an error
    /// once it has passed.
    fn arm(&self) -> io::Result<()> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "the command's deadline passed"));
        }
        self.reader.get_ref().set_read_timeout(Some(left))
    }

    /// Fills `buf` from the connection before the command's deadline.
    fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        let mut filled = 0;
        while filled < buf.len() {
            self.arm()?;
            let rest = buf.get_mut(filled..).unwrap_or_default();
            match self.reader.read(rest) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(read) => filled += read,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// One response line without its CRLF, read before the command's deadline and cut
    /// off at [`MAX_LINE`]; server errors become [`ClientError::Server`].
    fn read_line(&mut self) -> Result<String, ClientError> {
        let mut line = Vec::new();
        while line.len() < MAX_LINE {
            self.arm()?;
            let available = match self.reader.fill_buf() {
                Ok(available) => available,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            if available.is_empty() {
                break;
            }
            let room = MAX_LINE - line.len();
            let (used, complete) = match available.iter().take(room).position(|&b| b == b'\n') {
                Some(end) => (end + 1, true),
                None => (available.len().min(room), false),
            };
            line.extend_from_slice(available.get(..used).unwrap_or_default());
            self.reader.consume(used);
            if complete {
                break;
            }
        }
        if !line.ends_with(b"\r\n") {
            return Err(if line.is_empty() {
                ClientError::Io(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed"))
            } else {
                ClientError::Protocol("response line too long or not terminated".into())
            });
        }
        line.truncate(line.len() - 2);
        let line = String::from_utf8(line)
            .map_err(|_| ClientError::Protocol("response line is not UTF-8".into()))?;
        if line == "ERROR" || line.starts_with("SERVER_ERROR") || line.starts_with("CLIENT_ERROR") {
            return Err(ClientError::Server(line));
        }
        Ok(line)
    }
}

fn unexpected(line: &str) -> ClientError {
    ClientError::Protocol(format!("unexpected response {line:?}"))
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;

    use openid_test_servers::{Backend, shared};

    use super::*;

    const TIMEOUT: Duration = Duration::from_secs(2);

    fn connection() -> Option<Connection> {
        let server = shared(Backend::Memcache).unwrap()?;
        Some(Connection::connect(server.url().trim_start_matches("memcache://"), TIMEOUT).unwrap())
    }

    fn unique(name: &str) -> String {
        format!("client-test:{name}:{}", std::process::id())
    }

    #[test]
    fn add_stores_once_then_reports_not_stored() {
        let Some(mut c) = connection() else { return };
        let key = unique("add");
        assert_eq!(c.store(&key, b"1", 60, Mode::Add, None).unwrap(), Outcome::Stored);
        assert_eq!(c.store(&key, b"2", 60, Mode::Add, None).unwrap(), Outcome::NotStored);
        assert_eq!(c.get(&key).unwrap().map(|(v, _)| v), Some(b"1".to_vec()));
    }

    #[test]
    fn compare_and_swap_detects_a_concurrent_write() {
        let Some(mut c) = connection() else { return };
        let key = unique("cas");
        c.store(&key, b"v1", 60, Mode::Set, None).unwrap();
        let (_, cas) = c.get(&key).unwrap().unwrap();
        c.store(&key, b"v2", 60, Mode::Set, None).unwrap();
        assert_eq!(c.store(&key, b"v3", 60, Mode::Set, Some(cas)).unwrap(), Outcome::Exists);
        let (value, fresh) = c.get(&key).unwrap().unwrap();
        assert_eq!(value, b"v2");
        assert_eq!(c.store(&key, b"v3", 60, Mode::Set, Some(fresh)).unwrap(), Outcome::Stored);
        assert_eq!(
            c.store(&unique("cas-missing"), b"x", 60, Mode::Set, Some(fresh)).unwrap(),
            Outcome::NotFound
        );
    }

    #[test]
    fn values_round_trip_with_any_bytes_and_delete_reports_existence() {
        let Some(mut c) = connection() else { return };
        let key = unique("bytes");
        let value: Vec<u8> = (0..=255u8).chain(*b"\r\nEND\r\n").collect();
        c.store(&key, &value, 60, Mode::Set, None).unwrap();
        assert_eq!(c.get(&key).unwrap().map(|(v, _)| v), Some(value));
        assert!(c.delete(&key).unwrap());
        assert!(!c.delete(&key).unwrap());
        assert_eq!(c.get(&key).unwrap(), None);
    }

    #[test]
    fn a_key_the_server_refuses_is_a_server_error() {
        let Some(mut c) = connection() else { return };
        let error = c.store(&"k".repeat(300), b"1", 60, Mode::Set, None).unwrap_err();
        assert!(matches!(error, ClientError::Server(_)), "{error}");
    }

    /// A fake server that answers every command with `reply`.
    fn fake_server(reply: &'static [u8]) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        std::thread::spawn(move || {
            if let Ok((stream, _)) = listener.accept() {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                let _ = reader.read_line(&mut line);
                let _ = (&stream).write_all(reply);
                std::thread::sleep(Duration::from_millis(200));
            }
        });
        address
    }

    #[test]
    fn hostile_answers_are_protocol_errors_not_successes() {
        for reply in [
            &b"OK\r\n"[..],
            b"VA 99999999 c1\r\n",
            b"VA 3\r\nabc\r\n",
            b"VA 3 c1\r\nabcXX",
            b"no end of line",
        ] {
            let mut c = Connection::connect(&fake_server(reply), TIMEOUT).unwrap();
            let result = c.get("k");
            assert!(result.is_err(), "{:?} gave {result:?}", String::from_utf8_lossy(reply));
        }
        let mut c = Connection::connect(&fake_server(b"VA 1 c1\r\n1\r\n"), TIMEOUT).unwrap();
        assert!(c.store("k", b"1", 60, Mode::Add, None).is_err(), "a value is no answer to add");
    }

    // See: issue 15, item 4 (memcached bounded idle connections, not live ones).
    #[test]
    fn a_server_that_trickles_its_answer_fails_the_command_at_its_deadline() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        std::thread::spawn(move || {
            if let Ok((stream, _)) = listener.accept() {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                let _ = reader.read_line(&mut line);
                // "HD", padding, CRLF: a byte every 50 ms, 1.7 s in all, each read well
                // within the socket timeout.
                for byte in b"HD".iter().chain(&[b' '; 30]).chain(b"\r\n") {
                    if (&stream).write_all(&[*byte]).is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        });
        let timeout = Duration::from_millis(300);
        let mut c = Connection::connect(&address, timeout).unwrap();
        let started = Instant::now();
        let error = c.store("k", b"1", 60, Mode::Add, None).unwrap_err();
        let took = started.elapsed();
        assert!(
            matches!(&error, ClientError::Io(e) if e.kind() == io::ErrorKind::TimedOut
            || e.kind() == io::ErrorKind::WouldBlock),
            "{error}"
        );
        assert!(took >= timeout && took < Duration::from_secs(1), "took {took:?}");
    }

    #[test]
    fn an_endless_line_is_cut_off() {
        let long: &'static [u8] = Box::leak(vec![b'A'; 10_000].into_boxed_slice());
        let mut c = Connection::connect(&fake_server(long), TIMEOUT).unwrap();
        assert!(matches!(c.delete("k"), Err(ClientError::Protocol(_))));
    }
}
