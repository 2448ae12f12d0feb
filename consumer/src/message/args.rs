//! A message's arguments: every key and value in one text buffer, found through entries
//! kept sorted by (namespace, key).
//!
//! A callback has a dozen arguments. Owning each key and value made two allocations per
//! argument and a tree node each, and building and dropping them was more than a third of
//! `complete`. Here a parsed message is two allocations (three with extensions) whatever
//! its size, a lookup is a binary search, and a namespace's arguments come out sorted by
//! key, as they did from the map this replaced.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::ops::Range;

use super::Namespace;

/// Index of the protocol's namespace.
pub(super) const OPENID: usize = 0;
/// Index of the arguments without the `openid.` prefix.
pub(super) const BARE: usize = 1;
/// Index of the first extension namespace (`extensions[0]`).
const FIRST_EXTENSION: usize = 2;

/// Up to this many arguments, a lookup compares each; beyond, it bisects.
const LINEAR_SEARCH: usize = 24;

/// Up to this many extensions, a URI is found by comparing each; beyond, through a map.
/// A message parsed from a stranger's query can declare an extension per argument, and
/// finding each argument's among them one by one was quadratic (half a second for 1 MiB).
const LINEAR_EXTENSIONS: usize = 8;

/// Replaced values are left in the buffer until they outweigh the live text.
const COMPACT_AFTER: usize = 4096;

/// A namespace as the arguments know it, borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NsRef<'a> {
    OpenId,
    Bare,
    Extension(&'a str),
}

