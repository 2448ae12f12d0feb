//! [`RedisStore`]: the [`OpenIdStore`] operations as Redis commands and scripts.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use openid_consumer::store::{Association, Lookup, NonceRecord, OpenIdStore, StoreError, Timing};
use openid_store_kit::pool::{Connector as _, Pool};
use openid_store_kit::settings::{KeySettings, Settings};
use openid_store_kit::url::{StoreUrl, UrlOption};
use openid_store_kit::value::association_from_value;
use redis::cluster::ClusterClient;
use redis::{
    ConnectionAddr, ConnectionInfo, ConnectionLike, IntoConnectionInfo, RedisResult, Script,
    TlsCertificates, Value,
};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;

use crate::backoff::Backoff;
use crate::error::RedisStoreError;
use crate::keys::{self, Keys, ServerKeys};
use crate::pool::{Client, Connector, tls_mismatch_hint};
/// Redirections (`MOVED`, `ASK`) a cluster call follows; each attempt gets a third of the
/// timeout, so a call stays within it.
const CLUSTER_RETRIES: u32 = 2;
/// Longest TTL given to a key (100 years): Redis refuses expiry times that overflow its
/// millisecond clock, and an association this long-lived is re-created long before.
const MAX_TTL: i64 = 100 * 365 * 24 * 60 * 60;
/// How long calls fail at once after one ran out of time (one server).
const BACKOFF: Duration = Duration::from_secs(1);
/// The options of this store in a URL.
const OPTIONS: &[UrlOption<RedisStoreBuilder>] = &[
    UrlOption::text("prefix", RedisStoreBuilder::prefix),
    UrlOption::millis("timeout_ms", RedisStoreBuilder::timeout),
    UrlOption::seconds("nonce_retention_s", RedisStoreBuilder::nonce_retention),
    UrlOption::count("pool_size", RedisStoreBuilder::pool_size),
    UrlOption::flag("allow_eviction", RedisStoreBuilder::allow_eviction),
    UrlOption::count("wait_replicas", RedisStoreBuilder::wait_replicas),
    UrlOption::text("tls_ca_file", |builder, path| builder.tls_ca_file(path)),
];

/// Associations and nonces in Redis (one server or a Redis Cluster), shared by every
/// process that connects; the server expires them.
pub struct RedisStore {
    pool: Pool<Connector>,
    keys: Keys,
    scripts: Scripts,
    timing: Timing,
    /// Replicas that must acknowledge a nonce, and how long `WAIT` waits for them (ms).
    wait: Option<(u32, u64)>,
    /// One server: calls fail at once for a moment after one ran out of time. `None` on a
    /// cluster, where one hung master must not fail the calls to the others.
    backoff: Option<Backoff>,
}

/// The scripts, with their SHA-1 computed once.
struct Scripts {
    store: Script,
    newest: Script,
    remove: Script,
}

/// Options for a [`RedisStore`]; from [`RedisStore::builder`],
/// [`RedisStore::cluster_builder`] or [`RedisStoreBuilder::from_url`].
#[must_use]
#[derive(Clone)]
pub struct RedisStoreBuilder {
    nodes: Nodes,
    keys: KeySettings,
    settings: Settings,
    wait_replicas: u32,
    /// The CA that `rediss://` trusts instead of the public roots.
    tls_ca_file: Option<PathBuf>,
}

#[derive(Clone)]
enum Nodes {
    Single(Box<ConnectionInfo>),
    Cluster(Vec<ConnectionInfo>),
}

impl RedisStore {
    /// A store on the server `client` connects to, with the default options.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] if the server cannot be reached within 5 s;
    /// [`StoreError::Config`] if it refuses the credentials.
    pub fn new(client: &redis::Client) -> Result<Self, StoreError> {
        Self::builder(client.get_connection_info().clone()).build()
    }

    /// Options for a store on one server.
    ///
    /// ```
    /// use openid_store_redis::RedisStore;
    /// use openid_store_redis::redis::IntoConnectionInfo;
    ///
    /// let node = "redis://127.0.0.1:6379/".into_connection_info()?;
    /// let builder = RedisStore::builder(node).prefix("myapp:openid:").pool_size(4);
    /// # drop(builder);
    /// # Ok::<(), openid_store_redis::redis::RedisError>(())
    /// ```
    pub fn builder(node: ConnectionInfo) -> RedisStoreBuilder {
        RedisStoreBuilder::new(Nodes::Single(Box::new(node)))
    }

