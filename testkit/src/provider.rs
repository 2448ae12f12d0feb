//! [`Provider`]: the running server, its URLs and its controls.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::behaviour::Behaviour;
use crate::http::{Connection, Framing, Next, Reply};
use crate::router;
use crate::state::{LoggedRequest, Page, Shared, Urls};
use crate::workers::Workers;

/// A running OpenID provider on a local address; dropping it stops the server.
///
/// Each connection is served on a thread of its own, which reads a request, answers it and
/// waits for the next one on the same connection (keep-alive), so concurrent requests (and a
/// [`Behaviour::delay`] on one of them) do not wait for each other. At most
/// [`MAX_CONNECTIONS`] are served at once; more are answered `503` and closed.
///
/// # Paths
/// | path | what |
/// |---|---|
/// | `/op` | the OP endpoint: `associate`, `checkid_setup`, `checkid_immediate`, `check_authentication` |
/// | `/id/NAME` | identity page: HTML links and the Yadis `X-XRDS-Location` header |
/// | `/xrds/NAME` | the XRDS document of `/id/NAME` |
/// | `/html/NAME` | identity page with HTML links only |
/// | `/` | XRDS with the OP identifier service (identifier selection) |
/// | anything added | [`add_page`](Self::add_page), which wins over the paths above |
///
/// Any `NAME` works (every user exists); the provider asserts the identity URLs of this
/// provider (`/id/NAME`, `/html/NAME`; `localhost` stands for a loopback address) and, as the
/// claimed identifier, whatever URL the relying party sends with one (delegation).
///
/// # HTTP
/// Request bodies must come with a `Content-Length` (`Transfer-Encoding` is refused with
/// `411`); a request head over 64 KiB or with over 100 headers is refused with `431`. Every
/// answer has a `Content-Length`. Connections are kept alive unless the client sends
/// `Connection: close` or speaks HTTP/1.0 without `Connection: keep-alive`.
///
/// # Stopping
/// `drop` closes the listening socket (no connection is accepted after it returns) and
/// answers a request waiting out [`Behaviour::delay`] at once, with `Connection: close`.
/// Kept-alive connections are closed: an idle one within about 100 ms, a busy one
/// after its current answer. `drop` waits for that, up to a second, so an answer written to
/// a client that does not read it cannot hold it up for longer.
pub struct Provider {
    shared: Arc<Shared>,
    server: Arc<Server>,
    accept: Option<JoinHandle<()>>,
    /// Where `drop` connects to wake the accept thread.
    wake: SocketAddr,
}

impl Provider {
    /// Starts a provider on `127.0.0.1` on a free port.
    ///
    /// # Errors
    /// When the port cannot be bound or the threads cannot be started.
    pub fn start() -> io::Result<Self> {
        Self::start_on((Ipv4Addr::LOCALHOST, 0))
    }

