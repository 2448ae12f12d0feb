//! [`AuthRequest`]: a login ready to send the user to the provider, as a redirect URL or
//! as a form the browser posts.

use std::fmt::Write as _;

use url::Url;

use super::callback;
use super::failure::RequestError;
use super::pending::{PendingAuth, RETURN_TO_NONCE_ARG};
use crate::discovery::ServiceEndpoint;
use crate::extensions::Extension;
use crate::extensions::ax::{self, AttrRequest, FetchRequest};
use crate::extensions::profile::ProfileField;
use crate::extensions::sreg::{self, SregRequest};
use crate::message::{Message, Namespace, OpenIdVersion};
use crate::realm::Realm;

/// `openid.identity` and `openid.claimed_id` when the provider is to choose the identifier
/// (OpenID 2.0 section 9.1).
pub const IDENTIFIER_SELECT: &str = "http://specs.openid.net/auth/2.0/identifier_select";

/// URLs longer than this are sent as a form (python-openid's limit, and what old browsers
/// and proxies handle; OpenID 2.0 section 9.1 allows a POST for any request).
const MAX_REDIRECT_URL: usize = 2047;

/// A login to send to the provider, made by [`Consumer::begin`](crate::Consumer::begin).
///
/// Keep [`pending`](Self::pending) in the user's session, then send the browser to the
/// provider with [`navigation`](Self::navigation) (or [`redirect_url`](Self::redirect_url)
/// / [`html_markup`](Self::html_markup) by hand).
#[derive(Debug, Clone)]
pub struct AuthRequest {
    endpoint: ServiceEndpoint,
    assoc_handle: Option<String>,
    nonce: String,
    anonymous: bool,
    public_base: Option<Url>,
    /// The `return_to` of the last request made, which [`pending`](Self::pending) records.
    return_to: Option<String>,
    /// Extension requests, in the order added.
    extensions: Vec<RequestedExtension>,
}

/// An extension's request as the message will carry it.
#[derive(Debug, Clone)]
struct RequestedExtension {
    namespace: String,
    alias: String,
    args: Vec<(String, String)>,
}

/// How to send the browser to the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Navigation {
    /// Answer with a redirect (HTTP 302 or 303) to this URL.
    Redirect(String),
    /// Answer with this HTML page, which posts the request to the provider (the request is
    /// too long for a URL).
    Form(String),
}

impl AuthRequest {
    pub(crate) fn new(
        endpoint: ServiceEndpoint,
        assoc_handle: Option<String>,
        nonce: String,
        public_base: Option<Url>,
    ) -> Self {
        Self {
            endpoint,
            assoc_handle,
            nonce,
            anonymous: false,
            public_base,
            return_to: None,
            extensions: Vec::new(),
        }
    }

    /// The endpoint the login goes to.
    pub fn endpoint(&self) -> &ServiceEndpoint {
        &self.endpoint
    }

    /// The association the provider is asked to sign with; `None` when the login is
    /// stateless (no store, or the provider did not associate).
    pub fn association_handle(&self) -> Option<&str> {
        self.assoc_handle.as_deref()
    }

    /// Asks for an assertion that identifies nobody (OpenID 2.0 section 9.1), for
    /// extension-only requests; [`Consumer::complete`](crate::Consumer::complete) then gives
    /// [`Response::Anonymous`](crate::Response::Anonymous).
    ///
    /// # Errors
    /// [`RequestError::Anonymous`] for an OpenID 1 endpoint, which cannot do it.
    pub fn set_anonymous(&mut self, anonymous: bool) -> Result<(), RequestError> {
        if anonymous && self.endpoint.compat_mode() {
            return Err(RequestError::Anonymous);
        }
        self.anonymous = anonymous;
        Ok(())
    }