    /// Options for a store on a Redis Cluster; `nodes` are some of its masters (the others
    /// are discovered). Every node needs the same credentials.
    pub fn cluster_builder(nodes: Vec<ConnectionInfo>) -> RedisStoreBuilder {
        RedisStoreBuilder::new(Nodes::Cluster(nodes))
    }

    /// A store from a URL:
    ///
    /// - `redis://[user:password@]host[:port][/db][?options]`: one server;
    /// - `rediss://[user:password@]host[:port][/db][?options]`: one server over TLS
    ///   (rustls); the server's certificate is always checked, against the public roots
    ///   of `webpki-roots`, or only against the CA of `tls_ca_file`;
    /// - `redis+unix:///path/to/socket[?options]`: one server on a Unix socket;
    /// - `redis+cluster://[user:password@]host:port,host:port,...[/][?options]`: a Redis
    ///   Cluster, of which these are some masters.
    ///
    /// Options: `prefix` (of every key, default `openid:`), `timeout_ms` (default 5000),
    /// `pool_size` (default 16), `nonce_retention_s` (seconds a nonce is kept past its
    /// window, default 300), `allow_eviction` (default false), `wait_replicas` (see
    /// [`RedisStoreBuilder::wait_replicas`]), `tls_ca_file` (see
    /// [`RedisStoreBuilder::tls_ca_file`]). Any other option is an error.
    ///
    /// # Errors
    /// [`StoreError::Config`] for a bad URL or option (the password is never shown);
    /// [`StoreError::Unavailable`] if the server cannot be reached.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        RedisStoreBuilder::from_url(url)?.build()
    }

    /// The prefix every key of this store starts with.
    pub fn prefix(&self) -> &str {
        self.keys.prefix()
    }

    /// Runs `operation` on a pooled connection: the kit's pool, which keeps a connection
    /// whose command failed below the protocol out of the pool, marks every pooled
    /// connection stale when the server dropped one, and tries the operation once more on
    /// a new connection if the dropped one had waited in the pool (opened before the call
    /// began), so that the first call after a server restart works. Retrying is safe for every operation here: the command was
    /// not run by the server that dropped the connection, or, if it was, the retry's answer
    /// errs on the safe side (a nonce seen, an association already removed).
    fn run<T>(
        &self,
        action: &'static str,
        mut operation: impl FnMut(&mut dyn ConnectionLike) -> RedisResult<T>,
    ) -> Result<T, StoreError> {
        let Some(backoff) = &self.backoff else {
            return self.pool.run(action, |connection| operation(connection.redis()));
        };
        backoff.check(self.target(), action)?;
        let result = self.pool.run(action, |connection| operation(connection.redis()));
        backoff.record(&result, BACKOFF);
        result
    }

    /// The server or cluster, for messages.
    fn target(&self) -> &str {
        self.pool.connector().target()
    }

    /// Reads a stored association: `Corrupt` unless it deserializes and has `handle` (when
    /// given).
    fn association_from(
        &self,
        value: &[u8],
        server_url: &str,
        handle: Option<&str>,
    ) -> Result<Association, StoreError> {
        Ok(association_from_value(value, handle).map_err(|source| RedisStoreError::BadValue {
            target: self.target().to_owned(),
            server_url: server_url.to_owned(),
            prefix: self.keys.prefix().to_owned(),
            source,
        })?)
    }
}

impl RedisStoreBuilder {
    fn new(nodes: Nodes) -> Self {
        Self {
            nodes,
            keys: KeySettings::new(),
            settings: Settings::new(),
            wait_replicas: 0,
            tls_ca_file: None,
        }
    }

