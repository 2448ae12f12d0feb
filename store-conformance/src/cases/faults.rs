//! The backend going away and coming back, through the factory's
//! [`open_stoppable`](crate::StoreFactory::open_stoppable) hook: calls fail as unavailable
//! (never as "fresh nonce" or "not found") within the store's time limit, and work again
//! after the restart.

use std::sync::Barrier;
use std::time::{Duration, Instant};

use openid_consumer::store::{Association, StoreError};

use crate::factory::{Stoppable, StoreFactory};
use crate::fixture::Fixture;
use crate::runner::skip;
use crate::support::{association, get, nonce, open_stoppable, put};

/// The time limit the fault cases give the store ([`Fixture::timeout`]).
const TIMEOUT: Duration = Duration::from_secs(1);

/// While the backend is stopped, every call fails with [`StoreError::Unavailable`] within
/// three times the store's time limit (a pooled connection found dead, one more try on a
/// new one, a cluster's redirections) plus a second: `use_nonce` never says "fresh",
/// lookups never say "not found". Once the backend is back, the same store works.
pub fn calls_fail_as_unavailable_while_the_backend_is_down_and_work_after_restart(
    factory: &dyn StoreFactory,
) {
    let f = Fixture::short_timeout("outage", TIMEOUT);
    let Some(Stoppable { store, switch }) = stoppable(
        factory,
        &f,
        "calls_fail_as_unavailable_while_the_backend_is_down_and_work_after_restart",
    ) else {
        return;
    };
    let server = f.server_url();
    let before = association("before", f.now(), 600);
    put(&*store, &server, &before);
    assert!(nonce(&*store, &server, f.now(), "before"));

    switch
        .stop()
        .unwrap_or_else(|e| panic!("the factory's switch could not stop the backend: {e}"));
    for attempt in 0..2 {
        let limit = f.timeout() * 3 + Duration::from_secs(1);
        let fresh = format!("down-{attempt}");
        match timed(limit, "use_nonce", || store.use_nonce(&server, f.now(), &fresh)) {
            Err(error) => unavailable("use_nonce", &error),
            Ok(answer) => panic!(
                "use_nonce answered Ok({answer}) for a fresh nonce while the backend was down: \
                 a backend error must be an Err (Ok(true) lets a replay in, Ok(false) hides \
                 the outage)"
            ),
        }
        match timed(limit, "use_nonce", || store.use_nonce(&server, f.now(), "before")) {
            Err(error) => unavailable("use_nonce", &error),
            Ok(true) => panic!(
                "use_nonce answered Ok(true) for a used nonce while the backend was down: \
                 a backend error must be an Err, never \"fresh\""
            ),
            Ok(false) => {}
        }
        for handle in [Some("before"), None] {
            match timed(limit, "get_association", || store.get_association(&server, handle)) {
                Err(error) => unavailable("get_association", &error),
                Ok(Some(found)) => assert_eq!(found, before, "a wrong association while down"),
                Ok(None) => panic!(
                    "get_association({handle:?}) answered Ok(None) while the backend was down: \
                     a backend error must be an Err, never \"not found\""
                ),
            }
        }
        match timed(limit, "remove_association", || store.remove_association(&server, "never")) {
            Err(error) => unavailable("remove_association", &error),
            Ok(removed) => assert!(!removed, "removed an association never stored"),
        }
    }

    switch
        .start()
        .unwrap_or_else(|e| panic!("the factory's switch could not start the backend: {e}"));
    let works_again = "the store did not work again after the backend came back";
    assert!(nonce(&*store, &server, f.now(), "after"), "{works_again}");
    assert!(!nonce(&*store, &server, f.now(), "after"), "{works_again}");
    let after = association("after", f.now() + 1, 600);
    put(&*store, &server, &after);
    assert_eq!(get(&*store, &server, None), Some(after), "{works_again}");
    // A server that keeps its data still has the old association; one that does not has
    // none. Either way, not an error and not another association.
    let kept: Option<Association> = get(&*store, &server, Some("before"));
    assert!(kept.is_none_or(|kept| kept == before), "a wrong association after the restart");
}

/// A restart of the backend between two calls costs no failed call: the connections
/// pooled before it are dead, and the store replaces them within the first call after.
pub fn a_restart_between_two_calls_costs_no_failed_call(factory: &dyn StoreFactory) {
    const THREADS: usize = 4;
    let f = Fixture::short_timeout("restart", TIMEOUT);
    let Some(Stoppable { store, switch }) =
        stoppable(factory, &f, "a_restart_between_two_calls_costs_no_failed_call")
    else {
        return;
    };
    let server = f.server_url();
    // Several pooled connections, all of which the restart breaks.
    let barrier = Barrier::new(THREADS);
    std::thread::scope(|scope| {
        for thread in 0..THREADS {
            let (store, server, barrier, f) = (&store, &server, &barrier, &f);
            scope.spawn(move || {
                barrier.wait();
                for i in 0..25 {
                    assert!(nonce(&**store, server, f.now(), &format!("{thread}-{i}")));
                }
            });
        }
    });
    switch
        .stop()
        .unwrap_or_else(|e| panic!("the factory's switch could not stop the backend: {e}"));
    switch
        .start()
        .unwrap_or_else(|e| panic!("the factory's switch could not start the backend: {e}"));
    let first = store.use_nonce(&server, f.now(), "first-after-restart").unwrap_or_else(|e| {
        panic!(
            "the first call after a restart failed: a pooled connection that died with the \
             server must be replaced and the call tried once more on a new one: {e:?}"
        )
    });
    assert!(first, "a fresh nonce after the restart");
    assert!(!nonce(&*store, &server, f.now(), "first-after-restart"));
}

/// The factory's stoppable store, or a skip naming the hook.
fn stoppable(factory: &dyn StoreFactory, f: &Fixture, case: &str) -> Option<Stoppable> {
    let stoppable = open_stoppable(factory, f);
    if stoppable.is_none() {
        skip(
            case,
            "the factory has no backend of its own to stop (StoreFactory::open_stoppable; \
             on_server gives one unless OPENID_TEST_<BACKEND>_URL names an external server)",
        );
    }
    stoppable
}

/// Runs `call`, failing the case if it took longer than `limit`.
fn timed<T>(limit: Duration, what: &str, call: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let result = call();
    let took = started.elapsed();
    assert!(
        took <= limit,
        "{what} took {took:?} while the backend was down, more than {limit:?}: a store must \
         fail within its time limit (give it Fixture::timeout())"
    );
    result
}

/// Fails the case unless `error` is [`StoreError::Unavailable`].
fn unavailable(what: &str, error: &StoreError) {
    assert!(
        error.is_unavailable(),
        "{what} failed while the backend was down, but not as Unavailable (retrying later may \
         work; nothing is misconfigured or corrupt): {error:?}"
    );
}
