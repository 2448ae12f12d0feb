//! The OpenID message model (OpenID 2.0 sections 4 and 12): arguments by namespace,
//! extension aliases, and the three encodings (query string, form pairs, KV form).
//!
//! A message is built from what arrived ([`Message::from_query`], [`Message::from_pairs`],
//! [`Message::from_kvform`]) or from scratch ([`Message::new`]); it is read and written by
//! `(namespace, key)`; and it renders back to the wire ([`Message::to_url`],
//! [`Message::to_form_pairs`], [`Message::to_kvform`]) with arguments sorted by key.

mod args;
pub mod kvform;
mod namespace;
mod query;

use std::fmt;
use std::ops::Range;

pub use namespace::{
    AliasError, AliasMap, Namespace, OPENID1_NS, OPENID2_NS, OPENID11_NS, OpenIdVersion,
    PROTOCOL_FIELDS, SREG_1_1_NS,
};
pub use query::QueryError;
use query::Spans;
pub(crate) use query::decode as decode_query;

use self::args::{Args, BARE, NsRef, OPENID};
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
    args: Args,
}

impl Message {
    /// An empty message of `version`. OpenID 1 messages carry no `openid.ns`.
    pub fn new(version: OpenIdVersion) -> Self {
        Self {
            version,
            implicit_version: version.is_openid1(),
            aliases: AliasMap::default(),
            args: Args::default(),
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
        let mut text = String::with_capacity(raw.len());
        let pairs = query::decode_into(raw, &mut text)?;
        Self::from_text(text, &pairs, false)
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
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut text = String::new();
        let ranges = push_pairs(&mut text, pairs);
        Self::from_text(text, &ranges, false)
    }

    /// The message whose wire keys and values are the `pairs` ranges of `text`; with
    /// `kv_form`, every key is a protocol key without its `openid.` prefix.
    fn from_text(
        text: String,
        pairs: &[(Range<usize>, Range<usize>)],
        kv_form: bool,
    ) -> Result<Self, MessageError> {
        let slice = |range: &Range<usize>| text.get(range.clone()).unwrap_or_default();
        let mut openid_args = Vec::with_capacity(pairs.len());
        let mut bare_args = Vec::new();
        let mut version = None;
        let mut declarations = Vec::new();
        for (key, value) in pairs {
            let rest = if kv_form {
                key.clone()
            } else if slice(key).starts_with(OPENID_PREFIX) {
                key.start + OPENID_PREFIX.len()..key.end
            } else {
                bare_args.push((key.clone(), value.clone()));
                continue;
            };
            match slice(&rest) {
                "ns" => {
                    if version.is_some() {
                        return Err(MessageError::DuplicateKey { key: "openid.ns".to_owned() });
                    }
                    let uri = slice(value);
                    version = Some(OpenIdVersion::from_namespace(uri).ok_or_else(|| {
                        MessageError::UnknownOpenIdNamespace { uri: uri.to_owned() }
                    })?);
                }
                field if field.starts_with("ns.") => {
                    declarations.push((rest.start + "ns.".len()..rest.end, value.clone()));
                }
                _ => openid_args.push((rest, value.clone())),
            }
        }
        let mut message = Self::new(version.unwrap_or(OpenIdVersion::V1_0));
        message.implicit_version = version.is_none();
        declarations.sort_by(|(a, _), (b, _)| slice(a).cmp(slice(b)));
        if let Some([(alias, _), _]) = declarations
            .windows(2)
            .find(|pair| matches!(pair, [(a, _), (b, _)] if slice(a) == slice(b)))
        {
            return Err(MessageError::DuplicateKey { key: format!("openid.ns.{}", slice(alias)) });
        }
        for (alias, uri) in &declarations {
            message.aliases.bind(slice(uri), slice(alias), false)?;
        }
        message.args = Args::from_text(text, pairs.len());
        for (rest, value) in openid_args {
            let (namespace, key) =
                classify(&mut message.aliases, &mut message.args, message.version, rest);
            message.args.push_unsorted(namespace, key, value);
        }
        for (key, value) in bare_args {
            message.args.push_unsorted(BARE, key, value);
        }
        // Distinct wire keys are distinct (namespace, key) pairs (the alias map is a
        // bijection), so a clash here is the same wire key twice.
        if let Some((namespace, key)) = message.args.sort_and_find_duplicate() {
            let key = match namespace {
                NsRef::OpenId => format!("openid.{key}"),
                NsRef::Bare => key.to_owned(),
                NsRef::Extension(uri) => {
                    format!("openid.{}.{key}", message.aliases.alias(uri).unwrap_or_default())
                }
            };
            return Err(MessageError::DuplicateKey { key });
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
        let mut text = String::with_capacity(text.len());
        let ranges = push_pairs(&mut text, parsed.pairs);
        Self::from_text(text, &ranges, true)
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
        self.args.get(namespace, key)
    }

    /// The value of protocol field `openid.<key>`.
    pub fn get_openid(&self, key: &str) -> Option<&str> {
        self.args.get_at(OPENID, key)
    }

    /// Whether `key` is present in `namespace`.
    pub fn contains(&self, namespace: &Namespace, key: &str) -> bool {
        self.get(namespace, key).is_some()
    }

    /// Sets `key` in `namespace`, replacing any value. An extension namespace without an
    /// alias gets one (`ext0`, `ext1`, ...).
    pub fn set(&mut self, namespace: Namespace, key: impl AsRef<str>, value: impl AsRef<str>) {
        if let Namespace::Extension(uri) = &namespace {
            self.aliases.alias_or_bind(uri);
        }
        self.args.set(namespace, key.as_ref(), value.as_ref());
    }

    /// Sets protocol field `openid.<key>`.
    pub fn set_openid(&mut self, key: impl AsRef<str>, value: impl AsRef<str>) {
        self.args.set(Namespace::OpenId, key.as_ref(), value.as_ref());
    }

    /// Removes `key` from `namespace`, returning its value.
    pub fn remove(&mut self, namespace: &Namespace, key: &str) -> Option<String> {
        self.args.remove(namespace, key)
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
        self.args.iter_in(namespace)
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
        for (namespace, key, value) in self.args.iter() {
            let key = match namespace {
                NsRef::OpenId => format!("openid.{key}"),
                NsRef::Bare => key.to_owned(),
                NsRef::Extension(uri) => {
                    format!("openid.{}.{key}", self.aliases.alias(uri).unwrap_or_default())
                }
            };
            out.push((key, value.to_owned()));
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
            && let Some(value) = self.args.get_in_extension(uri, key)
        {
            return Some(value);
        }
        self.get_openid(field)
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
}

/// Appends every key and value to `text`: their ranges.
fn push_pairs<K: AsRef<str>, V: AsRef<str>>(
    text: &mut String,
    pairs: impl IntoIterator<Item = (K, V)>,
) -> Spans {
    let mut push = |part: &str| {
        let start = text.len();
        text.push_str(part);
        start..text.len()
    };
    pairs.into_iter().map(|(key, value)| (push(key.as_ref()), push(value.as_ref()))).collect()
}

/// Splits `rest` (the range of a key after `openid.`) into its namespace and key.
fn classify(
    aliases: &mut AliasMap,
    args: &mut Args,
    version: OpenIdVersion,
    rest: Range<usize>,
) -> (usize, Range<usize>) {
    if let Some(dot) = args.text(&rest).find('.') {
        let alias = args.text(&(rest.start..rest.start + dot));
        let key = rest.start + dot + 1..rest.end;
        if let Some(uri) = aliases.uri(alias) {
            let uri = uri.to_owned();
            return (args.uri_index_or_add(&uri), key);
        }
        // OpenID 1 had no namespace declarations; Simple Registration used `sreg`.
        if version.is_openid1()
            && alias == "sreg"
            && aliases.bind(SREG_1_1_NS, "sreg", true).is_ok()
        {
            return (args.uri_index_or_add(SREG_1_1_NS), key);
        }
    }
    // An undeclared alias stays a protocol key containing a dot, as in the reference
    // implementation: nothing reads it as extension data.
    (OPENID, rest)
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
struct RedactedArgs<'a>(&'a Args);

impl fmt::Debug for RedactedArgs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut namespaces: Vec<NsRef<'_>> = Vec::new();
        for (namespace, _, _) in self.0.iter() {
            if namespaces.last() != Some(&namespace) {
                namespaces.push(namespace);
            }
        }
        namespaces.sort_by(args::namespace_order);
        let mut map = f.debug_map();
        for namespace in namespaces {
            let args = RedactedNamespace { args: self.0, namespace };
            map.entry(&namespace.to_namespace(), &args);
        }
        map.finish()
    }
}

/// The arguments of one namespace for a `Debug` form.
struct RedactedNamespace<'a> {
    args: &'a Args,
    namespace: NsRef<'a>,
}

impl fmt::Debug for RedactedNamespace<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hide = self.namespace == NsRef::OpenId;
        f.debug_map()
            .entries(
                self.args
                    .iter()
                    .filter(|(ns, _, _)| *ns == self.namespace)
                    .map(|(_, key, value)| (key, Redacted::new(value, hide && is_secret(key)))),
            )
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