    /// Options from a URL, as [`RedisStore::from_url`] takes it, to set more (a clock)
    /// before [`build`](Self::build).
    ///
    /// # Errors
    /// [`StoreError::Config`] naming the bad part (the password is never shown).
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        let parsed = StoreUrl::new("Redis", url);
        let base = parsed.base();
        let Some((scheme, rest)) = base.split_once("://") else {
            return Err(parsed
                .error("expected redis://, rediss://, redis+unix:// or redis+cluster://")
                .into());
        };
        let builder = match scheme {
            "redis" | "rediss" | "redis+unix" | "unix" => {
                let node = base
                    .into_connection_info()
                    .map_err(|e| parsed.error_from("the driver refused it", e))?;
                RedisStore::builder(node)
            }
            "redis+cluster" => {
                let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
                if !matches!(path, "" | "/" | "/0") {
                    return Err(parsed
                        .error("a Redis Cluster has only database 0: remove the path")
                        .into());
                }
                let (userinfo, hosts) = match authority.rsplit_once('@') {
                    Some((userinfo, hosts)) => (format!("{userinfo}@"), hosts),
                    None => (String::new(), authority),
                };
                let mut nodes = Vec::new();
                for host in hosts.split(',') {
                    if host.is_empty() {
                        return Err(parsed.error("empty host in the node list").into());
                    }
                    let node = format!("redis://{userinfo}{host}/")
                        .into_connection_info()
                        .map_err(|e| parsed.error_from(format!("node {host} is refused"), e))?;
                    nodes.push(node);
                }
                RedisStore::cluster_builder(nodes)
            }
            "rediss+cluster" => {
                return Err(parsed
                    .error(
                        "TLS to a Redis Cluster is not supported yet; use rediss:// to one \
                         server, or redis+cluster:// on a trusted network",
                    )
                    .into());
            }
            other => {
                return Err(parsed
                    .error(format!(
                        "unknown scheme {other:?}: use redis://, rediss://, redis+unix:// or \
                         redis+cluster://"
                    ))
                    .into());
            }
        };
        Ok(parsed.apply(builder, OPTIONS)?)
    }

    openid_store_kit::builder_settings!(keys: prefix, allow_eviction);

    openid_store_kit::builder_settings!(settings: clock, skew, retention, timeout, pool_size);

    /// How many replicas must hold a nonce before `use_nonce` says it is fresh (default 0:
    /// the master's answer is enough; URL option `wait_replicas`). One server only.
    ///
    /// Redis replicates asynchronously: a master that fails after answering `SET NX`, and
    /// before a replica received the key, is replaced by a replica without it, and the
    /// nonce is accepted once more. With `wait_replicas=N`, every recorded nonce is
    /// followed by `WAIT N`, for at most half the timeout; fewer acknowledgements fail the
    /// call as [`StoreError::Unavailable`] (the login fails, closed). Then a failover to
    /// any replica that acknowledged keeps every nonce a login was accepted with; set `N`
    /// to the number of replicas to cover a failover to any of them. It does not make
    /// Redis durable across a restart of every node (that is its persistence settings),
    /// and associations are not waited for (losing one costs a request, not a replay).
    pub fn wait_replicas(mut self, replicas: u32) -> Self {
        self.wait_replicas = replicas;
        self
    }

    /// Trusts only the CA certificates (PEM) in the file at `path` for `rediss://`, instead
    /// of the public roots (URL option `tls_ca_file=/path/to/ca.pem`): for a server whose
    /// certificate a private or self-signed CA issued. The certificate is still checked,
    /// name (or IP address) included: there is no option to turn the check off.
    ///
    /// The file is read by [`build`](Self::build); an unreadable file, or one without a
    /// PEM certificate, is a [`StoreError::Config`] naming `tls_ca_file` and the path.
    pub fn tls_ca_file(mut self, path: impl AsRef<Path>) -> Self {
        self.tls_ca_file = Some(path.as_ref().to_path_buf());
        self
    }

    /// Connects (one connection, to fail early) and makes the store. On a cluster each
    /// pooled connection holds a connection to every master.
    ///
    /// # Errors
    /// [`StoreError::Config`] for an invalid prefix or settings, credentials the server
    /// refuses, `wait_replicas` on a cluster, an unusable `tls_ca_file`, or a TLS
    /// certificate that is not trusted (the message says what to set);
    /// [`StoreError::Unavailable`] if the server cannot be reached within the timeout.
    pub fn build(self) -> Result<RedisStore, StoreError> {
        self.settings.check("Redis")?;
        if self.wait_replicas > 0 && matches!(self.nodes, Nodes::Cluster(_)) {
            return Err(RedisStoreError::WaitOnCluster { target: self.nodes.describe() }.into());
        }
        let keys = Keys::new(&self.keys.prefix)?;
        let timeout = self.settings.timeout;
        let target = self.nodes.describe();
        let tls = self.nodes.tls()?;
        let client_error = |source| RedisStoreError::Client { target: target.clone(), source };
        let cluster_nodes = match &self.nodes {
            Nodes::Cluster(nodes) => Some(nodes.clone()),
            Nodes::Single(_) => None,
        };
        let client = self.nodes.client(tls, self.tls_ca_file.as_deref(), timeout)?;
        // How to reach the nodes found later (credentials, database, TLS), at their
        // addresses.
        let template = match &client {
            Client::Single(client) => Some(client.get_connection_info().clone()),
            Client::Cluster(_) => cluster_nodes.as_ref().and_then(|nodes| nodes.first().cloned()),
        };
        let connector = Connector { client, timeout, target: target.clone() };
        let pool = Pool::new(connector, self.settings.pool_size, timeout);
        // One connection outside the pool, so that refused credentials are reported as
        // such rather than as the pool's timeout.
        // A TLS mismatch (rediss:// to a plain port, or the reverse) shows as a dropped
        // connection or a timeout: the error says what to check.
        let hinted = |action: &'static str, error: redis::RedisError| {
            let hint = cluster_nodes.is_none().then(|| tls_mismatch_hint(&error, tls)).flatten();
            match (pool.error(action, error), hint) {
                (StoreError::Unavailable { context, source, .. }, Some(hint)) => {
                    StoreError::unavailable(format!("{context} ({hint})"), source)
                }
                (error, _) => error,
            }
        };
        let mut probe = pool.connector().connect().map_err(|e| hinted("connect", e))?;
        probe.check().map_err(|error| {
            let error = match &cluster_nodes {
                Some(nodes) => not_a_cluster(nodes, timeout).unwrap_or(error),
                None => error,
            };
            hinted("check the server", error)
        })?;
        if !self.keys.allow_eviction {
            // A nonce lives on its master and on every replica a failover may promote: an
            // evicting node among any of them can forget it. So every node is checked, the
            // ones the server reports as well as the ones listed.
            if cluster_nodes.is_none() {
                refuse_eviction(probe.redis(), &pool, &target)?;
            }
            let found = discover(probe.redis(), cluster_nodes.is_some()).map_err(|e| {
                pool.error(
                    "list the replicas and masters (INFO replication, CLUSTER NODES; allow \
                     the command, or set allow_eviction=true if no node can fill up)",
                    e,
                )
            })?;
            for (host, port) in found {
                let address = format!("{host}:{port}");
                let Some(template) = &template else { break };
                let info = at_address(template, host, port);
                let client = redis::Client::open(info).map_err(client_error)?;
                let mut connection = client
                    .get_connection_with_timeout(timeout)
                    .map_err(|e| pool.error("connect to a replica or master it reported", e))?;
                connection
                    .set_read_timeout(Some(timeout))
                    .map_err(|e| pool.error("connect to a replica or master it reported", e))?;
                refuse_eviction(&mut connection, &pool, &address)?;
            }
        }
        drop(probe);
        tracing::debug!(%target, prefix = %self.keys.prefix, "Redis store ready");
        Ok(RedisStore {
            pool,
            keys,
            scripts: Scripts {
                store: Script::new(keys::STORE_ASSOCIATION),
                newest: Script::new(keys::NEWEST_ASSOCIATION),
                remove: Script::new(keys::REMOVE_ASSOCIATION),
            },
            timing: self.settings.timing(),
            backoff: cluster_nodes.is_none().then(Backoff::default),
            wait: (self.wait_replicas > 0).then(|| {
                // Half the timeout, so the answer comes back before the read times out.
                let millis = u64::try_from(timeout.as_millis() / 2).unwrap_or(u64::MAX);
                (self.wait_replicas, millis.max(1))
            }),
        })
    }
}

