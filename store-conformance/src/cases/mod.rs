//! The cases, one public function each, grouped by what they test. Each takes a
//! [`StoreFactory`](crate::StoreFactory) and panics (fails the test) when the store breaks
//! the contract.

pub mod association;
pub mod cleanup;
pub mod concurrency;
pub mod faults;
pub mod limits;
pub mod nonce;
