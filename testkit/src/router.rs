//! Which handler answers which path, and what every request goes through: the log, the delay
//! and the padding.

use crate::documents;
use crate::http::{Incoming, Reply};
use crate::op;
use crate::state::{Shared, is_user_segment};

/// Answers one request.
pub(crate) fn handle(shared: &Shared, request: &Incoming) -> Reply {
    let behaviour = shared.record(request);
    if let Some(delay) = behaviour.delay {
        shared.pause(delay);
    }
    route(shared, &behaviour, request).padded(behaviour.padding)
}

fn route(shared: &Shared, behaviour: &crate::Behaviour, request: &Incoming) -> Reply {
    // Added pages come first, so a test can replace any document with a broken one.
    if let Some(page) = shared.page(&request.path) {
        return Reply::page(page);
    }
    let path = request.path.as_str();
    if path == "/op" {
        return op::handle(shared, behaviour, request);
    }
    if !matches!(request.method.as_str(), "GET" | "HEAD") {
        return Reply::method_not_allowed("GET, HEAD");
    }
    let urls = shared.urls();
    let user = |prefix: &str| path.strip_prefix(prefix).filter(|segment| is_user_segment(segment));
    if path == "/" {
        documents::op_identifier_xrds(urls)
    } else if let Some(segment) = user("/id/") {
        documents::identity_page(urls, behaviour.protocol, segment)
    } else if let Some(segment) = user("/xrds/") {
        documents::identity_xrds(urls, behaviour.protocol, segment)
    } else if let Some(segment) = user("/html/") {
        documents::html_identity_page(urls, behaviour.protocol, segment)
    } else {
        Reply::error_page(404, &format!("nothing at {path}"))
    }
}
