//! [`Provider`]: the running server, its URLs and its controls.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, TcpListener, ToSocketAddrs};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use crate::behaviour::Behaviour;
use crate::http::{Incoming, Reply};
use crate::router;
use crate::state::{LoggedRequest, Page, Shared, Urls};

/// A running OpenID provider on a local address; dropping it stops the server.
///
/// Requests are answered by a pool of [`WORKERS`] threads, so concurrent requests (and a
/// [`Behaviour::delay`] on one of them) do not wait for each other.
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
/// # Stopping
/// `drop` wakes and joins the worker threads (a request waiting out [`Behaviour::delay`] is
/// answered at once). `tiny_http`'s own accept thread closes the listening socket just after,
/// so a request sent right after the drop may still connect; such a request, and one sent on
/// a kept-alive connection after the drop, gets no answer and meets the client's timeout.
pub struct Provider {
    shared: Arc<Shared>,
    server: Arc<tiny_http::Server>,
    workers: Vec<JoinHandle<()>>,
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
        let urls = Urls::new(listener.local_addr()?);
        let server = tiny_http::Server::from_listener(listener, None).map_err(io::Error::other)?;
        let mut provider = Self {
            shared: Arc::new(Shared::new(urls)),
            server: Arc::new(server),
            workers: Vec::with_capacity(WORKERS),
        };
        for index in 0..WORKERS {
            let shared = Arc::clone(&provider.shared);
            let server = Arc::clone(&provider.server);
            // On an error here the provider is dropped, which stops the workers already there.
            let worker = thread::Builder::new()
                .name(format!("openid-testkit-{index}"))
                .spawn(move || work(&shared, &server))?;
            provider.workers.push(worker);
        }
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
            .field("workers", &self.workers.len())
            .finish_non_exhaustive()
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.shared.stop();
        // Each unblock wakes one thread waiting in `recv`, after the requests already queued.
        for _ in &self.workers {
            self.server.unblock();
        }
        for worker in self.workers.drain(..) {
            if worker.join().is_err() {
                tracing::error!("an openid-testkit worker thread panicked");
            }
        }
    }
}

/// A worker: answers requests until the server is unblocked for it.
fn work(shared: &Shared, server: &tiny_http::Server) {
    while let Ok(mut request) = server.recv() {
        let incoming = Incoming::read(&mut request);
        // A bug in a handler must not take a worker away: the request gets a 500, the
        // provider goes on.
        let reply = catch_unwind(AssertUnwindSafe(|| router::handle(shared, &incoming)))
            .unwrap_or_else(|_| {
                tracing::error!(path = incoming.path, "openid-testkit handler panicked");
                Reply::error_page(500, "the test provider failed on this request")
            });
        reply.send(request);
    }
}

/// Worker threads per provider: enough for the concurrent requests of a test (and a few slow
/// ones) on a small machine.
pub const WORKERS: usize = 8;