impl Nodes {
    /// The nodes as a URL without credentials.
    fn describe(&self) -> String {
        match self {
            Self::Single(node) => match node.addr() {
                redis::ConnectionAddr::Unix(path) => format!("redis+unix://{}", path.display()),
                addr @ redis::ConnectionAddr::TcpTls { .. } => {
                    format!("rediss://{addr}/{}", node.redis_settings().db())
                }
                addr => format!("redis://{addr}/{}", node.redis_settings().db()),
            },
            Self::Cluster(nodes) => {
                let hosts: Vec<String> = nodes.iter().map(|n| n.addr().to_string()).collect();
                format!("redis+cluster://{}", hosts.join(","))
            }
        }
    }

    /// The client of these nodes: for one server over TLS, trusting the CA of `tls_ca_file`
    /// if given (read now); for a cluster, with the timeout split between its attempts.
    fn client(
        self,
        tls: bool,
        tls_ca_file: Option<&Path>,
        timeout: Duration,
    ) -> Result<Client, RedisStoreError> {
        let target = self.describe();
        if tls {
            install_crypto_provider();
        } else if tls_ca_file.is_some() {
            return Err(RedisStoreError::TlsCaWithoutTls { target });
        }
        let certificates = tls_ca_file.map(read_ca_file).transpose()?;
        let client_error = |source| RedisStoreError::Client { target, source };
        Ok(match self {
            Self::Single(node) => Client::Single(
                match certificates {
                    Some(certificates) => redis::Client::build_with_tls(*node, certificates),
                    None => redis::Client::open(*node),
                }
                .map_err(client_error)?,
            ),
            Self::Cluster(nodes) => {
                let attempt = timeout / (CLUSTER_RETRIES + 1);
                let client = ClusterClient::builder(nodes)
                    .connection_timeout(attempt)
                    .response_timeout(attempt)
                    .retries(CLUSTER_RETRIES)
                    .min_retry_wait(10)
                    .max_retry_wait(100)
                    .build()
                    .map_err(client_error)?;
                Client::Cluster(client)
            }
        })
    }

