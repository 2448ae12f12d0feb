//! The store's own errors, mapped into [`StoreError`] by outcome. Failures to talk to the
//! server are judged by the connector (`pool.rs`) and reported by the kit's pool.

use openid_consumer::store::StoreError;
use openid_store_kit::value::BadValue;
use redis::RedisError;

/// What went wrong inside the Redis store, beyond talking to the server.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RedisStoreError {
    /// A key prefix with a brace, which would become the cluster hash tag.
    #[error(
        "invalid Redis key prefix {prefix:?}: it must not contain '{{' or '}}' (they would \
         change the keys' cluster hash tag)"
    )]
    Prefix { prefix: String },
    /// The client could not be configured from the nodes given.
    #[error("cannot configure the client for {target}")]
    Client {
        target: String,
        #[source]
        source: RedisError,
    },
    /// The server may evict keys before their TTL.
    #[error(
        "{target} evicts keys when full (maxmemory-policy {policy}): an evicted nonce would \
         be accepted again. Set maxmemory-policy noeviction, or allow_eviction=true to \
         accept the risk"
    )]
    Evicting { target: String, policy: String },
    /// The CA file of `tls_ca_file` could not be read.
    #[error("tls_ca_file={path}: cannot read the CA certificate file")]
    TlsCaUnreadable {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The CA file of `tls_ca_file` holds no usable PEM certificate.
    #[error(
        "tls_ca_file={path}: not a PEM CA certificate ({reason}); give the CA that signed the \
         server's certificate, as PEM (-----BEGIN CERTIFICATE-----)"
    )]
    TlsCaInvalid { path: String, reason: String },
    /// `tls_ca_file` for a connection without TLS.
    #[error(
        "{target}: tls_ca_file is set but the URL does not use TLS; use rediss:// (or remove \
         tls_ca_file)"
    )]
    TlsCaWithoutTls { target: String },
    /// A `rediss://` URL that turns certificate checks off (`#insecure`), or a connection
    /// whose host name check was turned off.
    #[error(
        "{target}: certificate checks cannot be turned off (#insecure, or host names not \
         checked); trust the server's CA with tls_ca_file=/path/to/ca.pem instead"
    )]
    TlsInsecure { target: String },
    /// TLS was asked for a Redis Cluster.
    #[error(
        "{target}: TLS to a Redis Cluster (rediss+cluster://) is not supported yet; use \
         rediss:// to one server, or redis+cluster:// on a trusted network"
    )]
    TlsOnCluster { target: String },
    /// `wait_replicas` was set for a cluster.
    #[error(
        "{target}: wait_replicas works on one server (a master and its replicas), not on a \
         Redis Cluster yet; remove it, or connect to one master"
    )]
    WaitOnCluster { target: String },
    /// Fewer replicas than asked acknowledged a nonce in time.
    #[error(
        "{target}: a nonce was acknowledged by {acked} of the {wanted} replicas \
         wait_replicas asks for within {millis} ms; a failover now could forget it"
    )]
    NotReplicated { target: String, wanted: u32, acked: i64, millis: u64 },
    /// The server answered a command with a reply of the wrong shape.
    #[error("{target}: unexpected reply to {command}: {reply}")]
    UnexpectedReply { target: String, command: &'static str, reply: String },
    /// A stored value is not an association.
    #[error("{target}: the association of {server_url:?} under prefix {prefix:?} is unreadable")]
    BadValue {
        target: String,
        server_url: String,
        prefix: String,
        #[source]
        source: BadValue,
    },
}

impl From<RedisStoreError> for StoreError {
    fn from(error: RedisStoreError) -> Self {
        let context = error.to_string();
        match error {
            RedisStoreError::Client { source, .. } => {
                StoreError::config(context, Some(source.into()))
            }
            RedisStoreError::Prefix { .. }
            | RedisStoreError::Evicting { .. }
            | RedisStoreError::TlsCaInvalid { .. }
            | RedisStoreError::TlsCaWithoutTls { .. }
            | RedisStoreError::TlsInsecure { .. }
            | RedisStoreError::TlsOnCluster { .. }
            | RedisStoreError::WaitOnCluster { .. } => StoreError::config(context, None),
            RedisStoreError::TlsCaUnreadable { source, .. } => {
                StoreError::config(context, Some(source.into()))
            }
            RedisStoreError::NotReplicated { .. } => {
                StoreError::unavailable(context, "too few replicas acknowledged the nonce")
            }
            RedisStoreError::UnexpectedReply { .. } => StoreError::corrupt(context, None),
            RedisStoreError::BadValue { source, .. } => {
                StoreError::corrupt(context, Some(source.into()))
            }
        }
    }
}
