//! What the browser brought back: the callback's arguments (GET query or POST form) and
//! the URL it came to, as seen from outside a reverse proxy.

use url::Url;

use std::collections::HashMap;

use super::failure::FailureReason;
use crate::excerpt::bounded;
use crate::message::{Message, MessageError, decode_query};

/// The arguments of a callback: the raw query string of a GET (or the raw body of a
/// form POST), or pairs a web framework already decoded.
///
/// For a POST, pass the form; the query of `current_url` (where `return_to`'s own
/// arguments are) is merged in by [`Consumer::complete`](crate::Consumer::complete).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallbackArgs<'a> {
    /// A raw `application/x-www-form-urlencoded` string, percent-encoded.
    Raw(&'a str),
    /// Decoded `(key, value)` pairs.
    Pairs(Vec<(String, String)>),
}

impl<'a> From<&'a str> for CallbackArgs<'a> {
    fn from(raw: &'a str) -> Self {
        Self::Raw(raw)
    }
}

impl<'a> From<&'a String> for CallbackArgs<'a> {
    fn from(raw: &'a String) -> Self {
        Self::Raw(raw)
    }
}

impl From<Vec<(String, String)>> for CallbackArgs<'_> {
    fn from(pairs: Vec<(String, String)>) -> Self {
        Self::Pairs(pairs)
    }
}

impl From<&[(String, String)]> for CallbackArgs<'_> {
    fn from(pairs: &[(String, String)]) -> Self {
        Self::Pairs(pairs.to_vec())
    }
}

impl From<&[(&str, &str)]> for CallbackArgs<'_> {
    fn from(pairs: &[(&str, &str)]) -> Self {
        Self::Pairs(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
    }
}

/// The URL the browser came to, split: the part before the query (absolute, as the public
/// sees it) and the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CurrentUrl {
    /// Scheme, authority and path, without query or fragment.
    pub(crate) base: String,
    /// The query, without `?` (empty when none).
    pub(crate) query: String,
}

impl CurrentUrl {
    /// The whole URL, for messages.
    pub(crate) fn to_text(&self) -> String {
        if self.query.is_empty() {
            self.base.clone()
        } else {
            format!("{}?{}", self.base, self.query)
        }
    }
}

/// Resolves the URL the browser came to: as given when absolute, or against the public
/// base URL (a site behind a reverse proxy sees its internal address, or only a path). The
/// fragment, which browsers do not send, is dropped.
pub(crate) fn resolve(url: &str, public_base: Option<&Url>) -> Option<CurrentUrl> {
    let url = url.split_once('#').map_or(url, |(before, _)| before);
    let (before, query) = url.split_once('?').unwrap_or((url, ""));
    let absolute = split_scheme(before).filter(|(scheme, _)| {
        scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")
    });
    let base = match (public_base, absolute) {
        (None, Some(_)) => before.to_owned(),
        (None, None) => return None,
        (Some(public), absolute) => {
            // Only the path counts: scheme, host and port are the public ones.
            let path = match absolute {
                Some((_, rest)) => {
                    rest.find('/').map_or("/", |slash| rest.get(slash..).unwrap_or("/"))
                }
                None if before.starts_with('/') && !before.starts_with("//") => before,
                None => return None,
            };
            let mut joined = public.clone();
            joined.set_path(&format!("{}{path}", public.path().trim_end_matches('/')));
            joined.set_query(None);
            joined.into()
        }
    };
    Some(CurrentUrl { base, query: query.to_owned() })
}

/// `scheme` and what follows `scheme://`, if `text` starts that way.
fn split_scheme(text: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = text.split_once("://")?;
    let valid = !scheme.is_empty()
        && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    valid.then_some((scheme, rest))
}