impl NsRef<'_> {
    pub(super) fn to_namespace(self) -> Namespace {
        match self {
            Self::OpenId => Namespace::OpenId,
            Self::Bare => Namespace::Bare,
            Self::Extension(uri) => Namespace::Extension(uri.to_owned()),
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    ns: usize,
    key: Range<usize>,
    value: Range<usize>,
}

/// The arguments of one message.
#[derive(Debug, Clone, Default)]
pub(super) struct Args {
    text: String,
    /// The URIs of the extension namespaces, in the order they were first used.
    extensions: Vec<String>,
    /// URI -> index, once there are more than [`LINEAR_EXTENSIONS`] extensions (empty
    /// before: a message with one or two extensions makes no copies for it).
    by_uri: HashMap<String, usize>,
    /// Sorted by (ns, key) and unique, except while a parse is pushing (see
    /// [`Args::sort_and_find_duplicate`]).
    entries: Vec<Entry>,
    /// Bytes of `text` that no entry points to any more.
    garbage: usize,
}

impl Args {
    /// Arguments whose text starts as `text` (ranges into it are pushed next).
    pub(super) fn from_text(text: String, capacity: usize) -> Self {
        Self { text, entries: Vec::with_capacity(capacity), ..Self::default() }
    }

    /// The text of a range of the buffer.
    pub(super) fn text(&self, range: &Range<usize>) -> &str {
        self.text.get(range.clone()).unwrap_or_default()
    }

    fn ns_ref(&self, ns: usize) -> NsRef<'_> {
        match ns {
            OPENID => NsRef::OpenId,
            BARE => NsRef::Bare,
            n => NsRef::Extension(
                self.extensions.get(n - FIRST_EXTENSION).map_or("", String::as_str),
            ),
        }
    }

    /// The index of an extension URI, if it has arguments (or had).
    fn uri_index(&self, uri: &str) -> Option<usize> {
        if self.extensions.len() <= LINEAR_EXTENSIONS {
            self.extensions.iter().position(|u| u == uri).map(|i| i + FIRST_EXTENSION)
        } else {
            self.by_uri.get(uri).copied()
        }
    }

    /// The index of an extension URI, added if new.
    pub(super) fn uri_index_or_add(&mut self, uri: &str) -> usize {
        match self.uri_index(uri) {
            Some(index) => index,
            None => self.add_extension(uri.to_owned()),
        }
    }

    /// Adds an extension URI that is not there yet; its index.
    fn add_extension(&mut self, uri: String) -> usize {
        let index = self.extensions.len() + FIRST_EXTENSION;
        self.extensions.push(uri);
        if self.extensions.len() > LINEAR_EXTENSIONS {
            // The first time past the threshold, every URI so far; then the new one.
            let from = if self.by_uri.is_empty() { 0 } else { self.extensions.len() - 1 };
            for (i, known) in self.extensions.iter().enumerate().skip(from) {
                self.by_uri.insert(known.clone(), i + FIRST_EXTENSION);
            }
        }
        index
    }

    fn index(&self, namespace: &Namespace) -> Option<usize> {
        match namespace {
            Namespace::OpenId => Some(OPENID),
            Namespace::Bare => Some(BARE),
            Namespace::Extension(uri) => self.uri_index(uri),
        }
    }

    fn search(&self, ns: usize, key: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|e| e.ns.cmp(&ns).then_with(|| self.text(&e.key).cmp(key)))
    }

    /// The value of `key` in namespace `ns`.
    pub(super) fn get_at(&self, ns: usize, key: &str) -> Option<&str> {
        // A callback's dozen arguments are found faster by equality (lengths differ first)
        // than by ordering; a long message is searched.
        let found = if self.entries.len() <= LINEAR_SEARCH {
            self.entries.iter().position(|e| e.ns == ns && self.text(&e.key) == key)?
        } else {
            self.search(ns, key).ok()?
        };
        self.entries.get(found).map(|e| self.text(&e.value))
    }

    /// The value of `key` in `namespace`.
    pub(super) fn get(&self, namespace: &Namespace, key: &str) -> Option<&str> {
        self.get_at(self.index(namespace)?, key)
    }

    /// The value of `key` in the extension namespace `uri`.
    pub(super) fn get_in_extension(&self, uri: &str, key: &str) -> Option<&str> {
        self.get_at(self.uri_index(uri)?, key)
    }

    /// Appends text to the buffer; its range.
    pub(super) fn push_text(&mut self, text: &str) -> Range<usize> {
        let start = self.text.len();
        self.text.push_str(text);
        start..self.text.len()
    }

    /// Sets `key` in `namespace`, replacing any value.
    pub(super) fn set(&mut self, namespace: Namespace, key: &str, value: &str) {
        let ns = match namespace {
            Namespace::OpenId => OPENID,
            Namespace::Bare => BARE,
            Namespace::Extension(uri) => match self.uri_index(&uri) {
                Some(index) => index,
                None => self.add_extension(uri),
            },
        };
        match self.search(ns, key) {
            Ok(found) => {
                let value = self.push_text(value);
                if let Some(entry) = self.entries.get_mut(found) {
                    let old = std::mem::replace(&mut entry.value, value);
                    self.garbage += old.len();
                }
            }
            Err(at) => {
                let key = self.push_text(key);
                let value = self.push_text(value);
                self.entries.insert(at, Entry { ns, key, value });
            }
        }
        self.compact_if_wasteful();
    }

    /// Removes `key` from `namespace`, returning its value.
    pub(super) fn remove(&mut self, namespace: &Namespace, key: &str) -> Option<String> {
        let found = self.search(self.index(namespace)?, key).ok()?;
        let entry = self.entries.remove(found);
        self.garbage += entry.key.len() + entry.value.len();
        let value = self.text(&entry.value).to_owned();
        self.compact_if_wasteful();
        Some(value)
    }

    fn compact_if_wasteful(&mut self) {
        if self.garbage <= COMPACT_AFTER || self.garbage <= self.text.len() / 2 {
            return;
        }
        let mut text = String::with_capacity(self.text.len() - self.garbage);
        for entry in &mut self.entries {
            for range in [&mut entry.key, &mut entry.value] {
                let start = text.len();
                text.push_str(self.text.get(range.clone()).unwrap_or_default());
                *range = start..text.len();
            }
        }
        self.text = text;
        self.garbage = 0;
    }

    /// Adds an entry without keeping the order: a parse pushes every argument, then calls
    /// [`Args::sort_and_find_duplicate`] once.
    pub(super) fn push_unsorted(&mut self, ns: usize, key: Range<usize>, value: Range<usize>) {
        self.entries.push(Entry { ns, key, value });
    }

    /// Restores the order after [`Args::push_unsorted`]; a key that is there twice, if any.
    pub(super) fn sort_and_find_duplicate(&mut self) -> Option<(NsRef<'_>, &str)> {
        let text = &self.text;
        let key = |e: &Entry| text.get(e.key.clone()).unwrap_or_default();
        self.entries.sort_unstable_by(|a, b| a.ns.cmp(&b.ns).then_with(|| key(a).cmp(key(b))));
        let twice = self
            .entries
            .windows(2)
            .find_map(|pair| match pair {
                [a, b] if a.ns == b.ns && key(a) == key(b) => Some(a),
                _ => None,
            })
            .cloned()?;
        Some((self.ns_ref(twice.ns), self.text(&twice.key)))
    }

    /// The `(key, value)` arguments of namespace `ns`, by key.
    fn iter_at(&self, ns: usize) -> impl Iterator<Item = (&str, &str)> {
        let start = self.entries.partition_point(|e| e.ns < ns);
        let end = self.entries.partition_point(|e| e.ns <= ns);
        self.entries
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .map(|e| (self.text(&e.key), self.text(&e.value)))
    }

    /// The `(key, value)` arguments of `namespace`, by key.
    pub(super) fn iter_in(&self, namespace: &Namespace) -> impl Iterator<Item = (&str, &str)> {
        // An unknown extension has no arguments: an index past every entry's.
        let ns = self.index(namespace).unwrap_or(usize::MAX);
        self.iter_at(ns)
    }

    /// Every argument, by namespace (the protocol's, bare, then extensions) and key.
    pub(super) fn iter(&self) -> impl Iterator<Item = (NsRef<'_>, &str, &str)> {
        self.entries.iter().map(|e| (self.ns_ref(e.ns), self.text(&e.key), self.text(&e.value)))
    }

    /// How many arguments there are.
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    fn get_ref(&self, ns: NsRef<'_>, key: &str) -> Option<&str> {
        let ns = match ns {
            NsRef::OpenId => OPENID,
            NsRef::Bare => BARE,
            NsRef::Extension(uri) => self.uri_index(uri)?,
        };
        self.get_at(ns, key)
    }
}

