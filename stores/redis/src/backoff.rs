//! Failing fast during an outage: after a call ran out of time, the calls of the next
//! moments fail at once instead of each waiting the whole timeout again.
//!
//! A login that waits 5 s to be told the store is unavailable holds a worker for those
//! 5 s; during an outage every request would, and the site stops answering at all. One
//! call finds out; the calls during the back-off that follows fail at once; the first call
//! after it tries the server again (and, if it still does not answer, starts a new
//! back-off).
//!
//! Only running out of time starts one: a refused connection (a stopped server) fails
//! fast by itself, and a restarted server must be used at once.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use openid_consumer::store::StoreError;
use openid_store_kit::pool::PoolError;
use redis::RedisError;

/// When calls fail at once, and why.
#[derive(Debug, Default)]
pub(crate) struct Backoff {
    until: Mutex<Option<Instant>>,
}

impl Backoff {
    /// An error if a back-off is running, naming when it ends.
    pub(crate) fn check(&self, target: &str, action: &str) -> Result<(), StoreError> {
        let now = Instant::now();
        match *self.until() {
            Some(until) if now < until => Err(StoreError::unavailable(
                format!(
                    "{target}: cannot {action}: failing fast for {:?} more, after a call ran \
                     out of time",
                    until - now
                ),
                std::io::Error::from(std::io::ErrorKind::TimedOut),
            )),
            _ => Ok(()),
        }
    }

    /// Starts a back-off of `length` if `result` ran out of time; ends any after a success.
    pub(crate) fn record<T>(&self, result: &Result<T, StoreError>, length: Duration) {
        match result {
            Ok(_) => *self.until() = None,
            Err(error) if timed_out(error) => *self.until() = Some(Instant::now() + length),
            Err(_) => {}
        }
    }

    fn until(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        // An Option replaced in one step: never half-written.
        self.until.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whether the store's error says the server did not answer in time.
fn timed_out(error: &StoreError) -> bool {
    let Some(source) = std::error::Error::source(error) else { return false };
    let Some(pool) = source.downcast_ref::<PoolError<RedisError>>() else { return false };
    // Without a driver error (every pooled connection busy past the timeout) the server
    // may be answering, only slowly under load: no back-off then.
    pool.driver_error().is_some_and(RedisError::is_timeout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timeout_starts_a_back_off_and_a_success_ends_it() {
        let backoff = Backoff::default();
        let timeout = RedisError::from(std::io::Error::from(std::io::ErrorKind::TimedOut));
        let error = StoreError::unavailable("x", PoolError::Failed(timeout));
        backoff.record::<()>(&Err(error), Duration::from_secs(60));
        let refused = backoff.check("redis://h/", "record a nonce").unwrap_err();
        assert!(refused.is_unavailable());
        assert!(refused.to_string().contains("failing fast"), "{refused}");
        backoff.record(&Ok(()), Duration::from_secs(60));
        assert!(backoff.check("redis://h/", "record a nonce").is_ok());
    }

    #[test]
    fn a_refused_connection_starts_none() {
        let backoff = Backoff::default();
        let refused = RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        let error = StoreError::unavailable("x", PoolError::Failed(refused));
        backoff.record::<()>(&Err(error), Duration::from_secs(60));
        assert!(backoff.check("redis://h/", "record a nonce").is_ok());
    }
}
