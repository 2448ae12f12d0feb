//! The store's own errors, mapped into [`StoreError`] by outcome. Failures to talk to a
//! server are judged by the connector (`pool.rs`) and reported by the kit's pool.

use openid_consumer::store::StoreError;
use openid_store_kit::value::BadValue;

use crate::client::Outcome;
use crate::keys::MAX_PREFIX;

/// What went wrong inside the memcached store.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MemcacheError {
    /// No server to spread keys over.
    #[error("the memcached store needs at least one host:port")]
    NoServers,
    /// A prefix memcached keys cannot hold.
    #[error(
        "invalid memcached key prefix {prefix:?}: use at most {MAX_PREFIX} printable ASCII \
         characters without spaces"
    )]
    Prefix { prefix: String },
    /// The server evicts items when full.
    #[error(
        "memcached {address} evicts items when full: an evicted nonce would be accepted \
         again. Start it with -M, or set allow_eviction=true to accept the risk"
    )]
    Evicting { address: String },
    /// The server holds keys placed by a ring of another server list.
    #[error(
        "memcached {address} holds keys placed by another list of servers: recorded \
         {recorded:?}, this store has {configured:?}. Another list sends about 1/n of the keys \
         to other servers, where a nonce used within the nonce window (plus the retention \
         margin) would be accepted again. Give every process the same list, with the same \
         names (not localhost for 127.0.0.1). To change the list on purpose, start once with \
         replace_ring=true (MemcacheStoreBuilder::replace_ring), which accepts that replay \
         window, or first stop every process for that long"
    )]
    RingChanged { address: String, recorded: String, configured: String },
    /// Compare-and-swap on an index kept losing to other writers.
    #[error("memcached association index {key}: too many concurrent updates")]
    Contention { key: String },
    /// An index value that does not parse.
    #[error("memcached association index {key} is unreadable")]
    BadIndex { key: String },
    /// A stored value is not an association.
    #[error("memcached association {key} is unreadable")]
    BadValue {
        key: String,
        #[source]
        source: BadValue,
    },
    /// The server answered a store with a status that makes no sense for it.
    #[error("memcached answered {outcome:?} to the store of {key}")]
    Unexpected { key: String, outcome: Outcome },
}

impl From<MemcacheError> for StoreError {
    fn from(error: MemcacheError) -> Self {
        let context = error.to_string();
        match error {
            MemcacheError::NoServers
            | MemcacheError::Prefix { .. }
            | MemcacheError::Evicting { .. }
            | MemcacheError::RingChanged { .. } => StoreError::config(context, None),
            MemcacheError::Contention { .. } => {
                StoreError::unavailable(context, "compare-and-swap kept failing")
            }
            MemcacheError::BadValue { source, .. } => {
                StoreError::corrupt(context, Some(source.into()))
            }
            MemcacheError::BadIndex { .. } | MemcacheError::Unexpected { .. } => {
                StoreError::corrupt(context, None)
            }
        }
    }
}