/// The callback as a message: its arguments, with the query arguments of the current URL
/// that the arguments lack (a POST's `return_to` arguments). An argument given both ways
/// must have one value.
pub(crate) fn read_message(
    args: CallbackArgs<'_>,
    current: &CurrentUrl,
) -> Result<Message, FailureReason> {
    let mut pairs = match args {
        // A GET: the arguments are the URL's query, nothing to merge.
        CallbackArgs::Raw(raw) if raw.strip_prefix('?').unwrap_or(raw) == current.query => {
            // A cheap upper bound of the count: one argument per `&`, plus one (counted
            // with memchr's vectorised search, as the decoder counts them).
            check_count(memchr::memchr_iter(b'&', raw.as_bytes()).count() + 1)?;
            return Message::from_query(raw).map_err(FailureReason::MalformedCallback);
        }
        CallbackArgs::Raw(raw) => {
            decode_query(raw).map_err(|e| FailureReason::MalformedCallback(e.into()))?
        }
        CallbackArgs::Pairs(pairs) => pairs,
    };
    let from_url = decode_query(&current.query)
        .map_err(|e| FailureReason::MalformedCallback(MessageError::from(e)))?;
    check_count(pairs.len() + from_url.len())?;
    // The first value of each key (a key given twice is refused by the message below).
    let mut given: HashMap<&str, &str> = HashMap::with_capacity(pairs.len());
    for (key, value) in &pairs {
        given.entry(key).or_insert(value);
    }
    let mut extra = Vec::new();
    for (key, value) in from_url {
        match given.get(key.as_str()) {
            Some(existing) if *existing == value => {}
            Some(_) => return Err(FailureReason::ConflictingParameter { name: bounded(&key) }),
            // OpenID fields count only where the provider put them (the arguments); the
            // URL contributes the application's own arguments.
            None if key.starts_with("openid.") => {}
            None => extra.push((key, value)),
        }
    }
    drop(given);
    pairs.extend(extra);
    Message::from_pairs(pairs).map_err(FailureReason::MalformedCallback)
}

/// More arguments than any OpenID response has (an Attribute Exchange answer with many
/// values stays far below): the callback is refused before any work proportional to it.
pub(crate) const MAX_CALLBACK_ARGUMENTS: usize = 1_000;

fn check_count(count: usize) -> Result<(), FailureReason> {
    if count > MAX_CALLBACK_ARGUMENTS {
        Err(FailureReason::TooManyArguments { limit: MAX_CALLBACK_ARGUMENTS })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> CurrentUrl {
        resolve(text, None).unwrap()
    }

    #[test]
    fn a_post_callback_gets_the_return_to_arguments_of_the_url() {
        let current = url("https://rp.example/back?session=1&openid.sig=forged");
        let form = vec![("openid.mode".to_owned(), "id_res".to_owned())];
        let message = read_message(form.into(), &current).unwrap();
        assert_eq!(message.get(&crate::message::Namespace::Bare, "session"), Some("1"));
        assert_eq!(message.get_openid("mode"), Some("id_res"));
        // OpenID fields come from where the provider put them, not from the URL.
        assert_eq!(message.get_openid("sig"), None);
        let current = url("https://rp.example/back?openid.mode=cancel");
        let form = vec![("openid.mode".to_owned(), "id_res".to_owned())];
        assert!(matches!(
            read_message(form.into(), &current),
            Err(FailureReason::ConflictingParameter { .. })
        ));
    }

    #[test]
    fn a_get_callback_and_its_url_agree() {
        let current = url("https://rp.example/back?session=1&openid.mode=id_res");
        let message = read_message("session=1&openid.mode=id_res".into(), &current).unwrap();
        assert_eq!(message.get_openid("mode"), Some("id_res"));
    }

    #[test]
    fn an_argument_with_two_values_is_refused() {
        let current = url("https://rp.example/back?session=1");
        let error = read_message("session=2&openid.mode=id_res".into(), &current).unwrap_err();
        assert!(
            matches!(error, FailureReason::ConflictingParameter { ref name } if name == "session")
        );
    }

    #[test]
    fn behind_a_proxy_the_public_base_replaces_scheme_host_and_port() {
        let base = Url::parse("https://public.example/app").unwrap();
        let resolved = resolve("http://10.0.0.5:8080/back?x=1#f", Some(&base)).unwrap();
        assert_eq!(resolved.to_text(), "https://public.example/app/back?x=1");
        let relative = resolve("/back", Some(&base)).unwrap();
        assert_eq!(relative.to_text(), "https://public.example/app/back");
        let root = resolve("http://10.0.0.5:8080", Some(&base)).unwrap();
        assert_eq!(root.to_text(), "https://public.example/app/");
        assert!(resolve("//evil.example/back", Some(&base)).is_none());
        assert!(resolve("/back", None).is_none());
        assert!(resolve("ftp://x/", None).is_none());
    }
}
