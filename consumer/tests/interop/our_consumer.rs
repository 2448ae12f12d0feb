//! openid-rs's `Consumer` logs in against python3-openid's provider (`interop/provider.py`),
//! in every mode, with `MemoryStore`, `SqliteStore` and stateless.
//!
//! Each test starts its own provider process per store (so its log holds that login
//! only); the switches are command-line flags, or `POST /control` within a test.

use openid_consumer::crypto::AssociationType;
use openid_consumer::message::Namespace;
use openid_consumer::store::{Association, Clock, SystemClock};
use openid_consumer::{FailureReason, Response};
use openid_testkit::browser::{self, Method};

use super::login::{ALL, STORES, Store, each_store};
use super::python;

#[test]
fn a_yadis_identity_logs_in_and_reuses_its_association() {
    let Some(python) = python::interpreter() else { return };
    each_store(&python, "yadis", &[], &ALL, |login| {
        let alice = login.provider.url("/id/alice");
        for _ in 0..2 {
            let success = login.login(&alice);
            login.ensure_eq("claimed_id", success.claimed_id(), &alice);
            login.ensure_eq("display identifier", success.display_identifier(), &alice);
            login.ensure_eq(
                "endpoint",
                success.endpoint().server_url(),
                &login.provider.endpoint_url(),
            );
            login.ensure(success.endpoint().used_yadis(), "not found through the XRDS document");
            login.ensure_eq(
                "signed claimed_id",
                &success.get_signed(&Namespace::OpenId, "claimed_id"),
                &Some(alice.as_str()),
            );
        }
        // One association for both logins (python3-openid's handles look like
        // `{HMAC-SHA256}{6b0f8255}{b'saNkcg=='}`), or none and two check_authentication.
        let stateless = login.store == Store::Stateless;
        let associations = login.provider.requests_with_mode("associate").len();
        login.ensure_eq("associate requests", &associations, &usize::from(!stateless));
        let checks = login.provider.requests_with_mode("check_authentication").len();
        login.ensure_eq("check_authentication requests", &checks, &(2 * usize::from(stateless)));
        if let Some(store) = login.store() {
            let association = store.get_association(&login.provider.endpoint_url(), None);
            let kind = association.ok().flatten().map(|a| a.assoc_type());
            login.ensure_eq("association kept", &kind, &Some(AssociationType::HmacSha256));
        }
    });
}

#[test]
fn an_html_only_identity_logs_in() {
    let Some(python) = python::interpreter() else { return };
    each_store(&python, "html", &[], &ALL, |login| {
        let bob = login.provider.url("/html/bob");
        let success = login.login(&bob);
        login.ensure_eq("claimed_id", success.claimed_id(), &bob);
        login.ensure(!success.endpoint().used_yadis(), "found through Yadis, not HTML");
    });
}

#[test]
fn an_openid_1_1_identity_logs_in_with_hmac_sha1_and_a_replay_is_refused() {
    let Some(python) = python::interpreter() else { return };
    each_store(&python, "OpenID 1.1", &[], &ALL, |login| {
        let carol = login.provider.url("/v1/carol");
        let started = login.start(&carol, false);
        login.ensure(started.request.endpoint().compat_mode(), "the endpoint is not OpenID 1.x");
        let success = login.success(login.finish(&started));
        login.ensure_eq("claimed_id", success.claimed_id(), &carol);
        login.ensure(success.signed().message().is_openid1(), "the assertion is not OpenID 1.x");
        if login.store == Store::Stateless {
            return;
        }
        let associate = login.provider.requests_with_mode("associate");
        login.ensure(
            associate.len() == 1 && associate[0].contains("HMAC-SHA1/DH-SHA1"),
            format!("expected one HMAC-SHA1/DH-SHA1 association, got {associate:?}"),
        );
        // OpenID 1.1 has no response nonce: ours, in return_to, makes this a replay.
        let again = login.finish(&started);
        login.ensure(
            matches!(again.failure_reason(), Some(FailureReason::NonceReplayed)),
            format!("the same callback again: expected a replayed nonce, got {again:?}"),
        );
    });
}