    /// Adds an extension's request (Simple Registration, Attribute Exchange, PAPE, UI, or
    /// your own [`Extension`]). Its alias is the one it prefers when free.
    ///
    /// # Errors
    /// [`RequestError::Extension`] when the extension's namespace was already added.
    ///
    /// # Example
    /// ```
    /// # use std::sync::Arc;
    /// use openid_consumer::extensions::sreg::{SregField, SregRequest};
    /// # use openid_consumer::{Consumer, ServiceEndpoint};
    /// # let consumer = Consumer::builder().stateless().build()?;
    /// # let mut request = consumer.begin_with_endpoint(ServiceEndpoint::from_op_endpoint_url("https://op.example/"))?;
    /// request.add_extension(&SregRequest::new().require(SregField::Email))?;
    /// let url = request.redirect_url("https://rp.example/", "https://rp.example/back", false)?;
    /// assert!(url.contains("openid.sreg.required=email"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_extension(&mut self, extension: &dyn Extension) -> Result<(), RequestError> {
        let namespace = extension.namespace();
        if self.extensions.iter().any(|requested| requested.namespace == namespace) {
            return Err(RequestError::Extension(format!("{namespace} was already added")));
        }
        self.extensions.push(RequestedExtension {
            namespace: namespace.to_owned(),
            alias: extension.preferred_alias().to_owned(),
            args: extension.args(),
        });
        Ok(())
    }

    /// Asks for profile fields through each extension the endpoint advertises: Simple
    /// Registration (in the namespace it names) and Attribute Exchange (axschema.org
    /// types), all optional. Returns whether anything was asked: an endpoint found through
    /// HTML discovery advertises nothing (add an extension yourself to ask anyway).
    /// [`SuccessResponse::profile`](crate::SuccessResponse::profile) reads the answer.
    ///
    /// # Errors
    /// [`RequestError::Extension`] when one of the two extensions was already added.
    pub fn request_profile(&mut self, fields: &[ProfileField]) -> Result<bool, RequestError> {
        let mut asked = false;
        if sreg::supports_sreg(&self.endpoint) {
            let request = fields
                .iter()
                .fold(SregRequest::new().namespace_for(&self.endpoint), |r, f| r.ask(f.sreg()));
            self.add_extension(&request)?;
            asked = true;
        }
        if ax::supports_ax(&self.endpoint) {
            let mut request = FetchRequest::new();
            for field in fields {
                let type_uri = field.ax_types().first().copied().unwrap_or_default();
                request = request
                    .attribute(AttrRequest::new(type_uri).alias(field.as_str()))
                    .map_err(|error| RequestError::Extension(error.to_string()))?;
            }
            self.add_extension(&request)?;
            asked = true;
        }
        Ok(asked)
    }

    /// What the application keeps in the user's session until the browser comes back.
    ///
    /// Take it after making the request ([`redirect_url`](Self::redirect_url) and the
    /// others): it records the `return_to` sent, which
    /// [`Consumer::complete`](crate::Consumer::complete) requires.
    pub fn pending(&self) -> PendingAuth {
        PendingAuth::new(
            self.endpoint.with_openid_types_only(),
            self.nonce.clone(),
            self.return_to.clone(),
            self.assoc_handle.clone(),
            self.anonymous,
        )
    }

    /// Whether a redirect is the way to send this request: always for OpenID 1 (which has
    /// no form transport); for 2.0 while the request without its realm and `return_to` is
    /// short enough (under 1,024 bytes) to leave room for them in a URL. When unsure, use
    /// [`navigation`](Self::navigation), which measures the real URL.
    pub fn should_send_redirect(&self) -> bool {
        if self.endpoint.compat_mode() {
            return true;
        }
        let bare = self.build_message("", "", false);
        bare.to_url(self.endpoint.server_url()).len() < MAX_REDIRECT_URL / 2
    }

    /// The checkid request as a message (for applications that send it their own way).
    ///
    /// `realm` is what the user is asked to trust (OpenID 2.0 section 9.2, OpenID 1's
    /// trust root), for example `https://example.com/`; `return_to` is where the provider
    /// sends the browser back, under the realm: an absolute URL, or a path starting with `/`
    /// when the consumer has a public base URL. `immediate` asks the provider to answer
    /// without interacting with the user (`checkid_immediate`).
    ///
    /// # Errors
    /// [`RequestError`] for an invalid realm or `return_to`, or a `return_to` outside the
    /// realm.
    pub fn message(
        &mut self,
        realm: &str,
        return_to: &str,
        immediate: bool,
    ) -> Result<Message, RequestError> {
        let realm = Realm::parse(realm).map_err(|error| RequestError::InvalidRealm {
            realm: realm.to_owned(),
            reason: error.to_string(),
        })?;
        let return_to = self.return_to_with_nonce(return_to)?;
        if !realm.matches(&return_to) {
            return Err(RequestError::ReturnToOutsideRealm {
                realm: realm.as_str().to_owned(),
                return_to,
            });
        }
        let message = self.build_message(realm.as_str(), &return_to, immediate);
        self.return_to = Some(return_to);
        Ok(message)
    }

    /// The URL to redirect the browser to.
    ///
    /// # Errors
    /// As [`message`](Self::message).
    pub fn redirect_url(
        &mut self,
        realm: &str,
        return_to: &str,
        immediate: bool,
    ) -> Result<String, RequestError> {
        let message = self.message(realm, return_to, immediate)?;
        Ok(message.to_url(self.endpoint.server_url()))
    }

    /// An HTML `<form>` that posts the request to the provider, with a submit button, for
    /// embedding in a page of the application. `form_id` is its `id` attribute.
    ///
    /// # Errors
    /// As [`message`](Self::message).
    pub fn form_markup(
        &mut self,
        realm: &str,
        return_to: &str,
        immediate: bool,
        form_id: &str,
    ) -> Result<String, RequestError> {
        let message = self.message(realm, return_to, immediate)?;
        let mut form = format!(
            "<form id=\"{}\" action=\"{}\" method=\"post\" accept-charset=\"UTF-8\" \
             enctype=\"application/x-www-form-urlencoded\">\n",
            escape(form_id),
            escape(self.endpoint.server_url())
        );
        for (key, value) in message.to_form_pairs() {
            let _ = writeln!(
                form,
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(&key),
                escape(&value)
            );
        }
        form.push_str("<input type=\"submit\" value=\"Continue\">\n</form>\n");
        Ok(form)
    }

    /// A whole HTML page that posts the request to the provider as soon as it loads (with
    /// a button for browsers without JavaScript).
    ///
    /// Under a strict Content-Security-Policy (`script-src 'nonce-...'`), pass the
    /// response's CSP nonce as `csp_nonce`: the page's one inline script carries it.
    ///
    /// # Errors
    /// As [`message`](Self::message).
    pub fn html_markup(
        &mut self,
        realm: &str,
        return_to: &str,
        immediate: bool,
        csp_nonce: Option<&str>,
    ) -> Result<String, RequestError> {
        let form = self.form_markup(realm, return_to, immediate, FORM_ID)?;
        let nonce = csp_nonce.map(|n| format!(" nonce=\"{}\"", escape(n))).unwrap_or_default();
        Ok(format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>OpenID login</title>\
             </head>\n<body>\n{form}<script{nonce}>document.getElementById(\"{FORM_ID}\")\
             .submit();</script>\n</body></html>\n"
        ))
    }

    /// How to send the browser to the provider: a redirect when the URL is short enough
    /// (always for OpenID 1), else an auto-submitting page (see
    /// [`html_markup`](Self::html_markup) for `csp_nonce`).
    ///
    /// # Errors
    /// As [`message`](Self::message).
    pub fn navigation(
        &mut self,
        realm: &str,
        return_to: &str,
        immediate: bool,
        csp_nonce: Option<&str>,
    ) -> Result<Navigation, RequestError> {
        let url = self.redirect_url(realm, return_to, immediate)?;
        if self.endpoint.compat_mode() || url.len() <= MAX_REDIRECT_URL {
            Ok(Navigation::Redirect(url))
        } else {
            Ok(Navigation::Form(self.html_markup(realm, return_to, immediate, csp_nonce)?))
        }
    }

    /// `return_to` made absolute and checked, with the login's nonce added.
    fn return_to_with_nonce(&self, return_to: &str) -> Result<String, RequestError> {
        let invalid =
            |reason| RequestError::InvalidReturnTo { return_to: return_to.to_owned(), reason };
        if return_to.contains('#') {
            return Err(invalid("it must not have a fragment"));
        }
        let own_arg = format!("{RETURN_TO_NONCE_ARG}=");
        if return_to.split(['?', '&']).skip(1).any(|arg| arg.starts_with(&own_arg)) {
            return Err(invalid("it already has the library's own openid_rs_nonce argument"));
        }
        if !return_to.starts_with('/') && crate::urinorm::normalize(return_to).is_err() {
            return Err(invalid("it is not a valid URL (RFC 3986: escape spaces, quotes and <>)"));
        }
        let absolute = if return_to.starts_with('/') && self.public_base.is_some() {
            callback::resolve(return_to, self.public_base.as_ref())
                .ok_or_else(|| invalid("it cannot be joined to the public base URL"))?
                .to_text()
        } else {
            let url = Url::parse(return_to).map_err(|_| invalid("it is not an absolute URL"))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(invalid("it must be http or https"));
            }
            return_to.to_owned()
        };
        let separator = match absolute.find('?') {
            None => "?",
            Some(_) if absolute.ends_with('?') || absolute.ends_with('&') => "",
            Some(_) => "&",
        };
        Ok(format!("{absolute}{separator}{RETURN_TO_NONCE_ARG}={}", self.nonce))
    }

    fn build_message(&self, realm: &str, return_to: &str, immediate: bool) -> Message {
        let openid1 = self.endpoint.compat_mode();
        let mut message =
            Message::new(if openid1 { OpenIdVersion::V1_1 } else { OpenIdVersion::V2_0 });
        message.set_openid("mode", if immediate { "checkid_immediate" } else { "checkid_setup" });
        message.set_openid("return_to", return_to);
        message.set_openid(if openid1 { "trust_root" } else { "realm" }, realm);
        if let Some(handle) = &self.assoc_handle {
            message.set_openid("assoc_handle", handle);
        }
        if !self.anonymous {
            let (claimed_id, identity) = if self.endpoint.is_op_identifier() {
                (IDENTIFIER_SELECT, IDENTIFIER_SELECT)
            } else {
                (
                    self.endpoint.claimed_id().unwrap_or(IDENTIFIER_SELECT),
                    self.endpoint.local_id().unwrap_or(IDENTIFIER_SELECT),
                )
            };
            message.set_openid("identity", identity);
            if !openid1 {
                message.set_openid("claimed_id", claimed_id);
            }
        }
        for RequestedExtension { namespace, alias, args } in &self.extensions {
            // OpenID 1 had no alias declarations; Simple Registration went as `sreg`.
            let is_sreg = namespace == sreg::SREG_1_1_NS || namespace == sreg::SREG_1_0_NS;
            let bound = if openid1 && is_sreg {
                message.set_implicit_alias(namespace, "sreg")
            } else {
                message.set_alias(namespace, alias)
            };
            if bound.is_err() {
                // The alias is taken or not valid: the message picks a free one.
                tracing::debug!(target: "openid_consumer", namespace, alias, "alias replaced");
            }
            for (key, value) in args {
                message.set(Namespace::extension(namespace.clone()), key, value);
            }
        }
        message
    }
}

