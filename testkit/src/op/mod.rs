//! The OP endpoint (`/op`): reads the OpenID message of a request and hands it to the handler
//! of its mode; builds direct (KV form) and indirect (redirect or form) responses.

mod associate;
mod check_auth;
mod checkid;
mod extensions;

pub(crate) use checkid::IDENTIFIER_SELECT;

use std::fmt::Write as _;

use openid_consumer::message::{Message, OPENID2_NS, OpenIdVersion, kvform};

use crate::behaviour::{Behaviour, Transport};
use crate::documents::escape;
use crate::http::{Incoming, MAX_BODY, Reply};
use crate::state::Shared;

/// Answers a request to the OP endpoint.
pub(crate) fn handle(shared: &Shared, behaviour: &Behaviour, request: &Incoming) -> Reply {
    let post = match request.method.as_str() {
        "GET" => false,
        "POST" => true,
        _ => return Reply::method_not_allowed("GET, POST"),
    };
    if post && request.body_too_large {
        return direct_error(false, 413, &format!("request body larger than {MAX_BODY} bytes"));
    }
    let raw = if post {
        match std::str::from_utf8(&request.body) {
            Ok(raw) => raw,
            Err(_) => return direct_error(false, 400, "request body is not UTF-8"),
        }
    } else {
        request.query.as_str()
    };
    let message = match Message::from_query(raw) {
        Ok(message) => message,
        Err(error) if post => {
            return direct_error(false, 400, &format!("malformed request: {error}"));
        }
        Err(error) => {
            return Reply::error_page(400, &format!("malformed OpenID request: {error}"));
        }
    };
    let v1 = message.is_openid1();
    match message.get_openid("mode") {
        Some("associate") if post => {
            associate::handle(shared, behaviour, &message, request.is_https())
        }
        Some("check_authentication") if post => check_auth::handle(shared, behaviour, &message),
        Some(mode @ ("associate" | "check_authentication")) => direct_error(
            v1,
            400,
            &format!(
                "openid.mode={mode} is a direct request and must be POSTed (OpenID 2.0 section 5.1.1)"
            ),
        ),
        Some("checkid_setup") => checkid::handle(shared, behaviour, &message, false),
        Some("checkid_immediate") => checkid::handle(shared, behaviour, &message, true),
        Some(other) => {
            let text = format!("unknown openid.mode {other:?}");
            match message.get_openid("return_to").filter(|url| usable_return_to(url)) {
                Some(return_to) => {
                    deliver(&indirect_error(v1, &text, None, None), return_to, behaviour.transport)
                }
                None if post => direct_error(v1, 400, &text),
                None => Reply::error_page(400, &text),
            }
        }
        None if post => direct_error(v1, 400, "missing openid.mode"),
        None => Reply::error_page(
            400,
            "This is an OpenID provider endpoint: it needs an OpenID request (openid.mode).",
        ),
    }
}

/// A direct response (OpenID 2.0 section 5.1.2): KV form, `ns` first in 2.0 form.
pub(super) fn direct(v1: bool, status: u16, pairs: &[(&str, String)]) -> Reply {
    let ns = (!v1).then_some(("ns", OPENID2_NS.to_owned()));
    let all: Vec<(&str, String)> = ns.into_iter().chain(pairs.iter().cloned()).collect();
    match kvform::encode(all.iter().map(|(k, v)| (*k, v.as_str()))) {
        Ok(body) => Reply::key_value(status, body),
        // Only a value with a newline gets here (keys are constants); say so instead of
        // sending a response that would parse as something else.
        Err(error) => Reply::key_value(500, format!("error:cannot encode response: {error}\n")),
    }
}

/// A direct error response (OpenID 2.0 section 5.1.2.2): `error`, HTTP `status` (400).
pub(super) fn direct_error(v1: bool, status: u16, text: &str) -> Reply {
    direct(v1, status, &[("error", one_line(text))])
}

/// An indirect error message (OpenID 2.0 section 5.2.3).
pub(super) fn indirect_error(
    v1: bool,
    text: &str,
    contact: Option<&str>,
    reference: Option<&str>,
) -> Message {
    let mut message = new_message(v1);
    message.set_openid("mode", "error");
    message.set_openid("error", text);
    if let Some(contact) = contact {
        message.set_openid("contact", contact);
    }
    if let Some(reference) = reference {
        message.set_openid("reference", reference);
    }
    message
}

/// An empty message in 2.0 form, or in 1.x form (no `openid.ns`).
pub(super) fn new_message(v1: bool) -> Message {
    Message::new(if v1 { OpenIdVersion::V1_1 } else { OpenIdVersion::V2_0 })
}

/// Sends an indirect message to `return_to` (OpenID 2.0 section 5.2): a redirect, or an HTML
/// form the browser POSTs, as `transport` says. Arguments of `return_to`'s own query stay.
pub(super) fn deliver(message: &Message, return_to: &str, transport: Transport) -> Reply {
    let url = message.to_url(return_to);
    let form = match transport {
        Transport::Redirect => false,
        Transport::FormPost => true,
        // python-openid's rule (`OPENID1_URL_LIMIT`): OpenID 1 had no form transport.
        _ => !message.is_openid1() && url.len() > URL_LIMIT,
    };
    if form { Reply::html(200, form_page(message, return_to)) } else { Reply::redirect(url) }
}

/// Whether `url` can receive an indirect response: an absolute http(s) URL written as a URI
/// (ASCII, no spaces or control characters, which `Url::parse` would silently drop).
pub(super) fn usable_return_to(url: &str) -> bool {
    url.bytes().all(|b| b.is_ascii_graphic())
        && url::Url::parse(url)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
}

/// An auto-submitting form that POSTs `message` to `action` (OpenID 2.0 section 5.2.2).
fn form_page(message: &Message, action: &str) -> String {
    let mut inputs = String::new();
    for (key, value) in message.to_form_pairs() {
        // Writing to a String cannot fail.
        let _ = writeln!(
            inputs,
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            escape(&key),
            escape(&value)
        );
    }
    format!(
        "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\">\
         <title>OpenID transaction in progress</title></head>\n\
         <body onload=\"document.forms[0].submit()\">\n\
         <form method=\"post\" action=\"{}\" accept-charset=\"UTF-8\" \
         enctype=\"application/x-www-form-urlencoded\">\n{inputs}\
         <noscript><input type=\"submit\" value=\"Continue\"></noscript>\n\
         </form>\n</body>\n</html>\n",
        escape(action)
    )
}

/// KV form values are one line: any line break becomes a space.
fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

/// Longest redirect URL before [`Transport::Auto`] switches to a form (python-openid's
/// `OPENID1_URL_LIMIT`, from old browsers' limits).
const URL_LIMIT: usize = 2047;