#[test]
fn an_op_identifier_lets_the_provider_choose_the_identity() {
    let Some(python) = python::interpreter() else { return };
    each_store(&python, "OP identifier", &["--select-user", "dave"], &ALL, |login| {
        for path in ["/op-id", "/"] {
            let started = login.start(&login.provider.url(path), false);
            login.ensure(
                started.request.endpoint().is_op_identifier(),
                format!("{path} is not an OP identifier"),
            );
            let success = login.success(login.finish(&started));
            let dave = login.provider.url("/id/dave");
            login.ensure_eq("claimed_id", success.claimed_id(), &dave);
            // The provider chose: discovery of the asserted identifier verified it.
            login.ensure_eq(
                "verified claimed_id",
                &success.endpoint().claimed_id(),
                &Some(dave.as_str()),
            );
        }
    });
}

#[test]
fn a_delegated_identifier_logs_in_as_the_delegating_page_in_openid_2_0_and_1_1() {
    let Some(python) = python::interpreter() else { return };
    each_store(&python, "delegated", &[], &ALL, |login| {
        for (page, local) in [("/delegate/erin", "/id/erin"), ("/delegate-v1/erin", "/v1/erin")] {
            let (page, local) = (login.provider.url(page), login.provider.url(local));
            let success = login.login(&page);
            login.ensure_eq("claimed_id", success.claimed_id(), &page);
            login.ensure_eq("local id", &success.endpoint().local_id(), &Some(local.as_str()));
            login.ensure_eq(
                "signed identity",
                &success.get_signed(&Namespace::OpenId, "identity"),
                &Some(local.as_str()),
            );
        }
    });
}

#[test]
fn a_provider_that_refuses_associations_gets_stateless_logins_and_is_not_asked_again() {
    let Some(python) = python::interpreter() else { return };
    each_store(&python, "refusing associations", &["--associations", "refuse"], &STORES, |login| {
        for name in ["alice", "bob"] {
            let started = login.start(&login.provider.url(&format!("/id/{name}")), false);
            login.ensure_eq("association handle", &started.request.association_handle(), &None);
            login.success(login.finish(&started));
        }
        let associations = login.provider.requests_with_mode("associate").len();
        login.ensure_eq("associate requests", &associations, &1);
        let checks = login.provider.requests_with_mode("check_authentication").len();
        login.ensure_eq("check_authentication requests", &checks, &2);
        let store = login.store().expect("a store");
        let kept = store.get_association(&login.provider.endpoint_url(), None);
        login.ensure(matches!(kept, Ok(None)), format!("an association was kept: {kept:?}"));
    });
}

#[test]
fn a_sha1_only_provider_gets_hmac_sha1_after_refusing_hmac_sha256() {
    let Some(python) = python::interpreter() else { return };
    each_store(&python, "SHA1-only", &["--associations", "sha1-only"], &STORES, |login| {
        login.login(&login.provider.url("/id/alice"));
        // python3-openid sends `unsupported-type` with HTTP 200 where OpenID 2.0 sections
        // 5.1.2.2 and 8.2.4 ask for a 400 error response; the `error` field is what says it.
        let asked = login.provider.requests_with_mode("associate");
        login.ensure(
            asked.len() == 2
                && asked[0]
                    .contains("HMAC-SHA256/DH-SHA256 unsupported, suggested HMAC-SHA1/DH-SHA1")
                && asked[1].contains("-> 200 HMAC-SHA1/DH-SHA1"),
            format!("expected HMAC-SHA256 refused, then HMAC-SHA1: {asked:?}"),
        );
        let store = login.store().expect("a store");
        let kept = store.get_association(&login.provider.endpoint_url(), None);
        let kind = kept.ok().flatten().map(|a| a.assoc_type());
        login.ensure_eq("association kept", &kind, &Some(AssociationType::HmacSha1));
    });
}