/// The same arguments, however each buffer is laid out.
impl PartialEq for Args {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self.iter().all(|(ns, key, value)| other.get_ref(ns, key) == Some(value))
    }
}

impl Eq for Args {}

/// Orders namespaces as the derived order of [`Namespace`] does, for stable `Debug` output.
pub(super) fn namespace_order(a: &NsRef<'_>, b: &NsRef<'_>) -> Ordering {
    let rank = |ns: &NsRef<'_>| match ns {
        NsRef::OpenId => 0,
        NsRef::Bare => 1,
        NsRef::Extension(_) => 2,
    };
    rank(a).cmp(&rank(b)).then_with(|| match (a, b) {
        (NsRef::Extension(x), NsRef::Extension(y)) => x.cmp(y),
        _ => Ordering::Equal,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_replaces_and_keeps_keys_sorted() {
        let mut args = Args::default();
        args.set(Namespace::OpenId, "mode", "id_res");
        args.set(Namespace::OpenId, "claimed_id", "x");
        args.set(Namespace::Bare, "a", "1");
        args.set(Namespace::OpenId, "mode", "cancel");
        let keys: Vec<_> = args.iter_in(&Namespace::OpenId).collect();
        assert_eq!(keys, [("claimed_id", "x"), ("mode", "cancel")]);
        assert_eq!(args.get(&Namespace::Bare, "a"), Some("1"));
        assert_eq!(args.get(&Namespace::extension("urn:x"), "a"), None);
        assert_eq!(args.iter_in(&Namespace::extension("urn:x")).count(), 0);
    }

    #[test]
    fn replaced_text_is_compacted_and_values_survive() {
        let mut args = Args::default();
        let long = "v".repeat(1000);
        for i in 0..100 {
            args.set(Namespace::OpenId, "mode", &format!("{long}{i}"));
            args.set(Namespace::Bare, "keep", "me");
        }
        assert!(args.text.len() < 3 * COMPACT_AFTER, "{}", args.text.len());
        assert_eq!(args.get(&Namespace::OpenId, "mode"), Some(format!("{long}99").as_str()));
        assert_eq!(args.get(&Namespace::Bare, "keep"), Some("me"));
        assert_eq!(args.remove(&Namespace::Bare, "keep").as_deref(), Some("me"));
        assert_eq!(args.get(&Namespace::Bare, "keep"), None);
    }

    #[test]
    fn many_extensions_are_found_past_the_threshold() {
        let mut args = Args::default();
        let uris: Vec<String> = (0..3 * LINEAR_EXTENSIONS).map(|i| format!("urn:x{i}")).collect();
        for (i, uri) in uris.iter().enumerate() {
            args.set(Namespace::extension(uri.as_str()), "k", &i.to_string());
            assert_eq!(args.uri_index_or_add(uri), i + FIRST_EXTENSION);
        }
        for (i, uri) in uris.iter().enumerate() {
            assert_eq!(args.get_in_extension(uri, "k"), Some(i.to_string().as_str()), "{uri}");
            assert_eq!(args.iter_in(&Namespace::extension(uri.as_str())).count(), 1);
        }
        assert_eq!(args.get_in_extension("urn:other", "k"), None);
        assert_eq!(args.by_uri.len(), uris.len());
    }

    #[test]
    fn equality_ignores_layout() {
        let mut a = Args::default();
        a.set(Namespace::extension("urn:y"), "k", "1");
        a.set(Namespace::extension("urn:x"), "k", "2");
        let mut b = Args::default();
        b.set(Namespace::extension("urn:x"), "k", "0");
        b.set(Namespace::extension("urn:x"), "k", "2");
        b.set(Namespace::extension("urn:y"), "k", "1");
        assert_eq!(a, b);
        b.set(Namespace::Bare, "k", "1");
        assert_ne!(a, b);
    }
}
