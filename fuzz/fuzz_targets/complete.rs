//! `Consumer::complete` on an arbitrary callback, with a login in progress and a fetcher
//! that refuses every request: never a panic, never a success, never a request.
#![no_main]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use openid_consumer::discovery::endpoint::TYPE_SIGNON_2_0;
use openid_consumer::fetch::{FetchError, FetchResponse, Fetcher, NetworkPolicy};
use openid_consumer::store::MemoryStore;
use openid_consumer::{Consumer, PendingAuth, Response, ServiceEndpoint};

#[derive(Debug, Default)]
struct NoNetwork(AtomicUsize);

impl Fetcher for NoNetwork {
    fn get(&self, url: &str, _: &[(&str, &str)], _: &NetworkPolicy) -> Result<FetchResponse, FetchError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Err(FetchError::Timeout { url: url.to_owned() })
    }

    fn post_form(&self, url: &str, _: &[(&str, &str)], _: &NetworkPolicy) -> Result<FetchResponse, FetchError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Err(FetchError::Timeout { url: url.to_owned() })
    }
}

struct Site {
    consumer: Consumer,
    pending: PendingAuth,
    fetcher: Arc<NoNetwork>,
}

fn site() -> &'static Site {
    static SITE: OnceLock<Site> = OnceLock::new();
    SITE.get_or_init(|| {
        let fetcher = Arc::new(NoNetwork::default());
        let consumer = Consumer::builder()
            .store(Arc::new(MemoryStore::new()))
            .fetcher(fetcher.clone())
            .allow_unsolicited(true)
            .build()
            .expect("a consumer");
        let endpoint = ServiceEndpoint::for_claimed_id(
            "https://alice.example/",
            "https://op.example/server",
            None,
            vec![TYPE_SIGNON_2_0.to_owned()],
        );
        let mut request = consumer.begin_with_endpoint(endpoint).expect("a login");
        request.redirect_url("https://rp.example/", "https://rp.example/back", false).expect("a URL");
        let pending = request.pending();
        fetcher.0.store(0, Ordering::SeqCst);
        Site { consumer, pending, fetcher }
    })
}

fuzz_target!(|input: (bool, String)| {
    let (with_pending, query) = input;
    let site = site();
    let pending = with_pending.then_some(&site.pending);
    let url = format!("https://rp.example/back?{query}");
    let response = site.consumer.complete(pending, query.as_str(), &url);
    assert!(!matches!(response, Response::Success(_) | Response::Anonymous(_)), "{response:?}");
    assert_eq!(site.fetcher.0.load(Ordering::SeqCst), 0, "a forged callback made a request");
});
