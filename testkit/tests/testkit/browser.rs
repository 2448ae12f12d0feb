//! The browser: following redirects and forms, submitting a relying party's form.

use std::fmt::Write as _;

use openid_consumer::crypto::check_signature;
use openid_testkit::browser::{self, BrowserError, Method};
use openid_testkit::{Page, Provider, Transport};

use crate::common::{RETURN_TO, associate, checkid, message};

/// The form a relying party puts in its page to send the request by POST, with attribute
/// values written with character references.
fn rp_form(provider: &Provider, request: &openid_consumer::message::Message) -> String {
    let mut form = format!(
        "<html><body><form id=\"openid_message\" action=\"{}\" method=\"post\">",
        provider.endpoint_url()
    );
    for (key, value) in request.to_form_pairs() {
        let value = value.replace('&', "&amp;").replace('"', "&quot;").replace(':', "&#58;");
        write!(form, "<input type=\"hidden\" name=\"{key}\" value=\"{value}\">").unwrap();
    }
    form.push_str("<input type=\"submit\" value=\"Continue\"></form></body></html>");
    form
}

#[test]
fn submitting_a_relying_party_form_lands_on_the_return_to() {
    let provider = Provider::start().unwrap();
    let association = associate(&provider);
    let alice = provider.identity_url("alice");
    let request = checkid(&alice, &[("openid.assoc_handle", association.handle())]);
    let callback = browser::submit_form(&rp_form(&provider, &request)).unwrap();
    assert_eq!(callback.method, Method::Get);
    assert!(callback.url.starts_with(&format!("{RETURN_TO}&")), "{}", callback.url);
    assert_eq!(callback.param("session"), Some("42"));
    assert_eq!(callback.param("openid.return_to"), Some(RETURN_TO));
    let assertion = message(&callback);
    check_signature(&assertion, &association).unwrap();
    let posted = provider.requests().pop().unwrap();
    assert_eq!(posted.method, "POST");
    assert!(posted.form.iter().any(|(k, v)| k == "openid.return_to" && v == RETURN_TO));
}

#[test]
fn a_provider_form_becomes_a_post_callback_with_decoded_values() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.transport = Transport::FormPost);
    let alice = provider.identity_url("alice");
    let return_to = "http://rp.example/return?a=1&b=%22q%22";
    let request = checkid(&alice, &[("openid.return_to", return_to)]);
    let callback = browser::submit_form(&rp_form(&provider, &request)).unwrap();
    assert_eq!(callback.method, Method::Post);
    assert_eq!(callback.url, return_to);
    assert_eq!(callback.param("openid.return_to"), Some(return_to));
    assert_eq!(message(&callback).get_openid("mode"), Some("id_res"));
    assert!(callback.query.contains("openid.mode=id_res"));
}

#[test]
fn relative_locations_are_resolved() {
    let provider = Provider::start().unwrap();
    provider.add_page_with("/jump", Page::redirect(303, "/landing?x=1&y=a+b"));
    let callback = browser::follow(&format!("{}/jump", provider.base_url())).unwrap();
    assert_eq!(callback.method, Method::Get);
    assert_eq!(callback.url, format!("{}/landing?x=1&y=a+b", provider.base_url()));
    assert_eq!(callback.query, "x=1&y=a+b");
    assert_eq!(
        callback.params,
        [("x".to_owned(), "1".to_owned()), ("y".to_owned(), "a b".to_owned())]
    );
}

#[test]
fn error_pages_and_pages_without_forms_are_errors() {
    let provider = Provider::start().unwrap();
    let error = browser::follow(&provider.endpoint_url()).unwrap_err();
    assert!(matches!(error, BrowserError::UnexpectedStatus { status: 400, .. }), "{error}");
    assert!(error.to_string().contains("OpenID provider endpoint"), "{error}");
    let error = browser::follow(&provider.identity_url("alice")).unwrap_err();
    assert!(matches!(error, BrowserError::NoForm { from: Some(_) }), "{error}");
    provider.add_page_with("/nowhere", Page::new("text/plain", "").with_status(302));
    let error = browser::follow(&format!("{}/nowhere", provider.base_url())).unwrap_err();
    assert!(matches!(error, BrowserError::MissingLocation { status: 302, .. }), "{error}");
    assert!(matches!(browser::submit_form("<p>no form"), Err(BrowserError::NoForm { from: None })));
    assert!(matches!(
        browser::submit_form("<form action=\"/relative\"></form>"),
        Err(BrowserError::MissingAction)
    ));
    assert!(matches!(browser::follow("not a url"), Err(BrowserError::InvalidUrl { .. })));
}