/// The `id` of the form in [`AuthRequest::html_markup`].
const FORM_ID: &str = "openid_message";

/// Escapes text for an HTML attribute value or element content.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::endpoint::{TYPE_SIGNON_1_1, TYPE_SIGNON_2_0};
    use crate::message::Namespace;

    const NONCE: &str = "2026-12-02T01:00:00ZabcdefghijklmnopqrstuV";

    fn request(endpoint: ServiceEndpoint) -> AuthRequest {
        AuthRequest::new(endpoint, Some("handle-1".into()), NONCE.into(), None)
    }

    fn v2() -> ServiceEndpoint {
        ServiceEndpoint::for_claimed_id(
            "https://alice.example/",
            "https://op.example/server",
            Some("https://op.example/u/alice".into()),
            vec![TYPE_SIGNON_2_0.into()],
        )
    }

    fn v1() -> ServiceEndpoint {
        ServiceEndpoint::for_claimed_id(
            "https://alice.example/",
            "https://op.example/server",
            None,
            vec![TYPE_SIGNON_1_1.into()],
        )
    }

    fn query_of(url: &str) -> Message {
        Message::from_query(url.split_once('?').unwrap().1).unwrap()
    }

    #[test]
    fn a_2_0_request_names_the_claimed_and_local_identifiers_and_the_nonce() {
        let url = request(v2())
            .redirect_url("https://rp.example/", "https://rp.example/back?s=1", false)
            .unwrap();
        assert!(url.starts_with("https://op.example/server?"), "{url}");
        let message = query_of(&url);
        assert_eq!(message.version(), OpenIdVersion::V2_0);
        assert_eq!(message.get_openid("mode"), Some("checkid_setup"));
        assert_eq!(message.get_openid("claimed_id"), Some("https://alice.example/"));
        assert_eq!(message.get_openid("identity"), Some("https://op.example/u/alice"));
        assert_eq!(message.get_openid("realm"), Some("https://rp.example/"));
        assert_eq!(message.get_openid("assoc_handle"), Some("handle-1"));
        assert_eq!(
            message.get_openid("return_to"),
            Some(format!("https://rp.example/back?s=1&{RETURN_TO_NONCE_ARG}={NONCE}").as_str())
        );
    }

    #[test]
    fn an_openid_1_request_has_a_trust_root_and_no_claimed_id() {
        let url = request(v1())
            .redirect_url("https://rp.example/", "https://rp.example/back", true)
            .unwrap();
        let message = query_of(&url);
        assert!(message.is_openid1());
        assert_eq!(message.get_openid("mode"), Some("checkid_immediate"));
        assert_eq!(message.get_openid("trust_root"), Some("https://rp.example/"));
        assert_eq!(message.get_openid("identity"), Some("https://alice.example/"));
        assert_eq!(message.get_openid("claimed_id"), None);
        assert_eq!(message.get_openid("realm"), None);
    }

    #[test]
    fn an_op_identifier_login_lets_the_provider_choose_and_anonymous_names_nobody() {
        let mut op = request(ServiceEndpoint::from_op_endpoint_url("https://op.example/server"));
        let message = op.message("https://rp.example/", "https://rp.example/back", false).unwrap();
        assert_eq!(message.get_openid("claimed_id"), Some(IDENTIFIER_SELECT));
        assert_eq!(message.get_openid("identity"), Some(IDENTIFIER_SELECT));
        op.set_anonymous(true).unwrap();
        assert!(op.pending().is_anonymous());
        let message = op.message("https://rp.example/", "https://rp.example/back", false).unwrap();
        assert_eq!(message.get_openid("claimed_id"), None);
        assert_eq!(message.get_openid("identity"), None);
        assert_eq!(request(v1()).set_anonymous(true), Err(RequestError::Anonymous));
    }

    #[test]
    fn return_to_and_realm_mistakes_are_clear_errors() {
        let mut r = request(v2());
        let error = r.redirect_url("https://rp.example/", "/back", false).unwrap_err();
        assert!(error.to_string().contains("public base URL"), "{error}");
        let error = r.redirect_url("https://rp.example/", "https://rp.example/b#x", false);
        assert!(matches!(error, Err(RequestError::InvalidReturnTo { .. })), "{error:?}");
        let error = r.redirect_url("https://rp.example/", "ftp://rp.example/b", false);
        assert!(matches!(error, Err(RequestError::InvalidReturnTo { .. })), "{error:?}");
        let error = r.redirect_url("https://*.*.example/", "https://rp.example/b", false);
        assert!(matches!(error, Err(RequestError::InvalidRealm { .. })), "{error:?}");
        let error = r.redirect_url("https://rp.example/app/", "https://rp.example/other", false);
        assert!(matches!(error, Err(RequestError::ReturnToOutsideRealm { .. })), "{error:?}");
    }

    #[test]
    fn a_relative_return_to_joins_the_public_base_url() {
        let base = Url::parse("https://public.example/app").unwrap();
        let mut r = AuthRequest::new(v2(), None, NONCE.into(), Some(base));
        let message = r.message("https://public.example/", "/back?x=1", false).unwrap();
        let return_to = message.get_openid("return_to").unwrap();
        assert!(return_to.starts_with("https://public.example/app/back?x=1&"), "{return_to}");
    }

    #[test]
    fn form_markup_escapes_every_value_and_the_page_carries_the_csp_nonce() {
        let mut endpoint = v2();
        endpoint = ServiceEndpoint::for_claimed_id(
            "https://alice.example/\"><script>",
            endpoint.server_url(),
            None,
            vec![TYPE_SIGNON_2_0.into()],
        );
        let mut r = request(endpoint);
        let page = r
            .html_markup(
                "https://rp.example/",
                "https://rp.example/back?a=%3Cb%3E&c=%22d%22",
                false,
                Some("n0nce\"x"),
            )
            .unwrap();
        assert!(!page.contains("<script>\""), "{page}");
        assert!(page.contains("&quot;&gt;&lt;script&gt;"), "{page}");
        assert!(page.contains("<script nonce=\"n0nce&quot;x\">"), "{page}");
        assert!(page.contains("action=\"https://op.example/server\""), "{page}");
        assert!(page.contains("a=%3Cb%3E&amp;c=%22d%22"), "{page}");
    }

    #[test]
    fn navigation_is_a_redirect_until_the_url_is_too_long() {
        let mut r = request(v2());
        let short =
            r.navigation("https://rp.example/", "https://rp.example/back", false, None).unwrap();
        assert!(matches!(short, Navigation::Redirect(_)));
        assert!(r.should_send_redirect());
        let long_return_to = format!("https://rp.example/back?pad={}", "x".repeat(3000));
        let long = r.navigation("https://rp.example/", &long_return_to, false, None).unwrap();
        let Navigation::Form(page) = long else { panic!("a form is expected") };
        assert!(page.contains("method=\"post\""));
        // OpenID 1 has no form transport.
        let v1 = request(v1()).navigation("https://rp.example/", &long_return_to, false, None);
        assert!(matches!(v1, Ok(Navigation::Redirect(_))));
    }

    #[test]
    fn the_pending_state_records_the_return_to_of_the_request() {
        let mut r = request(v2());
        assert_eq!(r.pending().return_to(), None);
        let message = r.message("https://rp.example/", "https://rp.example/b?x=1", false).unwrap();
        assert_eq!(r.pending().return_to(), message.get_openid("return_to"));
        let error =
            r.message("https://rp.example/", "https://rp.example/b?openid_rs_nonce=x", false);
        assert!(matches!(error, Err(RequestError::InvalidReturnTo { .. })), "{error:?}");
    }

    #[test]
    fn the_request_message_has_no_bare_arguments() {
        let message = request(v2())
            .message("https://rp.example/", "https://rp.example/b?x=1", false)
            .unwrap();
        assert_eq!(message.args_in(&Namespace::Bare).count(), 0);
    }
}
