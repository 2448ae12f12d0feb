//! The OpenID message model (OpenID 2.0 sections 4 and 12): arguments by namespace,
//! extension aliases, and the three encodings (query string, form pairs, KV form).
//!
//! A message is built from what arrived ([`Message::from_query`], [`Message::from_pairs`],
//! [`Message::from_kvform`]) or from scratch ([`Message::new`]); it is read and written by
//! `(namespace, key)`; and it renders back to the wire ([`Message::to_url`],
//! [`Message::to_form_pairs`], [`Message::to_kvform`]) with arguments sorted by key.

pub mod kvform;
mod namespace;
mod query;

use std::collections::BTreeMap;
use std::fmt;

pub use namespace::{
    AliasError, AliasMap, Namespace, OPENID1_NS, OPENID2_NS, OPENID11_NS, OpenIdVersion,
    PROTOCOL_FIELDS, SREG_1_1_NS,
};
pub use query::QueryError;
pub(crate) use query::decode as decode_query;

use self::kvform::KvEncodeError;

/// Why a message could not be built or rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    /// The query string is not valid `application/x-www-form-urlencoded` UTF-8.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// The same key appears twice: which value counts would be ambiguous, and a signature
    /// check could see a different value than the application.
    #[error("duplicate key {key:?}")]
    DuplicateKey {
        /// The key.
        key: String,
    },
    /// `openid.ns` is not OpenID 1.0, 1.1 or 2.0.
    #[error("unknown OpenID namespace {uri:?}")]
    UnknownOpenIdNamespace {
        /// The value of `openid.ns`.
        uri: String,
    },
    /// An `openid.ns.<alias>` declaration is not valid.
    #[error(transparent)]
    Alias(#[from] AliasError),
    /// The message has arguments without the `openid.` prefix, which KV form cannot carry.
    #[error("argument {key:?} has no openid. prefix and cannot be sent as KV form")]
    NotKvEncodable {
        /// The key.
        key: String,
    },
    /// A key or value cannot be written as KV form.
    #[error(transparent)]
    KvEncode(#[from] KvEncodeError),
    /// A KV-form document has more lines than any direct response.
    #[error("KV form has more than {limit} lines")]
    TooManyLines {
        /// The limit, [`MAX_KV_LINES`].
        limit: usize,
    },
}

/// The most lines [`Message::from_kvform`] reads. A provider's direct responses have a
/// dozen fields at most (an association response nine, `check_authentication` three).
pub const MAX_KV_LINES: usize = 1_000;

/// The prefix of every protocol and extension argument on the wire.
const OPENID_PREFIX: &str = "openid.";

/// An OpenID protocol message.
///
/// Its `Debug` form hides the values of [`SECRET_FIELDS`] (an association response carries
/// the MAC key).
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    version: OpenIdVersion,
    /// True when `openid.ns` is not rendered: OpenID 1 messages, and any message that
    /// arrived without it.
    implicit_version: bool,
    aliases: AliasMap,
    args: BTreeMap<Namespace, BTreeMap<String, String>>,
}

impl Message {
    /// An empty message of `version`. OpenID 1 messages carry no `openid.ns`.
    pub fn new(version: OpenIdVersion) -> Self {
        Self {
            version,
            implicit_version: version.is_openid1(),
            aliases: AliasMap::default(),
            args: BTreeMap::new(),
        }
    }

    /// Parses a raw query string or `application/x-www-form-urlencoded` body; a leading
    /// `?` is ignored.
    ///
    /// # Errors
    /// [`MessageError::Query`] for bad escapes or non-UTF-8 text, and everything
    /// [`Message::from_pairs`] refuses.
    ///
    /// # Example
    /// ```
    /// use openid_consumer::message::{Message, Namespace, OpenIdVersion};
    ///
    /// let msg = Message::from_query(
    ///     "openid.ns=http%3A%2F%2Fspecs.openid.net%2Fauth%2F2.0&openid.mode=id_res\
    ///      &openid.ns.sreg=http%3A%2F%2Fopenid.net%2Fextensions%2Fsreg%2F1.1\
    ///      &openid.sreg.nickname=bob&session=42",
    /// )?;
    /// assert_eq!(msg.version(), OpenIdVersion::V2_0);
    /// assert_eq!(msg.get(&Namespace::OpenId, "mode"), Some("id_res"));
    /// let sreg = Namespace::extension("http://openid.net/extensions/sreg/1.1");
    /// assert_eq!(msg.get(&sreg, "nickname"), Some("bob"));
    /// assert_eq!(msg.get(&Namespace::Bare, "session"), Some("42"));
    /// # Ok::<(), openid_consumer::message::MessageError>(())
    /// ```
    pub fn from_query(raw: &str) -> Result<Self, MessageError> {
        Self::from_pairs(query::decode(raw)?)
    }