#[test]
fn a_handle_the_provider_does_not_know_is_dropped_when_it_says_so() {
    let Some(python) = python::interpreter() else { return };
    each_store(&python, "forgotten association", &[], &STORES, |login| {
        // As if the provider had lost its associations since this one was made.
        let forgotten = "{HMAC-SHA256}{forgotten}{handle}";
        let endpoint = login.provider.endpoint_url();
        let store = login.store().expect("a store");
        let now = Clock::now(&SystemClock);
        let association =
            Association::new(forgotten, vec![9; 32], now, 3_600, AssociationType::HmacSha256)
                .expect("a valid association");
        store.store_association(&endpoint, &association).expect("stored");
        let started = login.start(&login.provider.url("/id/alice"), false);
        login.ensure_eq(
            "association used",
            &started.request.association_handle(),
            &Some(forgotten),
        );
        // python3-openid signs with a private association, names ours in
        // openid.invalidate_handle, and confirms both in its check_authentication answer.
        login.success(login.finish(&started));
        let checks = login.provider.requests_with_mode("check_authentication").len();
        login.ensure_eq("check_authentication requests", &checks, &1);
        let kept = store.get_association(&endpoint, Some(forgotten));
        login.ensure(matches!(kept, Ok(None)), format!("the forgotten handle is kept: {kept:?}"));
    });
}

#[test]
fn a_cancel_is_a_cancel_in_openid_2_0_and_1_1() {
    let Some(python) = python::interpreter() else { return };
    each_store(&python, "cancel", &["--answer", "cancel"], &ALL, |login| {
        for path in ["/id/alice", "/v1/alice"] {
            let started = login.start(&login.provider.url(path), false);
            let response = login.finish(&started);
            login.ensure(matches!(response, Response::Cancel), format!("{path}: {response:?}"));
        }
    });
}

#[test]
fn immediate_mode_gets_setup_needed_in_openid_2_0_and_a_setup_url_in_1_1() {
    let Some(python) = python::interpreter() else { return };
    each_store(&python, "setup_needed", &["--answer", "setup-needed"], &ALL, |login| {
        let started = login.start(&login.provider.url("/id/alice"), true);
        let response = login.finish(&started);
        // python3-openid adds openid.user_setup_url to the 2.0 answer too; 2.0 has no such
        // field (section 10.2.1), so it is not passed on.
        login.ensure(
            matches!(response, Response::SetupNeeded { setup_url: None }),
            format!("OpenID 2.0: expected setup_needed, got {response:?}"),
        );
        let started = login.start(&login.provider.url("/v1/alice"), true);
        let response = login.finish(&started);
        let Response::SetupNeeded { setup_url: Some(url) } = response else {
            login.fail(format!("OpenID 1.1: expected a setup URL, got {response:?}"))
        };
        login.ensure(
            url.starts_with(&login.provider.endpoint_url()),
            format!("the setup URL is not at the provider: {url}"),
        );
    });
}

#[test]
fn the_openid_1_1_setup_url_leads_to_a_login() {
    let Some(python) = python::interpreter() else { return };
    each_store(&python, "OpenID 1.1 setup URL", &["--answer", "setup-needed"], &ALL, |login| {
        let carol = login.provider.url("/v1/carol");
        let started = login.start(&carol, true);
        let Response::SetupNeeded { setup_url: Some(url) } = login.finish(&started) else {
            login.fail("expected a setup URL")
        };
        // The user goes there, logs in, and comes back to the same return_to.
        let callback =
            browser::follow(&url).unwrap_or_else(|e| login.fail(format!("following {url}: {e}")));
        let success = login.success(login.complete(&started.pending, &callback));
        login.ensure_eq("claimed_id", success.claimed_id(), &carol);
    });
}

#[test]
fn immediate_mode_logs_in_when_the_provider_can_answer() {
    let Some(python) = python::interpreter() else { return };
    each_store(&python, "immediate", &[], &ALL, |login| {
        for path in ["/id/alice", "/v1/alice"] {
            let started = login.start(&login.provider.url(path), true);
            let success = login.success(login.finish(&started));
            login.ensure_eq("claimed_id", success.claimed_id(), &login.provider.url(path));
        }
        let immediate = login.provider.requests_with_mode("checkid_immediate").len();
        login.ensure_eq("checkid_immediate requests", &immediate, &2);
    });
}