    /// Starts a provider on `addr` (for example `"127.0.0.1:8001"` for the demo site; port 0
    /// for a free port). URLs use the address bound; on an unspecified address (`0.0.0.0`,
    /// `::`) they use loopback.
    ///
    /// # Errors
    /// When `addr` cannot be bound or the threads cannot be started.
    pub fn start_on(addr: impl ToSocketAddrs) -> io::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        let local = listener.local_addr()?;
        let shared = Arc::new(Shared::new(Urls::new(local)));
        let server = Arc::new(Server::default());
        let accept = {
            let (shared, server) = (Arc::clone(&shared), Arc::clone(&server));
            thread::Builder::new()
                .name("openid-testkit-accept".to_owned())
                .spawn(move || accept(&listener, &shared, &server))?
        };
        let wake = match local.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => {
                SocketAddr::new(Ipv4Addr::LOCALHOST.into(), local.port())
            }
            IpAddr::V6(ip) if ip.is_unspecified() => {
                SocketAddr::new(Ipv6Addr::LOCALHOST.into(), local.port())
            }
            _ => local,
        };
        let provider = Self { shared, server, accept: Some(accept), wake };
        tracing::info!(base = provider.base_url(), "openid-testkit provider started");
        Ok(provider)
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.shared.urls().base().to_owned()
    }

    /// The OP endpoint, `base_url() + "/op"`.
    pub fn endpoint_url(&self) -> String {
        self.shared.urls().endpoint()
    }

    /// The identity URL of `name` (`base_url() + "/id/" + name`, the name percent-encoded):
    /// a page with OpenID 2.0 and 1.1 HTML links and a Yadis pointer to its XRDS document.
    pub fn identity_url(&self, name: &str) -> String {
        self.shared.urls().identity(name)
    }

    /// An identity URL of `name` whose page has the HTML links only, no Yadis
    /// (`base_url() + "/html/" + name`).
    pub fn html_identity_url(&self, name: &str) -> String {
        self.shared.urls().html_identity(name)
    }

    /// The OP identifier, `base_url() + "/"`: an XRDS document whose service is typed
    /// `http://specs.openid.net/auth/2.0/server`, for identifier selection.
    pub fn op_identifier_url(&self) -> String {
        self.shared.urls().op_identifier()
    }

    /// Serves `body` as `content_type` at `path` (exact path, any query, any method), in place
    /// of whatever was there: delegation pages, broken or custom XRDS documents.
    ///
    /// # Example
    /// ```
    /// use openid_testkit::Provider;
    ///
    /// let provider = Provider::start()?;
    /// // bob's own page delegates to alice's identity at this provider.
    /// provider.add_page(
    ///     "/bob",
    ///     "text/html",
    ///     format!(
    ///         r#"<link rel="openid2.provider" href="{}"><link rel="openid2.local_id" href="{}">"#,
    ///         provider.endpoint_url(),
    ///         provider.identity_url("alice"),
    ///     ),
    /// );
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn add_page(&self, path: &str, content_type: &str, body: impl Into<String>) {
        self.add_page_with(path, Page::new(content_type, body.into()));
    }

    /// Serves `page` (status, headers, body) at `path`; see [`add_page`](Self::add_page).
    ///
    /// # Example
    /// ```
    /// use openid_testkit::{Page, Provider};
    ///
    /// let provider = Provider::start()?;
    /// // A claimed identifier that redirects to alice's identity page.
    /// provider.add_page_with("/me", Page::redirect(302, provider.identity_url("alice")));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn add_page_with(&self, path: &str, page: Page) {
        self.shared.add_page(path, page);
    }

    /// Stops serving the page added at `path`; true if there was one.
    pub fn remove_page(&self, path: &str) -> bool {
        self.shared.remove_page(path)
    }

    /// Changes the behaviour for the requests that arrive from now on.
    ///
    /// # Example
    /// ```
    /// use openid_testkit::{Answer, Provider};
    ///
    /// let provider = Provider::start()?;
    /// provider.configure(|b| b.answer = Answer::Cancel);
    /// assert_eq!(provider.behaviour().answer, Answer::Cancel);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn configure(&self, change: impl FnOnce(&mut Behaviour)) {
        self.shared.configure(change);
    }

    /// The current behaviour.
    pub fn behaviour(&self) -> Behaviour {
        self.shared.behaviour()
    }

    /// Back to the default behaviour, with an empty request log. Associations, added pages and
    /// the record of verified assertions and issued nonces stay: the relying party may still
    /// hold associations and assertions from before.
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Every request received (since the start, [`reset`](Self::reset) or
    /// [`clear_requests`](Self::clear_requests)), in order of arrival.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.requests()
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        self.shared.clear_requests();
    }

    /// The handles of the associations `associate` handed out, in order (not the private
    /// ones used to sign for relying parties without an association).
    pub fn issued_handles(&self) -> Vec<String> {
        self.shared.issued_handles()
    }
}

impl fmt::Debug for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Provider")
            .field("base_url", &self.base_url())
            .field("connections", &self.server.connections())
            .finish_non_exhaustive()
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.server.stopping.store(true, Ordering::SeqCst);
        self.shared.stop();
        // The accept thread blocks in `accept`; a connection of our own wakes it to see the
        // flag. Without one it would never return, so it is then left behind, not joined.
        match TcpStream::connect_timeout(&self.wake, Duration::from_secs(1)) {
            Ok(_) => {
                if let Some(accept) = self.accept.take()
                    && accept.join().is_err()
                {
                    tracing::error!("the openid-testkit accept thread panicked");
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot wake the openid-testkit accept thread; left running");
            }
        }
        self.server.workers.close();
        if !self.server.wait_for_connections(Duration::from_secs(1)) {
            tracing::warn!(
                connections = self.server.connections(),
                "openid-testkit connections still open after the provider stopped"
            );
        }
    }
}