    /// Whether the connection uses TLS; refuses certificate checks turned off, and TLS to a
    /// cluster.
    fn tls(&self) -> Result<bool, RedisStoreError> {
        let target = || self.describe();
        match self {
            Self::Single(node) => match node.addr() {
                ConnectionAddr::TcpTls { insecure: true, .. } => {
                    Err(RedisStoreError::TlsInsecure { target: target() })
                }
                addr @ ConnectionAddr::TcpTls { .. } if accepts_any_host_name(addr) => {
                    Err(RedisStoreError::TlsInsecure { target: target() })
                }
                ConnectionAddr::TcpTls { .. } => Ok(true),
                _ => Ok(false),
            },
            Self::Cluster(nodes) => {
                if nodes.iter().any(|node| matches!(node.addr(), ConnectionAddr::TcpTls { .. })) {
                    Err(RedisStoreError::TlsOnCluster { target: target() })
                } else {
                    Ok(false)
                }
            }
        }
    }
}

/// Whether `addr` turns the host name check off: a `ConnectionInfo` given to
/// [`RedisStore::builder`] whose address had `set_danger_accept_invalid_hostnames(true)`
/// (which the driver offers when some crate of the application enables its
/// `tls-rustls-insecure` feature). The flag is crate-private in the driver; its `Debug`
/// shows it.
fn accepts_any_host_name(addr: &ConnectionAddr) -> bool {
    format!("{addr:?}").contains("danger_accept_invalid_hostnames: true")
}

/// Makes ring the process's rustls crypto provider, unless the application installed one:
/// rustls panics when it cannot tell which provider to use (several compiled in).
fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Another thread may have installed one meanwhile: that one is kept, which is as
        // good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// The largest `tls_ca_file` read (bytes): far more than a bundle of CA certificates.
const MAX_CA_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Reads the CA certificates of `tls_ca_file`: a regular file, PEM, at least one
/// certificate.
fn read_ca_file(path: &Path) -> Result<TlsCertificates, RedisStoreError> {
    use std::io::Read as _;
    let shown = path.display().to_string();
    let invalid = |reason: String| RedisStoreError::TlsCaInvalid { path: shown.clone(), reason };
    // A regular file of bounded size: a FIFO would block the build forever (opening it
    // waits for a writer), and a device such as /dev/zero would be read until memory ran out.
    let unreadable = |source| RedisStoreError::TlsCaUnreadable { path: shown.clone(), source };
    let metadata = std::fs::metadata(path).map_err(unreadable)?;
    if !metadata.is_file() {
        return Err(invalid("not a regular file".into()));
    }
    let mut pem = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_CA_FILE_BYTES + 1).read_to_end(&mut pem))
        .map_err(unreadable)?;
    if u64::try_from(pem.len()).unwrap_or(u64::MAX) > MAX_CA_FILE_BYTES {
        return Err(invalid(format!("larger than {MAX_CA_FILE_BYTES} bytes")));
    }
    let mut count = 0;
    for certificate in CertificateDer::pem_slice_iter(&pem) {
        let certificate = certificate.map_err(|e| invalid(e.to_string()))?;
        let mut roots = rustls::RootCertStore::empty();
        roots.add(certificate).map_err(|e| invalid(format!("not a CA certificate: {e}")))?;
        count += 1;
    }
    if count == 0 {
        return Err(invalid("no certificate in it".into()));
    }
    Ok(TlsCertificates { client_tls: None, root_cert: Some(pem) })
}

