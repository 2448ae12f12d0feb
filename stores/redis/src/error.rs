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
            RedisStoreError::Prefix { .. } | RedisStoreError::Evicting { .. } => {
                StoreError::config(context, None)
            }
            RedisStoreError::UnexpectedReply { .. } => StoreError::corrupt(context, None),
            RedisStoreError::BadValue { source, .. } => {
                StoreError::corrupt(context, Some(source.into()))
            }
        }
    }
}