#[test]
fn immediate_mode_logs_in_once_the_user_has_logged_in_at_the_provider() {
    let Some(python) = python::interpreter() else { return };
    each_store(&python, "immediate after setup", &["--answer", "setup-needed"], &ALL, |login| {
        let alice = login.provider.url("/id/alice");
        let started = login.start(&alice, true);
        let response = login.finish(&started);
        login.ensure(
            matches!(response, Response::SetupNeeded { .. }),
            format!("before: expected setup_needed, got {response:?}"),
        );
        login.provider.control("answer=allow");
        let started = login.start(&alice, true);
        let success = login.success(login.finish(&started));
        login.ensure_eq("claimed_id", success.claimed_id(), &alice);
    });
}

#[test]
fn a_replayed_callback_is_refused() {
    let Some(python) = python::interpreter() else { return };
    each_store(&python, "replay", &[], &ALL, |login| {
        let started = login.start(&login.provider.url("/id/alice"), false);
        login.success(login.finish(&started));
        let again = login.finish(&started);
        let reason = again.failure_reason();
        let refused = match login.store {
            // The nonce is in the store.
            Store::Memory | Store::Sqlite => matches!(reason, Some(FailureReason::NonceReplayed)),
            // The provider verifies an assertion once (section 11.4.2.1): python3-openid
            // drops the private association after the first check_authentication.
            Store::Stateless => matches!(reason, Some(FailureReason::SignatureNotConfirmed)),
        };
        login.ensure(refused, format!("the same callback again: {again:?}"));
    });
}

#[test]
fn a_long_assertion_comes_back_as_a_form_post_and_logs_in() {
    let Some(python) = python::interpreter() else { return };
    each_store(&python, "form POST", &[], &ALL, |login| {
        // python3-openid posts an OpenID 2.0 answer whose URL would pass 2,047 bytes.
        let return_to = format!("http://rp.example/return?session=s1&pad={}", "x".repeat(2_000));
        let alice = login.provider.url("/id/alice");
        let started = login.start_with(&alice, &return_to, false);
        login.ensure_eq("callback method", &started.callback.method, &Method::Post);
        let success = login.success(login.finish(&started));
        login.ensure_eq("claimed_id", success.claimed_id(), &alice);
    });
}

#[test]
fn the_profile_comes_signed_through_sreg_and_ax_from_python3_openid() {
    use openid_consumer::extensions::ax::{FetchResponse, schema};
    use openid_consumer::extensions::profile::{ProfileField, ProfileValue, Source};
    use openid_consumer::extensions::sreg::SregResponse;

    use super::login::{REALM, RETURN_TO};

    let Some(python) = python::interpreter() else { return };
    each_store(&python, "profile", &[], &ALL, |login| {
        let alice = login.provider.url("/id/alice");
        let mut request =
            login.consumer.begin(&alice).unwrap_or_else(|e| login.fail(format!("begin: {e}")));
        let asked = request.request_profile(&ProfileField::ALL);
        login.ensure_eq("profile asked", &asked.ok(), &Some(true));
        let url = request
            .redirect_url(REALM, RETURN_TO, false)
            .unwrap_or_else(|e| login.fail(format!("redirect_url: {e}")));
        let callback =
            browser::follow(&url).unwrap_or_else(|e| login.fail(format!("following {url}: {e}")));
        let success = login.success(login.complete(&request.pending(), &callback));
        let profile = success.profile();
        login.ensure_eq("email", &profile.email(), &Some("alice@example.org"));
        login.ensure_eq("nickname", &profile.nickname(), &Some("alice"));
        login.ensure_eq("full name", &profile.fullname(), &Some("Alice Python"));
        let source = profile.value(ProfileField::Email).map(ProfileValue::source);
        login.ensure_eq("email source", &source, &Some(Source::Sreg));
        // Both extensions answered, signed, in python3-openid's own encoding.
        let sreg = success.extension::<SregResponse>();
        login.ensure_eq(
            "sreg email",
            &sreg.ok().flatten().and_then(|r| r.email().map(str::to_owned)),
            &Some("alice@example.org".to_owned()),
        );
        let ax = success.extension::<FetchResponse>();
        let ax_email = ax.ok().flatten().and_then(|r| r.first(schema::EMAIL).map(str::to_owned));
        login.ensure_eq("ax email", &ax_email, &Some("alice@example.org".to_owned()));
    });
}