/// How to reach a node found later: `template` (credentials, database, TLS and its
/// trusted CA) at another address.
fn at_address(template: &ConnectionInfo, host: String, port: u16) -> ConnectionInfo {
    let addr = match template.addr() {
        ConnectionAddr::TcpTls { insecure, tls_params, .. } => ConnectionAddr::TcpTls {
            host,
            port,
            insecure: *insecure,
            tls_params: tls_params.clone(),
        },
        _ => ConnectionAddr::Tcp(host, port),
    };
    template.clone().set_addr(addr)
}

/// Refuses a server that may evict keys before their TTL: `maxmemory` set with a policy
/// other than `noeviction`. An evicted nonce would be accepted again.
fn refuse_eviction(
    connection: &mut dyn ConnectionLike,
    pool: &Pool<Connector>,
    node: &str,
) -> Result<(), StoreError> {
    let info: String = redis::cmd("INFO").arg("memory").query(connection).map_err(|e| {
        pool.error(
            "read the eviction policy with INFO memory (allow the command, or set \
             allow_eviction=true if the server cannot fill up)",
            e,
        )
    })?;
    let field = |name: &str| {
        info.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(':')).map(str::trim)
    };
    let limited = field("maxmemory").is_some_and(|bytes| bytes != "0");
    let policy = field("maxmemory_policy").unwrap_or("noeviction");
    if limited && policy != "noeviction" {
        let target = node.to_owned();
        return Err(RedisStoreError::Evicting { target, policy: policy.to_owned() }.into());
    }
    Ok(())
}

/// The nodes besides the one `connection` reaches that hold this store's keys or may be
/// promoted to: a server's replicas (`INFO replication`), or every master and replica of
/// a cluster (`CLUSTER NODES`, but nodes marked failed or without an address), as
/// (host, port).
fn discover(connection: &mut dyn ConnectionLike, cluster: bool) -> RedisResult<Vec<(String, u16)>> {
    if cluster {
        let nodes: String = redis::cmd("CLUSTER").arg("NODES").query(connection)?;
        return Ok(cluster_nodes(&nodes));
    }
    let info: String = redis::cmd("INFO").arg("replication").query(connection)?;
    Ok(replicas(&info))
}

/// `slave0:ip=127.0.0.1,port=6380,state=online,...` lines of `INFO replication`.
fn replicas(info: &str) -> Vec<(String, u16)> {
    info.lines()
        .filter(|line| line.starts_with("slave") && line.contains(":ip="))
        .filter_map(|line| {
            let fields = line.split_once(':')?.1;
            let field = |name: &str| {
                fields.split(',').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
            };
            Some((field("ip")?.to_owned(), field("port")?.parse().ok()?))
        })
        .collect()
}

/// `<id> <ip:port@cport[,hostname]> <flags> ...` lines of `CLUSTER NODES`.
fn cluster_nodes(nodes: &str) -> Vec<(String, u16)> {
    nodes
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let address = words.nth(1)?;
            let flags = words.next()?;
            if flags.split(',').any(|flag| matches!(flag, "fail" | "noaddr" | "handshake")) {
                return None;
            }
            let (host, port) = address.split(['@', ',']).next()?.rsplit_once(':')?;
            Some((host.to_owned(), port.parse().ok()?))
        })
        .collect()
}

/// When a cluster client found no cluster, the error of a node that says it is not in
/// cluster mode: the cluster client alone reports only "no connections found".
fn not_a_cluster(nodes: &[ConnectionInfo], timeout: Duration) -> Option<redis::RedisError> {
    nodes.iter().find_map(|node| {
        let mut connection =
            redis::Client::open(node.clone()).ok()?.get_connection_with_timeout(timeout).ok()?;
        connection.set_read_timeout(Some(timeout)).ok()?;
        let error = redis::cmd("CLUSTER").arg("INFO").exec(&mut connection).err()?;
        error
            .detail()
            .is_some_and(|detail| detail.contains("cluster support disabled"))
            .then_some(error)
    })
}

