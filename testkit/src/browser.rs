//! What a browser does between the relying party and the provider, without a human: follow
//! the redirect to the provider, or submit the relying party's form, and see where the
//! provider sends the browser back.
//!
//! The result is a [`Callback`]: the request the browser would now make to the relying party
//! (a GET after a redirect, a POST after the provider's auto-submitting form). It is not
//! sent: the test hands it to the relying party's `complete`.
//!
//! Redirects are not followed (one hop is the provider's answer); pages are read with a
//! WHATWG tokenizer (html5gum), so character references in attributes are decoded as a
//! browser decodes them.
//!
//! As a browser does, it keeps connections alive between calls (one client for the whole
//! process). A kept-alive connection to a dropped [`Provider`](crate::Provider) keeps that
//! provider's port taken, so a new provider on a free port never gets it; one started on the
//! same fixed port could, and a call to it may then wait out the 60 s timeout on the old
//! connection.
//!
//! # Example
//! ```
//! use openid_testkit::Provider;
//! use openid_testkit::browser::{self, Method};
//!
//! let provider = Provider::start()?;
//! let alice = provider.identity_url("alice");
//! let request = format!(
//!     "{}?openid.ns=http://specs.openid.net/auth/2.0&openid.mode=checkid_setup\
//!      &openid.claimed_id={alice}&openid.identity={alice}\
//!      &openid.return_to=http://rp.example/return",
//!     provider.endpoint_url(),
//! );
//! let callback = browser::follow(&request)?;
//! assert_eq!(callback.method, Method::Get);
//! assert!(callback.url.starts_with("http://rp.example/return?"));
//! assert_eq!(callback.param("openid.mode"), Some("id_res"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use html5gum::{DefaultEmitter, Token, Tokenizer};
use openid_consumer::fetch::guard::literal_address;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};
use url::Url;

/// The HTTP method of a [`Callback`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// After a redirect, or a form with `method="get"`.
    Get,
    /// After a form with `method="post"` (the default here, as every OpenID form is one).
    Post,
}

/// The request a browser would make to the relying party after the provider answered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Callback {
    /// GET or POST.
    pub method: Method,
    /// Where the browser lands: for a GET the full URL with its query; for a POST the form's
    /// action (which may have a query of its own).
    pub url: String,
    /// For a GET the query string of `url`; for a POST the urlencoded form body.
    pub query: String,
    /// The decoded pairs of `query`, in order.
    pub params: Vec<(String, String)>,
}

impl Callback {
    /// The first value of `key` in [`params`](Self::params).
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    fn get(url: Url) -> Self {
        let query = url.query().unwrap_or_default().to_owned();
        let params = decode(&query);
        Self { method: Method::Get, url: url.into(), query, params }
    }

    fn post(action: Url, params: Vec<(String, String)>) -> Self {
        let query = encode(&params);
        Self { method: Method::Post, url: action.into(), query, params }
    }
}

/// Why the browser could not get a callback.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BrowserError {
    /// A URL (given, in a `Location` header or a form action) is not valid.
    #[error("invalid URL {url:?}: {source}")]
    InvalidUrl {
        /// The URL as written.
        url: String,
        /// Why it does not parse.
        #[source]
        source: url::ParseError,
    },
    /// The request failed (connection, timeout, ...).
    #[error("request to {url} failed: {source}")]
    Http {
        /// The URL requested.
        url: String,
        /// The HTTP client's error.
        #[source]
        source: Box<ureq::Error>,
    },
    /// A redirect status without a `Location` header.
    #[error("{url} answered HTTP {status} without a Location header")]
    MissingLocation {
        /// The URL requested.
        url: String,
        /// The status.
        status: u16,
    },
    /// Neither a redirect nor a `200` page.
    #[error("{url} answered HTTP {status}: {body}")]
    UnexpectedStatus {
        /// The URL requested.
        url: String,
        /// The status.
        status: u16,
        /// The start of the body (what an error page says).
        body: String,
    },
    /// The page has no `<form>`.
    #[error("no <form> in the page{}", from.as_ref().map(|url| format!(" from {url}")).unwrap_or_default())]
    NoForm {
        /// The URL the page came from (none for markup given directly).
        from: Option<String>,
    },
    /// The form has no `action`, or a relative one and no page URL to resolve it against.
    #[error("the form has no absolute action URL")]
    MissingAction,
    /// The form's `method` is neither GET nor POST.
    #[error("form method {method:?} is neither GET nor POST")]
    UnsupportedMethod {
        /// The method as written.
        method: String,
    },
}

/// GETs `redirect_url` (where the relying party redirects the browser: the provider's
/// endpoint with the request) without following redirects, and returns where the browser
/// goes next: a `301`/`302`/`303`/`307`/`308` `Location` becomes a GET [`Callback`]; a `200`
/// page with a form (the provider's auto-submitting form) becomes the form's submission.
///
/// # Errors
/// [`BrowserError`]: the URL is invalid, the request fails, or the answer is neither.
pub fn follow(redirect_url: &str) -> Result<Callback, BrowserError> {
    let url = parse_url(redirect_url)?;
    let response = agent()
        .get(url.as_str())
        .call()
        .map_err(|source| BrowserError::Http { url: url.to_string(), source: Box::new(source) })?;
    landing(&url, response)
}

