//! What the tests share: an HTTP client that does not follow redirects, the association
//! exchange as a relying party does it, and authentication requests built by hand.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use openid_consumer::crypto::{AssociationType, DiffieHellman, SessionType};
use openid_consumer::fetch::{NetworkPolicy, UreqFetcher};
use openid_consumer::message::{Message, OPENID2_NS, kvform};
use openid_consumer::store::Association;
use openid_testkit::Provider;
use openid_testkit::browser::{self, Callback};

/// A relying party's return URL, with a query argument of its own.
pub(crate) const RETURN_TO: &str = "http://rp.example/return?session=42";
/// Its realm.
pub(crate) const REALM: &str = "http://rp.example/";

/// A response, read whole.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub(crate) fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or_default()
    }

    /// The body as KV form.
    pub(crate) fn kv(&self) -> HashMap<String, String> {
        kvform::parse(&self.body).pairs.into_iter().collect()
    }
}

pub(crate) fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn read(response: ureq::http::Response<ureq::Body>) -> Answer {
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    let body = response.into_body().with_config().limit(64 << 20).read_to_string().unwrap();
    Answer { status, headers, body }
}

/// GET without following redirects.
pub(crate) fn get(url: &str) -> Answer {
    read(agent().get(url).call().unwrap())
}

/// POST a form, with extra headers.
pub(crate) fn post_with(url: &str, form: &[(&str, &str)], headers: &[(&str, &str)]) -> Answer {
    let mut request = agent().post(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    read(request.send_form(form.iter().copied()).unwrap())
}

/// POST a form.
pub(crate) fn post(url: &str, form: &[(&str, &str)]) -> Answer {
    post_with(url, form, &[])
}

/// The relying party's fetcher and a policy that lets it reach loopback.
pub(crate) fn fetcher() -> (UreqFetcher, NetworkPolicy) {
    (UreqFetcher::new(), NetworkPolicy::default().allow_loopback())
}

/// An association as a relying party makes it over Diffie-Hellman (OpenID 2.0 section 8.4.2),
/// in 2.0 form or, with `v1`, in 1.x form (no `openid.ns`).
pub(crate) fn associate_as(
    provider: &Provider,
    assoc_type: AssociationType,
    session: SessionType,
    v1: bool,
) -> Association {
    let dh = DiffieHellman::new().unwrap();
    let public = dh.public_key_base64();
    let mut form = vec![
        ("openid.mode", "associate"),
        ("openid.assoc_type", assoc_type.as_str()),
        ("openid.session_type", session.as_str()),
        ("openid.dh_consumer_public", public.as_str()),
    ];
    if !v1 {
        form.push(("openid.ns", OPENID2_NS));
    }
    let answer = post(&provider.endpoint_url(), &form);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let kv = answer.kv();
    assert_eq!(kv["assoc_type"], assoc_type.as_str());
    assert_eq!(kv["session_type"], session.as_str());
    let encrypted = STANDARD.decode(&kv["enc_mac_key"]).unwrap();
    let secret = dh.xor_secret(&kv["dh_server_public"], &encrypted, session).unwrap();
    let lifetime: i64 = kv["expires_in"].parse().unwrap();
    Association::new(&kv["assoc_handle"], secret.as_slice(), now(), lifetime, assoc_type).unwrap()
}

/// An HMAC-SHA256 association over DH-SHA256.
pub(crate) fn associate(provider: &Provider) -> Association {
    associate_as(provider, AssociationType::HmacSha256, SessionType::DhSha256, false)
}

/// An OpenID 2.0 authentication request for `identity` (also the claimed identifier), with
/// extra fields replacing the defaults.
pub(crate) fn checkid(identity: &str, extra: &[(&str, &str)]) -> Message {
    let mut fields: Vec<(String, String)> = [
        ("openid.ns", OPENID2_NS),
        ("openid.mode", "checkid_setup"),
        ("openid.claimed_id", identity),
        ("openid.identity", identity),
        ("openid.return_to", RETURN_TO),
        ("openid.realm", REALM),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    for (key, value) in extra {
        fields.retain(|(k, _)| k != key);
        if !value.is_empty() {
            fields.push(((*key).to_owned(), (*value).to_owned()));
        }
    }
    Message::from_pairs(fields).unwrap()
}

/// Sends `request` to the provider as a browser would, and returns where the browser lands.
pub(crate) fn run(provider: &Provider, request: &Message) -> Callback {
    browser::follow(&request.to_url(&provider.endpoint_url())).unwrap()
}

/// The OpenID message a callback carries (GET: the whole query; POST: the body).
pub(crate) fn message(callback: &Callback) -> Message {
    Message::from_query(&callback.query).unwrap()
}

/// Asks `provider` to verify `assertion` (`check_authentication`), returning the KV answer.
pub(crate) fn check_authentication(
    provider: &Provider,
    assertion: &Message,
) -> HashMap<String, String> {
    let mut request = assertion.clone();
    request.set_openid("mode", "check_authentication");
    let pairs: Vec<(String, String)> =
        request.to_form_pairs().into_iter().filter(|(k, _)| k.starts_with("openid.")).collect();
    let form: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let answer = post(&provider.endpoint_url(), &form);
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.kv()
}

/// The fields `openid.signed` lists.
pub(crate) fn signed(message: &Message) -> Vec<String> {
    message.get_openid("signed").unwrap().split(',').map(str::to_owned).collect()
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .cast_signed()
}