impl OpenIdStore for RedisStore {
    fn store_association(
        &self,
        server_url: &str,
        association: &Association,
    ) -> Result<(), StoreError> {
        let keys = self.keys.server(server_url);
        let handle = association.handle();
        // Relative to the store's clock, not the server's.
        let ttl = association.expires_in(self.timing.now()).clamp(1, MAX_TTL);
        let value = association.serialize();
        self.run("store an association", |connection| {
            self.scripts
                .store
                .key(keys.association(handle))
                .key(keys.index())
                .arg(&value)
                .arg(ttl)
                .arg(association.issued())
                .arg(ServerKeys::member(handle))
                .arg(keys.association_prefix())
                .invoke::<Value>(connection)
                .map(drop)
        })
    }

    fn find_association(&self, lookup: &Lookup<'_>) -> Result<Option<Association>, StoreError> {
        let Lookup { server_url, handle, now, .. } = *lookup;
        let keys = self.keys.server(server_url);
        let value: Option<Vec<u8>> =
            self.run("read an association", |connection| match handle {
                Some(handle) => redis::cmd("GET").arg(keys.association(handle)).query(connection),
                None => self
                    .scripts
                    .newest
                    .key(keys.index())
                    .arg(keys.association_prefix())
                    .arg(now)
                    .invoke(connection),
            })?;
        value.map(|value| self.association_from(&value, server_url, handle)).transpose()
    }

    fn remove_association(&self, server_url: &str, handle: &str) -> Result<bool, StoreError> {
        let keys = self.keys.server(server_url);
        let removed: i64 = self.run("remove an association", |connection| {
            self.scripts
                .remove
                .key(keys.association(handle))
                .key(keys.index())
                .arg(ServerKeys::member(handle))
                .invoke(connection)
        })?;
        Ok(removed > 0)
    }

    fn record_nonce(&self, nonce: &NonceRecord<'_>) -> Result<bool, StoreError> {
        // Remembered while it is acceptable (the contract's TTL, from the store's clock).
        let ttl = nonce.ttl().min(MAX_TTL);
        let key = self.keys.nonce(nonce.server_url, nonce.timestamp, nonce.salt);
        let set = || redis::cmd("SET").arg(&key).arg(1).arg("NX").arg("EX").arg(ttl).clone();
        let (reply, acked): (Value, Option<i64>) = match self.wait {
            None => (self.run("record a nonce", |connection| set().query(connection))?, None),
            Some((replicas, millis)) => {
                let (reply, acked): (Value, i64) = self.run("record a nonce", |connection| {
                    redis::pipe()
                        .add_command(set())
                        .cmd("WAIT")
                        .arg(replicas)
                        .arg(millis)
                        .query(connection)
                })?;
                (reply, Some(acked))
            }
        };
        if let (Some((wanted, millis)), Some(acked)) = (self.wait, acked)
            && is_set(&reply)
            && acked < i64::from(wanted)
        {
            return Err(RedisStoreError::NotReplicated {
                target: self.target().to_owned(),
                wanted,
                acked,
                millis,
            }
            .into());
        }
        match reply {
            Value::Okay => Ok(true),
            Value::Nil => Ok(false),
            Value::SimpleString(text) if text == "OK" => Ok(true),
            other => Err(RedisStoreError::UnexpectedReply {
                target: self.target().to_owned(),
                command: "SET NX",
                reply: format!("{other:?}").chars().take(100).collect(),
            }
            .into()),
        }
    }

    fn timing(&self) -> &Timing {
        &self.timing
    }

    openid_store_kit::expired_by_the_server!();
}