/// Submits the relying party's form (`<form action=... method=post>` with hidden inputs, as
/// its `form_markup` makes it) to its action, which must be absolute, then continues as
/// [`follow`] does with the answer.
///
/// # Errors
/// As [`follow`]; [`BrowserError::NoForm`], [`BrowserError::MissingAction`],
/// [`BrowserError::UnsupportedMethod`] for an unusable form.
pub fn submit_form(form_markup: &str) -> Result<Callback, BrowserError> {
    let form = parse_form(form_markup).ok_or(BrowserError::NoForm { from: None })?;
    let action = form.action.as_deref().ok_or(BrowserError::MissingAction)?;
    let action = Url::parse(action).map_err(|_| BrowserError::MissingAction)?;
    let request = submission(&form, action)?;
    let url = request.url.clone();
    let http_error = |source| BrowserError::Http { url: url.clone(), source: Box::new(source) };
    let response = match request.method {
        Method::Get => agent().get(&request.url).call().map_err(http_error)?,
        Method::Post => agent()
            .post(&request.url)
            .send_form(request.params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .map_err(http_error)?,
    };
    landing(&parse_url(&url)?, response)
}

/// Turns the answer to a request of `url` into the next request.
fn landing(
    url: &Url,
    mut response: ureq::http::Response<ureq::Body>,
) -> Result<Callback, BrowserError> {
    let status = response.status().as_u16();
    if matches!(status, 301 | 302 | 303 | 307 | 308) {
        let location = response
            .headers()
            .get("location")
            .and_then(|value| value.to_str().ok())
            .ok_or_else(|| BrowserError::MissingLocation { url: url.to_string(), status })?;
        let target = url
            .join(location.trim())
            .map_err(|source| BrowserError::InvalidUrl { url: location.to_owned(), source })?;
        return Ok(Callback::get(target));
    }
    let body =
        response.body_mut().with_config().limit(BODY_LIMIT).read_to_vec().map_err(|source| {
            BrowserError::Http { url: url.to_string(), source: Box::new(source) }
        })?;
    let body = String::from_utf8_lossy(&body);
    if status != 200 {
        let body = body.chars().take(ERROR_BODY_CHARS).collect();
        return Err(BrowserError::UnexpectedStatus { url: url.to_string(), status, body });
    }
    let form =
        parse_form(&body).ok_or_else(|| BrowserError::NoForm { from: Some(url.to_string()) })?;
    // A form without action submits to the page's own URL (WHATWG HTML 4.10.21.3).
    let action = match form.action.as_deref() {
        None | Some("") => url.clone(),
        Some(action) => url
            .join(action)
            .map_err(|source| BrowserError::InvalidUrl { url: action.to_owned(), source })?,
    };
    submission(&form, action)
}

/// The request that submitting `form` to `action` makes.
fn submission(form: &Form, mut action: Url) -> Result<Callback, BrowserError> {
    match form.method.as_str() {
        "get" => {
            // A GET form replaces the action's query with its fields.
            action.set_query(Some(&encode(&form.fields)));
            Ok(Callback::get(action))
        }
        "post" => Ok(Callback::post(action, form.fields.clone())),
        _ => Err(BrowserError::UnsupportedMethod { method: form.method.clone() }),
    }
}

/// The first form of a page.
#[derive(Debug, Default)]
struct Form {
    action: Option<String>,
    /// Lower-case; `post` when absent (every OpenID form posts).
    method: String,
    /// The fields a submission sends, in document order.
    fields: Vec<(String, String)>,
}

/// Reads the first `<form>` and the fields a submission of it sends: named `input`s except
/// buttons, files and unchecked boxes, with their `value` (default empty, `on` for boxes).
fn parse_form(html: &str) -> Option<Form> {
    let mut emitter = DefaultEmitter::default();
    // Without a tree builder the tokenizer must be told to read <script>, <style>, <title>
    // and friends as text, or an "<input>" inside a script would be taken for a tag.
    emitter.naively_switch_states(true);
    let mut form: Option<Form> = None;
    for token in Tokenizer::new_with_emitter(html, emitter) {
        let Ok(token) = token;
        match token {
            Token::StartTag(tag) => {
                let attribute = |name: &[u8]| {
                    tag.attributes.get(name).map(|v| String::from_utf8_lossy(v).into_owned())
                };
                match (tag.name.as_slice(), form.as_mut()) {
                    (b"form", None) => {
                        form = Some(Form {
                            action: attribute(b"action").map(|a| a.trim().to_owned()),
                            method: attribute(b"method").map_or_else(
                                || "post".to_owned(),
                                |m| m.trim().to_ascii_lowercase(),
                            ),
                            fields: Vec::new(),
                        });
                    }
                    (b"input", Some(form)) => {
                        let kind = attribute(b"type").unwrap_or_default().to_ascii_lowercase();
                        let Some(name) = attribute(b"name").filter(|n| !n.is_empty()) else {
                            continue;
                        };
                        let checkable = matches!(kind.as_str(), "checkbox" | "radio");
                        let skipped = matches!(
                            kind.as_str(),
                            "submit" | "button" | "image" | "reset" | "file"
                        ) || (checkable && attribute(b"checked").is_none());
                        if !skipped {
                            let default = if checkable { "on" } else { "" };
                            let value = attribute(b"value").unwrap_or_else(|| default.to_owned());
                            form.fields.push((name, value));
                        }
                    }
                    _ => {}
                }
            }
            Token::EndTag(tag) if tag.name.as_slice() == b"form" && form.is_some() => break,
            _ => {}
        }
    }
    form
}

/// The one client of the process, so that its connection pool is shared by every call.
fn agent() -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        let config = ureq::Agent::config_builder()
            .max_redirects(0)
            .http_status_as_error(false)
            // Environment proxies would send loopback traffic elsewhere.
            .proxy(None)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(TOTAL_TIMEOUT))
            .build();
        ureq::Agent::with_parts(config, DefaultConnector::default(), LiteralResolver::default())
    })
}

