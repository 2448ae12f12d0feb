//! What the browser brought back: the callback's arguments (GET query or POST form) and
//! the URL it came to, as seen from outside a reverse proxy.

use url::Url;

use super::failure::FailureReason;
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

/// The callback as a message: its arguments, with the query arguments of `current_url`
/// that the arguments lack (a POST's `return_to` arguments). An argument given both ways
/// must have one value.
pub(crate) fn read_message(
    args: CallbackArgs<'_>,
    current_url: &Url,
) -> Result<Message, FailureReason> {
    let mut pairs = match args {
        CallbackArgs::Raw(raw) => {
            decode_query(raw).map_err(|e| FailureReason::MalformedCallback(e.into()))?
        }
        CallbackArgs::Pairs(pairs) => pairs,
    };
    let from_url = decode_query(current_url.query().unwrap_or_default())
        .map_err(|e| FailureReason::MalformedCallback(MessageError::from(e)))?;
    for (key, value) in from_url {
        let mut given = pairs.iter().filter(|(k, _)| *k == key).map(|(_, v)| v);
        match (given.next(), given.next()) {
            (Some(existing), None) if *existing == value => {}
            (Some(_), None) => return Err(FailureReason::ConflictingParameter { name: key }),
            // Given twice: the message refuses the duplicate below.
            (Some(_), Some(_)) => {}
            // OpenID fields count only where the provider put them (the arguments); the
            // URL contributes the application's own arguments.
            (None, _) if key.starts_with("openid.") => {}
            (None, _) => pairs.push((key, value)),
        }
    }
    Message::from_pairs(pairs).map_err(FailureReason::MalformedCallback)
}

/// Resolves the URL the browser came to: as given when absolute, or against the public
/// base URL (a site behind a reverse proxy sees its internal address, or only a path).
pub(crate) fn resolve(url: &str, public_base: Option<&Url>) -> Option<Url> {
    match public_base {
        None => Url::parse(url).ok().filter(|u| matches!(u.scheme(), "http" | "https")),
        Some(base) => {
            // Only the path and query count: scheme, host and port are the public ones.
            let path_and_query = match Url::parse(url) {
                Ok(absolute) => {
                    let mut text = absolute.path().to_owned();
                    if let Some(query) = absolute.query() {
                        text.push('?');
                        text.push_str(query);
                    }
                    text
                }
                Err(_) if url.starts_with('/') && !url.starts_with("//") => url.to_owned(),
                Err(_) => return None,
            };
            let prefix = base.path().trim_end_matches('/');
            let mut joined = base.clone();
            let (path, query) = match path_and_query.split_once('?') {
                Some((path, query)) => (path, Some(query)),
                None => (path_and_query.as_str(), None),
            };
            joined.set_path(&format!("{prefix}{path}"));
            joined.set_query(query);
            Some(joined)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
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
        let base = url("https://public.example/app");
        let resolved = resolve("http://10.0.0.5:8080/back?x=1", Some(&base)).unwrap();
        assert_eq!(resolved.as_str(), "https://public.example/app/back?x=1");
        let relative = resolve("/back", Some(&base)).unwrap();
        assert_eq!(relative.as_str(), "https://public.example/app/back");
        assert!(resolve("//evil.example/back", Some(&base)).is_none());
        assert!(resolve("/back", None).is_none());
        assert!(resolve("ftp://x/", None).is_none());
    }
}
