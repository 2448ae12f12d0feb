//! Discovery and fetching: python-openid's fixtures, a live HTTP server on 127.0.0.1, and
//! hostile documents.
//!
//! Network tests talk only to the test server on 127.0.0.1 (host names are mapped to it by a
//! test resolver), and every one of them is bounded in time by the policy's timeouts.

// `cfg(test)` puts the helpers under clippy's test allowances (unwrap, indexing) too.
#[cfg(test)]
mod discovery {
    pub(crate) mod fixtures;
    pub(crate) mod hostile;
    pub(crate) mod html_links;
    pub(crate) mod live;
    pub(crate) mod logs;
    pub(crate) mod regressions;
    pub(crate) mod support;
    pub(crate) mod xri_syntax;
}