    /// Builds a message from decoded `(key, value)` pairs, such as a web framework's form
    /// or query extractor gives. Keys starting with `openid.` are protocol or extension
    /// arguments, others are [`Namespace::Bare`]. Blank values are kept.
    ///
    /// # Errors
    /// [`MessageError::DuplicateKey`], [`MessageError::UnknownOpenIdNamespace`] (a missing
    /// `openid.ns` means OpenID 1.0 and is not an error), [`MessageError::Alias`].
    pub fn from_pairs<I, K, V>(pairs: I) -> Result<Self, MessageError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let mut openid_args = Vec::new();
        let mut bare_args = BTreeMap::new();
        let mut version = None;
        let mut declarations: BTreeMap<String, String> = BTreeMap::new();
        for (key, value) in pairs {
            let (mut key, value): (String, String) = (key.into(), value.into());
            if !key.starts_with("openid.") {
                if bare_args.contains_key(&key) {
                    return Err(MessageError::DuplicateKey { key });
                }
                bare_args.insert(key, value);
                continue;
            }
            if key == "openid.ns" {
                if version.is_some() {
                    return Err(MessageError::DuplicateKey { key });
                }
                version = Some(
                    OpenIdVersion::from_namespace(&value)
                        .ok_or(MessageError::UnknownOpenIdNamespace { uri: value })?,
                );
                continue;
            }
            // The key without `openid.`, in place: no new allocation per argument.
            key.drain(..OPENID_PREFIX.len());
            if let Some(alias) = key.strip_prefix("ns.") {
                if declarations.contains_key(alias) {
                    return Err(MessageError::DuplicateKey { key: format!("openid.{key}") });
                }
                declarations.insert(alias.to_owned(), value);
            } else {
                openid_args.push((key, value));
            }
        }
        let mut message = Self::new(version.unwrap_or(OpenIdVersion::V1_0));
        message.implicit_version = version.is_none();
        for (alias, uri) in declarations {
            message.aliases.bind(&uri, &alias, false)?;
        }
        for (rest, value) in openid_args {
            let (namespace, key) = message.classify(rest);
            // Distinct wire keys are distinct (namespace, key) pairs (the alias map is a
            // bijection), so a clash here is the same wire key twice.
            if message.get(&namespace, &key).is_some() {
                let wire = match &namespace {
                    Namespace::Extension(uri) => {
                        format!("openid.{}.{key}", message.aliases.alias(uri).unwrap_or_default())
                    }
                    _ => format!("openid.{key}"),
                };
                return Err(MessageError::DuplicateKey { key: wire });
            }
            message.args.entry(namespace).or_default().insert(key, value);
        }
        if !bare_args.is_empty() {
            message.args.insert(Namespace::Bare, bare_args);
        }
        Ok(message)
    }

    /// Parses a KV-form body (a direct response from a provider), whose keys have no
    /// `openid.` prefix. Irregular lines are skipped, as [`kvform::parse`] describes, and
    /// logged as one event.
    ///
    /// # Errors
    /// [`MessageError::TooManyLines`] for more than [`MAX_KV_LINES`] lines, and as
    /// [`Message::from_pairs`].
    ///
    /// # Security
    /// The text is a stranger's (the provider is whoever the user's identifier names): it is
    /// refused before any work proportional to it, as a callback with too many arguments is.
    /// A 1 MiB answer of `:\n` lines made 72 MiB of pairs, and one of blank lines a million
    /// debug events.
    pub fn from_kvform(text: &str) -> Result<Self, MessageError> {
        if text.bytes().filter(|&b| b == b'\n').count() > MAX_KV_LINES {
            return Err(MessageError::TooManyLines { limit: MAX_KV_LINES });
        }
        let parsed = kvform::parse(text);
        if let Some(first) = parsed.issues.first() {
            tracing::debug!(issues = parsed.issues.len(), %first, "irregular KV form");
        }
        Self::from_pairs(parsed.pairs.into_iter().map(|(k, v)| (format!("openid.{k}"), v)))
    }

    /// The protocol version.
    pub fn version(&self) -> OpenIdVersion {
        self.version
    }

    /// OpenID 1.0 or 1.1.
    pub fn is_openid1(&self) -> bool {
        self.version.is_openid1()
    }

    /// The value of `key` in `namespace`.
    pub fn get(&self, namespace: &Namespace, key: &str) -> Option<&str> {
        self.args.get(namespace)?.get(key).map(String::as_str)
    }

    /// The value of protocol field `openid.<key>`.
    pub fn get_openid(&self, key: &str) -> Option<&str> {
        self.get(&Namespace::OpenId, key)
    }

    /// Whether `key` is present in `namespace`.
    pub fn contains(&self, namespace: &Namespace, key: &str) -> bool {
        self.get(namespace, key).is_some()
    }

    /// Sets `key` in `namespace`, replacing any value. An extension namespace without an
    /// alias gets one (`ext0`, `ext1`, ...).
    pub fn set(&mut self, namespace: Namespace, key: impl Into<String>, value: impl Into<String>) {
        if let Namespace::Extension(uri) = &namespace {
            self.aliases.alias_or_bind(uri);
        }
        self.args.entry(namespace).or_default().insert(key.into(), value.into());
    }

    /// Sets protocol field `openid.<key>`.
    pub fn set_openid(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.set(Namespace::OpenId, key, value);
    }

    /// Removes `key` from `namespace`, returning its value.
    pub fn remove(&mut self, namespace: &Namespace, key: &str) -> Option<String> {
        let args = self.args.get_mut(namespace)?;
        let removed = args.remove(key);
        if args.is_empty() {
            self.args.remove(namespace);
        }
        removed
    }

    /// Binds an extension namespace URI to a chosen alias.
    ///
    /// # Errors
    /// [`AliasError`] for an invalid alias or one already bound differently.
    pub fn set_alias(&mut self, uri: &str, alias: &str) -> Result<(), AliasError> {
        self.aliases.bind(uri, alias, false)
    }

    /// Binds an extension namespace URI to an alias that is not declared on the wire:
    /// OpenID 1's `sreg`.
    pub(crate) fn set_implicit_alias(&mut self, uri: &str, alias: &str) -> Result<(), AliasError> {
        self.aliases.bind(uri, alias, true)
    }

    /// The alias of an extension namespace URI, if the message has one.
    pub fn alias(&self, uri: &str) -> Option<&str> {
        self.aliases.alias(uri)
    }

    /// The extension alias map.
    pub fn aliases(&self) -> &AliasMap {
        &self.aliases
    }

    /// The `(key, value)` arguments of one namespace, by key.
    pub fn args_in<'a>(
        &'a self,
        namespace: &'a Namespace,
    ) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.args.get(namespace).into_iter().flatten().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Every argument as it goes on the wire (`openid.ns`, `openid.ns.<alias>`,
    /// `openid.<key>`, `openid.<alias>.<key>` and bare keys), sorted by key.
    pub fn to_form_pairs(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if !self.implicit_version {
            out.push(("openid.ns".to_owned(), self.version.namespace().to_owned()));
        }
        for (alias, uri, implicit) in self.aliases.iter() {
            if !implicit {
                out.push((format!("openid.ns.{alias}"), uri.to_owned()));
            }
        }
        for (namespace, args) in &self.args {
            let prefix = match namespace {
                Namespace::OpenId => "openid.".to_owned(),
                Namespace::Bare => String::new(),
                Namespace::Extension(uri) => {
                    format!("openid.{}.", self.aliases.alias(uri).unwrap_or_default())
                }
            };
            out.extend(args.iter().map(|(key, value)| (format!("{prefix}{key}"), value.clone())));
        }
        out.sort();
        out
    }

    /// The value of a wire key (`openid.ns`, `openid.sreg.nickname`, ...), as
    /// [`Message::to_form_pairs`] would render it.
    pub fn wire_value(&self, wire_key: &str) -> Option<String> {
        match wire_key.strip_prefix("openid.") {
            Some(field) => self.openid_field(field).map(str::to_owned),
            None => self.get(&Namespace::Bare, wire_key).map(str::to_owned),
        }
    }

    /// The value of `openid.<field>` as it goes on the wire (`ns`, `ns.<alias>`, a protocol
    /// field, or `<alias>.<key>` of an extension), without rendering the whole message:
    /// what a signature covers, looked up field by field.
    pub fn openid_field(&self, field: &str) -> Option<&str> {
        if field == "ns" {
            return (!self.implicit_version).then(|| self.version.namespace());
        }
        if let Some(alias) = field.strip_prefix("ns.") {
            return self.aliases.uri(alias).filter(|_| !self.aliases.is_implicit(alias));
        }
        if let Some((alias, key)) = field.split_once('.')
            && let Some(uri) = self.aliases.uri(alias)
        {
            let extension = self.args.iter().find_map(|(namespace, args)| match namespace {
                Namespace::Extension(u) if u == uri => Some(args),
                _ => None,
            });
            if let Some(value) = extension.and_then(|args| args.get(key)) {
                return Some(value);
            }
        }
        self.get(&Namespace::OpenId, field)
    }

    /// The message as a query string, sorted by key.
    pub fn to_query_string(&self) -> String {
        let pairs = self.to_form_pairs();
        query::encode(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    /// `base` with the message's arguments appended to its query (before any fragment).
    pub fn to_url(&self, base: &str) -> String {
        let (without_fragment, fragment) = match base.split_once('#') {
            Some((url, fragment)) => (url, Some(fragment)),
            None => (base, None),
        };
        let query = self.to_query_string();
        let mut url = without_fragment.to_owned();
        if !query.is_empty() {
            if !url.contains('?') {
                url.push('?');
            } else if !url.ends_with('?') && !url.ends_with('&') {
                url.push('&');
            }
            url.push_str(&query);
        }
        if let Some(fragment) = fragment {
            url.push('#');
            url.push_str(fragment);
        }
        url
    }

    /// The message as KV form, keys without the `openid.` prefix, sorted.
    ///
    /// # Errors
    /// [`MessageError::NotKvEncodable`] if the message has bare arguments;
    /// [`MessageError::KvEncode`] if a key or value holds a newline or a key a colon.
    pub fn to_kvform(&self) -> Result<String, MessageError> {
        let mut pairs = Vec::new();
        for (key, value) in self.to_form_pairs() {
            let Some(stripped) = key.strip_prefix("openid.") else {
                return Err(MessageError::NotKvEncodable { key });
            };
            pairs.push((stripped.to_owned(), value));
        }
        Ok(kvform::encode(pairs)?)
    }

    /// Splits `rest` (a key after `openid.`) into its namespace and key.
    fn classify(&mut self, rest: String) -> (Namespace, String) {
        if let Some((alias, key)) = rest.split_once('.') {
            if let Some(uri) = self.aliases.uri(alias) {
                return (Namespace::Extension(uri.to_owned()), key.to_owned());
            }
            // OpenID 1 had no namespace declarations; Simple Registration used `sreg`.
            if self.is_openid1()
                && alias == "sreg"
                && self.aliases.bind(SREG_1_1_NS, "sreg", true).is_ok()
            {
                return (Namespace::extension(SREG_1_1_NS), key.to_owned());
            }
        }
        // An undeclared alias stays a protocol key containing a dot, as in the reference
        // implementation: nothing reads it as extension data.
        (Namespace::OpenId, rest)
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("version", &self.version)
            .field("implicit_version", &self.implicit_version)
            .field("aliases", &self.aliases)
            .field("args", &RedactedArgs(&self.args))
            .finish()
    }
}

/// Protocol fields whose values are secrets: the MAC key of an association response, in
/// the clear (`no-encryption`) or encrypted with the Diffie-Hellman secret (OpenID 2.0
/// section 8.2). `Debug` forms of messages and KV-form documents hide them.
pub const SECRET_FIELDS: [&str; 2] = ["mac_key", "enc_mac_key"];

pub(crate) fn is_secret(key: &str) -> bool {
    SECRET_FIELDS.contains(&key)
}

/// A message's arguments for its `Debug` form, [`SECRET_FIELDS`] of the OpenID namespace
/// hidden (the same key in an extension is the extension's business).
struct RedactedArgs<'a>(&'a BTreeMap<Namespace, BTreeMap<String, String>>);

impl fmt::Debug for RedactedArgs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (namespace, args) in self.0 {
            map.entry(
                namespace,
                &RedactedNamespace { args, hide: *namespace == Namespace::OpenId },
            );
        }
        map.finish()
    }
}

/// The arguments of one namespace for a `Debug` form.
struct RedactedNamespace<'a> {
    args: &'a BTreeMap<String, String>,
    hide: bool,
}

impl fmt::Debug for RedactedNamespace<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret = |key: &str| self.hide && is_secret(key);
        f.debug_map()
            .entries(self.args.iter().map(|(key, value)| (key, Redacted::new(value, secret(key)))))
            .finish()
    }
}

/// A value for a `Debug` form: itself, or its length when it is secret.
pub(crate) struct Redacted<'a> {
    value: &'a str,
    secret: bool,
}

impl<'a> Redacted<'a> {
    pub(crate) fn new(value: &'a str, secret: bool) -> Self {
        Self { value, secret }
    }
}

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.secret {
            write!(f, "<{} bytes redacted>", self.value.len())
        } else {
            fmt::Debug::fmt(self.value, f)
        }
    }
}

#[cfg(test)]
mod tests;
