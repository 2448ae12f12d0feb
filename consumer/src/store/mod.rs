//! What a relying party keeps between requests: associations and used nonces.

mod association;

pub use association::{Association, AssociationError, MAX_HANDLE_LEN, is_valid_handle};