/// ureq's resolver, except for an IP literal, whose address is taken as it is.
///
/// ureq resolves before every request, even one sent on a pooled connection, and with a
/// timeout set its resolver starts a thread per lookup: for the `127.0.0.1` of every provider
/// URL that thread costs more than the request.
#[derive(Debug, Default)]
struct LiteralResolver(DefaultResolver);

impl Resolver for LiteralResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let Some(address) = literal_socket(uri) else {
            return self.0.resolve(uri, config, timeout);
        };
        let mut resolved = self.empty();
        resolved.push(address);
        Ok(resolved)
    }
}

/// The address of `uri` when its host is an IP literal (the consumer's rule).
fn literal_socket(uri: &ureq::http::Uri) -> Option<SocketAddr> {
    literal_address(uri.scheme_str()?, uri.host()?, uri.port_u16())
}

fn parse_url(url: &str) -> Result<Url, BrowserError> {
    Url::parse(url).map_err(|source| BrowserError::InvalidUrl { url: url.to_owned(), source })
}

fn decode(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn encode(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

/// The largest page read (a provider under test may pad its pages).
const BODY_LIMIT: u64 = 64 * 1024 * 1024;
/// How much of an error page goes into [`BrowserError::UnexpectedStatus`].
const ERROR_BODY_CHARS: usize = 500;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Long enough for a provider told to be slow; a test of timeouts uses its own client.
const TOTAL_TIMEOUT: Duration = Duration::from_secs(60);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_first_form_with_decoded_attributes() {
        let form = parse_form(
            r#"<script>var s = "<form action='/x'>";</script>
            <form action="http://rp.example/r?a=1&amp;b=2" METHOD="POST">
              <input type="hidden" name="openid.return_to" value="http://rp.example/r?a=1&amp;b=&quot;2&quot;">
              <input type="submit" value="Continue" name="go">
              <input type="checkbox" name="off"><input type="checkbox" name="on" checked>
              <input name="plain">
            </form><form action="/second"><input name="no"></form>"#,
        )
        .unwrap();
        assert_eq!(form.action.as_deref(), Some("http://rp.example/r?a=1&b=2"));
        assert_eq!(form.method, "post");
        assert_eq!(
            form.fields,
            vec![
                ("openid.return_to".to_owned(), "http://rp.example/r?a=1&b=\"2\"".to_owned()),
                ("on".to_owned(), "on".to_owned()),
                ("plain".to_owned(), String::new()),
            ]
        );
    }

    #[test]
    fn literals_are_addresses_and_names_are_not() {
        let socket = |uri: &str| literal_socket(&uri.parse().unwrap());
        assert_eq!(socket("http://127.0.0.1:8001/op"), Some("127.0.0.1:8001".parse().unwrap()));
        assert_eq!(socket("https://[::1]/"), Some("[::1]:443".parse().unwrap()));
        assert_eq!(socket("http://10.0.0.1/"), Some("10.0.0.1:80".parse().unwrap()));
        assert_eq!(socket("http://localhost:8001/"), None);
        assert_eq!(socket("ftp://127.0.0.1/"), None);
    }

    #[test]
    fn a_page_without_form_has_none() {
        assert!(parse_form("<p>no form</p>").is_none());
    }

    #[test]
    fn get_forms_replace_the_action_query() {
        let form = Form {
            action: None,
            method: "get".to_owned(),
            fields: vec![("a".to_owned(), "x y".to_owned())],
        };
        let callback = submission(&form, Url::parse("http://rp/r?old=1").unwrap()).unwrap();
        assert_eq!(callback.url, "http://rp/r?a=x+y");
        assert_eq!(callback.query, "a=x+y");
        assert_eq!(callback.params, vec![("a".to_owned(), "x y".to_owned())]);
    }
}
