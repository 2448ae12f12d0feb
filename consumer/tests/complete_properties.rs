//! `Consumer::complete` on arbitrary callbacks: never a panic, never a success, never a
//! network request.

// Test code: a panic is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use openid_consumer::discovery::endpoint::TYPE_SIGNON_2_0;
use openid_consumer::fetch::{FetchError, FetchResponse, Fetcher, NetworkPolicy};
use openid_consumer::store::MemoryStore;
use openid_consumer::{Consumer, PendingAuth, Response, ServiceEndpoint};
use proptest::prelude::*;

/// A fetcher that refuses every request, and counts them.
#[derive(Debug, Default)]
struct NoNetwork {
    requests: AtomicUsize,
}

impl Fetcher for NoNetwork {
    fn get(
        &self,
        url: &str,
        _: &[(&str, &str)],
        _: &NetworkPolicy,
    ) -> Result<FetchResponse, FetchError> {
        self.requests.fetch_add(1, Ordering::SeqCst);
        Err(FetchError::Timeout { url: url.to_owned() })
    }

    fn post_form(
        &self,
        url: &str,
        _: &[(&str, &str)],
        _: &NetworkPolicy,
    ) -> Result<FetchResponse, FetchError> {
        self.requests.fetch_add(1, Ordering::SeqCst);
        Err(FetchError::Timeout { url: url.to_owned() })
    }
}

const OP: &str = "https://op.example/server";

/// A stateful, a stateless and an unsolicited-accepting consumer, with a login in progress
/// each, made once.
struct Sites {
    sites: [(Consumer, PendingAuth); 3],
    fetcher: Arc<NoNetwork>,
}

fn sites() -> &'static Sites {
    static SITES: OnceLock<Sites> = OnceLock::new();
    SITES.get_or_init(|| {
        let fetcher = Arc::new(NoNetwork::default());
        let site = |stateless: bool, unsolicited: bool| {
            let builder =
                Consumer::builder().fetcher(fetcher.clone()).allow_unsolicited(unsolicited);
            let builder = if stateless {
                builder.stateless()
            } else {
                builder.store(Arc::new(MemoryStore::new()))
            };
            let consumer = builder.build().unwrap();
            let endpoint = ServiceEndpoint::for_claimed_id(
                "https://alice.example/",
                OP,
                None,
                vec![TYPE_SIGNON_2_0.to_owned()],
            );
            // No association is made: the fetcher refuses.
            let mut request = consumer.begin_with_endpoint(endpoint).unwrap();
            request.redirect_url("https://rp.example/", "https://rp.example/back", false).unwrap();
            let pending = request.pending();
            (consumer, pending)
        };
        let sites = [site(false, false), site(true, false), site(false, true)];
        fetcher.requests.store(0, Ordering::SeqCst);
        Sites { sites, fetcher }
    })
}

/// Keys an assertion has, so that arbitrary callbacks get deep into the checks.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "openid.ns",
            "openid.mode",
            "openid.op_endpoint",
            "openid.claimed_id",
            "openid.identity",
            "openid.return_to",
            "openid.response_nonce",
            "openid.assoc_handle",
            "openid.signed",
            "openid.sig",
            "openid.invalidate_handle",
            "openid.ns.sreg",
            "openid.sreg.email",
            "openid.user_setup_url",
            "openid.error",
            "openid_rs_nonce",
            "session",
        ])
        .prop_map(str::to_owned),
        "[a-z._%]{1,12}",
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "id_res",
            "cancel",
            "setup_needed",
            "error",
            "http://specs.openid.net/auth/2.0",
            "http://openid.net/signon/1.1",
            OP,
            "https://alice.example/",
            "https://rp.example/back",
            "2026-12-02T01:00:00Zsalt",
            "mode,return_to",
            "op_endpoint,return_to,response_nonce,assoc_handle,claimed_id,identity",
            "AAAA",
            "%",
            "%FF",
            "",
        ])
        .prop_map(str::to_owned),
        any::<String>(),
    ]
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_raw_queries_are_failures(query in any::<String>(), site in 0..3usize) {
        let (consumer, pending) = &sites().sites[site];
        let url = format!("https://rp.example/back?{query}");
        let response = consumer.complete(Some(pending), query.as_str(), &url);
        prop_assert!(!matches!(response, Response::Success(_) | Response::Anonymous(_)), "{response:?}");
        prop_assert_eq!(sites().fetcher.requests.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn arbitrary_assertion_like_callbacks_are_failures(
        pairs in prop::collection::vec((key(), value()), 0..16),
        raw in any::<bool>(),
        with_pending in any::<bool>(),
        site in 0..3usize,
    ) {
        let (consumer, pending) = &sites().sites[site];
        let pending = with_pending.then_some(pending);
        let response = if raw {
            let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
            let query = query.join("&");
            consumer.complete(pending, query.as_str(), &format!("https://rp.example/back?{query}"))
        } else {
            consumer.complete(pending, pairs.clone(), "https://rp.example/back")
        };
        // Without a signature made with a key the relying party holds, nothing verifies:
        // cancel and setup_needed are the only other outcomes a forger can reach.
        prop_assert!(
            matches!(response, Response::Failure(_) | Response::Cancel | Response::SetupNeeded { .. }),
            "{response:?}"
        );
        // And nothing a forger writes makes the site send a request (CVE-2019-11027).
        prop_assert_eq!(sites().fetcher.requests.load(Ordering::SeqCst), 0);
    }
}