/// Whether a `SET` answered that it stored the key.
fn is_set(reply: &Value) -> bool {
    matches!(reply, Value::Okay) || matches!(reply, Value::SimpleString(text) if text == "OK")
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("target", &self.target())
            .field("prefix", &self.keys.prefix())
            .field("pool_size", &self.pool.size())
            .field("timing", &self.timing)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for RedisStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not derived: `ConnectionInfo`'s Debug shows the password.
        f.debug_struct("RedisStoreBuilder")
            .field("target", &self.nodes.describe())
            .field("keys", &self.keys)
            .field("settings", &self.settings)
            .field("wait_replicas", &self.wait_replicas)
            .field("tls_ca_file", &self.tls_ca_file)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_urls_and_options_are_config_errors_without_password() {
        for url in [
            "redis://u:hunter2@127.0.0.1:1/?pool_size=x",
            "redis://u:hunter2@127.0.0.1:1/?bogus_option=1",
            "redis://u:hunter2@127.0.0.1:1/?prefix=%7Bbrace%7D",
            "redis://u:hunter2@127.0.0.1:1/?timeout_ms=0",
            "redis://u:hunter2@127.0.0.1:1/?pool_size=0",
            "redis://u:hunter2@127.0.0.1:1/notadb",
            "rediss+cluster://u:hunter2@127.0.0.1:1,127.0.0.1:2/",
            "rediss://u:hunter2@127.0.0.1:1/#insecure",
            "redis://u:hunter2@127.0.0.1:1/?tls_ca_file=/nonexistent/ca.pem",
            "rediss://u:hunter2@127.0.0.1:1/?tls_ca_file=/nonexistent/ca.pem",
            "memcache://u:hunter2@127.0.0.1:1/",
            "u:hunter2@127.0.0.1:1",
            "redis+cluster://u:hunter2@127.0.0.1:1,127.0.0.1:2/3",
            "redis+cluster://u:hunter2@127.0.0.1:1,,127.0.0.1:2/",
        ] {
            let error = RedisStore::from_url(url).unwrap_err();
            assert!(error.is_config(), "{url}: {error}");
            assert!(!format!("{error} {error:?}").contains("hunter2"), "{error:?}");
        }
    }

    #[test]
    fn replicas_and_cluster_nodes_are_read_from_the_servers_reports() {
        let info = "# Replication\r\nrole:master\r\nconnected_slaves:2\r\n\
            slave0:ip=10.0.0.2,port=6380,state=online,offset=1,lag=0\r\n\
            slave1:ip=10.0.0.3,port=6381,state=wait_bgsave,offset=0,lag=0\r\n\
            master_failover_state:no-failover\r\n";
        assert_eq!(replicas(info), [("10.0.0.2".into(), 6380), ("10.0.0.3".into(), 6381)]);
        let nodes = "a1 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460\n\
            b2 127.0.0.1:7001@17001,host-b master - 0 1 2 connected 5461-10922\n\
            c3 127.0.0.1:7003@17003 slave a1 0 1 3 connected\n\
            d4 :0@0 noaddr,slave - 0 0 0 disconnected\n\
            e5 127.0.0.1:7004@17004 master,fail - 0 0 4 disconnected\n";
        assert_eq!(
            cluster_nodes(nodes),
            [("127.0.0.1".into(), 7000), ("127.0.0.1".into(), 7001), ("127.0.0.1".into(), 7003)]
        );
    }

    #[test]
    fn unknown_options_name_the_known_ones() {
        let error = RedisStoreBuilder::from_url("redis://127.0.0.1/?pool=3").unwrap_err();
        assert!(error.to_string().contains("\"pool\""), "{error}");
        assert!(
            error
                .to_string()
                .contains("prefix, timeout_ms, nonce_retention_s, pool_size, allow_eviction")
        );
    }

    #[test]
    fn urls_set_the_options_and_debug_hides_the_password() {
        let builder = RedisStoreBuilder::from_url(
            "redis://user:hunter2@127.0.0.1:7000/2?prefix=site%3A&timeout_ms=250&pool_size=3",
        )
        .unwrap();
        assert_eq!(builder.keys.prefix, "site:");
        assert_eq!(builder.settings.timeout, Duration::from_millis(250));
        assert_eq!(builder.settings.pool_size, 3);
        let shown = format!("{builder:?}");
        assert!(shown.contains("redis://127.0.0.1:7000/2"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");

        let cluster =
            RedisStoreBuilder::from_url("redis+cluster://:hunter2@127.0.0.1:7000,127.0.0.1:7001")
                .unwrap();
        let shown = format!("{cluster:?}");
        assert!(shown.contains("redis+cluster://127.0.0.1:7000,127.0.0.1:7001"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");

        let unix = RedisStoreBuilder::from_url("redis+unix:///run/redis.sock?prefix=x:").unwrap();
        assert_eq!(unix.nodes.describe(), "redis+unix:///run/redis.sock");
    }
}