/// What the accept thread and the connection threads share.
#[derive(Debug, Default)]
struct Server {
    stopping: AtomicBool,
    /// Connections being served.
    open: Mutex<usize>,
    closed: Condvar,
    workers: Arc<Workers>,
}

impl Server {
    fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    fn connections(&self) -> usize {
        *self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a new connection in; false when [`MAX_CONNECTIONS`] are already served.
    fn enter(&self) -> bool {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if *open >= MAX_CONNECTIONS {
            return false;
        }
        *open += 1;
        true
    }

    fn leave(&self) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        *open = open.saturating_sub(1);
        self.closed.notify_all();
    }

    /// Waits until no connection is served, at most `limit`; true if none is.
    fn wait_for_connections(&self, limit: Duration) -> bool {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let (open, _) = self
            .closed
            .wait_timeout_while(open, limit, |open| *open > 0)
            .unwrap_or_else(PoisonError::into_inner);
        *open == 0
    }
}

/// Leaves the count of [`Server`] however the connection thread ends (a panic included).
struct Entered(Arc<Server>);

impl Drop for Entered {
    fn drop(&mut self) {
        self.0.leave();
    }
}

/// The accept thread: a thread per connection until the provider stops. The listener is
/// closed when this returns.
fn accept(listener: &TcpListener, shared: &Arc<Shared>, server: &Arc<Server>) {
    for stream in listener.incoming() {
        if server.stopping() {
            break;
        }
        let stream = match stream {
            Ok(stream) => stream,
            Err(error) => {
                // Out of file descriptors, or a connection reset before it was accepted:
                // nothing to serve, and a pause keeps a persistent error from spinning.
                tracing::warn!(%error, "accepting a connection");
                thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        if !server.enter() {
            tracing::warn!(MAX_CONNECTIONS, "openid-testkit refuses a connection: too many open");
            // The timeout bounds the refusal's wait for the client, which holds up accepting.
            if stream.set_read_timeout(Some(POLL)).is_ok() {
                Connection::new(stream).refuse(Reply::error_page(503, "too many connections"));
            }
            continue;
        }
        let entered = Entered(Arc::clone(server));
        let (shared, job_server) = (Arc::clone(shared), Arc::clone(server));
        let started = server.workers.run(Box::new(move || {
            let _entered = entered;
            serve(stream, &shared, &job_server);
        }));
        // On failure the job, and with it the count and the socket, are dropped.
        if let Err(error) = started {
            tracing::warn!(%error, "cannot start a thread for a connection");
        }
    }
}

/// Serves one connection: request after request until the client closes, asks to close, or
/// the provider stops.
fn serve(stream: TcpStream, shared: &Shared, server: &Server) {
    // Each answer goes out in one write; Nagle would only delay the next one.
    let configured = stream
        .set_nodelay(true)
        .and_then(|()| stream.set_read_timeout(Some(POLL)))
        // A client that stops reading must not keep the thread past a stop for long.
        .and_then(|()| stream.set_write_timeout(Some(Duration::from_secs(30))));
    if let Err(error) = configured {
        tracing::debug!(%error, "configuring a connection");
        return;
    }
    let mut connection = Connection::new(stream);
    let stopping = || server.stopping();
    loop {
        let (incoming, framing) = match connection.next(&stopping) {
            Next::Request(incoming, framing) => (incoming, framing),
            Next::Refuse(reply) => return connection.refuse(reply),
            Next::Close => return,
        };
        // A bug in a handler must not take the connection down silently: the request gets a
        // 500, the provider goes on.
        let reply = catch_unwind(AssertUnwindSafe(|| router::handle(shared, &incoming)))
            .unwrap_or_else(|_| {
                tracing::error!(path = incoming.path, "openid-testkit handler panicked");
                Reply::error_page(500, "the test provider failed on this request")
            });
        let keep_alive = framing.keep_alive && !server.stopping();
        if let Err(error) = connection.send(reply, Framing { keep_alive, ..framing }) {
            tracing::debug!(%error, "writing a response");
            return;
        }
        if !keep_alive {
            return;
        }
    }
}

/// How often a connection waiting for a request checks whether the provider stops.
const POLL: Duration = Duration::from_millis(100);

/// The most connections served at once: plenty for a test's concurrent requests, and a bound
/// on threads when a test leaks connections.
pub const MAX_CONNECTIONS: usize = 256;
